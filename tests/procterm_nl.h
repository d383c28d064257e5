/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small generic netlink client for the procterm selftests.
 *
 * Raw AF_NETLINK/NETLINK_GENERIC sockets, no libnl: the tests need to send
 * requests that a library would refuse to build (wrong attribute lengths,
 * unknown types, truncated headers). Every request carries NLM_F_ACK and the
 * socket has NETLINK_EXT_ACK enabled, so each answer comes back as an errno
 * plus the kernel's extended-ack message and bad-attribute offset.
 */
#ifndef PROCTERM_NL_H
#define PROCTERM_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>

#include <linux/procterm.h>

/* What older userspace headers may lack. */
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif
#ifndef NLMSGERR_ATTR_MISS_TYPE
#define NLMSGERR_ATTR_MISS_TYPE 5
#endif

#define PT_MSG_SIZE	8192	/* largest request the tests build */
#define PT_EXTACK_LEN	256	/* longest extack message kept */
#define PT_ATTR_SLOTS	64	/* attribute types 0..63 are recorded */
#define PT_ATTR_DATA	32	/* bytes of each attribute payload kept */
#define PT_STRAY_MAX	16	/* acks for other requests kept */

struct pt_sock {
	int fd;
	uint16_t family;	/* generic netlink id of PROCTERM_GENL_NAME */
	uint32_t version;	/* family version the kernel reports */
	uint32_t seq;		/* last sequence number used */
	int timeout_ms;		/* how long pt_recv() waits for an answer, 0: ever */
};

/* What a request's answer is made of; pt_recv() waits for all that is set. */
enum {
	PT_WANT_ACK	= 1 << 0,	/* the NLMSG_ERROR acknowledgement */
	PT_WANT_REPLY	= 1 << 1,	/* a data message answering the request */
	PT_WANT_EVENT	= 1 << 2,	/* the PROCTERM_F_WAIT death message */
};

struct pt_msg {
	size_t len;		/* bytes used in buf, kept equal to nlmsg_len */
	unsigned int want;	/* PT_WANT_*; PT_WANT_ACK after pt_msg_init() */
	unsigned char buf[PT_MSG_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
};

/* An error ack that answered another request on the same socket. */
struct pt_stray {
	uint32_t seq;
	int err;		/* positive errno, 0 for a plain ack */
};

/* The attributes of one data message. */
struct pt_attrs {
	bool has[PT_ATTR_SLOTS];
	uint16_t len[PT_ATTR_SLOTS];	/* payload length */
	uint64_t u[PT_ATTR_SLOTS];	/* payload read as a 1/2/4/8-byte integer */
	unsigned char data[PT_ATTR_SLOTS][PT_ATTR_DATA];
};

struct pt_reply {
	bool acked;		/* an NLMSG_ERROR (or NLMSG_DONE) arrived */
	int err;		/* positive errno from the ack, 0: success */
	char msg[PT_EXTACK_LEN];	/* NLMSGERR_ATTR_MSG, "" when absent */
	bool has_offs;
	uint32_t offs;		/* NLMSGERR_ATTR_OFFS: culprit's offset */
	bool has_miss_type;
	uint32_t miss_type;	/* NLMSGERR_ATTR_MISS_TYPE */

	/* Data messages with our sequence number; the first of each kind. */
	int nreplies;
	uint8_t cmd;		/* genlmsghdr.cmd of the reply */
	struct pt_attrs a;	/* the reply */
	/*
	 * With PT_WANT_EVENT, a message carrying PROCTERM_A_WAIT_STATUS is
	 * the death message, not the reply, whichever comes first.
	 */
	int nevents;
	uint8_t ev_cmd;
	struct pt_attrs ev;

