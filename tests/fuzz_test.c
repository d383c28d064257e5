// SPDX-License-Identifier: GPL-2.0
/*
 * A structure-aware fuzzer for the "procterm" generic netlink family.
 *
 * Each message is built from the family's real shape and then bent: every
 * PROCTERM_CMD_* and unknown commands; the real attribute types (and
 * unknown ones) with boundary values (0, 1, maximum, maximum + 1,
 * PID_MAX_LIMIT, u64 extremes, the task_struct addresses of the fuzzer's
 * own children and of kthreadd), wrong lengths, strings where integers
 * belong, nests where none are expected, NLA_F_NESTED and
 * NLA_F_NET_BYTEORDER bits; duplicated attributes; flag words with unknown
 * bits; bad genl headers and versions; truncated messages (nlmsg_len
 * shorter or longer than the datagram, an attribute running past the end);
 * NLM_F_DUMP on doit-only commands; dumps read in full, abandoned after one
 * buffer, or interrupted by another request on the same socket; many
 * sockets with a dump each, closed unread.
 *
 * What must hold, for root and for an unprivileged user (65534, no
 * capabilities):
 *  - every request the kernel must answer is answered (an ack, an error or
 *    a reply) within ANSWER_MS; one it must drop (nlmsg_len past the end
 *    of the datagram) is not;
 *  - every error is one of the documented errnos (uapi header), and the
 *    module's own refusals carry an extended-ack message;
 *  - nothing dies that was not legitimately named in a request that
 *    succeeded: PID attributes are aimed at a pool of the fuzzer's own
 *    sleeping children, at values no process can have (0, above pid_max),
 *    at kthreadd, and, for the unprivileged user, at root's pool and PID 1,
 *    which must be refused;
 *  - at the end the family still works: a plain kill and a kill with an
 *    exit status give the parent the right waitpid() status.
 *
 * Deterministic: the seed is printed and PROCTERM_FUZZ_SEED overrides it;
 * PROCTERM_FUZZ_MSGS sets the number of messages per identity (default
 * 100 000). On a debug kernel (PROCTERM_SLOW=1) a selector nest is built
 * in a quarter of the messages that would get one: each valid selector
 * walks every PID of the guest, and under KASAN that made the run four
 * times as long.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "procterm_test.h"

#define FUZZ_MSGS_DEFAULT	100000
#define FUZZ_SEED_DEFAULT	0x70726f637465726dULL	/* "procterm" */
#define ANSWER_MS		20000	/* a request unanswered this long hangs */
#define BATCH			16	/* requests in flight on one socket */
#define NSOCKS			4	/* sockets the batches rotate over */
#define POOL			64	/* disposable children per identity */
#define POOL_ARMED		48	/* of which armed deferred at the start */
#define MANY_SOCKS		32	/* sockets with a dump each, closed unread */
#define DUMP_RECV		4096	/* small: dumps come in many parts */
#define MAX_NAMED		8	/* pool slots one request can name */

#define FUZZ_UID		65534

#ifndef PID_MAX_LIMIT
#define PID_MAX_LIMIT		(4 * 1024 * 1024)
#endif

/* ------------------------------------------------------------ the seed */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	/* splitmix64 */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnd(r) % n) : 0;
}

/* true with probability @pct percent */
static bool chance(struct rng *r, unsigned int pct)
{
	return below(r, 100) < pct;
}

static uint64_t fuzz_seed(void)
{
	const char *s = getenv("PROCTERM_FUZZ_SEED");

	if (s && *s)
		return strtoull(s, NULL, 0);
	return FUZZ_SEED_DEFAULT;
}

/* -------------------------------------------------------- the outcome */

/*
 * The documented errnos (include/uapi/linux/procterm.h). EBUSY is not one
 * any more (a full waiter table is EDQUOT), and netlink's own EBUSY, a
 * second dump on a socket, cannot happen: each dump has a socket of its own.
 */
static const int allowed_errs[] = {
	ESRCH, EPERM, ENOTTY, EALREADY, ENOENT, EDQUOT, EAGAIN, ENODEV,
	EINVAL, ERANGE, EOPNOTSUPP, ENOMEM, E2BIG,
};
#define NERRS (sizeof(allowed_errs) / sizeof(allowed_errs[0]))

/* Refusals that are the module's own and must say why. */
static bool needs_extack(int err)
{
	return err == ESRCH || err == EPERM || err == ENOTTY ||
	       err == EALREADY || err == ENOENT || err == ERANGE ||
	       err == EDQUOT || err == EAGAIN || err == ENODEV;
}

struct fuzz_result {
	int failed;		/* 0: every check held */
	char why[512];		/* the first failure */
	char last_msg[160];	/* the message it concerned, in hex */
	uint64_t seed;
	long sent, answered, dropped, replies, oks;
	long errs[NERRS];
	long no_extack;		/* errors without a message (core ones) */
	long dumps, dump_rows, abandoned, interrupted, many_socks;
	long kills, armed, cancelled, respawned, deaths_seen;
	long stray;		/* data for requests already answered */
	long ms;
};

/* --------------------------------------------------------- the pool */

struct slot {
	pid_t pid;
	uint64_t addr;		/* 0: not visible to this caller */
	uint64_t start;
	bool maybe_killed;	/* named by a KILL that was not refused */
};

struct fuzz {
	struct rng rng;
	bool priv;
	struct pt_sock socks[NSOCKS];
	uint16_t family;
	struct slot pool[POOL];
	/* Someone else's processes; a request naming them must be refused. */
	pid_t foreign[POOL];
	uint64_t foreign_addr[POOL];
	int nforeign;
	uint64_t kthreadd_addr;
	uint32_t pid_max;
	uint64_t ids[64];	/* deferred request ids seen in replies */
	unsigned int nids;
	uint64_t max_id;
	struct fuzz_result *res;
};

