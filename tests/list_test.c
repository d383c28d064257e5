// SPDX-License-Identifier: GPL-2.0
/*
 * PROCTERM_CMD_LIST, as a user of "procterm list" sees it: the test's own
 * processes appear with the PID, parent, state, thread count, UID, command
 * and start time that /proc shows for them; the dump is complete and
 * ordered, and stays so while thousands of processes come and go; kernel
 * addresses are shown only to a caller that may see them; and a caller in
 * a PID, user or time namespace sees the processes, UIDs and start times of
 * its own namespaces.
 *
 * The dump is read here with a reader of its own (one socket per dump and a
 * small receive buffer, so every dump of a real system spans several
 * messages); single-process queries (doit) use the shared client.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "procterm_test.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Receive buffer of the dump reader: small, so dumps come in many parts. */
#define DUMP_RECV_LEN	4096
#define DUMP_TIMEOUT_MS	30000

#define STORM_WORKERS	4
#define STORM_FORKS	500	/* per worker: 2 000 processes in all */
#define STORM_SLEEPERS	20
#define STORM_BATCH	10	/* children a worker reaps together */

#define REAP_ROUNDS	6
#define REAP_ZOMBIES	300

#define TIMENS_OFFSET_S	1000	/* boot-time offset of the test's time namespace */

/* One row of the list, from a dump or a single query. */
struct pt_entry {
	uint32_t pid, ppid, threads, uid;
	uint64_t start, addr;
	char state;
	char comm[PROCTERM_COMM_LEN];
	uint32_t attrs;		/* bit (1 << PROCTERM_A_x) per attribute seen */
};

#define ENTRY_ALL ((1u << PROCTERM_A_PID) | (1u << PROCTERM_A_PPID) |	\
		   (1u << PROCTERM_A_START_TIME) |			\
		   (1u << PROCTERM_A_TASK_ADDR) | (1u << PROCTERM_A_STATE) | \
		   (1u << PROCTERM_A_THREADS) | (1u << PROCTERM_A_UID) |	\
		   (1u << PROCTERM_A_COMM))

/* A complete dump as the reader collected it. */
struct dump {
	struct pt_entry *e;
	size_t n, cap;
	bool done;		/* NLMSG_DONE (or an error) ended it */
	int err;		/* positive errno from NLMSG_DONE/NLMSG_ERROR */
	char msg[PT_EXTACK_LEN];
	unsigned int datagrams;	/* recv() calls that returned data */
	unsigned int malformed;	/* rows with missing, extra or ill-sized attributes */
	unsigned int not_multi;	/* rows without NLM_F_MULTI */
};

static void dump_free(struct dump *d)
{
	free(d->e);
	memset(d, 0, sizeof(*d));
}

/* Store one attribute of a row; false if it has no place in a row. */
static bool entry_put(struct pt_entry *e, uint16_t type, const void *d,
		      size_t len)
{
	uint32_t bit = type < 32 ? 1u << type : 0;

	if (type == PROCTERM_A_PAD)
		return true;
	if (!(bit & ENTRY_ALL) || (e->attrs & bit))
		return false;
	switch (type) {
	case PROCTERM_A_PID:
	case PROCTERM_A_PPID:
	case PROCTERM_A_THREADS:
	case PROCTERM_A_UID: {
		uint32_t v;

		if (len != 4)
			return false;
		memcpy(&v, d, 4);
		if (type == PROCTERM_A_PID)
			e->pid = v;
		else if (type == PROCTERM_A_PPID)
			e->ppid = v;
		else if (type == PROCTERM_A_THREADS)
			e->threads = v;
		else
			e->uid = v;
		break;
	}
	case PROCTERM_A_START_TIME:
	case PROCTERM_A_TASK_ADDR:
		if (len != 8)
			return false;
		memcpy(type == PROCTERM_A_START_TIME ? &e->start : &e->addr, d, 8);
		break;
	case PROCTERM_A_STATE:
		if (len != 1)
			return false;
		e->state = *(const char *)d;
		break;
	case PROCTERM_A_COMM:
		if (len < 1 || len > PROCTERM_COMM_LEN ||
		    ((const char *)d)[len - 1] != '\0')
			return false;
		memcpy(e->comm, d, len);
		break;
	}
	e->attrs |= bit;
	return true;
}

/* Parse the attributes of one row; false unless it is a complete row. */
static bool entry_parse(const unsigned char *p, size_t len, struct pt_entry *e)
{
	memset(e, 0, sizeof(*e));
	while (len >= NLA_HDRLEN) {
		const struct nlattr *nla = (const struct nlattr *)p;

		if (nla->nla_len < NLA_HDRLEN || nla->nla_len > len)
			return false;
		if (!entry_put(e, nla->nla_type & NLA_TYPE_MASK, p + NLA_HDRLEN,
			       nla->nla_len - NLA_HDRLEN))
			return false;
		if ((size_t)NLA_ALIGN(nla->nla_len) >= len)
			break;
		p += NLA_ALIGN(nla->nla_len);
		len -= NLA_ALIGN(nla->nla_len);
	}
	return e->attrs == ENTRY_ALL;
}

static int nl_raw_open(void)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	int one = 1, fd, ret;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}


/*
 * Dump the list on @fd (or on a fresh socket when @fd < 0), reading with
 * @recv_len-byte receives. 0 with *d filled, or a negative errno of the
 * socket itself (-ETIMEDOUT: the dump stalled).
 */
static int dump_list(int fd, uint16_t family, size_t recv_len, struct dump *d)
{
	static unsigned char buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
	unsigned char req[NLMSG_SPACE(GENL_HDRLEN)]
		__attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nlh = (struct nlmsghdr *)req;
	struct genlmsghdr *g;
	bool own = fd < 0;
	uint32_t seq;
	int ret = 0;

	memset(d, 0, sizeof(*d));
	if (recv_len > sizeof(buf))
		recv_len = sizeof(buf);
	if (own) {
		fd = nl_raw_open();
		if (fd < 0)
			return fd;
	}
	seq = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 8);
	memset(req, 0, sizeof(req));
	nlh->nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = NLMSG_DATA(nlh);
	g->cmd = PROCTERM_CMD_LIST;
	g->version = PROCTERM_GENL_VERSION;
	if (sendto(fd, req, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0) {
		ret = -errno;
		goto out;
	}

	while (!d->done) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct nlmsghdr *h;
		ssize_t n;
		int len;

		n = poll(&pfd, 1, DUMP_TIMEOUT_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -ETIMEDOUT;
			goto out;
		}
		n = recv(fd, buf, recv_len, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if ((size_t)n > recv_len) {
			ret = -EMSGSIZE;	/* a part larger than asked for */
			goto out;
		}
		d->datagrams++;
		len = (int)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			struct pt_entry e;

			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				d->done = true;
				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					d->err = -*(const int *)NLMSG_DATA(h);
				pt_ack_msg(h, NLMSG_LENGTH(sizeof(int)), d->msg);
				continue;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *err = NLMSG_DATA(h);

				d->done = true;
				d->err = -err->error;
				pt_ack_msg(h, pt_err_tlv_offset(h), d->msg);
				continue;
			}
			if (h->nlmsg_type != family ||
			    h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN) ||
			    ((struct genlmsghdr *)NLMSG_DATA(h))->cmd !=
			    PROCTERM_CMD_LIST) {
				d->malformed++;
				continue;
			}
			if (!(h->nlmsg_flags & NLM_F_MULTI))
				d->not_multi++;
			if (!entry_parse((const unsigned char *)NLMSG_DATA(h) +
					 GENL_HDRLEN,
					 h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN),
					 &e)) {
				d->malformed++;
				continue;
			}
			if (d->n == d->cap) {
				size_t cap = d->cap ? d->cap * 2 : 256;
				void *p = realloc(d->e, cap * sizeof(*d->e));

				if (!p) {
					ret = -ENOMEM;
					goto out;
				}
				d->e = p;
				d->cap = cap;
			}
			d->e[d->n++] = e;
		}
	}
