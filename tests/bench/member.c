// SPDX-License-Identifier: GPL-2.0
/*
 * procterm_bench_member: the processes of the benchmark trees.
 *
 * A small static program, so that members are cheap to create and hold
 * little memory, and so that a deep chain does not inherit an ever longer
 * address-space history: were each level a plain fork() of the one above,
 * every level would carry one more anon_vma per mapping, and building (and
 * tearing down) a chain of N would cost O(N^2) in the kernel. Each level of
 * a deep chain therefore runs this program afresh, as the processes of real
 * deep trees (shells, service wrappers) have exec'd theirs.
 *
 *   member wide N FD    fork N children; every member writes its PID (an
 *                       int32) to FD once its children exist, then pauses
 *   member deep K FD    the same for a chain of K more levels
 *   member storm FD     write one byte to FD, then fork in a loop forever
 *
 * A member that cannot fork writes -errno instead of a PID.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int report_fd = -1;

static void report(int32_t v)
{
	ssize_t n __attribute__((unused));

	n = write(report_fd, &v, sizeof(v));
}

__attribute__((noreturn)) static void hang(void)
{
	for (;;)
		pause();
}

static long arg_long(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0) {
		fprintf(stderr, "procterm_bench_member: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static void wide(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			report((int32_t)getpid());
			hang();
		}
		if (pid < 0) {
			report(-errno);
			break;
		}
	}
}

static void deep(long k, const char *fd)
{
	char next[24];
	pid_t pid;

	if (!k)
		return;
	snprintf(next, sizeof(next), "%ld", k - 1);
	pid = vfork();
	if (pid == 0) {
		char *const argv[] = { "procterm_bench_member", "deep", next,
				       (char *)fd, NULL };

		execv("/proc/self/exe", argv);
		report(-errno);
		_exit(127);
	}
	if (pid < 0)
		report(-errno);
}

__attribute__((noreturn)) static void storm(void)
{
	ssize_t n __attribute__((unused));

	/* Dead children vanish at once, so their slots can be refilled. */
	signal(SIGCHLD, SIG_IGN);
	n = write(report_fd, "r", 1);
	close(report_fd);
	for (;;) {
		if (fork() < 0)
			sched_yield();
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "storm")) {
		report_fd = (int)arg_long(argv[2]);
		storm();
	}
	if (argc != 4 || (strcmp(argv[1], "wide") && strcmp(argv[1], "deep"))) {
		fprintf(stderr, "usage: procterm_bench_member wide|deep N FD | storm FD\n");
		return 2;
	}
	report_fd = (int)arg_long(argv[3]);
	if (!strcmp(argv[1], "wide"))
		wide(arg_long(argv[2]));
	else
		deep(arg_long(argv[2]), argv[3]);
	report((int32_t)getpid());
	hang();
}
