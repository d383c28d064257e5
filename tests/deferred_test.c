// SPDX-License-Identifier: GPL-2.0
/*
 * PROCTERM_F_DEFERRED: the process dies the next time it runs.
 *
 * Arming neither wakes nor signals the target. A stopped process stays
 * stopped, a traced one stays in its ptrace stop (its tracer can still read
 * it), a sleeper keeps sleeping. The moment any of its threads returns to
 * user mode the whole process dies, before that thread executes a single user
 * instruction, with the requested exit status (or SIGKILL). Every target that
 * could run user code proves it did not: it increments a counter in shared
 * memory in a tight loop, or records in shared memory that a read() came
 * back to it. PROCTERM_CMD_PENDING lists the armed requests, and
 * PROCTERM_CMD_CANCEL disarms one.
 *
 * Besides the tests, the program has two modes for deferred_unload_test.sh:
 *   deferred_test --arm PID [STATUS]   arm, print the request id
 *   deferred_test --cancel ID          cancel a request
 * Exit 0 on success, 1 on a refusal (the errno and the kernel's message go
 * to stderr), 2 on a usage error, 4 when the module is not loaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/elf.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "procterm_test.h"

/*
 * How long a target that runs all the time may take to die once armed, under
 * emulation: only a bound, not a timing test.
 */
#define SPIN_DEATH_MS	10000
/* How long a target that must not die is watched. */
#define WATCH_MS	1000
#define MAX_ROWS	256
#define NTHREADS	4	/* threads in the multithreaded target, leader included */

/* Exit codes a target uses when it ran user code it must never reach. */
#define RAN_AFTER_READ	77
#define RAN_THREAD	78

/* Memory shared between the test and its target (MAP_SHARED before fork). */
struct shared {
	volatile uint64_t counter;	/* incremented in a tight loop */
	volatile int returned;		/* a blocking read() came back to user code */
	volatile int nread;		/* what it returned */
	volatile int ntids;
	volatile pid_t tids[NTHREADS];
	volatile uint32_t futex_word;	/* never changes */
};

/* One PROCTERM_CMD_PENDING row. */
struct pending_row {
	uint64_t id;
	uint32_t pid;
	uint64_t start_time;
	bool has_flags;
	uint32_t flags;
	bool has_status;
	uint32_t status;
	bool has_armed_ns;
	uint64_t armed_ns;
	bool has_uid;
	uint32_t uid;
};

/* ---- small helpers ---------------------------------------------------- */

static int64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct shared *shared_map(void)
{
	void *p = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, sizeof(struct shared));
	return p;
}

/*
 * Wait for our child (or tracee) @pid to change state. 0 with the process
 * dead and reaped, 1 with a stop reported (status in *@status, still
 * alive), -ETIMEDOUT, or -errno.
 */
static int wait_event_ms(pid_t pid, int *status, int timeout_ms)
{
	int64_t deadline = pt_now_ms() + timeout_ms;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG | __WALL);

		if (r == pid)
			return WIFSTOPPED(*status) ? 1 : 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (pt_now_ms() > deadline)
			return -ETIMEDOUT;
		pt_sleep_ms(2);
	}
}

/* Our child died and was reaped within @timeout_ms; stops are not deaths. */
static int wait_death(pid_t pid, int *status, int timeout_ms)
{
	int64_t deadline = pt_now_ms() + timeout_ms;

	for (;;) {
		int left = (int)(deadline - pt_now_ms());
		int r = wait_event_ms(pid, status, left > 0 ? left : 0);

		if (r != 1)
			return r;
	}
}

/* SIGCONT and SIGKILL our child *@pid, traced or not, and reap it. */
static void reap(pid_t *pid)
{
	int status;

	if (*pid <= 0)
		return;
	kill(*pid, SIGCONT);
	kill(*pid, SIGKILL);
	wait_death(*pid, &status, PT_DEATH_MS);
	*pid = 0;
}

/* The counter moved past @from within @timeout_ms. */
static bool counter_moves(const struct shared *sh, uint64_t from, int timeout_ms)
{
	int64_t deadline = pt_now_ms() + timeout_ms;

	while (sh->counter == from) {
		if (pt_now_ms() > deadline)
			return false;
		pt_sleep_ms(1);
	}
	return true;
}

/*
 * The system call a blocked task sleeps in, from /proc/PID/task/TID/syscall:
 * its number, -1 when the task is running or the file says nothing useful,
 * -2 when the kernel has no such file.
 */
static long blocked_syscall(pid_t pid, pid_t tid)
{
	char path[96], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -2;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -2;
	buf[n] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return -1;
	return strtol(buf, NULL, 10);
}

/*
 * Thread @tid of @pid sleeps ('S') in system call @nr. Polls for up to
 * @timeout_ms. Kernels without /proc/.../syscall only get the state checked.
 */
static bool sleeps_in(pid_t pid, pid_t tid, long nr, int timeout_ms)
{
	int64_t deadline = pt_now_ms() + timeout_ms;
	struct pt_stat st;

	for (;;) {
		long sc = blocked_syscall(pid, tid);

		if (!pt_read_task_stat(pid, tid, &st) && st.state == 'S' &&
		    (sc == nr || sc == -2))
			return true;
		if (pt_now_ms() > deadline)
			return false;
		pt_sleep_ms(2);
	}
}

static char state_of(pid_t pid)
{
	struct pt_stat st;

	return pt_read_stat(pid, &st) ? '?' : st.state;
}

/* ---- netlink requests --------------------------------------------------- */

/*
 * The answer to one request: the ack's errno and extended-ack message, and
 * the attributes of the first data message (a PROCTERM_CMD_KILL reply).
 */
struct dreply {
	int err;			/* positive errno from the ack, 0: success */
	char msg[PT_EXTACK_LEN];	/* NLMSGERR_ATTR_MSG, "" when absent */
	int nreplies;
	bool has[PROCTERM_A_MAX + 1];
	uint16_t len[PROCTERM_A_MAX + 1];
	uint64_t u[PROCTERM_A_MAX + 1];	/* payload as a 1/2/4/8-byte integer */
};

/* Called for each data message answering the request; non-zero stops. */
typedef int (*data_fn)(const struct genlmsghdr *g, const unsigned char *attrs,
		       size_t len, void *ctx);

static void walk_attrs(const unsigned char *p, size_t len,
		       void (*fn)(uint16_t type, const unsigned char *d,
				  size_t plen, void *ctx), void *ctx)
{
	while (len >= NLA_HDRLEN) {
		const struct nlattr *nla = (const struct nlattr *)p;
		size_t alen = nla->nla_len;

		if (alen < NLA_HDRLEN || alen > len)
			break;
		fn(nla->nla_type & NLA_TYPE_MASK, p + NLA_HDRLEN,
		   alen - NLA_HDRLEN, ctx);
		if (NLA_ALIGN(alen) >= len)
			break;
		p += NLA_ALIGN(alen);
		len -= NLA_ALIGN(alen);
	}
}

static uint64_t attr_uint(const unsigned char *d, size_t plen)
{
	uint64_t v = 0;

	switch (plen) {
	case 1: v = *d; break;
	case 2: { uint16_t x; memcpy(&x, d, 2); v = x; break; }
	case 4: { uint32_t x; memcpy(&x, d, 4); v = x; break; }
	case 8: memcpy(&v, d, 8); break;
	}
	return v;
}

static void extack_attr(uint16_t type, const unsigned char *d, size_t plen,
			void *ctx)
{
	struct dreply *r = ctx;

	if (type == NLMSGERR_ATTR_MSG)
		snprintf(r->msg, sizeof(r->msg), "%.*s", (int)plen, (const char *)d);
}

