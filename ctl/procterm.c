// SPDX-License-Identifier: GPL-2.0
/*
 * procterm: terminate processes through procterm.ko.
 *
 * The dispatcher: global options, then a subcommand from the table. Help and
 * version never open a socket. Subcommands return 0 or -errno; the mapping
 * to exit codes happens here and nowhere else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "output.h"
#include "subcommands.h"

#ifndef PROCTERM_VERSION
#define PROCTERM_VERSION "0.1"
#endif

bool opt_debug;

static const struct {
	const char *name;
	int (*handler)(int argc, char *argv[]);
	const char *help;
} subcommands[] = {
	{ "kill",	kill_main,	"terminate processes by PID, handle or task address" },
	{ "list",	list_main,	"show processes with their handles and addresses" },
	{ "pending",	pending_main,	"show armed deferred requests" },
	{ "cancel",	cancel_main,	"disarm deferred requests" },
	{ "why",	why_main,	"say why a process is not dead (yet)" },
	{ "watch",	watch_main,	"stream the terminations procterm causes" },
	{ "rule",	rule_main,	"kill matching programs as they are executed" },
};

#define N_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *f)
{
	size_t i;

	fputs("Usage: procterm [--debug] COMMAND [OPTIONS]...\n"
	      "       procterm help [COMMAND] | --help | --version\n"
	      "\n"
	      "Commands:\n", f);
	for (i = 0; i < N_SUBCOMMANDS; i++)
		fprintf(f, "  %-9s %s\n", subcommands[i].name,
			subcommands[i].help);
	fputs("  help      show this, or the help of COMMAND\n"
	      "  version   show the version\n"
	      "\n"
	      "Options:\n"
	      "  --debug   dump netlink messages to stderr (also PROCTERM_DEBUG=1)\n"
	      "  --help    show this help\n"
	      "  --version show the version\n"
	      "\n"
	      EXIT_STATUS_HELP
	      "\n"
	      "See procterm(8).\n", f);
}

static int exit_code(int ret)
{
	switch (-ret) {
	case 0:
		return 0;
	case PT_EUSAGE:
		return 1;
	case ESRCH:
	case ENOENT:
		return 2;
	case EPERM:
	case EACCES:
		return 3;
	case ENOTTY:
		return 4;
	case EALREADY:
		return 5;
	case ETIMEDOUT:
		return 6;
	case IPC_ENOMODULE:
	case ENODEV:
		return 7;
	case EDQUOT:
	case ENOSPC:
		return 9;
	default:
		return 8;
	}
}

static int find_subcommand(const char *name)
{
	size_t i;

	for (i = 0; i < N_SUBCOMMANDS; i++)
		if (!strcmp(name, subcommands[i].name))
			return i;
	return -1;
}

static int help(int argc, char *argv[])
{
	char *args[] = { NULL, "--help", NULL };
	int i;

	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	if (argc > 2) {
		fputs("procterm: help: too many arguments\n", stderr);
		return -PT_EUSAGE;
	}
	i = find_subcommand(argv[1]);
	if (i < 0) {
		fprintf(stderr, "procterm: help: unknown command '%s'\n",
			argv[1]);
		return usage_hint(NULL, -PT_EUSAGE);
	}
	args[0] = argv[1];
	return subcommands[i].handler(2, args);
}

/* Output that never made it out is a failure too (a full disk, a closed
 * pipe with SIGPIPE ignored). */
static int finish(int status)
{
	if (fflush(stdout) || ferror(stdout)) {
		perror("procterm: standard output");
		if (!status)
			status = 8;
	}
	return status;
}

static bool env_true(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0");
}

int main(int argc, char *argv[])
{
	int i;

	opt_debug = env_true("PROCTERM_DEBUG");

	argc--;
	argv++;
	for (; argc && argv[0][0] == '-'; argc--, argv++) {
		if (!strcmp(argv[0], "--debug")) {
			opt_debug = true;
		} else if (!strcmp(argv[0], "--help") ||
			   !strcmp(argv[0], "-h")) {
			usage(stdout);
			return finish(0);
		} else if (!strcmp(argv[0], "--version")) {
			printf("procterm %s\n", PROCTERM_VERSION);
			return finish(0);
		} else if (!strcmp(argv[0], "--")) {
			argc--;
			argv++;
			break;
		} else {
			fprintf(stderr, "procterm: unknown option '%s'\n",
				argv[0]);
			usage_hint(NULL, 0);
			return 1;
		}
	}
	if (!argc) {
		fputs("procterm: no command given\n", stderr);
		usage_hint(NULL, 0);
		return 1;
	}
	if (!strcmp(argv[0], "help"))
		return finish(exit_code(help(argc, argv)));
	if (!strcmp(argv[0], "version")) {
		printf("procterm %s\n", PROCTERM_VERSION);
		return finish(0);
	}
	i = find_subcommand(argv[0]);
	if (i < 0) {
		fprintf(stderr, "procterm: unknown command '%s'\n", argv[0]);
		usage_hint(NULL, 0);
		return 1;
	}
	return finish(exit_code(subcommands[i].handler(argc, argv)));
}
