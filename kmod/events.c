// SPDX-License-Identifier: GPL-2.0
/*
 * Termination events: the "events" multicast group.
 *
 * Every process procterm terminates is reported once it is dead, in one
 * PROCTERM_CMD_EVENT message. A kill path takes a record before the kill
 * (pt_event_alloc(): only while someone listens, within max_events and the
 * requester's share of it, charged through limits.c), fills it once the
 * SIGKILL was accepted (pt_event_fill(), which may run under tasklist_lock:
 * it only copies and takes references), and queues it after every lock is
 * dropped (pt_event_queue(), process context). A kill that does not happen
 * gives its record back (pt_event_discard()). A record never decides
 * whether a kill happens: without one, the event is counted lost.
 *
 * Death is detected as waiter.c detects it: each queued record hangs on
 * its TGID pid->wait_pidfd queue, whose wake function (called from the
 * exiting task, under the queue's lock, maybe with tasklist_lock held and
 * interrupts off) only notes the time and queues pt_event_work. The work,
 * in process context, sends every record whose group is dead and frees it.
 * Nothing is sent from the exit path. One process has at most one listed
 * record (pt_events_hash): a second is freed unsent.
 *
 * A record is referenced by the list (or the stash of the kill that made
 * it) and, for a grace kill (grace.c), by the member it reports, which
 * moves it from stage TERM to KILL when the deadline's SIGKILL is accepted
 * (pt_event_stage()), or withdraws it unsent if the grace kill ended
 * without killing (pt_event_withdraw()). Leaving the list gives back its
 * charge and references (pt_event_retire()); the last pt_event_put()
 * frees the shell.
 *
 * Sequence numbers are given at send time, so they arrive in order; a
 * record that could not be kept (no memory, max_events or the share
 * reached) consumes one at once, so the listener sees a gap at the next
 * message, and so does a message the work could not build or multicast:
 * events_lost and events_send_failed count them. Records dropped at
 * unload are logged, since the counters go with the module.
 *
 * Namespaces: messages go to the initial network namespace only; PIDs are
 * in the initial PID namespace, uids in the initial user namespace, start
 * times in the initial time namespace. The group needs CAP_NET_ADMIN,
 * checked by the genetlink core in the user namespace owning the
 * listener's network namespace, which for init_net is init_user_ns; a
 * socket elsewhere with NETLINK_LISTEN_ALL_NSID and CAP_NET_BROADCAST in
 * init_user_ns gets them too (docs/design.md, "Who receives events").
 *
 * Locking: pt_events, pt_events_hash and the sending are under
 * pt_events_lock (a mutex); the wake function takes none of ours.
 */
#include <linux/atomic.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/refcount.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>

#include <linux/procterm.h>
#include "procterm.h"

static unsigned int max_events = 16384;

/* At most INT_MAX: pt_events_nr and the per-user charges are atomic_t. */
static int pt_max_events_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, INT_MAX);
}

static const struct kernel_param_ops pt_max_events_ops = {
	.set = pt_max_events_set,
	.get = param_get_uint,
};

module_param_cb(max_events, &pt_max_events_ops, &max_events, 0644);
MODULE_PARM_DESC(max_events,
		 "termination events kept until their process is dead (all users; 1/16 per user without CAP_SYS_ADMIN)");

unsigned int pt_events_max(void)
{
	return READ_ONCE(max_events);
}

struct pt_event {
	refcount_t refs;		/* pt_events (or the stash), a grace kill */
	u32 stage;			/* enum procterm_stage, see pt_event_stage() */
	bool listed;			/* on pt_events, under pt_events_lock */
	bool retired;			/* charge and references given back */
	struct list_head node;		/* pt_events, or a caller's stash */
	struct hlist_node hnode;	/* pt_events_hash, by pid */
	struct wait_queue_entry wq;
	struct pid *pid;		/* referenced; owns wait_pidfd */
	struct task_struct *pin;	/* referenced: pins the signal_struct */
	struct pt_user *user;		/* referenced, charged PT_RES_EVENTS */
	bool admin;			/* the share it was charged against */
	u64 woken_ns;			/* first wake, CLOCK_BOOTTIME */
	pid_t nr;			/* initial PID namespace */
	u64 start_time;			/* initial time namespace */
	u32 uid;
	char comm[TASK_COMM_LEN];
	struct pt_event_req req;
};

