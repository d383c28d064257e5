// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel API (include/linux/procterm_api.h): the netlink family's
 * kill, for other modules.
 *
 * A request takes the same path as PROCTERM_CMD_KILL's doit after parsing:
 * pt_check_killable(), then pt_kill_now(), pt_deferred_arm() or
 * pt_tree_kill(), which publish exit statuses and queue deferred works
 * exactly as for netlink. Only the requester differs. The caller is the
 * kernel, so the request runs with the kernel's credentials (a copy of
 * init_task's) in place of the calling task's: kill(2)'s uid rule and
 * CAP_KILL, which those paths apply through kill_pid() and, for a deferred
 * request when it fires, against the credentials it recorded, always
 * allow it; what the request leaves behind is charged to root. The
 * netlink path's permission check (pt_perm_check()) is therefore not
 * made here.
 *
 * Waiting: a netlink waiter (waiter.c) answers a socket; an in-kernel
 * caller sleeps instead, on the same queue (the TGID pid's wait_pidfd,
 * woken as the threads exit) with the same test of death
 * (pt_pid_group_dead()) and the same wait status (pt_wait_status()). A
 * waiter holds the TGID struct pid and a task of the group, which pins the
 * signal_struct that pt_wait_status() reads; it is the caller's to free and
 * is not charged to any user (the calling module bounds how many it
 * holds).
 */
#include <linux/cred.h>
#include <linux/export.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <net/netlink.h>

#include <linux/procterm_api.h>
#include "procterm.h"

#define PT_API_FLAGS (PROCTERM_F_WAIT | PROCTERM_F_DEFERRED | PROCTERM_F_TREE)

struct procterm_waiter {
	struct pid *pid;		/* the TGID, referenced */
	struct task_struct *pin;	/* referenced: pins the signal_struct */
};

/* @pid's thread-group leader as a target, as pt_target_from_pid() makes one. */
static int pt_api_target(struct pid *pid, struct pt_target *t,
			 struct netlink_ext_ack *extack)
{
	struct task_struct *task;
	int ret = 0;

	rcu_read_lock();
	task = pid_task(pid, PIDTYPE_TGID);
	if (task) {
		get_task_struct(task);
		t->task = task;
		t->pid = get_pid(pid);
		t->nr = task_tgid_nr_ns(task, task_active_pid_ns(current));
		t->start_time = pt_start_time(task);
	} else if (pid_task(pid, PIDTYPE_PID)) {
		NL_SET_ERR_MSG_MOD(extack, "PID is a thread, not a thread-group leader");
		ret = -ENOTTY;
	} else {
		NL_SET_ERR_MSG_MOD(extack, "no such process");
		ret = -ESRCH;
	}
	rcu_read_unlock();
	return ret;
}

static int pt_api_kill(struct pid *pid, struct procterm_kill *k,
		       struct procterm_waiter **wp,
		       struct netlink_ext_ack *extack)
{
	struct pt_kill_req req = {
		.flags = k->flags,
		.has_status = k->has_status,
		.status = k->status,
		.admin = true,
	};
	struct procterm_waiter *w = NULL;
	struct pt_target t;
	u32 count = 1;
	int ret;

	ret = pt_api_target(pid, &t, extack);
	if (ret)
		return ret;
	ret = pt_check_killable(t.task, task_active_pid_ns(current),
				req.flags & PROCTERM_F_TREE, extack);
	if (ret)
		goto out;
	/* Allocated before the kill, so that a kill never goes unwatched. */
	if (req.flags & PROCTERM_F_WAIT) {
		w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
		if (!w) {
			ret = -ENOMEM;
			goto out;
		}
	}

	if (req.flags & PROCTERM_F_TREE)
		ret = pt_tree_kill(&t, &req, &count, &k->id, extack);
	else if (req.flags & PROCTERM_F_DEFERRED)
		ret = pt_deferred_arm(&t, &req, &k->id, extack);
	else
		ret = pt_kill_now(&t, &req, extack);
	if (ret) {
		kfree(w);
		goto out;
	}
	k->count = count;
	if (w) {
		w->pid = get_pid(t.pid);
		get_task_struct(t.task);
		w->pin = t.task;
		*wp = w;
	}
out:
	pt_target_put(&t);
	return ret;
}

int procterm_kill_pid(struct pid *pid, struct procterm_kill *k)
{
	struct netlink_ext_ack extack = {};
	struct procterm_waiter *w = NULL;
	const struct cred *old;
	struct cred *kcred;
	int ret;

	might_sleep();
	k->count = 0;
	k->id = 0;
	k->waiter = NULL;
	k->msg[0] = '\0';
	if (!pid) {
		strscpy(k->msg, "no process given", sizeof(k->msg));
		return -EINVAL;
	}
	if (k->flags & ~PT_API_FLAGS) {
		strscpy(k->msg, "unknown flags", sizeof(k->msg));
		return -EINVAL;
	}

	kcred = prepare_kernel_cred(&init_task);
	if (!kcred)
		return -ENOMEM;
	old = override_creds(kcred);
	ret = pt_api_kill(pid, k, &w, &extack);
	revert_creds(old);
	put_cred(kcred);

	if (ret && extack._msg)
		strscpy(k->msg, extack._msg, sizeof(k->msg));
	k->waiter = w;
	return ret;
}
EXPORT_SYMBOL_GPL(procterm_kill_pid);

long procterm_wait(struct procterm_waiter *w, long timeout)
{
	long ret;

	might_sleep();
	ret = wait_event_interruptible_timeout(w->pid->wait_pidfd,
					       pt_pid_group_dead(w->pid),
					       timeout);
	if (ret > 0)
		pt_repin_leader(w->pid, &w->pin);
	return ret;
}
EXPORT_SYMBOL_GPL(procterm_wait);

bool procterm_waiter_dead(struct procterm_waiter *w)
{
	return pt_pid_group_dead(w->pid);
}
EXPORT_SYMBOL_GPL(procterm_waiter_dead);

int procterm_waiter_status(struct procterm_waiter *w)
{
	if (!pt_pid_group_dead(w->pid))
		return -EBUSY;
	return pt_wait_status(w->pid, w->pin);
}
EXPORT_SYMBOL_GPL(procterm_waiter_status);

void procterm_waiter_put(struct procterm_waiter *w)
{
	if (!w)
		return;
	put_task_struct(w->pin);
	put_pid(w->pid);
	kfree(w);
}
EXPORT_SYMBOL_GPL(procterm_waiter_put);
