/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the race, stress and limits tests (race_lib.c). */
#ifndef _PROCTERM_RACE_LIB_H
#define _PROCTERM_RACE_LIB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "procterm_nl.h"

#define UNPRIV_UID	65534	/* nobody */
#define UNPRIV_UID2	65533
#define COUNTERS_PATH	"/sys/kernel/debug/procterm/counters"

/*
 * A requester in a child process with other credentials: the test sends it
 * struct rq_cmd through a pipe and reads back struct rq_res.
 */
enum { RQ_KILL = 1, RQ_CANCEL, RQ_KILL_CANCEL, RQ_KILL_NOEVENT, RQ_QUIT };

struct rq_cmd {
	int op;
	pid_t pid;
	uint32_t flags;
	bool has_status;
	uint32_t status;
	uint64_t id;
};

struct rq_res {
	int ret;		/* of the kill (or the cancel for RQ_CANCEL) */
	int ret2;		/* of the cancel in RQ_KILL_CANCEL */
	uint64_t id;
	uint32_t count;
	bool has_count;
	bool has_event;
	uint64_t wait_status;
	char msg[PT_EXTACK_LEN];
};

struct requester {
	pid_t pid;
	int cmd_fd;
	int res_fd;
};

int64_t mono_ms(void);
void sleep_us(long us);
void spin_us(long us);
void sleep_ms(int ms);
bool debug_kernel(void);
long race_scale(long base);
int64_t race_budget_ms(int def_s);
const char *errname(int err);
long counter(const char *name);
long counter_drains(const char *name, int timeout_ms);
pid_t fork_child(void);
int become_unpriv(uid_t uid);
int pt_cancel(struct pt_sock *s, uint64_t id, struct pt_reply *r);
uint64_t reply_id(const struct pt_reply *r);
int rq_read(int fd, void *buf, size_t len);
int rq_write(int fd, const void *buf, size_t len);
void rq_serve(int cfd, int rfd, uid_t uid);
int rq_start(struct requester *q, uid_t uid);
int rq_do(struct requester *q, const struct rq_cmd *c, struct rq_res *res);
void rq_stop(struct requester *q);

#endif /* _PROCTERM_RACE_LIB_H */
