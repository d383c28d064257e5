// SPDX-License-Identifier: GPL-2.0
/*
 * PROCTERM_CMD_KILL by PID with ZwTerminateProcess semantics: every thread
 * dies, the parent's waitpid() sees SIGKILL or the requested exit status,
 * the PROCTERM_F_WAIT death message comes only once the process is dead and
 * carries its wait status, and a request naming the caller itself never
 * returns to it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "procterm_test.h"

#define NTHREADS 8	/* threads in the multithreaded target, leader included */

FIXTURE(kill) {
	struct pt_sock nl;
	pid_t child;
	pid_t more[4];
};

FIXTURE_SETUP(kill)
{
	memset(self, 0, sizeof(*self));
	self->nl.fd = -1;
	PT_OPEN_OR_SKIP(&self->nl);
}

FIXTURE_TEARDOWN(kill)
{
	size_t i;

	pt_reap(&self->child);
	for (i = 0; i < ARRAY_SIZE(self->more); i++)
		pt_reap(&self->more[i]);
	pt_close(&self->nl);
}

/* Without PROCTERM_A_EXIT_STATUS the process dies of SIGKILL. */
TEST_F(kill, no_status_means_sigkill)
{
	struct pt_reply r;
	struct pt_stat st;
	int ret, status;
	pid_t pid;

	pid = self->child = pt_spawn_sleeper();
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, pt_read_stat(pid, &st));

	ret = pt_kill(&self->nl, pid, NULL, &r);
	ASSERT_PT_OK(ret, r);
	ASSERT_DIES(pid, status);
	self->child = 0;
	ASSERT_KILLED_BY_SIGKILL(status);
	EXPECT_EQ(-1, kill(pid, 0));
	EXPECT_EQ(ESRCH, errno);

	/* The reply names the target as resolved. */
	EXPECT_EQ(1, r.nreplies);
	EXPECT_EQ(PROCTERM_CMD_KILL, r.cmd);
	EXPECT_TRUE(r.a.has[PROCTERM_A_PID]);
	EXPECT_EQ((uint64_t)pid, r.a.u[PROCTERM_A_PID]);
	EXPECT_TRUE(r.a.has[PROCTERM_A_START_TIME]);
	EXPECT_EQ((uint64_t)st.start_time, r.a.u[PROCTERM_A_START_TIME])
		TH_LOG("reply start time differs from field 22 of /proc/PID/stat");
	EXPECT_TRUE(r.a.has[PROCTERM_A_COUNT]);
	EXPECT_EQ(1ULL, r.a.u[PROCTERM_A_COUNT]);
	EXPECT_FALSE(r.a.has[PROCTERM_A_EXIT_STATUS])
		TH_LOG("no status was requested, yet the reply echoes one");
	EXPECT_FALSE(r.a.has[PROCTERM_A_WAIT_STATUS]);
	EXPECT_FALSE(r.a.has[PROCTERM_A_REQUEST_ID]);
}

/*
 * PROCTERM_F_WAIT: the reply comes at once, a second message with the
 * request's sequence number once the process is dead, carrying its status.
 */
TEST_F(kill, wait_message_after_death)
{
	struct pt_kill_args args = { .flags = PROCTERM_F_WAIT };
	struct pt_reply r;
	struct pt_stat st;
	int ret, status;
	pid_t pid;

	pid = self->child = pt_spawn_sleeper();
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, pt_read_stat(pid, &st));

	ret = pt_kill(&self->nl, pid, &args, &r);
	ASSERT_PT_OK(ret, r);
	ASSERT_EQ(1, r.nreplies);
	EXPECT_FALSE(r.a.has[PROCTERM_A_WAIT_STATUS]);
	ASSERT_EQ(1, r.nevents);
	/* Dead already: waitable without blocking, and not yet reaped. */
	EXPECT_TRUE(pt_child_exited(pid))
		TH_LOG("the death message came while the process still ran");
	EXPECT_EQ(PROCTERM_CMD_KILL, r.ev_cmd);
	EXPECT_EQ((uint64_t)pid, r.ev.u[PROCTERM_A_PID]);
	EXPECT_EQ((uint64_t)st.start_time, r.ev.u[PROCTERM_A_START_TIME]);
	ASSERT_EQ(4, r.ev.len[PROCTERM_A_WAIT_STATUS]);

	ASSERT_DIES(pid, status);
	self->child = 0;
	ASSERT_KILLED_BY_SIGKILL(status);
	EXPECT_EQ((uint64_t)(unsigned int)status, r.ev.u[PROCTERM_A_WAIT_STATUS])
		TH_LOG("wait status 0x%llx in the message, 0x%x from waitpid()",
		       (unsigned long long)r.ev.u[PROCTERM_A_WAIT_STATUS], status);
}

