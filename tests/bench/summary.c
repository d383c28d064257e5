// SPDX-License-Identifier: GPL-2.0
/*
 * procterm benchmarks: the summary table and the goals.
 *
 * Reads every DIR/NAME.kv the benchmarks left ("bench<TAB>method<TAB>
 * metric<TAB>value" lines), prints one table of medians, p99s and ratios,
 * evaluates the goals (PASS/MISS; a miss does not fail the run) and writes
 * the same as JSON.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct rec {
	char bench[64], method[32], metric[32], val[256];
};

static struct rec *recs;
static size_t nrecs, caprecs;

static void load_file(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "re");

	if (!f) {
		warnx_("%s: %s", path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *fields[4], *save = NULL, *p = line;
		struct rec *r;
		int i;

		line[strcspn(line, "\n")] = 0;
		for (i = 0; i < 4; i++) {
			fields[i] = strtok_r(p, "\t", &save);
			p = NULL;
			if (!fields[i])
				break;
		}
		if (i < 4)
			continue;
		if (nrecs == caprecs) {
			caprecs = caprecs ? caprecs * 2 : 256;
			recs = realloc(recs, caprecs * sizeof(*recs));
			if (!recs)
				die("out of memory");
		}
		r = &recs[nrecs++];
		snprintf(r->bench, sizeof(r->bench), "%s", fields[0]);
		snprintf(r->method, sizeof(r->method), "%s", fields[1]);
		snprintf(r->metric, sizeof(r->metric), "%s", fields[2]);
		snprintf(r->val, sizeof(r->val), "%s", fields[3]);
	}
	fclose(f);
}

static const char *get_str(const char *bench, const char *method, const char *metric)
{
	size_t i;

	for (i = 0; i < nrecs; i++)
		if (!strcmp(recs[i].bench, bench) && !strcmp(recs[i].method, method) &&
		    !strcmp(recs[i].metric, metric))
			return recs[i].val;
	return NULL;
}

static double get(const char *bench, const char *method, const char *metric)
{
	const char *s = get_str(bench, method, metric);

	return s ? strtod(s, NULL) : NAN;
}

static const char *method_label(const char *m)
{
	static const char *const map[][2] = {
		{ "procterm", "procterm" },
		{ "kill", "kill(2)" },
		{ "pidfd", "pidfd_send_signal" },
		{ "cgroup_kill", "cgroup.kill" },
		{ "walker", "/proc walker" },
		{ "sigterm_queued", "SIGTERM queued" },
		{ "procterm_cli", "procterm kill" },
		{ "kill_cli", "/bin/kill -9" },
		{ "procterm_reap", "procterm --reap" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], m))
			return map[i][1];
	return m;
}

/* Where a benchmark goes in the table. */
static long bench_rank(const char *b)
{
	char shape[16];
	long size;

	if (!strcmp(b, "single"))
		return 0;
	if (!strcmp(b, "rate"))
		return 1;
	if (sscanf(b, "tree-%15[a-z]-%ld", shape, &size) == 2)
		return 2000000000L + (strcmp(shape, "wide") ? 1000000000L : 0) +
		       (size < 999999999L ? size : 999999999L);
	if (!strcmp(b, "storm"))
		return 4000000000L;
	if (!strcmp(b, "deferred"))
		return 5000000000L;
	if (!strcmp(b, "cli"))
		return 6000000000L;
	if (!strcmp(b, "reap"))
		return 6500000000L;
	if (!strcmp(b, "reap-busy"))
		return 6600000000L;
	return 7000000000L;
}

