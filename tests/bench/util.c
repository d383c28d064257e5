// SPDX-License-Identifier: GPL-2.0
/*
 * procterm benchmarks: time, statistics, output files, the registry of
 * forked processes, /proc helpers and the procterm socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif

struct bench_opts g_opts;

/* ---- time and statistics ---- */

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * NSEC_PER_MSEC };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void samples_add(struct samples *s, int64_t v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		int64_t *nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv)
			die("out of memory");
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
}

void samples_free(struct samples *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

void stats_of(const struct samples *s, struct stats *st)
{
	int64_t *v;
	double sum = 0;
	size_t i, rank;

	memset(st, 0, sizeof(*st));
	if (!s->n) {
		/* Nothing measured: no figure, rather than a zero. */
		st->min = st->max = st->mean = st->median = st->p99 = NAN;
		return;
	}
	v = malloc(s->n * sizeof(*v));
	if (!v)
		die("out of memory");
	memcpy(v, s->v, s->n * sizeof(*v));
	qsort(v, s->n, sizeof(*v), cmp_i64);
	for (i = 0; i < s->n; i++)
		sum += (double)v[i];
	st->n = s->n;
	st->min = (double)v[0];
	st->max = (double)v[s->n - 1];
	st->mean = sum / (double)s->n;
	if (s->n % 2)
		st->median = (double)v[s->n / 2];
	else
		st->median = ((double)v[s->n / 2 - 1] + (double)v[s->n / 2]) / 2;
	/* Nearest rank: the smallest value with 99% of the samples <= it. */
	rank = (size_t)ceil(0.99 * (double)s->n);
	st->p99 = (double)v[rank ? rank - 1 : 0];
	free(v);
}

const char *fmt_ns(double ns)
{
	static char buf[8][32];
	static unsigned int slot;
	static const struct { double div; const char *unit; } units[] = {
		{ 1, "ns" }, { 1e3, "us" }, { 1e6, "ms" }, { 1e9, "s" },
	};
	char *b = buf[slot++ % 8];
	size_t u = 0;
	double v;

	if (ns != ns) {
		snprintf(b, sizeof(buf[0]), "-");
		return b;
	}
	while (u + 1 < sizeof(units) / sizeof(units[0]) &&
	       ns >= units[u + 1].div * 0.9995)
		u++;
	v = ns / units[u].div;
	if (v < 9.995)
		snprintf(b, sizeof(buf[0]), "%.2f %s", v, units[u].unit);
	else if (v < 99.95)
		snprintf(b, sizeof(buf[0]), "%.1f %s", v, units[u].unit);
	else
		snprintf(b, sizeof(buf[0]), "%.0f %s", v, units[u].unit);
	return b;
}

/* ---- environment knobs ---- */

long env_long(const char *name, long def, long min, long max)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		die("%s=%s: expected an integer in [%ld, %ld]", name, s, min, max);
	return v;
}

const char *env_str(const char *name, const char *def)
{
	const char *s = getenv(name);

	return s && *s ? s : def;
}

/* ---- JSON ---- */

static void json_key(struct json *j, const char *key)
{
	if (!j->f)
		return;
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	if (j->depth <= 2)
		fputs("\n", j->f);
	j->need_comma[j->depth] = true;
	if (key) {
		const char *p;

		fputc('"', j->f);
		for (p = key; *p; p++) {
			if (*p == '"' || *p == '\\')
				fputc('\\', j->f);
			fputc(*p, j->f);
		}
		fputs("\":", j->f);
	}
}

static void json_open(struct json *j, const char *key, char c)
{
	json_key(j, key);
	if (!j->f)
		return;
	fputc(c, j->f);
	if (j->depth + 1 < (int)(sizeof(j->need_comma) / sizeof(j->need_comma[0])))
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void json_close(struct json *j, char c)
{
	if (!j->f)
		return;
	if (j->depth > 0)
		j->depth--;
	fputc(c, j->f);
}

void json_obj_begin(struct json *j, const char *key) { json_open(j, key, '{'); }
void json_obj_end(struct json *j) { json_close(j, '}'); }
void json_arr_begin(struct json *j, const char *key) { json_open(j, key, '['); }
void json_arr_end(struct json *j) { json_close(j, ']'); }

void json_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	if (j->f)
		fprintf(j->f, "%lld", (long long)v);
}

