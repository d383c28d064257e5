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
 * Publication: an entry is created only after the SIGKILL it belongs to was
 * accepted by the kernel's own permission check and the LSM, never before.
 * A refused request therefore leaves nothing behind that could rewrite
 * another kill's death. The caller sends the SIGKILL and publishes with
 * tasklist_lock read-held: no thread of the group can pass exit_notify()
 * meanwhile (it needs the lock for writing), so the parent cannot reap the
 * group before the entry exists. Threads that already passed the probe are
 * caught up by pt_status_publish() itself, which rewrites the group's code
 * and the leader's as the probe would.
 *
 * The tracepoint symbol is not exported, so the tracepoint is found by
 * name. Probes run with preemption disabled, even on PREEMPT_RT: they only
 * read an RCU hash table, write the exit code fields, and queue work.
 *
 * Table: hash of struct pt_status keyed by the group's signal_struct.
 * Writers hold pt_status_lock (a spinlock: publishing runs under a
 * read-held tasklist_lock); the probe reads under RCU. Each entry holds a
 * reference on a task_struct of the group, which keeps the signal_struct
 * (the key) from being freed and reused while the entry exists, and on the
 * group's TGID struct pid, which tells when the group is gone even after a
 * de_thread() replaced the leader. The GC worker removes an entry once its
 * group is gone: reaped, or a zombie leader with no other thread left, so
 * every thread has passed the probe. It looks again every PT_GC_DELAY while
 * an entry's threads are all exiting but not yet gone, so the order in which
 * threads pass the probe and leave does not matter.
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

#include "compat.h"
#include "procterm.h"

struct pt_status {
	struct hlist_node node;
	struct signal_struct *sig;	/* key, compared only */
	struct task_struct *pin;	/* referenced: pins sig */
	struct pid *pid;		/* the group's TGID, referenced */
	int code;			/* wait(2) encoding: status << 8 */
	struct rcu_head rcu;
};

#define PT_STATUS_BITS 8
#define PT_GC_DELAY (HZ / 20)
static DEFINE_HASHTABLE(pt_status_table, PT_STATUS_BITS);
static DEFINE_SPINLOCK(pt_status_lock);
static atomic_t pt_status_count = ATOMIC_INIT(0);

static void pt_status_gc(struct work_struct *work);
static DECLARE_DELAYED_WORK(pt_status_gc_work, pt_status_gc);

static struct tracepoint *pt_tp_exit;

static struct pt_status *pt_status_find(struct signal_struct *sig)
{
	struct pt_status *st;

	hash_for_each_possible_rcu(pt_status_table, st, node, (unsigned long)sig,
				   lockdep_is_held(&pt_status_lock))
		if (st->sig == sig)
			return st;
	return NULL;
}

/*
 * Rewrite a SIGKILL death into st->code: the group's code (what waitpid()
 * reports) and @p's own (what the SIGCHLD of a leader carries). No siglock
 * (a sleeping lock on PREEMPT_RT, and the probe cannot take it): once
 * SIGNAL_GROUP_EXIT is set nothing else writes group_exit_code, and every
 * writer here writes the same value.
 */
static void pt_status_apply(struct signal_struct *sig, struct task_struct *p,
			    int code)
{
	if ((READ_ONCE(sig->flags) & SIGNAL_GROUP_EXIT) &&
	    READ_ONCE(sig->group_exit_code) == SIGKILL)
		WRITE_ONCE(sig->group_exit_code, code);
	if (READ_ONCE(p->exit_code) == SIGKILL)
		WRITE_ONCE(p->exit_code, code);
}

/* Runs in every exiting thread, before exit_notify(); preemption is off. */
static void pt_probe_exit_task(struct task_struct *p)
{
	struct signal_struct *sig = p->signal;
	struct pt_status *st;

	/*
	 * Pairs with the smp_mb() in pt_status_publish(): either the
	 * publisher sees this thread's exit_code, or this thread sees the
	 * entry.
	 */
	smp_mb();
	if (!atomic_read(&pt_status_count))
		return;

	rcu_read_lock();
	st = pt_status_find(sig);
	if (st) {
		pt_status_apply(sig, p, st->code);
		if (!atomic_read(&sig->live))
			mod_delayed_work(system_wq, &pt_status_gc_work, 0);
	}
	rcu_read_unlock();
}

/*
 * The tracepoint gained a group_dead argument (and moved before exit_mm())
 * in 2025; a probe must take exactly the tracepoint's arguments. Kbuild
 * probes which it is. What the rewrite relies on holds in both places:
 * exit_code is set and signal->live decremented before the tracepoint.
 */
