// SPDX-License-Identifier: GPL-2.0
/*
 * procterm benchmark: what an exec costs with the module loaded.
 *
 *   exec --phase NAME [--round R]
 *
 * One phase measures, in turns, BENCH_EXEC_N times each:
 *
 *   fork_exec    fork() + execve() of procterm_bench_chain (no C library:
 *                with no arguments it exits at once, status 2) + waitpid()
 *   vfork_exec   the same with vfork(): the parent's address space is not
 *                copied, so the exec's share of the time is larger
 *   fork_exit    fork() + _exit() + waitpid(): the same without the exec,
 *                so that fork_exec - fork_exit is the exec alone
 *
 * all pinned to one CPU (BENCH_EXEC_CPU, default the last one we may run
 * on) for stability. What is loaded is not this program's business:
 * run.sh sets the phase up (module unloaded, loaded with 0, 1 or 100
 * rules, ...) and names it; the ratios between phases of one boot are made
 * by the summary. Output: exec-NAME-rR.json, and exec-rR.kv lines
 * "exec-rR<TAB>NAME<TAB>METRIC<TAB>VALUE".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define EXEC_TIMEOUT_MS	30000

enum exec_method { E_FORK_EXEC, E_VFORK_EXEC, E_FORK_EXIT, E_NMETHODS };

static const char *const exec_method_name[E_NMETHODS] = {
	[E_FORK_EXEC]	= "fork_exec",
	[E_VFORK_EXEC]	= "vfork_exec",
	[E_FORK_EXIT]	= "fork_exit",
};

struct exec_result {
	struct samples t;
	long errors;
	char first_error[160];
};

static char *const exec_envp[] = { NULL };

/* The last CPU in our affinity mask, or BENCH_EXEC_CPU; -1: not pinned. */
static int exec_pin(void)
{
	cpu_set_t set;
	long want = env_long("BENCH_EXEC_CPU", -1, -1, CPU_SETSIZE - 1);
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set)) {
		warnx_("sched_getaffinity: %s; not pinned", strerror(errno));
		return -1;
	}
	if (want < 0) {
		for (cpu = CPU_SETSIZE - 1; cpu >= 0 && !CPU_ISSET(cpu, &set); cpu--)
			;
	} else {
		cpu = (int)want;
	}
	if (cpu < 0)
		return -1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		warnx_("pinning to CPU %d: %s; not pinned", cpu, strerror(errno));
		return -1;
	}
	return cpu;
}

/* One fork/vfork (+ exec) + wait; the time in ns, or -1 with @why set. */
static int64_t exec_once(enum exec_method m, char *const argv[], char *why, size_t len)
{
	int64_t t0, t1;
	pid_t pid, r;
	int st, want;

	t0 = now_ns();
	if (m == E_VFORK_EXEC)
		pid = vfork();
	else
		pid = fork();
	if (pid == 0) {
		if (m != E_FORK_EXIT)
			execve(argv[0], argv, exec_envp);
		_exit(m == E_FORK_EXIT ? 2 : 127);
	}
	if (pid < 0) {
		snprintf(why, len, "%s: %s", m == E_VFORK_EXEC ? "vfork" : "fork",
			 strerror(errno));
		return -1;
	}
	deadline_arm(EXEC_TIMEOUT_MS);
	do
		r = waitpid(pid, &st, 0);
	while (r < 0 && errno == EINTR && !deadline_hit());
	t1 = now_ns();
	deadline_disarm();
	if (r != pid) {
		kill_reap(pid);
		snprintf(why, len, "waitpid: %s", r < 0 && errno != EINTR ?
			 strerror(errno) : "timed out");
		return -1;
	}
	/* procterm_bench_chain without arguments exits with status 2. */
	want = 2;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != want) {
		if (WIFSIGNALED(st))
			snprintf(why, len, "the child was killed by signal %d (a rule matched?)",
				 WTERMSIG(st));
		else
			snprintf(why, len, "the child exited with status %d, not %d%s",
				 WEXITSTATUS(st), want,
				 WEXITSTATUS(st) == 127 ? " (execve failed)" : "");
		return -1;
	}
	return t1 - t0;
}

static void exec_usage(void)
{
	fprintf(stderr, "usage: procterm_bench exec --phase NAME [--round R]\n");
}

