/* SPDX-License-Identifier: GPL-2.0 */
/*
 * procterm: internal interfaces between the module's parts.
 *
 * A request travels netlink.c (parse, policy, permission) -> target.c
 * (resolve PID, handle or address to a referenced thread-group leader) ->
 * kill.c, deferred.c or tree.c (terminate) -> exitstatus.c (rewrite the exit
 * status as the threads exit) and waiter.c (tell the requester when the
 * process is dead). limits.c charges what a request keeps to its requester.
 */
#ifndef _PROCTERM_H
#define _PROCTERM_H

#include <linux/types.h>
#include <linux/sched.h>
#include <linux/netlink.h>
#include <linux/uidgid.h>
#include <linux/err.h>
#include <net/netlink.h>

#include <linux/procterm.h>

struct pid;
struct sk_buff;
struct genl_info;
struct pt_deferred;
struct pt_grace;
struct pt_status;
struct pt_user;

/* A resolved target: a thread-group leader, with references held. */
struct pt_target {
	struct task_struct *task;	/* thread-group leader at resolve time */
	struct pid *pid;		/* its TGID: follows a de_thread() */
	pid_t nr;			/* PID in the requester's namespace */
	u64 start_time;			/* clock ticks after boot */
};

/* What was asked of a kill request. */
struct pt_kill_req {
	u32 flags;			/* PROCTERM_F_* */
	bool has_status;
	u32 status;			/* exit status, when has_status */
	bool admin;			/* CAP_SYS_ADMIN in init_user_ns */
	u32 grace_ms;			/* grace kill: 0, or the grace period */
	int signal;			/* grace kill: the first signal */
};

/* target.c */
int pt_target_from_pid(pid_t nr, bool check_start, u64 start,
		       struct pt_target *t, struct netlink_ext_ack *extack);
int pt_target_from_addr(u64 addr, struct pt_target *t,
			struct netlink_ext_ack *extack);
void pt_target_put(struct pt_target *t);
int pt_check_killable(struct task_struct *leader, struct pid_namespace *ns,
		      bool exiting_ok, struct netlink_ext_ack *extack);
u64 pt_start_time(struct task_struct *task);
u64 pt_start_time_off(struct task_struct *task, u64 boottime_off);
u64 pt_boottime_offset(void);
bool pt_group_dead(struct task_struct *leader);
bool pt_pid_group_dead(struct pid *pid);
bool pt_may_see_addresses(const struct sk_buff *skb);
bool pt_cred_may_kill(const struct cred *tcred);

/* tree.c: tasklist_lock, found at load; NULL when it could not be */
extern rwlock_t *pt_tasklist_lock;
int pt_tree_init(void);
int pt_tree_kill(const struct pt_target *t, const struct pt_kill_req *req,
		 u32 *count, u64 *id, struct netlink_ext_ack *extack);
int pt_tree_walk(struct task_struct *root,
		 int (*visit)(struct task_struct *p, void *arg), void *arg);
bool pt_member_done(struct task_struct *p);

/* exitstatus.c */
int pt_exitstatus_init(void);
void pt_exitstatus_exit(void);
bool pt_exitstatus_available(void);
struct pt_status *pt_status_alloc(gfp_t gfp);
void pt_status_discard(struct pt_status *st);
bool pt_status_publish(struct pt_status *st, struct task_struct *leader,
		       u32 status);
u32 pt_wait_status(struct pid *pid, struct task_struct *pin);

/* limits.c */
enum pt_res {
	PT_RES_DEFERRED,		/* armed deferred requests */
	PT_RES_WORKS,			/* queued deferred task works */
	PT_RES_WAITERS,			/* PROCTERM_F_WAIT waiters */
	PT_RES_EVENTS,			/* event records (events.c) */
	PT_RES_GRACE,			/* armed grace kills */
	PT_RES_GRACE_NODES,		/* their tracking nodes */
	PT_RES_NR,
};

enum pt_stat {
	PT_STAT_WAITERS,
	PT_STAT_DEFERRED,
	PT_STAT_WORKS,
	PT_STAT_STATUS,
	PT_STAT_USERS,
	PT_STAT_REFUSED,		/* deferred kills refused when firing */
	PT_STAT_EVENTS,			/* event records kept */
	PT_STAT_EVENTS_SENT,
	PT_STAT_EVENTS_LOST,		/* no record could be kept */
	PT_STAT_EVENTS_FAILED,		/* a message not built or multicast */
	PT_STAT_EVENTS_DUP,		/* a second record for one process */
	PT_STAT_GRACE,			/* grace kill records */
	PT_STAT_GRACE_NODES,		/* their tracking nodes */
	PT_STAT_GRACE_REFUSED,		/* deadline SIGKILLs refused */
	PT_STAT_GRACE_OVERFLOW,		/* deadlines brought forward */
	PT_STAT_GRACE_DENIED,		/* new tasks killed: no reserve */
	PT_STAT_RULES,			/* exec rules listed */
	PT_STAT_RULE_FIRED,		/* exec rule firings */
	PT_STAT_RULE_MISSED,		/* execs not matched: no task work free */
	PT_STAT_RULE_REFUSED,		/* exec rule kills refused */
	PT_STAT_NR,
};