static void reply_attr(uint16_t type, const unsigned char *d, size_t plen,
		       void *ctx)
{
	struct dreply *r = ctx;

	if (type > PROCTERM_A_MAX || r->has[type])
		return;
	r->has[type] = true;
	r->len[type] = (uint16_t)plen;
	r->u[type] = attr_uint(d, plen);
}

/* Extended-ack TLVs after a struct nlmsgerr. */
static void record_extack(struct dreply *r, const struct nlmsghdr *nlh)
{
	size_t off;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = pt_err_tlv_offset(nlh);
	if (off < nlh->nlmsg_len)
		walk_attrs((const unsigned char *)nlh + off, nlh->nlmsg_len - off,
			   extack_attr, r);
}

/*
 * Send @m and read its answer up to the ack (a doit) or NLMSG_DONE (a dump).
 * Data messages go to @fn, or when it is NULL the first one is recorded in
 * @r. Returns -r->err, or a negative errno of the socket (-EAGAIN: no answer
 * within 30 s).
 */
static int transact(struct pt_sock *s, struct pt_msg *m, struct dreply *r,
		    data_fn fn, void *ctx)
{
	static unsigned char buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
	uint32_t seq = pt_nlh(m)->nlmsg_seq;
	int64_t deadline = pt_now_ms() + 30000;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = pt_send(s, m->buf, m->len);
	if (ret)
		return ret;
	for (;;) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		int left = (int)(deadline - pt_now_ms()), len, pr;
		struct nlmsghdr *nlh;
		ssize_t got;

		pr = poll(&pfd, 1, left > 0 ? left : 0);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -errno;
		if (pr == 0)
			return -EAGAIN;
		got = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0)
			return -errno;
		len = (int)got;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			const struct genlmsghdr *g = NLMSG_DATA(nlh);

			if (nlh->nlmsg_seq != seq || nlh->nlmsg_type == NLMSG_NOOP)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR ||
			    nlh->nlmsg_type == NLMSG_DONE) {
				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					r->err = -*(const int *)NLMSG_DATA(nlh);
				if (nlh->nlmsg_type == NLMSG_ERROR)
					record_extack(r, nlh);
				return -r->err;
			}
			if (nlh->nlmsg_type != s->family ||
			    nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
				continue;
			if (fn) {
				ret = fn(g, (const unsigned char *)g + GENL_HDRLEN,
					 nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), ctx);
				if (ret)
					return ret;
			} else if (!r->nreplies) {
				walk_attrs((const unsigned char *)g + GENL_HDRLEN,
					   nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN),
					   reply_attr, r);
			}
			r->nreplies++;
		}
	}
}

/* Arm a deferred kill of @pid; the request id (0: none) goes to *@id. */
static int arm(struct pt_sock *s, pid_t pid, bool has_status, uint32_t status,
	       uint64_t *id, struct dreply *r)
{
	struct pt_msg m;
	int ret;

	pt_msg_init(&m, s, PROCTERM_CMD_KILL, 0);
	pt_put_u32(&m, PROCTERM_A_PID, (uint32_t)pid);
	if (has_status)
		pt_put_u32(&m, PROCTERM_A_EXIT_STATUS, status);
	pt_put_u32(&m, PROCTERM_A_FLAGS, PROCTERM_F_DEFERRED);
	ret = transact(s, &m, r, NULL, NULL);
	if (!ret && !r->nreplies)
		ret = -ENODATA;		/* acked without a reply */
	*id = (!ret && r->has[PROCTERM_A_REQUEST_ID] &&
	       r->len[PROCTERM_A_REQUEST_ID] == 8) ? r->u[PROCTERM_A_REQUEST_ID] : 0;
	return ret;
}

static int cancel(struct pt_sock *s, uint64_t id, struct dreply *r)
{
	struct pt_msg m;

	pt_msg_init(&m, s, PROCTERM_CMD_CANCEL, 0);
	pt_put_u64(&m, PROCTERM_A_REQUEST_ID, id);
	return transact(s, &m, r, NULL, NULL);
}

static void row_attr(uint16_t type, const unsigned char *d, size_t plen,
		     void *ctx)
{
	struct pending_row *row = ctx;
	uint64_t v = attr_uint(d, plen);

	switch (type) {
	case PROCTERM_A_REQUEST_ID: row->id = v; break;
	case PROCTERM_A_PID: row->pid = (uint32_t)v; break;
	case PROCTERM_A_START_TIME: row->start_time = v; break;
	case PROCTERM_A_FLAGS:
		row->has_flags = true;
		row->flags = (uint32_t)v;
		break;
	case PROCTERM_A_EXIT_STATUS:
		row->has_status = true;
		row->status = (uint32_t)v;
		break;
	case PROCTERM_A_ARMED_NS:
		row->has_armed_ns = true;
		row->armed_ns = v;
		break;
	case PROCTERM_A_REQUESTER_UID:
		row->has_uid = true;
		row->uid = (uint32_t)v;
		break;
	}
}

struct dump_ctx {
	struct pending_row *rows;
	int max;
	int n;
};

static int pending_row(const struct genlmsghdr *g, const unsigned char *attrs,
		       size_t len, void *p)
{
	struct dump_ctx *c = p;

	if (g->cmd != PROCTERM_CMD_PENDING)
		return -EPROTO;
	if (c->n < c->max) {
		memset(&c->rows[c->n], 0, sizeof(c->rows[c->n]));
		walk_attrs(attrs, len, row_attr, &c->rows[c->n]);
	}
	c->n++;
	return 0;
}

/*
 * Dump PROCTERM_CMD_PENDING into @rows (at most @max; *@n counts them all).
 * 0 or a negative errno from the kernel or the socket.
 */
static int pending(struct pt_sock *s, struct pending_row *rows, int max, int *n)
{
	struct dump_ctx c = { .rows = rows, .max = max };
	struct dreply r;
	struct pt_msg m;
	int ret;

	pt_msg_init(&m, s, PROCTERM_CMD_PENDING, NLM_F_DUMP);
	ret = transact(s, &m, &r, pending_row, &c);
	*n = c.n;
	return ret;
}

/*
 * Look request @id up in a fresh dump: 1 listed (copied to *@out when not
 * NULL), 0 not listed, or a negative errno.
 */
static int pending_find(struct pt_sock *s, uint64_t id, struct pending_row *out)
{
	static struct pending_row rows[MAX_ROWS];
	int n, i, ret;

	ret = pending(s, rows, MAX_ROWS, &n);
	if (ret)
		return ret;
	for (i = 0; i < n && i < MAX_ROWS; i++) {
		if (rows[i].id == id) {
			if (out)
				*out = rows[i];
			return 1;
		}
	}
	return 0;
}

/* Rows naming @pid in a fresh dump, or a negative errno. */
static int pending_count_pid(struct pt_sock *s, pid_t pid, struct pending_row *out)
{
	static struct pending_row rows[MAX_ROWS];
	int n, i, ret, found = 0;

	ret = pending(s, rows, MAX_ROWS, &n);
	if (ret)
		return ret;
	for (i = 0; i < n && i < MAX_ROWS; i++) {
		if (rows[i].pid == (uint32_t)pid) {
			if (out && !found)
				*out = rows[i];
			found++;
		}
	}
	return found;
}

/* ---- targets ------------------------------------------------------------ */

struct target_arg {
	struct shared *sh;
	int fd;			/* the pipe a reader reads */
	bool set_uid;
	uid_t uid;
	bool wake_leader;	/* threads: the leader is the thread woken */
	int idle_fd;		/* threads: a pipe that never gets data */
};

