// SPDX-License-Identifier: GPL-2.0
/*
 * PROCTERM_CMD_KILL error classes, each an errno in the netlink ack with an
 * extended-ack message: no such process (ESRCH), access denied (EPERM, by
 * the rules of kill(2) for SIGKILL, and always for PID 1), not a process
 * (ENOTTY: kernel threads, threads that do not lead their group) and
 * already exited (EALREADY). Every refusal leaves its target alive and
 * untouched.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "procterm_test.h"

FIXTURE(errors) {
	struct pt_sock nl;
	pid_t canary;	/* root-owned bystander that must survive */
	pid_t child;
	int result_fd;
};

FIXTURE_SETUP(errors)
{
	memset(self, 0, sizeof(*self));
	self->nl.fd = -1;
	self->result_fd = -1;
	PT_OPEN_OR_SKIP(&self->nl);
	self->canary = pt_spawn_sleeper();
	ASSERT_LT(0, self->canary);
}

FIXTURE_TEARDOWN(errors)
{
	pt_reap(&self->child);
	pt_reap(&self->canary);
	if (self->result_fd >= 0)
		close(self->result_fd);
	pt_close(&self->nl);
}

#define ASSERT_CANARY_ALIVE() do {					\
	ASSERT_TRUE(pt_pid_alive(self->canary) &&			\
		    !pt_child_exited(self->canary))			\
		TH_LOG("the bystander process died");			\
} while (0)

TEST_F(errors, unused_pid_is_esrch)
{
	struct pt_reply r;
	pid_t pid;
	int ret;

	pid = pt_unused_pid();
	ASSERT_LT(0, pid);
	ret = pt_kill(&self->nl, pid, NULL, &r);
	ASSERT_PT_ERROR(ESRCH, ret, r);
	ASSERT_CANARY_ALIVE();
}

TEST_F(errors, reaped_child_is_esrch)
{
	struct pt_kill_args args = { .has_status = true, .status = 1 };
	struct pt_reply r;
	int ret, status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));

	ret = pt_kill(&self->nl, pid, &args, &r);
	ASSERT_PT_ERROR(ESRCH, ret, r);
	ASSERT_CANARY_ALIVE();
}

/* PID 1 is refused even to root, and keeps running. */
TEST_F(errors, init_is_refused)
{
	struct pt_kill_args with_wait = {
		.has_status = true, .status = 0, .flags = PROCTERM_F_WAIT,
	};
	struct pt_reply r;
	int ret;

	ret = pt_kill(&self->nl, 1, NULL, &r);
	ASSERT_PT_ERROR(EPERM, ret, r);
	ASSERT_TRUE(pt_pid_alive(1));

	ret = pt_kill(&self->nl, 1, &with_wait, &r);
	ASSERT_PT_ERROR(EPERM, ret, r);
	ASSERT_TRUE(pt_pid_alive(1));
}

static bool is_kernel_thread(pid_t pid)
{
	struct pt_stat st;

	return !pt_read_stat(pid, &st) && (st.flags & PT_PF_KTHREAD);
}

/* kthreadd (PID 2) is a kernel thread: not a process. */
TEST_F(errors, kthreadd_is_not_a_process)
{
	struct pt_reply r;
	int ret;

	char why[96];

	if (!is_kernel_thread(2))
		SKIP(return, "%s: PID 2 is not a kernel thread here", pt_kernel_release());
	ASSERT_EQ(0, pt_sig_pending(2, SIGKILL, why, sizeof(why))) TH_LOG("%s", why);
	ret = pt_kill(&self->nl, 2, NULL, &r);
	ASSERT_PT_ERROR(ENOTTY, ret, r);
	ASSERT_TRUE(pt_pid_alive(2));
	ASSERT_TRUE(is_kernel_thread(2));
	/* Kernel threads survive SIGKILL: what can fail is a queued signal. */
	ASSERT_EQ(0, pt_sig_pending(2, SIGKILL, why, sizeof(why)))
		TH_LOG("refused, yet SIGKILL is pending on kthreadd (%s)", why);
}

/* A per-CPU kernel thread that lives as long as the system. */
static pid_t find_ksoftirqd(void)
{
	char path[64], comm[32];
	struct dirent *de;
	pid_t found = 0;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);
		FILE *f;

		if (pid <= 2)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    !strcmp(comm, "ksoftirqd/0\n") && is_kernel_thread(pid))
			found = pid;
		fclose(f);
	}
	closedir(d);
	return found;
}

