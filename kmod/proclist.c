// SPDX-License-Identifier: GPL-2.0
/*
 * PROCTERM_CMD_LIST: the processes visible in the requester's PID
 * namespace, like ps(1).
 *
 * The dump walks PIDs in increasing order with find_ge_pid(), the way
 * /proc's readdir does; the cursor (cb->args[0]) is the next PID to look
 * at. A process alive for the whole dump is therefore listed exactly once,
 * however many processes come and go meanwhile, and a resumed dump never
 * repeats one. Each process is filled with a reference held and no lock.
 */
#include <linux/cred.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>
#include <net/genetlink.h>

#include <linux/procterm.h>
#include "compat.h"
#include "procterm.h"

/*
 * One row. Everything that changes when the process is reaped is read in
 * one RCU section, under the pid_alive() guard that /proc uses before it
 * follows ->real_parent, and a process reaped since it was found is skipped
 * (-ESRCH) rather than listed with PID 0.
 */
int pt_list_fill(struct sk_buff *skb, struct task_struct *task,
		 struct pid_namespace *ns, struct user_namespace *uns,
		 u64 boottime_off, bool show_addr, u32 portid, u32 seq,
		 int flags)
{
	char comm[TASK_COMM_LEN];
	pid_t nr = 0, ppid = 0;
	int threads = 0;
	kuid_t uid;
	char state = 0;
	void *hdr;

	rcu_read_lock();
	if (pid_alive(task)) {
		nr = task_tgid_nr_ns(task, ns);
		ppid = task_tgid_nr_ns(rcu_dereference(task->real_parent), ns);
		uid = task_euid(task);
		state = task_state_to_char(task);
		threads = get_nr_threads(task);
	}
	rcu_read_unlock();
	if (!nr)
		return -ESRCH;
	get_task_comm(comm, task);

	hdr = pt_genlmsg_put(skb, portid, seq, flags, PROCTERM_CMD_LIST);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, PROCTERM_A_PID, nr) ||
	    nla_put_u32(skb, PROCTERM_A_PPID, ppid) ||
	    pt_put_u64(skb, PROCTERM_A_START_TIME,
		       pt_start_time_off(task, boottime_off)) ||
	    pt_put_u64(skb, PROCTERM_A_TASK_ADDR,
		       show_addr ? (unsigned long)task : 0) ||
	    nla_put_u8(skb, PROCTERM_A_STATE, state) ||
	    nla_put_u32(skb, PROCTERM_A_THREADS, threads) ||
	    nla_put_u32(skb, PROCTERM_A_UID, from_kuid_munged(uns, uid)) ||
	    nla_put_string(skb, PROCTERM_A_COMM, comm)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* The next visible process at or after PID @nr, referenced, or NULL. */
static struct task_struct *pt_next_process(struct pid_namespace *ns, pid_t *nr)
{
	struct task_struct *task = NULL;
	struct pid *pid;

	rcu_read_lock();
	while ((pid = find_ge_pid(*nr, ns))) {
		*nr = pid_nr_ns(pid, ns);
		task = pid_task(pid, PIDTYPE_TGID);
		if (task) {
			get_task_struct(task);
			break;
		}
		(*nr)++;
	}
	rcu_read_unlock();
	return task;
}

/*
 * What a list dump captured at its start: the PID, user and time
 * namespaces it lists in and whether it may show addresses, so that every continuation (run by
 * whoever reads the socket) answers as the first part did.
 */
struct pt_list_ctx {
	pid_t next;
	bool show_addr;
	u64 boottime_off;
	struct pid_namespace *ns;
	struct user_namespace *uns;
};

int pt_list_dump_start(struct netlink_callback *cb)
{
	struct nlattr **attrs = pt_dump_attrs(cb);
	struct pt_list_ctx *ctx;

	/* The dump shares the doit's policy; a PID selects the doit. */
	if (attrs[PROCTERM_A_PID]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, attrs[PROCTERM_A_PID],
				    "a dump lists every process; ask for one PID without NLM_F_DUMP");
		return -EINVAL;
	}
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ctx->next = 1;
	ctx->show_addr = pt_may_see_addresses(cb->skb);
	ctx->boottime_off = pt_boottime_offset();
	ctx->ns = get_pid_ns(task_active_pid_ns(current));
	ctx->uns = get_user_ns(current_user_ns());
	cb->args[0] = (long)ctx;
	return 0;
}

int pt_list_dump_done(struct netlink_callback *cb)
{
	struct pt_list_ctx *ctx = (struct pt_list_ctx *)cb->args[0];

	if (ctx) {
		put_user_ns(ctx->uns);
		put_pid_ns(ctx->ns);
		kfree(ctx);
	}
	return 0;
}

int pt_list_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct pt_list_ctx *ctx = (struct pt_list_ctx *)cb->args[0];
	struct task_struct *task;
	pid_t nr = ctx->next;
	int ret = 0;

	while ((task = pt_next_process(ctx->ns, &nr))) {
		ret = pt_list_fill(skb, task, ctx->ns, ctx->uns,
				   ctx->boottime_off, ctx->show_addr,
				   NETLINK_CB(cb->skb).portid,
				   cb->nlh->nlmsg_seq, NLM_F_MULTI);
		put_task_struct(task);
		if (ret && ret != -ESRCH)
			break;
		ret = 0;
		nr++;
	}
	ctx->next = nr;
	if (ret && !skb->len)
		return ret;
	return skb->len;
}
