// SPDX-License-Identifier: GPL-2.0
/*
 * Graceful, then forced: PROCTERM_A_GRACE_MS.
 *
 * The first signal (SIGTERM, or PROCTERM_A_SIGNAL) is sent at once; what is
 * still alive at the deadline gets SIGKILL from the kernel, with the exit
 * status if one was asked. The wait message says which stage ended the
 * process (PROCTERM_A_STAGE). A tree grace kill also kills, at the
 * deadline, the children members fork during the grace period, even those
 * reparented away when their parent exits. A grace kill is listed by
 * PROCTERM_CMD_PENDING and cancelled by PROCTERM_CMD_CANCEL; a refused
 * one changes nothing; the deadline SIGKILL is judged again at the
 * deadline, and a refused one ends the record (PROCTERM_STAGE_REFUSED).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "procterm_test.h"
#include "race_lib.h"

#define MAXP 16

/* Shared between the test and its targets (MAP_SHARED before fork). */
struct shared {
	volatile int go;		/* the test armed the request */
	volatile int got_term;		/* a target's handler saw the signal */
	volatile int npids;
	volatile pid_t pids[MAXP];	/* every process of a tree target */
	volatile int step;		/* how far the tree's script got */
	volatile int step_done;		/* never set: keeps gcc quiet */
};

static struct shared *sh_map(void)
{
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (sh == MAP_FAILED)
		return NULL;
	memset((void *)sh, 0, sizeof(*sh));
	return sh;
}

static void sh_add(struct shared *sh, pid_t p)
{
	int i = __atomic_fetch_add(&sh->npids, 1, __ATOMIC_SEQ_CST);

	if (i < MAXP)
		sh->pids[i] = p;
}

static bool sh_has(struct shared *sh, pid_t p)
{
	int i;

	for (i = 0; i < sh->npids && i < MAXP; i++)
		if (sh->pids[i] == p)
			return true;
	return false;
}

/*
 * Grace periods and the windows inside them, stretched on a slow kernel
 * (PROCTERM_TIMEOUT_SCALE, 4 on the debug kernels): the tests that must
 * do something before the deadline need the time to do it.
 */
static int tscale(void)
{
	return (int)pt_env_long("PROCTERM_TIMEOUT_SCALE", 1, 1, 100);
}

static void wait_flag(volatile int *flag, int v)
{
	while (*flag < v)
		usleep(1000);
}

struct gargs {
	uint32_t grace_ms;
	uint32_t sig;
	uint32_t flags;
	bool has_status;
	uint32_t status;
	bool deferred;
};

static int grace_kill(struct pt_sock *s, pid_t pid, const struct gargs *a,
		      struct pt_reply *r)
{
	struct pt_msg m;
	uint32_t flags = a->flags | (a->deferred ? PROCTERM_F_DEFERRED : 0);

	pt_msg_init(&m, s, PROCTERM_CMD_KILL, 0);
	pt_put_u32(&m, PROCTERM_A_PID, (uint32_t)pid);
	if (a->grace_ms)
		pt_put_u32(&m, PROCTERM_A_GRACE_MS, a->grace_ms);
	if (a->sig)
		pt_put_u32(&m, PROCTERM_A_SIGNAL, a->sig);
	if (a->has_status)
		pt_put_u32(&m, PROCTERM_A_EXIT_STATUS, a->status);
	if (flags)
		pt_put_u32(&m, PROCTERM_A_FLAGS, flags);
	m.want = PT_WANT_ACK | PT_WANT_REPLY;
	if (flags & PROCTERM_F_WAIT)
		m.want |= PT_WANT_EVENT;
	return pt_request(s, &m, r);
}

/* Is request @id in PROCTERM_CMD_PENDING as a grace kill? 1, 0, or -errno. */
static int grace_listed(struct pt_sock *s, uint64_t id)
{
	static unsigned char buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct pt_msg m;
	struct pt_attrs a;
	int found = 0, ret;

	pt_msg_init(&m, s, PROCTERM_CMD_PENDING, NLM_F_DUMP);
	ret = pt_send(s, m.buf, m.len);
	if (ret)
		return ret;
	for (;;) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return found;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error)
					return e->error;
				continue;
			}
			pt_attrs_parse(&a, (unsigned char *)NLMSG_DATA(h) + GENL_HDRLEN,
				       h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
			if (a.has[PROCTERM_A_REQUEST_ID] && a.u[PROCTERM_A_REQUEST_ID] == id &&
			    a.has[PROCTERM_A_GRACE_MS])
				found = 1;
		}
	}
}

