// SPDX-License-Identifier: GPL-2.0
/*
 * Waiting for a terminated process to die, without blocking in a doit.
 *
 * A generic netlink doit runs with the genl cb_lock read-held; sleeping
 * there until a (possibly stopped) target dies would stall the
 * registration of every other genl family. Instead, PROCTERM_F_WAIT
 * registers a waiter and the doit returns at once. The waiter hangs on the
 * leader's pid->wait_pidfd queue (the queue pidfd poll uses, woken at each
 * exit of the group's threads); its wake function only queues a scan, and
 * the scan sends the requester a PROCTERM_CMD_KILL message carrying
 * PROCTERM_A_WAIT_STATUS once the whole group is dead. The requester
 * applies its own timeout; a waiter lives until its target dies or the
 * module is unloaded.
 *
 * Locking: pt_waiters and pt_nr_waiters are protected by pt_waiter_lock (a
 * mutex; all users are in process context). The wake function runs under
 * the wait queue's lock, possibly with tasklist_lock held and interrupts
 * off: it does nothing but queue_work().
 */
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

#define PT_MAX_WAITERS 4096

struct pt_waiter {
	struct list_head node;
	struct wait_queue_entry wq;
	struct pid *pid;		/* referenced; owns wait_pidfd */
	struct task_struct *leader;	/* referenced */
	struct net *net;		/* referenced */
	u32 portid;
	u32 seq;
	pid_t nr;
	u64 start_time;
};

static LIST_HEAD(pt_waiters);
static DEFINE_MUTEX(pt_waiter_lock);
static unsigned int pt_nr_waiters;

static void pt_waiter_scan(struct work_struct *work);
static DECLARE_WORK(pt_waiter_work, pt_waiter_scan);

static int pt_waiter_wake(struct wait_queue_entry *wq, unsigned int mode,
			  int sync, void *key)
{
	queue_work(system_wq, &pt_waiter_work);
	return 0;
}

static void pt_waiter_free(struct pt_waiter *w)
{
	put_net(w->net);
	put_task_struct(w->leader);
	put_pid(w->pid);
	kfree(w);
}

static void pt_waiter_notify(struct pt_waiter *w)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = pt_genlmsg_put(skb, w->portid, w->seq, 0, PROCTERM_CMD_KILL);
	if (!hdr ||
	    nla_put_u32(skb, PROCTERM_A_PID, w->nr) ||
	    pt_put_u64(skb, PROCTERM_A_START_TIME, w->start_time) ||
	    nla_put_u32(skb, PROCTERM_A_WAIT_STATUS, pt_wait_status(w->leader))) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	/* The requester may be gone (it may even have been the target). */
	genlmsg_unicast(w->net, skb, w->portid);
}

static void pt_waiter_scan(struct work_struct *work)
{
	struct pt_waiter *w, *tmp;
	LIST_HEAD(done);

	mutex_lock(&pt_waiter_lock);
	list_for_each_entry_safe(w, tmp, &pt_waiters, node) {
		if (!pt_group_dead(w->leader))
			continue;
		remove_wait_queue(&w->pid->wait_pidfd, &w->wq);
		list_move_tail(&w->node, &done);
		pt_nr_waiters--;
	}
	mutex_unlock(&pt_waiter_lock);

	list_for_each_entry_safe(w, tmp, &done, node) {
		pt_waiter_notify(w);
		pt_waiter_free(w);
	}
}

int pt_waiter_add(struct genl_info *info, const struct pt_target *t)
{
	struct pt_waiter *w;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	init_waitqueue_func_entry(&w->wq, pt_waiter_wake);
	w->pid = get_pid(t->pid);
	get_task_struct(t->task);
	w->leader = t->task;
	w->net = get_net(genl_info_net(info));
	w->portid = info->snd_portid;
	w->seq = info->snd_seq;
	w->nr = t->nr;
	w->start_time = t->start_time;

	mutex_lock(&pt_waiter_lock);
	if (pt_nr_waiters >= PT_MAX_WAITERS) {
		mutex_unlock(&pt_waiter_lock);
		pt_waiter_free(w);
		return -EBUSY;
	}
	pt_nr_waiters++;
	list_add_tail(&w->node, &pt_waiters);
	add_wait_queue(&w->pid->wait_pidfd, &w->wq);
	mutex_unlock(&pt_waiter_lock);

	/* The group may have died before the waiter was on the queue. */
	if (pt_group_dead(t->task))
		queue_work(system_wq, &pt_waiter_work);
	return 0;
}

void pt_waiter_exit(void)
{
	struct pt_waiter *w, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&pt_waiter_lock);
	list_for_each_entry_safe(w, tmp, &pt_waiters, node) {
		remove_wait_queue(&w->pid->wait_pidfd, &w->wq);
		list_move_tail(&w->node, &gone);
	}
	pt_nr_waiters = 0;
	mutex_unlock(&pt_waiter_lock);

	/* No wake function can queue the scan any more. */
	cancel_work_sync(&pt_waiter_work);

	list_for_each_entry_safe(w, tmp, &gone, node)
		pt_waiter_free(w);
}
