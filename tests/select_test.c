// SPDX-License-Identifier: GPL-2.0
/*
 * PROCTERM_CMD_KILL by selectors (PROCTERM_A_SELECT): each selector kills
 * all and only its matches (the parent's waitpid() sees it), the picks
 * choose exactly one, a dry run lists exactly what the real run then
 * kills and kills nothing, the caller and its ancestors are never hit even
 * when their comm matches (and the protected count says so), nor is PID 1;
 * --strict is all or nothing for an unprivileged caller; more candidates
 * than max_select is E2BIG; bad requests get their errno and an extack.
 *
 * Every request names processes by a comm unique to this run (set with
 * PR_SET_NAME in the children), so that nothing else in the guest is hit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "procterm_test.h"

#define NKIDS		6
#define MAX_PROCS	64
#define CGROUP_ROOT	"/sys/fs/cgroup"
#define PARAM		"/sys/module/procterm/parameters/max_select"

struct sel_args {
	const char *name;
	const char *prefix;
	bool has_uid;
	uint32_t uid;
	bool has_rss;
	uint64_t rss_above;
	bool has_age;
	uint64_t older_than_ns;
	const char *cgroup;
	bool has_pick;
	uint32_t pick;
	uint32_t flags;
	bool has_status;
	uint32_t status;
	pid_t pid;		/* also a PROCTERM_A_PID (a bad request) */
};

struct sel_proc {
	uint32_t pid;
	uint64_t start;
	char comm[16];
	uint32_t uid;
	uint64_t rss;
	bool denied;
};

struct sel_reply {
	int err;		/* positive errno from the ack */
	char msg[PT_EXTACK_LEN];
	bool replied;
	uint32_t count, matched, protected, denied;
	int nproc;
	struct sel_proc proc[MAX_PROCS];
};

static void parse_proc(struct sel_proc *p, const unsigned char *d, size_t len)
{
	const struct nlattr *a;
	size_t step;

	memset(p, 0, sizeof(*p));
	for (; len >= NLA_HDRLEN; d += step, len -= step) {
		a = (const void *)d;
		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			break;
		step = NLA_ALIGN((size_t)a->nla_len) < len ? NLA_ALIGN((size_t)a->nla_len) : len;
		const void *v = (const char *)a + NLA_HDRLEN;
		size_t l = a->nla_len - NLA_HDRLEN;

		switch (a->nla_type & NLA_TYPE_MASK) {
		case PROCTERM_A_PID:
			memcpy(&p->pid, v, 4);
			break;
		case PROCTERM_A_START_TIME:
			memcpy(&p->start, v, 8);
			break;
		case PROCTERM_A_UID:
			memcpy(&p->uid, v, 4);
			break;
		case PROCTERM_A_RSS:
			memcpy(&p->rss, v, 8);
			break;
		case PROCTERM_A_DENIED:
			p->denied = true;
			break;
		case PROCTERM_A_COMM:
			memcpy(p->comm, v, l < 15 ? l : 15);
			break;
		}
	}
}

static void parse_reply(struct sel_reply *r, const unsigned char *d, size_t len)
{
	const struct nlattr *a;
	size_t step;

	r->replied = true;
	for (; len >= NLA_HDRLEN; d += step, len -= step) {
		a = (const void *)d;
		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			break;
		step = NLA_ALIGN((size_t)a->nla_len) < len ? NLA_ALIGN((size_t)a->nla_len) : len;
		const unsigned char *v = (const unsigned char *)a + NLA_HDRLEN;
		size_t l = a->nla_len - NLA_HDRLEN;

		switch (a->nla_type & NLA_TYPE_MASK) {
		case PROCTERM_A_COUNT:
			memcpy(&r->count, v, 4);
			break;
		case PROCTERM_A_MATCHED:
			memcpy(&r->matched, v, 4);
			break;
		case PROCTERM_A_SKIPPED_PROTECTED:
			memcpy(&r->protected, v, 4);
			break;
		case PROCTERM_A_DENIED:
			memcpy(&r->denied, v, 4);
			break;
		case PROCTERM_A_PROC:
			if (r->nproc < MAX_PROCS)
				parse_proc(&r->proc[r->nproc], v, l);
			r->nproc++;
			break;
		}
	}
}

/* Send a kill by selectors and read its reply and ack (1 MiB at most). */
static int sel_kill(struct pt_sock *s, const struct sel_args *a,
		    struct sel_reply *r)
{
	static unsigned char buf[1 << 20] __attribute__((aligned(NLMSG_ALIGNTO)));
	int size = 4 << 20;
	struct pt_msg m;
	size_t start;
	uint32_t seq;
	int ret;

