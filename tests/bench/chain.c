// SPDX-License-Identifier: GPL-2.0
/*
 * procterm_bench_chain: one level of a deep benchmark tree.
 *
 *   chain K FD    fork a child that runs this program again for K - 1
 *                 more levels, write our PID (an int32) to FD, then pause;
 *                 a failed fork or exec is written as -errno instead.
 *
 * Every level must exec afresh: a plain fork() of the level above would
 * inherit one more anon_vma per anonymous mapping from every ancestor, and
 * a chain of N would cost O(N^2) to build and tear down. What makes the exec
 * cheap is that this program has no C library: no dynamic loader, no
 * relocations, no TLS or stdio set-up, two small mappings and a stack. The
 * fork is cheap for the same reason: there is almost nothing to copy.
 *
 * x86-64 Linux only (as procterm is), built with -nostdlib -static.
 */
#include <asm/unistd.h>
#include <stdint.h>

#define EXE "/proc/self/exe"

static long sys3(long nr, long a, long b, long c)
{
	long ret;

	asm volatile ("syscall"
		      : "=a" (ret)
		      : "0" (nr), "D" (a), "S" (b), "d" (c)
		      : "rcx", "r11", "memory");
	return ret;
}

static long parse(const char *s)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* Decimal @v into @buf (room for 24), NUL-terminated. */
static void fmt(char *buf, long v)
{
	char tmp[24];
	int n = 0, i = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		buf[i++] = tmp[--n];
	buf[i] = 0;
}

static void report(long fd, int32_t v)
{
	sys3(__NR_write, fd, (long)&v, sizeof(v));
}

__attribute__((noreturn)) static void quit(long code)
{
	for (;;)
		sys3(__NR_exit_group, code, 0, 0);
}

/* Called from _start with the initial stack: argc, argv[], NULL, envp[]. */
__attribute__((noreturn, used)) void chain_main(long *sp)
{
	long argc = sp[0], k, fd, pid;
	char **argv = (char **)(sp + 1);
	char next[24];

	if (argc != 3)
		quit(2);
	k = parse(argv[1]);
	fd = parse(argv[2]);
	if (k < 0 || fd < 0)
		quit(2);
	if (k > 0) {
		fmt(next, k - 1);
		pid = sys3(__NR_fork, 0, 0, 0);
		if (pid == 0) {
			char *nargv[] = { argv[0], next, argv[2], 0 };

			pid = sys3(__NR_execve, (long)EXE, (long)nargv,
				   (long)(argv + argc + 1));
			report(fd, (int32_t)pid);
			quit(127);
		}
		if (pid < 0) {
			report(fd, (int32_t)pid);
			quit(1);
		}
	}
	report(fd, (int32_t)sys3(__NR_getpid, 0, 0, 0));
	for (;;)
		sys3(__NR_pause, 0, 0, 0);
}

asm(".text\n"
    ".globl _start\n"
    "_start:\n"
    "	xor %ebp, %ebp\n"
    "	mov %rsp, %rdi\n"
    "	and $-16, %rsp\n"
    "	call chain_main\n"
    "	hlt\n");
