// SPDX-License-Identifier: GPL-2.0
/*
 * Raw generic netlink client for the procterm selftests; see procterm_nl.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "procterm_nl.h"

#define PT_RECV_BUF	65536
#define PT_DEFAULT_TIMEOUT_MS	20000

int64_t pt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pt_msg_init_type(struct pt_msg *m, struct pt_sock *s, uint16_t type,
		      uint8_t cmd, uint16_t extra_flags)
{
	struct nlmsghdr *nlh = pt_nlh(m);
	struct genlmsghdr *g;

	memset(m->buf, 0, NLMSG_SPACE(GENL_HDRLEN));
	nlh->nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | extra_flags;
	nlh->nlmsg_seq = ++s->seq;
	nlh->nlmsg_pid = 0;
	g = NLMSG_DATA(nlh);
	g->cmd = cmd;
	g->version = PROCTERM_GENL_VERSION;
	m->len = nlh->nlmsg_len;
	m->want = PT_WANT_ACK;
}

void pt_msg_init(struct pt_msg *m, struct pt_sock *s, uint8_t cmd,
		 uint16_t extra_flags)
{
	pt_msg_init_type(m, s, s->family, cmd, extra_flags);
}

int pt_put(struct pt_msg *m, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->len);
	size_t total = NLA_HDRLEN + len;
	struct nlattr *nla;

	if (total > 0xffff || off + NLA_ALIGN(total) > sizeof(m->buf))
		return -1;
	memset(m->buf + m->len, 0, off - m->len);
	nla = (struct nlattr *)(m->buf + off);
	nla->nla_type = type;
	nla->nla_len = total;
	if (len)
		memcpy(m->buf + off + NLA_HDRLEN, data, len);
	memset(m->buf + off + total, 0, NLA_ALIGN(total) - total);
	m->len = off + NLA_ALIGN(total);
	pt_nlh(m)->nlmsg_len = m->len;
	return (int)off;
}

int pt_put_u8(struct pt_msg *m, uint16_t type, uint8_t v)
{
	return pt_put(m, type, &v, sizeof(v));
}

int pt_put_u16(struct pt_msg *m, uint16_t type, uint16_t v)
{
	return pt_put(m, type, &v, sizeof(v));
}

int pt_put_u32(struct pt_msg *m, uint16_t type, uint32_t v)
{
	return pt_put(m, type, &v, sizeof(v));
}

int pt_put_u64(struct pt_msg *m, uint16_t type, uint64_t v)
{
	return pt_put(m, type, &v, sizeof(v));
}

int pt_put_str(struct pt_msg *m, uint16_t type, const char *str)
{
	return pt_put(m, type, str, strlen(str) + 1);
}

int pt_put_raw(struct pt_msg *m, const void *data, size_t len)
{
	size_t off = m->len;

	if (off + len > sizeof(m->buf))
		return -1;
	memcpy(m->buf + off, data, len);
	m->len = off + len;
	pt_nlh(m)->nlmsg_len = m->len;
	return (int)off;
}

int pt_send(struct pt_sock *s, const void *buf, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;

	do {
		n = sendto(s->fd, buf, len, 0, (struct sockaddr *)&kernel,
			   sizeof(kernel));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EMSGSIZE;
	return 0;
}

/* Does the attribute stream hold an attribute of @type? */
static bool has_attr(const unsigned char *p, size_t len, uint16_t type)
{
	while (len >= NLA_HDRLEN) {
		const struct nlattr *nla = (const struct nlattr *)p;
		size_t alen = nla->nla_len;

		if (alen < NLA_HDRLEN || alen > len)
			return false;
		if ((nla->nla_type & NLA_TYPE_MASK) == type)
			return true;
		if (NLA_ALIGN(alen) >= len)
			return false;
		p += NLA_ALIGN(alen);
		len -= NLA_ALIGN(alen);
	}
	return false;
}

