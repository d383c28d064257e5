// SPDX-License-Identifier: GPL-2.0
/*
 * Whole-tree kill: a process and all its descendants, nothing escaping.
 *
 * The tree is walked with tasklist_lock held for reading, as the kernel's
 * own kill(-1, sig) does. fork() links a child and exit() reparents
 * orphans only with tasklist_lock held for writing, so for the whole walk
 * the tree is frozen: every child linked before the walk is seen, no
 * member can be reparented out of the tree before it is signalled, and a
 * fork that links after the walk finds SIGKILL pending in its parent and
 * fails (copy_process() checks under the same lock). After the request,
 * no member can create a new process.
 *
 * tasklist_lock is not exported. Its address is read from a kprobe
 * registration on the symbol, which is refused (it is data, not text) but
 * resolves the address first. Without it, tree kill reports -EOPNOTSUPP.
 *
 * The walk is iterative (no recursion, no allocation for the walk itself):
 * a process's children hang off each of its threads' ->children lists,
 * linked through ->sibling; going back up uses ->real_parent. Three passes
 * run under one lock hold: check every member (all or nothing), prepare
 * (exit statuses or deferred works, GFP_ATOMIC, undone on failure), then
 * signal. On PREEMPT_RT tasklist_lock is a sleeping rwlock and the walk is
 * preemptible; elsewhere it runs with preemption off, so its length is
 * bounded by the number of members.
 */
#include <linux/kprobes.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/spinlock.h>
#include <net/genetlink.h>

#include <linux/procterm.h>
#include "procterm.h"

static rwlock_t *pt_tasklist_lock;

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

static struct task_struct *pt_next_thread(struct task_struct *t)
{
	struct list_head *next = t->thread_node.next;

	if (next == &t->signal->thread_head)
		return NULL;
	return list_entry(next, struct task_struct, thread_node);
}

/* The child of process @proc after @child, or its first child. */
static struct task_struct *pt_next_child(struct task_struct *proc,
					 struct task_struct *child)
{
	struct task_struct *t;

	if (child) {
		t = pt_parent(child);
		if (!list_is_last(&child->sibling, &t->children))
			return list_next_entry(child, sibling);
		t = pt_next_thread(t);
	} else {
		t = list_first_entry(&proc->signal->thread_head,
				     struct task_struct, thread_node);
	}
	for (; t; t = pt_next_thread(t))
		if (!list_empty(&t->children))
			return list_first_entry(&t->children,
						struct task_struct, sibling);
	return NULL;
}

struct pt_tree_ctx {
	const struct pt_kill_req *req;
	struct pid_namespace *ns;
	struct netlink_ext_ack *extack;
	struct pt_deferred *deferred;
	u32 count;
	int (*visit)(struct task_struct *p, struct pt_tree_ctx *ctx);
};

/* Pre-order walk of @root's tree; tasklist_lock must be read-held. */
static int pt_walk(struct task_struct *root, struct pt_tree_ctx *ctx)
{
	struct task_struct *proc = root, *child = NULL, *next;
	int ret;

	ret = ctx->visit(root, ctx);
	if (ret)
		return ret;
	for (;;) {
		next = pt_next_child(proc, child);
		if (next) {
			ret = ctx->visit(next, ctx);
			if (ret)
				return ret;
			proc = next;
			child = NULL;
			continue;
		}
		if (proc == root)
			return 0;
		child = proc;
		proc = pt_parent(proc)->group_leader;
	}
}

/* A member that is already dying or dead needs nothing more. */
static bool pt_member_done(struct task_struct *p)
{
	return pt_group_dead(p) ||
	       (READ_ONCE(p->signal->flags) & SIGNAL_GROUP_EXIT);
}

static int pt_visit_check(struct task_struct *p, struct pt_tree_ctx *ctx)
{
	int ret;

	if (pt_member_done(p))
		return 0;
	ret = pt_check_killable(p, ctx->ns, false, ctx->extack);
	if (!ret)
		ret = kill_pid(task_tgid(p), 0, 0);
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
	ctx->count++;
	return 0;
}

static int pt_visit_arm_status(struct task_struct *p, struct pt_tree_ctx *ctx)
{
	int ret;

	if (pt_member_done(p))
		return 0;
	ret = pt_exitstatus_arm(p, ctx->req->status,
				GFP_ATOMIC | __GFP_NOWARN);
	return ret == -EALREADY ? 0 : ret;
}

static int pt_visit_disarm_status(struct task_struct *p,
				  struct pt_tree_ctx *ctx)
{
	pt_exitstatus_disarm(p);
	return 0;
}

static int pt_visit_defer(struct task_struct *p, struct pt_tree_ctx *ctx)
{
	int ret;

	if (pt_member_done(p))
		return 0;
	ret = pt_deferred_queue(ctx->deferred, p, GFP_ATOMIC | __GFP_NOWARN);
	return ret < 0 ? ret : 0;
}

static int pt_visit_kill(struct task_struct *p, struct pt_tree_ctx *ctx)
{
	if (!pt_member_done(p))
		kill_pid(task_tgid(p), SIGKILL, 0);
	return 0;
}

static int pt_tree_locked(struct task_struct *root, struct pt_tree_ctx *ctx)
{
	bool deferred = ctx->req->flags & PROCTERM_F_DEFERRED;
	int ret;

	ctx->visit = pt_visit_check;
	ret = pt_walk(root, ctx);
	if (ret)
		return ret;

	if (deferred) {
		ctx->visit = pt_visit_defer;
		return pt_walk(root, ctx);
	}

	if (ctx->req->has_status) {
		ctx->visit = pt_visit_arm_status;
		ret = pt_walk(root, ctx);
		if (ret) {
			ctx->visit = pt_visit_disarm_status;
			pt_walk(root, ctx);
			return ret;
		}
	}

	ctx->visit = pt_visit_kill;
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
	int ret;

	if (!pt_tasklist_lock) {
		NL_SET_ERR_MSG_MOD(extack, "tree kill is unavailable on this kernel");
		return -EOPNOTSUPP;
	}
	if (req->has_status && !pt_exitstatus_available()) {
		NL_SET_ERR_MSG_MOD(extack, "exit status rewriting is unavailable on this kernel");
		return -EOPNOTSUPP;
	}

	if (req->flags & PROCTERM_F_DEFERRED) {
		ctx.deferred = pt_deferred_new(t, req, GFP_KERNEL);
		if (!ctx.deferred)
			return -ENOMEM;
	}

	read_lock(pt_tasklist_lock);
	ret = pt_tree_locked(t->task, &ctx);
	read_unlock(pt_tasklist_lock);

	if (ctx.deferred) {
		if (ret) {
			pt_deferred_abort(ctx.deferred);
		} else {
			ret = pt_deferred_commit(ctx.deferred, id);
			if (ret)
				NL_SET_ERR_MSG_MOD(extack, "every member is already exiting");
		}
	}
	if (ret == -ENOMEM)
		NL_SET_ERR_MSG_MOD(extack, "out of memory; nothing was killed");
	if (!ret)
		*count = ctx.count;
	return ret;
}
