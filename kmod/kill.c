// SPDX-License-Identifier: GPL-2.0
/*
 * Immediate termination of one process (ZwTerminateProcess semantics).
 *
 * The kill is a SIGKILL to the whole thread group (PIDTYPE_TGID), sent with
 * kill_pid(..., 0) from the requester's own context: the kernel's
 * check_kill_permission() and the LSM hooks judge it exactly as they judge
 * kill(2). A group-directed signal also reaches the other threads when the
 * leader has already exited with pthread_exit().
 */
#include <linux/sched/signal.h>

#include "procterm.h"

int pt_kill_now(const struct pt_target *t, const struct pt_kill_req *req,
		struct netlink_ext_ack *extack)
{
	int ret;

	if (req->has_status) {
		ret = pt_exitstatus_arm(t->task, req->status, GFP_KERNEL);
		if (ret == -EOPNOTSUPP) {
			NL_SET_ERR_MSG_MOD(extack,
					   "exit status rewriting is unavailable on this kernel");
			return ret;
		}
		if (ret == -EALREADY) {
			NL_SET_ERR_MSG_MOD(extack,
					   "process is already being terminated with a status");
			return ret;
		}
		if (ret)
			return ret;
	}

	ret = kill_pid(t->pid, SIGKILL, 0);
	if (!ret)
		return 0;

	if (req->has_status)
		pt_exitstatus_disarm(t->task);
	if (ret == -EPERM)
		NL_SET_ERR_MSG_MOD(extack, "not permitted to kill this process");
	else if (ret == -ESRCH)
		NL_SET_ERR_MSG_MOD(extack, "no such process");
	return ret;
}
