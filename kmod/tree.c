// SPDX-License-Identifier: GPL-2.0
/*
 * Whole-tree kill: a process and all its descendants, nothing escaping.
 *
 * The tree is walked with tasklist_lock held for reading, as the kernel's
 * own kill(-1, sig) does. fork() links a child, exit() reparents orphans
 * and de_thread() replaces a leader only with tasklist_lock held for
 * writing, so for the whole walk the tree is frozen: every child linked
 * before the walk is seen, no member can be reparented out of the tree
 * before it is signalled, and a fork that links after the walk finds
 * SIGKILL pending in its parent and fails (copy_process() checks under the
 * same lock). After the request, no member can create a new process.
 *
 * The root is looked up again from its TGID struct pid once the lock is
 * held: a root reaped since the request resolved it is -ESRCH, and a root
 * whose leader was replaced by an exec in another thread is walked from
 * its new leader. Neither can change until the lock is dropped.
 *
 * tasklist_lock is not exported. Its address is read from a kprobe
 * registration on the symbol, which is refused (it is data, not text) but
 * resolves the address first. Without it, tree kill, deferred termination
 * and exit statuses report -EOPNOTSUPP.
 *
 * The walk is iterative (no recursion, no allocation under the lock): a
 * process's children hang off each of its threads' ->children lists,
 * linked through ->sibling; the thread list is the one for_each_thread()
 * walks, resumed after a thread with list_for_each_entry_continue(); going
 * back up uses ->real_parent. Passes under one lock hold: check every member
 * (all or nothing; this pass also counts what the next one needs), then
 * act: queue the deferred works, or send SIGKILL to each member and publish
 * its exit status. What the second pass needs is allocated before the lock
 * is taken; if the tree grew past it, the lock is dropped, more is
 * allocated and the walk starts again (at most PT_TREE_TRIES times).
 *
 * Permission: the check pass judges each member with kill(2)'s rules for
 * signal 0, which are SIGKILL's except for an LSM that tells the two apart.
 * The kill pass sends each member SIGKILL from the requester's context,
 * judged by the kernel exactly as kill(2) would, and counts refusals: if an
 * LSM refuses some members, those live, and the request fails with -EPERM
 * and an extack that says how many members were killed.
 *
 * Events (events.c): the kill pass allocates (GFP_NOWAIT: under the lock)
 * and fills a record for each member it kills; they are queued once the
 * lock is dropped. A member killed without a record (no memory, the
 * requester's share or max_events reached) is counted lost. Records never
 * gate the kill: the passes are those of a tree kill without events. An
 * immediate tree gets a request id, from the deferred requests' id space,
 * once its check pass has passed; it is returned in the reply and carried
 * by its events.
 *
 * On PREEMPT_RT tasklist_lock is a sleeping rwlock and the walk is
 * preemptible; elsewhere it runs with preemption off, so its length is
 * bounded by the number of members and their threads.
 */
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <net/genetlink.h>

#include <linux/procterm.h>
#include "procterm.h"

#define PT_TREE_TRIES 8

rwlock_t *pt_tasklist_lock;

int pt_tree_init(void)
{
	struct kprobe kp = { .symbol_name = "tasklist_lock" };
	int ret;

	ret = register_kprobe(&kp);
	if (!ret) {
		/* A probe on data cannot be placed; this is not the lock. */
		unregister_kprobe(&kp);
		return -EINVAL;
	}
	if (!kp.addr)
		return ret;
	pt_tasklist_lock = (rwlock_t *)kp.addr;
	return 0;
}

/* ->real_parent is stable while tasklist_lock is held. */
static struct task_struct *pt_parent(struct task_struct *p)
{
	return rcu_dereference_protected(p->real_parent,
					 lockdep_is_held(pt_tasklist_lock));
}

/* The first child of process @proc, on any of its threads, or NULL. */
static struct task_struct *pt_first_child(struct task_struct *proc)
{
	struct task_struct *t;

