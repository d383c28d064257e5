// SPDX-License-Identifier: GPL-2.0
/*
 * procterm benchmarks on one process at a time:
 *
 *   single    request -> reaped: procterm vs kill(2) vs pidfd_send_signal(2)
 *   rate      back-to-back requests over many paused targets
 *   deferred  SIGCONT -> reaped: armed deferred kill vs a queued SIGTERM
 *   cli       the command as a whole process: procterm kill vs /bin/kill
 *
 * The methods take turns run by run, the starting one rotating, so that
 * drift (caches, other load, the emulator's code cache) hits all alike.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define DEATH_TIMEOUT_MS	30000

enum method {
	M_PROCTERM,
	M_KILL,
	M_PIDFD,
	M_SIGTERM_QUEUED,
	M_PROCTERM_CLI,
	M_KILL_CLI,
};

static const char *const method_name[] = {
	[M_PROCTERM]		= "procterm",
	[M_KILL]		= "kill",
	[M_PIDFD]		= "pidfd",
	[M_SIGTERM_QUEUED]	= "sigterm_queued",
	[M_PROCTERM_CLI]	= "procterm_cli",
	[M_KILL_CLI]		= "kill_cli",
};

struct result {
	enum method m;
	struct samples total;	/* request -> reaped */
	struct samples req;	/* the request call alone */
	long errors;
	char first_error[160];
};

static void note_error(struct result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note_error(struct result *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->errors++) {
		va_start(ap, fmt);
		vsnprintf(r->first_error, sizeof(r->first_error), fmt, ap);
		va_end(ap);
		warnx_("%s: %s", method_name[r->m], r->first_error);
	}
}

static bool killed_by(int st, int sig)
{
	return WIFSIGNALED(st) && WTERMSIG(st) == sig;
}

/* Wait for @pid inside a timed region (the deadline is armed by the caller). */
static int wait_timed(pid_t pid, int *st)
{
	for (;;) {
		pid_t r = waitpid(pid, st, __WALL);

		if (r == pid)
			return 0;
		if (r < 0 && errno == EINTR && !deadline_hit())
			continue;
		return r < 0 && errno != EINTR ? -errno : -ETIMEDOUT;
	}
}

static void print_row(const char *label, const struct stats *st, const char *extra)
{
	printf("  %-22s median %10s  p99 %10s  (n=%zu)%s\n", label,
	       fmt_ns(st->median), fmt_ns(st->p99), st->n, extra ? extra : "");
}

static void emit_results(struct bench_out *o, const char *bench,
			 struct result *res, int nres, bool with_req)
{
	int i;

	json_obj_begin(&o->j, "methods");
	for (i = 0; i < nres; i++) {
		struct result *r = &res[i];
		struct stats st, sr;

		stats_of(&r->total, &st);
		stats_of(&r->req, &sr);
		print_row(method_name[r->m], &st, NULL);
		json_obj_begin(&o->j, method_name[r->m]);
		json_stats(&o->j, "total", &st);
		if (with_req)
			json_stats(&o->j, "request", &sr);
		json_int(&o->j, "errors", r->errors);
		if (r->errors)
			json_str(&o->j, "first_error", r->first_error);
		json_samples(&o->j, "total_ns", &r->total);
		if (with_req)
			json_samples(&o->j, "request_ns", &r->req);
		json_obj_end(&o->j);

		kv_put(o, bench, method_name[r->m], "median_ns", st.median);
		kv_put(o, bench, method_name[r->m], "p99_ns", st.p99);
		kv_put(o, bench, method_name[r->m], "n", (double)st.n);
		kv_put(o, bench, method_name[r->m], "errors", (double)r->errors);
		if (with_req)
			kv_put(o, bench, method_name[r->m], "request_median_ns", sr.median);
	}
	json_obj_end(&o->j);
}

static void free_results(struct result *res, int nres)
{
	int i;

	for (i = 0; i < nres; i++) {
		samples_free(&res[i].total);
		samples_free(&res[i].req);
	}
}

static bool pidfd_works(void)
{
	pid_t pid = spawn_paused();
	int fd = sys_pidfd_open(pid, 0);
	bool ok = fd >= 0;

	if (fd >= 0)
		close(fd);
	else
		printf("  pidfd_open: %s; skipping pidfd_send_signal\n", strerror(errno));
	kill_reap(pid);
	return ok;
}

/* ---- 1. single termination ---- */

