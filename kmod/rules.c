// SPDX-License-Identifier: GPL-2.0
/*
 * Exec rules: a process whose exec matches a rule dies before the new
 * image runs its first instruction (or, for an audit rule, is reported and
 * lives on).
 *
 * Contexts, in order:
 *
 * 1. The sched_process_exec probe runs in the exec'ing task, after the
 *    point of no return (the old image is gone, the new one is mapped and
 *    only one thread is left: de_thread() has run), with preemption
 *    disabled, even on PREEMPT_RT. With no rule listed it costs one
 *    atomic_read(). Otherwise it evaluates the cheap conditions (comm,
 *    uid, parent's comm, cgroup) under RCU; if some rule could still
 *    match, it takes a task work from a preallocated pool (a bitmap of
 *    PT_RULE_WORKS slots: atomics only, no allocation, no spinlock_t),
 *    a reference on the executable file and a module reference, and
 *    queues the work on itself with TWA_RESUME. A full pool lets the exec
 *    go on unmatched (counted in rule_missed).
 *
 * 2. The task work runs on the way back to user mode, before the new
 *    image's first user instruction and before any signal is handled (and,
 *    through ptrace_notify(), before a tracer sees the exec stop), in
 *    process context: it may sleep. It resolves the executable's path
 *    (d_path() of the exe file, only when a rule has a path condition),
 *    matches every condition again under RCU in rule id order, and fires:
 *    every matching audit rule is counted and reported at once
 *    (pt_event_report_now()), the first matching kill rule kills the
 *    process with pt_self_kill() (deferred.c: SIGKILL to itself, judged
 *    with the credentials of the rule's adder, the exit status published
 *    through exitstatus.c, the event queued for the death) and ends the
 *    walk. The exit-to-user loop then dies in get_signal().
 *
 * --count: a rule's firings left are an atomic_t taken with
 * atomic_dec_if_positive() before it fires, so a rule with count N fires
 * exactly N times however many execs race; the one that takes the last
 * unlinks the rule.
 *
 * The table: pt_rules, in id order, read under RCU, written under
 * pt_rules_lock (a mutex: writers are the netlink handlers and the
 * expiring task works, all in process context). A rule holds one reference
 * for the table and one per task work that fired it; the last one drops
 * the adder's credentials and budget entry, and RCU frees the rest (what
 * the probe reads: the strings and the cgroup). At most max_rules rules,
 * for everyone together; they are allocated memcg-accounted to the adder.
 * Everything needs CAP_SYS_ADMIN in the initial user namespace (netlink.c).
 */
#include <linux/atomic.h>
#include <linux/binfmts.h>
#include <linux/bitmap.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/refcount.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/task_work.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>
#include <net/genetlink.h>

#include <linux/procterm.h>
#include "compat.h"
#include "procterm.h"

#define PT_RULES_HARD_MAX	1024
static unsigned int max_rules = 256;

static int pt_max_rules_set(const char *val, const struct kernel_param *kp)
{
	/* The probe walks every rule with preemption off: keep it short. */
	return param_set_uint_minmax(val, kp, 0, PT_RULES_HARD_MAX);
}

static const struct kernel_param_ops pt_max_rules_ops = {
	.set = pt_max_rules_set,
	.get = param_get_uint,
};

module_param_cb(max_rules, &pt_max_rules_ops, &max_rules, 0644);
MODULE_PARM_DESC(max_rules, "exec rules in the table (all users; 0..1024)");

struct pt_rule {
	struct list_head node;		/* pt_rules, RCU */
	refcount_t refs;		/* the table's, and each firing's */
	bool listed;			/* under pt_rules_lock */
	u32 id;
	u32 conds;			/* PT_COND_* */
	char comm[TASK_COMM_LEN];
	char parent_comm[TASK_COMM_LEN];
	kuid_t uid;
	char *path;
	char *cgroup_path;		/* as given, for the listing */
	struct cgroup *cgrp;		/* referenced, put after a grace period */
	bool has_status;
	u32 status;
	bool audit;
	bool has_count;
	atomic_t left;			/* with has_count: firings left */
	atomic64_t fired;
	const struct cred *cred;	/* the adder's: the kill is judged so */
	struct pt_user *user;		/* the adder's: events are charged here */
	struct pt_event_req ev_req;	/* the adder, for events.c */
	struct rcu_head rcu;
};