	for_each_thread(proc, t)
		if (!list_empty(&t->children))
			return list_first_entry(&t->children, struct task_struct,
						sibling);
	return NULL;
}

/* The child of @child's parent process after @child, or NULL. */
static struct task_struct *pt_next_child(struct task_struct *child)
{
	struct task_struct *t = pt_parent(child);
	struct signal_struct *sig = t->signal;

	if (!list_is_last(&child->sibling, &t->children))
		return list_next_entry(child, sibling);
	list_for_each_entry_continue(t, &sig->thread_head, thread_node)
		if (!list_empty(&t->children))
			return list_first_entry(&t->children, struct task_struct,
						sibling);
	return NULL;
}

struct pt_tree_ctx {
	const struct pt_kill_req *req;
	struct pid_namespace *ns;
	struct netlink_ext_ack *extack;
	struct pt_deferred *deferred;
	unsigned int members;		/* to act on, from the check pass */
	unsigned int threads;		/* their threads */
	unsigned int killed;
	unsigned int refused;
	pid_t refused_nr;		/* the first refused member */
	char refused_comm[TASK_COMM_LEN];
	struct pt_status **pool;	/* exit statuses, allocated */
	unsigned int pool_n;
	/* Event records (events.c), filled, to queue after the lock. */
	struct pt_user *ev_user;	/* see pt_event_user() */
	struct list_head evs;
	unsigned int ev_lost;
	struct pt_event_req ev_req;
	int (*visit)(struct task_struct *p, struct pt_tree_ctx *ctx);
};

/*
 * Pre-order walk of @root's tree, calling @visit on each process until one
 * returns non-zero; tasklist_lock must be read-held (grace.c walks too).
 */
int pt_tree_walk(struct task_struct *root,
		 int (*visit)(struct task_struct *p, void *arg), void *arg)
{
	struct task_struct *proc = root, *next;
	int ret;

	lockdep_assert_held(pt_tasklist_lock);

	ret = visit(root, arg);
	if (ret)
		return ret;
	next = pt_first_child(root);
	for (;;) {
		if (next) {
			ret = visit(next, arg);
			if (ret)
				return ret;
			proc = next;
			next = pt_first_child(proc);
			continue;
		}
		/* @proc's subtree is done: its next sibling, or climb. */
		if (proc == root)
			return 0;
		next = pt_next_child(proc);
		proc = pt_parent(proc)->group_leader;
	}
}

static int pt_visit_ctx(struct task_struct *p, void *arg)
{
	struct pt_tree_ctx *ctx = arg;

	return ctx->visit(p, ctx);
}

static int pt_walk(struct task_struct *root, struct pt_tree_ctx *ctx)
{
	return pt_tree_walk(root, pt_visit_ctx, ctx);
}

/* A member that is already dying or dead needs nothing more. */
bool pt_member_done(struct task_struct *p)
{
	return pt_group_dead(p) ||
	       (READ_ONCE(p->signal->flags) & SIGNAL_GROUP_EXIT);
}

static int pt_visit_check(struct task_struct *p, struct pt_tree_ctx *ctx)
{
	int ret;

	if (pt_member_done(p))
		return 0;
	ret = kill_pid(task_tgid(p), 0, 0);
	if (ret) {
		/* Name no process the requester may not signal. */
		NL_SET_ERR_MSG_MOD(ctx->extack,
				   "a tree member may not be killed by this requester; nothing was");
		return ret;
	}
	/*
	 * exiting_ok: SIGNAL_GROUP_EXIT is set under siglock, not
	 * tasklist_lock, so a member may have begun exit_group() since
	 * pt_member_done() (the middle process of a double fork does, all the
	 * time); it needs nothing more and is no reason to refuse. Whether it
	 * is dead cannot change under the lock.
	 */
	ret = pt_check_killable(p, ctx->ns, true, ctx->extack);
	if (ret) {
#ifdef NL_SET_ERR_MSG_FMT_MOD
		NL_SET_ERR_MSG_FMT_MOD(ctx->extack,
				       "tree member %d (%s) cannot be killed; nothing was",
				       task_tgid_nr_ns(p, ctx->ns), p->comm);
#else
		NL_SET_ERR_MSG_MOD(ctx->extack,
				   "a tree member cannot be killed; nothing was");
#endif
		return ret;
	}
	ctx->members++;
	ctx->threads += get_nr_threads(p);
	return 0;
}

