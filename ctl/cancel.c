// SPDX-License-Identifier: GPL-2.0
/*
 * procterm cancel: disarm deferred requests by ID.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "ipc.h"
#include "output.h"
#include "parse.h"
#include "subcommands.h"

static const struct option options[] = {
	{ "help",	no_argument,	NULL, 'h' },
	{ NULL,		0,		NULL, 0 },
};

static void usage(FILE *f)
{
	fputs("Usage: procterm cancel ID...\n"
	      "\n"
	      "Disarm the deferred requests with these IDs, as shown by\n"
	      "'procterm kill --deferred' and 'procterm pending'.\n", f);
}

int cancel_main(int argc, char *argv[])
{
	struct ipc *ipc = NULL;
	uint64_t *ids;
	int ret, first = 0, n, i, c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		default:
			return usage_hint("cancel", option_error("cancel", c, argv));
		}
	}
	argv += optind;
	n = argc - optind;
	if (!n) {
		fputs("procterm: cancel: no request ID given\n", stderr);
		return usage_hint("cancel", -PT_EUSAGE);
	}

	ids = calloc(n, sizeof(*ids));
	if (!ids) {
		perror("procterm: cancel");
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		/* IDs start at 1. */
		if (parse_num(argv[i], UINT64_MAX, &ids[i]) || !ids[i]) {
			fprintf(stderr, "procterm: cancel: invalid request ID '%s'\n",
				argv[i]);
			ret = usage_hint("cancel", -PT_EUSAGE);
			goto out;
		}
	}

	ret = ipc_open(&ipc, opt_debug);
	if (ret) {
		report_open("cancel", ret);
		goto out;
	}
	for (i = 0; i < n; i++) {
		ret = ipc_cancel(ipc, ids[i]);
		if (ret) {
			report("cancel", argv[i], ret, ipc_extack(ipc));
			if (!first)
				first = ret;
		} else {
			printf("request %" PRIu64 ": cancelled\n", ids[i]);
			fflush(stdout);
		}
	}
	ret = first;
out:
	ipc_close(ipc);
	free(ids);
	return ret;
}
