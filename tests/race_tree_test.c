// SPDX-License-Identifier: GPL-2.0
/*
 * Tree kills whose root exits and is reaped at the same moment (issue 9,
 * item 2; issue 10, "tree kills racing a reaped root, fork storms and
 * reparenting").
 *
 * A sentinel parent (a child subreaper) forks roots one after the other;
 * each root forks a child and both exit at once, and the parent reaps them
 * immediately. Two requesters aim tree kills (plain, with a status, and
 * deferred) at the newest root all the time. The kill resolved the root,
 * checked it, and only then took tasklist_lock: a root reaped in between
 * left an empty thread list, and the walk followed a fake task. Every answer
 * must be success, ESRCH or EALREADY; the sentinel parent and its sentinel
 * child (a sibling of every root) must live.
 *
 * RACE_SCALE (percent) scales the roots, RACE_BUDGET_S bounds the test.
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

#define NREQ 2

struct tshared {
	volatile pid_t root;
	volatile pid_t sentinel;
	volatile long forks;
	volatile int stop;
	volatile long sent[NREQ];
	volatile long ok[NREQ];
	volatile long bad[NREQ];
	volatile int first_err[NREQ];
	char first_msg[NREQ][PT_EXTACK_LEN];
};

static struct tshared *ts;

static void spin_us(long us)
{
	int64_t end;
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	end = (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000 + us;
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000 < end);
}

static int parent_body(int ready_fd, void *arg)
{
	uint32_t seed = 7;
	pid_t s, r;

	(void)arg;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	s = fork();
	if (s == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pt_block_forever();
	}
	ts->sentinel = s;
	pt_ready(ready_fd);
	while (!ts->stop) {
		seed = seed * 1103515245 + 12345;
		r = fork();
		if (r == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (fork() == 0) {
				spin_us((seed >> 12) % 200);
				_exit(0);
			}
			spin_us((seed >> 8) % 400);
			_exit(0);
		}
		if (r < 0)
			continue;
		ts->root = r;
		ts->forks++;
		waitpid(r, NULL, 0);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	/* A sentinel: it lives until the teardown kills it. */
	pt_block_forever();
	return 0;
}

static int requester_body(int idx)
{
	struct pt_reply r;
	struct pt_sock s;
	long i = 0;

	if (pt_open(&s))
		return 1;
	s.timeout_ms = 10000;
	while (!ts->stop) {
		struct pt_kill_args a = { .flags = PROCTERM_F_TREE };
		pid_t root = ts->root;
		int ret;

		if (!root)
			continue;
		switch (i++ % 3) {
		case 1:
			a.has_status = true;
			a.status = 9;
			break;
		case 2:
			a.flags |= PROCTERM_F_DEFERRED;
			break;
		}
		ret = pt_kill(&s, root, &a, &r);
		ts->sent[idx]++;
		if (!ret || ret == -ESRCH || ret == -EALREADY) {
			ts->ok[idx]++;
			continue;
		}
		if (!ts->bad[idx]++) {
			ts->first_err[idx] = ret;
			snprintf(ts->first_msg[idx], PT_EXTACK_LEN, "%s", r.msg);
		}
	}
	return 0;
}

FIXTURE(tree) {
	pid_t parent;
	pid_t req[NREQ];
};

FIXTURE_SETUP(tree)
{
	int i;

	ts = mmap(NULL, sizeof(*ts), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ts);
	memset(ts, 0, sizeof(*ts));
	self->parent = pt_spawn(parent_body, NULL, NULL, 1);
	ASSERT_LT(0, self->parent);
	for (i = 0; i < NREQ; i++) {
		self->req[i] = fork_child();
		ASSERT_LE(0, self->req[i]);
		if (!self->req[i])
			_exit(requester_body(i));
	}
}

FIXTURE_TEARDOWN(tree)
{
	int i, status;

	ts->stop = 1;
	for (i = 0; i < NREQ; i++)
		if (pt_wait_timeout(self->req[i], &status, 15000))
			pt_reap(&self->req[i]);
	pt_reap(&self->parent);
	munmap(ts, sizeof(*ts));
}

TEST_F_TIMEOUT(tree, reaped_root, 180)
{
	int64_t t0 = mono_ms(), budget = race_budget_ms(40);
	long roots = race_scale(20000), sent = 0;
	int i;

	while (ts->forks < roots && mono_ms() - t0 < budget) {
		sleep_ms(100);
		ASSERT_TRUE(pt_pid_alive(self->parent))
			TH_LOG("the sentinel parent %d died after %ld roots", self->parent, ts->forks);
		ASSERT_TRUE(pt_pid_alive(ts->sentinel))
			TH_LOG("the sentinel child %d, a sibling of every root, died after %ld roots",
			       ts->sentinel, ts->forks);
	}
	ts->stop = 1;
	sleep_ms(300);
	ASSERT_TRUE(pt_pid_alive(self->parent));
	ASSERT_TRUE(pt_pid_alive(ts->sentinel));
	for (i = 0; i < NREQ; i++) {
		sent += ts->sent[i];
		EXPECT_EQ(0, ts->bad[i])
			TH_LOG("requester %d: %ld of %ld answers were not success/ESRCH/EALREADY, first %s (\"%s\")",
			       i, ts->bad[i], ts->sent[i], errname(ts->first_err[i]), ts->first_msg[i]);
	}
	TH_LOG("%ld roots, %ld tree kills in %lld ms", ts->forks, sent,
	       (long long)(mono_ms() - t0));
	EXPECT_LT(0, sent);
}

PT_HARNESS_MAIN