static void record_attrs(struct pt_attrs *r, const unsigned char *p, size_t len)
{
	while (len >= NLA_HDRLEN) {
		const struct nlattr *nla = (const struct nlattr *)p;
		uint16_t type = nla->nla_type & NLA_TYPE_MASK;
		size_t alen = nla->nla_len;
		size_t plen;

		if (alen < NLA_HDRLEN || alen > len)
			break;
		plen = alen - NLA_HDRLEN;
		if (type < PT_ATTR_SLOTS && !r->has[type]) {
			const unsigned char *d = p + NLA_HDRLEN;

			r->has[type] = true;
			r->len[type] = plen;
			memcpy(r->data[type], d,
			       plen < PT_ATTR_DATA ? plen : PT_ATTR_DATA);
			switch (plen) {
			case 1: r->u[type] = *(const uint8_t *)d; break;
			case 2: { uint16_t v; memcpy(&v, d, 2); r->u[type] = v; break; }
			case 4: { uint32_t v; memcpy(&v, d, 4); r->u[type] = v; break; }
			case 8: { uint64_t v; memcpy(&v, d, 8); r->u[type] = v; break; }
			default: break;
			}
		}
		if (NLA_ALIGN(alen) >= len)
			break;
		p += NLA_ALIGN(alen);
		len -= NLA_ALIGN(alen);
	}
}

void pt_attrs_parse(struct pt_attrs *a, const void *p, size_t len)
{
	memset(a, 0, sizeof(*a));
	record_attrs(a, p, len);
}

size_t pt_err_tlv_offset(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	size_t off = NLMSG_LENGTH(sizeof(*e));

	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	return NLMSG_ALIGN(off);
}