out:
	if (own)
		close(fd);
	return ret;
}

/* The row of @pid and how many rows carry that PID. */
static const struct pt_entry *dump_find(const struct dump *d, pid_t pid,
					int *count)
{
	const struct pt_entry *found = NULL;
	size_t i;

	*count = 0;
	for (i = 0; i < d->n; i++) {
		if (d->e[i].pid == (uint32_t)pid) {
			if (!found)
				found = &d->e[i];
			(*count)++;
		}
	}
	return found;
}

/*
 * Index of the first row whose PID is not above the PID of the row before
 * it, or -1. Rows with PID 0 are left to dump_zero_rows().
 */
static long dump_unordered(const struct dump *d)
{
	size_t i, prev = 0;
	bool have_prev = false;

	for (i = 0; i < d->n; i++) {
		if (!d->e[i].pid)
			continue;
		if (have_prev && d->e[i].pid <= d->e[prev].pid)
			return (long)i;
		prev = i;
		have_prev = true;
	}
	return -1;
}

/*
 * Rows with PID 0, which names no process; the first is described in
 * @what with its neighbours' PIDs.
 */
static size_t dump_zero_rows(const struct dump *d, char *what, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++) {
		const struct pt_entry *e = &d->e[i];

		if (e->pid)
			continue;
		if (!n++)
			snprintf(what, len,
				 "row %zu of %zu: pid 0 ppid %u state '%c' threads %u uid %u comm \"%s\" start %llu addr %s; between PIDs %u and %u",
				 i, d->n, e->ppid, e->state ? e->state : '?',
				 e->threads, e->uid, e->comm,
				 (unsigned long long)e->start,
				 e->addr ? "set" : "0",
				 i ? d->e[i - 1].pid : 0,
				 i + 1 < d->n ? d->e[i + 1].pid : 0);
	}
	return n;
}

/*
 * The answer to one request: the ack (errno and extended-ack message) and
 * the first data message, parsed as a list row when it is one.
 */
struct answer {
	bool acked;
	int err;		/* positive errno from the ack, 0: success */
	char msg[PT_EXTACK_LEN];
	int nreplies;		/* data messages with the request's sequence number */
	uint8_t cmd;		/* genlmsghdr.cmd of the first one */
	bool row_ok;		/* the first one is a complete list row */
	struct pt_entry row;
};

/*
 * Send a request built with pt_msg_init() (which asks for an ack) and read
 * until its ack arrives. Returns -a->err, or a negative errno of the socket
 * (-ETIMEDOUT: no ack in time).
 */
static int ask(struct pt_sock *s, struct pt_msg *m, struct answer *a)
{
	static struct pt_answer pa;
	int ret = pt_ask(s, m, &pa, DUMP_TIMEOUT_MS);

	memset(a, 0, sizeof(*a));
	a->acked = pa.acked;
	a->err = pa.err;
	memcpy(a->msg, pa.msg, sizeof(a->msg));
	a->nreplies = pa.nreplies;
	a->cmd = pa.cmd;
	if (pa.nreplies)
		a->row_ok = entry_parse(pa.data, pa.len, &a->row);
	return ret;
}

/* PROCTERM_CMD_LIST for one PID. Returns like ask(); *e gets the row. */
static int list_one(struct pt_sock *s, pid_t pid, struct pt_entry *e,
		    struct answer *a)
{
	struct pt_msg m;
	int ret;

	pt_msg_init(&m, s, PROCTERM_CMD_LIST, 0);
	pt_put_u32(&m, PROCTERM_A_PID, (uint32_t)pid);
	ret = ask(s, &m, a);
	*e = a->row;
	if (!ret && !a->row_ok)
		return -EPROTO;
	return ret;
}

/* /proc/PID/comm without the newline. */
static int proc_comm(pid_t pid, char *comm, size_t len)
{
	char path[64];
	int n;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	n = pt_read_file(path, comm, len);
	if (n < 0)
		return n;
	comm[strcspn(comm, "\n")] = '\0';
	return 0;
}

/* The real UID from /proc/PID/status. */
static long proc_ruid(pid_t pid)
{
	char path[64], buf[4096], *p;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (pt_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "\nUid:");
	if (!p)
		return -1;
	return strtol(p + 5, NULL, 10);
}

static int read_int_file(const char *path, int *v)
{
	char buf[32];
	int n = pt_read_file(path, buf, sizeof(buf));

	if (n < 0)
		return n;
	*v = (int)strtol(buf, NULL, 10);
	return 0;
}

#define KPTR_RESTRICT "/proc/sys/kernel/kptr_restrict"

static int set_kptr_restrict(int v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d\n", v);
	return pt_write_file(KPTR_RESTRICT, buf);
}

/* Every process in /proc with its start time. */
struct proc_snap {
	pid_t pid;
	unsigned long long start;
};

static size_t proc_snapshot(struct proc_snap *s, size_t max)
{
	struct dirent *de;
	size_t n = 0;
	DIR *dir = opendir("/proc");

	if (!dir)
		return 0;
	while ((de = readdir(dir)) && n < max) {
		struct pt_stat st;
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		if (pt_read_stat((pid_t)pid, &st))
			continue;
		s[n].pid = (pid_t)pid;
		s[n].start = st.start_time;
		n++;
	}
	closedir(dir);
	return n;
}

#define SNAP_MAX 65536

/*
 * Every process that /proc showed both before and after the dump (same PID
 * and start time, so the same process) is in the dump exactly once, with
 * that start time. Returns the number of such processes; *missing gets the
 * first one that was not listed properly (0: none).
 */
static size_t check_complete(const struct dump *d,
			     const struct proc_snap *before, size_t nb,
			     const struct proc_snap *after, size_t na,
			     pid_t *missing)
{
	size_t i, j, checked = 0;

	*missing = 0;
	for (i = 0; i < nb; i++) {
		const struct pt_entry *e;
		int count;

		for (j = 0; j < na; j++)
			if (after[j].pid == before[i].pid)
				break;
		if (j == na || after[j].start != before[i].start)
			continue;
		checked++;
		e = dump_find(d, before[i].pid, &count);
		if (count != 1 || e->start != before[i].start) {
			if (!*missing)
				*missing = before[i].pid;
		}
	}
	return checked;
}

