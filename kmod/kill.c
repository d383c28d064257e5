// SPDX-License-Identifier: GPL-2.0
/*
 * Immediate termination of one process (ZwTerminateProcess semantics).
 *
 * The kill is a SIGKILL to the whole thread group (PIDTYPE_TGID), sent with
 * kill_pid(..., 0) from the requester's own context: the kernel's
 * check_kill_permission() and the LSM hooks judge it exactly as they judge
 * kill(2). A group-directed signal also reaches the other threads when the
 * leader has already exited with pthread_exit().
 *
 * With an exit status, the SIGKILL is sent and the status published with
 * tasklist_lock read-held (see exitstatus.c): the status exists only if
 * the kill was permitted, and before the parent can reap the group.
 *
 * A kill that was sent is reported to the "events" group (events.c): its
 * record is taken before the kill and queued only once the kill succeeded.
 */
#include <linux/sched/signal.h>

#include <linux/procterm.h>

#include "procterm.h"

static void pt_kill_errmsg(int ret, struct netlink_ext_ack *extack)
{
	if (ret == -EPERM)
		NL_SET_ERR_MSG_MOD(extack, "not permitted to kill this process");
	else if (ret == -ESRCH)
		NL_SET_ERR_MSG_MOD(extack, "no such process");
}

/*
 * kill(2)'s verdict for signal 0, which is SIGKILL's for the uid rules and
 * CAP_KILL (an LSM may tell the two apart; see deferred.c and tree.c).
 */
int pt_perm_check(struct pid *pid, struct netlink_ext_ack *extack)
{
	int ret = kill_pid(pid, 0, 0);

	pt_kill_errmsg(ret, extack);
	return ret;
}

static int pt_kill_status(const struct pt_target *t,
			  const struct pt_kill_req *req,
			  struct netlink_ext_ack *extack)
{
	struct task_struct *leader;
	struct pt_status *st;
	bool published;
	int ret;

	if (!pt_exitstatus_available()) {
		NL_SET_ERR_MSG_MOD(extack, "exit status rewriting is unavailable on this kernel");
		return -EOPNOTSUPP;
	}
	st = pt_status_alloc(GFP_KERNEL_ACCOUNT);
	if (!st)
		return -ENOMEM;

	published = false;
	read_lock(pt_tasklist_lock);
	/* The leader now: an exec in another thread may have replaced it. */
	leader = pid_task(t->pid, PIDTYPE_TGID);
	if (!leader) {
		ret = -ESRCH;
	} else if ((READ_ONCE(leader->signal->flags) & SIGNAL_GROUP_EXIT) &&
		   !READ_ONCE(leader->signal->core_state)) {
		/* Someone else's kill: its death is not ours to rewrite. */
		ret = -EALREADY;
	} else {
		ret = kill_pid(t->pid, SIGKILL, 0);
		if (!ret)
			published = pt_status_publish(st, leader, req->status);
	}
	read_unlock(pt_tasklist_lock);

	if (!published)
		pt_status_discard(st);
	if (ret == -EALREADY) {
		NL_SET_ERR_MSG_MOD(extack, "process is already terminating");
		return ret;
	}
	if (!ret && !published) {
		/* Killed, but another request's status is what the parent sees. */
		NL_SET_ERR_MSG_MOD(extack,
				   "process is already being terminated with another status");
		return -EALREADY;
	}
	pt_kill_errmsg(ret, extack);
	return ret;
}

/* Is @t's group exiting already, by someone else's doing? */
bool pt_kill_already_exiting(const struct pt_target *t)
{
	struct task_struct *leader;
	bool exiting = false;

	rcu_read_lock();
	leader = pid_task(t->pid, PIDTYPE_TGID);
	if (leader)
		exiting = (READ_ONCE(leader->signal->flags) & SIGNAL_GROUP_EXIT) &&
			  !READ_ONCE(leader->signal->core_state);
	rcu_read_unlock();
	return exiting;
}

/*
 * The event of a kill that was sent (events.c): reported once the group is
 * dead; nothing for a kill that was refused, or for a group that was
 * exiting already (kill_pid() then succeeds without doing anything).
 * Identity from the group's leader now, which an exec in another thread
 * may have made a different task from the one resolved.
 */
void pt_kill_event(struct pt_event *ev, const struct pt_target *t,
		   const struct pt_event_req *r, bool exiting, int ret)
{
	struct task_struct *leader;

	if (ret || exiting) {
		pt_event_discard(ev);
		return;
	}
	if (!IS_ERR_OR_NULL(ev)) {
		rcu_read_lock();
		leader = pid_task(t->pid, PIDTYPE_TGID);
		if (!leader)
			leader = t->task;
		get_task_struct(leader);
		rcu_read_unlock();
		pt_event_fill(ev, r, t->pid, leader, true);
		put_task_struct(leader);
	}
	pt_event_queue(ev);	/* PT_EVENT_LOST: counted lost */
}

int pt_kill_now(const struct pt_target *t, const struct pt_kill_req *req,
		struct netlink_ext_ack *extack)
{
	struct pt_user *u = pt_event_user();
	struct pt_event_req r;
	struct pt_event *ev;
	bool exiting = false;
	int ret;

	/* Taken before the kill, so that a sent kill is always reported. */
	ev = pt_event_alloc(u, req->admin, GFP_KERNEL_ACCOUNT);
	if (ev) {
		/* The request's time before the kill: ELAPSED_NS starts here. */
		pt_event_requester(&r, PROCTERM_EVENT_MODE_IMMEDIATE, req->flags, 0);
		exiting = pt_kill_already_exiting(t);
	}
	if (!req->has_status) {
		ret = kill_pid(t->pid, SIGKILL, 0);
		pt_kill_errmsg(ret, extack);
	} else {
		ret = pt_kill_status(t, req, extack);
	}
	if (ev)
		pt_kill_event(ev, t, &r, exiting, ret);
	pt_event_user_put(u);
	return ret;
}
