// SPDX-License-Identifier: GPL-2.0
/*
 * Selectors: PROCTERM_CMD_KILL by PROCTERM_A_SELECT instead of a target.
 * The kernel chooses the processes at the moment of the kill, so there is
 * no window between listing and killing (the CLI's --name-regex, which
 * narrows the kernel's answer in user space, is the one exception).
 *
 * Three passes, none of which sleeps under RCU:
 *  1. Under rcu_read_lock(), for_each_process() over the processes visible
 *     in the requester's PID namespace: the selectors that need no
 *     reference (comm, effective uid, age, cgroup) are judged, and each
 *     candidate is pinned (task_struct and TGID struct pid) into an array
 *     of at most max_select entries, allocated before the walk. More
 *     candidates than that: E2BIG, nothing done.
 *  2. Outside RCU, with the references held: the resident set size
 *     (get_task_mm()), the protected processes (PID 1, kernel threads, the
 *     requester's own process and its ancestors: never selected, counted),
 *     the pick (oldest, newest, largest), then kill(2)'s verdict on each
 *     match (signal 0, as for a single kill: uid rules, CAP_KILL, LSMs).
 *     With PROCTERM_F_STRICT one refusal ends the request (EPERM) before
 *     anything is killed.
 *  3. The reply is allocated for the matches, then each is killed through
 *     pt_kill_now(), the path a kill by PID takes (its exit status, its
 *     event), and listed in the reply. With PROCTERM_F_DRY_RUN nothing is
 *     killed and the reply lists what would be.
 */
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/user_namespace.h>
#include <net/genetlink.h>

#include <linux/procterm.h>
#include "procterm.h"

static unsigned int max_select = 4096;
module_param(max_select, uint, 0644);
MODULE_PARM_DESC(max_select,
		 "Most candidate processes one selector kill may pin (default 4096; more: E2BIG)");

/* Room for the largest max_select: a reply (and an array) in bounds. */
#define PT_SELECT_HARD_MAX	65536U

const struct nla_policy pt_select_policy[PROCTERM_SEL_MAX + 1] = {
	[PROCTERM_SEL_NAME]	   = { .type = NLA_NUL_STRING, .len = TASK_COMM_LEN - 1 },
	[PROCTERM_SEL_NAME_PREFIX] = { .type = NLA_NUL_STRING, .len = TASK_COMM_LEN - 1 },
	[PROCTERM_SEL_UID]	   = { .type = NLA_U32 },
	[PROCTERM_SEL_RSS_ABOVE]   = { .type = NLA_U64 },
	[PROCTERM_SEL_OLDER_THAN_NS] = { .type = NLA_U64 },
	[PROCTERM_SEL_CGROUP]	   = { .type = NLA_NUL_STRING,
				       .len = PROCTERM_RULE_PATH_LEN - 1 },
	[PROCTERM_SEL_PICK]	   = NLA_POLICY_MAX(NLA_U32, __PROCTERM_PICK_MAX - 1),
};

enum {
	PT_SEL_NAME	= 1U << 0,
	PT_SEL_PREFIX	= 1U << 1,
	PT_SEL_UID	= 1U << 2,
	PT_SEL_RSS	= 1U << 3,
	PT_SEL_AGE	= 1U << 4,
	PT_SEL_CGROUP	= 1U << 5,
};

struct pt_select {
	u32 conds;			/* PT_SEL_* */
	char name[TASK_COMM_LEN];	/* PT_SEL_NAME or PT_SEL_PREFIX */
	size_t name_len;
	kuid_t uid;
	u64 rss_above;			/* bytes */
	u64 older_than_ns;
	struct cgroup *cgrp;		/* referenced */
	u32 pick;			/* PROCTERM_PICK_* */
};

/* One candidate, pinned in pass 1. */
struct pt_sel_cand {
	struct task_struct *task;	/* the group leader, referenced */
	struct pid *pid;		/* its TGID, referenced */
	u64 start_ns;			/* start_boottime */
	u64 rss;			/* bytes */
	bool protected;
	bool chosen;			/* matched, picked and permitted */
	bool denied;			/* matched, picked, refused */
};

