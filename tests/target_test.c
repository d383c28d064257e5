// SPDX-License-Identifier: GPL-2.0
/*
 * The two PID-reuse-safe ways to name a target, as a user sees them.
 *
 * By task_struct address (PROCTERM_A_TASK_ADDR, what "procterm list" shows
 * root): kills the process at that address and no other; a thread's
 * address, a kernel thread's or init's are refused; any other value, of the
 * 100 000 random and crafted ones tried, is "no such process" and leaves no
 * trace in the kernel log; callers that may not see kernel addresses
 * (no CAP_SYS_ADMIN, kptr_restrict) are refused whatever the address.
 *
 * By handle (PID plus start time, field 22 of /proc/PID/stat): kills the
 * process with that start time; another start time, or a PID really reused
 * by a new process, is "no such process" and leaves the new one alone.
 *
 * Both are resolved in the caller's PID namespace: from a child namespace,
 * the parent namespace's processes cannot be reached in any form.
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
#include <sys/mount.h>
#include <sys/prctl.h>
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

#define ANSWER_TIMEOUT_MS	30000
#define FUZZ_DEFAULT		100000	/* PT_ADDR_FUZZ_COUNT overrides */
#define FUZZ_BATCH		128	/* requests per datagram */
#define NTHREADS		5	/* leader and four threads */
#define TIMENS_OFFSET_S		1000

#define KPTR_RESTRICT "/proc/sys/kernel/kptr_restrict"

/* The address and start time "procterm list PID" shows. */
static int list_one(struct pt_sock *s, pid_t pid, uint64_t *addr,
		    uint64_t *start, struct pt_answer *a)
{
	struct pt_msg m;
	int ret;

	pt_msg_init(&m, s, PROCTERM_CMD_LIST, 0);
	pt_put_u32(&m, PROCTERM_A_PID, (uint32_t)pid);
	ret = pt_ask(s, &m, a, ANSWER_TIMEOUT_MS);
	if (ret)
		return ret;
	if (!a->a.has[PROCTERM_A_TASK_ADDR] || !a->a.has[PROCTERM_A_START_TIME])
		return -EPROTO;
	if (addr)
		*addr = a->a.u[PROCTERM_A_TASK_ADDR];
	if (start)
		*start = a->a.u[PROCTERM_A_START_TIME];
	return 0;
}

/* How a kill request names its target. */
struct target {
	pid_t pid;
	bool has_start;
	uint64_t start;
	bool has_addr;
	uint64_t addr;
};

static int kill_target(struct pt_sock *s, const struct target *t,
		       bool has_status, uint32_t status, struct pt_answer *a)
{
	struct pt_msg m;

	pt_msg_init(&m, s, PROCTERM_CMD_KILL, 0);
	if (t->has_addr)
		pt_put_u64(&m, PROCTERM_A_TASK_ADDR, t->addr);
	else
		pt_put_u32(&m, PROCTERM_A_PID, (uint32_t)t->pid);
	if (t->has_start)
		pt_put_u64(&m, PROCTERM_A_START_TIME, t->start);
	if (has_status)
		pt_put_u32(&m, PROCTERM_A_EXIT_STATUS, status);
	return pt_ask(s, &m, a, ANSWER_TIMEOUT_MS);
}

static int kill_addr(struct pt_sock *s, uint64_t addr, bool has_status,
		     uint32_t status, struct pt_answer *a)
{
	struct target t = { .has_addr = true, .addr = addr };

	return kill_target(s, &t, has_status, status, a);
}

static int kill_handle(struct pt_sock *s, pid_t pid, uint64_t start,
		       bool has_status, uint32_t status, struct pt_answer *a)
{
	struct target t = { .pid = pid, .has_start = true, .start = start };

	return kill_target(s, &t, has_status, status, a);
}

static int kill_pid(struct pt_sock *s, pid_t pid, struct pt_answer *a)
{
	struct target t = { .pid = pid };

	return kill_target(s, &t, false, 0, a);
}

static int read_kptr_restrict(void)
{
	char buf[16] = "";
	ssize_t n;
	int fd = open(KPTR_RESTRICT, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	return atoi(buf);
}

static int set_kptr_restrict(int v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d\n", v);
	return pt_write_file(KPTR_RESTRICT, buf);
}

static bool alive(pid_t pid)
{
	return pt_pid_alive(pid) && !pt_child_exited(pid);
}

#define ASSERT_ALIVE(_pid, _why) do {					\
	ASSERT_TRUE(alive(_pid)) TH_LOG("PID %d died: %s", (int)(_pid), _why); \
} while (0)

/* The address root reads from the list; SKIP when addresses are hidden. */
#define GET_ADDR_OR_SKIP(_s, _pid, _addr, _start) do {			\
	struct pt_answer __a;						\
	int __r = list_one((_s), (_pid), (_addr), (_start), &__a);	\
	ASSERT_EQ(0, __r) TH_LOG("list %d: %s (\"%s\")", (int)(_pid),	\
				 pt_errname(__r), __a.msg);		\
	if (!*(_addr))							\
		SKIP(return, "%s: no task addresses shown to root (kptr_restrict=%d)", pt_kernel_release(), \
		     read_kptr_restrict());				\
} while (0)

FIXTURE(target) {
	struct pt_sock nl;
	pid_t canary;		/* bystander that must survive everything */
	pid_t child;
	int kptr_saved;		/* kptr_restrict to restore, -1: untouched */
	bool kprobe;		/* our kprobe event is registered */
};

FIXTURE_SETUP(target)
{
	memset(self, 0, sizeof(*self));
	self->nl.fd = -1;
	self->kptr_saved = -1;
	PT_OPEN_OR_SKIP(&self->nl);
	self->canary = pt_spawn_sleeper();
	ASSERT_LT(0, self->canary);
}

static void kprobe_remove(void);

FIXTURE_TEARDOWN(target)
{
	if (self->kptr_saved >= 0)
		set_kptr_restrict(self->kptr_saved);
	if (self->kprobe)
		kprobe_remove();
	pt_reap(&self->child);
	pt_reap(&self->canary);
	pt_close(&self->nl);
}

#define ASSERT_CANARY_ALIVE() ASSERT_ALIVE(self->canary, "the bystander")

/*
 * Kill by the address the list shows: the parent's waitpid() sees the
 * status; the reply names the process; while the process is an unreaped
 * zombie the address still names it (already exited).
 */
TEST_F(target, addr_kills_with_status)
{
	struct pt_stat st;
	struct pt_answer a;
	uint64_t addr, start;
	int ret, status;

	self->child = pt_spawn_sleeper();
	ASSERT_LT(0, self->child);
	GET_ADDR_OR_SKIP(&self->nl, self->child, &addr, &start);
	ASSERT_EQ(0, pt_read_stat(self->child, &st));
	EXPECT_EQ(st.start_time, start);

	ret = kill_addr(&self->nl, addr, true, 77, &a);
	ASSERT_PT_OK(ret, a);
	EXPECT_EQ(1, a.nreplies);
	EXPECT_EQ(PROCTERM_CMD_KILL, a.cmd);
	EXPECT_EQ((uint64_t)self->child, a.a.u[PROCTERM_A_PID]);
	EXPECT_EQ(st.start_time, a.a.u[PROCTERM_A_START_TIME]);
	EXPECT_EQ(77ULL, a.a.u[PROCTERM_A_EXIT_STATUS]);
	EXPECT_EQ(1ULL, a.a.u[PROCTERM_A_COUNT]);

	/* Dead but not reaped: the address still names it. */
	ASSERT_EQ(0, pt_wait_state(self->child, 'Z', PT_DEATH_MS));
	ret = kill_addr(&self->nl, addr, true, 78, &a);
	ASSERT_PT_ERROR(EALREADY, ret, a);

	ASSERT_DIES(self->child, status);
	self->child = 0;
	ASSERT_EXITED_WITH(77, status);
	ASSERT_CANARY_ALIVE();
}