int pt_limits_init(void);
void pt_limits_exit(void);
kuid_t pt_charge_uid(const struct cred *cred);
struct pt_user *pt_user_get(kuid_t uid);
void pt_user_hold(struct pt_user *u);
void pt_user_put(struct pt_user *u);
int pt_charge(struct pt_user *u, enum pt_res res, unsigned int n, bool admin,
	      struct netlink_ext_ack *extack);
void pt_uncharge(struct pt_user *u, enum pt_res res, unsigned int n);
void pt_stat_add(enum pt_stat s, int n);

/* waiter.c */
int pt_waiter_init(void);
void pt_waiter_exit(void);
void pt_repin_leader(struct pid *pid, struct task_struct **pin);
struct pt_waiter;
struct pt_waiter *pt_waiter_prepare(bool admin, struct netlink_ext_ack *extack);
void pt_waiter_discard(struct pt_waiter *w);
void pt_waiter_publish(struct pt_waiter *w, struct genl_info *info,
		       const struct pt_target *t);
void pt_waiter_set_grace(struct pt_waiter *w, struct pt_grace *g);
void pt_waiter_kick(void);

/* events.c */
struct pt_event;
/* Who asked for a kill, as the event reports it. */
struct pt_event_req {
	pid_t pid;			/* initial PID namespace */
	u32 uid;			/* initial user namespace */
	char comm[TASK_COMM_LEN];
	u32 mode;			/* PROCTERM_EVENT_MODE_* */
	u32 flags;			/* PROCTERM_F_* */
	u64 id;				/* deferred or tree request, or 0 */
	u32 rule_id;			/* the exec rule that fired, or 0 */
	u64 request_ns;			/* CLOCK_BOOTTIME */
};

/* An event that should be kept but could not be: counted lost if sent. */
#define PT_EVENT_LOST ((struct pt_event *)ERR_PTR(-ENOSPC))
/* Someone listens, but the requester's entry could not be had. */
#define PT_EVENT_USER_NONE ((struct pt_user *)ERR_PTR(-ENOMEM))

bool pt_events_wanted(void);
unsigned int pt_events_max(void);
struct pt_user *pt_event_user(void);
void pt_event_user_put(struct pt_user *u);
struct pt_event *pt_event_alloc(struct pt_user *u, bool admin, gfp_t gfp);
void pt_event_discard(struct pt_event *ev);
void pt_event_discard_all(struct list_head *stash);
struct pt_event *pt_event_get(struct pt_event *ev);
void pt_event_put(struct pt_event *ev);
void pt_event_stage(struct pt_event *ev, u32 stage);
void pt_event_withdraw(struct pt_event *ev);
void pt_event_requester(struct pt_event_req *r, u32 mode, u32 flags, u64 id);
void pt_event_fill(struct pt_event *ev, const struct pt_event_req *r,
		   struct pid *pid, struct task_struct *leader, bool may_lock);
void pt_event_stash(struct pt_event *ev, struct list_head *stash);
void pt_event_queue_all(struct list_head *stash);
void pt_event_queue(struct pt_event *ev);
void pt_event_lost(unsigned int n);
void pt_event_report_now(struct pt_user *u, bool admin,
			 const struct pt_event_req *r);
void pt_events_stop(void);
void pt_events_exit(void);

/* kill.c */
int pt_kill_now(const struct pt_target *t, const struct pt_kill_req *req,
		struct netlink_ext_ack *extack);
int pt_perm_check(struct pid *pid, struct netlink_ext_ack *extack);
bool pt_kill_already_exiting(const struct pt_target *t);
void pt_kill_event(struct pt_event *ev, const struct pt_target *t,
		   const struct pt_event_req *r, bool exiting, int ret);

/* deferred.c */
/* A process killing itself from a task work (pt_self_kill()). */
struct pt_self_kill {
	const struct cred *cred;	/* judged as: the requester's */
	bool has_status;
	u32 status;
	struct pt_user *user;		/* the event's record is charged here */
	bool admin;
	const struct pt_event_req *ev_req;
};

int pt_self_kill(const struct pt_self_kill *k);
void pt_deferred_exit(void);
u64 pt_request_id_new(void);
int pt_deferred_arm(const struct pt_target *t, const struct pt_kill_req *req,
		    u64 *id, struct netlink_ext_ack *extack);
