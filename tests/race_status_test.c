// SPDX-License-Identifier: GPL-2.0
/*
 * Exit-status kills racing permission refusals, other deaths and natural
 * exits (issue 9, items 3 and 4; issue 10, "kill-versus-exit races").
 *
 *  - refused_hammer_then_root_status (item 3a): unprivileged users hammer
 *    "kill --status 0" at a root-owned process. Every request must be EPERM
 *    (a refused request may publish nothing), and root's own "--status 7"
 *    kill must succeed, never EALREADY, with the parent seeing exit 7.
 *  - refused_hammer_then_sigkill (item 3b): the same process dies of an
 *    independent kill(2) SIGKILL meanwhile: its parent must see SIGKILL, not
 *    "exited 0".
 *  - two_users_never_ealready (item 3): two unprivileged uids hammering see
 *    nothing of each other's refused requests.
 *  - kill_vs_exit (issue 10): requests, with and without a status, aimed at
 *    processes that exit on their own at the same moment. waitpid() shows
 *    the natural exit or the kill (SIGKILL, or the status if the reply was
 *    success), nothing else.
 *  - exit_stall_entries_freed (item 4): a status kill that lands while the
 *    process's only thread, after exit(2), is closing thousands of files
 *    (past the exit probe, before it is dead). The module's status entries
 *    (debugfs counters) must come back to 0.
 *
 * RACE_SCALE (percent) scales the rounds, RACE_BUDGET_S bounds each test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "procterm_test.h"

/* ---- helpers shared by the race tests (static copies in each file) ---- */

#define UNPRIV_UID	65534	/* nobody */
#define UNPRIV_UID2	65533

static __attribute__((unused)) int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static __attribute__((unused)) void sleep_us(long us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static __attribute__((unused)) void sleep_ms(int ms)
{
	sleep_us((long)ms * 1000);
}

/* A debug kernel (kmemleak in debugfs): fork and thread storms stay small. */
static __attribute__((unused)) bool debug_kernel(void)
{
	return !access("/sys/kernel/debug/kmemleak", F_OK) ||
	       !access("/sys/kernel/debug/kasan", F_OK);
}

/*
 * Loop counts: @base scaled by RACE_SCALE (percent, default 100), divided by
 * 4 on a debug kernel; at least 1.
 */
static __attribute__((unused)) long race_scale(long base)
{
	const char *e = getenv("RACE_SCALE");
	long pct = e ? strtol(e, NULL, 10) : 100;
	long n;

	if (pct <= 0)
		pct = 100;
	n = base * pct / 100;
	if (debug_kernel())
		n /= 4;
	return n > 0 ? n : 1;
}

/* Milliseconds a loop may run: RACE_BUDGET_S (default @def_s seconds). */
static __attribute__((unused)) int64_t race_budget_ms(int def_s)
{
	const char *e = getenv("RACE_BUDGET_S");
	long s = e ? strtol(e, NULL, 10) : def_s;

	if (s <= 0)
		s = def_s;
	return (int64_t)s * 1000;
}

static __attribute__((unused)) const char *errname(int err)
{
	if (err < 0)
		err = -err;
	if (err == EDQUOT)
		return "EDQUOT";
	if (err == EWOULDBLOCK)
		return "EWOULDBLOCK";
	return pt_errname(err);
}

#define COUNTERS_PATH	"/sys/kernel/debug/procterm/counters"

/* The module's counter @name from debugfs, or a negative errno. */
static __attribute__((unused)) long counter(const char *name)
{
	char line[128], key[64];
	long v, ret = -ENOENT;
	FILE *f = fopen(COUNTERS_PATH, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld", key, &v) == 2 && !strcmp(key, name)) {
			ret = v;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* Poll until counter @name is 0; its last value (0 on success). */
static __attribute__((unused)) long counter_drains(const char *name, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	long v;

	for (;;) {
		v = counter(name);
		if (v == 0 || mono_ms() > deadline)
			return v;
		sleep_ms(20);
	}
}

/* fork() a child that dies with us; the child returns 0, the parent the PID. */
static __attribute__((unused)) pid_t fork_child(void)
{
	pid_t parent = getpid(), pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
	}
	return pid;
}

/* Become @uid (all ids), gid @uid, no capabilities; 0 or -errno. */
static __attribute__((unused)) int become_unpriv(uid_t uid)
{
	return pt_set_creds(uid, uid, uid, uid, 0);
}

/* PROCTERM_CMD_CANCEL of request @id. */
static __attribute__((unused)) int pt_cancel(struct pt_sock *s, uint64_t id, struct pt_reply *r)
{
	struct pt_msg m;

	pt_msg_init(&m, s, PROCTERM_CMD_CANCEL, 0);
	pt_put_u64(&m, PROCTERM_A_REQUEST_ID, id);
	m.want = PT_WANT_ACK;
	return pt_request(s, &m, r);
}

static __attribute__((unused)) uint64_t reply_id(const struct pt_reply *r)
{
	return r->a.has[PROCTERM_A_REQUEST_ID] ? r->a.u[PROCTERM_A_REQUEST_ID] : 0;
}

/*
 * A requester in a child process with other credentials: the test sends it
 * struct rq_cmd through a pipe and reads back struct rq_res.
 */
enum { RQ_KILL = 1, RQ_CANCEL, RQ_KILL_CANCEL, RQ_KILL_NOEVENT, RQ_QUIT };

struct rq_cmd {
	int op;
	pid_t pid;
	uint32_t flags;
	bool has_status;
	uint32_t status;
	uint64_t id;
};

struct rq_res {
	int ret;		/* of the kill (or the cancel for RQ_CANCEL) */
	int ret2;		/* of the cancel in RQ_KILL_CANCEL */
	uint64_t id;
	uint32_t count;
	bool has_count;
	bool has_event;
	uint64_t wait_status;
	char msg[PT_EXTACK_LEN];
};

struct requester {
	pid_t pid;
	int cmd_fd;
	int res_fd;
};

static __attribute__((unused)) int rq_read(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		got += n;
	}
	return 0;
}

static __attribute__((unused)) int rq_write(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		done += n;
	}
	return 0;
}

