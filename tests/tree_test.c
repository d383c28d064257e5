// SPDX-License-Identifier: GPL-2.0
/*
 * PROCTERM_CMD_KILL with PROCTERM_F_TREE: a process and all its descendants
 * die, and nothing escapes, whatever the tree does meanwhile.
 *
 * The test process makes itself a child subreaper before it forks a tree,
 * so every member that is orphaned ends up as its child: it reaps them all,
 * checks each member's wait status, and counts the deaths against the
 * reply's PROCTERM_A_COUNT. Every tree lives in a cgroup of its own, which
 * tells afterwards whether anything survived (cgroup.procs, pids.current)
 * and lets the teardown kill whatever a failed test left behind
 * (cgroup.kill).
 *
 * Members of a tree never use PR_SET_PDEATHSIG: a member killed by its
 * parent's death would hide a member the module missed. Only a tree's root,
 * whose parent is the test process, has it.
 *
 * Sizes and trial counts can be tuned from the environment:
 *   PT_TREE_BIG            members of the deep chain and wide fan (10000)
 *   PT_TREE_STORM_TRIALS   trials of the fork storm (50)
 *   PT_TREE_CHURN_TRIALS   trials of the storm whose members also exit (25)
 *   PT_TREE_STORM_PIDS     pids.max of a storm (200)
 *   PT_TREE_DAEMON_TRIALS  trials of the double-forking tree (20)
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "procterm_test.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define CG_PREFIX	"procterm-tree."

/* How long building a tree may take under emulation. */
#define BUILD_MS	180000
/* How long the members of a killed tree may take to die and be reaped. */
#define REAP_MS		120000

/* Exit code of the members of a storm that leave by themselves. */
#define CHURN_CODE	3

/* ---------------------------------------------------------------- misc */

static pid_t tree_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static long read_long(const char *path)
{
	char buf[64];
	int ret = pt_read_file(path, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	return strtol(buf, NULL, 10);
}

/* /proc/PID/status shows SIGKILL pending for the thread or the group. */
static bool sigkill_pending(pid_t pid)
{
	return pt_sig_pending(pid, SIGKILL, NULL, 0) > 0;
}

/* Is @pid listed in /proc/@proc/task/@tid/children? -errno if unreadable. */
static int task_has_child(pid_t proc, pid_t tid, pid_t pid)
{
	char path[96], buf[4096], *tok, *save = NULL;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)proc, (int)tid);
	ret = pt_read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (strtol(tok, NULL, 10) == pid)
			return 1;
	return 0;
}

static bool task_exists(pid_t pid, pid_t tid)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)pid, (int)tid);
	return access(path, F_OK) == 0;
}

/* Processes (zombies included) whose command is @marker. */
static int count_comm(const char *marker)
{
	char path[300], buf[64];
	struct dirent *de;
	size_t len;
	DIR *d;
	int n = 0;

	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if (pt_read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		len = strlen(buf);
		if (len && buf[len - 1] == '\n')
			buf[len - 1] = '\0';
		if (!strcmp(buf, marker))
			n++;
	}
	closedir(d);
	return n;
}

/* The PID of the calling process in the initial PID namespace's /proc. */
static pid_t proc_self_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);

	if (n <= 0)
		return getpid();
	buf[n] = '\0';
	return (pid_t)strtol(buf, NULL, 10);
}

/* ----------------------------------------------- member bookkeeping */

/*
 * Shared by the test and every member (MAP_SHARED, inherited across
 * fork): members register their PIDs, and the test waits until all of
 * them have.
 */
struct tree_shm {
	int taken;		/* slots handed out */
	int ready;		/* members that finished their setup */
	int failed;		/* first errno a member hit, 0: none */
	int cap;		/* slots in pid[] */
	pid_t role[8];		/* members by role, for the shapes that name them */
	pid_t tid[8];		/* threads by role */
	struct pt_result res;	/* what a requester inside the tree saw */
	size_t size;		/* of the mapping */
	pid_t pid[];		/* registered members, as the test sees them */
};

static struct tree_shm *shm_new(int cap)
{
	size_t size = sizeof(struct tree_shm) + (size_t)cap * sizeof(pid_t);
	struct tree_shm *s;

	s = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->cap = cap;
	s->size = size;
	return s;
}

static void shm_free(struct tree_shm **s)
{
	if (*s)
		munmap(*s, (*s)->size);
	*s = NULL;
}

static void member_register(struct tree_shm *s, pid_t pid)
{
	int slot = __atomic_fetch_add(&s->taken, 1, __ATOMIC_RELAXED);

	if (slot < s->cap)
		__atomic_store_n(&s->pid[slot], pid, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->ready, 1, __ATOMIC_RELEASE);
}

static void member_fail(struct tree_shm *s, int err)
{
	int none = 0;

	__atomic_compare_exchange_n(&s->failed, &none, err ? err : EIO, false,
				    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

/* 0 once @n members registered, -errno a member reported, or -ETIMEDOUT. */
static int shm_wait_ready(struct tree_shm *s, int n, int timeout_ms)
{
	int64_t deadline = pt_now_ms() + timeout_ms;
	int delay = 1, err;

	for (;;) {
		if (__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE) >= n)
			return 0;
		err = __atomic_load_n(&s->failed, __ATOMIC_ACQUIRE);
		if (err)
			return -err;
		if (pt_now_ms() > deadline)
			return -ETIMEDOUT;
		pt_backoff(&delay);
	}
}

/* ----------------------------------------------------------- cgroups */

static int cg_path(char *out, size_t len, const char *cg, const char *file)
{
	int n = snprintf(out, len, "%s/%s", cg, file);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int cg_write(const char *cg, const char *file, const char *s)
{
	char path[PATH_MAX];

	if (cg_path(path, sizeof(path), cg, file))
		return -ENAMETOOLONG;
	return pt_write_file(path, s);
}

static long cg_read_long(const char *cg, const char *file)
{
	char path[PATH_MAX];

	if (cg_path(path, sizeof(path), cg, file))
		return -ENAMETOOLONG;
	return read_long(path);
}

/* Lines of cgroup.procs (live processes; zombies are not listed). */
static int cg_count_procs(const char *cg)
{
	char path[PATH_MAX], buf[8192];
	int fd, n = 0;
	ssize_t r, i;

	if (cg_path(path, sizeof(path), cg, "cgroup.procs"))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < r; i++)
			n += buf[i] == '\n';
	close(fd);
	return r < 0 ? -errno : n;
}

/* "max N" of pids.events: forks refused because of pids.max. */
static long cg_pids_refused(const char *cg)
{
	char path[PATH_MAX], buf[256], *p;

	if (cg_path(path, sizeof(path), cg, "pids.events") ||
	    pt_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "max ");
	return p ? strtol(p + 4, NULL, 10) : -1;
}

/* In a forked member: move the calling process into @cg. */
static int cg_enter(const char *cg)
{
	return cg_write(cg, "cgroup.procs", "0");
}

/*
 * A fresh cgroup under the cgroup2 root with the pids controller; *enabled
 * tells whether the controller had to be enabled for it. -ENOENT: no
 * cgroup2; -EOPNOTSUPP: no pids controller.
 */
static int cg_create(char *out, size_t len, const char *tag, bool *enabled)
{
	char buf[512];
	int ret;

	*enabled = false;
	ret = pt_read_file(CG_ROOT "/cgroup.controllers", buf, sizeof(buf));
	if (ret < 0)
		return -ENOENT;
	if (!strstr(buf, "pids"))
		return -EOPNOTSUPP;
	ret = pt_read_file(CG_ROOT "/cgroup.subtree_control", buf, sizeof(buf));
	if (ret < 0)
		return ret;
	if (!strstr(buf, "pids")) {
		ret = pt_write_file(CG_ROOT "/cgroup.subtree_control", "+pids");
		if (ret)
			return ret;
		*enabled = true;
	}
	ret = snprintf(out, len, "%s/%s%s.%d", CG_ROOT, CG_PREFIX, tag, (int)getpid());
	if (ret < 0 || (size_t)ret >= len)
		return -ENAMETOOLONG;
	if (mkdir(out, 0755))
		return -errno;
	return 0;
}

/*
 * Reap every child we have. Returns when none is left (ECHILD), or at
 * @deadline; children that are still alive then are killed by PID.
 */
static void reap_children(int64_t deadline)
{
	int delay = 1, status;
	pid_t r;

	for (;;) {
		r = waitpid(-1, &status, WNOHANG);
		if (r > 0)
			continue;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return;
		if (pt_now_ms() > deadline)
			break;
		pt_backoff(&delay);
	}
	/* Still children alive at the deadline: SIGKILL them by PID. */
	{
		struct dirent *de;
		struct pt_stat st;
		pid_t me = getpid();
		DIR *d = opendir("/proc");

		if (!d)
			return;
		while ((de = readdir(d))) {
			pid_t p;

			if (!isdigit((unsigned char)de->d_name[0]))
				continue;
			p = (pid_t)strtol(de->d_name, NULL, 10);
			if (!pt_read_stat(p, &st) && st.ppid == me)
				kill(p, SIGKILL);
		}
		closedir(d);
	}
	deadline = pt_now_ms() + PT_DEATH_MS;
	while (pt_now_ms() < deadline) {
		r = waitpid(-1, &status, WNOHANG);
		if (r < 0 && errno != EINTR)
			return;
		if (r == 0)
			pt_backoff(&delay);
	}
}

/* Kill everything in @cg, reap what comes to us, remove it. */
static void cg_destroy(char *cg)
{
	int64_t deadline = pt_now_ms() + 60000;
	int delay = 1;

	if (!cg[0])
		return;
	cg_write(cg, "cgroup.kill", "1");
	for (;;) {
		int status;

		while (waitpid(-1, &status, WNOHANG) > 0)
			;
		if (cg_count_procs(cg) <= 0 && !rmdir(cg))
			break;
		if (pt_now_ms() > deadline)
			break;
		cg_write(cg, "cgroup.kill", "1");
		pt_backoff(&delay);
	}
	cg[0] = '\0';
}

/* Remove cgroups that a test killed by its timeout left behind. */
static void cg_sweep_stale(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	d = opendir(CG_ROOT);
	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *dot;
		int64_t deadline;
		pid_t owner;
		int delay = 1;

		if (strncmp(de->d_name, CG_PREFIX, strlen(CG_PREFIX)))
			continue;
		dot = strrchr(de->d_name, '.');
		owner = dot ? (pid_t)strtol(dot + 1, NULL, 10) : 0;
		if (owner > 0 && (!kill(owner, 0) || errno != ESRCH))
			continue;
		snprintf(path, sizeof(path), "%s/%s", CG_ROOT, de->d_name);
		deadline = pt_now_ms() + 10000;
		do {
			cg_write(path, "cgroup.kill", "1");
			if (!rmdir(path) || errno == ENOENT)
				break;
			pt_backoff(&delay);
		} while (pt_now_ms() < deadline);
	}
	closedir(d);
}