static void fail(struct fuzz *f, const void *msg, size_t len,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void fail(struct fuzz *f, const void *msg, size_t len,
		 const char *fmt, ...)
{
	struct fuzz_result *res = f->res;
	va_list ap;
	size_t i, o = 0;

	if (res->failed++)
		return;
	va_start(ap, fmt);
	vsnprintf(res->why, sizeof(res->why), fmt, ap);
	va_end(ap);
	for (i = 0; msg && i < len && o + 3 < sizeof(res->last_msg); i++)
		o += snprintf(res->last_msg + o, sizeof(res->last_msg) - o,
			      "%02x", ((const unsigned char *)msg)[i]);
}

static int slot_fill(struct fuzz *f, struct slot *sl)
{
	struct pt_stat st;
	struct pt_answer a;
	struct pt_msg m;
	int ret;

	sl->maybe_killed = false;
	sl->addr = 0;
	ret = pt_read_stat(sl->pid, &st);
	if (ret)
		return ret;
	sl->start = st.start_time;
	if (!f->priv)
		return 0;
	pt_msg_init(&m, &f->socks[0], PROCTERM_CMD_LIST, 0);
	pt_put_u32(&m, PROCTERM_A_PID, (uint32_t)sl->pid);
	ret = pt_ask(&f->socks[0], &m, &a, ANSWER_MS);
	if (ret)
		return ret;
	sl->addr = a.a.u[PROCTERM_A_TASK_ADDR];
	return 0;
}

static int slot_spawn(struct fuzz *f, struct slot *sl)
{
	sl->pid = pt_spawn_sleeper();
	if (sl->pid < 0)
		return sl->pid;
	return slot_fill(f, sl);
}

/*
 * Reap the pool's dead; a child that died without a request that could
 * have killed it is a failure. Dead slots get a new child.
 */
static int pool_check(struct fuzz *f, bool respawn)
{
	int i, status, ret;
	pid_t r;

	/* One waitpid() per batch when nothing died: syscalls are dear. */
	while ((r = waitpid(-1, &status, WNOHANG)) > 0) {
		struct slot *sl = NULL;

		for (i = 0; i < POOL; i++)
			if (f->pool[i].pid == r)
				sl = &f->pool[i];
		if (!sl)
			continue;	/* not a pool child */
		f->res->deaths_seen++;
		if (!sl->maybe_killed)
			fail(f, NULL, 0,
			     "pool child %d died (wait status 0x%x) though no request that could kill it succeeded",
			     (int)r, status);
		sl->pid = 0;
	}
	if (!respawn)
		return 0;
	for (i = 0; i < POOL; i++) {
		if (f->pool[i].pid > 0)
			continue;
		ret = slot_spawn(f, &f->pool[i]);
		if (ret)
			return ret;
		f->res->respawned++;
	}
	return 0;
}

/* --------------------------------------------------- building messages */

struct fmsg {
	size_t send_len;	/* bytes of m.buf sent (m.len unless cut) */
	bool silent;		/* the kernel must drop it without a word */
	bool dump;		/* NLM_F_DUMP on a command with a dumpit */
	bool exact;		/* nlmsg_len == send_len: may share a datagram */
	uint8_t cmd;
	bool named_foreign;	/* a PID or address of someone else's */
	bool named_kthread;
	bool named_addr;	/* a PROCTERM_A_TASK_ADDR of any value */
	bool has_select;	/* a PROCTERM_A_SELECT: the pool's name */
	int named[MAX_NAMED];	/* pool slots named */
	int nnamed;
	bool handled;		/* a request genetlink passes to the family */
	bool answered;
	int err;
	struct pt_msg m;	/* last: only its used part is written */
};

static const uint32_t u32_edges[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff,
	0x80000000, 0xfffffffe, 0xffffffff, PID_MAX_LIMIT, PID_MAX_LIMIT + 1,
};

static const uint64_t u64_edges[] = {
	0, 1, 2, 0xff, 0xffffffffULL, 0x100000000ULL, 0x7fffffffffffffffULL,
	0x8000000000000000ULL, 0xfffffffffffffffeULL, 0xffffffffffffffffULL,
	0xffff888000000000ULL, 0xffffffff81000000ULL, 0xffffc90000000000ULL,
};

static void name_slot(struct fmsg *fm, int i)
{
	int k;

	for (k = 0; k < fm->nnamed; k++)
		if (fm->named[k] == i)
			return;
	if (fm->nnamed < MAX_NAMED)
		fm->named[fm->nnamed++] = i;
}

/* Any value that equals a pool child's PID names it. */
static void name_pid(struct fuzz *f, struct fmsg *fm, uint64_t v)
{
	int i;

	for (i = 0; i < POOL; i++)
		if (f->pool[i].pid > 0 && (uint64_t)f->pool[i].pid == (v & 0xffffffff))
			name_slot(fm, i);
	for (i = 0; i < f->nforeign; i++)
		if ((uint64_t)f->foreign[i] == (v & 0xffffffff))
			fm->named_foreign = true;
	if ((v & 0xffffffff) == 1 || (v & 0xffffffff) == 2)
		fm->named_kthread = true;	/* init or kthreadd */
}

static void name_addr(struct fuzz *f, struct fmsg *fm, uint64_t v)
{
	int i;

	fm->named_addr = true;
	for (i = 0; i < POOL; i++)
		if (f->pool[i].addr && f->pool[i].addr == v)
			name_slot(fm, i);
	for (i = 0; i < f->nforeign; i++)
		if (f->foreign_addr[i] && f->foreign_addr[i] == v)
			fm->named_foreign = true;
	if (f->kthreadd_addr && v == f->kthreadd_addr)
		fm->named_kthread = true;
}

static uint32_t pick_pid(struct fuzz *f, struct fmsg *fm)
{
	struct rng *r = &f->rng;
	uint32_t v;
	int i;

	switch (below(r, 10)) {
	case 0:
	case 1:
	case 2:
	case 3:
		i = (int)below(r, POOL);
		v = f->pool[i].pid > 0 ? (uint32_t)f->pool[i].pid : 0;
		break;
	case 5:
		if (f->nforeign) {
			v = (uint32_t)f->foreign[below(r, f->nforeign)];
			break;
		}
		/* fall through */
	case 6:
		/* No process has a PID at or above pid_max. */
		v = f->pid_max + below(r, PID_MAX_LIMIT - f->pid_max + 2);
		break;
	case 7:
		/* kthreadd: refused for everyone; init only as the user. */
		v = f->priv ? 2 : 1 + below(r, 2);
		break;
	default:
		v = u32_edges[below(r, sizeof(u32_edges) / sizeof(u32_edges[0]))];
		/* Small PIDs are other processes: only the user aims there. */
		if (v > 2 && v < f->pid_max && f->priv)
			v = 0;
		if (v == 1 && f->priv)
			v = 2;
		if (!f->priv && v > 2 && v < f->pid_max)
			v = 2;
		break;
	}
	name_pid(f, fm, v);
	return v;
}

static uint64_t pick_addr(struct fuzz *f, struct fmsg *fm)
{
	struct rng *r = &f->rng;
	uint64_t v, base;
	int i;

	switch (below(r, 8)) {
	case 0:
	case 1:
	case 2:
		i = (int)below(r, POOL);
		v = f->pool[i].addr;
		break;
	case 3:
		v = f->nforeign ? f->foreign_addr[below(r, f->nforeign)] :
				  f->kthreadd_addr;
		break;
	case 4:
		v = f->kthreadd_addr;
		break;
	case 5:
		/* Near a real task_struct, but not one. */
		base = f->pool[below(r, POOL)].addr;
		if (!base)
			base = 0xffff888000000000ULL;
		/* Less than a task_struct away: never another task's. */
		v = base + (below(r, 2) ? 1 : -1) * (int64_t)(8 << below(r, 9));
		break;
	case 6:
		v = rnd(r);
		break;
	default:
		v = u64_edges[below(r, sizeof(u64_edges) / sizeof(u64_edges[0]))];
		break;
	}
	name_addr(f, fm, v);
	return v;
}

static uint64_t pick_start(struct fuzz *f)
{
	struct rng *r = &f->rng;
	uint64_t s = f->pool[below(r, POOL)].start;

	switch (below(r, 6)) {
	case 0:
	case 1:
		return s;
	case 2:
		return s + 1;
	case 3:
		return s - 1;
	default:
		return u64_edges[below(r, sizeof(u64_edges) / sizeof(u64_edges[0]))];
	}
}

static uint32_t pick_flags(struct rng *r)
{
	static const uint32_t flags[] = {
		0, PROCTERM_F_WAIT, PROCTERM_F_DEFERRED, PROCTERM_F_TREE,
		PROCTERM_F_WAIT | PROCTERM_F_DEFERRED,
		PROCTERM_F_WAIT | PROCTERM_F_TREE,
		PROCTERM_F_DEFERRED | PROCTERM_F_TREE, __PROCTERM_F_ALL,
		PROCTERM_F_DRY_RUN, PROCTERM_F_DRY_RUN, PROCTERM_F_STRICT,
		PROCTERM_F_DRY_RUN | PROCTERM_F_STRICT,
		1U << 5, 1U << 31, 0xffffffff, __PROCTERM_F_ALL | 1U << 5,
	};

	return flags[below(r, sizeof(flags) / sizeof(flags[0]))];
}

static uint64_t pick_id(struct fuzz *f)
{
	struct rng *r = &f->rng;

	switch (below(r, 5)) {
	case 0:
	case 1:
		if (f->nids)
			return f->ids[below(r, f->nids < 64 ? f->nids : 64)];
		/* fall through */
	case 2:
		return 0;
	case 3:
		return UINT64_MAX - below(r, 2);
	default:
		/* Far above any id handed out: no such request. */
		return f->max_id + 1000000 + below(r, 1000);
	}
}

/* A debug kernel (tests/qemu/run.sh sets PROCTERM_SLOW there). */
static bool fuzz_slow(void)
{
	static int slow = -1;

	if (slow < 0)
		slow = pt_env_long("PROCTERM_SLOW", 0, 0, 1);
	return slow;
}

/* Attributes a command uses, most often, to get past the policy. */
static uint16_t pick_type(struct rng *r, uint8_t cmd)
{
	static const uint16_t kill_types[] = {
		PROCTERM_A_PID, PROCTERM_A_PID, PROCTERM_A_PID,
		PROCTERM_A_START_TIME, PROCTERM_A_TASK_ADDR,
		PROCTERM_A_EXIT_STATUS, PROCTERM_A_FLAGS, PROCTERM_A_FLAGS,
		PROCTERM_A_SELECT,
	};

	if (chance(r, 15))
		return (uint16_t)below(r, PROCTERM_A_MAX + 1);
	if (chance(r, 5)) {
		static const uint16_t far[] = {
			PROCTERM_A_MAX + 1, PROCTERM_A_MAX + 2, 0x100, 0x3fff,
		};

		return far[below(r, 4)];
	}
	switch (cmd) {
	case PROCTERM_CMD_KILL:
		return kill_types[below(r, sizeof(kill_types) / sizeof(kill_types[0]))];
	case PROCTERM_CMD_LIST:
		return PROCTERM_A_PID;
	case PROCTERM_CMD_CANCEL:
		return PROCTERM_A_REQUEST_ID;
	default:
		return (uint16_t)below(r, PROCTERM_A_MAX + 1);
	}
}

/*
 * A PROCTERM_A_SELECT nest, bent like the rest, but always with a name
 * that only the fuzzers' own processes have (the last NAME or NAME_PREFIX
 * is one of them, or invalid): a selector must never reach anything else
 * in the guest. Its pool may die of it (judge()).
 */
static int put_select(struct fuzz *f, struct fmsg *fm)
{
	/* [0]: this fuzzer's own name, [1]: root's (for the user). */
	const char *const names[] = {
		f->priv ? "pt-fuzz-root" : "pt-fuzz-user", "pt-fuzz-root",
	};
	static const char *const bad_names[] = { "", "0123456789abcdefXYZ" };
	static const char *const cgroups[] = {
		"/", "/pt-fuzz-no-such", "relative", "", "//", "/..",
	};
	struct rng *r = &f->rng;
	size_t start = NLMSG_ALIGN(fm->m.len);
	const char *name;
	int off, n;

	off = pt_put(&fm->m, PROCTERM_A_SELECT | (chance(r, 10) ? 0 : NLA_F_NESTED),
		     NULL, 0);
	if (off < 0)
		return -1;
	/*
	 * Root names its own processes only: the two fuzzers run at once,
	 * and root could kill the other's. The user sometimes names root's,
	 * which must be refused (root's pool check would see a death).
	 */
	name = names[!f->priv && chance(r, 8)];
	pt_put_str(&fm->m, chance(r, 8) ? PROCTERM_SEL_NAME_PREFIX : PROCTERM_SEL_NAME,
		   name);
	for (n = (int)below(r, 4); n > 0; n--) {
		uint16_t type = (uint16_t)(1 + below(r, PROCTERM_SEL_MAX + 1));
		uint64_t v = chance(r, 2) ? rnd(r) :
			     u64_edges[below(r, sizeof(u64_edges) / sizeof(u64_edges[0]))];
		uint32_t v32 = chance(r, 2) ? (uint32_t)v :
			       (uint32_t[]){ 0, FUZZ_UID, 1000, 0xffffffff }[below(r, 4)];

		switch (type) {
		case PROCTERM_SEL_NAME:
		case PROCTERM_SEL_NAME_PREFIX:
			pt_put_str(&fm->m, type, chance(r, 3) ?
				   bad_names[below(r, 2)] :
				   names[!f->priv && chance(r, 2)]);
			break;
		case PROCTERM_SEL_CGROUP:
			pt_put_str(&fm->m, type, cgroups[below(r, sizeof(cgroups) /
							     sizeof(cgroups[0]))]);
			break;
		case PROCTERM_SEL_UID:
		case PROCTERM_SEL_PICK:
			if (type == PROCTERM_SEL_PICK && chance(r, 2))
				v32 = (uint32_t)below(r, __PROCTERM_PICK_MAX + 2);
			if (chance(r, 6))
				pt_put(&fm->m, type, &v, 1 + below(r, 8));
			else
				pt_put_u32(&fm->m, type, v32);
			break;
		default:	/* RSS_ABOVE, OLDER_THAN_NS, unknown */
			if (chance(r, 6))
				pt_put(&fm->m, type, &v, below(r, 9));
			else
				pt_put_u64(&fm->m, type, v);
			break;
		}
	}
	((struct nlattr *)(fm->m.buf + start))->nla_len =
		(uint16_t)(fm->m.len - start);
	return off;
}

static int put_attr(struct fuzz *f, struct fmsg *fm, uint16_t type, int depth)
{
	struct rng *r = &f->rng;
	unsigned char buf[128];
	uint16_t hdr_type = type;
	size_t len = 0;
	uint64_t v = 0;
	uint32_t v32;
	int kind = 0;	/* 4: u32, 8: u64, 1: u8, -1: string */

	if (type == PROCTERM_A_SELECT) {
		/* Inside another nest it is only bytes; on top, a selector. */
		if (depth)
			type = PROCTERM_A_UNSPEC;
		else if (!fuzz_slow() || chance(r, 25))
			return put_select(f, fm);
		else
			type = PROCTERM_A_PID;
	}
	switch (type) {
	case PROCTERM_A_PID:
	case PROCTERM_A_PPID:
		v = pick_pid(f, fm);
		kind = 4;
		break;
	case PROCTERM_A_TASK_ADDR:
		v = pick_addr(f, fm);
		kind = 8;
		break;
	case PROCTERM_A_START_TIME:
	case PROCTERM_A_ARMED_NS:
		v = pick_start(f);
		kind = 8;
		break;
	case PROCTERM_A_REQUEST_ID:
		v = pick_id(f);
		kind = 8;
		break;
	case PROCTERM_A_FLAGS:
		v = pick_flags(r);
		kind = 4;
		break;
	case PROCTERM_A_EXIT_STATUS:
		v = chance(r, 50) ? below(r, 256) :
		    u32_edges[below(r, sizeof(u32_edges) / sizeof(u32_edges[0]))];
		kind = 4;
		break;
	case PROCTERM_A_STATE:
		v = "RSDTtXZPI"[below(r, 9)];
		kind = 1;
		break;
	case PROCTERM_A_COMM:
		kind = -1;
		break;
	default:
		v = chance(r, 50) ? rnd(r) :
		    u32_edges[below(r, sizeof(u32_edges) / sizeof(u32_edges[0]))];
		kind = chance(r, 50) ? 4 : 8;
		break;
	}

	if (chance(r, 4)) {
		/* A string where an integer belongs, or an odd one. */
		static const char *const strs[] = {
			"", "1", "0x1", "procterm", "pt-fuzz-sleeper",
			"0123456789abcdefXYZ", "\xff\xfe",
		};
		const char *s = strs[below(r, sizeof(strs) / sizeof(strs[0]))];

		len = strlen(s) + (chance(r, 80) ? 1 : 0);
		memcpy(buf, s, len);
	} else if (kind == -1) {
		len = below(r, 40);
		memset(buf, 'a' + below(r, 26), len);
		if (len && chance(r, 70))
			buf[len - 1] = '\0';
	} else if (chance(r, 6)) {
		/* Wrong length: 0, 1, 2, 3, 5, 7, 9, 12 or 16 bytes. */
		static const size_t lens[] = { 0, 1, 2, 3, 5, 7, 9, 12, 16 };

		len = lens[below(r, sizeof(lens) / sizeof(lens[0]))];
		memset(buf, 0, sizeof(buf));
		memcpy(buf, &v, len < 8 ? len : 8);
	} else if (kind == 1) {
		buf[0] = (uint8_t)v;
		len = 1;
	} else if (kind == 4) {
		v32 = (uint32_t)v;
		memcpy(buf, &v32, 4);
		len = 4;
	} else {
		memcpy(buf, &v, 8);
		len = 8;
	}

	if (depth == 0 && chance(r, 3)) {
		/* A nest where none is expected, of real attributes. */
		size_t start = NLMSG_ALIGN(fm->m.len);
		int off, n = 1 + (int)below(r, 3), ret;

		off = pt_put(&fm->m, type | NLA_F_NESTED, NULL, 0);
		if (off < 0)
			return -1;
		while (n--) {
			ret = put_attr(f, fm, pick_type(r, fm->cmd), depth + 1);
			if (ret < 0)
				return ret;
		}
		((struct nlattr *)(fm->m.buf + start))->nla_len =
			(uint16_t)(fm->m.len - start);
		return off;
	}
	if (chance(r, 2))
		hdr_type |= NLA_F_NESTED;
	if (chance(r, 3))
		hdr_type |= NLA_F_NET_BYTEORDER;
	return pt_put(&fm->m, hdr_type, buf, len);
}

/*
 * Whose PID or address the kernel will act on: the last top-level
 * PROCTERM_A_PID and PROCTERM_A_TASK_ADDR of the right length within
 * nlmsg_len (nla_parse keeps the last). Every value put names pool slots
 * (a superset, for pool_check()); only these name others' processes.
 */
static void effective(struct fuzz *f, struct fmsg *fm)
{
	const struct nlmsghdr *nlh = pt_nlh(&fm->m);
	size_t len = nlh->nlmsg_len < fm->send_len ? nlh->nlmsg_len : fm->send_len;
	const unsigned char *p = fm->m.buf + NLMSG_LENGTH(GENL_HDRLEN);
	bool has_pid = false, has_addr = false;
	uint64_t pid = 0, addr = 0;
	struct fmsg tmp;
	long rem;

	if (len < NLMSG_LENGTH(GENL_HDRLEN))
		return;
	rem = (long)len - NLMSG_LENGTH(GENL_HDRLEN);
	while (rem >= NLA_HDRLEN) {
		const struct nlattr *nla = (const struct nlattr *)p;
		uint16_t type = nla->nla_type & NLA_TYPE_MASK;

		if (nla->nla_len < NLA_HDRLEN || nla->nla_len > rem)
			break;
		if (type == PROCTERM_A_SELECT)
			fm->has_select = true;
		if (type == PROCTERM_A_PID && nla->nla_len == NLA_HDRLEN + 4) {
			uint32_t v;

			memcpy(&v, p + NLA_HDRLEN, 4);
			pid = v;
			has_pid = true;
		} else if (type == PROCTERM_A_TASK_ADDR &&
			   nla->nla_len == NLA_HDRLEN + 8) {
			memcpy(&addr, p + NLA_HDRLEN, 8);
			has_addr = true;
		}
		rem -= NLA_ALIGN(nla->nla_len);
		p += NLA_ALIGN(nla->nla_len);
	}
	fm->named_foreign = fm->named_kthread = fm->named_addr = false;
	tmp.nnamed = 0;
	tmp.named_foreign = tmp.named_kthread = tmp.named_addr = false;
	if (has_pid)
		name_pid(f, &tmp, pid);
	if (has_addr)
		name_addr(f, &tmp, addr);
	fm->named_foreign = tmp.named_foreign;
	fm->named_kthread = tmp.named_kthread;
	fm->named_addr = tmp.named_addr;
}

static void build(struct fuzz *f, struct pt_sock *s, struct fmsg *fm)
{
	static const uint8_t unknown_cmds[] = {
		PROCTERM_CMD_UNSPEC, PROCTERM_CMD_MAX + 1, PROCTERM_CMD_MAX + 2,
		0x7f, 0x80, 0xff,
	};
	struct rng *r = &f->rng;
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	uint16_t flags = 0;
	int i, nattrs, last = -1;

	memset(fm, 0, offsetof(struct fmsg, m));
	switch (below(r, 20)) {
	case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
		fm->cmd = PROCTERM_CMD_KILL;
		break;
	case 8: case 9: case 10:
		fm->cmd = PROCTERM_CMD_LIST;
		break;
	case 11: case 12:
		fm->cmd = PROCTERM_CMD_PENDING;
		break;
	case 13: case 14: case 15: case 16:
		fm->cmd = PROCTERM_CMD_CANCEL;
		break;
	default:
		fm->cmd = unknown_cmds[below(r, sizeof(unknown_cmds))];
		break;
	}

	/* Dumps are rare: each one walks every process. */
	if (chance(r, 2))
		flags |= NLM_F_DUMP;
	else if (chance(r, 3))
		flags |= chance(r, 50) ? NLM_F_ROOT : NLM_F_MATCH;
	if (chance(r, 5))
		flags |= (uint16_t[]){ NLM_F_ECHO, NLM_F_ATOMIC, NLM_F_EXCL,
				       NLM_F_REPLACE, 0x8000 }[below(r, 5)];
	pt_msg_init(&fm->m, s, fm->cmd, flags);
	nlh = pt_nlh(&fm->m);
	g = NLMSG_DATA(nlh);
	if (chance(r, 4))
		g->version = (uint8_t[]){ 0, 2, 0x7f, 0xff }[below(r, 4)];
	if (chance(r, 3))
		g->reserved = (uint16_t)rnd(r);
	if (chance(r, 1))
		nlh->nlmsg_flags &= ~NLM_F_REQUEST;	/* acked, not handled */

	nattrs = (int)below(r, 5);
	if (fm->cmd == PROCTERM_CMD_KILL && nattrs == 0 && chance(r, 80))
		nattrs = 1;
	for (i = 0; i < nattrs; i++) {
		if (i && chance(r, 6)) {
			/* The previous attribute again, with another value. */
			struct nlattr *prev = (struct nlattr *)(fm->m.buf + last);

			last = put_attr(f, fm, prev->nla_type & NLA_TYPE_MASK, 0);
		} else {
			last = put_attr(f, fm, pick_type(r, fm->cmd), 0);
		}
		if (last < 0)
			break;
	}
	fm->send_len = fm->m.len;
	fm->exact = true;

	/* Truncations. */
	switch (below(r, 40)) {
	case 0:
		/* The last attribute claims more than there is. */
		if (last >= 0) {
			((struct nlattr *)(fm->m.buf + last))->nla_len +=
				(uint16_t)(1 + below(r, 64));
			fm->exact = false;
		}
		break;
	case 1:
		/* nlmsg_len shorter than the datagram (but a full header). */
		if (fm->m.len > NLMSG_LENGTH(GENL_HDRLEN)) {
			nlh->nlmsg_len -= 1 + below(r, (uint32_t)(fm->m.len -
						NLMSG_LENGTH(GENL_HDRLEN)));
			if (fm->m.len - nlh->nlmsg_len >= NLMSG_HDRLEN)
				fm->send_len = NLMSG_ALIGN(nlh->nlmsg_len) +
					       below(r, NLMSG_HDRLEN);
			if (fm->send_len > fm->m.len)
				fm->send_len = fm->m.len;
			fm->exact = false;
		}
		break;
	case 2:
		/* nlmsg_len longer than the datagram: dropped unanswered. */
		nlh->nlmsg_len += 1 + below(r, 256);
		fm->silent = true;
		fm->exact = false;
		break;
	case 3:
		/* The datagram cut inside the genl header or attributes. */
		fm->send_len = NLMSG_HDRLEN + below(r, (uint32_t)(fm->m.len - NLMSG_HDRLEN));
		nlh->nlmsg_len = (uint32_t)fm->send_len;
		fm->exact = false;
		break;
	case 4:
		/* A genl header shorter than GENL_HDRLEN, nothing after it. */
		fm->send_len = NLMSG_HDRLEN + below(r, GENL_HDRLEN);
		nlh->nlmsg_len = (uint32_t)fm->send_len;
		fm->exact = false;
		break;
	default:
		break;
	}
	fm->handled = !fm->silent && (nlh->nlmsg_flags & NLM_F_REQUEST) &&
		      nlh->nlmsg_len >= NLMSG_LENGTH(GENL_HDRLEN);
	effective(f, fm);
	fm->dump = !fm->silent && (nlh->nlmsg_flags & NLM_F_REQUEST) &&
		   (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP &&
		   nlh->nlmsg_len >= NLMSG_LENGTH(GENL_HDRLEN) &&
		   (fm->cmd == PROCTERM_CMD_LIST || fm->cmd == PROCTERM_CMD_PENDING);
}

/* ------------------------------------------------------- the answers */

static void note_error(struct fuzz *f, struct fmsg *fm, int err,
		       const char *msg)
{
	size_t i;

	fm->answered = true;
	fm->err = err;
	f->res->answered++;
	if (!err) {
		f->res->oks++;
		return;
	}
	for (i = 0; i < NERRS; i++)
		if (allowed_errs[i] == err)
			break;
	if (i == NERRS) {
		fail(f, fm->m.buf, fm->send_len,
		     "cmd %u: errno %d (%s) is not a documented one (extack \"%s\")",
		     fm->cmd, err, pt_errname(err), msg);
		return;
	}
	f->res->errs[i]++;
	if (!msg[0]) {
		f->res->no_extack++;
		if (needs_extack(err) && fm->cmd >= PROCTERM_CMD_KILL &&
		    fm->cmd <= PROCTERM_CMD_CANCEL)
			fail(f, fm->m.buf, fm->send_len,
			     "cmd %u refused with %s but no extended-ack message",
			     fm->cmd, pt_errname(err));
	}
}

/* What the request did, once it is answered. */
static void judge(struct fuzz *f, struct fmsg *fm)
{
	int k;

	if (fm->cmd != PROCTERM_CMD_KILL || !fm->answered || !fm->handled)
		return;
	/*
	 * A kill that failed after the kill ("terminated, but cannot wait":
	 * the waiter limit, memory) still killed.
	 */
	if (fm->err && fm->err != EDQUOT && fm->err != ENOMEM)
		return;
	for (k = 0; k < fm->nnamed; k++)
		f->pool[fm->named[k]].maybe_killed = true;
	/* A selector may have chosen any of the pool (they share its name). */
	for (k = 0; fm->has_select && k < POOL; k++)
		f->pool[k].maybe_killed = true;
	if (fm->err)
		return;
	f->res->kills++;
	if (fm->named_foreign)
		fail(f, fm->m.buf, fm->send_len,
		     "a kill naming another user's process succeeded");
	if (fm->named_kthread)
		fail(f, fm->m.buf, fm->send_len,
		     "a kill naming init or kthreadd succeeded");
	if (fm->named_addr && !f->priv)
		fail(f, fm->m.buf, fm->send_len,
		     "a kill by task address succeeded without CAP_SYS_ADMIN");
}

static void note_reply(struct fuzz *f, const struct nlmsghdr *h)
{
	const struct genlmsghdr *g = NLMSG_DATA(h);
	struct pt_attrs a;

	f->res->replies++;
	if (h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN) || g->cmd != PROCTERM_CMD_KILL)
		return;
	pt_attrs_parse(&a, (const unsigned char *)g + GENL_HDRLEN,
		       h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
	if (a.has[PROCTERM_A_REQUEST_ID] && a.u[PROCTERM_A_REQUEST_ID]) {
		uint64_t id = a.u[PROCTERM_A_REQUEST_ID];

		f->ids[f->nids++ % 64] = id;
		if (id > f->max_id)
			f->max_id = id;
		f->res->armed++;
	}
}

static struct fmsg *find_seq(struct fmsg *b, int n, uint32_t seq)
{
	int i;

	for (i = 0; i < n; i++)
		if (pt_nlh(&b[i].m)->nlmsg_seq == seq)
			return &b[i];
	return NULL;
}

/* Handle one datagram's messages for the requests in @b. */
static void take(struct fuzz *f, struct fmsg *b, int n, unsigned char *buf,
		 int len, int *dump_rows)
{
	struct nlmsghdr *h;

	for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
		struct fmsg *fm = find_seq(b, n, h->nlmsg_seq);
		char msg[PT_EXTACK_LEN] = "";

		if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE) {
			int err = 0;
			size_t off;

			if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
				err = -*(const int *)NLMSG_DATA(h);
			off = h->nlmsg_type == NLMSG_ERROR ? pt_err_tlv_offset(h) :
							     NLMSG_LENGTH(sizeof(int));
			pt_ack_msg(h, off, msg);
			if (!fm || fm->answered) {
				f->res->stray++;
				continue;
			}
			if (fm->silent) {
				fail(f, fm->m.buf, fm->send_len,
				     "a message with nlmsg_len %u past the end of its %zu-byte datagram was answered (%s)",
				     pt_nlh(&fm->m)->nlmsg_len, fm->send_len,
				     pt_errname(err));
				fm->answered = true;
				continue;
			}
			note_error(f, fm, err, msg);
			judge(f, fm);
			continue;
		}
		if (!fm || h->nlmsg_type == NLMSG_NOOP) {
			f->res->stray++;	/* e.g. a late death message */
			continue;
		}
		if (fm->dump && dump_rows)
			(*dump_rows)++;
		note_reply(f, h);
	}
}

