// SPDX-License-Identifier: GPL-2.0
/*
 * Module unload racing requests (issue 9, item 7; issue 10, "load/unload:
 * 1 000 cycles with requests in flight, dumps half-read and deferred works
 * queued").
 *
 * Generators run all the time: deferred kills of spinning processes (works
 * queued and run at once), plain and --wait kills of sleepers, and LIST
 * dumps read halfway and abandoned. Meanwhile the test unloads and loads the
 * module (delete_module/finit_module of $PROCTERM_KO) in a loop. A doit took
 * its module references with __module_get(), which does not stop an unload
 * already under way: works could outlive the module text. Every cycle, rmmod
 * must succeed within a bound (EWOULDBLOCK/EBUSY meanwhile), and every
 * fourth cycle first checks that a work queued on a stopped target keeps
 * rmmod refused until the target runs. At the end the module is loaded with
 * a reference count of 0.
 *
 *   UNLOAD_CYCLES    cycles (default 1000)
 *   UNLOAD_BUDGET_S  seconds after which no new cycle starts (default 80)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "procterm_test.h"

#include "race_lib.h"

#define MOD "/sys/module/procterm"
#define NGEN 3

static volatile int *gstop;
static volatile long *gcount;

static bool loaded(void)
{
	return !access(MOD, F_OK);
}

static int load(const char *ko)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0))
		ret = -errno;
	close(fd);
	return ret == -EEXIST ? 0 : ret;
}

static int unload(void)
{
	return syscall(SYS_delete_module, "procterm", O_NONBLOCK) ? -errno : 0;
}

static long refcnt(void)
{
	long v = -1;
	FILE *f = fopen(MOD "/refcnt", "re");

	if (!f)
		return -errno;
	if (fscanf(f, "%ld", &v) != 1)
		v = -EINVAL;
	fclose(f);
	return v;
}

static int spin_body(int ready_fd, void *arg)
{
	(void)arg;
	pt_ready(ready_fd);
	while (!*gstop)
		syscall(SYS_getppid);
	return 0;
}

static int sleep_body(int ready_fd, void *arg)
{
	(void)arg;
	pt_ready(ready_fd);
	pt_block_forever();
}

/* Generator 0: deferred kills of spinning processes. */
static void gen_deferred(void)
{
	struct pt_kill_args a = { .flags = PROCTERM_F_DEFERRED, .has_status = true, .status = 6 };
	struct pt_reply r;
	struct pt_sock s;

	while (!*gstop) {
		pid_t t = pt_spawn(spin_body, NULL, NULL, 1);
		int status;

		if (t <= 0)
			continue;
		if (!pt_open(&s)) {
			s.timeout_ms = 5000;
			pt_kill(&s, t, &a, &r);
			pt_close(&s);
		} else {
			sleep_ms(2);	/* unloaded: no fork storm meanwhile */
		}
		if (pt_wait_timeout(t, &status, 50))
			pt_reap(&t);
		gcount[0]++;
	}
}

/* Generator 1: plain and --wait kills of sleepers. */
static void gen_kill(void)
{
	struct pt_reply r;
	struct pt_sock s;
	long i = 0;

	while (!*gstop) {
		struct pt_kill_args a = { .flags = (i++ & 1) ? PROCTERM_F_WAIT : 0 };
		pid_t t = pt_spawn(sleep_body, NULL, NULL, 1);

		if (t <= 0)
			continue;
		if (!pt_open(&s)) {
			s.timeout_ms = 2000;
			pt_kill(&s, t, &a, &r);
			pt_close(&s);
		} else {
			sleep_ms(2);
		}
		pt_reap(&t);
		gcount[1]++;
	}
}

/* Generator 2: LIST dumps read halfway, then abandoned. */
static void gen_dump(void)
{
	static unsigned char buf[4096];
	uint32_t seed = 3;
	struct pt_sock s;
	struct pt_msg m;
	int rcv = 4096;

	while (!*gstop) {
		seed = seed * 1103515245 + 12345;
		if (pt_open(&s)) {
			sleep_ms(1);
			continue;
		}
		setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		pt_msg_init(&m, &s, PROCTERM_CMD_LIST, NLM_F_DUMP);
		if (!pt_send(&s, m.buf, m.len)) {
			struct pollfd p = { .fd = s.fd, .events = POLLIN };

			if (poll(&p, 1, 1000) > 0)
				recv(s.fd, buf, sizeof(buf), MSG_DONTWAIT);
		}
		sleep_us((seed >> 8) % 5000);
		pt_close(&s);
		gcount[2]++;
	}
}

static pid_t stopped_spawn(void)
{
	pid_t p = pt_spawn_sleeper();

	if (p > 0) {
		kill(p, SIGSTOP);
		if (pt_wait_state(p, 'T', 10000))
			pt_reap(&p);
	}
	return p;
}

