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

#include "race_lib.h"

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

/* Has every hammer sent a request that counts? */
static bool hammers_all_counted(void)
{
	int i;

	for (i = 0; i < NHAMMER; i++)
		if (!__atomic_load_n(&hs->h[i].strict, __ATOMIC_RELAXED))
			return false;
	return true;
}

/*
 * Let the hammers send at least @n more requests, and each of them one
 * that counts (on a loaded machine one hammer can do all @n before another
 * first runs); bounded in time.
 */
static void hammer_for(long n)
{
	int64_t deadline = mono_ms() + 1000LL * pt_timeout(10);
	long from = hammer_sent();

	while ((hammer_sent() - from < n || !hammers_all_counted()) &&
	       mono_ms() < deadline)
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

TEST_F_TIMEOUT(hammer, refused_then_root_status, PT_TIMEOUT(180))
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

TEST_F_TIMEOUT(hammer, refused_then_sigkill, PT_TIMEOUT(180))
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

TEST_F_TIMEOUT(hammer, steady_refusals, PT_TIMEOUT(120))
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

TEST_F_TIMEOUT(plain, kill_vs_exit, PT_TIMEOUT(180))
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

TEST_F_TIMEOUT(plain, exit_stall_entries_freed, PT_TIMEOUT(180))
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