/*
 * Wait for the answers of b[0..n-1] on @s. Silent messages come first in a
 * batch and the kernel handles datagrams in order, so once every other one
 * is answered an answer to a silent one would have been seen.
 */
static void collect(struct fuzz *f, struct pt_sock *s, struct fmsg *b, int n)
{
	/* One recvmmsg() takes many answers: syscalls are dear under TCG. */
	static unsigned char buf[BATCH][PT_MSG_SIZE]
		__attribute__((aligned(NLMSG_ALIGNTO)));
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	int64_t deadline = pt_now_ms() + ANSWER_MS;
	int i, got;

	for (;;) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		bool done = true;
		int left, pr;

		for (i = 0; i < n; i++)
			if (!b[i].silent && !b[i].answered)
				done = false;
		if (done)
			break;
		left = (int)(deadline - pt_now_ms());
		pr = poll(&pfd, 1, left > 0 ? left : 0);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			for (i = 0; i < n; i++)
				if (!b[i].silent && !b[i].answered)
					break;
			fail(f, b[i].m.buf, b[i].send_len,
			     "cmd %u (seq %u, %zu bytes) not answered within %d ms",
			     b[i].cmd, pt_nlh(&b[i].m)->nlmsg_seq, b[i].send_len,
			     ANSWER_MS);
			return;
		}
		memset(mm, 0, sizeof(mm));
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = sizeof(buf[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		got = recvmmsg(s->fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0) {
			fail(f, NULL, 0, "recv: %s (answers lost)", strerror(errno));
			return;
		}
		for (i = 0; i < got; i++) {
			if (mm[i].msg_hdr.msg_flags & MSG_TRUNC)
				fail(f, NULL, 0, "an answer larger than %d bytes",
				     PT_MSG_SIZE);
			take(f, b, n, buf[i], (int)mm[i].msg_len, NULL);
		}
	}
	for (i = 0; i < n; i++)
		if (b[i].silent)
			f->res->dropped++;
}

