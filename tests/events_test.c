// SPDX-License-Identifier: GPL-2.0
/*
 * The "events" multicast group (kmod/events.c), as a listener sees it:
 *  - one PROCTERM_CMD_EVENT per process procterm terminated, once it is
 *    dead, with the right PID, handle, comm, uids, requester, mode, request
 *    id, stage and wait status: immediate kills with and without
 *    PROCTERM_F_WAIT and an exit status, deferred kills, tree members,
 *    grace kills (stage TERM for a process that ends during the grace
 *    period, KILL for one killed at the deadline, a grace tree's members
 *    and a child forked during its grace period);
 *  - a 10 000-member tree: every member is received or shown lost by a gap
 *    in the sequence numbers, none twice;
 *  - nothing for a refused request, nothing for a kill(2);
 *  - joining needs CAP_NET_ADMIN in the initial user namespace: a process
 *    without it, or root of a child user namespace, gets EPERM;
 *  - PROCTERM_CMD_EVENT sent as a request is EOPNOTSUPP.
 *
 * "Nothing else" is checked with a sentinel: a process killed after the
 * step whose event must come next, with the next sequence number.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "procterm_test.h"
#include "race_lib.h"

#ifndef NETLINK_ADD_MEMBERSHIP
#define NETLINK_ADD_MEMBERSHIP 1
#endif

#define EV_WAIT_MS	(3 * PT_DEATH_MS)

struct listener {
	int fd;
	uint32_t group;
	uint64_t last_seq;	/* 0: none yet */
	uint64_t gaps;		/* sequence numbers never received */
	int overflows;		/* ENOBUFS from recv() */
};

struct event {
	struct pt_attrs a;
	uint64_t seq;
};

