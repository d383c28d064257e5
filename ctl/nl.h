/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one generic netlink layer: a socket bound to one family and a request
 * helper that always asks for an acknowledgement, collects the kernel's
 * extended-ack message, restarts interrupted dumps and can wait, with a
 * timeout, for an event that completes a request.
 */
#ifndef PROCTERM_NL_H
#define PROCTERM_NL_H

#include <stdbool.h>
#include <stdint.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

/* Returned (negated) by ptnl_open() when the family is not registered;
 * above the errno range so that it cannot be mistaken for a kernel error. */
#define PTNL_ENOFAMILY	4097

struct ptnl;

struct ptnl_family {
	const char *name;
	uint8_t version;
	int maxattr;
	const struct nla_policy *policy;	/* maxattr + 1 entries */
	const char *const *attr_names;		/* maxattr + 1 entries */
};

struct ptnl_request {
	uint8_t cmd;
	bool dump;
	/* Add the request's attributes; 0 or -errno. May be NULL. */
	int (*fill)(struct nl_msg *msg, void *arg);
	/* Called for each reply message with its parsed attributes. */
	int (*reply)(struct nlattr **tb, void *arg);
	/* Each reply message as it came, for repeated attributes; may be NULL. */
	int (*raw)(const struct nlmsghdr *nlh, void *arg);
	/* A dump is about to be restarted: forget what reply() collected. */
	void (*restart)(void *arg);
	/* Acknowledged, but a message that completes the request (an event
	 * with the request's sequence number) is still to come. May be NULL. */
	bool (*more)(void *arg);
	/* Give up with -ETIMEDOUT after this long; 0: never. */
	unsigned int timeout_ms;
	void *arg;
};

int ptnl_open(struct ptnl **nlp, const struct ptnl_family *fam, bool debug);
void ptnl_close(struct ptnl *nl);
/* 0 or -errno, the kernel's own errno when it refused the request. */
int ptnl_request(struct ptnl *nl, const struct ptnl_request *req);
/*
 * Listening to a multicast group: join @group of the family (0, -ENOENT
 * when the family has no such group, -EPERM without the privilege it
 * needs, or another -errno), then receive. Events are not answers: the
 * sequence number check is off for them.
 */
int ptnl_subscribe(struct ptnl *nl, const char *group);
/*
 * Receive notifications until @stop is set (by a signal handler; the
 * signals in @sigmask are unblocked only while waiting) or an error:
 * @event is called with each message's command and attributes; @overflow
 * when the socket's receive buffer overflowed (the kernel dropped
 * messages: ENOBUFS). Returns 0 once stopped, or -errno.
 */
int ptnl_listen(struct ptnl *nl,
		int (*event)(uint8_t cmd, struct nlattr **tb, void *arg),
		void (*overflow)(void *arg), void *arg,
		volatile int *stop, const void *sigmask);

/* The extended-ack text of the last request ("" if none). */
const char *ptnl_extack(const struct ptnl *nl);

#endif
