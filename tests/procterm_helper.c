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
 *   procterm_helper vfork       vfork() a child that prints its PID and
 *                               stops itself: the parent waits in vfork()
 *   procterm_helper traced      fork a child that asks to be traced and
 *                               stops; print its PID once it is in the
 *                               ptrace stop; block until killed
 *   procterm_helper fuse DIR [MIB [UID]]
 *                               mount a FUSE file system on DIR and serve
 *                               it; fork a child A that forks B; A first
 *                               fills MIB MiB of anonymous memory (default
 *                               0); both switch to UID if given, then A
 *                               and B look up DIR/a and DIR/b; never
 *                               answer those lookups; print "A B" once
 *                               both were read. Killed, A and B then stay
 *                               in uninterruptible sleep until this
 *                               process dies or gets SIGTERM, which
 *                               aborts the connection; on SIGTERM it also
 *                               waits for A and prints "A STATUS", the raw
 *                               wait status in decimal, before it exits.
 *
 *   procterm_helper mem MIB [COMM]
 *                               fill MIB MiB of anonymous memory, then
 *                               take the name COMM (the handshake: wait
 *                               for /proc/PID/comm), print "ready", block
 *   procterm_helper memrun MIB CMD [ARG...]
 *                               fill MIB MiB, then run CMD as a child
 *                               (a big "shell"), exit with its status
 *
 * The printed line is the readiness handshake: read it from a pipe or FIFO.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
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
	fprintf(stderr, "usage: procterm_helper threads N | zombie | vfork | traced | fuse DIR [MIB [UID]] |\n"
		"       mem MIB [COMM] | memrun MIB CMD [ARG...]\n");
	return 1;
}

static void reply(int fd, uint64_t unique, int error, const void *arg,
		  size_t len)
{
	char buf[sizeof(struct fuse_out_header) + 256];
	struct fuse_out_header *h = (void *)buf;

	h->len = sizeof(*h) + len;
	h->error = error;
	h->unique = unique;
	memcpy(buf + sizeof(*h), arg, len);
	if (write(fd, buf, h->len) < 0)
		perror("fuse reply");
}

/* The smallest FUSE server that gets a lookup stuck: INIT is answered,
 * LOOKUP never, INTERRUPT and FORGET need no answer, the rest is ENOSYS. */
static volatile sig_atomic_t fuse_stop;

static void on_sigterm(int sig)
{
	(void)sig;
	fuse_stop = 1;
}

/* SIGTERM: abort the connection (our fd is its only one), report A's end. */
static int fuse_finish(int fd, pid_t child)
{
	int st;

	close(fd);
	if (!child || waitpid(child, &st, 0) != child) {
		perror("waitpid");
		return 1;
	}
	printf("%d %d\n", (int)child, st);
	fflush(stdout);
	return 0;
}

/* A's and B's bodies: A's memory, their identity, their lookups. */
static void fuse_child(const char *dir, long mib, long uid)
{
	char path[4096];
	struct stat st;
	pid_t b;

	b = fork();
	if (b && mib > 0) {
		size_t len = (size_t)mib << 20;
		char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			_exit(1);
		memset(m, 0x5a, len);
	}
	if (uid >= 0 && (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
			 setresuid(uid, uid, uid)))
		_exit(1);
	snprintf(path, sizeof(path), "%s/%s", dir, b ? "a" : "b");
	stat(path, &st);
	_exit(0);
}