/*
 * The death message does not come before death: a deferred kill of a
 * stopped process is acknowledged and replied to at once, but the process
 * dies (and the message comes) only after SIGCONT lets it run.
 */
TEST_F(kill, wait_message_not_before_death)
{
	struct pt_kill_args args = {
		.flags = PROCTERM_F_WAIT | PROCTERM_F_DEFERRED,
	};
	struct pt_reply r, later;
	uint32_t seq;
	int ret, status;
	pid_t pid;

	pid = self->child = pt_spawn_sleeper();
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, kill(pid, SIGSTOP));
	ASSERT_EQ(0, pt_wait_state(pid, 'T', PT_DEATH_MS));

	self->nl.timeout_ms = 500;
	ret = pt_kill(&self->nl, pid, &args, &r);
	seq = self->nl.seq;	/* the request's sequence number */
	ASSERT_PT_FEATURE("deferred termination", ret, r.msg);
	ASSERT_EQ(-EAGAIN, ret)
		TH_LOG("expected no death message yet, got %s (extack \"%s\")",
		       pt_errname(ret), r.msg);
	ASSERT_TRUE(r.acked && !r.err);
	ASSERT_EQ(1, r.nreplies);
	EXPECT_TRUE(r.a.has[PROCTERM_A_REQUEST_ID]);
	EXPECT_EQ(0, r.nevents);
	ASSERT_FALSE(pt_child_exited(pid));

	ASSERT_EQ(0, kill(pid, SIGCONT));
	self->nl.timeout_ms = PT_DEATH_MS;
	ret = pt_recv(&self->nl, seq, PT_WANT_EVENT, &later);
	ASSERT_EQ(0, ret) TH_LOG("no death message after SIGCONT: %s",
				 pt_errname(ret));
	ASSERT_TRUE(later.ev.has[PROCTERM_A_WAIT_STATUS]);
	ASSERT_DIES(pid, status);
	self->child = 0;
	ASSERT_KILLED_BY_SIGKILL(status);
	EXPECT_EQ((uint64_t)(unsigned int)status, later.ev.u[PROCTERM_A_WAIT_STATUS]);
}

/* A stopped process is terminated too (nothing needs to run it first). */
TEST_F(kill, stopped_target_dies)
{
	struct pt_reply r;
	int ret, status;
	pid_t pid;

	pid = self->child = pt_spawn_sleeper();
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, kill(pid, SIGSTOP));
	ASSERT_EQ(0, pt_wait_state(pid, 'T', PT_DEATH_MS));

	ret = pt_kill(&self->nl, pid, NULL, &r);
	ASSERT_PT_OK(ret, r);
	ASSERT_DIES(pid, status);
	self->child = 0;
	ASSERT_KILLED_BY_SIGKILL(status);
}

static int stubborn_body(int ready_fd, void *arg)
{
	sigset_t all;
	int sig;

	(void)arg;
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_IGN);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	pt_ready(ready_fd);
	pt_block_forever();
}

/* Ignoring and blocking every signal it can does not save a process. */
TEST_F(kill, ignoring_signals_does_not_help)
{
	struct pt_reply r;
	int ret, status;
	pid_t pid;

	pid = self->child = pt_spawn(stubborn_body, NULL, NULL, 1);
	ASSERT_LT(0, pid);

	ret = pt_kill(&self->nl, pid, NULL, &r);
	ASSERT_PT_OK(ret, r);
	ASSERT_DIES(pid, status);
	self->child = 0;
	ASSERT_KILLED_BY_SIGKILL(status);
}