/* Increment the shared counter as fast as possible, forever. */
static int spin_body(int ready_fd, void *p)
{
	struct target_arg *a = p;

	if (a->set_uid && pt_set_uids(a->uid, a->uid, a->uid))
		return 124;
	/* Keep the test itself responsive on two emulated CPUs. */
	setpriority(PRIO_PROCESS, 0, 19);
	pt_ready(ready_fd);
	for (;;)
		a->sh->counter++;
}

/* Block in read(); reaching user code again is recorded and ends it. */
static int reader_body(int ready_fd, void *p)
{
	struct target_arg *a = p;
	char buf[64];
	ssize_t n;

	pt_ready(ready_fd);
	n = read(a->fd, buf, sizeof(buf));
	a->sh->nread = (int)n;
	a->sh->returned = 1;
	return RAN_AFTER_READ;
}

/* Slots in shared->tids: the leader, the other reader, the two waiters. */
enum { SLOT_LEADER, SLOT_READER, SLOT_COND, SLOT_FUTEX };

static void register_tid(struct shared *sh, int slot)
{
	sh->tids[slot] = (pid_t)syscall(SYS_gettid);
	__sync_fetch_and_add(&sh->ntids, 1);
}

static pthread_mutex_t thr_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t thr_cond = PTHREAD_COND_INITIALIZER;

static void *thr_reader(void *p)
{
	struct target_arg *a = p;
	int fd = a->wake_leader ? a->idle_fd : a->fd;
	char buf[64];
	ssize_t n;

	register_tid(a->sh, SLOT_READER);
	n = read(fd, buf, sizeof(buf));
	a->sh->nread = (int)n;
	a->sh->returned = 1;
	_exit(RAN_THREAD);
}

static void *thr_cond_waiter(void *p)
{
	struct target_arg *a = p;

	pthread_mutex_lock(&thr_mutex);
	register_tid(a->sh, SLOT_COND);
	for (;;)
		pthread_cond_wait(&thr_cond, &thr_mutex);
	return NULL;
}

static void *thr_futex_waiter(void *p)
{
	struct target_arg *a = p;

	register_tid(a->sh, SLOT_FUTEX);
	for (;;)
		syscall(SYS_futex, &a->sh->futex_word, FUTEX_WAIT_PRIVATE, 0,
			NULL, NULL, 0);
	return NULL;
}

/*
 * Four threads, each blocked for good: the leader and one other thread in
 * read() on two pipes, one in pthread_cond_wait(), one in FUTEX_WAIT. Only
 * the test writes to a pipe, and only to the one of the thread it wakes.
 */
static int threads_body(int ready_fd, void *p)
{
	struct target_arg *a = p;
	void *(*fn[])(void *) = { thr_reader, thr_cond_waiter, thr_futex_waiter };
	int fd = a->wake_leader ? a->fd : a->idle_fd;
	pthread_t t;
	char buf[64];
	size_t i;
	ssize_t n;

	register_tid(a->sh, SLOT_LEADER);
	for (i = 0; i < sizeof(fn) / sizeof(fn[0]); i++)
		if (pthread_create(&t, NULL, fn[i], a))
			return 120;
	while (a->sh->ntids < NTHREADS)
		sched_yield();
	pt_ready(ready_fd);
	n = read(fd, buf, sizeof(buf));
	a->sh->nread = (int)n;
	a->sh->returned = 1;
	return RAN_AFTER_READ;
}

/* ---- assertions ---------------------------------------------------------- */

/* The request was armed: the reply carries a request id and the target. */
#define ASSERT_ARMED(_ret, _r, _id, _pid) do {				\
	ASSERT_PT_FEATURE("exit status", (_ret), (_r).msg);		\
	ASSERT_PT_OK(_ret, _r);						\
	ASSERT_TRUE((_r).has[PROCTERM_A_REQUEST_ID])			\
		TH_LOG("a deferred request without PROCTERM_A_REQUEST_ID in the reply"); \
	ASSERT_EQ(8, (_r).len[PROCTERM_A_REQUEST_ID]);			\
	ASSERT_NE(0ULL, (unsigned long long)(_id));			\
	EXPECT_EQ((uint64_t)(_pid), (_r).u[PROCTERM_A_PID]);		\
	EXPECT_EQ(1ULL, (_r).u[PROCTERM_A_COUNT]);			\
} while (0)

/* Our child @_pid is neither dead nor waiting to be reaped. */
#define ASSERT_ALIVE(_pid, _what) do {					\
	ASSERT_TRUE(pt_pid_alive(_pid) && !pt_child_exited(_pid))	\
		TH_LOG("the target died %s", (_what));			\
} while (0)

#define ASSERT_DEAD_WITHIN(_pid, _status, _ms) do {			\
	int __r = wait_death((_pid), &(_status), (_ms));		\
	ASSERT_EQ(0, __r) TH_LOG("PID %d did not die within %d ms: %s (state %c)", \
				 (int)(_pid), (_ms), pt_errname(__r),	\
				 state_of(_pid));			\
} while (0)

/* The parent's view: exit code @_code, or SIGKILL when @_has is false. */
#define ASSERT_STATUS(_has, _code, _status) do {			\
	if (_has)							\
		ASSERT_EXITED_WITH((_code) & 0xff, _status);		\
	else								\
		ASSERT_KILLED_BY_SIGKILL(_status);			\
} while (0)

/* ---- the common fixture ------------------------------------------------- */

FIXTURE(deferred) {
	struct pt_sock nl;
	struct shared *sh;
	pid_t child;
	pid_t requester;
	int pipe_r, pipe_w;	/* the target's input */
	int result_fd;
};

FIXTURE_SETUP(deferred)
{
	int p[2];

	memset(self, 0, sizeof(*self));
	self->nl.fd = -1;
	self->pipe_r = self->pipe_w = self->result_fd = -1;
	PT_OPEN_OR_SKIP(&self->nl);
	self->sh = shared_map();
	ASSERT_NE(NULL, self->sh);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	self->pipe_r = p[0];
	self->pipe_w = p[1];
}

FIXTURE_TEARDOWN(deferred)
{
	reap(&self->requester);
	reap(&self->child);
	if (self->pipe_r >= 0)
		close(self->pipe_r);
	if (self->pipe_w >= 0)
		close(self->pipe_w);
	if (self->result_fd >= 0)
		close(self->result_fd);
	if (self->sh)
		munmap(self->sh, sizeof(*self->sh));
	pt_close(&self->nl);
}

/*
 * Start a spinning target, see its counter move, SIGSTOP it and wait for
 * 'T'. Returns the counter value frozen by the stop.
 */
static uint64_t spawn_stopped_spinner(struct __test_metadata *_metadata,
				      FIXTURE_DATA(deferred) *self,
				      struct target_arg *a)
{
	uint64_t c;

	a->sh = self->sh;
	self->child = pt_spawn(spin_body, a, NULL, 1);
	EXPECT_LT(0, self->child);
	if (self->child <= 0) {
		self->child = 0;
		return 0;
	}
	EXPECT_TRUE(counter_moves(self->sh, 0, PT_DEATH_MS))
		TH_LOG("the spinning target never ran");
	EXPECT_EQ(0, kill(self->child, SIGSTOP));
	EXPECT_EQ(0, pt_wait_state(self->child, 'T', PT_DEATH_MS))
		TH_LOG("the target did not stop (state %c)", state_of(self->child));
	c = self->sh->counter;
	/* Stopped means frozen: otherwise the counter checks prove nothing. */
	pt_sleep_ms(50);
	EXPECT_EQ(c, self->sh->counter) TH_LOG("the counter moves while stopped");
	return self->sh->counter;
}

