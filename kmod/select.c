// SPDX-License-Identifier: GPL-2.0
/*
 * Selectors: PROCTERM_CMD_KILL by PROCTERM_A_SELECT instead of a target.
 * The kernel chooses the processes while it handles the request (the
 * CLI's --name-regex, which narrows a dry run in user space and kills by
 * handle, is the one exception). docs/design.md ("Selectors") has the
 * whole design; in short, three passes, none of which sleeps under RCU or
 * tasklist_lock:
 *  1. The requester's ancestry, once: the signal_structs of its process
 *     and every ancestor, sorted. Then the TGIDs of the requester's PID
 *     namespace, in order (find_ge_pid()), one short RCU section each,
 *     cond_resched() between. A process kill(2)'s credential rule refuses
 *     to the caller (uid rule, CAP_KILL) is not seen at all. For the
 *     others the selectors are judged (comm, effective uid, age, cgroup,
 *     then the resident set under task_lock() from any thread with an mm);
 *     kernel threads, exiting groups, every PID-namespace init and the
 *     requester's ancestry are left out (the protected ones counted). A
 *     match is pinned (task_struct and TGID struct pid): at most
 *     max_select of them (more: E2BIG, nothing done), or with a pick only
 *     the best so far.
 *  2. kill(2)'s verdict on each pinned match (signal 0: the LSM); with
 *     PROCTERM_F_STRICT a refusal ends the request (EPERM) before any
 *     kill.
 *  3. The reply is allocated for every match, then each one still matching
 *     the RCU selectors (re-checked: an exec, rename, setuid or move since
 *     pass 1) is killed through pt_kill_now(), as a kill by PID is (its
 *     exit status, its event), and listed. A PID is held as a struct pid,
 *     so the kill cannot hit a process that took the number meanwhile.
 *     With PROCTERM_F_DRY_RUN nothing is killed and the reply lists what
 *     would be.
 */
#include <linux/bsearch.h>
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
#include <linux/sort.h>
#include <linux/timekeeping.h>
#include <linux/user_namespace.h>
#include <net/genetlink.h>

#include <linux/procterm.h>
#include "procterm.h"

static unsigned int max_select = 512;
module_param(max_select, uint, 0644);
MODULE_PARM_DESC(max_select,
		 "Most processes one selector kill may select (default 512, at most 1024; more: E2BIG)");

/*
 * The reply lists every match in one message, which must be queued on a
 * receive buffer of the default size (rmem_default, 212992 bytes of
 * truesize) with the ACK after it. An entry is at most about 80 bytes, so
 * 1024 of them make a payload under 96 KiB: a 128 KiB kmalloc bucket,
 * about 130 KiB of truesize.
 */
#define PT_SELECT_HARD_MAX	1024U

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

/* One match, pinned in pass 1. */
struct pt_sel_cand {
	struct task_struct *task;	/* the group leader, referenced */
	struct pid *pid;		/* its TGID, referenced */
	u64 start_ns;			/* start_boottime */
	u64 rss;			/* bytes */
	bool chosen;			/* matched, picked and permitted */
	bool denied;			/* matched, picked, refused */
};

struct pt_sel_result {
	u32 protected;
	u32 denied;
	u32 matched;			/* chosen */
	u32 killed;
	u32 refused;			/* SIGKILL refused after signal 0 passed */
	u32 failed;			/* other kill errors */
};