static LIST_HEAD(pt_rules);
static DEFINE_MUTEX(pt_rules_lock);
static unsigned int pt_rules_nr;	/* listed, under pt_rules_lock */
static u32 pt_rules_next_id;		/* under pt_rules_lock */
static unsigned int pt_rules_gen;	/* changes, under pt_rules_lock */
/* The probe's first and only test when no rule is listed. */
static atomic_t pt_rules_active = ATOMIC_INIT(0);
/* Listed rules with a path condition: the task work resolves the path. */
static atomic_t pt_rules_need_path = ATOMIC_INIT(0);

static struct tracepoint *pt_tp_exec;

/*
 * The task works, preallocated: a task holds at most one (the exec it
 * belongs to returns to user mode, running it, before the next exec), so
 * PT_RULE_WORKS bounds the execs between probe and return at one time.
 */
#define PT_RULE_WORKS 256
struct pt_rule_work {
	struct callback_head cb;
	struct file *exe;		/* referenced */
	unsigned int bucket;		/* in pt_rule_uid_used[] */
};

static struct pt_rule_work pt_rule_works[PT_RULE_WORKS];
static DECLARE_BITMAP(pt_rule_works_used, PT_RULE_WORKS);

/*
 * A slot is held from the probe until the task work runs, which a task
 * kept off the CPU (SCHED_IDLE next to busy loops, a throttled cpu.max)
 * can put off for as long as it likes. So that one user cannot take the
 * whole pool and leave everyone else's execs unmatched, the slots in use
 * are counted per bucket of real uids (a hash: a user cannot choose its
 * bucket's other members), each bucket limited to a quarter of the pool.
 */
#define PT_RULE_UID_BUCKETS	32
#define PT_RULE_UID_SHARE	(PT_RULE_WORKS / 4)
static atomic_t pt_rule_uid_used[PT_RULE_UID_BUCKETS];

static unsigned int pt_rule_uid_bucket(kuid_t uid)
{
	return hash_32(__kuid_val(uid), ilog2(PT_RULE_UID_BUCKETS));
}

#ifdef PF_USER_WORKER
#define PT_PF_NOT_USER (PF_KTHREAD | PF_IO_WORKER | PF_USER_WORKER)
#else
#define PT_PF_NOT_USER (PF_KTHREAD | PF_IO_WORKER)
#endif

/* What an exec is matched on; read under RCU. */
struct pt_exec_info {
	char comm[TASK_COMM_LEN];
	char parent_comm[TASK_COMM_LEN];
	kuid_t uid;
	struct cgroup *cgrp;		/* RCU */
	const char *path;		/* NULL: not resolved (yet) */
};

static void pt_exec_info_get(struct pt_exec_info *x)
{
	struct task_struct *parent;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "exec info read outside RCU");
	/* Racy against a rename, but NUL-terminated. */
	memcpy(x->comm, current->comm, sizeof(x->comm));
	x->comm[TASK_COMM_LEN - 1] = '\0';
	parent = rcu_dereference(current->real_parent)->group_leader;
	memcpy(x->parent_comm, parent->comm, sizeof(x->parent_comm));
	x->parent_comm[TASK_COMM_LEN - 1] = '\0';
	x->uid = current_uid();
	x->cgrp = task_dfl_cgroup(current);
	x->path = NULL;
}

/* Every condition of @r holds; the path one only when @x has a path. */
static bool pt_rule_match(const struct pt_rule *r,
			  const struct pt_exec_info *x, bool late)
{
	if ((r->conds & PT_COND_COMM) && strcmp(r->comm, x->comm))
		return false;
	if ((r->conds & PT_COND_UID) && !uid_eq(r->uid, x->uid))
		return false;
	if ((r->conds & PT_COND_PARENT_COMM) &&
	    strcmp(r->parent_comm, x->parent_comm))
		return false;
	if ((r->conds & PT_COND_CGROUP) &&
	    (!x->cgrp || !cgroup_is_descendant(x->cgrp, r->cgrp)))
		return false;
	if (late && (r->conds & PT_COND_PATH) &&
	    (!x->path || strcmp(r->path, x->path)))
		return false;
	return true;
}

/* RCU has passed since the rule was unlinked: nobody reads it any more. */
static void pt_rule_free_rcu(struct rcu_head *rcu)
{
	struct pt_rule *r = container_of(rcu, struct pt_rule, rcu);

	if (r->cgrp)
		cgroup_put(r->cgrp);
	kfree(r->cgroup_path);
	kfree(r->path);
	kfree(r);
}

