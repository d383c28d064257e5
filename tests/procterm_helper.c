// SPDX-License-Identifier: GPL-2.0
/*
 * Target processes for the procterm shell tests, which cannot make them with
 * the shell alone:
 *
 *   procterm_helper threads N   start N-1 more threads, print their TIDs on
 *                               one line, then block until killed
 *   procterm_helper zombie      fork a child that exits at once, print its
 *                               PID once it is a zombie, never reap it, and
 *                               block until killed
 *
 * The printed line is the readiness handshake: read it from a pipe or FIFO.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_THREADS 64

static pthread_barrier_t started;
static pid_t tids[MAX_THREADS];

static void *thread_main(void *p)
{
	tids[(long)p] = (pid_t)syscall(SYS_gettid);
	pthread_barrier_wait(&started);
	for (;;)
		pause();
	return NULL;
}

static int usage(void)
{
	fprintf(stderr, "usage: procterm_helper threads N | zombie\n");
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "threads")) {
		long n = strtol(argv[2], NULL, 10), i;
		pthread_t t;

		if (n < 2 || n > MAX_THREADS)
			return usage();
		pthread_barrier_init(&started, NULL, (unsigned int)n);
		for (i = 1; i < n; i++)
			if (pthread_create(&t, NULL, thread_main, (void *)i)) {
				perror("pthread_create");
				return 1;
			}
		pthread_barrier_wait(&started);
		for (i = 1; i < n; i++)
			printf("%s%d", i > 1 ? " " : "", (int)tids[i]);
		printf("\n");
		fflush(stdout);
	} else if (argc == 2 && !strcmp(argv[1], "zombie")) {
		siginfo_t si;
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			_exit(0);
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, pid, &si, WEXITED | WNOWAIT)) {
			perror("waitid");
			return 1;
		}
		printf("%d\n", (int)pid);
		fflush(stdout);
	} else {
		return usage();
	}
	for (;;)
		pause();
}