/* ----------------------------------------------------------- dumps */

/* Read a dump on @s until its end; at most @max_reads datagrams (0: all). */
static int read_dump(struct fuzz *f, struct pt_sock *s, struct fmsg *b, int n,
		     int max_reads)
{
	static unsigned char buf[DUMP_RECV] __attribute__((aligned(NLMSG_ALIGNTO)));
	int64_t deadline = pt_now_ms() + ANSWER_MS;
	int reads = 0, rows = 0, i;

	for (;;) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		bool done = true;
		ssize_t got;
		int left, pr;

		for (i = 0; i < n; i++)
			if (!b[i].answered)
				done = false;
		if (done || (max_reads && reads >= max_reads))
			break;
		left = (int)(deadline - pt_now_ms());
		pr = poll(&pfd, 1, left > 0 ? left : 0);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			for (i = 0; i < n && b[i].answered; i++)
				;
			fail(f, b[i].m.buf, b[i].send_len,
			     "dump or request (cmd %u) not finished within %d ms (%d rows read)",
			     b[i].cmd, ANSWER_MS, rows);
			return -ETIMEDOUT;
		}
		got = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0) {
			fail(f, NULL, 0, "dump recv: %s", strerror(errno));
			return -errno;
		}
		if ((size_t)got > sizeof(buf)) {
			fail(f, NULL, 0, "a dump part of %zd bytes for a %d-byte buffer",
			     got, DUMP_RECV);
			return -EMSGSIZE;
		}
		reads++;
		take(f, b, n, buf, (int)got, &rows);
	}
	f->res->dump_rows += rows;
	return 0;
}

