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
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
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
	bool keep_rcvbuf;	/* leave SO_RCVBUF at the socket's default */
};

struct sel_proc {
	uint32_t pid;
	uint64_t start;
	char comm[16];
	uint32_t uid;
	uint64_t rss;
	bool denied;
	/* Which attributes the entry carried. */
	bool has_start, has_comm, has_uid, has_rss;
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
			p->has_start = true;
			break;
		case PROCTERM_A_UID:
			memcpy(&p->uid, v, 4);
			p->has_uid = true;
			break;
		case PROCTERM_A_RSS:
			memcpy(&p->rss, v, 8);
			p->has_rss = true;
			break;
		case PROCTERM_A_DENIED:
			p->denied = true;
			break;
		case PROCTERM_A_COMM:
			memcpy(p->comm, v, l < 15 ? l : 15);
			p->has_comm = true;
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
	if (!a->keep_rcvbuf &&
	    setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
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
	pid_t *many;		/* big_reply_default_rcvbuf's children */
	int nmany;
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
	for (i = 0; i < self->nmany; i++)
		pt_reap(&self->many[i]);
	free(self->many);
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

/*
 * An unprivileged requester: credentials PT_UNPRIV_UID (or @uid), no
 * capabilities; with @landlock also scoped by Landlock so that it may
 * signal only its own domain (LANDLOCK_SCOPE_SIGNAL: signal 0 included),
 * with @own_n children named @own_comm forked inside that domain. It
 * sends @a (again as @a2 when set), and reports both replies and what
 * became of its own children.
 */
struct req_arg {
	struct sel_args a, a2;
	bool has_a2;
	uid_t uid;
	bool landlock;
	const char *own_comm;
	int own_n;
};

#define MAX_OWN	2

struct req_res {
	int stage;		/* 0, pt_become()'s stage, 200+ Landlock */
	int ret, ret2;
	struct sel_reply r, r2;
	pid_t self;
	pid_t own[MAX_OWN];
	bool own_alive1[MAX_OWN];	/* after the first request */
	int own_wait[MAX_OWN];		/* 0 reaped, -ETIMEDOUT alive */
	int own_status[MAX_OWN];
};

#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION	(1U << 0)
#endif
#define PT_LANDLOCK_SCOPE_SIGNAL	(1ULL << 1)

/* struct landlock_ruleset_attr of ABI 6 (Linux 6.12), which has ->scoped. */
struct pt_landlock_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

/* Landlock's signal scope on the calling thread: 0, or a stage >= 200. */
static int landlock_scope_signal(void)
{
	struct pt_landlock_attr attr = { .scoped = PT_LANDLOCK_SCOPE_SIGNAL };
	long abi;
	int fd;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
		      LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 6)
		return 201;	/* no Landlock, or older than ABI 6 */
	fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0)
		return 202;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_landlock_restrict_self, fd, 0)) {
		close(fd);
		return 203;
	}
	close(fd);
	return 0;
}

static int req_body(int ready_fd, void *arg)
{
	const struct req_arg *ra = arg;
	static struct req_res res;
	struct pt_sock s;
	int i, ret;

	memset(&res, 0, sizeof(res));
	res.self = getpid();
	ret = pt_become(&s, false, NULL, ra->uid ? ra->uid : PT_UNPRIV_UID, 0,
			&res.stage);
	if (ret)
		goto out;
	if (ra->landlock) {
		res.stage = landlock_scope_signal();
		if (res.stage)
			goto out_close;
	}
	for (i = 0; i < ra->own_n && i < MAX_OWN; i++) {
		res.own[i] = spawn_kid(ra->own_comm, 0, 0);
		if (res.own[i] <= 0) {
			res.stage = 210;
			goto out_close;
		}
	}
	res.ret = sel_kill(&s, &ra->a, &res.r);
	for (i = 0; i < ra->own_n && i < MAX_OWN; i++)
		res.own_alive1[i] = pt_pid_alive(res.own[i]);
	if (ra->has_a2)
		res.ret2 = sel_kill(&s, &ra->a2, &res.r2);
	for (i = 0; i < ra->own_n && i < MAX_OWN; i++) {
		res.own_wait[i] = pt_wait_timeout(res.own[i], &res.own_status[i],
						  ra->has_a2 ? PT_DEATH_MS : 200);
		if (res.own_wait[i])
			pt_reap(&res.own[i]);
	}
out_close:
	pt_close(&s);
out:
	pt_write_full(ready_fd, &res, sizeof(res));
	return 0;
}

