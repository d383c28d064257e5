// SPDX-License-Identifier: GPL-2.0
/*
 * procterm benchmark 6: memory freed per second after a kill.
 *
 *   reap       a victim holding BENCH_REAP_MB (1024) MiB of anonymous memory
 *   reap-busy  the same victim at nice BENCH_REAP_NICE (10), sharing its CPU
 *              with a busy loop at nice 0: the low-memory killer's case,
 *              where the victim gets little CPU time to exit in (about a
 *              tenth of the CPU at nice 10; at 19, a seventieth)
 *
 * Methods, taking turns: "procterm_reap" is what `procterm kill --reap`
 * does: a pidfd opened before the kill, PROCTERM_CMD_KILL, then
 * process_mrelease(2) on the pidfd, which frees the address space in the
 * killer's context. "kill" is the anchor: kill(2) SIGKILL, the victim frees
 * its memory itself as it exits. Both are timed from the kill to the moment
 * the system's free memory (sysinfo(2), as MemFree) has regained 90% of
 * what the victim took; the figure is that memory over that time. The
 * victim's pages are small pages (MADV_NOHUGEPAGE), as a heap's are. The
 * killer runs on CPU 0, the victim on CPU 1 (when there are two).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define FREE_TIMEOUT_NS	(120 * NSEC_PER_SEC)

enum { R_REAP, R_KILL, R_NR };
static const char *const rname[R_NR] = { "procterm_reap", "kill" };

struct reap_result {
	struct samples t;	/* kill -> 90% freed */
	struct samples mibps;
	long errors;
	char first_error[160];
};

static long long free_bytes(void)
{
	struct sysinfo si;

	if (sysinfo(&si))
		die("sysinfo: %s", strerror(errno));
	return (long long)si.freeram * si.mem_unit;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* A child on @cpu that touches @bytes, then drops to nice @nice, and waits. */
static pid_t spawn_victim(size_t bytes, int cpu, int nice_val)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe2(fds, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		char *p;

		child_reset_signals();
		close(fds[0]);
		pin(cpu);
		p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(1);
		madvise(p, bytes, MADV_NOHUGEPAGE);
		memset(p, 0x5a, bytes);
		if (nice_val)
			setpriority(PRIO_PROCESS, 0, nice_val);
		if (write(fds[1], "r", 1) != 1)
			_exit(1);
		hang();
	}
	reg_add(pid, false);
	close(fds[1]);
	deadline_arm(10 * 60 * 1000);
	if (read(fds[0], &c, 1) != 1)
		die("reap: the victim did not get its memory");
	deadline_disarm();
	close(fds[0]);
	return pid;
}

/* A busy loop on @cpu, at nice 0. */
static pid_t spawn_spinner(int cpu)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		child_reset_signals();
		pin(cpu);
		for (;;)
			__asm__ __volatile__("" ::: "memory");
	}
	reg_add(pid, false);
	return pid;
}

static int mrelease(int pidfd)
{
	int i, ret = 0;

	for (i = 0; i < 100; i++) {
		ret = syscall(__NR_process_mrelease, pidfd, 0) ? -errno : 0;
		if (ret != -EAGAIN && ret != -EINTR)
			break;
	}
	/* ESRCH: the victim has already let go of its memory itself. */
	return ret == -ESRCH ? 0 : ret;
}

static void note(struct reap_result *r, const char *name, const char *what, int err)
{
	if (!r->errors++) {
		snprintf(r->first_error, sizeof(r->first_error), "%s: %s", what,
			 strerror(-err));
		warnx_("%s: %s", name, r->first_error);
	}
}

