/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the procterm selftests: spawning and reaping target
 * processes with pipe handshakes, reading /proc, switching credentials, and
 * assertion shorthands for the kselftest harness.
 *
 * Rules the helpers follow: a child reports readiness by writing to a pipe,
 * never by the parent sleeping; children die with their parent
 * (PR_SET_PDEATHSIG); cleanup is by PID of a child we forked, never by name;
 * forked children never use the ASSERT or EXPECT macros (they report through
 * pipes or exit codes instead).
 */
#ifndef PROCTERM_TEST_H
#define PROCTERM_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "procterm_nl.h"

/* How long a process that was killed may take to die under emulation. */
#define PT_DEATH_MS	20000

/*
 * A test's time limit, scaled by PROCTERM_TIMEOUT_SCALE (4 on the debug
 * kernels, 1 elsewhere: tests/qemu/run.sh), as the runner scales its
 * per-program limit. The harness stores a TEST_F's limit when it registers
 * the test, at run time, so it may be computed; TEST_F without a limit gets
 * the harness's default, scaled the same way. (A plain TEST() would need a
 * constant: the suite has none.)
 */
unsigned int pt_timeout(unsigned int seconds);
#define PT_TIMEOUT(_s)	pt_timeout(_s)
#ifdef TEST_TIMEOUT_DEFAULT
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	pt_timeout(30)
#endif

#define PT_UNPRIV_UID	1000
#define PT_UNPRIV_UID2	2000

/*
 * Body of a spawned child. It must write exactly the number of bytes the
 * parent expects to @ready_fd once it is ready (pt_ready() writes one byte),
 * then do its job; its return value becomes the exit code.
 */
typedef int (*pt_body_fn)(int ready_fd, void *arg);

/*
 * Fork a child running @body and read @ready_len bytes of readiness data
 * into @ready (which may be NULL when @ready_len is 1). Returns the PID, or a
 * negative errno; a child that dies before it is ready is reaped.
 */
pid_t pt_spawn(pt_body_fn body, void *arg, void *ready, size_t ready_len);
/* A child that reports ready and then blocks until killed. */
pid_t pt_spawn_sleeper(void);
/* A child that exits with @code and is left unreaped (a zombie). */
pid_t pt_spawn_zombie(int code);

void pt_ready(int ready_fd);
void pt_ready_data(int ready_fd, const void *data, size_t len);
__attribute__((noreturn)) void pt_block_forever(void);

/* Wait for our child @pid to be reaped. 0, -ETIMEDOUT or -errno. */
int pt_wait_timeout(pid_t pid, int *status, int timeout_ms);
/* Our child @pid has exited and is waiting to be reaped; not reaped. */
bool pt_child_exited(pid_t pid);
/* SIGKILL our child *@pid (if any), reap it with a bounded wait, zero it. */
void pt_reap(pid_t *pid);

struct pt_stat {
	char state;			/* field 3 */
	pid_t ppid;			/* field 4 */
	unsigned int flags;		/* field 9, PF_* */
	unsigned long num_threads;	/* field 20 */
	unsigned long long start_time;	/* field 22, clock ticks */
};

#define PT_PF_KTHREAD	0x00200000	/* PF_KTHREAD in /proc/PID/stat */

/* Parse /proc/@pid/stat (a TID works too). 0 or -errno. */
int pt_read_stat(pid_t pid, struct pt_stat *st);
/* Parse /proc/@pid/task/@tid/stat. 0 or -errno. */
int pt_read_task_stat(pid_t pid, pid_t tid, struct pt_stat *st);
/* The process exists and is neither a zombie nor dead. */
bool pt_pid_alive(pid_t pid);
/* Entries in /proc/@pid/task, or -errno. */
int pt_thread_count(pid_t pid);
/* Poll until /proc/@pid/stat shows @state; 0 or -ETIMEDOUT. */
int pt_wait_state(pid_t pid, char state, int timeout_ms);
/*
 * The same for every thread of @pid: a group stop has reached the leader
 * ('T') before the other threads have stopped.
 */
