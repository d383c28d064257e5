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
 * Queued task works cannot be cancelled by a module. Cancelling a request
 * marks it, and the works then do nothing when they run. Each queued work
 * holds a module reference, dropped as the callback's last statement, so
 * the module cannot be unloaded while any is queued (rmmod fails with
 * EWOULDBLOCK; resume or kill the targets first, see docs/design.md).
 *
 * Lifetime of a request: nr_works counts the queued works plus one arming
 * reference held while works are being queued. The request is on
 * pt_deferred_list (and in PROCTERM_CMD_PENDING) until it is cancelled or
 * its last work has run; it is freed when nr_works drops to zero.
 * pt_deferred_lock (a spinlock: arming may run under a read-held
 * tasklist_lock) protects the list and each request's listed/cancelled
 * flags. The task_work callbacks run in process context.
 */
#include <linux/cred.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/task_work.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>

#include <linux/procterm.h>
#include "procterm.h"

struct pt_deferred {
	struct list_head node;
	atomic_t nr_works;
	bool listed;
	bool cancelled;
	u64 id;
	struct pid *pid;		/* the target (tree root), referenced */
	u64 start_time;
	u32 flags;
	bool has_status;
	u32 status;
	u64 armed_ns;			/* CLOCK_BOOTTIME */
	kuid_t requester;
};

struct pt_dwork {
	struct callback_head cb;
	struct pt_deferred *d;
};

static LIST_HEAD(pt_deferred_list);
static DEFINE_SPINLOCK(pt_deferred_lock);
static atomic64_t pt_deferred_ids = ATOMIC64_INIT(0);

static void pt_deferred_unlist(struct pt_deferred *d)
{
	spin_lock(&pt_deferred_lock);
	if (d->listed) {
		list_del(&d->node);
		d->listed = false;
	}
	spin_unlock(&pt_deferred_lock);
}

static void pt_deferred_put(struct pt_deferred *d)
{
	if (!atomic_dec_and_test(&d->nr_works))
		return;
	pt_deferred_unlist(d);
	put_pid(d->pid);
	kfree(d);
}

static void pt_deferred_fire(struct callback_head *cb)
{
	struct pt_dwork *w = container_of(cb, struct pt_dwork, cb);
	struct pt_deferred *d = w->d;
	bool fire;

	kfree(w);

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
	    !fatal_signal_pending(current)) {
		if (d->has_status)
			pt_exitstatus_arm(current->group_leader, d->status,
					  GFP_KERNEL);
		/* Permission was checked when the request was armed. */
		kill_pid(task_tgid(current), SIGKILL, 1);
	}

	pt_deferred_put(d);
	module_put(THIS_MODULE);
}

struct pt_deferred *pt_deferred_new(const struct pt_target *root,
				    const struct pt_kill_req *req, gfp_t gfp)
{
	struct pt_deferred *d;

	d = kzalloc(sizeof(*d), gfp);
	if (!d)
		return NULL;
	atomic_set(&d->nr_works, 1);
	d->id = atomic64_inc_return(&pt_deferred_ids);
	d->pid = get_pid(root->pid);
	d->start_time = root->start_time;
	d->flags = req->flags & (PROCTERM_F_DEFERRED | PROCTERM_F_TREE);
	d->has_status = req->has_status;
	d->status = req->status;
	d->armed_ns = ktime_get_boottime_ns();
	d->requester = current_uid();

	spin_lock(&pt_deferred_lock);
	list_add_tail(&d->node, &pt_deferred_list);
	d->listed = true;
	spin_unlock(&pt_deferred_lock);
	return d;
}

/*
 * Queue a work on every thread of @leader's group. Returns the number
 * queued or -ENOMEM. With GFP_ATOMIC the caller holds tasklist_lock for
 * reading, so the thread list cannot grow under us; with GFP_KERNEL it may,
 * and the loop sizes its allocation again.
 */
int pt_deferred_queue(struct pt_deferred *d, struct task_struct *leader,
		      gfp_t gfp)
{
	struct pt_dwork **works;
	struct task_struct *t;
	int nr, want, used, queued = 0, i;

	want = get_nr_threads(leader) + 1;
again:
	works = kcalloc(want, sizeof(*works), gfp);
	if (!works)
		return -ENOMEM;
	for (i = 0; i < want; i++) {
		works[i] = kmalloc(sizeof(*works[i]), gfp);
		if (!works[i])
			goto nomem;
		init_task_work(&works[i]->cb, pt_deferred_fire);
		works[i]->d = d;
	}

	rcu_read_lock();
	nr = 0;
	for_each_thread(leader, t)
		nr++;
	if (nr > want) {
		rcu_read_unlock();
		for (i = 0; i < want; i++)
			kfree(works[i]);
		kfree(works);
		want = nr + 4;
		goto again;
	}
	used = 0;
	for_each_thread(leader, t) {
		struct pt_dwork *w = works[used];

		/* Pairs with module_put() at the end of pt_deferred_fire(). */
		__module_get(THIS_MODULE);
		atomic_inc(&d->nr_works);
		if (task_work_add(t, &w->cb, TWA_RESUME)) {
			/* The thread is past exit_task_work(). */
			atomic_dec(&d->nr_works);
			module_put(THIS_MODULE);
			continue;
		}
		used++;
		queued++;
	}
	rcu_read_unlock();

	for (i = used; i < want; i++)
		kfree(works[i]);
	kfree(works);
	return queued;

nomem:
	while (i--)
		kfree(works[i]);
	kfree(works);
	return -ENOMEM;
}