/* Start a target blocked in read() on self->pipe_r; wait until it sleeps there. */
static pid_t spawn_reader(struct __test_metadata *_metadata,
			  FIXTURE_DATA(deferred) *self)
{
	struct target_arg a = { .sh = self->sh, .fd = self->pipe_r };
	pid_t pid = pt_spawn(reader_body, &a, NULL, 1);

	if (pid <= 0)
		return pid;
	self->child = pid;
	EXPECT_TRUE(sleeps_in(pid, pid, SYS_read, PT_DEATH_MS))
		TH_LOG("the reader is not blocked in read() (state %c)", state_of(pid));
	return pid;
}

/*
 * A stopped target stays stopped, then dies on SIGCONT before its loop runs
 * again: exit status requested, none (SIGKILL), or a full 32-bit one.
 */
FIXTURE(stopped) {
	struct pt_sock nl;
	struct shared *sh;
	pid_t child;
};

FIXTURE_VARIANT(stopped) {
	bool has_status;
	uint32_t status;
};

FIXTURE_VARIANT_ADD(stopped, status_42) { .has_status = true, .status = 42 };
FIXTURE_VARIANT_ADD(stopped, no_status_sigkill) { .has_status = false };
FIXTURE_VARIANT_ADD(stopped, ntstatus) { .has_status = true, .status = 0xC0000005 };

FIXTURE_SETUP(stopped)
{
	memset(self, 0, sizeof(*self));
	self->nl.fd = -1;
	PT_OPEN_OR_SKIP(&self->nl);
	self->sh = shared_map();
	ASSERT_NE(NULL, self->sh);
}

FIXTURE_TEARDOWN(stopped)
{
	reap(&self->child);
	if (self->sh)
		munmap(self->sh, sizeof(*self->sh));
	pt_close(&self->nl);
}

TEST_F_TIMEOUT(stopped, dies_on_sigcont_without_running, PT_TIMEOUT(90))
{
	struct target_arg a = { .sh = self->sh };
	struct pending_row row;
	struct dreply r;
	struct pt_stat st;
	uint64_t frozen, id;
	int ret, status;
	pid_t pid;

	self->child = pid = pt_spawn(spin_body, &a, NULL, 1);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(counter_moves(self->sh, 0, PT_DEATH_MS))
		TH_LOG("the spinning target never ran");
	ASSERT_EQ(0, kill(pid, SIGSTOP));
	ASSERT_EQ(0, pt_wait_state(pid, 'T', PT_DEATH_MS));
	frozen = self->sh->counter;

	ret = arm(&self->nl, pid, variant->has_status, variant->status, &id, &r);
	ASSERT_ARMED(ret, r, id, pid);
	if (variant->has_status) {
		ASSERT_TRUE(r.has[PROCTERM_A_EXIT_STATUS]);
		EXPECT_EQ((uint64_t)variant->status, r.u[PROCTERM_A_EXIT_STATUS]);
	} else {
		EXPECT_FALSE(r.has[PROCTERM_A_EXIT_STATUS]);
	}

	/* Arming neither killed, woke nor continued it. */
	pt_sleep_ms(WATCH_MS);
	ASSERT_ALIVE(pid, "while stopped, without ever running");
	ASSERT_EQ(0, pt_read_stat(pid, &st));
	ASSERT_EQ('T', st.state) TH_LOG("state %c one second after arming", st.state);
	ASSERT_EQ(frozen, self->sh->counter);
	ASSERT_EQ(1, pending_find(&self->nl, id, &row));

	ASSERT_EQ(0, kill(pid, SIGCONT));
	ASSERT_DEAD_WITHIN(pid, status, PT_DEATH_MS);
	self->child = 0;
	EXPECT_EQ(frozen, self->sh->counter)
		TH_LOG("the target ran %" PRIu64 " loop iterations after SIGCONT",
		       self->sh->counter - frozen);
	ASSERT_STATUS(variant->has_status, variant->status, status);
	/* Its work has run: the request is gone. */
	EXPECT_EQ(0, pending_find(&self->nl, id, NULL));
}

/*
 * Under ptrace: the tracer interrupts the target into a ptrace stop, arms,
 * can still read its registers and memory, and the target dies as soon as
 * the tracer lets it go (PTRACE_CONT, or PTRACE_DETACH).
 */
FIXTURE(traced) {
	struct pt_sock nl;
	struct shared *sh;
	pid_t child;
};

FIXTURE_VARIANT(traced) {
	bool detach;
};

FIXTURE_VARIANT_ADD(traced, cont) { .detach = false };
FIXTURE_VARIANT_ADD(traced, detach) { .detach = true };

FIXTURE_SETUP(traced)
{
	memset(self, 0, sizeof(*self));
	self->nl.fd = -1;
	PT_OPEN_OR_SKIP(&self->nl);
	self->sh = shared_map();
	ASSERT_NE(NULL, self->sh);
}

FIXTURE_TEARDOWN(traced)
{
	/* SIGKILL ends a tracee too; reap() waits with __WALL. */
	reap(&self->child);
	if (self->sh)
		munmap(self->sh, sizeof(*self->sh));
	pt_close(&self->nl);
}

/* Read the general registers of a stopped tracee; 0 or -errno. */
static int get_regs(pid_t pid, unsigned long *pc)
{
#if defined(__x86_64__)
	struct user_regs_struct regs;

	if (ptrace(PTRACE_GETREGS, pid, NULL, &regs))
		return -errno;
	*pc = regs.rip;
	return 0;
#else
	struct user_regs_struct regs;
	struct iovec iov = { .iov_base = &regs, .iov_len = sizeof(regs) };

	if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov))
		return -errno;
	*pc = 1;
	return 0;
#endif
}

TEST_F_TIMEOUT(traced, dies_when_tracer_resumes, PT_TIMEOUT(90))
{
	struct target_arg a = { .sh = self->sh };
	struct dreply r;
	struct pt_stat st;
	uint64_t frozen, id;
	unsigned long pc = 0;
	long word;
	int ret, status;
	pid_t pid;

	self->child = pid = pt_spawn(spin_body, &a, NULL, 1);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(counter_moves(self->sh, 0, PT_DEATH_MS));

	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, pid, NULL, NULL))
		TH_LOG("PTRACE_SEIZE: %s", strerror(errno));
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, pid, NULL, NULL));
	ASSERT_EQ(1, wait_event_ms(pid, &status, PT_DEATH_MS));
	ASSERT_EQ(SIGTRAP | (PTRACE_EVENT_STOP << 8), status >> 8)
		TH_LOG("not the PTRACE_INTERRUPT stop: status 0x%x", status);
	ASSERT_EQ(0, pt_wait_state(pid, 't', PT_DEATH_MS))
		TH_LOG("state %c, not a ptrace stop", state_of(pid));
	frozen = self->sh->counter;

	ret = arm(&self->nl, pid, true, 42, &id, &r);
	ASSERT_ARMED(ret, r, id, pid);

	pt_sleep_ms(WATCH_MS);
	ASSERT_ALIVE(pid, "in its ptrace stop");
	ASSERT_EQ(0, pt_read_stat(pid, &st));
	ASSERT_EQ('t', st.state) TH_LOG("state %c one second after arming", st.state);

	/* The tracer can still inspect it. */
	ret = get_regs(pid, &pc);
	ASSERT_EQ(0, ret) TH_LOG("reading the registers after arming: %s",
				 strerror(-ret));
	ASSERT_NE(0UL, pc);
	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, pid, (void *)&self->sh->counter, NULL);
	ASSERT_EQ(0, errno) TH_LOG("PTRACE_PEEKDATA: %s", strerror(errno));
	if (sizeof(long) == sizeof(uint64_t)) {
		EXPECT_EQ((long)frozen, word);
	}
	ASSERT_ALIVE(pid, "while its tracer read it");
	ASSERT_EQ(frozen, self->sh->counter);

	ret = ptrace(variant->detach ? PTRACE_DETACH : PTRACE_CONT, pid, NULL, NULL);
	ASSERT_EQ(0, ret) TH_LOG("resuming the tracee: %s", strerror(errno));
	ret = wait_event_ms(pid, &status, PT_DEATH_MS);
	ASSERT_EQ(0, ret) TH_LOG("%s instead of death (status 0x%x, state %c)",
				 ret == 1 ? "another stop" : pt_errname(ret),
				 status, state_of(pid));
	self->child = 0;
	EXPECT_EQ(frozen, self->sh->counter)
		TH_LOG("the target ran %" PRIu64 " loop iterations after the tracer resumed it",
		       self->sh->counter - frozen);
	ASSERT_EXITED_WITH(42, status);
}

