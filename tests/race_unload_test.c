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

TEST_F_TIMEOUT(unload, cycles_with_requests_in_flight, 600)
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