static __attribute__((unused)) void rq_serve(int cfd, int rfd, uid_t uid)
{
	struct pt_sock s;
	struct rq_cmd c;
	struct rq_res res;
	struct pt_reply r;
	int ret;

	memset(&res, 0, sizeof(res));
	ret = uid ? become_unpriv(uid) : 0;
	if (!ret)
		ret = pt_open(&s);
	res.ret = ret;
	rq_write(rfd, &res, sizeof(res));
	if (ret)
		_exit(1);
	while (!rq_read(cfd, &c, sizeof(c)) && c.op != RQ_QUIT) {
		struct pt_kill_args a = {
			.has_status = c.has_status, .status = c.status, .flags = c.flags,
		};

		memset(&res, 0, sizeof(res));
		if (c.op == RQ_CANCEL) {
			res.ret = pt_cancel(&s, c.id, &r);
		} else if (c.op == RQ_KILL_NOEVENT) {
			/* PROCTERM_F_WAIT without waiting for the death message. */
			struct pt_msg m;

			pt_msg_init(&m, &s, PROCTERM_CMD_KILL, 0);
			pt_put_u32(&m, PROCTERM_A_PID, (uint32_t)c.pid);
			if (c.has_status)
				pt_put_u32(&m, PROCTERM_A_EXIT_STATUS, c.status);
			if (c.flags)
				pt_put_u32(&m, PROCTERM_A_FLAGS, c.flags);
			m.want = PT_WANT_ACK | PT_WANT_REPLY;
			res.ret = pt_request(&s, &m, &r);
			res.id = reply_id(&r);
		} else {
			res.ret = pt_kill(&s, c.pid, &a, &r);
			res.id = reply_id(&r);
			res.has_count = r.a.has[PROCTERM_A_COUNT];
			res.count = (uint32_t)r.a.u[PROCTERM_A_COUNT];
			res.has_event = r.nevents > 0;
			res.wait_status = r.ev.u[PROCTERM_A_WAIT_STATUS];
			if (c.op == RQ_KILL_CANCEL && !res.ret && res.id) {
				struct pt_reply r2;

				res.ret2 = pt_cancel(&s, res.id, &r2);
			}
		}
		snprintf(res.msg, sizeof(res.msg), "%s", r.msg);
		if (rq_write(rfd, &res, sizeof(res)))
			break;
	}
	_exit(0);
}

