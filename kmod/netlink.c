// SPDX-License-Identifier: GPL-2.0
/*
 * The "procterm" generic netlink family: policies, handlers, replies.
 *
 * Every command has its own strict policy, so an attribute a command does
 * not use is rejected by the core with an extack message. Rules that span
 * attributes live in pt_kill_precheck(). Permission: no command is
 * privileged as such; a kill is judged by kill(2)'s rules in the
 * requester's context, address requests need CAP_SYS_ADMIN and CAP_SYSLOG
 * in the initial user namespace, and pending requests are shown to and
 * cancelled by their requester (or CAP_KILL). What a request leaves behind
 * is charged to its requester (limits.c), and dumps capture the
 * requester's namespaces and rights in .start.
 *
 * The "events" multicast group (events.c) carries PROCTERM_CMD_EVENT, a
 * notification with no handler: sent as a request it is EOPNOTSUPP.
 * Joining it needs CAP_NET_ADMIN (GENL_MCAST_CAP_NET_ADMIN, checked by the
 * core in the user namespace of the listener's network namespace; events
 * go to init_net only, whose user namespace is init_user_ns). A kernel
 * without that flag would let anyone join, so there the group is not
 * registered and no event is ever recorded.
 *
 * The family is parallel_ops: handlers do not rely on genl_mutex, and
 * nothing here sleeps for long (waiting is done by waiter.c).
 */
#include <linux/kernel.h>
#include <linux/pid_namespace.h>
#include <linux/sched/task.h>
#include <linux/user_namespace.h>
#include <net/genetlink.h>

#include <linux/procterm.h>
#include "procterm.h"

/* Not const: 6.1 declares the policy pointer without it. */
static struct netlink_range_validation pt_pid_range = {
	.min = 1,
	.max = PID_MAX_LIMIT,
};

static struct netlink_range_validation pt_grace_range = {
	.min = 1,
	.max = PROCTERM_GRACE_MAX_MS,
};

static const struct nla_policy pt_kill_policy[PROCTERM_A_MAX + 1] = {
	[PROCTERM_A_PID]	 = NLA_POLICY_FULL_RANGE(NLA_U32, &pt_pid_range),
	[PROCTERM_A_START_TIME]	 = { .type = NLA_U64 },
	[PROCTERM_A_TASK_ADDR]	 = { .type = NLA_U64 },
	[PROCTERM_A_EXIT_STATUS] = { .type = NLA_U32 },
	[PROCTERM_A_FLAGS]	 = NLA_POLICY_MASK(NLA_U32, __PROCTERM_F_ALL),
	[PROCTERM_A_GRACE_MS]	 = NLA_POLICY_FULL_RANGE(NLA_U32, &pt_grace_range),
	/*
	 * What kill(2) accepts: valid_signal() is 1.._NSIG (x86: 64, SIGRTMAX
	 * included); SIGKILL and SIGSTOP are refused in the precheck.
	 */
	[PROCTERM_A_SIGNAL]	 = NLA_POLICY_RANGE(NLA_U32, 1, _NSIG),
	/* Selectors (select.c), in place of a target. */
	[PROCTERM_A_SELECT]	 = NLA_POLICY_NESTED(pt_select_policy),
};

static const struct nla_policy pt_list_policy[PROCTERM_A_MAX + 1] = {
	[PROCTERM_A_PID]	 = NLA_POLICY_FULL_RANGE(NLA_U32, &pt_pid_range),
};

/* PROCTERM_CMD_PENDING takes no attribute at all. */
static const struct nla_policy pt_pending_policy[PROCTERM_A_MAX + 1] = {};

static const struct nla_policy pt_cancel_policy[PROCTERM_A_MAX + 1] = {
	[PROCTERM_A_REQUEST_ID]	 = NLA_POLICY_MIN(NLA_U64, 1),
};