	memset(r, 0, sizeof(*r));
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	pt_msg_init(&m, s, PROCTERM_CMD_KILL, 0);
	if (a->pid)
		pt_put_u32(&m, PROCTERM_A_PID, a->pid);
	start = NLMSG_ALIGN(m.len);
	pt_put(&m, PROCTERM_A_SELECT | NLA_F_NESTED, NULL, 0);
	if (a->name)
		pt_put_str(&m, PROCTERM_SEL_NAME, a->name);
	if (a->prefix)
		pt_put_str(&m, PROCTERM_SEL_NAME_PREFIX, a->prefix);
	if (a->has_uid)
		pt_put_u32(&m, PROCTERM_SEL_UID, a->uid);
	if (a->has_rss)
		pt_put_u64(&m, PROCTERM_SEL_RSS_ABOVE, a->rss_above);
	if (a->has_age)
		pt_put_u64(&m, PROCTERM_SEL_OLDER_THAN_NS, a->older_than_ns);
	if (a->cgroup)
		pt_put_str(&m, PROCTERM_SEL_CGROUP, a->cgroup);
	if (a->has_pick)
		pt_put_u32(&m, PROCTERM_SEL_PICK, a->pick);
	((struct nlattr *)(m.buf + start))->nla_len = (uint16_t)(m.len - start);
	if (a->flags)
		pt_put_u32(&m, PROCTERM_A_FLAGS, a->flags);
	if (a->has_status)
		pt_put_u32(&m, PROCTERM_A_EXIT_STATUS, a->status);
	seq = pt_nlh(&m)->nlmsg_seq;
	ret = pt_send(s, m.buf, m.len);
	if (ret)
		return ret;

	for (;;) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		ret = poll(&pfd, 1, 60000);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			return ret ? -errno : -ETIMEDOUT;
		n = recv(s->fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		len = (int)n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				r->err = -e->error;
				pt_ack_msg(nlh, pt_err_tlv_offset(nlh), r->msg);
				return -r->err;
			}
			if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
				continue;
			parse_reply(r, (unsigned char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
				    nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
		}
	}
}

/* The reply lists @pid (with its start time from /proc, read before). */
static bool listed(const struct sel_reply *r, pid_t pid, bool denied)
{
	int i;

	for (i = 0; i < r->nproc && i < MAX_PROCS; i++)
		if (r->proc[i].pid == (uint32_t)pid && r->proc[i].denied == denied)
			return true;
	return false;
}

static int n_listed(const struct sel_reply *r, bool denied)
{
	int i, n = 0;

	for (i = 0; i < r->nproc && i < MAX_PROCS; i++)
		n += r->proc[i].denied == denied;
	return n;
}

/* What a child is: its comm, uid, memory touched; set before it is ready. */
struct kid {
	const char *comm;
	uid_t uid;		/* 0: stays root */
	size_t mib;		/* anonymous memory touched */
};