static void bench_titles(const char *b, char *t1, char *t2, size_t len)
{
	char shape[16];
	long size;

	t2[0] = 0;
	if (!strcmp(b, "single")) {
		snprintf(t1, len, "1 single process");
		snprintf(t2, len, "  request -> reaped");
	} else if (!strcmp(b, "rate")) {
		snprintf(t1, len, "2 rate, warm socket");
		snprintf(t2, len, "  per request issued");
	} else if (sscanf(b, "tree-%15[a-z]-%ld", shape, &size) == 2) {
		snprintf(t1, len, "3 tree %s, N=%ld", shape, size);
		snprintf(t2, len, "  request -> all reaped");
	} else if (!strcmp(b, "storm")) {
		snprintf(t1, len, "3 fork storm");
		snprintf(t2, len, "  the request itself");
	} else if (!strcmp(b, "deferred")) {
		snprintf(t1, len, "4 deferred");
		snprintf(t2, len, "  SIGCONT -> reaped");
	} else if (!strcmp(b, "cli")) {
		snprintf(t1, len, "5 CLI process");
		snprintf(t2, len, "  exec -> reaped");
	} else if (!strcmp(b, "reap")) {
		snprintf(t1, len, "6 memory of a victim");
		snprintf(t2, len, "  kill -> 90%% freed");
	} else if (!strcmp(b, "reap-busy")) {
		snprintf(t1, len, "6 the same, CPU-starved");
		snprintf(t2, len, "  kill -> 90%% freed");
	} else {
		snprintf(t1, len, "%s", b);
	}
}

static int cmp_bench(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	long rx = bench_rank(x), ry = bench_rank(y);

	if (rx != ry)
		return (rx > ry) - (rx < ry);
	return strcmp(x, y);
}

/* Distinct values of a field, in order of first appearance. */
static size_t distinct(const char **out, size_t max, const char *bench)
{
	size_t n = 0, i, k;

	for (i = 0; i < nrecs; i++) {
		const char *v = bench ? recs[i].method : recs[i].bench;

		if (bench && strcmp(recs[i].bench, bench))
			continue;
		if (bench && !strcmp(v, "-"))
			continue;
		for (k = 0; k < n; k++)
			if (!strcmp(out[k], v))
				break;
		if (k == n && n < max)
			out[n++] = v;
	}
	return n;
}

static const char *ref_method(const char *bench)
{
	if (!strncmp(bench, "reap", 4))
		return "procterm_reap";
	return strcmp(bench, "cli") ? "procterm" : "procterm_cli";
}

/* printf() a line without its trailing blanks. */
static void put_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void put_line(const char *fmt, ...)
{
	char line[512];
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	len = strlen(line);
	while (len && line[len - 1] == ' ')
		line[--len] = 0;
	puts(line);
}