/* A target that ignores SIGTERM (or handles it: exit @code from the handler). */
struct target_arg {
	struct shared *sh;
	int handle_code;		/* 0: ignore the signal */
	bool raise_uid;			/* start as uid 1000, become root on go */
};

static struct shared *handler_sh;
static int handler_code;

static void on_term(int sig)
{
	(void)sig;
	handler_sh->got_term = 1;
	if (handler_code)
		_exit(handler_code);
}

static int target_body(int ready_fd, void *p)
{
	struct target_arg *a = p;

	handler_sh = a->sh;
	handler_code = a->handle_code;
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if (a->raise_uid && setresuid(PT_UNPRIV_UID, PT_UNPRIV_UID, 0))
		return 90;
	pt_ready(ready_fd);
	if (a->raise_uid) {
		wait_flag(&a->sh->go, 1);
		if (setresuid(0, 0, 0))
			return 91;
	}
	for (;;)
		pause();
}

static pid_t spawn_target(struct shared *sh, int code, bool raise_uid)
{
	struct target_arg a = { .sh = sh, .handle_code = code, .raise_uid = raise_uid };

	return pt_spawn(target_body, &a, NULL, 0);
}

FIXTURE(grace) {
	struct pt_sock s;
	struct shared *sh;
	pid_t target;
};

FIXTURE_SETUP(grace)
{
	PT_OPEN_OR_SKIP(&self->s);
	self->s.timeout_ms = PT_DEATH_MS;
	self->sh = sh_map();
	ASSERT_NE(NULL, self->sh);
	self->target = -1;
}

FIXTURE_TEARDOWN(grace)
{
	int i;

	if (self->target > 0)
		pt_reap(&self->target);
	for (i = 0; self->sh && i < self->sh->npids && i < MAXP; i++)
		if (self->sh->pids[i] > 0)
			kill(self->sh->pids[i], SIGKILL);
	pt_close(&self->s);
}

/* A process that ignores SIGTERM dies of SIGKILL at the deadline. */
TEST_F(grace, term_ignored_killed_at_deadline)
{
	struct gargs a = { .grace_ms = 600, .flags = PROCTERM_F_WAIT };
	struct pt_reply r;
	int64_t t0;
	int st, ret;

	self->target = spawn_target(self->sh, 0, false);
	ASSERT_GT(self->target, 0);
	t0 = mono_ms();
	ret = grace_kill(&self->s, self->target, &a, &r);
	ASSERT_PT_FEATURE("grace kill", ret, r.msg);
	ASSERT_PT_OK(ret, r);
	ASSERT_TRUE(r.a.has[PROCTERM_A_REQUEST_ID]);
	ASSERT_EQ(1, (int)r.a.u[PROCTERM_A_COUNT]);
	ASSERT_EQ(1, r.nevents) TH_LOG("no wait message");
	ASSERT_TRUE(r.ev.has[PROCTERM_A_STAGE]);
	EXPECT_EQ(PROCTERM_STAGE_KILL, (int)r.ev.u[PROCTERM_A_STAGE]);
	ASSERT_DIES(self->target, st);
	self->target = -1;
	ASSERT_KILLED_BY_SIGKILL(st);
	EXPECT_EQ(SIGKILL, WTERMSIG((int)r.ev.u[PROCTERM_A_WAIT_STATUS]));
	EXPECT_GE(mono_ms() - t0, 550) TH_LOG("killed before the deadline");
	EXPECT_EQ(0, counter_drains("grace", 5000));
	EXPECT_EQ(0, counter_drains("grace_nodes", 5000));
}

/* With a status, the parent sees it when the deadline kills. */
TEST_F(grace, deadline_status)
{
	struct gargs a = { .grace_ms = 300, .flags = PROCTERM_F_WAIT,
			   .has_status = true, .status = 7 };
	struct pt_reply r;
	int st, ret;

	self->target = spawn_target(self->sh, 0, false);
	ASSERT_GT(self->target, 0);
	ret = grace_kill(&self->s, self->target, &a, &r);
	ASSERT_PT_OK(ret, r);
	ASSERT_EQ(1, r.nevents);
	EXPECT_EQ(PROCTERM_STAGE_KILL, (int)r.ev.u[PROCTERM_A_STAGE]);
	ASSERT_DIES(self->target, st);
	self->target = -1;
	ASSERT_EXITED_WITH(7, st);
}

