// SPDX-License-Identifier: GPL-2.0
/*
 * procterm benchmarks on whole trees:
 *
 *   tree   a tree of paused processes, wide (a root and N children) or deep
 *          (a root and a chain of N descendants), killed as a whole:
 *          procterm PROCTERM_F_TREE on the root vs writing cgroup.kill of a
 *          group holding exactly the tree vs the userspace walker. Timed
 *          from the request until every member is signalled (SIGKILL
 *          pending, or dead), and until the benchmark, a subreaper, has
 *          reaped all N + 1 processes; meanwhile an unrelated sampler
 *          measures what the kill costs everyone else (impact.c).
 *   storm  a fork storm: every member forks in a loop, bounded by the
 *          group's pids.max; each method kills it, and whatever is still
 *          alive one second after the method returned is a survivor.
 *
 * Every trial, whatever the method, builds its tree in a fresh cgroup when
 * cgroup v2 is available, so that all methods measure the same setup.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

enum tmethod {
	T_PROCTERM,
	T_CGROUP,
	T_WALKER,
	T_NMETHODS,
};

static const char *const tmethod_name[] = {
	[T_PROCTERM]	= "procterm",
	[T_CGROUP]	= "cgroup_kill",
	[T_WALKER]	= "walker",
};

struct ctx {
	struct cg cg;
	struct pt_sock s;
	struct walker w;
	bool have[T_NMETHODS];
	long walker_timeout_ms;
	long reap_timeout_ms;
	int request_prio;	/* SCHED_FIFO for the request; 0: unchanged */
};

/*
 * The request runs at SCHED_FIFO @prio on CPU 0, then back to SCHED_OTHER
 * on every CPU. Once SIGKILL is queued on 10 000 members, all of them are
 * runnable; a requester of normal priority then waits for its share of a
 * CPU among them before its system call even returns, and "signalled"
 * would time the victims' exits, not the kill. CPU 0: the sampler's fork
 * loop runs on the last CPU (impact.c), so that it is never queued behind
 * the request itself and sees only what the request holds.
 */
