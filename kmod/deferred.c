// SPDX-License-Identifier: GPL-2.0
/*
 * Deferred termination: the process dies the next time it runs.
 *
 * Arming queues a task_work (TWA_RESUME) on every thread of the target.
 * TWA_RESUME neither wakes nor signals: a stopped, traced or sleeping
 * thread stays exactly as it is. The work runs on the thread's way back to
 * user mode (before any user instruction and before any signal handler,
 * since get_signal() runs task works first), and sends SIGKILL to its own
 * group; from there the exit-to-user loop dies in get_signal(). The same
 * works also run, as no-ops, when a thread exits for another reason.
 *
 * Permission. At arm time the request is judged as kill(2) judges it, in
 * the requester's context, with signal 0: the uid rules and CAP_KILL are
 * those of SIGKILL, but an LSM sees signal 0 (SELinux "signull", AppArmor
 * "exists"), since no exported call asks the LSM about SIGKILL without
 * sending it. When a work fires, the kill is judged again with the
 * credentials the requester had when it armed the request: the work runs
 * in the target's context with those credentials overriding its own,
 * applies the uid rule or CAP_KILL (through the LSM's capable hook), and
 * sends SIGKILL, which a credential-based LSM (SELinux, AppArmor, Smack)
 * judges with those credentials. The sending task is the target itself, so
 * an LSM that judges the sender by task rather than by credentials (a BPF
 * LSM keyed on the executable, Landlock's scoping) sees a process killing
 * itself; see docs/design.md. A refused kill leaves the process alive and
 * counts in deferred_refused.
 *
 * Queueing. Every work is allocated (and charged to the requester) before
 * the first is queued, and the works are queued with tasklist_lock
 * read-held, under which no thread can join or leave the group: the walk
 * reaches every thread and never runs past what was allocated. A work may
 * run as soon as it is queued, so nothing after the first queueing can
 * fail: a request either queued at least one work and is armed, or queued
 * none and is dropped (-EALREADY: every thread is exiting).
 *
 * Queued task works cannot be cancelled by a module. Cancelling a request
 * marks it, and the works then do nothing when they run; they stay charged
 * to the requester until they have run, so cancel and re-arm cannot queue
 * works without bound. Each queued work holds a module reference, dropped
 * as the callback's last statement, so the module cannot be unloaded while
 * any is queued (rmmod fails with EWOULDBLOCK; resume or kill the targets
 * first, see docs/design.md). A request takes its first module reference
 * with try_module_get(), so a request racing delete_module() fails with
 * -ENODEV instead of queueing works that would outlive the module.
 *
 * A work whose SIGKILL is sent reports it to the "events" group
 * (events.c), as from the requester that armed the request, which is
 * recorded at arm time.
 *
 * Lifetime of a request: nr_works counts the queued works plus one arming
 * reference. A request is listed (pt_deferred_xa by id, for PENDING and
 * CANCEL; pt_deferred_pids by target, so that one target has at most one
 * single and one tree request) from arming until it is cancelled or freed,
 * and freed when nr_works drops to zero. A single request is refused
 * while either kind is armed for its target; a tree request only while
 * another tree request is. pt_deferred_lock (a spinlock) is
 * taken in process context only, never under tasklist_lock, and protects
 * the listing and each request's listed/cancelled flags; xa_lock nests
 * inside it.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/task_work.h>
#include <linux/timekeeping.h>
#include <linux/user_namespace.h>
#include <linux/xarray.h>
#include <net/genetlink.h>

#include <linux/procterm.h>
#include "procterm.h"

struct pt_dwork {
	struct callback_head cb;
	struct pt_deferred *d;
};

struct pt_deferred {
	struct hlist_node pid_node;	/* in pt_deferred_pids while listed */
	atomic_t nr_works;
	bool listed;
	bool cancelled;
	bool admin;
	u64 id;
	struct pid *pid;		/* the target (tree root), referenced */
	u64 start_time;
	u32 flags;
	bool has_status;
	u32 status;
	u64 armed_ns;			/* CLOCK_BOOTTIME */
	const struct cred *cred;	/* the requester's, referenced */
	struct pt_user *user;		/* charged: this request, its works */
	struct pt_event_req ev_req;	/* the requester, for events.c */
	/* Works allocated and charged, not yet queued (arming only). */
	struct pt_dwork **spare;
	unsigned int nr_spare;
	unsigned int nr_queued;
};