static LIST_HEAD(pt_events);
/* The listed records by struct pid: one event per process (dedupe). */
#define PT_EVENTS_BITS 10
static DEFINE_HASHTABLE(pt_events_hash, PT_EVENTS_BITS);
static DEFINE_MUTEX(pt_events_lock);
static bool pt_events_stopped;		/* under pt_events_lock */
static unsigned int pt_events_unsent;	/* dropped at unload, under the lock */
static atomic_t pt_events_nr = ATOMIC_INIT(0);
static atomic64_t pt_events_seq = ATOMIC64_INIT(0);

static void pt_event_scan(struct work_struct *work);
static DECLARE_WORK(pt_event_work, pt_event_scan);

static int pt_event_wake(struct wait_queue_entry *wq, unsigned int mode,
			 int sync, void *key)
{
	struct pt_event *ev = container_of(wq, struct pt_event, wq);

	/*
	 * The first wake is the group's death; a later one (the leader's
	 * reap) must not add the zombie's time. Wakes are serialised by the
	 * queue's lock.
	 */
	if (!READ_ONCE(ev->woken_ns))
		WRITE_ONCE(ev->woken_ns, ktime_get_boottime_ns());
	queue_work(system_wq, &pt_event_work);
	return 0;
}

bool pt_events_wanted(void)
{
	return pt_genl_has_listeners();
}

/* One event lost before it had a record: the next message shows the gap. */
void pt_event_lost(unsigned int n)
{
	if (!n)
		return;
	atomic64_add(n, &pt_events_seq);
	pt_stat_add(PT_STAT_EVENTS_LOST, n);
}

/*
 * Whom the records of a kill from current are charged to: NULL when nobody
 * listens (no event at all), PT_EVENT_USER_NONE when the entry could not
 * be had (every event of the kill is lost), or a referenced entry to give
 * back with pt_event_user_put(). Process context.
 */
struct pt_user *pt_event_user(void)
{
	struct pt_user *u;

	if (!pt_events_wanted())
		return NULL;
	u = pt_user_get(pt_charge_uid(current_cred()));
	return u ? u : PT_EVENT_USER_NONE;
}

void pt_event_user_put(struct pt_user *u)
{
	if (!IS_ERR_OR_NULL(u))
		pt_user_put(u);
}

/*
 * A record for a kill about to be sent, charged to @u (see
 * pt_event_user()): NULL when @u is NULL (no event), PT_EVENT_LOST when
 * one should be kept but cannot be (no memory, the requester's share or
 * max_events reached; the kill counts it lost if it happens), or a record.
 * Atomic-safe with a non-sleeping @gfp: the tree kill allocates under
 * tasklist_lock.
 */
struct pt_event *pt_event_alloc(struct pt_user *u, bool admin, gfp_t gfp)
{
	struct pt_event *ev;

	if (!u)
		return NULL;
	if (IS_ERR(u))
		return PT_EVENT_LOST;
	if (atomic_inc_return(&pt_events_nr) > (int)READ_ONCE(max_events))
		goto full;
	if (pt_charge(u, PT_RES_EVENTS, 1, admin, NULL))
		goto full;
	ev = kzalloc(sizeof(*ev), gfp);
	if (!ev)
		goto uncharge;
	refcount_set(&ev->refs, 1);
	ev->stage = PROCTERM_STAGE_KILL;
	pt_user_hold(u);
	ev->user = u;
	ev->admin = admin;
	pt_stat_add(PT_STAT_EVENTS, 1);
	return ev;
uncharge:
	pt_uncharge(u, PT_RES_EVENTS, 1);
full:
	atomic_dec(&pt_events_nr);
	return PT_EVENT_LOST;
}

/*
 * Give back what a record holds but its shell: its max_events place and
 * the requester's share, the pid and the pinned task. Done when it leaves
 * the list, so that a grace kill still holding the shell (until its own
 * record ends) keeps no charge and pins no dead task; or at the free.
 */
static void pt_event_retire(struct pt_event *ev)
{
	if (ev->retired)
		return;
	ev->retired = true;
	if (ev->pin)
		put_task_struct(ev->pin);
	ev->pin = NULL;
	put_pid(ev->pid);
	ev->pid = NULL;
	pt_uncharge(ev->user, PT_RES_EVENTS, 1);
	atomic_dec(&pt_events_nr);
	pt_stat_add(PT_STAT_EVENTS, -1);
}

static void pt_event_free(struct pt_event *ev)
{
	pt_event_retire(ev);
	pt_user_put(ev->user);
	kfree(ev);
}

/*
 * A second reference, for a grace kill (grace.c) that may yet change the
 * record's stage; @ev is returned. NULL and PT_EVENT_LOST pass through.
 */
struct pt_event *pt_event_get(struct pt_event *ev)
{
	if (!IS_ERR_OR_NULL(ev))
		refcount_inc(&ev->refs);
	return ev;
}

