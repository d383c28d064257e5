// SPDX-License-Identifier: GPL-2.0
/*
 * Graceful, then forced: PROCTERM_A_GRACE_MS.
 *
 * The first signal (SIGTERM unless PROCTERM_A_SIGNAL) is sent at once from
 * the requester's context, with kill_pid(..., 0): the uid rules, CAP_KILL
 * and the LSM's task_kill hook judge that signal as they judge kill(2).
 * Only if it was accepted is the record published (listed for PENDING and
 * CANCEL, its timer started); a refused request changes nothing. At the
 * deadline a timer queues a work, and the work sends SIGKILL to whatever
 * is still alive, with the requester's credentials of the request in
 * place of the kworker's (override_creds()), so that kill_pid(..., 0)
 * judges it again as kill(2) by that requester, LSM included. A refused
 * deadline SIGKILL ends the record all the same (grace_refused, and
 * PROCTERM_STAGE_REFUSED to a waiter). Everything the deadline needs (an
 * exit status entry per member) is allocated at request time.
 *
 * A tree (PROCTERM_F_TREE) is walked as tree.c walks it, under a read-held
 * tasklist_lock: a check pass (signal 0 and pt_check_killable(), all or
 * nothing), then a pass that sends each member the first signal and
 * starts tracking it (its TGID struct pid in pt_grace_ht). If an LSM
 * refuses the first signal to some members, those that got it keep it,
 * nothing is armed, and the request fails with -EPERM.
 *
 * Nothing created during the grace period escapes the deadline. A member
 * that forks is seen by the sched_process_fork probe, which runs in the
 * parent after the child is linked and before the child first runs. It
 * queues two task works from the record's reserve of preallocated nodes:
 * one on the child, which adds the child to the record's members before
 * the child's first user instruction (or from do_exit(), before
 * exit_notify() could reparent anything) and allocates the child's own
 * share of the reserve (two nodes, for its own forks) from the child's
 * context, and one on the forking thread, which replaces what the fork
 * took before that thread's next user instruction. A child that cannot
 * get its share kills itself rather than run (grace_denied); a parent
 * that never returns to user mode (vfork, a ptrace stop) cannot drain the
 * reserve, since each child brings its own.
 * So an untracked descendant has not run yet, and a tracked member cannot
 * be reparented out of reach: at the deadline the work kills, under a
 * read-held tasklist_lock, every tracked member and its current subtree
 * (which includes children whose tracking work has not run); a fork that
 * links after that walk finds SIGKILL pending and fails; and a child whose
 * tracking work runs after the deadline kills itself (judged with the
 * requester's credentials, as a deferred kill's work is). The reserve
 * holds two nodes per task that can run user code; if a refill cannot
 * allocate, the deadline is brought forward to now and the
 * refilling thread waits for it, so it forks nothing untracked
 * (grace_overflow). See docs/design.md for exactly what is guaranteed.
 *
 * Lifetime: refs counts the arming reference (the doit's), the armed
 * reference (the deadline work's, or a successful cancel's), one per
 * queued task work and one per waiter. The last put queues the free on
 * pt_grace_wq, so it may come from any context, the fork probe included;
 * the free waits for an RCU grace period (the probe reads the tracking
 * hash and the records under RCU) and holds the record's module reference
 * until its end; module exit destroys the workqueue, which drains it.
 * While a record is armed, the module cannot be unloaded (rmmod: in use).
 *
 * State: ARMED -> FIRED (the deadline work) or ARMED -> CANCELLED
 * (pt_grace_cancel()), under pt_grace_lock; exactly one wins, and only the
 * winner kills or reports a cancel. pt_grace_lock (a spinlock, process
 * context, nested inside a read-held tasklist_lock) protects the states,
 * the listing, the members lists and the tracking hash; the reserve has a
 * raw spinlock, taken by the fork probe (preemption off, even on RT).
 */
#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/completion.h>
#include <linux/cred.h>
#include <linux/module.h>
#include <linux/pid_namespace.h>
#include <linux/rculist.h>
#include <linux/refcount.h>
#include <linux/rhashtable.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/task_work.h>
#include <linux/timekeeping.h>
#include <linux/timer.h>
#include <linux/tracepoint.h>
#include <linux/user_namespace.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/genetlink.h>

#include <linux/procterm.h>
#include "compat.h"
#include "procterm.h"

enum pt_grace_state {
	PT_G_NEW,			/* arming: nothing published */
	PT_G_ARMED,
	PT_G_FIRED,
	PT_G_CANCELLED,
	PT_G_DEAD,			/* arming failed */
};

/* A tracked member, or a reserve node (its task work, when queued). */
struct pt_gnode {
	struct callback_head cb;
	struct rhlist_head hnode;	/* in pt_grace_ht, when hashed */
	struct list_head list;		/* g->members or g->pool */
	struct pid *pid;		/* TGID, referenced (members, tracking) */
	struct pt_grace *g;
	struct pt_status *st;		/* with a status: for this member */
	struct pt_event *ev;		/* referenced: its event, stage TERM */
	unsigned int refill;		/* a refill work: nodes to add */
	bool hashed;
	bool refused;			/* its deadline SIGKILL was refused */
};

struct pt_grace {
	refcount_t refs;
	u64 id;
	struct pid *pid;		/* the target (tree root), referenced */
	u64 start_time;
	u32 flags;			/* PROCTERM_F_TREE or 0 */
	int sig;
	u32 grace_ms;
	bool has_status;
	u32 status;
	bool admin;
	u64 armed_ns;			/* CLOCK_BOOTTIME */
	const struct cred *cred;	/* the requester's, referenced */
	struct pt_user *user;		/* charged one PT_RES_GRACE */
	struct timer_list timer;
	unsigned long queued;		/* bit 0: the deadline work is claimed */
	struct work_struct work;	/* the deadline */
	struct work_struct free_work;
	struct completion done;		/* the record ended */
	enum pt_grace_state state;	/* pt_grace_lock */
	bool listed;			/* pt_grace_lock */
	bool escalate;			/* bring the deadline forward */
	bool counted;			/* in pt_grace_trees */
	u8 stage;			/* enum procterm_stage */
	struct pt_status *st;		/* single: the deadline's status */
	struct pt_event *ev;		/* single: referenced, its event */
	struct pt_event_req ev_req;	/* the requester, for events.c */
	struct list_head members;	/* tree: tracked nodes */
	raw_spinlock_t pool_lock;
	struct list_head pool;		/* tree: the reserve */
	unsigned int pool_n;
	unsigned int sent;		/* processes sent the first signal */
	unsigned int killed, refused;	/* at the deadline */
};

