/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Why a process is not dead yet: what /proc says about each of its threads,
 * put into words. Used by "procterm why" and by "procterm kill --timeout"
 * when the time runs out. Reads /proc only; never asks the module.
 */
#ifndef PROCTERM_WHY_H
#define PROCTERM_WHY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* How long why_sample() watches the threads run (or not). */
#define WHY_SAMPLE_MS	100

struct why_thread {
	uint32_t tid;
	char comm[64];
	char state;			/* /proc/TID/stat field 3 */
	uint64_t flags;			/* PF_* (field 9) */
	char wchan[128];		/* "" when not sleeping or hidden */
	bool sigkill;			/* SIGKILL in SigPnd or ShdPnd */
	bool sampled;			/* run_ns is meaningful */
	uint64_t run0_ns, run_ns;	/* schedstat; run_ns: during the sample */
	char *stack;			/* /proc/TID/stack, or NULL */
	int stack_err;			/* why not (-errno) */
	uint32_t vfork_child;		/* in vfork(), waiting for this child */
	char vfork_comm[64];
	char vfork_state;
};

struct why_proc {
	uint32_t pid;
	uint64_t start_time;		/* field 22, as in handles */
	char comm[64];
	char state;
	uint32_t ppid;
	char parent_comm[64];
	uint32_t tracer;		/* TracerPid, 0 if not traced */
	char tracer_comm[64];
	bool core_dumping;		/* CoreDumping: 1 */
	bool ns_init;			/* PID 1 of a PID namespace below ours */
	bool gone;			/* exited and reaped since collected */
	size_t nthreads;
	struct why_thread *threads;
};

/*
 * Read what /proc says about process @pid; with @start_time non-zero, only
 * if the process still has that start time. 0, -ESRCH (no such process,
 * or another one now), -ENOTTY (a thread ID, not a process) or -errno.
 */
int why_collect(uint32_t pid, uint64_t start_time, struct why_proc *p);
/* Watch the threads of @n processes for WHY_SAMPLE_MS: how much they run. */
void why_sample(struct why_proc *v, size_t n);
void why_free(struct why_proc *p);

/*
 * The explanation, plain words first, then the raw facts. @since_kill_ms:
 * how long ago this command sent SIGKILL, or -1 if it did not.
 */
void why_print(FILE *f, const struct why_proc *p, int64_t since_kill_ms);
/* The same as one JSON object (no newline after it). */
void why_print_json(FILE *f, const struct why_proc *p, int64_t since_kill_ms,
		    const char *indent);

/*
 * @pid and its descendants (by parent PID, as the module's tree kill walks
 * them) with their start times, from one pass over /proc; @pid first.
 * 0 or -errno.
 */
int why_subtree(uint32_t pid, uint32_t **pids, uint64_t **starts, size_t *n);

#endif