/* Kill and reap a child of ours, traced or not; zero *pid. */
static void reap_fully(pid_t *pid)
{
	struct timespec ts = { 0, 2000000 };
	int status, i;

	if (*pid <= 0)
		return;
	kill(*pid, SIGCONT);
	kill(*pid, SIGKILL);
	for (i = 0; i < PT_DEATH_MS / 2; i++) {
		pid_t r = waitpid(*pid, &status, WNOHANG | __WALL);

		if (r < 0 && errno != EINTR)
			break;
		if (r == *pid && (WIFEXITED(status) || WIFSIGNALED(status)))
			break;
		nanosleep(&ts, NULL);
	}
	*pid = 0;
}


/*
 * The test's own processes, one of each kind a user can tell apart in the
 * list.
 */
enum {
	K_SLEEP, K_USER, K_STOPPED, K_TRACED, K_ZOMBIE, K_THREADS, K_VFORK,
	NKIDS
};

static const struct kid_spec {
	const char *comm;
	char state;
	uid_t uid;
	uint32_t threads;
} kid_spec[NKIDS] = {
	[K_SLEEP]   = { "pt-sleeper",  'S', 0,             1 },
	[K_USER]    = { "pt-user",     'S', PT_UNPRIV_UID, 1 },
	[K_STOPPED] = { "pt-stopped",  'T', 0,             1 },
	[K_TRACED]  = { "pt-traced",   't', 0,             1 },
	[K_ZOMBIE]  = { "pt-zombie",   'Z', 0,             1 },
	[K_THREADS] = { "pt-threads",  'S', 0,             5 },
	/* vfork()'s parent waits killably: TASK_UNINTERRUPTIBLE, "D" */
	[K_VFORK]   = { "pt-vforking", 'D', 0,             1 },
};

static void *blocked_thread(void *p)
{
	(void)p;
	pt_block_forever();
}

static int kid_body(int ready_fd, void *p)
{
	const struct kid_spec *k = p;
	pthread_t t;
	uint32_t i;

	prctl(PR_SET_NAME, k->comm);
	if (k->uid && pt_set_uids(k->uid, k->uid, k->uid))
		return 120;
	for (i = 1; i < k->threads; i++)
		if (pthread_create(&t, NULL, blocked_thread, NULL))
			return 121;
	pt_ready(ready_fd);
	if (k->state == 'Z')
		return 3;
	pt_block_forever();
}

/* Parent of a vfork() child that never execs; reports the child's PID. */
static int vfork_body(int ready_fd, void *p)
{
	pid_t parent, child;

	prctl(PR_SET_NAME, ((const struct kid_spec *)p)->comm);
	parent = getpid();
	child = vfork();
	if (child == 0) {
		/* Only system calls here: the memory is the parent's. */
		pid_t me = (pid_t)syscall(SYS_getpid);

		syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (syscall(SYS_getppid) != parent)
			syscall(SYS_exit, 1);
		syscall(SYS_write, ready_fd, &me, sizeof(me));
		for (;;)
			syscall(SYS_pause);
	}
	return child < 0 ? 122 : 0;
}

FIXTURE(list) {
	struct pt_sock nl;
	pid_t kid[NKIDS];
	pid_t grandkid;		/* the vfork() child */
	pid_t more[STORM_SLEEPERS + STORM_WORKERS];	/* storm, reaper */
	int kptr_saved;		/* kptr_restrict to restore, -1: untouched */
};