/* The id of the family's "events" group, from the controller. */
static int events_group(struct pt_sock *s, uint32_t *group)
{
	unsigned char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct pt_msg m;
	struct nlmsghdr *nlh;
	ssize_t n;
	int ret;

	pt_msg_init_type(&m, s, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	pt_put_str(&m, CTRL_ATTR_FAMILY_NAME, PROCTERM_GENL_NAME);
	ret = pt_send(s, m.buf, m.len);
	if (ret)
		return ret;
	for (;;) {
		n = recv(s->fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			struct nlattr *na, *grp, *ga;
			size_t len, glen, alen;

			if (nlh->nlmsg_type == NLMSG_ERROR)
				return -ENOENT;
			if (nlh->nlmsg_type != GENL_ID_CTRL)
				continue;
			len = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
			na = (struct nlattr *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN);
			for (; len >= NLA_HDRLEN && na->nla_len >= NLA_HDRLEN &&
			       na->nla_len <= len;
			     len -= NLA_ALIGN(na->nla_len),
			     na = (struct nlattr *)((char *)na + NLA_ALIGN(na->nla_len))) {
				if ((na->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS)
					continue;
				glen = na->nla_len - NLA_HDRLEN;
				grp = (struct nlattr *)((char *)na + NLA_HDRLEN);
				for (; glen >= NLA_HDRLEN && grp->nla_len >= NLA_HDRLEN &&
				       grp->nla_len <= glen;
				     glen -= NLA_ALIGN(grp->nla_len),
				     grp = (struct nlattr *)((char *)grp + NLA_ALIGN(grp->nla_len))) {
					uint32_t id = 0;
					bool ours = false;

					alen = grp->nla_len - NLA_HDRLEN;
					ga = (struct nlattr *)((char *)grp + NLA_HDRLEN);
					for (; alen >= NLA_HDRLEN && ga->nla_len >= NLA_HDRLEN &&
					       ga->nla_len <= alen;
					     alen -= NLA_ALIGN(ga->nla_len),
					     ga = (struct nlattr *)((char *)ga + NLA_ALIGN(ga->nla_len))) {
						void *d = (char *)ga + NLA_HDRLEN;

						if (ga->nla_type == CTRL_ATTR_MCAST_GRP_ID)
							memcpy(&id, d, 4);
						if (ga->nla_type == CTRL_ATTR_MCAST_GRP_NAME &&
						    !strcmp(d, PROCTERM_MCGRP_EVENTS))
							ours = true;
					}
					if (ours) {
						*group = id;
						return 0;
					}
				}
			}
			return -ENOENT;
		}
	}
}

/* Join the group on a fresh socket: 0 or the negative errno. */
static int listener_open(struct listener *l)
{
	struct pt_sock s;
	int size = 64 << 20;
	int ret;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	ret = pt_open(&s);
	if (ret)
		return ret;
	ret = events_group(&s, &l->group);
	if (ret) {
		pt_close(&s);
		return ret;
	}
	/* Room for a 10 000-member tree, where privilege allows. */
	if (setsockopt(s.fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(s.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &l->group,
		       sizeof(l->group))) {
		ret = -errno;
		pt_close(&s);
		return ret;
	}
	l->fd = s.fd;
	return 0;
}

static void listener_close(struct listener *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

/*
 * The next event, within @timeout_ms: 0, -ETIMEDOUT, or another negative
 * errno. Gaps in the sequence are added up in l->gaps, overflows counted.
 */
static int listener_next(struct listener *l, struct event *ev, int timeout_ms)
{
	static unsigned char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	static size_t have, off;
	int64_t deadline = pt_now_ms() + timeout_ms;
	struct nlmsghdr *nlh;
	ssize_t n;

	for (;;) {
		while (off < have) {
			nlh = (struct nlmsghdr *)(buf + off);
			if (!NLMSG_OK(nlh, have - off)) {
				off = have;
				break;
			}
			off += NLMSG_ALIGN(nlh->nlmsg_len);
			if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN) ||
			    ((struct genlmsghdr *)NLMSG_DATA(nlh))->cmd !=
			    PROCTERM_CMD_EVENT)
				continue;
			pt_attrs_parse(&ev->a, (char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
				       nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
			ev->seq = ev->a.u[PROCTERM_A_EVENT_SEQ];
			if (l->last_seq && ev->seq > l->last_seq + 1)
				l->gaps += ev->seq - l->last_seq - 1;
			if (ev->seq > l->last_seq)
				l->last_seq = ev->seq;
			return 0;
		}
		{
			struct pollfd p = { .fd = l->fd, .events = POLLIN };
			int64_t left = deadline - pt_now_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			if (poll(&p, 1, (int)left) <= 0)
				continue;
		}
		n = recv(l->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS) {
				l->overflows++;
				continue;
			}
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		have = n;
		off = 0;
	}
}

/* The event of @pid, skipping none: the next event must be it. */
static int listener_expect(struct listener *l, pid_t pid, struct event *ev)
{
	int ret = listener_next(l, ev, EV_WAIT_MS);

	if (ret)
		return ret;
	return ev->a.u[PROCTERM_A_PID] == (uint64_t)pid ? 0 : -ESRCH;
}

static pid_t spin_child(void);

/* The process's comm, as /proc shows it. */
static void read_comm(pid_t pid, char *comm, size_t len)
{
	char path[64];
	int n;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	n = pt_read_file(path, comm, len);
	if (n > 0 && comm[n - 1] == '\n')
		comm[n - 1] = '\0';
	if (n <= 0)
		comm[0] = '\0';
}

FIXTURE(events) {
	struct pt_sock s;
	struct listener l;
	pid_t child;
};

FIXTURE_SETUP(events)
{
	int ret;

	self->child = 0;
	self->l.fd = -1;
	PT_OPEN_OR_SKIP(&self->s);
	ret = listener_open(&self->l);
	if (ret == -ENOENT)
		SKIP(return, "the family has no \"%s\" group on %s",
		     PROCTERM_MCGRP_EVENTS, pt_kernel_release());
	ASSERT_EQ(0, ret) TH_LOG("cannot join the events group: %s", pt_errname(ret));
}

FIXTURE_TEARDOWN(events)
{
	pt_reap(&self->child);
	listener_close(&self->l);
	pt_close(&self->s);
}

/*
 * Kill a sentinel and return its event's sequence number in *@seq: the
 * next event must be the sentinel's, with no gap before it.
 */
#define SENTINEL(_seq) do {						\
	uint64_t __prev = self->l.last_seq;				\
	pid_t __p = pt_spawn_sleeper();					\
	struct pt_reply __r;						\
	struct event __e;						\
	int __st, __ret;						\
									\
	ASSERT_LT(0, __p);						\
	__ret = pt_kill(&self->s, __p, NULL, &__r);			\
	ASSERT_PT_OK(__ret, __r);					\
	ASSERT_DIES(__p, __st);						\
	__ret = listener_expect(&self->l, __p, &__e);			\
	ASSERT_EQ(0, __ret) TH_LOG("sentinel %d: %s (got PID %llu)",	\
				   __p, pt_errname(__ret),		\
				   (unsigned long long)__e.a.u[PROCTERM_A_PID]); \
	if (__prev)							\
		ASSERT_EQ(__prev + 1, __e.seq)				\
			TH_LOG("events were lost or hidden before the sentinel"); \
	(_seq) = __e.seq;						\
} while (0)

static void check_common(struct __test_metadata *_metadata,
			 const struct event *e, pid_t pid, uint32_t mode,
			 uint32_t flags)
{
	struct pt_stat st;

	ASSERT_TRUE(e->a.has[PROCTERM_A_EVENT_SEQ]);
	EXPECT_EQ((uint64_t)pid, e->a.u[PROCTERM_A_PID]);
	EXPECT_EQ((uint64_t)mode, e->a.u[PROCTERM_A_EVENT_MODE]);
	EXPECT_EQ((uint64_t)PROCTERM_STAGE_KILL, e->a.u[PROCTERM_A_STAGE]);
	EXPECT_EQ((uint64_t)flags, e->a.u[PROCTERM_A_FLAGS]);
	EXPECT_EQ((uint64_t)getpid(), e->a.u[PROCTERM_A_REQUESTER_PID]);
	EXPECT_EQ(0ULL, e->a.u[PROCTERM_A_REQUESTER_UID]);
	EXPECT_EQ(0ULL, e->a.u[PROCTERM_A_UID]);
	EXPECT_TRUE(e->a.has[PROCTERM_A_REQUESTER_COMM]);
	EXPECT_TRUE(e->a.has[PROCTERM_A_COMM]);
	EXPECT_TRUE(e->a.has[PROCTERM_A_WAIT_STATUS]);
	EXPECT_TRUE(e->a.has[PROCTERM_A_ELAPSED_NS]);
	EXPECT_TRUE(e->a.has[PROCTERM_A_START_TIME]);
	/* The process is reaped by now; its start time was checked by the caller. */
	(void)st;
}

/* Immediate kill, no status, no wait: SIGKILL, mode immediate. */
TEST_F(events, immediate)
{
	char comm[32], rcomm[32];
	struct pt_reply r;
	struct pt_stat st;
	struct event e;
	uint64_t s0, s1;
	int status, ret;

	SENTINEL(s0);
	self->child = pt_spawn_sleeper();
	ASSERT_LT(0, self->child);
	ASSERT_EQ(0, pt_read_stat(self->child, &st));
	read_comm(self->child, comm, sizeof(comm));
	read_comm(getpid(), rcomm, sizeof(rcomm));

	ret = pt_kill(&self->s, self->child, NULL, &r);
	ASSERT_PT_OK(ret, r);
	ASSERT_DIES(self->child, status);
	ASSERT_KILLED_BY_SIGKILL(status);

	ret = listener_expect(&self->l, self->child, &e);
	ASSERT_EQ(0, ret) TH_LOG("no event for PID %d: %s", self->child, pt_errname(ret));
	EXPECT_EQ(s0 + 1, e.seq);
	check_common(_metadata, &e, self->child, PROCTERM_EVENT_MODE_IMMEDIATE, 0);
	EXPECT_EQ((uint64_t)status, e.a.u[PROCTERM_A_WAIT_STATUS]);
	EXPECT_EQ(st.start_time, e.a.u[PROCTERM_A_START_TIME]);
	EXPECT_STREQ(comm, (char *)e.a.data[PROCTERM_A_COMM]);
	EXPECT_STREQ(rcomm, (char *)e.a.data[PROCTERM_A_REQUESTER_COMM]);
	EXPECT_FALSE(e.a.has[PROCTERM_A_REQUEST_ID]);
	self->child = 0;

	/* Exactly one: the next event is the next sentinel's. */
	SENTINEL(s1);
	EXPECT_EQ(s0 + 2, s1);
}

static int named_sleeper(int ready_fd, void *arg)
{
	if (prctl(PR_SET_NAME, (const char *)arg))
		return 10;
	pt_ready(ready_fd);
	pt_block_forever();
}

/* A kill by selectors: one immediate event per process it killed. */
TEST_F(events, selector)
{
	struct pt_answer ans;
	struct pt_msg m;
	struct event e;
	char name[16];
	pid_t kids[2];
	uint64_t s0, s1;
	size_t start;
	int i, k, ret, status;
	bool seen[2] = { false, false };

	snprintf(name, sizeof(name), "ptev%d", getpid() % 100000);
	SENTINEL(s0);
	for (i = 0; i < 2; i++) {
		kids[i] = pt_spawn(named_sleeper, name, NULL, 1);
		ASSERT_LT(0, kids[i]);
	}
	pt_msg_init(&m, &self->s, PROCTERM_CMD_KILL, 0);
	start = NLMSG_ALIGN(m.len);
	pt_put(&m, PROCTERM_A_SELECT | NLA_F_NESTED, NULL, 0);
	pt_put_str(&m, PROCTERM_SEL_NAME, name);
	((struct nlattr *)(m.buf + start))->nla_len = (uint16_t)(m.len - start);
	ret = pt_ask(&self->s, &m, &ans, 30000);
	ASSERT_EQ(0, ret) TH_LOG("%s (extack \"%s\")", pt_errname(ret), ans.msg);
	EXPECT_EQ(2ULL, ans.a.u[PROCTERM_A_COUNT]);
	for (i = 0; i < 2; i++) {
		ASSERT_DIES(kids[i], status);
		ASSERT_KILLED_BY_SIGKILL(status);
	}
	for (k = 0; k < 2; k++) {
		ret = listener_next(&self->l, &e, EV_WAIT_MS);
		ASSERT_EQ(0, ret) TH_LOG("event %d of the selector kill: %s", k,
					 pt_errname(ret));
		check_common(_metadata, &e, (pid_t)e.a.u[PROCTERM_A_PID],
			     PROCTERM_EVENT_MODE_IMMEDIATE, 0);
		EXPECT_STREQ(name, (char *)e.a.data[PROCTERM_A_COMM]);
		for (i = 0; i < 2; i++)
			if (e.a.u[PROCTERM_A_PID] == (uint64_t)kids[i])
				seen[i] = true;
	}
	EXPECT_TRUE(seen[0] && seen[1]) TH_LOG("not one event for each process killed");
	SENTINEL(s1);
	EXPECT_EQ(s0 + 3, s1);
}

/* With PROCTERM_F_WAIT and an exit status: the status the parent sees. */
TEST_F(events, wait_and_status)
{
	struct pt_kill_args args = {
		.flags = PROCTERM_F_WAIT, .has_status = true, .status = 7,
	};
	struct pt_reply r;
	struct event e;
	uint64_t s0, s1;
	int status, ret;

	SENTINEL(s0);
	self->child = pt_spawn_sleeper();
	ASSERT_LT(0, self->child);
	ret = pt_kill(&self->s, self->child, &args, &r);
	ASSERT_PT_OK(ret, r);
	ASSERT_DIES(self->child, status);
	ASSERT_EXITED_WITH(7, status);

	ret = listener_expect(&self->l, self->child, &e);
	ASSERT_EQ(0, ret) TH_LOG("no event for PID %d: %s", self->child, pt_errname(ret));
	EXPECT_EQ(s0 + 1, e.seq);
	check_common(_metadata, &e, self->child, PROCTERM_EVENT_MODE_IMMEDIATE,
		     PROCTERM_F_WAIT);
	EXPECT_EQ((uint64_t)status, e.a.u[PROCTERM_A_WAIT_STATUS]);
	EXPECT_EQ((uint64_t)(7u << 8), e.a.u[PROCTERM_A_WAIT_STATUS]);
	self->child = 0;
	SENTINEL(s1);
	EXPECT_EQ(s0 + 2, s1);
}

static int spin_body(int ready_fd, void *arg)
{
	(void)arg;
	pt_ready(ready_fd);
	for (;;)
		;
	return 0;
}

static pid_t spin_child(void)
{
	return pt_spawn(spin_body, NULL, NULL, 1);
}

/* A deferred kill, with a status: reported when it fires, mode deferred. */
TEST_F(events, deferred)
{
	struct pt_kill_args args = {
		.flags = PROCTERM_F_DEFERRED, .has_status = true, .status = 5,
	};
	struct pt_reply r;
	struct event e;
	uint64_t s0, s1;
	int status, ret;

	SENTINEL(s0);
	self->child = spin_child();
	ASSERT_LT(0, self->child);
	ret = pt_kill(&self->s, self->child, &args, &r);
	ASSERT_PT_FEATURE("deferred termination", ret, r.msg);
	ASSERT_PT_OK(ret, r);
	ASSERT_TRUE(r.a.has[PROCTERM_A_REQUEST_ID]);
	ASSERT_DIES(self->child, status);
	ASSERT_EXITED_WITH(5, status);

	ret = listener_expect(&self->l, self->child, &e);
	ASSERT_EQ(0, ret) TH_LOG("no event for PID %d: %s", self->child, pt_errname(ret));
	EXPECT_EQ(s0 + 1, e.seq);
	check_common(_metadata, &e, self->child, PROCTERM_EVENT_MODE_DEFERRED,
		     PROCTERM_F_DEFERRED);
	EXPECT_EQ((uint64_t)status, e.a.u[PROCTERM_A_WAIT_STATUS]);
	EXPECT_EQ(r.a.u[PROCTERM_A_REQUEST_ID], e.a.u[PROCTERM_A_REQUEST_ID]);
	self->child = 0;
	SENTINEL(s1);
	EXPECT_EQ(s0 + 2, s1);
}

/* ------------------------------------------------------------- trees */

#define FAN_STACK	(16 * 1024)

struct fan {
	volatile int ready;
	volatile int failed;
	int n;
	pid_t pids[];
};

static struct fan *fan_shm;
static char *fan_stacks;

static int fan_member(void *arg)
{
	int i = (int)(intptr_t)arg;

	fan_shm->pids[i] = (pid_t)syscall(SYS_getpid);
	__atomic_add_fetch(&fan_shm->ready, 1, __ATOMIC_SEQ_CST);
	for (;;)
		syscall(SYS_pause);
	return 0;
}

/* The root: @n members sharing its memory (cheap), then block. */
static int fan_root(int ready_fd, void *arg)
{
	int i;

	(void)arg;
	fan_stacks = mmap(NULL, (size_t)(fan_shm->n + 1) * FAN_STACK,
			  PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (fan_stacks == MAP_FAILED) {
		fan_shm->failed = errno;
		pt_ready(ready_fd);
		pt_block_forever();
	}
	for (i = 0; i < fan_shm->n; i++)
		if (clone(fan_member, fan_stacks + (size_t)(i + 1) * FAN_STACK,
			  CLONE_VM | SIGCHLD, (void *)(intptr_t)i) < 0) {
			fan_shm->failed = errno;
			break;
		}
	pt_ready(ready_fd);
	pt_block_forever();
}

/* Raise /proc/sys/kernel/@name to at least @min; the old value in *@old. */
static void raise_sysctl(const char *name, long min, long *old)
{
	char path[128], buf[32];

	*old = 0;
	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	if (pt_read_file(path, buf, sizeof(buf)) <= 0)
		return;
	if (strtol(buf, NULL, 10) >= min)
		return;
	*old = strtol(buf, NULL, 10);
	snprintf(buf, sizeof(buf), "%ld", min);
	pt_write_file(path, buf);
}

static void restore_sysctl(const char *name, long old)
{
	char path[128], buf[32];

	if (!old)
		return;
	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	snprintf(buf, sizeof(buf), "%ld", old);
	pt_write_file(path, buf);
}

#define MAX_EVENTS_PARAM "/sys/module/procterm/parameters/max_events"

/*
 * A tree of @members processes (a root and members - 1 children) killed
 * with --tree: every member's event is received or counted in a gap, no
 * PID twice, nothing else between the sentinels. With @max_events, the
 * parameter is set to it for the kill and restored right after it (the
 * sentinel needs a record). The number of events received in *@got.
 */
static void tree_events(struct __test_metadata *_metadata,
			FIXTURE_DATA(events) *self, int members,
			bool want_all, const char *max_events, int *got)
{
	char old_max[32] = "";
	struct pt_kill_args args = { .flags = PROCTERM_F_TREE };
	long old_pid_max, old_threads;
	int received = 0, reaped = 0, ret, status, i;
	uint64_t s0, s1, id = 0;
	char *seen = NULL;
	struct pt_reply r;
	struct event e;
	pid_t root, p;

	raise_sysctl("pid_max", members * 2L + 4096, &old_pid_max);
	raise_sysctl("threads-max", members * 2L + 4096, &old_threads);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	fan_shm = mmap(NULL, sizeof(*fan_shm) + members * sizeof(pid_t),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fan_shm);
	fan_shm->n = members - 1;

	SENTINEL(s0);
	root = pt_spawn(fan_root, NULL, NULL, 1);
	ASSERT_LT(0, root);
	self->child = root;
	ASSERT_EQ(0, fan_shm->failed) TH_LOG("clone: %s", strerror(fan_shm->failed));
	for (i = 0; fan_shm->ready < members - 1 && i < 60000; i++)
		pt_sleep_ms(10);
	ASSERT_EQ(members - 1, fan_shm->ready);

	if (max_events) {
		ASSERT_LT(0, pt_read_file(MAX_EVENTS_PARAM, old_max, sizeof(old_max)));
		ASSERT_EQ(0, pt_write_file(MAX_EVENTS_PARAM, max_events));
	}
	ret = pt_kill(&self->s, root, &args, &r);
	if (max_events)
		EXPECT_EQ(0, pt_write_file(MAX_EVENTS_PARAM, old_max));
	ASSERT_PT_FEATURE("tree kill", ret, r.msg);
	ASSERT_PT_OK(ret, r);
	ASSERT_EQ((uint64_t)members, r.a.u[PROCTERM_A_COUNT]);
	/* An immediate tree's request id is in the reply, and its events'. */
	ASSERT_TRUE(r.a.has[PROCTERM_A_REQUEST_ID]);
	id = r.a.u[PROCTERM_A_REQUEST_ID];
	ASSERT_NE(0ULL, (unsigned long long)id);

	/* Reap them all (we are their subreaper): all dead before the sentinel. */
	while (reaped < members) {
		p = waitpid(-1, &status, 0);
		if (p < 0)
			break;
		if (p == root)
			self->child = 0;
		reaped++;
	}
	ASSERT_EQ(members, reaped);

	seen = calloc(members, 1);
	ASSERT_NE(NULL, seen);
	/* Every event up to the sentinel's: a member, once. */
	p = pt_spawn_sleeper();
	ASSERT_LT(0, p);
	ret = pt_kill(&self->s, p, NULL, &r);
	ASSERT_PT_OK(ret, r);
	ASSERT_DIES(p, status);
	for (;;) {
		int idx = -1;

		ret = listener_next(&self->l, &e, EV_WAIT_MS);
		ASSERT_EQ(0, ret) TH_LOG("after %d events: %s", received, pt_errname(ret));
		if (e.a.u[PROCTERM_A_PID] == (uint64_t)p)
			break;
		if (e.a.u[PROCTERM_A_PID] == (uint64_t)root)
			idx = members - 1;
		for (i = 0; idx < 0 && i < members - 1; i++)
			if (e.a.u[PROCTERM_A_PID] == (uint64_t)fan_shm->pids[i])
				idx = i;
		ASSERT_LE(0, idx) TH_LOG("event for PID %llu, not a member",
					 (unsigned long long)e.a.u[PROCTERM_A_PID]);
		ASSERT_EQ(0, seen[idx]) TH_LOG("PID %llu reported twice",
					       (unsigned long long)e.a.u[PROCTERM_A_PID]);
		seen[idx] = 1;
		EXPECT_EQ((uint64_t)PROCTERM_EVENT_MODE_TREE, e.a.u[PROCTERM_A_EVENT_MODE]);
		EXPECT_EQ((uint64_t)PROCTERM_F_TREE, e.a.u[PROCTERM_A_FLAGS]);
		EXPECT_EQ((uint64_t)PROCTERM_STAGE_KILL, e.a.u[PROCTERM_A_STAGE]);
		EXPECT_EQ((uint64_t)SIGKILL, e.a.u[PROCTERM_A_WAIT_STATUS]);
		ASSERT_TRUE(e.a.has[PROCTERM_A_REQUEST_ID]);
		EXPECT_EQ(id, e.a.u[PROCTERM_A_REQUEST_ID]);
		received++;
	}
	s1 = e.seq;
	TH_LOG("%d members: %d events received, %llu lost in gaps, %d overflows",
	       members, received, (unsigned long long)(s1 - s0 - 1 - received),
	       self->l.overflows);
	/* Received + lost (gaps) == members, exactly. */
	EXPECT_EQ((uint64_t)members, s1 - s0 - 1);
	if (want_all)
		EXPECT_EQ(members, received);
	free(seen);
	munmap(fan_shm, sizeof(*fan_shm) + members * sizeof(pid_t));
	restore_sysctl("pid_max", old_pid_max);
	restore_sysctl("threads-max", old_threads);
	if (got)
		*got = received;
}

TEST_F(events, tree)
{
	tree_events(_metadata, self, 5, true, NULL, NULL);
}

TEST_F_TIMEOUT(events, tree_10000, PT_TIMEOUT(600))
{
	tree_events(_metadata, self, (int)pt_env_long("PT_TREE_BIG", 10000, 2, 1000000),
		    false, NULL, NULL);
}

/*
 * The loss path: max_events below the tree's size. The kill still kills
 * every member (checked by tree_events()), and every member's event is
 * received or counted in a gap, with gaps.
 */
TEST_F(events, tree_over_max_events)
{
	int received = -1;

	tree_events(_metadata, self, 40, false, "8", &received);
	/* Some kept (the test runs as root: the full cap), most lost. */
	EXPECT_LT(0, received);
	EXPECT_GE(8, received);
}

/* ------------------------------------------------------- grace */

static int term_code;			/* the target's: -1 ignores SIGTERM */

static void term_exit(int sig)
{
	(void)sig;
	_exit(term_code);
}

/* SIGTERM: exit with the code in @arg, or (-1) ignore it. */
static int term_body(int ready_fd, void *arg)
{
	term_code = (int)(long)arg;
	signal(SIGTERM, term_code < 0 ? SIG_IGN : term_exit);
	pt_ready(ready_fd);
	for (;;)
		pause();
	return 0;
}

static int grace_kill(struct pt_sock *s, pid_t pid, uint32_t grace_ms,
		      uint32_t flags, struct pt_reply *r)
{
	struct pt_msg m;

	pt_msg_init(&m, s, PROCTERM_CMD_KILL, 0);
	pt_put_u32(&m, PROCTERM_A_PID, (uint32_t)pid);
	pt_put_u32(&m, PROCTERM_A_GRACE_MS, grace_ms);
	if (flags)
		pt_put_u32(&m, PROCTERM_A_FLAGS, flags);
	m.want = PT_WANT_ACK | PT_WANT_REPLY;
	return pt_request(s, &m, r);
}

/*
 * A grace kill of a process that handles SIGTERM (exits 3 during the grace
 * period: stage TERM) or ignores it (killed at the deadline: stage KILL);
 * one event each, mode grace, with the request id and the parent's status.
 */
static void grace_event(struct __test_metadata *_metadata,
			FIXTURE_DATA(events) *self, int code)
{
	struct pt_reply r;
	struct event e;
	uint64_t s0, s1;
	int status, ret;

	SENTINEL(s0);
	self->child = pt_spawn(term_body, (void *)(long)code, NULL, 1);
	ASSERT_LT(0, self->child);
	ret = grace_kill(&self->s, self->child, code < 0 ? 300 : 20000, 0, &r);
	ASSERT_PT_FEATURE("grace kill", ret, r.msg);
	ASSERT_PT_OK(ret, r);
	ASSERT_TRUE(r.a.has[PROCTERM_A_REQUEST_ID]);
	ASSERT_DIES(self->child, status);
	if (code < 0)
		ASSERT_KILLED_BY_SIGKILL(status);
	else
		ASSERT_EXITED_WITH(code, status);

	ret = listener_expect(&self->l, self->child, &e);
	ASSERT_EQ(0, ret) TH_LOG("no event for PID %d: %s", self->child, pt_errname(ret));
	EXPECT_EQ(s0 + 1, e.seq);
	EXPECT_EQ((uint64_t)PROCTERM_EVENT_MODE_GRACE, e.a.u[PROCTERM_A_EVENT_MODE]);
	EXPECT_EQ((uint64_t)(code < 0 ? PROCTERM_STAGE_KILL : PROCTERM_STAGE_TERM),
		  e.a.u[PROCTERM_A_STAGE]);
	EXPECT_EQ((uint64_t)status, e.a.u[PROCTERM_A_WAIT_STATUS]);
	EXPECT_EQ(r.a.u[PROCTERM_A_REQUEST_ID], e.a.u[PROCTERM_A_REQUEST_ID]);
	EXPECT_EQ(0ULL, e.a.u[PROCTERM_A_FLAGS]);
	EXPECT_EQ((uint64_t)getpid(), e.a.u[PROCTERM_A_REQUESTER_PID]);
	if (code < 0)
		EXPECT_LE(300ULL * 1000000, e.a.u[PROCTERM_A_ELAPSED_NS]);
	self->child = 0;
	SENTINEL(s1);
	EXPECT_EQ(s0 + 2, s1);
	/* Ended during grace: the record waits for its deadline; end it. */
	if (code >= 0)
		EXPECT_EQ(0, pt_cancel(&self->s, r.a.u[PROCTERM_A_REQUEST_ID], &r));
}

TEST_F(events, grace_term_handled)
{
	grace_event(_metadata, self, 3);
}

TEST_F(events, grace_term_ignored)
{
	grace_event(_metadata, self, -1);
}

/* Shared with a grace tree's root: its children and the late one. */
struct gtree {
	volatile pid_t kids[3];		/* exits 4 on TERM, ignores, ignores */
	volatile pid_t late;		/* forked during the grace period */
	volatile int go;
};

static struct gtree *gtree;

static int gtree_root(int ready_fd, void *arg)
{
	static const int codes[3] = { 4, -1, -1 };
	pid_t p;
	int i;

	(void)arg;
	for (i = 0; i < 3; i++) {
		/* The child inherits its disposition: ready before it runs. */
		term_code = codes[i];
		signal(SIGTERM, term_code < 0 ? SIG_IGN : term_exit);
		p = fork();
		if (p == 0)
			for (;;)
				pause();
		gtree->kids[i] = p;
	}
	signal(SIGTERM, SIG_IGN);
	pt_ready(ready_fd);
	while (!gtree->go)
		usleep(1000);
	/* Forked after the first signals: no TERM, killed at the deadline. */
	p = fork();
	if (p == 0)
		for (;;)
			pause();
	gtree->late = p;
	for (;;)
		pause();
	return 0;
}

/*
 * A grace tree kill: every member reported once, the one that exits on
 * SIGTERM in stage TERM with its status, the others (the root, a
 * TERM-ignoring child, a child forked during the grace period) in stage
 * KILL; all with the tree's request id and the tree flag.
 */
TEST_F(events, grace_tree)
{
	pid_t members[5];
	int codes[5] = { -1, 4, -1, -1, -1 };
	char seen[5] = { 0 };
	struct pt_reply r;
	struct event e;
	uint64_t s0, s1;
	int status, ret, i, n = 0, reaped = 0;
	pid_t p;

	gtree = mmap(NULL, sizeof(*gtree), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gtree);
	memset((void *)gtree, 0, sizeof(*gtree));
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));

	SENTINEL(s0);
	self->child = pt_spawn(gtree_root, NULL, NULL, 1);
	ASSERT_LT(0, self->child);
	ret = grace_kill(&self->s, self->child, 1500, PROCTERM_F_TREE, &r);
	ASSERT_PT_FEATURE("grace tree kill", ret, r.msg);
	ASSERT_PT_OK(ret, r);
	EXPECT_EQ(4ULL, r.a.u[PROCTERM_A_COUNT]);
	gtree->go = 1;
	for (i = 0; !gtree->late && i < 5000; i++)
		usleep(1000);
	ASSERT_NE(0, gtree->late);
	members[0] = self->child;
	for (i = 0; i < 3; i++)
		members[i + 1] = gtree->kids[i];
	members[4] = gtree->late;

	/* All five die (we are the subreaper of the orphans). */
	while (reaped < 5) {
		p = waitpid(-1, &status, 0);
		if (p < 0)
			break;
		if (p == self->child)
			self->child = 0;
		reaped++;
	}
	ASSERT_EQ(5, reaped);

	for (n = 0; n < 5; n++) {
		ret = listener_next(&self->l, &e, EV_WAIT_MS);
		ASSERT_EQ(0, ret) TH_LOG("after %d events: %s", n, pt_errname(ret));
		for (i = 0; i < 5; i++)
			if (e.a.u[PROCTERM_A_PID] == (uint64_t)members[i])
				break;
		ASSERT_GT(5, i) TH_LOG("event for PID %llu, not a member",
				       (unsigned long long)e.a.u[PROCTERM_A_PID]);
		ASSERT_EQ(0, seen[i]) TH_LOG("PID %d reported twice", members[i]);
		seen[i] = 1;
		EXPECT_EQ(s0 + 1 + n, e.seq);
		EXPECT_EQ((uint64_t)PROCTERM_EVENT_MODE_GRACE, e.a.u[PROCTERM_A_EVENT_MODE]);
		EXPECT_EQ((uint64_t)PROCTERM_F_TREE, e.a.u[PROCTERM_A_FLAGS]);
		EXPECT_EQ(r.a.u[PROCTERM_A_REQUEST_ID], e.a.u[PROCTERM_A_REQUEST_ID]);
		EXPECT_EQ((uint64_t)(codes[i] < 0 ? PROCTERM_STAGE_KILL : PROCTERM_STAGE_TERM),
			  e.a.u[PROCTERM_A_STAGE]) TH_LOG("member %d (PID %d)", i, members[i]);
		EXPECT_EQ((uint64_t)(codes[i] < 0 ? SIGKILL : codes[i] << 8),
			  e.a.u[PROCTERM_A_WAIT_STATUS]) TH_LOG("member %d (PID %d)", i, members[i]);
	}
	SENTINEL(s1);
	EXPECT_EQ(s0 + 6, s1);
	munmap((void *)gtree, sizeof(*gtree));
}

/* ----------------------------------------------------- no event */

struct req_arg {
	pid_t target;
};

/* As nobody (uid 65534, no capability): kill @target, report the errno. */
static int unpriv_kill_body(int ready_fd, void *arg)
{
	struct req_arg *a = arg;
	struct pt_reply r;
	struct pt_sock s;
	int ret;

	ret = pt_set_creds(65534, 65534, 65534, 65534, 0);
	if (!ret)
		ret = pt_open(&s);
	if (!ret)
		ret = pt_kill(&s, a->target, NULL, &r);
	pt_ready_data(ready_fd, &ret, sizeof(ret));
	return 0;
}

/* A refused request and a kill(2) kill: no event for either. */
TEST_F(events, refused_and_kill2)
{
	struct req_arg a;
	uint64_t s0, s1;
	int status, ret;

	SENTINEL(s0);
	self->child = pt_spawn_sleeper();
	ASSERT_LT(0, self->child);
	a.target = self->child;
	ASSERT_EQ(0, pt_run_child(unpriv_kill_body, &a, &ret, sizeof(ret), &status));
	ASSERT_EQ(-EPERM, ret) TH_LOG("nobody's kill of root's process: %s", pt_errname(ret));
	ASSERT_TRUE(pt_pid_alive(self->child));

	ASSERT_EQ(0, kill(self->child, SIGKILL));
	ASSERT_DIES(self->child, status);
	self->child = 0;

	SENTINEL(s1);
	EXPECT_EQ(s0 + 1, s1) TH_LOG("an event was sent for a refused request or a kill(2)");
}

/* ------------------------------------------------------ privilege */

struct join_arg {
	const char *uid_map;	/* root of a child user namespace, or */
	uid_t uid;		/* this uid with */
	uint64_t caps;		/* these capabilities */
};

static int join_body(int ready_fd, void *arg)
{
	struct join_arg *a = arg;
	struct listener l;
	struct pt_sock s;
	int stage, ret;

	ret = pt_become(&s, false, a->uid_map, a->uid, a->caps, &stage);
	if (!ret) {
		pt_close(&s);
		ret = listener_open(&l);
		listener_close(&l);
	} else {
		ret = -1000 - stage;
	}
	pt_ready_data(ready_fd, &ret, sizeof(ret));
	return 0;
}

static int try_join(const char *uid_map, uid_t uid, uint64_t caps)
{
	struct join_arg a = { .uid_map = uid_map, .uid = uid, .caps = caps };
	int ret = -EIO, status;

	if (pt_run_child(join_body, &a, &ret, sizeof(ret), &status))
		return -EIO;
	return ret;
}

TEST_F(events, join_needs_cap_net_admin)
{
	int ret;

	ret = try_join(NULL, 65534, 0);
	EXPECT_EQ(-EPERM, ret) TH_LOG("unprivileged join: %s", pt_errname(ret));
	ret = try_join(NULL, 65534, 1ULL << CAP_SYS_ADMIN);
	EXPECT_EQ(-EPERM, ret) TH_LOG("join with CAP_SYS_ADMIN only: %s", pt_errname(ret));
	ret = try_join(NULL, 65534, 1ULL << CAP_NET_ADMIN);
	EXPECT_EQ(0, ret) TH_LOG("join with CAP_NET_ADMIN: %s", pt_errname(ret));
	/* Root of a user namespace: not in the initial one, which owns init_net. */
	ret = try_join("0 0 1", 0, 0);
	if (ret == -1100)
		SKIP(return, "no user namespaces");
	EXPECT_EQ(-EPERM, ret) TH_LOG("join as root of a child user namespace: %s",
				      pt_errname(ret));
}

/* PROCTERM_CMD_EVENT is a notification: as a request it is refused. */
TEST_F(events, event_cmd_refused)
{
	struct pt_reply r;
	struct pt_msg m;
	int ret;

	pt_msg_init(&m, &self->s, PROCTERM_CMD_EVENT, 0);
	ret = pt_request(&self->s, &m, &r);
	EXPECT_EQ(-EOPNOTSUPP, ret) TH_LOG("PROCTERM_CMD_EVENT as a request: %s",
					   pt_errname(ret));
}

PT_HARNESS_MAIN