static void print_table(struct json *j)
{
	const char *benches[256], *methods[16];
	size_t nb, nm, b, m;

	nb = distinct(benches, 256, NULL);
	qsort(benches, nb, sizeof(benches[0]), cmp_bench);

	printf("\n");
	put_line("%-24s %-18s %10s %10s %11s  %s", "benchmark", "method", "median",
		 "p99", "procterm/x", "notes");
	json_arr_begin(j, "rows");
	for (b = 0; b < nb; b++) {
		const char *bench = benches[b], *ref = ref_method(bench);
		const char *skip = get_str(bench, "-", "skipped");
		double refmed = get(bench, ref, "median_ns");
		char t1[64], t2[64];

		/* Its own table: print_exec(). */
		if (!strncmp(bench, "exec-r", 6))
			continue;
		bench_titles(bench, t1, t2, sizeof(t1));
		printf("\n");
		if (skip) {
			printf("%-24s skipped: %s\n", t1, skip);
			continue;
		}
		nm = distinct(methods, 16, bench);
		for (m = 0; m < nm; m++) {
			const char *me = methods[m];
			double med = get(bench, me, "median_ns");
			double p99 = get(bench, me, "p99_ns");
			double errs = get(bench, me, "errors");
			double ratio = strcmp(me, ref) && med > 0 ? refmed / med : NAN;
			char ratio_s[16] = "", notes[128] = "";
			size_t nl = 0;

			if (isfinite(ratio))
				snprintf(ratio_s, sizeof(ratio_s), "%.2f", ratio);
			if (!strcmp(bench, "rate"))
				nl += snprintf(notes + nl, sizeof(notes) - nl, "%.0f/s ",
					       get(bench, me, "rate_per_s"));
			if (!strcmp(bench, "storm")) {
				double gone = get(bench, me, "gone_median_ns");

				nl += snprintf(notes + nl, sizeof(notes) - nl,
					       "%.0f survivors (max %.0f/round) ",
					       get(bench, me, "survivors_total"),
					       get(bench, me, "survivors_max"));
				if (isfinite(gone))
					nl += snprintf(notes + nl, sizeof(notes) - nl,
						       "gone in %s ", fmt_ns(gone));
			}
			if (!strncmp(bench, "reap", 4))
				nl += snprintf(notes + nl, sizeof(notes) - nl, "%.0f MiB/s freed ",
					       get(bench, me, "mib_per_s"));
			if (!strncmp(bench, "tree-", 5) &&
			    isfinite(get(bench, me, "signalled_median_ns")))
				nl += snprintf(notes + nl, sizeof(notes) - nl, "signalled %s ",
					       fmt_ns(get(bench, me, "signalled_median_ns")));
			if (!strcmp(me, "walker") && isfinite(get(bench, me, "scans_median")))
				nl += snprintf(notes + nl, sizeof(notes) - nl, "%.0f scans ",
					       get(bench, me, "scans_median"));
			if (errs > 0)
				nl += snprintf(notes + nl, sizeof(notes) - nl, "%.0f failed", errs);
			while (nl > 0 && nl < sizeof(notes) && notes[nl - 1] == ' ')
				notes[--nl] = 0;
			put_line("%-24s %-18s %10s %10s %11s  %s",
				 m == 0 ? t1 : m == 1 ? t2 : "", method_label(me),
				 fmt_ns(med), isfinite(p99) ? fmt_ns(p99) : "",
				 ratio_s, notes);

			json_obj_begin(j, NULL);
			json_str(j, "bench", bench);
			json_str(j, "method", me);
			json_num(j, "median_ns", med);
			if (isfinite(p99))
				json_num(j, "p99_ns", p99);
			if (isfinite(ratio))
				json_num(j, "procterm_ratio", ratio);
			json_obj_end(j);
		}
		if (nm == 1)
			put_line("%s", t2);
	}
	json_arr_end(j);
}

/* ---- trees: signalled, lock hold, cost to others ---- */

/* Tree benchmarks measured, in table order. */
static size_t tree_benches(const char **out, size_t max)
{
	const char *all[256];
	size_t n = distinct(all, 256, NULL), i, k = 0;

	qsort(all, n, sizeof(all[0]), cmp_bench);
	for (i = 0; i < n && k < max; i++)
		if (!strncmp(all[i], "tree-", 5) && !get_str(all[i], "-", "skipped"))
			out[k++] = all[i];
	return k;
}

static const char *ns_or_dash(double v)
{
	return isfinite(v) && v > 0 ? fmt_ns(v) : "-";
}

/* "3.1x" for a / b, "" when either is missing. */
static const char *ratio_s(double a, double b)
{
	static char buf[4][16];
	static int slot;
	char *p = buf[slot++ % 4];

	if (isfinite(a) && isfinite(b) && a > 0 && b > 0)
		snprintf(p, 16, "%.2fx", a / b);
	else
		snprintf(p, 16, "-");
	return p;
}

static void print_signalled(void)
{
	const char *b[64];
	size_t n = tree_benches(b, 64), i;

	if (!n)
		return;
	printf("\nTree kill, request -> every member signalled (SIGKILL pending or dead),\n"
	       "beside request -> all reaped; medians\n");
	put_line("  %-18s %11s %11s %11s  %10s  %s", "tree", "procterm",
		 "cgroup.kill", "walker", "walker/pt", "reaped: procterm/cgroup.kill");
	for (i = 0; i < n; i++) {
		double p = get(b[i], "procterm", "signalled_median_ns");
		double c = get(b[i], "cgroup_kill", "signalled_median_ns");
		double w = get(b[i], "walker", "signalled_median_ns");
		double pr = get(b[i], "procterm", "median_ns");
		double cr = get(b[i], "cgroup_kill", "median_ns");

		put_line("  %-18s %11s %11s %11s  %10s  %s", b[i] + 5, ns_or_dash(p),
			 ns_or_dash(c), ns_or_dash(w), ratio_s(w, p), ratio_s(pr, cr));
	}
}

