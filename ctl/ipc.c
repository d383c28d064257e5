// SPDX-License-Identifier: GPL-2.0
/*
 * procterm requests over generic netlink: attributes in, model structs out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>

#include "ipc.h"
#include "nl.h"

struct ipc {
	struct ptnl *nl;
};

static const struct nla_policy reply_policy[PROCTERM_A_MAX + 1] = {
	[PROCTERM_A_PID]		= { .type = NLA_U32 },
	[PROCTERM_A_START_TIME]		= { .type = NLA_U64 },
	[PROCTERM_A_TASK_ADDR]		= { .type = NLA_U64 },
	[PROCTERM_A_EXIT_STATUS]	= { .type = NLA_U32 },
	[PROCTERM_A_FLAGS]		= { .type = NLA_U32 },
	[PROCTERM_A_TIMEOUT_MS]		= { .type = NLA_U32 },
	[PROCTERM_A_WAIT_STATUS]	= { .type = NLA_U32 },
	[PROCTERM_A_COUNT]		= { .type = NLA_U32 },
	[PROCTERM_A_REQUEST_ID]		= { .type = NLA_U64 },
	[PROCTERM_A_PPID]		= { .type = NLA_U32 },
	[PROCTERM_A_STATE]		= { .type = NLA_U8 },
	[PROCTERM_A_THREADS]		= { .type = NLA_U32 },
	[PROCTERM_A_UID]		= { .type = NLA_U32 },
	[PROCTERM_A_COMM]		= { .type = NLA_UNSPEC },
	[PROCTERM_A_ARMED_NS]		= { .type = NLA_U64 },
	[PROCTERM_A_REQUESTER_UID]	= { .type = NLA_U32 },
	[PROCTERM_A_EVENT_SEQ]		= { .type = NLA_U64 },
	[PROCTERM_A_EVENT_MODE]		= { .type = NLA_U32 },
	[PROCTERM_A_STAGE]		= { .type = NLA_U32 },
	[PROCTERM_A_REQUESTER_PID]	= { .type = NLA_U32 },
	[PROCTERM_A_REQUESTER_COMM]	= { .type = NLA_UNSPEC },
	[PROCTERM_A_ELAPSED_NS]		= { .type = NLA_U64 },
	[PROCTERM_A_GRACE_MS]		= { .type = NLA_U32 },
	[PROCTERM_A_SIGNAL]		= { .type = NLA_U32 },
	[PROCTERM_A_RULE_ID]		= { .type = NLA_U32 },
	[PROCTERM_A_RULE_COMM]		= { .type = NLA_UNSPEC },
	[PROCTERM_A_RULE_PATH]		= { .type = NLA_UNSPEC },
	[PROCTERM_A_RULE_UID]		= { .type = NLA_U32 },
	[PROCTERM_A_RULE_PARENT_COMM]	= { .type = NLA_UNSPEC },
	[PROCTERM_A_RULE_CGROUP]	= { .type = NLA_UNSPEC },
	[PROCTERM_A_RULE_COUNT]		= { .type = NLA_U32 },
	[PROCTERM_A_RULE_FIRED]		= { .type = NLA_U64 },
	[PROCTERM_A_RULE_FLAGS]		= { .type = NLA_U32 },
	[PROCTERM_A_SELECT]		= { .type = NLA_NESTED },
	[PROCTERM_A_PROC]		= { .type = NLA_NESTED },
	[PROCTERM_A_RSS]		= { .type = NLA_U64 },
	[PROCTERM_A_SKIPPED_PROTECTED]	= { .type = NLA_U32 },
	[PROCTERM_A_DENIED]		= { .type = NLA_U32 },
	[PROCTERM_A_MATCHED]		= { .type = NLA_U32 },
};

/* Names as in the kernel's extended acks: spelled like the YAML spec. */
static const char *const attr_names[PROCTERM_A_MAX + 1] = {
	[PROCTERM_A_PID]		= "pid",
	[PROCTERM_A_START_TIME]		= "start-time",
	[PROCTERM_A_TASK_ADDR]		= "task-addr",
	[PROCTERM_A_EXIT_STATUS]	= "exit-status",
	[PROCTERM_A_FLAGS]		= "flags",
	[PROCTERM_A_TIMEOUT_MS]		= "timeout-ms",
	[PROCTERM_A_WAIT_STATUS]	= "wait-status",
	[PROCTERM_A_COUNT]		= "count",
	[PROCTERM_A_REQUEST_ID]		= "request-id",
	[PROCTERM_A_PPID]		= "ppid",
	[PROCTERM_A_STATE]		= "state",
	[PROCTERM_A_THREADS]		= "threads",
	[PROCTERM_A_UID]		= "uid",
	[PROCTERM_A_COMM]		= "comm",
	[PROCTERM_A_ARMED_NS]		= "armed-ns",
	[PROCTERM_A_REQUESTER_UID]	= "requester-uid",
	[PROCTERM_A_PAD]		= "pad",
	[PROCTERM_A_EVENT_SEQ]		= "event-seq",
	[PROCTERM_A_EVENT_MODE]		= "event-mode",
	[PROCTERM_A_REQUESTER_PID]	= "requester-pid",
	[PROCTERM_A_REQUESTER_COMM]	= "requester-comm",
	[PROCTERM_A_ELAPSED_NS]		= "elapsed-ns",
	[PROCTERM_A_GRACE_MS]		= "grace-ms",
	[PROCTERM_A_SIGNAL]		= "signal",
	[PROCTERM_A_STAGE]		= "stage",
	[PROCTERM_A_RULE_ID]		= "rule-id",
	[PROCTERM_A_RULE_COMM]		= "rule-comm",
	[PROCTERM_A_RULE_PATH]		= "rule-path",
	[PROCTERM_A_RULE_UID]		= "rule-uid",
	[PROCTERM_A_RULE_PARENT_COMM]	= "rule-parent-comm",
	[PROCTERM_A_RULE_CGROUP]	= "rule-cgroup",
	[PROCTERM_A_RULE_COUNT]		= "rule-count",
	[PROCTERM_A_RULE_FIRED]		= "rule-fired",
	[PROCTERM_A_RULE_FLAGS]		= "rule-flags",
	[PROCTERM_A_SELECT]		= "select",
	[PROCTERM_A_PROC]		= "proc",
	[PROCTERM_A_RSS]		= "rss",
	[PROCTERM_A_SKIPPED_PROTECTED]	= "skipped-protected",
	[PROCTERM_A_DENIED]		= "denied",
	[PROCTERM_A_MATCHED]		= "matched",
};