/* Run a requester; its report in *@res. false: skipped, return. */
static bool run_req(struct __test_metadata *_metadata, const struct req_arg *ra,
		    struct req_res *res)
{
	int ret, status;

	ret = pt_run_child(req_body, (void *)ra, res, sizeof(*res), &status);
	ASSERT_EQ(0, ret) TH_LOG("the requester: %s", pt_errname(ret));
	if (res->stage >= 201 && res->stage <= 202)
		SKIP(return false, "no Landlock signal scope (ABI 6, Linux 6.12) on %s",
		     pt_kernel_release());
	ASSERT_EQ(0, res->stage) TH_LOG("the requester's set-up failed at step %d",
					 res->stage);
	return true;
}

/* Is @pid's real uid 0 (false when it is gone)? */
static bool root_owned(uint32_t pid)
{
	char val[64];

	if (pt_proc_status_field((pid_t)pid, "Uid", val, sizeof(val)))
		return false;
	return atoi(val) == 0;
}

/*
 * An unprivileged caller does not see processes kill(2)'s credential rule
 * refuses it: a match of root's is neither killed nor listed nor counted
 * as denied, and --strict holds: its own matches die.
 */
TEST_F(sel, unpriv_foreign_match_invisible)
{
	struct req_arg ra = { .a = { .name = self->comm, .flags = PROCTERM_F_STRICT } };
	static struct req_res res;
	int i, status;

	self->kid[0] = spawn_kid(self->comm, PT_UNPRIV_UID, 0);
	self->kid[1] = spawn_kid(self->comm, 0, 0);
	self->kid[2] = spawn_kid(self->comm, PT_UNPRIV_UID, 0);
	for (i = 0; i < 3; i++)
		ASSERT_LT(0, self->kid[i]);

	if (!run_req(_metadata, &ra, &res))
		return;
	ASSERT_EQ(0, res.ret) TH_LOG("%s (extack \"%s\")", pt_errname(res.ret), res.r.msg);
	EXPECT_EQ(2U, res.r.count);
	EXPECT_EQ(2U, res.r.matched);
	EXPECT_EQ(0U, res.r.denied) TH_LOG("root's match was judged, not invisible");
	EXPECT_EQ(0U, res.r.protected);
	ASSERT_EQ(2, res.r.nproc);
	EXPECT_TRUE(listed(&res.r, self->kid[0], false));
	EXPECT_TRUE(listed(&res.r, self->kid[2], false));
	EXPECT_FALSE(listed(&res.r, self->kid[1], false));
	EXPECT_FALSE(listed(&res.r, self->kid[1], true));
	ASSERT_DIES(self->kid[0], status);
	self->kid[0] = 0;
	ASSERT_KILLED_BY_SIGKILL(status);
	ASSERT_DIES(self->kid[2], status);
	self->kid[2] = 0;
	ASSERT_KILLED_BY_SIGKILL(status);
	EXPECT_TRUE(pt_pid_alive(self->kid[1])) TH_LOG("root's process died");
}

/*
 * More matches of root's than max_select do not make an unprivileged
 * caller's request E2BIG: they are not its matches. Its own die.
 */
