// SPDX-License-Identifier: GPL-2.0
/*
 * Exec rules: PROCTERM_CMD_RULE_ADD, _DEL, _LIST, _FLUSH.
 *
 * The program matched is rule_target (tests/rule_target.c, static), copied
 * under a unique name into a fresh directory; its first act is to create
 * the file its argument names. A rule that fires must leave no such file
 * (the new image never ran) and the parent's waitpid() must show the
 * rule's status; an exec no rule matches must create it and exit 0.
 * Every test starts and ends with an empty rule table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "procterm_test.h"

#ifndef NETLINK_ADD_MEMBERSHIP
#define NETLINK_ADD_MEMBERSHIP 1
#endif

#define MAX_RULES_PARAM "/sys/module/procterm/parameters/max_rules"
#define CGROUP_ROOT "/sys/fs/cgroup"

/* What a rule is made of; NULL / false: not in the request. */
struct rargs {
	const char *comm;
	const char *path;
	bool has_uid;
	uint32_t uid;
	const char *parent_comm;
	const char *cgroup;
	bool has_status;
	uint32_t status;
	uint32_t count;
	bool audit;
};

static int rule_add(struct pt_sock *s, const struct rargs *a, uint32_t *id,
		    struct pt_reply *r)
{
	struct pt_msg m;
	int ret;

	pt_msg_init(&m, s, PROCTERM_CMD_RULE_ADD, 0);
	if (a->comm)
		pt_put_str(&m, PROCTERM_A_RULE_COMM, a->comm);
	if (a->path)
		pt_put_str(&m, PROCTERM_A_RULE_PATH, a->path);
	if (a->has_uid)
		pt_put_u32(&m, PROCTERM_A_RULE_UID, a->uid);
	if (a->parent_comm)
		pt_put_str(&m, PROCTERM_A_RULE_PARENT_COMM, a->parent_comm);
	if (a->cgroup)
		pt_put_str(&m, PROCTERM_A_RULE_CGROUP, a->cgroup);
	if (a->has_status)
		pt_put_u32(&m, PROCTERM_A_EXIT_STATUS, a->status);
	if (a->count)
		pt_put_u32(&m, PROCTERM_A_RULE_COUNT, a->count);
	if (a->audit)
		pt_put_u32(&m, PROCTERM_A_RULE_FLAGS, PROCTERM_RULE_F_AUDIT);
	m.want = PT_WANT_ACK | PT_WANT_REPLY;
	ret = pt_request(s, &m, r);
	if (id)
		*id = ret ? 0 : (uint32_t)r->a.u[PROCTERM_A_RULE_ID];
	return ret;
}

static int rule_del(struct pt_sock *s, uint32_t id, struct pt_reply *r)
{
	struct pt_msg m;

	pt_msg_init(&m, s, PROCTERM_CMD_RULE_DEL, 0);
	pt_put_u32(&m, PROCTERM_A_RULE_ID, id);
	return pt_request(s, &m, r);
}

static int rule_flush(struct pt_sock *s)
{
	struct pt_reply r;
	struct pt_msg m;

	pt_msg_init(&m, s, PROCTERM_CMD_RULE_FLUSH, 0);
	m.want = PT_WANT_ACK | PT_WANT_REPLY;
	return pt_request(s, &m, &r);
}

struct rule_row {
	bool found;
	uint64_t fired;
	bool has_left;
	uint32_t left;
	int nrules;
};

/* Dump the table; what it says about rule @id. 0 or the negative errno. */
static int rule_find(struct pt_sock *s, uint32_t id, struct rule_row *row)
{
	static unsigned char buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct pt_attrs a;
	struct pt_msg m;
	int ret;

	memset(row, 0, sizeof(*row));
	pt_msg_init(&m, s, PROCTERM_CMD_RULE_LIST, NLM_F_DUMP);
	ret = pt_send(s, m.buf, m.len);
	if (ret)
		return ret;
	for (;;) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != s->seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error)
					return e->error;
				continue;
			}
			pt_attrs_parse(&a, (unsigned char *)NLMSG_DATA(h) + GENL_HDRLEN,
				       h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
			row->nrules++;
			if (a.u[PROCTERM_A_RULE_ID] != id)
				continue;
			row->found = true;
			row->fired = a.u[PROCTERM_A_RULE_FIRED];
			row->has_left = a.has[PROCTERM_A_RULE_COUNT];
			row->left = a.u[PROCTERM_A_RULE_COUNT];
		}
	}
}