static int kid_body(int ready_fd, void *arg)
{
	const struct kid *k = arg;
	char *p;

	if (prctl(PR_SET_NAME, k->comm))
		return 10;
	if (k->mib) {
		p = mmap(NULL, k->mib << 20, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 11;
		memset(p, 0x5a, k->mib << 20);
	}
	if (k->uid && pt_set_uids(k->uid, k->uid, k->uid))
		return 12;
	pt_ready(ready_fd);
	pt_block_forever();
}

FIXTURE(sel) {
	struct pt_sock nl;
	pid_t kid[NKIDS];
	char comm[16];		/* unique to this test */
	char other[24];		/* comm + "x": a prefix match, not an exact one */
	char cgroup[128];
	char saved_max[32];
};

FIXTURE_SETUP(sel)
{
	static int serial;

	memset(self, 0, sizeof(*self));
	self->nl.fd = -1;
	PT_OPEN_OR_SKIP(&self->nl);
	snprintf(self->comm, sizeof(self->comm), "ptsel%d.%d", getpid() % 10000,
		 serial++ % 100);
	snprintf(self->other, sizeof(self->other), "%sx", self->comm);
}

FIXTURE_TEARDOWN(sel)
{
	int i;

	for (i = 0; i < NKIDS; i++)
		pt_reap(&self->kid[i]);
	if (self->saved_max[0])
		pt_write_file(PARAM, self->saved_max);
	if (self->cgroup[0])
		rmdir(self->cgroup);
	pt_close(&self->nl);
}

static pid_t spawn_kid(const char *comm, uid_t uid, size_t mib)
{
	struct kid k = { .comm = comm, .uid = uid, .mib = mib };

	return pt_spawn(kid_body, &k, NULL, 1);
}

/* --name: all and only the exact matches die, of SIGKILL. */
TEST_F(sel, name_kills_all_and_only_matches)
{
	struct sel_args a = { .name = self->comm };
	struct sel_reply r;
	int i, ret, status;

	for (i = 0; i < 3; i++) {
		self->kid[i] = spawn_kid(self->comm, 0, 0);
		ASSERT_LT(0, self->kid[i]);
	}
	self->kid[3] = spawn_kid(self->other, 0, 0);
	self->kid[4] = spawn_kid("ptsel-unrelated", 0, 0);
	ASSERT_LT(0, self->kid[3]);
	ASSERT_LT(0, self->kid[4]);

	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_EQ(0, ret) TH_LOG("%s (extack \"%s\")", pt_errname(ret), r.msg);
	ASSERT_TRUE(r.replied);
	EXPECT_EQ(3U, r.count);
	EXPECT_EQ(3U, r.matched);
	EXPECT_EQ(0U, r.denied);
	ASSERT_EQ(3, r.nproc);
	for (i = 0; i < 3; i++) {
		struct pt_stat st;

		ASSERT_EQ(0, pt_read_stat(self->kid[i], &st));
		EXPECT_TRUE(listed(&r, self->kid[i], false));
		ASSERT_DIES(self->kid[i], status);
		self->kid[i] = 0;
		ASSERT_KILLED_BY_SIGKILL(status);
	}
	for (i = 0; i < 3; i++) {
		EXPECT_STREQ(self->comm, r.proc[i].comm);
		EXPECT_EQ(0U, r.proc[i].uid);
		EXPECT_LT(0ULL, r.proc[i].rss);
	}
	EXPECT_TRUE(pt_pid_alive(self->kid[3])) TH_LOG("a longer comm was hit by an exact name");
	EXPECT_TRUE(pt_pid_alive(self->kid[4]));

	/* A prefix takes the longer name too. */
	a = (struct sel_args){ .prefix = self->comm, .has_status = true, .status = 7 };
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_EQ(0, ret) TH_LOG("%s (extack \"%s\")", pt_errname(ret), r.msg);
	EXPECT_EQ(1U, r.count);
	ASSERT_DIES(self->kid[3], status);
	self->kid[3] = 0;
	ASSERT_EXITED_WITH(7, status);
	EXPECT_TRUE(pt_pid_alive(self->kid[4]));

	/* Nothing left: no error, nothing killed. */
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_EQ(0, ret) TH_LOG("%s (extack \"%s\")", pt_errname(ret), r.msg);
	EXPECT_EQ(0U, r.count);
	EXPECT_EQ(0, r.nproc);
}

/* --uid (effective) with a name: only the children of that uid. */
TEST_F(sel, uid_match)
{
	struct sel_args a = { .name = self->comm, .has_uid = true,
			      .uid = PT_UNPRIV_UID };
	struct sel_reply r;
	int i, ret, status;

	for (i = 0; i < 4; i++) {
		self->kid[i] = spawn_kid(self->comm, i % 2 ? PT_UNPRIV_UID : 0, 0);
		ASSERT_LT(0, self->kid[i]);
	}
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_EQ(0, ret) TH_LOG("%s (extack \"%s\")", pt_errname(ret), r.msg);
	EXPECT_EQ(2U, r.count);
	for (i = 1; i < 4; i += 2) {
		EXPECT_TRUE(listed(&r, self->kid[i], false));
		ASSERT_DIES(self->kid[i], status);
		self->kid[i] = 0;
		ASSERT_KILLED_BY_SIGKILL(status);
	}
	EXPECT_TRUE(pt_pid_alive(self->kid[0]));
	EXPECT_TRUE(pt_pid_alive(self->kid[2]));
	for (i = 0; i < r.nproc && i < MAX_PROCS; i++)
		EXPECT_EQ((uint32_t)PT_UNPRIV_UID, r.proc[i].uid);
}

static void pick_one(struct __test_metadata *_metadata, FIXTURE_DATA(sel) *self,
		     uint32_t pick, int want, const size_t *mib, int n)
{
	struct sel_args a = { .name = self->comm, .has_pick = true, .pick = pick };
	struct sel_reply r;
	int i, ret, status;

	for (i = 0; i < n; i++) {
		self->kid[i] = spawn_kid(self->comm, 0, mib ? mib[i] : 0);
		ASSERT_LT(0, self->kid[i]);
		/* Distinct start times, even at a coarse clock. */
		pt_sleep_ms(20);
	}
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_EQ(0, ret) TH_LOG("%s (extack \"%s\")", pt_errname(ret), r.msg);
	ASSERT_EQ(1U, r.count);
	ASSERT_EQ(1, r.nproc);
	EXPECT_EQ((uint32_t)self->kid[want], r.proc[0].pid)
		TH_LOG("picked PID %u, expected %d", r.proc[0].pid, self->kid[want]);
	ASSERT_DIES(self->kid[want], status);
	self->kid[want] = 0;
	for (i = 0; i < n; i++)
		if (i != want)
			EXPECT_TRUE(pt_pid_alive(self->kid[i])) TH_LOG("kid %d died too", i);
}

TEST_F(sel, pick_oldest)
{
	pick_one(_metadata, self, PROCTERM_PICK_OLDEST, 0, NULL, 3);
}

TEST_F(sel, pick_newest)
{
	pick_one(_metadata, self, PROCTERM_PICK_NEWEST, 2, NULL, 3);
}

TEST_F(sel, pick_largest)
{
	static const size_t mib[] = { 8, 48, 24 };

	pick_one(_metadata, self, PROCTERM_PICK_LARGEST, 1, mib, 3);
}

/* --rss-above: only the child above the size. */
TEST_F(sel, rss_above)
{
	struct sel_args a = { .name = self->comm, .has_rss = true,
			      .rss_above = 32ULL << 20 };
	struct sel_reply r;
	int ret, status;

	self->kid[0] = spawn_kid(self->comm, 0, 1);
	self->kid[1] = spawn_kid(self->comm, 0, 64);
	ASSERT_LT(0, self->kid[0]);
	ASSERT_LT(0, self->kid[1]);
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_EQ(0, ret) TH_LOG("%s (extack \"%s\")", pt_errname(ret), r.msg);
	ASSERT_EQ(1U, r.count);
	EXPECT_TRUE(listed(&r, self->kid[1], false));
	EXPECT_LT(32ULL << 20, r.proc[0].rss);
	ASSERT_DIES(self->kid[1], status);
	self->kid[1] = 0;
	EXPECT_TRUE(pt_pid_alive(self->kid[0]));
}

/* --older-than: the child started 3 s before, not the one just started. */
TEST_F(sel, older_than)
{
	struct sel_args a = { .name = self->comm, .has_age = true,
			      .older_than_ns = 1500000000ULL };
	struct sel_reply r;
	int ret, status;

	self->kid[0] = spawn_kid(self->comm, 0, 0);
	ASSERT_LT(0, self->kid[0]);
	pt_sleep_ms(3000);
	self->kid[1] = spawn_kid(self->comm, 0, 0);
	ASSERT_LT(0, self->kid[1]);
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_EQ(0, ret) TH_LOG("%s (extack \"%s\")", pt_errname(ret), r.msg);
	ASSERT_EQ(1U, r.count);
	EXPECT_TRUE(listed(&r, self->kid[0], false));
	ASSERT_DIES(self->kid[0], status);
	self->kid[0] = 0;
	EXPECT_TRUE(pt_pid_alive(self->kid[1]));
}

/* --cgroup: a child moved into a new cgroup (or below it) only. */
TEST_F(sel, cgroup)
{
	struct sel_args a = { .name = self->comm };
	char rel[64], path[192], sub[160], num[16];
	struct sel_reply r;
	int ret, status;

	if (access(CGROUP_ROOT "/cgroup.procs", W_OK))
		SKIP(return, "no cgroup v2 hierarchy at " CGROUP_ROOT);
	snprintf(rel, sizeof(rel), "/ptsel%d", getpid());
	snprintf(self->cgroup, sizeof(self->cgroup), CGROUP_ROOT "%s", rel);
	ASSERT_EQ(0, mkdir(self->cgroup, 0755));
	snprintf(sub, sizeof(sub), "%s/sub", self->cgroup);
	ASSERT_EQ(0, mkdir(sub, 0755));

	self->kid[0] = spawn_kid(self->comm, 0, 0);
	self->kid[1] = spawn_kid(self->comm, 0, 0);
	self->kid[2] = spawn_kid(self->comm, 0, 0);
	ASSERT_LT(0, self->kid[0]);
	ASSERT_LT(0, self->kid[1]);
	ASSERT_LT(0, self->kid[2]);
	snprintf(num, sizeof(num), "%d", self->kid[0]);
	snprintf(path, sizeof(path), "%s/cgroup.procs", self->cgroup);
	ASSERT_EQ(0, pt_write_file(path, num));
	snprintf(num, sizeof(num), "%d", self->kid[1]);
	snprintf(path, sizeof(path), "%s/cgroup.procs", sub);
	ASSERT_EQ(0, pt_write_file(path, num));

	a.cgroup = rel;
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_EQ(0, ret) TH_LOG("%s (extack \"%s\")", pt_errname(ret), r.msg);
	EXPECT_EQ(2U, r.count);
	ASSERT_DIES(self->kid[0], status);
	self->kid[0] = 0;
	ASSERT_DIES(self->kid[1], status);
	self->kid[1] = 0;
	EXPECT_TRUE(pt_pid_alive(self->kid[2])) TH_LOG("a process outside the cgroup died");
	rmdir(sub);

	a.cgroup = "/pt_no_such_cgroup";
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_EQ(-ENOENT, ret) TH_LOG("%s", pt_errname(ret));
	EXPECT_NE('\0', r.msg[0]);
	EXPECT_TRUE(pt_pid_alive(self->kid[2]));
}

/* A dry run lists exactly what the real run then kills, and kills nothing. */
TEST_F(sel, dry_run_lists_what_the_real_run_kills)
{
	struct sel_args a = { .prefix = self->comm, .flags = PROCTERM_F_DRY_RUN };
	struct sel_reply dry, real;
	int i, j, ret, status;

	for (i = 0; i < 4; i++) {
		self->kid[i] = spawn_kid(i == 3 ? self->other : self->comm, 0,
					 i == 2 ? 8 : 0);
		ASSERT_LT(0, self->kid[i]);
	}
	ret = sel_kill(&self->nl, &a, &dry);
	ASSERT_EQ(0, ret) TH_LOG("%s (extack \"%s\")", pt_errname(ret), dry.msg);
	EXPECT_EQ(0U, dry.count);
	EXPECT_EQ(4U, dry.matched);
	ASSERT_EQ(4, dry.nproc);
	EXPECT_EQ(4, n_listed(&dry, false));
	pt_sleep_ms(200);
	for (i = 0; i < 4; i++) {
		EXPECT_TRUE(pt_pid_alive(self->kid[i])) TH_LOG("the dry run killed kid %d", i);
		EXPECT_FALSE(pt_child_exited(self->kid[i]));
	}

	a.flags = 0;
	ret = sel_kill(&self->nl, &a, &real);
	ASSERT_EQ(0, ret) TH_LOG("%s (extack \"%s\")", pt_errname(ret), real.msg);
	EXPECT_EQ(4U, real.count);
	ASSERT_EQ(dry.nproc, real.nproc);
	for (i = 0; i < dry.nproc; i++) {
		bool found = false;

		for (j = 0; j < real.nproc; j++)
			found |= dry.proc[i].pid == real.proc[j].pid &&
				 dry.proc[i].start == real.proc[j].start;
		EXPECT_TRUE(found) TH_LOG("PID %u@%llu listed by the dry run, not killed",
					  dry.proc[i].pid,
					  (unsigned long long)dry.proc[i].start);
	}
	for (i = 0; i < 4; i++) {
		ASSERT_DIES(self->kid[i], status);
		self->kid[i] = 0;
	}
}

/* What the chain's requester saw. */
struct chain_res {
	int ret;
	uint32_t count, protected;
	int nproc;
	uint32_t pids[8];
	pid_t chain[3];		/* grandparent, parent, requester */
	char msg[PT_EXTACK_LEN];
};

struct chain_arg {
	const char *comm;
};

static int chain_requester(int ready_fd, const char *comm, pid_t gp, pid_t p)
{
	struct sel_args a = { .name = comm };
	struct chain_res res = { .chain = { gp, p, getpid() } };
	struct pt_sock s;
	struct sel_reply r;
	int i;

	if (prctl(PR_SET_NAME, comm) || pt_open(&s)) {
		res.ret = -EIO;
	} else {
		res.ret = sel_kill(&s, &a, &r);
		res.count = r.count;
		res.protected = r.protected;
		res.nproc = r.nproc;
		for (i = 0; i < r.nproc && i < 8; i++)
			res.pids[i] = r.proc[i].pid;
		memcpy(res.msg, r.msg, sizeof(res.msg));
		pt_close(&s);
	}
	pt_write_full(ready_fd, &res, sizeof(res));
	return 0;
}

/* Grandparent and parent of the requester, all three named @comm. */
static int chain_body(int ready_fd, void *arg)
{
	const struct chain_arg *c = arg;
	pid_t gp = getpid(), p, child;
	int st;

	if (prctl(PR_SET_NAME, c->comm))
		return 10;
	p = fork();
	if (p < 0)
		return 11;
	if (!p) {
		if (prctl(PR_SET_NAME, c->comm))
			_exit(10);
		child = fork();
		if (child < 0)
			_exit(11);
		if (!child)
			_exit(chain_requester(ready_fd, c->comm, gp, getpid()));
		waitpid(child, &st, 0);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 12);
	}
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 12;
}