TEST_F(sel, unpriv_foreign_matches_over_max_select)
{
	struct req_arg ra = { .a = { .name = self->comm } };
	static struct req_res res;
	int i, status;

	if (pt_read_file(PARAM, self->saved_max, sizeof(self->saved_max)) <= 0)
		SKIP(return, "no %s", PARAM);
	self->saved_max[strcspn(self->saved_max, "\n")] = '\0';
	if (pt_write_file(PARAM, "2")) {
		self->saved_max[0] = '\0';
		SKIP(return, "%s is not writable", PARAM);
	}
	for (i = 0; i < 4; i++) {
		self->kid[i] = spawn_kid(self->comm, 0, 0);
		ASSERT_LT(0, self->kid[i]);
	}
	self->kid[4] = spawn_kid(self->comm, PT_UNPRIV_UID, 0);
	self->kid[5] = spawn_kid(self->comm, PT_UNPRIV_UID, 0);
	ASSERT_LT(0, self->kid[4]);
	ASSERT_LT(0, self->kid[5]);

	if (!run_req(_metadata, &ra, &res))
		return;
	ASSERT_EQ(0, res.ret) TH_LOG("%s (extack \"%s\"): 4 of root's matches, max_select 2",
				     pt_errname(res.ret), res.r.msg);
	EXPECT_EQ(2U, res.r.count);
	EXPECT_EQ(0U, res.r.denied);
	ASSERT_EQ(2, res.r.nproc);
	for (i = 4; i < 6; i++) {
		EXPECT_TRUE(listed(&res.r, self->kid[i], false));
		ASSERT_DIES(self->kid[i], status);
		self->kid[i] = 0;
		ASSERT_KILLED_BY_SIGKILL(status);
	}
	for (i = 0; i < 4; i++)
		EXPECT_TRUE(pt_pid_alive(self->kid[i])) TH_LOG("root's kid %d died", i);
}

/*
 * --largest by an unprivileged caller while a larger match is root's: the
 * caller's own largest dies, root's lives, the caller's smaller one too.
 */
TEST_F(sel, unpriv_pick_largest_not_foreign)
{
	struct req_arg ra = { .a = { .name = self->comm, .has_pick = true,
				     .pick = PROCTERM_PICK_LARGEST } };
	static struct req_res res;
	int status;

	self->kid[0] = spawn_kid(self->comm, 0, 64);
	self->kid[1] = spawn_kid(self->comm, PT_UNPRIV_UID, 24);
	self->kid[2] = spawn_kid(self->comm, PT_UNPRIV_UID, 2);
	ASSERT_LT(0, self->kid[0]);
	ASSERT_LT(0, self->kid[1]);
	ASSERT_LT(0, self->kid[2]);

	if (!run_req(_metadata, &ra, &res))
		return;
	ASSERT_EQ(0, res.ret) TH_LOG("%s (extack \"%s\")", pt_errname(res.ret), res.r.msg);
	ASSERT_EQ(1U, res.r.count) TH_LOG("root's larger process won the pick");
	EXPECT_EQ(0U, res.r.denied);
	ASSERT_EQ(1, res.r.nproc);
	EXPECT_EQ((uint32_t)self->kid[1], res.r.proc[0].pid);
	ASSERT_DIES(self->kid[1], status);
	self->kid[1] = 0;
	ASSERT_KILLED_BY_SIGKILL(status);
	EXPECT_TRUE(pt_pid_alive(self->kid[0])) TH_LOG("root's process died");
	EXPECT_TRUE(pt_pid_alive(self->kid[2]));
}

/*
 * No oracle: an unprivileged dry run with the loosest rss threshold (above
 * 1 byte) and no other condition lists only processes the caller may
 * signal. Nothing is denied, no root-owned PID is listed (PID 1, the test
 * itself, a root child of 8 MiB), kernel threads and root's init are not
 * counted as protected: only the requester itself is.
 */
