// SPDX-License-Identifier: GPL-2.0
/*
 * Process helpers for the procterm selftests; see procterm_test.h.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include "procterm_test.h"

void pt_sleep_ms(int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void pt_backoff(int *delay_ms)
{
	struct timespec ts = {
		.tv_sec = *delay_ms / 1000,
		.tv_nsec = (long)(*delay_ms % 1000) * 1000000,
	};

	nanosleep(&ts, NULL);
	if (*delay_ms < 20)
		*delay_ms *= 2;
}

int pt_read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		got += n;
	}
	return 0;
}

void pt_write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		done += n;
	}
}

void pt_ready(int ready_fd)
{
	char c = 'r';

	pt_write_full(ready_fd, &c, 1);
}

void pt_ready_data(int ready_fd, const void *data, size_t len)
{
	pt_write_full(ready_fd, data, len);
}

void pt_block_forever(void)
{
	for (;;)
		pause();
}

pid_t pt_spawn(pt_body_fn body, void *arg, void *ready, size_t ready_len)
{
	pid_t parent = getpid(), pid;
	char byte;
	int p[2], ret;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(p[0]);
		close(p[1]);
		return ret;
	}
	if (pid == 0) {
		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		_exit(body(p[1], arg));
	}
	close(p[1]);
	if (!ready) {
		ready = &byte;
		ready_len = 1;
	}
	ret = pt_read_full(p[0], ready, ready_len);
	close(p[0]);
	if (ret) {
		pt_reap(&pid);
		return ret;
	}
	return pid;
}

static int sleeper_body(int ready_fd, void *arg)
{
	(void)arg;
	pt_ready(ready_fd);
	pt_block_forever();
}

pid_t pt_spawn_sleeper(void)
{
	return pt_spawn(sleeper_body, NULL, NULL, 1);
}

pid_t pt_spawn_zombie(int code)
{
	siginfo_t si;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(code);
	/* Block until it has exited, but leave it unreaped. */
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, pid, &si, WEXITED | WNOWAIT)) {
		int ret = -errno;

		pt_reap(&pid);
		return ret;
	}
	return pid;
}

int pt_wait_timeout(pid_t pid, int *status, int timeout_ms)
{
	int64_t deadline = pt_now_ms() + timeout_ms;
	int delay = 1;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (pt_now_ms() > deadline)
			return -ETIMEDOUT;
		pt_backoff(&delay);
	}
}

bool pt_child_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT))
		return false;
	return si.si_pid == pid;
}

void pt_reap(pid_t *pid)
{
	int status;

	if (*pid <= 0)
		return;
	kill(*pid, SIGCONT);
	kill(*pid, SIGKILL);
	pt_wait_timeout(*pid, &status, PT_DEATH_MS);
	*pid = 0;
}

static int parse_stat(const char *path, struct pt_stat *st)
{
	char buf[1024], *p, *tok, *save = NULL;
	ssize_t n;
	int fd, field;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ENODATA;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return -EPROTO;
	memset(st, 0, sizeof(*st));
	/* Field 3 is the first after the command name. */
	for (field = 3, tok = strtok_r(p + 1, " \n", &save); tok;
	     field++, tok = strtok_r(NULL, " \n", &save)) {
		switch (field) {
		case 3: st->state = tok[0]; break;
		case 4: st->ppid = (pid_t)strtol(tok, NULL, 10); break;
		case 9: st->flags = (unsigned int)strtoul(tok, NULL, 10); break;
		case 20: st->num_threads = strtoul(tok, NULL, 10); break;
		case 22: st->start_time = strtoull(tok, NULL, 10); return 0;
		}
	}
	return -EPROTO;
}

int pt_read_stat(pid_t pid, struct pt_stat *st)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	return parse_stat(path, st);
}

int pt_read_task_stat(pid_t pid, pid_t tid, struct pt_stat *st)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	return parse_stat(path, st);
}

bool pt_pid_alive(pid_t pid)
{
	struct pt_stat st;

	if (kill(pid, 0) && errno == ESRCH)
		return false;
	if (pt_read_stat(pid, &st))
		return false;
	return st.state != 'Z' && st.state != 'X' && st.state != 'x';
}

