/* SPDX-License-Identifier: GPL-2.0 */
/*
 * procterm's in-kernel API: terminate a process from another module.
 *
 * The same requests as the generic netlink family's PROCTERM_CMD_KILL (an
 * exit status, PROCTERM_F_DEFERRED, PROCTERM_F_TREE, PROCTERM_F_WAIT),
 * through the same code and with the same checks, except one: permission.
 * The caller is the kernel. No kill(2) rule is applied on anyone's behalf;
 * the request runs with the kernel's own credentials (those of init_task),
 * which the uid rule and CAP_KILL always allow. An LSM judges the SIGKILL
 * as sent by the kernel. Whatever the calling module exposes to user space
 * must do its own permission checks first.
 *
 * Build against it with -I<procterm>/include and KBUILD_EXTRA_SYMBOLS
 * pointing at procterm's Module.symvers; tests/example/ is a complete
 * module that uses it. Linking against these symbols makes procterm.ko a
 * dependency of the caller: procterm cannot be unloaded while the caller
 * is loaded.
 */
#ifndef _LINUX_PROCTERM_API_H
#define _LINUX_PROCTERM_API_H

#include <linux/types.h>
#include <uapi/linux/procterm.h>

struct pid;
struct procterm_waiter;

/* Room for the reason of a refusal, as the netlink family's extack has. */
#define PROCTERM_MSG_LEN 80

/**
 * struct procterm_kill - one termination request, and what came of it
 * @flags: in: PROCTERM_F_DEFERRED (die the next time the process runs in
 *	user mode), PROCTERM_F_TREE (the process and all its descendants),
 *	PROCTERM_F_WAIT (return a waiter in @waiter); any other bit is
 *	-EINVAL.
 * @has_status: in: give the parent's waitpid() "exited with @status & 0xff"
 *	instead of "killed by SIGKILL".
 * @status: in: the exit status, when @has_status.
 * @count: out: processes terminated (1, or the members of a tree; for a
 *	deferred tree, the members armed).
 * @id: out: with PROCTERM_F_DEFERRED, the armed request's id, as
 *	``procterm pending`` lists it; 0 otherwise.
 * @waiter: out: with PROCTERM_F_WAIT and success, a waiter for the process
 *	(procterm_wait()); the caller releases it with procterm_waiter_put().
 *	NULL otherwise.
 * @msg: out: on failure, why, in the words the netlink family's extended
 *	ack would use; empty when there is nothing to add to the errno.
 */
struct procterm_kill {
	u32 flags;
	bool has_status;
	u32 status;
	u32 count;
	u64 id;
	struct procterm_waiter *waiter;
	char msg[PROCTERM_MSG_LEN];
};

/**
 * procterm_kill_pid() - terminate the process whose TGID is @pid
 * @pid: the process; a thread-group ID, referenced by the caller for the
 *	duration of the call.
 * @k: the request; its out fields are written in every case.
 *
 * Every thread of the process is terminated (SIGKILL to the thread group),
 * at once or, with PROCTERM_F_DEFERRED, the next time it returns to user
 * mode; with PROCTERM_F_TREE, every descendant too, none escaping. The
 * checks are the netlink family's: kernel threads (-ENOTTY), PID 1 of the
 * initial PID namespace and of the caller's (-EPERM), processes already
 * exiting (-EALREADY), an exit status another request set first
 * (-EALREADY), a deferred request already armed (-EALREADY). Deferred
 * requests are charged to root's per-user limits (-EDQUOT), listed by
 * ``procterm pending`` with requester uid 0, and cancelled by root like any
 * other. Permission is not checked: see the top of this header.
 *
 * Context: process context; may sleep. Not from a tracepoint, an RCU
 * read-side section or with a spinlock held.
 * Return: 0 on success, or a negative errno: -ESRCH (no such process, or
 * already reaped), -ENOTTY (@pid is a thread, not a process, or a kernel
 * thread), -EPERM, -EALREADY, -EDQUOT, -EOPNOTSUPP (the feature is
 * unavailable on this kernel), -EAGAIN (a thread list or tree kept
 * growing), -ENOMEM, -ENODEV (procterm is being unloaded), -EINVAL.
 */
int procterm_kill_pid(struct pid *pid, struct procterm_kill *k);

/**
 * procterm_wait() - wait until a terminated process is completely dead
 * @w: the waiter procterm_kill_pid() returned.
 * @timeout: in jiffies; MAX_SCHEDULE_TIMEOUT waits without limit.
 *
 * Dead means every thread has exited; the process may still be a zombie
 * its parent has not reaped. Death is judged from the TGID struct pid, so
 * an exec in another thread, which replaces the leader, is followed.
 *
 * Context: process context; sleeps (interruptibly).
 * Return: > 0 when dead (the jiffies left), 0 when @timeout ran out,
 * -ERESTARTSYS when a signal interrupted the wait.
 */
long procterm_wait(struct procterm_waiter *w, long timeout);

/**
 * procterm_waiter_dead() - whether the process of @w is dead, now
 * @w: a waiter from procterm_kill_pid().
 *
 * Context: any context but hard interrupt; does not sleep.
 * Return: true once every thread of the process has exited.
 */
bool procterm_waiter_dead(struct procterm_waiter *w);

/**
 * procterm_waiter_status() - the status the parent's waitpid() reports
 * @w: a waiter whose process is dead (procterm_wait() returned > 0).
 *
 * A waiter has one owner: calls on the same waiter must not run
 * concurrently (procterm_wait() may move its reference to the group's
 * current leader and drop the old one).
 *
 * Context: any context but hard interrupt; does not sleep.
 * Return: the wait status, in waitpid()'s encoding (WIFEXITED(),
 * WEXITSTATUS(), WTERMSIG() apply), or -EBUSY while the process is not yet
 * dead.
 */
int procterm_waiter_status(struct procterm_waiter *w);

/**
 * procterm_waiter_put() - release a waiter
 * @w: the waiter, or NULL.
 *
 * Context: process context.
 */
void procterm_waiter_put(struct procterm_waiter *w);

#endif /* _LINUX_PROCTERM_API_H */