/* Exec rules (rules.c). Strings: NUL-terminated, at most .len bytes before. */
static const struct nla_policy pt_rule_add_policy[PROCTERM_A_MAX + 1] = {
	[PROCTERM_A_RULE_COMM]	 = { .type = NLA_NUL_STRING, .len = TASK_COMM_LEN - 1 },
	[PROCTERM_A_RULE_PATH]	 = { .type = NLA_NUL_STRING,
				     .len = PROCTERM_RULE_PATH_LEN - 1 },
	[PROCTERM_A_RULE_UID]	 = { .type = NLA_U32 },
	[PROCTERM_A_RULE_PARENT_COMM] = { .type = NLA_NUL_STRING,
					  .len = TASK_COMM_LEN - 1 },
	[PROCTERM_A_RULE_CGROUP] = { .type = NLA_NUL_STRING,
				     .len = PROCTERM_RULE_PATH_LEN - 1 },
	[PROCTERM_A_EXIT_STATUS] = { .type = NLA_U32 },
	[PROCTERM_A_RULE_COUNT]	 = NLA_POLICY_MIN(NLA_U32, 1),
	[PROCTERM_A_RULE_FLAGS]	 = NLA_POLICY_MASK(NLA_U32, __PROCTERM_RULE_F_ALL),
};

static const struct nla_policy pt_rule_del_policy[PROCTERM_A_MAX + 1] = {
	[PROCTERM_A_RULE_ID]	 = NLA_POLICY_MIN(NLA_U32, 1),
};

/* PROCTERM_CMD_RULE_LIST and _FLUSH take no attribute at all. */
static const struct nla_policy pt_rule_none_policy[PROCTERM_A_MAX + 1] = {};

static struct genl_family pt_genl_family;

void *pt_genlmsg_put(struct sk_buff *skb, u32 portid, u32 seq, int flags,
		     u8 cmd)
{
	return genlmsg_put(skb, portid, seq, &pt_genl_family, flags, cmd);
}

int pt_put_u64(struct sk_buff *skb, int attr, u64 value)
{
	return nla_put_u64_64bit(skb, attr, value, PROCTERM_A_PAD);
}

/* Cross-attribute rules of a kill by selectors. */
static int pt_select_precheck(struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	u32 flags = tb[PROCTERM_A_FLAGS] ? nla_get_u32(tb[PROCTERM_A_FLAGS]) : 0;
	struct nlattr *a;

	a = tb[PROCTERM_A_PID] ?: tb[PROCTERM_A_START_TIME] ?: tb[PROCTERM_A_TASK_ADDR];
	if (a) {
		NL_SET_ERR_MSG_ATTR(info->extack, a,
				    "give either a target or selectors (PROCTERM_A_SELECT), not both");
		return -EINVAL;
	}
	if (tb[PROCTERM_A_GRACE_MS]) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[PROCTERM_A_GRACE_MS],
				    "selectors kill at once: no grace period");
		return -EINVAL;
	}
	if (tb[PROCTERM_A_SIGNAL]) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[PROCTERM_A_SIGNAL],
				    "selectors kill with SIGKILL: no first signal");
		return -EINVAL;
	}
	if (flags & (PROCTERM_F_WAIT | PROCTERM_F_DEFERRED | PROCTERM_F_TREE)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[PROCTERM_A_FLAGS],
				    "selectors take neither PROCTERM_F_WAIT, PROCTERM_F_DEFERRED nor PROCTERM_F_TREE");
		return -EINVAL;
	}
	return 0;
}

/* Cross-attribute rules of PROCTERM_CMD_KILL. */
static int pt_kill_precheck(struct genl_info *info)
{
	struct nlattr **tb = info->attrs;

	if (tb[PROCTERM_A_SELECT])
		return pt_select_precheck(info);
	if (!tb[PROCTERM_A_PID] && !tb[PROCTERM_A_TASK_ADDR]) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "missing target: PROCTERM_A_PID, PROCTERM_A_TASK_ADDR or PROCTERM_A_SELECT");
		return -EINVAL;
	}
	if (tb[PROCTERM_A_FLAGS] &&
	    (nla_get_u32(tb[PROCTERM_A_FLAGS]) &
	     (PROCTERM_F_DRY_RUN | PROCTERM_F_STRICT))) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[PROCTERM_A_FLAGS],
				    "PROCTERM_F_DRY_RUN and PROCTERM_F_STRICT are for selectors (PROCTERM_A_SELECT)");
		return -EINVAL;
	}
	if (tb[PROCTERM_A_PID] && tb[PROCTERM_A_TASK_ADDR]) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[PROCTERM_A_TASK_ADDR],
				    "give either a PID or a task address, not both");
		return -EINVAL;
	}
	if (tb[PROCTERM_A_START_TIME] && !tb[PROCTERM_A_PID]) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[PROCTERM_A_START_TIME],
				    "a start time needs a PID");
		return -EINVAL;
	}
	if (tb[PROCTERM_A_SIGNAL] && !tb[PROCTERM_A_GRACE_MS]) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[PROCTERM_A_SIGNAL],
				    "a first signal needs a grace period (PROCTERM_A_GRACE_MS)");
		return -EINVAL;
	}
	if (tb[PROCTERM_A_SIGNAL] &&
	    (nla_get_u32(tb[PROCTERM_A_SIGNAL]) == SIGKILL ||
	     nla_get_u32(tb[PROCTERM_A_SIGNAL]) == SIGSTOP)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[PROCTERM_A_SIGNAL],
				    "SIGKILL and SIGSTOP cannot be a grace kill's first signal");
		return -EINVAL;
	}
	if (tb[PROCTERM_A_GRACE_MS] && tb[PROCTERM_A_FLAGS] &&
	    (nla_get_u32(tb[PROCTERM_A_FLAGS]) & PROCTERM_F_DEFERRED)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[PROCTERM_A_GRACE_MS],
				    "a grace period cannot be combined with a deferred kill");
		return -EINVAL;
	}
	return 0;
}

