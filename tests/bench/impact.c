// SPDX-License-Identifier: GPL-2.0
/*
 * procterm benchmarks: what a tree kill costs the rest of the system.
 *
 * A sampler process, unrelated to the tree (a child of the benchmark, in
 * no group of the tree's), measures two things continuously while a kill
 * runs, and for a while before it, when nothing is being killed ("idle"):
 *
 *   fork   its main thread times vfork() + the child's _exit(0) +
 *          waitpid() in a loop, sleeping BENCH_IMPACT_GAP_US (1000) between
 *          samples; process creation and exit both take tasklist_lock for
 *          writing, so a reader holding it (procterm's tree walk) makes
 *          them wait. vfork: the same locks as fork(), without copying the
 *          sampler's page tables, which under emulation costs tens of
 *          milliseconds and would hide what is measured. The loop runs at
 *          SCHED_FIFO BENCH_IMPACT_FORK_PRIO (70; 0: SCHED_OTHER): a normal
 *          process would mostly measure its fair share of a CPU among
 *          thousands of dying processes, which every method creates alike;
 *          at a real-time priority what remains is lock waits and code that
 *          cannot be preempted, which is what tells the methods apart.
 *          It runs on the last CPU, the request on CPU 0 (tree.c);
 *   wake   one SCHED_FIFO thread per CPU (at most IMPACT_MAXCPU), pinned,
 *          sleeps to an absolute deadline every BENCH_IMPACT_PERIOD_US
 *          (1000) with clock_nanosleep() and records how late it woke, as
 *          cyclictest does; a CPU running with preemption off (a tree walk
 *          under a spinning read lock on a non-RT kernel) delays it.
 *
 * A sample belongs to the phase current when it ended. The figures live in
 * shared memory that the benchmark reads once the sampler is gone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define FORK_CAP	(128 * 1024)
#define WAKE_CAP	(256 * 1024)

struct series {
	uint64_t n;		/* samples taken (may exceed the stored ones) */
	int64_t max;
	int64_t v[];		/* the first cap samples */
};

struct impact_shm {
	volatile int phase;
	volatile int stop;
	volatile int rt_ok;	/* SCHED_FIFO could be set */
	volatile int fork_fifo;	/* the fork loop runs at SCHED_FIFO */
	volatile int ready;	/* the fork loop took its first sample */
	volatile int nwake;	/* wake threads started */
	size_t fork_off[IMPACT_NPHASES];
	size_t wake_off[IMPACT_NPHASES][IMPACT_MAXCPU];
};

struct impact {
	struct impact_shm *shm;
	size_t len;
	pid_t pid;
	long gap_us, period_us;
	int rt_prio, fork_prio, ncpu;
};

static struct series *series_at(struct impact_shm *shm, size_t off)
{
	return (struct series *)((char *)shm + off);
}

static void series_add(struct series *s, size_t cap, int64_t v)
{
	if (s->n < cap)
		s->v[s->n] = v;
	s->n++;
	if (v > s->max)
		s->max = v;
}

static void series_stats(const struct series *s, size_t cap, struct stats *st)
{
	struct samples tmp = { 0 };
	size_t i, n = s->n < cap ? s->n : cap;

	for (i = 0; i < n; i++)
		samples_add(&tmp, s->v[i]);
	stats_of(&tmp, st);
	if (n)
		st->max = (double)s->max;	/* also past the stored ones */
	samples_free(&tmp);
}

struct wake_arg {
	struct impact *im;
	int cpu;
};

static void *wake_thread(void *p)
{
	struct wake_arg *a = p;
	struct impact_shm *shm = a->im->shm;
	struct sched_param sp = { .sched_priority = a->im->rt_prio };
	struct timespec next;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(a->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp))
		return NULL;
	shm->rt_ok = 1;
	__atomic_add_fetch(&shm->nwake, 1, __ATOMIC_SEQ_CST);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!shm->stop) {
		struct timespec now;
		int64_t late;
		int ph;

		next.tv_nsec += a->im->period_us * 1000;
		while (next.tv_nsec >= NSEC_PER_SEC) {
			next.tv_nsec -= NSEC_PER_SEC;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		clock_gettime(CLOCK_MONOTONIC, &now);
		late = (now.tv_sec - next.tv_sec) * NSEC_PER_SEC + now.tv_nsec - next.tv_nsec;
		ph = shm->phase;
		series_add(series_at(shm, shm->wake_off[ph][a->cpu]), WAKE_CAP, late);
		/* Woke a whole period late or more: start from now. */
		if (late > a->im->period_us * 1000)
			next = now;
	}
	return NULL;
}