TEST_F(sel, unpriv_dry_run_no_oracle)
{
	struct req_arg ra = { .a = { .has_rss = true, .rss_above = 1,
				     .flags = PROCTERM_F_DRY_RUN } };
	static struct req_res res;
	int i;

	self->kid[0] = spawn_kid(self->comm, 0, 8);
	self->kid[1] = spawn_kid(self->comm, PT_UNPRIV_UID, 1);
	ASSERT_LT(0, self->kid[0]);
	ASSERT_LT(0, self->kid[1]);

	if (!run_req(_metadata, &ra, &res))
		return;
	ASSERT_EQ(0, res.ret) TH_LOG("%s (extack \"%s\")", pt_errname(res.ret), res.r.msg);
	EXPECT_EQ(0U, res.r.denied);
	EXPECT_EQ(0, n_listed(&res.r, true));
	EXPECT_EQ(0U, res.r.count);
	EXPECT_EQ(1U, res.r.protected) TH_LOG("the requester only");
	EXPECT_TRUE(listed(&res.r, self->kid[1], false));
	EXPECT_FALSE(listed(&res.r, self->kid[0], false));
	EXPECT_FALSE(listed(&res.r, self->kid[0], true));
	for (i = 0; i < res.r.nproc && i < MAX_PROCS; i++) {
		EXPECT_NE(1U, res.r.proc[i].pid);
		EXPECT_NE((uint32_t)getpid(), res.r.proc[i].pid);
		EXPECT_EQ((uint32_t)PT_UNPRIV_UID, res.r.proc[i].uid)
			TH_LOG("PID %u of uid %u listed", res.r.proc[i].pid,
			       res.r.proc[i].uid);
		EXPECT_FALSE(root_owned(res.r.proc[i].pid))
			TH_LOG("root's PID %u listed", res.r.proc[i].pid);
	}
	EXPECT_TRUE(pt_pid_alive(self->kid[0]));
	EXPECT_TRUE(pt_pid_alive(self->kid[1]));
}

/*
 * --strict is all or nothing when the LSM refuses a match: a requester
 * of uid 65534 that Landlock confines to signalling its own domain
 * (Linux 6.12) matches its own child and a child of the same uid outside
 * the domain. Strict: EPERM naming that PID, both live. Without: its own
 * dies, the other is listed denied, with the PID only (no comm, uid, rss
 * or start time attribute at all).
 */
TEST_F(sel, strict_all_or_nothing)
{
	struct req_arg ra = {
		.a = { .name = self->comm, .flags = PROCTERM_F_STRICT },
		.a2 = { .name = self->comm },
		.has_a2 = true,
		.uid = 65534,
		.landlock = true,
		.own_comm = self->comm,
		.own_n = 1,
	};
	static struct req_res res;
	const struct sel_proc *p;
	char want[32];
	int i;

	self->kid[0] = spawn_kid(self->comm, 65534, 0);
	ASSERT_LT(0, self->kid[0]);

	if (!run_req(_metadata, &ra, &res))
		return;
	ASSERT_EQ(-EPERM, res.ret) TH_LOG("%s (extack \"%s\")", pt_errname(res.ret), res.r.msg);
	EXPECT_NE('\0', res.r.msg[0]);
	snprintf(want, sizeof(want), "PID %d", self->kid[0]);
	if (strstr(res.r.msg, "PID"))
		EXPECT_NE(NULL, strstr(res.r.msg, want)) TH_LOG("extack \"%s\"", res.r.msg);
	EXPECT_TRUE(res.own_alive1[0]) TH_LOG("strict, yet the requester's own child died");
	EXPECT_TRUE(pt_pid_alive(self->kid[0]));

	/* Without --strict: its own child dies, the other is denied. */
	ASSERT_EQ(0, res.ret2) TH_LOG("%s (extack \"%s\")", pt_errname(res.ret2), res.r2.msg);
	EXPECT_EQ(1U, res.r2.count);
	EXPECT_EQ(1U, res.r2.denied);
	ASSERT_EQ(2, res.r2.nproc);
	EXPECT_TRUE(listed(&res.r2, res.own[0], false));
	EXPECT_TRUE(listed(&res.r2, self->kid[0], true));
	ASSERT_EQ(0, res.own_wait[0]) TH_LOG("the requester's own child lives");
	ASSERT_KILLED_BY_SIGKILL(res.own_status[0]);
	for (i = 0; i < res.r2.nproc; i++) {
		p = &res.r2.proc[i];
		if (!p->denied)
			continue;
		/* A denied entry: the PID only. */
		EXPECT_FALSE(p->has_comm) TH_LOG("comm \"%s\"", p->comm);
		EXPECT_FALSE(p->has_uid) TH_LOG("uid %u", p->uid);
		EXPECT_FALSE(p->has_rss);
		EXPECT_FALSE(p->has_start);
	}
	for (i = 0; i < res.r2.nproc; i++) {
		p = &res.r2.proc[i];
		if (p->denied)
			continue;
		EXPECT_TRUE(p->has_comm && p->has_uid && p->has_rss && p->has_start);
		EXPECT_EQ(65534U, p->uid);
	}
	pt_sleep_ms(200);
	EXPECT_TRUE(pt_pid_alive(self->kid[0])) TH_LOG("the denied process died");
}