FIXTURE_SETUP(list)
{
	memset(self, 0, sizeof(*self));
	self->nl.fd = -1;
	self->kptr_saved = -1;
	PT_OPEN_OR_SKIP(&self->nl);
	/* Orphaned grandchildren come back to us and are reaped by PID. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}

FIXTURE_TEARDOWN(list)
{
	size_t i;

	if (self->kptr_saved >= 0)
		set_kptr_restrict(self->kptr_saved);
	if (self->grandkid > 0)
		kill(self->grandkid, SIGKILL);
	for (i = 0; i < NKIDS; i++)
		reap_fully(&self->kid[i]);
	for (i = 0; i < ARRAY_SIZE(self->more); i++)
		reap_fully(&self->more[i]);
	reap_fully(&self->grandkid);
	pt_close(&self->nl);
}

static void spawn_kids(struct __test_metadata *_metadata,
		       FIXTURE_DATA(list) *self)
{
	int i;

	for (i = 0; i < NKIDS; i++) {
		const struct kid_spec *k = &kid_spec[i];

		if (i == K_VFORK)
			self->kid[i] = pt_spawn(vfork_body, (void *)k,
						&self->grandkid,
						sizeof(self->grandkid));
		else
			self->kid[i] = pt_spawn(kid_body, (void *)k, NULL, 1);
		ASSERT_LT(0, self->kid[i]) TH_LOG("spawning %s: %s", k->comm,
						 pt_errname(self->kid[i]));
	}
	ASSERT_EQ(0, kill(self->kid[K_STOPPED], SIGSTOP));
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, self->kid[K_TRACED], 0, 0));
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, self->kid[K_TRACED], 0, 0));
	for (i = 0; i < NKIDS; i++) {
		const struct kid_spec *k = &kid_spec[i];

		ASSERT_EQ(0, pt_wait_state(self->kid[i], k->state, PT_DEATH_MS))
			TH_LOG("kid %d never reached state %c", i, k->state);
	}
	ASSERT_LT(0, self->grandkid);
	ASSERT_EQ(0, pt_wait_state(self->grandkid, 'S', PT_DEATH_MS));
}

/* A row for one of our processes says what /proc and the spec say. */
static void check_row(struct __test_metadata *_metadata, const char *what,
		      const struct pt_entry *e, pid_t pid, pid_t ppid,
		      const struct kid_spec *k)
{
	char comm[64];
	struct pt_stat st;
	long ruid;

	ASSERT_EQ(0, pt_read_stat(pid, &st));
	ASSERT_EQ(0, proc_comm(pid, comm, sizeof(comm)));
	ruid = proc_ruid(pid);

	EXPECT_EQ((uint32_t)pid, e->pid);
	EXPECT_EQ((uint32_t)ppid, e->ppid) TH_LOG("%s: PPID", what);
	EXPECT_EQ((uint32_t)st.ppid, e->ppid) TH_LOG("%s: PPID vs /proc", what);
	EXPECT_EQ(st.state, e->state)
		TH_LOG("%s: state %c, /proc says %c", what, e->state, st.state);
	EXPECT_EQ(st.start_time, e->start)
		TH_LOG("%s: start time %llu, field 22 of /proc/%d/stat is %llu",
		       what, (unsigned long long)e->start, (int)pid, st.start_time);
	EXPECT_EQ(st.num_threads, e->threads) TH_LOG("%s: threads vs /proc", what);
	EXPECT_STREQ(comm, e->comm) TH_LOG("%s: command", what);
	EXPECT_EQ(ruid, (long)e->uid) TH_LOG("%s: UID vs /proc", what);
	if (k) {
		EXPECT_EQ(k->state, e->state)
			TH_LOG("%s: state %c, expected %c", what, e->state, k->state);
		EXPECT_EQ(k->threads, e->threads) TH_LOG("%s: threads", what);
		EXPECT_EQ((uint32_t)k->uid, e->uid) TH_LOG("%s: UID", what);
		EXPECT_STREQ(k->comm, e->comm);
	}
}

static bool root_may_see_addresses(void)
{
	int v = 0;

	return read_int_file(KPTR_RESTRICT, &v) || v < 2;
}

/* The dump shows each of our processes as /proc does, once, in order. */
TEST_F_TIMEOUT(list, dump_shows_own_processes, PT_TIMEOUT(120))
{
	struct proc_snap *before, *after;
	const struct pt_entry *e;
	size_t nb, na, checked, i, j;
	struct dump d;
	pid_t missing;
	int count;
	long bad;

	spawn_kids(_metadata, self);
	before = calloc(SNAP_MAX, sizeof(*before));
	after = calloc(SNAP_MAX, sizeof(*after));
	ASSERT_TRUE(before && after);

	nb = proc_snapshot(before, SNAP_MAX);
	ASSERT_EQ(0, dump_list(-1, self->nl.family, DUMP_RECV_LEN, &d));
	na = proc_snapshot(after, SNAP_MAX);

	ASSERT_TRUE(d.done) TH_LOG("the dump did not end with NLMSG_DONE");
	ASSERT_EQ(0, d.err) TH_LOG("dump failed: %s (\"%s\")",
				   pt_errname(-d.err), d.msg);
	ASSERT_EQ(0U, d.malformed);
	EXPECT_EQ(0U, d.not_multi) TH_LOG("dump rows without NLM_F_MULTI");
	TH_LOG("%zu processes in %u parts", d.n, d.datagrams);
	{
		char what[256] = "";

		EXPECT_EQ(0U, dump_zero_rows(&d, what, sizeof(what))) TH_LOG("%s", what);
	}
	bad = dump_unordered(&d);
	ASSERT_EQ(-1, bad) TH_LOG("PID %u listed after PID %u",
				  d.e[bad].pid, d.e[bad - 1].pid);

	for (i = 0; i < NKIDS; i++) {
		e = dump_find(&d, self->kid[i], &count);
		ASSERT_EQ(1, count) TH_LOG("%s (PID %d) listed %d times",
					   kid_spec[i].comm, self->kid[i], count);
		check_row(_metadata, kid_spec[i].comm, e, self->kid[i],
			  getpid(), &kid_spec[i]);
	}
	e = dump_find(&d, self->grandkid, &count);
	ASSERT_EQ(1, count);
	check_row(_metadata, "vfork child", e, self->grandkid,
		  self->kid[K_VFORK], NULL);
	EXPECT_EQ('S', e->state);

	/* The test itself, running while it reads the list. */
	e = dump_find(&d, getpid(), &count);
	ASSERT_EQ(1, count);
	EXPECT_EQ('R', e->state);
	EXPECT_EQ(1U, e->threads);
	EXPECT_EQ((uint32_t)getppid(), e->ppid);
	EXPECT_EQ(0U, e->uid);

	/* Nothing that lived through the dump is missing. */
	checked = check_complete(&d, before, nb, after, na, &missing);
	EXPECT_EQ(0, missing) TH_LOG("PID %d, alive throughout, not listed once",
				     (int)missing);
	EXPECT_LT(NKIDS, (int)checked);

	/* Root sees the real, distinct addresses of every process. */
	if (root_may_see_addresses()) {
		for (i = 0; i < d.n; i++) {
			EXPECT_NE(0ULL, d.e[i].addr)
				TH_LOG("PID %u listed without an address", d.e[i].pid);
			for (j = i + 1; j < d.n; j++)
				EXPECT_NE(d.e[i].addr, d.e[j].addr)
					TH_LOG("PIDs %u and %u share address 0x%llx",
					       d.e[i].pid, d.e[j].pid,
					       (unsigned long long)d.e[i].addr);
		}
	}
	dump_free(&d);
	free(before);
	free(after);
}

/* The single-process query returns the same row as the dump and /proc. */
TEST_F_TIMEOUT(list, doit_matches_dump_and_proc, PT_TIMEOUT(120))
{
	const struct pt_entry *de;
	struct pt_entry e;
	struct answer r;
	struct dump d;
	int i, ret, count;

	spawn_kids(_metadata, self);
	ASSERT_EQ(0, dump_list(-1, self->nl.family, DUMP_RECV_LEN, &d));
	ASSERT_TRUE(d.done);
	ASSERT_EQ(0, d.err);

	for (i = 0; i < NKIDS; i++) {
		ret = list_one(&self->nl, self->kid[i], &e, &r);
		ASSERT_PT_OK(ret, r);
		EXPECT_EQ(1, r.nreplies);
		EXPECT_EQ(PROCTERM_CMD_LIST, r.cmd);
		check_row(_metadata, kid_spec[i].comm, &e, self->kid[i],
			  getpid(), &kid_spec[i]);
		de = dump_find(&d, self->kid[i], &count);
		ASSERT_EQ(1, count);
		EXPECT_EQ(0, memcmp(de, &e, sizeof(e)))
			TH_LOG("%s: query and dump rows differ", kid_spec[i].comm);
	}
	dump_free(&d);
}

static int two_threads_body(int ready_fd, void *p)
{
	pthread_t t;
	pid_t tid;

	(void)p;
	if (pthread_create(&t, NULL, blocked_thread, NULL))
		return 120;
	/* The new thread's TID: the only other entry in /proc/self/task. */
	for (;;) {
		struct dirent *de;
		DIR *dir = opendir("/proc/self/task");

		tid = 0;
		while (dir && (de = readdir(dir)))
			if (atoi(de->d_name) > 0 && atoi(de->d_name) != getpid())
				tid = atoi(de->d_name);
		if (dir)
			closedir(dir);
		if (tid)
			break;
	}
	pt_ready_data(ready_fd, &tid, sizeof(tid));
	pt_block_forever();
}

/* Query errors: unknown PID, a thread, a reaped child, PID 0. */
TEST_F(list, doit_errors)
{
	struct pt_entry e;
	struct answer r;
	pid_t pid, tid;
	int ret, status;

	pid = pt_unused_pid();
	ASSERT_LT(0, pid);
	ret = list_one(&self->nl, pid, &e, &r);
	ASSERT_PT_ERROR(ESRCH, ret, r);
	EXPECT_EQ(0, r.nreplies);

	self->kid[0] = pt_spawn(two_threads_body, NULL, &tid, sizeof(tid));
	ASSERT_LT(0, self->kid[0]);
	ASSERT_NE(self->kid[0], tid);
	ret = list_one(&self->nl, tid, &e, &r);
	ASSERT_PT_ERROR(ENOTTY, ret, r);
	ret = list_one(&self->nl, self->kid[0], &e, &r);
	ASSERT_PT_OK(ret, r);
	EXPECT_EQ(2U, e.threads);

	pid = pt_spawn_zombie(0);
	ASSERT_LT(0, pid);
	ret = list_one(&self->nl, pid, &e, &r);
	ASSERT_PT_OK(ret, r);
	EXPECT_EQ('Z', e.state);
	ASSERT_EQ(0, pt_wait_timeout(pid, &status, PT_DEATH_MS));
	ret = list_one(&self->nl, pid, &e, &r);
	ASSERT_PT_ERROR(ESRCH, ret, r);
}

/* Out-of-range PIDs (0, above PID_MAX_LIMIT) are ERANGE, as the contract says. */
TEST_F(list, doit_pid_out_of_range)
{
	static const uint32_t pids[] = { 0, 4194305, 0x7fffffff, 0xffffffff };
	struct pt_entry e;
	struct answer r;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(pids); i++) {
		ret = list_one(&self->nl, (pid_t)pids[i], &e, &r);
		ASSERT_PT_ERROR(ERANGE, ret, r);
		EXPECT_EQ(0, r.nreplies);
	}
}