/* The requester's own process and its ancestors, as sorted ->signal. */
struct pt_sel_anc {
	const void **sig;
	unsigned int n;
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
	/* A threshold of 0 holds for every process: no condition at all. */
	if (tb[PROCTERM_SEL_RSS_ABOVE]) {
		s->rss_above = nla_get_u64(tb[PROCTERM_SEL_RSS_ABOVE]);
		if (!s->rss_above) {
			NL_SET_ERR_MSG_ATTR(extack, tb[PROCTERM_SEL_RSS_ABOVE],
					    "an rss threshold of 0 matches every process; give one above 0");
			return -ERANGE;
		}
		s->conds |= PT_SEL_RSS;
	}
	if (tb[PROCTERM_SEL_OLDER_THAN_NS]) {
		s->older_than_ns = nla_get_u64(tb[PROCTERM_SEL_OLDER_THAN_NS]);
		if (!s->older_than_ns) {
			NL_SET_ERR_MSG_ATTR(extack, tb[PROCTERM_SEL_OLDER_THAN_NS],
					    "an age of 0 matches every process; give one above 0");
			return -ERANGE;
		}
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
			} else {
				NL_SET_ERR_MSG_ATTR(extack, tb[PROCTERM_SEL_CGROUP],
						    "the cgroup could not be resolved");
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
	u64 start;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "selector matched outside RCU");
	if (s->conds & (PT_SEL_NAME | PT_SEL_PREFIX)) {
		/*
		 * Under task_lock(), as __set_task_comm() writes it: never a
		 * mix of two names. Allowed under RCU, on RT too.
		 */
		task_lock(p);
		memcpy(comm, p->comm, sizeof(comm));
		task_unlock(p);
		comm[TASK_COMM_LEN - 1] = '\0';
		if ((s->conds & PT_SEL_NAME) && strcmp(comm, s->name))
			return false;
		if ((s->conds & PT_SEL_PREFIX) &&
		    strncmp(comm, s->name, s->name_len))
			return false;
	}
	if ((s->conds & PT_SEL_UID) && !uid_eq(__task_cred(p)->euid, s->uid))
		return false;
	if (s->conds & PT_SEL_AGE) {
		/* Forked after @now (during the walk): not older than anything. */
		start = p->start_boottime;
		if (start >= now || now - start <= s->older_than_ns)
			return false;
	}
	if ((s->conds & PT_SEL_CGROUP) &&
	    !cgroup_is_descendant(task_dfl_cgroup(p), s->cgrp))
		return false;
	return true;
}

static int pt_sel_ptr_cmp(const void *a, const void *b)
{
	const void *x = *(const void * const *)a, *y = *(const void * const *)b;

	return x < y ? -1 : x > y;
}

/*
 * One step up the requester's ancestry: ->real_parent, NULL at init_task.
 * Under tasklist_lock every task on the chain is alive and the chain
 * fixed. Under RCU alone a step may reach a task already reaped; its
 * ->real_parent was alive when it was reaped, so after our
 * rcu_read_lock(), and the walk goes on to init_task all the same.
 */
static struct task_struct *pt_sel_up(struct task_struct *t)
{
	struct task_struct *parent = rcu_dereference_check(t->real_parent,
				pt_tasklist_lock && lockdep_is_held(pt_tasklist_lock));

	return parent == t ? NULL : parent;
}

/*
 * Up to @want signal_structs of the chain into @sig (NULL: only count);
 * *@done: the chain ended within them.
 */
static unsigned int pt_sel_anc_walk(const void **sig, unsigned int want,
				    bool *done)
{
	struct task_struct *t;
	unsigned int n = 0;

	for (t = current; t && (!sig || n < want); t = pt_sel_up(t)) {
		if (sig)
			sig[n] = t->signal;
		n++;
	}
	*done = !t;
	return n;
}

static unsigned int pt_sel_anc_fill(const void **sig, unsigned int want,
				    bool *done)
{
	unsigned int n;

	if (pt_tasklist_lock) {
		read_lock(pt_tasklist_lock);
		n = pt_sel_anc_walk(sig, want, done);
		read_unlock(pt_tasklist_lock);
	} else {
		rcu_read_lock();
		n = pt_sel_anc_walk(sig, want, done);
		rcu_read_unlock();
	}
	return n;
}

#define PT_SEL_ANC_TRIES 8

/*
 * The requester's process and every ancestor (->real_parent up to
 * init_task), once per request, as the sorted addresses of their
 * signal_struct: one per thread group, so a parent thread that does not
 * lead its group protects its group. Counted, allocated outside the lock,
 * filled; again if the chain grew meanwhile.
 *
 * Without tasklist_lock an ancestor reaped during the walk still counts;
 * after the walk its signal_struct may be freed and reused by a new
 * process, which would then be protected too: a failure on the safe side.
 */
