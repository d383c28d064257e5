// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed requests to the procterm family: strict per-command policies,
 * the errno each mistake earns, the extended ack that explains it (message
 * and, for a single bad attribute, its offset), and no side effects: a
 * bystander process named in most of these requests must survive every one
 * of them, and the module must keep answering afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "procterm_test.h"

/* The lowest PROCTERM_A_FLAGS bit the contract does not define. */
static uint32_t first_undefined_flag(void)
{
	uint32_t undefined = ~(uint32_t)__PROCTERM_F_ALL;

	return undefined & -undefined;
}

/*
 * The bystander is alive and the family still works: killing it with a
 * valid request succeeds and its parent (this test) sees it die.
 */
static void check_bystander(struct __test_metadata *_metadata,
			    struct pt_sock *nl, pid_t *canary)
{
	struct pt_reply r;
	int ret, status;

	ASSERT_TRUE(pt_pid_alive(*canary) && !pt_child_exited(*canary))
		TH_LOG("the bystander named in a rejected request died");
	ret = pt_kill(nl, *canary, NULL, &r);
	ASSERT_PT_OK(ret, r);
	ASSERT_DIES(*canary, status);
	*canary = 0;
	ASSERT_KILLED_BY_SIGKILL(status);
}

/*
 * Table of malformed PROCTERM_CMD_KILL requests. A builder appends
 * attributes to a request and returns the offset of the one attribute to
 * blame (0 when no single attribute is at fault, -1 when it could not
 * build the request).
 */
typedef int (*build_fn)(struct pt_msg *m, pid_t canary);

FIXTURE(malformed) {
	struct pt_sock nl;
	pid_t canary;
};

FIXTURE_VARIANT(malformed) {
	build_fn build;
	int err;		/* expected errno */
	int alt_err;		/* also acceptable, 0: none */
	bool blame_required;	/* NLMSGERR_ATTR_OFFS must name the culprit */
	bool missing_ok;	/* NLMSGERR_ATTR_MISS_TYPE may replace the message */
};

static int b_empty(struct pt_msg *m, pid_t c)
{
	(void)m; (void)c;
	return 0;
}

static int b_status_only(struct pt_msg *m, pid_t c)
{
	(void)c;
	return pt_put_u32(m, PROCTERM_A_EXIT_STATUS, 5) < 0 ? -1 : 0;
}

static int b_flags_only(struct pt_msg *m, pid_t c)
{
	(void)c;
	return pt_put_u32(m, PROCTERM_A_FLAGS, PROCTERM_F_WAIT) < 0 ? -1 : 0;
}

static int b_start_time_only(struct pt_msg *m, pid_t c)
{
	(void)c;
	return pt_put_u64(m, PROCTERM_A_START_TIME, 1) < 0 ? -1 : 0;
}

static int b_pid_and_addr(struct pt_msg *m, pid_t c)
{
	if (pt_put_u32(m, PROCTERM_A_PID, c) < 0 ||
	    pt_put_u64(m, PROCTERM_A_TASK_ADDR, 0xffff888000000000ULL) < 0)
		return -1;
	return 0;
}

/* PID attributes of the wrong size, holding the bystander's PID. */
static int b_pid_u8(struct pt_msg *m, pid_t c)
{
	return pt_put_u8(m, PROCTERM_A_PID, (uint8_t)c);
}

static int b_pid_u16(struct pt_msg *m, pid_t c)
{
	return pt_put_u16(m, PROCTERM_A_PID, (uint16_t)c);
}

static int b_pid_u64(struct pt_msg *m, pid_t c)
{
	return pt_put_u64(m, PROCTERM_A_PID, (uint64_t)c);
}

static int b_pid_empty(struct pt_msg *m, pid_t c)
{
	(void)c;
	return pt_put(m, PROCTERM_A_PID, NULL, 0);
}

static int b_status_u16(struct pt_msg *m, pid_t c)
{
	if (pt_put_u32(m, PROCTERM_A_PID, c) < 0)
		return -1;
	return pt_put_u16(m, PROCTERM_A_EXIT_STATUS, 1);
}