static int pt_resolve(struct sk_buff *skb, struct genl_info *info,
		      struct pt_target *t)
{
	struct nlattr **tb = info->attrs;

	if (tb[PROCTERM_A_TASK_ADDR]) {
		if (!pt_may_see_addresses(skb)) {
			NL_SET_ERR_MSG_MOD(info->extack,
					   "address requests need CAP_SYS_ADMIN, CAP_SYSLOG and kptr_restrict permitting");
			return -EPERM;
		}
		return pt_target_from_addr(nla_get_u64(tb[PROCTERM_A_TASK_ADDR]),
					   t, info->extack);
	}
	return pt_target_from_pid(nla_get_u32(tb[PROCTERM_A_PID]),
				  tb[PROCTERM_A_START_TIME],
				  tb[PROCTERM_A_START_TIME] ?
				  nla_get_u64(tb[PROCTERM_A_START_TIME]) : 0,
				  t, info->extack);
}

static int pt_kill_reply(struct genl_info *info, const struct pt_target *t,
			 const struct pt_kill_req *req, u32 count, u64 id)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &pt_genl_family, 0,
				PROCTERM_CMD_KILL);
	if (!hdr ||
	    nla_put_u32(msg, PROCTERM_A_PID, t->nr) ||
	    pt_put_u64(msg, PROCTERM_A_START_TIME, t->start_time) ||
	    (req->has_status &&
	     nla_put_u32(msg, PROCTERM_A_EXIT_STATUS, req->status)) ||
	    nla_put_u32(msg, PROCTERM_A_COUNT, count) ||
	    (id && pt_put_u64(msg, PROCTERM_A_REQUEST_ID, id))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int pt_nl_kill(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct pt_waiter *w = NULL;
	struct pt_grace *g = NULL;
	struct pt_kill_req req = {};
	struct pt_target t;
	u32 count = 1;
	u64 id = 0;
	int ret;

	ret = pt_kill_precheck(info);
	if (ret)
		return ret;
	if (tb[PROCTERM_A_FLAGS])
		req.flags = nla_get_u32(tb[PROCTERM_A_FLAGS]);
	if (tb[PROCTERM_A_EXIT_STATUS]) {
		req.has_status = true;
		req.status = nla_get_u32(tb[PROCTERM_A_EXIT_STATUS]);
	}
	req.admin = netlink_capable(skb, CAP_SYS_ADMIN);
	if (tb[PROCTERM_A_GRACE_MS]) {
		req.grace_ms = nla_get_u32(tb[PROCTERM_A_GRACE_MS]);
		req.signal = tb[PROCTERM_A_SIGNAL] ?
			     nla_get_u32(tb[PROCTERM_A_SIGNAL]) : SIGTERM;
	}
	if (tb[PROCTERM_A_SELECT])
		return pt_select_kill(info, tb[PROCTERM_A_SELECT], &req);

	ret = pt_resolve(skb, info, &t);
	if (ret)
		return ret;
	/*
	 * Permission first: a process the requester may not signal gets
	 * EPERM, not an answer about its state.
	 */
	ret = pt_perm_check(t.pid, info->extack);
	if (ret)
		goto out;
	ret = pt_check_killable(t.task, task_active_pid_ns(current),
				req.flags & PROCTERM_F_TREE, info->extack);
	if (ret)
		goto out;

	/* Reserved (and charged) before the kill, published only after it. */
	if (req.flags & PROCTERM_F_WAIT) {
		w = pt_waiter_prepare(req.admin, info->extack);
		if (IS_ERR(w)) {
			ret = PTR_ERR(w);
			w = NULL;
			goto out;
		}
	}

	if (req.grace_ms)
		ret = pt_grace_arm(&t, &req, &count, &id, w ? &g : NULL,
				   info->extack);
	else if (req.flags & PROCTERM_F_TREE)
		ret = pt_tree_kill(&t, &req, &count, &id, info->extack);
	else if (req.flags & PROCTERM_F_DEFERRED)
		ret = pt_deferred_arm(&t, &req, &id, info->extack);
	else
		ret = pt_kill_now(&t, &req, info->extack);
	if (ret)
		goto out;

	ret = pt_kill_reply(info, &t, &req, count, id);
	/*
	 * The reply goes first, so the wait status always follows it. A
	 * target that died meanwhile (even the requester itself) is caught
	 * by pt_waiter_publish()'s own check.
	 */
	if (!ret && w) {
		if (g)
			pt_waiter_set_grace(w, g);
		g = NULL;
		pt_waiter_publish(w, info, &t);
		w = NULL;
	}
out:
	if (g)
		pt_grace_put(g);
	if (w)
		pt_waiter_discard(w);
	pt_target_put(&t);
	return ret;
}

static int pt_nl_list_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct pt_target t;
	struct sk_buff *msg;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, PROCTERM_A_PID))
		return -EINVAL;
	ret = pt_target_from_pid(nla_get_u32(info->attrs[PROCTERM_A_PID]),
				 false, 0, &t, info->extack);
	if (ret)
		return ret;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg) {
		ret = -ENOMEM;
		goto out;
	}
	ret = pt_list_fill(msg, t.task, ns, current_user_ns(),
			   pt_boottime_offset(), pt_may_see_addresses(skb),
			   info->snd_portid, info->snd_seq, 0);
	if (ret) {
		if (ret == -ESRCH)
			NL_SET_ERR_MSG_MOD(info->extack, "no such process");
		nlmsg_free(msg);
		goto out;
	}
	ret = genlmsg_reply(msg, info);
