// SPDX-License-Identifier: GPL-2.0
/*
 * Deferred requests racing thread churn (issue 9, items 1 and 8; issue 10,
 * "deferred arm/cancel/re-arm under thread churn").
 *
 *  - thread_storm_arm_cancel (item 1): an unprivileged user arms and cancels
 *    deferred kills of its own process while that process creates threads as
 *    fast as it can. The arm path counted the threads and walked them in two
 *    passes; threads created in between made it index past its array. It
 *    must never crash, and whenever a work fires the process dies with the
 *    requested status.
 *  - busy_target_reply_is_true (item 8): a target that returns to user mode
 *    constantly runs its works before the arm has returned; the reply must
 *    still be true: EALREADY only when nothing was armed (the target lives),
 *    success always kills with the status.
 *  - exiting_threads_reply_is_true (item 8): the same with a process whose
 *    leader has exited and whose threads come and go.
 *
 * RACE_SCALE (percent) scales the rounds, RACE_BUDGET_S bounds each test.
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

/* ---- targets ---------------------------------------------------------- */

struct storm {
	volatile int nthreads;		/* threads started by the storm */
	volatile int go;		/* creators may start */
	int max;			/* thread cap */
	int sleepers;
	int creators;
	int mode;
};

enum { T_STORM, T_BUSY, T_EXITING };

static struct storm *sh;

static void *sleeper_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void *short_thread(void *arg)
{
	(void)arg;
	return NULL;
}

static int start_thread(void *(*fn)(void *), bool detached)
{
	pthread_attr_t a;
	pthread_t t;
	int ret;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	if (detached)
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	ret = pthread_create(&t, &a, fn, NULL);
	pthread_attr_destroy(&a);
	return ret;
}