int pt_wait_threads_state(pid_t pid, char state, int timeout_ms);
/* A PID that no process or thread uses right now, or -errno. */
pid_t pt_unused_pid(void);

/*
 * Become a process with the given real/effective/saved UIDs, GID @gid for
 * all three GIDs, no supplementary groups, and exactly the capabilities in
 * @caps (a mask of 1ULL << CAP_*) in the effective and permitted sets.
 * Re-arms PR_SET_PDEATHSIG, which a credential change clears. 0 or -errno.
 */
int pt_set_creds(uid_t ruid, uid_t euid, uid_t suid, gid_t gid, uint64_t caps);
/* Only change UIDs (for targets: keeps whatever capabilities survive). */
int pt_set_uids(uid_t ruid, uid_t euid, uid_t suid);

/*
 * Fork a child by pt_spawn()'s rules; it reports @len bytes into @res (its
 * "ready" data, written when it is done), then is reaped into @status
 * within 3 * PT_DEATH_MS. 0 or a negative errno.
 */
int pt_run_child(pt_body_fn body, void *arg, void *res, size_t len, int *status);

/* Read exactly @len bytes; 0, -EPIPE at end of file, or -errno. */
int pt_read_full(int fd, void *buf, size_t len);
/* Write all of @buf, giving up silently on an error. */
void pt_write_full(int fd, const void *buf, size_t len);
/* Sleep @ms milliseconds, resuming after signals. */
void pt_sleep_ms(int ms);
/* Sleep *@delay_ms and double it, up to 20 ms (for polling loops). */
void pt_backoff(int *delay_ms);
/* Read a whole small file, NUL-terminated; bytes read or -errno. */
int pt_read_file(const char *path, char *buf, size_t len);
/* Write @str to @path in one write(2); 0 or -errno (-EIO: short write). */
int pt_write_file(const char *path, const char *str);
/* A decimal integer from the environment, @def if unset or out of range. */
long pt_env_long(const char *name, long def, long min, long max);
/* The value of "@field:" in /proc/@pid/status, leading blanks skipped. */
int pt_proc_status_field(pid_t pid, const char *field, char *val, size_t len);

/*
 * Is signal @sig pending on @pid, per-thread (SigPnd) or shared (ShdPnd)?
 * 1 yes, 0 no, -errno; @why (may be NULL) gets the field that has it.
 */
int pt_sig_pending(pid_t pid, int sig, char *why, size_t len);

/* The running kernel's release (uname -r), for messages. */
const char *pt_kernel_release(void);

/*
 * Make a forked requester: with @uid_map, root of a new user namespace
 * mapped by it; otherwise UID/GID @uid with exactly @caps. Its socket is
 * opened before the change when @open_first, after it otherwise. On failure
 * *@stage names the step: 1 open (first), 100 unshare, 2 uid_map,
 * 3 credentials, 4 open (after); 0 on success.
 */
int pt_become(struct pt_sock *s, bool open_first, const char *uid_map,
	      uid_t uid, uint64_t caps, int *stage);

/* What a forked requester reports back to the test. */
struct pt_result {
	int ret;		/* pt_kill()'s return, or a setup failure */
	int stage;		/* which step failed, 0: the request ran */
	int oracle;		/* errno of kill(target, 0) by the same caller */
	int child_status;	/* waitpid() status the requester saw, if any */
	uint64_t wait_status;	/* PROCTERM_A_WAIT_STATUS, if present */
	bool has_wait_status;
	char msg[PT_EXTACK_LEN];
};

/* Read a struct pt_result from @fd; 0, or -EPIPE when the writer died. */
int pt_read_result(int fd, struct pt_result *res);

/* Shorthands, only for code running in the test process itself. */
#ifdef __KSELFTEST_HARNESS_H

