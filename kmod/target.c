// SPDX-License-Identifier: GPL-2.0
/*
 * Target resolution: a PID, a handle (PID plus start time) or a task_struct
 * address becomes a referenced thread-group leader.
 *
 * Every lookup is done in the requester's PID namespace, under
 * rcu_read_lock(); a result leaves the RCU section only with a reference on
 * both the task_struct and its TGID struct pid. An address handed in by the
 * requester is never dereferenced: it is compared against the addresses of
 * live tasks, and only a task found that way is used.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/time_namespace.h>
#include <net/genetlink.h>

#include "procterm.h"

/* Start time as field 22 of /proc/PID/stat shows it to the requester. */
u64 pt_start_time(struct task_struct *task)
{
	return pt_start_time_off(task, pt_boottime_offset());
}

/*
 * The requester's time-namespace boottime offset (modulo 2^64), so that a
 * dump continued by another reader still shows the first reader's times.
 */
u64 pt_boottime_offset(void)
{
	return timens_add_boottime_ns(0);
}

u64 pt_start_time_off(struct task_struct *task, u64 boottime_off)
{
	return div_u64(task->start_boottime + boottime_off, NSEC_PER_SEC / USER_HZ);
}

/*
 * True once every thread of the group has exited (the leader may still be
 * an unreaped zombie). Lockless: a stale answer only delays a waiter, which
 * is woken again by the final exit.
 */
bool pt_group_dead(struct task_struct *leader)
{
	return READ_ONCE(leader->exit_state) && thread_group_empty(leader);
}

/*
 * The same for the group whose TGID is @pid, whichever task leads it now
 * (de_thread() hands the TGID to the exec'ing thread): true once it is
 * reaped, or its leader is a zombie with no thread left.
 */
bool pt_pid_group_dead(struct pid *pid)
{
	struct task_struct *leader;
	bool dead;

	rcu_read_lock();
	leader = pid_task(pid, PIDTYPE_TGID);
	dead = !leader || pt_group_dead(leader);
	rcu_read_unlock();
	return dead;
}

/*
 * May the requester learn kernel addresses? As /proc/kallsyms decides:
 * CAP_SYSLOG, here with CAP_SYS_ADMIN, both in the initial user namespace
 * and checked on both the socket opener and the sender; and never when
 * kptr_restrict is 2. "%pK" prints zeros exactly when kptr_restrict hides
 * addresses from this task (2, or 1 without CAP_SYSLOG); with 0 it prints a
 * hashed, non-zero value, and the capabilities decide.
 */
bool pt_may_see_addresses(const struct sk_buff *skb)
{
	char buf[32];
	unsigned long long v;

	if (!netlink_ns_capable(skb, &init_user_ns, CAP_SYS_ADMIN) ||
	    !netlink_ns_capable(skb, &init_user_ns, CAP_SYSLOG))
		return false;

	snprintf(buf, sizeof(buf), "%pK", &init_task);
	if (kstrtoull(buf, 16, &v) == 0 && v == 0)
		return false;
	return true;
}

/*
 * kill(2)'s credential rule (kill_ok_by_cred()) for the current task's
 * credentials, which deferred.c and grace.c override with the requester's,
 * against a process whose credentials are @tcred: a real or effective uid
 * that is its real or saved uid, or CAP_KILL in its user namespace (through
 * the LSM's capable hook, without an audit record: the callers also use it
 * to decide what a selector may see). The LSM's task_kill hook is not
 * part of it. Under rcu_read_lock(), as @tcred is; check_kill_permission()
 * makes the same capability check under RCU.
 */
bool pt_cred_may_kill(const struct cred *tcred)
{
	const struct cred *cred = current_cred();

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "target credentials outside RCU");
	return uid_eq(cred->euid, tcred->suid) ||
	       uid_eq(cred->euid, tcred->uid) ||
	       uid_eq(cred->uid, tcred->suid) ||
	       uid_eq(cred->uid, tcred->uid) ||
	       ns_capable_noaudit(tcred->user_ns, CAP_KILL);
}

