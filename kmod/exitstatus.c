// SPDX-License-Identifier: GPL-2.0
/*
 * Exit status rewriting.
 *
 * A kill with a chosen status still delivers SIGKILL (the only way a module
 * can make every thread of a group exit). While the threads exit, the
 * sched_process_exit probe turns the group's SIGKILL exit code into
 * "exited with status N", so the parent's waitpid() sees WIFEXITED(N & 0xff).
 * An exit code that is no longer SIGKILL is left alone: a process that
 * called exit_group(n) first keeps n.
 *
 * The tracepoint symbol is not exported, so the tracepoint is found by
 * name. Probes run with preemption disabled, even on PREEMPT_RT: they only
 * read an RCU hash table, write the exit code fields, and queue work.
 *
 * Table: hash of struct pt_status keyed by the group's signal_struct.
 * Writers hold pt_status_lock (process context and the GC worker only);
 * the probe reads under RCU. Each entry holds a reference on the leader's
 * task_struct, which keeps the signal_struct (the key) from being freed and
 * reused while the entry exists. An entry is removed by the GC worker once
 * every thread has exited, or by the requester if the kill failed, and is
 * freed by an RCU callback.
 */
#include <linux/hashtable.h>
#include <linux/rculist.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>

#include "procterm.h"

struct pt_status {
	struct hlist_node node;
	struct signal_struct *sig;	/* key, compared only */
	struct task_struct *leader;	/* referenced: pins sig */
	u32 status;
	bool seen;			/* a thread passed the exit probe */
	struct rcu_head rcu;
};

#define PT_STATUS_BITS 8
static DEFINE_HASHTABLE(pt_status_table, PT_STATUS_BITS);
static DEFINE_SPINLOCK(pt_status_lock);
static atomic_t pt_status_count = ATOMIC_INIT(0);

static void pt_status_gc(struct work_struct *work);
static DECLARE_WORK(pt_status_gc_work, pt_status_gc);

static struct tracepoint *pt_tp_exit;

static struct pt_status *pt_status_find(struct signal_struct *sig)
{
	struct pt_status *st;

	hash_for_each_possible_rcu(pt_status_table, st, node, (unsigned long)sig)
		if (st->sig == sig)
			return st;
	return NULL;
}

/* Runs in every exiting thread, before exit_notify(); preemption is off. */
static void pt_probe_exit(void *data, struct task_struct *p)
{
	struct signal_struct *sig = p->signal;
	struct pt_status *st;
	int code;

	if (!atomic_read(&pt_status_count))
		return;

	rcu_read_lock();
	st = pt_status_find(sig);
	if (st) {
		code = (st->status & 0xff) << 8;
		/*
		 * No siglock here (a sleeping lock on PREEMPT_RT). Once
		 * SIGNAL_GROUP_EXIT is set nothing else writes
		 * group_exit_code, and every thread writes the same value.
		 */
		if ((READ_ONCE(sig->flags) & SIGNAL_GROUP_EXIT) &&
		    READ_ONCE(sig->group_exit_code) == SIGKILL)
			WRITE_ONCE(sig->group_exit_code, code);
		if (p->exit_code == SIGKILL)
			p->exit_code = code;
		WRITE_ONCE(st->seen, true);
		if (!atomic_read(&sig->live))
			queue_work(system_wq, &pt_status_gc_work);
	}
	rcu_read_unlock();
}

static void pt_status_free_rcu(struct rcu_head *rcu)
{
	struct pt_status *st = container_of(rcu, struct pt_status, rcu);

	put_task_struct(st->leader);
	kfree(st);
}

/*
 * Unlink under pt_status_lock; a probe may still be looking at the entry,
 * so it is freed after a grace period. Atomic-safe: the tree kill unwinds
 * with tasklist_lock held.
 */
static void pt_status_unlink(struct pt_status *st)
{
	hash_del_rcu(&st->node);
	atomic_dec(&pt_status_count);
	call_rcu(&st->rcu, pt_status_free_rcu);
}

/* Drop the entries of groups that are completely gone. */
static void pt_status_gc(struct work_struct *work)
{
	struct pt_status *st;
	struct hlist_node *tmp;
	int bkt;

	spin_lock(&pt_status_lock);
	hash_for_each_safe(pt_status_table, bkt, tmp, st, node)
		if (READ_ONCE(st->seen) && !atomic_read(&st->sig->live))
			pt_status_unlink(st);
	spin_unlock(&pt_status_lock);
}

bool pt_exitstatus_available(void)
{
	return pt_tp_exit;
}

/*
 * Arm a status for @leader's group. May be called under a read-held
 * tasklist_lock with GFP_ATOMIC. Returns -EALREADY if one is armed already.
 */
int pt_exitstatus_arm(struct task_struct *leader, u32 status, gfp_t gfp)
{
	struct pt_status *st;
	int ret = 0;

	if (!pt_tp_exit)
		return -EOPNOTSUPP;

	st = kzalloc(sizeof(*st), gfp);
	if (!st)
		return -ENOMEM;
	st->sig = leader->signal;
	st->leader = leader;
	st->status = status;

	spin_lock(&pt_status_lock);
	if (pt_status_find(st->sig)) {
		ret = -EALREADY;
	} else {
		get_task_struct(leader);
		hash_add_rcu(pt_status_table, &st->node, (unsigned long)st->sig);
		atomic_inc(&pt_status_count);
	}
	spin_unlock(&pt_status_lock);
	if (ret)
		kfree(st);
	return ret;
}

/* Undo pt_exitstatus_arm() after a kill that did not happen. */
void pt_exitstatus_disarm(struct task_struct *leader)
{
	struct pt_status *st;

	spin_lock(&pt_status_lock);
	st = pt_status_find(leader->signal);
	if (st)
		pt_status_unlink(st);
	spin_unlock(&pt_status_lock);
}

/* The status a parent's waitpid() reports for a dead group, as wait(2). */
u32 pt_wait_status(struct task_struct *leader)
{
	struct signal_struct *sig = leader->signal;

	if (READ_ONCE(sig->flags) & SIGNAL_GROUP_EXIT)
		return READ_ONCE(sig->group_exit_code);
	return READ_ONCE(leader->exit_code);
}

struct pt_tp_lookup {
	struct tracepoint *exit;
};

static void pt_tp_match(struct tracepoint *tp, void *priv)
{
	struct pt_tp_lookup *l = priv;

	if (!strcmp(tp->name, "sched_process_exit"))
		l->exit = tp;
}

int pt_exitstatus_init(void)
{
	struct pt_tp_lookup l = {};
	int ret;

	for_each_kernel_tracepoint(pt_tp_match, &l);
	if (!l.exit)
		return -ENOENT;

	ret = tracepoint_probe_register(l.exit, pt_probe_exit, NULL);
	if (ret)
		return ret;
	pt_tp_exit = l.exit;
	return 0;
}

void pt_exitstatus_exit(void)
{
	struct pt_status *st;
	struct hlist_node *tmp;
	int bkt;

	if (pt_tp_exit) {
		tracepoint_probe_unregister(pt_tp_exit, pt_probe_exit, NULL);
		tracepoint_synchronize_unregister();
		pt_tp_exit = NULL;
	}
	cancel_work_sync(&pt_status_gc_work);

	spin_lock(&pt_status_lock);
	hash_for_each_safe(pt_status_table, bkt, tmp, st, node)
		pt_status_unlink(st);
	spin_unlock(&pt_status_lock);

	/* Wait for the pt_status_free_rcu() callbacks: they are module text. */
	rcu_barrier();
}