/* How the target is run. */
struct how {
	uid_t uid;			/* 0: as root */
	const char *cgroup;		/* a cgroup directory to move into */
	const char *parent_comm;	/* run from a parent with this comm */
};

static void child_exec(const char *exe, const char *marker)
{
	char *argv[] = { (char *)exe, (char *)marker, NULL };

	execv(exe, argv);
	_exit(127);
}

/*
 * Run @exe with @marker; its wait status in *@status (as its parent saw
 * it). 0, or a negative errno of the set-up.
 */
static int run_target(const char *exe, const char *marker,
		      const struct how *h, int *status)
{
	int pfd[2], ret;
	pid_t pid;

	if (pipe(pfd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		char path[PATH_MAX];

		close(pfd[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (h && h->cgroup) {
			snprintf(path, sizeof(path), "%s/cgroup.procs", h->cgroup);
			if (pt_write_file(path, "0"))
				_exit(120);
		}
		if (h && h->uid && (setresgid(h->uid, h->uid, h->uid) ||
				    setresuid(h->uid, h->uid, h->uid)))
			_exit(121);
		if (h && h->parent_comm) {
			pid_t g;
			int st = -1;

			prctl(PR_SET_NAME, h->parent_comm);
			g = fork();
			if (!g)
				child_exec(exe, marker);
			if (g < 0 || waitpid(g, &st, 0) != g)
				_exit(122);
			pt_write_full(pfd[1], &st, sizeof(st));
			_exit(0);
		}
		child_exec(exe, marker);
	}
	close(pfd[1]);
	ret = pt_wait_timeout(pid, status, PT_DEATH_MS);
	if (!ret && h && h->parent_comm) {
		if (!WIFEXITED(*status) || WEXITSTATUS(*status))
			ret = -EIO;
		else if (pt_read_full(pfd[0], status, sizeof(*status)))
			ret = -EIO;
	}
	close(pfd[0]);
	return ret;
}

static bool exists(const char *path)
{
	return !access(path, F_OK);
}

/* Copy the rule_target next to this program to @dst, mode 0755. */
static int copy_target(const char *dst)
{
	char src[PATH_MAX], buf[65536];
	ssize_t n, len;
	int in, out, ret = 0;
	char *slash;

	len = readlink("/proc/self/exe", src, sizeof(src) - 32);
	if (len < 0)
		return -errno;
	src[len] = '\0';
	slash = strrchr(src, '/');
	strcpy(slash + 1, "rule_target");
	in = open(src, O_RDONLY);
	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (out < 0) {
		ret = -errno;
		close(in);
		return ret;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n) {
			ret = -EIO;
			break;
		}
	if (n < 0)
		ret = -errno;
	close(in);
	if (close(out) && !ret)
		ret = -errno;
	return ret;
}

FIXTURE(rule) {
	struct pt_sock s;
	char dir[64];
	char comm[16];		/* the target's name: unique to this test */
	char exe[128];		/* dir/comm */
	char marker[128];	/* dir/ran */
	char cgroup[128];	/* made by the cgroup test */
	char saved_max[32];	/* max_rules, to restore */
};

FIXTURE_SETUP(rule)
{
	int ret;

	self->s.fd = -1;
	self->cgroup[0] = self->saved_max[0] = '\0';
	PT_OPEN_OR_SKIP(&self->s);
	ret = rule_flush(&self->s);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "the module has no exec rules");
	ASSERT_EQ(0, ret) TH_LOG("flush: %s", pt_errname(ret));
	strcpy(self->dir, "/tmp/pt_rule.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, chmod(self->dir, 0777));
	snprintf(self->comm, sizeof(self->comm), "ptr%d", getpid());
	snprintf(self->exe, sizeof(self->exe), "%s/%s", self->dir, self->comm);
	snprintf(self->marker, sizeof(self->marker), "%s/ran", self->dir);
	ret = copy_target(self->exe);
	ASSERT_EQ(0, ret) TH_LOG("cannot copy rule_target: %s", pt_errname(ret));
}

FIXTURE_TEARDOWN(rule)
{
	char cmd[256];

	if (self->s.fd < 0)
		return;
	rule_flush(&self->s);
	if (self->saved_max[0])
		pt_write_file(MAX_RULES_PARAM, self->saved_max);
	if (self->cgroup[0])
		rmdir(self->cgroup);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->dir);
	pt_close(&self->s);
}

/* Run the target; it must have been killed with @status (-1: SIGKILL). */
#define ASSERT_RULE_KILLS(_how, _status) do {				\
	int __st;							\
	unlink(self->marker);						\
	ASSERT_EQ(0, run_target(self->exe, self->marker, (_how), &__st)); \
	if ((_status) < 0) {						\
		ASSERT_KILLED_BY_SIGKILL(__st);				\
	} else {							\
		ASSERT_EXITED_WITH((_status), __st);			\
	}								\
	ASSERT_FALSE(exists(self->marker))				\
		TH_LOG("the new image ran: %s exists", self->marker);	\
} while (0)

/* Run the target; it must have run and exited 0. */
#define ASSERT_RULE_SPARES(_how) do {					\
	int __st;							\
	unlink(self->marker);						\
	ASSERT_EQ(0, run_target(self->exe, self->marker, (_how), &__st)); \
	ASSERT_EXITED_WITH(0, __st);					\
	ASSERT_TRUE(exists(self->marker));				\
} while (0)