static DEFINE_XARRAY(pt_deferred_xa);
#define PT_PIDS_BITS 8
static DEFINE_HASHTABLE(pt_deferred_pids, PT_PIDS_BITS);
static DEFINE_SPINLOCK(pt_deferred_lock);
static atomic64_t pt_deferred_ids = ATOMIC64_INIT(0);

#ifdef PF_USER_WORKER
#define PT_PF_WORKERS (PF_IO_WORKER | PF_USER_WORKER)
#else
#define PT_PF_WORKERS PF_IO_WORKER
#endif

/*
 * Request ids, never reused: one space for deferred and grace requests (one
 * CANCEL for both) and for an immediate tree's events (tree.c).
 */
u64 pt_request_id_new(void)
{
	return atomic64_inc_return(&pt_deferred_ids);
}

/* Bounds the re-counting of a thread list or tree that keeps growing. */
#define PT_ARM_TRIES 8

static void pt_deferred_unlist_locked(struct pt_deferred *d)
{
	lockdep_assert_held(&pt_deferred_lock);
	if (!d->listed)
		return;
	hash_del(&d->pid_node);
	xa_erase(&pt_deferred_xa, d->id);
	d->listed = false;
}

static void pt_deferred_unlist(struct pt_deferred *d)
{
	spin_lock(&pt_deferred_lock);
	pt_deferred_unlist_locked(d);
	spin_unlock(&pt_deferred_lock);
}

static void pt_deferred_free_spare(struct pt_deferred *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_spare; i++)
		kfree(d->spare[i]);
	if (d->nr_spare)
		pt_uncharge(d->user, PT_RES_WORKS, d->nr_spare);
	kvfree(d->spare);
	d->spare = NULL;
	d->nr_spare = 0;
}

static void pt_deferred_put(struct pt_deferred *d)
{
	if (!atomic_dec_and_test(&d->nr_works))
		return;
	pt_deferred_unlist(d);
	pt_uncharge(d->user, PT_RES_DEFERRED, 1);
	pt_user_put(d->user);
	put_cred(d->cred);
	put_pid(d->pid);
	pt_stat_add(PT_STAT_DEFERRED, -1);
	kfree(d);
}

/*
 * Send SIGKILL to the current group, judged as @k->cred's: with those
 * credentials in place of the target's (override_creds()), kill(2)'s rule
 * is applied (the uid rule, or CAP_KILL in the target's user namespace,
 * through the LSM's capable hook), then kill_pid() from here runs
 * security_task_kill() for SIGKILL with those credentials. (kill_pid()
 * itself skips the uid rule, the sender being in the target's group.)
 * Called with tasklist_lock read-held.
 */
static int pt_self_send(const struct cred *cred)
{
	struct pid *pid = task_tgid(current);
	struct signal_struct *sig = current->signal;
	const struct cred *old, *tcred;
	bool may;
	int ret;

	old = override_creds(cred);
	rcu_read_lock();
	tcred = __task_cred(current->group_leader);
	may = pt_cred_may_kill(tcred);
	rcu_read_unlock();
	ret = may ? kill_pid(pid, SIGKILL, 0) : -EPERM;
	revert_creds(old);
	if (ret)
		return ret;
	/*
	 * The init of a PID namespace ignores a SIGKILL sent from inside
	 * it. The requester is in an ancestor namespace (pt_check_killable()
	 * refuses its own PID 1; an exec rule never fires in the global
	 * init), where kill(2) would have forced it, and the LSM has just
	 * allowed the SIGKILL: force it too.
	 */
	if ((READ_ONCE(sig->flags) & SIGNAL_UNKILLABLE) &&
	    !(READ_ONCE(sig->flags) & SIGNAL_GROUP_EXIT))
		ret = kill_pid(pid, SIGKILL, 1);
	return ret;
}

/*
 * Kill the current process from a task work of its own, the way a
 * deferred request fires and an exec rule kills (rules.c): SIGKILL to the
 * group, judged with @k->cred; the exit status published (exitstatus.c)
 * once that SIGKILL is sure to end the group; an event queued for when it
 * is dead, charged to @k->user. Process context, no lock held; the caller
 * has checked that neither PF_EXITING nor a fatal signal is set.
 *
 * Returns 0 when our SIGKILL was sent, -EALREADY when someone else's kill
 * got there first (nothing done), or the refusal (-EPERM, or what
 * kill_pid() returned; nothing done).
 */
