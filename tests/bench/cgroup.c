// SPDX-License-Identifier: GPL-2.0
/*
 * procterm benchmarks: cgroup v2 groups for the trees and the fork storm.
 *
 * All groups live under one parent, MNT/procterm-bench.PID, created at the
 * root of the hierarchy so that the pids controller can be enabled for it
 * whatever group the benchmark itself runs in. cg_fini() removes it all.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

static struct cg *g_active;

static bool is_cgroup2(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	return access(path, F_OK) == 0;
}

/* The first cgroup2 mount in /proc/self/mountinfo, /sys/fs/cgroup first. */
static bool find_mount(char *out, size_t len)
{
	char line[1024];
	bool found = false;
	FILE *f;

	if (is_cgroup2("/sys/fs/cgroup")) {
		snprintf(out, len, "/sys/fs/cgroup");
		return true;
	}
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		char mnt[512], fstype[64];

		if (!sep || sscanf(sep + 3, "%63s", fstype) != 1 ||
		    strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1)
			continue;
		snprintf(out, len, "%s", mnt);
		found = true;
	}
	fclose(f);
	return found;
}

int cg_write(const char *path, const char *file, const char *val)
{
	char p[PATH_MAX];
	size_t len = strlen(val);
	ssize_t n;
	int fd, ret = 0;

	snprintf(p, sizeof(p), "%s/%s", path, file);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

static bool file_has_word(const char *path, const char *file, const char *word)
{
	char p[PATH_MAX], buf[1024], *tok, *save;
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", path, file);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, word))
			return true;
	return false;
}

bool cg_init(struct cg *cg, bool want_pids, char *why, size_t whylen)
{
	const char *env = getenv("BENCH_CGROUP");
	int ret;

	memset(cg, 0, sizeof(*cg));
	snprintf(why, whylen, "ok");
	if (env && *env) {
		if (!is_cgroup2(env)) {
			snprintf(why, whylen, "BENCH_CGROUP=%s is not a cgroup v2 directory", env);
			return false;
		}
		snprintf(cg->mnt, sizeof(cg->mnt), "%s", env);
	} else if (!find_mount(cg->mnt, sizeof(cg->mnt))) {
		snprintf(why, whylen, "no cgroup v2 hierarchy is mounted");
		return false;
	}
	snprintf(cg->base, sizeof(cg->base), "%s/procterm-bench.%d", cg->mnt,
		 (int)getpid());
	if (mkdir(cg->base, 0755) && errno != EEXIST) {
		snprintf(why, whylen, "cannot create %s: %s", cg->base, strerror(errno));
		return false;
	}
	cg->ok = true;
	g_active = cg;
	if (!want_pids)
		return true;

	if (!file_has_word(cg->mnt, "cgroup.controllers", "pids")) {
		snprintf(why, whylen, "the pids controller is not available in %s", cg->mnt);
		return true;
	}
	if (!file_has_word(cg->mnt, "cgroup.subtree_control", "pids")) {
		ret = cg_write(cg->mnt, "cgroup.subtree_control", "+pids");
		if (ret) {
			snprintf(why, whylen, "cannot enable pids in %s: %s", cg->mnt,
				 strerror(-ret));
			return true;
		}
	}
	ret = cg_write(cg->base, "cgroup.subtree_control", "+pids");
	if (ret) {
		snprintf(why, whylen, "cannot enable pids in %s: %s", cg->base,
			 strerror(-ret));
		return true;
	}
	cg->pids = true;
	return true;
}

int cg_create(struct cg *cg, char *path, size_t len)
{
	snprintf(path, len, "%s/t%d", cg->base, cg->seq++);
	if (mkdir(path, 0755))
		return -errno;
	return 0;
}

int cg_enter(const char *path)
{
	return cg_write(path, "cgroup.procs", "0");
}

long cg_count(const char *path)
{
	char p[PATH_MAX], buf[4096];
	long lines = 0;
	ssize_t n, i;
	int fd;

	snprintf(p, sizeof(p), "%s/cgroup.procs", path);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(fd);
	return n < 0 ? -1 : lines;
}

long cg_read_long(const char *path, const char *file)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", path, file);
	return read_long_file(p, -1);
}

int cg_destroy(const char *path)
{
	int64_t end = now_ns() + 20 * NSEC_PER_SEC;

	for (;;) {
		long n = cg_count(path);

		if (n <= 0)
			break;
		cg_write(path, "cgroup.kill", "1");
		if (now_ns() > end)
			return -EBUSY;
		sleep_ms(5);
	}
	while (rmdir(path)) {
		if (errno == ENOENT)
			return 0;
		if (errno != EBUSY || now_ns() > end)
			return -errno;
		sleep_ms(5);
	}
	return 0;
}

void cg_fini(struct cg *cg)
{
	struct dirent *de;
	DIR *d;

	if (!cg->ok)
		return;
	if (g_active == cg)
		g_active = NULL;
	d = opendir(cg->base);
	if (d) {
		while ((de = readdir(d))) {
			char p[PATH_MAX];

			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", cg->base, de->d_name);
			if (cg_destroy(p))
				warnx_("cannot remove %s", p);
		}
		closedir(d);
	}
	if (rmdir(cg->base) && errno != ENOENT)
		warnx_("cannot remove %s: %s", cg->base, strerror(errno));
	cg->ok = false;
}

void cg_cleanup_active(void)
{
	if (g_active)
		cg_fini(g_active);
}
