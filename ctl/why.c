// SPDX-License-Identifier: GPL-2.0
/*
 * procterm why: why a process is not dead (yet), from /proc.
 *
 * Per thread: the state letter, where it sleeps (wchan), whether SIGKILL is
 * pending, the kernel stack when the caller may read it (what
 * /proc/PID/stack allows: CAP_SYS_ADMIN and ptrace access; we only try), and
 * whether it ran during a short sample. Per process: the tracer, a core
 * dump in progress, a vfork() parent waiting for its child, a PID-namespace
 * init, io_uring workers. Nothing here needs the module or privileges; what
 * /proc hides from the caller is said to be hidden.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "parse.h"
#include "subcommands.h"
#include "why.h"

/* task->flags bits shown in /proc/PID/stat (include/linux/sched.h). */
#define PF_EXITING	0x00000004
#define PF_IO_WORKER	0x00000010
#define PF_KTHREAD	0x00200000

#define SIGKILL_BIT	(1ULL << (9 - 1))

#ifndef KCMP_VM
#define KCMP_VM		1
#endif

/* The whole of a small /proc file, NUL-terminated; bytes read or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)total < len - 1) {
		n = read(fd, buf + total, len - 1 - total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			close(fd);
			return err;
		}
		if (!n)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	return total;
}

/* A /proc file of any size, malloc'ed; NULL with *err set on failure. */
static char *read_all(const char *path, int *err)
{
	size_t len = 0, alloc = 4096;
	char *buf = malloc(alloc), *p;
	ssize_t n;
	int fd;

	if (!buf) {
		*err = -ENOMEM;
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = -errno;
		free(buf);
		return NULL;
	}
	for (;;) {
		if (len + 1 >= alloc) {
			p = realloc(buf, alloc * 2);
			if (!p) {
				*err = -ENOMEM;
				break;
			}
			buf = p;
			alloc *= 2;
		}
		n = read(fd, buf + len, alloc - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*err = n < 0 ? -errno : 0;
			break;
		}
		len += n;
	}
	close(fd);
	if (*err) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/*
 * /proc/.../stat: the command between the first '(' and the last ')', then
 * the fields from 3 on. Fields numbered as in proc(5).
 */
struct stat_line {
	char comm[64];
	char state;
	uint32_t ppid;
	uint64_t flags;
	uint64_t start_time;
};

static int read_stat(const char *path, struct stat_line *st)
{
	char buf[1024], *open_p, *close_p, *tok, *save;
	size_t len;
	int field;

	if (read_small(path, buf, sizeof(buf)) < 0)
		return -ESRCH;
	open_p = strchr(buf, '(');
	close_p = strrchr(buf, ')');
	if (!open_p || !close_p || close_p < open_p)
		return -EBADMSG;
	len = close_p - open_p - 1;
	if (len >= sizeof(st->comm))
		len = sizeof(st->comm) - 1;
	memcpy(st->comm, open_p + 1, len);
	st->comm[len] = '\0';
	field = 3;
	for (tok = strtok_r(close_p + 1, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save), field++) {
		switch (field) {
		case 3:
			st->state = tok[0];
			break;
		case 4:
			st->ppid = strtoul(tok, NULL, 10);
			break;
		case 9:
			st->flags = strtoull(tok, NULL, 10);
			break;
		case 22:
			st->start_time = strtoull(tok, NULL, 10);
			return 0;
		}
	}
	return -EBADMSG;
}

/* The value of "Key:" in a /proc status file, or NULL. */
static const char *status_value(const char *status, const char *key)
{
	size_t klen = strlen(key);
	const char *p = status;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			p += klen + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static uint64_t status_hex(const char *status, const char *key)
{
	const char *v = status_value(status, key);

	return v ? strtoull(v, NULL, 16) : 0;
}

static void comm_of(uint32_t pid, char *buf, size_t len)
{
	struct stat_line st;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/stat", pid);
	if (read_stat(path, &st))
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%s", st.comm);
}

static bool same_mm(uint32_t a, uint32_t b)
{
	return syscall(SYS_kcmp, (pid_t)a, (pid_t)b, KCMP_VM, 0UL, 0UL) == 0;
}

/*
 * A thread in vfork() sleeps (killable, shown as D) until the child it
 * created execs or exits. Its children that still share its memory are the
 * candidates; kcmp() needs ptrace access, so a caller without it learns
 * nothing here.
 */
static void find_vfork_child(uint32_t pid, struct why_thread *t)
{
	char path[96], buf[4096], *tok, *save;
	struct stat_line st;
	uint32_t c;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/task/%" PRIu32 "/children",
		 pid, t->tid);
	if (read_small(path, buf, sizeof(buf)) < 0)
		return;
	for (tok = strtok_r(buf, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save)) {
		c = strtoul(tok, NULL, 10);
		if (!c || !same_mm(pid, c))
			continue;
		t->vfork_child = c;
		snprintf(path, sizeof(path), "/proc/%" PRIu32 "/stat", c);
		if (!read_stat(path, &st)) {
			snprintf(t->vfork_comm, sizeof(t->vfork_comm), "%s", st.comm);
			t->vfork_state = st.state;
		}
		return;
	}
}

static bool read_schedstat(uint32_t pid, uint32_t tid, uint64_t *run)
{
	char path[96], buf[128];

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/task/%" PRIu32 "/schedstat",
		 pid, tid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	*run = strtoull(buf, NULL, 10);
	return true;
}

static int collect_thread(uint32_t pid, struct why_thread *t)
{
	char path[96], *status, *nl;
	struct stat_line st;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/task/%" PRIu32 "/stat",
		 pid, t->tid);
	if (read_stat(path, &st))
		return -ESRCH;
	snprintf(t->comm, sizeof(t->comm), "%s", st.comm);
	t->state = st.state;
	t->flags = st.flags;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/task/%" PRIu32 "/status",
		 pid, t->tid);
	status = read_all(path, &err);
	if (status) {
		t->sigkill = (status_hex(status, "SigPnd") |
			      status_hex(status, "ShdPnd")) & SIGKILL_BIT;
		free(status);
	}

	/* "0" when running, or when the caller may not see it. */
	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/task/%" PRIu32 "/wchan",
		 pid, t->tid);
	if (read_small(path, t->wchan, sizeof(t->wchan)) < 0 ||
	    !strcmp(t->wchan, "0"))
		t->wchan[0] = '\0';
	nl = strchr(t->wchan, '\n');
	if (nl)
		*nl = '\0';

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/task/%" PRIu32 "/stack",
		 pid, t->tid);
	t->stack = read_all(path, &t->stack_err);

	t->sampled = read_schedstat(pid, t->tid, &t->run0_ns);
	if (t->state == 'D')
		find_vfork_child(pid, t);
	return 0;
}

