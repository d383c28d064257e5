// SPDX-License-Identifier: GPL-2.0
/*
 * Kills racing an exec from a non-leader thread (issue 9, item 11; issue 10,
 * "exec from a non-leader thread").
 *
 * de_thread() makes the exec'ing thread the leader and releases the old
 * leader. A request that resolved the old leader just before must still
 * work on the process:
 *  - wait_vs_exec: a PROCTERM_F_WAIT kill sent as a non-leader thread
 *    execs: the death message must come, and no waiter may be left
 *    (debugfs counter "waiters" back to 0).
 *  - tree_vs_exec_in_pidns: the requester lives in a new user and PID
 *    namespace, under a sentinel parent that also has a sentinel child; tree
 *    kills race the exec of the root's second thread. The walk must not
 *    climb from the root into its ancestors: every answer is success, ESRCH
 *    or EALREADY, the sentinels live, and no extended ack names a process.
 *
 * The program re-executes itself with --exec-sleep as the exec'd image.
 * RACE_SCALE (percent) scales the rounds, RACE_BUDGET_S bounds each test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
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

extern char **environ;

struct xshared {
	volatile int go;
	volatile int stop;
	/* the namespace test */
	volatile int want_root;
	volatile pid_t root;		/* in the new PID namespace */
	volatile int root_ready;
	volatile long m_beat, s_beat;
	volatile long rounds, ok, bad, setup_err;
	volatile int first_err;
	char first_msg[PT_EXTACK_LEN];
};

static struct xshared *xs;
static char self_exe[4096];

static void *exec_thread(void *arg)
{
	char *argv[] = { self_exe, "--exec-sleep", NULL };

	(void)arg;
	while (!xs->go)
		;
	execve(self_exe, argv, environ);
	_exit(99);
}

/* A process whose second thread execs once xs->go is set. */
static int exec_target_body(int ready_fd, void *arg)
{
	pthread_t t;

	(void)arg;
	if (pthread_create(&t, NULL, exec_thread, NULL))
		return 120;
	if (ready_fd >= 0)
		pt_ready(ready_fd);
	else
		xs->root_ready = 1;
	pt_block_forever();
}

FIXTURE(exec) {
	pid_t target;
};

FIXTURE_SETUP(exec)
{
	ssize_t n;

	xs = mmap(NULL, sizeof(*xs), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, xs);
	memset(xs, 0, sizeof(*xs));
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	ASSERT_LT(0, n);
	self_exe[n] = '\0';
	self->target = 0;
}

FIXTURE_TEARDOWN(exec)
{
	pt_reap(&self->target);
	munmap(xs, sizeof(*xs));
}

TEST_F_TIMEOUT(exec, wait_vs_exec, PT_TIMEOUT(240))
{
	int64_t t0 = mono_ms(), budget = race_budget_ms(50);
	long rounds = race_scale(80), i, v;
	struct pt_kill_args a = { .flags = PROCTERM_F_WAIT };
	uint32_t seed = 99;
	struct pt_reply r;
	struct pt_sock s;
	int ret, status;

	PT_OPEN_OR_SKIP(&s);
	s.timeout_ms = 8000;
	for (i = 0; i < rounds && mono_ms() - t0 < budget; i++) {
		seed = seed * 1103515245 + 12345;
		xs->go = 0;
		self->target = pt_spawn(exec_target_body, NULL, NULL, 1);
		ASSERT_LT(0, self->target);
		xs->go = 1;
		spin_us((seed >> 8) % 4000);
		ret = pt_kill(&s, self->target, &a, &r);
		ASSERT_EQ(0, ret)
			TH_LOG("round %ld: kill --wait while a thread execs: %s%s (extack \"%s\", %d replies, %d death messages)",
			       i, errname(ret), ret == -EAGAIN ? ": the death message never came" : "",
			       r.msg, r.nreplies, r.nevents);
		ASSERT_EQ(0, pt_wait_timeout(self->target, &status, PT_DEATH_MS));
		self->target = 0;
		ASSERT_KILLED_BY_SIGKILL(status);
		ASSERT_TRUE(r.ev.has[PROCTERM_A_WAIT_STATUS]);
		EXPECT_EQ(SIGKILL, (int)r.ev.u[PROCTERM_A_WAIT_STATUS])
			TH_LOG("round %ld: death message says 0x%x", i, (int)r.ev.u[PROCTERM_A_WAIT_STATUS]);
	}
	TH_LOG("%ld rounds in %lld ms", i, (long long)(mono_ms() - t0));
	pt_close(&s);
	v = counter_drains("waiters", 5000);
	ASSERT_EQ(0, v) TH_LOG("waiters left after every target died: %ld", v);
}

/* ---- in a new user and PID namespace ----------------------------------- */

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		ret = -errno;
	close(fd);
	return ret;
}