static int b_flags_undefined(struct pt_msg *m, pid_t c)
{
	if (pt_put_u32(m, PROCTERM_A_PID, c) < 0)
		return -1;
	return pt_put_u32(m, PROCTERM_A_FLAGS, first_undefined_flag());
}

static int b_flags_top_bit(struct pt_msg *m, pid_t c)
{
	if (pt_put_u32(m, PROCTERM_A_PID, c) < 0)
		return -1;
	return pt_put_u32(m, PROCTERM_A_FLAGS, PROCTERM_F_WAIT | 0x80000000U);
}

/* Attributes of the shared space that PROCTERM_CMD_KILL does not take. */
static int b_comm(struct pt_msg *m, pid_t c)
{
	if (pt_put_u32(m, PROCTERM_A_PID, c) < 0)
		return -1;
	return pt_put_str(m, PROCTERM_A_COMM, "sleep");
}

static int b_wait_status(struct pt_msg *m, pid_t c)
{
	if (pt_put_u32(m, PROCTERM_A_PID, c) < 0)
		return -1;
	return pt_put_u32(m, PROCTERM_A_WAIT_STATUS, 0);
}

static int b_request_id(struct pt_msg *m, pid_t c)
{
	if (pt_put_u32(m, PROCTERM_A_PID, c) < 0)
		return -1;
	return pt_put_u64(m, PROCTERM_A_REQUEST_ID, 1);
}

static int b_ppid(struct pt_msg *m, pid_t c)
{
	if (pt_put_u32(m, PROCTERM_A_PID, c) < 0)
		return -1;
	return pt_put_u32(m, PROCTERM_A_PPID, (uint32_t)getpid());
}

/* Reserved: the requester applies its own timeout. */
static int b_timeout_ms(struct pt_msg *m, pid_t c)
{
	if (pt_put_u32(m, PROCTERM_A_PID, c) < 0 ||
	    pt_put_u32(m, PROCTERM_A_FLAGS, PROCTERM_F_WAIT) < 0)
		return -1;
	return pt_put_u32(m, PROCTERM_A_TIMEOUT_MS, 1000);
}

static int b_type_beyond_max(struct pt_msg *m, pid_t c)
{
	if (pt_put_u32(m, PROCTERM_A_PID, c) < 0)
		return -1;
	return pt_put_u32(m, PROCTERM_A_MAX + 1, 0);
}

static int b_type_largest(struct pt_msg *m, pid_t c)
{
	if (pt_put_u32(m, PROCTERM_A_PID, c) < 0)
		return -1;
	return pt_put_u32(m, (uint16_t)(NLA_TYPE_MASK & 0xffff), 0);
}

static int b_type_zero(struct pt_msg *m, pid_t c)
{
	if (pt_put_u32(m, PROCTERM_A_PID, c) < 0)
		return -1;
	return pt_put_u32(m, PROCTERM_A_UNSPEC, 0);
}

static int b_pid_nested_flag(struct pt_msg *m, pid_t c)
{
	return pt_put_u32(m, PROCTERM_A_PID | NLA_F_NESTED, c);
}

static int b_oversized(struct pt_msg *m, pid_t c)
{
	char big[4000];

	if (pt_put_u32(m, PROCTERM_A_PID, c) < 0)
		return -1;
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	return pt_put_str(m, PROCTERM_A_COMM, big);
}

/* Bytes after the last attribute that do not form one. */
static int b_trailing_bytes(struct pt_msg *m, pid_t c)
{
	static const unsigned char junk[3] = { 0x01, 0x02, 0x03 };

	if (pt_put_u32(m, PROCTERM_A_PID, c) < 0 ||
	    pt_put_raw(m, junk, sizeof(junk)) < 0)
		return -1;
	return 0;
}

/* An attribute header whose length runs past the end of the message. */
static int b_attr_overruns(struct pt_msg *m, pid_t c)
{
	struct nlattr nla = { .nla_len = 256, .nla_type = PROCTERM_A_EXIT_STATUS };

	if (pt_put_u32(m, PROCTERM_A_PID, c) < 0 ||
	    pt_put_raw(m, &nla, sizeof(nla)) < 0)
		return -1;
	return 0;
}