/* Several processes, one socket, one after the other. */
TEST_F(kill, several_targets_one_socket)
{
	static const struct { bool has_status; uint32_t status; } how[] = {
		{ false, 0 }, { true, 1 }, { true, 0xC0000017 }, { false, 0 },
	};
	struct pt_reply r;
	int ret, status;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(how); i++) {
		self->more[i] = pt_spawn_sleeper();
		ASSERT_LT(0, self->more[i]);
	}
	for (i = 0; i < ARRAY_SIZE(how); i++) {
		struct pt_kill_args args = {
			.has_status = how[i].has_status,
			.status = how[i].status,
		};

		ret = pt_kill(&self->nl, self->more[i], &args, &r);
		ASSERT_PT_FEATURE("exit status", ret, r.msg);
		ASSERT_PT_OK(ret, r);
		EXPECT_EQ((uint64_t)self->more[i], r.a.u[PROCTERM_A_PID]);
	}
	for (i = 0; i < ARRAY_SIZE(how); i++) {
		ASSERT_DIES(self->more[i], status);
		self->more[i] = 0;
		if (how[i].has_status)
			ASSERT_EXITED_WITH(how[i].status & 0xff, status);
		else
			ASSERT_KILLED_BY_SIGKILL(status);
	}
}

/*
 * Exit statuses: the parent sees WIFEXITED with the low 8 bits; the reply
 * echoes all 32.
 */
FIXTURE(status) {
	struct pt_sock nl;
	pid_t child;
};

FIXTURE_VARIANT(status) {
	uint32_t status;
	int code;	/* what waitpid() must report */
};

FIXTURE_VARIANT_ADD(status, zero) { .status = 0, .code = 0 };
FIXTURE_VARIANT_ADD(status, small) { .status = 42, .code = 42 };
/* STATUS_ACCESS_VIOLATION, as Windows tools pass it. */
FIXTURE_VARIANT_ADD(status, ntstatus) { .status = 0xC0000005, .code = 5 };
FIXTURE_VARIANT_ADD(status, low_byte_zero) { .status = 0x100, .code = 0 };
FIXTURE_VARIANT_ADD(status, all_ones) { .status = 0xFFFFFFFF, .code = 255 };
/* The number of SIGKILL, but as an exit status, not a signal. */
FIXTURE_VARIANT_ADD(status, nine) { .status = 9, .code = 9 };

FIXTURE_SETUP(status)
{
	memset(self, 0, sizeof(*self));
	self->nl.fd = -1;
	PT_OPEN_OR_SKIP(&self->nl);
	self->child = pt_spawn_sleeper();
	ASSERT_LT(0, self->child);
}

FIXTURE_TEARDOWN(status)
{
	pt_reap(&self->child);
	pt_close(&self->nl);
}

TEST_F(status, parent_sees_exit_code)
{
	struct pt_kill_args args = { .has_status = true, .status = variant->status };
	pid_t pid = self->child;
	struct pt_reply r;
	int ret, status;

	ret = pt_kill(&self->nl, pid, &args, &r);
	ASSERT_PT_FEATURE("exit status", ret, r.msg);
	ASSERT_PT_OK(ret, r);
	ASSERT_DIES(pid, status);
	self->child = 0;
	ASSERT_EXITED_WITH(variant->code, status);

	ASSERT_TRUE(r.a.has[PROCTERM_A_EXIT_STATUS]);
	EXPECT_EQ(4, r.a.len[PROCTERM_A_EXIT_STATUS]);
	EXPECT_EQ((uint64_t)variant->status, r.a.u[PROCTERM_A_EXIT_STATUS])
		TH_LOG("reply echoes 0x%llx, requested 0x%x",
		       (unsigned long long)r.a.u[PROCTERM_A_EXIT_STATUS],
		       variant->status);
}

TEST_F(status, wait_reports_final_status)
{
	struct pt_kill_args args = {
		.has_status = true,
		.status = variant->status,
		.flags = PROCTERM_F_WAIT,
	};
	pid_t pid = self->child;
	struct pt_reply r;
	int ret, status;

	ret = pt_kill(&self->nl, pid, &args, &r);
	ASSERT_PT_FEATURE("exit status", ret, r.msg);
	ASSERT_PT_OK(ret, r);
	EXPECT_TRUE(pt_child_exited(pid))
		TH_LOG("the death message came while the process still ran");
	ASSERT_TRUE(r.ev.has[PROCTERM_A_WAIT_STATUS]);
	EXPECT_EQ((uint64_t)variant->status, r.a.u[PROCTERM_A_EXIT_STATUS]);

	ASSERT_DIES(pid, status);
	self->child = 0;
	ASSERT_EXITED_WITH(variant->code, status);
	EXPECT_EQ((uint64_t)(unsigned int)status, r.ev.u[PROCTERM_A_WAIT_STATUS])
		TH_LOG("wait status 0x%llx in the message, 0x%x from waitpid()",
		       (unsigned long long)r.ev.u[PROCTERM_A_WAIT_STATUS], status);
}