/*
 * Drop a reference; the last frees the record (charge, pid, pinned task).
 * Any context that may take a spinlock_t (pt_user_put()): not the fork
 * probe's.
 */
void pt_event_put(struct pt_event *ev)
{
	if (!IS_ERR_OR_NULL(ev) && refcount_dec_and_test(&ev->refs))
		pt_event_free(ev);
}

/* The kill did not happen: nothing is reported (one reference dropped). */
void pt_event_discard(struct pt_event *ev)
{
	pt_event_put(ev);
}

/* pt_event_discard() for every record of a caller's @stash. */
void pt_event_discard_all(struct list_head *stash)
{
	struct pt_event *ev, *tmp;

	list_for_each_entry_safe(ev, tmp, stash, node) {
		list_del(&ev->node);
		pt_event_put(ev);
	}
}

/*
 * Which stage the event reports (PROCTERM_STAGE_TERM or _KILL; KILL when
 * allocated). A grace kill holding a reference sets TERM when it sends the
 * first signal and KILL once its deadline SIGKILL was accepted, under a
 * read-held tasklist_lock. The record is sent once pt_pid_group_dead() is
 * true, and every transition that makes it true is made with
 * tasklist_lock write-held: exit_notify() setting the last thread's
 * exit_state, release_task() unhashing the last thread of a group whose
 * leader was already a zombie (__unhash_process()), and de_thread()
 * moving the TGID. So the group cannot be seen dead before the store, and
 * pt_event_scan() reads the stage after the death (smp_rmb()): the message
 * reports the stage in force at the death. (Checked on 6.1, 6.12 and
 * 6.18; a kernel publishing any of these outside the lock breaks it.)
 */
void pt_event_stage(struct pt_event *ev, u32 stage)
{
	if (!IS_ERR_OR_NULL(ev))
		WRITE_ONCE(ev->stage, stage);
}

/* What is known of the requester now, in the initial namespaces. */
void pt_event_requester(struct pt_event_req *r, u32 mode, u32 flags, u64 id)
{
	r->pid = task_tgid_nr_ns(current, &init_pid_ns);
	r->uid = from_kuid_munged(&init_user_ns, current_uid());
	memcpy(r->comm, current->comm, sizeof(r->comm));
	r->comm[TASK_COMM_LEN - 1] = '\0';
	r->mode = mode;
	r->flags = flags;
	r->id = id;
	r->rule_id = 0;
	r->request_ns = ktime_get_boottime_ns();
}

/*
 * The SIGKILL of @leader's group (TGID @pid) was accepted. Only copies and
 * takes references: may be called under tasklist_lock. @may_lock: no
 * lock is held, so the comm is read under task_lock().
 */
void pt_event_fill(struct pt_event *ev, const struct pt_event_req *r,
		   struct pid *pid, struct task_struct *leader, bool may_lock)
{
	ev->pid = get_pid(pid);
	get_task_struct(leader);
	ev->pin = leader;
	ev->nr = pid_nr(pid);
	ev->start_time = pt_start_time_off(leader, 0);
	ev->uid = from_kuid_munged(&init_user_ns, task_uid(leader));
	if (may_lock) {
		get_task_comm(ev->comm, leader);
	} else {
		/* Racy against prctl(PR_SET_NAME), but NUL-terminated. */
		memcpy(ev->comm, leader->comm, sizeof(ev->comm));
		ev->comm[TASK_COMM_LEN - 1] = '\0';
	}
	ev->req = *r;
}

/* Is a record for @pid listed (its event not yet sent)? */
static bool pt_event_listed(struct pid *pid)
{
	struct pt_event *ev;

	lockdep_assert_held(&pt_events_lock);
	hash_for_each_possible(pt_events_hash, ev, hnode, (unsigned long)pid)
		if (ev->pid == pid)
			return true;
	return false;
}

/*
 * List @ev, filled, or free it: after unload began, or when its process
 * already has a record (two kill paths raced, or two threads of one
 * target fired a deferred request: one process, one event; the first
 * queued wins). Returns whether the work must look at it now.
 */