static DEFINE_XARRAY(pt_grace_xa);
static DEFINE_SPINLOCK(pt_grace_lock);
/*
 * Tracked members of every record, keyed by their TGID struct pid (one
 * entry per record tracking it): the fork probe's lookup costs the same
 * however many members are armed, the table growing and shrinking with
 * them (its resizes run in a kworker).
 */
static struct rhltable pt_grace_ht;
static const struct rhashtable_params pt_grace_ht_params = {
	.key_len = sizeof(struct pid *),
	.key_offset = offsetof(struct pt_gnode, pid),
	.head_offset = offsetof(struct pt_gnode, hnode),
	.automatic_shrinking = true,
};

/* Armed tree records: the fork probe's fast path. */
static atomic_t pt_grace_trees = ATOMIC_INIT(0);
static struct workqueue_struct *pt_grace_wq;
static struct tracepoint *pt_tp_fork;

static void pt_grace_escalate_all(struct work_struct *work);
static DECLARE_WORK(pt_grace_escalate_work, pt_grace_escalate_all);

#define PT_GRACE_TRIES 8
/* Reserve nodes beyond two per thread. */
#define PT_GRACE_SLACK 8

void pt_grace_put(struct pt_grace *g)
{
	/* The free sleeps: never here, which may be the fork probe. */
	if (refcount_dec_and_test(&g->refs))
		queue_work(pt_grace_wq, &g->free_work);
}

u8 pt_grace_stage(const struct pt_grace *g)
{
	return READ_ONCE(g->stage);
}

bool pt_grace_is_tree(const struct pt_grace *g)
{
	return g->flags & PROCTERM_F_TREE;
}

/*
 * A node, charged to the requester (max_grace_nodes) and memcg-accounted
 * to the allocating task: ERR_PTR(-EDQUOT) or ERR_PTR(-ENOMEM).
 */
static struct pt_gnode *pt_gnode_alloc(struct pt_grace *g,
				       struct netlink_ext_ack *extack)
{
	struct pt_gnode *n;
	int ret;

	ret = pt_charge(g->user, PT_RES_GRACE_NODES, 1, g->admin, extack);
	if (ret)
		return ERR_PTR(ret);
	n = kzalloc(sizeof(*n), GFP_KERNEL_ACCOUNT);
	if (!n)
		goto err;
	n->g = g;
	INIT_LIST_HEAD(&n->list);
	if (g->has_status) {
		n->st = pt_status_alloc(GFP_KERNEL_ACCOUNT);
		if (!n->st) {
			kfree(n);
			goto err;
		}
	}
	pt_stat_add(PT_STAT_GRACE_NODES, 1);
	return n;

err:
	pt_uncharge(g->user, PT_RES_GRACE_NODES, 1);
	return ERR_PTR(-ENOMEM);
}

static void pt_gnode_free(struct pt_gnode *n)
{
	pt_event_put(n->ev);
	put_pid(n->pid);
	pt_status_discard(n->st);
	pt_uncharge(n->g->user, PT_RES_GRACE_NODES, 1);
	kfree(n);
	pt_stat_add(PT_STAT_GRACE_NODES, -1);
}

/* Add @nr nodes to the reserve; -EDQUOT or -ENOMEM if not all could be. */
static int pt_pool_fill(struct pt_grace *g, unsigned int nr,
			struct netlink_ext_ack *extack)
{
	struct pt_gnode *n;
	LIST_HEAD(fresh);
	unsigned int i;
	int ret = 0;

	for (i = 0; i < nr; i++) {
		n = pt_gnode_alloc(g, extack);
		if (IS_ERR(n)) {
			ret = PTR_ERR(n);
			break;
		}
		list_add(&n->list, &fresh);
	}
	raw_spin_lock(&g->pool_lock);
	list_splice(&fresh, &g->pool);
	g->pool_n += i;
	raw_spin_unlock(&g->pool_lock);
	return ret;
}

static struct pt_gnode *pt_pool_take(struct pt_grace *g)
{
	struct pt_gnode *n;

	raw_spin_lock(&g->pool_lock);
	n = list_first_entry_or_null(&g->pool, struct pt_gnode, list);
	if (n) {
		list_del_init(&n->list);
		g->pool_n--;
	}
	raw_spin_unlock(&g->pool_lock);
	return n;
}

static void pt_pool_give(struct pt_grace *g, struct pt_gnode *n)
{
	raw_spin_lock(&g->pool_lock);
	list_add(&n->list, &g->pool);
	g->pool_n++;
	raw_spin_unlock(&g->pool_lock);
}

/*
 * @g's node for @pid, if @g tracks it. Nodes are freed only by the
 * record's free (after an RCU grace period): a node stays valid while the
 * caller holds a reference on @g, or reads under RCU.
 */
static struct pt_gnode *pt_grace_node(struct pt_grace *g, struct pid *pid)
{
	struct rhlist_head *list, *pos;
	struct pt_gnode *n, *found = NULL;

