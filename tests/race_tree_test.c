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

#include "race_lib.h"

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

TEST_F_TIMEOUT(tree, reaped_root, PT_TIMEOUT(180))
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