/* ------------------------------------------------- per-test environment */

struct saved_sysctl {
	const char *path;
	long old;
	bool changed;
};

struct tree_env {
	struct pt_sock nl;
	struct tree_shm *shm;
	char cg[PATH_MAX];	/* the tree's cgroup, "" when none */
	bool pids_enabled;	/* we enabled pids in the root's subtree_control */
	pid_t kids[4];		/* our direct children: roots, requesters */
	struct saved_sysctl sysctl[2];
};

static void env_setup(struct __test_metadata *_metadata, struct tree_env *e,
		      const char *tag)
{
	int ret;

	memset(e, 0, sizeof(*e));
	e->nl.fd = -1;
	if (geteuid() != 0)
		SKIP(return, "needs root (cgroups, other users' processes)");
	PT_OPEN_OR_SKIP(&e->nl);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	cg_sweep_stale();
	ret = cg_create(e->cg, sizeof(e->cg), tag, &e->pids_enabled);
	if (ret == -ENOENT || ret == -EOPNOTSUPP) {
		e->cg[0] = '\0';
		pt_close(&e->nl);
		SKIP(return, "%s: needs cgroup2 with the pids controller at " CG_ROOT, pt_kernel_release());
	}
	if (ret) {
		e->cg[0] = '\0';
		pt_close(&e->nl);
	}
	ASSERT_EQ(0, ret) TH_LOG("cannot create a cgroup: %s", strerror(-ret));
}

static void env_teardown(struct tree_env *e)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(e->kids); i++) {
		if (e->kids[i] > 0) {
			kill(e->kids[i], SIGCONT);
			kill(e->kids[i], SIGKILL);
		}
		e->kids[i] = 0;
	}
	cg_destroy(e->cg);
	reap_children(pt_now_ms() + PT_DEATH_MS);
	if (e->pids_enabled)
		pt_write_file(CG_ROOT "/cgroup.subtree_control", "-pids");
	e->pids_enabled = false;
	for (i = 0; i < ARRAY_SIZE(e->sysctl); i++) {
		char buf[32];

		if (!e->sysctl[i].changed)
			continue;
		snprintf(buf, sizeof(buf), "%ld", e->sysctl[i].old);
		pt_write_file(e->sysctl[i].path, buf);
		e->sysctl[i].changed = false;
	}
	shm_free(&e->shm);
	pt_close(&e->nl);
}

/* Raise a sysctl to at least @want; the teardown puts it back. */
static int env_raise_sysctl(struct tree_env *e, int slot, const char *path,
			    long want)
{
	char buf[32];
	long old = read_long(path);
	int ret;

	if (old < 0)
		return (int)old;
	if (old >= want)
		return 0;
	snprintf(buf, sizeof(buf), "%ld", want);
	ret = pt_write_file(path, buf);
	if (ret)
		return ret;
	e->sysctl[slot].path = path;
	e->sysctl[slot].old = old;
	e->sysctl[slot].changed = true;
	return 0;
}

/* Fork a tree's root: it dies with us, and enters the tree's cgroup. */
static pid_t fork_root(struct tree_env *e, int slot)
{
	pid_t parent = getpid(), pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (e->cg[0] && cg_enter(e->cg)) {
			if (e->shm)
				member_fail(e->shm, errno ? errno : EIO);
			_exit(126);
		}
		return 0;
	}
	e->kids[slot] = pid;
	return pid;
}

/* ------------------------------------------------------------ reaping */

struct reaped {
	int members;		/* registered members reaped */
	int strangers;		/* reaped children that were not registered */
	int with_status;	/* members that died with the expected status */
	int churned;		/* ... with CHURN_CODE (storms with churn) */
	int bad;		/* ... with anything else */
	pid_t bad_pid;
	int bad_status;
	bool timed_out;		/* children were left at the deadline */
	bool *seen;
};

static int pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static bool status_is(int status, bool has_status, uint32_t st)
{
	if (has_status)
		return WIFEXITED(status) && WEXITSTATUS(status) == (int)(st & 0xff);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

/*
 * Reap children until none is left. @sorted (n entries, ascending) are
 * the registered members, or NULL when every child counts as a member.
 * A member's death is checked against the expected status. Gives up after
 * @timeout_ms, or once nothing at all has died for PT_DEATH_MS.
 */
static void reap_tree(const pid_t *sorted, int n, bool has_status,
		      uint32_t st, bool allow_churn, int timeout_ms,
		      struct reaped *o)
{
	int64_t deadline = pt_now_ms() + timeout_ms, progress = pt_now_ms();
	int delay = 1, status;
	pid_t r;

	memset(o, 0, sizeof(*o));
	if (sorted && n) {
		o->seen = calloc(n, sizeof(bool));
		if (!o->seen) {
			o->timed_out = true;
			return;
		}
	}
	for (;;) {
		r = waitpid(-1, &status, WNOHANG);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;		/* ECHILD: nothing of ours is left */
		if (r == 0) {
			if (pt_now_ms() > deadline ||
			    pt_now_ms() > progress + PT_DEATH_MS) {
				o->timed_out = true;
				break;
			}
			pt_backoff(&delay);
			continue;
		}
		delay = 1;
		progress = pt_now_ms();
		if (sorted) {
			const pid_t *hit = bsearch(&r, sorted, n, sizeof(pid_t), pid_cmp);

			if (!hit || o->seen[hit - sorted]) {
				o->strangers++;
				continue;
			}
			o->seen[hit - sorted] = true;
		}
		o->members++;
		if (status_is(status, has_status, st)) {
			o->with_status++;
		} else if (allow_churn && WIFEXITED(status) &&
			   WEXITSTATUS(status) == CHURN_CODE) {
			o->churned++;
		} else {
			if (!o->bad) {
				o->bad_pid = r;
				o->bad_status = status;
			}
			o->bad++;
		}
	}
	free(o->seen);
	o->seen = NULL;
}

/* A sorted copy of the registered PIDs (caller frees). */
static pid_t *sorted_members(const struct tree_shm *s, int n)
{
	pid_t *p = malloc((size_t)(n ? n : 1) * sizeof(pid_t));

	if (!p)
		return NULL;
	memcpy(p, s->pid, (size_t)n * sizeof(pid_t));
	qsort(p, n, sizeof(pid_t), pid_cmp);
	return p;
}

/* Registered members that still exist in any state (zombies included). */
static int members_left(const struct tree_shm *s, int n, pid_t *first)
{
	int i, left = 0;

	for (i = 0; i < n; i++) {
		if (s->pid[i] <= 0)
			continue;
		if (kill(s->pid[i], 0) && errno == ESRCH)
			continue;
		if (!left)
			*first = s->pid[i];
		left++;
	}
	return left;
}

/* Nothing of the tree exists any more: no member, nothing in its cgroup. */
#define ASSERT_TREE_GONE(_env, _n) do {					\
	pid_t __first = 0;						\
	int __left = members_left((_env)->shm, (_n), &__first);		\
	ASSERT_EQ(0, __left)						\
		TH_LOG("%d members still exist, e.g. PID %d (state %c)", \
		       __left, (int)__first, state_of(__first));	\
	ASSERT_EQ(0, cg_count_procs((_env)->cg))			\
		TH_LOG("processes left in %s", (_env)->cg);		\
	ASSERT_EQ(0, cg_read_long((_env)->cg, "pids.current"))		\
		TH_LOG("tasks (zombies included) left in %s", (_env)->cg); \
} while (0)