static int open_dump_sock(struct fuzz *f, struct pt_sock *s)
{
	int ret = pt_open_id(s, f->family);

	if (ret)
		fail(f, NULL, 0, "cannot open a netlink socket: %s", strerror(-ret));
	return ret;
}

/* A dump, on a socket of its own: read in full, abandoned or interrupted. */
static void do_dump(struct fuzz *f, struct fmsg *fm)
{
	struct rng *r = &f->rng;
	struct pt_sock s;
	struct fmsg *b = fm, *two = NULL;
	int n = 1, ret;

	if (open_dump_sock(f, &s))
		return;
	/* The sequence number is the dump socket's now. */
	pt_nlh(&fm->m)->nlmsg_seq = ++s.seq;
	ret = pt_send(&s, fm->m.buf, fm->send_len);
	if (ret) {
		fail(f, fm->m.buf, fm->send_len, "send: %s", strerror(-ret));
		goto out;
	}
	f->res->sent++;
	f->res->dumps++;
	switch (below(r, 4)) {
	case 0:
		/* Abandoned after one buffer: the socket closes mid-dump. */
		read_dump(f, &s, b, 1, 1);
		if (!fm->answered)
			f->res->abandoned++;
		else
			judge(f, fm);
		goto out;
	case 1:
		/* Another request on the same socket, mid-dump. */
		two = calloc(2, sizeof(*two));
		if (!two)
			goto out;
		two[0] = *fm;
		b = two;
		read_dump(f, &s, b, 1, 1);
		build(f, &s, &two[1]);
		if (two[1].silent || two[1].dump || !two[1].exact) {
			/* Keep the second one simple: a LIST of a pool child. */
			pt_msg_init(&two[1].m, &s, PROCTERM_CMD_LIST, 0);
			pt_put_u32(&two[1].m, PROCTERM_A_PID,
				   (uint32_t)f->pool[below(r, POOL)].pid);
			two[1].cmd = PROCTERM_CMD_LIST;
			two[1].send_len = two[1].m.len;
			two[1].silent = two[1].dump = false;
			two[1].nnamed = 0;
		}
		ret = pt_send(&s, two[1].m.buf, two[1].send_len);
		if (ret) {
			fail(f, NULL, 0, "send mid-dump: %s", strerror(-ret));
			goto out;
		}
		f->res->sent++;
		f->res->interrupted++;
		n = 2;
		break;
	default:
		break;
	}
	read_dump(f, &s, b, n, 0);
	judge(f, &b[0]);
	if (n == 2)
		judge(f, &b[1]);
out:
	free(two);
	pt_close(&s);
}