static void pt_rule_put(struct pt_rule *r)
{
	if (!refcount_dec_and_test(&r->refs))
		return;
	/* What the probe never reads goes now, in process context. */
	pt_user_put(r->user);
	put_cred(r->cred);
	call_rcu(&r->rcu, pt_rule_free_rcu);
}

static void pt_rule_unlink_locked(struct pt_rule *r)
{
	lockdep_assert_held(&pt_rules_lock);
	if (!r->listed)
		return;
	list_del_rcu(&r->node);
	r->listed = false;
	pt_rules_nr--;
	pt_rules_gen++;
	atomic_dec(&pt_rules_active);
	if (r->conds & PT_COND_PATH)
		atomic_dec(&pt_rules_need_path);
	pt_stat_add(PT_STAT_RULES, -1);
	pt_rule_put(r);
}

/* The firing that took the last count: the rule expires. */
static void pt_rule_expire(struct pt_rule *r)
{
	mutex_lock(&pt_rules_lock);
	pt_rule_unlink_locked(r);
	mutex_unlock(&pt_rules_lock);
}

/*
 * The first listed rule after @after (an id) that matches, referenced, with
 * one of its firings taken; *@expire says it was the last. NULL if none.
 */
static struct pt_rule *pt_rule_next_match(u32 after, const char *path,
					  bool *expire)
{
	struct pt_exec_info x;
	struct pt_rule *r, *hit = NULL;
	int left = 0;

	rcu_read_lock();
	pt_exec_info_get(&x);
	x.path = path;
	list_for_each_entry_rcu(r, &pt_rules, node) {
		if (r->id <= after || !pt_rule_match(r, &x, true))
			continue;
		/* Exactly N firings: the count is taken before firing. */
		if (r->has_count) {
			left = atomic_dec_if_positive(&r->left);
			if (left < 0)
				continue;
		}
		/* Zero: unlinked and going; a count it lost does not matter. */
		if (!refcount_inc_not_zero(&r->refs))
			continue;
		hit = r;
		*expire = r->has_count && !left;
		break;
	}
	rcu_read_unlock();
	return hit;
}

/* Fire @r on current; returns true when the process was killed. */
static bool pt_rule_fire(struct pt_rule *r)
{
	struct pt_event_req req = r->ev_req;
	struct pt_self_kill k = {
		.cred = r->cred,
		.has_status = r->has_status,
		.status = r->status,
		.user = r->user,
		.admin = true,
		.ev_req = &req,
	};
	int ret;

	/* Elapsed time from the firing, not from the rule's creation. */
	req.request_ns = ktime_get_boottime_ns();
	atomic64_inc(&r->fired);
	pt_stat_add(PT_STAT_RULE_FIRED, 1);
	if (r->audit) {
		pt_event_report_now(r->user, true, &req);
		return false;
	}
	ret = pt_self_kill(&k);
	/* Refused (the adder may not kill it): a later rule may. */
	if (ret && ret != -EALREADY) {
		pt_stat_add(PT_STAT_RULE_REFUSED, 1);
		return false;
	}
	/* Killed, or someone else's kill came first: nothing more fires. */
	return true;
}

/* The task work: process context, on the way back to user mode. */
static void pt_rule_work_fn(struct callback_head *cb)
{
	struct pt_rule_work *w = container_of(cb, struct pt_rule_work, cb);
	struct file *exe = w->exe;
	const char *path = NULL;
	struct pt_rule *r;
	char *buf = NULL;
	bool expire, done = false;
	u32 after = 0;

	/* The slot is free again once its fields are read. */
	atomic_dec(&pt_rule_uid_used[w->bucket]);
	clear_bit_unlock(w - pt_rule_works, pt_rule_works_used);

	/*
	 * PF_EXITING: run from do_exit(). A fatal signal pending: someone
	 * else's kill came first, and that death is what the parent sees.
	 */
	if ((current->flags & PF_EXITING) || fatal_signal_pending(current))
		goto out;

	if (atomic_read(&pt_rules_need_path)) {
		buf = __getname();
		if (buf) {
			path = d_path(&exe->f_path, buf, PATH_MAX);
			if (IS_ERR(path))
				path = NULL;
		}
		/* No path: no path rule can match; say so, as for a full pool. */
		if (!path)
			pt_stat_add(PT_STAT_RULE_MISSED, 1);
	}
	do {
		r = pt_rule_next_match(after, path, &expire);
		if (!r)
			break;
		after = r->id;
		done = pt_rule_fire(r);
		if (expire)
			pt_rule_expire(r);
		pt_rule_put(r);
	} while (!done);
out:
	if (buf)
		__putname(buf);
	fput(exe);
	/* Pairs with try_module_get() in pt_rule_queue(). */
	module_put(THIS_MODULE);
}