void json_num(struct json *j, const char *key, double v)
{
	json_key(j, key);
	if (!j->f)
		return;
	if (isfinite(v))
		fprintf(j->f, "%.10g", v);
	else
		fputs("null", j->f);
}

void json_str(struct json *j, const char *key, const char *v)
{
	const unsigned char *p;

	json_key(j, key);
	if (!j->f)
		return;
	fputc('"', j->f);
	for (p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(j->f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(j->f, "\\u%04x", *p);
		else
			fputc(*p, j->f);
	}
	fputc('"', j->f);
}

void json_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	if (j->f)
		fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	json_key(j, key);
	if (j->f)
		fputs("null", j->f);
}

void json_stats(struct json *j, const char *key, const struct stats *st)
{
	json_obj_begin(j, key);
	json_int(j, "n", (int64_t)st->n);
	if (st->n) {
		json_num(j, "min_ns", st->min);
		json_num(j, "median_ns", st->median);
		json_num(j, "mean_ns", st->mean);
		json_num(j, "p99_ns", st->p99);
		json_num(j, "max_ns", st->max);
	}
	json_obj_end(j);
}

void json_samples(struct json *j, const char *key, const struct samples *s)
{
	size_t i;

	json_arr_begin(j, key);
	for (i = 0; j->f && i < s->n; i++)
		fprintf(j->f, i ? ",%lld" : "%lld", (long long)s->v[i]);
	json_arr_end(j);
}

/* ---- output files ---- */

static FILE *open_out(const char *name, const char *ext, bool tmp)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s%s", g_opts.outdir, name, ext,
		 tmp ? ".tmp" : "");
	f = fopen(path, "w");
	if (!f)
		die("cannot write %s: %s", path, strerror(errno));
	return f;
}

int out_open(struct bench_out *o, const char *name)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", name);
	if (!g_opts.outdir)
		return 0;
	/* The JSON appears under its final name only once it is complete. */
	o->j.f = open_out(name, "json", true);
	o->kv = open_out(name, "kv", false);
	fputc('{', o->j.f);
	return 0;
}

int out_close(struct bench_out *o)
{
	char from[PATH_MAX], to[PATH_MAX];
	int ret = 0;

	if (!o->j.f)
		return 0;
	fputs("\n}\n", o->j.f);
	if (fclose(o->j.f))
		ret = -errno;
	if (fclose(o->kv) && !ret)
		ret = -errno;
	o->j.f = NULL;
	o->kv = NULL;
	snprintf(from, sizeof(from), "%s/%s.json.tmp", g_opts.outdir, o->name);
	snprintf(to, sizeof(to), "%s/%s.json", g_opts.outdir, o->name);
	if (!ret && rename(from, to))
		ret = -errno;
	if (ret)
		warnx_("writing %s: %s", to, strerror(-ret));
	return ret;
}

void kv_put(struct bench_out *o, const char *bench, const char *method,
	    const char *metric, double v)
{
	if (o->kv && isfinite(v))
		fprintf(o->kv, "%s\t%s\t%s\t%.10g\n", bench, method, metric, v);
}

void kv_put_str(struct bench_out *o, const char *bench, const char *method,
		const char *metric, const char *v)
{
	if (o->kv)
		fprintf(o->kv, "%s\t%s\t%s\t%s\n", bench, method, metric, v);
}

/* ---- registry of forked processes ---- */

struct reg_entry {
	pid_t pid;
	bool group;
};

static struct reg_entry *volatile g_reg;
static volatile size_t g_reg_n;
static size_t g_reg_cap;

void reg_add(pid_t pid, bool group)
{
	if (g_reg_n == g_reg_cap) {
		size_t cap = g_reg_cap ? g_reg_cap * 2 : 64;
		struct reg_entry *n;
		sigset_t all, old;

		/* The signal handler reads the table: swap it atomically. */
		n = malloc(cap * sizeof(*n));
		if (!n) {
			kill(pid, SIGKILL);
			die("out of memory");
		}
		if (g_reg_n)
			memcpy(n, g_reg, g_reg_n * sizeof(*n));
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, &old);
		free(g_reg);
		g_reg = n;
		g_reg_cap = cap;
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	g_reg[g_reg_n].pid = pid;
	g_reg[g_reg_n].group = group;
	g_reg_n++;
}

void reg_del(pid_t pid)
{
	size_t i;

	for (i = g_reg_n; i-- > 0;) {
		if (g_reg[i].pid == pid) {
			g_reg[i] = g_reg[g_reg_n - 1];
			g_reg_n--;
			return;
		}
	}
}

