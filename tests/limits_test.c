// SPDX-License-Identifier: GPL-2.0
/*
 * Per-requester limits (issue 9, item 9).
 *
 * The module bounds, per requester kuid, armed deferred requests
 * (max_deferred), queued deferred task works (max_works) and
 * PROCTERM_F_WAIT waiters (max_waiters), module parameters in
 * /sys/module/procterm/parameters/; CAP_SYS_ADMIN requesters in the initial
 * user namespace get 16 times each. Going over returns EDQUOT with an
 * extended ack naming the limit.
 *
 *  - unpriv_cannot_exhaust_root_waiters: uid 65534 fills its budget of
 *    waiters (deferred + wait requests on its own stopped processes) until
 *    EDQUOT; root still gets a waiter.
 *  - cancel_rearm_is_bounded: cancel + re-arm on a stopped multithreaded
 *    target leaves cancelled works queued; the loop must end in EDQUOT, and
 *    once the target runs again the counters drain to 0.
 *  - deferred_tree_twice: a second deferred tree request on the same root is
 *    EALREADY.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
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

#define PARAMS "/sys/module/procterm/parameters/"
#define MAX_TARGETS 1024

/* A module parameter, or -errno. */
static long param(const char *name)
{
	char path[128];
	long v = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%ld", &v) != 1)
		v = -EINVAL;
	fclose(f);
	return v;
}

static void *stopped_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* A target owned by *arg (uid), with arg[1] extra threads, stopped. */
static int stopped_body(int ready_fd, void *arg)
{
	const int *a = arg;
	int i;

	if (a[0] && become_unpriv(a[0]))
		return 120;
	for (i = 0; i < a[1]; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, stopped_thread, NULL))
			return 121;
	}
	pt_ready(ready_fd);
	raise(SIGSTOP);
	pt_block_forever();
}

static pid_t spawn_stopped(int uid, int threads)
{
	int a[2] = { uid, threads };
	pid_t p = pt_spawn(stopped_body, a, NULL, 1);

	if (p > 0 && pt_wait_state(p, 'T', 10000)) {
		pt_reap(&p);
		return -ETIMEDOUT;
	}
	return p;
}

FIXTURE(limits) {
	struct requester rq;
	pid_t t[MAX_TARGETS + 2];
	int nt;
};

FIXTURE_SETUP(limits)
{
	self->nt = 0;
	self->rq.pid = 0;
	ASSERT_EQ(0, rq_start(&self->rq, UNPRIV_UID));
}

FIXTURE_TEARDOWN(limits)
{
	int i;

	for (i = 0; i < self->nt; i++)
		pt_reap(&self->t[i]);
	rq_stop(&self->rq);
}

TEST_F_TIMEOUT(limits, unpriv_cannot_exhaust_root_waiters, 240)
{
	long mw = param("max_waiters"), md = param("max_deferred"), lim, i, v;
	struct rq_cmd c = { .op = RQ_KILL_NOEVENT,
			    .flags = PROCTERM_F_DEFERRED | PROCTERM_F_WAIT };
	struct rq_res res;
	struct pt_reply r;
	struct pt_sock s;
	struct pt_msg m;
	int ret = 0;

	EXPECT_LT(0, mw) TH_LOG(PARAMS "max_waiters: %s", errname(mw));
	EXPECT_LT(0, md) TH_LOG(PARAMS "max_deferred: %s", errname(md));
	lim = mw > 0 ? mw : 256;
	if (md > 0 && md < lim)
		lim = md;
	ASSERT_GE(MAX_TARGETS, lim + 1) TH_LOG("limits too high to fill here: %ld", lim);

	for (i = 0; i <= lim; i++) {
		pid_t p = spawn_stopped(UNPRIV_UID, 0);

		ASSERT_LT(0, p) TH_LOG("target %ld: %s", i, errname(p));
		self->t[self->nt++] = p;
		c.pid = p;
		ret = rq_do(&self->rq, &c, &res);
		if (ret)
			break;
	}
	ASSERT_EQ(-EDQUOT, ret)
		TH_LOG("uid %d armed %ld deferred + wait requests (limit %ld) and then got %s (\"%s\")",
		       UNPRIV_UID, i, lim, ret ? errname(ret) : "no refusal", res.msg);
	EXPECT_EQ(lim, i) TH_LOG("EDQUOT after %ld requests, the limit is %ld", i, lim);
	EXPECT_NE(NULL, strstr(res.msg, "max_")) TH_LOG("extack \"%s\" names no limit", res.msg);

	/* Root still gets a waiter. */
	self->t[self->nt] = spawn_stopped(0, 0);
	ASSERT_LT(0, self->t[self->nt]);
	self->nt++;
	PT_OPEN_OR_SKIP(&s);
	pt_msg_init(&m, &s, PROCTERM_CMD_KILL, 0);
	pt_put_u32(&m, PROCTERM_A_PID, (uint32_t)self->t[self->nt - 1]);
	pt_put_u32(&m, PROCTERM_A_FLAGS, PROCTERM_F_DEFERRED | PROCTERM_F_WAIT);
	m.want = PT_WANT_ACK | PT_WANT_REPLY;
	ret = pt_request(&s, &m, &r);
	EXPECT_EQ(0, ret)
		TH_LOG("root's deferred + wait request with uid %d's budget full: %s (\"%s\")",
		       UNPRIV_UID, errname(ret), r.msg);
	pt_close(&s);

	for (i = 0; i < self->nt; i++)
		pt_reap(&self->t[i]);
	self->nt = 0;
	v = counter_drains("waiters", 10000);
	EXPECT_EQ(0, v) TH_LOG("waiters left once every target died: %ld", v);
	v = counter_drains("deferred", 10000);
	EXPECT_EQ(0, v) TH_LOG("deferred requests left once every target died: %ld", v);
}