static char state_of(pid_t pid)
{
	struct pt_stat st;

	if (pid <= 0 || pt_read_stat(pid, &st))
		return '-';
	return st.state;
}

#define ASSERT_REAPED_OK(_o, _n) do {					\
	ASSERT_FALSE((_o).timed_out)					\
		TH_LOG("children still alive after the kill, %d reaped", \
		       (_o).members);					\
	ASSERT_EQ(0, (_o).strangers)					\
		TH_LOG("%d reaped processes were not members", (_o).strangers); \
	ASSERT_EQ(0, (_o).bad)						\
		TH_LOG("%d members died another way, e.g. PID %d: wait status 0x%x", \
		       (_o).bad, (int)(_o).bad_pid, (_o).bad_status);	\
	ASSERT_EQ((_n), (_o).members)					\
		TH_LOG("reaped %d of %d members", (_o).members, (_n));	\
} while (0)

/* A tree kill; SKIPs the test when the kernel cannot do it. */
#define TREE_KILL(_env, _pid, _args, _r, _ret) do {		\
	(_ret) = pt_kill(&(_env)->nl, (_pid), (_args), &(_r));		\
	ASSERT_PT_FEATURE("tree kill", (_ret), (_r).msg);		\
	ASSERT_PT_OK((_ret), (_r));					\
} while (0)

/* -------------------------------------------------------- tree shapes */

enum shape_kind {
	SHAPE_CHAIN,	/* n processes, each the parent of the next */
	SHAPE_FAN,	/* a root with n - 1 children */
	SHAPE_BINARY,	/* complete binary tree, n levels */
	SHAPE_THREADS,	/* multithreaded members, see threads_root() */
};

#define THREADS_SIZE	5

static int shape_size(enum shape_kind kind, int n)
{
	switch (kind) {
	case SHAPE_CHAIN:
	case SHAPE_FAN:
		return n;
	case SHAPE_BINARY:
		return (1 << n) - 1;
	case SHAPE_THREADS:
		return THREADS_SIZE;
	}
	return 0;
}

static int shape_children(enum shape_kind kind, int n, int level)
{
	switch (kind) {
	case SHAPE_CHAIN:
		return level < n - 1;
	case SHAPE_FAN:
		return level == 0 ? n - 1 : 0;
	case SHAPE_BINARY:
		return level < n - 1 ? 2 : 0;
	default:
		return 0;
	}
}

/*
 * A member of a chain, fan or binary tree at @level: fork its children,
 * register, sleep until killed. A new child starts over one level down.
 */
static __attribute__((noreturn)) void shape_member(struct tree_shm *s,
						   enum shape_kind kind,
						   int n, int level)
{
	int k, i;
	pid_t pid;

again:
	k = shape_children(kind, n, level);
	for (i = 0; i < k; i++) {
		pid = fork();
		if (pid == 0) {
			level++;
			goto again;
		}
		if (pid < 0) {
			member_fail(s, errno);
			break;
		}
	}
	member_register(s, getpid());
	pt_block_forever();
}

/*
 * Big chains and fans: forked members would not do. A forked child links
 * each private mapping to the anon_vma of every live ancestor, so a chain
 * of forks costs time and memory quadratic in its depth (10 000 deep: some
 * 50 million links per mapping), and 10 000 forks of even a small process
 * take minutes under emulation. These members
 * are processes that share the root's memory instead (clone(CLONE_VM)
 * without CLONE_THREAD: each has its own PID and thread group, which is
 * all a tree kill looks at). They use raw system calls only, on a small
 * stack of their own; the root sets vm_tree up before the first clone.
 */
#define VM_STACK	(16 * 1024)

static struct {
	struct tree_shm *shm;
	enum shape_kind kind;
	int n;
	char *stacks;		/* n stacks of VM_STACK bytes */
} vm_tree;

static int vm_member(void *arg)
{
	int level = (int)(intptr_t)arg;
	int k = shape_children(vm_tree.kind, vm_tree.n, level), i;

	for (i = 0; i < k; i++) {
		/* One stack per member: by depth in a chain, by rank in a fan. */
		int slot = vm_tree.kind == SHAPE_CHAIN ? level + 1 : i + 1;
		char *top = vm_tree.stacks + (size_t)(slot + 1) * VM_STACK;

		if (clone(vm_member, top, CLONE_VM | SIGCHLD,
			  (void *)(intptr_t)(level + 1)) < 0) {
			member_fail(vm_tree.shm, EAGAIN);
			break;
		}
	}
	member_register(vm_tree.shm, (pid_t)syscall(SYS_getpid));
	for (;;)
		syscall(SYS_pause);
	return 0;
}

static __attribute__((noreturn)) void vm_root(struct tree_shm *s,
					      enum shape_kind kind, int n)
{
	cpu_set_t one;

	/*
	 * On one CPU, a new member of a chain runs as soon as its parent
	 * sleeps, with no cross-CPU wakeup: five times faster under emulation.
	 */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() > 0 ? sched_getcpu() : 0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	vm_tree.shm = s;
	vm_tree.kind = kind;
	vm_tree.n = n;
	vm_tree.stacks = mmap(NULL, (size_t)(n + 1) * VM_STACK,
			      PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm_tree.stacks == MAP_FAILED) {
		member_fail(s, errno);
		pt_block_forever();
	}
	vm_member((void *)0);
	pt_block_forever();
}

/*
 * SHAPE_THREADS: root R with the leader and three threads.
 *   thread X forks X (single-threaded);
 *   thread Y forks Y, which has a second thread U that forks Z;
 *   thread W forks W and exits, so W is handed to another thread of R.
 * Optionally R's leader then leaves with pthread_exit(). Five processes.
 */
enum { ROLE_X, ROLE_Y, ROLE_W, ROLE_U, ROLE_Z, ROLE_ROOT };

struct thr_job {
	struct tree_shm *shm;
	int role;
	int done_fd;
};

static void *y_thread(void *p)
{
	struct thr_job *j = p;
	pid_t pid;
	char c = 'u';

	j->shm->tid[ROLE_U] = tree_gettid();
	pid = fork();
	if (pid == 0) {
		j->shm->role[ROLE_Z] = getpid();
		member_register(j->shm, getpid());
		pt_block_forever();
	}
	if (pid < 0)
		member_fail(j->shm, errno);
	if (write(j->done_fd, &c, 1) != 1)
		member_fail(j->shm, EPIPE);
	pt_block_forever();
}

static __attribute__((noreturn)) void y_main(struct tree_shm *s)
{
	static struct thr_job j;
	pthread_t t;
	int p[2];
	char c;

	if (pipe(p)) {
		member_fail(s, errno);
		pt_block_forever();
	}
	j.shm = s;
	j.role = ROLE_U;
	j.done_fd = p[1];
	if (pthread_create(&t, NULL, y_thread, &j)) {
		member_fail(s, EAGAIN);
		pt_block_forever();
	}
	if (read(p[0], &c, 1) != 1)
		member_fail(s, EPIPE);
	member_register(s, getpid());
	pt_block_forever();
}

static void *r_thread(void *p)
{
	struct thr_job *j = p;
	pid_t pid;
	char c = 'r';

	j->shm->tid[j->role] = tree_gettid();
	pid = fork();
	if (pid == 0) {
		j->shm->role[j->role] = getpid();
		if (j->role == ROLE_Y)
			y_main(j->shm);
		member_register(j->shm, getpid());
		pt_block_forever();
	}
	if (pid < 0)
		member_fail(j->shm, errno);
	if (write(j->done_fd, &c, 1) != 1)
		member_fail(j->shm, EPIPE);
	if (j->role == ROLE_W)
		return NULL;	/* W's parent thread leaves */
	pt_block_forever();
}

static __attribute__((noreturn)) void threads_root(struct tree_shm *s,
						   bool leader_exits)
{
	static struct thr_job jobs[3];
	pthread_t t[3];
	int p[2], i;
	char c;

	s->role[ROLE_ROOT] = getpid();
	s->tid[ROLE_ROOT] = tree_gettid();
	if (pipe(p)) {
		member_fail(s, errno);
		pt_block_forever();
	}
	for (i = 0; i < 3; i++) {
		jobs[i].shm = s;
		jobs[i].role = i;
		jobs[i].done_fd = p[1];
		if (pthread_create(&t[i], NULL, r_thread, &jobs[i])) {
			member_fail(s, EAGAIN);
			pt_block_forever();
		}
	}
	for (i = 0; i < 3; i++)
		if (read(p[0], &c, 1) != 1)
			member_fail(s, EPIPE);
	pthread_join(t[ROLE_W], NULL);
	member_register(s, getpid());
	if (leader_exits)
		pthread_exit(NULL);
	pt_block_forever();
}

/*
 * The threaded tree is what it claims to be: X and Z were forked by
 * non-leader threads and hang off them, W's parent thread is gone and W
 * was handed to another thread of R.
 */