int bench_exec(int argc, char **argv)
{
	/* About 16 s a phase under TCG (11 ms for the three), 0.2 s natively. */
	long n = env_long("BENCH_EXEC_N", 1500, 1, 10000000);
	long warm = env_long("BENCH_EXEC_WARMUP", 50, 0, 1000000);
	struct exec_result res[E_NMETHODS] = { 0 };
	const char *phase = NULL;
	char name[64], bench[32], metric[64], why[160];
	char *args[2];
	struct bench_out o;
	int64_t t0, t;
	long round = 1, i;
	int k, m, cpu;

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--phase") && k + 1 < argc) {
			phase = argv[++k];
		} else if (!strcmp(argv[k], "--round") && k + 1 < argc) {
			char *end;

			round = strtol(argv[++k], &end, 10);
			if (*end || round < 1 || round > 1000) {
				exec_usage();
				return BENCH_EXIT_USAGE;
			}
		} else {
			exec_usage();
			return BENCH_EXIT_USAGE;
		}
	}
	if (!phase || !*phase || strlen(phase) > 24 ||
	    strspn(phase, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(phase)) {
		fprintf(stderr, "procterm_bench exec: --phase is 1 to 24 of [a-z0-9_]\n");
		exec_usage();
		return BENCH_EXIT_USAGE;
	}

	args[0] = (char *)chain_path();
	args[1] = NULL;
	cpu = exec_pin();
	snprintf(name, sizeof(name), "exec-%s-r%ld", phase, round);
	snprintf(bench, sizeof(bench), "exec-r%ld", round);
	printf("exec: phase %s, round %ld: %ld x {fork+exec, vfork+exec, fork+exit} + wait"
	       " of %s, on CPU %d\n", phase, round, n, args[0], cpu);

	/* The emulator's code cache, the page cache, the dentry of the program. */
	for (i = 0; i < warm; i++)
		for (m = 0; m < E_NMETHODS; m++)
			exec_once(m, args, why, sizeof(why));

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		for (k = 0; k < E_NMETHODS; k++) {
			/* The first method rotates: drift hits every method alike. */
			struct exec_result *r;

			m = (int)((i + k) % E_NMETHODS);
			r = &res[m];
			t = exec_once(m, args, why, sizeof(why));
			if (t < 0) {
				if (!r->errors++) {
					snprintf(r->first_error, sizeof(r->first_error), "%s", why);
					warnx_("exec: %s: %s", exec_method_name[m], why);
				}
				continue;
			}
			samples_add(&r->t, t);
		}
	}
	t = now_ns() - t0;

	out_open(&o, name);
	json_str(&o.j, "phase", phase);
	json_int(&o.j, "round", round);
	json_int(&o.j, "n", n);
	json_int(&o.j, "cpu", cpu);
	json_str(&o.j, "program", args[0]);
	json_num(&o.j, "seconds", (double)t / NSEC_PER_SEC);
	json_obj_begin(&o.j, "methods");
	for (m = 0; m < E_NMETHODS; m++) {
		struct exec_result *r = &res[m];
		const char *me = exec_method_name[m];
		struct stats st;

		stats_of(&r->t, &st);
		printf("  %-11s mean %10s  median %10s  p99 %10s  (n=%zu)%s\n", me,
		       fmt_ns(st.mean), fmt_ns(st.median), fmt_ns(st.p99), st.n,
		       r->errors ? "  ERRORS" : "");
		json_obj_begin(&o.j, me);
		json_stats(&o.j, "per_exec", &st);
		json_int(&o.j, "errors", r->errors);
		if (r->errors)
			json_str(&o.j, "first_error", r->first_error);
		json_samples(&o.j, "ns", &r->t);
		json_obj_end(&o.j);

		snprintf(metric, sizeof(metric), "%s_mean_ns", me);
		kv_put(&o, bench, phase, metric, st.mean);
		snprintf(metric, sizeof(metric), "%s_median_ns", me);
		kv_put(&o, bench, phase, metric, st.median);
		snprintf(metric, sizeof(metric), "%s_errors", me);
		kv_put(&o, bench, phase, metric, (double)r->errors);
		samples_free(&r->t);
	}
	json_obj_end(&o.j);
	kv_put(&o, bench, phase, "n", (double)n);
	printf("  (%.1f s)\n", (double)t / NSEC_PER_SEC);
	out_close(&o);
	for (m = 0; m < E_NMETHODS; m++)
		if (res[m].errors)
			return BENCH_EXIT_FAIL;
	return 0;
}