/* Apart from sampler(): vfork() may clobber the caller's locals. */
__attribute__((noinline)) static void fork_loop(struct impact *im)
{
	struct impact_shm *shm = im->shm;
	struct timespec gap = {
		.tv_sec = im->gap_us / 1000000,
		.tv_nsec = (im->gap_us % 1000000) * 1000,
	};

	/* Off CPU 0, where the benchmark's request runs (tree.c). */
	if (im->ncpu > 1) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(im->ncpu - 1, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	if (im->fork_prio > 0) {
		struct sched_param sp = { .sched_priority = im->fork_prio };

		if (!pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp))
			shm->fork_fifo = 1;
	}
	while (!shm->stop) {
		int64_t t0 = now_ns(), t1;
		pid_t pid = vfork();
		int st;

		if (pid == 0)
			_exit(0);
		if (pid > 0) {
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			t1 = now_ns();
			series_add(series_at(shm, shm->fork_off[shm->phase]), FORK_CAP, t1 - t0);
		}
		shm->ready = 1;
		if (im->gap_us)
			nanosleep(&gap, NULL);
	}
}

__attribute__((noreturn))
static void sampler(struct impact *im)
{
	struct wake_arg args[IMPACT_MAXCPU];
	pthread_t th[IMPACT_MAXCPU];
	int i, nth = 0;

	child_reset_signals();
	close_fds_except(-1);
	for (i = 0; i < im->ncpu && im->rt_prio > 0; i++) {
		args[i].im = im;
		args[i].cpu = i;
		if (!pthread_create(&th[nth], NULL, wake_thread, &args[i]))
			nth++;
	}
	fork_loop(im);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	_exit(0);
}

bool impact_enabled(void)
{
	return env_long("BENCH_IMPACT", 1, 0, 1) == 1;
}

struct impact *impact_start(void)
{
	struct impact *im = calloc(1, sizeof(*im));
	size_t off, fsz, wsz;
	int p, c;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (!im)
		die("out of memory");
	im->gap_us = env_long("BENCH_IMPACT_GAP_US", 1000, 0, 1000000);
	im->period_us = env_long("BENCH_IMPACT_PERIOD_US", 1000, 50, 1000000);
	im->rt_prio = (int)env_long("BENCH_IMPACT_RT_PRIO", 80, 0, 99);
	im->fork_prio = (int)env_long("BENCH_IMPACT_FORK_PRIO", 70, 0, 99);
	im->ncpu = n < 1 ? 1 : n > IMPACT_MAXCPU ? IMPACT_MAXCPU : (int)n;
	fsz = sizeof(struct series) + FORK_CAP * sizeof(int64_t);
	wsz = sizeof(struct series) + WAKE_CAP * sizeof(int64_t);
	off = (sizeof(struct impact_shm) + 63) & ~(size_t)63;
	im->len = off + IMPACT_NPHASES * (fsz + (size_t)im->ncpu * wsz);
	im->shm = mmap(NULL, im->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (im->shm == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	for (p = 0; p < IMPACT_NPHASES; p++) {
		im->shm->fork_off[p] = off;
		off += fsz;
		for (c = 0; c < im->ncpu; c++) {
			im->shm->wake_off[p][c] = off;
			off += wsz;
		}
	}
	im->shm->phase = IMPACT_IDLE;
	fflush(stdout);
	im->pid = fork();
	if (im->pid < 0)
		die("fork: %s", strerror(errno));
	if (im->pid == 0)
		sampler(im);
	reg_add(im->pid, false);
	/*
	 * Under emulation a fork and the threads' start can take a second:
	 * the idle phase starts once the sampler samples.
	 */
	for (c = 0; c < 1000 && !im->shm->ready; c++)
		sleep_ms(10);
	if (!im->shm->ready)
		warnx_("the impact sampler did not start within 10 s");
	return im;
}

pid_t impact_pid(const struct impact *im)
{
	return im->pid;
}

void impact_phase(struct impact *im, int phase)
{
	__atomic_store_n(&im->shm->phase, phase, __ATOMIC_SEQ_CST);
}

void impact_stop(struct impact *im, struct impact_result *r)
{
	int p, c, st;

	memset(r, 0, sizeof(*r));
	im->shm->stop = 1;
	while (waitpid(im->pid, &st, __WALL) < 0 && errno == EINTR)
		;
	reg_del(im->pid);
	r->rt = im->shm->rt_ok;
	r->fork_fifo = im->shm->fork_fifo;
	for (p = 0; p < IMPACT_NPHASES; p++) {
		struct samples all = { 0 };
		int64_t wmax = 0;

		series_stats(series_at(im->shm, im->shm->fork_off[p]), FORK_CAP, &r->fork[p]);
		for (c = 0; c < im->ncpu; c++) {
			struct series *s = series_at(im->shm, im->shm->wake_off[p][c]);
			size_t i, n = s->n < WAKE_CAP ? s->n : WAKE_CAP;

			for (i = 0; i < n; i++)
				samples_add(&all, s->v[i]);
			if (s->max > wmax)
				wmax = s->max;
		}
		stats_of(&all, &r->wake[p]);
		if (all.n)
			r->wake[p].max = (double)wmax;
		samples_free(&all);
	}
	munmap(im->shm, im->len);
	free(im);
}