/* Probe context: preemption disabled; atomics only. */
static void pt_rule_queue(struct file *exe, kuid_t uid)
{
	unsigned int i, bucket = pt_rule_uid_bucket(uid);
	struct pt_rule_work *w;

	/* This user's share first, then a slot. */
	if (!atomic_add_unless(&pt_rule_uid_used[bucket], 1, PT_RULE_UID_SHARE)) {
		pt_stat_add(PT_STAT_RULE_MISSED, 1);
		return;
	}
	do {
		i = find_first_zero_bit(pt_rule_works_used, PT_RULE_WORKS);
		if (i >= PT_RULE_WORKS) {
			atomic_dec(&pt_rule_uid_used[bucket]);
			pt_stat_add(PT_STAT_RULE_MISSED, 1);
			return;
		}
	} while (test_and_set_bit_lock(i, pt_rule_works_used));
	w = &pt_rule_works[i];
	w->bucket = bucket;
	/* Fails once unloading began: the exec goes on unmatched. */
	if (!try_module_get(THIS_MODULE))
		goto release;
	w->exe = get_file(exe);
	init_task_work(&w->cb, pt_rule_work_fn);
	/* Not allocating: KASAN's stack record would (TWAF_NO_ALLOC). */
	if (!task_work_add(current, &w->cb, PT_TWA_RESUME_ATOMIC))
		return;
	/* Not the last reference: bprm holds one. */
	fput(w->exe);
	module_put(THIS_MODULE);
release:
	atomic_dec(&pt_rule_uid_used[bucket]);
	clear_bit_unlock(i, pt_rule_works_used);
}

/*
 * sched_process_exec: in the exec'ing task, after the point of no return,
 * preemption disabled (even on PREEMPT_RT): no sleeping, no spinlock_t,
 * no allocation. RCU reads and atomics only.
 */
static void pt_probe_exec(void *data, struct task_struct *p, pid_t old_pid,
			  struct linux_binprm *bprm)
{
	struct pt_exec_info x;
	struct pt_rule *r;
	bool maybe = false;

	if (likely(!atomic_read(&pt_rules_active)))
		return;
	/* Never the global init; kernel threads never reach user mode. */
	if (p != current || (p->flags & PT_PF_NOT_USER) || is_global_init(p))
		return;

	rcu_read_lock();
	pt_exec_info_get(&x);
	list_for_each_entry_rcu(r, &pt_rules, node) {
		if (pt_rule_match(r, &x, false)) {
			maybe = true;
			break;
		}
	}
	rcu_read_unlock();
	if (maybe)
		pt_rule_queue(bprm->file, x.uid);
}

/* A rule never listed: everything goes now. */
static void pt_rule_free_unlisted(struct pt_rule *r)
{
	if (r->user)
		pt_user_put(r->user);
	if (r->cred)
		put_cred(r->cred);
	if (r->cgrp)
		cgroup_put(r->cgrp);
	kfree(r->cgroup_path);
	kfree(r->path);
	kfree(r);
}

/*
 * Add a rule (the caller has checked CAP_SYS_ADMIN and the attributes);
 * its id in *@id. Process context.
 */
int pt_rule_add(const struct pt_rule_spec *spec, u32 *id,
		struct netlink_ext_ack *extack)
{
	struct pt_rule *r;
	int ret;