TEST_F(rule, kills_before_first_instruction)
{
	struct rargs a = { .comm = self->comm, .has_status = true, .status = 42 };
	struct rule_row row;
	struct pt_reply r;
	uint32_t id;
	int ret;

	ret = rule_add(&self->s, &a, &id, &r);
	ASSERT_PT_OK(ret, r);
	ASSERT_NE(0U, id);
	ASSERT_RULE_KILLS(NULL, 42);
	ASSERT_EQ(0, rule_find(&self->s, id, &row));
	ASSERT_TRUE(row.found);
	EXPECT_EQ(1U, row.fired);
	EXPECT_FALSE(row.has_left);
	/* Still there, and still firing. */
	ASSERT_RULE_KILLS(NULL, 42);
}

TEST_F(rule, sigkill_without_status)
{
	struct rargs a = { .comm = self->comm };
	struct pt_reply r;

	ASSERT_PT_OK(rule_add(&self->s, &a, NULL, &r), r);
	ASSERT_RULE_KILLS(NULL, -1);
}

TEST_F(rule, non_matching_exec_unharmed)
{
	struct rargs a = { .comm = "pt_none_such", .has_status = true,
			   .status = 3 };
	struct pt_reply r;
	uint32_t id;

	ASSERT_PT_OK(rule_add(&self->s, &a, &id, &r), r);
	ASSERT_RULE_SPARES(NULL);
	/* Deleted, the rule no longer fires. */
	a.comm = self->comm;
	ASSERT_PT_OK(rule_add(&self->s, &a, &id, &r), r);
	ASSERT_RULE_KILLS(NULL, 3);
	ASSERT_PT_OK(rule_del(&self->s, id, &r), r);
	ASSERT_RULE_SPARES(NULL);
}