/* The first child of @pid (/proc/PID/task/PID/children), or -errno. */
static pid_t first_child(pid_t pid)
{
	char path[64], buf[64];
	int ret, delay = 1, tries;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	for (tries = 0; tries < 200; tries++) {
		ret = pt_read_file(path, buf, sizeof(buf));
		if (ret < 0)
			return ret;
		if (ret > 0 && atoi(buf) > 0)
			return atoi(buf);
		pt_backoff(&delay);
	}
	return -ETIMEDOUT;
}

/* The init of a new PID namespace and its two children, all named @comm. */
struct pidns_ready {
	pid_t local[2];		/* the children's PIDs in the namespace */
};

static int pidns_body(int ready_fd, void *arg)
{
	const char *comm = arg;
	struct pidns_ready rd;
	pid_t init;
	int i, st;

	if (unshare(CLONE_NEWPID))
		return 20;
	init = fork();
	if (init < 0)
		return 21;
	if (!init) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (prctl(PR_SET_NAME, comm))
			_exit(22);
		for (i = 0; i < 2; i++) {
			rd.local[i] = fork();
			if (rd.local[i] < 0)
				_exit(23);
			if (!rd.local[i]) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				prctl(PR_SET_NAME, comm);
				pt_block_forever();
			}
		}
		pt_ready_data(ready_fd, &rd, sizeof(rd));
		for (;;)	/* an init reaps */
			if (wait(&st) < 0 && errno == ECHILD)
				pause();
	}
	waitpid(init, &st, 0);
	return 24;
}

struct pidns_arg {
	const char *comm;
	pid_t init;		/* the namespace's init, as we see it */
};

struct pidns_res {
	int stage, ret;
	pid_t self;		/* the requester, in the namespace */
	struct sel_reply r;
};

/* Join the namespace of @init, fork, and send the request from there. */
static int pidns_req_body(int ready_fd, void *arg)
{
	const struct pidns_arg *pa = arg;
	static struct pidns_res res;
	char path[64];
	struct pt_sock s;
	int fd, st;
	pid_t child;

	memset(&res, 0, sizeof(res));
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", pa->init);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWPID)) {
		res.stage = 1;
		goto out;
	}
	close(fd);
	child = fork();
	if (child < 0) {
		res.stage = 2;
		goto out;
	}
	if (!child) {
		res.self = getpid();
		if (prctl(PR_SET_NAME, pa->comm) || pt_open(&s)) {
			res.stage = 3;
		} else {
			res.ret = sel_kill(&s, &(struct sel_args){ .name = pa->comm },
					   &res.r);
			pt_close(&s);
		}
		pt_write_full(ready_fd, &res, sizeof(res));
		_exit(0);
	}
	waitpid(child, &st, 0);
	return 0;
out:
	pt_write_full(ready_fd, &res, sizeof(res));
	return 0;
}

/*
 * A requester in a child PID namespace: it sees only that namespace's
 * processes (a process of the same name outside lives), the PIDs listed
 * are the namespace's, and the namespace's init is protected although it
 * is not the requester's ancestor.
 */
