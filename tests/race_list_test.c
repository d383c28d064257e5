// SPDX-License-Identifier: GPL-2.0
/*
 * PROCTERM_CMD_LIST dumps racing processes that exit and are reaped (issue
 * 9, item 6).
 *
 * Churners fork two-level chains (a child that forks a grandchild, both
 * exiting at once, reaped by the churner as a child subreaper), so rows are
 * built for tasks whose parent is reaped meanwhile: the row read
 * ->real_parent without the pid_alive() guard /proc uses. Every dump must
 * complete, with no PID 0 row.
 *
 * RACE_SCALE (percent) scales the dumps, RACE_BUDGET_S bounds the test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "procterm_test.h"

#include "race_lib.h"

#define NCHURN 2

struct dump_res {
	long rows, zero_pid, zero_ppid;
	int err;
	char msg[PT_EXTACK_LEN];
};

static uint32_t nla_u32_at(const unsigned char *p, size_t len, uint16_t type, bool *found)
{
	*found = false;
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;
		uint32_t v;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == type && a->nla_len >= NLA_HDRLEN + 4) {
			memcpy(&v, p + NLA_HDRLEN, 4);
			*found = true;
			return v;
		}
		if ((size_t)NLA_ALIGN(a->nla_len) >= len)
			break;
		len -= NLA_ALIGN(a->nla_len);
		p += NLA_ALIGN(a->nla_len);
	}
	return 0;
}

/* One whole LIST dump; 0 or a negative errno (-EAGAIN: it stalled). */
static int dump(struct pt_sock *s, struct dump_res *d)
{
	static unsigned char buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct pt_msg m;
	uint32_t seq;
	int ret;

	memset(d, 0, sizeof(*d));
	pt_msg_init(&m, s, PROCTERM_CMD_LIST, NLM_F_DUMP);
	seq = pt_nlh(&m)->nlmsg_seq;
	ret = pt_send(s, m.buf, m.len);
	if (ret)
		return ret;
	for (;;) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		if (poll(&pfd, 1, 10000) <= 0)
			return -EAGAIN;
		n = recv(s->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		len = (int)n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			const unsigned char *attrs;
			bool f;

			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR) {
				d->err = -*(const int *)NLMSG_DATA(nlh);
				return -d->err;
			}
			if (nlh->nlmsg_type != s->family)
				continue;
			attrs = (const unsigned char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
			d->rows++;
			if (!nla_u32_at(attrs, nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN),
					PROCTERM_A_PID, &f) || !f)
				d->zero_pid++;
		}
	}
}

static volatile int *stop_flag;

static int churn_body(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	while (!*stop_flag) {
		pid_t c = fork();

		if (c == 0) {
			if (fork() == 0)
				_exit(0);
			_exit(0);
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (c < 0)
			sleep_ms(1);
	}
	while (waitpid(-1, NULL, 0) > 0)
		;
	return 0;
}

FIXTURE(list) {
	pid_t churn[NCHURN];
};

FIXTURE_SETUP(list)
{
	int i;

	stop_flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, stop_flag);
	*stop_flag = 0;
	for (i = 0; i < NCHURN; i++) {
		self->churn[i] = fork_child();
		ASSERT_LE(0, self->churn[i]);
		if (!self->churn[i])
			_exit(churn_body());
	}
}

FIXTURE_TEARDOWN(list)
{
	int i, status;

	*stop_flag = 1;
	for (i = 0; i < NCHURN; i++)
		if (pt_wait_timeout(self->churn[i], &status, 10000))
			pt_reap(&self->churn[i]);
}

TEST_F_TIMEOUT(list, dump_vs_reaping, PT_TIMEOUT(180))
{
	int64_t t0 = mono_ms(), budget = race_budget_ms(40);
	long dumps = race_scale(3000), i, rows = 0;
	struct dump_res d;
	struct pt_sock s;
	int ret;

	PT_OPEN_OR_SKIP(&s);
	for (i = 0; i < dumps && mono_ms() - t0 < budget; i++) {
		ret = dump(&s, &d);
		ASSERT_EQ(0, ret) TH_LOG("dump %ld: %s after %ld rows", i, errname(ret), d.rows);
		ASSERT_EQ(0, d.zero_pid) TH_LOG("dump %ld: %ld rows without a PID (or PID 0)",
						i, d.zero_pid);
		ASSERT_LT(0, d.rows);
		rows += d.rows;
	}
	TH_LOG("%ld dumps, %ld rows, %lld ms", i, rows, (long long)(mono_ms() - t0));
	pt_close(&s);
	for (i = 0; i < NCHURN; i++)
		ASSERT_TRUE(pt_pid_alive(self->churn[i]));
}

PT_HARNESS_MAIN
