// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink over libnl-genl-3.
 *
 * Every request carries NLM_F_ACK, so a request is over when the kernel sends
 * its ACK (doit), NLMSG_DONE (dump) or an error; the callbacks move a
 * tri-state status (1 in flight, 0 done, -errno failed) and the receive loop
 * runs until it leaves 1, or, for a request that expects an event after its
 * ACK (procterm kill --wait), until that event is in.
 *
 * Messages are matched by sequence number only: a late event for an earlier
 * request on the same socket (a wait that timed out) is dropped.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <netlink/handlers.h>
#include <netlink/socket.h>

#include "nl.h"

/* A dump interrupted this many times in a row is given up as -EINTR. */
#define PTNL_DUMP_TRIES	10

struct ptnl {
	struct nl_sock *sk;
	struct nl_cb *cb;
	const struct ptnl_family *fam;
	int family_id;
	struct nlattr **tb;

	/* The request in flight. */
	const struct ptnl_request *req;
	uint32_t seq;
	int status;
	int reply_err;
	bool intr;
	char extack[512];
};

/* libnl's own error codes, for failures that never reached the kernel. */
static int nlerr(int nlret, const char *what)
{
	int err;

	switch (-nlret) {
	case NLE_NOMEM:
		err = ENOMEM;
		break;
	case NLE_PERM:
		err = EPERM;
		break;
	case NLE_INTR:
	case NLE_DUMP_INTR:
		return -EINTR;
	case NLE_AF_NOSUPPORT:
		err = EAFNOSUPPORT;
		break;
	case NLE_PROTO_MISMATCH:
		err = EPROTONOSUPPORT;
		break;
	case NLE_MSGSIZE:
	case NLE_MSG_TOOSHORT:
	case NLE_MSG_TRUNC:
		err = EMSGSIZE;
		break;
	default:
		err = EIO;
		break;
	}
	fprintf(stderr, "procterm: netlink %s: %s\n", what, nl_geterror(nlret));
	return -err;
}

static const char *attr_name(const struct ptnl *nl, unsigned int type,
			     char *buf, size_t len)
{
	if (type <= (unsigned int)nl->fam->maxattr && nl->fam->attr_names[type])
		return nl->fam->attr_names[type];
	snprintf(buf, len, "#%u", type);
	return buf;
}

/*
 * The TLVs of an NLMSG_ERROR (or NLMSG_DONE) message start @off bytes into
 * @nlh. @orig is the echoed request when the kernel sent it back, or NULL.
 */
static void extack_parse(struct ptnl *nl, const struct nlmsghdr *nlh,
			 size_t off, const struct nlmsghdr *orig)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	char *p = nl->extack, *end = nl->extack + sizeof(nl->extack);
	const char *sep = "";
	char num[16];
	int n;

	nl->extack[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || nlh->nlmsg_len <= off)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)nlh + off),
		      nlh->nlmsg_len - off, NULL) < 0)
		return;

	if (tb[NLMSGERR_ATTR_MSG]) {
		n = snprintf(p, end - p, "%.*s", nla_len(tb[NLMSGERR_ATTR_MSG]),
			     (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
		p += n < end - p ? n : end - p - 1;
		sep = "; ";
	}
	if (tb[NLMSGERR_ATTR_MISS_TYPE] &&
	    nla_len(tb[NLMSGERR_ATTR_MISS_TYPE]) >= 4) {
		n = snprintf(p, end - p, "%smissing attribute %s", sep,
			     attr_name(nl, nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]),
				       num, sizeof(num)));
		p += n < end - p ? n : end - p - 1;
		sep = "; ";
	}
	if (tb[NLMSGERR_ATTR_OFFS] && nla_len(tb[NLMSGERR_ATTR_OFFS]) >= 4 &&
	    orig) {
		uint32_t offs = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
		const struct nlattr *bad;

		if (offs < NLMSG_HDRLEN + GENL_HDRLEN ||
		    offs + NLA_HDRLEN > orig->nlmsg_len)
			return;
		bad = (const struct nlattr *)((const char *)orig + offs);
		snprintf(p, end - p, "%sattribute %s", sep,
			 attr_name(nl, bad->nla_type & NLA_TYPE_MASK,
				   num, sizeof(num)));
	}
}

/* The extended ack that follows a struct nlmsgerr (error or ACK). */
static void extack_from_error(struct ptnl *nl, const struct nlmsgerr *err)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)err - 1;
	const struct nlmsghdr *orig = NULL;
	size_t off = NLMSG_HDRLEN + sizeof(*err);

	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (err->msg.nlmsg_len < NLMSG_HDRLEN ||
		    NLMSG_HDRLEN + sizeof(int) + err->msg.nlmsg_len >
		    nlh->nlmsg_len)
			return;
		off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int) +
						 err->msg.nlmsg_len);
		orig = &err->msg;
	}
	extack_parse(nl, nlh, off, orig);
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct ptnl *nl = arg;
	const struct ptnl_request *req = nl->req;
	int ret;

	if (!req->reply)
		return NL_OK;
	ret = genlmsg_parse(nlmsg_hdr(msg), 0, nl->tb, nl->fam->maxattr,
			    nl->fam->policy);
	ret = ret < 0 ? -EBADMSG : req->reply(nl->tb, req->arg);
	if (!ret && req->raw)
		ret = req->raw(nlmsg_hdr(msg), req->arg);
	if (ret < 0 && !nl->reply_err)
		nl->reply_err = ret;
	return NL_OK;
}