static void single_run(struct pt_sock *s, struct result *r, bool record)
{
	struct bench_reply rep;
	int64_t t0, t1, t2;
	int st, ret = 0, pidfd = -1;
	pid_t pid = spawn_paused();

	if (r->m == M_PIDFD) {
		pidfd = sys_pidfd_open(pid, 0);
		if (pidfd < 0)
			die("pidfd_open(%d): %s", (int)pid, strerror(errno));
	}
	deadline_arm(DEATH_TIMEOUT_MS);
	t0 = now_ns();
	switch (r->m) {
	case M_PROCTERM:
		ret = procterm_kill(s, pid, 0, &rep);
		break;
	case M_KILL:
		ret = kill(pid, SIGKILL) ? -errno : 0;
		break;
	case M_PIDFD:
		ret = sys_pidfd_send_signal(pidfd, SIGKILL) ? -errno : 0;
		break;
	default:
		break;
	}
	t1 = now_ns();
	if (!ret)
		ret = wait_timed(pid, &st);
	t2 = now_ns();
	deadline_disarm();
	if (pidfd >= 0)
		close(pidfd);
	if (ret) {
		note_error(r, "pid %d: %s", (int)pid, strerror(-ret));
		kill_reap(pid);
		return;
	}
	reg_del(pid);
	if (!killed_by(st, SIGKILL)) {
		note_error(r, "pid %d: wait status 0x%x, not SIGKILL", (int)pid, st);
		return;
	}
	if (record) {
		samples_add(&r->total, t2 - t0);
		samples_add(&r->req, t1 - t0);
	}
}

int bench_single(int argc, char **argv)
{
	long n = env_long("BENCH_N", 1000, 1, 10000000);
	long warm = env_long("BENCH_WARMUP", 20, 0, 1000000);
	struct result res[3];
	struct bench_out o;
	struct pt_sock s;
	int nres = 0, i;
	long run;

	(void)argc;
	(void)argv;
	printf("single: request -> reaped, %ld runs per method (+%ld warm-up)\n", n, warm);
	memset(res, 0, sizeof(res));
	if (procterm_open(&s))
		res[nres++].m = M_PROCTERM;
	res[nres++].m = M_KILL;
	if (pidfd_works())
		res[nres++].m = M_PIDFD;

	for (run = -warm; run < n; run++) {
		for (i = 0; i < nres; i++) {
			long k = (run % nres + nres + i) % nres;

			single_run(&s, &res[k], run >= 0);
		}
	}

	out_open(&o, "single");
	json_int(&o.j, "runs", n);
	json_int(&o.j, "warmup", warm);
	emit_results(&o, "single", res, nres, true);
	out_close(&o);
	free_results(res, nres);
	if (res[0].m == M_PROCTERM)
		pt_close(&s);
	return 0;
}

/* ---- 2. requests per second ---- */

struct rate_result {
	enum method m;
	struct samples issue;	/* all requests issued */
	struct samples total;	/* all requests issued and all reaped */
	long errors;
	char first_error[160];
};