TEST_F(sel, child_pid_namespace)
{
	struct pidns_arg pa = { .comm = self->comm };
	static struct pidns_res res;
	struct pidns_ready rd;
	pid_t global[2];
	int i, ret, status;

	self->kid[0] = spawn_kid(self->comm, 0, 0);
	ASSERT_LT(0, self->kid[0]);
	self->kid[1] = pt_spawn(pidns_body, self->comm, &rd, sizeof(rd));
	ASSERT_LT(0, self->kid[1]) TH_LOG("a new PID namespace: %s", pt_errname(self->kid[1]));
	pa.init = first_child(self->kid[1]);
	ASSERT_LT(0, pa.init) TH_LOG("the namespace's init: %s", pt_errname(pa.init));
	/* The init's children, as we see them. */
	{
		char path[64], buf[128], *p;
		int n = 0;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/children",
			 pa.init, pa.init);
		ASSERT_LT(0, pt_read_file(path, buf, sizeof(buf)));
		for (p = strtok(buf, " \n"); p && n < 2; p = strtok(NULL, " \n"))
			global[n++] = atoi(p);
		ASSERT_EQ(2, n) TH_LOG("children of the init: \"%s\"", buf);
	}

	ret = pt_run_child(pidns_req_body, &pa, &res, sizeof(res), &status);
	ASSERT_EQ(0, ret) TH_LOG("the requester: %s", pt_errname(ret));
	ASSERT_EQ(0, res.stage) TH_LOG("the requester's set-up failed at step %d", res.stage);
	ASSERT_EQ(0, res.ret) TH_LOG("%s (extack \"%s\")", pt_errname(res.ret), res.r.msg);
	EXPECT_EQ(2U, res.r.count) TH_LOG("the init's two children only");
	EXPECT_EQ(2U, res.r.protected) TH_LOG("the namespace's init and the requester");
	ASSERT_EQ(2, res.r.nproc);
	EXPECT_TRUE(listed(&res.r, rd.local[0], false) &&
		    listed(&res.r, rd.local[1], false))
		TH_LOG("PIDs %d, %d (in the namespace) not listed; listed %u, %u",
		       rd.local[0], rd.local[1], res.r.proc[0].pid, res.r.proc[1].pid);
	for (i = 0; i < 2; i++) {
		for (ret = 0; pt_pid_alive(global[i]) && ret < PT_DEATH_MS / 20; ret++)
			pt_sleep_ms(20);
		EXPECT_FALSE(pt_pid_alive(global[i])) TH_LOG("PID %d lives", global[i]);
	}
	EXPECT_TRUE(pt_pid_alive(pa.init)) TH_LOG("the namespace's init died");
	EXPECT_TRUE(pt_pid_alive(self->kid[0])) TH_LOG("a process outside the namespace died");
}

struct lone_arg {
	const char *comm;
	int ready_fd;
};

/* The thread left: 64 MiB touched, ready once the leader has exited. */
static void *lone_thread(void *arg)
{
	const struct lone_arg *la = arg;
	struct pt_stat st;
	size_t len = 64 << 20;
	char *p;
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		_exit(30);
	memset(p, 0x5a, len);
	for (i = 0; i < 2000; i++) {
		if (!pt_read_stat(getpid(), &st) && st.state == 'Z')
			break;
		pt_sleep_ms(5);
	}
	if (i == 2000)
		_exit(31);
	pt_ready(la->ready_fd);
	pt_block_forever();
}

/* A process whose leader called pthread_exit() while a thread runs on. */
static int lone_body(int ready_fd, void *arg)
{
	static struct lone_arg la;
	pthread_t t;

	la.comm = arg;
	la.ready_fd = ready_fd;
	if (prctl(PR_SET_NAME, la.comm))
		return 10;
	if (pthread_create(&t, NULL, lone_thread, &la))
		return 11;
	pthread_exit(NULL);
}

/*
 * --largest counts the memory of a process whose leader has exited (the
 * leader has no mm; a thread has 64 MiB): it is picked over a 16 MiB
 * single-threaded match, and dies whole.
 */