	if (!pt_tp_exec) {
		NL_SET_ERR_MSG_MOD(extack, "exec rules are unavailable (no sched_process_exec)");
		return -EOPNOTSUPP;
	}
	if (!spec->audit && !pt_tasklist_lock) {
		NL_SET_ERR_MSG_MOD(extack, "killing exec rules are unavailable on this kernel");
		return -EOPNOTSUPP;
	}
	if (spec->has_status && !pt_exitstatus_available()) {
		NL_SET_ERR_MSG_MOD(extack, "exit status rewriting is unavailable on this kernel");
		return -EOPNOTSUPP;
	}

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		goto nomem;
	r->conds = spec->conds;
	if (spec->comm)
		strscpy(r->comm, spec->comm, sizeof(r->comm));
	if (spec->parent_comm)
		strscpy(r->parent_comm, spec->parent_comm, sizeof(r->parent_comm));
	r->uid = spec->uid;
	if (spec->path) {
		r->path = kstrdup(spec->path, GFP_KERNEL_ACCOUNT);
		if (!r->path)
			goto nomem_free;
	}
	if (spec->cgroup) {
		r->cgroup_path = kstrdup(spec->cgroup, GFP_KERNEL_ACCOUNT);
		if (!r->cgroup_path)
			goto nomem_free;
		r->cgrp = cgroup_get_from_path(spec->cgroup);
		if (IS_ERR(r->cgrp)) {
			ret = PTR_ERR(r->cgrp);
			r->cgrp = NULL;
			if (ret == -ENOENT || ret == -ENOTDIR) {
				NL_SET_ERR_MSG_MOD(extack, "no such cgroup (a cgroup v2 path)");
				ret = -ENOENT;
			}
			goto err_free;
		}
	}
	r->has_status = spec->has_status;
	r->status = spec->status;
	r->audit = spec->audit;
	r->has_count = spec->count;
	atomic_set(&r->left, spec->count);
	atomic64_set(&r->fired, 0);
	r->user = pt_user_get(pt_charge_uid(current_cred()));
	if (!r->user)
		goto nomem_free;
	r->cred = get_current_cred();
	pt_event_requester(&r->ev_req, PROCTERM_EVENT_MODE_RULE, 0, 0);
	refcount_set(&r->refs, 1);

	mutex_lock(&pt_rules_lock);
	if (pt_rules_nr >= READ_ONCE(max_rules)) {
		mutex_unlock(&pt_rules_lock);
		NL_SET_ERR_MSG_MOD(extack, "the rule table is full (module parameter max_rules)");
		ret = -ENOSPC;
		goto err_free;
	}
	/* Ids only grow (the walk and the dump cursor rely on it). */
	if (pt_rules_next_id == U32_MAX) {
		mutex_unlock(&pt_rules_lock);
		NL_SET_ERR_MSG_MOD(extack, "rule ids are used up; reload the module");
		ret = -ENOSPC;
		goto err_free;
	}
	r->id = ++pt_rules_next_id;
	r->ev_req.rule_id = r->id;
	r->listed = true;
	list_add_tail_rcu(&r->node, &pt_rules);
	pt_rules_nr++;
	pt_rules_gen++;
	if (r->conds & PT_COND_PATH)
		atomic_inc(&pt_rules_need_path);
	atomic_inc(&pt_rules_active);
	pt_stat_add(PT_STAT_RULES, 1);
	*id = r->id;
	mutex_unlock(&pt_rules_lock);
	return 0;

nomem_free:
	ret = -ENOMEM;
	NL_SET_ERR_MSG_MOD(extack, "out of memory; no rule was added");
err_free:
	pt_rule_free_unlisted(r);
	return ret;
nomem:
	NL_SET_ERR_MSG_MOD(extack, "out of memory; no rule was added");
	return -ENOMEM;
}

int pt_rule_del(u32 id, struct netlink_ext_ack *extack)
{
	struct pt_rule *r;
	int ret = -ENOENT;

	mutex_lock(&pt_rules_lock);
	list_for_each_entry(r, &pt_rules, node) {
		if (r->id == id) {
			pt_rule_unlink_locked(r);
			ret = 0;
			break;
		}
	}
	mutex_unlock(&pt_rules_lock);
	if (ret)
		NL_SET_ERR_MSG_MOD(extack, "no such rule");
	return ret;
}

/* Remove every rule; how many there were. */
unsigned int pt_rule_flush(void)
{
	struct pt_rule *r, *tmp;
	unsigned int n = 0;

	mutex_lock(&pt_rules_lock);
	list_for_each_entry_safe(r, tmp, &pt_rules, node) {
		pt_rule_unlink_locked(r);
		n++;
	}
	mutex_unlock(&pt_rules_lock);
	return n;
}

/* The dump's cursor, kept from .start to .done. */
struct pt_rule_dump_ctx {
	u32 next_id;
};