	rcu_read_lock();
	list = rhltable_lookup(&pt_grace_ht, &pid, pt_grace_ht_params);
	rhl_for_each_entry_rcu(n, pos, list, hnode) {
		if (n->g == g) {
			found = n;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

/* Start tracking @n (its pid set) as a member of its record. */
static int pt_grace_track_locked(struct pt_gnode *n)
{
	int ret;

	lockdep_assert_held(&pt_grace_lock);
	ret = rhltable_insert(&pt_grace_ht, &n->hnode, pt_grace_ht_params);
	if (ret)
		return ret;
	list_add(&n->list, &n->g->members);
	n->hashed = true;
	return 0;
}

/* Stop tracking: no fork is followed any more. */
static void pt_grace_unhash(struct pt_grace *g)
{
	struct pt_gnode *n;

	spin_lock(&pt_grace_lock);
	list_for_each_entry(n, &g->members, list) {
		if (n->hashed) {
			rhltable_remove(&pt_grace_ht, &n->hnode,
					pt_grace_ht_params);
			n->hashed = false;
		}
	}
	if (g->counted) {
		atomic_dec(&pt_grace_trees);
		g->counted = false;
	}
	spin_unlock(&pt_grace_lock);
}

static void pt_grace_unlist_locked(struct pt_grace *g)
{
	lockdep_assert_held(&pt_grace_lock);
	if (!g->listed)
		return;
	xa_erase(&pt_grace_xa, g->id);
	g->listed = false;
}

/*
 * Let go of the first signal's event records: a KILL or TERM record stays
 * listed until its process is dead; one whose process the record did not
 * kill (cancelled, or its deadline SIGKILL refused) is withdrawn unsent.
 * After pt_grace_unhash() no kill_self() can look a node up, and no node
 * is added once the record ended: the members list is ours to walk.
 */
static void pt_grace_put_events(struct pt_grace *g)
{
	bool cancelled = g->stage == PROCTERM_STAGE_CANCELLED;
	struct pt_gnode *n;

	if (g->ev && (cancelled || g->stage == PROCTERM_STAGE_REFUSED))
		pt_event_withdraw(g->ev);
	pt_event_put(g->ev);
	g->ev = NULL;
	list_for_each_entry(n, &g->members, list) {
		if (!n->ev)
			continue;
		if (cancelled || n->refused)
			pt_event_withdraw(n->ev);
		pt_event_put(n->ev);
		n->ev = NULL;
		cond_resched();
	}
}

/*
 * The record is over, exactly once (the deadline work or a cancel won):
 * stop following forks, release the event records, release a refill
 * waiting for it, tell waiters. Process context, no lock held.
 */
static void pt_grace_end(struct pt_grace *g)
{
	pt_grace_unhash(g);
	pt_grace_put_events(g);
	if (g->refused)
		pt_stat_add(PT_STAT_GRACE_REFUSED, g->refused);
	complete_all(&g->done);
	pt_waiter_kick();
}

static void pt_grace_free(struct work_struct *work)
{
	struct pt_grace *g = container_of(work, struct pt_grace, free_work);
	struct pt_gnode *n, *tmp;

	timer_shutdown_sync(&g->timer);
	pt_grace_unhash(g);
	/* The fork probe may still be looking at a node or at @g. */
	synchronize_rcu();
	list_for_each_entry_safe(n, tmp, &g->members, list)
		pt_gnode_free(n);
	list_for_each_entry_safe(n, tmp, &g->pool, list)
		pt_gnode_free(n);
	pt_status_discard(g->st);
	pt_event_put(g->ev);
	pt_uncharge(g->user, PT_RES_GRACE, 1);
	pt_user_put(g->user);
	put_cred(g->cred);
	put_pid(g->pid);
	pt_stat_add(PT_STAT_GRACE, -1);
	kfree(g);
	module_put(THIS_MODULE);
}

static void pt_grace_timer(struct timer_list *t)
{
	struct pt_grace *g = pt_timer_container_of(g, t, timer);

	/* Softirq context: the kill is done by a work. */
	if (!test_and_set_bit(0, &g->queued))
		queue_work(pt_grace_wq, &g->work);
}

/* Bring the deadlines forward where the fork probe asked for it. */
static void pt_grace_escalate_all(struct work_struct *work)
{
	struct pt_grace *g;
	unsigned long i;

	spin_lock(&pt_grace_lock);
	xa_for_each(&pt_grace_xa, i, g)
		if (READ_ONCE(g->escalate) && g->state == PT_G_ARMED)
			mod_timer(&g->timer, jiffies);
	spin_unlock(&pt_grace_lock);
}

/*
 * A task procterm kills from its own context before its first user
 * instruction: a child whose tracking work runs after the deadline (kill
 * it as the deadline would have), or a new task denied its reserve share
 * (its group does not run on). Judged as the requester's kill(2): the
 * sender is the task itself, and check_kill_permission() skips the uid
 * rule and CAP_KILL for a sender in the target's thread group, so they are
 * applied here explicitly, as deferred.c does; the LSM hook still judges
 * the SIGKILL with the requester's credentials.
 *
 * Decided under pt_grace_lock: once a cancel has returned 0 (the record
 * CANCELLED under that lock) nothing is killed. The group's event: its
 * member's first-signal record moves to KILL if it has one (looked up
 * under the same lock, which pt_grace_end()'s unhash takes before letting
 * the records go), else a record of its own.
 */
static void pt_grace_kill_self(struct pt_grace *g, struct pt_gnode *n)
{
	const struct cred *old, *tcred;
	struct pt_gnode *gn;
	struct pt_event *ev;
	struct pt_user *u;
	bool may, dying = false;
	int ret;

	old = override_creds(g->cred);
	/* Its event, charged to the requester, taken before the kill. */
	u = pt_event_user();
	ev = pt_event_alloc(u, g->admin, GFP_KERNEL_ACCOUNT);
	rcu_read_lock();
	tcred = __task_cred(current->group_leader);
	may = pt_cred_may_kill(tcred);
	rcu_read_unlock();
	read_lock(pt_tasklist_lock);
	spin_lock(&pt_grace_lock);
	if (g->state != PT_G_ARMED && g->state != PT_G_FIRED)
		ret = -ECANCELED;
	else
		ret = may ? kill_pid(task_tgid(current), SIGKILL, 0) : -EPERM;
	/*
	 * As in pt_self_send() (deferred.c): the init of a new PID namespace ignores
	 * a SIGKILL sent from inside it (the sender being itself), where
	 * the requester's kill(2), from an ancestor namespace, would force
	 * it; the LSM has just allowed it: force it.
	 */
	if (!ret && (READ_ONCE(current->signal->flags) & SIGNAL_UNKILLABLE) &&
	    !(READ_ONCE(current->signal->flags) & SIGNAL_GROUP_EXIT))
		ret = kill_pid(task_tgid(current), SIGKILL, 1);
	if (!ret)
		dying = READ_ONCE(current->signal->flags) & SIGNAL_GROUP_EXIT;
	if (dying && n && n->st &&
	    pt_status_publish(n->st, current->group_leader, g->status))
		n->st = NULL;
	gn = dying ? pt_grace_node(g, task_tgid(current)) : NULL;
	if (gn && gn->ev) {
		pt_event_stage(gn->ev, PROCTERM_STAGE_KILL);
		dying = false;		/* reported by that record */
	}
	spin_unlock(&pt_grace_lock);
	read_unlock(pt_tasklist_lock);
	revert_creds(old);
	if (ret && ret != -ECANCELED)
		pt_stat_add(PT_STAT_GRACE_REFUSED, 1);
	if (!dying) {
		pt_event_discard(ev);
	} else {
		if (!IS_ERR_OR_NULL(ev))
			pt_event_fill(ev, &g->ev_req, task_tgid(current),
				      current->group_leader, true);
		pt_event_queue(ev);
	}
	pt_event_user_put(u);
}

/*
 * Task work on a child a member created: track it before it runs, then
 * give it its own share of the reserve (two nodes, for its own forks),
 * from its own context, before its first user instruction. Without them
 * it does not run: it kills itself (grace_denied).
 */
static void pt_gnode_track(struct callback_head *cb)
{
	struct pt_gnode *n = container_of(cb, struct pt_gnode, cb);
	struct pt_grace *g = n->g;
	struct pt_gnode *own = NULL;
	bool exiting = current->flags & PF_EXITING;
	bool die = false;

	spin_lock(&pt_grace_lock);
	if (g->state == PT_G_ARMED && !exiting) {
		/*
		 * Linked before the arming walk, which tracked it (and sized
		 * its share), but probed after: not twice.
		 */
		if (!pt_grace_node(g, n->pid)) {
			if (!pt_grace_track_locked(n)) {
				own = n;
				n = NULL;
			} else {
				/* No room to track it: it does not run. */
				pt_stat_add(PT_STAT_GRACE_DENIED, 1);
				die = !fatal_signal_pending(current);
			}
		}
	} else if (g->state == PT_G_FIRED && !exiting &&
		   !fatal_signal_pending(current)) {
		die = true;
	}
	spin_unlock(&pt_grace_lock);

	if (own && pt_pool_fill(g, 2, NULL)) {
		pt_stat_add(PT_STAT_GRACE_DENIED, 1);
		die = !fatal_signal_pending(current);
	}
	if (die)
		pt_grace_kill_self(g, own ? own : n);
	if (n) {
		put_pid(n->pid);
		n->pid = NULL;
		pt_pool_give(g, n);
	}
	pt_grace_put(g);
}

/*
 * Task work on a new thread of a member: its own share of the reserve
 * (its carrier node back, and one more), from its own context, before its
 * first user instruction; without it, its group does not run on: it is
 * killed as the deadline would kill it (no status: grace_denied).
 */
static void pt_gnode_share(struct callback_head *cb)
{
	struct pt_gnode *n = container_of(cb, struct pt_gnode, cb);
	struct pt_grace *g = n->g;

	pt_pool_give(g, n);
	if (READ_ONCE(g->state) == PT_G_ARMED &&
	    !(current->flags & PF_EXITING) && pt_pool_fill(g, 1, NULL)) {
		pt_stat_add(PT_STAT_GRACE_DENIED, 1);
		if (!fatal_signal_pending(current))
			pt_grace_kill_self(g, NULL);
	}
	pt_grace_put(g);
}

/*
 * Task work on a thread that forked: refill the reserve before its next
 * user instruction. If memory runs out, the deadline comes now, and this
 * thread waits for it, forking nothing meanwhile.
 */
static void pt_gnode_refill(struct callback_head *cb)
{
	struct pt_gnode *n = container_of(cb, struct pt_gnode, cb);
	struct pt_grace *g = n->g;
	unsigned int want = n->refill;

	pt_pool_give(g, n);
	if (READ_ONCE(g->state) == PT_G_ARMED && pt_pool_fill(g, want, NULL)) {
		pt_stat_add(PT_STAT_GRACE_OVERFLOW, 1);
		spin_lock(&pt_grace_lock);
		if (g->state == PT_G_ARMED)
			mod_timer(&g->timer, jiffies);
		spin_unlock(&pt_grace_lock);
		/* Killed meanwhile (the deadline, say): it forks nothing more. */
		wait_for_completion_killable(&g->done);
	}
	pt_grace_put(g);
}

/* One record tracks @parent_pid, whose group has just created @child. */
static void pt_grace_fork_one(struct pt_grace *g, struct task_struct *child,
			      bool thread)
{
	struct pt_gnode *nc = NULL, *np;

	if (READ_ONCE(g->state) != PT_G_ARMED)
		return;
	if (!refcount_add_not_zero(2, &g->refs))
		return;
	np = pt_pool_take(g);
	if (np)
		nc = pt_pool_take(g);
	if (!nc) {
		/*
		 * Not expected: every task that can run user code has two
		 * nodes in the reserve (its own share, added from its own
		 * context before its first user instruction, or sized by the
		 * arming walk), a fork takes two, and the forking thread's
		 * refill puts them back before its next user instruction (or
		 * brings the deadline forward and waits). A safety net only:
		 * this child is untracked until the early deadline.
		 */
		if (np)
			pt_pool_give(g, np);
		WRITE_ONCE(g->escalate, true);
		queue_work(pt_grace_wq, &pt_grace_escalate_work);
		pt_stat_add(PT_STAT_GRACE_OVERFLOW, 1);
		pt_grace_put(g);
		pt_grace_put(g);
		return;
	}
	if (thread) {
		init_task_work(&nc->cb, pt_gnode_share);
	} else {
		nc->pid = get_pid(task_tgid(child));
		init_task_work(&nc->cb, pt_gnode_track);
	}
	/* The child has not run: nothing can have refused works yet. */
	if (WARN_ON_ONCE(task_work_add(child, &nc->cb, PT_TWA_RESUME_ATOMIC))) {
		put_pid(nc->pid);
		nc->pid = NULL;
		pt_pool_give(g, nc);
		pt_grace_put(g);
	}
	/* Put back this one and replace the child's: the child adds its own. */
	np->refill = 1;
	init_task_work(&np->cb, pt_gnode_refill);
	if (WARN_ON_ONCE(task_work_add(current, &np->cb, PT_TWA_RESUME_ATOMIC))) {
		pt_pool_give(g, np);
		pt_grace_put(g);
	}
}

/*
 * sched_process_fork: runs in the parent after the child is linked and
 * before it is woken; preemption is off, even on PREEMPT_RT: only RCU
 * reads, raw spinlocks, atomics, task_work_add() and queue_work() here.
 */
static void pt_probe_fork(void *data, struct task_struct *parent,
			  struct task_struct *child)
{
	bool thread = !thread_group_leader(child);
	struct rhlist_head *list, *pos;
	struct pid *pid;
	struct pt_gnode *n;

	if (!atomic_read(&pt_grace_trees))
		return;
	rcu_read_lock();
	/*
	 * The forking task decides, for a thread and a process alike: with
	 * CLONE_PARENT the child's real_parent is the forker's parent, which
	 * may be untracked (the forker reparented away, say).
	 */
	pid = task_tgid(parent);
	list = rhltable_lookup(&pt_grace_ht, &pid, pt_grace_ht_params);
	rhl_for_each_entry_rcu(n, pos, list, hnode)
		pt_grace_fork_one(n->g, child, thread);
	rcu_read_unlock();
}

struct pt_gwalk {
	struct pt_grace *g;
	struct task_struct *root;
	struct pid_namespace *ns;
	struct netlink_ext_ack *extack;
	unsigned int members, threads, refused;
	struct pt_user *ev_user;	/* see pt_event_user() */
	struct list_head evs;		/* records to queue after the walk */
	unsigned int ev_lost;
};

/*
 * The event of a process sent a signal under tasklist_lock (the first
 * signal, or the deadline's SIGKILL): a record in stage @stage on the
 * walk's stash, non-sleeping; NULL when nobody listens or it was lost.
 */
static struct pt_event *pt_grace_event_locked(struct pt_gwalk *w,
					      struct task_struct *p, u32 stage)
{
	struct pt_event *ev;

	ev = pt_event_alloc(w->ev_user, w->g->admin,
			    GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN);
	if (IS_ERR(ev)) {
		w->ev_lost++;
		return NULL;
	}
	if (!ev)
		return NULL;
	pt_event_stage(ev, stage);
	pt_event_fill(ev, &w->g->ev_req, task_tgid(p), p, false);
	pt_event_stash(ev, &w->evs);
	return ev;
}

/* After the walk, every lock dropped: report (@send) or drop its records. */
static void pt_grace_events_done(struct pt_gwalk *w, bool send)
{
	if (send) {
		pt_event_queue_all(&w->evs);
		pt_event_lost(w->ev_lost);
	} else {
		pt_event_discard_all(&w->evs);
	}
	pt_event_user_put(w->ev_user);
}

/*
 * Done at the deadline: dead, or exiting and not dumping core (a group in
 * a coredump has SIGNAL_GROUP_EXIT, but it may run on for long, and
 * SIGKILL still ends the dump, as target.c notes).
 */
static bool pt_grace_done(struct task_struct *p)
{
	return pt_member_done(p) &&
	       (pt_group_dead(p) || !READ_ONCE(p->signal->core_state));
}

/* The deadline, for one process of the tree: tasklist_lock read-held. */
static int pt_grace_visit_kill(struct task_struct *p, void *arg)
{
	struct pt_gwalk *w = arg;
	struct pt_grace *g = w->g;
	struct pt_gnode *n;

	if (pt_grace_done(p))
		return 0;
	if (kill_pid(task_tgid(p), SIGKILL, 0)) {
		g->refused++;
		if (p == w->root)
			WRITE_ONCE(g->stage, PROCTERM_STAGE_REFUSED);
		n = pt_grace_node(g, task_tgid(p));
		if (n)
			n->refused = true;
		return 0;
	}
	g->killed++;
	n = pt_grace_node(g, task_tgid(p));
	/* Sent the first signal: its record now reports KILL. */
	if (n && n->ev)
		pt_event_stage(n->ev, PROCTERM_STAGE_KILL);
	else
		pt_grace_event_locked(w, p, PROCTERM_STAGE_KILL);
	if (n && n->st && pt_status_publish(n->st, p, g->status))
		n->st = NULL;
	return 0;
}

/*
 * The deadline's kills, with the requester's credentials in force and
 * tasklist_lock read-held: every tracked member still alive, and what is
 * under it now. A member whose parent is tracked is reached from it.
 */
static void pt_grace_kill_locked(struct pt_grace *g, struct pt_gwalk *w)
{
	struct task_struct *p, *parent;
	struct pt_gnode *n;

	lockdep_assert_held(pt_tasklist_lock);
	w->root = pid_task(g->pid, PIDTYPE_TGID);
	/* A root dead or dying now ended during the grace period. */
	if (!w->root || pt_grace_done(w->root))
		WRITE_ONCE(g->stage, PROCTERM_STAGE_TERM);
	else
		WRITE_ONCE(g->stage, PROCTERM_STAGE_KILL);

	if (!pt_grace_is_tree(g)) {
		if (g->stage != PROCTERM_STAGE_KILL)
			return;
		if (kill_pid(g->pid, SIGKILL, 0)) {
			g->refused++;
			WRITE_ONCE(g->stage, PROCTERM_STAGE_REFUSED);
			return;
		}
		g->killed++;
		if (g->ev)
			pt_event_stage(g->ev, PROCTERM_STAGE_KILL);
		else
			pt_grace_event_locked(w, w->root, PROCTERM_STAGE_KILL);
		if (g->st && pt_status_publish(g->st, w->root, g->status))
			g->st = NULL;
		return;
	}

	/*
	 * A root that was dumping core at arming was not tracked (done, for
	 * the arming walk) but is not done now: its subtree is walked too.
	 */
	if (g->stage == PROCTERM_STAGE_KILL && !pt_grace_node(g, g->pid))
		pt_tree_walk(w->root, pt_grace_visit_kill, w);
	/* No member is added once FIRED: the list is stable. */
	list_for_each_entry(n, &g->members, list) {
		p = pid_task(n->pid, PIDTYPE_TGID);
		if (!p)
			continue;
		parent = rcu_dereference_protected(p->real_parent,
						   lockdep_is_held(pt_tasklist_lock));
		/* Reached from the parent's walk, which starts at its leader. */
		if (p != w->root && pt_grace_node(g, task_tgid(parent)) &&
		    pid_task(task_tgid(parent), PIDTYPE_TGID) == parent->group_leader)
			continue;
		pt_tree_walk(p, pt_grace_visit_kill, w);
	}
}

static void pt_grace_deadline(struct work_struct *work)
{
	struct pt_grace *g = container_of(work, struct pt_grace, work);
	struct pt_gwalk w = { .g = g };
	const struct cred *old;
	bool won;

	INIT_LIST_HEAD(&w.evs);
	/* kill_pid() below is judged as the requester's kill(2). */
	old = override_creds(g->cred);
	/* Records of the deadline's kills are charged to the requester. */
	w.ev_user = pt_event_user();
	read_lock(pt_tasklist_lock);
	rcu_read_lock();
	spin_lock(&pt_grace_lock);
	won = g->state == PT_G_ARMED;
	if (won) {
		WRITE_ONCE(g->state, PT_G_FIRED);
		pt_grace_unlist_locked(g);
	}
	spin_unlock(&pt_grace_lock);
	if (won)
		pt_grace_kill_locked(g, &w);
	rcu_read_unlock();
	read_unlock(pt_tasklist_lock);
	revert_creds(old);
	pt_grace_events_done(&w, true);

	if (won)
		pt_grace_end(g);
	/* The armed reference (a cancel that won left it to us). */
	pt_grace_put(g);
}

/* A new record, charged, holding a module reference; nothing published. */
static struct pt_grace *pt_grace_new(const struct pt_target *t,
				     const struct pt_kill_req *req,
				     struct netlink_ext_ack *extack)
{
	const struct cred *cred = current_cred();
	struct pt_grace *g;
	int ret;

	if (!try_module_get(THIS_MODULE)) {
		NL_SET_ERR_MSG_MOD(extack, "procterm is being unloaded");
		return ERR_PTR(-ENODEV);
	}
	ret = -ENOMEM;
	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g)
		goto err_module;
	g->user = pt_user_get(pt_charge_uid(cred));
	if (!g->user)
		goto err_free;
	ret = pt_charge(g->user, PT_RES_GRACE, 1, req->admin, extack);
	if (ret)
		goto err_user;
	g->id = pt_request_id_new();
	ret = xa_reserve(&pt_grace_xa, g->id, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto err_charged;

	refcount_set(&g->refs, 1);
	g->pid = get_pid(t->pid);
	g->start_time = t->start_time;
	g->flags = req->flags & PROCTERM_F_TREE;
	g->sig = req->signal;
	g->grace_ms = req->grace_ms;
	g->has_status = req->has_status;
	g->status = req->status;
	g->admin = req->admin;
	g->armed_ns = ktime_get_boottime_ns();
	g->cred = get_cred(cred);
	pt_event_requester(&g->ev_req, PROCTERM_EVENT_MODE_GRACE, req->flags,
			   g->id);
	timer_setup(&g->timer, pt_grace_timer, 0);
	INIT_WORK(&g->work, pt_grace_deadline);
	INIT_WORK(&g->free_work, pt_grace_free);
	init_completion(&g->done);
	INIT_LIST_HEAD(&g->members);
	INIT_LIST_HEAD(&g->pool);
	raw_spin_lock_init(&g->pool_lock);
	pt_stat_add(PT_STAT_GRACE, 1);
	return g;

err_charged:
	pt_uncharge(g->user, PT_RES_GRACE, 1);
err_user:
	pt_user_put(g->user);
err_free:
	kfree(g);
err_module:
	module_put(THIS_MODULE);
	return ERR_PTR(ret);
}

/* Arming failed: nothing was published; the free releases everything. */
static void pt_grace_abort(struct pt_grace *g)
{
	spin_lock(&pt_grace_lock);
	WRITE_ONCE(g->state, PT_G_DEAD);
	spin_unlock(&pt_grace_lock);
	pt_grace_unhash(g);
	xa_release(&pt_grace_xa, g->id);
	pt_grace_put(g);
}

/* The first signal was accepted: list the record and start its timer. */
static void pt_grace_publish(struct pt_grace *g)
{
	/* The armed reference: the deadline work's, or a winning cancel's. */
	refcount_inc(&g->refs);
	spin_lock(&pt_grace_lock);
	WRITE_ONCE(g->state, PT_G_ARMED);
	/* Reserved in pt_grace_new(): storing does not allocate. */
	xa_store(&pt_grace_xa, g->id, g, GFP_NOWAIT);
	g->listed = true;
	spin_unlock(&pt_grace_lock);
	/*
	 * An escalation asked for between ARMED and here found the record
	 * only reserved (xa_for_each() skips it): honour it. A cancel may
	 * already have won: arming its timer is harmless, the bit is claimed
	 * and the free shuts the timer down.
	 */
	if (READ_ONCE(g->escalate))
		mod_timer(&g->timer, jiffies);
	else
		mod_timer(&g->timer, jiffies + msecs_to_jiffies(g->grace_ms));
}

static void pt_grace_sig_errmsg(int ret, struct netlink_ext_ack *extack)
{
	if (ret == -EPERM)
		NL_SET_ERR_MSG_MOD(extack,
				   "not permitted to send the first signal to this process");
	else if (ret == -ESRCH)
		NL_SET_ERR_MSG_MOD(extack, "no such process");
}

static int pt_grace_visit_check(struct task_struct *p, void *arg)
{
	struct pt_gwalk *w = arg;
	int ret;

	if (pt_member_done(p))
		return 0;
	ret = kill_pid(task_tgid(p), 0, 0);
	if (ret) {
		NL_SET_ERR_MSG_MOD(w->extack,
				   "a tree member may not be signalled by this requester; nothing was");
		return ret;
	}
	/* exiting_ok: as in tree.c, a member may begin exit_group() now. */
	ret = pt_check_killable(p, w->ns, true, w->extack);
	if (ret)
		return ret;
	w->members++;
	w->threads += get_nr_threads(p);
	return 0;
}

/* Send the first signal to @p and track it; tasklist_lock read-held. */
static int pt_grace_visit_term(struct task_struct *p, void *arg)
{
	struct pt_gwalk *w = arg;
	struct pt_grace *g = w->g;
	struct pt_gnode *n;
	int ret;

	if (pt_member_done(p))
		return 0;
	n = pt_pool_take(g);
	if (WARN_ON_ONCE(!n))
		return -ENOMEM;
	if (kill_pid(task_tgid(p), g->sig, 0)) {
		w->refused++;
		pt_pool_give(g, n);
		return 0;
	}
	g->sent++;
	n->pid = get_pid(task_tgid(p));
	spin_lock(&pt_grace_lock);
	ret = pt_grace_track_locked(n);
	spin_unlock(&pt_grace_lock);
	if (ret) {
		/* Those sent the first signal keep it; nothing is armed. */
		put_pid(n->pid);
		n->pid = NULL;
		pt_pool_give(g, n);
		return ret;
	}
	/* Its event, TERM unless the deadline kills it (the node's reference). */
	n->ev = pt_event_get(pt_grace_event_locked(w, p, PROCTERM_STAGE_TERM));
	return 0;
}

/*
 * One attempt under tasklist_lock: 0 and *@done when the first signals
 * were sent, 0 and *@need when the reserve must grow first, or an error
 * of the check pass (nothing sent).
 */
static int pt_grace_tree_locked(struct pt_grace *g, struct pt_gwalk *w,
				bool *done, unsigned int *need)
{
	struct task_struct *root;
	int ret;

	lockdep_assert_held(pt_tasklist_lock);
	root = pid_task(g->pid, PIDTYPE_TGID);
	if (!root) {
		NL_SET_ERR_MSG_MOD(w->extack, "process has already exited");
		return -ESRCH;
	}
	w->members = 0;
	w->threads = 0;
	ret = pt_tree_walk(root, pt_grace_visit_check, w);
	if (ret)
		return ret;
	/* A node per member, and two per thread for forks in flight. */
	*need = w->members + 2 * w->threads + PT_GRACE_SLACK;
	if (*need > g->pool_n)
		return 0;
	*done = true;
	ret = pt_tree_walk(root, pt_grace_visit_term, w);
	if (!ret && !w->refused) {
		/* Forks link after this lock is dropped: the probe sees them. */
		spin_lock(&pt_grace_lock);
		WRITE_ONCE(g->state, PT_G_ARMED);
		spin_unlock(&pt_grace_lock);
	}
	return ret;
}

static int pt_grace_tree(struct pt_grace *g, struct netlink_ext_ack *extack)
{
	struct pt_gwalk w = {
		.g = g,
		.ns = task_active_pid_ns(current),
		.extack = extack,
	};
	unsigned int need = PT_GRACE_SLACK * 2;
	bool done = false;
	int ret = 0, tries;

	if (!pt_tp_fork) {
		NL_SET_ERR_MSG_MOD(extack, "grace tree kill is unavailable on this kernel");
		return -EOPNOTSUPP;
	}
	/* Before anything is hashed: the probe looks only when non-zero. */
	atomic_inc(&pt_grace_trees);
	g->counted = true;
	INIT_LIST_HEAD(&w.evs);
	w.ev_user = pt_event_user();

	for (tries = 0; tries < PT_GRACE_TRIES; tries++) {
		if (need > g->pool_n) {
			ret = pt_pool_fill(g, need - g->pool_n, extack);
			if (ret == -ENOMEM)
				NL_SET_ERR_MSG_MOD(extack, "out of memory; nothing was signalled");
			if (ret)
				goto out;
		}
		read_lock(pt_tasklist_lock);
		rcu_read_lock();
		ret = pt_grace_tree_locked(g, &w, &done, &need);
		rcu_read_unlock();
		read_unlock(pt_tasklist_lock);
		if (ret || done)
			break;
		need += need / 4;
	}
	if (ret)
		goto out;
	if (!done) {
		NL_SET_ERR_MSG_MOD(extack, "the tree keeps growing; nothing was signalled");
		ret = -EAGAIN;
	} else if (w.refused) {
#ifdef NL_SET_ERR_MSG_FMT_MOD
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "%u of %u tree members got the first signal; nothing armed",
				       g->sent, g->sent + w.refused);
#else
		NL_SET_ERR_MSG_MOD(extack,
				   "some tree members refused the first signal; the others got it; nothing was armed");
#endif
		ret = -EPERM;
	} else if (!g->sent) {
		NL_SET_ERR_MSG_MOD(extack, "every member is already exiting");
		ret = -EALREADY;
	}
out:
	/* A request that failed reports nothing: nothing was armed. */
	pt_grace_events_done(&w, !ret);
	return ret;
}

/*
 * A single process: its exit status entry, then the first signal, judged
 * as kill(2) judges it, and its event (stage TERM until the deadline).
 */
static int pt_grace_single(struct pt_grace *g, const struct pt_target *t,
			   struct netlink_ext_ack *extack)
{
	struct pt_user *u = pt_event_user();
	struct pt_event *ev;
	bool exiting = false;
	int ret = 0;

	if (g->has_status) {
		g->st = pt_status_alloc(GFP_KERNEL_ACCOUNT);
		if (!g->st)
			ret = -ENOMEM;
	}
	ev = ret ? NULL : pt_event_alloc(u, g->admin, GFP_KERNEL_ACCOUNT);
	if (!ret) {
		pt_event_stage(ev, PROCTERM_STAGE_TERM);
		exiting = ev && pt_kill_already_exiting(t);
		ret = kill_pid(t->pid, g->sig, 0);
		pt_grace_sig_errmsg(ret, extack);
	}
	if (!ret) {
		g->sent = 1;
		/* The record's reference, for the deadline to move it to KILL. */
		if (!exiting)
			g->ev = pt_event_get(ev);
	}
	pt_kill_event(ev, t, &g->ev_req, exiting, ret);
	pt_event_user_put(u);
	return ret;
}

int pt_grace_arm(const struct pt_target *t, const struct pt_kill_req *req,
		 u32 *count, u64 *id, struct pt_grace **gp,
		 struct netlink_ext_ack *extack)
{
	struct pt_grace *g;
	int ret;

	if (!pt_tasklist_lock) {
		NL_SET_ERR_MSG_MOD(extack, "grace kill is unavailable on this kernel");
		return -EOPNOTSUPP;
	}
	if (req->has_status && !pt_exitstatus_available()) {
		NL_SET_ERR_MSG_MOD(extack, "exit status rewriting is unavailable on this kernel");
		return -EOPNOTSUPP;
	}
	g = pt_grace_new(t, req, extack);
	if (IS_ERR(g))
		return PTR_ERR(g);

	if (pt_grace_is_tree(g))
		ret = pt_grace_tree(g, extack);
	else
		ret = pt_grace_single(g, t, extack);
	if (ret) {
		if (ret == -ENOMEM)
			NL_SET_ERR_MSG_MOD(extack, "out of memory; nothing was armed");
		pt_grace_abort(g);
		return ret;
	}

	pt_grace_publish(g);
	*count = g->sent;
	*id = g->id;
	if (gp)
		*gp = g;		/* the arming reference */
	else
		pt_grace_put(g);
	return 0;
}

static bool pt_grace_may_manage(const struct pt_grace *g, kuid_t uid,
				bool admin)
{
	return admin || uid_eq(g->cred->uid, uid);
}

/* @admin: CAP_KILL, as the netlink request's sender and socket have it. */
int pt_grace_cancel(u64 id, bool admin, struct netlink_ext_ack *extack)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	kuid_t uid = current_uid();
	struct pt_grace *g = NULL;
	bool won = false;

	if (id <= ULONG_MAX) {
		spin_lock(&pt_grace_lock);
		g = xa_load(&pt_grace_xa, id);
		if (g && g->listed && g->state == PT_G_ARMED &&
		    pid_nr_ns(g->pid, ns) && pt_grace_may_manage(g, uid, admin)) {
			WRITE_ONCE(g->state, PT_G_CANCELLED);
			pt_grace_unlist_locked(g);
			/* Ours; the armed reference is still held while ARMED. */
			refcount_inc(&g->refs);
			won = true;
		}
		spin_unlock(&pt_grace_lock);
	}
	if (!won) {
		NL_SET_ERR_MSG_MOD(extack, "no such deferred request or grace kill");
		return -ENOENT;
	}
	WRITE_ONCE(g->stage, PROCTERM_STAGE_CANCELLED);
	/*
	 * Claim the deadline work. Won: it will never run, and the armed
	 * reference is ours to drop. Lost: it is queued or running, sees
	 * CANCELLED, does nothing and drops it.
	 */
	if (!test_and_set_bit(0, &g->queued)) {
		timer_delete_sync(&g->timer);
		pt_grace_put(g);
	}
	pt_grace_end(g);
	pt_grace_put(g);
	return 0;
}

struct pt_grace_row {
	u64 id;
	pid_t nr;
	u64 start_time;
	u32 flags;
	bool has_status;
	u32 status;
	u64 armed_ns;
	kuid_t uid;
	u32 grace_ms;
	u32 sig;
};

struct pt_grace_ctx {
	unsigned long next_id;
	struct pid_namespace *ns;
	struct user_namespace *uns;
	kuid_t uid;
	bool admin;
};

static int pt_grace_fill(struct sk_buff *skb, struct netlink_callback *cb,
			 const struct pt_grace_ctx *ctx,
			 const struct pt_grace_row *r)
{
	void *hdr;

	hdr = pt_genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
			     cb->nlh->nlmsg_seq, NLM_F_MULTI,
			     PROCTERM_CMD_PENDING);
	if (!hdr)
		return -EMSGSIZE;
	if (pt_put_u64(skb, PROCTERM_A_REQUEST_ID, r->id) ||
	    nla_put_u32(skb, PROCTERM_A_PID, r->nr) ||
	    pt_put_u64(skb, PROCTERM_A_START_TIME, r->start_time) ||
	    nla_put_u32(skb, PROCTERM_A_FLAGS, r->flags) ||
	    (r->has_status &&
	     nla_put_u32(skb, PROCTERM_A_EXIT_STATUS, r->status)) ||
	    pt_put_u64(skb, PROCTERM_A_ARMED_NS, r->armed_ns) ||
	    nla_put_u32(skb, PROCTERM_A_REQUESTER_UID,
			from_kuid_munged(ctx->uns, r->uid)) ||
	    nla_put_u32(skb, PROCTERM_A_GRACE_MS, r->grace_ms) ||
	    nla_put_u32(skb, PROCTERM_A_SIGNAL, r->sig)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* cb->args[1]: what the dump captured at its start, as deferred.c does. */
int pt_grace_dump_start(struct netlink_callback *cb)
{
	struct pt_grace_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ctx->next_id = 1;
	ctx->ns = get_pid_ns(task_active_pid_ns(current));
	ctx->uns = get_user_ns(current_user_ns());
	ctx->uid = current_uid();
	ctx->admin = netlink_capable(cb->skb, CAP_KILL);
	cb->args[1] = (long)ctx;
	return 0;
}

int pt_grace_dump_done(struct netlink_callback *cb)
{
	struct pt_grace_ctx *ctx = (struct pt_grace_ctx *)cb->args[1];

	if (ctx) {
		put_user_ns(ctx->uns);
		put_pid_ns(ctx->ns);
		kfree(ctx);
		cb->args[1] = 0;
	}
	return 0;
}

/* The armed grace kills in id order from the cursor, one row at a time. */
int pt_grace_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct pt_grace_ctx *ctx = (struct pt_grace_ctx *)cb->args[1];
	struct pt_grace_row r;
	struct pt_grace *g;
	unsigned long index;
	bool found;
	int ret;

	for (;;) {
		found = false;
		spin_lock(&pt_grace_lock);
		xa_for_each_start(&pt_grace_xa, index, g, ctx->next_id) {
			r.nr = pid_nr_ns(g->pid, ctx->ns);
			if (g->state != PT_G_ARMED || !r.nr ||
			    !pt_grace_may_manage(g, ctx->uid, ctx->admin))
				continue;
			r.id = g->id;
			r.start_time = g->start_time;
			r.flags = g->flags;
			r.has_status = g->has_status;
			r.status = g->status;
			r.armed_ns = g->armed_ns;
			r.uid = g->cred->uid;
			r.grace_ms = g->grace_ms;
			r.sig = g->sig;
			found = true;
			break;
		}
		spin_unlock(&pt_grace_lock);
		if (!found)
			return skb->len;

		ret = pt_grace_fill(skb, cb, ctx, &r);
		if (ret)
			return skb->len ? skb->len : ret;
		ctx->next_id = r.id + 1;
	}
}

static void pt_grace_tp_match(struct tracepoint *tp, void *priv)
{
	struct tracepoint **found = priv;

	if (!strcmp(tp->name, "sched_process_fork"))
		*found = tp;
}

int pt_grace_init(void)
{
	struct tracepoint *tp = NULL;
	int ret;

	ret = rhltable_init(&pt_grace_ht, &pt_grace_ht_params);
	if (ret)
		return ret;
	pt_grace_wq = alloc_workqueue("procterm_grace", WQ_UNBOUND, 0);
	if (!pt_grace_wq) {
		rhltable_destroy(&pt_grace_ht);
		return -ENOMEM;
	}
	/* The tracepoint's symbol is not exported: find it by name. */
	for_each_kernel_tracepoint(pt_grace_tp_match, &tp);
	if (!tp) {
		pr_warn("sched_process_fork tracepoint not found: grace tree kills unavailable\n");
		return 0;
	}
	ret = tracepoint_probe_register(tp, pt_probe_fork, NULL);
	if (ret)
		pr_warn("cannot probe sched_process_fork (%d): grace tree kills unavailable\n",
			ret);
	else
		pt_tp_fork = tp;
	return 0;
}

void pt_grace_exit(void)
{
	if (pt_tp_fork) {
		tracepoint_probe_unregister(pt_tp_fork, pt_probe_fork, NULL);
		tracepoint_synchronize_unregister();
	}
	/*
	 * Every record pins the module until its free has run, so only frees
	 * finishing (and a stray escalation) can be left: drain them.
	 */
	destroy_workqueue(pt_grace_wq);
	WARN_ON(!xa_empty(&pt_grace_xa));
	/* Every node was removed before its record's free. */
	rhltable_destroy(&pt_grace_ht);
}