/* Many sockets, a dump started on each, all closed unread. */
static void many_sockets(struct fuzz *f)
{
	struct pt_sock s[MANY_SOCKS];
	int i;

	for (i = 0; i < MANY_SOCKS; i++) {
		struct pt_msg m;

		if (open_dump_sock(f, &s[i])) {
			while (i--)
				pt_close(&s[i]);
			return;
		}
		pt_msg_init(&m, &s[i], i % 2 ? PROCTERM_CMD_LIST :
				      PROCTERM_CMD_PENDING, NLM_F_DUMP);
		if (pt_send(&s[i], m.buf, m.len))
			fail(f, NULL, 0, "send on socket %d of %d failed", i,
			     MANY_SOCKS);
		f->res->sent++;
		f->res->dumps++;
		f->res->abandoned++;
	}
	for (i = 0; i < MANY_SOCKS; i++)
		pt_close(&s[i]);
	f->res->many_socks++;
}

/* ------------------------------------------------------------ the run */

static void send_batch(struct fuzz *f, struct pt_sock *s, struct fmsg *b,
		       int n)
{
	static unsigned char dgram[BATCH * PT_MSG_SIZE / 4]
		__attribute__((aligned(NLMSG_ALIGNTO)));
	size_t off = 0;
	int i, ret;

	/* The silent ones first (see collect()). */
	for (i = 0; i < n && b[i].silent; i++) {
		f->res->sent++;
		ret = pt_send(s, b[i].m.buf, b[i].send_len);
		if (ret)
			fail(f, b[i].m.buf, b[i].send_len, "send: %s",
			     strerror(-ret));
		b[i].send_len = 0;
	}
	/* Mostly the exact ones share one datagram. */
	if (chance(&f->rng, 75)) {
		for (i = 0; i < n; i++) {
			if (!b[i].exact || b[i].silent ||
			    off + NLMSG_ALIGN(b[i].send_len) > sizeof(dgram))
				continue;
			memcpy(dgram + off, b[i].m.buf, b[i].send_len);
			off += NLMSG_ALIGN(b[i].send_len);
			b[i].send_len = 0;	/* sent */
		}
		if (off) {
			ret = pt_send(s, dgram, off);
			if (ret)
				fail(f, NULL, 0, "send of %zu bytes: %s", off,
				     strerror(-ret));
		}
	}
	for (i = 0; i < n; i++) {
		if (b[i].silent) {
			b[i].send_len = b[i].m.len;
			continue;
		}
		f->res->sent++;
		if (!b[i].send_len) {
			b[i].send_len = b[i].m.len;	/* for the reports */
			continue;
		}
		ret = pt_send(s, b[i].m.buf, b[i].send_len);
		if (ret)
			fail(f, b[i].m.buf, b[i].send_len, "send: %s",
			     strerror(-ret));
	}
}

static int arm_pool(struct fuzz *f, int count)
{
	struct pt_kill_args args = { .flags = PROCTERM_F_DEFERRED };
	struct pt_reply r;
	int i, ret;

	for (i = 0; i < count; i++) {
		ret = pt_kill(&f->socks[0], f->pool[i].pid, &args, &r);
		if (ret) {
			fail(f, NULL, 0, "arming a deferred kill of pool child %d: %s (\"%s\")",
			     (int)f->pool[i].pid, pt_errname(ret), r.msg);
			return ret;
		}
		f->pool[i].maybe_killed = true;
		if (r.a.has[PROCTERM_A_REQUEST_ID]) {
			uint64_t id = r.a.u[PROCTERM_A_REQUEST_ID];

			f->ids[f->nids++ % 64] = id;
			if (id > f->max_id)
				f->max_id = id;
		}
	}
	return 0;
}