/* Init and kthreadd: PPID 0, start times as /proc has them. */
TEST_F(list, init_and_kthreadd)
{
	struct pt_entry e;
	struct answer r;
	struct pt_stat st;
	int ret;

	ret = list_one(&self->nl, 1, &e, &r);
	ASSERT_PT_OK(ret, r);
	ASSERT_EQ(0, pt_read_stat(1, &st));
	EXPECT_EQ(1U, e.pid);
	EXPECT_EQ(0U, e.ppid);
	EXPECT_EQ(st.start_time, e.start);
	EXPECT_EQ(0U, e.uid);

	ret = list_one(&self->nl, 2, &e, &r);
	ASSERT_PT_OK(ret, r);
	ASSERT_EQ(0, pt_read_stat(2, &st));
	if (!(st.flags & PT_PF_KTHREAD))
		SKIP(return, "%s: PID 2 is not kthreadd here", pt_kernel_release());
	EXPECT_STREQ("kthreadd", e.comm);
	EXPECT_EQ(0U, e.ppid);
	EXPECT_EQ(1U, e.threads);
	EXPECT_EQ(st.start_time, e.start);
}

/* A process in a new PID namespace lists only that namespace. */
struct pidns_list_res {
	int stage, ret;
	struct dump_brief {
		uint32_t pid, ppid;
		uint64_t addr;
		char comm[PROCTERM_COMM_LEN];
	} e[16];
	unsigned int n, malformed;
	int dump_err;
	int outsider_ret;	/* query of a parent-namespace PID */
	char msg[PT_EXTACK_LEN];
};

static int pidns_list_init(int result_fd, pid_t outsider)
{
	struct pidns_list_res res;
	pid_t kids[2] = { 0, 0 };
	struct pt_entry e;
	struct answer r;
	struct pt_sock s;
	struct dump d;
	size_t i;

	memset(&res, 0, sizeof(res));
	prctl(PR_SET_NAME, "pt-ns-init");
	res.ret = pt_open(&s);
	if (res.ret) {
		res.stage = 1;
		goto out;
	}
	for (i = 0; i < 2; i++) {
		kids[i] = pt_spawn_sleeper();
		if (kids[i] != (pid_t)(i + 2)) {
			res.stage = 2;
			res.ret = kids[i];
			goto out;
		}
	}
	res.ret = dump_list(-1, s.family, DUMP_RECV_LEN, &d);
	if (res.ret) {
		res.stage = 3;
		goto out;
	}
	res.dump_err = d.done ? d.err : -1;
	res.malformed = d.malformed;
	res.n = d.n;
	for (i = 0; i < d.n && i < ARRAY_SIZE(res.e); i++) {
		res.e[i].pid = d.e[i].pid;
		res.e[i].ppid = d.e[i].ppid;
		res.e[i].addr = d.e[i].addr;
		memcpy(res.e[i].comm, d.e[i].comm, sizeof(res.e[i].comm));
	}
	dump_free(&d);
	res.outsider_ret = list_one(&s, outsider, &e, &r);
	snprintf(res.msg, sizeof(res.msg), "%s", r.msg);
out:
	for (i = 0; i < 2; i++)
		pt_reap(&kids[i]);
	pt_ready_data(result_fd, &res, sizeof(res));
	return 0;
}

struct ns_arg {
	pid_t outsider;		/* a process of the parent namespace */
};

static int pidns_list_body(int ready_fd, void *p)
{
	const struct ns_arg *a = p;
	struct pidns_list_res res;
	pid_t init;
	int status;

	if (unshare(CLONE_NEWPID)) {
		memset(&res, 0, sizeof(res));
		res.stage = 100;
		res.ret = -errno;
		pt_ready_data(ready_fd, &res, sizeof(res));
		return 0;
	}
	init = fork();
	if (init < 0)
		return 121;
	if (init == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(pidns_list_init(ready_fd, a->outsider));
	}
	if (pt_wait_timeout(init, &status, PT_DEATH_MS * 2))
		return 122;
	return 0;
}

TEST_F_TIMEOUT(list, pid_namespace_lists_only_its_own, PT_TIMEOUT(90))
{
	struct ns_arg a;
	struct pidns_list_res res;
	int status, ret;
	unsigned int i;

	self->kid[0] = pt_spawn_sleeper();
	ASSERT_LT(0, self->kid[0]);
	a.outsider = self->kid[0];
	ret = pt_run_child(pidns_list_body, &a, &res, sizeof(res), &status);
	ASSERT_EQ(0, ret) TH_LOG("namespace child: %s", pt_errname(ret));
	if (res.stage == 100)
		SKIP(return, "%s: no new PID namespace: %s", pt_kernel_release(), pt_errname(res.ret));
	ASSERT_EQ(0, res.stage) TH_LOG("setup in the namespace failed at %d: %s",
				       res.stage, pt_errname(res.ret));
	ASSERT_EQ(0, res.dump_err);
	ASSERT_EQ(0U, res.malformed);

	/* Exactly the namespace's init and its two children. */
	ASSERT_EQ(3U, res.n) TH_LOG("the namespace's list has %u processes", res.n);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(i + 1, res.e[i].pid);
		/* Init's parent is outside the namespace: PPID 0, as in /proc. */
		EXPECT_EQ(i ? 1U : 0U, res.e[i].ppid) TH_LOG("PID %u", i + 1);
		if (root_may_see_addresses())
			EXPECT_NE(0ULL, res.e[i].addr);
	}
	EXPECT_STREQ("pt-ns-init", res.e[0].comm);

	EXPECT_EQ(-ESRCH, res.outsider_ret)
		TH_LOG("query of parent-namespace PID %d from inside: %s (\"%s\")",
		       a.outsider, pt_errname(res.outsider_ret), res.msg);
	EXPECT_TRUE(pt_pid_alive(self->kid[0]));
}

/*
 * Callers that may not see kernel addresses get a complete list with every
 * TASK_ADDR zero: no CAP_SYS_ADMIN, a socket opened by root but used after
 * dropping privileges, root of a user namespace. UIDs are shown in the
 * caller's user namespace.
 */
FIXTURE(unpriv) {
	struct pt_sock nl;
	pid_t user_kid;		/* a uid-1000 sleeper */
};

