// SPDX-License-Identifier: GPL-2.0
/*
 * What a requester may keep in the kernel, and the module's counters.
 *
 * Everything a request leaves behind after its doit returns (an armed
 * deferred request, its queued task works, a waiter, an armed grace
 * kill) is charged to the
 * requester's kuid, and refused with -EDQUOT beyond a per-user limit. The
 * limits are module parameters; a requester with CAP_SYS_ADMIN in the
 * initial user namespace gets PT_ADMIN_FACTOR times each. Event records
 * (events.c) are charged too, against a share of the global max_events:
 * 1/PT_ADMIN_FACTOR of it, all of it for such an admin; over it the event
 * is lost (a sequence gap), the kill happens all the same. Since the budget
 * is per kuid, one user cannot use up another's, root's included. The kuid
 * charged is the requester's own, unless the requester is inside a user
 * namespace that a user other than root created (directly or further up):
 * then it is the outermost such creator, so that the subordinate uids a
 * user may map into its namespaces (/etc/subuid) do not multiply that
 * user's budget. Namespaces root creates (containers, PrivateUsers=) map
 * kuids root chose; their users are charged as themselves.
 *
 * A struct pt_user exists while anything is charged to it or a request
 * holds it: every charged object holds a reference. pt_users_lock (a
 * spinlock: uncharging may happen under a read-held tasklist_lock) guards
 * the hash table and the reference counts; the counters are atomics.
 *
 * Every allocation made on a requester's behalf is memcg-accounted
 * (GFP_KERNEL_ACCOUNT), this one included.
 */
#include <linux/atomic.h>
#include <linux/cred.h>
#include <linux/user_namespace.h>
#include <linux/debugfs.h>
#include <linux/hashtable.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <net/genetlink.h>

#include "procterm.h"

#define PT_ADMIN_FACTOR 16

static unsigned int max_deferred = 256;
module_param(max_deferred, uint, 0644);
MODULE_PARM_DESC(max_deferred, "armed deferred requests per user (x16 for CAP_SYS_ADMIN)");

static unsigned int max_works = 16384;
module_param(max_works, uint, 0644);
MODULE_PARM_DESC(max_works, "queued deferred task works per user (x16 for CAP_SYS_ADMIN)");

static unsigned int max_waiters = 256;
module_param(max_waiters, uint, 0644);
MODULE_PARM_DESC(max_waiters, "waiters (PROCTERM_F_WAIT) per user (x16 for CAP_SYS_ADMIN)");

static unsigned int max_grace = 256;
module_param(max_grace, uint, 0644);
MODULE_PARM_DESC(max_grace, "armed grace kills (--grace) per user (x16 for CAP_SYS_ADMIN)");

static unsigned int max_grace_nodes = 65536;
module_param(max_grace_nodes, uint, 0644);
MODULE_PARM_DESC(max_grace_nodes, "tracking nodes of grace tree kills per user (x16 for CAP_SYS_ADMIN)");

struct pt_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int refs;		/* under pt_users_lock */
	atomic_t used[PT_RES_NR];
};

#define PT_USERS_BITS 6
static DEFINE_HASHTABLE(pt_users, PT_USERS_BITS);
static DEFINE_SPINLOCK(pt_users_lock);

static atomic_t pt_stats[PT_STAT_NR];
static struct dentry *pt_debugfs;