struct pt_sel_result {
	u32 protected;
	u32 denied;
	u32 matched;			/* chosen */
	u32 killed;
};

static int pt_select_parse(const struct nlattr *nest, struct pt_select *s,
			   bool dry_run, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[PROCTERM_SEL_MAX + 1];
	const char *str;
	int ret;

	ret = nla_parse_nested(tb, PROCTERM_SEL_MAX, nest, pt_select_policy,
			       extack);
	if (ret)
		return ret;
	if (tb[PROCTERM_SEL_NAME] && tb[PROCTERM_SEL_NAME_PREFIX]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[PROCTERM_SEL_NAME_PREFIX],
				    "give an exact name or a name prefix, not both");
		return -EINVAL;
	}
	if (tb[PROCTERM_SEL_NAME] || tb[PROCTERM_SEL_NAME_PREFIX]) {
		struct nlattr *a = tb[PROCTERM_SEL_NAME] ?: tb[PROCTERM_SEL_NAME_PREFIX];

		str = nla_data(a);
		if (!str[0]) {
			NL_SET_ERR_MSG_ATTR(extack, a, "an empty name");
			return -EINVAL;
		}
		s->name_len = strscpy(s->name, str, sizeof(s->name));
		s->conds |= tb[PROCTERM_SEL_NAME] ? PT_SEL_NAME : PT_SEL_PREFIX;
	}
	if (tb[PROCTERM_SEL_UID]) {
		s->uid = make_kuid(current_user_ns(),
				   nla_get_u32(tb[PROCTERM_SEL_UID]));
		if (!uid_valid(s->uid)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[PROCTERM_SEL_UID],
					    "not a valid uid in the caller's user namespace");
			return -EINVAL;
		}
		s->conds |= PT_SEL_UID;
	}
	if (tb[PROCTERM_SEL_RSS_ABOVE]) {
		s->rss_above = nla_get_u64(tb[PROCTERM_SEL_RSS_ABOVE]);
		s->conds |= PT_SEL_RSS;
	}
	if (tb[PROCTERM_SEL_OLDER_THAN_NS]) {
		s->older_than_ns = nla_get_u64(tb[PROCTERM_SEL_OLDER_THAN_NS]);
		s->conds |= PT_SEL_AGE;
	}
	if (tb[PROCTERM_SEL_PICK])
		s->pick = nla_get_u32(tb[PROCTERM_SEL_PICK]);
	/* A dry run may list everything (the CLI's --name-regex filters). */
	if (!s->conds && !tb[PROCTERM_SEL_CGROUP] && !dry_run) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "a kill by selectors needs a condition (name, prefix, uid, rss, age or cgroup)");
		return -EINVAL;
	}
	if (tb[PROCTERM_SEL_CGROUP]) {
		str = nla_data(tb[PROCTERM_SEL_CGROUP]);
		if (str[0] != '/') {
			NL_SET_ERR_MSG_ATTR(extack, tb[PROCTERM_SEL_CGROUP],
					    "the cgroup path must be absolute");
			return -EINVAL;
		}
		/* Last: the one step that takes a reference. */
		s->cgrp = cgroup_get_from_path(str);
		if (IS_ERR(s->cgrp)) {
			ret = PTR_ERR(s->cgrp);
			s->cgrp = NULL;
			if (ret == -ENOENT || ret == -ENOTDIR) {
				NL_SET_ERR_MSG_ATTR(extack, tb[PROCTERM_SEL_CGROUP],
						    "no such cgroup (a cgroup v2 path)");
				ret = -ENOENT;
			}
			return ret;
		}
		s->conds |= PT_SEL_CGROUP;
	}
	return 0;
}