int bench_rate(int argc, char **argv)
{
	long ntargets = env_long("BENCH_RATE_N", 1000, 1, 1000000);
	long rounds = env_long("BENCH_RATE_ROUNDS", 3, 1, 100000);
	struct rate_result res[2];
	struct bench_out o;
	struct pt_sock s;
	pid_t *pids;
	int nres = 0, i;
	long round;

	(void)argc;
	(void)argv;
	printf("rate: %ld paused targets killed back to back, %ld rounds per method\n",
	       ntargets, rounds);
	memset(res, 0, sizeof(res));
	if (procterm_open(&s))
		res[nres++].m = M_PROCTERM;
	res[nres++].m = M_KILL;
	pids = calloc((size_t)ntargets, sizeof(*pids));
	if (!pids)
		die("out of memory");

	for (round = 0; round < rounds; round++) {
		for (i = 0; i < nres; i++) {
			struct rate_result *r = &res[(round + i) % nres];
			int64_t t0, t1, t2;
			long k, reaped = 0;
			bool bad = false;

			spawn_paused_many(pids, (size_t)ntargets);
			deadline_arm(DEATH_TIMEOUT_MS + ntargets * 100);
			t0 = now_ns();
			for (k = 0; k < ntargets; k++) {
				struct bench_reply rep;
				int ret;

				if (r->m == M_PROCTERM)
					ret = procterm_kill(&s, pids[k], 0, &rep);
				else
					ret = kill(pids[k], SIGKILL) ? -errno : 0;
				if (ret && !r->errors++) {
					snprintf(r->first_error, sizeof(r->first_error),
						 "pid %d: %s", (int)pids[k], strerror(-ret));
					warnx_("rate %s: %s", method_name[r->m], r->first_error);
				}
				bad |= ret != 0;
			}
			t1 = now_ns();
			while (!bad && reaped < ntargets) {
				int st;
				pid_t p;

				if (deadline_hit()) {
					bad = true;
					break;
				}
				p = waitpid(-1, &st, __WALL);

				if (p > 0) {
					reaped++;
					continue;
				}
				if (errno == EINTR && !deadline_hit())
					continue;
				bad = true;
			}
			t2 = now_ns();
			deadline_disarm();
			if (bad) {
				if (!r->errors++)
					snprintf(r->first_error, sizeof(r->first_error),
						 "round %ld: reaped %ld of %ld", round,
						 reaped, ntargets);
				reap_all(DEATH_TIMEOUT_MS);
				continue;
			}
			for (k = 0; k < ntargets; k++)
				reg_del(pids[k]);
			samples_add(&r->issue, t1 - t0);
			samples_add(&r->total, t2 - t0);
		}
	}

	out_open(&o, "rate");
	json_int(&o.j, "targets", ntargets);
	json_int(&o.j, "rounds", rounds);
	json_obj_begin(&o.j, "methods");
	for (i = 0; i < nres; i++) {
		struct rate_result *r = &res[i];
		struct stats si, stt;
		double per_req, per_s;
		char extra[64];

		stats_of(&r->issue, &si);
		stats_of(&r->total, &stt);
		per_req = si.median / (double)ntargets;
		per_s = si.median > 0 ? (double)ntargets * 1e9 / si.median : NAN;
		snprintf(extra, sizeof(extra), "  %.0f requests/s, %s per request",
			 per_s, fmt_ns(per_req));
		print_row(method_name[r->m], &si, extra);
		printf("  %-22s median %10s  (all killed and reaped)\n", "",
		       fmt_ns(stt.median));
		json_obj_begin(&o.j, method_name[r->m]);
		json_stats(&o.j, "issue", &si);
		json_stats(&o.j, "issue_and_reap", &stt);
		json_num(&o.j, "requests_per_s", per_s);
		json_int(&o.j, "errors", r->errors);
		if (r->errors)
			json_str(&o.j, "first_error", r->first_error);
		json_samples(&o.j, "issue_ns", &r->issue);
		json_samples(&o.j, "issue_and_reap_ns", &r->total);
		json_obj_end(&o.j);
		kv_put(&o, "rate", method_name[r->m], "median_ns", per_req);
		kv_put(&o, "rate", method_name[r->m], "rate_per_s", per_s);
		kv_put(&o, "rate", method_name[r->m], "reap_median_ns", stt.median);
		kv_put(&o, "rate", method_name[r->m], "n", (double)si.n);
		kv_put(&o, "rate", method_name[r->m], "errors", (double)r->errors);
		samples_free(&r->issue);
		samples_free(&r->total);
	}
	json_obj_end(&o.j);
	out_close(&o);
	free(pids);
	if (res[0].m == M_PROCTERM)
		pt_close(&s);
	return 0;
}

/* ---- 4. deferred kill ---- */

static void deferred_run(struct pt_sock *s, struct result *r, bool record)
{
	struct bench_reply rep;
	int64_t t0, t1;
	int st, ret;
	pid_t pid = spawn_paused(), got;

	if (kill(pid, SIGSTOP))
		die("SIGSTOP %d: %s", (int)pid, strerror(errno));
	/* Collect the stop report, so that only the death is left to wait for. */
	deadline_arm(DEATH_TIMEOUT_MS);
	do {
		got = waitpid(pid, &st, WUNTRACED | __WALL);
	} while (got < 0 && errno == EINTR && !deadline_hit());
	deadline_disarm();
	if (got != pid || !WIFSTOPPED(st)) {
		note_error(r, "pid %d did not stop (wait status 0x%x)", (int)pid,
			   got == pid ? st : 0);
		if (got == pid)
			reg_del(pid);
		else
			kill_reap(pid);
		return;
	}

	if (r->m == M_PROCTERM) {
		ret = procterm_kill(s, pid, PROCTERM_F_DEFERRED, &rep);
		if (ret) {
			note_error(r, "arming pid %d: %s (%s)", (int)pid, strerror(-ret), rep.msg);
			kill_reap(pid);
			return;
		}
		if (proc_state(pid) != 'T') {
			note_error(r, "pid %d: state %c after arming, not stopped",
				   (int)pid, proc_state(pid));
			kill_reap(pid);
			return;
		}
	} else if (kill(pid, SIGTERM)) {
		die("SIGTERM %d: %s", (int)pid, strerror(errno));
	}

	deadline_arm(DEATH_TIMEOUT_MS);
	t0 = now_ns();
	ret = kill(pid, SIGCONT) ? -errno : 0;
	if (!ret)
		ret = wait_timed(pid, &st);
	t1 = now_ns();
	deadline_disarm();
	if (ret) {
		note_error(r, "pid %d: %s", (int)pid, strerror(-ret));
		kill_reap(pid);
		return;
	}
	reg_del(pid);
	if (!killed_by(st, r->m == M_PROCTERM ? SIGKILL : SIGTERM)) {
		note_error(r, "pid %d: wait status 0x%x", (int)pid, st);
		return;
	}
	if (record)
		samples_add(&r->total, t1 - t0);
}