int pt_self_kill(const struct pt_self_kill *k)
{
	struct pt_status *st = NULL;
	struct pt_event *ev;
	int ret;

	/* Without memory for the status, still kill: that was asked first. */
	if (k->has_status)
		st = pt_status_alloc(GFP_KERNEL_ACCOUNT);
	/* The event's record, before the kill (events.c). */
	ev = pt_event_alloc(pt_events_wanted() ? k->user : NULL, k->admin,
			    GFP_KERNEL_ACCOUNT);

	read_lock(pt_tasklist_lock);
	/*
	 * Someone else's kill (the OOM killer, say, during the allocation
	 * above) got there first: that death is not ours to rewrite.
	 */
	if ((READ_ONCE(current->signal->flags) & SIGNAL_GROUP_EXIT) ||
	    fatal_signal_pending(current)) {
		read_unlock(pt_tasklist_lock);
		pt_status_discard(st);
		pt_event_discard(ev);
		return -EALREADY;
	}
	ret = pt_self_send(k->cred);
	/* A status only for a group that our SIGKILL really ends. */
	if (!ret && st &&
	    (READ_ONCE(current->signal->flags) & SIGNAL_GROUP_EXIT) &&
	    pt_status_publish(st, current->group_leader, k->status))
		st = NULL;
	if (!ret && !IS_ERR_OR_NULL(ev))
		pt_event_fill(ev, k->ev_req, task_tgid(current),
			      current->group_leader, false);
	read_unlock(pt_tasklist_lock);

	pt_status_discard(st);
	if (ret)
		pt_event_discard(ev);
	else
		pt_event_queue(ev);
	return ret;
}

static void pt_deferred_kill(struct pt_deferred *d)
{
	struct pt_self_kill k = {
		.cred = d->cred,
		.has_status = d->has_status,
		.status = d->status,
		.user = d->user,
		.admin = d->admin,
		.ev_req = &d->ev_req,
	};
	int ret = pt_self_kill(&k);

	if (ret && ret != -EALREADY)
		pt_stat_add(PT_STAT_REFUSED, 1);
}

static void pt_deferred_fire(struct callback_head *cb)
{
	struct pt_dwork *w = container_of(cb, struct pt_dwork, cb);
	struct pt_deferred *d = w->d;
	bool fire;

	kfree(w);
	pt_stat_add(PT_STAT_WORKS, -1);
	pt_uncharge(d->user, PT_RES_WORKS, 1);

	spin_lock(&pt_deferred_lock);
	fire = !d->cancelled;
	spin_unlock(&pt_deferred_lock);

	/*
	 * PF_EXITING: called from do_exit(). A fatal signal pending: someone
	 * else's kill woke the thread, and get_signal() runs task works
	 * before it dies. Either way the process dies of something else, and
	 * that death, not this request's status, is what its parent must see.
	 */
	if (fire && !(current->flags & PF_EXITING) &&
	    !fatal_signal_pending(current))
		pt_deferred_kill(d);

	pt_deferred_put(d);
	module_put(THIS_MODULE);
}

/*
 * A new request for @t, charged to the requester and listed, holding a
 * module reference; or an error with nothing left behind. The caller has
 * checked permission.
 */
static int pt_deferred_new(const struct pt_target *t,
			   const struct pt_kill_req *req, u32 kind,
			   struct pt_deferred **dp,
			   struct netlink_ext_ack *extack)
{
	const struct cred *cred = current_cred();
	struct pt_deferred *d, *o;
	bool dup = false, dup_tree = false;
	int ret;