FIXTURE(unload) {
	pid_t gen[NGEN];
	pid_t target;
	const char *ko;
};

FIXTURE_SETUP(unload)
{
	int i;

	self->target = 0;
	self->ko = getenv("PROCTERM_KO");
	if (!self->ko || access(self->ko, R_OK))
		SKIP(return, "PROCTERM_KO does not name the module file");
	if (access(MOD "/refcnt", F_OK))
		SKIP(return, "procterm not loaded, or no refcnt (CONFIG_MODULE_UNLOAD)");
	gstop = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gstop);
	gcount = (volatile long *)(gstop + 16);
	for (i = 0; i < NGEN; i++) {
		self->gen[i] = fork_child();
		ASSERT_LE(0, self->gen[i]);
		if (self->gen[i] == 0) {
			if (i == 0)
				gen_deferred();
			else if (i == 1)
				gen_kill();
			else
				gen_dump();
			_exit(0);
		}
	}
}

FIXTURE_TEARDOWN(unload)
{
	int i, status;

	if (!gstop)
		return;
	*gstop = 1;
	for (i = 0; i < NGEN; i++)
		if (pt_wait_timeout(self->gen[i], &status, 15000))
			pt_reap(&self->gen[i]);
	pt_reap(&self->target);
	if (self->ko && !loaded())
		load(self->ko);
}

TEST_F_TIMEOUT(unload, cycles_with_requests_in_flight, PT_TIMEOUT(600))
{
	const char *e = getenv("UNLOAD_CYCLES"), *b = getenv("UNLOAD_BUDGET_S");
	long cycles = e ? strtol(e, NULL, 10) : 1000;
	int64_t t0 = mono_ms(), budget = (b ? strtol(b, NULL, 10) : 80) * 1000;
	long i, refused = 0, tries = 0;
	uint32_t seed = 11;
	int ret, status;

	if (debug_kernel() && !e)
		cycles = 100;
	for (i = 0; i < cycles && mono_ms() - t0 < budget; i++) {
		int64_t until;

		seed = seed * 1103515245 + 12345;
		ret = load(self->ko);
		ASSERT_EQ(0, ret) TH_LOG("cycle %ld: finit_module: %s", i, errname(ret));

		if (i % 4 == 0) {
			struct pt_kill_args a = { .flags = PROCTERM_F_DEFERRED };
			struct pt_reply r;
			struct pt_sock s;

			self->target = stopped_spawn();
			ASSERT_LT(0, self->target);
			ASSERT_EQ(0, pt_open(&s));
			ret = pt_kill(&s, self->target, &a, &r);
			pt_close(&s);
			ASSERT_EQ(0, ret) TH_LOG("cycle %ld: arming: %s (\"%s\")", i, errname(ret), r.msg);
			ret = unload();
			ASSERT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY)
				TH_LOG("cycle %ld: rmmod with a deferred work queued on a stopped target: %s",
				       i, ret ? errname(ret) : "succeeded");
			refused++;
			kill(self->target, SIGCONT);
			ASSERT_EQ(0, pt_wait_timeout(self->target, &status, PT_DEATH_MS));
			self->target = 0;
			ASSERT_KILLED_BY_SIGKILL(status);
		}

		sleep_us((seed >> 8) % 10000);
		until = mono_ms() + 20000;
		for (;;) {
			ret = unload();
			tries++;
			if (!ret)
				break;
			ASSERT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY || ret == -EAGAIN)
				TH_LOG("cycle %ld: delete_module: %s", i, errname(ret));
			ASSERT_GT(until, mono_ms())
				TH_LOG("cycle %ld: rmmod still refused after 20 s: %s, refcnt %ld",
				       i, errname(ret), refcnt());
			sleep_us(200);
		}
	}
	*gstop = 1;
	ret = load(self->ko);
	ASSERT_EQ(0, ret) TH_LOG("final finit_module: %s", errname(ret));
	TH_LOG("%ld cycles in %lld ms (%.1f cycles/s), %ld delete_module calls, %ld refused with a work queued; generators: %ld deferred, %ld kills, %ld dumps",
	       i, (long long)(mono_ms() - t0), i * 1000.0 / (double)(mono_ms() - t0 + 1),
	       tries, refused, gcount[0], gcount[1], gcount[2]);
	if (i < cycles)
		TH_LOG("time budget of %lld s used up before %ld cycles", (long long)budget / 1000, cycles);
	for (ret = 0; ret < NGEN; ret++)
		if (pt_wait_timeout(self->gen[ret], &status, 15000))
			pt_reap(&self->gen[ret]);
	{
		int64_t until = mono_ms() + 10000;
		long v;

		while ((v = refcnt()) != 0 && mono_ms() < until)
			sleep_ms(20);
		ASSERT_EQ(0, v) TH_LOG("refcnt %ld at the end", v);
	}
}

PT_HARNESS_MAIN