#ifdef PT_HAVE_EXIT_TP_GROUP_DEAD
static void pt_probe_exit(void *data, struct task_struct *p, bool group_dead)
#else
static void pt_probe_exit(void *data, struct task_struct *p)
#endif
{
	pt_probe_exit_task(p);
}

static void pt_status_free_rcu(struct rcu_head *rcu)
{
	struct pt_status *st = container_of(rcu, struct pt_status, rcu);

	put_pid(st->pid);
	put_task_struct(st->pin);
	kfree(st);
}

/* A probe may still be looking at the entry: free after a grace period. */
static void pt_status_unlink(struct pt_status *st)
{
	lockdep_assert_held(&pt_status_lock);
	hash_del_rcu(&st->node);
	atomic_dec(&pt_status_count);
	pt_stat_add(PT_STAT_STATUS, -1);
	call_rcu(&st->rcu, pt_status_free_rcu);
}

/* Drop the entries of groups that are gone; look again while some exit. */
static void pt_status_gc(struct work_struct *work)
{
	struct pt_status *st;
	struct hlist_node *tmp;
	bool again = false;
	int bkt;

	spin_lock(&pt_status_lock);
	hash_for_each_safe(pt_status_table, bkt, tmp, st, node) {
		if (pt_pid_group_dead(st->pid))
			pt_status_unlink(st);
		else if (!atomic_read(&st->sig->live))
			again = true;
	}
	spin_unlock(&pt_status_lock);
	if (again)
		queue_delayed_work(system_wq, &pt_status_gc_work, PT_GC_DELAY);
}

bool pt_exitstatus_available(void)
{
	/* Publishing needs tasklist_lock (see above). */
	return pt_tp_exit && pt_tasklist_lock;
}

/* An unpublished entry, to be filled in by pt_status_publish(). */
struct pt_status *pt_status_alloc(gfp_t gfp)
{
	return kzalloc(sizeof(struct pt_status), gfp);
}

void pt_status_discard(struct pt_status *st)
{
	kfree(st);
}

/*
 * Publish @st for @leader's group after a SIGKILL to it was accepted, with
 * tasklist_lock read-held. Returns false, leaving @st to the caller, when
 * the group has an entry already: the first status wins.
 */
bool pt_status_publish(struct pt_status *st, struct task_struct *leader,
		       u32 status)
{
	struct signal_struct *sig = leader->signal;
	bool published = false;

	lockdep_assert_held(pt_tasklist_lock);

	spin_lock(&pt_status_lock);
	if (!pt_status_find(sig)) {
		get_task_struct(leader);
		st->pin = leader;
		st->pid = get_pid(task_tgid(leader));
		st->sig = sig;
		st->code = (status & 0xff) << 8;
		hash_add_rcu(pt_status_table, &st->node, (unsigned long)sig);
		atomic_inc(&pt_status_count);
		pt_stat_add(PT_STAT_STATUS, 1);
		published = true;
	}
	spin_unlock(&pt_status_lock);
	if (!published)
		return false;

	/* Pairs with the probe's lockless lookup: entry first, then catch up. */
	smp_mb();
	pt_status_apply(sig, leader, st->code);
	/* Every thread may be past the probe already: the GC must look. */
	queue_delayed_work(system_wq, &pt_status_gc_work, PT_GC_DELAY);
	return true;
}

/*
 * The status a parent's waitpid() reports for a dead group, as wait(2).
 * @pin is any task_struct of the group (it pins the signal_struct); the
 * leader's own code is read from the current leader when it still exists.
 */
u32 pt_wait_status(struct pid *pid, struct task_struct *pin)
{
	struct signal_struct *sig = pin->signal;
	struct task_struct *leader;
	u32 code;

	if (READ_ONCE(sig->flags) & SIGNAL_GROUP_EXIT)
		return READ_ONCE(sig->group_exit_code);
	rcu_read_lock();
	leader = pid_task(pid, PIDTYPE_TGID);
	code = READ_ONCE((leader ?: pin)->exit_code);
	rcu_read_unlock();
	return code;
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
	cancel_delayed_work_sync(&pt_status_gc_work);

	spin_lock(&pt_status_lock);
	hash_for_each_safe(pt_status_table, bkt, tmp, st, node)
		pt_status_unlink(st);
	spin_unlock(&pt_status_lock);

	/* Wait for the pt_status_free_rcu() callbacks: they are module text. */
	rcu_barrier();
}