/* Start a requester running as @uid (0: stay root). 0 or -errno. */
static __attribute__((unused)) int rq_start(struct requester *q, uid_t uid)
{
	int c[2], r[2];
	struct rq_res res;
	pid_t pid;

	if (pipe2(c, O_CLOEXEC) || pipe2(r, O_CLOEXEC))
		return -errno;
	pid = fork_child();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(c[1]);
		close(r[0]);
		rq_serve(c[0], r[1], uid);
	}
	close(c[0]);
	close(r[1]);
	q->pid = pid;
	q->cmd_fd = c[1];
	q->res_fd = r[0];
	if (rq_read(q->res_fd, &res, sizeof(res)))
		return -EPIPE;
	return res.ret;
}

static __attribute__((unused)) int rq_do(struct requester *q, const struct rq_cmd *c, struct rq_res *res)
{
	memset(res, 0, sizeof(*res));
	if (rq_write(q->cmd_fd, c, sizeof(*c)))
		return res->ret = -EPIPE;
	if (rq_read(q->res_fd, res, sizeof(*res)))
		return res->ret = -EPIPE;
	return res->ret;
}

static __attribute__((unused)) void rq_stop(struct requester *q)
{
	struct rq_cmd c = { .op = RQ_QUIT };
	int status;

	if (q->pid <= 0)
		return;
	rq_write(q->cmd_fd, &c, sizeof(c));
	close(q->cmd_fd);
	close(q->res_fd);
	if (pt_wait_timeout(q->pid, &status, 2000)) {
		kill(q->pid, SIGKILL);
		pt_wait_timeout(q->pid, &status, PT_DEATH_MS);
	}
	q->pid = 0;
}

/* ---- end of the shared helpers ---- */

/* ---- hammering requesters ------------------------------------------------ */

#define NHAMMER 2

struct hammer_stats {
	volatile long sent;
	volatile long strict;		/* replies to requests that ran in one phase */
	volatile long eperm;
	volatile long ealready;
	volatile long other;
	volatile int first_err;
	char first_msg[PT_EXTACK_LEN];
};

struct hshared {
	volatile pid_t target;		/* 0: pause */
	volatile int phase;		/* bumped whenever the target may change state */
	volatile int stop;
	struct hammer_stats h[NHAMMER];
};

static struct hshared *hs;

static int hammer_body(int idx, uid_t uid)
{
	struct hammer_stats *st = &hs->h[idx];
	struct pt_kill_args a = { .has_status = true, .status = 0 };
	struct pt_reply r;
	struct pt_sock s;

	if (become_unpriv(uid) || pt_open(&s))
		return 1;
	while (!hs->stop) {
		int phase = hs->phase, ret;
		pid_t t = hs->target;

		if (!t) {
			sleep_us(200);
			continue;
		}
		ret = pt_kill(&s, t, &a, &r);
		st->sent++;
		if (phase != hs->phase || t != hs->target)
			continue;
		st->strict++;
		/*
		 * EPERM, or ESRCH when the target died within the phase (the
		 * root kill ending it): neither says anything about state a
		 * refused request might have left.
		 */
		if (ret == -EPERM || ret == -ESRCH) {
			st->eperm++;
			continue;
		}
		if (ret == -EALREADY)
			st->ealready++;
		else
			st->other++;
		if (!st->first_err) {
			snprintf(st->first_msg, sizeof(st->first_msg), "%s", r.msg);
			st->first_err = ret ? ret : 1;
		}
	}
	return 0;
}