/* A process that handles SIGTERM ends during grace with its own status. */
TEST_F(grace, term_handled_own_status)
{
	struct gargs a = { .grace_ms = 20000, .flags = PROCTERM_F_WAIT,
			   .has_status = true, .status = 9 };
	struct pt_reply r;
	int st, ret;

	self->target = spawn_target(self->sh, 3, false);
	ASSERT_GT(self->target, 0);
	ret = grace_kill(&self->s, self->target, &a, &r);
	ASSERT_PT_OK(ret, r);
	ASSERT_EQ(1, r.nevents);
	EXPECT_EQ(PROCTERM_STAGE_TERM, (int)r.ev.u[PROCTERM_A_STAGE]);
	ASSERT_DIES(self->target, st);
	self->target = -1;
	ASSERT_EXITED_WITH(3, st);
	EXPECT_EQ(1, self->sh->got_term);
	/* The record stays until its deadline or a cancel: cancel it. */
	EXPECT_EQ(0, pt_cancel(&self->s, r.a.u[PROCTERM_A_REQUEST_ID], &r));
	EXPECT_EQ(0, counter_drains("grace", 5000));
}

/* PROCTERM_A_SIGNAL picks the first signal. */
TEST_F(grace, first_signal_chosen)
{
	struct gargs a = { .grace_ms = 20000, .sig = SIGINT, .flags = PROCTERM_F_WAIT };
	struct pt_reply r;
	int st, ret;

	self->target = spawn_target(self->sh, 5, false);
	ASSERT_GT(self->target, 0);
	ret = grace_kill(&self->s, self->target, &a, &r);
	ASSERT_PT_OK(ret, r);
	EXPECT_EQ(PROCTERM_STAGE_TERM, (int)r.ev.u[PROCTERM_A_STAGE]);
	ASSERT_DIES(self->target, st);
	self->target = -1;
	ASSERT_EXITED_WITH(5, st);
	pt_cancel(&self->s, r.a.u[PROCTERM_A_REQUEST_ID], &r);
}

/* Cancelled during grace: alive after the deadline, and no longer listed. */
TEST_F(grace, cancel_leaves_alive)
{
	struct gargs a = { .grace_ms = 500 };
	struct pt_reply r;
	uint64_t id;
	int ret;

	self->target = spawn_target(self->sh, 0, false);
	ASSERT_GT(self->target, 0);
	ret = grace_kill(&self->s, self->target, &a, &r);
	ASSERT_PT_OK(ret, r);
	id = r.a.u[PROCTERM_A_REQUEST_ID];
	ASSERT_EQ(1, grace_listed(&self->s, id));
	ASSERT_EQ(0, pt_cancel(&self->s, id, &r)) TH_LOG("cancel: %s", r.msg);
	EXPECT_EQ(0, grace_listed(&self->s, id));
	/* A second cancel finds nothing. */
	EXPECT_EQ(-ENOENT, pt_cancel(&self->s, id, &r));
	sleep_ms(1500);
	EXPECT_TRUE(pt_pid_alive(self->target));
	EXPECT_FALSE(pt_child_exited(self->target));
	EXPECT_EQ(1, self->sh->got_term);
	EXPECT_EQ(0, counter_drains("grace", 5000));
}

/* A fired grace kill cannot be cancelled any more. */
TEST_F(grace, cancel_after_deadline_enoent)
{
	struct gargs a = { .grace_ms = 100 };
	struct pt_reply r;
	uint64_t id;
	int st, ret;

	self->target = spawn_target(self->sh, 0, false);
	ASSERT_GT(self->target, 0);
	ret = grace_kill(&self->s, self->target, &a, &r);
	ASSERT_PT_OK(ret, r);
	id = r.a.u[PROCTERM_A_REQUEST_ID];
	ASSERT_DIES(self->target, st);
	self->target = -1;
	ASSERT_KILLED_BY_SIGKILL(st);
	EXPECT_EQ(-ENOENT, pt_cancel(&self->s, id, &r));
	EXPECT_EQ(0, grace_listed(&self->s, id));
}