TEST_F(rule, fires_n_times_then_expires)
{
	struct rargs a = { .comm = self->comm, .has_status = true,
			   .status = 9, .count = 3 };
	struct rule_row row;
	struct pt_reply r;
	uint32_t id;
	int i;

	ASSERT_PT_OK(rule_add(&self->s, &a, &id, &r), r);
	ASSERT_EQ(0, rule_find(&self->s, id, &row));
	ASSERT_TRUE(row.has_left);
	EXPECT_EQ(3U, row.left);
	for (i = 0; i < 3; i++)
		ASSERT_RULE_KILLS(NULL, 9);
	ASSERT_EQ(0, rule_find(&self->s, id, &row));
	EXPECT_FALSE(row.found) TH_LOG("rule %u still listed after 3 firings", id);
	ASSERT_RULE_SPARES(NULL);
	/* Expired is deleted. */
	ASSERT_PT_ERROR(ENOENT, rule_del(&self->s, id, &r), r);
}

/* --count N is exact when execs race: N of 2N concurrent execs die. */
TEST_F(rule, count_exact_under_concurrency)
{
	struct rargs a = { .comm = self->comm, .has_status = true,
			   .status = 5, .count = 4 };
	char marker[8][160];
	int killed = 0, ran = 0, i, st;
	pid_t pids[8];
	struct pt_reply r;
	int *go;

	go = mmap(NULL, sizeof(*go), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, go);
	*go = 0;
	ASSERT_PT_OK(rule_add(&self->s, &a, NULL, &r), r);
	for (i = 0; i < 8; i++) {
		snprintf(marker[i], sizeof(marker[i]), "%s/ran%d", self->dir, i);
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i]) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			while (!__atomic_load_n(go, __ATOMIC_SEQ_CST))
				;
			child_exec(self->exe, marker[i]);
		}
	}
	__atomic_store_n(go, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < 8; i++) {
		ASSERT_DIES(pids[i], st);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 5 && !exists(marker[i]))
			killed++;
		else if (WIFEXITED(st) && !WEXITSTATUS(st) && exists(marker[i]))
			ran++;
		else
			TH_LOG("exec %d: wait status 0x%x", i, st);
	}
	EXPECT_EQ(4, killed);
	EXPECT_EQ(4, ran);
	munmap(go, sizeof(*go));
}

TEST_F(rule, audit_kills_nothing)
{
	struct rargs a = { .comm = self->comm, .audit = true };
	struct rule_row row;
	struct pt_reply r;
	uint32_t id;

	ASSERT_PT_OK(rule_add(&self->s, &a, &id, &r), r);
	ASSERT_RULE_SPARES(NULL);
	ASSERT_RULE_SPARES(NULL);
	ASSERT_EQ(0, rule_find(&self->s, id, &row));
	ASSERT_TRUE(row.found);
	EXPECT_EQ(2U, row.fired);
	/* An audit rule before a kill rule does not shield the exec. */
	a.audit = false;
	a.has_status = true;
	a.status = 11;
	ASSERT_PT_OK(rule_add(&self->s, &a, NULL, &r), r);
	ASSERT_RULE_KILLS(NULL, 11);
	ASSERT_EQ(0, rule_find(&self->s, id, &row));
	EXPECT_EQ(3U, row.fired);
}

TEST_F(rule, comm_condition)
{
	struct rargs a = { .comm = self->comm, .has_status = true, .status = 1 };
	char other[16];
	struct pt_reply r;

	/* The same program under another name is another comm. */
	snprintf(other, sizeof(other), "q%.14s", self->comm + 1);
	a.comm = other;
	ASSERT_PT_OK(rule_add(&self->s, &a, NULL, &r), r);
	ASSERT_RULE_SPARES(NULL);
	a.comm = self->comm;
	ASSERT_PT_OK(rule_add(&self->s, &a, NULL, &r), r);
	ASSERT_RULE_KILLS(NULL, 1);
}

