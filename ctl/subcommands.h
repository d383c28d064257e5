/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PROCTERM_SUBCOMMANDS_H
#define PROCTERM_SUBCOMMANDS_H

#include <stdbool.h>

/*
 * Subcommands return 0 or -errno, or -PT_EUSAGE for a bad command line;
 * main() maps that to the exit status. Internal codes sit above the errno
 * range (the kernel's errnos stay below 4096).
 */
#define PT_EUSAGE	4096

/* getopt_long() values of long-only options start here. */
#define OPT_LONG	256

/* --debug or PROCTERM_DEBUG: dump netlink traffic to stderr. */
extern bool opt_debug;

int kill_main(int argc, char *argv[]);
int list_main(int argc, char *argv[]);
int pending_main(int argc, char *argv[]);
int cancel_main(int argc, char *argv[]);
int why_main(int argc, char *argv[]);
int watch_main(int argc, char *argv[]);
int rule_main(int argc, char *argv[]);

/* Exit codes, as documented in procterm(8) and --help. */
#define EXIT_STATUS_HELP \
	"Exit status:\n" \
	"  0  success\n" \
	"  1  bad usage\n" \
	"  2  no such process (or, for cancel, no such request)\n" \
	"  3  access denied\n" \
	"  4  not a process (a thread or a kernel thread)\n" \
	"  5  already terminating or exited, or already armed\n" \
	"  6  timed out waiting\n" \
	"  7  kernel module not loaded, or being unloaded\n" \
	"  8  any other failure\n" \
	"  9  a per-user limit was reached (deferred requests, works or waiters),\n" \
	"     or the rule table is full\n"

#endif