static const struct ptnl_family procterm_family = {
	.name		= PROCTERM_GENL_NAME,
	.version	= PROCTERM_GENL_VERSION,
	.maxattr	= PROCTERM_A_MAX,
	.policy		= reply_policy,
	.attr_names	= attr_names,
};

int ipc_open(struct ipc **ipcp, bool debug)
{
	struct ipc *ipc;
	int ret;

	ipc = calloc(1, sizeof(*ipc));
	if (!ipc)
		return -ENOMEM;
	ret = ptnl_open(&ipc->nl, &procterm_family, debug);
	if (ret) {
		free(ipc);
		return ret == -PTNL_ENOFAMILY ? -IPC_ENOMODULE : ret;
	}
	*ipcp = ipc;
	return 0;
}

void ipc_close(struct ipc *ipc)
{
	if (!ipc)
		return;
	ptnl_close(ipc->nl);
	free(ipc);
}

/* The module's messages come as "procterm: ..." (NL_SET_ERR_MSG_MOD);
 * ours already say who is speaking. */
const char *ipc_extack(const struct ipc *ipc)
{
	const char *msg = ptnl_extack(ipc->nl);
	size_t len = strlen(PROCTERM_GENL_NAME);

	if (!strncmp(msg, PROCTERM_GENL_NAME, len) && !strncmp(msg + len, ": ", 2))
		return msg + len + 2;
	return msg;
}

/* nla_put_*() fail only when the message is full. */
#define PUT(call) do { if ((call) < 0) return -EMSGSIZE; } while (0)