/* Without a status the address kill is a SIGKILL death. */
TEST_F(target, addr_kill_without_status_is_sigkill)
{
	struct pt_answer a;
	uint64_t addr, start;
	int ret, status;

	self->child = pt_spawn_sleeper();
	ASSERT_LT(0, self->child);
	GET_ADDR_OR_SKIP(&self->nl, self->child, &addr, &start);
	ret = kill_addr(&self->nl, addr, false, 0, &a);
	ASSERT_PT_OK(ret, a);
	EXPECT_FALSE(a.a.has[PROCTERM_A_EXIT_STATUS]);
	ASSERT_DIES(self->child, status);
	self->child = 0;
	ASSERT_KILLED_BY_SIGKILL(status);
	ASSERT_CANARY_ALIVE();
}

/* Init's address is refused (EPERM), kthreadd's is not a process. */
TEST_F(target, addr_of_init_and_kernel_thread)
{
	struct pt_stat st;
	char why[96];
	struct pt_answer a;
	uint64_t addr, start;
	int ret;

	GET_ADDR_OR_SKIP(&self->nl, 1, &addr, &start);
	ret = kill_addr(&self->nl, addr, true, 1, &a);
	ASSERT_PT_ERROR(EPERM, ret, a);

	ASSERT_EQ(0, pt_read_stat(2, &st));
	if (!(st.flags & PT_PF_KTHREAD))
		SKIP(return, "%s: PID 2 is not a kernel thread here", pt_kernel_release());
	GET_ADDR_OR_SKIP(&self->nl, 2, &addr, &start);
	ASSERT_EQ(0, pt_sig_pending(2, SIGKILL, why, sizeof(why)))
		TH_LOG("SIGKILL already pending on kthreadd before the request (%s)", why);
	ret = kill_addr(&self->nl, addr, false, 0, &a);
	ASSERT_PT_ERROR(ENOTTY, ret, a);
	/*
	 * kthreadd survives SIGKILL, so its being there proves nothing: a
	 * refused request must not have queued the signal at all.
	 */
	ret = pt_sig_pending(2, SIGKILL, why, sizeof(why));
	ASSERT_EQ(0, ret) TH_LOG("after a refused request, SIGKILL is pending on kthreadd (%s)", why);
	ASSERT_CANARY_ALIVE();
}

/*
 * Thread addresses. The kernel shows no thread's task_struct address to
 * user space, and the list shows only leaders; so the test learns them from
 * a kprobe event on __set_task_comm(), which every thread of the target
 * fires by naming itself. The leader's address from the probe must equal
 * the list's (which validates the method); each other thread's address is
 * then "not a process" (ENOTTY) and nothing dies.
 */
#define TRACE_DIR	"/sys/kernel/tracing"
#define KPROBE_NAME	"procterm_target/comm"
#define KPROBE_DEF	"p:" KPROBE_NAME " __set_task_comm task=%di:x64 name=+0(%si):string\n"

static void kprobe_remove(void)
{
	pt_write_file(TRACE_DIR "/events/" KPROBE_NAME "/enable", "0\n");
	/* Appending a removal command: open without O_TRUNC. */
	{
		int fd = open(TRACE_DIR "/kprobe_events",
			      O_WRONLY | O_APPEND | O_CLOEXEC);

		if (fd >= 0) {
			const char *cmd = "-:" KPROBE_NAME "\n";
			ssize_t n = write(fd, cmd, strlen(cmd));

			(void)n;
			close(fd);
		}
	}
}

/* 0, or a reason the probe cannot be used (the test then skips). */
static const char *kprobe_add(void)
{
	const char *def = KPROBE_DEF;
	int fd, tries;

	if (access(TRACE_DIR "/kprobe_events", W_OK)) {
		/* Mount tracefs in a mount namespace of the test's own. */
		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("tracefs", TRACE_DIR, "tracefs", 0, NULL))
			return "cannot mount tracefs";
		if (access(TRACE_DIR "/kprobe_events", W_OK))
			return "no kprobe_events (CONFIG_KPROBE_EVENTS?)";
	}
	for (tries = 0; tries < 2; tries++) {
		ssize_t n;

		fd = open(TRACE_DIR "/kprobe_events", O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd < 0)
			return "cannot open kprobe_events";
		n = write(fd, def, strlen(def));
		close(fd);
		if (n == (ssize_t)strlen(def))
			break;
		kprobe_remove();	/* left over from an earlier run? */
	}
	if (tries == 2)
		return "cannot add a kprobe on __set_task_comm";
	/* Empty the buffer, then start recording. */
	fd = open(TRACE_DIR "/trace", O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	if (pt_write_file(TRACE_DIR "/events/" KPROBE_NAME "/enable", "1\n"))
		return "cannot enable the kprobe event";
	return NULL;
}

/* The task address recorded for the thread that took the name @name. */
static uint64_t kprobe_addr_of(const char *trace, const char *name)
{
	char needle[64];
	const char *p;

	snprintf(needle, sizeof(needle), "name=\"%s\"", name);
	for (p = strstr(trace, needle); p; p = strstr(p + 1, needle)) {
		const char *bol = p, *t;

		while (bol > trace && bol[-1] != '\n')
			bol--;
		t = strstr(bol, "task=0x");
		if (t && t < p)
			return strtoull(t + 5, NULL, 16);
	}
	return 0;
}

static char *read_all(const char *path)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap + 1);
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += n;
		if (len == cap) {
			char *p = realloc(buf, cap * 2 + 1);

			if (!p)
				break;
			buf = p;
			cap *= 2;
		}
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

struct named_threads {
	pid_t tid[NTHREADS];	/* [0]: the leader */
};

struct thread_arg {
	int index;
	pid_t *tid;
	pthread_barrier_t *named;
};

static void name_self(int index)
{
	char name[16];

	snprintf(name, sizeof(name), "ptT%d-%d", index, (int)getpid());
	prctl(PR_SET_NAME, name);
}

static void *named_thread(void *p)
{
	struct thread_arg *a = p;

	*a->tid = (pid_t)syscall(SYS_gettid);
	name_self(a->index);
	pthread_barrier_wait(a->named);
	pt_block_forever();
}