static void check_threads_shape(struct __test_metadata *_metadata,
				const struct tree_shm *s, bool leader_exits)
{
	pid_t r = s->role[ROLE_ROOT];
	int64_t deadline = pt_now_ms() + PT_DEATH_MS;
	struct pt_stat st;
	int delay = 1, ret;

	/* pthread_join() returns before the thread has left the kernel. */
	while (task_exists(r, s->tid[ROLE_W]) && pt_now_ms() < deadline)
		pt_backoff(&delay);
	ASSERT_FALSE(task_exists(r, s->tid[ROLE_W]))
		TH_LOG("the thread that forked W did not exit");
	if (leader_exits)
		ASSERT_EQ(0, pt_wait_state(r, 'Z', PT_DEATH_MS))
			TH_LOG("R's leader did not exit");
	ASSERT_EQ(3, pt_thread_count(r));
	ASSERT_EQ(2, pt_thread_count(s->role[ROLE_Y]));

	ASSERT_EQ(0, pt_read_stat(s->role[ROLE_W], &st));
	ASSERT_EQ(r, st.ppid) TH_LOG("W was not handed to another thread of R");
	ASSERT_EQ(0, pt_read_stat(s->role[ROLE_Z], &st));
	ASSERT_EQ(s->role[ROLE_Y], st.ppid);

	ret = task_has_child(r, s->tid[ROLE_X], s->role[ROLE_X]);
	if (ret == -ENOENT)
		return;		/* no /proc/PID/task/TID/children */
	ASSERT_EQ(1, ret) TH_LOG("X is not a child of the thread that forked it");
	ASSERT_EQ(0, task_has_child(r, s->tid[ROLE_ROOT], s->role[ROLE_X]));
	ASSERT_EQ(1, task_has_child(s->role[ROLE_Y], s->tid[ROLE_U], s->role[ROLE_Z]))
		TH_LOG("Z is not a child of Y's second thread");
	ASSERT_EQ(1, task_has_child(r, s->tid[ROLE_X], s->role[ROLE_W]) +
		     task_has_child(r, s->tid[ROLE_Y], s->role[ROLE_W]) +
		     task_has_child(r, s->tid[ROLE_ROOT], s->role[ROLE_W]))
		TH_LOG("W is not a child of exactly one of R's threads");
}

/* --------------------------------------------------- whole tree dies */

FIXTURE(shape) {
	struct tree_env env;
};

FIXTURE_VARIANT(shape) {
	enum shape_kind kind;
	int n;			/* 0: PT_TREE_BIG, members made by vm_root() */
	bool leader_exits;
	bool has_status;
	uint32_t status;
};

FIXTURE_VARIANT_ADD(shape, chain) {
	.kind = SHAPE_CHAIN, .n = 40,
};
FIXTURE_VARIANT_ADD(shape, chain_status) {
	.kind = SHAPE_CHAIN, .n = 40, .has_status = true, .status = 42,
};
FIXTURE_VARIANT_ADD(shape, fan) {
	.kind = SHAPE_FAN, .n = 100, .has_status = true, .status = 0xC0000005,
};
FIXTURE_VARIANT_ADD(shape, binary) {
	.kind = SHAPE_BINARY, .n = 6, .has_status = true, .status = 0x1234567f,
};
FIXTURE_VARIANT_ADD(shape, binary_sigkill) {
	.kind = SHAPE_BINARY, .n = 5,
};
FIXTURE_VARIANT_ADD(shape, threads) {
	.kind = SHAPE_THREADS, .has_status = true, .status = 7,
};
FIXTURE_VARIANT_ADD(shape, threads_leader_exited) {
	.kind = SHAPE_THREADS, .leader_exits = true, .has_status = true, .status = 8,
};
FIXTURE_VARIANT_ADD(shape, threads_sigkill) {
	.kind = SHAPE_THREADS, .leader_exits = true,
};
FIXTURE_VARIANT_ADD(shape, chain_10000) {
	.kind = SHAPE_CHAIN, .n = 0, .has_status = true, .status = 77,
};
FIXTURE_VARIANT_ADD(shape, fan_10000) {
	.kind = SHAPE_FAN, .n = 0, .has_status = true, .status = 78,
};

FIXTURE_SETUP(shape)
{
	env_setup(_metadata, &self->env, "shape");
}

FIXTURE_TEARDOWN(shape)
{
	env_teardown(&self->env);
}

/* Room for @size more processes: PIDs, threads-max, memory. */
static void make_room(struct __test_metadata *_metadata, struct tree_env *e,
		      int size)
{
	char buf[4096], *p;
	long avail_kb = -1;
	int ret;

	ret = env_raise_sysctl(e, 0, "/proc/sys/kernel/pid_max", size * 2L + 4096);
	ASSERT_EQ(0, ret) TH_LOG("cannot raise kernel.pid_max: %s", strerror(-ret));
	ret = env_raise_sysctl(e, 1, "/proc/sys/kernel/threads-max", size * 2L + 4096);
	ASSERT_EQ(0, ret) TH_LOG("cannot raise kernel.threads-max: %s", strerror(-ret));
	if (pt_read_file("/proc/meminfo", buf, sizeof(buf)) > 0) {
		p = strstr(buf, "MemAvailable:");
		if (p)
			avail_kb = strtol(p + 13, NULL, 10);
	}
	/* Kernel stack, task and signal structures, a page of stack: ~40 KiB. */
	if (avail_kb >= 0 && avail_kb < size * 64L)
		SKIP(return, "%ld MiB available, %d processes need about %ld MiB",
		     avail_kb / 1024, size, size * 64L / 1024);
}

TEST_F_TIMEOUT(shape, whole_tree_dies, PT_TIMEOUT(420))
{
	struct tree_env *e = &self->env;
	struct pt_kill_args args = {
		.flags = PROCTERM_F_TREE,
		.has_status = variant->has_status,
		.status = variant->status,
	};
	int n = variant->n ? variant->n : (int)pt_env_long("PT_TREE_BIG", 10000, 2, 1000000);
	int size = shape_size(variant->kind, n), ret;
	int64_t t0, t_built, t_kill, t_killed, t_reaped;
	struct reaped o;
	struct pt_reply r;
	pid_t root, *sorted;

	if (!variant->n)
		make_room(_metadata, e, size);
	if (_metadata->exit_code)
		return;		/* skipped */
	e->shm = shm_new(size);
	ASSERT_NE(NULL, e->shm);

	t0 = pt_now_ms();
	root = fork_root(e, 0);
	ASSERT_LE(0, root);
	if (root == 0) {
		if (variant->kind == SHAPE_THREADS)
			threads_root(e->shm, variant->leader_exits);
		if (!variant->n)
			vm_root(e->shm, variant->kind, n);
		shape_member(e->shm, variant->kind, n, 0);
	}
	ret = shm_wait_ready(e->shm, size, BUILD_MS);
	ASSERT_EQ(0, ret) TH_LOG("tree of %d not built: %s (%d registered)",
				 size, pt_errname(ret), e->shm->ready);
	t_built = pt_now_ms();
	ASSERT_EQ(size, e->shm->taken);
	ASSERT_EQ(size, cg_count_procs(e->cg));
	if (variant->kind == SHAPE_THREADS)
		check_threads_shape(_metadata, e->shm, variant->leader_exits);

	t_kill = pt_now_ms();
	TREE_KILL(e, root, &args, r, ret);
	t_killed = pt_now_ms();
	ASSERT_TRUE(r.a.has[PROCTERM_A_COUNT]);
	EXPECT_EQ((uint64_t)size, r.a.u[PROCTERM_A_COUNT])
		TH_LOG("PROCTERM_A_COUNT %llu for a tree of %d",
		       (unsigned long long)r.a.u[PROCTERM_A_COUNT], size);
	EXPECT_EQ((uint64_t)root, r.a.u[PROCTERM_A_PID]);
	EXPECT_EQ(variant->has_status, r.a.has[PROCTERM_A_EXIT_STATUS]);
	if (variant->has_status)
		EXPECT_EQ((uint64_t)variant->status, r.a.u[PROCTERM_A_EXIT_STATUS]);

	sorted = sorted_members(e->shm, size);
	ASSERT_NE(NULL, sorted);
	reap_tree(sorted, size, variant->has_status, variant->status, false,
		  REAP_MS, &o);
	free(sorted);
	e->kids[0] = 0;
	t_reaped = pt_now_ms();
	ASSERT_REAPED_OK(o, size);
	ASSERT_TREE_GONE(e, size);

	TH_LOG("%d processes: built in %.1f s, tree kill %lld ms, all reaped in %.1f s",
	       size, (t_built - t0) / 1000.0, (long long)(t_killed - t_kill),
	       (t_reaped - t_killed) / 1000.0);
}

/* ------------------------------------------------------- fork storms */

/*
 * Every member forks in a loop, and so do its children, until pids.max
 * refuses. With churn, members also leave after a few forks; the root is
 * then a subreaper and reaps, so orphans stay inside the tree.
 */