out:
	pt_target_put(&t);
	return ret;
}

static int pt_nl_cancel(struct sk_buff *skb, struct genl_info *info)
{
	bool admin = netlink_capable(skb, CAP_KILL);
	u64 id;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, PROCTERM_A_REQUEST_ID))
		return -EINVAL;
	id = nla_get_u64(info->attrs[PROCTERM_A_REQUEST_ID]);
	/* One id space: a deferred request, or else a grace kill. */
	ret = pt_deferred_cancel(id, admin, info->extack);
	if (ret == -ENOENT)
		ret = pt_grace_cancel(id, admin, info->extack);
	return ret;
}

/* Every rule command: CAP_SYS_ADMIN in init_user_ns, socket and sender. */
static int pt_rule_permitted(struct sk_buff *skb, struct genl_info *info)
{
	if (netlink_ns_capable(skb, &init_user_ns, CAP_SYS_ADMIN))
		return 0;
	NL_SET_ERR_MSG_MOD(info->extack,
			   "exec rules need CAP_SYS_ADMIN in the initial user namespace");
	return -EPERM;
}

/* A string condition: not empty; a path or cgroup must be absolute. */
static int pt_rule_str(struct genl_info *info, int type, bool absolute,
		       const char **out)
{
	struct nlattr *a = info->attrs[type];
	const char *str;

	if (!a)
		return 0;
	str = nla_data(a);
	if (!str[0]) {
		NL_SET_ERR_MSG_ATTR(info->extack, a, "an empty condition");
		return -EINVAL;
	}
	if (absolute && str[0] != '/') {
		NL_SET_ERR_MSG_ATTR(info->extack, a, "the path must be absolute");
		return -EINVAL;
	}
	*out = str;
	return 0;
}