/* The sentinel parent: forks the roots on request and reaps them. */
static void ns_parent(void)
{
	pid_t s, r;

	s = fork();
	if (s == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) {
			xs->s_beat++;
			sleep_ms(5);
		}
	}
	for (;;) {
		xs->m_beat++;
		if (xs->want_root) {
			xs->want_root = 0;
			xs->root_ready = 0;
			r = fork();
			if (r == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				_exit(exec_target_body(-1, NULL));
			}
			xs->root = r;
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		sleep_us(500);
	}
}

/* PID 1 of the namespace: the requester. */
static int ns_requester(long rounds, int64_t budget)
{
	int64_t t0 = mono_ms();
	struct pt_reply r;
	struct pt_sock s;
	uint32_t seed = 5;
	pid_t m;
	long i;

	m = fork();
	if (m == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		ns_parent();
	}
	if (pt_open(&s))
		return 3;
	s.timeout_ms = 8000;
	for (i = 0; i < rounds && mono_ms() - t0 < budget; i++) {
		struct pt_kill_args a = { .flags = PROCTERM_F_TREE };
		int64_t until = mono_ms() + 10000;
		long mb, sb;
		pid_t root;
		int ret;

		seed = seed * 1103515245 + 12345;
		xs->go = 0;
		xs->root = 0;
		xs->want_root = 1;
		while ((!xs->root || !xs->root_ready) && mono_ms() < until)
			;
		if (!xs->root || !xs->root_ready)
			return 4;
		root = xs->root;
		mb = xs->m_beat;
		sb = xs->s_beat;
		xs->go = 1;
		spin_us((seed >> 8) % 4000);
		if (i & 1) {
			a.has_status = true;
			a.status = 4;
		}
		ret = pt_kill(&s, root, &a, &r);
		xs->rounds++;
		if ((ret && ret != -ESRCH && ret != -EALREADY) || strstr(r.msg, "member")) {
			if (!xs->bad++) {
				xs->first_err = ret;
				snprintf(xs->first_msg, PT_EXTACK_LEN, "%s", r.msg);
			}
		} else {
			xs->ok++;
		}
		/* The root must end; the sentinels must live on. */
		until = mono_ms() + PT_DEATH_MS;
		while (!kill(root, 0) && mono_ms() < until) {
			if (!ret)
				sleep_ms(1);
			else
				kill(root, SIGKILL);
		}
		sleep_ms(30);
		if (xs->m_beat == mb || xs->s_beat == sb)
			return 5;	/* a sentinel died */
	}
	return 0;
}

static int ns_child(long rounds, int64_t budget)
{
	char map[64];
	pid_t init;
	int status;

	snprintf(map, sizeof(map), "0 %d 1", (int)getuid());
	if (unshare(CLONE_NEWUSER | CLONE_NEWPID))
		return 10;
	if (write_str("/proc/self/setgroups", "deny") ||
	    write_str("/proc/self/uid_map", map))
		return 11;
	/* Without a gid mapping the namespace still works (overflow gid). */
	snprintf(map, sizeof(map), "0 %d 1", (int)getgid());
	write_str("/proc/self/gid_map", map);
	init = fork();
	if (init == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(ns_requester(rounds, budget));
	}
	if (init < 0 || waitpid(init, &status, 0) != init)
		return 13;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 14;
}

TEST_F_TIMEOUT(exec, tree_vs_exec_in_pidns, PT_TIMEOUT(240))
{
	int64_t t0 = mono_ms(), budget = race_budget_ms(50);
	long rounds = race_scale(80);
	pid_t c;
	int status;

	c = fork_child();
	ASSERT_LE(0, c);
	if (c == 0)
		_exit(ns_child(rounds, budget));
	ASSERT_EQ(0, pt_wait_timeout(c, &status, (int)budget + 60000));
	TH_LOG("%ld rounds, %ld good answers, %ld bad, %lld ms", xs->rounds, xs->ok,
	       xs->bad, (long long)(mono_ms() - t0));
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("namespace child: wait status 0x%x", status);
	ASSERT_NE(5, WEXITSTATUS(status))
		TH_LOG("a sentinel (the roots' parent or their sibling) died after %ld rounds",
		       xs->rounds);
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("namespace set-up failed at step %d",
						 WEXITSTATUS(status));
	EXPECT_EQ(0, xs->bad)
		TH_LOG("first bad answer: %s (extack \"%s\")", errname(xs->first_err), xs->first_msg);
	EXPECT_LT(0, xs->ok);
}

int main(int argc, char **argv)
{
	struct pt_sock s;
	int i, r;

	if (argc == 2 && !strcmp(argv[1], "--exec-sleep"))
		pt_block_forever();
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-l") || !strcmp(argv[i], "-h"))
			return test_harness_run(argc, argv);
	r = pt_open(&s);
	if (r == -ENOENT) {
		ksft_print_header();
		ksft_exit_skip("generic netlink family \"%s\" not registered (module not loaded)\n",
			       PROCTERM_GENL_NAME);
	}
	if (!r)
		pt_close(&s);
	return test_harness_run(argc, argv);
}