/* An attribute header claiming less than its own size. */
static int b_attr_too_short(struct pt_msg *m, pid_t c)
{
	struct nlattr nla = { .nla_len = 2, .nla_type = PROCTERM_A_EXIT_STATUS };

	if (pt_put_u32(m, PROCTERM_A_PID, c) < 0 ||
	    pt_put_raw(m, &nla, sizeof(nla)) < 0)
		return -1;
	return 0;
}

/* PIDs that kill(2) would read as "my group" or "everyone". */
static int b_pid_zero(struct pt_msg *m, pid_t c)
{
	(void)c;
	return pt_put_u32(m, PROCTERM_A_PID, 0) < 0 ? -1 : 0;
}

static int b_pid_minus_one(struct pt_msg *m, pid_t c)
{
	(void)c;
	return pt_put_u32(m, PROCTERM_A_PID, 0xffffffffU) < 0 ? -1 : 0;
}

static int b_pid_minus_bystander(struct pt_msg *m, pid_t c)
{
	return pt_put_u32(m, PROCTERM_A_PID, (uint32_t)-c) < 0 ? -1 : 0;
}

static int b_pid_int_max(struct pt_msg *m, pid_t c)
{
	(void)c;
	return pt_put_u32(m, PROCTERM_A_PID, 0x7fffffffU) < 0 ? -1 : 0;
}

#define MISSING(_name, _fn)						\
	FIXTURE_VARIANT_ADD(malformed, _name) {				\
		.build = _fn, .err = EINVAL, .missing_ok = true,	\
	}
#define BAD_ATTR(_name, _fn)						\
	FIXTURE_VARIANT_ADD(malformed, _name) {				\
		.build = _fn, .err = EINVAL, .blame_required = true,	\
	}
#define BAD_LAYOUT(_name, _fn)						\
	FIXTURE_VARIANT_ADD(malformed, _name) {				\
		.build = _fn, .err = EINVAL,				\
	}
/* A PID outside 1..PID_MAX_LIMIT fails the policy's range check. */
#define BAD_PID(_name, _fn)						\
	FIXTURE_VARIANT_ADD(malformed, _name) {				\
		.build = _fn, .err = ERANGE, .blame_required = true,	\
	}

MISSING(no_attributes, b_empty);
MISSING(status_without_target, b_status_only);
MISSING(flags_without_target, b_flags_only);
MISSING(start_time_without_pid, b_start_time_only);
BAD_LAYOUT(pid_and_task_addr, b_pid_and_addr);
BAD_ATTR(pid_as_u8, b_pid_u8);
BAD_ATTR(pid_as_u16, b_pid_u16);
BAD_ATTR(pid_as_u64, b_pid_u64);
BAD_ATTR(pid_empty, b_pid_empty);
BAD_ATTR(status_as_u16, b_status_u16);
BAD_ATTR(undefined_flag, b_flags_undefined);
BAD_ATTR(top_flag_bit, b_flags_top_bit);
BAD_ATTR(comm_not_for_kill, b_comm);
BAD_ATTR(wait_status_not_for_kill, b_wait_status);
BAD_ATTR(request_id_not_for_kill, b_request_id);
BAD_ATTR(ppid_not_for_kill, b_ppid);
BAD_ATTR(timeout_ms_reserved, b_timeout_ms);
BAD_ATTR(type_beyond_max, b_type_beyond_max);
BAD_ATTR(type_largest, b_type_largest);
BAD_ATTR(type_zero, b_type_zero);
BAD_ATTR(pid_with_nested_flag, b_pid_nested_flag);
BAD_ATTR(oversized_attribute, b_oversized);
BAD_LAYOUT(trailing_bytes, b_trailing_bytes);
BAD_LAYOUT(attribute_overruns_message, b_attr_overruns);
BAD_LAYOUT(attribute_shorter_than_header, b_attr_too_short);
BAD_PID(pid_zero, b_pid_zero);
BAD_PID(pid_minus_one, b_pid_minus_one);
BAD_PID(pid_minus_bystander, b_pid_minus_bystander);
BAD_PID(pid_int_max, b_pid_int_max);