static void request_prio(int prio)
{
	struct sched_param sp = { .sched_priority = prio };
	long i, n = sysconf(_SC_NPROCESSORS_CONF);
	cpu_set_t set;

	CPU_ZERO(&set);
	if (prio)
		CPU_SET(0, &set);
	else
		for (i = 0; i < n && i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
	sched_setscheduler(0, prio ? SCHED_FIFO : SCHED_OTHER, &sp);
}

/*
 * The walker signals at the request's priority, then rescans at normal
 * priority: a real-time walker polling /proc in a loop would keep its own
 * victims off its CPU until they are gone.
 */
static void walker_demote(void)
{
	request_prio(0);
}

static void ctx_init(struct ctx *c, bool want_pids, char *why, size_t whylen)
{
	memset(c, 0, sizeof(*c));
	c->s.fd = -1;
	c->have[T_PROCTERM] = procterm_open(&c->s);
	c->have[T_CGROUP] = cg_init(&c->cg, want_pids, why, whylen);
	if (!c->have[T_CGROUP])
		printf("  cgroup v2: %s; skipping cgroup.kill\n", why);
	c->have[T_WALKER] = true;
	walker_init(&c->w);
	c->walker_timeout_ms = env_long("BENCH_WALKER_TIMEOUT_MS", 120000, 1, LONG_MAX / NSEC_PER_MSEC);
	c->reap_timeout_ms = env_long("BENCH_REAP_TIMEOUT_MS", 300000, 1, LONG_MAX / NSEC_PER_MSEC);
	c->request_prio = (int)env_long("BENCH_REQUEST_PRIO", 60, 0, 99);
	if (c->request_prio)
		c->w.after_first_pass = walker_demote;
}

static void ctx_fini(struct ctx *c)
{
	if (c->have[T_PROCTERM])
		pt_close(&c->s);
	walker_fini(&c->w);
	cg_fini(&c->cg);
}

/* Methods in the order of round @round: the first one rotates. */
static int round_methods(const struct ctx *c, long round, enum tmethod *out)
{
	enum tmethod all[T_NMETHODS];
	int n = 0, i;

	for (i = 0; i < T_NMETHODS; i++)
		if (c->have[i])
			all[n++] = (enum tmethod)i;
	for (i = 0; i < n; i++)
		out[i] = all[(round + i) % n];
	return n;
}

static void report(int fd, int32_t v)
{
	ssize_t n __attribute__((unused));

	n = write(fd, &v, sizeof(v));
}

/* ---- tree ---- */

/*
 * The root of a tree (a child of the benchmark): joins @cgpath and becomes
 * procterm_bench_member, which builds the tree. Every member writes its PID
 * to @wfd once its own children exist, then blocks; a failed fork is
 * reported as -errno.
 */
__attribute__((noreturn))
static void tree_root(int wfd, const char *cgpath, bool deep, long n)
{
	char nbuf[24], fdbuf[16];
	char *wide_argv[] = { "procterm_bench_member", "wide", nbuf, fdbuf, NULL };
	char *deep_argv[] = { "procterm_bench_chain", nbuf, fdbuf, NULL };
	int ret;

	child_reset_signals();
	close_fds_except(wfd);
	setpgid(0, 0);
	if (cgpath) {
		ret = cg_enter(cgpath);
		if (ret) {
			report(wfd, ret);
			hang();
		}
	}
	/*
	 * A chain is built one level at a time, each waiting for the last to
	 * be scheduled. On one CPU that is a plain switch; across CPUs it is
	 * a wakeup IPI, which under emulation waits for the host to run the
	 * other vCPU's thread, tens of milliseconds on a busy host. The
	 * benchmark unpins the members once the chain is built.
	 */
	if (deep) {
		int cpu = sched_getcpu();
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(cpu < 0 ? 0 : cpu, &one);
		sched_setaffinity(0, sizeof(one), &one);
	}
	snprintf(nbuf, sizeof(nbuf), "%ld", n);
	snprintf(fdbuf, sizeof(fdbuf), "%d", wfd);
	fcntl(wfd, F_SETFD, 0);
	if (deep)
		execv(chain_path(), deep_argv);
	else
		execv(member_path(), wide_argv);
	report(wfd, -errno);
	hang();
}

/* Read @want PIDs from @fd; returns how many, or -errno a member reported. */
static long read_pids(int fd, pid_t *pids, long want, long timeout_ms)
{
	int64_t start = now_ns(), end = start + timeout_ms * NSEC_PER_MSEC;
	int64_t say = start + 60 * NSEC_PER_SEC;
	unsigned char buf[4096 + sizeof(int32_t)];
	size_t have = 0;
	long got = 0;

	while (got < want) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = (end - now_ns()) / NSEC_PER_MSEC;
		size_t off = 0;
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		/* A large tree builds for minutes: say so, now and then. */
		if (now_ns() > say) {
			printf("    building: %ld of %ld after %lld s\n", got, want,
			       (long long)((now_ns() - start) / NSEC_PER_SEC));
			say += 60 * NSEC_PER_SEC;
		}
		if (poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return n ? -errno : -EPIPE;
		have += (size_t)n;
		while (have - off >= sizeof(int32_t) && got < want) {
			int32_t v;

			memcpy(&v, buf + off, sizeof(v));
			off += sizeof(v);
			if (v <= 0)
				return v ? v : -EPROTO;
			pids[got++] = v;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
		/*
		 * Let PIDs pile up in the pipe (it holds 16k of them) rather
		 * than waking up for each: the tree builds faster without us.
		 */
		if (got < want)
			sleep_ms(20);
	}
	return got;
}

struct tree_round {
	enum tmethod m;
	int64_t build_ns, request_ns, reaped_ns;
	int64_t signalled_ns;	/* until every member had SIGKILL pending */
	long checked;		/* members looked at in /proc after that */
	long unsignalled;	/* of those, alive without SIGKILL pending */
	long count;		/* procterm's PROCTERM_A_COUNT */
	long scans;		/* walker */
	long bad_status;	/* members not killed by SIGKILL */
	long mem_kb;		/* MemAvailable consumed by the build */
	bool has_impact;
	struct impact_result imp;
};

struct tree_cfg {
	bool deep;
	long size;		/* descendants of the root */
	long build_timeout_ms;
	bool impact;		/* run the sampler (impact.c) */
	long idle_ms;		/* its idle phase before the request */
	long check;		/* members checked for SIGKILL; 0: all */
};

/*
 * When the method returns, every member must be dead, exiting or have
 * SIGKILL pending: kill(2), a cgroup.kill write and a procterm request all
 * queue SIGKILL before they return. Look at @cfg->check members spread over
 * the tree (all with 0), the root included; a member seen alive without
 * it is looked at again for 100 ms (it may be between dequeuing SIGKILL
 * and marking itself exiting). Returns how many were alive and not signalled.
 */
static long check_signalled(const struct tree_cfg *cfg, pid_t root,
			    const pid_t *pids, long procs, long *checked)
{
	long step = cfg->check && cfg->check < procs ? procs / cfg->check : 1;
	long i, bad = 0;
	int k;

	*checked = 0;
	for (i = -1; i < procs; i += (i < 0 ? 1 : step)) {
		pid_t pid = i < 0 ? root : pids[i];

		(*checked)++;
		if (proc_dying(pid))
			continue;
		/*
		 * Between dequeuing SIGKILL and setting PF_EXITING a member
		 * shows neither; under emulation its vCPU can stall there.
		 */
		for (k = 0; k < 5 && !proc_dying(pid); k++)
			sleep_ms(20);
		if (k == 5)
			bad++;
	}
	return bad;
}

/* Kill everything of a failed trial. */
static void trial_cleanup(pid_t root, const pid_t *pids, long npids, const char *cgpath)
{
	long i;

	kill(-root, SIGKILL);
	for (i = 0; i < npids; i++)
		kill(pids[i], SIGKILL);
	if (cgpath)
		cg_write(cgpath, "cgroup.kill", "1");
	reap_all(60000);
	reg_del(root);
	if (cgpath && cg_destroy(cgpath))
		warnx_("cannot remove %s", cgpath);
}

static int tree_trial(struct ctx *c, const struct tree_cfg *cfg,
		      enum tmethod m, pid_t *pids, struct tree_round *t)
{
	const long procs = cfg->size + 1;
	char cgpath[PATH_MAX], *cgp = NULL;
	int64_t t0, t1, t2, tb;
	struct bench_reply rep;
	long got, i, reaped = 0;
	int p[2], killfd = -1, ret = 0;
	struct impact *im = NULL;
	pid_t root, impid = -1;

	memset(t, 0, sizeof(*t));
	t->m = m;
	t->count = -1;
	if (c->cg.ok) {
		ret = cg_create(&c->cg, cgpath, sizeof(cgpath));
		if (ret)
			die("cannot create a cgroup under %s: %s", c->cg.base, strerror(-ret));
		cgp = cgpath;
	}
	if (pipe2(p, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	t->mem_kb = meminfo_kb("MemAvailable");
	tb = now_ns();
	root = fork();
	if (root < 0)
		die("fork: %s", strerror(errno));
	if (root == 0) {
		close(p[0]);
		tree_root(p[1], cgp, cfg->deep, cfg->size);
	}
	setpgid(root, root);
	reg_add(root, true);
	close(p[1]);
	got = read_pids(p[0], pids, procs, cfg->build_timeout_ms);
	close(p[0]);
	if (got != procs) {
		warnx_("building the tree failed after %lld ms: %s",
		       (long long)((now_ns() - tb) / NSEC_PER_MSEC),
		       strerror(got < 0 ? (int)-got : EPROTO));
		trial_cleanup(root, pids, got > 0 ? got : 0, cgp);
		return -1;
	}
	/*
	 * Each member reports just before it calls pause(): those that
	 * reported last, and the root, are the ones that may not sleep yet.
	 * (Looking at all 10 000 costs seconds under emulation.)
	 */
	for (i = procs > 64 ? procs - 64 : 0; i <= procs; i++) {
		pid_t pid = i < procs ? pids[i] : root;

		if (!wait_sleeping(pid, 30000)) {
			warnx_("tree member %d never went to sleep", (int)pid);
			trial_cleanup(root, pids, procs, cgp);
			return -1;
		}
	}
	if (cfg->deep) {
		cpu_set_t all;

		CPU_ZERO(&all);
		for (i = 0; i < CPU_SETSIZE && i < sysconf(_SC_NPROCESSORS_CONF); i++)
			CPU_SET(i, &all);
		for (i = 0; i <= procs; i++)
			sched_setaffinity(i < procs ? pids[i] : root, sizeof(all), &all);
	}
	t->build_ns = now_ns() - tb;
	t->mem_kb -= meminfo_kb("MemAvailable");
	if (m == T_CGROUP) {
		char kpath[PATH_MAX + 16];

		snprintf(kpath, sizeof(kpath), "%s/cgroup.kill", cgpath);
		killfd = open(kpath, O_WRONLY | O_CLOEXEC);
		if (killfd < 0)
			die("%s: %s", kpath, strerror(errno));
	}

	if (cfg->impact) {
		im = impact_start();
		impid = impact_pid(im);
		sleep_ms(cfg->idle_ms);
		impact_phase(im, IMPACT_KILL);
	}

	c->w.scans = c->w.kills = c->w.reaped = 0;
	deadline_arm(c->reap_timeout_ms);
	if (c->request_prio)
		request_prio(c->request_prio);
	t0 = now_ns();
	switch (m) {
	case T_PROCTERM:
		ret = procterm_kill(&c->s, root, PROCTERM_F_TREE, &rep);
		if (!ret && rep.has_count)
			t->count = (long)rep.count;
		break;
	case T_CGROUP:
		ret = write(killfd, "1", 1) == 1 ? 0 : -errno;
		break;
	case T_WALKER:
		ret = walker_kill_tree(&c->w, root, c->walker_timeout_ms);
		reaped = c->w.reaped;
		t->scans = c->w.scans;
		break;
	default:
		break;
	}
	t1 = now_ns();
	if (c->request_prio)
		request_prio(0);
	/* The signalling calls' returns: see check_signalled(). */
	t->signalled_ns = t1 - t0;
	if (m == T_WALKER && c->w.new_kills)
		t->signalled_ns = c->w.last_new_kill - t0;
	if (!ret)
		t->unsignalled = check_signalled(cfg, root, pids, procs, &t->checked);
	while (!ret && reaped < procs) {
		int st;
		pid_t r;

		if (deadline_hit()) {
			ret = -ETIMEDOUT;
			break;
		}
		r = waitpid(-1, &st, __WALL);

		if (r > 0 && r == impid) {
			warnx_("the impact sampler died (status 0x%x)", st);
			impid = -1;
			continue;
		}
		if (r > 0) {
			reaped++;
			if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
				t->bad_status++;
			continue;
		}
		if (errno == EINTR && !deadline_hit())
			continue;
		ret = errno == EINTR ? -ETIMEDOUT : -errno;
	}
	t2 = now_ns();
	deadline_disarm();
	if (killfd >= 0)
		close(killfd);
	if (im) {
		impact_stop(im, &t->imp);
		t->has_impact = true;
	}

	if (ret) {
		warnx_("%s: %s after %lld ms (%ld of %ld reaped)%s%s", tmethod_name[m],
		       ret == -ETIMEDOUT ? "timed out" : strerror(-ret),
		       (long long)((now_ns() - t0) / NSEC_PER_MSEC),
		       reaped, procs, m == T_PROCTERM ? ": " : "",
		       m == T_PROCTERM ? rep.msg : "");
		trial_cleanup(root, pids, procs, cgp);
		return -1;
	}
	if (m == T_PROCTERM && t->count != procs)
		warnx_("procterm reported %ld processes killed, the tree had %ld",
		       t->count, procs);
	if (t->unsignalled)
		warnx_("%s: %ld of %ld members looked at were alive without SIGKILL pending when it returned",
		       tmethod_name[m], t->unsignalled, t->checked);
	t->request_ns = t1 - t0;
	t->reaped_ns = t2 - t0;
	reg_del(root);
	if (cgp && cg_destroy(cgp))
		warnx_("cannot remove %s", cgp);
	return 0;
}

/*
 * Whether this machine can hold @procs more processes: thread and PID
 * limits, and memory at BENCH_PROC_KB per process.
 */
static bool tree_feasible(long procs, char *why, size_t len)
{
	long threads_max = read_long_file("/proc/sys/kernel/threads-max", LONG_MAX);
	long pid_max = read_long_file("/proc/sys/kernel/pid_max", LONG_MAX);
	long per_kb = env_long("BENCH_PROC_KB", 96, 1, 1L << 30);
	long avail = meminfo_kb("MemAvailable");
	long cur = 0, headroom = 512;
	struct rlimit rl;
	char buf[128];
	FILE *f = fopen("/proc/loadavg", "re");

	/* "0.00 0.01 0.05 1/123 4567": 123 tasks exist. */
	if (f) {
		if (fgets(buf, sizeof(buf), f)) {
			char *slash = strchr(buf, '/');

			if (slash)
				cur = strtol(slash + 1, NULL, 10);
		}
		fclose(f);
	}
	if (cur + procs + headroom > threads_max) {
		snprintf(why, len, "%ld processes exceed kernel.threads-max %ld (%ld tasks exist); give the machine more memory",
			 procs, threads_max, cur);
		return false;
	}
	if (cur + procs + headroom > pid_max) {
		snprintf(why, len, "%ld processes exceed kernel.pid_max %ld", procs, pid_max);
		return false;
	}
	if (geteuid() && !getrlimit(RLIMIT_NPROC, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)(procs + headroom) > rl.rlim_cur) {
		snprintf(why, len, "%ld processes exceed RLIMIT_NPROC %llu", procs,
			 (unsigned long long)rl.rlim_cur);
		return false;
	}
	if (avail >= 0 && avail < procs * per_kb + 65536) {
		snprintf(why, len, "%ld processes need about %ld MiB, %ld MiB available (BENCH_PROC_KB=%ld)",
			 procs, (procs * per_kb + 65536) / 1024, avail / 1024, per_kb);
		return false;
	}
	return true;
}

static void emit_skip(const char *name, const char *why)
{
	struct bench_out o;

	printf("  skipped: %s\n", why);
	out_open(&o, name);
	json_bool(&o.j, "skipped", true);
	json_str(&o.j, "reason", why);
	kv_put_str(&o, name, "-", "skipped", why);
	out_close(&o);
}

/*
 * About 3000 process creations per method, 1 to 5 rounds: 5 for 100 wide,
 * 3 for 1000 wide and 100 deep, 1 for 1000 deep and 10000. A level of a
 * deep chain costs an exec, about ten times a wide member's fork.
 */
static long default_rounds(const struct tree_cfg *cfg)
{
	long cost = cfg->size * (cfg->deep ? 10 : 1);
	long r = 3000 / (cost ? cost : 1);

	return r < 1 ? 1 : r > 5 ? 5 : r;
}

static void usage_tree(void)
{
	fprintf(stderr, "usage: procterm_bench tree --shape wide|deep --size N [--rounds R]\n"
			"                           [--methods procterm,cgroup_kill,walker]\n");
	exit(BENCH_EXIT_USAGE);
}

/* "procterm,walker": those methods only. */
static void pick_methods(struct ctx *c, const char *list)
{
	bool want[T_NMETHODS] = { false };
	char buf[128], *tok, *save = NULL;
	int k;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		for (k = 0; k < T_NMETHODS; k++)
			if (!strcmp(tok, tmethod_name[k]))
				break;
		if (k == T_NMETHODS)
			usage_tree();
		want[k] = true;
	}
	for (k = 0; k < T_NMETHODS; k++)
		if (!want[k] && c->have[k]) {
			printf("  %s: not measured at this size (--methods %s)\n",
			       tmethod_name[k], list);
			c->have[k] = false;
		}
}

/* Per-round figures of one phase of the sampler: JSON and, over rounds, kv. */
struct imp_agg {
	struct samples max, p99;
};

static void imp_json(struct json *j, const char *key, const struct stats *st)
{
	json_obj_begin(j, key);
	json_int(j, "n", (int64_t)st->n);
	if (st->n) {
		json_num(j, "median_ns", st->median);
		json_num(j, "p99_ns", st->p99);
		json_num(j, "max_ns", st->max);
	}
	json_obj_end(j);
}

static void imp_add(struct imp_agg *a, const struct stats *st)
{
	if (!st->n)
		return;
	samples_add(&a->max, (int64_t)st->max);
	samples_add(&a->p99, (int64_t)st->p99);
}

/* Worst over rounds of the worst, median over rounds of the p99. */
static void imp_put(struct bench_out *o, const char *name, const char *m,
		    const char *what, struct imp_agg *a)
{
	struct stats smax, sp99;
	char key[64];

	if (!a->max.n)
		return;
	stats_of(&a->max, &smax);
	stats_of(&a->p99, &sp99);
	snprintf(key, sizeof(key), "%s_max_ns", what);
	kv_put(o, name, m, key, smax.max);
	snprintf(key, sizeof(key), "%s_p99_ns", what);
	kv_put(o, name, m, key, sp99.median);
	samples_free(&a->max);
	samples_free(&a->p99);
}

int bench_tree(int argc, char **argv)
{
	struct tree_cfg cfg = { .size = 0 };
	long rounds = -1, round, i, ntrials = 0;
	const char *shape = NULL;
	struct tree_round *trials;
	enum tmethod order[T_NMETHODS];
	char name[64], why[256];
	struct bench_out o;
	struct ctx c;
	pid_t *pids;
	int k, n;

	const char *methods = NULL;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--shape") && i + 1 < argc)
			shape = argv[++i];
		else if (!strcmp(argv[i], "--methods") && i + 1 < argc)
			methods = argv[++i];
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			cfg.size = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = strtol(argv[++i], NULL, 10);
		else
			usage_tree();
	}
	if (!shape || (strcmp(shape, "wide") && strcmp(shape, "deep")) ||
	    cfg.size < 1 || cfg.size > 4000000)
		usage_tree();
	cfg.deep = !strcmp(shape, "deep");
	if (rounds < 1)
		rounds = env_long("BENCH_TREE_ROUNDS", default_rounds(&cfg), 1, 100000);
	cfg.build_timeout_ms = env_long("BENCH_BUILD_TIMEOUT_MS", 600000, 1, LONG_MAX / NSEC_PER_MSEC);
	cfg.impact = impact_enabled() &&
		     cfg.size >= env_long("BENCH_IMPACT_MIN_N", 1000, 0, LONG_MAX);
	cfg.idle_ms = env_long("BENCH_IMPACT_IDLE_MS", 1000, 0, 3600000);
	cfg.check = env_long("BENCH_SIGNAL_CHECK", 64, 0, LONG_MAX);
	snprintf(name, sizeof(name), "tree-%s-%ld", shape, cfg.size);
	printf("%s: %s tree of %ld processes (a root and %ld %s), %ld rounds per method\n",
	       name, shape, cfg.size + 1, cfg.size,
	       cfg.deep ? "descendants in a chain" : "children", rounds);
	if (!tree_feasible(cfg.size + 1, why, sizeof(why))) {
		emit_skip(name, why);
		return 0;
	}
	/* Resolved here: the children must not fail on it. */
	if (cfg.deep)
		chain_path();
	else
		member_path();

	ctx_init(&c, false, why, sizeof(why));
	if (methods)
		pick_methods(&c, methods);
	pids = calloc((size_t)cfg.size + 1, sizeof(*pids));
	trials = calloc((size_t)rounds * T_NMETHODS, sizeof(*trials));
	if (!pids || !trials)
		die("out of memory");
	for (round = 0; round < rounds; round++) {
		n = round_methods(&c, round, order);
		for (k = 0; k < n; k++) {
			struct tree_round *t = &trials[ntrials];

			if (tree_trial(&c, &cfg, order[k], pids, t))
				continue;
			ntrials++;
			printf("  round %ld %-12s signalled %10s, reaped %10s  (request %s, build %s",
			       round + 1, tmethod_name[t->m], fmt_ns((double)t->signalled_ns),
			       fmt_ns((double)t->reaped_ns),
			       fmt_ns((double)t->request_ns), fmt_ns((double)t->build_ns));
			printf(", %.1f kB/process", (double)t->mem_kb / (double)(cfg.size + 1));
			if (t->m == T_WALKER)
				printf(", %ld scans", t->scans);
			printf(")\n");
			if (t->has_impact) {
				const struct impact_result *r = &t->imp;

				printf("  %8s fork+exit+wait worst %s, p99 %s (idle %s, %s)",
				       "", fmt_ns(r->fork[IMPACT_KILL].max),
				       fmt_ns(r->fork[IMPACT_KILL].p99),
				       fmt_ns(r->fork[IMPACT_IDLE].max),
				       fmt_ns(r->fork[IMPACT_IDLE].p99));
				if (r->rt)
					printf("; FIFO wakeup worst %s (idle %s)",
					       fmt_ns(r->wake[IMPACT_KILL].max),
					       fmt_ns(r->wake[IMPACT_IDLE].max));
				printf("\n");
			}
		}
	}

	out_open(&o, name);
	json_str(&o.j, "shape", shape);
	json_int(&o.j, "size", cfg.size);
	json_int(&o.j, "processes", cfg.size + 1);
	json_int(&o.j, "rounds", rounds);
	json_bool(&o.j, "cgroup", c.cg.ok);
	json_bool(&o.j, "impact", cfg.impact);
	json_int(&o.j, "impact_idle_ms", cfg.idle_ms);
	json_obj_begin(&o.j, "methods");
	for (k = 0; k < T_NMETHODS; k++) {
		struct samples reap = { 0 }, req = { 0 }, build = { 0 }, scans = { 0 };
		struct samples sig = { 0 };
		struct imp_agg agg[4] = { 0 };
		struct stats sr, sq, sb, ss, sg;
		long bad = 0, errors = rounds, unsig = 0;
		bool rt = false;

		if (!c.have[k])
			continue;
		json_obj_begin(&o.j, tmethod_name[k]);
		json_arr_begin(&o.j, "rounds");
		for (i = 0; i < ntrials; i++) {
			struct tree_round *t = &trials[i];

			if (t->m != (enum tmethod)k)
				continue;
			errors--;
			samples_add(&reap, t->reaped_ns);
			samples_add(&req, t->request_ns);
			samples_add(&build, t->build_ns);
			samples_add(&sig, t->signalled_ns);
			if (k == T_WALKER)
				samples_add(&scans, t->scans);
			bad += t->bad_status;
			unsig += t->unsignalled;
			json_obj_begin(&o.j, NULL);
			json_int(&o.j, "reaped_ns", t->reaped_ns);
			json_int(&o.j, "request_ns", t->request_ns);
			json_int(&o.j, "signalled_ns", t->signalled_ns);
			json_int(&o.j, "checked", t->checked);
			json_int(&o.j, "unsignalled", t->unsignalled);
			json_int(&o.j, "build_ns", t->build_ns);
			json_int(&o.j, "build_mem_kb", t->mem_kb);
			if (t->has_impact) {
				const struct impact_result *r = &t->imp;

				json_obj_begin(&o.j, "impact");
				json_bool(&o.j, "fifo", r->rt);
				json_bool(&o.j, "fork_fifo", r->fork_fifo);
				imp_json(&o.j, "fork_idle", &r->fork[IMPACT_IDLE]);
				imp_json(&o.j, "fork_kill", &r->fork[IMPACT_KILL]);
				if (r->rt) {
					imp_json(&o.j, "wake_idle", &r->wake[IMPACT_IDLE]);
					imp_json(&o.j, "wake_kill", &r->wake[IMPACT_KILL]);
				}
				json_obj_end(&o.j);
				imp_add(&agg[0], &r->fork[IMPACT_IDLE]);
				imp_add(&agg[1], &r->fork[IMPACT_KILL]);
				if (r->rt) {
					rt = true;
					imp_add(&agg[2], &r->wake[IMPACT_IDLE]);
					imp_add(&agg[3], &r->wake[IMPACT_KILL]);
				}
			}
			if (k == T_PROCTERM)
				json_int(&o.j, "count", t->count);
			if (k == T_WALKER)
				json_int(&o.j, "scans", t->scans);
			json_obj_end(&o.j);
		}
		json_arr_end(&o.j);
		stats_of(&reap, &sr);
		stats_of(&req, &sq);
		stats_of(&build, &sb);
		stats_of(&scans, &ss);
		stats_of(&sig, &sg);
		json_stats(&o.j, "reaped", &sr);
		json_stats(&o.j, "request", &sq);
		json_stats(&o.j, "signalled", &sg);
		json_int(&o.j, "unsignalled", unsig);
		json_stats(&o.j, "build", &sb);
		json_int(&o.j, "failed_rounds", errors);
		json_int(&o.j, "not_sigkill", bad);
		json_obj_end(&o.j);
		printf("  %-22s median %10s  (signalled %s, request %s", tmethod_name[k],
		       fmt_ns(sr.median), fmt_ns(sg.median), fmt_ns(sq.median));
		if (k == T_WALKER && ss.n)
			printf(", %.0f scans", ss.median);
		printf(")\n");
		kv_put(&o, name, tmethod_name[k], "median_ns", sr.median);
		kv_put(&o, name, tmethod_name[k], "request_median_ns", sq.median);
		kv_put(&o, name, tmethod_name[k], "request_max_ns", sq.max);
		kv_put(&o, name, tmethod_name[k], "signalled_median_ns", sg.median);
		kv_put(&o, name, tmethod_name[k], "unsignalled", (double)unsig);
		imp_put(&o, name, tmethod_name[k], "fork_idle", &agg[0]);
		imp_put(&o, name, tmethod_name[k], "fork_kill", &agg[1]);
		imp_put(&o, name, tmethod_name[k], "wake_idle", &agg[2]);
		imp_put(&o, name, tmethod_name[k], "wake_kill", &agg[3]);
		if (rt)
			kv_put(&o, name, tmethod_name[k], "fifo", 1);
		kv_put(&o, name, tmethod_name[k], "n", (double)sr.n);
		kv_put(&o, name, tmethod_name[k], "errors", (double)errors);
		if (k == T_WALKER)
			kv_put(&o, name, tmethod_name[k], "scans_median", ss.median);
		samples_free(&reap);
		samples_free(&req);
		samples_free(&build);
		samples_free(&scans);
		samples_free(&sig);
	}
	json_obj_end(&o.j);
	out_close(&o);
	free(trials);
	free(pids);
	ctx_fini(&c);
	return 0;
}

/* ---- fork storm ---- */

struct storm_cfg {
	long cap;		/* pids.max, or RLIMIT_NPROC of the storm's uid */
	bool by_uid;		/* no pids controller: bound by RLIMIT_NPROC */
	uid_t uid;
	int nice;
	long ramp_ms, hold_ms, settle_ms;
};

struct storm_round {
	enum tmethod m;
	long members;		/* at the time of the kill */
	int64_t request_ns;
	int64_t gone_ns;	/* until no member was left; -1: never */
	long survivors;		/* alive settle_ms after the method returned */
	long dying;		/* still exiting by then: killed, not survivors */
	long survivors_cg;	/* the same, from cgroup.procs; -1: no group */
	long count, scans;
};

__attribute__((noreturn))
static void storm_root(int wfd, const char *cgpath, const struct storm_cfg *cfg)
{
	char fdbuf[16];
	char *argv[] = { "procterm_bench_member", "storm", fdbuf, NULL };

	child_reset_signals();
	close_fds_except(wfd);
	setpgid(0, 0);
	if (cgpath && cg_enter(cgpath))
		_exit(1);
	if (cfg->by_uid) {
		struct rlimit rl = { (rlim_t)cfg->cap, (rlim_t)cfg->cap };

		if (setrlimit(RLIMIT_NPROC, &rl) || setgroups(0, NULL) ||
		    setgid((gid_t)cfg->uid) || setuid(cfg->uid))
			_exit(1);
	}
	if (cfg->nice)
		setpriority(PRIO_PROCESS, 0, cfg->nice);
	snprintf(fdbuf, sizeof(fdbuf), "%d", wfd);
	fcntl(wfd, F_SETFD, 0);
	execv(member_path(), argv);
	_exit(1);
}

static long storm_members(struct ctx *c, const char *cgpath)
{
	if (cgpath && c->cg.pids)
		return cg_read_long(cgpath, "pids.current");
	if (cgpath)
		return cg_count(cgpath);
	/* Every descendant of ours, less ourselves. */
	return walker_scan(&c->w, getpid()) - 1;
}

/*
 * Our live descendants are what is left of the storm (orphans come to us).
 * Those still exiting were killed and only have not finished dying, which
 * under emulation can take longer than the settling time: not survivors.
 * A candidate must still be alive, and not dying, a moment later, which
 * also rules out one caught between taking SIGKILL and marking itself
 * exiting.
 */
static void count_survivors(struct ctx *c, struct storm_round *t)
{
	long i, n = walker_scan(&c->w, getpid()), ncand = 0;
	pid_t *cand = calloc((size_t)n + 1, sizeof(*cand));

	if (!cand)
		die("out of memory");
	for (i = 0; i < n; i++) {
		pid_t pid = c->w.order[i];

		if (pid == getpid())
			continue;
		if (proc_dying(pid))
			t->dying++;
		else
			cand[ncand++] = pid;
	}
	if (ncand)
		sleep_ms(200);
	for (i = 0; i < ncand; i++) {
		if (proc_dying(cand[i]))
			t->dying++;
		else
			t->survivors++;
	}
	free(cand);
}

static int storm_trial(struct ctx *c, const struct storm_cfg *cfg,
		       enum tmethod m, struct storm_round *t)
{
	char cgpath[PATH_MAX], *cgp = NULL, ch;
	int64_t t0, t1, tr, settle_end;
	struct bench_reply rep;
	int p[2], killfd = -1, ret = 0;
	pid_t root;
	ssize_t n;

	memset(t, 0, sizeof(*t));
	t->m = m;
	t->gone_ns = -1;
	t->survivors_cg = -1;
	t->count = -1;
	if (c->cg.ok) {
		char val[32];

		ret = cg_create(&c->cg, cgpath, sizeof(cgpath));
		if (ret)
			die("cannot create a cgroup under %s: %s", c->cg.base, strerror(-ret));
		cgp = cgpath;
		if (c->cg.pids) {
			snprintf(val, sizeof(val), "%ld", cfg->cap);
			ret = cg_write(cgpath, "pids.max", val);
			if (ret)
				die("%s/pids.max: %s", cgpath, strerror(-ret));
		}
	}
	if (pipe2(p, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	root = fork();
	if (root < 0)
		die("fork: %s", strerror(errno));
	if (root == 0) {
		close(p[0]);
		storm_root(p[1], cgp, cfg);
	}
	setpgid(root, root);
	reg_add(root, true);
	close(p[1]);
	n = read(p[0], &ch, 1);
	close(p[0]);
	if (n != 1) {
		warnx_("the storm's root failed to start");
		trial_cleanup(root, NULL, 0, cgp);
		return -1;
	}

	/* Let it grow to its bound, then run at the bound for a while. */
	tr = now_ns() + cfg->ramp_ms * NSEC_PER_MSEC;
	while (now_ns() < tr && storm_members(c, cgp) < cfg->cap * 95 / 100)
		sleep_ms(10);
	sleep_ms(cfg->hold_ms);
	t->members = storm_members(c, cgp);

	if (m == T_CGROUP) {
		char kpath[PATH_MAX + 16];

		snprintf(kpath, sizeof(kpath), "%s/cgroup.kill", cgpath);
		killfd = open(kpath, O_WRONLY | O_CLOEXEC);
		if (killfd < 0)
			die("%s: %s", kpath, strerror(errno));
	}
	c->w.scans = c->w.kills = c->w.reaped = 0;
	t0 = now_ns();
	switch (m) {
	case T_PROCTERM:
		ret = procterm_kill(&c->s, root, PROCTERM_F_TREE, &rep);
		if (!ret && rep.has_count)
			t->count = (long)rep.count;
		if (ret)
			warnx_("procterm: %s (%s)", strerror(-ret), rep.msg);
		break;
	case T_CGROUP:
		ret = write(killfd, "1", 1) == 1 ? 0 : -errno;
		if (ret)
			warnx_("cgroup.kill: %s", strerror(-ret));
		break;
	case T_WALKER:
		ret = walker_kill_tree(&c->w, root, c->walker_timeout_ms);
		t->scans = c->w.scans;
		if (ret)
			warnx_("walker: gave up after %ld ms", c->walker_timeout_ms);
		break;
	default:
		break;
	}
	t1 = now_ns();
	t->request_ns = t1 - t0;
	if (killfd >= 0)
		close(killfd);

	/* Reap until nothing is left or the settling time is over. */
	settle_end = t1 + cfg->settle_ms * NSEC_PER_MSEC;
	deadline_arm(cfg->settle_ms);
	while (!deadline_hit()) {
		int st;
		pid_t r = waitpid(-1, &st, __WALL);

		if (r > 0)
			continue;
		if (errno == ECHILD) {
			t->gone_ns = now_ns() - t0;
			break;
		}
		if (errno != EINTR || deadline_hit())
			break;
	}
	deadline_disarm();
	if (t->gone_ns < 0) {
		int64_t left = (settle_end - now_ns()) / NSEC_PER_MSEC;

		if (left > 0)
			sleep_ms((long)left);
		count_survivors(c, t);
	}
	if (cgp)
		t->survivors_cg = cg_count(cgp);

	trial_cleanup(root, NULL, 0, cgp);
	return 0;
}

int bench_storm(int argc, char **argv)
{
	struct storm_cfg cfg;
	long rounds = env_long("BENCH_STORM_ROUNDS", 3, 1, 100000);
	long round, i, ntrials = 0;
	enum tmethod order[T_NMETHODS];
	struct storm_round *trials;
	struct bench_out o;
	char why[256];
	struct ctx c;
	int k, n;

	(void)argc;
	(void)argv;
	memset(&cfg, 0, sizeof(cfg));
	cfg.cap = env_long("BENCH_STORM_PIDS", 200, 2, 1000000);
	cfg.nice = (int)env_long("BENCH_STORM_NICE", 0, 0, 19);
	cfg.ramp_ms = env_long("BENCH_STORM_RAMP_MS", 5000, 0, 3600000);
	cfg.hold_ms = env_long("BENCH_STORM_HOLD_MS", 250, 0, 3600000);
	cfg.settle_ms = env_long("BENCH_STORM_SETTLE_MS", 1000, 1, 3600000);
	cfg.uid = (uid_t)env_long("BENCH_STORM_UID", 65534, 1, INT_MAX);
	printf("storm: every member forks in a loop, at most %ld at a time; %ld rounds per method\n",
	       cfg.cap, rounds);
	member_path();

	ctx_init(&c, true, why, sizeof(why));
	/* A walker can chase a storm for long: give up sooner than on a tree. */
	c.walker_timeout_ms = env_long("BENCH_STORM_WALKER_TIMEOUT_MS", 10000, 1,
				       LONG_MAX / NSEC_PER_MSEC);
	if (!c.cg.pids) {
		if (c.cg.ok)
			printf("  pids controller: %s\n", why);
		if (geteuid()) {
			emit_skip("storm", "no pids controller, and not root: nothing can bound the storm");
			ctx_fini(&c);
			return 0;
		}
		cfg.by_uid = true;
		printf("  bounding the storm with RLIMIT_NPROC of uid %ld instead\n",
		       (long)cfg.uid);
	}
	trials = calloc((size_t)rounds * T_NMETHODS, sizeof(*trials));
	if (!trials)
		die("out of memory");
	for (round = 0; round < rounds; round++) {
		n = round_methods(&c, round, order);
		for (k = 0; k < n; k++) {
			struct storm_round *t = &trials[ntrials];

			if (storm_trial(&c, &cfg, order[k], t))
				continue;
			ntrials++;
			printf("  round %ld %-12s %4ld members, request %10s, %s, %ld survivors\n",
			       round + 1, tmethod_name[t->m], t->members,
			       fmt_ns((double)t->request_ns),
			       t->gone_ns >= 0 ? "all gone" : "not all gone",
			       t->survivors);
			if (t->dying)
				printf("  %31s (%ld more killed but still exiting)\n", "",
				       t->dying);
		}
	}

	out_open(&o, "storm");
	json_int(&o.j, "pids_max", cfg.cap);
	json_str(&o.j, "bound", cfg.by_uid ? "RLIMIT_NPROC" : "pids.max");
	json_int(&o.j, "nice", cfg.nice);
	json_int(&o.j, "settle_ms", cfg.settle_ms);
	json_int(&o.j, "rounds", rounds);
	json_obj_begin(&o.j, "methods");
	for (k = 0; k < T_NMETHODS; k++) {
		struct samples req = { 0 }, gone = { 0 }, members = { 0 };
		struct stats sq, sg, sm;
		long surv_total = 0, surv_max = 0, gone_rounds = 0, nr = 0;

		if (!c.have[k])
			continue;
		json_obj_begin(&o.j, tmethod_name[k]);
		json_arr_begin(&o.j, "rounds");
		for (i = 0; i < ntrials; i++) {
			struct storm_round *t = &trials[i];

			if (t->m != (enum tmethod)k)
				continue;
			nr++;
			samples_add(&req, t->request_ns);
			samples_add(&members, t->members);
			if (t->gone_ns >= 0) {
				samples_add(&gone, t->gone_ns);
				gone_rounds++;
			}
			surv_total += t->survivors;
			if (t->survivors > surv_max)
				surv_max = t->survivors;
			json_obj_begin(&o.j, NULL);
			json_int(&o.j, "members", t->members);
			json_int(&o.j, "request_ns", t->request_ns);
			if (t->gone_ns >= 0)
				json_int(&o.j, "gone_ns", t->gone_ns);
			else
				json_null(&o.j, "gone_ns");
			json_int(&o.j, "survivors", t->survivors);
			json_int(&o.j, "dying", t->dying);
			if (t->survivors_cg >= 0)
				json_int(&o.j, "survivors_cgroup", t->survivors_cg);
			if (k == T_PROCTERM)
				json_int(&o.j, "count", t->count);
			if (k == T_WALKER)
				json_int(&o.j, "scans", t->scans);
			json_obj_end(&o.j);
		}
		json_arr_end(&o.j);
		stats_of(&req, &sq);
		stats_of(&gone, &sg);
		stats_of(&members, &sm);
		json_stats(&o.j, "request", &sq);
		json_stats(&o.j, "gone", &sg);
		json_int(&o.j, "survivors_total", surv_total);
		json_int(&o.j, "survivors_max", surv_max);
		json_obj_end(&o.j);
		printf("  %-22s request median %10s, all gone in %ld of %ld rounds, %ld survivors in all\n",
		       tmethod_name[k], fmt_ns(sq.median), gone_rounds, nr, surv_total);
		kv_put(&o, "storm", tmethod_name[k], "median_ns", sq.median);
		if (sg.n)
			kv_put(&o, "storm", tmethod_name[k], "gone_median_ns", sg.median);
		kv_put(&o, "storm", tmethod_name[k], "survivors_total", (double)surv_total);
		kv_put(&o, "storm", tmethod_name[k], "survivors_max", (double)surv_max);
		kv_put(&o, "storm", tmethod_name[k], "members_median", sm.median);
		kv_put(&o, "storm", tmethod_name[k], "n", (double)nr);
		kv_put(&o, "storm", tmethod_name[k], "errors", (double)(rounds - nr));
		samples_free(&req);
		samples_free(&gone);
		samples_free(&members);
	}
	json_obj_end(&o.j);
	out_close(&o);
	free(trials);
	ctx_fini(&c);
	return 0;
}