	if (!try_module_get(THIS_MODULE)) {
		NL_SET_ERR_MSG_MOD(extack, "procterm is being unloaded");
		return -ENODEV;
	}
	ret = -ENOMEM;
	d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);
	if (!d)
		goto err_module;
	d->user = pt_user_get(pt_charge_uid(cred));
	if (!d->user)
		goto err_free;
	ret = pt_charge(d->user, PT_RES_DEFERRED, 1, req->admin, extack);
	if (ret)
		goto err_user;

	atomic_set(&d->nr_works, 1);
	d->id = pt_request_id_new();
	d->pid = get_pid(t->pid);
	d->start_time = t->start_time;
	d->flags = kind;
	d->has_status = req->has_status;
	d->status = req->status;
	d->admin = req->admin;
	d->armed_ns = ktime_get_boottime_ns();
	d->cred = get_cred(cred);
	pt_event_requester(&d->ev_req, kind & PROCTERM_F_TREE ?
			   PROCTERM_EVENT_MODE_TREE : PROCTERM_EVENT_MODE_DEFERRED,
			   req->flags | kind, d->id);

	/* Reserve the id's slot first: storing may allocate. */
	ret = xa_reserve(&pt_deferred_xa, d->id, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto err_charged;

	spin_lock(&pt_deferred_lock);
	/*
	 * A tree request covers its root: a single request is a duplicate of
	 * either kind, a tree request only of another tree request.
	 */
	hash_for_each_possible(pt_deferred_pids, o, pid_node, (unsigned long)d->pid) {
		/* Only the requester's own requests: others' do not exist for it. */
		if (o->pid == d->pid && uid_eq(o->cred->uid, cred->uid) &&
		    (o->flags == d->flags || !(kind & PROCTERM_F_TREE))) {
			dup = true;
			dup_tree = o->flags & PROCTERM_F_TREE;
			break;
		}
	}
	if (!dup) {
		hash_add(pt_deferred_pids, &d->pid_node, (unsigned long)d->pid);
		xa_store(&pt_deferred_xa, d->id, d, GFP_NOWAIT);
		d->listed = true;
	}
	spin_unlock(&pt_deferred_lock);
	if (dup) {
		xa_release(&pt_deferred_xa, d->id);
		if (dup_tree)
			NL_SET_ERR_MSG_MOD(extack,
					   "a deferred tree request is already armed for this process");
		else
			NL_SET_ERR_MSG_MOD(extack,
					   "a deferred request is already armed for this process");
		ret = -EALREADY;
		goto err_charged;
	}
	pt_stat_add(PT_STAT_DEFERRED, 1);
	*dp = d;
	return 0;

err_charged:
	put_cred(d->cred);
	put_pid(d->pid);
	pt_uncharge(d->user, PT_RES_DEFERRED, 1);
err_user:
	pt_user_put(d->user);
err_free:
	kfree(d);
err_module:
	module_put(THIS_MODULE);
	return ret;
}

/*
 * Have at least @nr works allocated and charged, ready to be queued.
 * Process context, no lock held.
 */
int pt_deferred_reserve(struct pt_deferred *d, unsigned int nr,
			struct netlink_ext_ack *extack)
{
	struct pt_dwork **spare;
	unsigned int add, i;
	int ret;

	if (nr <= d->nr_spare)
		return 0;
	add = nr - d->nr_spare;
	ret = pt_charge(d->user, PT_RES_WORKS, add, d->admin, extack);
	if (ret)
		return ret;
	spare = kvmalloc_array(nr, sizeof(*spare), GFP_KERNEL_ACCOUNT);
	if (!spare)
		goto nomem;
	if (d->nr_spare)
		memcpy(spare, d->spare, d->nr_spare * sizeof(*spare));
	for (i = d->nr_spare; i < nr; i++) {
		spare[i] = kmalloc(sizeof(*spare[i]), GFP_KERNEL_ACCOUNT);
		if (!spare[i])
			break;
		init_task_work(&spare[i]->cb, pt_deferred_fire);
		spare[i]->d = d;
	}
	kvfree(d->spare);
	d->spare = spare;
	if (i < nr) {
		/* Keep what was allocated; its charge stays with it. */
		pt_uncharge(d->user, PT_RES_WORKS, nr - i);
		d->nr_spare = i;
		NL_SET_ERR_MSG_MOD(extack, "out of memory; nothing was armed");
		return -ENOMEM;
	}
	d->nr_spare = nr;
	return 0;

nomem:
	pt_uncharge(d->user, PT_RES_WORKS, add);
	NL_SET_ERR_MSG_MOD(extack, "out of memory; nothing was armed");
	return -ENOMEM;
}

unsigned int pt_deferred_reserved(const struct pt_deferred *d)
{
	return d->nr_spare;
}

/*
 * Queue a work on every thread of @leader's group, from the reserve, with
 * tasklist_lock read-held (the thread list cannot change). The caller made
 * sure the reserve holds get_nr_threads(@leader) works. Returns how many
 * were queued; a thread past exit_task_work() refuses its work.
 */
unsigned int pt_deferred_queue_locked(struct pt_deferred *d,
				      struct task_struct *leader)
{
	struct task_struct *t;
	unsigned int queued = 0;