TEST_F(errors, kernel_thread_is_not_a_process)
{
	char why[96];
	struct pt_reply r;
	pid_t pid;
	int ret;

	pid = find_ksoftirqd();
	if (!pid)
		SKIP(return, "%s: no ksoftirqd/0 kernel thread", pt_kernel_release());
	ASSERT_EQ(0, pt_sig_pending(pid, SIGKILL, why, sizeof(why))) TH_LOG("%s", why);
	ret = pt_kill(&self->nl, pid, NULL, &r);
	ASSERT_PT_ERROR(ENOTTY, ret, r);
	ASSERT_TRUE(pt_pid_alive(pid));
	ASSERT_EQ(0, pt_sig_pending(pid, SIGKILL, why, sizeof(why)))
		TH_LOG("refused, yet SIGKILL is pending on ksoftirqd/0 (%s)", why);
}

static void *blocked_thread(void *p)
{
	int fd = *(int *)p;
	pid_t tid = (pid_t)syscall(SYS_gettid);

	pt_ready_data(fd, &tid, sizeof(tid));
	pt_block_forever();
	return NULL;
}

static int two_threads_body(int ready_fd, void *arg)
{
	static int fd;
	pthread_t t;

	(void)arg;
	fd = ready_fd;
	if (pthread_create(&t, NULL, blocked_thread, &fd))
		return 120;
	pt_block_forever();
}

/* A thread ID that does not lead its thread group: not a process. */
TEST_F(errors, thread_is_not_a_process)
{
	struct pt_kill_args args = { .has_status = true, .status = 3 };
	struct pt_reply r;
	struct pt_stat st;
	pid_t tid;
	int ret;

	self->child = pt_spawn(two_threads_body, NULL, &tid, sizeof(tid));
	ASSERT_LT(0, self->child);
	ASSERT_NE(self->child, tid);

	ret = pt_kill(&self->nl, tid, NULL, &r);
	ASSERT_PT_ERROR(ENOTTY, ret, r);
	ret = pt_kill(&self->nl, tid, &args, &r);
	ASSERT_PT_ERROR(ENOTTY, ret, r);

	ASSERT_TRUE(pt_pid_alive(self->child) && !pt_child_exited(self->child));
	ASSERT_EQ(0, pt_read_task_stat(self->child, tid, &st));
	ASSERT_NE('Z', st.state);
	ASSERT_EQ(2, pt_thread_count(self->child));
}

/* An exited, unreaped child: already exited; its status stays as it was. */
TEST_F(errors, zombie_is_already_exited)
{
	struct pt_kill_args args = { .has_status = true, .status = 42 };
	struct pt_reply r;
	int ret, status;

	self->child = pt_spawn_zombie(3);
	ASSERT_LT(0, self->child);

	ret = pt_kill(&self->nl, self->child, NULL, &r);
	ASSERT_PT_ERROR(EALREADY, ret, r);
	ret = pt_kill(&self->nl, self->child, &args, &r);
	ASSERT_PT_ERROR(EALREADY, ret, r);

	ASSERT_DIES(self->child, status);
	self->child = 0;
	ASSERT_EXITED_WITH(3, status);
	ASSERT_CANARY_ALIVE();
}

/*
 * A process that is exiting but not gone: it called exit_group(17) and its
 * tracer (this test) holds it in the PTRACE_EVENT_EXIT stop. It is already
 * terminating; the status it chose for itself stays.
 */
TEST_F(errors, exiting_process_is_already_terminating)
{
	struct pt_kill_args args = { .has_status = true, .status = 42 };
	struct pt_reply r;
	int ret, status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(120);
		raise(SIGSTOP);
		_exit(17);
	}
	self->child = pid;
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 120) {
		self->child = 0;
		SKIP(return, "%s: ptrace is not permitted here", pt_kernel_release());
	}
	ASSERT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
	ASSERT_EQ(0, ptrace(PTRACE_SETOPTIONS, pid, NULL,
			    (void *)(long)PTRACE_O_TRACEEXIT));
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(SIGTRAP | (PTRACE_EVENT_EXIT << 8), status >> 8)
		TH_LOG("expected the exit stop, wait status 0x%x", status);

	ret = pt_kill(&self->nl, pid, NULL, &r);
	ASSERT_PT_ERROR(EALREADY, ret, r);
	ret = pt_kill(&self->nl, pid, &args, &r);
	ASSERT_PT_ERROR(EALREADY, ret, r);

	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	ASSERT_DIES(pid, status);
	self->child = 0;
	ASSERT_EXITED_WITH(17, status);
	ASSERT_CANARY_ALIVE();
}