FIXTURE_VARIANT(unpriv) {
	uid_t uid;
	uint64_t caps;
	bool open_first;	/* open the socket before dropping privileges */
	const char *uid_map;	/* new user namespace with this map */
	bool expect_addrs;
	uint32_t uid_of_user;	/* how the uid-1000 sleeper's UID looks */
	uint32_t uid_of_root;	/* how the test's own UID looks; ~0: overflow */
};

#define OVERFLOW_UID ((uint32_t)~0u)

FIXTURE_VARIANT_ADD(unpriv, root_control) {
	.uid = 0, .caps = ~0ULL >> (64 - CAP_LAST_CAP - 1), .expect_addrs = true,
	.uid_of_user = PT_UNPRIV_UID, .uid_of_root = 0,
};
FIXTURE_VARIANT_ADD(unpriv, uid1000_no_caps) {
	.uid = PT_UNPRIV_UID, .uid_of_user = PT_UNPRIV_UID, .uid_of_root = 0,
};
FIXTURE_VARIANT_ADD(unpriv, root_without_sys_admin) {
	.uid = 0, .caps = (1ULL << CAP_KILL) | (1ULL << CAP_SYSLOG),
	.uid_of_user = PT_UNPRIV_UID, .uid_of_root = 0,
};
FIXTURE_VARIANT_ADD(unpriv, socket_opened_by_root) {
	.uid = PT_UNPRIV_UID, .open_first = true,
	.uid_of_user = PT_UNPRIV_UID, .uid_of_root = 0,
};
FIXTURE_VARIANT_ADD(unpriv, userns_root_identity_map) {
	.uid = 0, .caps = ~0ULL >> (64 - CAP_LAST_CAP - 1), .uid_map = "0 0 1\n",
	.uid_of_user = OVERFLOW_UID, .uid_of_root = 0,
};
/* A process may map only its own UID: root outside is 1000 inside. */
FIXTURE_VARIANT_ADD(unpriv, userns_root_seen_as_1000) {
	.uid = 0, .caps = ~0ULL >> (64 - CAP_LAST_CAP - 1), .uid_map = "1000 0 1\n",
	.uid_of_user = OVERFLOW_UID, .uid_of_root = PT_UNPRIV_UID,
};

struct unpriv_res {
	int stage, ret;
	bool done;
	int dump_err;
	unsigned int n, nonzero, malformed;
	int count_parent, count_user;
	uint32_t uid_parent, uid_user;
	int doit_ret;
	uint64_t doit_addr;
	uint32_t doit_uid;
	char msg[PT_EXTACK_LEN];
};

struct unpriv_arg {
	const FIXTURE_VARIANT(unpriv) *v;
	pid_t parent, user_kid;
};

static int unpriv_body(int ready_fd, void *p)
{
	const struct unpriv_arg *a = p;
	struct unpriv_res res;
	const struct pt_entry *e;
	struct pt_entry one;
	struct answer r;
	struct pt_sock s;
	struct dump d;

	memset(&res, 0, sizeof(res));
	s.fd = -1;
	res.ret = pt_become(&s, a->v->open_first, a->v->uid_map, a->v->uid,
			    a->v->caps, &res.stage);
	if (res.ret)
		goto out;
	/* A socket that has read a large answer gets large dump parts. */
	res.ret = dump_list(a->v->open_first ? s.fd : -1, s.family,
			    a->v->open_first ? 65536 : DUMP_RECV_LEN, &d);
	if (res.ret) {
		res.stage = 5;
		goto out;
	}
	res.done = d.done;
	res.dump_err = d.err;
	res.n = d.n;
	res.malformed = d.malformed;
	for (size_t i = 0; i < d.n; i++)
		if (d.e[i].addr)
			res.nonzero++;
	e = dump_find(&d, a->parent, &res.count_parent);
	if (e)
		res.uid_parent = e->uid;
	e = dump_find(&d, a->user_kid, &res.count_user);
	if (e)
		res.uid_user = e->uid;
	dump_free(&d);

	res.doit_ret = list_one(&s, a->user_kid, &one, &r);
	res.doit_addr = one.addr;
	res.doit_uid = one.uid;
	snprintf(res.msg, sizeof(res.msg), "%s", r.msg);
out:
	pt_ready_data(ready_fd, &res, sizeof(res));
	return 0;
}

FIXTURE_SETUP(unpriv)
{
	static const struct kid_spec user = { "pt-user", 'S', PT_UNPRIV_UID, 1 };

	memset(self, 0, sizeof(*self));
	self->nl.fd = -1;
	PT_OPEN_OR_SKIP(&self->nl);
	if (variant->expect_addrs && !root_may_see_addresses())
		SKIP(return, "%s: kptr_restrict hides addresses from root here", pt_kernel_release());
	self->user_kid = pt_spawn(kid_body, (void *)&user, NULL, 1);
	ASSERT_LT(0, self->user_kid);
}

FIXTURE_TEARDOWN(unpriv)
{
	reap_fully(&self->user_kid);
	pt_close(&self->nl);
}

TEST_F(unpriv, addresses_and_uids)
{
	struct unpriv_arg a = {
		.v = variant, .parent = getpid(), .user_kid = self->user_kid,
	};
	uint32_t overflow = 65534, want_user, want_root;
	struct unpriv_res res;
	int status, ret, v;

	if (!read_int_file("/proc/sys/kernel/overflowuid", &v))
		overflow = (uint32_t)v;
	want_user = variant->uid_of_user == OVERFLOW_UID ? overflow :
		    variant->uid_of_user;
	want_root = variant->uid_of_root == OVERFLOW_UID ? overflow :
		    variant->uid_of_root;

	ret = pt_run_child(unpriv_body, &a, &res, sizeof(res), &status);
	ASSERT_EQ(0, ret);
	if (res.stage == 100)
		SKIP(return, "%s: no user namespace: %s", pt_kernel_release(), pt_errname(res.ret));
	ASSERT_EQ(0, res.stage) TH_LOG("setup failed at %d: %s", res.stage,
				       pt_errname(res.ret));
	ASSERT_TRUE(res.done);
	ASSERT_EQ(0, res.dump_err);
	ASSERT_EQ(0U, res.malformed);
	ASSERT_LT(2U, res.n);
	/* The whole list, including root's processes. */
	EXPECT_EQ(1, res.count_parent);
	EXPECT_EQ(1, res.count_user);

	if (variant->expect_addrs) {
		EXPECT_EQ(res.n, res.nonzero)
			TH_LOG("%u of %u rows without an address", res.n - res.nonzero, res.n);
	} else {
		EXPECT_EQ(0U, res.nonzero)
			TH_LOG("%u of %u rows show a kernel address to this caller",
			       res.nonzero, res.n);
	}

	EXPECT_EQ(want_root, res.uid_parent) TH_LOG("UID of a root process");
	EXPECT_EQ(want_user, res.uid_user) TH_LOG("UID of a uid-1000 process");

	ASSERT_EQ(0, res.doit_ret) TH_LOG("query: %s (\"%s\")",
					  pt_errname(res.doit_ret), res.msg);
	EXPECT_EQ(want_user, res.doit_uid);
	if (variant->expect_addrs) {
		EXPECT_NE(0ULL, res.doit_addr);
	} else {
		EXPECT_EQ(0ULL, res.doit_addr);
	}
}