TEST_F(sel, pick_largest_leader_exited)
{
	struct sel_args a = { .name = self->comm, .has_pick = true,
			      .pick = PROCTERM_PICK_LARGEST };
	struct sel_reply r;
	int ret, status;

	self->kid[0] = spawn_kid(self->comm, 0, 16);
	ASSERT_LT(0, self->kid[0]);
	self->kid[1] = pt_spawn(lone_body, self->comm, NULL, 1);
	ASSERT_LT(0, self->kid[1]) TH_LOG("%s", pt_errname(self->kid[1]));

	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_EQ(0, ret) TH_LOG("%s (extack \"%s\")", pt_errname(ret), r.msg);
	ASSERT_EQ(1U, r.count);
	ASSERT_EQ(1, r.nproc);
	EXPECT_EQ((uint32_t)self->kid[1], r.proc[0].pid)
		TH_LOG("picked PID %u, not the one whose leader exited", r.proc[0].pid);
	EXPECT_LT(48ULL << 20, r.proc[0].rss);
	ASSERT_DIES(self->kid[1], status);
	self->kid[1] = 0;
	ASSERT_KILLED_BY_SIGKILL(status);
	EXPECT_TRUE(pt_pid_alive(self->kid[0]));
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

#define BIG_N	1024

/*
 * The largest reply (max_select at its cap, 1024 matches, a dry run) and
 * its ACK both arrive on a fresh socket whose SO_RCVBUF is left at the
 * default (rmem_default), as the uapi header promises.
 */
TEST_F_TIMEOUT(sel, big_reply_default_rcvbuf, PT_TIMEOUT(300))
{
	struct sel_args a = { .name = self->comm, .flags = PROCTERM_F_DRY_RUN,
			      .keep_rcvbuf = true };
	static struct sel_reply r;
	struct pt_sock s;
	socklen_t len = sizeof(int);
	int i, ret, rcvbuf = 0;

	if (pt_read_file(PARAM, self->saved_max, sizeof(self->saved_max)) <= 0)
		SKIP(return, "no %s", PARAM);
	self->saved_max[strcspn(self->saved_max, "\n")] = '\0';
	if (pt_write_file(PARAM, "1024")) {
		self->saved_max[0] = '\0';
		SKIP(return, "%s is not writable", PARAM);
	}
	self->many = calloc(BIG_N, sizeof(*self->many));
	ASSERT_NE(NULL, self->many);
	for (i = 0; i < BIG_N; i++) {
		self->many[i] = spawn_kid(self->comm, 0, 0);
		if (self->many[i] == -EAGAIN)
			SKIP(return, "could fork only %d children", i);
		ASSERT_LT(0, self->many[i]) TH_LOG("child %d: %s", i,
						   pt_errname(self->many[i]));
		self->nmany = i + 1;
	}

	ASSERT_EQ(0, pt_open(&s));
	getsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len);
	ret = sel_kill(&s, &a, &r);
	pt_close(&s);
	ASSERT_EQ(0, ret) TH_LOG("%s (extack \"%s\"), SO_RCVBUF %d",
				 pt_errname(ret), r.msg, rcvbuf);
	ASSERT_TRUE(r.replied) TH_LOG("only the ACK arrived (SO_RCVBUF %d)", rcvbuf);
	EXPECT_EQ((uint32_t)BIG_N, r.matched);
	EXPECT_EQ(BIG_N, r.nproc);
	EXPECT_EQ(0U, r.count);
	for (i = 0; i < BIG_N; i += 97)
		EXPECT_TRUE(pt_pid_alive(self->many[i])) TH_LOG("a dry run killed");
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
	/*
	 * A threshold of 0 holds for every process: refused, alone, with a
	 * name, and in a dry run.
	 */
	a = (struct sel_args){ .has_rss = true, .rss_above = 0 };
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_PT_ERROR(ERANGE, ret, r);
	a = (struct sel_args){ .name = self->comm, .has_age = true, .older_than_ns = 0 };
	ret = sel_kill(&self->nl, &a, &r);
	ASSERT_PT_ERROR(ERANGE, ret, r);
	a = (struct sel_args){ .has_rss = true, .rss_above = 0,
			       .flags = PROCTERM_F_DRY_RUN };
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