TEST_F_TIMEOUT(limits, cancel_rearm_is_bounded, 240)
{
	long mw = param("max_works"), lim, i, bound, v;
	int threads = debug_kernel() ? 8 : 32;
	struct rq_cmd c = { .op = RQ_KILL_CANCEL, .flags = PROCTERM_F_DEFERRED,
			    .has_status = true, .status = 3 };
	struct rq_res res;
	int64_t t0 = mono_ms();
	int ret = 0;

	EXPECT_LT(0, mw) TH_LOG(PARAMS "max_works: %s", errname(mw));
	lim = mw > 0 ? mw : 16384;
	bound = lim / (threads + 1) + 16;

	self->t[0] = spawn_stopped(UNPRIV_UID, threads);
	ASSERT_LT(0, self->t[0]);
	self->nt = 1;
	c.pid = self->t[0];
	for (i = 0; i < bound; i++) {
		ret = rq_do(&self->rq, &c, &res);
		if (ret)
			break;
		ASSERT_EQ(0, res.ret2) TH_LOG("cancel %ld: %s", i, errname(res.ret2));
	}
	TH_LOG("%ld arm + cancel rounds on a stopped %d-thread target in %lld ms",
	       i, threads + 1, (long long)(mono_ms() - t0));
	ASSERT_EQ(-EDQUOT, ret)
		TH_LOG("cancel + re-arm queued %ld works (max_works %ld) and then got %s (\"%s\")",
		       i * (threads + 1), lim, ret ? errname(ret) : "no refusal", res.msg);
	EXPECT_NE(NULL, strstr(res.msg, "max_")) TH_LOG("extack \"%s\" names no limit", res.msg);
	v = counter("deferred_works");
	EXPECT_LT(0, v) TH_LOG("deferred_works with cancelled works still queued: %ld", v);

	/* The target runs; the cancelled works run as no-ops. */
	ASSERT_EQ(0, kill(self->t[0], SIGCONT));
	v = counter_drains("deferred_works", 10000);
	EXPECT_EQ(0, v) TH_LOG("deferred_works after SIGCONT: %ld", v);
	v = counter_drains("deferred", 10000);
	EXPECT_EQ(0, v) TH_LOG("deferred after SIGCONT: %ld", v);
	sleep_ms(200);
	EXPECT_TRUE(pt_pid_alive(self->t[0])) TH_LOG("cancelled works killed the target");
}

/* A stopped root-owned process with a child. */
static int tree_root_body(int ready_fd, void *arg)
{
	pid_t c;

	(void)arg;
	c = fork();
	if (c == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	pt_ready(ready_fd);
	raise(SIGSTOP);
	pt_block_forever();
}

TEST_F_TIMEOUT(limits, deferred_tree_twice, 60)
{
	struct pt_kill_args a = { .flags = PROCTERM_F_DEFERRED | PROCTERM_F_TREE };
	struct pt_reply r;
	struct pt_sock s;
	int ret, status;

	self->t[0] = pt_spawn(tree_root_body, NULL, NULL, 1);
	ASSERT_LT(0, self->t[0]);
	self->nt = 1;
	ASSERT_EQ(0, pt_wait_state(self->t[0], 'T', 10000));
	PT_OPEN_OR_SKIP(&s);
	ret = pt_kill(&s, self->t[0], &a, &r);
	ASSERT_PT_OK(ret, r);
	ret = pt_kill(&s, self->t[0], &a, &r);
	ASSERT_PT_ERROR(EALREADY, ret, r);
	a.flags = PROCTERM_F_DEFERRED;
	ret = pt_kill(&s, self->t[0], &a, &r);
	ASSERT_PT_ERROR(EALREADY, ret, r);
	pt_close(&s);
	ASSERT_EQ(0, kill(self->t[0], SIGCONT));
	ASSERT_DIES(self->t[0], status);
	self->t[0] = 0;
	ASSERT_KILLED_BY_SIGKILL(status);
}

PT_HARNESS_MAIN