FIXTURE_SETUP(malformed)
{
	memset(self, 0, sizeof(*self));
	self->nl.fd = -1;
	PT_OPEN_OR_SKIP(&self->nl);
	self->canary = pt_spawn_sleeper();
	ASSERT_LT(0, self->canary);
}

FIXTURE_TEARDOWN(malformed)
{
	pt_reap(&self->canary);
	pt_close(&self->nl);
}

TEST_F(malformed, rejected)
{
	struct pt_reply r;
	struct pt_msg m;
	int blame, ret;

	pt_msg_init(&m, &self->nl, PROCTERM_CMD_KILL, 0);
	blame = variant->build(&m, self->canary);
	ASSERT_LE(0, blame);

	ret = pt_request(&self->nl, &m, &r);
	ASSERT_TRUE(ret == -variant->err ||
		    (variant->alt_err && ret == -variant->alt_err))
		TH_LOG("expected %s, got %s (extack \"%s\")",
		       pt_errname(variant->err), pt_errname(ret), r.msg);
	if (variant->missing_ok && !r.msg[0]) {
		EXPECT_TRUE(r.has_miss_type)
			TH_LOG("neither an extack message nor a missing attribute");
		EXPECT_TRUE(r.miss_type == PROCTERM_A_PID ||
			    r.miss_type == PROCTERM_A_TASK_ADDR)
			TH_LOG("missing attribute %u reported", r.miss_type);
	} else {
		EXPECT_NE('\0', r.msg[0])
			TH_LOG("%s without an extended-ack message", pt_errname(ret));
	}
	if (blame > 0 && variant->blame_required)
		EXPECT_TRUE(r.has_offs)
			TH_LOG("the extended ack does not point at the bad attribute");
	if (blame > 0 && r.has_offs)
		EXPECT_EQ((uint32_t)blame, r.offs)
			TH_LOG("extack blames offset %u, the bad attribute is at %d",
			       r.offs, blame);
	EXPECT_EQ(0, r.nreplies) TH_LOG("a rejected request got a reply");

	check_bystander(_metadata, &self->nl, &self->canary);
}

/* Requests that are well-formed netlink but not a KILL the family has. */
FIXTURE(nl) {
	struct pt_sock nl;
	pid_t canary;
};

FIXTURE_SETUP(nl)
{
	memset(self, 0, sizeof(*self));
	self->nl.fd = -1;
	PT_OPEN_OR_SKIP(&self->nl);
	self->canary = pt_spawn_sleeper();
	ASSERT_LT(0, self->canary);
}

FIXTURE_TEARDOWN(nl)
{
	pt_reap(&self->canary);
	pt_close(&self->nl);
}

static int command_error(struct pt_sock *nl, uint8_t cmd, uint16_t flags,
			 pid_t pid, struct pt_reply *r)
{
	struct pt_msg m;

	pt_msg_init(&m, nl, cmd, flags);
	pt_put_u32(&m, PROCTERM_A_PID, (uint32_t)pid);
	return pt_request(nl, &m, r);
}

TEST_F(nl, unknown_commands)
{
	static const uint8_t cmds[] = {
		PROCTERM_CMD_UNSPEC, PROCTERM_CMD_MAX + 1, 99, 255,
	};
	struct pt_reply r;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		ret = command_error(&self->nl, cmds[i], 0, self->canary, &r);
		EXPECT_EQ(-EOPNOTSUPP, ret)
			TH_LOG("command %u: %s (extack \"%s\")", cmds[i],
			       pt_errname(ret), r.msg);
		ASSERT_TRUE(pt_pid_alive(self->canary));
	}
	check_bystander(_metadata, &self->nl, &self->canary);
}

/* PROCTERM_CMD_KILL only has a doit handler. */
TEST_F(nl, kill_as_dump)
{
	struct pt_reply r;
	int ret;

	ret = command_error(&self->nl, PROCTERM_CMD_KILL, NLM_F_DUMP,
			    self->canary, &r);
	EXPECT_EQ(-EOPNOTSUPP, ret)
		TH_LOG("dump of KILL: %s (extack \"%s\")", pt_errname(ret), r.msg);
	check_bystander(_metadata, &self->nl, &self->canary);
}