/*
 * PIDs are read in the caller's PID namespace: from a new namespace the
 * bystander's PID means nothing (ESRCH), while PID 2 of that namespace is
 * that namespace's second process, and the reply says 2.
 */
struct pidns_arg {
	pid_t outsider;		/* the bystander's PID in our namespace */
	int result_fd;
};

struct pidns_result {
	struct pt_result outsider;
	struct pt_result insider;
	uint64_t reply_pid;
	bool has_reply_pid;
	int unshare_err;
};

static int pidns_init(struct pidns_arg *a)
{
	struct pt_kill_args args = { .has_status = true, .status = 5 };
	struct pidns_result res;
	struct pt_reply r;
	struct pt_sock s;
	pid_t inner;

	memset(&res, 0, sizeof(res));
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	res.outsider.ret = pt_open(&s);
	if (res.outsider.ret) {
		res.outsider.stage = 1;
		goto out;
	}
	res.outsider.ret = pt_kill(&s, a->outsider, NULL, &r);
	snprintf(res.outsider.msg, sizeof(res.outsider.msg), "%s", r.msg);

	inner = pt_spawn_sleeper();
	if (inner != 2) {
		res.insider.stage = 2;
		res.insider.ret = inner;
		goto out;
	}
	res.insider.ret = pt_kill(&s, inner, &args, &r);
	snprintf(res.insider.msg, sizeof(res.insider.msg), "%s", r.msg);
	res.has_reply_pid = r.a.has[PROCTERM_A_PID];
	res.reply_pid = r.a.u[PROCTERM_A_PID];
	if (pt_wait_timeout(inner, &res.insider.child_status, PT_DEATH_MS))
		res.insider.stage = 3;
out:
	pt_ready_data(a->result_fd, &res, sizeof(res));
	return 0;
}

static int pidns_body(int ready_fd, void *p)
{
	struct pidns_arg *a = p;
	struct pidns_result res;
	pid_t init;
	int status;

	pt_ready(ready_fd);
	if (unshare(CLONE_NEWPID)) {
		memset(&res, 0, sizeof(res));
		res.unshare_err = errno;
		pt_ready_data(a->result_fd, &res, sizeof(res));
		return 0;
	}
	init = fork();
	if (init < 0)
		return 121;
	if (init == 0)
		_exit(pidns_init(a));
	if (pt_wait_timeout(init, &status, PT_DEATH_MS * 2))
		return 122;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 123;
}

TEST_F(errors, pid_namespace_is_respected)
{
	struct pidns_arg a = { .outsider = self->canary };
	struct pidns_result res;
	int p[2], status;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	self->result_fd = p[0];
	a.result_fd = p[1];
	self->child = pt_spawn(pidns_body, &a, NULL, 1);
	close(p[1]);
	ASSERT_LT(0, self->child);
	ASSERT_DIES(self->child, status);
	self->child = 0;
	ASSERT_EXITED_WITH(0, status);
	memset(&res, 0, sizeof(res));
	ASSERT_EQ((ssize_t)sizeof(res), read(self->result_fd, &res, sizeof(res)));
	if (res.unshare_err)
		SKIP(return, "%s: no new PID namespace: %s", pt_kernel_release(), strerror(res.unshare_err));

	ASSERT_EQ(0, res.outsider.stage);
	ASSERT_EQ(-ESRCH, res.outsider.ret)
		TH_LOG("PID %d from inside a new namespace: %s (extack \"%s\")",
		       self->canary, pt_errname(res.outsider.ret), res.outsider.msg);
	EXPECT_NE('\0', res.outsider.msg[0]);
	ASSERT_CANARY_ALIVE();

	ASSERT_EQ(0, res.insider.stage)
		TH_LOG("setup inside the namespace failed: %s", pt_errname(res.insider.ret));
	ASSERT_PT_FEATURE("exit status", res.insider.ret, res.insider.msg);
	ASSERT_EQ(0, res.insider.ret)
		TH_LOG("PID 2 inside the namespace: %s (extack \"%s\")",
		       pt_errname(res.insider.ret), res.insider.msg);
	ASSERT_EXITED_WITH(5, res.insider.child_status);
	ASSERT_TRUE(res.has_reply_pid);
	EXPECT_EQ(2ULL, res.reply_pid);
}