/* With --wait, a cancel is reported as the stage. */
TEST_F(grace, cancel_reported_to_waiter)
{
	struct gargs a = { .grace_ms = 3000, .flags = PROCTERM_F_WAIT };
	struct pt_sock s2;
	struct pt_reply r, r2;
	struct pt_msg m;
	int ret;

	self->target = spawn_target(self->sh, 0, false);
	ASSERT_GT(self->target, 0);
	pt_msg_init(&m, &self->s, PROCTERM_CMD_KILL, 0);
	pt_put_u32(&m, PROCTERM_A_PID, (uint32_t)self->target);
	pt_put_u32(&m, PROCTERM_A_GRACE_MS, a.grace_ms);
	pt_put_u32(&m, PROCTERM_A_FLAGS, a.flags);
	m.want = PT_WANT_ACK | PT_WANT_REPLY;
	ret = pt_request(&self->s, &m, &r);
	ASSERT_PT_OK(ret, r);
	ASSERT_EQ(0, pt_open(&s2));
	ASSERT_EQ(0, pt_cancel(&s2, r.a.u[PROCTERM_A_REQUEST_ID], &r2));
	pt_close(&s2);
	memset(&r2, 0, sizeof(r2));
	ret = pt_recv(&self->s, pt_nlh(&m)->nlmsg_seq, PT_WANT_EVENT, &r2);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(1, r2.nevents);
	EXPECT_EQ(PROCTERM_STAGE_CANCELLED, (int)r2.ev.u[PROCTERM_A_STAGE]);
	EXPECT_FALSE(r2.ev.has[PROCTERM_A_WAIT_STATUS]);
	EXPECT_TRUE(pt_pid_alive(self->target));
}

/* Bad requests: each with its own errno and an extack. */
TEST_F(grace, policy)
{
	struct gargs a = { .grace_ms = 1000 };
	struct pt_reply r;
	int ret, st;

	self->target = spawn_target(self->sh, 0, false);
	ASSERT_GT(self->target, 0);

	a.sig = SIGKILL;
	ret = grace_kill(&self->s, self->target, &a, &r);
	ASSERT_PT_ERROR(EINVAL, ret, r);
	a.sig = SIGSTOP;
	ret = grace_kill(&self->s, self->target, &a, &r);
	ASSERT_PT_ERROR(EINVAL, ret, r);
	a.sig = 65;
	ret = grace_kill(&self->s, self->target, &a, &r);
	ASSERT_NE(0, ret);
	a.sig = 0;
	a.deferred = true;
	ret = grace_kill(&self->s, self->target, &a, &r);
	ASSERT_PT_ERROR(EINVAL, ret, r);
	a.deferred = false;
	a.grace_ms = PROCTERM_GRACE_MAX_MS + 1;
	ret = grace_kill(&self->s, self->target, &a, &r);
	ASSERT_NE(0, ret);
	EXPECT_NE('\0', r.msg[0]);

	/* A first signal without a grace period. */
	a.grace_ms = 0;
	a.sig = SIGTERM;
	ret = grace_kill(&self->s, self->target, &a, &r);
	ASSERT_PT_ERROR(EINVAL, ret, r);

	usleep(100000);
	EXPECT_EQ(0, self->sh->got_term) TH_LOG("a refused request signalled");
	EXPECT_EQ(0, counter("grace"));

	/* The last valid signal, SIGRTMAX (64 = _NSIG on x86), is accepted. */
	a.grace_ms = 1000;
	a.sig = SIGRTMAX;
	ret = grace_kill(&self->s, self->target, &a, &r);
	ASSERT_PT_OK(ret, r);
	ASSERT_DIES(self->target, st);
	self->target = -1;
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGRTMAX);
	EXPECT_EQ(0, counter_drains("grace", 3000));
}

/* PID 1 is refused; nothing is armed. */
TEST_F(grace, pid1_refused)
{
	struct gargs a = { .grace_ms = 1000 };
	struct pt_reply r;
	int ret;

	ret = grace_kill(&self->s, 1, &a, &r);
	ASSERT_PT_ERROR(EPERM, ret, r);
	EXPECT_EQ(0, counter("grace"));
}

struct unpriv_arg {
	pid_t target;
	struct gargs a;
	int fd;
};

struct unpriv_res {
	int stage;
	int ret;
	bool listed_any;
	bool has_stage;
	uint64_t stage_val;
	char msg[PT_EXTACK_LEN];
};