/* A plain kill and a status kill of fresh children, as after any change. */
static void still_works(struct fuzz *f)
{
	struct pt_kill_args st = { .has_status = true, .status = 7 };
	struct pt_reply r;
	int i, ret, status;

	for (i = 0; i < 2; i++) {
		pid_t pid = pt_spawn_sleeper();

		if (pid < 0) {
			fail(f, NULL, 0, "fork: %s", strerror(-pid));
			return;
		}
		ret = pt_kill(&f->socks[0], pid, i ? &st : NULL, &r);
		if (ret) {
			fail(f, NULL, 0, "after fuzzing, %s kill of child %d failed: %s (\"%s\")",
			     i ? "a status" : "a plain", (int)pid,
			     pt_errname(ret), r.msg);
			pt_reap(&pid);
			return;
		}
		ret = pt_wait_timeout(pid, &status, PT_DEATH_MS);
		if (ret) {
			fail(f, NULL, 0, "after fuzzing, killed child %d did not die", (int)pid);
			pt_reap(&pid);
			return;
		}
		if (i ? !(WIFEXITED(status) && WEXITSTATUS(status) == 7) :
			!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
			fail(f, NULL, 0, "after fuzzing, %s kill gave wait status 0x%x",
			     i ? "a status-7" : "a plain", status);
	}
}

static uint32_t read_pid_max(void)
{
	char buf[32];

	if (pt_read_file("/proc/sys/kernel/pid_max", buf, sizeof(buf)) <= 0)
		return 32768;
	return (uint32_t)strtoul(buf, NULL, 10);
}

static void fuzz_run(struct fuzz *f, long msgs)
{
	struct fmsg *b = calloc(BATCH, sizeof(*b));
	int64_t t0 = pt_now_ms();
	struct pt_answer a;
	struct pt_msg m;
	long done = 0, batches = 0;
	int i, ret;

	if (!b) {
		fail(f, NULL, 0, "out of memory");
		return;
	}
	f->pid_max = read_pid_max();
	if (f->pid_max > PID_MAX_LIMIT)
		f->pid_max = PID_MAX_LIMIT;
	for (i = 0; i < NSOCKS; i++) {
		ret = pt_open(&f->socks[i]);
		if (ret) {
			fail(f, NULL, 0, "pt_open: %s", strerror(-ret));
			goto out;
		}
		f->socks[i].timeout_ms = ANSWER_MS;
	}
	f->family = f->socks[0].family;
	if (f->priv) {
		int big = 4 << 20;

		for (i = 0; i < NSOCKS; i++)
			setsockopt(f->socks[i].fd, SOL_SOCKET, SO_RCVBUFFORCE,
				   &big, sizeof(big));
		pt_msg_init(&m, &f->socks[0], PROCTERM_CMD_LIST, 0);
		pt_put_u32(&m, PROCTERM_A_PID, 2);
		if (!pt_ask(&f->socks[0], &m, &a, ANSWER_MS))
			f->kthreadd_addr = a.a.u[PROCTERM_A_TASK_ADDR];
	}
	for (i = 0; i < POOL; i++) {
		ret = slot_spawn(f, &f->pool[i]);
		if (ret) {
			fail(f, NULL, 0, "spawning pool child %d: %s", i, strerror(-ret));
			goto out;
		}
	}
	/* Many rows for the pending dumps. */
	if (arm_pool(f, POOL_ARMED))
		goto out;

	while (done < msgs && !f->res->failed) {
		struct pt_sock *s = &f->socks[below(&f->rng, NSOCKS)];
		int n = 0, nsilent = 0;

		if (++batches % 512 == 0)
			many_sockets(f);
		/* Silent ones first (see collect()). */
		while (n < BATCH && done < msgs) {
			struct fmsg *fm = &b[n];

			build(f, s, fm);
			done++;
			if (fm->dump) {
				do_dump(f, fm);
				continue;
			}
			if (fm->silent) {
				if (nsilent < n) {
					struct fmsg tmp = b[nsilent];

					b[nsilent] = *fm;
					b[n] = tmp;
				}
				nsilent++;
			}
			n++;
		}
		send_batch(f, s, b, n);
		collect(f, s, b, n);
		for (i = 0; i < n; i++)
			if (!b[i].answered)
				judge(f, &b[i]);
		ret = pool_check(f, true);
		if (ret) {
			fail(f, NULL, 0, "respawning the pool: %s", strerror(-ret));
			break;
		}
		if (f->res->failed)
			break;
	}
	/* Late death messages are left; the pool must still be as judged. */
	pt_sleep_ms(100);
	pool_check(f, false);
	for (i = 0; i < POOL; i++)
		if (f->pool[i].pid > 0 && !f->pool[i].maybe_killed &&
		    !pt_pid_alive(f->pool[i].pid))
			fail(f, NULL, 0, "pool child %d is not alive though never killed",
			     (int)f->pool[i].pid);
	if (!f->res->failed)
		still_works(f);
out:
	for (i = 0; i < POOL; i++)
		pt_reap(&f->pool[i].pid);
	for (i = 0; i < NSOCKS; i++)
		if (f->socks[i].fd > 0)
			pt_close(&f->socks[i]);
	f->res->ms = (long)(pt_now_ms() - t0);
	free(b);
}

struct fuzz_arg {
	bool priv;
	uint64_t seed;
	long msgs;
	const pid_t *foreign;
	const uint64_t *foreign_addr;
	int nforeign;
	int res_fd;		/* where the struct fuzz_result goes */
};

/* Runs in a forked child: as root, or after dropping to FUZZ_UID. */
static int fuzz_body(int ready_fd, void *p)
{
	const struct fuzz_arg *arg = p;
	static struct fuzz_result res;
	static struct fuzz f;
	int i, ret;

	pt_ready(ready_fd);
	memset(&res, 0, sizeof(res));
	memset(&f, 0, sizeof(f));
	for (i = 0; i < NSOCKS; i++)
		f.socks[i].fd = -1;
	f.res = &res;
	f.priv = arg->priv;
	f.rng.s = arg->seed;
	res.seed = arg->seed;
	prctl(PR_SET_NAME, arg->priv ? "pt-fuzz-root" : "pt-fuzz-user");
	if (!arg->priv) {
		ret = pt_set_creds(FUZZ_UID, FUZZ_UID, FUZZ_UID, FUZZ_UID, 0);
		if (ret) {
			fail(&f, NULL, 0, "cannot become UID %d: %s", FUZZ_UID,
			     strerror(-ret));
			goto out;
		}
	}
	f.nforeign = arg->nforeign;
	for (i = 0; i < arg->nforeign && i < POOL; i++) {
		f.foreign[i] = arg->foreign[i];
		f.foreign_addr[i] = arg->foreign_addr[i];
	}
	fuzz_run(&f, arg->msgs);
out:
	pt_write_full(arg->res_fd, &res, sizeof(res));
	return 0;
}

static void report(struct __test_metadata *_metadata, const char *who,
		   const struct fuzz_result *res)
{
	char errs[512];
	size_t i, o = 0;

	for (i = 0; i < NERRS; i++)
		if (res->errs[i])
			o += snprintf(errs + o, sizeof(errs) - o, " %s:%ld",
				      pt_errname(allowed_errs[i]), res->errs[i]);
	errs[o] = '\0';
	ksft_print_msg("%s: seed 0x%" PRIx64 ", %ld messages in %ld ms: %ld answered (%ld ok), %ld dropped as they must be, %ld replies, %ld stray\n",
		       who, res->seed, res->sent, res->ms, res->answered,
		       res->oks, res->dropped, res->replies, res->stray);
	ksft_print_msg("%s: errors%s; %ld without extack\n", who, errs,
		       res->no_extack);
	ksft_print_msg("%s: %ld kills, %ld deferred armed, %ld respawned; %ld dumps (%ld rows read, %ld abandoned, %ld interrupted), %ld many-socket rounds\n",
		       who, res->kills, res->armed, res->respawned, res->dumps,
		       res->dump_rows, res->abandoned, res->interrupted,
		       res->many_socks);
	(void)_metadata;
}

FIXTURE(fuzz) {
	pid_t pool[POOL];	/* root's children the user must not reach */
	uint64_t addr[POOL];
	int npool;
	long msgs;
	uint64_t seed;
};

FIXTURE_SETUP(fuzz)
{
	struct pt_sock s;
	int i;

	memset(self, 0, sizeof(*self));
	if (geteuid())
		SKIP(return, "needs root (an unprivileged identity is made from it)");
	PT_OPEN_OR_SKIP(&s);
	self->msgs = pt_env_long("PROCTERM_FUZZ_MSGS", FUZZ_MSGS_DEFAULT, 1,
				 100000000);
	self->seed = fuzz_seed();
	for (i = 0; i < POOL / 4; i++) {
		struct pt_answer a;
		struct pt_msg m;

		self->pool[i] = pt_spawn_sleeper();
		ASSERT_LT(0, self->pool[i]);
		self->npool++;
		pt_msg_init(&m, &s, PROCTERM_CMD_LIST, 0);
		pt_put_u32(&m, PROCTERM_A_PID, (uint32_t)self->pool[i]);
		ASSERT_EQ(0, pt_ask(&s, &m, &a, ANSWER_MS)) TH_LOG("list: %s", a.msg);
		self->addr[i] = a.a.u[PROCTERM_A_TASK_ADDR];
	}
	pt_close(&s);
}

FIXTURE_TEARDOWN(fuzz)
{
	int i;

	for (i = 0; i < self->npool; i++)
		pt_reap(&self->pool[i]);
}

/* A row of root's PENDING dump naming one of @pids: its PID in *@found. */
static int pending_for(const pid_t *pids, int n, int *found)
{
	static unsigned char buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct pt_sock s;
	struct pt_msg m;
	uint32_t seq;
	int ret, i;

	*found = 0;
	ret = pt_open(&s);
	if (ret)
		return ret;
	pt_msg_init(&m, &s, PROCTERM_CMD_PENDING, NLM_F_DUMP);
	seq = pt_nlh(&m)->nlmsg_seq;
	ret = pt_send(&s, m.buf, m.len);
	while (!ret) {
		struct pollfd pfd = { .fd = s.fd, .events = POLLIN };
		struct nlmsghdr *h;
		ssize_t got;
		int len;

		if (poll(&pfd, 1, ANSWER_MS) <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		got = recv(s.fd, buf, sizeof(buf), 0);
		if (got < 0) {
			ret = -errno;
			break;
		}
		len = (int)got;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			struct pt_attrs a;

			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				/* 0 or a negative errno, in both. */
				ret = *(const int *)NLMSG_DATA(h);
				pt_close(&s);
				return ret;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
				continue;
			pt_attrs_parse(&a, (const unsigned char *)NLMSG_DATA(h) + GENL_HDRLEN,
				       h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
			for (i = 0; i < n; i++)
				if (a.has[PROCTERM_A_PID] && a.u[PROCTERM_A_PID] == (uint64_t)pids[i])
					*found = pids[i];
		}
	}
	pt_close(&s);
	return ret;
}

/*
 * Root and the unprivileged user fuzz at the same time (as on a real
 * machine, and in half the time), each in a child of its own. The
 * message count is the point, not the time: 2 x 100 000 messages on a KASAN
 * kernel under TCG, with other guests on the same two cores, took longer
 * than 600 s; the limit scales on the debug kernels (PT_TIMEOUT).
 */
TEST_F_TIMEOUT(fuzz, root_and_unprivileged, PT_TIMEOUT(600))
{
	static const char *const who[2] = { "root", "uid 65534" };
	static struct fuzz_result res[2];
	struct fuzz_arg arg[2];
	pid_t pid[2] = { 0, 0 };
	int fds[2][2], i, ret, status;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pipe2(fds[i], O_CLOEXEC));
		arg[i] = (struct fuzz_arg){
			.priv = !i,
			.seed = self->seed + i,
			.msgs = self->msgs,
			.foreign = i ? self->pool : NULL,
			.foreign_addr = i ? self->addr : NULL,
			.nforeign = i ? self->npool : 0,
			.res_fd = fds[i][1],
		};
		ksft_print_msg("%s: seed 0x%" PRIx64 " (PROCTERM_FUZZ_SEED; the user's is +1), %ld messages (PROCTERM_FUZZ_MSGS)\n",
			       who[i], arg[i].seed, arg[i].msgs);
	}
	for (i = 0; i < 2; i++) {
		pid[i] = pt_spawn(fuzz_body, &arg[i], NULL, 1);
		ASSERT_LT(0, pid[i]) TH_LOG("fork: %s", pt_errname(pid[i]));
	}
	for (i = 0; i < 2; i++)
		close(fds[i][1]);
	for (i = 0; i < 2; i++) {
		ret = pt_read_full(fds[i][0], &res[i], sizeof(res[i]));
		close(fds[i][0]);
		EXPECT_EQ(0, ret) TH_LOG("the %s fuzzer died before reporting", who[i]);
		if (ret)
			kill(pid[i], SIGKILL);
		ret = pt_wait_timeout(pid[i], &status, PT_DEATH_MS);
		EXPECT_EQ(0, ret) TH_LOG("the %s fuzzer did not exit", who[i]);
		if (ret)
			pt_reap(&pid[i]);
		else
			EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
				TH_LOG("the %s fuzzer: wait status 0x%x", who[i], status);
	}
	for (i = 0; i < 2; i++) {
		report(_metadata, who[i], &res[i]);
		EXPECT_EQ(0, res[i].failed)
			TH_LOG("%s: %s (seed 0x%" PRIx64 "; message: %s)", who[i],
			       res[i].why, res[i].seed,
			       res[i].last_msg[0] ? res[i].last_msg : "-");
		EXPECT_LE(self->msgs, res[i].sent) TH_LOG("%s sent too few", who[i]);
	}
	for (i = 0; i < self->npool; i++)
		EXPECT_TRUE(pt_pid_alive(self->pool[i]) && !pt_child_exited(self->pool[i]))
			TH_LOG("root's child %d, never targeted, died", (int)self->pool[i]);

	/*
	 * The user's refused requests left nothing behind on root's
	 * children: no deferred request armed, no SIGKILL pending, and no
	 * exit status waiting to rewrite their next death. Each then dies
	 * of another SIGKILL (as by an admin or the OOM killer), and its
	 * parent must see exactly that.
	 */
	ret = pending_for(self->pool, self->npool, &status);
	ASSERT_EQ(0, ret) TH_LOG("pending dump: %s", pt_errname(ret));
	EXPECT_EQ(0, status) TH_LOG("a deferred request is armed for root's child %d", status);
	for (i = 0; i < self->npool; i++) {
		char why[96];
		pid_t pid = self->pool[i];

		EXPECT_EQ(0, pt_sig_pending(pid, SIGKILL, why, sizeof(why)))
			TH_LOG("root's child %d: %s", (int)pid, why);
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_DIES(pid, status);
		self->pool[i] = 0;
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("root's child %d, killed by kill(2), gave wait status 0x%x: a refused request rewrote its exit",
			       (int)pid, status);
	}
}

PT_HARNESS_MAIN