static int pt_sel_ancestors(struct pt_sel_anc *a, struct netlink_ext_ack *extack)
{
	unsigned int want, n, tries;
	const void **sig;
	bool done;

	want = pt_sel_anc_fill(NULL, 0, &done);
	for (tries = 0; tries < PT_SEL_ANC_TRIES; tries++) {
		want += 8;
		sig = kvmalloc_array(want, sizeof(*sig), GFP_KERNEL_ACCOUNT);
		if (!sig) {
			NL_SET_ERR_MSG_MOD(extack, "out of memory; nothing was killed");
			return -ENOMEM;
		}
		n = pt_sel_anc_fill(sig, want, &done);
		if (done) {
			sort(sig, n, sizeof(*sig), pt_sel_ptr_cmp, NULL);
			a->sig = sig;
			a->n = n;
			return 0;
		}
		kvfree(sig);
		want *= 2;
	}
	NL_SET_ERR_MSG_MOD(extack, "the caller's ancestry keeps growing; nothing was killed");
	return -EAGAIN;
}

/*
 * Never selected: the init (child reaper) of every PID namespace, PID 1 in
 * its own namespace, the requester's own process and every ancestor of it.
 * Kernel threads are left out earlier.
 */
static bool pt_sel_protected(const struct pt_sel_anc *a, struct task_struct *p,
			     struct pid *tgid)
{
	const void *sig = p->signal;

	if (is_global_init(p) || tgid->numbers[tgid->level].nr == 1)
		return true;
	return bsearch(&sig, a->sig, a->n, sizeof(*a->sig), pt_sel_ptr_cmp);
}

/*
 * The resident set of process @p, from the first of its threads that
 * still has an mm (the leader may have exited while the others run), as
 * find_lock_task_mm() does; task_lock() is allowed under RCU, on RT too.
 * false: no thread has an mm, the process is exiting.
 */
static bool pt_sel_rss_rcu(struct task_struct *p, u64 *rss)
{
	struct task_struct *t;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "threads walked outside RCU");
	for_each_thread(p, t) {
		task_lock(t);
		if (t->mm) {
			*rss = (u64)get_mm_rss(t->mm) << PAGE_SHIFT;
			task_unlock(t);
			return true;
		}
		task_unlock(t);
	}
	return false;
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

static void pt_sel_cand_put(struct pt_sel_cand *c)
{
	put_pid(c->pid);
	if (c->task)
		put_task_struct(c->task);
	c->pid = NULL;
	c->task = NULL;
}

/*
 * The next process visible in @ns from PID *@nr on, judged under one short
 * RCU section. Returns true with *@c pinned for a match not protected
 * (*@nr its PID), false at the end. Protected matches are counted.
 */
static bool pt_sel_next(const struct pt_select *s, const struct pt_sel_anc *a,
			struct pid_namespace *ns, pid_t *nr, u64 now,
			struct pt_sel_cand *c, struct pt_sel_result *res,
			bool *more)
{
	struct task_struct *p;
	struct pid *pid;
	bool found = false;

	rcu_read_lock();
	pid = find_ge_pid(*nr, ns);
	*more = pid;
	if (!pid)
		goto out;
	*nr = pid_nr_ns(pid, ns);
	p = pid_task(pid, PIDTYPE_TGID);
	/* A TGID only: threads and reaped groups have none. */
	if (!p)
		goto out;
	/*
	 * A process kill(2)'s credential rule refuses to the caller is not
	 * seen at all, before any selector is judged: it is not matched,
	 * counted, pinned or picked, so other users' processes can neither
	 * make the request E2BIG nor win its pick, and no selector answers
	 * questions about them (their comm, RSS, start time). The LSM's
	 * verdict comes in pass 2 and is reported (DENIED).
	 */
	if (!pt_cred_may_kill(__task_cred(p)))
		goto out;
	if (!pt_sel_match_rcu(s, p, now))
		goto out;
	if (p->flags & PF_KTHREAD) {
		if (!(s->conds & PT_SEL_RSS))
			res->protected++;
		goto out;
	}
	/* Exiting (or dumping core, which SIGKILL would end): no match. */
	if ((READ_ONCE(p->signal->flags) & SIGNAL_GROUP_EXIT) &&
	    !READ_ONCE(p->signal->core_state))
		goto out;
	if (!pt_sel_rss_rcu(p, &c->rss))
		goto out;
	if ((s->conds & PT_SEL_RSS) && c->rss <= s->rss_above)
		goto out;
	if (pt_sel_protected(a, p, pid)) {
		res->protected++;
		goto out;
	}
	get_task_struct(p);
	c->task = p;
	c->pid = get_pid(pid);
	c->start_ns = p->start_boottime;
	found = true;
out:
	rcu_read_unlock();
	return found;
}