/*
 * procterm's request holds tasklist_lock for its two walks; the request's
 * time bounds the hold from above, and the unrelated fork's worst stall
 * during the kill shows it from the outside.
 */
static void print_lock_hold(struct json *j)
{
	static const char *const shapes[] = { "wide", "deep" };
	const char *b[64];
	size_t n = tree_benches(b, 64), i, s;

	json_arr_begin(j, "lock_hold");
	for (s = 0; s < 2; s++) {
		double prev_per = NAN;
		long prev_n = 0;
		bool head = false;

		for (i = 0; i < n; i++) {
			char shape[16];
			long size;
			double req, per, fk;

			if (sscanf(b[i], "tree-%15[a-z]-%ld", shape, &size) != 2 ||
			    strcmp(shape, shapes[s]))
				continue;
			req = get(b[i], "procterm", "request_median_ns");
			fk = get(b[i], "procterm", "fork_kill_max_ns");
			if (!isfinite(req))
				continue;
			if (!head) {
				printf("\nprocterm's request (tasklist_lock held for two walks within it), %s trees\n",
				       shapes[s]);
				put_line("  %-8s %10s %12s %14s  %s", "N", "request", "per member",
					 "vs previous N", "an unrelated fork's worst stall");
				head = true;
			}
			per = req / (double)(size + 1);
			put_line("  %-8ld %10s %12s %14s  %s", size, fmt_ns(req), fmt_ns(per),
				 prev_n ? ratio_s(per, prev_per) : "", ns_or_dash(fk));
			json_obj_begin(j, NULL);
			json_str(j, "shape", shapes[s]);
			json_int(j, "size", size);
			json_num(j, "request_ns", req);
			json_num(j, "per_member_ns", per);
			if (prev_n)
				json_num(j, "per_member_vs_previous", per / prev_per);
			if (isfinite(fk))
				json_num(j, "fork_stall_max_ns", fk);
			json_obj_end(j);
			prev_per = per;
			prev_n = size;
		}
	}
	json_arr_end(j);
}

static void print_impact(struct json *j)
{
	static const char *const ms[] = { "procterm", "cgroup_kill", "walker" };
	const char *b[64];
	size_t n = tree_benches(b, 64), i, k;
	bool head = false;

	json_arr_begin(j, "impact");
	for (i = 0; i < n; i++) {
		double cf = get(b[i], "cgroup_kill", "fork_kill_max_ns");
		double cp = get(b[i], "cgroup_kill", "fork_kill_p99_ns");
		double cw = get(b[i], "cgroup_kill", "wake_kill_max_ns");
		double idle_f = NAN, idle_p = NAN, idle_w = NAN;

		if (!isfinite(get(b[i], "procterm", "fork_kill_max_ns")) &&
		    !isfinite(cf))
			continue;
		if (!head) {
			printf("\nCost to the rest of the system: an unrelated process's fork+exit+wait,\n"
			       "and the wakeup latency of a SCHED_FIFO thread per CPU, during the kill\n"
			       "(request -> all reaped); x = this figure / cgroup.kill's, same tree\n");
			put_line("  %-16s %-12s %10s %7s %10s %7s %10s %7s", "tree", "during",
				 "fork worst", "x", "fork p99", "x", "FIFO worst", "x");
			head = true;
		}
		for (k = 0; k < 3; k++) {
			double f = get(b[i], ms[k], "fork_kill_max_ns");
			double p = get(b[i], ms[k], "fork_kill_p99_ns");
			double w = get(b[i], ms[k], "wake_kill_max_ns");
			double fi = get(b[i], ms[k], "fork_idle_max_ns");

			if (!isfinite(f))
				continue;
			/* Idle: the least disturbed of the idle phases. */
			if (isfinite(fi) && !(idle_f <= fi)) {
				idle_f = fi;
				idle_p = get(b[i], ms[k], "fork_idle_p99_ns");
				idle_w = get(b[i], ms[k], "wake_idle_max_ns");
			}
			put_line("  %-16s %-12s %10s %7s %10s %7s %10s %7s", b[i] + 5,
				 method_label(ms[k]), fmt_ns(f), ratio_s(f, cf), ns_or_dash(p),
				 ratio_s(p, cp), ns_or_dash(w), ratio_s(w, cw));
			json_obj_begin(j, NULL);
			json_str(j, "bench", b[i]);
			json_str(j, "method", ms[k]);
			json_num(j, "fork_max_ns", f);
			if (isfinite(p))
				json_num(j, "fork_p99_ns", p);
			if (isfinite(w))
				json_num(j, "wake_max_ns", w);
			if (isfinite(f / cf))
				json_num(j, "fork_max_vs_cgroup", f / cf);
			if (isfinite(w / cw))
				json_num(j, "wake_max_vs_cgroup", w / cw);
			json_obj_end(j);
		}
		if (isfinite(idle_f))
			put_line("  %-16s %-12s %10s %7s %10s %7s %10s %7s", b[i] + 5, "idle",
				 fmt_ns(idle_f), ratio_s(idle_f, cf), ns_or_dash(idle_p),
				 ratio_s(idle_p, cp), ns_or_dash(idle_w), ratio_s(idle_w, cw));
	}
	json_arr_end(j);
}

