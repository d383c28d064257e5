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

#include "race_lib.h"

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

	if (p > 0 && pt_wait_threads_state(p, 'T', 10000)) {
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

TEST_F_TIMEOUT(limits, unpriv_cannot_exhaust_root_waiters, PT_TIMEOUT(240))
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

TEST_F_TIMEOUT(limits, cancel_rearm_is_bounded, PT_TIMEOUT(240))
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

TEST_F_TIMEOUT(limits, deferred_tree_twice, PT_TIMEOUT(60))
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