/*
 * Permissions are exactly those of kill(2) for SIGKILL: the sender's real or
 * effective UID equals the target's real or saved UID, or the sender has
 * CAP_KILL in the target's user namespace. Each case also asks kill(2)
 * itself (signal 0, same caller, same target) and expects the same answer.
 */
FIXTURE(perm) {
	struct pt_sock nl;
	pid_t target;
	pid_t requester;
	int result_fd;
};

FIXTURE_VARIANT(perm) {
	uid_t t_ruid, t_euid, t_suid;	/* target's UIDs */
	uid_t r_ruid, r_euid, r_suid;	/* requester's UIDs */
	uint64_t r_caps;		/* requester's capabilities */
	bool r_userns;			/* requester in a new user namespace */
	bool r_owns_target;		/* requester forks the target itself */
	int expect;			/* errno, 0 for success */
};

#define U1 PT_UNPRIV_UID
#define U2 PT_UNPRIV_UID2

FIXTURE_VARIANT_ADD(perm, unprivileged_vs_root) {
	.t_ruid = 0, .t_euid = 0, .t_suid = 0,
	.r_ruid = U1, .r_euid = U1, .r_suid = U1, .expect = EPERM,
};
FIXTURE_VARIANT_ADD(perm, unprivileged_vs_other_user) {
	.t_ruid = U2, .t_euid = U2, .t_suid = U2,
	.r_ruid = U1, .r_euid = U1, .r_suid = U1, .expect = EPERM,
};
FIXTURE_VARIANT_ADD(perm, own_child) {
	.r_ruid = U1, .r_euid = U1, .r_suid = U1, .r_owns_target = true,
};
FIXTURE_VARIANT_ADD(perm, same_uid) {
	.t_ruid = U1, .t_euid = U1, .t_suid = U1,
	.r_ruid = U1, .r_euid = U1, .r_suid = U1,
};
FIXTURE_VARIANT_ADD(perm, target_real_uid_matches) {
	.t_ruid = U1, .t_euid = 0, .t_suid = 0,
	.r_ruid = U1, .r_euid = U1, .r_suid = U1,
};
FIXTURE_VARIANT_ADD(perm, target_saved_uid_matches) {
	.t_ruid = 0, .t_euid = 0, .t_suid = U1,
	.r_ruid = U1, .r_euid = U1, .r_suid = U1,
};
/* kill(2) ignores the target's effective UID. */
FIXTURE_VARIANT_ADD(perm, target_effective_uid_only) {
	.t_ruid = 0, .t_euid = U1, .t_suid = 0,
	.r_ruid = U1, .r_euid = U1, .r_suid = U1, .expect = EPERM,
};
FIXTURE_VARIANT_ADD(perm, requester_effective_uid_matches) {
	.t_ruid = U1, .t_euid = U1, .t_suid = U1,
	.r_ruid = U2, .r_euid = U1, .r_suid = U2,
};
FIXTURE_VARIANT_ADD(perm, requester_real_uid_matches) {
	.t_ruid = U1, .t_euid = U1, .t_suid = U1,
	.r_ruid = U1, .r_euid = U2, .r_suid = U2,
};
FIXTURE_VARIANT_ADD(perm, cap_kill_vs_root) {
	.t_ruid = 0, .t_euid = 0, .t_suid = 0,
	.r_ruid = U1, .r_euid = U1, .r_suid = U1,
	.r_caps = 1ULL << CAP_KILL,
};
/* Capabilities from a user namespace of one's own do not reach outside. */
FIXTURE_VARIANT_ADD(perm, cap_kill_in_own_userns_vs_root) {
	.t_ruid = 0, .t_euid = 0, .t_suid = 0,
	.r_ruid = U1, .r_euid = U1, .r_suid = U1,
	.r_userns = true, .expect = EPERM,
};

#undef U1
#undef U2

struct perm_arg {
	const FIXTURE_VARIANT(perm) *v;
	pid_t target;
	int result_fd;
};

enum { STAGE_CREDS = 1, STAGE_USERNS, STAGE_SOCKET, STAGE_TARGET, STAGE_WAIT };

static int perm_target_body(int ready_fd, void *p)
{
	const FIXTURE_VARIANT(perm) *v = p;

	if (pt_set_uids(v->t_ruid, v->t_euid, v->t_suid))
		return 124;
	pt_ready(ready_fd);
	pt_block_forever();
}