int pt_deferred_tree_begin(const struct pt_target *root,
			   const struct pt_kill_req *req,
			   struct pt_deferred **dp,
			   struct netlink_ext_ack *extack);
int pt_deferred_reserve(struct pt_deferred *d, unsigned int nr,
			struct netlink_ext_ack *extack);
unsigned int pt_deferred_reserved(const struct pt_deferred *d);
unsigned int pt_deferred_queue_locked(struct pt_deferred *d,
				      struct task_struct *leader);
int pt_deferred_finish(struct pt_deferred *d, u64 *id);
void pt_deferred_tree_abort(struct pt_deferred *d);
int pt_deferred_cancel(u64 id, bool admin, struct netlink_ext_ack *extack);
int pt_deferred_dump_start(struct netlink_callback *cb);
int pt_deferred_dump(struct sk_buff *skb, struct netlink_callback *cb);
int pt_deferred_dump_done(struct netlink_callback *cb);

/*
 * grace.c: graceful, then forced (PROCTERM_A_GRACE_MS). pt_grace_arm()
 * sends the first signal and arms the deadline; *@gp (if not NULL) gets a
 * reference on the record for the waiter, dropped with pt_grace_put().
 *
 * pt_grace_stage() is final once the record ended (PROCTERM_STAGE_TERM:
 * ended during the grace period, KILL: killed at the deadline, REFUSED,
 * CANCELLED); each process's event carries its own stage (events.c).
 */
int pt_grace_init(void);
void pt_grace_exit(void);
int pt_grace_arm(const struct pt_target *t, const struct pt_kill_req *req,
		 u32 *count, u64 *id, struct pt_grace **gp,
		 struct netlink_ext_ack *extack);
void pt_grace_put(struct pt_grace *g);
u8 pt_grace_stage(const struct pt_grace *g);
bool pt_grace_is_tree(const struct pt_grace *g);
int pt_grace_cancel(u64 id, bool admin, struct netlink_ext_ack *extack);
int pt_grace_dump_start(struct netlink_callback *cb);
int pt_grace_dump(struct sk_buff *skb, struct netlink_callback *cb);
int pt_grace_dump_done(struct netlink_callback *cb);

/* rules.c: exec rules */
enum {
	PT_COND_COMM		= 1U << 0,
	PT_COND_PATH		= 1U << 1,
	PT_COND_UID		= 1U << 2,
	PT_COND_PARENT_COMM	= 1U << 3,
	PT_COND_CGROUP		= 1U << 4,
};

/* A rule as asked for; the strings are the request's. */
struct pt_rule_spec {
	u32 conds;			/* PT_COND_* */
	const char *comm;
	const char *path;
	kuid_t uid;
	const char *parent_comm;
	const char *cgroup;
	bool has_status;
	u32 status;
	u32 count;			/* 0: never expires */
	bool audit;
};

int pt_rules_init(void);
void pt_rules_exit(void);
int pt_rule_add(const struct pt_rule_spec *spec, u32 *id,
		struct netlink_ext_ack *extack);
int pt_rule_del(u32 id, struct netlink_ext_ack *extack);
unsigned int pt_rule_flush(void);
int pt_rule_dump_start(struct netlink_callback *cb);
int pt_rule_dump(struct sk_buff *skb, struct netlink_callback *cb);
int pt_rule_dump_done(struct netlink_callback *cb);

/* select.c: PROCTERM_CMD_KILL by selectors (PROCTERM_A_SELECT) */
extern const struct nla_policy pt_select_policy[PROCTERM_SEL_MAX + 1];
int pt_select_kill(struct genl_info *info, const struct nlattr *nest,
		   const struct pt_kill_req *req);

/* proclist.c */
int pt_list_fill(struct sk_buff *skb, struct task_struct *task,
		 struct pid_namespace *ns, struct user_namespace *uns,
		 u64 boottime_off, bool show_addr, u32 portid, u32 seq,
		 int flags);
int pt_list_dump_start(struct netlink_callback *cb);
int pt_list_dump(struct sk_buff *skb, struct netlink_callback *cb);
int pt_list_dump_done(struct netlink_callback *cb);

/* netlink.c */
int __init pt_genl_register(void);
void pt_genl_unregister(void);
void *pt_genlmsg_put(struct sk_buff *skb, u32 portid, u32 seq, int flags,
		     u8 cmd);
int pt_put_u64(struct sk_buff *skb, int attr, u64 value);
bool pt_genl_events_available(void);
bool pt_genl_has_listeners(void);
int pt_genl_multicast_events(struct sk_buff *skb);

#endif /* _PROCTERM_H */