/* The attributes of PROCTERM_CMD_RULE_ADD into @spec, with their rules. */
static int pt_rule_precheck(struct genl_info *info, struct pt_rule_spec *spec)
{
	struct nlattr **tb = info->attrs;
	int ret;

	ret = pt_rule_str(info, PROCTERM_A_RULE_COMM, false, &spec->comm) ?:
	      pt_rule_str(info, PROCTERM_A_RULE_PATH, true, &spec->path) ?:
	      pt_rule_str(info, PROCTERM_A_RULE_PARENT_COMM, false,
			  &spec->parent_comm) ?:
	      pt_rule_str(info, PROCTERM_A_RULE_CGROUP, true, &spec->cgroup);
	if (ret)
		return ret;
	if (spec->comm)
		spec->conds |= PT_COND_COMM;
	if (spec->path)
		spec->conds |= PT_COND_PATH;
	if (spec->parent_comm)
		spec->conds |= PT_COND_PARENT_COMM;
	if (spec->cgroup)
		spec->conds |= PT_COND_CGROUP;
	if (tb[PROCTERM_A_RULE_UID]) {
		spec->uid = make_kuid(&init_user_ns,
				      nla_get_u32(tb[PROCTERM_A_RULE_UID]));
		if (!uid_valid(spec->uid)) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[PROCTERM_A_RULE_UID],
					    "not a valid uid");
			return -EINVAL;
		}
		spec->conds |= PT_COND_UID;
	}
	if (!spec->conds) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "a rule needs at least one condition (comm, path, uid, parent comm or cgroup)");
		return -EINVAL;
	}
	if (tb[PROCTERM_A_RULE_FLAGS] &&
	    (nla_get_u32(tb[PROCTERM_A_RULE_FLAGS]) & PROCTERM_RULE_F_AUDIT))
		spec->audit = true;
	if (tb[PROCTERM_A_EXIT_STATUS]) {
		if (spec->audit) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[PROCTERM_A_EXIT_STATUS],
					    "an audit rule kills nothing: it takes no exit status");
			return -EINVAL;
		}
		spec->has_status = true;
		spec->status = nla_get_u32(tb[PROCTERM_A_EXIT_STATUS]);
	}
	if (tb[PROCTERM_A_RULE_COUNT])
		spec->count = nla_get_u32(tb[PROCTERM_A_RULE_COUNT]);
	return 0;
}

