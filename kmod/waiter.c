// SPDX-License-Identifier: GPL-2.0
/*
 * Waiting for a terminated process to die, without blocking in a doit.
 *
 * A generic netlink doit runs with the genl cb_lock read-held; sleeping
 * there until a (possibly stopped) target dies would stall the
 * registration of every other genl family. Instead, PROCTERM_F_WAIT
 * registers a waiter and the doit returns at once. The waiter hangs on the
 * group's TGID pid->wait_pidfd queue (the queue pidfd poll uses, woken when
 * the group's threads exit); its wake function only queues a scan, and the
 * scan sends the requester a PROCTERM_CMD_KILL message carrying
 * PROCTERM_A_WAIT_STATUS once the whole group is dead. Death is judged from
 * the struct pid, not from the leader the request resolved: an exec in a
 * non-leader thread (de_thread()) hands the TGID to a new leader, and the
 * waiter follows it. The requester applies its own timeout; a waiter lives
 * until its target dies, its network namespace goes away, or the module is
 * unloaded. Waiters are charged to the requester (limits.c).
 *
 * A waiter holds no reference on its network namespace: the namespace's
 * pernet exit drops its waiters, and since the scan sends with
 * pt_waiter_lock held, no message can go to a namespace whose exit has
 * passed. Nor does it outlive the requester's socket: when a generic
 * netlink socket is released, the waiters of its (namespace, port id) go
 * too, so a later socket bound to the same port id never receives another
 * requester's wait message, and a requester that gave up (its own timeout)
 * stops being charged for it.
 *
 * Locking: pt_waiters is protected by pt_waiter_lock (a mutex; all users
 * are in process context). The wake function runs under the wait queue's
 * lock, possibly with tasklist_lock held and interrupts off: it does
 * nothing but queue_work().
 */
#include <linux/err.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>

#include <linux/procterm.h>
#include "procterm.h"

struct pt_waiter {
	struct list_head node;
	struct wait_queue_entry wq;
	struct pid *pid;		/* referenced; owns wait_pidfd */
	struct task_struct *pin;	/* referenced: pins the signal_struct */
	struct net *net;		/* not referenced: see above */
	struct pt_user *user;		/* charged one waiter */
	struct pt_grace *grace;		/* a grace kill's record, referenced */
	u32 portid;
	u32 seq;
	pid_t nr;
	u64 start_time;
};

static LIST_HEAD(pt_waiters);
static DEFINE_MUTEX(pt_waiter_lock);

static void pt_waiter_scan(struct work_struct *work);
static DECLARE_WORK(pt_waiter_work, pt_waiter_scan);

static int pt_waiter_wake(struct wait_queue_entry *wq, unsigned int mode,
			  int sync, void *key)
{
	queue_work(system_wq, &pt_waiter_work);
	return 0;
}

/* Off the wait queue and the list, uncharged and freed. */
static void pt_waiter_drop(struct pt_waiter *w)
{
	lockdep_assert_held(&pt_waiter_lock);
	remove_wait_queue(&w->pid->wait_pidfd, &w->wq);
	list_del(&w->node);
	pt_uncharge(w->user, PT_RES_WAITERS, 1);
	pt_user_put(w->user);
	put_task_struct(w->pin);
	put_pid(w->pid);
	if (w->grace)
		pt_grace_put(w->grace);
	pt_stat_add(PT_STAT_WAITERS, -1);
	kfree(w);
}

/*
 * @dead: the group is dead, the message carries its wait status. @stage: a
 * grace kill's PROCTERM_A_STAGE, or 0.
 */