static __attribute__((noreturn)) void storm_member(bool churn, bool root)
{
	unsigned int seed = (unsigned int)getpid() * 2654435761u;
	int forks = 0, status;
	pid_t pid;

	for (;;) {
		pid = fork();
		if (pid == 0) {
			root = false;
			forks = 0;
			seed ^= (unsigned int)getpid() * 2246822519u;
			continue;
		}
		if (pid > 0)
			forks++;
		else
			pt_sleep_ms(5 + (int)(seed % 5));
		if (!churn)
			continue;
		while (waitpid(-1, &status, WNOHANG) > 0)
			;
		seed = seed * 1103515245u + 12345u;
		if (!root && forks >= 2 && (seed >> 16) % 4 == 0)
			_exit(CHURN_CODE);
	}
}

FIXTURE(storm) {
	struct tree_env env;
};

FIXTURE_VARIANT(storm) {
	bool churn;
};

FIXTURE_VARIANT_ADD(storm, forking) { .churn = false };
FIXTURE_VARIANT_ADD(storm, forking_and_exiting) { .churn = true };

FIXTURE_SETUP(storm)
{
	env_setup(_metadata, &self->env, "storm");
}

FIXTURE_TEARDOWN(storm)
{
	env_teardown(&self->env);
}

/* Wait until the storm has @target tasks (and, if @refused, hit pids.max). */
static long storm_grow(const char *cg, long target, long refused_before,
		       bool refused)
{
	int64_t deadline = pt_now_ms() + 30000;
	long cur = 0;

	while (pt_now_ms() < deadline) {
		cur = cg_read_long(cg, "pids.current");
		if (cur >= target &&
		    (!refused || cg_pids_refused(cg) > refused_before))
			break;
		pt_sleep_ms(1);
	}
	return cur;
}

TEST_F_TIMEOUT(storm, nothing_survives, PT_TIMEOUT(480))
{
	struct tree_env *e = &self->env;
	struct pt_kill_args args = {
		.flags = PROCTERM_F_TREE, .has_status = true, .status = 0x2a,
	};
	int trials = variant->churn ?
		     (int)pt_env_long("PT_TREE_CHURN_TRIALS", 25, 1, 100000) :
		     (int)pt_env_long("PT_TREE_STORM_TRIALS", 50, 1, 100000);
	long pids_max = pt_env_long("PT_TREE_STORM_PIDS", 200, 8, 100000);
	long at_kill_sum = 0, count_sum = 0, count_max = 0, refused;
	char marker[16], buf[32];
	int64_t t0 = pt_now_ms();
	struct reaped o;
	struct pt_reply r;
	int trial, ret, left;
	pid_t root;

	snprintf(marker, sizeof(marker), "ptstorm.%d", (int)(getpid() % 100000));
	snprintf(buf, sizeof(buf), "%ld", pids_max);
	ASSERT_EQ(0, cg_write(e->cg, "pids.max", buf));

	for (trial = 0; trial < trials; trial++) {
		/* Kill while growing (1/4, 1/2, 3/4 full) and when saturated. */
		long target = trial % 4 == 3 ? pids_max :
			      pids_max * (trial % 4 + 1) / 4;
		long at_kill;

		refused = cg_pids_refused(e->cg);
		root = fork_root(e, 0);
		ASSERT_LE(0, root);
		if (root == 0) {
			prctl(PR_SET_NAME, marker);
			if (variant->churn)
				prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
			setpriority(PRIO_PROCESS, 0, 10);
			storm_member(variant->churn, true);
		}
		at_kill = storm_grow(e->cg, target, refused, target == pids_max);

		ret = pt_kill(&e->nl, root, &args, &r);
		ASSERT_PT_FEATURE("tree kill", ret, r.msg);
		ASSERT_EQ(0, ret) TH_LOG("trial %d: %s (extack \"%s\")", trial,
					 pt_errname(ret), r.msg);
		ASSERT_TRUE(r.a.has[PROCTERM_A_COUNT]);

		reap_tree(NULL, 0, true, args.status, variant->churn, REAP_MS, &o);
		e->kids[0] = 0;
		ASSERT_FALSE(o.timed_out)
			TH_LOG("trial %d: children alive after the kill, %d reaped",
			       trial, o.members);
		ASSERT_EQ(0, o.bad)
			TH_LOG("trial %d: %d died another way, e.g. PID %d: wait status 0x%x",
			       trial, o.bad, (int)o.bad_pid, o.bad_status);
		ASSERT_EQ(0, cg_count_procs(e->cg))
			TH_LOG("trial %d: processes survived in %s", trial, e->cg);
		ASSERT_EQ(0, cg_read_long(e->cg, "pids.current"))
			TH_LOG("trial %d: tasks left in %s", trial, e->cg);
		left = count_comm(marker);
		ASSERT_EQ(0, left) TH_LOG("trial %d: %d processes named %s exist",
					  trial, left, marker);
		/*
		 * Without churn, nobody but us reaps, and every member dies by
		 * the kill: the deaths are exactly the count. With churn, a
		 * killed member may be reaped by its dying parent.
		 */
		if (!variant->churn) {
			ASSERT_EQ(r.a.u[PROCTERM_A_COUNT], (uint64_t)o.with_status)
				TH_LOG("trial %d: COUNT %llu, %d deaths", trial,
				       (unsigned long long)r.a.u[PROCTERM_A_COUNT],
				       o.with_status);
		} else {
			ASSERT_GE(r.a.u[PROCTERM_A_COUNT], (uint64_t)o.with_status)
				TH_LOG("trial %d: COUNT %llu, %d deaths", trial,
				       (unsigned long long)r.a.u[PROCTERM_A_COUNT],
				       o.with_status);
		}
		ASSERT_LE(r.a.u[PROCTERM_A_COUNT], (uint64_t)pids_max);
		ASSERT_LE(1, o.with_status);
		at_kill_sum += at_kill;
		count_sum += (long)r.a.u[PROCTERM_A_COUNT];
		if ((long)r.a.u[PROCTERM_A_COUNT] > count_max)
			count_max = (long)r.a.u[PROCTERM_A_COUNT];
	}
	TH_LOG("%d trials in %.1f s: %.0f tasks on average at the kill, count %.0f on average, %ld at most",
	       trials, (pt_now_ms() - t0) / 1000.0, (double)at_kill_sum / trials,
	       (double)count_sum / trials, count_max);
}

/* ------------------------------------------------ members in exit_group */

/*
 * A spawner forks children that call exit_group() at once, and waits for
 * each: at any moment some members of the tree have begun to exit
 * (SIGNAL_GROUP_EXIT, set under siglock, not under the lock the walk
 * holds) and are not dead yet. Such a member needs nothing more, however
 * the kill's passes see it; it is no reason to refuse the kill.
 */