void pt_ack_msg(const struct nlmsghdr *nlh, size_t off, char *msg)
{
	const unsigned char *p = (const unsigned char *)nlh + NLMSG_ALIGN(off);
	const unsigned char *end = (const unsigned char *)nlh + nlh->nlmsg_len;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	while (end - p >= (long)NLA_HDRLEN) {
		const struct nlattr *nla = (const struct nlattr *)p;

		if (nla->nla_len < NLA_HDRLEN || (long)nla->nla_len > end - p)
			return;
		if ((nla->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
			snprintf(msg, PT_EXTACK_LEN, "%.*s",
				 (int)(nla->nla_len - NLA_HDRLEN),
				 (const char *)p + NLA_HDRLEN);
		p += NLA_ALIGN(nla->nla_len);
	}
}

/* Extended-ack TLVs that follow a struct nlmsgerr. */
static void record_extack(struct pt_reply *r, const struct nlmsghdr *nlh)
{
	const unsigned char *p, *end;
	size_t off;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = pt_err_tlv_offset(nlh);
	if (off >= nlh->nlmsg_len)
		return;
	p = (const unsigned char *)nlh + off;
	end = (const unsigned char *)nlh + nlh->nlmsg_len;
	while (end - p >= (long)NLA_HDRLEN) {
		const struct nlattr *nla = (const struct nlattr *)p;
		size_t alen = nla->nla_len, plen;
		const unsigned char *d = p + NLA_HDRLEN;

		if (alen < NLA_HDRLEN || (long)alen > end - p)
			break;
		plen = alen - NLA_HDRLEN;
		switch (nla->nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG:
			snprintf(r->msg, sizeof(r->msg), "%.*s", (int)plen,
				 (const char *)d);
			break;
		case NLMSGERR_ATTR_OFFS:
			if (plen >= 4) {
				memcpy(&r->offs, d, 4);
				r->has_offs = true;
			}
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			if (plen >= 4) {
				memcpy(&r->miss_type, d, 4);
				r->has_miss_type = true;
			}
			break;
		}
		p += NLA_ALIGN(alen);
	}
}

static void add_stray(struct pt_reply *r, uint32_t seq, int err)
{
	if (r->nstray < PT_STRAY_MAX) {
		r->stray[r->nstray].seq = seq;
		r->stray[r->nstray].err = err;
	}
	r->nstray++;
}

static bool complete(const struct pt_reply *r, unsigned int want)
{
	if (r->acked && r->err)
		return true;
	return (!(want & PT_WANT_ACK) || r->acked) &&
	       (!(want & PT_WANT_REPLY) || r->nreplies) &&
	       (!(want & PT_WANT_EVENT) || r->nevents);
}

int pt_recv(struct pt_sock *s, uint32_t seq, unsigned int want,
	    struct pt_reply *r)
{
	static unsigned char buf[PT_RECV_BUF]
		__attribute__((aligned(NLMSG_ALIGNTO)));
	int64_t deadline = s->timeout_ms > 0 ? pt_now_ms() + s->timeout_ms : 0;

	memset(r, 0, sizeof(*r));
	while (!complete(r, want)) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		struct nlmsghdr *nlh;
		int left = -1, pr, len;
		ssize_t n;

		if (deadline) {
			left = (int)(deadline - pt_now_ms());
			if (left < 0)
				left = 0;
		}
		pr = poll(&pfd, 1, left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -errno;
		if (pr == 0)
			return -EAGAIN;
		n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;

		len = (int)n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			bool ours = nlh->nlmsg_seq == seq;
			const unsigned char *attrs;
			const struct genlmsghdr *g;
			size_t alen;

			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);
				int err = 0;

				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					err = -e->error;
				if (!ours) {
					add_stray(r, nlh->nlmsg_seq, err);
					continue;
				}
				r->acked = true;
				/* A later error for the same request wins. */
				if (err || !r->err) {
					r->err = err;
					record_extack(r, nlh);
				}
				continue;
			}
			if (!ours || nlh->nlmsg_type == NLMSG_NOOP)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					r->err = -*(const int *)NLMSG_DATA(nlh);
				r->acked = true;
				continue;
			}
			if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
				continue;
			g = NLMSG_DATA(nlh);
			attrs = (const unsigned char *)g + GENL_HDRLEN;
			alen = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
			/* A grace kill refused or cancelled ends with a stage only. */
			if ((want & PT_WANT_EVENT) &&
			    (has_attr(attrs, alen, PROCTERM_A_WAIT_STATUS) ||
			     has_attr(attrs, alen, PROCTERM_A_STAGE))) {
				if (!r->nevents++) {
					r->ev_cmd = g->cmd;
					record_attrs(&r->ev, attrs, alen);
				}
			} else if (!r->nreplies++) {
				r->cmd = g->cmd;
				record_attrs(&r->a, attrs, alen);
			}
		}
	}
	return -r->err;
}

int pt_request(struct pt_sock *s, struct pt_msg *m, struct pt_reply *r)
{
	int ret = pt_send(s, m->buf, m->len);

	if (ret) {
		memset(r, 0, sizeof(*r));
		return ret;
	}
	return pt_recv(s, pt_nlh(m)->nlmsg_seq, m->want, r);
}

int pt_kill(struct pt_sock *s, pid_t pid, const struct pt_kill_args *args,
	    struct pt_reply *r)
{
	struct pt_msg m;

	pt_msg_init(&m, s, PROCTERM_CMD_KILL, 0);
	pt_put_u32(&m, PROCTERM_A_PID, (uint32_t)pid);
	if (args && args->has_status)
		pt_put_u32(&m, PROCTERM_A_EXIT_STATUS, args->status);
	if (args && args->flags)
		pt_put_u32(&m, PROCTERM_A_FLAGS, args->flags);
	m.want = PT_WANT_ACK | PT_WANT_REPLY;
	if (args && (args->flags & PROCTERM_F_WAIT))
		m.want |= PT_WANT_EVENT;
	return pt_request(s, &m, r);
}