static int pt_visit_defer(struct task_struct *p, struct pt_tree_ctx *ctx)
{
	if (!pt_member_done(p))
		pt_deferred_queue_locked(ctx->deferred, p);
	return 0;
}

static int pt_visit_kill(struct task_struct *p, struct pt_tree_ctx *ctx)
{
	struct pt_event *ev;
	int ret;

	if (pt_member_done(p))
		return 0;
	ret = kill_pid(task_tgid(p), SIGKILL, 0);
	if (ret) {
		if (!ctx->refused++) {
			ctx->refused_nr = task_tgid_nr_ns(p, ctx->ns);
			memcpy(ctx->refused_comm, p->comm, sizeof(ctx->refused_comm));
			ctx->refused_comm[TASK_COMM_LEN - 1] = '\0';
		}
		return 0;
	}
	ctx->killed++;
	/* Non-sleeping: tasklist_lock is read-held (preemption off, but RT). */
	ev = pt_event_alloc(ctx->ev_user, ctx->req->admin,
			    GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN);
	if (IS_ERR(ev)) {
		ctx->ev_lost++;
	} else if (ev) {
		pt_event_fill(ev, &ctx->ev_req, task_tgid(p), p, false);
		pt_event_stash(ev, &ctx->evs);
	}
	if (ctx->req->has_status && ctx->pool_n &&
	    pt_status_publish(ctx->pool[ctx->pool_n - 1], p, ctx->req->status))
		ctx->pool_n--;
	return 0;
}

/* Have at least @nr exit statuses allocated. */
static int pt_pool_reserve(struct pt_tree_ctx *ctx, unsigned int nr)
{
	struct pt_status **pool;

	if (nr <= ctx->pool_n)
		return 0;
	pool = kvmalloc_array(nr, sizeof(*pool), GFP_KERNEL_ACCOUNT);
	if (!pool)
		return -ENOMEM;
	if (ctx->pool_n)
		memcpy(pool, ctx->pool, ctx->pool_n * sizeof(*pool));
	kvfree(ctx->pool);
	ctx->pool = pool;
	while (ctx->pool_n < nr) {
		pool[ctx->pool_n] = pt_status_alloc(GFP_KERNEL_ACCOUNT);
		if (!pool[ctx->pool_n])
			return -ENOMEM;
		ctx->pool_n++;
	}
	return 0;
}

static void pt_pool_free(struct pt_tree_ctx *ctx)
{
	while (ctx->pool_n)
		pt_status_discard(ctx->pool[--ctx->pool_n]);
	kvfree(ctx->pool);
}

/*
 * One attempt under the lock. Returns 0 with *@done set when the action
 * pass ran, 0 with *@need set when more must be allocated first, or an
 * error from the check pass (nothing done).
 */
static int pt_tree_locked(const struct pt_target *t, struct pt_tree_ctx *ctx,
			  bool *done, unsigned int *need)
{
	bool deferred = ctx->req->flags & PROCTERM_F_DEFERRED;
	struct task_struct *root;
	unsigned int have;
	int ret;

	/* The root as it is now; it cannot be reaped or replaced meanwhile. */
	root = pid_task(t->pid, PIDTYPE_TGID);
	if (!root) {
		NL_SET_ERR_MSG_MOD(ctx->extack, "process has already exited");
		return -ESRCH;
	}

	ctx->members = 0;
	ctx->threads = 0;
	ctx->visit = pt_visit_check;
	ret = pt_walk(root, ctx);
	if (ret)
		return ret;

	if (deferred) {
		*need = ctx->threads;
		have = pt_deferred_reserved(ctx->deferred);
	} else {
		*need = ctx->req->has_status ? ctx->members : 0;
		have = ctx->pool_n;
	}
	if (*need > have)
		return 0;

	/* Permitted: an immediate tree's id, for its reply and events. */
	if (!deferred)
		ctx->ev_req.id = pt_request_id_new();
	ctx->visit = deferred ? pt_visit_defer : pt_visit_kill;
	*done = true;
	return pt_walk(root, ctx);
}