	lockdep_assert_held(pt_tasklist_lock);

	for_each_thread(leader, t) {
		struct pt_dwork *w;

		/*
		 * io_uring and vhost workers never return to user mode but run
		 * task works on their own, even while the group is stopped:
		 * they die with the group when a user thread's work fires.
		 */
		if (t->flags & PT_PF_WORKERS)
			continue;
		if (WARN_ON_ONCE(!d->nr_spare))
			break;
		w = d->spare[d->nr_spare - 1];
		/* Pairs with module_put() at the end of pt_deferred_fire(). */
		__module_get(THIS_MODULE);
		atomic_inc(&d->nr_works);
		if (task_work_add(t, &w->cb, TWA_RESUME)) {
			atomic_dec(&d->nr_works);
			module_put(THIS_MODULE);
			continue;
		}
		/* Queued: the work and its charge now belong to the callback. */
		d->nr_spare--;
		pt_stat_add(PT_STAT_WORKS, 1);
		queued++;
	}
	d->nr_queued += queued;
	return queued;
}

/*
 * End arming: free the unused reserve and drop the arming references.
 * -EALREADY (and the request is gone) if no work was queued.
 */
int pt_deferred_finish(struct pt_deferred *d, u64 *id)
{
	bool armed = d->nr_queued;

	pt_deferred_free_spare(d);
	if (armed && id)
		*id = d->id;
	else
		pt_deferred_unlist(d);
	pt_deferred_put(d);
	module_put(THIS_MODULE);
	return armed ? 0 : -EALREADY;
}

/* Give up on a request before any work was queued. */
static void pt_deferred_abort(struct pt_deferred *d)
{
	WARN_ON_ONCE(d->nr_queued);
	pt_deferred_finish(d, NULL);
}

int pt_deferred_tree_begin(const struct pt_target *root,
			   const struct pt_kill_req *req,
			   struct pt_deferred **dp,
			   struct netlink_ext_ack *extack)
{
	return pt_deferred_new(root, req, PROCTERM_F_DEFERRED | PROCTERM_F_TREE,
			       dp, extack);
}

void pt_deferred_tree_abort(struct pt_deferred *d)
{
	pt_deferred_abort(d);
}

int pt_deferred_arm(const struct pt_target *t, const struct pt_kill_req *req,
		    u64 *id, struct netlink_ext_ack *extack)
{
	struct task_struct *leader;
	struct pt_deferred *d;
	unsigned int want;
	int ret, tries;

	if (!pt_tasklist_lock) {
		NL_SET_ERR_MSG_MOD(extack, "deferred termination is unavailable on this kernel");
		return -EOPNOTSUPP;
	}
	if (req->has_status && !pt_exitstatus_available()) {
		NL_SET_ERR_MSG_MOD(extack, "exit status rewriting is unavailable on this kernel");
		return -EOPNOTSUPP;
	}
	ret = pt_perm_check(t->pid, extack);
	if (ret)
		return ret;

	ret = pt_deferred_new(t, req, PROCTERM_F_DEFERRED, &d, extack);
	if (ret)
		return ret;

	want = get_nr_threads(t->task) + 1;
	for (tries = 0; tries < PT_ARM_TRIES; tries++) {
		ret = pt_deferred_reserve(d, want, extack);
		if (ret)
			break;
		read_lock(pt_tasklist_lock);
		rcu_read_lock();
		/* The leader now: a de_thread() may have replaced it. */
		leader = pid_task(t->pid, PIDTYPE_TGID);
		want = leader ? get_nr_threads(leader) : 0;
		if (leader && want <= pt_deferred_reserved(d))
			pt_deferred_queue_locked(d, leader);
		rcu_read_unlock();
		read_unlock(pt_tasklist_lock);
		if (!leader || d->nr_queued || want <= pt_deferred_reserved(d))
			break;
		/* Threads were created meanwhile: allocate for them, again. */
		want += want / 4 + 4;
	}
	if (ret) {
		pt_deferred_abort(d);
		return ret;
	}
	if (tries == PT_ARM_TRIES) {
		pt_deferred_abort(d);
		NL_SET_ERR_MSG_MOD(extack, "the process keeps creating threads; nothing was armed");
		return -EAGAIN;
	}
	ret = pt_deferred_finish(d, id);
	if (ret)
		NL_SET_ERR_MSG_MOD(extack, "process is already exiting");
	return ret;
}

