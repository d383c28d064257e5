// SPDX-License-Identifier: GPL-2.0
/*
 * procterm_bench_chain: the deep benchmark trees, a chain of processes.
 *
 *   chain K FD    this process and K descendants, each the only child of
 *                 the one above; each writes its PID (an int32) to FD once
 *                 its child exists (a failed fork is written as -errno),
 *                 then pauses
 *
 * The levels are plain fork()s, not exec()s, and still cost O(1) each. The
 * trap a chain of forks falls into is anon_vma inheritance: a forked
 * anonymous mapping links to the anon_vma of every ancestor that owned it,
 * so with the stack inherited down the chain, level k carries k links and
 * a chain of N costs O(N^2) to build and to tear down. Here every level
 * moves to a stack of its own, freshly mapped, and unmaps the one it
 * inherited; nothing else anonymous exists (no C library: no heap, no
 * .data or .bss, no TLS), so each level owns exactly one anon_vma. Under
 * emulation an exec per level was the alternative, and it costs several
 * times a fork of this tiny address space.
 *
 * x86-64 Linux only (as procterm is), built with -nostdlib -static.
 */
#include <asm/unistd.h>
#include <linux/mman.h>
#include <stdint.h>

#define STACK_SIZE	(16 * 1024)
/* Around the initial stack pointer: the kernel's stack mapping, argv, env. */
#define INIT_STACK_SPAN	(1L << 20)

static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 asm("r10") = d;
	register long r8 asm("r8") = e;
	register long r9 asm("r9") = f;
	long ret;

	asm volatile ("syscall"
		      : "=a" (ret)
		      : "0" (nr), "D" (a), "S" (b), "d" (c), "r" (r10), "r" (r8), "r" (r9)
		      : "rcx", "r11", "memory");
	return ret;
}

static long sys3(long nr, long a, long b, long c)
{
	return sys6(nr, a, b, c, 0, 0, 0);
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

static void report(long fd, int32_t v)
{
	sys3(__NR_write, fd, (long)&v, sizeof(v));
}

__attribute__((noreturn)) static void quit(long code)
{
	for (;;)
		sys3(__NR_exit_group, code, 0, 0);
}

__attribute__((noreturn)) static void hang(void)
{
	for (;;)
		sys3(__NR_pause, 0, 0, 0);
}

__attribute__((noreturn)) void chain_level(long k, long fd, long old, long oldlen, long mine);

/*
 * Map a fresh stack and continue on it in chain_level(), which unmaps
 * [@old, @old + @oldlen), the stack we are leaving.
 */
__attribute__((noreturn)) static void new_stack(long k, long fd, long old, long oldlen)
{
	long base = sys6(__NR_mmap, 0, STACK_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	register long r8 asm("r8") = base;

	if (base < 0 && base > -4096) {
		report(fd, (int32_t)base);
		quit(1);
	}
	asm volatile ("mov %0, %%rsp\n\t"
		      "call chain_level\n\t"
		      "hlt"
		      :
		      : "r" (base + STACK_SIZE), "D" (k), "S" (fd), "d" (old), "c" (oldlen),
			"r" (r8)
		      : "memory");
	__builtin_unreachable();
}

__attribute__((noreturn, used)) void chain_level(long k, long fd, long old, long oldlen,
						 long mine)
{
	long pid;

	sys3(__NR_munmap, old, oldlen, 0);
	if (k > 0) {
		pid = sys3(__NR_fork, 0, 0, 0);
		if (pid == 0)
			new_stack(k - 1, fd, mine, STACK_SIZE);
		if (pid < 0) {
			report(fd, (int32_t)pid);
			hang();
		}
	}
	report(fd, (int32_t)sys3(__NR_getpid, 0, 0, 0));
	hang();
}

/* Called from _start with the initial stack: argc, argv[], NULL, envp[]. */
__attribute__((noreturn, used)) void chain_main(long *sp)
{
	long argc = sp[0], k, fd, page;
	char **argv = (char **)(sp + 1);

	if (argc != 3)
		quit(2);
	k = parse(argv[1]);
	fd = parse(argv[2]);
	if (k < 0 || fd < 0)
		quit(2);
	/*
	 * Leave the kernel's stack mapping for good (argv is parsed): a
	 * child would inherit it. mmap()s go far below it (the stack gap is
	 * at least 128 MiB), so the span unmapped holds nothing of ours.
	 */
	page = (long)sp & ~4095L;
	new_stack(k, fd, page - INIT_STACK_SPAN, 2 * INIT_STACK_SPAN);
}

asm(".text\n"
    ".globl _start\n"
    "_start:\n"
    "	xor %ebp, %ebp\n"
    "	mov %rsp, %rdi\n"
    "	and $-16, %rsp\n"
    "	call chain_main\n"
    "	hlt\n");