static uint32_t get_u32(struct nlattr **tb, int type, bool *has)
{
	if (has)
		*has = tb[type];
	return tb[type] ? nla_get_u32(tb[type]) : 0;
}

static uint64_t get_u64(struct nlattr **tb, int type, bool *has)
{
	if (has)
		*has = tb[type];
	return tb[type] ? nla_get_u64(tb[type]) : 0;
}

/* Grow a list of @size-byte entries by one; NULL when out of memory. */
static void *list_add(void **v, size_t *n, size_t *alloc, size_t size)
{
	void *p;

	if (*n == *alloc) {
		size_t want = *alloc ? *alloc * 2 : 64;

		p = reallocarray(*v, want, size);
		if (!p)
			return NULL;
		*v = p;
		*alloc = want;
	}
	p = (char *)*v + (*n)++ * size;
	memset(p, 0, size);
	return p;
}

/* kill */

struct kill_ctx {
	const struct kill_request *req;
	struct kill_reply *reply;
};

static int kill_fill(struct nl_msg *msg, void *arg)
{
	const struct kill_request *req = ((struct kill_ctx *)arg)->req;
	const struct target *t = &req->target;

	switch (t->kind) {
	case TARGET_HANDLE:
		PUT(nla_put_u64(msg, PROCTERM_A_START_TIME, t->start_time));
		/* fall through */
	case TARGET_PID:
		PUT(nla_put_u32(msg, PROCTERM_A_PID, t->pid));
		break;
	case TARGET_ADDR:
		PUT(nla_put_u64(msg, PROCTERM_A_TASK_ADDR, t->addr));
		break;
	}
	if (req->has_status)
		PUT(nla_put_u32(msg, PROCTERM_A_EXIT_STATUS, req->status));
	if (req->flags)
		PUT(nla_put_u32(msg, PROCTERM_A_FLAGS, req->flags));
	if (req->grace_ms)
		PUT(nla_put_u32(msg, PROCTERM_A_GRACE_MS, req->grace_ms));
	if (req->grace_ms && req->signal)
		PUT(nla_put_u32(msg, PROCTERM_A_SIGNAL, req->signal));
	/* The timeout is ours to keep (see kill_more()): the module answers
	 * at once and does not take PROCTERM_A_TIMEOUT_MS. */
	return 0;
}

/*
 * The reply, and with PROCTERM_F_WAIT the event carrying the wait status,
 * in either order: keep what each brings.
 */
static int kill_parse(struct nlattr **tb, void *arg)
{
	struct kill_reply *r = ((struct kill_ctx *)arg)->reply;

	if (tb[PROCTERM_A_PID])
		r->pid = get_u32(tb, PROCTERM_A_PID, &r->has_pid);
	if (tb[PROCTERM_A_START_TIME])
		r->start_time = get_u64(tb, PROCTERM_A_START_TIME,
					&r->has_start_time);
	if (tb[PROCTERM_A_EXIT_STATUS])
		r->status = get_u32(tb, PROCTERM_A_EXIT_STATUS, &r->has_status);
	if (tb[PROCTERM_A_COUNT])
		r->count = get_u32(tb, PROCTERM_A_COUNT, &r->has_count);
	if (tb[PROCTERM_A_REQUEST_ID])
		r->request_id = get_u64(tb, PROCTERM_A_REQUEST_ID,
					&r->has_request_id);
	if (tb[PROCTERM_A_WAIT_STATUS])
		r->wait_status = get_u32(tb, PROCTERM_A_WAIT_STATUS,
					 &r->has_wait_status);
	if (tb[PROCTERM_A_STAGE]) {
		r->stage = nla_get_u32(tb[PROCTERM_A_STAGE]);
		r->has_stage = true;
	}
	return 0;
}

/* With PROCTERM_F_WAIT the kill is acknowledged at once and the wait
 * status follows in its own message when the process is dead. */