static const char * const pt_stat_names[PT_STAT_NR] = {
	[PT_STAT_WAITERS]	= "waiters",
	[PT_STAT_DEFERRED]	= "deferred",
	[PT_STAT_WORKS]		= "deferred_works",
	[PT_STAT_STATUS]	= "status",
	[PT_STAT_USERS]		= "users",
	[PT_STAT_REFUSED]	= "deferred_refused",
	[PT_STAT_EVENTS]	= "events",
	[PT_STAT_EVENTS_SENT]	= "events_sent",
	[PT_STAT_EVENTS_LOST]	= "events_lost",
	[PT_STAT_EVENTS_FAILED]	= "events_send_failed",
	[PT_STAT_EVENTS_DUP]	= "events_duplicate",
	[PT_STAT_GRACE]		= "grace",
	[PT_STAT_GRACE_NODES]	= "grace_nodes",
	[PT_STAT_GRACE_REFUSED]	= "grace_refused",
	[PT_STAT_GRACE_OVERFLOW] = "grace_overflow",
	[PT_STAT_GRACE_DENIED]	= "grace_denied",
	[PT_STAT_RULES]		= "rules",
	[PT_STAT_RULE_FIRED]	= "rule_fired",
	[PT_STAT_RULE_MISSED]	= "rule_missed",
	[PT_STAT_RULE_REFUSED]	= "rule_refused",
};

static const char * const pt_res_names[PT_RES_NR] __maybe_unused = {
	[PT_RES_DEFERRED]	= "max_deferred",
	[PT_RES_WORKS]		= "max_works",
	[PT_RES_WAITERS]	= "max_waiters",
	[PT_RES_EVENTS]		= "max_events",
	[PT_RES_GRACE]		= "max_grace",
	[PT_RES_GRACE_NODES]	= "max_grace_nodes",
};

void pt_stat_add(enum pt_stat s, int n)
{
	atomic_add(n, &pt_stats[s]);
}

static struct pt_user *pt_user_find(kuid_t uid)
{
	struct pt_user *u;

