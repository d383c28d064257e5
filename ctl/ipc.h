/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The model: what the subcommands ask of procterm.ko and what comes back,
 * as plain structs. Everything netlink stays behind these functions.
 * All return 0 or -errno; on a kernel refusal ipc_extack() explains.
 */
#ifndef PROCTERM_IPC_H
#define PROCTERM_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/procterm.h>

#include "parse.h"

/* ipc_open(): the procterm family is not registered (module not loaded).
 * Above the errno range, like every internal code. */
#define IPC_ENOMODULE	4097

struct ipc;

struct kill_request {
	struct target target;
	uint32_t flags;			/* PROCTERM_F_* */
	bool has_status;
	uint32_t status;
	bool has_timeout;		/* PROCTERM_F_WAIT: give up after */
	uint32_t timeout_ms;		/* this long, with -ETIMEDOUT */
	uint32_t grace_ms;		/* 0, or --grace: SIGKILL after this */
	int signal;			/* --grace: the first signal, 0: TERM */
};

struct kill_reply {
	bool has_pid, has_start_time, has_status, has_count;
	bool has_request_id, has_wait_status, has_stage;
	uint32_t pid;
	uint64_t start_time;
	uint32_t status;		/* the exit status requested, echoed */
	uint32_t count;			/* processes terminated */
	uint64_t request_id;		/* PROCTERM_F_DEFERRED */
	uint32_t wait_status;		/* PROCTERM_F_WAIT, waitpid() encoding */
	uint8_t stage;			/* --grace with PROCTERM_F_WAIT */
};

/* A kill by selectors (PROCTERM_A_SELECT): every one given must hold. */
struct select_spec {
	bool has_name, has_prefix, has_uid, has_rss, has_age;
	char name[PROCTERM_COMM_LEN];	/* exact, or the prefix */
	uint32_t uid;			/* effective */
	uint64_t rss_above;		/* bytes */
	uint64_t older_than_ns;
	const char *cgroup;		/* NULL: none */
	uint32_t pick;			/* PROCTERM_PICK_* */
	uint32_t flags;			/* PROCTERM_F_DRY_RUN, _STRICT */
	bool has_status;
	uint32_t status;
};

/* One process a kill by selectors killed, would kill, or was refused. */
struct select_proc {
	uint32_t pid;
	uint64_t start_time;
	char comm[PROCTERM_COMM_LEN];
	uint32_t uid;
	uint64_t rss;			/* bytes */
	bool denied;			/* kill(2)'s rules refused it */
};

struct select_reply {
	struct select_proc *v;
	size_t n, alloc;
	uint32_t count;			/* killed */
	uint32_t matched;		/* selected and permitted */
	uint32_t protected;		/* matches never selected */
	uint32_t denied;
	bool has_status;
	uint32_t status;
};

struct proc_entry {
	uint32_t pid;
	uint32_t ppid;
	uint64_t start_time;
	uint64_t task_addr;		/* 0 when hidden from the caller */
	char state;			/* one of "RSDTtZXI", '?' if absent */
	uint32_t threads;
	uint32_t uid;
	char comm[PROCTERM_COMM_LEN];
};

struct proc_list {
	struct proc_entry *v;
	size_t n, alloc;
	bool inconsistent;		/* kept changing while dumped */
};

struct pending_entry {
	uint64_t id;
	uint32_t pid;
	uint64_t start_time;
	bool has_status;		/* false: SIGKILL */
	uint32_t status;
	uint32_t flags;			/* PROCTERM_F_* */
	uint64_t armed_ns;		/* CLOCK_BOOTTIME */
	uint32_t requester_uid;
	bool has_grace;			/* a grace kill, not a deferred one */
	uint32_t grace_ms;
	uint32_t signal;
};

struct pending_list {
	struct pending_entry *v;
	size_t n, alloc;
	bool inconsistent;
};

/* One termination event (PROCTERM_CMD_EVENT). */
struct proc_event {
	uint64_t seq;
	uint32_t pid;
	uint64_t start_time;
	char comm[PROCTERM_COMM_LEN];
	uint32_t uid;
	uint32_t requester_pid;
	uint32_t requester_uid;
	char requester_comm[PROCTERM_COMM_LEN];
	uint32_t mode;			/* PROCTERM_EVENT_MODE_* */
	uint32_t flags;			/* PROCTERM_F_* of the request */
	bool has_request_id;
	uint64_t request_id;
	uint32_t stage;			/* enum procterm_stage */
	bool has_wait_status;		/* false: an audit rule's, it lives */
	uint32_t wait_status;
	uint64_t elapsed_ns;
	bool has_rule_id;		/* PROCTERM_EVENT_MODE_RULE */
	uint32_t rule_id;
};

struct ipc_watch {
	/* Each event; a negative return stops the watch with it. */
	int (*event)(const struct proc_event *ev, void *arg);
	/* The kernel dropped events for want of receive buffer. */
	void (*overflow)(void *arg);
	void *arg;
	volatile int *stop;		/* set by a signal handler */
	const void *sigmask;		/* sigset_t unblocked while waiting */
};

/* An exec rule: its conditions (ANDed) and what a match does. */
struct rule_spec {
	bool has_comm, has_uid, has_parent_comm;
	char comm[PROCTERM_COMM_LEN];
	char *path;			/* NULL: no such condition; malloc'ed */
	uint32_t uid;
	char parent_comm[PROCTERM_COMM_LEN];
	char *cgroup;			/* NULL: no such condition; malloc'ed */
	bool has_status;		/* false: SIGKILL */
	uint32_t status;
	uint32_t count;			/* 0: never expires */
	bool audit;
};

struct rule_entry {
	uint32_t id;
	struct rule_spec spec;		/* spec.count: firings left */
	uint64_t fired;
};

struct rule_list {
	struct rule_entry *v;
	size_t n, alloc;
	bool inconsistent;
};

void rule_spec_free(struct rule_spec *spec);

int ipc_open(struct ipc **ipcp, bool debug);
void ipc_close(struct ipc *ipc);
/* The kernel's extended-ack message about the last request, or "". */
const char *ipc_extack(const struct ipc *ipc);

int ipc_kill(struct ipc *ipc, const struct kill_request *req,
	     struct kill_reply *reply);
int ipc_kill_select(struct ipc *ipc, const struct select_spec *sel,
		    struct select_reply *reply);
void select_reply_free(struct select_reply *reply);
int ipc_list(struct ipc *ipc, struct proc_list *list);
int ipc_list_pid(struct ipc *ipc, uint32_t pid, struct proc_list *list);
int ipc_pending(struct ipc *ipc, struct pending_list *list);
int ipc_cancel(struct ipc *ipc, uint64_t request_id);

/* Join the events group and report events until *w->stop. -ENOENT: the
 * module has no events group; -EPERM: joining needs CAP_NET_ADMIN. */
int ipc_watch(struct ipc *ipc, const struct ipc_watch *w);

int ipc_rule_add(struct ipc *ipc, const struct rule_spec *spec, uint32_t *id);
int ipc_rule_del(struct ipc *ipc, uint32_t id);
int ipc_rule_list(struct ipc *ipc, struct rule_list *list);
/* *@count: how many rules there were. */
int ipc_rule_flush(struct ipc *ipc, uint32_t *count);
void rule_list_free(struct rule_list *list);

void proc_list_free(struct proc_list *list);
void pending_list_free(struct pending_list *list);

#endif