int pt_thread_count(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int pt_wait_state(pid_t pid, char state, int timeout_ms)
{
	int64_t deadline = pt_now_ms() + timeout_ms;
	struct pt_stat st;
	int delay = 1;

	for (;;) {
		if (!pt_read_stat(pid, &st) && st.state == state)
			return 0;
		if (pt_now_ms() > deadline)
			return -ETIMEDOUT;
		pt_backoff(&delay);
	}
}

/* Every thread of @pid in @state: 1, 0 if one is not, -errno. */
static int threads_in_state(pid_t pid, char state)
{
	struct pt_stat st;
	char path[64];
	struct dirent *de;
	int n = 0, all = 1;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while (all && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		if (pt_read_task_stat(pid, (pid_t)atoi(de->d_name), &st) ||
		    st.state != state)
			all = 0;
	}
	closedir(d);
	return n ? all : -ESRCH;
}

int pt_wait_threads_state(pid_t pid, char state, int timeout_ms)
{
	int64_t deadline = pt_now_ms() + timeout_ms;
	int delay = 1;

	for (;;) {
		if (threads_in_state(pid, state) == 1)
			return 0;
		if (pt_now_ms() > deadline)
			return -ETIMEDOUT;
		pt_backoff(&delay);
	}
}

pid_t pt_unused_pid(void)
{
	char buf[32], path[64];
	long pid_max = 32768, p;
	FILE *f;

	f = fopen("/proc/sys/kernel/pid_max", "re");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			pid_max = strtol(buf, NULL, 10);
		fclose(f);
	}
	/* New PIDs are handed out upwards from 300; look from the top down. */
	for (p = pid_max - 1; p > 300; p--) {
		if (!kill((pid_t)p, 0) || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld", p);
		if (access(path, F_OK) && errno == ENOENT)
			return (pid_t)p;
	}
	return -ENOSPC;
}

static int set_caps(uint64_t caps)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = (uint32_t)caps;
	data[1].effective = data[1].permitted = (uint32_t)(caps >> 32);
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

int pt_set_creds(uid_t ruid, uid_t euid, uid_t suid, gid_t gid, uint64_t caps)
{
	int ret;

	if (setgroups(0, NULL) || setresgid(gid, gid, gid))
		return -errno;
	if (caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		return -errno;
	if (setresuid(ruid, euid, suid))
		return -errno;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	ret = set_caps(caps);
	if (ret)
		return ret;
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	return 0;
}

int pt_set_uids(uid_t ruid, uid_t euid, uid_t suid)
{
	if (setresuid(ruid, euid, suid))
		return -errno;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	return 0;
}

int pt_read_result(int fd, struct pt_result *res)
{
	memset(res, 0, sizeof(*res));
	return pt_read_full(fd, res, sizeof(*res));
}

int pt_run_child(pt_body_fn body, void *arg, void *res, size_t len, int *status)
{
	pid_t pid = pt_spawn(body, arg, res, len);
	int ret;

	if (pid < 0)
		return pid;
	ret = pt_wait_timeout(pid, status, PT_DEATH_MS * 3);
	if (ret)
		pt_reap(&pid);
	return ret;
}

int pt_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

int pt_write_file(const char *path, const char *str)
{
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, str, strlen(str));
	close(fd);
	if (n < 0)
		return -errno;
	return n == (ssize_t)strlen(str) ? 0 : -EIO;
}

unsigned int pt_timeout(unsigned int seconds)
{
	return seconds * pt_env_long("PROCTERM_TIMEOUT_SCALE", 1, 1, 100);
}

long pt_env_long(const char *name, long def, long min, long max)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return def;
	return v;
}

int pt_proc_status_field(pid_t pid, const char *field, char *val, size_t len)
{
	char path[64], buf[8192], *p, *eol;
	size_t flen = strlen(field);
	int n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	n = pt_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	for (p = buf; p && *p; p = eol ? eol + 1 : NULL) {
		eol = strchr(p, '\n');
		if (!strncmp(p, field, flen) && p[flen] == ':') {
			p += flen + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			snprintf(val, len, "%.*s", (int)(eol ? eol - p : (long)strlen(p)), p);
			return 0;
		}
	}
	return -ENOENT;
}

int pt_sig_pending(pid_t pid, int sig, char *why, size_t len)
{
	static const char *const fields[] = { "SigPnd", "ShdPnd" };
	unsigned long long mask;
	char val[64];
	size_t i;
	int ret;

	for (i = 0; i < 2; i++) {
		ret = pt_proc_status_field(pid, fields[i], val, sizeof(val));
		if (ret)
			return ret;
		mask = strtoull(val, NULL, 16);
		if (mask & (1ULL << (sig - 1))) {
			if (why)
				snprintf(why, len, "%s: %s", fields[i], val);
			return 1;
		}
	}
	if (why)
		snprintf(why, len, "not pending");
	return 0;
}

const char *pt_kernel_release(void)
{
	static struct utsname u;

	if (!u.release[0] && uname(&u))
		return "an unknown kernel";
	return u.release;
}

int pt_become(struct pt_sock *s, bool open_first, const char *uid_map,
	      uid_t uid, uint64_t caps, int *stage)
{
	int ret;

	s->fd = -1;
	*stage = 0;
	if (open_first) {
		ret = pt_open(s);
		if (ret) {
			*stage = 1;
			return ret;
		}
	}
	if (uid_map) {
		if (unshare(CLONE_NEWUSER)) {
			*stage = 100;
			return -errno;
		}
		ret = pt_write_file("/proc/self/uid_map", uid_map);
		if (ret) {
			*stage = 2;
			return ret;
		}
	} else {
		ret = pt_set_creds(uid, uid, uid, uid, caps);
		if (ret) {
			*stage = 3;
			return ret;
		}
	}
	if (!open_first) {
		ret = pt_open(s);
		if (ret) {
			*stage = 4;
			return ret;
		}
	}
	return 0;
}