/* Open the socket in a FIXTURE_SETUP, or SKIP when the module is absent. */
#define PT_OPEN_OR_SKIP(_sock) do {					\
	int __r = pt_open(_sock);					\
	if (__r == -ENOENT)						\
		SKIP(return, "generic netlink family \"%s\" not registered (module not loaded)", \
		     PROCTERM_GENL_NAME);					\
	ASSERT_EQ(0, __r) TH_LOG("cannot open generic netlink: %s", strerror(-__r)); \
} while (0)

/* The request failed with errno @_err and said why in the extended ack. */
#define ASSERT_PT_ERROR(_err, _ret, _reply) do {			\
	ASSERT_EQ(-(_err), (_ret))					\
		TH_LOG("expected %s, got %s (extack \"%s\")",		\
		       pt_errname(_err), pt_errname(_ret), (_reply).msg); \
	EXPECT_NE('\0', (_reply).msg[0])				\
		TH_LOG("%s without an extended-ack message", pt_errname(_err)); \
} while (0)

/*
 * EOPNOTSUPP from a feature the module has on every supported kernel
 * (Debian 6.1, 6.12, 6.12-rt, sid, and debug kernels built from 6.12):
 * tree kill, deferred termination, exit status. Their set-up failing at
 * load ("... unavailable" in the kernel log) is a regression, never a skip.
 */
#define ASSERT_PT_FEATURE(_feature, _ret, _msg) do {				ASSERT_NE(-EOPNOTSUPP, (_ret))							TH_LOG("%s is unavailable on %s: \"%s\" (see dmesg | grep procterm)", 		       (_feature), pt_kernel_release(), (_msg));	} while (0)

/* The request succeeded. */
#define ASSERT_PT_OK(_ret, _reply) do {				\
	ASSERT_EQ(0, (_ret))						\
		TH_LOG("request failed: %s (extack \"%s\")",		\
		       pt_errname(_ret), (_reply).msg);			\
} while (0)

/* Reap our child @_pid within PT_DEATH_MS; its status goes to @_status. */
#define ASSERT_DIES(_pid, _status) do {					\
	int __w = pt_wait_timeout((_pid), &(_status), PT_DEATH_MS);	\
	ASSERT_EQ(0, __w) TH_LOG("PID %d did not die: %s", (int)(_pid), \
				 pt_errname(__w));			\
} while (0)

#define ASSERT_KILLED_BY_SIGKILL(_status) do {				\
	ASSERT_TRUE(WIFSIGNALED(_status))				\
		TH_LOG("expected death by SIGKILL, wait status 0x%x", (_status)); \
	ASSERT_EQ(SIGKILL, WTERMSIG(_status));				\
} while (0)

#define ASSERT_EXITED_WITH(_code, _status) do {			\
	ASSERT_TRUE(WIFEXITED(_status))					\
		TH_LOG("expected exit %d, wait status 0x%x", (int)(_code), (_status)); \
	ASSERT_EQ((int)(_code), WEXITSTATUS(_status));			\
} while (0)

/*
 * main() for the C tests: with the family absent the whole program is
 * skipped (exit 4) before any test runs; otherwise the harness runs them.
 */
#define PT_HARNESS_MAIN							\
int main(int argc, char **argv)						\
{									\
	struct pt_sock __s;						\
	int __i, __r;							\
									\
	for (__i = 1; __i < argc; __i++)				\
		if (!strcmp(argv[__i], "-l") || !strcmp(argv[__i], "-h")) \
			return test_harness_run(argc, argv);		\
	__r = pt_open(&__s);						\
	if (__r == -ENOENT) {						\
		ksft_print_header();					\
		ksft_exit_skip("generic netlink family \"%s\" not registered (module not loaded)\n", \
			       PROCTERM_GENL_NAME);			\
	}								\
	if (!__r)							\
		pt_close(&__s);						\
	return test_harness_run(argc, argv);				\
}

#endif /* __KSELFTEST_HARNESS_H */

#endif /* PROCTERM_TEST_H */