void why_free(struct why_proc *p)
{
	size_t i;

	for (i = 0; i < p->nthreads; i++)
		free(p->threads[i].stack);
	free(p->threads);
	memset(p, 0, sizeof(*p));
}

static int cmp_tid(const void *a, const void *b)
{
	const struct why_thread *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

int why_collect(uint32_t pid, uint64_t start_time, struct why_proc *p)
{
	char path[64], *status;
	struct stat_line st;
	struct dirent *de;
	size_t alloc = 0;
	const char *v;
	int err = 0;
	DIR *d;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/stat", pid);
	if (read_stat(path, &st))
		return -ESRCH;
	if (start_time && st.start_time != start_time)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/status", pid);
	status = read_all(path, &err);
	if (!status)
		return err == -ENOENT ? -ESRCH : err;
	/* /proc/TID exists for threads too, hidden from readdir. */
	v = status_value(status, "Tgid");
	if (!v || strtoul(v, NULL, 10) != pid) {
		free(status);
		return -ENOTTY;
	}
	p->start_time = st.start_time;
	snprintf(p->comm, sizeof(p->comm), "%s", st.comm);
	p->state = st.state;
	p->ppid = st.ppid;
	if (p->ppid)
		comm_of(p->ppid, p->parent_comm, sizeof(p->parent_comm));
	v = status_value(status, "TracerPid");
	p->tracer = v ? strtoul(v, NULL, 10) : 0;
	if (p->tracer)
		comm_of(p->tracer, p->tracer_comm, sizeof(p->tracer_comm));
	v = status_value(status, "CoreDumping");
	p->core_dumping = v && *v == '1';
	/* "NSpid: 4242 17 1": more than one level, and 1 in the innermost. */
	v = status_value(status, "NSpid");
	if (v) {
		const char *end = strchr(v, '\n'), *last = v;
		int levels = 0;

		if (!end)
			end = v + strlen(v);
		while (v < end) {
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			if (v == end)
				break;
			last = v;
			levels++;
			while (v < end && *v != ' ' && *v != '\t')
				v++;
		}
		p->ns_init = levels > 1 && strtoul(last, NULL, 10) == 1;
	}
	free(status);

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/task", pid);
	d = opendir(path);
	if (!d)
		return -ESRCH;
	while ((de = readdir(d))) {
		struct why_thread *t;
		uint32_t tid;

		if (parse_pid(de->d_name, &tid))
			continue;
		if (p->nthreads == alloc) {
			size_t want = alloc ? alloc * 2 : 8;

			t = reallocarray(p->threads, want, sizeof(*t));
			if (!t) {
				closedir(d);
				why_free(p);
				return -ENOMEM;
			}
			p->threads = t;
			alloc = want;
		}
		t = &p->threads[p->nthreads];
		memset(t, 0, sizeof(*t));
		t->tid = tid;
		/* A thread that exited meanwhile is simply not there. */
		if (collect_thread(pid, t))
			continue;
		p->nthreads++;
	}
	closedir(d);
	qsort(p->threads, p->nthreads, sizeof(*p->threads), cmp_tid);
	return 0;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void why_sample(struct why_proc *v, size_t n)
{
	struct why_thread *t;
	size_t i, j;
	uint64_t run;

	sleep_ms(WHY_SAMPLE_MS);
	for (i = 0; i < n; i++) {
		for (j = 0; j < v[i].nthreads; j++) {
			t = &v[i].threads[j];
			if (!t->sampled)
				continue;
			if (!read_schedstat(v[i].pid, t->tid, &run)) {
				t->sampled = false;
				continue;
			}
			t->run_ns = run > t->run0_ns ? run - t->run0_ns : 0;
		}
	}
	for (i = 0; i < n; i++) {
		struct stat_line st;
		char path[64];

		snprintf(path, sizeof(path), "/proc/%" PRIu32 "/stat", v[i].pid);
		v[i].gone = read_stat(path, &st) || st.start_time != v[i].start_time;
	}
}

/* ---- words */

/* A growing list of sentences. */
struct lines {
	char **v;
	size_t n, alloc;
};

static void __attribute__((format(printf, 2, 3)))
add_line(struct lines *l, const char *fmt, ...)
{
	va_list ap;
	char *s, **p;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		return;
	if (l->n == l->alloc) {
		size_t want = l->alloc ? l->alloc * 2 : 8;

		p = reallocarray(l->v, want, sizeof(*p));
		if (!p) {
			free(s);
			return;
		}
		l->v = p;
		l->alloc = want;
	}
	l->v[l->n++] = s;
}

static void lines_free(struct lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static const char *state_name(char s)
{
	switch (s) {
	case 'R': return "running";
	case 'S': return "sleeping";
	case 'D': return "uninterruptible sleep";
	case 'T': return "stopped";
	case 't': return "tracing stop";
	case 'Z': return "zombie";
	case 'X': return "dead";
	case 'I': return "idle";
	case 'P': return "parked";
	default: return "unknown";
	}
}

static void put_duration(char *buf, size_t len, int64_t ms)
{
	if (ms < 10000)
		snprintf(buf, len, "%" PRId64 ".%" PRId64 " s", ms / 1000,
			 ms % 1000 / 100);
	else
		snprintf(buf, len, "%" PRId64 " s", ms / 1000);
}

/*
 * What one thread's facts mean, as a predicate ("is ...", "has ..."), so
 * that threads in the same situation share one sentence. Only what /proc
 * shows is claimed: D covers killable and uninterruptible sleeps alike,
 * and how long a thread has been sleeping is not recorded anywhere; the
 * time since our own SIGKILL is.
 */
static char *predicate(const struct why_proc *p, const struct why_thread *t,
		       int64_t since_kill_ms)
{
	char in[160] = "", since[64] = "", ran[64] = "", *s = NULL;
	char tracer[96];
	const char *what = "";
	int r = -1;

	if (t->wchan[0])
		snprintf(in, sizeof(in), " in %s", t->wchan);
	if (t->sigkill && since_kill_ms >= 0) {
		char d[32];

		put_duration(d, sizeof(d), since_kill_ms);
		snprintf(since, sizeof(since), ", %s after procterm sent SIGKILL", d);
	} else if (t->sigkill) {
		snprintf(since, sizeof(since), " with SIGKILL pending");
	}
	if (t->sampled && !t->run_ns)
		snprintf(ran, sizeof(ran), " (it did not run in the %d ms watched)",
			 WHY_SAMPLE_MS);
	if (p->tracer)
		snprintf(tracer, sizeof(tracer), "%" PRIu32 " (%s)", p->tracer,
			 p->tracer_comm);
	else
		snprintf(tracer, sizeof(tracer), "(unknown)");
	if (t->flags & PF_IO_WORKER)
		what = "an io_uring worker and ";

	switch (t->state) {
	case 'D':
		if (t->vfork_child)
			r = asprintf(&s, "is %sin vfork(), waiting for its child %" PRIu32
				     " (%s, state %c) to exec or exit; the wait is "
				     "killable: SIGKILL ends it", what, t->vfork_child,
				     t->vfork_comm, t->vfork_state ? t->vfork_state : '?');
		else if (t->sigkill)
			r = asprintf(&s, "is %sin uninterruptible sleep%s%s%s: it cannot "
				     "die until that wait ends", what, in, since, ran);
		else
			r = asprintf(&s, "is %sin uninterruptible sleep%s%s: a SIGKILL "
				     "ends it only if the sleep is killable (/proc "
				     "does not say)", what, in, ran);
		break;
	case 'T':
		r = asprintf(&s, "is %sstopped (job control)%s: SIGKILL ends the stop",
			     what, since);
		break;
	case 't':
		if (t->flags & PF_EXITING)
			r = asprintf(&s, "is %sexiting and stopped for its tracer %s "
				     "(the exit event)%s: it goes on dying when the "
				     "tracer resumes or detaches it", what, tracer, since);
		else
			r = asprintf(&s, "is %sin a ptrace stop of its tracer %s%s: "
				     "SIGKILL ends the stop, unless the tracer is in "
				     "the middle of a ptrace request", what, tracer, since);
		break;
	case 'S':
		if (t->sigkill)
			r = asprintf(&s, "is %ssleeping%s%s: it should die as soon as "
				     "it is scheduled", what, in, since);
		else
			r = asprintf(&s, "is %ssleeping%s (interruptible): SIGKILL wakes "
				     "it", what, in);
		break;
	case 'R':
		if (t->sigkill)
			r = asprintf(&s, "is %srunning or runnable%s: it dies when it "
				     "next leaves the kernel", what, since);
		else
			r = asprintf(&s, "is %srunning or runnable", what);
		break;
	case 'Z':
	case 'X':
		r = asprintf(&s, "has exited");
		break;
	default:
		r = asprintf(&s, "is %sin state %c (%s)%s%s", what, t->state,
			     state_name(t->state), in, since);
		break;
	}
	return r < 0 ? NULL : s;
}

/* "is" -> "are", "has" -> "have" for a group of threads. */
static const char *plural(const char *pred, char *buf, size_t len)
{
	if (!strncmp(pred, "is ", 3))
		snprintf(buf, len, "are %s", pred + 3);
	else if (!strncmp(pred, "has ", 4))
		snprintf(buf, len, "have %s", pred + 4);
	else
		snprintf(buf, len, "%s", pred);
	return buf;
}

#define WHY_LIST_TIDS	5

static void explain(const struct why_proc *p, int64_t since_kill_ms,
		    struct lines *out)
{
	size_t i, j, n = p->nthreads, live = 0, io = 0;
	char **preds, buf[1024], tids[256], since[32];
	bool *done, leader_gone = false;

	if (p->gone) {
		add_line(out, "process %" PRIu32 " (%s) is gone: it exited while "
			 "procterm looked", p->pid, p->comm);
		return;
	}
	for (i = 0; i < n; i++) {
		if (p->threads[i].state != 'Z' && p->threads[i].state != 'X')
			live++;
		else if (p->threads[i].tid == p->pid)
			leader_gone = true;
		if (p->threads[i].flags & PF_IO_WORKER)
			io++;
	}
	if (!live) {
		add_line(out, "process %" PRIu32 " (%s) has exited: it is a zombie "
			 "until its parent %" PRIu32 " (%s) reaps it; nothing is left "
			 "to kill", p->pid, p->comm, p->ppid, p->parent_comm);
		return;
	}
	if (since_kill_ms >= 0) {
		put_duration(since, sizeof(since), since_kill_ms);
		add_line(out, "process %" PRIu32 " (%s) is still alive %s after "
			 "procterm sent SIGKILL: %zu of its %zu threads live",
			 p->pid, p->comm, since, live, n);
	} else {
		add_line(out, "process %" PRIu32 " (%s) is alive: %zu thread%s",
			 p->pid, p->comm, live, live == 1 ? "" : "s");
	}
	if (leader_gone)
		add_line(out, "its main thread %" PRIu32 " has exited; the process "
			 "lives on in its other threads", p->pid);
	if (p->tracer)
		add_line(out, "it is traced by %" PRIu32 " (%s)", p->tracer,
			 p->tracer_comm);
	if (p->core_dumping)
		add_line(out, "it is writing a core dump: its other threads wait "
			 "for the dump to end; a SIGKILL aborts the dump");
	if (p->ns_init)
		add_line(out, "it is the init of a PID namespace: once it dies, it "
			 "waits for every other process of its namespace to exit%s",
			 p->state != 'Z' && p->threads[0].tid == p->pid &&
			 !strcmp(p->threads[0].wchan, "zap_pid_ns_processes") ?
			 ", which it is doing now" : "");
	if (io)
		add_line(out, "it has %zu io_uring worker thread%s: they end with "
			 "the process, once the I/O they run returns", io,
			 io == 1 ? "" : "s");

	preds = calloc(n ? n : 1, sizeof(*preds));
	done = calloc(n ? n : 1, sizeof(*done));
	if (!preds || !done)
		goto out;
	for (i = 0; i < n; i++) {
		const struct why_thread *t = &p->threads[i];

		/* Exited threads of a live process are not worth a line. */
		if (t->state == 'Z' || t->state == 'X')
			done[i] = true;
		else
			preds[i] = predicate(p, t, since_kill_ms);
	}
	for (i = 0; i < n; i++) {
		size_t count = 0, len = 0;

		if (done[i] || !preds[i])
			continue;
		for (j = i; j < n; j++) {
			if (done[j] || !preds[j] || strcmp(preds[i], preds[j]))
				continue;
			done[j] = true;
			if (count < WHY_LIST_TIDS)
				len += snprintf(tids + len, sizeof(tids) - len, "%s%" PRIu32,
						count ? ", " : "", p->threads[j].tid);
			count++;
		}
		if (count > WHY_LIST_TIDS)
			snprintf(tids + len, sizeof(tids) - len, " and %zu more",
				 count - WHY_LIST_TIDS);
		if (count == 1)
			add_line(out, "thread %s %s", tids, preds[i]);
		else
			add_line(out, "threads %s %s", tids,
				 plural(preds[i], buf, sizeof(buf)));
	}
out:
	for (i = 0; preds && i < n; i++)
		free(preds[i]);
	free(preds);
	free(done);
}

static const char *stack_why(int err)
{
	if (err == -EACCES || err == -EPERM)
		return "not available (needs root)";
	if (err == -ENOENT)
		return "not available (the kernel does not provide it)";
	return err_text(err);
}

void why_print(FILE *f, const struct why_proc *p, int64_t since_kill_ms)
{
	struct lines l = { 0 };
	const char *s, *e;
	size_t i;

	explain(p, since_kill_ms, &l);
	for (i = 0; i < l.n; i++) {
		fputs(i ? "  " : "", f);
		put_escaped(f, l.v[i]);
		putc('\n', f);
	}
	lines_free(&l);
	if (p->gone)
		return;

	fprintf(f, "  facts: pid %" PRIu32 ", start time %" PRIu64 ", state %c, "
		"parent %" PRIu32 " (", p->pid, p->start_time, p->state, p->ppid);
	put_escaped(f, p->parent_comm);
	fprintf(f, "), tracer ");
	if (p->tracer) {
		fprintf(f, "%" PRIu32 " (", p->tracer);
		put_escaped(f, p->tracer_comm);
		putc(')', f);
	} else {
		fputs("none", f);
	}
	fprintf(f, ", core dump %s, PID-namespace init %s\n",
		p->core_dumping ? "yes" : "no", p->ns_init ? "yes" : "no");
	for (i = 0; i < p->nthreads; i++) {
		const struct why_thread *t = &p->threads[i];

		fprintf(f, "  thread %" PRIu32 " (", t->tid);
		put_escaped(f, t->comm);
		fprintf(f, "): state %c, wchan %s, SIGKILL %s, flags 0x%" PRIx64,
			t->state, t->wchan[0] ? t->wchan : "-",
			t->sigkill ? "pending" : "not pending", t->flags);
		if (t->sampled)
			fprintf(f, ", ran %" PRIu64 " us of %d ms", t->run_ns / 1000,
				WHY_SAMPLE_MS);
		if (t->vfork_child)
			fprintf(f, ", vfork child %" PRIu32, t->vfork_child);
		putc('\n', f);
		if (!t->stack) {
			fprintf(f, "    kernel stack: %s\n", stack_why(t->stack_err));
			continue;
		}
		for (s = t->stack; *s; s = e + (*e == '\n')) {
			e = strchrnul(s, '\n');
			fprintf(f, "    %.*s\n", (int)(e - s), s);
		}
	}
}

static void json_str_or_null(FILE *f, const char *s)
{
	if (s && *s)
		put_json_string(f, s);
	else
		fputs("null", f);
}

void why_print_json(FILE *f, const struct why_proc *p, int64_t since_kill_ms,
		    const char *ind)
{
	struct lines l = { 0 };
	char state[2] = "";
	const char *s, *e;
	size_t i;

	explain(p, since_kill_ms, &l);
	fprintf(f, "{\"pid\": %" PRIu32 ", \"start_time\": %" PRIu64 ", \"comm\": ",
		p->pid, p->start_time);
	put_json_string(f, p->comm);
	state[0] = p->state;
	fprintf(f, ", \"state\": ");
	put_json_string(f, state);
	fprintf(f, ", \"gone\": %s, \"since_kill_ms\": ", p->gone ? "true" : "false");
	if (since_kill_ms >= 0)
		fprintf(f, "%" PRId64, since_kill_ms);
	else
		fputs("null", f);
	fprintf(f, ",\n%s \"ppid\": %" PRIu32 ", \"parent_comm\": ", ind, p->ppid);
	json_str_or_null(f, p->parent_comm);
	fputs(", \"tracer\": ", f);
	if (p->tracer) {
		fprintf(f, "{\"pid\": %" PRIu32 ", \"comm\": ", p->tracer);
		put_json_string(f, p->tracer_comm);
		putc('}', f);
	} else {
		fputs("null", f);
	}
	fprintf(f, ", \"core_dumping\": %s, \"pid_ns_init\": %s,\n%s \"summary\": [",
		p->core_dumping ? "true" : "false", p->ns_init ? "true" : "false",
		ind);
	for (i = 0; i < l.n; i++) {
		fprintf(f, "%s\n%s   ", i ? "," : "", ind);
		put_json_string(f, l.v[i]);
	}
	if (l.n)
		fprintf(f, "\n%s ", ind);
	fprintf(f, "],\n%s \"threads\": [", ind);
	lines_free(&l);
	for (i = 0; i < p->nthreads; i++) {
		const struct why_thread *t = &p->threads[i];

		fprintf(f, "%s\n%s   {\"tid\": %" PRIu32 ", \"comm\": ", i ? "," : "",
			ind, t->tid);
		put_json_string(f, t->comm);
		state[0] = t->state;
		fputs(", \"state\": ", f);
		put_json_string(f, state);
		fputs(", \"wchan\": ", f);
		json_str_or_null(f, t->wchan);
		fprintf(f, ", \"sigkill_pending\": %s, \"flags\": %" PRIu64
			", \"exiting\": %s, \"io_worker\": %s, \"vfork_child\": ",
			t->sigkill ? "true" : "false", t->flags,
			t->flags & PF_EXITING ? "true" : "false",
			t->flags & PF_IO_WORKER ? "true" : "false");
		if (t->vfork_child)
			fprintf(f, "%" PRIu32, t->vfork_child);
		else
			fputs("null", f);
		/* Run time during the sample: at most WHY_SAMPLE_MS * 1e6 ns,
		 * far below 2^53. */
		fprintf(f, ", \"sample_ms\": %d, \"ran_ns\": ", WHY_SAMPLE_MS);
		if (t->sampled)
			fprintf(f, "%" PRIu64, t->run_ns);
		else
			fputs("null", f);
		fputs(", \"stack\": ", f);
		if (t->stack) {
			putc('[', f);
			for (s = t->stack; *s; s = e + (*e == '\n')) {
				char line[512];

				e = strchrnul(s, '\n');
				snprintf(line, sizeof(line), "%.*s", (int)(e - s), s);
				fputs(s == t->stack ? "" : ", ", f);
				put_json_string(f, line);
			}
			fputs("], \"stack_error\": null}", f);
		} else {
			fputs("null, \"stack_error\": ", f);
			put_json_string(f, stack_why(t->stack_err));
			putc('}', f);
		}
	}
	if (p->nthreads)
		fprintf(f, "\n%s ", ind);
	fputs("]}", f);
}

/* ---- the subtree, from /proc */

int why_subtree(uint32_t pid, uint32_t **pids, uint64_t **starts, size_t *n)
{
	struct stat_line st;
	uint32_t *all = NULL, *par = NULL, *p;
	uint64_t *st_all = NULL, *q;
	size_t na = 0, alloc = 0, i, head;
	struct dirent *de;
	bool *in = NULL;
	char path[64];
	uint32_t v;
	DIR *d;

	*pids = NULL;
	*starts = NULL;
	*n = 0;
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (parse_pid(de->d_name, &v))
			continue;
		snprintf(path, sizeof(path), "/proc/%" PRIu32 "/stat", v);
		if (read_stat(path, &st))
			continue;
		if (na == alloc) {
			size_t want = alloc ? alloc * 2 : 256;

			p = reallocarray(all, want, sizeof(*all));
			if (!p)
				goto nomem;
			all = p;
			p = reallocarray(par, want, sizeof(*par));
			if (!p)
				goto nomem;
			par = p;
			q = reallocarray(st_all, want, sizeof(*st_all));
			if (!q)
				goto nomem;
			st_all = q;
			alloc = want;
		}
		all[na] = v;
		par[na] = st.ppid;
		st_all[na++] = st.start_time;
	}
	closedir(d);
	d = NULL;

	*pids = calloc(na + 1, sizeof(**pids));
	*starts = calloc(na + 1, sizeof(**starts));
	in = calloc(na + 1, sizeof(*in));
	if (!*pids || !*starts || !in)
		goto nomem;
	for (i = 0; i < na; i++) {
		if (all[i] == pid) {
			(*pids)[0] = pid;
			(*starts)[0] = st_all[i];
			in[i] = true;
			*n = 1;
		}
	}
	/* Breadth first: each found member's children join the queue. */
	for (head = 0; head < *n; head++) {
		for (i = 0; i < na; i++) {
			if (in[i] || par[i] != (*pids)[head])
				continue;
			in[i] = true;
			(*pids)[*n] = all[i];
			(*starts)[(*n)++] = st_all[i];
		}
	}
	free(all);
	free(par);
	free(st_all);
	free(in);
	return 0;
nomem:
	if (d)
		closedir(d);
	free(all);
	free(par);
	free(st_all);
	free(in);
	free(*pids);
	free(*starts);
	*pids = NULL;
	*starts = NULL;
	*n = 0;
	return -ENOMEM;
}

/* ---- the subcommand */

enum {
	OPT_JSON = OPT_LONG,
};

static const struct option options[] = {
	{ "json",	no_argument,	NULL, OPT_JSON },
	{ "help",	no_argument,	NULL, 'h' },
	{ NULL,		0,		NULL, 0 },
};

static void usage(FILE *f)
{
	fputs("Usage: procterm why [--json] PID|PID@START...\n"
	      "\n"
	      "Say why each process is not dead (yet), from /proc: per thread its\n"
	      "state, where it sleeps, whether SIGKILL is pending, whether it ran in\n"
	      "a 100 ms sample, and its kernel stack when you may read it (root);\n"
	      "per process its tracer, a core dump in progress, a vfork() waiting\n"
	      "for its child, a PID-namespace init, io_uring workers. Plain words\n"
	      "first, then the raw facts. Needs no module.\n"
	      "\n"
	      "Options:\n"
	      "  --json   a JSON array of objects, one per process\n"
	      "\n"
	      EXIT_STATUS_HELP, f);
}

int why_main(int argc, char *argv[])
{
	struct why_proc *procs = NULL;
	struct target *targets = NULL;
	int ret = 0, first = 0, c, n, i;
	bool json = false, any = false;
	int *rets = NULL;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return usage_hint("why", option_error("why", c, argv));
		}
	}
	argv += optind;
	n = argc - optind;
	if (!n) {
		fputs("procterm: why: no PID given\n", stderr);
		return usage_hint("why", -PT_EUSAGE);
	}
	targets = calloc(n, sizeof(*targets));
	procs = calloc(n, sizeof(*procs));
	rets = calloc(n, sizeof(*rets));
	if (!targets || !procs || !rets) {
		perror("procterm: why");
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		ret = parse_target(argv[i], &targets[i]);
		if (!ret && targets[i].kind == TARGET_ADDR)
			ret = -EINVAL;
		if (ret)
			report_bad_target("why", argv[i], ret, "PID or PID@START");
		else
			ret = check_pid_range("why", argv[i], targets[i].pid);
		if (ret) {
			ret = usage_hint("why", -PT_EUSAGE);
			goto out;
		}
	}
	for (i = 0; i < n; i++)
		rets[i] = why_collect(targets[i].pid, targets[i].kind == TARGET_HANDLE ?
				      targets[i].start_time : 0, &procs[i]);
	why_sample(procs, n);

	if (json)
		putchar('[');
	for (i = 0; i < n; i++) {
		if (rets[i]) {
			report("why", argv[i], rets[i], NULL);
			if (!first)
				first = rets[i];
			continue;
		}
		if (json) {
			printf("%s\n  ", any ? "," : "");
			why_print_json(stdout, &procs[i], -1, "  ");
		} else {
			why_print(stdout, &procs[i], -1);
		}
		any = true;
	}
	if (json)
		puts(any ? "\n]" : "]");
	ret = first;
out:
	for (i = 0; procs && i < n; i++)
		why_free(&procs[i]);
	free(procs);
	free(targets);
	free(rets);
	return ret;
}