TEST_F(rule, path_condition_through_a_symlink)
{
	char real[PATH_MAX], link[192], copy[192];
	struct rargs a = { .has_status = true, .status = 17 };
	struct pt_reply r;
	int st;

	ASSERT_NE(NULL, realpath(self->exe, real));
	snprintf(link, sizeof(link), "%s/via-link", self->dir);
	ASSERT_EQ(0, symlink(self->exe, link));
	snprintf(copy, sizeof(copy), "%s/other", self->dir);
	ASSERT_EQ(0, copy_target(copy));

	/* A rule on another file does not match. */
	a.path = copy;
	ASSERT_PT_OK(rule_add(&self->s, &a, NULL, &r), r);
	unlink(self->marker);
	ASSERT_EQ(0, run_target(link, self->marker, NULL, &st));
	ASSERT_EXITED_WITH(0, st);
	ASSERT_TRUE(exists(self->marker));

	/* The resolved path matches an exec through the symlink. */
	a.path = real;
	ASSERT_PT_OK(rule_add(&self->s, &a, NULL, &r), r);
	unlink(self->marker);
	ASSERT_EQ(0, run_target(link, self->marker, NULL, &st));
	ASSERT_EXITED_WITH(17, st);
	ASSERT_FALSE(exists(self->marker));
	/* The other file still runs. */
	ASSERT_EQ(0, rule_flush(&self->s));
	a.path = real;
	a.comm = "pt_none_such";	/* ANDed: comm must match too */
	ASSERT_PT_OK(rule_add(&self->s, &a, NULL, &r), r);
	ASSERT_RULE_SPARES(NULL);
}

TEST_F(rule, uid_condition)
{
	struct rargs a = { .comm = self->comm, .has_uid = true, .uid = 65534,
			   .has_status = true, .status = 21 };
	struct how nobody = { .uid = 65534 };
	struct pt_reply r;

	ASSERT_PT_OK(rule_add(&self->s, &a, NULL, &r), r);
	ASSERT_RULE_SPARES(NULL);
	ASSERT_RULE_KILLS(&nobody, 21);
}

TEST_F(rule, parent_comm_condition)
{
	struct rargs a = { .has_status = true, .status = 23 };
	char pcomm[16], other[16];
	struct how h = { .parent_comm = pcomm };
	struct how o = { .parent_comm = other };
	struct pt_reply r;

	snprintf(pcomm, sizeof(pcomm), "ptp%d", getpid());
	snprintf(other, sizeof(other), "ptq%d", getpid());
	a.parent_comm = pcomm;
	ASSERT_PT_OK(rule_add(&self->s, &a, NULL, &r), r);
	ASSERT_RULE_SPARES(&o);
	ASSERT_RULE_SPARES(NULL);
	ASSERT_RULE_KILLS(&h, 23);
}

TEST_F(rule, cgroup_condition)
{
	struct rargs a = { .comm = self->comm, .has_status = true, .status = 29 };
	char rel[64], sub[192];
	struct how h = { .cgroup = self->cgroup };
	struct how hs = { .cgroup = sub };
	struct pt_reply r;

	if (access(CGROUP_ROOT "/cgroup.procs", W_OK))
		SKIP(return, "no cgroup v2 hierarchy at " CGROUP_ROOT);
	snprintf(rel, sizeof(rel), "/pt_rule_%d", getpid());
	snprintf(self->cgroup, sizeof(self->cgroup), CGROUP_ROOT "%s", rel);
	ASSERT_EQ(0, mkdir(self->cgroup, 0755));
	snprintf(sub, sizeof(sub), "%s/sub", self->cgroup);
	ASSERT_EQ(0, mkdir(sub, 0755));

	a.cgroup = rel;
	ASSERT_PT_OK(rule_add(&self->s, &a, NULL, &r), r);
	ASSERT_RULE_SPARES(NULL);
	ASSERT_RULE_KILLS(&h, 29);
	/* Below it too. */
	ASSERT_RULE_KILLS(&hs, 29);
	rmdir(sub);
}

/* ------------------------------------------------------ requests */

struct perm_res {
	int add, list, flush, del;
	int stage;
	char msg[PT_EXTACK_LEN];
};