/* The selectors judged under RCU: comm, effective uid, age, cgroup. */
static bool pt_sel_match_rcu(const struct pt_select *s, struct task_struct *p,
			     u64 now)
{
	char comm[TASK_COMM_LEN];

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "selector matched outside RCU");
	if (s->conds & (PT_SEL_NAME | PT_SEL_PREFIX)) {
		/* Racy against a rename, but NUL-terminated. */
		memcpy(comm, p->comm, sizeof(comm));
		comm[TASK_COMM_LEN - 1] = '\0';
		if ((s->conds & PT_SEL_NAME) && strcmp(comm, s->name))
			return false;
		if ((s->conds & PT_SEL_PREFIX) &&
		    strncmp(comm, s->name, s->name_len))
			return false;
	}
	if ((s->conds & PT_SEL_UID) && !uid_eq(__task_cred(p)->euid, s->uid))
		return false;
	if ((s->conds & PT_SEL_AGE) &&
	    now - p->start_boottime <= s->older_than_ns)
		return false;
	if ((s->conds & PT_SEL_CGROUP) &&
	    !cgroup_is_descendant(task_dfl_cgroup(p), s->cgrp))
		return false;
	return true;
}

/*
 * Never selected: PID 1 of the initial and of the requester's PID
 * namespace, the requester's own process, and every ancestor of it
 * (->real_parent up to init_task, each step only from a task still
 * hashed, as /proc follows it). Kernel threads are left out earlier.
 */
static bool pt_sel_protected(struct task_struct *p, pid_t nr)
{
	struct task_struct *t = current, *parent;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "ancestry walked outside RCU");
	if (is_global_init(p) || nr == 1 || same_thread_group(p, current))
		return true;
	while (pid_alive(t)) {
		parent = rcu_dereference(t->real_parent);
		if (parent == t)
			break;
		if (same_thread_group(parent, p))
			return true;
		t = parent;
	}
	return false;
}

/*
 * Pass 1. Returns the number of candidates pinned, or -E2BIG when there
 * were more than @max (all dropped by the caller); kernel threads that
 * match are only counted (they have no memory: never above an RSS).
 */
static int pt_sel_collect(const struct pt_select *s, struct pt_sel_cand *c,
			  unsigned int max, struct pt_sel_result *res)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	u64 now = ktime_get_boottime_ns();
	struct task_struct *p;
	unsigned int n = 0;
	int ret = 0;
	pid_t nr;

	rcu_read_lock();
	for_each_process(p) {
		nr = task_tgid_nr_ns(p, ns);
		if (!nr || !pt_sel_match_rcu(s, p, now))
			continue;
		if (p->flags & PF_KTHREAD) {
			if (!(s->conds & PT_SEL_RSS))
				res->protected++;
			continue;
		}
		if (n == max) {
			ret = -E2BIG;
			break;
		}
		get_task_struct(p);
		c[n].task = p;
		c[n].pid = get_pid(task_tgid(p));
		c[n].start_ns = p->start_boottime;
		c[n].protected = pt_sel_protected(p, nr);
		n++;
	}
	rcu_read_unlock();
	return ret ?: n;
}

static u64 pt_sel_rss(struct task_struct *task)
{
	struct mm_struct *mm = get_task_mm(task);
	u64 rss;

	if (!mm)
		return 0;
	rss = (u64)get_mm_rss(mm) << PAGE_SHIFT;
	mmput(mm);
	return rss;
}

/* Is @a a better pick than @b? */
static bool pt_sel_better(u32 pick, const struct pt_sel_cand *a,
			  const struct pt_sel_cand *b)
{
	switch (pick) {
	case PROCTERM_PICK_OLDEST:
		return a->start_ns < b->start_ns;
	case PROCTERM_PICK_NEWEST:
		return a->start_ns > b->start_ns;
	case PROCTERM_PICK_LARGEST:
		return a->rss > b->rss;
	}
	return false;
}

/*
 * Pass 2: the RSS selector, the protected ones, the pick, then kill(2)'s
 * verdict. With @strict, -EPERM naming the first refused PID.
 */