static __attribute__((noreturn)) void spawner(void)
{
	int status;
	pid_t pid;

	for (;;) {
		pid = fork();
		if (pid == 0)
			syscall(SYS_exit_group, CHURN_CODE);
		if (pid < 0) {
			pt_sleep_ms(1);
			continue;
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
}

FIXTURE(exit_group) {
	struct tree_env env;
};

FIXTURE_SETUP(exit_group)
{
	env_setup(_metadata, &self->env, "exitgroup");
}

FIXTURE_TEARDOWN(exit_group)
{
	env_teardown(&self->env);
}

TEST_F_TIMEOUT(exit_group, exiting_members_do_not_fail_the_kill, PT_TIMEOUT(300))
{
	struct tree_env *e = &self->env;
	struct pt_kill_args args = {
		.flags = PROCTERM_F_TREE, .has_status = true, .status = 0x2b,
	};
	int trials = (int)pt_env_long("PT_TREE_EXITING_TRIALS", 150, 1, 100000);
	int nspawn = 3, trial, ret, i;
	int64_t t0 = pt_now_ms();
	long count_sum = 0;
	struct reaped o;
	struct pt_reply r;
	pid_t root;

	ASSERT_EQ(0, cg_write(e->cg, "pids.max", "64"));
	for (trial = 0; trial < trials; trial++) {
		root = fork_root(e, 0);
		ASSERT_LE(0, root);
		if (root == 0) {
			/* Spawners' orphans stay in the tree, reaped here. */
			prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
			for (i = 0; i < nspawn; i++)
				if (fork() == 0)
					spawner();
			spawner();
		}
		/* The root, its spawners, and a child of each now and then. */
		storm_grow(e->cg, nspawn + 2, 0, false);
		pt_sleep_ms(trial % 5);

		ret = pt_kill(&e->nl, root, &args, &r);
		ASSERT_PT_FEATURE("tree kill", ret, r.msg);
		ASSERT_EQ(0, ret) TH_LOG("trial %d: %s (extack \"%s\")", trial,
					 pt_errname(ret), r.msg);
		ASSERT_TRUE(r.a.has[PROCTERM_A_COUNT]);
		count_sum += (long)r.a.u[PROCTERM_A_COUNT];

		reap_tree(NULL, 0, true, args.status, true, REAP_MS, &o);
		e->kids[0] = 0;
		ASSERT_FALSE(o.timed_out) TH_LOG("trial %d: children alive after the kill", trial);
		/* The root, and any orphan handed to us, died by the kill. */
		ASSERT_LE(1, o.with_status) TH_LOG("trial %d", trial);
		ASSERT_EQ(0, o.bad)
			TH_LOG("trial %d: %d died another way, e.g. PID %d: wait status 0x%x",
			       trial, o.bad, (int)o.bad_pid, o.bad_status);
		ASSERT_EQ(0, cg_count_procs(e->cg)) TH_LOG("trial %d", trial);
		ASSERT_EQ(0, cg_read_long(e->cg, "pids.current")) TH_LOG("trial %d", trial);
	}
	TH_LOG("%d trials in %.1f s, %.1f members killed on average",
	       trials, (pt_now_ms() - t0) / 1000.0, (double)count_sum / trials);
}

/* --------------------------------------------------- daemonizing tree */

/*
 * A daemonizer forks C; C calls setsid() and forks G, then exits; G
 * becomes a daemonizer too, so daemons are made and orphaned all the time,
 * also while the tree is being killed. The tree's root is a subreaper (as a
 * service manager is), so every G is handed to it and stays in the tree.
 * (Were the test process the only subreaper, a G whose C has exited would
 * be the test's child, no longer part of the tree, and rightly left alone.)
 * The root reaps what dies.
 */
static __attribute__((noreturn)) void daemonizer(struct tree_shm *s)
{
	int status;
	pid_t c, g;

	for (;;) {
		c = fork();
		if (c == 0) {
			setsid();
			g = fork();
			if (g == 0) {
				member_register(s, getpid());
				continue;
			}
			_exit(CHURN_CODE);
		}
		if (c < 0) {
			pt_sleep_ms(5);
			continue;
		}
		while (waitpid(c, &status, 0) < 0 && errno == EINTR)
			;
	}
}

static __attribute__((noreturn)) void daemon_root(struct tree_shm *s)
{
	int i, status;

	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	for (i = 0; i < 3; i++)
		if (fork() == 0)
			daemonizer(s);
	for (;;) {
		while (waitpid(-1, &status, WNOHANG) > 0)
			;
		pt_sleep_ms(2);
	}
}

FIXTURE(daemon) {
	struct tree_env env;
};

FIXTURE_SETUP(daemon)
{
	env_setup(_metadata, &self->env, "daemon");
}

FIXTURE_TEARDOWN(daemon)
{
	env_teardown(&self->env);
}

TEST_F_TIMEOUT(daemon, double_forks_do_not_escape, PT_TIMEOUT(300))
{
	struct tree_env *e = &self->env;
	struct pt_kill_args args = { .flags = PROCTERM_F_TREE };
	int trials = (int)pt_env_long("PT_TREE_DAEMON_TRIALS", 20, 1, 100000);
	long pids_max = 200, total = 0;
	int64_t t0 = pt_now_ms(), t_build = 0, t_kill = 0, t_adopt;
	int trial, ret, i, n, left, delay;
	char marker[16], buf[32];
	struct reaped o;
	struct pt_reply r;
	pid_t root, first;

	snprintf(marker, sizeof(marker), "ptdaemon.%d", (int)(getpid() % 100000));
	snprintf(buf, sizeof(buf), "%ld", pids_max);
	ASSERT_EQ(0, cg_write(e->cg, "pids.max", buf));
	e->shm = shm_new(65536);
	ASSERT_NE(NULL, e->shm);

	for (trial = 0; trial < trials; trial++) {
		int target = 10 + (trial * 37) % 120;
		int64_t t1 = pt_now_ms();
		bool adopted = false;

		memset(e->shm->pid, 0, (size_t)e->shm->cap * sizeof(pid_t));
		e->shm->taken = e->shm->ready = e->shm->failed = 0;
		root = fork_root(e, 0);
		ASSERT_LE(0, root);
		if (root == 0) {
			prctl(PR_SET_NAME, marker);
			daemon_root(e->shm);
		}
		/* Daemons keep being made; some have been handed to the root. */
		ret = shm_wait_ready(e->shm, target, 60000);
		ASSERT_EQ(0, ret) TH_LOG("trial %d: %d daemons: %s", trial,
					 e->shm->ready, pt_errname(ret));
		/*
		 * A daemon is handed over once its C has run to its exit,
		 * which a loaded machine may put off for seconds: wait by
		 * time, not by rounds.
		 */
		delay = 1;
		t_adopt = pt_now_ms() + 60000;
		for (i = 0; !adopted && pt_now_ms() < t_adopt; i++) {
			struct pt_stat st;
			int k;

			n = __atomic_load_n(&e->shm->taken, __ATOMIC_ACQUIRE);
			for (k = 0; k < n && k < e->shm->cap; k++)
				if (e->shm->pid[k] > 0 && !pt_read_stat(e->shm->pid[k], &st) &&
				    st.ppid == root) {
					adopted = true;
					break;
				}
			if (!adopted)
				pt_backoff(&delay);
		}
		ASSERT_TRUE(adopted) TH_LOG("trial %d: no daemon was handed to the root in 60 s (%d looks)",
					    trial, i);

		t_build += pt_now_ms() - t1;
		t1 = pt_now_ms();
		ret = pt_kill(&e->nl, root, &args, &r);
		ASSERT_PT_FEATURE("tree kill", ret, r.msg);
		ASSERT_EQ(0, ret) TH_LOG("trial %d: %s (extack \"%s\")", trial,
					 pt_errname(ret), r.msg);

		/* The intermediate children C that we inherit exit by themselves. */
		reap_tree(NULL, 0, false, 0, true, REAP_MS, &o);
		e->kids[0] = 0;
		ASSERT_FALSE(o.timed_out) TH_LOG("trial %d: children alive after the kill", trial);
		ASSERT_EQ(0, o.bad) TH_LOG("trial %d: PID %d: wait status 0x%x", trial,
					   (int)o.bad_pid, o.bad_status);
		n = e->shm->taken < e->shm->cap ? e->shm->taken : e->shm->cap;
		first = 0;
		left = members_left(e->shm, n, &first);
		ASSERT_EQ(0, left)
			TH_LOG("trial %d: %d of %d daemons survived, e.g. PID %d (state %c)",
			       trial, left, n, (int)first, state_of(first));
		ASSERT_EQ(0, cg_count_procs(e->cg)) TH_LOG("trial %d", trial);
		ASSERT_EQ(0, cg_read_long(e->cg, "pids.current")) TH_LOG("trial %d", trial);
		left = count_comm(marker);
		ASSERT_EQ(0, left) TH_LOG("trial %d: %d processes named %s exist",
					  trial, left, marker);
		total += n;
		t_kill += pt_now_ms() - t1;
	}
	TH_LOG("%d trials in %.1f s (%.1f s building, %.1f s killing and checking), %ld daemons made in all",
	       trials, (pt_now_ms() - t0) / 1000.0, t_build / 1000.0,
	       t_kill / 1000.0, total);
}

/* ------------------------------------------------ all or nothing: EPERM */

enum { PERM_NONE = -1, PERM_R, PERM_A, PERM_B };

FIXTURE(perm) {
	struct tree_env env;
	int result_fd;
};

FIXTURE_VARIANT(perm) {
	int root_owned;		/* the member that stays root, or PERM_NONE */
};

FIXTURE_VARIANT_ADD(perm, own_tree) { .root_owned = PERM_NONE };
FIXTURE_VARIANT_ADD(perm, root_owned_leaf) { .root_owned = PERM_B };
FIXTURE_VARIANT_ADD(perm, root_owned_middle) { .root_owned = PERM_A };

FIXTURE_SETUP(perm)
{
	self->result_fd = -1;
	env_setup(_metadata, &self->env, "perm");
}

FIXTURE_TEARDOWN(perm)
{
	if (self->result_fd >= 0)
		close(self->result_fd);
	env_teardown(&self->env);
}

/* Become uid/gid PT_UNPRIV_UID; no PDEATHSIG (that would hide escapes). */
static int drop_to_unpriv(void)
{
	if (setgroups(0, NULL) || setresgid(PT_UNPRIV_UID, PT_UNPRIV_UID, PT_UNPRIV_UID) ||
	    setresuid(PT_UNPRIV_UID, PT_UNPRIV_UID, PT_UNPRIV_UID))
		return -errno;
	return 0;
}

/* R forks A, A forks B, then each drops to uid 1000 unless it is root_owned. */
static __attribute__((noreturn)) void perm_member(struct tree_shm *s, int role,
						  int root_owned)
{
	pid_t pid;

	if (role < PERM_B) {
		pid = fork();
		if (pid == 0)
			perm_member(s, role + 1, root_owned);
		if (pid < 0)
			member_fail(s, errno);
	}
	if (role != root_owned && drop_to_unpriv())
		member_fail(s, errno);
	s->role[role] = getpid();
	member_register(s, getpid());
	pt_block_forever();
}

struct requester {
	pid_t target;
	uint32_t flags;
	int result_fd;
};

static int requester_body(int ready_fd, void *p)
{
	const struct requester *q = p;
	struct pt_kill_args args = { .flags = q->flags };
	struct pt_result res = { 0 };
	struct pt_reply r;
	struct pt_sock s;

	pt_ready(ready_fd);
	res.ret = pt_set_creds(PT_UNPRIV_UID, PT_UNPRIV_UID, PT_UNPRIV_UID,
			       PT_UNPRIV_UID, 0);
	if (res.ret) {
		res.stage = 1;
		goto out;
	}
	res.ret = pt_open(&s);
	if (res.ret) {
		res.stage = 2;
		goto out;
	}
	memset(&r, 0, sizeof(r));
	res.ret = pt_kill(&s, q->target, &args, &r);
	snprintf(res.msg, sizeof(res.msg), "%s", r.msg);
	if (r.a.has[PROCTERM_A_COUNT])
		res.child_status = (int)r.a.u[PROCTERM_A_COUNT];
	pt_close(&s);
out:
	pt_ready_data(q->result_fd, &res, sizeof(res));
	return 0;
}

TEST_F_TIMEOUT(perm, unprivileged_caller, PT_TIMEOUT(120))
{
	struct tree_env *e = &self->env;
	struct requester q = { .flags = PROCTERM_F_TREE };
	struct pt_kill_args args = { .flags = PROCTERM_F_TREE };
	struct pt_result res;
	struct reaped o;
	struct pt_reply r;
	int p[2], ret, i, status;
	pid_t root, *sorted, culprit;
	char want[64];

	e->shm = shm_new(8);
	ASSERT_NE(NULL, e->shm);
	root = fork_root(e, 0);
	ASSERT_LE(0, root);
	if (root == 0)
		perm_member(e->shm, PERM_R, variant->root_owned);
	ret = shm_wait_ready(e->shm, 3, BUILD_MS);
	ASSERT_EQ(0, ret) TH_LOG("tree not built: %s", pt_errname(ret));

	/* The tree is as intended: uids and parents. */
	for (i = PERM_R; i <= PERM_B; i++) {
		char path[64], buf[2048], *u;
		int want_uid = i == variant->root_owned ? 0 : PT_UNPRIV_UID;

		snprintf(path, sizeof(path), "/proc/%d/status", (int)e->shm->role[i]);
		ASSERT_LT(0, pt_read_file(path, buf, sizeof(buf)));
		u = strstr(buf, "\nUid:");
		ASSERT_NE(NULL, u);
		ASSERT_EQ(want_uid, (int)strtol(u + 5, NULL, 10))
			TH_LOG("member %d has the wrong uid", i);
	}

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	self->result_fd = p[0];
	q.target = root;
	q.result_fd = p[1];
	e->kids[1] = pt_spawn(requester_body, &q, NULL, 1);
	close(p[1]);
	ASSERT_LT(0, e->kids[1]);
	ASSERT_EQ(0, pt_read_result(self->result_fd, &res));
	ASSERT_EQ(0, res.stage) TH_LOG("requester setup failed: %s", pt_errname(res.ret));
	ASSERT_DIES(e->kids[1], status);
	e->kids[1] = 0;

	if (variant->root_owned == PERM_NONE) {
		/* Control: the same caller may kill a tree that is all its own. */
		ASSERT_EQ(0, res.ret) TH_LOG("own tree refused: %s (\"%s\")",
					     pt_errname(res.ret), res.msg);
		EXPECT_EQ(3, res.child_status);
		sorted = sorted_members(e->shm, 3);
		ASSERT_NE(NULL, sorted);
		reap_tree(sorted, 3, false, 0, false, REAP_MS, &o);
		free(sorted);
		e->kids[0] = 0;
		ASSERT_REAPED_OK(o, 3);
		ASSERT_TREE_GONE(e, 3);
		return;
	}

	culprit = e->shm->role[variant->root_owned];
	ASSERT_EQ(-EPERM, res.ret) TH_LOG("expected EPERM, got %s (\"%s\")",
					  pt_errname(res.ret), res.msg);
	ASSERT_NE('\0', res.msg[0]) TH_LOG("EPERM without an extended-ack message");
	/*
	 * The requester may not signal the culprit, so the message must not
	 * name it (that would reveal a process it may not touch).
	 */
	snprintf(want, sizeof(want), "%d", (int)culprit);
	EXPECT_EQ(NULL, strstr(res.msg, want))
		TH_LOG("the message names member %d, which the requester may not signal: \"%s\"",
		       (int)culprit, res.msg);

	/* Nothing was killed: all alive, no SIGKILL pending, a while later too. */
	pt_sleep_ms(300);
	for (i = PERM_R; i <= PERM_B; i++) {
		pid_t pid = e->shm->role[i];

		EXPECT_TRUE(pt_pid_alive(pid)) TH_LOG("member %d (PID %d) died", i, (int)pid);
		EXPECT_FALSE(sigkill_pending(pid))
			TH_LOG("member %d (PID %d) has SIGKILL pending", i, (int)pid);
	}
	EXPECT_EQ(3, cg_count_procs(e->cg));
	EXPECT_FALSE(pt_child_exited(root));

	/* Whoever may kill every member kills the same tree. */
	TREE_KILL(e, root, &args, r, ret);
	EXPECT_EQ(3ULL, r.a.u[PROCTERM_A_COUNT]);
	sorted = sorted_members(e->shm, 3);
	ASSERT_NE(NULL, sorted);
	reap_tree(sorted, 3, false, 0, false, REAP_MS, &o);
	free(sorted);
	e->kids[0] = 0;
	ASSERT_REAPED_OK(o, 3);
	ASSERT_TREE_GONE(e, 3);
}

/* ----------------------------------------------- PID 1 of a namespace */

/*
 * H (our child) -> I, PID 1 of a new PID namespace -> X, Y and Q. Q asks,
 * from inside the namespace, for I's tree to be killed: refused, nothing
 * dies. Then we, outside, kill H's tree, which contains that namespace.
 */
enum { NS_H, NS_I, NS_X, NS_Y, NS_Q };

static __attribute__((noreturn)) void ns_requester(struct tree_shm *s)
{
	struct pt_kill_args args = { .flags = PROCTERM_F_TREE, .has_status = true,
				     .status = 9 };
	struct pt_reply r;
	struct pt_sock sock;

	s->role[NS_Q] = proc_self_pid();
	/* Wait for H, I, X and Y. */
	if (shm_wait_ready(s, 4, BUILD_MS)) {
		member_fail(s, ETIMEDOUT);
		pt_block_forever();
	}
	s->res.ret = pt_open(&sock);
	if (s->res.ret) {
		s->res.stage = 2;
	} else {
		memset(&r, 0, sizeof(r));
		s->res.ret = pt_kill(&sock, 1, &args, &r);
		snprintf(s->res.msg, sizeof(s->res.msg), "%s", r.msg);
		pt_close(&sock);
	}
	s->res.oracle = getpid();	/* Q's PID inside the namespace */
	member_register(s, proc_self_pid());
	pt_block_forever();
}

static __attribute__((noreturn)) void ns_init(struct tree_shm *s)
{
	int i;

	s->role[NS_I] = proc_self_pid();
	s->tid[NS_I] = getpid();	/* 1, inside */
	for (i = NS_X; i <= NS_Q; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			if (i == NS_Q)
				ns_requester(s);
			s->role[i] = proc_self_pid();
			member_register(s, proc_self_pid());
			pt_block_forever();
		}
		if (pid < 0)
			member_fail(s, errno);
	}
	member_register(s, proc_self_pid());
	pt_block_forever();
}

static __attribute__((noreturn)) void ns_holder(struct tree_shm *s)
{
	pid_t pid;

	s->role[NS_H] = getpid();
	if (unshare(CLONE_NEWPID)) {
		member_fail(s, errno);
		pt_block_forever();
	}
	pid = fork();
	if (pid == 0)
		ns_init(s);
	if (pid < 0)
		member_fail(s, errno);
	member_register(s, getpid());
	pt_block_forever();
}

FIXTURE(pidns) {
	struct tree_env env;
};

FIXTURE_SETUP(pidns)
{
	env_setup(_metadata, &self->env, "pidns");
}

FIXTURE_TEARDOWN(pidns)
{
	env_teardown(&self->env);
}

TEST_F_TIMEOUT(pidns, namespace_init_refused_inside, PT_TIMEOUT(120))
{
	struct tree_env *e = &self->env;
	struct pt_kill_args args = {
		.flags = PROCTERM_F_TREE, .has_status = true, .status = 0x31,
	};
	struct tree_shm *s;
	struct reaped o;
	struct pt_reply r;
	int ret, i;
	pid_t root;

	s = e->shm = shm_new(8);
	ASSERT_NE(NULL, s);
	root = fork_root(e, 0);
	ASSERT_LE(0, root);
	if (root == 0)
		ns_holder(s);
	ret = shm_wait_ready(s, 5, BUILD_MS);
	if (ret == -EPERM || ret == -EINVAL || ret == -ENOSPC)
		SKIP(return, "%s: cannot make a PID namespace: %s", pt_kernel_release(), pt_errname(ret));
	ASSERT_EQ(0, ret) TH_LOG("tree not built: %s", pt_errname(ret));
	ASSERT_EQ(1, s->tid[NS_I]) TH_LOG("I is not PID 1 of its namespace");

	/* From inside: PID 1 of the caller's namespace is refused. */
	ASSERT_EQ(0, s->res.stage) TH_LOG("requester could not open netlink");
	ASSERT_EQ(-EPERM, s->res.ret) TH_LOG("expected EPERM, got %s (\"%s\")",
					     pt_errname(s->res.ret), s->res.msg);
	ASSERT_NE('\0', s->res.msg[0]);
	pt_sleep_ms(300);
	for (i = NS_H; i <= NS_Q; i++) {
		EXPECT_TRUE(pt_pid_alive(s->role[i]))
			TH_LOG("member %d (PID %d) died", i, (int)s->role[i]);
		EXPECT_FALSE(sigkill_pending(s->role[i]));
	}
	EXPECT_EQ(5, cg_count_procs(e->cg));

	/* From outside: the tree, namespace and all, dies. */
	TREE_KILL(e, root, &args, r, ret);
	EXPECT_EQ(5ULL, r.a.u[PROCTERM_A_COUNT]);
	/*
	 * I reaps X, Y and Q itself (a dying namespace init waits for its
	 * namespace); H and then I come to us.
	 */
	reap_tree(NULL, 0, true, args.status, false, REAP_MS, &o);
	e->kids[0] = 0;
	ASSERT_FALSE(o.timed_out);
	ASSERT_EQ(0, o.bad) TH_LOG("PID %d: wait status 0x%x", (int)o.bad_pid, o.bad_status);
	ASSERT_EQ(2, o.members);
	ASSERT_TREE_GONE(e, 5);
}

/* ------------------------------------------------- a root on its way out */

/*
 * R called exit_group() but has not finished exiting: its descendants are
 * still its children, and they will be orphaned the moment it does. A
 * slow exit (a huge address space to tear down, a file whose close blocks)
 * leaves that window open for as long as it lasts; here a tracer holds R
 * at PTRACE_EVENT_EXIT so that the window stays open. Killing R's tree
 * now must still kill C: R itself needs nothing more, but nothing below it
 * may escape.
 */
enum { EXIT_R, EXIT_C };

static void *exit_thread(void *p)
{
	(void)p;
	pt_block_forever();
}

static __attribute__((noreturn)) void exiting_root(struct tree_shm *s, int go_fd)
{
	pthread_t t;
	pid_t pid;
	char c;

	s->role[EXIT_R] = getpid();
	/* A second thread: the group exit is then a group exit everywhere. */
	if (pthread_create(&t, NULL, exit_thread, NULL))
		member_fail(s, EAGAIN);
	pid = fork();
	if (pid == 0) {
		s->role[EXIT_C] = getpid();
		member_register(s, getpid());
		pt_block_forever();
	}
	if (pid < 0)
		member_fail(s, errno);
	member_register(s, getpid());
	if (read(go_fd, &c, 1) != 1)
		member_fail(s, EPIPE);
	syscall(SYS_exit_group, CHURN_CODE);
	_exit(CHURN_CODE);
}

FIXTURE(exiting) {
	struct tree_env env;
	int go_fd;
	pid_t traced;
};

FIXTURE_SETUP(exiting)
{
	self->go_fd = -1;
	self->traced = 0;
	env_setup(_metadata, &self->env, "exiting");
}

FIXTURE_TEARDOWN(exiting)
{
	if (self->traced > 0)
		ptrace(PTRACE_DETACH, self->traced, 0, 0);
	if (self->go_fd >= 0)
		close(self->go_fd);
	env_teardown(&self->env);
}

TEST_F_TIMEOUT(exiting, descendants_of_a_dying_root_die, PT_TIMEOUT(120))
{
	struct tree_env *e = &self->env;
	struct pt_kill_args args = {
		.flags = PROCTERM_F_TREE, .has_status = true, .status = 0x2b,
	};
	struct tree_shm *s;
	struct reaped o;
	struct pt_reply r;
	int go[2], ret, status;
	pid_t root, c, sorted[2];

	s = e->shm = shm_new(2);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	self->go_fd = go[1];
	root = fork_root(e, 0);
	ASSERT_LE(0, root);
	if (root == 0)
		exiting_root(s, go[0]);
	close(go[0]);
	ret = shm_wait_ready(s, 2, BUILD_MS);
	ASSERT_EQ(0, ret) TH_LOG("tree not built: %s", pt_errname(ret));
	c = s->role[EXIT_C];

	/* Hold R in its exit, after the group exit began. */
	if (ptrace(PTRACE_SEIZE, root, 0, PTRACE_O_TRACEEXIT))
		SKIP(return, "%s: cannot trace: %s", pt_kernel_release(), strerror(errno));
	self->traced = root;
	ASSERT_EQ(1, write(self->go_fd, "x", 1));
	ASSERT_EQ(root, waitpid(root, &status, __WALL));
	ASSERT_TRUE(WIFSTOPPED(status)) TH_LOG("wait status 0x%x", status);
	ASSERT_EQ(PTRACE_EVENT_EXIT, status >> 16) TH_LOG("wait status 0x%x", status);
	ASSERT_TRUE(pt_pid_alive(c));

	ret = pt_kill(&e->nl, root, &args, &r);
	ASSERT_PT_FEATURE("tree kill", ret, r.msg);
	EXPECT_EQ(0, ret) TH_LOG("a dying root's tree: %s (extack \"%s\")",
				 pt_errname(ret), r.msg);
	/* C dies now, as a zombie of the stopped R. */
	ASSERT_EQ(0, pt_wait_state(c, 'Z', 5000))
		TH_LOG("C (PID %d) lives on in state %c: it escapes when R is done",
		       (int)c, state_of(c));
	EXPECT_EQ(1ULL, r.a.u[PROCTERM_A_COUNT]);

	/* Let R finish: it keeps its own status, C has the requested one. */
	ASSERT_EQ(0, ptrace(PTRACE_DETACH, root, 0, 0));
	self->traced = 0;
	ASSERT_DIES(root, status);
	e->kids[0] = 0;
	ASSERT_EXITED_WITH(CHURN_CODE, status);
	sorted[0] = c;
	reap_tree(sorted, 1, true, args.status, false, REAP_MS, &o);
	ASSERT_REAPED_OK(o, 1);
	ASSERT_TREE_GONE(e, 2);
}

/* -------------------------------------------------- deferred tree kill */

FIXTURE(deferred) {
	struct tree_env env;
};

FIXTURE_SETUP(deferred)
{
	env_setup(_metadata, &self->env, "deferred");
}

FIXTURE_TEARDOWN(deferred)
{
	env_teardown(&self->env);
}

/*
 * --tree --deferred on a tree whose members are all stopped: armed, they
 * all stay stopped and alive; continued, each dies with the status.
 */
TEST_F_TIMEOUT(deferred, stopped_tree_dies_when_continued, PT_TIMEOUT(120))
{
	struct tree_env *e = &self->env;
	struct pt_kill_args args = {
		.flags = PROCTERM_F_TREE | PROCTERM_F_DEFERRED,
		.has_status = true, .status = 0x33,
	};
	const int depth = 3, size = (1 << depth) - 1;
	struct reaped o;
	struct pt_reply r;
	int ret, i, status;
	pid_t root, *sorted;

	e->shm = shm_new(size);
	ASSERT_NE(NULL, e->shm);
	root = fork_root(e, 0);
	ASSERT_LE(0, root);
	if (root == 0)
		shape_member(e->shm, SHAPE_BINARY, depth, 0);
	ret = shm_wait_ready(e->shm, size, BUILD_MS);
	ASSERT_EQ(0, ret) TH_LOG("tree not built: %s", pt_errname(ret));

	for (i = 0; i < size; i++)
		ASSERT_EQ(0, kill(e->shm->pid[i], SIGSTOP));
	for (i = 0; i < size; i++)
		ASSERT_EQ(0, pt_wait_state(e->shm->pid[i], 'T', PT_DEATH_MS))
			TH_LOG("PID %d did not stop", (int)e->shm->pid[i]);

	TREE_KILL(e, root, &args, r, ret);
	EXPECT_EQ((uint64_t)size, r.a.u[PROCTERM_A_COUNT]);
	EXPECT_TRUE(r.a.has[PROCTERM_A_REQUEST_ID]);
	EXPECT_NE(0ULL, r.a.u[PROCTERM_A_REQUEST_ID]);

	/* Armed: nothing runs, so nothing dies. */
	pt_sleep_ms(1000);
	for (i = 0; i < size; i++) {
		pid_t pid = e->shm->pid[i];

		ASSERT_EQ('T', state_of(pid)) TH_LOG("PID %d is no longer stopped", (int)pid);
		EXPECT_FALSE(sigkill_pending(pid)) TH_LOG("PID %d has SIGKILL pending", (int)pid);
	}
	ASSERT_EQ(0, waitpid(-1, &status, WNOHANG)) TH_LOG("a member died while stopped");
	ASSERT_EQ(size, cg_count_procs(e->cg));

	/* Each dies as soon as it runs again. */
	for (i = size - 1; i >= 0; i--)
		ASSERT_EQ(0, kill(e->shm->pid[i], SIGCONT));
	sorted = sorted_members(e->shm, size);
	ASSERT_NE(NULL, sorted);
	reap_tree(sorted, size, true, args.status, false, REAP_MS, &o);
	free(sorted);
	e->kids[0] = 0;
	ASSERT_REAPED_OK(o, size);
	ASSERT_TREE_GONE(e, size);
}

PT_HARNESS_MAIN