	lockdep_assert_held(&pt_users_lock);
	hash_for_each_possible(pt_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/* Who a request from @cred is charged to (see the top of this file). */
kuid_t pt_charge_uid(const struct cred *cred)
{
	const struct user_namespace *ns;
	kuid_t uid = cred->uid;

	for (ns = cred->user_ns; ns != &init_user_ns; ns = ns->parent)
		if (!uid_eq(ns->owner, GLOBAL_ROOT_UID))
			uid = ns->owner;
	return uid;
}

/* A referenced accounting entry for @uid, or NULL. Process context. */
struct pt_user *pt_user_get(kuid_t uid)
{
	struct pt_user *u, *fresh;
	int i;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	if (!fresh)
		return NULL;
	fresh->uid = uid;
	for (i = 0; i < PT_RES_NR; i++)
		atomic_set(&fresh->used[i], 0);

	spin_lock(&pt_users_lock);
	u = pt_user_find(uid);
	if (!u) {
		u = fresh;
		fresh = NULL;
		hash_add(pt_users, &u->node, __kuid_val(uid));
		pt_stat_add(PT_STAT_USERS, 1);
	}
	u->refs++;
	spin_unlock(&pt_users_lock);
	kfree(fresh);
	return u;
}

/* Another reference to @u, which the caller holds. Atomic-safe. */
void pt_user_hold(struct pt_user *u)
{
	spin_lock(&pt_users_lock);
	WARN_ON_ONCE(!u->refs);
	u->refs++;
	spin_unlock(&pt_users_lock);
}

void pt_user_put(struct pt_user *u)
{
	bool last;

	if (!u)
		return;
	spin_lock(&pt_users_lock);
	last = !--u->refs;
	if (last) {
		hash_del(&u->node);
		pt_stat_add(PT_STAT_USERS, -1);
	}
	spin_unlock(&pt_users_lock);
	if (last) {
		WARN_ON_ONCE(atomic_read(&u->used[PT_RES_DEFERRED]) ||
			     atomic_read(&u->used[PT_RES_WORKS]) ||
			     atomic_read(&u->used[PT_RES_WAITERS]) ||
			     atomic_read(&u->used[PT_RES_EVENTS]) ||
			     atomic_read(&u->used[PT_RES_GRACE]) ||
			     atomic_read(&u->used[PT_RES_GRACE_NODES]));
		kfree(u);
	}
}

static unsigned int pt_limit(enum pt_res res, bool admin)
{
	unsigned int lim;

	switch (res) {
	case PT_RES_DEFERRED:
		lim = READ_ONCE(max_deferred);
		break;
	case PT_RES_WORKS:
		lim = READ_ONCE(max_works);
		break;
	case PT_RES_EVENTS:
		/*
		 * A share of the global max_events (events.c): 1/16 of it,
		 * all of it for an admin, so that one user holding records
		 * (victims that do not die) cannot take every other user's.
		 */
		lim = pt_events_max();
		if (!admin)
			lim = DIV_ROUND_UP(lim, PT_ADMIN_FACTOR);
		return min_t(unsigned int, lim, INT_MAX);
	case PT_RES_GRACE:
		lim = READ_ONCE(max_grace);
		break;
	case PT_RES_GRACE_NODES:
		lim = READ_ONCE(max_grace_nodes);
		break;
	default:
		lim = READ_ONCE(max_waiters);
		break;
	}
	if (admin)
		lim = lim > INT_MAX / PT_ADMIN_FACTOR ? INT_MAX : lim * PT_ADMIN_FACTOR;
	/* The counters are atomic_t. */
	return min_t(unsigned int, lim, INT_MAX);
}

static void pt_limit_errmsg(enum pt_res res, unsigned int lim,
			    struct netlink_ext_ack *extack)
{
#ifdef NL_SET_ERR_MSG_FMT_MOD
	NL_SET_ERR_MSG_FMT_MOD(extack, "per-user limit %s (%u) reached",
			       pt_res_names[res], lim);
#else
	switch (res) {
	case PT_RES_DEFERRED:
		NL_SET_ERR_MSG_MOD(extack, "per-user limit max_deferred reached");
		break;
	case PT_RES_WORKS:
		NL_SET_ERR_MSG_MOD(extack, "per-user limit max_works reached");
		break;
	case PT_RES_EVENTS:
		NL_SET_ERR_MSG_MOD(extack, "per-user share of max_events reached");
		break;
	case PT_RES_GRACE:
		NL_SET_ERR_MSG_MOD(extack, "per-user limit max_grace reached");
		break;
	case PT_RES_GRACE_NODES:
		NL_SET_ERR_MSG_MOD(extack, "per-user limit max_grace_nodes reached");
		break;
	default:
		NL_SET_ERR_MSG_MOD(extack, "per-user limit max_waiters reached");
		break;
	}
#endif
}

/*
 * Charge @n of @res to @u, or -EDQUOT with nothing charged. Atomic-safe:
 * the tree kill charges its works under a read-held tasklist_lock.
 */
int pt_charge(struct pt_user *u, enum pt_res res, unsigned int n, bool admin,
	      struct netlink_ext_ack *extack)
{
	unsigned int lim = pt_limit(res, admin);
	int old, new;

	old = atomic_read(&u->used[res]);
	do {
		if (n > lim || (unsigned int)old > lim - n) {
			pt_limit_errmsg(res, lim, extack);
			return -EDQUOT;
		}
		new = old + n;
	} while (!atomic_try_cmpxchg(&u->used[res], &old, new));
	return 0;
}

void pt_uncharge(struct pt_user *u, enum pt_res res, unsigned int n)
{
	WARN_ON_ONCE(atomic_sub_return(n, &u->used[res]) < 0);
}

static int pt_counters_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < PT_STAT_NR; i++)
		seq_printf(m, "%s %d\n", pt_stat_names[i], atomic_read(&pt_stats[i]));
	seq_printf(m, "feature_exit_status %d\n", pt_exitstatus_available());
	seq_printf(m, "feature_tree %d\n", !!pt_tasklist_lock);
	seq_printf(m, "feature_events %d\n", pt_genl_events_available());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pt_counters);

/* The counters in debugfs (procterm/counters), for tests and debugging. */
int pt_limits_init(void)
{
	pt_debugfs = debugfs_create_dir("procterm", NULL);
	debugfs_create_file("counters", 0400, pt_debugfs, NULL, &pt_counters_fops);
	return 0;
}

void pt_limits_exit(void)
{
	debugfs_remove_recursive(pt_debugfs);
	WARN_ON(!hash_empty(pt_users));
}