/* Creators go last in the thread list; their threads after them. */
static void *creator_thread(void *arg)
{
	(void)arg;
	while (!sh->go)
		;
	for (;;) {
		if (__atomic_add_fetch(&sh->nthreads, 1, __ATOMIC_RELAXED) > sh->max) {
			__atomic_sub_fetch(&sh->nthreads, 1, __ATOMIC_RELAXED);
			syscall(SYS_getppid);
			continue;
		}
		if (start_thread(sleeper_thread, true))
			__atomic_sub_fetch(&sh->nthreads, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Threads that exist only for a moment, created one after the other. */
static void *churn_thread(void *arg)
{
	(void)arg;
	for (;;)
		start_thread(short_thread, true);
	return NULL;
}

static void *busy_thread(void *arg)
{
	(void)arg;
	for (;;)
		syscall(SYS_getppid);
	return NULL;
}

static int target_body(int ready_fd, void *arg)
{
	int i;

	(void)arg;
	if (become_unpriv(UNPRIV_UID))
		return 120;
	switch (sh->mode) {
	case T_STORM:
		for (i = 0; i < sh->sleepers; i++)
			if (start_thread(sleeper_thread, true))
				return 121;
		for (i = 0; i < sh->creators; i++)
			if (start_thread(creator_thread, true))
				return 122;
		pt_ready(ready_fd);
		sh->go = 1;
		for (;;)
			pause();
	case T_BUSY:
		for (i = 0; i < sh->creators; i++)
			if (start_thread(busy_thread, true))
				return 122;
		pt_ready(ready_fd);
		busy_thread(NULL);
		break;
	case T_EXITING:
		for (i = 0; i < sh->creators; i++)
			if (start_thread(churn_thread, true))
				return 122;
		pt_ready(ready_fd);
		/* The leader leaves; the group lives on in its threads. */
		syscall(SYS_exit, 0);
		break;
	}
	return 0;
}

/* ---- fixture ------------------------------------------------------------ */

FIXTURE(race) {
	struct requester rq;
	pid_t target;
};

FIXTURE_SETUP(race)
{
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 0, sizeof(*sh));
	self->target = 0;
	self->rq.pid = 0;
	ASSERT_EQ(0, rq_start(&self->rq, UNPRIV_UID))
		TH_LOG("cannot start a requester as uid %d", UNPRIV_UID);
}

FIXTURE_TEARDOWN(race)
{
	pt_reap(&self->target);
	rq_stop(&self->rq);
	munmap(sh, sizeof(*sh));
}

/* Wait for the target; 0 with *status set, -ETIMEDOUT when it lives. */
static int target_death(pid_t pid, int *status, int ms)
{
	return pt_wait_timeout(pid, status, ms);
}

#define STATUS 42

TEST_F_TIMEOUT(race, thread_storm_arm_cancel, PT_TIMEOUT(180))
{
	int64_t t0 = mono_ms(), budget = race_budget_ms(60);
	long rounds = race_scale(300), i, fired = 0, cancelled = 0;
	bool dbg = debug_kernel();
	int status, w;

	sh->mode = T_STORM;
	sh->sleepers = dbg ? 8 : 64;
	sh->creators = 2;
	sh->max = dbg ? 32 : 256;
	for (i = 0; i < rounds && mono_ms() - t0 < budget; i++) {
		struct rq_cmd c = {
			.op = RQ_KILL_CANCEL, .flags = PROCTERM_F_DEFERRED,
			.has_status = true, .status = STATUS,
		};
		struct rq_res res;

		sh->nthreads = 0;
		sh->go = 0;
		self->target = pt_spawn(target_body, NULL, NULL, 1);
		ASSERT_LT(0, self->target) TH_LOG("spawn: %s", errname(self->target));
		c.pid = self->target;
		rq_do(&self->rq, &c, &res);
		ASSERT_EQ(0, res.ret)
			TH_LOG("round %ld: arming the deferred kill of own process %d: %s (extack \"%s\")",
			       i, self->target, errname(res.ret), res.msg);
		w = target_death(self->target, &status, 300);
		if (w == -ETIMEDOUT && res.ret2 == -ENOENT) {
			/*
			 * The request fired before the cancel came, and the
			 * dying group (slow under load) was not dead at 300
			 * ms. It must still die with the status.
			 */
			w = target_death(self->target, &status, PT_DEATH_MS);
			fired++;
		} else if (w == -ETIMEDOUT) {
			/* The cancel won: the target still runs. Arm for good. */
			ASSERT_EQ(0, res.ret2) TH_LOG("round %ld: cancel: %s", i, errname(res.ret2));
			cancelled++;
			c.op = RQ_KILL;
			rq_do(&self->rq, &c, &res);
			/*
			 * EALREADY: the first request fired after all, and the
			 * dying group (slow under load) was not dead at 300 ms.
			 * It must still die with the status.
			 */
			ASSERT_TRUE(res.ret == 0 || res.ret == -EALREADY)
				TH_LOG("round %ld: re-arming: %s (extack \"%s\")",
				       i, errname(res.ret), res.msg);
			if (res.ret == -EALREADY) {
				cancelled--;
				fired++;
			}
			w = target_death(self->target, &status, PT_DEATH_MS);
		} else {
			fired++;
		}
		ASSERT_EQ(0, w) TH_LOG("round %ld: armed target %d did not die", i, self->target);
		self->target = 0;
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == STATUS)
			TH_LOG("round %ld: target ended with wait status 0x%x, not exit %d",
			       i, status, STATUS);
	}
	TH_LOG("%ld rounds (%ld fired before the cancel, %ld cancelled) in %lld ms",
	       i, fired, cancelled, (long long)(mono_ms() - t0));
}

/*
 * One round against a target that runs its works at once: the reply must
 * say what happened.
 */
static void true_reply_rounds(struct __test_metadata *_metadata,
			      FIXTURE_DATA(race) *self, int mode, int threads)
{
	int64_t t0 = mono_ms(), budget = race_budget_ms(45);
	long rounds = race_scale(300), i, ok = 0, already = 0;
	int status, w;

	sh->mode = mode;
	sh->creators = threads;
	for (i = 0; i < rounds && mono_ms() - t0 < budget; i++) {
		struct rq_cmd c = {
			.op = RQ_KILL, .flags = PROCTERM_F_DEFERRED,
			.has_status = true, .status = STATUS,
		};
		struct rq_res res;

		self->target = pt_spawn(target_body, NULL, NULL, 1);
		ASSERT_LT(0, self->target) TH_LOG("spawn: %s", errname(self->target));
		/* Let it get going: the leader of T_EXITING must be gone. */
		sleep_us(1000 + (i % 7) * 500);
		c.pid = self->target;
		rq_do(&self->rq, &c, &res);
		if (res.ret == 0) {
			ok++;
			w = target_death(self->target, &status, PT_DEATH_MS);
			ASSERT_EQ(0, w)
				TH_LOG("round %ld: the arm replied success but target %d lives",
				       i, self->target);
			self->target = 0;
			ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == STATUS)
				TH_LOG("round %ld: armed (success) target ended with 0x%x, not exit %d",
				       i, status, STATUS);
			continue;
		}
		ASSERT_EQ(-EALREADY, res.ret)
			TH_LOG("round %ld: arm: %s (extack \"%s\")", i, errname(res.ret), res.msg);
		already++;
		/* Nothing was armed: nothing may kill it. */
		w = target_death(self->target, &status, 500);
		ASSERT_EQ(-ETIMEDOUT, w)
			TH_LOG("round %ld: the arm said EALREADY (\"%s\") but the target died, wait status 0x%x",
			       i, res.msg, status);
		pt_reap(&self->target);
	}
	TH_LOG("%ld rounds: %ld armed, %ld EALREADY, %lld ms", i, ok, already,
	       (long long)(mono_ms() - t0));
}

TEST_F_TIMEOUT(race, busy_target_reply_is_true, PT_TIMEOUT(180))
{
	true_reply_rounds(_metadata, self, T_BUSY, 0);
}

TEST_F_TIMEOUT(race, busy_threads_reply_is_true, PT_TIMEOUT(180))
{
	true_reply_rounds(_metadata, self, T_BUSY, 3);
}

TEST_F_TIMEOUT(race, exiting_threads_reply_is_true, PT_TIMEOUT(180))
{
	true_reply_rounds(_metadata, self, T_EXITING, 2);
}

PT_HARNESS_MAIN
