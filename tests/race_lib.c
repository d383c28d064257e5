// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the race, stress and limits tests: time, loop scaling
 * (RACE_SCALE, RACE_BUDGET_S; a debug kernel gets a quarter), the module's
 * debugfs counters, unprivileged children and a requester process that
 * sends procterm requests on a test's behalf (rq_*).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procterm_test.h"
#include "race_lib.h"

int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_us(long us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void sleep_ms(int ms)
{
	sleep_us((long)ms * 1000);
}

/* A debug kernel (kmemleak in debugfs): fork and thread storms stay small. */
bool debug_kernel(void)
{
	return !access("/sys/kernel/debug/kmemleak", F_OK) ||
	       !access("/sys/kernel/debug/kasan", F_OK);
}

/*
 * Loop counts: @base scaled by RACE_SCALE (percent, default 100), divided by
 * 4 on a debug kernel; at least 1.
 */
long race_scale(long base)
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
int64_t race_budget_ms(int def_s)
{
	const char *e = getenv("RACE_BUDGET_S");
	long s = e ? strtol(e, NULL, 10) : def_s;

	if (s <= 0)
		s = def_s;
	return (int64_t)s * 1000;
}

const char *errname(int err)
{
	if (err < 0)
		err = -err;
	if (err == EDQUOT)
		return "EDQUOT";
	if (err == EWOULDBLOCK)
		return "EWOULDBLOCK";
	return pt_errname(err);
}

/* The module's counter @name from debugfs, or a negative errno. */
long counter(const char *name)
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

/*
 * Poll until counter @name is 0; its last value (0 on success). The
 * timeout is scaled by PROCTERM_TIMEOUT_SCALE, as the kselftest limits are.
 */
long counter_drains(const char *name, int timeout_ms)
{
	int64_t deadline = mono_ms() + (int64_t)timeout_ms * pt_timeout(1);
	long v;

	for (;;) {
		v = counter(name);
		if (v == 0 || mono_ms() > deadline)
			return v;
		sleep_ms(20);
	}
}

/* fork() a child that dies with us; the child returns 0, the parent the PID. */
pid_t fork_child(void)
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
int become_unpriv(uid_t uid)
{
	return pt_set_creds(uid, uid, uid, uid, 0);
}

/* PROCTERM_CMD_CANCEL of request @id. */
int pt_cancel(struct pt_sock *s, uint64_t id, struct pt_reply *r)
{
	struct pt_msg m;

	pt_msg_init(&m, s, PROCTERM_CMD_CANCEL, 0);
	pt_put_u64(&m, PROCTERM_A_REQUEST_ID, id);
	m.want = PT_WANT_ACK;
	return pt_request(s, &m, r);
}

uint64_t reply_id(const struct pt_reply *r)
{
	return r->a.has[PROCTERM_A_REQUEST_ID] ? r->a.u[PROCTERM_A_REQUEST_ID] : 0;
}

int rq_read(int fd, void *buf, size_t len)
{
	return pt_read_full(fd, buf, len);
}

int rq_write(int fd, const void *buf, size_t len)
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

void rq_serve(int cfd, int rfd, uid_t uid)
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
int rq_start(struct requester *q, uid_t uid)
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

int rq_do(struct requester *q, const struct rq_cmd *c, struct rq_res *res)
{
	memset(res, 0, sizeof(*res));
	if (rq_write(q->cmd_fd, c, sizeof(*c)))
		return res->ret = -EPIPE;
	if (rq_read(q->res_fd, res, sizeof(*res)))
		return res->ret = -EPIPE;
	return res->ret;
}

void rq_stop(struct requester *q)
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

/* Busy-wait @us microseconds: a race window that is not a sleep. */
void spin_us(long us)
{
	int64_t end;
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	end = (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000 + us;
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000 < end);
}