/*
 * Raw datagrams the kernel must survive: truncated headers, lengths that lie,
 * garbage attributes, a KILL without NLM_F_REQUEST. After each, a valid
 * request (a KILL of an unused PID) must get its ESRCH, and any answer to
 * the junk must not be a success (except where noted).
 */
struct junk {
	const char *name;
	size_t send_len;	/* bytes actually sent */
	uint32_t claim_len;	/* nlmsg_len written in the header, 0: real */
	uint16_t flags;		/* nlmsg_flags */
	unsigned char fill;	/* payload byte after the genl header */
	size_t fill_len;
	bool pid_attr;		/* payload is PROCTERM_A_PID = bystander */
	bool error_required;	/* the kernel always answers this with an error */
	bool success_ok;	/* a plain ack is fine (nothing to do) */
};

static const struct junk junk_cases[] = {
	{ .name = "shorter than a netlink header", .send_len = 8 },
	{ .name = "length beyond the datagram", .send_len = 24, .claim_len = 64,
	  .flags = NLM_F_REQUEST | NLM_F_ACK },
	{ .name = "length below a netlink header", .send_len = 32, .claim_len = 4,
	  .flags = NLM_F_REQUEST | NLM_F_ACK },
	{ .name = "no generic netlink header", .send_len = NLMSG_HDRLEN,
	  .flags = NLM_F_REQUEST | NLM_F_ACK, .error_required = true },
	{ .name = "half a generic netlink header", .send_len = NLMSG_HDRLEN + 2,
	  .flags = NLM_F_REQUEST | NLM_F_ACK, .error_required = true },
	{ .name = "0xff attributes", .flags = NLM_F_REQUEST | NLM_F_ACK,
	  .fill = 0xff, .fill_len = 64, .error_required = true },
	{ .name = "zeroed attributes", .flags = NLM_F_REQUEST | NLM_F_ACK,
	  .fill = 0x00, .fill_len = 64, .error_required = true },
	{ .name = "0x01 attributes", .flags = NLM_F_REQUEST | NLM_F_ACK,
	  .fill = 0x01, .fill_len = 61, .error_required = true },
	{ .name = "kill without NLM_F_REQUEST", .flags = NLM_F_ACK,
	  .pid_attr = true, .success_ok = true },
};

/* Returns the sequence number used, 0 when the kernel refused the send. */
static uint32_t send_junk(struct __test_metadata *_metadata, struct pt_sock *nl,
			  const struct junk *j, pid_t canary)
{
	struct nlmsghdr *nlh;
	struct pt_msg m;
	size_t len;
	int ret;

	(void)_metadata;
	pt_msg_init(&m, nl, PROCTERM_CMD_KILL, 0);
	nlh = pt_nlh(&m);
	nlh->nlmsg_flags = j->flags;
	if (j->pid_attr)
		pt_put_u32(&m, PROCTERM_A_PID, (uint32_t)canary);
	if (j->fill_len) {
		unsigned char payload[256];

		memset(payload, j->fill, j->fill_len);
		pt_put_raw(&m, payload, j->fill_len);
	}
	len = j->send_len ? j->send_len : m.len;
	if (j->claim_len)
		nlh->nlmsg_len = j->claim_len;
	else
		nlh->nlmsg_len = len;
	ret = pt_send(nl, m.buf, len);
	if (ret) {
		/* Refusing it at the socket is as good as answering it. */
		TH_LOG("\"%s\": send refused with %s", j->name, pt_errname(ret));
		return 0;
	}
	return nlh->nlmsg_seq;
}