static int unpriv_body(int ready_fd, void *arg)
{
	struct rargs a = { .comm = "pt_none_such" };
	struct perm_res res = { 0 };
	struct rule_row row;
	struct pt_reply r;
	struct pt_sock s;

	res.add = pt_become(&s, false, NULL, 65534, *(uint64_t *)arg,
			    &res.stage);
	if (!res.add) {
		res.add = rule_add(&s, &a, NULL, &r);
		memcpy(res.msg, r.msg, sizeof(res.msg));
		res.list = rule_find(&s, 1, &row);
		res.flush = rule_flush(&s);
		res.del = rule_del(&s, 1, &r);
		pt_close(&s);
	}
	pt_ready_data(ready_fd, &res, sizeof(res));
	return 0;
}

TEST_F(rule, eperm_without_cap_sys_admin)
{
	uint64_t caps = 1ULL << CAP_NET_ADMIN | 1ULL << CAP_KILL;
	struct perm_res res;
	int status;

	ASSERT_EQ(0, pt_run_child(unpriv_body, &caps, &res, sizeof(res), &status));
	ASSERT_EQ(0, res.stage);
	EXPECT_EQ(-EPERM, res.add) TH_LOG("add: %s", pt_errname(res.add));
	EXPECT_NE('\0', res.msg[0]) TH_LOG("EPERM without an extended ack");
	EXPECT_EQ(-EPERM, res.list) TH_LOG("list: %s", pt_errname(res.list));
	EXPECT_EQ(-EPERM, res.flush) TH_LOG("flush: %s", pt_errname(res.flush));
	EXPECT_EQ(-EPERM, res.del) TH_LOG("del: %s", pt_errname(res.del));
	/* And nothing was added. */
	{
		struct rule_row row;

		ASSERT_EQ(0, rule_find(&self->s, 0, &row));
		EXPECT_EQ(0, row.nrules);
	}
}

TEST_F(rule, table_full_enospc)
{
	struct rargs a = { .comm = "pt_none_such" };
	struct pt_reply r;
	int n;

	n = pt_read_file(MAX_RULES_PARAM, self->saved_max, sizeof(self->saved_max));
	ASSERT_LT(0, n);
	ASSERT_EQ(0, pt_write_file(MAX_RULES_PARAM, "2"));
	ASSERT_PT_OK(rule_add(&self->s, &a, NULL, &r), r);
	ASSERT_PT_OK(rule_add(&self->s, &a, NULL, &r), r);
	ASSERT_PT_ERROR(ENOSPC, rule_add(&self->s, &a, NULL, &r), r);
	EXPECT_NE(NULL, strstr(r.msg, "max_rules")) TH_LOG("extack: %s", r.msg);
	ASSERT_EQ(0, rule_flush(&self->s));
	ASSERT_PT_OK(rule_add(&self->s, &a, NULL, &r), r);
}