static int error_cb(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct ptnl *nl = arg;

	(void)nla;
	nl->status = err->error < 0 ? err->error : -EPROTO;
	extack_from_error(nl, err);
	return NL_STOP;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	struct ptnl *nl = arg;

	/* An ACK may carry a warning in its extended ack. */
	extack_from_error(nl, nlmsg_data(nlmsg_hdr(msg)));
	nl->status = 0;
	return NL_STOP;
}

static int finish_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct ptnl *nl = arg;
	int err = 0;

	/* NLMSG_DONE carries the dump's final errno and maybe an extack. */
	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(err)) {
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		extack_parse(nl, nlh, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(err)),
			     NULL);
	}
	nl->status = err < 0 ? err : 0;
	return NL_STOP;
}

static int seq_check_cb(struct nl_msg *msg, void *arg)
{
	struct ptnl *nl = arg;

	return nlmsg_hdr(msg)->nlmsg_seq == nl->seq ? NL_OK : NL_SKIP;
}

static int dump_intr_cb(struct nl_msg *msg, void *arg)
{
	struct ptnl *nl = arg;

	(void)msg;
	/* Keep reading to NLMSG_DONE so the socket is clean for the retry. */
	nl->intr = true;
	return NL_OK;
}

int ptnl_open(struct ptnl **nlp, const struct ptnl_family *fam, bool debug)
{
	int one = 1, rcvbuf = 4 << 20;
	struct nl_cb *base;
	struct ptnl *nl;
	int ret;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->fam = fam;
	nl->tb = calloc(fam->maxattr + 1, sizeof(*nl->tb));
	base = nl_cb_alloc(debug ? NL_CB_DEBUG : NL_CB_DEFAULT);
	if (!nl->tb || !base) {
		ret = -ENOMEM;
		goto err;
	}
	nl->sk = nl_socket_alloc_cb(base);
	nl->cb = nl_cb_clone(base);
	if (!nl->sk || !nl->cb) {
		ret = -ENOMEM;
		goto err;
	}
	ret = genl_connect(nl->sk);
	if (ret < 0) {
		ret = nlerr(ret, "socket");
		goto err;
	}
	/* Older kernels lack extended acks; then there is just no message. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	/* Let libnl size its buffer to the kernel's dump messages. */
	nl_socket_enable_msg_peek(nl->sk);
	/*
	 * A kill by selectors answers in one message, which can be large;
	 * the ack behind it must still fit (the kernel caps this at
	 * rmem_max). Failing is harmless: most replies are small.
	 */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		   sizeof(rcvbuf));

	nl->family_id = genl_ctrl_resolve(nl->sk, fam->name);
	if (nl->family_id < 0) {
		if (nl->family_id == -NLE_OBJ_NOTFOUND)
			ret = -PTNL_ENOFAMILY;
		else
			ret = nlerr(nl->family_id, "family lookup");
		goto err;
	}

	nl_cb_set(nl->cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, nl);
	nl_cb_set(nl->cb, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, nl);
	nl_cb_set(nl->cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, nl);
	nl_cb_set(nl->cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, dump_intr_cb, nl);
	nl_cb_set(nl->cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, seq_check_cb, nl);
	nl_cb_err(nl->cb, NL_CB_CUSTOM, error_cb, nl);
	nl_cb_put(base);
	*nlp = nl;
	return 0;

err:
	nl_cb_put(base);
	ptnl_close(nl);
	return ret;
}

void ptnl_close(struct ptnl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	nl_cb_put(nl->cb);
	free(nl->tb);
	free(nl);
}

const char *ptnl_extack(const struct ptnl *nl)
{
	return nl->extack;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until the socket is readable or @deadline (CLOCK_MONOTONIC ms). */
static int wait_readable(struct ptnl *nl, int64_t deadline)
{
	struct pollfd pfd = { .fd = nl_socket_get_fd(nl->sk), .events = POLLIN };
	int64_t left;
	int ret;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (ret > 0)
			return 0;
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			perror("procterm: poll");
			return ret;
		}
	}
}

/* Still receiving: no answer yet, or acknowledged with an event to come. */
static bool in_flight(const struct ptnl *nl)
{
	const struct ptnl_request *req = nl->req;

	if (nl->status)
		return nl->status > 0;
	return !nl->reply_err && req->more && req->more(req->arg);
}