/* A chain of @depth processes named @comm above the requester (also). */
static int deep_chain(int ready_fd, const char *comm, int depth)
{
	pid_t child;
	int st;

	if (prctl(PR_SET_NAME, comm))
		return 10;
	if (!depth)
		return chain_requester(ready_fd, comm, 0, 0);
	child = fork();
	if (child < 0)
		return 11;
	if (!child)
		_exit(deep_chain(ready_fd, comm, depth - 1));
	waitpid(child, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 12;
}

static int deep_chain_body(int ready_fd, void *arg)
{
	const struct chain_arg *c = arg;

	return deep_chain(ready_fd, c->comm, 49);
}

/* Every one of 50 processes, the requester and its 49 ancestors, protected. */
TEST_F(sel, deep_ancestry_protected)
{
	struct chain_arg c = { .comm = self->comm };
	struct chain_res res;
	int ret, status;

	self->kid[0] = spawn_kid(self->comm, 0, 0);
	ASSERT_LT(0, self->kid[0]);
	ret = pt_run_child(deep_chain_body, &c, &res, sizeof(res), &status);
	ASSERT_EQ(0, ret) TH_LOG("the chain: %s", pt_errname(ret));
	ASSERT_EQ(0, res.ret) TH_LOG("%s (extack \"%s\")", pt_errname(res.ret), res.msg);
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("the chain died: status 0x%x", status);
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(1U, res.count);
	EXPECT_EQ(50U, res.protected) TH_LOG("the requester and 49 ancestors");
	ASSERT_EQ(1, res.nproc);
	EXPECT_EQ((uint32_t)self->kid[0], res.pids[0]);
	ASSERT_DIES(self->kid[0], status);
	self->kid[0] = 0;
	ASSERT_KILLED_BY_SIGKILL(status);
}

/* The caller and its ancestors are never selected, even by their comm. */
TEST_F(sel, never_the_caller_nor_its_ancestors)
{
	struct chain_arg c = { .comm = self->comm };
	struct chain_res res;
	int i, ret, status;

	self->kid[0] = spawn_kid(self->comm, 0, 0);
	ASSERT_LT(0, self->kid[0]);
	ret = pt_run_child(chain_body, &c, &res, sizeof(res), &status);
	ASSERT_EQ(0, ret) TH_LOG("the chain: %s", pt_errname(ret));
	ASSERT_EQ(0, res.ret) TH_LOG("%s (extack \"%s\")", pt_errname(res.ret), res.msg);
	/* The chain got here and exited on its own: nobody in it died. */
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("the chain died: status 0x%x", status);
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(1U, res.count);
	EXPECT_EQ(3U, res.protected) TH_LOG("requester, parent and grandparent");
	ASSERT_EQ(1, res.nproc);
	EXPECT_EQ((uint32_t)self->kid[0], res.pids[0]);
	for (i = 0; i < 3; i++)
		EXPECT_NE((uint32_t)res.chain[i], res.pids[0]);
	ASSERT_DIES(self->kid[0], status);
	self->kid[0] = 0;
	ASSERT_KILLED_BY_SIGKILL(status);
}

/* PID 1 is never selected, though its comm matches. */
TEST_F(sel, never_pid_1)
{
	struct sel_args a = { .flags = PROCTERM_F_DRY_RUN };
	char comm[32];
	struct sel_reply r;
	int ret, i;

	ASSERT_LT(0, pt_read_file("/proc/1/comm", comm, sizeof(comm)));
	comm[strcspn(comm, "\n")] = '\0';
	a.name = comm;
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_EQ(0, ret) TH_LOG("%s (extack \"%s\")", pt_errname(ret), r.msg);
	EXPECT_LE(1U, r.protected) TH_LOG("PID 1 (%s) is not counted as protected", comm);
	for (i = 0; i < r.nproc && i < MAX_PROCS; i++)
		ASSERT_NE(1U, r.proc[i].pid) TH_LOG("the dry run would kill PID 1");
	/*
	 * The real run, now that the dry run did not list PID 1; only when it
	 * listed nothing at all (other processes of that name are not ours).
	 */
	if (r.nproc)
		return;
	a.flags = 0;
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_EQ(0, ret) TH_LOG("%s (extack \"%s\")", pt_errname(ret), r.msg);
	for (i = 0; i < r.nproc && i < MAX_PROCS; i++)
		ASSERT_NE(1U, r.proc[i].pid);
	EXPECT_TRUE(pt_pid_alive(1));
}

struct strict_arg {
	const char *comm;
	uint32_t flags;
};

struct strict_res {
	int ret, stage;
	uint32_t count, denied;
	int nproc;
	struct sel_proc proc[8];
	char msg[PT_EXTACK_LEN];
};

static int strict_body(int ready_fd, void *arg)
{
	const struct strict_arg *sa = arg;
	struct sel_args a = { .name = sa->comm, .flags = sa->flags };
	struct strict_res res = { 0 };
	struct sel_reply r;
	struct pt_sock s;

	res.ret = pt_become(&s, false, NULL, 65534, 0, &res.stage);
	if (!res.ret) {
		res.ret = sel_kill(&s, &a, &r);
		res.count = r.count;
		res.denied = r.denied;
		res.nproc = r.nproc;
		memcpy(res.proc, r.proc, sizeof(res.proc));
		memcpy(res.msg, r.msg, sizeof(res.msg));
		pt_close(&s);
	}
	pt_write_full(ready_fd, &res, sizeof(res));
	return 0;
}

/* An unprivileged caller: a match of another uid is denied. */
TEST_F(sel, strict_all_or_nothing)
{
	struct strict_arg sa = { .comm = self->comm, .flags = PROCTERM_F_STRICT };
	struct strict_res res;
	char want[32];
	int i, ret, status;

	self->kid[0] = spawn_kid(self->comm, 65534, 0);
	self->kid[1] = spawn_kid(self->comm, 0, 0);
	self->kid[2] = spawn_kid(self->comm, 65534, 0);
	for (i = 0; i < 3; i++)
		ASSERT_LT(0, self->kid[i]);

	ret = pt_run_child(strict_body, &sa, &res, sizeof(res), &status);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, res.stage) TH_LOG("becoming nobody failed at step %d", res.stage);
	ASSERT_EQ(-EPERM, res.ret) TH_LOG("%s (extack \"%s\")", pt_errname(res.ret), res.msg);
	EXPECT_NE('\0', res.msg[0]);
	snprintf(want, sizeof(want), "PID %d", self->kid[1]);
	if (strstr(res.msg, "PID"))
		EXPECT_NE(NULL, strstr(res.msg, want)) TH_LOG("extack \"%s\"", res.msg);
	pt_sleep_ms(200);
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(pt_pid_alive(self->kid[i])) TH_LOG("strict, yet kid %d died", i);

	/* Without --strict: the permitted ones die, the other is counted. */
	sa.flags = 0;
	ret = pt_run_child(strict_body, &sa, &res, sizeof(res), &status);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, res.ret) TH_LOG("%s (extack \"%s\")", pt_errname(res.ret), res.msg);
	EXPECT_EQ(2U, res.count);
	EXPECT_EQ(1U, res.denied);
	ASSERT_EQ(3, res.nproc);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(res.proc[i].pid == (uint32_t)self->kid[1], res.proc[i].denied)
			TH_LOG("PID %u listed %s", res.proc[i].pid,
			       res.proc[i].denied ? "denied" : "killed");
	/* A denied entry: the PID only, nothing hidepid= would hide. */
	for (i = 0; i < 3; i++) {
		if (!res.proc[i].denied)
			continue;
		EXPECT_EQ('\0', res.proc[i].comm[0]) TH_LOG("comm \"%s\"", res.proc[i].comm);
		EXPECT_EQ(0U, res.proc[i].uid);
		EXPECT_EQ(0U, res.proc[i].rss);
		EXPECT_EQ(0U, res.proc[i].start);
	}
	ASSERT_DIES(self->kid[0], status);
	self->kid[0] = 0;
	ASSERT_DIES(self->kid[2], status);
	self->kid[2] = 0;
	EXPECT_TRUE(pt_pid_alive(self->kid[1]));
}