/* ---- goals ---- */

enum verdict { NA, PASS, MISS };

static const char *const verdict_name[] = { "n/a", "PASS", "MISS" };

static void goal(struct json *j, const char *id, enum verdict v, double value,
		 double limit, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void goal(struct json *j, const char *id, enum verdict v, double value,
		 double limit, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	printf("  %-4s  %s\n", verdict_name[v], text);
	json_obj_begin(j, NULL);
	json_str(j, "goal", id);
	json_str(j, "result", verdict_name[v]);
	json_num(j, "value", value);
	json_num(j, "limit", limit);
	json_str(j, "detail", text);
	json_obj_end(j);
}

/*
 * The tree of @shape closest to N = 10 000 (the goals' size), the larger
 * one on a tie, with @metric of both methods measured; 0 if none.
 */
static long largest_tree(const char *shape, const char *m1, const char *m2,
			 const char *metric)
{
	long best = 0, size;
	size_t i;
	char s[16];

	for (i = 0; i < nrecs; i++) {
		char bench[64];

		if (sscanf(recs[i].bench, "tree-%15[a-z]-%ld", s, &size) != 2 ||
		    strcmp(s, shape))
			continue;
		if (best && labs(size - 10000) > labs(best - 10000))
			continue;
		if (best && labs(size - 10000) == labs(best - 10000) && size < best)
			continue;
		snprintf(bench, sizeof(bench), "tree-%s-%ld", shape, size);
		if (get(bench, m1, metric) > 0 && get(bench, m2, metric) > 0)
			best = size;
	}
	return best;
}

static void tree_goals(struct json *j, const char *anchor, double limit, bool at_most)
{
	static const char *const shapes[] = { "wide", "deep" };
	const char *metric = at_most ? "median_ns" : "signalled_median_ns";
	size_t i;

	for (i = 0; i < 2; i++) {
		long size = largest_tree(shapes[i], "procterm", anchor, metric);
		char bench[64], note[64] = "";
		double p, a, ratio;
		enum verdict v;

		if (!size) {
			goal(j, at_most ? "tree_vs_cgroup" : "tree_vs_walker", NA, NAN, limit,
			     "tree kill, %s: procterm and %s not both measured",
			     shapes[i], method_label(anchor));
			continue;
		}
		snprintf(bench, sizeof(bench), "tree-%s-%ld", shapes[i], size);
		if (size != 10000)
			snprintf(note, sizeof(note), " [N=10000 not measured]");
		p = get(bench, "procterm", metric);
		a = get(bench, anchor, metric);
		if (at_most) {
			ratio = p / a;
			v = ratio <= limit ? PASS : MISS;
			goal(j, "tree_vs_cgroup", v, ratio, limit,
			     "tree kill %s N=%ld, request -> reaped: procterm %s = %.2fx cgroup.kill %s (goal <= %.1fx)%s",
			     shapes[i], size, fmt_ns(p), ratio, fmt_ns(a), limit, note);
		} else {
			ratio = a / p;
			v = ratio >= limit ? PASS : MISS;
			goal(j, "tree_vs_walker", v, ratio, limit,
			     "tree kill %s N=%ld, request -> all signalled: walker %s = %.1fx procterm %s (goal >= %.0fx)%s",
			     shapes[i], size, fmt_ns(a), ratio, fmt_ns(p), limit, note);
		}
	}
}

static void ratio_goal(struct json *j, const char *id, const char *bench,
		       const char *m, const char *anchor, double limit, const char *what)
{
	double p = get(bench, m, "median_ns"), a = get(bench, anchor, "median_ns");
	double ratio = p / a;

	if (!(p > 0) || !(a > 0)) {
		goal(j, id, NA, NAN, limit, "%s: not both measured", what);
		return;
	}
	goal(j, id, ratio <= limit ? PASS : MISS, ratio, limit,
	     "%s: %s %s = %.2fx %s %s (goal <= %.0fx)", what, method_label(m),
	     fmt_ns(p), ratio, method_label(anchor), fmt_ns(a), limit);
}

/* --reap on a CPU-starved victim: at least twice SIGKILL's MiB/s. */
static void reap_goal(struct json *j)
{
	double r = get("reap-busy", "procterm_reap", "mib_per_s");
	double k = get("reap-busy", "kill", "mib_per_s");

	if (!(r > 0) || !(k > 0)) {
		goal(j, "reap_busy_vs_kill", NA, NAN, 2,
		     "memory of a CPU-starved victim: not both measured");
		return;
	}
	goal(j, "reap_busy_vs_kill", r / k >= 2 ? PASS : MISS, r / k, 2,
	     "memory of a CPU-starved victim: --reap %.0f MiB/s = %.1fx SIGKILL's %.0f MiB/s (goal >= 2x)",
	     r, r / k, k);
}

/* ---- exec cost: phases against the module unloaded, round by round ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of the finite values among @v[0..@n); NAN when there is none. */
static double median_of(const double *v, size_t n)
{
	double w[64];
	size_t i, k = 0;

	for (i = 0; i < n && k < 64; i++)
		if (isfinite(v[i]))
			w[k++] = v[i];
	if (!k)
		return NAN;
	qsort(w, k, sizeof(w[0]), cmp_double);
	return k % 2 ? w[k / 2] : (w[k / 2 - 1] + w[k / 2]) / 2;
}

#define EXEC_MAXROUNDS	64

enum { EX_MEAN, EX_MEDIAN, EX_VFORK, EX_ALONE, EX_NCOLS };

static const char *const exec_col_key[EX_NCOLS] = {
	[EX_MEAN]	= "fork_exec_mean",
	[EX_MEDIAN]	= "fork_exec_median",
	[EX_VFORK]	= "vfork_exec_median",
	[EX_ALONE]	= "exec_alone_median",
};

/* One figure of @phase in round bench @b, in ns; NAN when not measured. */
static double exec_fig(const char *b, const char *phase, int col)
{
	switch (col) {
	case EX_MEAN:
		return get(b, phase, "fork_exec_mean_ns");
	case EX_MEDIAN:
		return get(b, phase, "fork_exec_median_ns");
	case EX_VFORK:
		return get(b, phase, "vfork_exec_median_ns");
	default:
		/* The exec's own share: without it, a fork + exit + wait. */
		return get(b, phase, "fork_exec_median_ns") -
		       get(b, phase, "fork_exit_median_ns");
	}
}

static const char *exec_phase_label(const char *p)
{
	static const char *const map[][2] = {
		{ "unloaded", "module unloaded" },
		{ "rules0", "loaded, 0 rules" },
		{ "rules1", "1 rule" },
		{ "rules1_work", "1 rule, task work" },
		{ "rules100", "100 rules" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], p))
			return map[i][1];
	return p;
}