/*
 * Multithreaded targets: NTHREADS threads, sleeping or spinning; and the
 * case where the leader has already left with pthread_exit() while the other
 * threads run on (a signal aimed at that exiting leader alone does not turn
 * into a group kill).
 */
FIXTURE(threads) {
	struct pt_sock nl;
	pid_t child;
};

FIXTURE_VARIANT(threads) {
	bool spin;
	bool leader_exits;
	bool has_status;
	uint32_t status;
};

FIXTURE_VARIANT_ADD(threads, sleeping) {
	.spin = false, .leader_exits = false,
};
FIXTURE_VARIANT_ADD(threads, spinning) {
	.spin = true, .leader_exits = false, .has_status = true, .status = 0xC000013A,
};
FIXTURE_VARIANT_ADD(threads, leader_exited_sleeping) {
	.spin = false, .leader_exits = true,
};
FIXTURE_VARIANT_ADD(threads, leader_exited_spinning) {
	.spin = true, .leader_exits = true, .has_status = true, .status = 7,
};

struct threads_arg {
	bool spin;
	bool leader_exits;
	pthread_barrier_t started;
};

static void *thread_main(void *p)
{
	struct threads_arg *a = p;
	volatile unsigned long n = 0;

	if (a->spin)	/* keep the test process responsive on one CPU */
		setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
	pthread_barrier_wait(&a->started);
	if (!a->spin)
		pt_block_forever();
	for (;;)
		n++;
	return NULL;
}

static int threads_body(int ready_fd, void *p)
{
	static struct threads_arg a;
	const struct threads_arg *v = p;
	pthread_t t;
	int i;

	a.spin = v->spin;
	a.leader_exits = v->leader_exits;
	pthread_barrier_init(&a.started, NULL, NTHREADS);
	for (i = 1; i < NTHREADS; i++)
		if (pthread_create(&t, NULL, thread_main, &a))
			return 120;
	pthread_barrier_wait(&a.started);
	pt_ready(ready_fd);
	if (a.leader_exits)
		pthread_exit(NULL);
	pt_block_forever();
}

static pid_t spawn_threads(struct __test_metadata *_metadata,
			   const FIXTURE_VARIANT(threads) *variant)
{
	struct threads_arg a = {
		.spin = variant->spin,
		.leader_exits = variant->leader_exits,
	};
	pid_t pid = pt_spawn(threads_body, &a, NULL, 1);

	if (pid <= 0)
		return pid;
	if (variant->leader_exits) {
		/* Only the kernel can tell that the leader has gone. */
		EXPECT_EQ(0, pt_wait_state(pid, 'Z', PT_DEATH_MS))
			TH_LOG("the leader did not exit");
		EXPECT_TRUE(!pt_child_exited(pid))
			TH_LOG("the whole process exited with its leader");
	}
	EXPECT_EQ(NTHREADS, pt_thread_count(pid));
	return pid;
}

FIXTURE_SETUP(threads)
{
	memset(self, 0, sizeof(*self));
	self->nl.fd = -1;
	PT_OPEN_OR_SKIP(&self->nl);
	self->child = spawn_threads(_metadata, variant);
	ASSERT_LT(0, self->child);
}

FIXTURE_TEARDOWN(threads)
{
	pt_reap(&self->child);
	pt_close(&self->nl);
}

static void check_threads_status(struct __test_metadata *_metadata,
				 const FIXTURE_VARIANT(threads) *variant,
				 int status)
{
	if (variant->has_status)
		ASSERT_EXITED_WITH(variant->status & 0xff, status);
	else
		ASSERT_KILLED_BY_SIGKILL(status);
}

TEST_F_TIMEOUT(threads, all_die, PT_TIMEOUT(90))
{
	struct pt_kill_args args = {
		.has_status = variant->has_status,
		.status = variant->status,
	};
	pid_t pid = self->child;
	struct pt_reply r;
	int ret, status;

	ret = pt_kill(&self->nl, pid, &args, &r);
	ASSERT_PT_FEATURE("exit status", ret, r.msg);
	ASSERT_PT_OK(ret, r);
	/* waitpid() on the leader reports only once every thread is gone. */
	ASSERT_DIES(pid, status);
	self->child = 0;
	check_threads_status(_metadata, variant, status);
}