static int request_once(struct ptnl *nl, const struct ptnl_request *req)
{
	int flags = NLM_F_ACK | (req->dump ? NLM_F_DUMP : 0);
	int64_t deadline = 0;
	struct nl_msg *msg;
	int ret, before;

	msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family_id, 0,
			 flags, req->cmd, nl->fam->version)) {
		ret = -EMSGSIZE;
		goto out;
	}
	if (req->fill) {
		ret = req->fill(msg, req->arg);
		if (ret)
			goto out;
	}

	nl->req = req;
	nl->status = 1;
	nl->reply_err = 0;
	nl->intr = false;
	nl->extack[0] = '\0';

	if (req->timeout_ms)
		deadline = now_ms() + req->timeout_ms;
	ret = nl_send_auto(nl->sk, msg);
	if (ret < 0) {
		ret = nlerr(ret, "send");
		goto out;
	}
	nl->seq = nlmsg_hdr(msg)->nlmsg_seq;
	while (in_flight(nl)) {
		if (deadline) {
			ret = wait_readable(nl, deadline);
			if (ret) {
				nl->status = ret;
				break;
			}
		}
		before = nl->status;
		ret = nl_recvmsgs(nl->sk, nl->cb);
		/* Unless a callback already explained it, this is ours. */
		if (ret < 0 && nl->status == before)
			nl->status = nlerr(ret, "receive");
	}
	ret = nl->status;
	if (!ret && nl->intr)
		ret = -EINTR;
	if (!ret)
		ret = nl->reply_err;
out:
	nlmsg_free(msg);
	return ret;
}

int ptnl_request(struct ptnl *nl, const struct ptnl_request *req)
{
	int tries = 0;
	int ret;

	for (;;) {
		ret = request_once(nl, req);
		if (ret != -EINTR || !req->dump || ++tries >= PTNL_DUMP_TRIES)
			return ret;
		if (req->restart)
			req->restart(req->arg);
	}
}

int ptnl_subscribe(struct ptnl *nl, const char *group)
{
	int size = 4 << 20;
	int grp, ret;

	grp = genl_ctrl_resolve_grp(nl->sk, nl->fam->name, group);
	if (grp < 0)
		return grp == -NLE_OBJ_NOTFOUND ? -ENOENT : nlerr(grp, "group lookup");
	/* Room for a burst (a tree kill); past it the kernel drops, and says so. */
	if (setsockopt(nl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVBUFFORCE,
		       &size, sizeof(size)))
		setsockopt(nl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVBUF,
			   &size, sizeof(size));
	ret = nl_socket_add_membership(nl->sk, grp);
	if (ret < 0)
		return ret == -NLE_PERM ? -EPERM : nlerr(ret, "join group");
	return 0;
}

struct ptnl_listen {
	struct ptnl *nl;
	int (*event)(uint8_t cmd, struct nlattr **tb, void *arg);
	void *arg;
	int err;
};

static int listen_valid_cb(struct nl_msg *msg, void *arg)
{
	struct ptnl_listen *l = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh = nlmsg_data(nlh);
	int ret;

	if (nlh->nlmsg_type != l->nl->family_id)
		return NL_SKIP;
	ret = genlmsg_parse(nlh, 0, l->nl->tb, l->nl->fam->maxattr,
			    l->nl->fam->policy);
	if (ret < 0)
		return NL_SKIP;
	ret = l->event(gh->cmd, l->nl->tb, l->arg);
	if (ret < 0) {
		l->err = ret;
		return NL_STOP;
	}
	return NL_OK;
}

static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

int ptnl_listen(struct ptnl *nl,
		int (*event)(uint8_t cmd, struct nlattr **tb, void *arg),
		void (*overflow)(void *arg), void *arg,
		volatile int *stop, const void *sigmask)
{
	struct ptnl_listen l = { .nl = nl, .event = event, .arg = arg };
	struct pollfd pfd = { .fd = nl_socket_get_fd(nl->sk), .events = POLLIN };
	struct nl_cb *cb;
	int ret = 0;

	cb = nl_cb_clone(nl->cb);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, listen_valid_cb, &l);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	nl_socket_set_nonblocking(nl->sk);
	while (!*stop) {
		ret = ppoll(&pfd, 1, NULL, sigmask);
		if (ret < 0) {
			if (errno == EINTR) {
				ret = 0;
				continue;
			}
			ret = -errno;
			perror("procterm: poll");
			break;
		}
		ret = nl_recvmsgs(nl->sk, cb);
		if (l.err) {
			ret = l.err;
			break;
		}
		if (ret == -NLE_NOMEM) {
			/*
			 * libnl reports the socket's ENOBUFS (the kernel
			 * dropped messages) as NLE_NOMEM.
			 */
			overflow(arg);
			ret = 0;
			continue;
		}
		if (ret == -NLE_AGAIN) {
			ret = 0;
			continue;
		}
		if (ret < 0) {
			ret = nlerr(ret, "receive");
			break;
		}
		ret = 0;
	}
	nl_cb_put(cb);
	return ret;
}