int bench_deferred(int argc, char **argv)
{
	long n = env_long("BENCH_DEFERRED_N", 300, 1, 10000000);
	long warm = env_long("BENCH_WARMUP", 20, 0, 1000000);
	struct result res[2];
	struct bench_out o;
	struct pt_sock s;
	int nres = 0, i;
	long run;

	(void)argc;
	(void)argv;
	printf("deferred: SIGCONT -> reaped of a stopped child, %ld runs per method\n", n);
	memset(res, 0, sizeof(res));
	if (procterm_open(&s))
		res[nres++].m = M_PROCTERM;
	res[nres++].m = M_SIGTERM_QUEUED;

	for (run = -warm; run < n; run++) {
		for (i = 0; i < nres; i++) {
			long k = (run % nres + nres + i) % nres;

			deferred_run(&s, &res[k], run >= 0);
		}
	}

	out_open(&o, "deferred");
	json_int(&o.j, "runs", n);
	json_int(&o.j, "warmup", warm);
	emit_results(&o, "deferred", res, nres, false);
	out_close(&o);
	free_results(res, nres);
	if (res[0].m == M_PROCTERM)
		pt_close(&s);
	return 0;
}

/* ---- 5. the CLI ---- */

static void cli_run(struct result *r, const char *path, const char *sigopt,
		    int devnull, bool record)
{
	char pidstr[16];
	const char *argv[5];
	int64_t t0, t1;
	int st, cst, ret, a = 0;
	pid_t pid = spawn_paused(), c;

	snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
	argv[a++] = path;
	if (r->m == M_PROCTERM_CLI)
		argv[a++] = "kill";
	else if (sigopt)
		argv[a++] = sigopt;
	argv[a++] = pidstr;
	argv[a] = NULL;

	deadline_arm(DEATH_TIMEOUT_MS);
	t0 = now_ns();
	c = fork();
	if (c == 0) {
		dup2(devnull, STDOUT_FILENO);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	if (c < 0) {
		deadline_disarm();
		die("fork: %s", strerror(errno));
	}
	ret = wait_timed(c, &cst);
	if (!ret)
		ret = wait_timed(pid, &st);
	t1 = now_ns();
	deadline_disarm();
	if (ret) {
		note_error(r, "pid %d: %s", (int)pid, strerror(-ret));
		kill_reap(c);
		kill_reap(pid);
		return;
	}
	reg_del(pid);
	if (!WIFEXITED(cst) || WEXITSTATUS(cst)) {
		note_error(r, "%s exited with wait status 0x%x", path, cst);
		return;
	}
	if (!killed_by(st, SIGKILL)) {
		note_error(r, "pid %d: wait status 0x%x, not SIGKILL", (int)pid, st);
		return;
	}
	if (record)
		samples_add(&r->total, t1 - t0);
}

int bench_cli(int argc, char **argv)
{
	long n = env_long("BENCH_CLI_N", 200, 1, 10000000);
	long warm = env_long("BENCH_CLI_WARMUP", 5, 0, 1000000);
	const char *procterm = env_str("PROCTERM", NULL);
	const char *killbin = env_str("BENCH_KILL_BIN", "/bin/kill");
	struct result res[2];
	struct bench_out o;
	struct pt_sock s;
	int nres = 0, i, devnull;
	long run;

	(void)argc;
	(void)argv;
	printf("cli: fork+exec of the command, request -> reaped, %ld runs per method\n", n);
	memset(res, 0, sizeof(res));
	if (procterm_open(&s)) {
		pt_close(&s);
		if (!procterm || access(procterm, X_OK))
			printf("  PROCTERM=%s is not executable; skipping procterm kill\n",
			       procterm ? procterm : "(unset)");
		else
			res[nres++].m = M_PROCTERM_CLI;
	}
	if (access(killbin, X_OK))
		printf("  %s is not executable; skipping it\n", killbin);
	else
		res[nres++].m = M_KILL_CLI;
	if (!nres) {
		printf("  nothing to measure\n");
		return 0;
	}
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0)
		die("/dev/null: %s", strerror(errno));

	for (run = -warm; run < n; run++) {
		for (i = 0; i < nres; i++) {
			struct result *r = &res[(run % nres + nres + i) % nres];

			if (r->m == M_PROCTERM_CLI)
				cli_run(r, procterm, NULL, devnull, run >= 0);
			else
				cli_run(r, killbin, "-9", devnull, run >= 0);
		}
	}
	close(devnull);

	out_open(&o, "cli");
	json_int(&o.j, "runs", n);
	json_str(&o.j, "procterm", procterm ? procterm : "");
	json_str(&o.j, "kill", killbin);
	emit_results(&o, "cli", res, nres, false);
	out_close(&o);
	free_results(res, nres);
	return 0;
}