static bool kill_more(void *arg)
{
	const struct kill_ctx *ctx = arg;

	/* A grace kill refused at its deadline, or cancelled: nothing to wait for. */
	return (ctx->req->flags & PROCTERM_F_WAIT) &&
	       !ctx->reply->has_wait_status && !ctx->reply->has_stage;
}

int ipc_kill(struct ipc *ipc, const struct kill_request *req,
	     struct kill_reply *reply)
{
	struct kill_ctx ctx = { .req = req, .reply = reply };
	struct ptnl_request nlreq = {
		.cmd		= PROCTERM_CMD_KILL,
		.fill		= kill_fill,
		.reply		= kill_parse,
		.more		= kill_more,
		.timeout_ms	= req->has_timeout ? req->timeout_ms : 0,
		.arg		= &ctx,
	};

	memset(reply, 0, sizeof(*reply));
	return ptnl_request(ipc->nl, &nlreq);
}

/* kill by selectors */

struct select_ctx {
	const struct select_spec *sel;
	struct select_reply *reply;
};

static int select_fill(struct nl_msg *msg, void *arg)
{
	const struct select_spec *sel = ((struct select_ctx *)arg)->sel;
	struct nlattr *nest;

	nest = nla_nest_start(msg, PROCTERM_A_SELECT | NLA_F_NESTED);
	if (!nest)
		return -EMSGSIZE;
	if (sel->has_name)
		PUT(nla_put_string(msg, PROCTERM_SEL_NAME, sel->name));
	if (sel->has_prefix)
		PUT(nla_put_string(msg, PROCTERM_SEL_NAME_PREFIX, sel->name));
	if (sel->has_uid)
		PUT(nla_put_u32(msg, PROCTERM_SEL_UID, sel->uid));
	if (sel->has_rss)
		PUT(nla_put_u64(msg, PROCTERM_SEL_RSS_ABOVE, sel->rss_above));
	if (sel->has_age)
		PUT(nla_put_u64(msg, PROCTERM_SEL_OLDER_THAN_NS,
				sel->older_than_ns));
	if (sel->cgroup)
		PUT(nla_put_string(msg, PROCTERM_SEL_CGROUP, sel->cgroup));
	/* Always: libnl trims an empty nest, and a dry run may have no
	 * condition (--name-regex without a literal prefix). */
	PUT(nla_put_u32(msg, PROCTERM_SEL_PICK, sel->pick));
	nla_nest_end(msg, nest);
	if (sel->flags)
		PUT(nla_put_u32(msg, PROCTERM_A_FLAGS, sel->flags));
	if (sel->has_status)
		PUT(nla_put_u32(msg, PROCTERM_A_EXIT_STATUS, sel->status));
	return 0;
}

static int select_parse(struct nlattr **tb, void *arg)
{
	struct select_reply *r = ((struct select_ctx *)arg)->reply;

	r->count = get_u32(tb, PROCTERM_A_COUNT, NULL);
	r->matched = get_u32(tb, PROCTERM_A_MATCHED, NULL);
	r->protected = get_u32(tb, PROCTERM_A_SKIPPED_PROTECTED, NULL);
	r->denied = get_u32(tb, PROCTERM_A_DENIED, NULL);
	r->status = get_u32(tb, PROCTERM_A_EXIT_STATUS, &r->has_status);
	return 0;
}

/* The repeated PROCTERM_A_PROC entries, which the parsed table cannot hold. */
static int select_parse_procs(const struct nlmsghdr *nlh, void *arg)
{
	struct select_reply *r = ((struct select_ctx *)arg)->reply;
	struct nlattr *a, *tb[PROCTERM_A_MAX + 1];
	struct select_proc *p;
	int rem;

	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem) {
		if (nla_type(a) != PROCTERM_A_PROC)
			continue;
		if (nla_parse_nested(tb, PROCTERM_A_MAX, a,
				     (struct nla_policy *)reply_policy) < 0 ||
		    !tb[PROCTERM_A_PID])
			return -EBADMSG;
		p = list_add((void **)&r->v, &r->n, &r->alloc, sizeof(*p));
		if (!p)
			return -ENOMEM;
		p->pid = get_u32(tb, PROCTERM_A_PID, NULL);
		p->start_time = get_u64(tb, PROCTERM_A_START_TIME, NULL);
		p->uid = get_u32(tb, PROCTERM_A_UID, NULL);
		p->rss = get_u64(tb, PROCTERM_A_RSS, NULL);
		p->denied = get_u32(tb, PROCTERM_A_DENIED, NULL);
		if (tb[PROCTERM_A_COMM]) {
			size_t len = nla_len(tb[PROCTERM_A_COMM]);

			if (len >= sizeof(p->comm))
				len = sizeof(p->comm) - 1;
			memcpy(p->comm, nla_data(tb[PROCTERM_A_COMM]), len);
			p->comm[strnlen(p->comm, len)] = '\0';
		}
	}
	return 0;
}