static void pt_waiter_notify(struct pt_waiter *w, bool dead, u8 stage)
{
	struct sk_buff *skb;
	void *hdr;

	lockdep_assert_held(&pt_waiter_lock);
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = pt_genlmsg_put(skb, w->portid, w->seq, 0, PROCTERM_CMD_KILL);
	if (!hdr ||
	    nla_put_u32(skb, PROCTERM_A_PID, w->nr) ||
	    pt_put_u64(skb, PROCTERM_A_START_TIME, w->start_time) ||
	    (dead && nla_put_u32(skb, PROCTERM_A_WAIT_STATUS,
				 pt_wait_status(w->pid, w->pin))) ||
	    (stage && nla_put_u32(skb, PROCTERM_A_STAGE, stage))) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	/* The requester may be gone (it may even have been the target). */
	genlmsg_unicast(w->net, skb, w->portid);
}

/*
 * Keep *@pin on @pid's current thread-group leader, whose exit code is what
 * the parent sees when the group does not exit as a whole (after a
 * de_thread(), the leader the request resolved is gone). *@pin is a
 * referenced task; the reference moves to the new leader. Shared by the
 * netlink waiters and the in-kernel API's (api.c).
 */
void pt_repin_leader(struct pid *pid, struct task_struct **pin)
{
	struct task_struct *leader;

	rcu_read_lock();
	leader = pid_task(pid, PIDTYPE_TGID);
	if (leader && leader != *pin) {
		get_task_struct(leader);
		rcu_read_unlock();
		put_task_struct(*pin);
		*pin = leader;
		return;
	}
	rcu_read_unlock();
}

static void pt_waiter_scan(struct work_struct *work)
{
	struct pt_waiter *w, *tmp;

	mutex_lock(&pt_waiter_lock);
	list_for_each_entry_safe(w, tmp, &pt_waiters, node) {
		bool dead;
		u8 stage;

		pt_repin_leader(w->pid, &w->pin);
		dead = pt_pid_group_dead(w->pid);
		/*
		 * The stage after the death: a deadline SIGKILL sets it before
		 * the group can die of it (grace.c), so a death seen here comes
		 * with its stage.
		 */
		smp_rmb();
		stage = w->grace ? pt_grace_stage(w->grace) : 0;
		/*
		 * A grace kill whose deadline SIGKILL was refused, or that was
		 * cancelled, is over while the process lives: say so now.
		 */
		if (!dead && stage != PROCTERM_STAGE_REFUSED &&
		    stage != PROCTERM_STAGE_CANCELLED)
			continue;
		/*
		 * Dead with no deadline SIGKILL of ours: it ended during the
		 * grace period (by the first signal or on its own).
		 */
		if (w->grace && dead && stage != PROCTERM_STAGE_KILL &&
		    stage != PROCTERM_STAGE_CANCELLED)
			stage = PROCTERM_STAGE_TERM;
		pt_waiter_notify(w, dead, stage);
		pt_waiter_drop(w);
	}
	mutex_unlock(&pt_waiter_lock);
}

/*
 * A waiter, allocated and charged to the requester before the kill, so
 * that a kill never happens only to find it cannot be waited for; not yet
 * on any queue.
 */
struct pt_waiter *pt_waiter_prepare(bool admin, struct netlink_ext_ack *extack)
{
	struct pt_waiter *w;
	int ret;

	w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w)
		return ERR_PTR(-ENOMEM);
	w->user = pt_user_get(pt_charge_uid(current_cred()));
	if (!w->user) {
		kfree(w);
		return ERR_PTR(-ENOMEM);
	}
	ret = pt_charge(w->user, PT_RES_WAITERS, 1, admin, extack);
	if (ret) {
		pt_user_put(w->user);
		kfree(w);
		return ERR_PTR(ret);
	}
	return w;
}

/* Give up a prepared waiter (the kill did not happen). */
void pt_waiter_discard(struct pt_waiter *w)
{
	pt_uncharge(w->user, PT_RES_WAITERS, 1);
	pt_user_put(w->user);
	kfree(w);
}