static int named_threads_body(int ready_fd, void *p)
{
	static struct thread_arg args[NTHREADS];
	static pthread_barrier_t named;
	struct named_threads out;
	pthread_t t;
	int i;

	(void)p;
	pthread_barrier_init(&named, NULL, NTHREADS);
	for (i = 1; i < NTHREADS; i++) {
		args[i].index = i;
		args[i].tid = &out.tid[i];
		args[i].named = &named;
		if (pthread_create(&t, NULL, named_thread, &args[i]))
			return 120;
	}
	out.tid[0] = getpid();
	name_self(0);
	pthread_barrier_wait(&named);
	pt_ready_data(ready_fd, &out, sizeof(out));
	pt_block_forever();
}

TEST_F_TIMEOUT(target, thread_addr_is_not_a_process, PT_TIMEOUT(60))
{
	uint64_t taddr[NTHREADS], addr, start;
	struct named_threads th;
	const char *why;
	struct pt_answer a;
	char name[16];
	char *trace;
	int i, ret, status;

	why = kprobe_add();
	if (why)
		SKIP(return, "%s: cannot learn thread addresses: %s", pt_kernel_release(), why);
	self->kprobe = true;
	self->child = pt_spawn(named_threads_body, NULL, &th, sizeof(th));
	ASSERT_LT(0, self->child);
	/* Read before removing the event: its records need its format. */
	pt_write_file(TRACE_DIR "/events/" KPROBE_NAME "/enable", "0\n");
	trace = read_all(TRACE_DIR "/trace");
	kprobe_remove();
	self->kprobe = false;
	ASSERT_NE(NULL, trace);
	for (i = 0; i < NTHREADS; i++) {
		snprintf(name, sizeof(name), "ptT%d-%d", i, (int)self->child);
		taddr[i] = kprobe_addr_of(trace, name);
		ASSERT_NE(0ULL, taddr[i]) TH_LOG("no probe event for %s", name);
	}
	free(trace);

	GET_ADDR_OR_SKIP(&self->nl, self->child, &addr, &start);
	ASSERT_EQ(addr, taddr[0])
		TH_LOG("list shows 0x%llx, the probe saw the leader at 0x%llx",
		       (unsigned long long)addr, (unsigned long long)taddr[0]);

	for (i = 1; i < NTHREADS; i++) {
		ASSERT_NE(taddr[0], taddr[i]);
		ret = kill_addr(&self->nl, taddr[i], false, 0, &a);
		ASSERT_PT_ERROR(ENOTTY, ret, a);
		ret = kill_addr(&self->nl, taddr[i], true, 5, &a);
		ASSERT_PT_ERROR(ENOTTY, ret, a);
		/* Next to a thread is nothing at all. */
		ret = kill_addr(&self->nl, taddr[i] + 8, true, 5, &a);
		ASSERT_PT_ERROR(ESRCH, ret, a);
		ret = kill_addr(&self->nl, taddr[i] - 1, true, 5, &a);
		ASSERT_PT_ERROR(ESRCH, ret, a);
	}
	ASSERT_ALIVE(self->child, "a refused thread address killed the process");
	ASSERT_EQ(NTHREADS, pt_thread_count(self->child));
	for (i = 1; i < NTHREADS; i++) {
		struct pt_stat st;

		ASSERT_EQ(0, pt_read_task_stat(self->child, th.tid[i], &st));
		EXPECT_NE('Z', st.state);
	}

	/* The leader's address takes the whole process. */
	ret = kill_addr(&self->nl, taddr[0], true, 12, &a);
	ASSERT_PT_OK(ret, a);
	ASSERT_DIES(self->child, status);
	self->child = 0;
	ASSERT_EXITED_WITH(12, status);
	ASSERT_CANARY_ALIVE();
}

/*
 * Random and crafted addresses: every one is "no such process", the
 * kernel log stays clean and nothing dies. Requests are sent FUZZ_BATCH to
 * a datagram on one socket; PT_ADDR_FUZZ_COUNT sets how many (default
 * 100 000), PT_ADDR_FUZZ_SEED the random seed.
 */
static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

struct known {
	uint64_t *addr;
	size_t n;
};

static bool is_known(const struct known *k, uint64_t v)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (k->addr[i] == v)
			return true;
	return false;
}

/* Every leader's address, as root reads them from the list. */
static int known_addresses(struct pt_sock *s, struct known *k)
{
	struct dirent *de;
	size_t cap = 1024;
	DIR *dir = opendir("/proc");

	k->n = 0;
	k->addr = calloc(cap, sizeof(*k->addr));
	if (!dir || !k->addr) {
		if (dir)
			closedir(dir);
		return -ENOMEM;
	}
	while ((de = readdir(dir))) {
		struct pt_answer a;
		uint64_t addr;
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		if (list_one(s, (pid_t)pid, &addr, NULL, &a) || !addr)
			continue;
		if (k->n == cap) {
			uint64_t *p = realloc(k->addr, 2 * cap * sizeof(*p));

			if (!p)
				break;
			k->addr = p;
			cap *= 2;
		}
		k->addr[k->n++] = addr;
	}
	closedir(dir);
	return 0;
}

/* Values that are not the address of any process. */
static size_t fuzz_values(uint64_t *v, size_t want, const struct known *k,
			  size_t *crafted)
{
	static const int64_t near[] = {
		1, 2, 4, 8, 16, 32, 63, 64, 128, 256, 1024, 4096, 8192,
	};
	static int on_stack;
	uint64_t fixed[] = {
		0, 1, 2, 8, 0x1000, 0xffff, 0x10000,
		(uintptr_t)&on_stack, (uintptr_t)v, (uintptr_t)fuzz_values,
		0x00007fffffffffffULL, 0x00007ffffffff000ULL,
		0x0000800000000000ULL, 0x8000000000000000ULL,
		0xff00000000000000ULL, 0xff11000000000000ULL,
		0xffff800000000000ULL, 0xffff888000000000ULL,
		0xffffc90000000000ULL, 0xffffea0000000000ULL,
		0xffffffff80000000ULL, 0xffffffff81000000ULL,
		0xffffffffc0000000ULL, 0xfffffffffffff000ULL,
		0xfffffffffffffff8ULL, 0xffffffffffffffffULL,
	};
	uint64_t min_gap = UINT64_MAX;
	size_t n = 0, i, j;

#define ADD(_x) do {							\
	uint64_t __x = (_x);						\
	if (n < want && !is_known(k, __x))				\
		v[n++] = __x;						\
} while (0)

	for (i = 0; i < k->n; i++)
		for (j = i + 1; j < k->n; j++) {
			uint64_t d = k->addr[i] > k->addr[j] ?
				     k->addr[i] - k->addr[j] :
				     k->addr[j] - k->addr[i];

			if (d && d < min_gap)
				min_gap = d;
		}
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		ADD(fixed[i]);
	for (i = 0; i < k->n; i++) {
		uint64_t a = k->addr[i];

		for (j = 0; j < sizeof(near) / sizeof(near[0]); j++) {
			/* Never a whole object away: that could be a thread. */
			if ((uint64_t)near[j] >= min_gap)
				continue;
			ADD(a + near[j]);
			ADD(a - near[j]);
		}
		ADD(a & 0x0000ffffffffffffULL);	/* user-space alias */
		ADD(a ^ 0x8000000000000000ULL);	/* non-canonical */
		ADD(a & ~0xfffULL);		/* its page */
		ADD(a + (1ULL << 32));
	}
	*crafted = n;
	while (n < want) {
		uint64_t r = rng(), a = k->n ? k->addr[r % k->n] : 0;

		switch (r >> 61) {
		case 0:
		case 1: {
			uint64_t x = 0xffff888000000000ULL | (rng() & 0xffffffffULL);

			/* Where 4-level x86-64 maps memory: not on a task. */
			ADD(x & 63 ? x : x | 8);
			break;
		}
		case 2:
		case 3:
			/* Where this kernel keeps its tasks; never aligned. */
			ADD((a & ~0xffffffffULL) | (rng() & 0xffffffffULL) | 1);
			break;
		case 4:
			ADD(rng());
			break;
		case 5:
			ADD(rng() & 0x00007fffffffffffULL);
			break;
		default:
			/* Within a megabyte of a real task, never aligned. */
			ADD((a + (rng() % (2u << 20)) - (1u << 20)) | 3);
			break;
		}
	}