FIXTURE(hammer) {
	pid_t hammers[NHAMMER];
	pid_t target;
};

FIXTURE_VARIANT(hammer) {
	uid_t uid2;		/* the second hammer's uid */
};

FIXTURE_VARIANT_ADD(hammer, one_user) { .uid2 = UNPRIV_UID };
FIXTURE_VARIANT_ADD(hammer, two_users) { .uid2 = UNPRIV_UID2 };

FIXTURE_SETUP(hammer)
{
	int i;

	hs = mmap(NULL, sizeof(*hs), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hs);
	memset(hs, 0, sizeof(*hs));
	self->target = 0;
	for (i = 0; i < NHAMMER; i++) {
		self->hammers[i] = fork_child();
		ASSERT_LE(0, self->hammers[i]);
		if (!self->hammers[i])
			_exit(hammer_body(i, i ? variant->uid2 : UNPRIV_UID));
	}
}

FIXTURE_TEARDOWN(hammer)
{
	int i;

	hs->stop = 1;
	for (i = 0; i < NHAMMER; i++) {
		int status;

		if (pt_wait_timeout(self->hammers[i], &status, 5000))
			pt_reap(&self->hammers[i]);
	}
	pt_reap(&self->target);
	munmap(hs, sizeof(*hs));
}

static long hammer_sent(void)
{
	long n = 0;
	int i;

	for (i = 0; i < NHAMMER; i++)
		n += hs->h[i].sent;
	return n;
}

/* Let the hammers send at least @n more requests (bounded in time). */
static void hammer_for(long n)
{
	int64_t deadline = mono_ms() + 10000;
	long from = hammer_sent();

	while (hammer_sent() - from < n && mono_ms() < deadline)
		sleep_us(500);
}

static void check_hammers(struct __test_metadata *_metadata)
{
	int i;

	for (i = 0; i < NHAMMER; i++) {
		struct hammer_stats *st = &hs->h[i];

		TH_LOG("hammer %d: %ld sent, %ld in a steady phase: %ld EPERM, %ld EALREADY, %ld other",
		       i, st->sent, st->strict, st->eperm, st->ealready, st->other);
		EXPECT_LT(0, st->strict) TH_LOG("hammer %d sent nothing that counted", i);
		EXPECT_EQ(0, st->ealready)
			TH_LOG("hammer %d: a refused request's state was visible: EALREADY (\"%s\")",
			       i, st->first_msg);
		EXPECT_EQ(st->strict, st->eperm)
			TH_LOG("hammer %d: first non-EPERM answer %s (\"%s\")", i,
			       st->first_err == 1 ? "success" : errname(st->first_err),
			       st->first_msg);
	}
}

/* A root-owned target, published to the hammers. */
static pid_t hammered_target(struct __test_metadata *_metadata)
{
	pid_t t = pt_spawn_sleeper();

	if (t <= 0)
		return t;
	hs->phase++;
	hs->target = t;
	return t;
}

static void unpublish(void)
{
	hs->phase++;
	hs->target = 0;
	hs->phase++;
}

TEST_F_TIMEOUT(hammer, refused_then_root_status, 180)
{
	int64_t t0 = mono_ms(), budget = race_budget_ms(40);
	long rounds = race_scale(40), i;
	struct pt_kill_args a = { .has_status = true, .status = 7 };
	struct pt_reply r;
	struct pt_sock s;
	int status;

	PT_OPEN_OR_SKIP(&s);
	for (i = 0; i < rounds && mono_ms() - t0 < budget; i++) {
		int ret;

		self->target = hammered_target(_metadata);
		ASSERT_LT(0, self->target);
		hammer_for(20 + i % 13);
		hs->phase++;
		ret = pt_kill(&s, self->target, &a, &r);
		ASSERT_EQ(0, ret)
			TH_LOG("round %ld: root's --status 7 kill while refused requests run: %s (extack \"%s\")",
			       i, errname(ret), r.msg);
		ASSERT_DIES(self->target, status);
		unpublish();
		self->target = 0;
		ASSERT_EXITED_WITH(7, status);
	}
	unpublish();
	TH_LOG("%ld rounds in %lld ms", i, (long long)(mono_ms() - t0));
	pt_close(&s);
	hs->stop = 1;
	sleep_ms(50);
	check_hammers(_metadata);
}