/*
 * A sleeper keeps sleeping: a target blocked in read() on an empty pipe is
 * still there, asleep in read(), a second after arming. Data makes read()
 * return, and the target dies before its code sees the data.
 */
TEST_F_TIMEOUT(deferred, blocked_reader_dies_before_seeing_data, PT_TIMEOUT(90))
{
	static const char payload[] = "wake up";
	struct dreply r;
	uint64_t id;
	int ret, status;
	pid_t pid;

	pid = spawn_reader(_metadata, self);
	ASSERT_LT(0, pid);

	ret = arm(&self->nl, pid, true, 17, &id, &r);
	ASSERT_ARMED(ret, r, id, pid);

	pt_sleep_ms(WATCH_MS);
	ASSERT_ALIVE(pid, "while blocked in read()");
	ASSERT_TRUE(sleeps_in(pid, pid, SYS_read, 0))
		TH_LOG("arming woke the reader (state %c)", state_of(pid));
	ASSERT_EQ(0, self->sh->returned);

	ASSERT_EQ((ssize_t)sizeof(payload), write(self->pipe_w, payload, sizeof(payload)));
	ASSERT_DEAD_WITHIN(pid, status, PT_DEATH_MS);
	self->child = 0;
	EXPECT_EQ(0, self->sh->returned)
		TH_LOG("read() returned %d bytes to the target's code", self->sh->nread);
	ASSERT_EXITED_WITH(17, status);
}

/* A process running in user mode all the time dies promptly. */
TEST_F_TIMEOUT(deferred, spinning_target_dies, PT_TIMEOUT(60))
{
	struct target_arg a = { .sh = self->sh };
	struct dreply r;
	uint64_t id;
	int ret, status;
	pid_t pid;

	self->child = pid = pt_spawn(spin_body, &a, NULL, 1);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(counter_moves(self->sh, 0, PT_DEATH_MS));

	ret = arm(&self->nl, pid, true, 3, &id, &r);
	ASSERT_ARMED(ret, r, id, pid);
	ASSERT_DEAD_WITHIN(pid, status, SPIN_DEATH_MS);
	self->child = 0;
	ASSERT_EXITED_WITH(3, status);
	EXPECT_EQ(0, pending_find(&self->nl, id, NULL));
}

/*
 * Cancelled: the target runs on. After SIGCONT its counter moves and it is
 * alive a second later; killed afterwards it dies of that kill, not of the
 * cancelled request's status.
 */
TEST_F_TIMEOUT(deferred, cancel_lets_target_run, PT_TIMEOUT(90))
{
	struct target_arg a = { 0 };
	struct dreply r;
	uint64_t frozen, id;
	int ret, status;
	pid_t pid;

	frozen = spawn_stopped_spinner(_metadata, self, &a);
	pid = self->child;
	ASSERT_LT(0, pid);

	ret = arm(&self->nl, pid, true, 42, &id, &r);
	ASSERT_ARMED(ret, r, id, pid);
	ASSERT_EQ(1, pending_find(&self->nl, id, NULL));

	ret = cancel(&self->nl, id, &r);
	ASSERT_PT_OK(ret, r);
	ASSERT_EQ(0, pending_find(&self->nl, id, NULL))
		TH_LOG("the cancelled request is still listed");

	ASSERT_EQ(0, kill(pid, SIGCONT));
	ASSERT_TRUE(counter_moves(self->sh, frozen, PT_DEATH_MS))
		TH_LOG("the counter stays at %" PRIu64 " after SIGCONT (state %c)",
		       frozen, state_of(pid));
	pt_sleep_ms(WATCH_MS);
	ASSERT_ALIVE(pid, "although its request was cancelled");
	ASSERT_NE('T', state_of(pid));
	ASSERT_EQ(0, pending_count_pid(&self->nl, pid, NULL));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_DEAD_WITHIN(pid, status, PT_DEATH_MS);
	self->child = 0;
	ASSERT_KILLED_BY_SIGKILL(status);
}

/* After a cancel the process can be armed again, and the new request holds. */
TEST_F_TIMEOUT(deferred, rearm_after_cancel, PT_TIMEOUT(90))
{
	struct target_arg a = { 0 };
	struct dreply r;
	uint64_t frozen, id1, id2;
	int ret, status;
	pid_t pid;

	frozen = spawn_stopped_spinner(_metadata, self, &a);
	pid = self->child;
	ASSERT_LT(0, pid);

	ret = arm(&self->nl, pid, true, 1, &id1, &r);
	ASSERT_ARMED(ret, r, id1, pid);
	ret = cancel(&self->nl, id1, &r);
	ASSERT_PT_OK(ret, r);
	ret = arm(&self->nl, pid, true, 2, &id2, &r);
	ASSERT_ARMED(ret, r, id2, pid);
	EXPECT_NE(id1, id2) TH_LOG("two requests share id %" PRIu64, id1);
	ASSERT_EQ(0, pending_find(&self->nl, id1, NULL));
	ASSERT_EQ(1, pending_find(&self->nl, id2, NULL));

	ASSERT_EQ(0, kill(pid, SIGCONT));
	ASSERT_DEAD_WITHIN(pid, status, PT_DEATH_MS);
	self->child = 0;
	EXPECT_EQ(frozen, self->sh->counter);
	ASSERT_EXITED_WITH(2, status);
}

TEST_F_TIMEOUT(deferred, cancel_unknown_id_is_enoent, PT_TIMEOUT(60))
{
	struct target_arg a = { 0 };
	struct dreply r;
	uint64_t id;
	int ret;

	ret = cancel(&self->nl, UINT64_MAX - 1, &r);
	ASSERT_PT_ERROR(ENOENT, ret, r);

	/* An id that existed: cancelled once, then unknown. */
	spawn_stopped_spinner(_metadata, self, &a);
	ASSERT_LT(0, self->child);
	ret = arm(&self->nl, self->child, false, 0, &id, &r);
	ASSERT_ARMED(ret, r, id, self->child);
	ret = cancel(&self->nl, id, &r);
	ASSERT_PT_OK(ret, r);
	ret = cancel(&self->nl, id, &r);
	ASSERT_PT_ERROR(ENOENT, ret, r);
	/* The next id has not been handed out yet. */
	ret = cancel(&self->nl, id + 1000000, &r);
	ASSERT_PT_ERROR(ENOENT, ret, r);
}