#undef ADD
	return n;
}

static int fuzz_socket(void)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	int one = 1, size = 4 << 20, fd, ret;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/*
 * Send @n kill-by-address requests in one datagram and collect their
 * acks into @err (positive errno, 0 for success, -1: no ack). 0 or -errno.
 */
static int fuzz_batch(int fd, uint16_t family, uint32_t seq0,
		      const uint64_t *addr, size_t n, int *err)
{
	static unsigned char out[FUZZ_BATCH * 64] __attribute__((aligned(8)));
	static unsigned char in[1 << 16] __attribute__((aligned(8)));
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	size_t i, len = 0, got = 0;

	for (i = 0; i < n; i++) {
		struct nlmsghdr *h = (struct nlmsghdr *)(out + len);
		struct genlmsghdr *g = NLMSG_DATA(h);
		struct nlattr *nla = (struct nlattr *)((char *)g + GENL_HDRLEN);

		h->nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN + NLA_HDRLEN + 8);
		h->nlmsg_type = family;
		h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		h->nlmsg_seq = seq0 + i;
		h->nlmsg_pid = 0;
		memset(g, 0, GENL_HDRLEN);
		g->cmd = PROCTERM_CMD_KILL;
		g->version = PROCTERM_GENL_VERSION;
		nla->nla_type = PROCTERM_A_TASK_ADDR;
		nla->nla_len = NLA_HDRLEN + 8;
		memcpy((char *)nla + NLA_HDRLEN, &addr[i], 8);
		len += NLMSG_ALIGN(h->nlmsg_len);
		err[i] = -1;
	}
	if (sendto(fd, out, len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) != (ssize_t)len)
		return -errno;
	while (got < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct nlmsghdr *h;
		ssize_t r;
		int left;

		r = poll(&pfd, 1, ANSWER_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ETIMEDOUT;
		r = recv(fd, in, sizeof(in), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;	/* ENOBUFS: acks were dropped */
		left = (int)r;
		for (h = (struct nlmsghdr *)in; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			uint32_t k = h->nlmsg_seq - seq0;

			if (h->nlmsg_type != NLMSG_ERROR || k >= n)
				continue;
			if (err[k] == -1)
				got++;
			err[k] = -((const struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
	return 0;
}

static const char *const splats[] = {
	"BUG:", "WARNING:", "Oops", "general protection", "Call Trace",
	"KASAN", "UBSAN", "refcount_t", "list_del corruption", "RCU stall",
	"sleeping function called", "scheduling while atomic",
};

/* Kernel log records written since @fd was opened at the end of the log. */
static int kmsg_count_splats(int fd, char *first, size_t len)
{
	char rec[2048];
	int count = 0;

	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		size_t i;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: keep reading */
		if (n <= 0)
			break;
		rec[n] = '\0';
		for (i = 0; i < sizeof(splats) / sizeof(splats[0]); i++) {
			if (strstr(rec, splats[i])) {
				if (!count++)
					snprintf(first, len, "%s", rec);
				break;
			}
		}
	}
	return count;
}

TEST_F_TIMEOUT(target, addr_fuzz_is_esrch, PT_TIMEOUT(600))
{
	size_t count = FUZZ_DEFAULT, crafted, done, i, n;
	int per[FUZZ_BATCH], kmsg, fd, ret, status;
	unsigned long counts[4] = { 0 };	/* ESRCH, other error, success, no ack */
	uint64_t *vals, addr, start, seed, bad_addr = 0;
	int bad_err = 0;
	char splat[2048] = "";
	struct timespec t0, t1;
	struct known k;
	struct pt_answer a;
	double secs;
	const char *env;

	env = getenv("PT_ADDR_FUZZ_COUNT");
	if (env && *env)
		count = strtoul(env, NULL, 0);
	env = getenv("PT_ADDR_FUZZ_SEED");
	seed = env && *env ? strtoull(env, NULL, 0) :
	       (uint64_t)time(NULL) * 2654435761ULL ^ (uint64_t)getpid();
	rng_state = seed ? seed : 1;

	self->child = pt_spawn_sleeper();
	ASSERT_LT(0, self->child);
	GET_ADDR_OR_SKIP(&self->nl, self->child, &addr, &start);
	ASSERT_EQ(0, known_addresses(&self->nl, &k));
	ASSERT_TRUE(is_known(&k, addr));
	vals = calloc(count ? count : 1, sizeof(*vals));
	ASSERT_NE(NULL, vals);
	n = fuzz_values(vals, count, &k, &crafted);
	ASSERT_EQ(count, n);

	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	else
		TH_LOG("no /dev/kmsg (%s): the kernel log is not checked here",
		       strerror(errno));

	fd = fuzz_socket();
	ASSERT_LE(0, fd) TH_LOG("fuzz socket: %s", pt_errname(fd));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (done = 0; done < n; done += FUZZ_BATCH) {
		size_t b = n - done < FUZZ_BATCH ? n - done : FUZZ_BATCH;

		ret = fuzz_batch(fd, self->nl.family, (uint32_t)done + 1,
				 vals + done, b, per);
		ASSERT_EQ(0, ret) TH_LOG("batch at %zu: %s", done, pt_errname(ret));
		for (i = 0; i < b; i++) {
			int e = per[i];

			if (e == ESRCH)
				counts[0]++;
			else if (e == -1)
				counts[3]++;
			else
				counts[e ? 1 : 2]++;
			if (e != ESRCH && !bad_err) {
				bad_err = e ? e : -1000;
				bad_addr = vals[done + i];
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(fd);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	TH_LOG("%zu addresses (%zu crafted around %zu tasks, seed 0x%llx) in %.2f s, %.0f/s",
	       n, crafted, k.n, (unsigned long long)seed, secs, n / (secs > 0 ? secs : 1));

	EXPECT_EQ(n, counts[0])
		TH_LOG("%lu errors other than ESRCH, %lu successes, %lu unanswered; first: 0x%llx -> %s",
		       counts[1], counts[2], counts[3], (unsigned long long)bad_addr,
		       bad_err == -1000 ? "success" : pt_errname(bad_err));
	if (kmsg >= 0) {
		EXPECT_EQ(0, kmsg_count_splats(kmsg, splat, sizeof(splat)))
			TH_LOG("kernel log: %s", splat);
		close(kmsg);
	}
	ASSERT_CANARY_ALIVE();
	ASSERT_ALIVE(self->child, "fuzzing");

	/* The real address still works afterwards. */
	ret = kill_addr(&self->nl, addr, true, 99, &a);
	ASSERT_PT_OK(ret, a);
	ASSERT_DIES(self->child, status);
	self->child = 0;
	ASSERT_EXITED_WITH(99, status);
	free(vals);
	free(k.addr);
}

/*
 * Who may kill by address: CAP_SYS_ADMIN in the initial user namespace on
 * both the socket and the sender, and kptr_restrict letting the caller see
 * pointers. Everyone else gets EPERM for any address, real or not (no
 * oracle), even where kill(2) would allow the kill, and the list shows
 * them a zero address.
 */
FIXTURE(addr_perm) {
	struct pt_sock nl;
	pid_t target;
	int kptr_saved;
};

FIXTURE_VARIANT(addr_perm) {
	uid_t uid;		/* requester's UIDs, and the target's */
	uint64_t caps;
	bool open_first;	/* socket opened before dropping privileges */
	bool userns;		/* requester is root of a new user namespace */
	int kptr;		/* kptr_restrict during the request, -1: as is */
	int expect;		/* errno, 0: the kill succeeds */
};

#define ALL_CAPS (~0ULL >> (63 - CAP_LAST_CAP))
#define CAP(_c) (1ULL << (_c))

FIXTURE_VARIANT_ADD(addr_perm, root) {
	.uid = 0, .caps = ALL_CAPS, .kptr = 0, .expect = 0,
};
FIXTURE_VARIANT_ADD(addr_perm, uid1000_no_caps) {
	.uid = PT_UNPRIV_UID, .kptr = -1, .expect = EPERM,
};
FIXTURE_VARIANT_ADD(addr_perm, root_with_cap_kill_only) {
	.uid = 0, .caps = CAP(CAP_KILL) | CAP(CAP_SYSLOG), .kptr = -1,
	.expect = EPERM,
};
FIXTURE_VARIANT_ADD(addr_perm, socket_opened_by_root) {
	.uid = PT_UNPRIV_UID, .open_first = true, .kptr = -1, .expect = EPERM,
};
FIXTURE_VARIANT_ADD(addr_perm, userns_root) {
	.uid = 0, .userns = true, .kptr = -1, .expect = EPERM,
};
FIXTURE_VARIANT_ADD(addr_perm, root_kptr_restrict_2) {
	.uid = 0, .caps = ALL_CAPS, .kptr = 2, .expect = EPERM,
};
/* kptr_restrict=1: pointers only for CAP_SYSLOG. */
FIXTURE_VARIANT_ADD(addr_perm, sys_admin_without_syslog_kptr_1) {
	.uid = 0, .caps = CAP(CAP_SYS_ADMIN) | CAP(CAP_KILL), .kptr = 1,
	.expect = EPERM,
};
FIXTURE_VARIANT_ADD(addr_perm, sys_admin_with_syslog_kptr_1) {
	.uid = 0, .caps = CAP(CAP_SYS_ADMIN) | CAP(CAP_KILL) | CAP(CAP_SYSLOG),
	.kptr = 1, .expect = 0,
};

struct perm_res {
	int stage, ret;
	int kill_ret;		/* kill by the target's real address */
	char kill_msg[PT_EXTACK_LEN];
	int garbage_ret;	/* kill by an address that is nothing */
	int oracle;		/* kill(target, 0) by the same caller */
	int list_ret;
	uint64_t list_addr;
};

struct perm_arg {
	const FIXTURE_VARIANT(addr_perm) *v;
	pid_t target;
	uint64_t addr;
};

static int target_body(int ready_fd, void *p)
{
	uid_t uid = *(uid_t *)p;

	if (uid && pt_set_uids(uid, uid, uid))
		return 124;
	pt_ready(ready_fd);
	pt_block_forever();
}

static int perm_body(int ready_fd, void *p)
{
	const struct perm_arg *a = p;
	struct perm_res res;
	struct pt_answer ans;
	struct pt_sock s;

	memset(&res, 0, sizeof(res));
	res.ret = pt_become(&s, a->v->open_first, a->v->userns ? "0 0 1\n" : NULL, a->v->uid,
			    a->v->caps, &res.stage);
	if (res.ret)
		goto out;
	res.oracle = kill(a->target, 0) ? errno : 0;
	res.list_ret = list_one(&s, a->target, &res.list_addr, NULL, &ans);
	/* An address that names nothing first: it must not reveal that. */
	res.garbage_ret = kill_addr(&s, a->addr + 8, true, 21, &ans);
	res.kill_ret = kill_addr(&s, a->addr, true, 21, &ans);
	snprintf(res.kill_msg, sizeof(res.kill_msg), "%s", ans.msg);
out:
	pt_ready_data(ready_fd, &res, sizeof(res));
	return 0;
}

FIXTURE_SETUP(addr_perm)
{
	uid_t uid = variant->uid;

	memset(self, 0, sizeof(*self));
	self->nl.fd = -1;
	self->kptr_saved = -1;
	PT_OPEN_OR_SKIP(&self->nl);
	self->target = pt_spawn(target_body, &uid, NULL, 1);
	ASSERT_LT(0, self->target);
}

FIXTURE_TEARDOWN(addr_perm)
{
	if (self->kptr_saved >= 0)
		set_kptr_restrict(self->kptr_saved);
	pt_reap(&self->target);
	pt_close(&self->nl);
}

TEST_F(addr_perm, kill_by_address)
{
	struct perm_arg arg = { .v = variant, .target = self->target };
	struct perm_res res;
	struct pt_answer a;
	uint64_t start;
	int ret, status;

	/* The real address, read by root before any restriction. */
	GET_ADDR_OR_SKIP(&self->nl, self->target, &arg.addr, &start);
	if (variant->kptr >= 0) {
		self->kptr_saved = read_kptr_restrict();
		ASSERT_LE(0, self->kptr_saved);
		ASSERT_EQ(0, set_kptr_restrict(variant->kptr));
	}
	ret = pt_run_child(perm_body, &arg, &res, sizeof(res), &status);
	ASSERT_EQ(0, ret);
	if (self->kptr_saved >= 0) {
		ASSERT_EQ(0, set_kptr_restrict(self->kptr_saved));
		self->kptr_saved = -1;
	}
	if (res.stage == 100)
		SKIP(return, "%s: no user namespace here: %s", pt_kernel_release(), pt_errname(res.ret));
	ASSERT_EQ(0, res.stage) TH_LOG("requester setup failed at %d: %s",
				       res.stage, pt_errname(res.ret));
	/* kill(2) would let this caller kill the target. */
	EXPECT_EQ(0, res.oracle) TH_LOG("kill(2) says %s", pt_errname(res.oracle));
	ASSERT_EQ(0, res.list_ret);

	if (variant->expect) {
		ASSERT_EQ(-variant->expect, res.kill_ret)
			TH_LOG("expected %s, got %s (\"%s\")",
			       pt_errname(variant->expect), pt_errname(res.kill_ret),
			       res.kill_msg);
		EXPECT_NE('\0', res.kill_msg[0]);
		EXPECT_EQ(-variant->expect, res.garbage_ret)
			TH_LOG("a bogus address gave %s: an oracle for this caller",
			       pt_errname(res.garbage_ret));
		EXPECT_EQ(0ULL, res.list_addr)
			TH_LOG("the list showed this caller address 0x%llx",
			       (unsigned long long)res.list_addr);
		ASSERT_ALIVE(self->target, "a refused request");
		/* The address was right: root kills with it. */
		ret = kill_addr(&self->nl, arg.addr, true, 22, &a);
		ASSERT_PT_OK(ret, a);
		ASSERT_DIES(self->target, status);
		self->target = 0;
		ASSERT_EXITED_WITH(22, status);
	} else {
		ASSERT_EQ(0, res.kill_ret) TH_LOG("%s (\"%s\")",
						  pt_errname(res.kill_ret), res.kill_msg);
		EXPECT_EQ(-ESRCH, res.garbage_ret);
		EXPECT_EQ(arg.addr, res.list_addr);
		ASSERT_DIES(self->target, status);
		self->target = 0;
		ASSERT_EXITED_WITH(21, status);
	}
}

/*
 * Handles. The right start time kills; any other is "no such process",
 * says the PID was reused, and leaves the process alone.
 */
TEST_F(target, handle_kills_with_status)
{
	struct pt_stat st;
	struct pt_answer a;
	int ret, status;

	self->child = pt_spawn_sleeper();
	ASSERT_LT(0, self->child);
	ASSERT_EQ(0, pt_read_stat(self->child, &st));
	ret = kill_handle(&self->nl, self->child, st.start_time, true, 9, &a);
	ASSERT_PT_OK(ret, a);
	EXPECT_EQ((uint64_t)self->child, a.a.u[PROCTERM_A_PID]);
	EXPECT_EQ(st.start_time, a.a.u[PROCTERM_A_START_TIME]);
	EXPECT_EQ(9ULL, a.a.u[PROCTERM_A_EXIT_STATUS]);
	ASSERT_DIES(self->child, status);
	self->child = 0;
	ASSERT_EXITED_WITH(9, status);
	ASSERT_CANARY_ALIVE();
}

TEST_F(target, wrong_start_time_is_esrch)
{
	struct pt_stat st;
	struct pt_answer a;
	uint64_t wrong[5];
	size_t i;
	int ret;

	self->child = pt_spawn_sleeper();
	ASSERT_LT(0, self->child);
	ASSERT_EQ(0, pt_read_stat(self->child, &st));
	wrong[0] = st.start_time + 1;
	wrong[1] = st.start_time - 1;
	wrong[2] = 0;
	wrong[3] = UINT64_MAX;
	wrong[4] = st.start_time + (1ULL << 32);
	for (i = 0; i < ARRAY_SIZE(wrong); i++) {
		ret = kill_handle(&self->nl, self->child, wrong[i], true, 3, &a);
		ASSERT_PT_ERROR(ESRCH, ret, a);
		EXPECT_NE(NULL, strcasestr(a.msg, "reuse"))
			TH_LOG("start time %llu: extack \"%s\" does not mention reuse",
			       (unsigned long long)wrong[i], a.msg);
		ASSERT_ALIVE(self->child, "a handle with the wrong start time");
	}
	/* Untouched: asleep, or running on its way back to sleep. */
	ASSERT_EQ(0, pt_read_stat(self->child, &st));
	EXPECT_NE(NULL, strchr("SR", st.state))
		TH_LOG("the sleeper is in state %c", st.state);
}

/* A handle outliving its process: ESRCH; of a zombie: already exited. */
TEST_F(target, handle_of_dead_process)
{
	struct pt_stat st;
	struct pt_answer a;
	pid_t pid;
	int ret, status;

	pid = pt_spawn_zombie(4);
	ASSERT_LT(0, pid);
	self->child = pid;
	ASSERT_EQ(0, pt_read_stat(pid, &st));
	ret = kill_handle(&self->nl, pid, st.start_time, true, 5, &a);
	ASSERT_PT_ERROR(EALREADY, ret, a);
	ASSERT_DIES(pid, status);
	self->child = 0;
	ASSERT_EXITED_WITH(4, status);
	ret = kill_handle(&self->nl, pid, st.start_time, true, 5, &a);
	ASSERT_PT_ERROR(ESRCH, ret, a);
	ASSERT_CANARY_ALIVE();
}

static int two_threads_body(int ready_fd, void *p)
{
	static pthread_barrier_t named;
	static struct thread_arg arg;
	struct named_threads out;
	pthread_t t;

	(void)p;
	memset(&out, 0, sizeof(out));
	pthread_barrier_init(&named, NULL, 2);
	arg.index = 1;
	arg.tid = &out.tid[1];
	arg.named = &named;
	if (pthread_create(&t, NULL, named_thread, &arg))
		return 120;
	pthread_barrier_wait(&named);
	out.tid[0] = getpid();
	pt_ready_data(ready_fd, &out, sizeof(out));
	pt_block_forever();
}

/* A thread's ID with that thread's own start time: not a process. */
TEST_F(target, handle_of_thread_is_not_a_process)
{
	struct named_threads th;
	struct pt_stat st;
	struct pt_answer a;
	int ret;

	self->child = pt_spawn(two_threads_body, NULL, &th, sizeof(th));
	ASSERT_LT(0, self->child);
	ASSERT_EQ(0, pt_read_task_stat(self->child, th.tid[1], &st));
	ret = kill_handle(&self->nl, th.tid[1], st.start_time, true, 5, &a);
	ASSERT_PT_ERROR(ENOTTY, ret, a);
	ASSERT_ALIVE(self->child, "a thread's handle");
	ASSERT_EQ(2, pt_thread_count(self->child));
}

/*
 * Real PID reuse. In a new PID namespace (with its own /proc and
 * ns_last_pid), the namespace's init forks a process, records its handle,
 * kills and reaps it, winds ns_last_pid back (or asks clone3() for that
 * PID, where there is no ns_last_pid) and forks again: the new
 * process gets the same PID and a later start time. The old handle is
 * then ESRCH and leaves the new process alive; the new handle kills it.
 * (Kills are made by the namespace's init: its own PID 1 is refused.)
 */
struct reuse_res {
	int stage, ret;
	pid_t first, second;
	uint64_t first_start, second_start;
	uint64_t listed_start;		/* the list's start time for the first */
	int stale_ret;
	char stale_msg[PT_EXTACK_LEN];
	bool alive_after_stale;
	int fresh_ret;
	uint64_t fresh_reply_pid;
	int fresh_status;
};

static int pidns_with_proc(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return -errno;
	return 0;
}

/* A process that pauses until killed, with PID @want, by clone3's set_tid. */
static pid_t spawn_sleeper_as(pid_t want)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
		uint64_t stack, stack_size, tls, set_tid, set_tid_size;
	} args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)&want,
		.set_tid_size = 1,
	};
	long c;

	fflush(stdout);
	fflush(stderr);
	c = syscall(SYS_clone3, &args, sizeof(args));
	if (c < 0)
		return -errno;
	if (c == 0)
		for (;;)
			pause();
	return c;
}

static int reuse_init(int result_fd)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	struct reuse_res res;
	struct pt_stat st;
	struct pt_answer a;
	struct pt_sock s;
	char buf[32];
	pid_t c;
	int status;

	memset(&res, 0, sizeof(res));
	res.ret = pidns_with_proc();
	if (res.ret) {
		res.stage = 1;
		goto out;
	}
	res.ret = pt_open(&s);
	if (res.ret) {
		res.stage = 2;
		goto out;
	}
	res.first = pt_spawn_sleeper();
	if (res.first <= 0) {
		res.stage = 3;
		res.ret = res.first;
		goto out;
	}
	res.ret = pt_read_stat(res.first, &st);
	if (res.ret) {
		res.stage = 4;
		goto out;
	}
	res.first_start = st.start_time;
	res.ret = list_one(&s, res.first, NULL, &res.listed_start, &a);
	if (res.ret) {
		res.stage = 5;
		goto out;
	}
	/* Let the clock move on by a few ticks, then free the PID. */
	nanosleep(&tick, NULL);
	kill(res.first, SIGKILL);
	if (waitpid(res.first, &status, 0) != res.first) {
		res.stage = 6;
		res.ret = -errno;
		goto out;
	}
	snprintf(buf, sizeof(buf), "%d\n", (int)res.first - 1);
	res.ret = pt_write_file("/proc/sys/kernel/ns_last_pid", buf);
	if (res.ret == -ENOENT) {
		/*
		 * No ns_last_pid (a kernel without
		 * CONFIG_CHECKPOINT_RESTORE): clone3()'s set_tid asks for the PID
		 * directly, and needs only CAP_SYS_ADMIN in the namespace.
		 */
		c = spawn_sleeper_as(res.first);
	} else if (res.ret) {
		res.stage = 7;
		goto out;
	} else {
		c = pt_spawn_sleeper();
	}
	res.second = c;
	if (c != res.first) {
		res.stage = 8;
		res.ret = c < 0 ? c : -EAGAIN;
		goto out;
	}
	res.ret = pt_read_stat(c, &st);
	if (res.ret) {
		res.stage = 9;
		goto out;
	}
	res.second_start = st.start_time;

	res.stale_ret = kill_handle(&s, c, res.first_start, true, 6, &a);
	snprintf(res.stale_msg, sizeof(res.stale_msg), "%s", a.msg);
	res.alive_after_stale = pt_pid_alive(c) && !pt_child_exited(c);
	res.fresh_ret = kill_handle(&s, c, res.second_start, true, 7, &a);
	res.fresh_reply_pid = a.a.u[PROCTERM_A_PID];
	if (pt_wait_timeout(c, &res.fresh_status, PT_DEATH_MS)) {
		res.stage = 10;
		pt_reap(&c);
	}
out:
	pt_ready_data(result_fd, &res, sizeof(res));
	return 0;
}

static int newpidns_body(int ready_fd, int (*init_fn)(int, void *), void *arg,
			 size_t res_len)
{
	pid_t init;
	int status;

	if (unshare(CLONE_NEWPID | CLONE_NEWNS)) {
		/* "Unsupported": stage 100 and the errno, in the first two ints. */
		int err = errno, *res = calloc(1, res_len);

		if (!res)
			return 120;
		res[0] = 100;
		res[1] = -err;
		pt_ready_data(ready_fd, res, res_len);
		free(res);
		return 0;
	}
	init = fork();
	if (init < 0)
		return 121;
	if (init == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(init_fn(ready_fd, arg));
	}
	return pt_wait_timeout(init, &status, PT_DEATH_MS * 2) ? 122 : 0;
}

static int reuse_init_fn(int fd, void *arg)
{
	(void)arg;
	return reuse_init(fd);
}

static int reuse_body(int ready_fd, void *p)
{
	(void)p;
	return newpidns_body(ready_fd, reuse_init_fn, NULL, sizeof(struct reuse_res));
}

TEST_F_TIMEOUT(target, stale_handle_after_pid_reuse, PT_TIMEOUT(90))
{
	struct reuse_res res;
	int ret, status;

	ret = pt_run_child(reuse_body, NULL, &res, sizeof(res), &status);
	ASSERT_EQ(0, ret);
	ASSERT_EXITED_WITH(0, status);
	if (res.stage == 100)
		SKIP(return, "%s: no new PID/mount namespace: %s", pt_kernel_release(), pt_errname(res.ret));
	ASSERT_EQ(0, res.stage) TH_LOG("setup failed at step %d: %s (PIDs %d, %d)",
				       res.stage, pt_errname(res.ret),
				       res.first, res.second);
	EXPECT_EQ(res.first_start, res.listed_start)
		TH_LOG("list start time differs from the namespace's /proc");
	ASSERT_EQ(res.first, res.second);
	ASSERT_LT(res.first_start, res.second_start)
		TH_LOG("the reused PID has the same start time: no test");

	ASSERT_EQ(-ESRCH, res.stale_ret)
		TH_LOG("stale handle %d@%llu: %s (\"%s\")", res.first,
		       (unsigned long long)res.first_start,
		       pt_errname(res.stale_ret), res.stale_msg);
	EXPECT_NE(NULL, strcasestr(res.stale_msg, "reuse"))
		TH_LOG("extack \"%s\" does not mention reuse", res.stale_msg);
	ASSERT_TRUE(res.alive_after_stale)
		TH_LOG("the stale handle killed the PID's new owner");
	ASSERT_EQ(0, res.fresh_ret) TH_LOG("new handle: %s", pt_errname(res.fresh_ret));
	EXPECT_EQ((uint64_t)res.first, res.fresh_reply_pid);
	ASSERT_EXITED_WITH(7, res.fresh_status);
	ASSERT_CANARY_ALIVE();
}

/*
 * From a child PID namespace, no form reaches the parent's processes: not
 * a PID, not a handle, not an address (read by the parent and handed in;
 * with or without a status). Inside the namespace, address kills work and
 * the reply gives the namespace's PID; the namespace's init, by address
 * too, is refused.
 */
struct ns_arg {
	pid_t victim;
	uint64_t victim_start, victim_addr;
	uint64_t victim2_addr;	/* a second outsider, named only by address */
};

struct ns_res {
	int stage, ret;
	int pid_ret, handle_ret, addr_ret, addr2_ret, list_ret;
	char addr_msg[PT_EXTACK_LEN];
	int inner_ret;
	uint64_t inner_pid, inner_reply_pid;
	int inner_status;
	int init_ret;
};

static int ns_init(int result_fd, void *p)
{
	const struct ns_arg *arg = p;
	struct ns_res res;
	struct pt_answer a;
	struct pt_sock s;
	uint64_t addr, start;
	pid_t inner;

	memset(&res, 0, sizeof(res));
	res.ret = pt_open(&s);
	if (res.ret) {
		res.stage = 1;
		goto out;
	}
	res.pid_ret = kill_pid(&s, arg->victim, &a);
	res.handle_ret = kill_handle(&s, arg->victim, arg->victim_start, true, 6, &a);
	res.addr_ret = kill_addr(&s, arg->victim_addr, true, 6, &a);
	snprintf(res.addr_msg, sizeof(res.addr_msg), "%s", a.msg);
	res.addr2_ret = kill_addr(&s, arg->victim2_addr, false, 0, &a);
	res.list_ret = list_one(&s, arg->victim, NULL, NULL, &a);

	inner = pt_spawn_sleeper();
	if (inner <= 0) {
		res.stage = 2;
		res.ret = inner;
		goto out;
	}
	res.inner_pid = inner;
	res.ret = list_one(&s, inner, &addr, &start, &a);
	if (res.ret || !addr) {
		res.stage = 3;
		pt_reap(&inner);
		goto out;
	}
	res.inner_ret = kill_addr(&s, addr, true, 8, &a);
	res.inner_reply_pid = a.a.u[PROCTERM_A_PID];
	if (pt_wait_timeout(inner, &res.inner_status, PT_DEATH_MS)) {
		res.stage = 4;
		pt_reap(&inner);
		goto out;
	}
	res.ret = list_one(&s, 1, &addr, &start, &a);
	if (res.ret) {
		res.stage = 5;
		goto out;
	}
	res.init_ret = kill_addr(&s, addr, true, 8, &a);
out:
	pt_ready_data(result_fd, &res, sizeof(res));
	return 0;
}

static int ns_body(int ready_fd, void *p)
{
	return newpidns_body(ready_fd, ns_init, p, sizeof(struct ns_res));
}

TEST_F_TIMEOUT(target, child_pid_namespace_cannot_reach_parent, PT_TIMEOUT(90))
{
	struct ns_arg arg;
	struct ns_res res;
	struct pt_answer a;
	int ret, status;

	self->child = pt_spawn_sleeper();
	ASSERT_LT(0, self->child);
	arg.victim = self->child;
	GET_ADDR_OR_SKIP(&self->nl, self->child, &arg.victim_addr, &arg.victim_start);
	/* The canary is the second outsider. */
	GET_ADDR_OR_SKIP(&self->nl, self->canary, &arg.victim2_addr, NULL);

	ret = pt_run_child(ns_body, &arg, &res, sizeof(res), &status);
	ASSERT_EQ(0, ret);
	ASSERT_EXITED_WITH(0, status);
	if (res.stage == 100)
		SKIP(return, "%s: no new PID namespace: %s", pt_kernel_release(), pt_errname(res.ret));
	ASSERT_EQ(0, res.stage) TH_LOG("failed at step %d: %s", res.stage,
				       pt_errname(res.ret));

	EXPECT_EQ(-ESRCH, res.pid_ret) TH_LOG("by PID: %s", pt_errname(res.pid_ret));
	EXPECT_EQ(-ESRCH, res.handle_ret)
		TH_LOG("by handle: %s", pt_errname(res.handle_ret));
	EXPECT_EQ(-ESRCH, res.addr_ret)
		TH_LOG("by address: %s (\"%s\")", pt_errname(res.addr_ret), res.addr_msg);
	EXPECT_EQ(-ESRCH, res.addr2_ret)
		TH_LOG("by address, without a status: %s", pt_errname(res.addr2_ret));
	EXPECT_EQ(-ESRCH, res.list_ret) TH_LOG("list: %s", pt_errname(res.list_ret));
	ASSERT_ALIVE(self->child, "requests from a child PID namespace");
	ASSERT_CANARY_ALIVE();

	EXPECT_EQ(2ULL, res.inner_pid);
	ASSERT_EQ(0, res.inner_ret) TH_LOG("inner kill by address: %s",
					   pt_errname(res.inner_ret));
	EXPECT_EQ(2ULL, res.inner_reply_pid);
	ASSERT_EXITED_WITH(8, res.inner_status);
	EXPECT_EQ(-EPERM, res.init_ret)
		TH_LOG("the namespace's init by address: %s", pt_errname(res.init_ret));

	/* The victim carries no leftover mark: a normal kill gives its status. */
	ret = kill_handle(&self->nl, self->child, arg.victim_start, true, 23, &a);
	ASSERT_PT_OK(ret, a);
	ASSERT_DIES(self->child, status);
	self->child = 0;
	ASSERT_EXITED_WITH(23, status);
	ASSERT_CANARY_ALIVE();
}

/*
 * A requester in a time namespace with a boot-time offset names processes
 * by the start times its own /proc shows: the host's start time is then
 * wrong (ESRCH), the shifted one kills.
 */
struct timens_res {
	int stage, ret;
	unsigned long long proc_start;
	int host_ret, shifted_ret;
	uint64_t reply_start;
};

struct timens_arg {
	pid_t target;
	uint64_t host_start;
};

static int timens_requester(int result_fd, const struct timens_arg *arg)
{
	struct timens_res res;
	struct pt_stat st;
	struct pt_answer a;
	struct pt_sock s;

	memset(&res, 0, sizeof(res));
	res.ret = pt_open(&s);
	if (res.ret) {
		res.stage = 1;
		goto out;
	}
	res.ret = pt_read_stat(arg->target, &st);
	if (res.ret) {
		res.stage = 2;
		goto out;
	}
	res.proc_start = st.start_time;
	res.host_ret = kill_handle(&s, arg->target, arg->host_start, true, 4, &a);
	res.shifted_ret = kill_handle(&s, arg->target, st.start_time, true, 4, &a);
	res.reply_start = a.a.u[PROCTERM_A_START_TIME];
out:
	pt_ready_data(result_fd, &res, sizeof(res));
	return 0;
}

static int timens_body(int ready_fd, void *p)
{
	struct timens_res res;
	char offs[64];
	pid_t req;
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
	req = fork();
	if (req < 0)
		return 121;
	if (req == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(timens_requester(ready_fd, p));
	}
	return pt_wait_timeout(req, &status, PT_DEATH_MS * 2) ? 122 : 0;
fail:
	pt_ready_data(ready_fd, &res, sizeof(res));
	return 0;
}

TEST_F(target, handle_in_time_namespace)
{
	struct timens_arg arg;
	struct timens_res res;
	struct pt_stat st;
	unsigned long long want;
	int ret, status;

	self->child = pt_spawn_sleeper();
	ASSERT_LT(0, self->child);
	ASSERT_EQ(0, pt_read_stat(self->child, &st));
	arg.target = self->child;
	arg.host_start = st.start_time;
	want = st.start_time + (unsigned long long)TIMENS_OFFSET_S * sysconf(_SC_CLK_TCK);

	ret = pt_run_child(timens_body, &arg, &res, sizeof(res), &status);
	ASSERT_EQ(0, ret);
	if (res.stage >= 100)
		SKIP(return, "%s: no time namespace (step %d): %s", pt_kernel_release(), res.stage,
		     pt_errname(res.ret));
	ASSERT_EQ(0, res.stage);
	ASSERT_EQ(want, res.proc_start);
	EXPECT_EQ(-ESRCH, res.host_ret)
		TH_LOG("the host's start time from inside: %s", pt_errname(res.host_ret));
	ASSERT_EQ(0, res.shifted_ret)
		TH_LOG("the namespace's start time: %s", pt_errname(res.shifted_ret));
	EXPECT_EQ(want, res.reply_start);
	ASSERT_DIES(self->child, status);
	self->child = 0;
	ASSERT_EXITED_WITH(4, status);
}

PT_HARNESS_MAIN