int ipc_kill_select(struct ipc *ipc, const struct select_spec *sel,
		    struct select_reply *reply)
{
	struct select_ctx ctx = { .sel = sel, .reply = reply };
	struct ptnl_request nlreq = {
		.cmd	= PROCTERM_CMD_KILL,
		.fill	= select_fill,
		.reply	= select_parse,
		.raw	= select_parse_procs,
		.arg	= &ctx,
	};

	memset(reply, 0, sizeof(*reply));
	return ptnl_request(ipc->nl, &nlreq);
}

void select_reply_free(struct select_reply *reply)
{
	free(reply->v);
	memset(reply, 0, sizeof(*reply));
}

/* list */

struct list_ctx {
	struct proc_list *list;
	uint32_t pid;			/* ipc_list_pid() */
};

static int list_fill_pid(struct nl_msg *msg, void *arg)
{
	PUT(nla_put_u32(msg, PROCTERM_A_PID, ((struct list_ctx *)arg)->pid));
	return 0;
}

static int list_parse(struct nlattr **tb, void *arg)
{
	struct proc_list *list = ((struct list_ctx *)arg)->list;
	struct proc_entry *e;

	/* An entry without a PID is of no use to anyone. */
	if (!tb[PROCTERM_A_PID])
		return 0;
	e = list_add((void **)&list->v, &list->n, &list->alloc, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->pid = get_u32(tb, PROCTERM_A_PID, NULL);
	e->ppid = get_u32(tb, PROCTERM_A_PPID, NULL);
	e->start_time = get_u64(tb, PROCTERM_A_START_TIME, NULL);
	e->task_addr = get_u64(tb, PROCTERM_A_TASK_ADDR, NULL);
	e->state = tb[PROCTERM_A_STATE] ? nla_get_u8(tb[PROCTERM_A_STATE]) : '?';
	e->threads = get_u32(tb, PROCTERM_A_THREADS, NULL);
	e->uid = get_u32(tb, PROCTERM_A_UID, NULL);
	if (tb[PROCTERM_A_COMM]) {
		size_t len = nla_len(tb[PROCTERM_A_COMM]);

		if (len >= sizeof(e->comm))
			len = sizeof(e->comm) - 1;
		memcpy(e->comm, nla_data(tb[PROCTERM_A_COMM]), len);
		e->comm[strnlen(e->comm, len)] = '\0';
	}
	return 0;
}

static void list_restart(void *arg)
{
	((struct list_ctx *)arg)->list->n = 0;
}

int ipc_list(struct ipc *ipc, struct proc_list *list)
{
	struct list_ctx ctx = { .list = list };
	struct ptnl_request nlreq = {
		.cmd		= PROCTERM_CMD_LIST,
		.dump		= true,
		.reply		= list_parse,
		.restart	= list_restart,
		.arg		= &ctx,
	};
	int ret;

	list->n = 0;
	list->inconsistent = false;
	ret = ptnl_request(ipc->nl, &nlreq);
	/* Still changing after every retry: a snapshot like ps(1) takes is
	 * better than nothing; the caller says so. */
	if (ret == -EINTR && list->n) {
		list->inconsistent = true;
		ret = 0;
	}
	return ret;
}

/* Appends the one process to @list. */
int ipc_list_pid(struct ipc *ipc, uint32_t pid, struct proc_list *list)
{
	struct list_ctx ctx = { .list = list, .pid = pid };
	struct ptnl_request nlreq = {
		.cmd	= PROCTERM_CMD_LIST,
		.fill	= list_fill_pid,
		.reply	= list_parse,
		.arg	= &ctx,
	};

	return ptnl_request(ipc->nl, &nlreq);
}

void proc_list_free(struct proc_list *list)
{
	free(list->v);
	memset(list, 0, sizeof(*list));
}

/* pending */

static int pending_parse(struct nlattr **tb, void *arg)
{
	struct pending_list *list = arg;
	struct pending_entry *e;

	if (!tb[PROCTERM_A_REQUEST_ID])
		return 0;
	e = list_add((void **)&list->v, &list->n, &list->alloc, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->id = get_u64(tb, PROCTERM_A_REQUEST_ID, NULL);
	e->pid = get_u32(tb, PROCTERM_A_PID, NULL);
	e->start_time = get_u64(tb, PROCTERM_A_START_TIME, NULL);
	e->status = get_u32(tb, PROCTERM_A_EXIT_STATUS, &e->has_status);
	e->flags = get_u32(tb, PROCTERM_A_FLAGS, NULL);
	e->armed_ns = get_u64(tb, PROCTERM_A_ARMED_NS, NULL);
	e->requester_uid = get_u32(tb, PROCTERM_A_REQUESTER_UID, NULL);
	e->grace_ms = get_u32(tb, PROCTERM_A_GRACE_MS, &e->has_grace);
	e->signal = get_u32(tb, PROCTERM_A_SIGNAL, NULL);
	return 0;
}

static void pending_restart(void *arg)
{
	((struct pending_list *)arg)->n = 0;
}

int ipc_pending(struct ipc *ipc, struct pending_list *list)
{
	struct ptnl_request nlreq = {
		.cmd		= PROCTERM_CMD_PENDING,
		.dump		= true,
		.reply		= pending_parse,
		.restart	= pending_restart,
		.arg		= list,
	};
	int ret;

	list->n = 0;
	list->inconsistent = false;
	ret = ptnl_request(ipc->nl, &nlreq);
	if (ret == -EINTR && list->n) {
		list->inconsistent = true;
		ret = 0;
	}
	return ret;
}

void pending_list_free(struct pending_list *list)
{
	free(list->v);
	memset(list, 0, sizeof(*list));
}

/* cancel */

static int cancel_fill(struct nl_msg *msg, void *arg)
{
	PUT(nla_put_u64(msg, PROCTERM_A_REQUEST_ID, *(uint64_t *)arg));
	return 0;
}

int ipc_cancel(struct ipc *ipc, uint64_t request_id)
{
	struct ptnl_request nlreq = {
		.cmd	= PROCTERM_CMD_CANCEL,
		.fill	= cancel_fill,
		.arg	= &request_id,
	};

	return ptnl_request(ipc->nl, &nlreq);
}

static void get_comm(struct nlattr **tb, int type, char *comm, size_t size)
{
	size_t len;

	comm[0] = '\0';
	if (!tb[type])
		return;
	len = nla_len(tb[type]);
	if (len >= size)
		len = size - 1;
	memcpy(comm, nla_data(tb[type]), len);
	comm[strnlen(comm, len)] = '\0';
}

/* rules */

void rule_spec_free(struct rule_spec *spec)
{
	free(spec->path);
	free(spec->cgroup);
	spec->path = spec->cgroup = NULL;
}

struct rule_add_ctx {
	const struct rule_spec *spec;
	uint32_t *id;
};

static int rule_add_fill(struct nl_msg *msg, void *arg)
{
	const struct rule_spec *r = ((struct rule_add_ctx *)arg)->spec;

	if (r->has_comm)
		PUT(nla_put_string(msg, PROCTERM_A_RULE_COMM, r->comm));
	if (r->path)
		PUT(nla_put_string(msg, PROCTERM_A_RULE_PATH, r->path));
	if (r->has_uid)
		PUT(nla_put_u32(msg, PROCTERM_A_RULE_UID, r->uid));
	if (r->has_parent_comm)
		PUT(nla_put_string(msg, PROCTERM_A_RULE_PARENT_COMM,
				   r->parent_comm));
	if (r->cgroup)
		PUT(nla_put_string(msg, PROCTERM_A_RULE_CGROUP, r->cgroup));
	if (r->has_status)
		PUT(nla_put_u32(msg, PROCTERM_A_EXIT_STATUS, r->status));
	if (r->count)
		PUT(nla_put_u32(msg, PROCTERM_A_RULE_COUNT, r->count));
	if (r->audit)
		PUT(nla_put_u32(msg, PROCTERM_A_RULE_FLAGS,
				PROCTERM_RULE_F_AUDIT));
	return 0;
}

static int rule_add_parse(struct nlattr **tb, void *arg)
{
	if (tb[PROCTERM_A_RULE_ID])
		*((struct rule_add_ctx *)arg)->id = nla_get_u32(tb[PROCTERM_A_RULE_ID]);
	return 0;
}

int ipc_rule_add(struct ipc *ipc, const struct rule_spec *spec, uint32_t *id)
{
	struct rule_add_ctx ctx = { .spec = spec, .id = id };
	struct ptnl_request nlreq = {
		.cmd	= PROCTERM_CMD_RULE_ADD,
		.fill	= rule_add_fill,
		.reply	= rule_add_parse,
		.arg	= &ctx,
	};
	int ret;

	*id = 0;
	ret = ptnl_request(ipc->nl, &nlreq);
	if (!ret && !*id)
		ret = -EBADMSG;
	return ret;
}

static int rule_del_fill(struct nl_msg *msg, void *arg)
{
	PUT(nla_put_u32(msg, PROCTERM_A_RULE_ID, *(uint32_t *)arg));
	return 0;
}

int ipc_rule_del(struct ipc *ipc, uint32_t id)
{
	struct ptnl_request nlreq = {
		.cmd	= PROCTERM_CMD_RULE_DEL,
		.fill	= rule_del_fill,
		.arg	= &id,
	};

	return ptnl_request(ipc->nl, &nlreq);
}

static int rule_count_parse(struct nlattr **tb, void *arg)
{
	if (tb[PROCTERM_A_COUNT])
		*(uint32_t *)arg = nla_get_u32(tb[PROCTERM_A_COUNT]);
	return 0;
}

int ipc_rule_flush(struct ipc *ipc, uint32_t *count)
{
	struct ptnl_request nlreq = {
		.cmd	= PROCTERM_CMD_RULE_FLUSH,
		.reply	= rule_count_parse,
		.arg	= count,
	};

	*count = 0;
	return ptnl_request(ipc->nl, &nlreq);
}

static int get_str(struct nlattr **tb, int type, char **out)
{
	size_t len;

	if (!tb[type])
		return 0;
	len = strnlen(nla_data(tb[type]), nla_len(tb[type]));
	*out = strndup(nla_data(tb[type]), len);
	return *out ? 0 : -ENOMEM;
}

static int rule_list_parse(struct nlattr **tb, void *arg)
{
	struct rule_list *list = arg;
	struct rule_entry *e;
	struct rule_spec *r;

	if (!tb[PROCTERM_A_RULE_ID])
		return 0;
	e = list_add((void **)&list->v, &list->n, &list->alloc, sizeof(*e));
	if (!e)
		return -ENOMEM;
	r = &e->spec;
	e->id = get_u32(tb, PROCTERM_A_RULE_ID, NULL);
	e->fired = get_u64(tb, PROCTERM_A_RULE_FIRED, NULL);
	r->has_comm = tb[PROCTERM_A_RULE_COMM];
	get_comm(tb, PROCTERM_A_RULE_COMM, r->comm, sizeof(r->comm));
	r->has_parent_comm = tb[PROCTERM_A_RULE_PARENT_COMM];
	get_comm(tb, PROCTERM_A_RULE_PARENT_COMM, r->parent_comm,
		 sizeof(r->parent_comm));
	r->uid = get_u32(tb, PROCTERM_A_RULE_UID, &r->has_uid);
	r->status = get_u32(tb, PROCTERM_A_EXIT_STATUS, &r->has_status);
	r->count = get_u32(tb, PROCTERM_A_RULE_COUNT, NULL);
	r->audit = get_u32(tb, PROCTERM_A_RULE_FLAGS, NULL) &
		   PROCTERM_RULE_F_AUDIT;
	if (get_str(tb, PROCTERM_A_RULE_PATH, &r->path) ||
	    get_str(tb, PROCTERM_A_RULE_CGROUP, &r->cgroup))
		return -ENOMEM;
	return 0;
}

void rule_list_free(struct rule_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		rule_spec_free(&list->v[i].spec);
	free(list->v);
	memset(list, 0, sizeof(*list));
}

static void rule_list_restart(void *arg)
{
	struct rule_list *list = arg;
	size_t i;

	for (i = 0; i < list->n; i++)
		rule_spec_free(&list->v[i].spec);
	list->n = 0;
}

int ipc_rule_list(struct ipc *ipc, struct rule_list *list)
{
	struct ptnl_request nlreq = {
		.cmd		= PROCTERM_CMD_RULE_LIST,
		.dump		= true,
		.reply		= rule_list_parse,
		.restart	= rule_list_restart,
		.arg		= list,
	};
	int ret;

	list->n = 0;
	list->inconsistent = false;
	ret = ptnl_request(ipc->nl, &nlreq);
	if (ret == -EINTR && list->n) {
		list->inconsistent = true;
		ret = 0;
	}
	return ret;
}

static int watch_event(uint8_t cmd, struct nlattr **tb, void *arg)
{
	const struct ipc_watch *w = arg;
	struct proc_event ev = { 0 };

	if (cmd != PROCTERM_CMD_EVENT || !tb[PROCTERM_A_EVENT_SEQ])
		return 0;
	ev.seq = get_u64(tb, PROCTERM_A_EVENT_SEQ, NULL);
	ev.pid = get_u32(tb, PROCTERM_A_PID, NULL);
	ev.start_time = get_u64(tb, PROCTERM_A_START_TIME, NULL);
	get_comm(tb, PROCTERM_A_COMM, ev.comm, sizeof(ev.comm));
	ev.uid = get_u32(tb, PROCTERM_A_UID, NULL);
	ev.requester_pid = get_u32(tb, PROCTERM_A_REQUESTER_PID, NULL);
	ev.requester_uid = get_u32(tb, PROCTERM_A_REQUESTER_UID, NULL);
	get_comm(tb, PROCTERM_A_REQUESTER_COMM, ev.requester_comm,
		 sizeof(ev.requester_comm));
	ev.mode = get_u32(tb, PROCTERM_A_EVENT_MODE, NULL);
	ev.flags = get_u32(tb, PROCTERM_A_FLAGS, NULL);
	ev.request_id = get_u64(tb, PROCTERM_A_REQUEST_ID, &ev.has_request_id);
	ev.stage = get_u32(tb, PROCTERM_A_STAGE, NULL);
	ev.wait_status = get_u32(tb, PROCTERM_A_WAIT_STATUS, &ev.has_wait_status);
	ev.elapsed_ns = get_u64(tb, PROCTERM_A_ELAPSED_NS, NULL);
	ev.rule_id = get_u32(tb, PROCTERM_A_RULE_ID, &ev.has_rule_id);
	return w->event(&ev, w->arg);
}

static void watch_overflow(void *arg)
{
	const struct ipc_watch *w = arg;

	w->overflow(w->arg);
}

int ipc_watch(struct ipc *ipc, const struct ipc_watch *w)
{
	int ret;

	ret = ptnl_subscribe(ipc->nl, PROCTERM_MCGRP_EVENTS);
	if (ret)
		return ret;
	return ptnl_listen(ipc->nl, watch_event, watch_overflow, (void *)w,
			   w->stop, w->sigmask);
}