/*
 * Pass 1: the PIDs of the requester's namespace in order, one RCU section
 * each, with cond_resched() between. Only matches are pinned: with a pick
 * only the best so far (@c[0]), so a pick never overflows. Returns the
 * number pinned, or -E2BIG past @max (the caller drops @max pins).
 */
static int pt_sel_collect(const struct pt_select *s, const struct pt_sel_anc *a,
			  struct pt_sel_cand *c, unsigned int max,
			  struct pt_sel_result *res)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	u64 now = ktime_get_boottime_ns();
	struct pt_sel_cand next;
	unsigned int n = 0;
	bool more = true;
	pid_t nr = 1;

	while (more) {
		memset(&next, 0, sizeof(next));
		if (!pt_sel_next(s, a, ns, &nr, now, &next, res, &more)) {
			/* nothing pinned */
		} else if (s->pick == PROCTERM_PICK_ALL) {
			if (n == max) {
				pt_sel_cand_put(&next);
				return -E2BIG;
			}
			c[n++] = next;
		} else if (!n || pt_sel_better(s->pick, &next, &c[0])) {
			if (n)
				pt_sel_cand_put(&c[0]);
			c[0] = next;
			n = 1;
		} else {
			pt_sel_cand_put(&next);
		}
		nr++;
		cond_resched();
	}
	return n;
}

/*
 * Pass 2: kill(2)'s verdict on each match (signal 0). With @strict and not
 * a dry run, -EPERM naming the first refused PID.
 */