int pt_ask(struct pt_sock *s, struct pt_msg *m, struct pt_answer *a,
	   int timeout_ms)
{
	static unsigned char buf[PT_RECV_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	uint32_t seq = pt_nlh(m)->nlmsg_seq;
	int ret;

	memset(a, 0, sizeof(*a));
	ret = pt_send(s, m->buf, m->len);
	if (ret)
		return ret;
	while (!a->acked) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		struct nlmsghdr *h;
		ssize_t n;
		int len;

		n = poll(&pfd, 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ETIMEDOUT;
		n = recv(s->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		len = (int)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			const unsigned char *attrs;
			size_t alen;

			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				a->acked = true;
				a->err = -e->error;
				pt_ack_msg(h, pt_err_tlv_offset(h), a->msg);
				continue;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
				continue;
			if (a->nreplies++)
				continue;
			a->cmd = ((struct genlmsghdr *)NLMSG_DATA(h))->cmd;
			attrs = (const unsigned char *)NLMSG_DATA(h) + GENL_HDRLEN;
			alen = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
			pt_attrs_parse(&a->a, attrs, alen);
			a->len = alen < sizeof(a->data) ? alen : sizeof(a->data);
			memcpy(a->data, attrs, a->len);
		}
	}
	return -a->err;
}

static int resolve_family(struct pt_sock *s, const char *name)
{
	struct pt_reply r;
	struct pt_msg m;
	int ret;

	pt_msg_init_type(&m, s, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	pt_put_str(&m, CTRL_ATTR_FAMILY_NAME, name);
	m.want = PT_WANT_ACK | PT_WANT_REPLY;
	ret = pt_request(s, &m, &r);
	if (ret)
		return ret;
	if (!r.a.has[CTRL_ATTR_FAMILY_ID] || r.a.len[CTRL_ATTR_FAMILY_ID] != 2)
		return -EPROTO;
	s->family = (uint16_t)r.a.u[CTRL_ATTR_FAMILY_ID];
	s->version = r.a.has[CTRL_ATTR_VERSION] ?
		     (uint32_t)r.a.u[CTRL_ATTR_VERSION] : 0;
	return 0;
}

int pt_open_id(struct pt_sock *s, uint16_t family)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	int one = 1, ret;

	memset(s, 0, sizeof(*s));
	s->timeout_ms = PT_DEFAULT_TIMEOUT_MS;
	s->family = family;
	s->version = PROCTERM_GENL_VERSION;
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (s->fd < 0)
		return -errno;
	if (bind(s->fd, (struct sockaddr *)&local, sizeof(local)) ||
	    setsockopt(s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(s->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one))) {
		ret = -errno;
		close(s->fd);
		s->fd = -1;
		return ret;
	}
	/* Start from an arbitrary point so stale answers never match. */
	s->seq = (uint32_t)pt_now_ms() ^ ((uint32_t)getpid() << 16);
	return 0;
}

int pt_open_family(struct pt_sock *s, const char *name)
{
	int ret = pt_open_id(s, 0);

	if (ret)
		return ret;
	ret = resolve_family(s, name);
	if (ret) {
		close(s->fd);
		s->fd = -1;
	}
	return ret;
}

int pt_open(struct pt_sock *s)
{
	return pt_open_family(s, PROCTERM_GENL_NAME);
}

void pt_close(struct pt_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

const char *pt_errname(int err)
{
	static const struct { int err; const char *name; } names[] = {
		{ 0, "success" }, { EPERM, "EPERM" }, { ENOENT, "ENOENT" },
		{ ESRCH, "ESRCH" }, { EINTR, "EINTR" }, { ENOMEM, "ENOMEM" },
		{ EBUSY, "EBUSY" }, { EINVAL, "EINVAL" }, { ENOTTY, "ENOTTY" },
		{ ERANGE, "ERANGE" }, { EAGAIN, "EAGAIN" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { EALREADY, "EALREADY" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { EPROTO, "EPROTO" },
		{ EMSGSIZE, "EMSGSIZE" }, { ECONNREFUSED, "ECONNREFUSED" },
		{ EACCES, "EACCES" }, { ENOBUFS, "ENOBUFS" },
		{ EDQUOT, "EDQUOT" }, { ENODEV, "ENODEV" }, { EPIPE, "EPIPE" },
	};
	static char num[24];
	size_t i;

	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(num, sizeof(num), "errno %d", err);
	return num;
}