static bool pt_event_add_locked(struct pt_event *ev)
{
	bool dead;

	lockdep_assert_held(&pt_events_lock);
	if (pt_events_stopped) {
		pt_events_unsent++;
		pt_event_retire(ev);
		pt_event_put(ev);
		return false;
	}
	if (pt_event_listed(ev->pid)) {
		pt_stat_add(PT_STAT_EVENTS_DUP, 1);
		pt_event_retire(ev);
		pt_event_put(ev);
		return false;
	}
	init_waitqueue_func_entry(&ev->wq, pt_event_wake);
	ev->listed = true;
	list_add_tail(&ev->node, &pt_events);
	hash_add(pt_events_hash, &ev->hnode, (unsigned long)ev->pid);
	add_wait_queue(&ev->pid->wait_pidfd, &ev->wq);
	/*
	 * Decided under the lock: once it is dropped, a running scan may
	 * send and free @ev. Either the exit path's wake (which takes the
	 * queue's lock after setting exit_state) sees our entry, or this
	 * check, after add_wait_queue() took that lock, sees the death.
	 */
	dead = pt_pid_group_dead(ev->pid);
	return dead;
}

/*
 * A kill was sent: report it when the process is dead. @ev is what
 * pt_event_alloc() gave, filled. Process context, no lock held.
 */
void pt_event_queue(struct pt_event *ev)
{
	bool dead;

	if (!ev)
		return;
	if (IS_ERR(ev)) {
		pt_event_lost(1);
		return;
	}
	mutex_lock(&pt_events_lock);
	dead = pt_event_add_locked(ev);
	mutex_unlock(&pt_events_lock);
	if (dead)
		queue_work(system_wq, &pt_event_work);
}

/* Keep @ev, filled, on @stash (a caller's list) for pt_event_queue_all(). */
void pt_event_stash(struct pt_event *ev, struct list_head *stash)
{
	list_add_tail(&ev->node, stash);
}

/* pt_event_queue() for every record of @stash, under one lock hold. */
void pt_event_queue_all(struct list_head *stash)
{
	struct pt_event *ev, *tmp;
	bool dead = false;

	if (list_empty(stash))
		return;
	mutex_lock(&pt_events_lock);
	list_for_each_entry_safe(ev, tmp, stash, node) {
		list_del(&ev->node);
		dead |= pt_event_add_locked(ev);
	}
	mutex_unlock(&pt_events_lock);
	if (dead)
		queue_work(system_wq, &pt_event_work);
}

