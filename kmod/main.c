// SPDX-License-Identifier: GPL-2.0
/*
 * procterm: terminate processes from the kernel.
 *
 * Initialisation only. ORDER: the counters first and last (everything
 * charges them); tasklist_lock is looked up before the exit-status probe
 * is registered; the waiters' pernet hook and the probe must be in place
 * before the first request can arrive, so the generic netlink family is
 * registered last and unregistered first.
 */
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <net/genetlink.h>

#include <linux/procterm.h>
#include "procterm.h"

static int __init procterm_init(void)
{
	int ret;

	ret = pt_limits_init();
	if (ret)
		return ret;

	/* Before the exit-status probe: publishing a status needs the lock. */
	ret = pt_tree_init();
	if (ret)
		pr_warn("tasklist_lock not found (%d): whole-tree kill, deferred termination and exit statuses unavailable\n",
			ret);

	ret = pt_exitstatus_init();
	if (ret) {
		pr_warn("exit status tracking unavailable (%d)\n", ret);
		/* Not fatal: requests needing it get -EOPNOTSUPP. */
	}

	/* Not fatal either: rule requests get -EOPNOTSUPP. */
	ret = pt_rules_init();
	if (ret)
		pr_warn("sched_process_exec not probed (%d): exec rules unavailable\n",
			ret);

	ret = pt_grace_init();
	if (ret) {
		pr_warn("cannot set up grace kills (%d)\n", ret);
		goto err_grace;
	}

	ret = pt_waiter_init();
	if (ret) {
		pr_warn("cannot register the waiters' namespace hook (%d)\n", ret);
		goto err_waiter;
	}

	ret = pt_genl_register();
	if (ret) {
		pr_warn("cannot register generic netlink family (%d)\n", ret);
		goto err_genl;
	}

	pr_info("loaded\n");
	return 0;

err_genl:
	pt_waiter_exit();
err_waiter:
	pt_grace_exit();
err_grace:
	pt_rules_exit();
	pt_exitstatus_exit();
	pt_limits_exit();
	return ret;
}

static void __exit procterm_exit(void)
{
	/* No event is sent once the family and its group may be gone. */
	pt_events_stop();
	pt_genl_unregister();
	pt_deferred_exit();
	pt_waiter_exit();
	pt_events_exit();
	pt_grace_exit();
	pt_rules_exit();
	pt_exitstatus_exit();
	/*
	 * Queued task_work callbacks hold a module reference each, so none is
	 * left; wait until every task that ran one has left its text.
	 */
	synchronize_rcu_tasks();
	pt_limits_exit();
	pr_info("unloaded\n");
}

module_init(procterm_init);
module_exit(procterm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Terminate processes by PID, handle or task address; deferred and whole-tree");
MODULE_AUTHOR("The procterm developers");
MODULE_ALIAS_GENL_FAMILY(PROCTERM_GENL_NAME);
#ifdef PROCTERM_VERSION
MODULE_VERSION(PROCTERM_VERSION);
#endif