TEST_F(rule, policy_errors)
{
	char long_comm[] = "sixteen-bytes-xx";
	struct rargs a;
	struct pt_reply r;
	struct pt_msg m;

	/* No condition at all. */
	a = (struct rargs){ .has_status = true, .status = 1 };
	ASSERT_PT_ERROR(EINVAL, rule_add(&self->s, &a, NULL, &r), r);
	/* An attribute RULE_ADD does not take. */
	pt_msg_init(&m, &self->s, PROCTERM_CMD_RULE_ADD, 0);
	pt_put_str(&m, PROCTERM_A_RULE_COMM, "x");
	pt_put_u32(&m, PROCTERM_A_PID, 1);
	ASSERT_PT_ERROR(EINVAL, pt_request(&self->s, &m, &r), r);
	/* A comm longer than 15 bytes. */
	a = (struct rargs){ .comm = long_comm };
	ASSERT_PT_ERROR(EINVAL, rule_add(&self->s, &a, NULL, &r), r);
	/* An empty one. */
	a = (struct rargs){ .comm = "" };
	ASSERT_PT_ERROR(EINVAL, rule_add(&self->s, &a, NULL, &r), r);
	/* A count of 0: out of the policy's range. */
	pt_msg_init(&m, &self->s, PROCTERM_CMD_RULE_ADD, 0);
	pt_put_str(&m, PROCTERM_A_RULE_COMM, "x");
	pt_put_u32(&m, PROCTERM_A_RULE_COUNT, 0);
	ASSERT_PT_ERROR(ERANGE, pt_request(&self->s, &m, &r), r);
	/* Unknown rule flags. */
	pt_msg_init(&m, &self->s, PROCTERM_CMD_RULE_ADD, 0);
	pt_put_str(&m, PROCTERM_A_RULE_COMM, "x");
	pt_put_u32(&m, PROCTERM_A_RULE_FLAGS, 2);
	ASSERT_PT_ERROR(EINVAL, pt_request(&self->s, &m, &r), r);
	/* An audit rule with a status. */
	a = (struct rargs){ .comm = "x", .audit = true, .has_status = true };
	ASSERT_PT_ERROR(EINVAL, rule_add(&self->s, &a, NULL, &r), r);
	/* A relative path, a relative cgroup. */
	a = (struct rargs){ .path = "bin/sh" };
	ASSERT_PT_ERROR(EINVAL, rule_add(&self->s, &a, NULL, &r), r);
	a = (struct rargs){ .cgroup = "user.slice" };
	ASSERT_PT_ERROR(EINVAL, rule_add(&self->s, &a, NULL, &r), r);
	/* A cgroup that does not exist. */
	a = (struct rargs){ .cgroup = "/pt_no_such_cgroup" };
	ASSERT_PT_ERROR(ENOENT, rule_add(&self->s, &a, NULL, &r), r);
	/* The invalid uid. */
	a = (struct rargs){ .has_uid = true, .uid = (uint32_t)-1 };
	ASSERT_PT_ERROR(EINVAL, rule_add(&self->s, &a, NULL, &r), r);
	/* Deleting: no id, id 0, an unknown id. */
	pt_msg_init(&m, &self->s, PROCTERM_CMD_RULE_DEL, 0);
	ASSERT_PT_ERROR(EINVAL, pt_request(&self->s, &m, &r), r);
	EXPECT_TRUE(r.has_miss_type);
	EXPECT_EQ((uint32_t)PROCTERM_A_RULE_ID, r.miss_type);
	ASSERT_PT_ERROR(ERANGE, rule_del(&self->s, 0, &r), r);
	ASSERT_PT_ERROR(ENOENT, rule_del(&self->s, 0x7fffffff, &r), r);
	/* FLUSH takes nothing. */
	pt_msg_init(&m, &self->s, PROCTERM_CMD_RULE_FLUSH, 0);
	pt_put_u32(&m, PROCTERM_A_RULE_ID, 1);
	ASSERT_PT_ERROR(EINVAL, pt_request(&self->s, &m, &r), r);
	/* Nothing refused was added. */
	{
		struct rule_row row;

		ASSERT_EQ(0, rule_find(&self->s, 0, &row));
		EXPECT_EQ(0, row.nrules);
	}
}

/* ------------------------------------------------------ events */