static int pt_sel_judge(const struct pt_select *s, struct pt_sel_cand *c,
			unsigned int n, bool strict, struct pt_sel_result *res,
			struct netlink_ext_ack *extack)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct pt_sel_cand *best = NULL;
	pid_t first_denied = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		struct task_struct *task = c[i].task;

		/* Gone or going already: no match, as if not found. */
		if (pt_check_killable(task, ns, false, NULL) &&
		    !c[i].protected)
			continue;
		c[i].rss = pt_sel_rss(task);
		if ((s->conds & PT_SEL_RSS) && c[i].rss <= s->rss_above)
			continue;
		if (c[i].protected) {
			res->protected++;
			continue;
		}
		c[i].chosen = true;
		if (s->pick != PROCTERM_PICK_ALL &&
		    (!best || pt_sel_better(s->pick, &c[i], best)))
			best = &c[i];
	}
	if (best)
		for (i = 0; i < n; i++)
			c[i].chosen = &c[i] == best;

	for (i = 0; i < n; i++) {
		if (!c[i].chosen)
			continue;
		ret = pt_perm_check(c[i].pid, NULL);
		if (!ret) {
			res->matched++;
			continue;
		}
		c[i].chosen = false;
		if (ret == -EPERM) {
			c[i].denied = true;
			res->denied++;
			if (!first_denied)
				first_denied = pid_nr_ns(c[i].pid, ns);
		}
		/* -ESRCH: gone meanwhile, no match. */
	}
	if (strict && res->denied) {
#ifdef NL_SET_ERR_MSG_FMT_MOD
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "strict: not permitted to kill PID %d; nothing killed",
				       first_denied);
#else
		NL_SET_ERR_MSG_MOD(extack,
				   "not permitted to kill some matches; strict: nothing was killed");
#endif
		return -EPERM;
	}
	return 0;
}

static size_t pt_sel_entry_size(void)
{
	return nla_total_size(0) +			/* PROCTERM_A_PROC */
	       nla_total_size(sizeof(u32)) +		/* PID */
	       nla_total_size_64bit(sizeof(u64)) +	/* START_TIME */
	       nla_total_size(TASK_COMM_LEN) +		/* COMM */
	       nla_total_size(sizeof(u32)) +		/* UID */
	       nla_total_size_64bit(sizeof(u64)) +	/* RSS */
	       nla_total_size(sizeof(u32));		/* DENIED */
}

/* One PROCTERM_A_PROC; @denied: refused by kill(2)'s rules, not killed. */
static int pt_sel_put_entry(struct sk_buff *msg, const struct pt_sel_cand *c,
			    bool denied)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	char comm[TASK_COMM_LEN];
	struct nlattr *nest;

	get_task_comm(comm, c->task);
	nest = nla_nest_start(msg, PROCTERM_A_PROC);
	if (!nest ||
	    nla_put_u32(msg, PROCTERM_A_PID, pid_nr_ns(c->pid, ns)) ||
	    pt_put_u64(msg, PROCTERM_A_START_TIME, pt_start_time(c->task)) ||
	    nla_put_string(msg, PROCTERM_A_COMM, comm) ||
	    nla_put_u32(msg, PROCTERM_A_UID,
			from_kuid_munged(current_user_ns(), task_euid(c->task))) ||
	    pt_put_u64(msg, PROCTERM_A_RSS, c->rss) ||
	    (denied && nla_put_u32(msg, PROCTERM_A_DENIED, 1)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/*
 * Pass 3: kill each chosen process as a kill by PID does, and list it.
 * @msg was sized for every chosen one: a failure to fill it is a bug.
 */
static void pt_sel_kill_all(struct pt_sel_cand *c, unsigned int n,
			    const struct pt_kill_req *req, bool dry_run,
			    struct sk_buff *msg, struct pt_sel_result *res)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct pt_target t;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		if (c[i].denied)
			WARN_ON_ONCE(pt_sel_put_entry(msg, &c[i], true));
		if (!c[i].chosen)
			continue;
		if (!dry_run) {
			t.task = c[i].task;
			t.pid = c[i].pid;
			t.nr = pid_nr_ns(c[i].pid, ns);
			t.start_time = pt_start_time(c[i].task);
			ret = pt_kill_now(&t, req, NULL);
			if (ret == -EPERM) {
				/* Signal 0 was permitted, SIGKILL not (an LSM). */
				res->denied++;
				WARN_ON_ONCE(pt_sel_put_entry(msg, &c[i], true));
			}
			if (ret)
				continue;
			res->killed++;
		}
		WARN_ON_ONCE(pt_sel_put_entry(msg, &c[i], false));
	}
}

