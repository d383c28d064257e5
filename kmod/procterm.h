/* SPDX-License-Identifier: GPL-2.0 */
/*
 * procterm: internal interfaces between the module's parts.
 *
 * A request travels netlink.c (parse, policy, permission) -> target.c
 * (resolve PID, handle or address to a referenced thread-group leader) ->
 * kill.c, deferred.c or tree.c (terminate) -> exitstatus.c (rewrite the exit
 * status as the threads exit) and waiter.c (tell the requester when the
 * process is dead).
 */
#ifndef _PROCTERM_H
#define _PROCTERM_H

#include <linux/types.h>
#include <linux/sched.h>
#include <linux/netlink.h>

struct pid;
struct sk_buff;
struct genl_info;
struct pt_deferred;

/* A resolved target: a thread-group leader, with references held. */
struct pt_target {
	struct task_struct *task;	/* thread-group leader */
	struct pid *pid;		/* its TGID */
	pid_t nr;			/* PID in the requester's namespace */
	u64 start_time;			/* clock ticks after boot */
};

/* What was asked of a kill request. */
struct pt_kill_req {
	u32 flags;			/* PROCTERM_F_* */
	bool has_status;
	u32 status;			/* exit status, when has_status */
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
bool pt_group_dead(struct task_struct *leader);
bool pt_may_see_addresses(const struct sk_buff *skb);

/* exitstatus.c */
int pt_exitstatus_init(void);
void pt_exitstatus_exit(void);
bool pt_exitstatus_available(void);
int pt_exitstatus_arm(struct task_struct *leader, u32 status, gfp_t gfp);
void pt_exitstatus_disarm(struct task_struct *leader);
u32 pt_wait_status(struct task_struct *leader);

/* waiter.c */
void pt_waiter_exit(void);
int pt_waiter_add(struct genl_info *info, const struct pt_target *t);

/* kill.c */
int pt_kill_now(const struct pt_target *t, const struct pt_kill_req *req,
		struct netlink_ext_ack *extack);

/* deferred.c */
void pt_deferred_exit(void);
int pt_deferred_arm(const struct pt_target *t, const struct pt_kill_req *req,
		    u64 *id, struct netlink_ext_ack *extack);
struct pt_deferred *pt_deferred_new(const struct pt_target *root,
				    const struct pt_kill_req *req, gfp_t gfp);
int pt_deferred_queue(struct pt_deferred *d, struct task_struct *leader,
		      gfp_t gfp);
int pt_deferred_commit(struct pt_deferred *d, u64 *id);
void pt_deferred_abort(struct pt_deferred *d);
int pt_deferred_cancel(u64 id, struct netlink_ext_ack *extack);
int pt_deferred_dump(struct sk_buff *skb, struct netlink_callback *cb);

/* tree.c */
int pt_tree_init(void);
int pt_tree_kill(const struct pt_target *t, const struct pt_kill_req *req,
		 u32 *count, u64 *id, struct netlink_ext_ack *extack);

/* proclist.c */
int pt_list_fill(struct sk_buff *skb, struct task_struct *task,
		 struct pid_namespace *ns, bool show_addr,
		 u32 portid, u32 seq, int flags);
int pt_list_dump(struct sk_buff *skb, struct netlink_callback *cb);

/* netlink.c */
int __init pt_genl_register(void);
void pt_genl_unregister(void);
void *pt_genlmsg_put(struct sk_buff *skb, u32 portid, u32 seq, int flags,
		     u8 cmd);
int pt_put_u64(struct sk_buff *skb, int attr, u64 value);

#endif /* _PROCTERM_H */