static bool pt_deferred_may_manage(const struct pt_deferred *d, kuid_t uid,
				   bool admin)
{
	return admin || uid_eq(d->cred->uid, uid);
}

/* @admin: CAP_KILL, as the netlink request's sender and socket have it. */
int pt_deferred_cancel(u64 id, bool admin, struct netlink_ext_ack *extack)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	kuid_t uid = current_uid();
	struct pt_deferred *d;
	int ret = -ENOENT;

	if (id > ULONG_MAX)
		goto out;
	spin_lock(&pt_deferred_lock);
	d = xa_load(&pt_deferred_xa, id);
	/* Another user's request, or one outside our PID namespace, does not exist. */
	if (d && d->listed && pid_nr_ns(d->pid, ns) &&
	    pt_deferred_may_manage(d, uid, admin)) {
		d->cancelled = true;
		pt_deferred_unlist_locked(d);
		ret = 0;
	}
	spin_unlock(&pt_deferred_lock);
out:
	if (ret == -ENOENT)
		NL_SET_ERR_MSG_MOD(extack, "no such deferred request");
	return ret;
}

struct pt_pending_row {
	u64 id;
	pid_t nr;
	u64 start_time;
	u32 flags;
	bool has_status;
	u32 status;
	u64 armed_ns;
	kuid_t uid;
};

/*
 * What a pending dump captured at its start, so that a continuation run by
 * whoever reads the socket next sees the same rows.
 */
struct pt_pending_ctx {
	unsigned long next_id;
	struct pid_namespace *ns;
	struct user_namespace *uns;
	kuid_t uid;
	bool admin;
};

static int pt_pending_fill(struct sk_buff *skb, struct netlink_callback *cb,
			   const struct pt_pending_ctx *ctx,
			   const struct pt_pending_row *r)
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
			from_kuid_munged(ctx->uns, r->uid))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

int pt_deferred_dump_start(struct netlink_callback *cb)
{
	struct pt_pending_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ctx->next_id = 1;
	ctx->ns = get_pid_ns(task_active_pid_ns(current));
	ctx->uns = get_user_ns(current_user_ns());
	ctx->uid = current_uid();
	ctx->admin = netlink_capable(cb->skb, CAP_KILL);
	cb->args[0] = (long)ctx;
	return 0;
}

int pt_deferred_dump_done(struct netlink_callback *cb)
{
	struct pt_pending_ctx *ctx = (struct pt_pending_ctx *)cb->args[0];

	if (ctx) {
		put_user_ns(ctx->uns);
		put_pid_ns(ctx->ns);
		kfree(ctx);
	}
	return 0;
}

/*
 * The dump walks the listed requests in id order from the cursor
 * (ctx->next_id); ids only grow, so a resumed dump neither repeats nor
 * skips a request that stayed armed. Each row costs one xarray lookup
 * under the lock, and is sent after the lock is dropped.
 */
int pt_deferred_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct pt_pending_ctx *ctx = (struct pt_pending_ctx *)cb->args[0];
	struct pt_pending_row r;
	struct pt_deferred *d;
	unsigned long index;
	bool found;
	int ret;

	for (;;) {
		found = false;
		index = ctx->next_id;
		spin_lock(&pt_deferred_lock);
		xa_for_each_start(&pt_deferred_xa, index, d, ctx->next_id) {
			r.nr = pid_nr_ns(d->pid, ctx->ns);
			if (d->cancelled || !r.nr ||
			    !pt_deferred_may_manage(d, ctx->uid, ctx->admin))
				continue;
			r.id = d->id;
			r.start_time = d->start_time;
			r.flags = d->flags;
			r.has_status = d->has_status;
			r.status = d->status;
			r.armed_ns = d->armed_ns;
			r.uid = d->cred->uid;
			found = true;
			break;
		}
		spin_unlock(&pt_deferred_lock);
		if (!found)
			return skb->len;

		ret = pt_pending_fill(skb, cb, ctx, &r);
		if (ret)
			return skb->len ? skb->len : ret;
		ctx->next_id = r.id + 1;
	}
}

void pt_deferred_exit(void)
{
	/*
	 * Nothing to do: every request with a queued work pins the module,
	 * so by now all of them have been freed.
	 */
	WARN_ON(!xa_empty(&pt_deferred_xa));
}