/* PROCTERM_CMD_PENDING describes an armed request completely. */
TEST_F_TIMEOUT(deferred, pending_lists_request, PT_TIMEOUT(60))
{
	struct target_arg a = { 0 };
	struct pending_row row;
	struct dreply r;
	struct pt_stat st;
	int64_t before, after;
	uint64_t id;
	int ret;
	pid_t pid;

	spawn_stopped_spinner(_metadata, self, &a);
	pid = self->child;
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, pt_read_stat(pid, &st));
	ASSERT_EQ(0, pending_count_pid(&self->nl, pid, NULL));

	before = clock_ns(CLOCK_BOOTTIME);
	ret = arm(&self->nl, pid, true, 0xC0000017, &id, &r);
	after = clock_ns(CLOCK_BOOTTIME);
	ASSERT_ARMED(ret, r, id, pid);
	EXPECT_EQ((uint64_t)st.start_time, r.u[PROCTERM_A_START_TIME]);

	ASSERT_EQ(1, pending_find(&self->nl, id, &row))
		TH_LOG("armed request %" PRIu64 " is not listed", id);
	EXPECT_EQ((uint32_t)pid, row.pid);
	EXPECT_EQ((uint64_t)st.start_time, row.start_time)
		TH_LOG("start time %" PRIu64 ", /proc says %llu", row.start_time,
		       st.start_time);
	ASSERT_TRUE(row.has_status);
	EXPECT_EQ(0xC0000017U, row.status);
	ASSERT_TRUE(row.has_flags);
	EXPECT_EQ((uint32_t)PROCTERM_F_DEFERRED, row.flags);
	ASSERT_TRUE(row.has_armed_ns);
	EXPECT_LE((uint64_t)before, row.armed_ns);
	EXPECT_GE((uint64_t)after, row.armed_ns);
	ASSERT_TRUE(row.has_uid);
	EXPECT_EQ((uint32_t)getuid(), row.uid);
	EXPECT_EQ(1, pending_count_pid(&self->nl, pid, NULL));

	ret = cancel(&self->nl, id, &r);
	ASSERT_PT_OK(ret, r);
	EXPECT_EQ(0, pending_find(&self->nl, id, NULL));
	EXPECT_EQ(0, pending_count_pid(&self->nl, pid, NULL));
}

/* Without PROCTERM_A_EXIT_STATUS the row has none either (SIGKILL). */
TEST_F_TIMEOUT(deferred, pending_without_status, PT_TIMEOUT(60))
{
	struct target_arg a = { 0 };
	struct pending_row row;
	struct dreply r;
	uint64_t id;
	int ret;

	spawn_stopped_spinner(_metadata, self, &a);
	ASSERT_LT(0, self->child);
	ret = arm(&self->nl, self->child, false, 0, &id, &r);
	ASSERT_ARMED(ret, r, id, self->child);
	ASSERT_EQ(1, pending_find(&self->nl, id, &row));
	EXPECT_FALSE(row.has_status) TH_LOG("status %u listed, none requested", row.status);
	EXPECT_EQ((uint32_t)self->child, row.pid);
}

/*
 * A target killed by someone else before it ever ran: it dies of that
 * SIGKILL (the armed status is not applied) and the request goes away.
 */
FIXTURE(killed) {
	struct pt_sock nl;
	struct shared *sh;
	pid_t child;
	int pipe_r, pipe_w;
};

FIXTURE_VARIANT(killed) {
	bool stopped;	/* else asleep in read() */
};

FIXTURE_VARIANT_ADD(killed, stopped) { .stopped = true };
FIXTURE_VARIANT_ADD(killed, sleeping) { .stopped = false };

FIXTURE_SETUP(killed)
{
	int p[2];

	memset(self, 0, sizeof(*self));
	self->nl.fd = -1;
	self->pipe_r = self->pipe_w = -1;
	PT_OPEN_OR_SKIP(&self->nl);
	self->sh = shared_map();
	ASSERT_NE(NULL, self->sh);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	self->pipe_r = p[0];
	self->pipe_w = p[1];
}

FIXTURE_TEARDOWN(killed)
{
	reap(&self->child);
	if (self->pipe_r >= 0)
		close(self->pipe_r);
	if (self->pipe_w >= 0)
		close(self->pipe_w);
	if (self->sh)
		munmap(self->sh, sizeof(*self->sh));
	pt_close(&self->nl);
}

