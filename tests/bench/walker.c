// SPDX-License-Identifier: GPL-2.0
/*
 * procterm benchmarks: the userspace tree walker, the anchor that stands
 * for `pkill -P` loops and psutil's children(recursive=True): read every
 * /proc/PID/stat, link processes by PPID, SIGKILL the descendants of the
 * root (the root last), and scan again until nothing is left.
 *
 * It is written to be as fast as such a tool can be: one directory handle
 * re-read from the start, openat() relative to it, no stdio, no sleeping
 * between scans.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

struct pp {
	pid_t ppid, pid;
};

static int cmp_pp(const void *a, const void *b)
{
	const struct pp *x = a, *y = b;

	if (x->ppid != y->ppid)
		return (x->ppid > y->ppid) - (x->ppid < y->ppid);
	return (x->pid > y->pid) - (x->pid < y->pid);
}

void walker_init(struct walker *w)
{
	memset(w, 0, sizeof(*w));
	w->procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->procfd < 0)
		die("/proc: %s", strerror(errno));
	/* PID_MAX_LIMIT on 64-bit: 4M PIDs, a 512 KiB bitmap. */
	w->seen_max = read_long_file("/proc/sys/kernel/pid_max", 4194304) + 1;
	if (w->seen_max > 4194305)
		w->seen_max = 4194305;
	w->seen = calloc((size_t)w->seen_max / 8 + 1, 1);
	if (!w->seen)
		die("out of memory");
}

void walker_fini(struct walker *w)
{
	if (w->procfd >= 0)
		close(w->procfd);
	free(w->pid);
	free(w->ppid);
	free(w->order);
	free(w->seen);
	memset(w, 0, sizeof(*w));
	w->procfd = -1;
}

static void grow(struct walker *w)
{
	size_t cap = w->cap ? w->cap * 2 : 4096;

	w->pid = realloc(w->pid, cap * sizeof(*w->pid));
	w->ppid = realloc(w->ppid, cap * sizeof(*w->ppid));
	w->order = realloc(w->order, cap * sizeof(*w->order));
	if (!w->pid || !w->ppid || !w->order)
		die("out of memory");
	w->cap = cap;
}

/* PPID and state of one process; false when it is gone or unreadable. */
static bool read_stat(int procfd, const char *name, pid_t *ppid, char *state)
{
	char path[300], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/stat", name);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	/* "pid (comm) S ppid ...": comm may hold spaces and parentheses. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2] || p[3] != ' ')
		return false;
	*state = p[2];
	*ppid = (pid_t)strtol(p + 4, NULL, 10);
	return true;
}

/*
 * Every live process's (PPID, PID), sorted by PPID; returns the count, or
 * -1 past w->deadline.
 */
static long scan_proc(struct walker *w, struct pp **out)
{
	static struct pp *tab;
	static size_t tabcap;
	char buf[32768];
	size_t n = 0;

	if (lseek(w->procfd, 0, SEEK_SET) < 0)
		die("rewinding /proc: %s", strerror(errno));
	for (;;) {
		ssize_t len = getdents64(w->procfd, buf, sizeof(buf));
		ssize_t off;

		if (len < 0)
			die("reading /proc: %s", strerror(errno));
		if (len == 0)
			break;
		for (off = 0; off < len;) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);
			pid_t ppid;
			char state;

			off += de->d_reclen;
			if (de->d_name[0] < '1' || de->d_name[0] > '9')
				continue;
			if (w->deadline && !(n % 64) && now_ns() > w->deadline)
				return -1;
			if (!read_stat(w->procfd, de->d_name, &ppid, &state))
				continue;
			if (state == 'Z' || state == 'X')
				continue;
			if (n == tabcap) {
				tabcap = tabcap ? tabcap * 2 : 4096;
				tab = realloc(tab, tabcap * sizeof(*tab));
				if (!tab)
					die("out of memory");
			}
			tab[n].ppid = ppid;
			tab[n].pid = (pid_t)strtol(de->d_name, NULL, 10);
			n++;
		}
	}
	qsort(tab, n, sizeof(*tab), cmp_pp);
	*out = tab;
	return (long)n;
}

/* Index of the first entry with this PPID, or n. */
static size_t first_child(const struct pp *tab, size_t n, pid_t ppid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (tab[mid].ppid < ppid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

long walker_scan(struct walker *w, pid_t root)
{
	struct pp *tab;
	long got = scan_proc(w, &tab);
	size_t n, head = 0, tail = 0, i;
	bool root_alive = false;

	if (got < 0)
		return -ETIMEDOUT;
	n = (size_t)got;
	w->scans++;
	while (w->cap < n + 1)
		grow(w);
	for (i = 0; i < n; i++) {
		if (tab[i].pid == root) {
			root_alive = true;
			break;
		}
	}
	/* Breadth-first from the root; w->order doubles as the queue. */
	w->order[tail++] = root;
	while (head < tail) {
		pid_t parent = w->order[head++];

		for (i = first_child(tab, n, parent); i < n && tab[i].ppid == parent; i++) {
			if (tail == w->cap)
				grow(w);	/* cannot happen: each PID once */
			w->order[tail++] = tab[i].pid;
		}
	}
	/* Move the root from the front to the back, or drop it if dead. */
	memmove(w->order, w->order + 1, (tail - 1) * sizeof(*w->order));
	tail--;
	if (root_alive)
		w->order[tail++] = root;
	return (long)tail;
}

int walker_kill_tree(struct walker *w, pid_t root, long timeout_ms)
{
	int ret = 0;

	w->deadline = now_ns() + timeout_ms * NSEC_PER_MSEC;
	w->new_kills = 0;
	w->last_new_kill = 0;
	memset(w->seen, 0, (size_t)w->seen_max / 8 + 1);
	for (;;) {
		long i, n = walker_scan(w, root);
		pid_t r;
		int st;

		if (n <= 0) {
			ret = (int)n;
			break;
		}
		for (i = 0; i < n; i++) {
			pid_t pid = w->order[i];
			bool fresh = pid > 0 && pid < w->seen_max &&
				     !(w->seen[pid / 8] & (1u << (pid % 8)));

			if (kill(pid, SIGKILL))
				continue;
			w->kills++;
			/*
			 * kill(2) queues SIGKILL before it returns: when the
			 * last first-time kill returns, every member found so
			 * far is signalled.
			 */
			if (fresh) {
				w->seen[pid / 8] |= (unsigned char)(1u << (pid % 8));
				w->new_kills++;
				w->last_new_kill = now_ns();
			}
		}
		if (w->scans == 1 && w->after_first_pass)
			w->after_first_pass();
		/* Reap what died meanwhile, as a subreaper or init would. */
		while ((r = waitpid(-1, &st, WNOHANG | __WALL)) > 0)
			w->reaped++;
		if (now_ns() > w->deadline) {
			ret = -ETIMEDOUT;
			break;
		}
	}
	w->deadline = 0;
	return ret;
}