/* After a successful kill: wait for @t's group on behalf of @info's sender. */
void pt_waiter_publish(struct pt_waiter *w, struct genl_info *info,
		       const struct pt_target *t)
{
	/* Read now: once listed, @w may be sent and freed by the scan. */
	bool grace = w->grace;

	init_waitqueue_func_entry(&w->wq, pt_waiter_wake);
	w->pid = get_pid(t->pid);
	get_task_struct(t->task);
	w->pin = t->task;
	w->net = genl_info_net(info);
	w->portid = info->snd_portid;
	w->seq = info->snd_seq;
	w->nr = t->nr;
	w->start_time = t->start_time;

	mutex_lock(&pt_waiter_lock);
	list_add_tail(&w->node, &pt_waiters);
	add_wait_queue(&w->pid->wait_pidfd, &w->wq);
	pt_stat_add(PT_STAT_WAITERS, 1);
	mutex_unlock(&pt_waiter_lock);

	/*
	 * The group may have died, or the grace kill ended, before the waiter
	 * was on the queue.
	 */
	if (grace || pt_pid_group_dead(t->pid))
		queue_work(system_wq, &pt_waiter_work);
}

/*
 * The waiter is for a grace kill: its message says which stage ended the
 * process (pt_grace_stage()). Takes over the caller's reference on @g.
 */
void pt_waiter_set_grace(struct pt_waiter *w, struct pt_grace *g)
{
	w->grace = g;
}

/* Look at the waiters again: a grace kill ended (grace.c). */
void pt_waiter_kick(void)
{
	queue_work(system_wq, &pt_waiter_work);
}

/* A network namespace is going away: so do the waiters that reply into it. */
static void __net_exit pt_waiter_net_exit(struct net *net)
{
	struct pt_waiter *w, *tmp;

	mutex_lock(&pt_waiter_lock);
	list_for_each_entry_safe(w, tmp, &pt_waiters, node)
		if (net_eq(w->net, net))
			pt_waiter_drop(w);
	mutex_unlock(&pt_waiter_lock);
}

static struct pernet_operations pt_waiter_net_ops = {
	.exit = pt_waiter_net_exit,
};

/* A netlink socket is released: so are the waiters that reply to it. */
static int pt_waiter_release(struct notifier_block *nb, unsigned long state,
			     void *ptr)
{
	struct netlink_notify *n = ptr;
	struct pt_waiter *w, *tmp;

	if (state != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC)
		return NOTIFY_DONE;
	/*
	 * Every netlink socket's release comes here. No waiter can be added
	 * for a socket being released (a doit holds a reference on it), so
	 * an empty list needs no lock.
	 */
	if (list_empty_careful(&pt_waiters))
		return NOTIFY_DONE;
	mutex_lock(&pt_waiter_lock);
	list_for_each_entry_safe(w, tmp, &pt_waiters, node)
		if (w->portid == n->portid && net_eq(w->net, n->net))
			pt_waiter_drop(w);
	mutex_unlock(&pt_waiter_lock);
	return NOTIFY_DONE;
}

static struct notifier_block pt_waiter_nb = {
	.notifier_call = pt_waiter_release,
};

int pt_waiter_init(void)
{
	int ret;

	ret = register_pernet_subsys(&pt_waiter_net_ops);
	if (ret)
		return ret;
	ret = netlink_register_notifier(&pt_waiter_nb);
	if (ret)
		unregister_pernet_subsys(&pt_waiter_net_ops);
	return ret;
}

void pt_waiter_exit(void)
{
	struct pt_waiter *w, *tmp;

	netlink_unregister_notifier(&pt_waiter_nb);
	/* Runs .exit for every namespace: drops every waiter. */
	unregister_pernet_subsys(&pt_waiter_net_ops);

	mutex_lock(&pt_waiter_lock);
	list_for_each_entry_safe(w, tmp, &pt_waiters, node)
		pt_waiter_drop(w);
	mutex_unlock(&pt_waiter_lock);

	/* No wake function can queue the scan any more. */
	cancel_work_sync(&pt_waiter_work);
}
