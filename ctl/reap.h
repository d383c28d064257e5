/* SPDX-License-Identifier: GPL-2.0 */
/*
 * procterm kill --reap: release a killed process's memory at once, with
 * process_mrelease(2) on a pidfd opened before the kill.
 */
#ifndef PROCTERM_REAP_H
#define PROCTERM_REAP_H

#include "ipc.h"

struct reap {
	int pidfd;		/* -1: nothing to reap through */
};

/*
 * Before the kill: open a pidfd on the process @req names (a PID or a
 * handle) and make @req a handle of exactly that process, so that the kill
 * and the release cannot reach two processes. A process that cannot be
 * opened is left to the kill, which reports why.
 */
void reap_prepare(struct kill_request *req, struct reap *r);

/*
 * After a successful kill: release the address space. 0, or -errno (then a
 * warning is printed naming @arg): EINVAL when something alive shares the
 * memory. A process that let go of its memory by itself first is success.
 */
int reap_release(struct reap *r, const char *arg, const struct kill_reply *reply);

void reap_close(struct reap *r);

#endif