/* kptr_restrict=2 hides addresses from root too; 1 and 0 do not. */
TEST_F(list, kptr_restrict_rules_root)
{
	static const int levels[] = { 2, 1, 0, 2 };
	struct pt_entry e;
	struct answer r;
	struct dump d;
	size_t i, k, nonzero;
	int ret;

	ASSERT_EQ(0, read_int_file(KPTR_RESTRICT, &self->kptr_saved));
	for (k = 0; k < ARRAY_SIZE(levels); k++) {
		ASSERT_EQ(0, set_kptr_restrict(levels[k]));
		ASSERT_EQ(0, dump_list(-1, self->nl.family, DUMP_RECV_LEN, &d));
		ASSERT_TRUE(d.done);
		ASSERT_EQ(0, d.err);
		ASSERT_LT(2U, d.n);
		for (i = nonzero = 0; i < d.n; i++)
			nonzero += d.e[i].addr != 0;
		if (levels[k] == 2) {
			EXPECT_EQ(0U, nonzero)
				TH_LOG("kptr_restrict=2: %zu addresses shown to root", nonzero);
		} else {
			EXPECT_EQ(d.n, nonzero)
				TH_LOG("kptr_restrict=%d: %zu of %zu rows without address",
				       levels[k], d.n - nonzero, d.n);
		}
		dump_free(&d);

		ret = list_one(&self->nl, getpid(), &e, &r);
		ASSERT_PT_OK(ret, r);
		if (levels[k] == 2) {
			EXPECT_EQ(0ULL, e.addr);
		} else {
			EXPECT_NE(0ULL, e.addr);
		}
	}
	ASSERT_EQ(0, set_kptr_restrict(self->kptr_saved));
	self->kptr_saved = -1;
}

/*
 * In a time namespace with a boot-time offset, start times are those of
 * the reader's /proc: shifted by the offset, so handles still match /proc.
 */
struct timens_res {
	int stage, ret;
	int count, doit_ret;
	uint64_t dump_start, doit_start;
	unsigned long long proc_start;
};

static int timens_reader(int result_fd, pid_t target)
{
	struct timens_res res;
	const struct pt_entry *e;
	struct pt_entry one;
	struct answer r;
	struct pt_stat st;
	struct pt_sock s;
	struct dump d;

	memset(&res, 0, sizeof(res));
	res.ret = pt_open(&s);
	if (res.ret) {
		res.stage = 1;
		goto out;
	}
	res.ret = pt_read_stat(target, &st);
	if (res.ret) {
		res.stage = 2;
		goto out;
	}
	res.proc_start = st.start_time;
	res.ret = dump_list(-1, s.family, DUMP_RECV_LEN, &d);
	if (res.ret || !d.done || d.err) {
		res.stage = 3;
		res.ret = res.ret ? res.ret : -d.err;
		goto out;
	}
	e = dump_find(&d, target, &res.count);
	if (e)
		res.dump_start = e->start;
	dump_free(&d);
	res.doit_ret = list_one(&s, target, &one, &r);
	res.doit_start = one.start;
out:
	pt_ready_data(result_fd, &res, sizeof(res));
	return 0;
}

static int timens_body(int ready_fd, void *p)
{
	pid_t target = *(pid_t *)p, reader;
	struct timens_res res;
	char offs[64];
	int status;

	memset(&res, 0, sizeof(res));
	if (unshare(CLONE_NEWTIME)) {
		res.stage = 100;
		res.ret = -errno;
		goto fail;
	}
	snprintf(offs, sizeof(offs), "boottime %d 0\n", TIMENS_OFFSET_S);
	res.ret = pt_write_file("/proc/self/timens_offsets", offs);
	if (res.ret) {
		res.stage = 101;
		goto fail;
	}
	reader = fork();	/* the child lives in the new time namespace */
	if (reader < 0)
		return 121;
	if (reader == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(timens_reader(ready_fd, target));
	}
	return pt_wait_timeout(reader, &status, PT_DEATH_MS * 2) ? 122 : 0;
fail:
	pt_ready_data(ready_fd, &res, sizeof(res));
	return 0;
}

TEST_F(list, time_namespace_start_time)
{
	struct timens_res res;
	struct pt_stat st;
	unsigned long long want;
	int status, ret;

	self->kid[0] = pt_spawn_sleeper();
	ASSERT_LT(0, self->kid[0]);
	ASSERT_EQ(0, pt_read_stat(self->kid[0], &st));
	want = st.start_time + (unsigned long long)TIMENS_OFFSET_S * sysconf(_SC_CLK_TCK);

	ret = pt_run_child(timens_body, &self->kid[0], &res, sizeof(res), &status);
	ASSERT_EQ(0, ret);
	if (res.stage >= 100)
		SKIP(return, "%s: no time namespace (step %d): %s", pt_kernel_release(), res.stage,
		     pt_errname(res.ret));
	ASSERT_EQ(0, res.stage) TH_LOG("failed at %d: %s", res.stage,
				       pt_errname(res.ret));
	EXPECT_EQ(want, res.proc_start)
		TH_LOG("/proc inside the time namespace is not shifted as expected");
	ASSERT_EQ(1, res.count);
	EXPECT_EQ(res.proc_start, res.dump_start)
		TH_LOG("dump start time %llu, /proc in the same namespace %llu",
		       (unsigned long long)res.dump_start, res.proc_start);
	ASSERT_EQ(0, res.doit_ret);
	EXPECT_EQ(res.proc_start, res.doit_start);
}

/*
 * A fork/exit storm of STORM_WORKERS * STORM_FORKS short-lived processes
 * while the list is dumped again and again: every dump completes, in PID
 * order and without a PID twice, and every process alive throughout each
 * dump is in it exactly once.
 */
static int storm_body(int ready_fd, void *p)
{
	int i, j, status, forks = *(int *)p;
	pid_t c[STORM_BATCH];

	prctl(PR_SET_NAME, "pt-storm");
	/*
	 * Children exit at once; a batch of them is reaped together, so the
	 * list always holds some that are about to be released.
	 */
	for (i = 0; i < forks; i += STORM_BATCH) {
		for (j = 0; j < STORM_BATCH; j++) {
			c[j] = fork();
			if (c[j] < 0)
				return 1;
			if (c[j] == 0)
				_exit(0);
		}
		if (i == 0)
			pt_ready(ready_fd);
		for (j = 0; j < STORM_BATCH; j++)
			if (waitpid(c[j], &status, 0) != c[j])
				return 2;
	}
	return 0;
}