TEST_F_TIMEOUT(hammer, refused_then_sigkill, 180)
{
	int64_t t0 = mono_ms(), budget = race_budget_ms(40);
	long rounds = race_scale(40), i;
	int status;

	for (i = 0; i < rounds && mono_ms() - t0 < budget; i++) {
		self->target = hammered_target(_metadata);
		ASSERT_LT(0, self->target);
		hammer_for(20 + i % 13);
		hs->phase++;
		ASSERT_EQ(0, kill(self->target, SIGKILL));
		ASSERT_DIES(self->target, status);
		unpublish();
		self->target = 0;
		ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("round %ld: killed by kill(2) SIGKILL while refused --status 0 requests ran, the parent saw 0x%x%s",
			       i, status, WIFEXITED(status) ? " (exited: a refused request rewrote the death)" : "");
	}
	unpublish();
	TH_LOG("%ld rounds in %lld ms", i, (long long)(mono_ms() - t0));
	hs->stop = 1;
	sleep_ms(50);
	check_hammers(_metadata);
}

TEST_F_TIMEOUT(hammer, steady_refusals, 120)
{
	int64_t t0 = mono_ms();

	self->target = hammered_target(_metadata);
	ASSERT_LT(0, self->target);
	hammer_for(race_scale(2000));
	hs->stop = 1;
	sleep_ms(50);
	ASSERT_TRUE(pt_pid_alive(self->target)) TH_LOG("refused requests killed the target");
	TH_LOG("%ld requests in %lld ms", hammer_sent(), (long long)(mono_ms() - t0));
	check_hammers(_metadata);
}

/* ---- kill versus exit -------------------------------------------------- */

FIXTURE(plain) {
	int unused;
};

FIXTURE_SETUP(plain)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(plain)
{
}

#define NATURAL 3
#define KSTATUS 11

static volatile uint32_t *delay_us_shared;

static int exiter_body(int ready_fd, void *arg)
{
	long d = *delay_us_shared;
	int64_t end;
	struct timespec ts;

	(void)arg;
	pt_ready(ready_fd);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 + d;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 >= end)
			break;
	}
	_exit(NATURAL);
}

TEST_F_TIMEOUT(plain, kill_vs_exit, 180)
{
	int64_t t0 = mono_ms(), budget = race_budget_ms(50);
	long rounds = race_scale(3000), i, n_ok = 0, n_fail = 0, n_killed = 0;
	uint32_t seed = 12345;
	struct pt_reply r;
	struct pt_sock s;
	pid_t t;

	delay_us_shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, delay_us_shared);
	PT_OPEN_OR_SKIP(&s);
	for (i = 0; i < rounds && mono_ms() - t0 < budget; i++) {
		struct pt_kill_args a = { .has_status = i & 1, .status = KSTATUS };
		int ret, status;

		seed = seed * 1103515245 + 12345;
		*delay_us_shared = (seed >> 8) % 1500;
		t = pt_spawn(exiter_body, NULL, NULL, 1);
		ASSERT_LT(0, t);
		sleep_us((seed >> 20) % 1500);
		ret = pt_kill(&s, t, &a, &r);
		ASSERT_EQ(0, pt_wait_timeout(t, &status, PT_DEATH_MS))
			TH_LOG("round %ld: PID %d did not end", i, t);
		if (ret) {
			n_fail++;
			ASSERT_TRUE(ret == -EALREADY || ret == -ESRCH)
				TH_LOG("round %ld: %s (extack \"%s\")", i, errname(ret), r.msg);
			ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == NATURAL)
				TH_LOG("round %ld: the kill%s failed with %s, yet the parent saw 0x%x, not exit %d",
				       i, a.has_status ? " --status 11" : "", errname(ret), status, NATURAL);
			continue;
		}
		n_ok++;
		if (WIFEXITED(status) && WEXITSTATUS(status) == NATURAL)
			continue;
		n_killed++;
		if (a.has_status) {
			ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == KSTATUS)
				TH_LOG("round %ld: --status %d kill succeeded, the parent saw 0x%x",
				       i, KSTATUS, status);
		} else {
			ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
				TH_LOG("round %ld: kill succeeded, the parent saw 0x%x", i, status);
		}
	}
	TH_LOG("%ld rounds: %ld replied success (%ld of them killed), %ld refused, %lld ms",
	       i, n_ok, n_killed, n_fail, (long long)(mono_ms() - t0));
	pt_close(&s);
}

