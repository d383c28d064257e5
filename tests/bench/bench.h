/* SPDX-License-Identifier: GPL-2.0 */
/*
 * procterm benchmarks: shared declarations.
 *
 * Every benchmark is a subcommand of procterm_bench. It measures procterm
 * and its anchors side by side in the same process, interleaving the
 * methods run by run, prints what it measured, and leaves two files in the
 * output directory: NAME.json (raw figures) and NAME.kv (one
 * "bench<TAB>method<TAB>metric<TAB>value" line per summary figure, read by
 * the "summary" subcommand).
 */
#ifndef PROCTERM_BENCH_H
#define PROCTERM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "procterm_nl.h"

#define NSEC_PER_SEC	1000000000LL
#define NSEC_PER_MSEC	1000000LL

/* Exit codes of procterm_bench. */
#define BENCH_EXIT_OK		0
#define BENCH_EXIT_FAIL		1
#define BENCH_EXIT_USAGE	2
#define BENCH_EXIT_NOMODULE	4

/* ---- options common to every subcommand ---- */

struct bench_opts {
	const char *outdir;	/* where NAME.json and NAME.kv go; NULL: none */
	bool anchors_only;	/* run without the module, skipping procterm */
};

extern struct bench_opts g_opts;

/* ---- time and statistics ---- */

int64_t now_ns(void);
void sleep_ms(long ms);

struct samples {
	int64_t *v;
	size_t n, cap;
};

void samples_add(struct samples *s, int64_t v);
void samples_free(struct samples *s);

struct stats {
	size_t n;
	double min, max, mean, median, p99;
};

/* Statistics of @s; NAN figures (n = 0) when it is empty. */
void stats_of(const struct samples *s, struct stats *st);
/* "12.3 us" and the like, in a static buffer that rotates over 8 slots. */
const char *fmt_ns(double ns);

/* ---- environment knobs ---- */

long env_long(const char *name, long def, long min, long max);
const char *env_str(const char *name, const char *def);

/* ---- output: JSON fragments and summary lines ---- */

struct json {
	FILE *f;
	int depth;
	bool need_comma[32];
};

/*
 * Open DIR/NAME.json and DIR/NAME.kv (nothing happens when no output
 * directory was given; the writers below then do nothing either).
 */
struct bench_out {
	char name[64];
	struct json j;
	FILE *kv;
};

int out_open(struct bench_out *o, const char *name);
int out_close(struct bench_out *o);