static int pt_rule_fill(struct sk_buff *skb, struct netlink_callback *cb,
			const struct pt_rule *r)
{
	int left = atomic_read(&r->left);
	void *hdr;

	hdr = pt_genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
			     cb->nlh->nlmsg_seq, NLM_F_MULTI,
			     PROCTERM_CMD_RULE_LIST);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	if (nla_put_u32(skb, PROCTERM_A_RULE_ID, r->id) ||
	    ((r->conds & PT_COND_COMM) &&
	     nla_put_string(skb, PROCTERM_A_RULE_COMM, r->comm)) ||
	    ((r->conds & PT_COND_PATH) &&
	     nla_put_string(skb, PROCTERM_A_RULE_PATH, r->path)) ||
	    ((r->conds & PT_COND_UID) &&
	     nla_put_u32(skb, PROCTERM_A_RULE_UID,
			 from_kuid_munged(&init_user_ns, r->uid))) ||
	    ((r->conds & PT_COND_PARENT_COMM) &&
	     nla_put_string(skb, PROCTERM_A_RULE_PARENT_COMM, r->parent_comm)) ||
	    ((r->conds & PT_COND_CGROUP) &&
	     nla_put_string(skb, PROCTERM_A_RULE_CGROUP, r->cgroup_path)) ||
	    (r->has_status &&
	     nla_put_u32(skb, PROCTERM_A_EXIT_STATUS, r->status)) ||
	    (r->has_count &&
	     nla_put_u32(skb, PROCTERM_A_RULE_COUNT, left > 0 ? left : 0)) ||
	    pt_put_u64(skb, PROCTERM_A_RULE_FIRED, atomic64_read(&r->fired)) ||
	    nla_put_u32(skb, PROCTERM_A_RULE_FLAGS,
			r->audit ? PROCTERM_RULE_F_AUDIT : 0)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

int pt_rule_dump_start(struct netlink_callback *cb)
{
	struct pt_rule_dump_ctx *ctx;

	/* Nothing is captured before the requester is known to be allowed. */
	if (!netlink_ns_capable(cb->skb, &init_user_ns, CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG_MOD(cb->extack,
				   "exec rules need CAP_SYS_ADMIN in the initial user namespace");
		return -EPERM;
	}
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ctx->next_id = 1;
	cb->args[0] = (long)ctx;
	/* Room for the largest rule: a path and a cgroup path. */
	cb->min_dump_alloc = 2 * PROCTERM_RULE_PATH_LEN + 1024;
	return 0;
}

int pt_rule_dump_done(struct netlink_callback *cb)
{
	kfree((struct pt_rule_dump_ctx *)cb->args[0]);
	return 0;
}

/*
 * Rules in id order from the cursor; ids only grow, so a resumed dump
 * neither repeats nor skips a rule that stayed; a change between two
 * parts sets NLM_F_DUMP_INTR (pt_rules_gen).
 */
int pt_rule_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct pt_rule_dump_ctx *ctx = (struct pt_rule_dump_ctx *)cb->args[0];
	struct pt_rule *r;
	int ret = 0;

	mutex_lock(&pt_rules_lock);
	cb->seq = pt_rules_gen;
	list_for_each_entry(r, &pt_rules, node) {
		if (r->id < ctx->next_id)
			continue;
		ret = pt_rule_fill(skb, cb, r);
		if (ret)
			break;
		ctx->next_id = r->id + 1;
	}
	mutex_unlock(&pt_rules_lock);
	if (ret && !skb->len)
		return ret;
	return skb->len;
}

static void pt_rules_tp_match(struct tracepoint *tp, void *priv)
{
	struct tracepoint **found = priv;

	if (!strcmp(tp->name, "sched_process_exec"))
		*found = tp;
}

int pt_rules_init(void)
{
	struct tracepoint *tp = NULL;
	int ret;

	/* The tracepoint's symbol is not exported: find it by name. */
	for_each_kernel_tracepoint(pt_rules_tp_match, &tp);
	if (!tp)
		return -ENOENT;
	ret = tracepoint_probe_register(tp, pt_probe_exec, NULL);
	if (ret)
		return ret;
	pt_tp_exec = tp;
	return 0;
}

void pt_rules_exit(void)
{
	if (pt_tp_exec) {
		tracepoint_probe_unregister(pt_tp_exec, pt_probe_exec, NULL);
		tracepoint_synchronize_unregister();
		pt_tp_exec = NULL;
	}
	/*
	 * Every queued work holds a module reference, so none is left; the
	 * table goes with the module.
	 */
	pt_rule_flush();
	/* The pt_rule_free_rcu() callbacks are module text. */
	rcu_barrier();
}