TEST_F(nl, truncated_and_garbage)
{
	struct pt_reply r;
	pid_t unused;
	size_t i;
	int k, ret;

	unused = pt_unused_pid();
	ASSERT_LT(0, unused);
	for (i = 0; i < ARRAY_SIZE(junk_cases); i++) {
		const struct junk *j = &junk_cases[i];
		bool answered = false;
		uint32_t seq;

		seq = send_junk(_metadata, &self->nl, j, self->canary);
		ret = pt_kill(&self->nl, unused, NULL, &r);
		ASSERT_EQ(-ESRCH, ret)
			TH_LOG("after \"%s\" a valid request got %s (extack \"%s\")",
			       j->name, pt_errname(ret), r.msg);
		for (k = 0; k < r.nstray && k < PT_STRAY_MAX; k++) {
			if (!seq || r.stray[k].seq != seq)
				continue;
			answered = true;
			if (!j->success_ok)
				EXPECT_NE(0, r.stray[k].err)
					TH_LOG("\"%s\" was acknowledged as a success",
					       j->name);
		}
		if (j->error_required && seq)
			EXPECT_TRUE(answered)
				TH_LOG("\"%s\" got no error", j->name);
		ASSERT_TRUE(pt_pid_alive(self->canary) &&
			    !pt_child_exited(self->canary))
			TH_LOG("the bystander died after \"%s\"", j->name);
	}
	check_bystander(_metadata, &self->nl, &self->canary);
}

/* One datagram, two requests: the bad one is refused, the good one served. */
TEST_F(nl, batch_of_bad_and_good)
{
	struct pt_msg bad, good;
	unsigned char buf[2 * 128];
	struct pt_reply r;
	int ret, status;
	uint32_t bad_seq;
	size_t i;
	bool seen = false;

	pt_msg_init(&bad, &self->nl, PROCTERM_CMD_KILL, 0);
	pt_put_u16(&bad, PROCTERM_A_PID, (uint16_t)self->canary);
	bad_seq = pt_nlh(&bad)->nlmsg_seq;

	pt_msg_init(&good, &self->nl, PROCTERM_CMD_KILL, 0);
	pt_put_u32(&good, PROCTERM_A_PID, (uint32_t)self->canary);
	pt_put_u32(&good, PROCTERM_A_FLAGS, PROCTERM_F_WAIT);
	ASSERT_LE(bad.len + good.len, sizeof(buf));
	memcpy(buf, bad.buf, bad.len);
	memcpy(buf + bad.len, good.buf, good.len);

	ASSERT_EQ(0, pt_send(&self->nl, buf, bad.len + good.len));
	ret = pt_recv(&self->nl, pt_nlh(&good)->nlmsg_seq,
		      PT_WANT_ACK | PT_WANT_REPLY | PT_WANT_EVENT, &r);
	ASSERT_PT_OK(ret, r);
	EXPECT_TRUE(pt_child_exited(self->canary));
	EXPECT_EQ((uint64_t)self->canary, r.ev.u[PROCTERM_A_PID]);
	for (i = 0; i < (size_t)r.nstray && i < PT_STRAY_MAX; i++)
		if (r.stray[i].seq == bad_seq) {
			seen = true;
			EXPECT_EQ(EINVAL, r.stray[i].err);
		}
	EXPECT_TRUE(seen) TH_LOG("the bad request of the batch got no answer");
	ASSERT_DIES(self->canary, status);
	self->canary = 0;
	ASSERT_KILLED_BY_SIGKILL(status);
}

/* Many rejected requests in a row, then a valid one. */
TEST_F(nl, many_rejections_then_valid)
{
	static const build_fn builders[] = {
		b_empty, b_pid_u16, b_pid_u64, b_flags_undefined, b_comm,
		b_timeout_ms,
		b_type_beyond_max, b_trailing_bytes, b_attr_overruns,
		b_pid_nested_flag, b_pid_and_addr,
	};
	struct pt_reply r;
	struct pt_msg m;
	int round, ret;
	size_t i;

	for (round = 0; round < 30; round++) {
		for (i = 0; i < ARRAY_SIZE(builders); i++) {
			pt_msg_init(&m, &self->nl, PROCTERM_CMD_KILL, 0);
			ASSERT_LE(0, builders[i](&m, self->canary));
			ret = pt_request(&self->nl, &m, &r);
			ASSERT_EQ(-EINVAL, ret)
				TH_LOG("round %d, case %zu: %s", round, i,
				       pt_errname(ret));
		}
	}
	check_bystander(_metadata, &self->nl, &self->canary);
}

PT_HARNESS_MAIN