void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_int(struct json *j, const char *key, int64_t v);
void json_num(struct json *j, const char *key, double v);
void json_str(struct json *j, const char *key, const char *v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* "key": {n, min, max, mean, median, p99} */
void json_stats(struct json *j, const char *key, const struct stats *st);
/* "key": [v0, v1, ...] */
void json_samples(struct json *j, const char *key, const struct samples *s);

void kv_put(struct bench_out *o, const char *bench, const char *method,
	    const char *metric, double v);
void kv_put_str(struct bench_out *o, const char *bench, const char *method,
		const char *metric, const char *v);

/* ---- processes we forked ---- */

/*
 * Every process the benchmarks fork is registered here until it is reaped,
 * with whether it leads a process group of its own (tree roots do: their
 * whole tree shares the group). die() and a fatal signal SIGKILL everything
 * registered, by PID or process group ID, before the program exits.
 */
void reg_add(pid_t pid, bool group);
void reg_del(pid_t pid);
void reg_kill_all(void);

__attribute__((noreturn, format(printf, 1, 2)))
void die(const char *fmt, ...);
__attribute__((format(printf, 1, 2)))
void warnx_(const char *fmt, ...);

void signals_init(void);

/*
 * A one-shot SIGALRM deadline for blocking waits: waitpid() and friends
 * return EINTR once it fires, and deadline_hit() becomes true.
 */
void deadline_arm(long ms);
void deadline_disarm(void);
bool deadline_hit(void);

/* Close every descriptor above 2 except @keep (-1: none). For children. */
void close_fds_except(int keep);
/* In a child: default dispositions for what the parent handles, no mask. */
void child_reset_signals(void);
/* In a child: block in pause() until killed. */
__attribute__((noreturn)) void hang(void);

/*
 * Fork a child that reports ready through a pipe and then blocks in
 * pause(). Returns once it sleeps in pause(); registered. Dies on failure.
 */
pid_t spawn_paused(void);

/*
 * Fork @n such children at once (each reports through one shared pipe),
 * storing their PIDs in @pids. Returns once all of them sleep.
 */
void spawn_paused_many(pid_t *pids, size_t n);

/* waitpid() for our child @pid, giving up after @timeout_ms. */
int reap_pid(pid_t pid, int *status, long timeout_ms);
/* SIGKILL and reap our child; for cleanup paths. */
void kill_reap(pid_t pid);
/*
 * Reap every child left (SIGKILL what is registered first), waiting at
 * most @timeout_ms overall. Returns how many were reaped.
 */
long reap_all(long timeout_ms);

/* ---- /proc ---- */

/* State letter of @pid (field 3 of /proc/PID/stat); 0 when gone. */
char proc_state(pid_t pid);
/*
 * Whether @pid is on its way out: exiting (PF_EXITING), or SIGKILL pending
 * for it or its thread group. A process that is gone counts as dying.
 */
bool proc_dying(pid_t pid);
/* Wait until @pid sleeps (state S); false on timeout or when it is gone. */
bool wait_sleeping(pid_t pid, long timeout_ms);
/* A line of /proc/meminfo, in kB; -1 when absent. */
long meminfo_kb(const char *field);
long read_long_file(const char *path, long def);

/* ---- procterm ---- */

/*
 * Open the procterm socket. Returns true when procterm can be measured.
 * Without the module: with --anchors-only, prints a note and returns false;
 * otherwise prints why and exits with BENCH_EXIT_NOMODULE.
 */
bool procterm_open(struct pt_sock *s);
struct bench_reply {
	int err;		/* positive errno of an error answer, 0 */
	char msg[128];		/* its extended-ack message, "" */
	bool replied;
	bool has_count, has_request_id;
	uint32_t count;		/* PROCTERM_A_COUNT */
	uint64_t request_id;	/* PROCTERM_A_REQUEST_ID */
};

/*
 * PROCTERM_CMD_KILL for @pid with @flags, answered. 0 or a negative errno
 * (the kernel's, or -ETIMEDOUT).
 */
int procterm_kill(struct pt_sock *s, pid_t pid, uint32_t flags,
		  struct bench_reply *r);

/*
 * The static program tree and storm members run (BENCH_MEMBER, or
 * procterm_bench_member next to this program). Dies when it is missing.
 */
const char *member_path(void);
/* procterm_bench_chain, the deep trees' levels (BENCH_CHAIN overrides). */
const char *chain_path(void);

/* ---- raw syscalls ---- */

int sys_pidfd_open(pid_t pid, unsigned int flags);
int sys_pidfd_send_signal(int pidfd, int sig);

/* ---- cgroup v2 ---- */

struct cg {
	bool ok;		/* a cgroup v2 hierarchy we can write to */
	bool pids;		/* the pids controller is enabled for our groups */
	char mnt[512];		/* where cgroup2 is mounted */
	char base[600];		/* our parent group: MNT/procterm-bench.PID */
	int seq;
};

/* Find and prepare the hierarchy; explains in @why when it cannot. */
bool cg_init(struct cg *cg, bool want_pids, char *why, size_t whylen);
/* Create a fresh group under base; its path goes to @path. */
int cg_create(struct cg *cg, char *path, size_t len);
/* Move the calling process into @path (writes "0" to cgroup.procs). */
int cg_enter(const char *path);
int cg_write(const char *path, const char *file, const char *val);
/* Number of processes in the group (lines of cgroup.procs), -1 on error. */
long cg_count(const char *path);
long cg_read_long(const char *path, const char *file);
/* cgroup.kill, wait until empty, rmdir. */
int cg_destroy(const char *path);
void cg_fini(struct cg *cg);
/* cg_fini() of the hierarchy cg_init() last prepared, if any; for die(). */
void cg_cleanup_active(void);

/* ---- the userspace walker ---- */

struct walker {
	int procfd;
	pid_t *pid, *ppid, *order;
	size_t n, cap;
	long scans, kills;
	long reaped;		/* zombies it reaped between scans */
	/* SIGKILLs to PIDs not signalled before in this walker_kill_tree() */
	long new_kills;
	int64_t last_new_kill;	/* now_ns() after the last of them */
	unsigned char *seen;	/* bitmap of signalled PIDs, seen_max bits */
	long seen_max;
	/* Called once the first scan's kills are sent; NULL: nothing. */
	void (*after_first_pass)(void);
	int64_t deadline;	/* now_ns() after which a scan gives up; 0: none */
};

void walker_init(struct walker *w);
void walker_fini(struct walker *w);
/*
 * One scan of /proc: the live (not zombie) descendants of @root, @root
 * included when alive, in breadth-first order with @root last. Returns how
 * many (they are in w->order), or -ETIMEDOUT past w->deadline.
 */
long walker_scan(struct walker *w, pid_t root);
/*
 * Kill @root and all its descendants the way userspace tools do: scan,
 * SIGKILL what was found, reap zombies of ours, repeat until a scan finds
 * nothing. Returns 0, or -ETIMEDOUT after @timeout_ms.
 */
int walker_kill_tree(struct walker *w, pid_t root, long timeout_ms);

/* ---- the cost of a kill to the rest of the system (impact.c) ---- */

enum { IMPACT_IDLE, IMPACT_KILL, IMPACT_NPHASES };
#define IMPACT_MAXCPU 4

struct impact;
struct impact_result {
	bool rt;			/* the SCHED_FIFO threads ran */
	bool fork_fifo;			/* the fork loop ran at SCHED_FIFO */
	struct stats fork[IMPACT_NPHASES];	/* fork + exit + wait, ns */
	struct stats wake[IMPACT_NPHASES];	/* SCHED_FIFO wakeup latency, ns */
};

/* BENCH_IMPACT (1): whether the tree benchmark runs the sampler. */
bool impact_enabled(void);
/* Fork the sampler; it starts in the idle phase. */
struct impact *impact_start(void);
void impact_phase(struct impact *im, int phase);
pid_t impact_pid(const struct impact *im);
/* Stop and reap the sampler, and free @im. */
void impact_stop(struct impact *im, struct impact_result *r);

/* ---- subcommands ---- */

int bench_single(int argc, char **argv);
int bench_rate(int argc, char **argv);
int bench_tree(int argc, char **argv);
int bench_storm(int argc, char **argv);
int bench_deferred(int argc, char **argv);
int bench_cli(int argc, char **argv);
int bench_reap(int argc, char **argv);
int bench_exec(int argc, char **argv);
int bench_summary(int argc, char **argv);

#endif /* PROCTERM_BENCH_H */