TEST_F_TIMEOUT(threads, wait_until_all_gone, PT_TIMEOUT(90))
{
	struct pt_kill_args args = {
		.has_status = variant->has_status,
		.status = variant->status,
		.flags = PROCTERM_F_WAIT,
	};
	pid_t pid = self->child;
	struct pt_reply r;
	int ret, status;

	ret = pt_kill(&self->nl, pid, &args, &r);
	ASSERT_PT_FEATURE("exit status", ret, r.msg);
	ASSERT_PT_OK(ret, r);
	EXPECT_TRUE(pt_child_exited(pid))
		TH_LOG("the death message came with threads still alive (%d in /proc)",
		       pt_thread_count(pid));
	ASSERT_TRUE(r.ev.has[PROCTERM_A_WAIT_STATUS]);
	ASSERT_DIES(pid, status);
	self->child = 0;
	check_threads_status(_metadata, variant, status);
	EXPECT_EQ((uint64_t)(unsigned int)status, r.ev.u[PROCTERM_A_WAIT_STATUS]);
}

/*
 * A request naming the caller's own process: it is carried out and never
 * returns. The child reports on a pipe only if the request came back.
 */
FIXTURE(self) {
	struct pt_sock nl;
	pid_t child;
	int result_fd;
};

FIXTURE_VARIANT(self) {
	bool has_status;
	uint32_t status;
	uint32_t flags;
	bool from_thread;	/* a second thread of the process asks */
};

FIXTURE_VARIANT_ADD(self, sigkill) { .has_status = false };
FIXTURE_VARIANT_ADD(self, status) { .has_status = true, .status = 42 };
FIXTURE_VARIANT_ADD(self, from_other_thread) {
	.has_status = true, .status = 0x12345678, .from_thread = true,
};
FIXTURE_VARIANT_ADD(self, with_wait) {
	.has_status = true, .status = 42, .flags = PROCTERM_F_WAIT,
};

struct self_arg {
	const FIXTURE_VARIANT(self) *variant;
	int result_fd;
};

static void *self_request(void *p)
{
	const struct self_arg *a = p;
	struct pt_kill_args args = {
		.has_status = a->variant->has_status,
		.status = a->variant->status,
		.flags = a->variant->flags,
	};
	struct pt_result res = { 0 };
	struct pt_reply r;
	struct pt_sock s;

	res.ret = pt_open(&s);
	if (res.ret) {
		res.stage = 1;
	} else {
		res.ret = pt_kill(&s, getpid(), &args, &r);
		snprintf(res.msg, sizeof(res.msg), "%s", r.msg);
	}
	/* Only reached if the request returned. */
	pt_ready_data(a->result_fd, &res, sizeof(res));
	_exit(99);
}

static int self_body(int ready_fd, void *p)
{
	pthread_t t;

	pt_ready(ready_fd);
	if (!((struct self_arg *)p)->variant->from_thread)
		self_request(p);
	if (pthread_create(&t, NULL, self_request, p))
		return 120;
	pt_block_forever();
}

FIXTURE_SETUP(self)
{
	memset(self, 0, sizeof(*self));
	self->nl.fd = -1;
	self->result_fd = -1;
	PT_OPEN_OR_SKIP(&self->nl);
}

FIXTURE_TEARDOWN(self)
{
	pt_reap(&self->child);
	if (self->result_fd >= 0)
		close(self->result_fd);
	pt_close(&self->nl);
}

TEST_F(self, request_never_returns)
{
	struct self_arg a = { .variant = variant };
	struct pt_result res;
	int p[2], status, ret;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	self->result_fd = p[0];
	a.result_fd = p[1];
	self->child = pt_spawn(self_body, &a, NULL, 1);
	close(p[1]);
	ASSERT_LT(0, self->child);

	ASSERT_DIES(self->child, status);
	self->child = 0;
	ret = pt_read_result(self->result_fd, &res);
	if (!ret)
		ASSERT_PT_FEATURE("exit status", res.ret, res.msg);
	EXPECT_EQ(-EPIPE, ret)
		TH_LOG("the request returned to its caller: %s, stage %d (extack \"%s\")",
		       pt_errname(res.ret), res.stage, res.msg);
	if (variant->has_status)
		ASSERT_EXITED_WITH(variant->status & 0xff, status);
	else
		ASSERT_KILLED_BY_SIGKILL(status);
}

PT_HARNESS_MAIN