	int nstray;
	struct pt_stray stray[PT_STRAY_MAX];
};

/* What PROCTERM_CMD_KILL should carry besides the PID. */
struct pt_kill_args {
	bool has_status;
	uint32_t status;	/* PROCTERM_A_EXIT_STATUS */
	uint32_t flags;		/* PROCTERM_A_FLAGS, sent when non-zero */
};

/*
 * Open a socket and resolve the family. Returns 0, -ENOENT when the family is
 * not registered (module not loaded), or another negative errno.
 */
int pt_open(struct pt_sock *s);
/* The same for any generic netlink family (the helper's own checks). */
int pt_open_family(struct pt_sock *s, const char *name);
void pt_close(struct pt_sock *s);

/* Start a request for @cmd; NLM_F_REQUEST | NLM_F_ACK are always set. */
void pt_msg_init(struct pt_msg *m, struct pt_sock *s, uint8_t cmd,
		 uint16_t extra_flags);
/* Same, with any netlink message type (e.g. GENL_ID_CTRL). */
void pt_msg_init_type(struct pt_msg *m, struct pt_sock *s, uint16_t type,
		      uint8_t cmd, uint16_t extra_flags);
/*
 * Append an attribute. Returns the attribute's offset from the start of the
 * message (what the kernel reports in NLMSGERR_ATTR_OFFS), or -1 when the
 * message is full.
 */
int pt_put(struct pt_msg *m, uint16_t type, const void *data, size_t len);
int pt_put_u8(struct pt_msg *m, uint16_t type, uint8_t v);
int pt_put_u16(struct pt_msg *m, uint16_t type, uint16_t v);
int pt_put_u32(struct pt_msg *m, uint16_t type, uint32_t v);
int pt_put_u64(struct pt_msg *m, uint16_t type, uint64_t v);
int pt_put_str(struct pt_msg *m, uint16_t type, const char *str);
/* Append raw bytes after the attributes (nlmsg_len grows with them). */
int pt_put_raw(struct pt_msg *m, const void *data, size_t len);
static inline struct nlmsghdr *pt_nlh(struct pt_msg *m)
{
	return (struct nlmsghdr *)m->buf;
}

/* Send @len bytes as one datagram to the kernel. 0 or a negative errno. */
int pt_send(struct pt_sock *s, const void *buf, size_t len);

/*
 * Read the answer to request @seq: everything in @want (PT_WANT_*), or an
 * error ack. Acks for other sequence numbers are recorded in r->stray.
 * Returns -r->err, or a negative errno of the socket itself: -EAGAIN means
 * not everything arrived within s->timeout_ms (r says what did). Call it
 * again with what is still missing to keep waiting.
 */
int pt_recv(struct pt_sock *s, uint32_t seq, unsigned int want,
	    struct pt_reply *r);

/* pt_send() the message, then pt_recv() what m->want asks for. */
int pt_request(struct pt_sock *s, struct pt_msg *m, struct pt_reply *r);

/*
 * PROCTERM_CMD_KILL for @pid; @args may be NULL. Waits for the ack and the
 * reply, and with PROCTERM_F_WAIT for the death message too. Returns like
 * pt_request().
 */
int pt_kill(struct pt_sock *s, pid_t pid, const struct pt_kill_args *args,
	    struct pt_reply *r);

/*
 * Open a socket for a family whose id is already known (no controller
 * request, so the socket's receive history is only what the caller does).
 */
int pt_open_id(struct pt_sock *s, uint16_t family);

/* Where the extended-ack TLVs of an NLMSG_ERROR begin (aligned). */
size_t pt_err_tlv_offset(const struct nlmsghdr *nlh);
/*
 * Copy NLMSGERR_ATTR_MSG of an ack whose TLVs start at @off (for
 * NLMSG_ERROR pt_err_tlv_offset(), for NLMSG_DONE NLMSG_LENGTH(sizeof(int)))
 * into @msg (PT_EXTACK_LEN bytes); @msg is left alone when there is none.
 */
void pt_ack_msg(const struct nlmsghdr *nlh, size_t off, char *msg);
/* Record the attributes in @p (@len bytes) into @a, which is cleared first. */
void pt_attrs_parse(struct pt_attrs *a, const void *p, size_t len);

#define PT_ANSWER_DATA	1024	/* attribute bytes of the first reply kept */

/* The answer to one request: its ack, and the first data message. */
struct pt_answer {
	bool acked;
	int err;		/* positive errno from the ack, 0: success */
	char msg[PT_EXTACK_LEN];
	int nreplies;		/* data messages with the request's sequence number */
	uint8_t cmd;		/* genlmsghdr.cmd of the first one */
	size_t len;		/* its attribute bytes, as many as data holds */
	unsigned char data[PT_ANSWER_DATA];
	struct pt_attrs a;	/* its attributes */
};

/*
 * Send a request built with pt_msg_init() (which asks for an ack) and read
 * until its ack arrives, at most @timeout_ms between datagrams. Returns
 * -a->err, or a negative errno of the socket (-ETIMEDOUT: no ack in time).
 */
int pt_ask(struct pt_sock *s, struct pt_msg *m, struct pt_answer *a,
	   int timeout_ms);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t pt_now_ms(void);

/* A printable name for an errno value ("ESRCH"), or its number. */
const char *pt_errname(int err);

#endif /* PROCTERM_NL_H */