/*
 * Async-signal-safe. A group is killed by its ID only: its leader may have
 * been reaped already, but the ID stays its own while any member is left.
 */
void reg_kill_all(void)
{
	size_t i;

	for (i = 0; i < g_reg_n; i++)
		kill(g_reg[i].group ? -g_reg[i].pid : g_reg[i].pid, SIGKILL);
}

void warnx_(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("procterm_bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("procterm_bench: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	reg_kill_all();
	reap_all(10000);
	cg_cleanup_active();
	exit(BENCH_EXIT_FAIL);
}

static volatile sig_atomic_t g_alarm;

static void on_alarm(int sig)
{
	(void)sig;
	g_alarm = 1;
}

static void on_fatal(int sig)
{
	static const char msg[] = "procterm_bench: interrupted; killing what it forked\n";
	ssize_t n __attribute__((unused));

	n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	reg_kill_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

void signals_init(void)
{
	struct sigaction sa;
	static const int fatal[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_alarm;	/* no SA_RESTART: waits return EINTR */
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_fatal;
	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void deadline_arm(long ms)
{
	/*
	 * Once it has fired, it keeps firing every 50 ms: a wait entered
	 * just after the first signal is interrupted all the same.
	 */
	struct itimerval it = {
		.it_value = { ms / 1000, (ms % 1000) * 1000 },
		.it_interval = { 0, 50000 },
	};

	if (ms <= 0)
		it.it_value.tv_usec = 1;
	g_alarm = 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

void deadline_disarm(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

bool deadline_hit(void)
{
	return g_alarm;
}

/* ---- children ---- */

void close_fds_except(int keep)
{
	int fd;

	if (keep < 0) {
		if (!syscall(__NR_close_range, 3U, ~0U, 0U))
			return;
	} else if (keep == 3) {
		if (!syscall(__NR_close_range, 4U, ~0U, 0U))
			return;
	} else if (keep > 3) {
		if (!syscall(__NR_close_range, 3U, (unsigned int)keep - 1, 0U) &&
		    !syscall(__NR_close_range, (unsigned int)keep + 1, ~0U, 0U))
			return;
	}
	for (fd = 3; fd < 1024; fd++)
		if (fd != keep)
			close(fd);
}

void child_reset_signals(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGALRM,
				    SIGPIPE };
	sigset_t none;
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void hang(void)
{
	for (;;)
		pause();
}

static void read_full(int fd, void *buf, size_t len, const char *what)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("%s: %s", what, n ? strerror(errno) : "child died before it was ready");
		p += n;
		len -= (size_t)n;
	}
}

pid_t spawn_paused(void)
{
	pid_t pid;
	int p[2];
	char c;

	if (pipe2(p, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		ssize_t n __attribute__((unused));

		child_reset_signals();
		close_fds_except(p[1]);
		n = write(p[1], "r", 1);
		close(p[1]);
		hang();
	}
	reg_add(pid, false);
	close(p[1]);
	read_full(p[0], &c, 1, "spawn");
	close(p[0]);
	if (!wait_sleeping(pid, 20000))
		die("child %d never went to sleep", (int)pid);
	return pid;
}

void spawn_paused_many(pid_t *pids, size_t n)
{
	size_t i;
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork (%zu of %zu): %s", i + 1, n, strerror(errno));
		if (pid == 0) {
			ssize_t w __attribute__((unused));

			child_reset_signals();
			close_fds_except(p[1]);
			w = write(p[1], "r", 1);
			close(p[1]);
			hang();
		}
		reg_add(pid, false);
		pids[i] = pid;
	}
	close(p[1]);
	for (i = 0; i < n; i++) {
		char c;

		read_full(p[0], &c, 1, "spawn");
	}
	close(p[0]);
	for (i = 0; i < n; i++)
		if (!wait_sleeping(pids[i], 20000))
			die("child %d never went to sleep", (int)pids[i]);
}

int reap_pid(pid_t pid, int *status, long timeout_ms)
{
	int ret = 0;

	deadline_arm(timeout_ms);
	for (;;) {
		pid_t r = waitpid(pid, status, __WALL);

		if (r == pid)
			break;
		if (r < 0 && errno == EINTR && !deadline_hit())
			continue;
		ret = r < 0 && errno != EINTR ? -errno : -ETIMEDOUT;
		break;
	}
	deadline_disarm();
	if (!ret)
		reg_del(pid);
	return ret;
}

void kill_reap(pid_t pid)
{
	int st;

	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	if (reap_pid(pid, &st, 20000))
		warnx_("could not reap child %d", (int)pid);
}

long reap_all(long timeout_ms)
{
	int64_t end = now_ns() + timeout_ms * NSEC_PER_MSEC;
	long reaped = 0;

	for (;;) {
		int64_t left = (end - now_ns()) / NSEC_PER_MSEC;
		pid_t r;
		int st;

		reg_kill_all();
		if (left <= 0) {
			warnx_("children left unreaped after %ld ms", timeout_ms);
			break;
		}
		/* Wake up now and then to kill again what a fork let through. */
		deadline_arm(left < 200 ? left : 200);
		r = waitpid(-1, &st, __WALL);
		deadline_disarm();
		if (r > 0) {
			reg_del(r);
			reaped++;
			continue;
		}
		if (r < 0 && errno == ECHILD)
			break;
	}
	return reaped;
}

/* ---- /proc ---- */

static int proc_fd(void)
{
	static int fd = -1;

	if (fd < 0) {
		fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			die("/proc: %s", strerror(errno));
	}
	return fd;
}

char proc_state(pid_t pid)
{
	char path[32], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%d/stat", (int)pid);
	fd = openat(proc_fd(), path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	return p[2];
}

static ssize_t read_proc(pid_t pid, const char *file, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%d/%s", (int)pid, file);
	fd = openat(proc_fd(), path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

bool proc_dying(pid_t pid)
{
	static const char *const keys[] = { "\nSigPnd:", "\nShdPnd:" };
	const unsigned long long sigkill = 1ULL << (SIGKILL - 1);
	unsigned long flags;
	char buf[4096], *p;
	size_t i;

	if (read_proc(pid, "stat", buf, sizeof(buf)) <= 0)
		return true;
	p = strrchr(buf, ')');
	/* state ppid pgrp session tty_nr tpgid flags */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return true;
	if (flags & 0x4)	/* PF_EXITING */
		return true;
	if (read_proc(pid, "status", buf, sizeof(buf)) <= 0)
		return true;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		p = strstr(buf, keys[i]);
		if (p && strtoull(p + strlen(keys[i]), NULL, 16) & sigkill)
			return true;
	}
	return false;
}

bool wait_sleeping(pid_t pid, long timeout_ms)
{
	int64_t end = now_ns() + timeout_ms * NSEC_PER_MSEC;

	for (;;) {
		char s = proc_state(pid);

		if (s == 'S')
			return true;
		if (!s || s == 'Z' || s == 'X' || now_ns() > end)
			return false;
		sched_yield();
	}
}

long meminfo_kb(const char *field)
{
	char line[256];
	size_t len = strlen(field);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, len) && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

long read_long_file(const char *path, long def)
{
	char buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return def;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return def;
	buf[n] = 0;
	if (!strncmp(buf, "max", 3))
		return LONG_MAX;
	return strtol(buf, NULL, 10);
}

static const char *helper_path(char *path, size_t len, const char *var,
			       const char *name)
{
	const char *env = getenv(var);
	char *slash;
	ssize_t n;

	if (path[0])
		return path;
	if (env && *env) {
		snprintf(path, len, "%s", env);
	} else {
		n = readlink("/proc/self/exe", path, len - 32);
		if (n < 0)
			die("/proc/self/exe: %s", strerror(errno));
		path[n] = 0;
		slash = strrchr(path, '/');
		snprintf(slash ? slash + 1 : path, 32, "%s", name);
	}
	if (access(path, X_OK))
		die("%s: %s (build it: make -C tests/bench)", path, strerror(errno));
	return path;
}

const char *member_path(void)
{
	static char path[PATH_MAX];

	return helper_path(path, sizeof(path), "BENCH_MEMBER", "procterm_bench_member");
}

const char *chain_path(void)
{
	static char path[PATH_MAX];

	return helper_path(path, sizeof(path), "BENCH_CHAIN", "procterm_bench_chain");
}

/* ---- raw syscalls ---- */

int sys_pidfd_open(pid_t pid, unsigned int flags)
{
	return (int)syscall(__NR_pidfd_open, pid, flags);
}

int sys_pidfd_send_signal(int pidfd, int sig)
{
	return (int)syscall(__NR_pidfd_send_signal, pidfd, sig, NULL, 0);
}