static int pt_event_fill_msg(struct sk_buff *skb, const struct pt_event *ev,
			     u64 seq, u64 dead_ns)
{
	const struct pt_event_req *r = &ev->req;
	void *hdr;

	hdr = pt_genlmsg_put(skb, 0, 0, 0, PROCTERM_CMD_EVENT);
	if (!hdr)
		return -EMSGSIZE;
	if (pt_put_u64(skb, PROCTERM_A_EVENT_SEQ, seq) ||
	    nla_put_u32(skb, PROCTERM_A_PID, ev->nr) ||
	    pt_put_u64(skb, PROCTERM_A_START_TIME, ev->start_time) ||
	    nla_put_string(skb, PROCTERM_A_COMM, ev->comm) ||
	    nla_put_u32(skb, PROCTERM_A_UID, ev->uid) ||
	    nla_put_u32(skb, PROCTERM_A_REQUESTER_PID, r->pid) ||
	    nla_put_u32(skb, PROCTERM_A_REQUESTER_UID, r->uid) ||
	    nla_put_string(skb, PROCTERM_A_REQUESTER_COMM, r->comm) ||
	    nla_put_u32(skb, PROCTERM_A_EVENT_MODE, r->mode) ||
	    nla_put_u32(skb, PROCTERM_A_FLAGS, r->flags) ||
	    (r->id && pt_put_u64(skb, PROCTERM_A_REQUEST_ID, r->id)) ||
	    (r->rule_id && nla_put_u32(skb, PROCTERM_A_RULE_ID, r->rule_id)) ||
	    nla_put_u32(skb, PROCTERM_A_STAGE, READ_ONCE(ev->stage))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	/* Stage NONE: an audit rule's firing; the process lives on. */
	if (READ_ONCE(ev->stage) != PROCTERM_STAGE_NONE &&
	    (nla_put_u32(skb, PROCTERM_A_WAIT_STATUS,
			 pt_wait_status(ev->pid, ev->pin)) ||
	     pt_put_u64(skb, PROCTERM_A_ELAPSED_NS,
			dead_ns > r->request_ns ? dead_ns - r->request_ns : 0))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* The size of one message: what pt_event_fill_msg() puts. */
static size_t pt_event_msg_size(void)
{
	return 4 * nla_total_size_64bit(sizeof(u64)) +
	       9 * nla_total_size(sizeof(u32)) +
	       2 * nla_total_size(TASK_COMM_LEN);
}

static void pt_event_send(struct pt_event *ev)
{
	u64 seq = atomic64_inc_return(&pt_events_seq);
	u64 dead_ns = READ_ONCE(ev->woken_ns);
	struct sk_buff *skb;
	int ret;

	lockdep_assert_held(&pt_events_lock);
	if (!dead_ns)
		dead_ns = ktime_get_boottime_ns();
	skb = genlmsg_new(pt_event_msg_size(), GFP_KERNEL);
	if (!skb) {
		pt_stat_add(PT_STAT_EVENTS_FAILED, 1);
		return;
	}
	if (pt_event_fill_msg(skb, ev, seq, dead_ns)) {
		nlmsg_free(skb);
		pt_stat_add(PT_STAT_EVENTS_FAILED, 1);
		return;
	}
	ret = pt_genl_multicast_events(skb);
	/* -ESRCH: nobody listens any more, nobody lost anything. */
	if (ret && ret != -ESRCH)
		pt_stat_add(PT_STAT_EVENTS_FAILED, 1);
	else if (!ret)
		pt_stat_add(PT_STAT_EVENTS_SENT, 1);
}

static void pt_event_drop(struct pt_event *ev)
{
	lockdep_assert_held(&pt_events_lock);
	remove_wait_queue(&ev->pid->wait_pidfd, &ev->wq);
	list_del(&ev->node);
	hash_del(&ev->hnode);
	ev->listed = false;
	pt_event_retire(ev);
	pt_event_put(ev);
}

/*
 * A grace kill that ended without killing @ev's process (cancelled, or
 * its deadline SIGKILL refused) takes back the record of its first
 * signal, unsent, if it is still listed: a later kill of the process is
 * then reported as its own, and no charge is held for a process that may
 * live on. Consumes no sequence number. Process context, no lock held.
 */
void pt_event_withdraw(struct pt_event *ev)
{
	if (IS_ERR_OR_NULL(ev))
		return;
	mutex_lock(&pt_events_lock);
	if (ev->listed)
		pt_event_drop(ev);
	mutex_unlock(&pt_events_lock);
}

static void pt_event_scan(struct work_struct *work)
{
	struct pt_event *ev, *tmp;

	mutex_lock(&pt_events_lock);
	list_for_each_entry_safe(ev, tmp, &pt_events, node) {
		pt_repin_leader(ev->pid, &ev->pin);
		if (!pt_pid_group_dead(ev->pid))
			continue;
		/* The death before the stage (pt_event_stage()). */
		smp_rmb();
		if (!pt_events_stopped)
			pt_event_send(ev);
		else
			pt_events_unsent++;
		pt_event_drop(ev);
		cond_resched();
	}
	mutex_unlock(&pt_events_lock);
}

/*
 * An event for a process that lives on (an audit rule's firing, rules.c):
 * sent at once, with stage NONE and neither wait status nor elapsed time.
 * @r says who asked (the rule's adder) and carries the rule id; the record
 * is charged to @u as any other. Process context, no lock held: current is
 * the process reported.
 */
void pt_event_report_now(struct pt_user *u, bool admin,
			 const struct pt_event_req *r)
{
	struct pt_event *ev;

	ev = pt_event_alloc(pt_events_wanted() ? u : NULL, admin,
			    GFP_KERNEL_ACCOUNT);
	if (!ev)
		return;
	if (IS_ERR(ev)) {
		pt_event_lost(1);
		return;
	}
	pt_event_fill(ev, r, task_tgid(current), current->group_leader, true);
	ev->stage = PROCTERM_STAGE_NONE;
	mutex_lock(&pt_events_lock);
	if (!pt_events_stopped)
		pt_event_send(ev);
	else
		pt_events_unsent++;
	mutex_unlock(&pt_events_lock);
	pt_event_put(ev);
}

/* Before the family goes: no message is sent from now on. */
void pt_events_stop(void)
{
	mutex_lock(&pt_events_lock);
	pt_events_stopped = true;
	mutex_unlock(&pt_events_lock);
}

/* Every record freed; nothing can queue the work any more. */
void pt_events_exit(void)
{
	struct pt_event *ev, *tmp;

	mutex_lock(&pt_events_lock);
	pt_events_stopped = true;
	list_for_each_entry_safe(ev, tmp, &pt_events, node) {
		pt_events_unsent++;
		pt_event_drop(ev);
	}
	mutex_unlock(&pt_events_lock);
	cancel_work_sync(&pt_event_work);
	/* The counters go with the module: say what was not sent. */
	if (pt_events_unsent)
		pr_info("%u termination events not sent: the module was unloaded first\n",
			pt_events_unsent);
	WARN_ON(atomic_read(&pt_events_nr));
}