static int fuse_main(const char *dir, long mib, long uid)
{
	static char buf[1 << 20];
	struct fuse_in_header *in = (void *)buf;
	struct sigaction sa = { .sa_handler = on_sigterm };
	struct pollfd pfd = { .events = POLLIN };
	sigset_t term, orig;
	char opts[128];
	pid_t child = 0, other = 0;
	int fd, lookups = 0;
	ssize_t n;

	/* SIGTERM is taken only inside ppoll(), so it cannot be missed. */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &orig);
	sigaction(SIGTERM, &sa, NULL);
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("/dev/fuse");
		return 1;
	}
	/* allow_other: A and B may run as another user than the mount's. */
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd);
	if (mount("procterm_helper", dir, "fuse", MS_NOSUID | MS_NODEV, opts)) {
		perror("mount fuse");
		return 1;
	}
	for (;;) {
		pfd.fd = fd;
		pfd.revents = 0;
		if (ppoll(&pfd, 1, NULL, &orig) < 0 && errno != EINTR) {
			perror("ppoll");
			return 1;
		}
		if (fuse_stop)
			return fuse_finish(fd, child);
		if (!(pfd.revents & POLLIN))
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < (ssize_t)sizeof(*in)) {
			perror("fuse read");
			return 1;
		}
		switch (in->opcode) {
		case FUSE_INIT: {
			struct fuse_init_in *ii = (void *)(in + 1);
			struct fuse_init_out io = {
				.major = FUSE_KERNEL_VERSION,
				.minor = 31,
				.max_readahead = ii->max_readahead,
				.max_write = 4096,
				.max_background = 16,
				.congestion_threshold = 12,
				/* Or the second lookup waits for the
				 * first in fuse_lock_inode(). */
				.flags = ii->flags & FUSE_PARALLEL_DIROPS,
			};
			reply(fd, in->unique, 0, &io, sizeof(io));
			child = fork();
			if (child < 0) {
				perror("fork");
				return 1;
			}
			if (!child) {
				close(fd);
				signal(SIGTERM, SIG_DFL);
				sigprocmask(SIG_SETMASK, &orig, NULL);
				fuse_child(dir, mib, uid);
			}
			break;
		}
		case FUSE_LOOKUP:
			if ((pid_t)in->pid != child)
				other = in->pid;
			if (++lookups == 2) {
				printf("%d %d\n", (int)child, (int)other);
				fflush(stdout);
			}
			break;
		case FUSE_INTERRUPT:
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
			break;
		default:
			reply(fd, in->unique, -ENOSYS, NULL, 0);
			break;
		}
	}
}

/* @mib MiB of anonymous memory, touched: resident. */
static int fill_mib(const char *arg)
{
	long mib = strtol(arg, NULL, 10);
	char *p;

	if (mib < 0 || mib > 4096)
		return -1;
	if (!mib)
		return 0;
	p = mmap(NULL, (size_t)mib << 20, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return -1;
	}
	memset(p, 0x5a, (size_t)mib << 20);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && argc <= 4 && !strcmp(argv[1], "mem")) {
		if (fill_mib(argv[2]))
			return usage();
		if (argc == 4 && prctl(PR_SET_NAME, argv[3])) {
			perror("prctl");
			return 1;
		}
		printf("ready\n");
		fflush(stdout);
	} else if (argc >= 4 && !strcmp(argv[1], "memrun")) {
		pid_t pid;
		int st;

		if (fill_mib(argv[2]))
			return usage();
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (!pid) {
			execvp(argv[3], argv + 3);
			perror(argv[3]);
			_exit(127);
		}
		if (waitpid(pid, &st, 0) != pid)
			return 1;
		return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	} else if (argc == 3 && !strcmp(argv[1], "threads")) {
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
	} else if (argc == 2 && !strcmp(argv[1], "vfork")) {
		pid_t pid = vfork();

		if (pid < 0) {
			perror("vfork");
			return 1;
		}
		if (pid == 0) {
			char line[32];
			int len = snprintf(line, sizeof(line), "%d\n",
					   (int)syscall(SYS_getpid));

			/* Only async-signal-safe calls in a vfork child. */
			if (write(1, line, len) < 0)
				_exit(1);
			syscall(SYS_kill, syscall(SYS_getpid), SIGSTOP);
			_exit(0);
		}
	} else if (argc == 2 && !strcmp(argv[1], "traced")) {
		pid_t pid = fork();
		int st;

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
				_exit(1);
			raise(SIGSTOP);
			_exit(0);
		}
		if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st)) {
			fprintf(stderr, "traced child did not stop\n");
			return 1;
		}
		printf("%d\n", (int)pid);
		fflush(stdout);
	} else if (argc >= 3 && argc <= 5 && !strcmp(argv[1], "fuse")) {
		long mib = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
		long uid = argc > 4 ? strtol(argv[4], NULL, 10) : -1;

		if (mib < 0 || mib > 4096 || (argc > 4 && uid < 0))
			return usage();
		return fuse_main(argv[2], mib, uid);
	} else {
		return usage();
	}
	for (;;)
		pause();
}