/* ---- item 4: an entry for a process past its exit probe ----------------- */

#define NFILES 20000

struct stall {
	volatile int go;
};

static struct stall *stl;

static int staller_body(int ready_fd, void *arg)
{
	struct rlimit rl = { NFILES + 64, NFILES + 64 };
	int i, fd;

	(void)arg;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return 100;
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0)
		return 101;
	for (i = 0; i < NFILES; i++)
		if (dup(fd) < 0)
			break;
	pt_ready(ready_fd);
	while (!stl->go)
		;
	/* exit(2), not exit_group(2): no SIGNAL_GROUP_EXIT; closing takes a while. */
	syscall(SYS_exit, 0);
	return 0;
}

/* PF_EXITING (0x4) in field 9 of /proc/PID/stat. */
static bool exiting(pid_t pid)
{
	struct pt_stat st;

	return !pt_read_stat(pid, &st) && (st.flags & 0x4);
}

TEST_F_TIMEOUT(plain, exit_stall_entries_freed, 180)
{
	int64_t t0 = mono_ms(), budget = race_budget_ms(40);
	long rounds = race_scale(30), i, landed = 0;
	struct pt_kill_args a = { .has_status = true, .status = 5 };
	struct pt_reply r;
	struct pt_sock s;
	long before, v;
	pid_t t;

	before = counter("status");
	ASSERT_LE(0, before) TH_LOG("no \"status\" in %s: %s", COUNTERS_PATH, errname(before));
	stl = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, stl);
	PT_OPEN_OR_SKIP(&s);
	for (i = 0; i < rounds && mono_ms() - t0 < budget; i++) {
		int64_t until;
		int ret = 0, status, k;

		stl->go = 0;
		t = pt_spawn(staller_body, NULL, NULL, 1);
		ASSERT_LT(0, t);
		stl->go = 1;
		until = mono_ms() + 2000;
		while (!exiting(t) && mono_ms() < until)
			;
		sleep_us((i % 5) * 300);
		for (k = 0; k < 200; k++) {
			ret = pt_kill(&s, t, &a, &r);
			if (ret)
				break;
			landed++;
		}
		ASSERT_TRUE(!ret || ret == -EALREADY || ret == -ESRCH)
			TH_LOG("round %ld: %s (extack \"%s\")", i, errname(ret), r.msg);
		ASSERT_EQ(0, pt_wait_timeout(t, &status, PT_DEATH_MS));
		ASSERT_TRUE(WIFEXITED(status) &&
			    (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 5))
			TH_LOG("round %ld: wait status 0x%x", i, status);
	}
	pt_close(&s);
	v = counter_drains("status", 5000);
	TH_LOG("%ld rounds, %ld status kills replied success, %lld ms; status entries %ld (before %ld)",
	       i, landed, (long long)(mono_ms() - t0), v, before);
	ASSERT_EQ(0, v) TH_LOG("status entries left after every target is gone: %ld", v);
}

PT_HARNESS_MAIN