static void print_exec(struct json *j)
{
	static const char *const order[] = {
		"unloaded", "rules0", "rules1", "rules1_work", "rules100",
	};
	const char *all[256], *rounds[EXEC_MAXROUNDS], *phases[16], *found[16];
	size_t na = distinct(all, 256, NULL), nr = 0, np = 0, nf, i, k, r;
	const char *skip = NULL;

	for (i = 0; i < na; i++)
		if (!strncmp(all[i], "exec-r", 6) && nr < EXEC_MAXROUNDS)
			rounds[nr++] = all[i];
	if (!nr)
		return;
	/* The known phases in their order, then any other. */
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		for (r = 0; r < nr; r++)
			if (get_str(rounds[r], order[i], "n") ||
			    get_str(rounds[r], order[i], "skipped")) {
				phases[np++] = order[i];
				break;
			}
	for (r = 0; r < nr; r++) {
		nf = distinct(found, 16, rounds[r]);
		for (i = 0; i < nf; i++) {
			for (k = 0; k < np && strcmp(phases[k], found[i]); k++)
				;
			if (k == np && np < 16)
				phases[np++] = found[i];
		}
	}
	for (r = 0; r < nr && !skip; r++)
		skip = get_str(rounds[r], "unloaded", "skipped");

	printf("\nexec cost: fork + execve of a static program + waitpid, one CPU;\n"
	       "medians over %zu rounds; \"x unl.\" = this phase / the module unloaded,\n"
	       "round by round, median of those ratios. \"exec alone\" = fork+exec - fork+exit.\n",
	       nr);
	if (skip)
		printf("(no \"unloaded\" anchor in some round: %s)\n", skip);
	put_line("%-18s %10s %7s %10s %7s %10s %7s %10s %7s  %s", "phase",
		 "mean", "x unl.", "median", "x unl.", "vfork+exec", "x unl.",
		 "exec alone", "x unl.", "rounds (median ratio)");
	json_arr_begin(j, "exec");
	for (i = 0; i < np; i++) {
		const char *p = phases[i];
		double val[EX_NCOLS], ratio[EX_NCOLS];
		double rv[EXEC_MAXROUNDS], rr[EX_NCOLS][EXEC_MAXROUNDS];
		char cells[EX_NCOLS][2][16], range[96] = "";
		size_t rl = 0;
		int c;

		for (c = 0; c < EX_NCOLS; c++) {
			for (r = 0; r < nr; r++) {
				double a = exec_fig(rounds[r], p, c);
				double u = exec_fig(rounds[r], "unloaded", c);

				rv[r] = a;
				rr[c][r] = isfinite(a) && isfinite(u) && u > 0 ? a / u : NAN;
			}
			val[c] = median_of(rv, nr);
			ratio[c] = median_of(rr[c], nr);
			snprintf(cells[c][0], 16, "%s", ns_or_dash(val[c]));
			if (isfinite(ratio[c]))
				snprintf(cells[c][1], 16, "%.3fx", ratio[c]);
			else
				snprintf(cells[c][1], 16, "-");
		}
		for (r = 0; r < nr && rl < sizeof(range) - 12; r++)
			if (isfinite(rr[EX_MEDIAN][r]))
				rl += snprintf(range + rl, sizeof(range) - rl, "%s%.3f",
					       rl ? " " : "", rr[EX_MEDIAN][r]);
		put_line("%-18s %10s %7s %10s %7s %10s %7s %10s %7s  %s",
			 exec_phase_label(p), cells[EX_MEAN][0], cells[EX_MEAN][1],
			 cells[EX_MEDIAN][0], cells[EX_MEDIAN][1], cells[EX_VFORK][0],
			 cells[EX_VFORK][1], cells[EX_ALONE][0], cells[EX_ALONE][1], range);

		json_obj_begin(j, NULL);
		json_str(j, "phase", p);
		json_int(j, "rounds", (int64_t)nr);
		for (c = 0; c < EX_NCOLS; c++) {
			char key[64];

			snprintf(key, sizeof(key), "%s_ns", exec_col_key[c]);
			if (isfinite(val[c]))
				json_num(j, key, val[c]);
			else
				json_null(j, key);
			snprintf(key, sizeof(key), "%s_ratio", exec_col_key[c]);
			if (isfinite(ratio[c]))
				json_num(j, key, ratio[c]);
			else
				json_null(j, key);
		}
		json_arr_begin(j, "fork_exec_median_ratio_per_round");
		for (r = 0; r < nr; r++) {
			if (isfinite(rr[EX_MEDIAN][r]))
				json_num(j, NULL, rr[EX_MEDIAN][r]);
			else
				json_null(j, NULL);
		}
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void print_goals(struct json *j)
{
	double ps = get("storm", "procterm", "survivors_total");
	double ws = get("storm", "walker", "survivors_total");
	double cs = get("storm", "cgroup_kill", "survivors_total");

	printf("\nGoals (a MISS is reported, it does not fail the run)\n");
	json_arr_begin(j, "goals");
	tree_goals(j, "cgroup_kill", 1.2, true);
	tree_goals(j, "walker", 20, false);
	if (!isfinite(ps)) {
		goal(j, "storm_survivors", NA, NAN, 0,
		     "fork storm: procterm not measured");
	} else {
		char others[96];

		snprintf(others, sizeof(others), "walker %s, cgroup.kill %s",
			 isfinite(ws) ? "" : "not measured",
			 isfinite(cs) ? "" : "not measured");
		if (isfinite(ws) && isfinite(cs))
			snprintf(others, sizeof(others), "walker %.0f, cgroup.kill %.0f",
				 ws, cs);
		else if (isfinite(ws))
			snprintf(others, sizeof(others), "walker %.0f", ws);
		goal(j, "storm_survivors", ps == 0 ? PASS : MISS, ps, 0,
		     "fork storm: procterm left %.0f survivors (%s; goal: 0)%s", ps,
		     others, isfinite(ws) && ws == 0 ?
		     " [the walker left none either: the race did not show this time]" : "");
	}
	ratio_goal(j, "single_vs_kill", "single", "procterm", "kill", 3,
		   "single request -> reaped");
	ratio_goal(j, "cli_vs_kill", "cli", "procterm_cli", "kill_cli", 2,
		   "CLI process -> reaped");
	reap_goal(j);
	json_arr_end(j);
}

int bench_summary(int argc, char **argv)
{
	const char *jsonpath = NULL, *dir = NULL;
	struct dirent *de;
	struct json j = { 0 };
	DIR *d;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j") && i + 1 < argc)
			jsonpath = argv[++i];
		else if (!dir)
			dir = argv[i];
		else
			dir = NULL, i = argc;
	}
	if (!dir) {
		fprintf(stderr, "usage: procterm_bench summary [-j FILE] DIR\n");
		return BENCH_EXIT_USAGE;
	}
	d = opendir(dir);
	if (!d)
		die("%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char path[PATH_MAX];

		if (len < 4 || strcmp(de->d_name + len - 3, ".kv"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		load_file(path);
	}
	closedir(d);

	if (jsonpath) {
		j.f = fopen(jsonpath, "w");
		if (!j.f)
			die("%s: %s", jsonpath, strerror(errno));
		fputc('{', j.f);
	}
	printf("Medians; p99 where measured. ratio = procterm's median / this method's\n"
	       "(below 1: procterm is faster). Only ratios within one boot are meaningful.\n");
	print_table(&j);
	print_signalled();
	print_lock_hold(&j);
	print_impact(&j);
	print_exec(&j);
	print_goals(&j);
	if (j.f) {
		fputs("\n}\n", j.f);
		if (fclose(j.f))
			die("%s: %s", jsonpath, strerror(errno));
	}
	free(recs);
	return 0;
}