int pt_tree_kill(const struct pt_target *t, const struct pt_kill_req *req,
		 u32 *count, u64 *id, struct netlink_ext_ack *extack)
{
	struct pt_tree_ctx ctx = {
		.req = req,
		.ns = task_active_pid_ns(current),
		.extack = extack,
	};
	bool deferred = req->flags & PROCTERM_F_DEFERRED;
	unsigned int need = 0;
	bool done = false;
	int ret, tries;

	if (!pt_tasklist_lock) {
		NL_SET_ERR_MSG_MOD(extack, "tree kill is unavailable on this kernel");
		return -EOPNOTSUPP;
	}
	if (req->has_status && !pt_exitstatus_available()) {
		NL_SET_ERR_MSG_MOD(extack, "exit status rewriting is unavailable on this kernel");
		return -EOPNOTSUPP;
	}
	INIT_LIST_HEAD(&ctx.evs);
	/* A deferred tree's members are reported as their works fire. */
	if (!deferred) {
		ctx.ev_user = pt_event_user();
		/* Before the kill pass: ELAPSED_NS starts here. */
		pt_event_requester(&ctx.ev_req, PROCTERM_EVENT_MODE_TREE,
				   req->flags, 0);
	}
	if (deferred) {
		ret = pt_perm_check(t->pid, extack);
		if (!ret)
			ret = pt_deferred_tree_begin(t, req, &ctx.deferred, extack);
		if (ret)
			return ret;
	}

	for (tries = 0; tries < PT_TREE_TRIES; tries++) {
		read_lock(pt_tasklist_lock);
		rcu_read_lock();
		ret = pt_tree_locked(t, &ctx, &done, &need);
		rcu_read_unlock();
		read_unlock(pt_tasklist_lock);
		if (ret || done)
			break;
		/* The tree grew since it was counted: allocate for it, with room. */
		need += need / 4 + 4;
		if (deferred)
			ret = pt_deferred_reserve(ctx.deferred, need, extack);
		else
			ret = pt_pool_reserve(&ctx, need);
		if (ret)
			break;
	}
	if (!ret && !done) {
		NL_SET_ERR_MSG_MOD(extack, "the tree keeps growing; nothing was killed");
		ret = -EAGAIN;
	}
	pt_pool_free(&ctx);
	/* The members the kill pass killed: reported when dead, or lost. */
	pt_event_queue_all(&ctx.evs);
	pt_event_lost(ctx.ev_lost);
	pt_event_user_put(ctx.ev_user);

	if (deferred) {
		if (ret) {
			pt_deferred_tree_abort(ctx.deferred);
		} else {
			ret = pt_deferred_finish(ctx.deferred, id);
			if (ret)
				NL_SET_ERR_MSG_MOD(extack, "every member is already exiting");
		}
		*count = ctx.members;
	} else if (!ret && ctx.refused) {
		/* Some SIGKILLs were refused by an LSM: say what happened. */
#ifdef NL_SET_ERR_MSG_FMT_MOD
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "%u of %u tree members killed; member %d (%s) and %u more refused SIGKILL",
				       ctx.killed, ctx.killed + ctx.refused,
				       ctx.refused_nr, ctx.refused_comm, ctx.refused - 1);
#else
		NL_SET_ERR_MSG_MOD(extack,
				   "some tree members refused SIGKILL and live; the others were killed");
#endif
		ret = -EPERM;
	} else {
		*count = ctx.killed;
		if (!ret)
			*id = ctx.ev_req.id;
	}
	if (ret == -ENOMEM)
		NL_SET_ERR_MSG_MOD(extack, "out of memory; nothing was killed");
	return ret;
}