static int perm_requester_body(int ready_fd, void *p)
{
	struct pt_kill_args args = { .has_status = true, .status = 3 };
	struct perm_arg *a = p;
	struct pt_result res;
	struct pt_reply r;
	struct pt_sock s;
	pid_t target = a->target;

	memset(&res, 0, sizeof(res));
	pt_ready(ready_fd);
	res.ret = pt_set_creds(a->v->r_ruid, a->v->r_euid, a->v->r_suid,
			       a->v->r_euid, a->v->r_caps);
	if (res.ret) {
		res.stage = STAGE_CREDS;
		goto out;
	}
	if (a->v->r_userns && unshare(CLONE_NEWUSER)) {
		res.ret = -errno;
		res.stage = STAGE_USERNS;
		goto out;
	}
	res.ret = pt_open(&s);
	if (res.ret) {
		res.stage = STAGE_SOCKET;
		goto out;
	}
	if (a->v->r_owns_target) {
		target = pt_spawn_sleeper();
		if (target <= 0) {
			res.ret = target;
			res.stage = STAGE_TARGET;
			goto out;
		}
	}
	res.oracle = kill(target, 0) ? errno : 0;
	res.ret = pt_kill(&s, target, &args, &r);
	snprintf(res.msg, sizeof(res.msg), "%s", r.msg);
	if (a->v->r_owns_target) {
		if (res.ret)
			kill(target, SIGKILL);
		if (pt_wait_timeout(target, &res.child_status, PT_DEATH_MS))
			res.stage = STAGE_WAIT;
	}
	pt_close(&s);
out:
	pt_ready_data(a->result_fd, &res, sizeof(res));
	return 0;
}

FIXTURE_SETUP(perm)
{
	memset(self, 0, sizeof(*self));
	self->nl.fd = -1;
	self->result_fd = -1;
	PT_OPEN_OR_SKIP(&self->nl);
	if (!variant->r_owns_target) {
		self->target = pt_spawn(perm_target_body, (void *)variant, NULL, 1);
		ASSERT_LT(0, self->target);
	}
}

FIXTURE_TEARDOWN(perm)
{
	pt_reap(&self->requester);
	pt_reap(&self->target);
	if (self->result_fd >= 0)
		close(self->result_fd);
	pt_close(&self->nl);
}

TEST_F(perm, same_rules_as_kill2)
{
	struct perm_arg a = { .v = variant, .target = self->target };
	struct pt_result res;
	int p[2], status;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	self->result_fd = p[0];
	a.result_fd = p[1];
	self->requester = pt_spawn(perm_requester_body, &a, NULL, 1);
	close(p[1]);
	ASSERT_LT(0, self->requester);
	ASSERT_EQ(0, pt_read_result(self->result_fd, &res));
	ASSERT_DIES(self->requester, status);
	self->requester = 0;
	ASSERT_EXITED_WITH(0, status);

	if (res.stage == STAGE_USERNS)
		SKIP(return, "%s: cannot create a user namespace: %s", pt_kernel_release(), strerror(-res.ret));
	ASSERT_EQ(0, res.stage)
		TH_LOG("requester setup failed at stage %d: %s", res.stage,
		       strerror(-res.ret));
	EXPECT_EQ(variant->expect, res.oracle)
		TH_LOG("kill(2) says %s for this case; the test's expectation is wrong",
		       pt_errname(res.oracle));
	ASSERT_PT_FEATURE("exit status", res.ret, res.msg);

	if (variant->expect) {
		ASSERT_EQ(-variant->expect, res.ret)
			TH_LOG("expected %s, got %s (extack \"%s\")",
			       pt_errname(variant->expect), pt_errname(res.ret), res.msg);
		EXPECT_NE('\0', res.msg[0])
			TH_LOG("%s without an extended-ack message", pt_errname(res.ret));
		ASSERT_TRUE(pt_pid_alive(self->target) &&
			    !pt_child_exited(self->target))
			TH_LOG("a refused request killed its target");
		return;
	}
	ASSERT_EQ(0, res.ret)
		TH_LOG("refused with %s (extack \"%s\")", pt_errname(res.ret), res.msg);
	if (variant->r_owns_target) {
		ASSERT_EXITED_WITH(3, res.child_status);
	} else {
		ASSERT_DIES(self->target, status);
		self->target = 0;
		ASSERT_EXITED_WITH(3, status);
	}
}

PT_HARNESS_MAIN
