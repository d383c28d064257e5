// SPDX-License-Identifier: GPL-2.0
/*
 * procterm benchmarks: the kill request on the hot path.
 *
 * The family is resolved with the selftests' client (pt_open()); requests
 * are then built and answered here, as a lean client would do it: one
 * sendto() and one blocking recv() per request. The request goes without
 * NLM_F_ACK, because PROCTERM_CMD_KILL always replies: the reply is the
 * success, an NLMSG_ERROR the failure. BENCH_NL_ACK=1 asks for the ack as
 * well (one more message and recv() per request).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "bench.h"

#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif

#define REPLY_TIMEOUT_S	30

static bool g_want_ack;

bool procterm_open(struct pt_sock *s)
{
	struct timeval tv = { REPLY_TIMEOUT_S, 0 };
	int ret = pt_open(s);

	if (!ret) {
		if (setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
			die("SO_RCVTIMEO: %s", strerror(errno));
		g_want_ack = !strcmp(env_str("BENCH_NL_ACK", "0"), "1");
		return true;
	}
	s->fd = -1;
	if (ret == -ENOENT) {
		if (g_opts.anchors_only) {
			printf("  procterm: module not loaded (generic netlink family \"%s\" not registered); skipping its part\n",
			       PROCTERM_GENL_NAME);
			return false;
		}
		fflush(stdout);
		fprintf(stderr,
			"procterm_bench: the generic netlink family \"%s\" is not registered:\n"
			"  procterm.ko is not loaded. Load it (insmod kmod/procterm.ko), or set\n"
			"  BENCH_ANCHORS_ONLY=1 to measure only the anchors.\n",
			PROCTERM_GENL_NAME);
		reg_kill_all();
		reap_all(10000);
		cg_cleanup_active();
		exit(BENCH_EXIT_NOMODULE);
	}
	die("cannot open a generic netlink socket: %s", strerror(-ret));
}

static void put_attr(unsigned char *buf, size_t *len, uint16_t type,
		     const void *data, uint16_t dlen)
{
	struct nlattr *nla = (struct nlattr *)(buf + *len);

	nla->nla_type = type;
	nla->nla_len = (uint16_t)(NLA_HDRLEN + dlen);
	memcpy(buf + *len + NLA_HDRLEN, data, dlen);
	*len += NLA_ALIGN(nla->nla_len);
}

static void parse_reply(const struct nlmsghdr *nlh, struct bench_reply *r)
{
	const unsigned char *p = (const unsigned char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	const unsigned char *end = (const unsigned char *)nlh + nlh->nlmsg_len;

	r->replied = true;
	while (end - p >= (long)NLA_HDRLEN) {
		const struct nlattr *nla = (const struct nlattr *)p;
		const unsigned char *d = p + NLA_HDRLEN;

		if (nla->nla_len < NLA_HDRLEN || nla->nla_len > end - p)
			break;
		switch (nla->nla_type & NLA_TYPE_MASK) {
		case PROCTERM_A_COUNT:
			if (nla->nla_len >= NLA_HDRLEN + 4) {
				memcpy(&r->count, d, 4);
				r->has_count = true;
			}
			break;
		case PROCTERM_A_REQUEST_ID:
			if (nla->nla_len >= NLA_HDRLEN + 8) {
				memcpy(&r->request_id, d, 8);
				r->has_request_id = true;
			}
			break;
		}
		p += NLA_ALIGN(nla->nla_len);
	}
}

static void parse_error(const struct nlmsghdr *nlh, struct bench_reply *r)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	const unsigned char *p, *end;
	size_t off;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
		r->err = EPROTO;
		return;
	}
	r->err = -e->error;
	if (!r->err || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = NLMSG_HDRLEN + sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	p = (const unsigned char *)nlh + NLMSG_ALIGN(off);
	end = (const unsigned char *)nlh + nlh->nlmsg_len;
	while (end - p >= (long)NLA_HDRLEN) {
		const struct nlattr *nla = (const struct nlattr *)p;

		if (nla->nla_len < NLA_HDRLEN || nla->nla_len > end - p)
			break;
		if ((nla->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
			snprintf(r->msg, sizeof(r->msg), "%.*s",
				 (int)(nla->nla_len - NLA_HDRLEN),
				 (const char *)p + NLA_HDRLEN);
		p += NLA_ALIGN(nla->nla_len);
	}
}

int procterm_kill(struct pt_sock *s, pid_t pid, uint32_t flags,
		  struct bench_reply *r)
{
	static unsigned char rbuf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	unsigned char buf[NLMSG_SPACE(GENL_HDRLEN) + 2 * NLA_ALIGN(NLA_HDRLEN + 4)]
		__attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct genlmsghdr *g;
	uint32_t v = (uint32_t)pid, seq = ++s->seq;
	bool acked = false;
	size_t len;

	r->err = 0;
	r->msg[0] = 0;
	r->replied = r->has_count = r->has_request_id = false;

	memset(buf, 0, NLMSG_SPACE(GENL_HDRLEN));
	nlh->nlmsg_type = s->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | (g_want_ack ? NLM_F_ACK : 0);
	nlh->nlmsg_seq = seq;
	g = NLMSG_DATA(nlh);
	g->cmd = PROCTERM_CMD_KILL;
	g->version = PROCTERM_GENL_VERSION;
	len = NLMSG_SPACE(GENL_HDRLEN);
	put_attr(buf, &len, PROCTERM_A_PID, &v, 4);
	if (flags)
		put_attr(buf, &len, PROCTERM_A_FLAGS, &flags, 4);
	nlh->nlmsg_len = (uint32_t)len;

	if (sendto(s->fd, buf, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	/* Until the reply (and the ack, if asked for) or an error arrives. */
	while (!r->err && !(r->replied && (acked || !g_want_ack))) {
		ssize_t n = recv(s->fd, rbuf, sizeof(rbuf), 0);
		int left;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		left = (int)n;
		for (nlh = (struct nlmsghdr *)rbuf; NLMSG_OK(nlh, left);
		     nlh = NLMSG_NEXT(nlh, left)) {
			if (nlh->nlmsg_seq != seq)
				continue;	/* a late answer to an earlier request */
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				parse_error(nlh, r);
				acked = true;
			} else if (nlh->nlmsg_type == s->family &&
				   nlh->nlmsg_len >= NLMSG_LENGTH(GENL_HDRLEN)) {
				parse_reply(nlh, r);
			}
		}
	}
	return -r->err;
}