static void reap_run(struct pt_sock *s, int m, struct reap_result *r,
		     size_t bytes, int nice_val, int vcpu, int kcpu, const char *name)
{
	long long f0, f1, target;
	pid_t victim, spinner = 0;
	int64_t t0, t1;
	int pidfd = -1, ret = 0;

	pin(kcpu);
	f0 = free_bytes();
	victim = spawn_victim(bytes, vcpu, nice_val);
	if (nice_val)
		spinner = spawn_spinner(vcpu);
	f1 = free_bytes();
	if (f1 >= f0) {
		note(r, name, "the victim's memory does not show as used", -EINVAL);
		goto out;
	}
	target = f1 + (f0 - f1) * 9 / 10;
	if (m == R_REAP) {
		pidfd = sys_pidfd_open(victim, 0);
		if (pidfd < 0) {
			note(r, name, "pidfd_open", -errno);
			goto out;
		}
	}
	/* Let the spinner take the victim's CPU. */
	if (nice_val)
		sleep_ms(200);

	t0 = now_ns();
	if (m == R_REAP) {
		struct bench_reply rep;

		ret = procterm_kill(s, victim, 0, &rep);
		if (!ret)
			ret = mrelease(pidfd);
	} else {
		ret = kill(victim, SIGKILL) ? -errno : 0;
	}
	if (ret) {
		note(r, name, m == R_REAP ? "kill + process_mrelease" : "kill", ret);
		goto out;
	}
	while (free_bytes() < target) {
		if (now_ns() - t0 > FREE_TIMEOUT_NS) {
			note(r, name, "memory not freed in 120 s", -ETIMEDOUT);
			goto out;
		}
	}
	t1 = now_ns();
	samples_add(&r->t, t1 - t0);
	samples_add(&r->mibps, (int64_t)((double)(target - f1) / (1 << 20) /
					 ((double)(t1 - t0) / NSEC_PER_SEC)));
out:
	if (pidfd >= 0)
		close(pidfd);
	if (spinner)
		kill_reap(spinner);
	kill_reap(victim);
	pin(-1);
}

/* BENCH_EXIT_FAIL when a run failed: the figure would not be one. */
static int reap_bench(const char *name, bool busy)
{
	long n = env_long("BENCH_REAP_N", 3, 1, 1000);
	long mb = env_long("BENCH_REAP_MB", 1024, 16, 1 << 20);
	long nice_val = busy ? env_long("BENCH_REAP_NICE", 10, 1, 19) : 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int vcpu = ncpu >= 2 ? 1 : -1, kcpu = ncpu >= 2 ? 0 : -1;
	struct reap_result res[R_NR];
	struct bench_out o;
	struct pt_sock s;
	int m, k;
	long run;

	printf("%s: a victim of %ld MiB", name, mb);
	if (busy)
		printf(" at nice %ld with a busy loop on its CPU", nice_val);
	printf(", kill -> 90%% of it free again, %ld runs per method\n", n);
	memset(res, 0, sizeof(res));
	if (!procterm_open(&s)) {
		printf("%s: needs procterm (process_mrelease follows a procterm kill)\n", name);
		return 0;
	}
	for (run = 0; run < n; run++)
		for (k = 0; k < R_NR; k++) {
			m = (run + k) % R_NR;
			reap_run(&s, m, &res[m], (size_t)mb << 20, (int)nice_val, vcpu, kcpu,
				 name);
		}
	pt_close(&s);

	out_open(&o, name);
	json_int(&o.j, "runs", n);
	json_int(&o.j, "victim_mib", mb);
	json_bool(&o.j, "busy", busy);
	json_int(&o.j, "victim_nice", nice_val);
	json_obj_begin(&o.j, "methods");
	for (m = 0; m < R_NR; m++) {
		struct stats st, sm;

		stats_of(&res[m].t, &st);
		stats_of(&res[m].mibps, &sm);
		json_obj_begin(&o.j, rname[m]);
		json_stats(&o.j, "freed_ns", &st);
		json_stats(&o.j, "mib_per_s", &sm);
		json_int(&o.j, "errors", res[m].errors);
		if (res[m].errors)
			json_str(&o.j, "first_error", res[m].first_error);
		json_samples(&o.j, "freed_ns_all", &res[m].t);
		json_obj_end(&o.j);
		kv_put(&o, name, rname[m], "median_ns", st.median);
		kv_put(&o, name, rname[m], "n", (double)st.n);
		kv_put(&o, name, rname[m], "errors", (double)res[m].errors);
		kv_put(&o, name, rname[m], "mib_per_s", sm.median);
		printf("  %-14s %s, %.0f MiB/s (median of %zu)%s\n", rname[m],
		       fmt_ns(st.median), sm.median, st.n,
		       res[m].errors ? ", with errors" : "");
	}
	json_obj_end(&o.j);
	out_close(&o);
	samples_free(&res[R_REAP].t);
	samples_free(&res[R_KILL].t);
	samples_free(&res[R_REAP].mibps);
	samples_free(&res[R_KILL].mibps);
	return res[R_REAP].errors || res[R_KILL].errors ? BENCH_EXIT_FAIL : 0;
}

int bench_reap(int argc, char **argv)
{
	bool busy = argc > 1 && !strcmp(argv[1], "--busy");

	return reap_bench(busy ? "reap-busy" : "reap", busy);
}
