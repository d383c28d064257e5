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

TEST_F_TIMEOUT(race, thread_storm_arm_cancel, 180)
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
		if (w == -ETIMEDOUT) {
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

TEST_F_TIMEOUT(race, busy_target_reply_is_true, 180)
{
	true_reply_rounds(_metadata, self, T_BUSY, 0);
}

TEST_F_TIMEOUT(race, busy_threads_reply_is_true, 180)
{
	true_reply_rounds(_metadata, self, T_BUSY, 3);
}

TEST_F_TIMEOUT(race, exiting_threads_reply_is_true, 180)
{
	true_reply_rounds(_metadata, self, T_EXITING, 2);
}

PT_HARNESS_MAIN