/* The events group's id: the family's CTRL_ATTR_MCAST_GROUPS. */
static int events_group(struct pt_sock *s, uint32_t *group)
{
	static unsigned char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nlh;
	struct pt_msg m;
	ssize_t n;
	int ret;

	pt_msg_init_type(&m, s, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	pt_put_str(&m, CTRL_ATTR_FAMILY_NAME, PROCTERM_GENL_NAME);
	ret = pt_send(s, m.buf, m.len);
	if (ret)
		return ret;
	n = recv(s->fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	nlh = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(nlh, n) || nlh->nlmsg_type != GENL_ID_CTRL)
		return -ENOENT;
	{
		unsigned char *p = (unsigned char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
		unsigned char *end = (unsigned char *)nlh + nlh->nlmsg_len;
		unsigned char *i;

		/* Brute force: an id attribute right before our name. */
		for (i = p; i + 8 + sizeof(PROCTERM_MCGRP_EVENTS) <= end; i += 4) {
			struct nlattr *id = (struct nlattr *)i;
			struct nlattr *name = (struct nlattr *)(i + 8);

			if (id->nla_type == CTRL_ATTR_MCAST_GRP_ID &&
			    id->nla_len == 8 &&
			    name->nla_type == CTRL_ATTR_MCAST_GRP_NAME &&
			    !strcmp((char *)name + NLA_HDRLEN, PROCTERM_MCGRP_EVENTS)) {
				memcpy(group, i + NLA_HDRLEN, 4);
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* The next event within @ms: 0 and its attributes, or -ETIMEDOUT. */
static int next_event(int fd, struct pt_attrs *a, int ms)
{
	static unsigned char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	int64_t deadline = pt_now_ms() + ms;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - pt_now_ms();
		struct nlmsghdr *h;
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			continue;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN) ||
			    ((struct genlmsghdr *)NLMSG_DATA(h))->cmd !=
			    PROCTERM_CMD_EVENT)
				continue;
			pt_attrs_parse(a, (char *)NLMSG_DATA(h) + GENL_HDRLEN,
				       h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
			return 0;
		}
	}
}

TEST_F(rule, events_carry_the_rule_id)
{
	struct rargs a = { .comm = self->comm, .has_status = true, .status = 7 };
	struct pt_sock l;
	struct pt_attrs ev;
	struct pt_reply r;
	uint32_t group, id, aid;
	int ret;

	ret = pt_open(&l);
	ASSERT_EQ(0, ret);
	ret = events_group(&l, &group);
	if (ret == -ENOENT) {
		pt_close(&l);
		SKIP(return, "no events group on this kernel");
	}
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, setsockopt(l.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				&group, sizeof(group)));

	ASSERT_PT_OK(rule_add(&self->s, &a, &id, &r), r);
	ASSERT_RULE_KILLS(NULL, 7);
	ASSERT_EQ(0, next_event(l.fd, &ev, 3 * PT_DEATH_MS));
	EXPECT_EQ((uint64_t)PROCTERM_EVENT_MODE_RULE, ev.u[PROCTERM_A_EVENT_MODE]);
	EXPECT_TRUE(ev.has[PROCTERM_A_RULE_ID]);
	EXPECT_EQ((uint64_t)id, ev.u[PROCTERM_A_RULE_ID]);
	EXPECT_FALSE(ev.has[PROCTERM_A_REQUEST_ID]);
	EXPECT_EQ((uint64_t)PROCTERM_STAGE_KILL, ev.u[PROCTERM_A_STAGE]);
	EXPECT_EQ((uint64_t)(7 << 8), ev.u[PROCTERM_A_WAIT_STATUS]);
	EXPECT_EQ(0, strcmp((char *)ev.data[PROCTERM_A_COMM], self->comm));

	/* An audit firing: at once, stage NONE, no wait status. */
	ASSERT_EQ(0, rule_flush(&self->s));
	a = (struct rargs){ .comm = self->comm, .audit = true };
	ASSERT_PT_OK(rule_add(&self->s, &a, &aid, &r), r);
	ASSERT_RULE_SPARES(NULL);
	ASSERT_EQ(0, next_event(l.fd, &ev, 3 * PT_DEATH_MS));
	EXPECT_EQ((uint64_t)PROCTERM_EVENT_MODE_RULE, ev.u[PROCTERM_A_EVENT_MODE]);
	EXPECT_EQ((uint64_t)aid, ev.u[PROCTERM_A_RULE_ID]);
	EXPECT_EQ((uint64_t)PROCTERM_STAGE_NONE, ev.u[PROCTERM_A_STAGE]);
	EXPECT_FALSE(ev.has[PROCTERM_A_WAIT_STATUS]);
	pt_close(&l);
}

PT_HARNESS_MAIN