int pt_select_kill(struct genl_info *info, const struct nlattr *nest,
		   const struct pt_kill_req *req)
{
	struct netlink_ext_ack *extack = info->extack;
	bool dry_run = req->flags & PROCTERM_F_DRY_RUN;
	struct pt_sel_result res = {};
	struct pt_select s = {};
	struct pt_sel_cand *c;
	unsigned int max, i;
	struct sk_buff *msg;
	void *hdr;
	int n, ret;

	if (req->has_status && !pt_exitstatus_available()) {
		NL_SET_ERR_MSG_MOD(extack, "exit status rewriting is unavailable on this kernel");
		return -EOPNOTSUPP;
	}
	ret = pt_select_parse(nest, &s, dry_run, extack);
	if (ret)
		return ret;

	max = min(READ_ONCE(max_select), PT_SELECT_HARD_MAX);
	c = kvcalloc(max ?: 1, sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c) {
		ret = -ENOMEM;
		goto out_cgroup;
	}
	n = pt_sel_collect(&s, c, max, &res);
	if (n < 0) {
#ifdef NL_SET_ERR_MSG_FMT_MOD
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "over max_select (%u) matches; nothing was killed",
				       max);
#else
		NL_SET_ERR_MSG_MOD(extack,
				   "more processes match than the module parameter max_select allows; nothing was killed");
#endif
		ret = n;
		n = max;
		goto out;
	}
	ret = pt_sel_judge(&s, c, n, req->flags & PROCTERM_F_STRICT, &res,
			   extack);
	if (ret)
		goto out;

	/* The whole reply before any kill: once killing, nothing may fail. */
	msg = genlmsg_new(4 * nla_total_size(sizeof(u32)) +
			  (req->has_status ? nla_total_size(sizeof(u32)) : 0) +
			  (size_t)(res.matched + res.denied) * pt_sel_entry_size(),
			  GFP_KERNEL);
	if (!msg) {
		NL_SET_ERR_MSG_MOD(extack, "no memory for the reply; nothing was killed");
		ret = -ENOMEM;
		goto out;
	}
	hdr = pt_genlmsg_put(msg, info->snd_portid, info->snd_seq, 0,
			     PROCTERM_CMD_KILL);
	if (!hdr) {
		nlmsg_free(msg);
		ret = -EMSGSIZE;
		goto out;
	}
	pt_sel_kill_all(c, n, req, dry_run, msg, &res);
	WARN_ON_ONCE(nla_put_u32(msg, PROCTERM_A_COUNT, res.killed) ||
		     nla_put_u32(msg, PROCTERM_A_MATCHED, res.matched) ||
		     nla_put_u32(msg, PROCTERM_A_SKIPPED_PROTECTED, res.protected) ||
		     nla_put_u32(msg, PROCTERM_A_DENIED, res.denied) ||
		     (req->has_status &&
		      nla_put_u32(msg, PROCTERM_A_EXIT_STATUS, req->status)));
	genlmsg_end(msg, hdr);
	ret = genlmsg_reply(msg, info);
out:
	for (i = 0; i < n; i++) {
		put_pid(c[i].pid);
		put_task_struct(c[i].task);
	}
	kvfree(c);
out_cgroup:
	if (s.cgrp)
		cgroup_put(s.cgrp);
	return ret;
}
