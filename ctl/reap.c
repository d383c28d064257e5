// SPDX-License-Identifier: GPL-2.0
/*
 * procterm kill --reap: free the victim's memory in our own context, as
 * low-memory killers (earlyoom, Android's lmkd) do, instead of waiting for
 * the victim's exit to get to it.
 *
 * process_mrelease(2) (Linux 5.15) works on a pidfd and only on a process
 * that is already dying; it needs no privilege beyond the pidfd. The pidfd
 * is opened before the kill: once the process is reaped its PID may name
 * another process, and a pidfd opened then would be the wrong one or none.
 * The start time of the opened process is read from /proc and checked to
 * belong to it (the pidfd still signals after the read), and the kill is
 * sent as the handle PID@START: it kills that process or none.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "reap.h"

#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif
#ifndef __NR_process_mrelease
#define __NR_process_mrelease 448
#endif

/* Field 22 of /proc/PID/stat. */
static int start_time_of(uint32_t pid, uint64_t *start)
{
	char path[32], buf[1024], *p;
	unsigned long long v;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p)
		return -EIO;
	/* After the comm, which may contain anything but ends at the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	p += 2;
	for (i = 3; i < 22; i++) {
		p = strchr(p, ' ');
		if (!p)
			return -EIO;
		p++;
	}
	if (sscanf(p, "%llu", &v) != 1)
		return -EIO;
	*start = v;
	return 0;
}

void reap_prepare(struct kill_request *req, struct reap *r)
{
	struct target *t = &req->target;
	uint64_t start;
	int fd;

	r->pidfd = -1;
	if (t->kind == TARGET_ADDR)
		return;
	fd = syscall(__NR_pidfd_open, t->pid, 0);
	if (fd < 0)
		return;
	if (start_time_of(t->pid, &start) ||
	    syscall(__NR_pidfd_send_signal, fd, 0, NULL, 0) ||
	    (t->kind == TARGET_HANDLE && t->start_time != start)) {
		/* Not the process the target names: let the kill say so. */
		close(fd);
		return;
	}
	t->kind = TARGET_HANDLE;
	t->start_time = start;
	r->pidfd = fd;
}

/* An address target: the reply names the process; open it now, if it is still there. */
static void reap_open_late(struct reap *r, const struct kill_reply *reply)
{
	uint64_t start;
	int fd;

	if (!reply->has_pid || !reply->has_start_time)
		return;
	fd = syscall(__NR_pidfd_open, reply->pid, 0);
	if (fd < 0)
		return;
	if (start_time_of(reply->pid, &start) || start != reply->start_time ||
	    syscall(__NR_pidfd_send_signal, fd, 0, NULL, 0)) {
		close(fd);
		return;
	}
	r->pidfd = fd;
}

int reap_release(struct reap *r, const char *arg, const struct kill_reply *reply)
{
	int i, ret = 0;

	if (r->pidfd < 0)
		reap_open_late(r, reply);
	/* Gone already, memory and all. */
	if (r->pidfd < 0)
		return 0;
	for (i = 0; i < 100; i++) {
		ret = syscall(__NR_process_mrelease, r->pidfd, 0) ? -errno : 0;
		/* EAGAIN: the memory map was busy; EINTR: a signal. */
		if (ret != -EAGAIN && ret != -EINTR)
			break;
		usleep(1000);
	}
	/* ESRCH: no thread holds the memory any more; the exit freed it. */
	if (ret == -ESRCH)
		ret = 0;
	if (ret)
		fprintf(stderr, "procterm: kill %s: terminated, but its memory was not released at once: %s%s\n",
			arg, strerror(-ret), ret == -EINVAL ?
			" (shared with a process that is not exiting, or dumping core)" : "");
	return ret;
}

void reap_close(struct reap *r)
{
	if (r->pidfd >= 0)
		close(r->pidfd);
	r->pidfd = -1;
}