/*
 * @exiting_ok: a process that is terminating but not yet dead is fine (a
 * tree kill still has its descendants to kill).
 */
int pt_check_killable(struct task_struct *leader, struct pid_namespace *ns,
		      bool exiting_ok, struct netlink_ext_ack *extack)
{
	if (leader->flags & PF_KTHREAD) {
		NL_SET_ERR_MSG_MOD(extack, "target is a kernel thread, not a process");
		return -ENOTTY;
	}
	if (is_global_init(leader) || task_tgid_nr_ns(leader, ns) == 1) {
		NL_SET_ERR_MSG_MOD(extack, "PID 1 is never terminated");
		return -EPERM;
	}
	if (pt_group_dead(leader)) {
		NL_SET_ERR_MSG_MOD(extack, "process has already exited");
		return -EALREADY;
	}
	/* A group dumping core is exiting, but SIGKILL still ends the dump. */
	if (!exiting_ok && (READ_ONCE(leader->signal->flags) & SIGNAL_GROUP_EXIT) &&
	    !READ_ONCE(leader->signal->core_state)) {
		NL_SET_ERR_MSG_MOD(extack, "process is already terminating");
		return -EALREADY;
	}
	return 0;
}

static void pt_target_set(struct pt_target *t, struct task_struct *leader,
			  struct pid_namespace *ns)
{
	get_task_struct(leader);
	t->task = leader;
	t->pid = get_pid(task_tgid(leader));
	t->nr = task_tgid_nr_ns(leader, ns);
	t->start_time = pt_start_time(leader);
}

int pt_target_from_pid(pid_t nr, bool check_start, u64 start,
		       struct pt_target *t, struct netlink_ext_ack *extack)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct task_struct *task;
	struct pid *pid;
	int ret = 0;

	rcu_read_lock();
	pid = find_pid_ns(nr, ns);
	task = pid ? pid_task(pid, PIDTYPE_TGID) : NULL;
	if (task) {
		pt_target_set(t, task, ns);
	} else if (pid && pid_task(pid, PIDTYPE_PID)) {
		NL_SET_ERR_MSG_MOD(extack, "PID is a thread, not a thread-group leader");
		ret = -ENOTTY;
	} else {
		NL_SET_ERR_MSG_MOD(extack, "no such process");
		ret = -ESRCH;
	}
	rcu_read_unlock();
	if (ret)
		return ret;

	if (check_start && t->start_time != start) {
		pt_target_put(t);
		NL_SET_ERR_MSG_MOD(extack, "stale handle: the PID was reused by another process");
		return -ESRCH;
	}
	return 0;
}

int pt_target_from_addr(u64 addr, struct pt_target *t,
			struct netlink_ext_ack *extack)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct task_struct *g, *p, *found = NULL;
	int ret = 0;

	/*
	 * A linear scan: the value is only ever compared, so any garbage
	 * (user, misaligned, freed or foreign-object addresses) simply
	 * matches nothing.
	 */
	rcu_read_lock();
	for_each_process_thread(g, p) {
		if ((unsigned long)p == addr) {
			found = p;
			break;
		}
	}
	if (!found || !task_pid_nr_ns(found, ns)) {
		NL_SET_ERR_MSG_MOD(extack, "no process at this address");
		ret = -ESRCH;
	} else if (!thread_group_leader(found)) {
		NL_SET_ERR_MSG_MOD(extack, "address is a thread, not a thread-group leader");
		ret = -ENOTTY;
	} else {
		pt_target_set(t, found, ns);
	}
	rcu_read_unlock();
	return ret;
}

void pt_target_put(struct pt_target *t)
{
	put_pid(t->pid);
	put_task_struct(t->task);
	t->pid = NULL;
	t->task = NULL;
}