TEST_F_TIMEOUT(list, storm, PT_TIMEOUT(600))
{
	static struct proc_snap before[SNAP_MAX], after[SNAP_MAX];
	unsigned long long sleeper_start[STORM_SLEEPERS];
	pid_t *sleepers = self->more, *workers = self->more + STORM_SLEEPERS;
	unsigned int dumps = 0, overlapping = 0, parts = 0, max_rows = 0;
	size_t n0, zero_rows = 0, zero_dumps = 0;
	char what[256];
	int forks = STORM_FORKS, i, count, status;
	struct timespec t0, t1;
	struct pt_stat st;
	bool storming = true;

	for (i = 0; i < STORM_SLEEPERS; i++) {
		sleepers[i] = pt_spawn_sleeper();
		ASSERT_LT(0, sleepers[i]);
		ASSERT_EQ(0, pt_read_stat(sleepers[i], &st));
		sleeper_start[i] = st.start_time;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < STORM_WORKERS; i++) {
		workers[i] = pt_spawn(storm_body, &forks, NULL, 1);
		ASSERT_LT(0, workers[i]);
	}

	while (storming) {
		const struct pt_entry *e;
		size_t nb, na, checked;
		bool alive[STORM_WORKERS];
		struct dump d;
		pid_t missing;
		long bad;

		storming = false;
		for (i = 0; i < STORM_WORKERS; i++)
			alive[i] = !pt_child_exited(workers[i]);
		nb = proc_snapshot(before, SNAP_MAX);
		ASSERT_EQ(0, dump_list(-1, self->nl.family, DUMP_RECV_LEN, &d));
		na = proc_snapshot(after, SNAP_MAX);
		dumps++;
		parts += d.datagrams;
		if (d.n > max_rows)
			max_rows = d.n;

		ASSERT_TRUE(d.done) TH_LOG("dump %u did not end", dumps);
		ASSERT_EQ(0, d.err) TH_LOG("dump %u failed: %s (\"%s\")", dumps,
					   pt_errname(-d.err), d.msg);
		ASSERT_EQ(0U, d.malformed);
		n0 = dump_zero_rows(&d, what, sizeof(what));
		if (n0) {
			if (!zero_rows)
				TH_LOG("dump %u: %s", dumps, what);
			zero_rows += n0;
			zero_dumps++;
		}
		bad = dump_unordered(&d);
		ASSERT_EQ(-1, bad) TH_LOG("dump %u: PID %u after PID %u", dumps,
					  d.e[bad].pid, d.e[bad - 1].pid);

		for (i = 0; i < STORM_SLEEPERS; i++) {
			e = dump_find(&d, sleepers[i], &count);
			ASSERT_EQ(1, count) TH_LOG("dump %u: sleeper %d listed %d times",
						   dumps, sleepers[i], count);
			EXPECT_EQ(sleeper_start[i], e->start);
			EXPECT_EQ((uint32_t)getpid(), e->ppid);
		}
		e = dump_find(&d, getpid(), &count);
		ASSERT_EQ(1, count);
		for (i = 0; i < STORM_WORKERS; i++) {
			/* Alive before and after the dump: listed once. */
			if (!alive[i] || pt_child_exited(workers[i]))
				continue;
			storming = true;
			e = dump_find(&d, workers[i], &count);
			ASSERT_EQ(1, count) TH_LOG("dump %u: worker %d listed %d times",
						   dumps, workers[i], count);
		}
		overlapping += storming;
		checked = check_complete(&d, before, nb, after, na, &missing);
		ASSERT_EQ(0, missing) TH_LOG("dump %u: PID %d, alive throughout, not listed once",
					     dumps, (int)missing);
		ASSERT_LE(STORM_SLEEPERS, (int)checked);
		dump_free(&d);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	for (i = 0; i < STORM_WORKERS; i++) {
		ASSERT_EQ(0, pt_wait_timeout(workers[i], &status, PT_DEATH_MS));
		workers[i] = 0;
		ASSERT_EXITED_WITH(0, status);
	}
	TH_LOG("%d forks in %.1f s; %u dumps (%u during the storm), %u parts, up to %u rows",
	       STORM_WORKERS * STORM_FORKS,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       dumps, overlapping, parts, max_rows);
	ASSERT_LT(0U, overlapping) TH_LOG("no dump ran while the storm was on");
	/* A process that exits while it is being listed is not shown as PID 0. */
	EXPECT_EQ(0U, zero_rows)
		TH_LOG("%zu rows with PID 0 in %zu of %u dumps", zero_rows,
		       zero_dumps, dumps);
	for (i = 0; i < STORM_SLEEPERS; i++)
		ASSERT_TRUE(pt_pid_alive(sleepers[i]));
}

/*
 * The narrowest case of the storm: processes released (reaped) while the
 * dump is listing them. A reaper process holds REAP_ZOMBIES exited
 * children and reaps them one by one while the list is dumped over and
 * over. A process gone by the time its row is written is left out, or
 * shown as it was; never as a row with PID 0.
 */
static int reaper_body(int ready_fd, void *p)
{
	int go_fd = *(int *)p, i, status;
	pid_t kids[REAP_ZOMBIES];
	siginfo_t si;
	char c;

	prctl(PR_SET_NAME, "pt-reaper");
	for (i = 0; i < REAP_ZOMBIES; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			return 1;
		if (kids[i] == 0)
			_exit(0);
	}
	for (i = 0; i < REAP_ZOMBIES; i++) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, kids[i], &si, WEXITED | WNOWAIT))
			return 2;
	}
	pt_ready(ready_fd);
	if (read(go_fd, &c, 1) != 1)
		return 3;
	/* Spread over many dumps, so some dump is always near one. */
	for (i = 0; i < REAP_ZOMBIES; i++) {
		struct timespec ts = { 0, 1000000 };

		if (waitpid(kids[i], &status, 0) != kids[i])
			return 4;
		nanosleep(&ts, NULL);
	}
	return 0;
}

TEST_F_TIMEOUT(list, reaped_while_listed, PT_TIMEOUT(300))
{
	size_t n0, zero_rows = 0, rows = 0;
	unsigned int round, dumps = 0;
	char what[256] = "", first[256] = "";
	int go[2], status;

	for (round = 0; round < REAP_ROUNDS; round++) {
		pid_t *reaper = &self->more[0];

		ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
		*reaper = pt_spawn(reaper_body, &go[0], NULL, 1);
		close(go[0]);
		ASSERT_LT(0, *reaper);
		ASSERT_EQ(1, write(go[1], "g", 1));
		close(go[1]);
		do {
			struct dump d;

			ASSERT_EQ(0, dump_list(-1, self->nl.family, DUMP_RECV_LEN, &d));
			ASSERT_TRUE(d.done);
			ASSERT_EQ(0, d.err);
			ASSERT_EQ(0U, d.malformed);
			ASSERT_EQ(-1, dump_unordered(&d));
			n0 = dump_zero_rows(&d, what, sizeof(what));
			if (n0 && !zero_rows)
				snprintf(first, sizeof(first), "%s", what);
			zero_rows += n0;
			rows += d.n;
			dumps++;
			dump_free(&d);
		} while (!pt_child_exited(*reaper));
		ASSERT_EQ(0, pt_wait_timeout(*reaper, &status, PT_DEATH_MS));
		*reaper = 0;
		ASSERT_EXITED_WITH(0, status);
	}
	TH_LOG("%u dumps, %zu rows, while %d processes were reaped",
	       dumps, rows, REAP_ROUNDS * REAP_ZOMBIES);
	EXPECT_EQ(0U, zero_rows) TH_LOG("%zu rows with PID 0; first: %s",
					zero_rows, first);
}

PT_HARNESS_MAIN