static int pt_nl_rule_add(struct sk_buff *skb, struct genl_info *info)
{
	struct pt_rule_spec spec = {};
	struct sk_buff *msg;
	void *hdr;
	u32 id;
	int ret;

	ret = pt_rule_permitted(skb, info) ?: pt_rule_precheck(info, &spec);
	if (ret)
		return ret;
	/* The reply first: once the rule is listed, nothing may fail. */
	msg = genlmsg_new(nla_total_size(sizeof(u32)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &pt_genl_family, 0,
				PROCTERM_CMD_RULE_ADD);
	if (!hdr) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	ret = pt_rule_add(&spec, &id, info->extack);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	/* Room was allocated for exactly this attribute. */
	WARN_ON_ONCE(nla_put_u32(msg, PROCTERM_A_RULE_ID, id));
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int pt_nl_rule_del(struct sk_buff *skb, struct genl_info *info)
{
	int ret = pt_rule_permitted(skb, info);

	if (ret)
		return ret;
	/* The core's missing-attribute report, and words for it. */
	if (GENL_REQ_ATTR_CHECK(info, PROCTERM_A_RULE_ID)) {
		NL_SET_ERR_MSG_MOD(info->extack, "missing the rule id to delete");
		return -EINVAL;
	}
	return pt_rule_del(nla_get_u32(info->attrs[PROCTERM_A_RULE_ID]),
			   info->extack);
}

static int pt_nl_rule_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int ret;

	ret = pt_rule_permitted(skb, info);
	if (ret)
		return ret;
	msg = genlmsg_new(nla_total_size(sizeof(u32)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &pt_genl_family, 0,
				PROCTERM_CMD_RULE_FLUSH);
	if (!hdr) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	WARN_ON_ONCE(nla_put_u32(msg, PROCTERM_A_COUNT, pt_rule_flush()));
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * PROCTERM_CMD_PENDING: the armed deferred requests (deferred.c, context
 * in cb->args[0]), then the armed grace kills (grace.c, cb->args[1]);
 * cb->args[2] says which part the dump is in.
 */
static int pt_pending_start(struct netlink_callback *cb)
{
	int ret = pt_deferred_dump_start(cb);

	if (ret)
		return ret;
	ret = pt_grace_dump_start(cb);
	if (ret)
		pt_deferred_dump_done(cb);
	return ret;
}

static int pt_pending_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	int len = skb->len, ret;

	if (!cb->args[2]) {
		ret = pt_deferred_dump(skb, cb);
		if (ret < 0 || skb->len > len)
			return ret;
		cb->args[2] = 1;
	}
	return pt_grace_dump(skb, cb);
}

static int pt_pending_done(struct netlink_callback *cb)
{
	pt_grace_dump_done(cb);
	return pt_deferred_dump_done(cb);
}

static const struct genl_ops pt_genl_ops[] = {
	{
		.cmd = PROCTERM_CMD_KILL,
		.doit = pt_nl_kill,
		.policy = pt_kill_policy,
		.maxattr = PROCTERM_A_MAX,
	},
	{
		.cmd = PROCTERM_CMD_LIST,
		.doit = pt_nl_list_doit,
		.start = pt_list_dump_start,
		.dumpit = pt_list_dump,
		.done = pt_list_dump_done,
		.policy = pt_list_policy,
		.maxattr = PROCTERM_A_MAX,
	},
	{
		.cmd = PROCTERM_CMD_PENDING,
		.start = pt_pending_start,
		.dumpit = pt_pending_dump,
		.done = pt_pending_done,
		.policy = pt_pending_policy,
		.maxattr = PROCTERM_A_MAX,
	},
	{
		.cmd = PROCTERM_CMD_CANCEL,
		.doit = pt_nl_cancel,
		.policy = pt_cancel_policy,
		.maxattr = PROCTERM_A_MAX,
	},
	/*
	 * The rule commands check CAP_SYS_ADMIN in init_user_ns themselves
	 * (GENL_ADMIN_PERM would be CAP_NET_ADMIN), the dump in its .start.
	 */
	{
		.cmd = PROCTERM_CMD_RULE_ADD,
		.doit = pt_nl_rule_add,
		.policy = pt_rule_add_policy,
		.maxattr = PROCTERM_A_MAX,
	},
	{
		.cmd = PROCTERM_CMD_RULE_DEL,
		.doit = pt_nl_rule_del,
		.policy = pt_rule_del_policy,
		.maxattr = PROCTERM_A_MAX,
	},
	{
		.cmd = PROCTERM_CMD_RULE_LIST,
		.start = pt_rule_dump_start,
		.dumpit = pt_rule_dump,
		.done = pt_rule_dump_done,
		.policy = pt_rule_none_policy,
		.maxattr = PROCTERM_A_MAX,
	},
	{
		.cmd = PROCTERM_CMD_RULE_FLUSH,
		.doit = pt_nl_rule_flush,
		.policy = pt_rule_none_policy,
		.maxattr = PROCTERM_A_MAX,
	},
};

#ifdef PT_HAVE_GENL_MCAST_CAP
enum { PT_MCGRP_EVENTS };

static const struct genl_multicast_group pt_genl_mcgrps[] = {
	[PT_MCGRP_EVENTS] = {
		.name = PROCTERM_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};
#endif

static struct genl_family pt_genl_family __ro_after_init = {
	.name = PROCTERM_GENL_NAME,
	.version = PROCTERM_GENL_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = pt_genl_ops,
	.n_ops = ARRAY_SIZE(pt_genl_ops),
	.resv_start_op = PROCTERM_CMD_CANCEL + 1,
#ifdef PT_HAVE_GENL_MCAST_CAP
	.mcgrps = pt_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(pt_genl_mcgrps),
#endif
};

bool pt_genl_events_available(void)
{
#ifdef PT_HAVE_GENL_MCAST_CAP
	return true;
#else
	return false;
#endif
}

/* Does anyone in init_net listen to the events group? */
bool pt_genl_has_listeners(void)
{
#ifdef PT_HAVE_GENL_MCAST_CAP
	return genl_has_listeners(&pt_genl_family, &init_net, PT_MCGRP_EVENTS);
#else
	return false;
#endif
}

/* Multicast @skb (consumed) to the events group in init_net. */
int pt_genl_multicast_events(struct sk_buff *skb)
{
#ifdef PT_HAVE_GENL_MCAST_CAP
	return genlmsg_multicast_netns(&pt_genl_family, &init_net, skb, 0,
				       PT_MCGRP_EVENTS, GFP_KERNEL);
#else
	nlmsg_free(skb);
	return -EOPNOTSUPP;
#endif
}

int __init pt_genl_register(void)
{
	return genl_register_family(&pt_genl_family);
}

void pt_genl_unregister(void)
{
	genl_unregister_family(&pt_genl_family);
}