static int unpriv_body(int ready_fd, void *p)
{
	struct unpriv_arg *u = p;
	struct unpriv_res res = { 0 };
	struct pt_reply r;
	struct pt_sock s;

	pt_ready(ready_fd);
	res.ret = become_unpriv(PT_UNPRIV_UID);
	if (res.ret) {
		res.stage = 1;
		goto out;
	}
	res.ret = pt_open(&s);
	if (res.ret) {
		res.stage = 2;
		goto out;
	}
	s.timeout_ms = PT_DEATH_MS;
	res.ret = grace_kill(&s, u->target, &u->a, &r);
	snprintf(res.msg, sizeof(res.msg), "%s", r.msg);
	res.has_stage = r.ev.has[PROCTERM_A_STAGE];
	res.stage_val = r.ev.u[PROCTERM_A_STAGE];
	pt_close(&s);
out:
	pt_write_full(u->fd, &res, sizeof(res));
	return 0;
}

static int run_unpriv(pid_t target, const struct gargs *a, struct unpriv_res *res)
{
	struct unpriv_arg u = { .target = target, .a = *a };
	int p[2], st, ret;
	pid_t pid;

	if (pipe(p))
		return -errno;
	u.fd = p[1];
	pid = pt_spawn(unpriv_body, &u, NULL, 0);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return pid;
	}
	ret = pt_read_full(p[0], res, sizeof(*res));
	close(p[0]);
	pt_wait_timeout(pid, &st, PT_DEATH_MS);
	return ret;
}

/* An unprivileged requester against root's process: refused, nothing armed. */
TEST_F(grace, unprivileged_refused)
{
	struct gargs a = { .grace_ms = 300 };
	struct unpriv_res res;

	self->target = spawn_target(self->sh, 0, false);
	ASSERT_GT(self->target, 0);
	ASSERT_EQ(0, run_unpriv(self->target, &a, &res));
	ASSERT_EQ(0, res.stage) TH_LOG("setup step %d: %s", res.stage, pt_errname(res.ret));
	ASSERT_EQ(-EPERM, res.ret) TH_LOG("got %s (%s)", pt_errname(res.ret), res.msg);
	EXPECT_NE('\0', res.msg[0]);
	sleep_ms(800);
	EXPECT_TRUE(pt_pid_alive(self->target));
	EXPECT_EQ(0, self->sh->got_term);
	EXPECT_EQ(0, counter("grace"));
}

/*
 * The deadline SIGKILL is judged again: a target that was the requester's
 * (uid 1000) when SIGTERM was sent and is root's at the deadline refuses
 * it; the record ends all the same, and the waiter hears REFUSED.
 */