/* More candidates than max_select: E2BIG, nothing killed. */
TEST_F(sel, e2big_over_max_select)
{
	struct sel_args a = { .name = self->comm };
	struct sel_reply r;
	int i, ret, status;

	if (pt_read_file(PARAM, self->saved_max, sizeof(self->saved_max)) <= 0)
		SKIP(return, "no %s", PARAM);
	self->saved_max[strcspn(self->saved_max, "\n")] = '\0';
	if (pt_write_file(PARAM, "2")) {
		self->saved_max[0] = '\0';
		SKIP(return, "%s is not writable", PARAM);
	}
	for (i = 0; i < 3; i++) {
		self->kid[i] = spawn_kid(self->comm, 0, 0);
		ASSERT_LT(0, self->kid[i]);
	}
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_EQ(-E2BIG, ret) TH_LOG("%s (extack \"%s\")", pt_errname(ret), r.msg);
	EXPECT_NE('\0', r.msg[0]);
	pt_sleep_ms(200);
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(pt_pid_alive(self->kid[i]));

	/* A pick keeps one match pinned: never over the limit. */
	a.has_pick = true;
	a.pick = PROCTERM_PICK_OLDEST;
	a.flags = PROCTERM_F_DRY_RUN;
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_EQ(0, ret) TH_LOG("%s (extack \"%s\")", pt_errname(ret), r.msg);
	EXPECT_EQ(1U, r.matched);
	ASSERT_EQ(1, r.nproc);
	EXPECT_EQ((uint32_t)self->kid[0], r.proc[0].pid);
	a.has_pick = false;
	a.flags = 0;

	/* At the limit: fine. */
	ASSERT_EQ(0, pt_write_file(PARAM, "3"));
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_EQ(0, ret) TH_LOG("%s (extack \"%s\")", pt_errname(ret), r.msg);
	EXPECT_EQ(3U, r.count);
	for (i = 0; i < 3; i++) {
		ASSERT_DIES(self->kid[i], status);
		self->kid[i] = 0;
	}
}