/* Drop the arming reference; -EALREADY if no work could be queued. */
int pt_deferred_commit(struct pt_deferred *d, u64 *id)
{
	bool armed = atomic_read(&d->nr_works) > 1;

	*id = d->id;
	pt_deferred_put(d);
	return armed ? 0 : -EALREADY;
}

/* Give up on a request being armed: queued works become no-ops. */
void pt_deferred_abort(struct pt_deferred *d)
{
	spin_lock(&pt_deferred_lock);
	d->cancelled = true;
	spin_unlock(&pt_deferred_lock);
	pt_deferred_unlist(d);
	pt_deferred_put(d);
}

static bool pt_deferred_armed_for(struct pid *pid)
{
	struct pt_deferred *d;
	bool found = false;

	spin_lock(&pt_deferred_lock);
	list_for_each_entry(d, &pt_deferred_list, node) {
		if (d->pid == pid && !(d->flags & PROCTERM_F_TREE)) {
			found = true;
			break;
		}
	}
	spin_unlock(&pt_deferred_lock);
	return found;
}

int pt_deferred_arm(const struct pt_target *t, const struct pt_kill_req *req,
		    u64 *id, struct netlink_ext_ack *extack)
{
	struct pt_deferred *d;
	int ret;

	/* Signal 0: kill(2)'s permission check, nothing delivered. */
	ret = kill_pid(t->pid, 0, 0);
	if (ret == -EPERM)
		NL_SET_ERR_MSG_MOD(extack, "not permitted to kill this process");
	else if (ret)
		NL_SET_ERR_MSG_MOD(extack, "no such process");
	if (ret)
		return ret;
	if (req->has_status && !pt_exitstatus_available()) {
		NL_SET_ERR_MSG_MOD(extack, "exit status rewriting is unavailable on this kernel");
		return -EOPNOTSUPP;
	}
	if (pt_deferred_armed_for(t->pid)) {
		NL_SET_ERR_MSG_MOD(extack, "a deferred request is already armed for this process");
		return -EALREADY;
	}

	d = pt_deferred_new(t, req, GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	ret = pt_deferred_queue(d, t->task, GFP_KERNEL);
	if (ret < 0) {
		pt_deferred_abort(d);
		return ret;
	}
	ret = pt_deferred_commit(d, id);
	if (ret)
		NL_SET_ERR_MSG_MOD(extack, "process is already exiting");
	return ret;
}

/* @admin: capable(CAP_KILL), evaluated by the caller outside the lock. */
static bool pt_deferred_may_manage(const struct pt_deferred *d, bool admin)
{
	return admin || uid_eq(d->requester, current_uid());
}

int pt_deferred_cancel(u64 id, struct netlink_ext_ack *extack)
{
	bool admin = capable(CAP_KILL);
	struct pt_deferred *d;
	int ret = -ENOENT;

	spin_lock(&pt_deferred_lock);
	list_for_each_entry(d, &pt_deferred_list, node) {
		if (d->id != id)
			continue;
		if (!pid_nr_ns(d->pid, task_active_pid_ns(current)))
			break;
		/* Another user's request does not exist for this caller. */
		if (!pt_deferred_may_manage(d, admin))
			break;
		d->cancelled = true;
		list_del(&d->node);
		d->listed = false;
		ret = 0;
		break;
	}
	spin_unlock(&pt_deferred_lock);

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
	uid_t uid;
};

static int pt_pending_fill(struct sk_buff *skb, struct netlink_callback *cb,
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
	    nla_put_u32(skb, PROCTERM_A_REQUESTER_UID, r->uid)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * Dump cursor: cb->args[0] is the last request id sent. Ids only grow and
 * the list is in id order, so a resumed dump neither repeats nor skips a
 * request that stayed armed. Rows are copied under the lock and sent
 * after it is dropped, one at a time.
 */
int pt_deferred_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct user_namespace *uns = current_user_ns();
	bool admin = capable(CAP_KILL);
	struct pt_pending_row r;
	struct pt_deferred *d;
	bool found;
	int ret;

	for (;;) {
		found = false;
		spin_lock(&pt_deferred_lock);
		list_for_each_entry(d, &pt_deferred_list, node) {
			if (d->id <= cb->args[0] || d->cancelled)
				continue;
			r.nr = pid_nr_ns(d->pid, ns);
			if (!r.nr || !pt_deferred_may_manage(d, admin))
				continue;
			r.id = d->id;
			r.start_time = d->start_time;
			r.flags = d->flags;
			r.has_status = d->has_status;
			r.status = d->status;
			r.armed_ns = d->armed_ns;
			r.uid = from_kuid_munged(uns, d->requester);
			found = true;
			break;
		}
		spin_unlock(&pt_deferred_lock);
		if (!found)
			return skb->len;

		ret = pt_pending_fill(skb, cb, &r);
		if (ret)
			return skb->len ? skb->len : ret;
		cb->args[0] = r.id;
	}
}

void pt_deferred_exit(void)
{
	/*
	 * Nothing to do: every request with a queued work pins the module,
	 * so by now all of them have been freed.
	 */
	WARN_ON(!list_empty(&pt_deferred_list));
}