TEST_F(grace, deadline_refused_ends_record)
{
	struct gargs a = { .grace_ms = 1500 * tscale(), .flags = PROCTERM_F_WAIT };
	struct unpriv_res res;
	long refused0 = counter("grace_refused");
	long grace0 = counter("grace");
	int64_t t0;
	int i;

	ASSERT_GE(refused0, 0);
	self->target = spawn_target(self->sh, 0, true);
	ASSERT_GT(self->target, 0);
	/* Become root again once the request is armed (its record counted). */
	if (fork_child() == 0) {
		for (i = 0; counter("grace") <= grace0 && i < 20000; i++)
			sleep_ms(1);
		self->sh->go = 1;
		_exit(0);
	}
	t0 = mono_ms();
	ASSERT_EQ(0, run_unpriv(self->target, &a, &res));
	ASSERT_EQ(0, res.stage);
	ASSERT_EQ(0, res.ret) TH_LOG("got %s (%s)", pt_errname(res.ret), res.msg);
	ASSERT_TRUE(res.has_stage);
	EXPECT_EQ(PROCTERM_STAGE_REFUSED, (int)res.stage_val);
	EXPECT_GE(mono_ms() - t0, 1400 * tscale());
	EXPECT_TRUE(pt_pid_alive(self->target));
	EXPECT_EQ(refused0 + 1, counter("grace_refused"));
	EXPECT_EQ(0, counter_drains("grace", 5000));
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* max_grace bounds armed grace kills per user: EDQUOT naming the limit. */
TEST_F(grace, limit)
{
	struct gargs a = { .grace_ms = 60000 };
	char old[32] = "";
	uint64_t ids[17];
	struct pt_reply r;
	int i, n = 0, ret = 0;

	if (pt_read_file("/sys/module/procterm/parameters/max_grace", old, sizeof(old)) <= 0)
		SKIP(return, "no max_grace parameter");
	ASSERT_EQ(0, pt_write_file("/sys/module/procterm/parameters/max_grace", "1"));
	self->target = spawn_target(self->sh, 0, false);
	ASSERT_GT(self->target, 0);
	/* Root has CAP_SYS_ADMIN: 16 times the limit. */
	for (i = 0; i < 17; i++) {
		ret = grace_kill(&self->s, self->target, &a, &r);
		if (ret)
			break;
		ids[n++] = r.a.u[PROCTERM_A_REQUEST_ID];
	}
	pt_write_file("/sys/module/procterm/parameters/max_grace", old);
	EXPECT_EQ(16, n);
	EXPECT_EQ(-EDQUOT, ret);
	EXPECT_NE(NULL, strstr(r.msg, "max_grace")) TH_LOG("extack \"%s\"", r.msg);
	for (i = 0; i < n; i++)
		EXPECT_EQ(0, pt_cancel(&self->s, ids[i], &r));
	EXPECT_EQ(0, counter_drains("grace", 5000));
	EXPECT_TRUE(pt_pid_alive(self->target));
}

/*
 * The tree: a root R with a child A. After the request, during grace, R
 * forks B, B forks D, A forks C and exits (C is reparented to the test, a
 * subreaper, out of R's tree). Everything ignores SIGTERM. At the deadline
 * R, B, C and D all die of SIGKILL; A exited by itself (status 0).
 */
static __attribute__((noreturn)) void tree_leaf(struct shared *sh)
{
	sh_add(sh, getpid());
	signal(SIGTERM, SIG_IGN);
	for (;;)
		pause();
}

static int tree_body(int ready_fd, void *p)
{
	struct shared *sh = p;
	pid_t a, b;

	signal(SIGTERM, SIG_IGN);
	sh_add(sh, getpid());
	a = fork();
	if (a == 0) {
		pid_t c;

		sh_add(sh, getpid());
		wait_flag(&sh->go, 1);
		c = fork();
		if (c == 0)
			tree_leaf(sh);		/* C */
		while (!sh_has(sh, c))
			usleep(1000);
		__atomic_add_fetch(&sh->step, 1, __ATOMIC_SEQ_CST);
		_exit(0);			/* A: C is orphaned */
	}
	while (sh->npids < 2)
		usleep(1000);
	pt_ready(ready_fd);
	wait_flag(&sh->go, 1);
	b = fork();
	if (b == 0) {
		pid_t d;

		sh_add(sh, getpid());		/* B */
		d = fork();
		if (d == 0)
			tree_leaf(sh);		/* D */
		while (!sh_has(sh, d))
			usleep(1000);
		__atomic_add_fetch(&sh->step, 1, __ATOMIC_SEQ_CST);
		for (;;)
			pause();
	}
	for (;;) {
		/* Reap A, so that nothing of the test leans on zombies. */
		waitpid(-1, NULL, 0);
		pause();
	}
}

TEST_F(grace, tree_forked_during_grace_killed)
{
	struct gargs a = { .grace_ms = 2500 * tscale(), .flags = PROCTERM_F_TREE };
	struct pt_reply r;
	int st, ret, i, alive = -1;
	int64_t t0;

	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	self->target = pt_spawn(tree_body, (void *)self->sh, NULL, 0);
	ASSERT_GT(self->target, 0);
	t0 = mono_ms();
	ret = grace_kill(&self->s, self->target, &a, &r);
	ASSERT_PT_FEATURE("grace tree kill", ret, r.msg);
	ASSERT_PT_OK(ret, r);
	EXPECT_EQ(2, (int)r.a.u[PROCTERM_A_COUNT]);
	self->sh->go = 1;
	/* Five processes: R, A, then C, B, D; A exits once C is there. */
	while ((self->sh->npids < 5 || self->sh->step < 2) &&
	       mono_ms() - t0 < 2000 * tscale())
		usleep(2000);
	ASSERT_EQ(5, self->sh->npids) TH_LOG("the tree did not grow in time");
	ASSERT_EQ(2, self->sh->step);
	ASSERT_LT(mono_ms() - t0, 2300 * tscale())
		TH_LOG("too slow to test before the deadline");
	ASSERT_TRUE(pt_pid_alive(self->target));

	ASSERT_DIES(self->target, st);
	self->target = -1;
	ASSERT_KILLED_BY_SIGKILL(st);
	/* The others: C is ours now (subreaper), B and D are R's, then ours. */
	for (i = 0; i < 200; i++) {
		int j;

		alive = 0;
		for (j = 0; j < self->sh->npids && j < MAXP; j++) {
			char state = 0;
			struct pt_stat ps;

			if (!pt_read_stat(self->sh->pids[j], &ps))
				state = ps.state;
			if (state && state != 'Z' && state != 'X')
				alive++;
		}
		while (waitpid(-1, &st, WNOHANG) > 0)
			;
		if (!alive)
			break;
		sleep_ms(50);
	}
	EXPECT_EQ(0, alive) TH_LOG("%d tree members survived the deadline", alive);
	EXPECT_GE(mono_ms() - t0, 2400);
	prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
	EXPECT_EQ(0, counter_drains("grace", 5000));
	EXPECT_EQ(0, counter_drains("grace_nodes", 5000));
}

/*
 * CLONE_PARENT from a member whose parent is untracked: R (the root) has a
 * child A; during grace R exits, A is reparented to the test (a
 * subreaper), then A creates C with CLONE_PARENT, so C's parent is the
 * test. C is still a fork of a member and must die at the deadline.
 */
static int clone_parent_body(int ready_fd, void *p)
{
	struct shared *sh = p;
	pid_t r = getpid(), a;

	signal(SIGTERM, SIG_IGN);
	sh_add(sh, r);
	a = fork();
	if (a == 0) {
		long c;

		sh_add(sh, getpid());
		while (getppid() == r)
			usleep(1000);
		c = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
		if (c == 0)
			tree_leaf(sh);		/* C */
		while (c > 0 && !sh_has(sh, c))
			usleep(1000);
		__atomic_add_fetch(&sh->step, 1, __ATOMIC_SEQ_CST);
		for (;;)
			pause();
	}
	while (sh->npids < 2)
		usleep(1000);
	pt_ready(ready_fd);
	wait_flag(&sh->go, 1);
	_exit(0);				/* R: A is orphaned */
}

TEST_F(grace, tree_clone_parent_killed)
{
	struct gargs a = { .grace_ms = 2000, .flags = PROCTERM_F_TREE };
	struct pt_reply r;
	int st, ret, i, alive = -1;
	int64_t t0;

	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	self->target = pt_spawn(clone_parent_body, (void *)self->sh, NULL, 0);
	ASSERT_GT(self->target, 0);
	t0 = mono_ms();
	ret = grace_kill(&self->s, self->target, &a, &r);
	ASSERT_PT_FEATURE("grace tree kill", ret, r.msg);
	ASSERT_PT_OK(ret, r);
	EXPECT_EQ(2, (int)r.a.u[PROCTERM_A_COUNT]);
	self->sh->go = 1;
	ASSERT_EQ(self->target, waitpid(self->target, &st, 0));
	self->target = -1;
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	while ((self->sh->npids < 3 || self->sh->step < 1) && mono_ms() - t0 < 1500)
		usleep(2000);
	ASSERT_EQ(3, self->sh->npids) TH_LOG("C was not created in time");
	ASSERT_LT(mono_ms() - t0, 1800) TH_LOG("too slow to test before the deadline");
	ASSERT_TRUE(pt_pid_alive(self->sh->pids[2]));

	for (i = 0; i < 100; i++) {
		int j;

		alive = 0;
		for (j = 1; j < self->sh->npids && j < MAXP; j++) {
			char state = 0;
			struct pt_stat ps;

			if (!pt_read_stat(self->sh->pids[j], &ps))
				state = ps.state;
			if (state && state != 'Z' && state != 'X')
				alive++;
		}
		while (waitpid(-1, &st, WNOHANG) > 0)
			;
		if (!alive && mono_ms() - t0 >= 2000)
			break;
		sleep_ms(50);
	}
	EXPECT_EQ(0, alive) TH_LOG("%d members (A, C) survived the deadline", alive);
	EXPECT_GE(mono_ms() - t0, 1900);
	prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
	EXPECT_EQ(0, counter_drains("grace", 5000));
	EXPECT_EQ(0, counter_drains("grace_nodes", 5000));
}

/*
 * A chain of vforks (CLONE_VFORK without CLONE_VM): every parent stays in
 * the kernel until the end, so its refill never runs. Each child brings
 * its own share of the reserve: nothing overflows, the deadline is not
 * brought forward, and the whole chain dies at the deadline.
 */
#define VFORK_DEPTH 12

static int vfork_chain_body(int ready_fd, void *p)
{
	struct shared *sh = p;
	int depth;

	signal(SIGTERM, SIG_IGN);
	sh_add(sh, getpid());
	pt_ready(ready_fd);
	wait_flag(&sh->go, 1);
	for (depth = 0; depth < VFORK_DEPTH; depth++) {
		long c = syscall(SYS_clone, CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);

		if (c != 0)
			break;			/* a parent, after its child ended */
		sh_add(sh, getpid());
	}
	if (depth == VFORK_DEPTH)
		__atomic_add_fetch(&sh->step, 1, __ATOMIC_SEQ_CST);
	while (!sh->step_done)
		pause();
	return 0;
}

TEST_F(grace, tree_vfork_chain_no_overflow)
{
	struct gargs a = { .grace_ms = 2000 * tscale(), .flags = PROCTERM_F_TREE };
	int win = 1500 * tscale();
	int overflow0 = counter("grace_overflow");
	struct pt_reply r;
	int st, ret, i, alive = -1;
	int64_t t0;

	self->target = pt_spawn(vfork_chain_body, (void *)self->sh, NULL, 0);
	ASSERT_GT(self->target, 0);
	t0 = mono_ms();
	ret = grace_kill(&self->s, self->target, &a, &r);
	ASSERT_PT_FEATURE("grace tree kill", ret, r.msg);
	ASSERT_PT_OK(ret, r);
	self->sh->go = 1;
	while (self->sh->step < 1 && mono_ms() - t0 < win)
		usleep(2000);
	ASSERT_EQ(1, self->sh->step) TH_LOG("the chain did not grow in time");
	ASSERT_EQ(VFORK_DEPTH + 1, self->sh->npids);
	EXPECT_EQ(overflow0, counter("grace_overflow"));
	EXPECT_EQ(0, counter("grace_denied"));
	sleep_ms(win - (int)(mono_ms() - t0) > 0 ? win - (int)(mono_ms() - t0) : 0);
	/* Not brought forward: the chain is all there before the deadline. */
	for (i = 0; i < self->sh->npids && i < MAXP; i++)
		EXPECT_TRUE(pt_pid_alive(self->sh->pids[i])) TH_LOG("#%d died early", i);

	ASSERT_DIES(self->target, st);
	self->target = -1;
	ASSERT_KILLED_BY_SIGKILL(st);
	for (i = 0; i < 100; i++) {
		int j;

		alive = 0;
		for (j = 1; j < self->sh->npids && j < MAXP; j++) {
			char state = 0;
			struct pt_stat ps;

			if (!pt_read_stat(self->sh->pids[j], &ps))
				state = ps.state;
			if (state && state != 'Z' && state != 'X')
				alive++;
		}
		if (!alive)
			break;
		sleep_ms(50);
	}
	EXPECT_EQ(0, alive) TH_LOG("%d of the chain survived the deadline", alive);
	/* jiffies vs CLOCK_MONOTONIC under TCG: some slack. */
	EXPECT_GE(mono_ms() - t0, 1800);
	EXPECT_EQ(overflow0, counter("grace_overflow"));
	EXPECT_EQ(0, counter_drains("grace", 5000));
	EXPECT_EQ(0, counter_drains("grace_nodes", 5000));
}

/* A tree the requester may not signal: refused, nothing sent or armed. */
TEST_F(grace, tree_unprivileged_refused)
{
	struct gargs a = { .grace_ms = 300, .flags = PROCTERM_F_TREE };
	struct unpriv_res res;

	self->target = spawn_target(self->sh, 0, false);
	ASSERT_GT(self->target, 0);
	ASSERT_EQ(0, run_unpriv(self->target, &a, &res));
	ASSERT_EQ(0, res.stage);
	ASSERT_EQ(-EPERM, res.ret) TH_LOG("got %s (%s)", pt_errname(res.ret), res.msg);
	sleep_ms(600);
	EXPECT_EQ(0, self->sh->got_term);
	EXPECT_TRUE(pt_pid_alive(self->target));
	EXPECT_EQ(0, counter("grace"));
}

PT_HARNESS_MAIN
