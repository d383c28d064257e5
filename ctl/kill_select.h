/* SPDX-License-Identifier: GPL-2.0 */
/*
 * procterm kill by selectors: the request as the command line gave it.
 */
#ifndef PROCTERM_KILL_SELECT_H
#define PROCTERM_KILL_SELECT_H

#include <stdbool.h>
#include <stddef.h>

#include "ipc.h"

struct select_opts {
	struct select_spec spec;	/* --name ... --strict, --status */
	const char *regex;		/* --name-regex, or NULL */
	uint32_t pick;			/* also in spec, unless --name-regex */
	bool json, tsv;
};

/* Run it: 0 or -errno (-ESRCH: nothing matched; -EPERM: all denied). */
int kill_select(const struct select_opts *o);
/* The literal prefix every match of the ERE @re starts with ("" if none). */
void regex_prefix(const char *re, char *out, size_t len);

#endif