/* Malformed requests: their errno and an extack, and nothing killed. */
TEST_F(sel, bad_requests)
{
	struct sel_args a;
	struct sel_reply r;
	struct pt_msg m;
	struct pt_answer ans;
	int ret;

	self->kid[0] = spawn_kid(self->comm, 0, 0);
	ASSERT_LT(0, self->kid[0]);

	/* A PID and selectors. */
	a = (struct sel_args){ .name = self->comm, .pid = self->kid[0] };
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_PT_ERROR(EINVAL, ret, r);
	/* An empty selector, not a dry run. */
	a = (struct sel_args){ 0 };
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_PT_ERROR(EINVAL, ret, r);
	/* An unknown pick. */
	a = (struct sel_args){ .name = self->comm, .has_pick = true, .pick = 99 };
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_PT_ERROR(ERANGE, ret, r);
	/* A name and a prefix. */
	a = (struct sel_args){ .name = self->comm, .prefix = "pt" };
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_PT_ERROR(EINVAL, ret, r);
	/* Selectors with a tree kill, a wait, a deferred kill. */
	a = (struct sel_args){ .name = self->comm, .flags = PROCTERM_F_TREE };
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_PT_ERROR(EINVAL, ret, r);
	a.flags = PROCTERM_F_WAIT;
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_PT_ERROR(EINVAL, ret, r);
	a.flags = PROCTERM_F_DEFERRED;
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_PT_ERROR(EINVAL, ret, r);
	/* A relative cgroup path, an empty name. */
	a = (struct sel_args){ .cgroup = "user.slice" };
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_PT_ERROR(EINVAL, ret, r);
	a = (struct sel_args){ .name = "" };
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_PT_ERROR(EINVAL, ret, r);
	/* A name too long for a comm. */
	a = (struct sel_args){ .name = "0123456789abcdefg" };
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_EQ(-ERANGE == ret || -EINVAL == ret, true) TH_LOG("%s", pt_errname(ret));
	EXPECT_NE('\0', r.msg[0]);

	/* The dry-run and strict flags on a kill by PID. */
	pt_msg_init(&m, &self->nl, PROCTERM_CMD_KILL, 0);
	pt_put_u32(&m, PROCTERM_A_PID, self->kid[0]);
	pt_put_u32(&m, PROCTERM_A_FLAGS, PROCTERM_F_DRY_RUN);
	ret = pt_ask(&self->nl, &m, &ans, 30000);
	ASSERT_PT_ERROR(EINVAL, ret, ans);
	pt_msg_init(&m, &self->nl, PROCTERM_CMD_KILL, 0);
	pt_put_u32(&m, PROCTERM_A_PID, self->kid[0]);
	pt_put_u32(&m, PROCTERM_A_FLAGS, PROCTERM_F_STRICT);
	ret = pt_ask(&self->nl, &m, &ans, 30000);
	ASSERT_PT_ERROR(EINVAL, ret, ans);
	/* A selector attribute outside the nest's space. */
	pt_msg_init(&m, &self->nl, PROCTERM_CMD_KILL, 0);
	{
		size_t start = NLMSG_ALIGN(m.len);

		pt_put(&m, PROCTERM_A_SELECT | NLA_F_NESTED, NULL, 0);
		pt_put_str(&m, PROCTERM_SEL_NAME, self->comm);
		pt_put_u32(&m, PROCTERM_SEL_MAX + 1, 0);
		((struct nlattr *)(m.buf + start))->nla_len = (uint16_t)(m.len - start);
	}
	ret = pt_ask(&self->nl, &m, &ans, 30000);
	ASSERT_PT_ERROR(EINVAL, ret, ans);
	/*
	 * A grace period, and a first signal, with selectors: each refused
	 * with its own message (selectors kill at once, with SIGKILL).
	 */
	for (int i = 0; i < 2; i++) {
		size_t start;

		pt_msg_init(&m, &self->nl, PROCTERM_CMD_KILL, 0);
		start = NLMSG_ALIGN(m.len);
		pt_put(&m, PROCTERM_A_SELECT | NLA_F_NESTED, NULL, 0);
		pt_put_str(&m, PROCTERM_SEL_NAME, self->comm);
		((struct nlattr *)(m.buf + start))->nla_len = (uint16_t)(m.len - start);
		pt_put_u32(&m, i ? PROCTERM_A_SIGNAL : PROCTERM_A_GRACE_MS,
			   i ? SIGTERM : 1000);
		ret = pt_ask(&self->nl, &m, &ans, 30000);
		ASSERT_PT_ERROR(EINVAL, ret, ans);
		EXPECT_NE(NULL, strstr(ans.msg, i ? "no first signal" : "no grace period"))
			TH_LOG("extack \"%s\"", ans.msg);
	}

	pt_sleep_ms(100);
	EXPECT_TRUE(pt_pid_alive(self->kid[0])) TH_LOG("a refused request killed");
}

PT_HARNESS_MAIN