static int pt_sel_judge(struct pt_sel_cand *c, unsigned int n, bool strict,
			struct pt_sel_result *res,
			struct netlink_ext_ack *extack)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	pid_t first_denied = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		cond_resched();
		/* Gone or going already: no match, as if not found. */
		if (pt_check_killable(c[i].task, ns, false, NULL))
			continue;
		ret = pt_perm_check(c[i].pid, NULL);
		if (!ret) {
			c[i].chosen = true;
			res->matched++;
		} else if (ret != -ESRCH) {
			/*
			 * EPERM, or EACCES: AppArmor's and SELinux's refusal.
			 * Any other error (audit's ENOMEM, a BPF LSM's errno)
			 * did not permit the kill either: denied too, so that
			 * no raw errno of an LSM reaches the requester.
			 */
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

/* A process the caller may kill: everything. */
static size_t pt_sel_entry_size(void)
{
	return nla_total_size(0) +			/* PROCTERM_A_PROC */
	       nla_total_size(sizeof(u32)) +		/* PID */
	       nla_total_size_64bit(sizeof(u64)) +	/* START_TIME */
	       nla_total_size(TASK_COMM_LEN) +		/* COMM */
	       nla_total_size(sizeof(u32)) +		/* UID */
	       nla_total_size_64bit(sizeof(u64));	/* RSS */
}

/* A denied one: the PID only, which kill(2)'s EPERM reveals anyway. */
static size_t pt_sel_denied_size(void)
{
	return nla_total_size(0) +			/* PROCTERM_A_PROC */
	       nla_total_size(sizeof(u32)) +		/* PID */
	       nla_total_size(sizeof(u32));		/* DENIED */
}

/*
 * One PROCTERM_A_PROC. A denied one (kill(2)'s rules refused it, not
 * killed) carries the PID only: nothing /proc with hidepid= would hide. The
 * comm and uid are the group's now (its leader after an exec in another
 * thread).
 */
static int pt_sel_put_entry(struct sk_buff *msg, const struct pt_sel_cand *c,
			    bool denied)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct task_struct *leader;
	char comm[TASK_COMM_LEN];
	struct nlattr *nest;
	kuid_t euid;

	nest = nla_nest_start(msg, PROCTERM_A_PROC);
	if (!nest || nla_put_u32(msg, PROCTERM_A_PID, pid_nr_ns(c->pid, ns)))
		return -EMSGSIZE;
	if (denied) {
		if (nla_put_u32(msg, PROCTERM_A_DENIED, 1))
			return -EMSGSIZE;
		nla_nest_end(msg, nest);
		return 0;
	}
	rcu_read_lock();
	leader = pid_task(c->pid, PIDTYPE_TGID) ?: c->task;
	task_lock(leader);
	memcpy(comm, leader->comm, sizeof(comm));
	task_unlock(leader);
	comm[TASK_COMM_LEN - 1] = '\0';
	euid = __task_cred(leader)->euid;
	rcu_read_unlock();
	if (pt_put_u64(msg, PROCTERM_A_START_TIME, pt_start_time(c->task)) ||
	    nla_put_string(msg, PROCTERM_A_COMM, comm) ||
	    nla_put_u32(msg, PROCTERM_A_UID,
			from_kuid_munged(current_user_ns(), euid)) ||
	    pt_put_u64(msg, PROCTERM_A_RSS, c->rss))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* Does the group still match the RCU selectors, right before its kill? */
static bool pt_sel_still_matches(const struct pt_select *s,
				 const struct pt_sel_cand *c, u64 now)
{
	struct task_struct *leader;
	bool match;

	rcu_read_lock();
	leader = pid_task(c->pid, PIDTYPE_TGID);
	match = leader && pt_sel_match_rcu(s, leader, now);
	rcu_read_unlock();
	return match;
}

/*
 * Pass 3: kill each chosen process as a kill by PID does, and list it.
 * @msg was sized for every chosen and denied one: a failure to fill it is
 * a bug. A kill sent whose status another request had published first
 * (-EALREADY) is counted killed, as a tree kill counts it.
 */
static void pt_sel_kill_all(const struct pt_select *s, struct pt_sel_cand *c,
			    unsigned int n, const struct pt_kill_req *req,
			    bool dry_run, struct sk_buff *msg,
			    struct pt_sel_result *res)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	u64 now = ktime_get_boottime_ns();
	struct pt_target t;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		cond_resched();
		if (c[i].denied)
			WARN_ON_ONCE(pt_sel_put_entry(msg, &c[i], true));
		if (!c[i].chosen)
			continue;
		if (!dry_run) {
			/* An exec, setuid, rename or move since pass 1. */
			if (!pt_sel_still_matches(s, &c[i], now)) {
				res->matched--;
				continue;
			}
			t.task = c[i].task;
			t.pid = c[i].pid;
			t.nr = pid_nr_ns(c[i].pid, ns);
			t.start_time = pt_start_time(c[i].task);
			ret = pt_kill_now(&t, req, NULL);
			if (ret == -EALREADY)
				ret = 0;
			if (ret == -EPERM || ret == -EACCES) {
				/* Signal 0 was permitted, SIGKILL not (an LSM). */
				res->denied++;
				res->refused++;
				res->matched--;
				WARN_ON_ONCE(pt_sel_put_entry(msg, &c[i], true));
			} else if (ret == -ESRCH) {
				res->matched--;
			} else if (ret) {
				res->failed++;
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
	bool strict = req->flags & PROCTERM_F_STRICT;
	struct pt_sel_result res = {};
	struct pt_sel_anc anc = {};
	struct pt_select s = {};
	struct pt_sel_cand *c;
	unsigned int max, i, n;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (req->has_status && !pt_exitstatus_available()) {
		NL_SET_ERR_MSG_MOD(extack, "exit status rewriting is unavailable on this kernel");
		return -EOPNOTSUPP;
	}
	ret = pt_select_parse(nest, &s, dry_run, extack);
	if (ret)
		return ret;
	ret = pt_sel_ancestors(&anc, extack);
	if (ret)
		goto out_cgroup;

	max = clamp(READ_ONCE(max_select), 1U, PT_SELECT_HARD_MAX);
	c = kvcalloc(max, sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c) {
		NL_SET_ERR_MSG_MOD(extack, "out of memory; nothing was killed");
		ret = -ENOMEM;
		goto out_anc;
	}
	ret = pt_sel_collect(&s, &anc, c, max, &res);
	if (ret < 0) {
#ifdef NL_SET_ERR_MSG_FMT_MOD
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "over max_select (%u) matches; nothing was killed",
				       max);
#else
		NL_SET_ERR_MSG_MOD(extack,
				   "more processes match than the module parameter max_select allows; nothing was killed");
#endif
		n = max;
		goto out;
	}
	n = ret;
	ret = pt_sel_judge(c, n, strict && !dry_run, &res, extack);
	if (ret)
		goto out;

	/* The whole reply before any kill: once killing, nothing may fail. */
	msg = genlmsg_new(4 * nla_total_size(sizeof(u32)) +
			  (req->has_status ? nla_total_size(sizeof(u32)) : 0) +
			  (size_t)res.matched * pt_sel_entry_size() +
			  (size_t)(res.matched + res.denied) * pt_sel_denied_size(),
			  GFP_KERNEL_ACCOUNT);
	if (!msg) {
		NL_SET_ERR_MSG_MOD(extack, "no memory for the reply; nothing was killed");
		ret = -ENOMEM;
		goto out;
	}
	hdr = pt_genlmsg_put(msg, info->snd_portid, info->snd_seq, 0,
			     PROCTERM_CMD_KILL);
	if (!hdr) {
		nlmsg_free(msg);
		NL_SET_ERR_MSG_MOD(extack, "no room for the reply header; nothing was killed");
		ret = -EMSGSIZE;
		goto out;
	}
	i = res.matched;
	pt_sel_kill_all(&s, c, n, req, dry_run, msg, &res);
	WARN_ON_ONCE(nla_put_u32(msg, PROCTERM_A_COUNT, res.killed) ||
		     nla_put_u32(msg, PROCTERM_A_MATCHED, res.matched) ||
		     nla_put_u32(msg, PROCTERM_A_SKIPPED_PROTECTED, res.protected) ||
		     nla_put_u32(msg, PROCTERM_A_DENIED, res.denied) ||
		     (req->has_status &&
		      nla_put_u32(msg, PROCTERM_A_EXIT_STATUS, req->status)));
	genlmsg_end(msg, hdr);
	if (strict && res.refused) {
		/*
		 * As a tree kill: some live although signal 0 was permitted,
		 * others are dead. The reply lists both, then the ACK says
		 * EPERM.
		 */
#ifdef NL_SET_ERR_MSG_FMT_MOD
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "%u of %u killed; %u refused SIGKILL and live",
				       res.killed, i, res.refused);
#else
		NL_SET_ERR_MSG_MOD(extack,
				   "some matches refused SIGKILL and live; the others were killed");
#endif
		genlmsg_reply(msg, info);
		ret = -EPERM;
		goto out;
	}
	ret = genlmsg_reply(msg, info);
	if (ret && res.killed) {
		/* Killed is killed: no error, whose meaning is "nothing done". */
#ifdef NL_SET_ERR_MSG_FMT_MOD
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "%u processes were killed (%u could not be); the reply was lost",
				       res.killed, res.failed);
#else
		NL_SET_ERR_MSG_MOD(extack, "processes were killed; the reply was lost");
#endif
		ret = 0;
	} else if (ret) {
		/* netlink_attachskb()'s EAGAIN is not worth a retry. */
		NL_SET_ERR_MSG_MOD(extack,
				   "the reply was lost (unread messages fill the receive buffer?); nothing was killed");
		ret = -ENOBUFS;
	} else if (res.failed) {
#ifdef NL_SET_ERR_MSG_FMT_MOD
		NL_SET_ERR_MSG_FMT_MOD(extack, "%u of %u matches could not be killed",
				       res.failed, res.matched);
#else
		NL_SET_ERR_MSG_MOD(extack, "some matches could not be killed");
#endif
	}
out:
	for (i = 0; i < n; i++)
		pt_sel_cand_put(&c[i]);
	kvfree(c);
out_anc:
	kvfree(anc.sig);
out_cgroup:
	if (s.cgrp)
		cgroup_put(s.cgrp);
	return ret;
}