TEST_F_TIMEOUT(killed, sigkill_wins_and_request_goes, PT_TIMEOUT(60))
{
	struct target_arg a = { .sh = self->sh, .fd = self->pipe_r };
	struct dreply r;
	uint64_t id;
	int ret, status;
	pid_t pid;

	if (variant->stopped) {
		self->child = pid = pt_spawn(spin_body, &a, NULL, 1);
		ASSERT_LT(0, pid);
		ASSERT_TRUE(counter_moves(self->sh, 0, PT_DEATH_MS));
		ASSERT_EQ(0, kill(pid, SIGSTOP));
		ASSERT_EQ(0, pt_wait_state(pid, 'T', PT_DEATH_MS));
	} else {
		self->child = pid = pt_spawn(reader_body, &a, NULL, 1);
		ASSERT_LT(0, pid);
		ASSERT_TRUE(sleeps_in(pid, pid, SYS_read, PT_DEATH_MS));
	}

	ret = arm(&self->nl, pid, true, 42, &id, &r);
	ASSERT_ARMED(ret, r, id, pid);
	ASSERT_EQ(1, pending_find(&self->nl, id, NULL));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_DEAD_WITHIN(pid, status, PT_DEATH_MS);
	self->child = 0;
	/* Dead and reaped: every thread has run its works. */
	EXPECT_EQ(0, pending_find(&self->nl, id, NULL))
		TH_LOG("request %" PRIu64 " still listed after its target died", id);
	EXPECT_EQ(0, pending_count_pid(&self->nl, pid, NULL));
	EXPECT_EQ(0, self->sh->returned);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("killed by SIGKILL before it ran, yet the parent sees %s %d",
		       WIFEXITED(status) ? "exit code" : "signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/* A second request for an armed process is refused; the first one holds. */
TEST_F_TIMEOUT(deferred, arm_twice_is_ealready, PT_TIMEOUT(60))
{
	struct target_arg a = { 0 };
	struct pending_row row;
	struct dreply r;
	uint64_t frozen, id, id2;
	int ret, status;
	pid_t pid;

	frozen = spawn_stopped_spinner(_metadata, self, &a);
	pid = self->child;
	ASSERT_LT(0, pid);

	ret = arm(&self->nl, pid, true, 11, &id, &r);
	ASSERT_ARMED(ret, r, id, pid);
	ret = arm(&self->nl, pid, true, 22, &id2, &r);
	ASSERT_PT_ERROR(EALREADY, ret, r);
	EXPECT_FALSE(r.has[PROCTERM_A_REQUEST_ID]);
	/* Also without a status. */
	ret = arm(&self->nl, pid, false, 0, &id2, &r);
	ASSERT_PT_ERROR(EALREADY, ret, r);

	ASSERT_EQ(1, pending_count_pid(&self->nl, pid, &row));
	EXPECT_EQ(id, row.id);
	EXPECT_EQ(11U, row.status);
	ASSERT_ALIVE(pid, "when a second request was refused");
	ASSERT_EQ('T', state_of(pid));

	ASSERT_EQ(0, kill(pid, SIGCONT));
	ASSERT_DEAD_WITHIN(pid, status, PT_DEATH_MS);
	self->child = 0;
	EXPECT_EQ(frozen, self->sh->counter);
	ASSERT_EXITED_WITH(11, status);
}

TEST_F(deferred, unknown_pid_is_esrch)
{
	struct dreply r;
	uint64_t id;
	pid_t pid;
	int ret;

	pid = pt_unused_pid();
	ASSERT_LT(0, pid);
	ret = arm(&self->nl, pid, true, 1, &id, &r);
	ASSERT_PT_ERROR(ESRCH, ret, r);
	EXPECT_FALSE(r.has[PROCTERM_A_REQUEST_ID]);
	EXPECT_EQ(0, pending_count_pid(&self->nl, pid, NULL));
}

/*
 * Four threads, every one blocked; only the one the test wakes ever returns
 * to user mode, and with it the whole process dies.
 */
FIXTURE(threads) {
	struct pt_sock nl;
	struct shared *sh;
	pid_t child;
	int wake_r, wake_w, idle_r, idle_w;
};

FIXTURE_VARIANT(threads) {
	bool wake_leader;
};

FIXTURE_VARIANT_ADD(threads, wake_other_thread) { .wake_leader = false };
FIXTURE_VARIANT_ADD(threads, wake_leader) { .wake_leader = true };

FIXTURE_SETUP(threads)
{
	int p[2], q[2];

	memset(self, 0, sizeof(*self));
	self->nl.fd = -1;
	self->wake_r = self->wake_w = self->idle_r = self->idle_w = -1;
	PT_OPEN_OR_SKIP(&self->nl);
	self->sh = shared_map();
	ASSERT_NE(NULL, self->sh);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	self->wake_r = p[0];
	self->wake_w = p[1];
	ASSERT_EQ(0, pipe2(q, O_CLOEXEC));
	self->idle_r = q[0];
	self->idle_w = q[1];
}

FIXTURE_TEARDOWN(threads)
{
	reap(&self->child);
	if (self->wake_r >= 0)
		close(self->wake_r);
	if (self->wake_w >= 0)
		close(self->wake_w);
	if (self->idle_r >= 0)
		close(self->idle_r);
	if (self->idle_w >= 0)
		close(self->idle_w);
	if (self->sh)
		munmap(self->sh, sizeof(*self->sh));
	pt_close(&self->nl);
}

/* Every thread of @pid asleep in the system call it is meant to block in. */
static bool all_blocked(const struct shared *sh, pid_t pid, int timeout_ms)
{
	static const long want[NTHREADS] = {
		[SLOT_LEADER] = SYS_read, [SLOT_READER] = SYS_read,
		[SLOT_COND] = SYS_futex, [SLOT_FUTEX] = SYS_futex,
	};
	int i;

	for (i = 0; i < NTHREADS; i++)
		if (!sleeps_in(pid, sh->tids[i], want[i], timeout_ms))
			return false;
	return true;
}

TEST_F_TIMEOUT(threads, one_thread_wakes_process_dies, PT_TIMEOUT(90))
{
	static const char payload[] = "one";
	struct target_arg a = {
		.sh = self->sh,
		.fd = self->wake_r,
		.idle_fd = self->idle_r,
		.wake_leader = variant->wake_leader,
	};
	struct dreply r;
	uint64_t id;
	int ret, status, i;
	pid_t pid;

	self->child = pid = pt_spawn(threads_body, &a, NULL, 1);
	ASSERT_LT(0, pid);
	ASSERT_EQ(NTHREADS, self->sh->ntids);
	for (i = 0; i < NTHREADS; i++)
		ASSERT_LT(0, self->sh->tids[i]);
	ASSERT_EQ(pid, self->sh->tids[0]);
	ASSERT_EQ(NTHREADS, pt_thread_count(pid));
	ASSERT_TRUE(all_blocked(self->sh, pid, PT_DEATH_MS))
		TH_LOG("not every thread is blocked yet");

	ret = arm(&self->nl, pid, true, 0x5A, &id, &r);
	ASSERT_ARMED(ret, r, id, pid);

	pt_sleep_ms(WATCH_MS);
	ASSERT_ALIVE(pid, "while all its threads were blocked");
	ASSERT_EQ(NTHREADS, pt_thread_count(pid));
	ASSERT_TRUE(all_blocked(self->sh, pid, 0))
		TH_LOG("arming woke a thread");
	ASSERT_EQ(0, self->sh->returned);

	ASSERT_EQ((ssize_t)sizeof(payload), write(self->wake_w, payload, sizeof(payload)));
	ASSERT_DEAD_WITHIN(pid, status, PT_DEATH_MS);
	self->child = 0;
	EXPECT_EQ(0, self->sh->returned)
		TH_LOG("the woken thread's read() returned %d to its code", self->sh->nread);
	ASSERT_EXITED_WITH(0x5A, status);
	EXPECT_EQ(0, pending_find(&self->nl, id, NULL));
}

/* ---- other users ---------------------------------------------------------- */

enum req_op { REQ_ARM, REQ_SNOOP };

struct req_arg {
	enum req_op op;
	pid_t target;
	uint64_t id;		/* REQ_SNOOP: the request to look for and cancel */
	int result_fd;
};

struct req_result {
	int stage;		/* 0: everything ran; else which setup step failed */
	int ret;		/* the arm request's answer */
	int oracle;		/* kill(target, 0) by the same caller */
	char msg[PT_EXTACK_LEN];
	uint64_t id;
	int listed;		/* pending_find() for the id */
	struct pending_row row;
	int cancel_ret;
	char cancel_msg[PT_EXTACK_LEN];
};

enum { STAGE_CREDS = 1, STAGE_SOCKET };

/* Runs as PT_UNPRIV_UID with no capabilities and reports on a pipe. */
static int requester_body(int ready_fd, void *p)
{
	struct req_arg *a = p;
	struct req_result res;
	struct dreply r;
	struct pt_sock s;

	memset(&res, 0, sizeof(res));
	pt_ready(ready_fd);
	res.ret = pt_set_creds(PT_UNPRIV_UID, PT_UNPRIV_UID, PT_UNPRIV_UID,
			       PT_UNPRIV_UID, 0);
	if (res.ret) {
		res.stage = STAGE_CREDS;
		goto out;
	}
	res.ret = pt_open(&s);
	if (res.ret) {
		res.stage = STAGE_SOCKET;
		goto out;
	}
	res.oracle = kill(a->target, 0) ? errno : 0;
	if (a->op == REQ_ARM) {
		res.ret = arm(&s, a->target, true, 9, &res.id, &r);
		snprintf(res.msg, sizeof(res.msg), "%s", r.msg);
		res.listed = res.id ? pending_find(&s, res.id, &res.row) :
			pending_count_pid(&s, a->target, &res.row);
	} else {
		res.listed = pending_find(&s, a->id, &res.row);
		res.cancel_ret = cancel(&s, a->id, &r);
		snprintf(res.cancel_msg, sizeof(res.cancel_msg), "%s", r.msg);
	}
	pt_close(&s);
out:
	pt_write_full(a->result_fd, &res, sizeof(res));
	return 0;
}

/* Run requester_body() to its end and collect its report. */
static int run_requester(struct __test_metadata *_metadata,
			 FIXTURE_DATA(deferred) *self, struct req_arg *a,
			 struct req_result *res)
{
	int p[2], status = 0, ret;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	self->result_fd = p[0];
	a->result_fd = p[1];
	self->requester = pt_spawn(requester_body, a, NULL, 1);
	close(p[1]);
	if (self->requester <= 0)
		return self->requester ? self->requester : -ECHILD;
	ret = pt_read_full(self->result_fd, res, sizeof(*res));
	close(self->result_fd);
	self->result_fd = -1;
	if (!wait_death(self->requester, &status, PT_DEATH_MS))
		self->requester = 0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return ret;
}

/*
 * kill(2)'s rules: an unprivileged user cannot arm a deferred kill of a root
 * process, and nothing is armed. The target, blocked in read(), comes back
 * to its own code when data arrives.
 */
TEST_F_TIMEOUT(deferred, unprivileged_vs_root_is_eperm, PT_TIMEOUT(60))
{
	struct req_arg a = { .op = REQ_ARM };
	struct req_result res;
	int status;
	pid_t pid;

	pid = spawn_reader(_metadata, self);
	ASSERT_LT(0, pid);
	a.target = pid;
	ASSERT_EQ(0, run_requester(_metadata, self, &a, &res));
	ASSERT_EQ(0, res.stage) TH_LOG("requester setup failed at stage %d: %s",
				       res.stage, strerror(-res.ret));
	EXPECT_EQ(EPERM, res.oracle) TH_LOG("kill(2) says %s; the test is wrong",
					    pt_errname(res.oracle));
	ASSERT_EQ(-EPERM, res.ret) TH_LOG("expected EPERM, got %s (extack \"%s\")",
					  pt_errname(res.ret), res.msg);
	EXPECT_NE('\0', res.msg[0]) TH_LOG("EPERM without an extended-ack message");
	EXPECT_EQ(0ULL, (unsigned long long)res.id);
	EXPECT_EQ(0, res.listed);
	EXPECT_EQ(0, pending_count_pid(&self->nl, pid, NULL))
		TH_LOG("a refused request is listed as armed");

	/* Not armed: read() returns to the target's code. */
	ASSERT_EQ(1, write(self->pipe_w, "x", 1));
	ASSERT_DEAD_WITHIN(pid, status, PT_DEATH_MS);
	self->child = 0;
	EXPECT_EQ(1, self->sh->returned);
	ASSERT_EXITED_WITH(RAN_AFTER_READ, status);
}

/* Another unprivileged user neither sees nor cancels root's request. */
TEST_F_TIMEOUT(deferred, other_user_cannot_see_or_cancel, PT_TIMEOUT(60))
{
	struct req_arg a = { .op = REQ_SNOOP };
	struct target_arg t = { 0 };
	struct req_result res;
	struct dreply r;
	uint64_t frozen, id;
	int ret, status;
	pid_t pid;

	frozen = spawn_stopped_spinner(_metadata, self, &t);
	pid = self->child;
	ASSERT_LT(0, pid);
	ret = arm(&self->nl, pid, true, 44, &id, &r);
	ASSERT_ARMED(ret, r, id, pid);

	a.target = pid;
	a.id = id;
	ASSERT_EQ(0, run_requester(_metadata, self, &a, &res));
	ASSERT_EQ(0, res.stage) TH_LOG("requester setup failed at stage %d: %s",
				       res.stage, strerror(-res.ret));
	EXPECT_EQ(0, res.listed) TH_LOG("uid %d sees root's request", PT_UNPRIV_UID);
	ASSERT_TRUE(res.cancel_ret == -EPERM || res.cancel_ret == -ENOENT)
		TH_LOG("uid %d cancelling root's request: %s (extack \"%s\")",
		       PT_UNPRIV_UID, pt_errname(res.cancel_ret), res.cancel_msg);
	EXPECT_NE('\0', res.cancel_msg[0]);

	/* Still armed. */
	ASSERT_EQ(1, pending_find(&self->nl, id, NULL));
	ASSERT_EQ(0, kill(pid, SIGCONT));
	ASSERT_DEAD_WITHIN(pid, status, PT_DEATH_MS);
	self->child = 0;
	EXPECT_EQ(frozen, self->sh->counter);
	ASSERT_EXITED_WITH(44, status);
}

/*
 * An unprivileged user arms a deferred kill of its own process: allowed,
 * listed for that user with its uid, and carried out.
 */
TEST_F_TIMEOUT(deferred, unprivileged_own_process, PT_TIMEOUT(60))
{
	struct target_arg t = { .set_uid = true, .uid = PT_UNPRIV_UID };
	struct req_arg a = { .op = REQ_ARM };
	struct pending_row row;
	struct req_result res;
	uint64_t frozen;
	int status;
	pid_t pid;

	frozen = spawn_stopped_spinner(_metadata, self, &t);
	pid = self->child;
	ASSERT_LT(0, pid);

	a.target = pid;
	ASSERT_EQ(0, run_requester(_metadata, self, &a, &res));
	ASSERT_EQ(0, res.stage) TH_LOG("requester setup failed at stage %d: %s",
				       res.stage, strerror(-res.ret));
	EXPECT_EQ(0, res.oracle);
	ASSERT_PT_FEATURE("exit status", res.ret, res.msg);
	ASSERT_EQ(0, res.ret) TH_LOG("refused with %s (extack \"%s\")",
				     pt_errname(res.ret), res.msg);
	ASSERT_NE(0ULL, (unsigned long long)res.id);
	ASSERT_EQ(1, res.listed) TH_LOG("the requester does not see its own request");
	EXPECT_EQ((uint32_t)pid, res.row.pid);
	EXPECT_EQ((uint32_t)PT_UNPRIV_UID, res.row.uid);

	/* Root (CAP_KILL) sees it too, with the requester's uid. */
	ASSERT_EQ(1, pending_find(&self->nl, res.id, &row));
	EXPECT_EQ((uint32_t)PT_UNPRIV_UID, row.uid);

	ASSERT_EQ(0, kill(pid, SIGCONT));
	ASSERT_DEAD_WITHIN(pid, status, PT_DEATH_MS);
	self->child = 0;
	EXPECT_EQ(frozen, self->sh->counter);
	ASSERT_EXITED_WITH(9, status);
}

/* ---- command-line modes for deferred_unload_test.sh ------------------------ */

static int open_for_cli(struct pt_sock *s)
{
	int ret = pt_open(s);

	if (ret == -ENOENT) {
		fprintf(stderr, "generic netlink family \"%s\" not registered\n",
			PROCTERM_GENL_NAME);
		return KSFT_SKIP;
	}
	if (ret) {
		fprintf(stderr, "netlink: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end ? -1 : 0;
}

static int cli_arm(int argc, char **argv)
{
	uint64_t pid, status = 0;
	struct dreply r;
	struct pt_sock s;
	uint64_t id;
	int ret;

	if (argc < 3 || argc > 4 || parse_u64(argv[2], &pid) || !pid ||
	    pid > INT32_MAX || (argc == 4 && (parse_u64(argv[3], &status) ||
					      status > UINT32_MAX))) {
		fprintf(stderr, "usage: %s --arm PID [STATUS]\n", argv[0]);
		return 2;
	}
	ret = open_for_cli(&s);
	if (ret)
		return ret;
	ret = arm(&s, (pid_t)pid, argc == 4, (uint32_t)status, &id, &r);
	pt_close(&s);
	if (ret) {
		fprintf(stderr, "arm %d: %s (%s)\n", (int)pid, pt_errname(ret), r.msg);
		return 1;
	}
	if (!id) {
		fprintf(stderr, "arm %d: no request id in the reply\n", (int)pid);
		return 1;
	}
	printf("%" PRIu64 "\n", id);
	return 0;
}

static int cli_cancel(int argc, char **argv)
{
	struct dreply r;
	struct pt_sock s;
	uint64_t id;
	int ret;

	if (argc != 3 || parse_u64(argv[2], &id) || !id) {
		fprintf(stderr, "usage: %s --cancel ID\n", argv[0]);
		return 2;
	}
	ret = open_for_cli(&s);
	if (ret)
		return ret;
	ret = cancel(&s, id, &r);
	pt_close(&s);
	if (ret) {
		fprintf(stderr, "cancel %" PRIu64 ": %s (%s)\n", id, pt_errname(ret), r.msg);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct pt_sock s;
	int i, ret;

	if (argc > 1 && !strcmp(argv[1], "--arm"))
		return cli_arm(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "--cancel"))
		return cli_cancel(argc, argv);

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-l") || !strcmp(argv[i], "-h"))
			return test_harness_run(argc, argv);
	ret = pt_open(&s);
	if (ret == -ENOENT) {
		ksft_print_header();
		ksft_exit_skip("generic netlink family \"%s\" not registered (module not loaded)\n",
			       PROCTERM_GENL_NAME);
	}
	if (!ret)
		pt_close(&s);
	return test_harness_run(argc, argv);
}
