// SPDX-License-Identifier: GPL-2.0
/*
 * procterm_bench: procterm measured against its anchors, side by side.
 * See docs/benchmarks.md; tests/bench/run.sh runs everything.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "bench.h"

static int cmd_probe(int argc, char **argv)
{
	struct pt_sock s;
	int ret;

	(void)argc;
	(void)argv;
	ret = pt_open(&s);
	if (ret == -ENOENT) {
		printf("procterm: the generic netlink family \"%s\" is not registered: "
		       "procterm.ko is not loaded\n", PROCTERM_GENL_NAME);
		return BENCH_EXIT_NOMODULE;
	}
	if (ret) {
		printf("procterm: cannot resolve the family \"%s\": %s\n",
		       PROCTERM_GENL_NAME, strerror(-ret));
		return BENCH_EXIT_FAIL;
	}
	printf("procterm: family \"%s\" id %u, version %u\n", PROCTERM_GENL_NAME,
	       s.family, s.version);
	pt_close(&s);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "probe",	cmd_probe,	"exit 0 if the module answers, 4 if it is not loaded" },
	{ "single",	bench_single,	"1. one process, request -> reaped (BENCH_N)" },
	{ "rate",	bench_rate,	"2. back-to-back requests (BENCH_RATE_N, BENCH_RATE_ROUNDS)" },
	{ "tree",	bench_tree,	"3. --shape wide|deep --size N [--rounds R]" },
	{ "storm",	bench_storm,	"3. fork storm survivors (BENCH_STORM_*)" },
	{ "deferred",	bench_deferred,	"4. SIGCONT -> reaped (BENCH_DEFERRED_N)" },
	{ "cli",	bench_cli,	"5. procterm kill vs /bin/kill (BENCH_CLI_N, PROCTERM)" },
	{ "reap",	bench_reap,	"6. [--busy] memory freed/s: kill + process_mrelease vs SIGKILL" },
	{ "exec",	bench_exec,	"7. --phase NAME [--round R]: fork+exec+wait (BENCH_EXEC_N)" },
	{ "summary",	bench_summary,	"[-j FILE] DIR: the table and the goals" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: procterm_bench [-d DIR] [--anchors-only] COMMAND [ARGS]\n"
		   "  -d DIR           write NAME.json and NAME.kv into DIR\n"
		   "  --anchors-only   without the module, measure the anchors only\n"
		   "                   (also BENCH_ANCHORS_ONLY=1)\n"
		   "commands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
}

int main(int argc, char **argv)
{
	int i = 1;
	size_t k;

	setvbuf(stdout, NULL, _IOLBF, 0);
	g_opts.anchors_only = !strcmp(env_str("BENCH_ANCHORS_ONLY", "0"), "1");
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-d") && i + 1 < argc) {
			g_opts.outdir = argv[++i];
		} else if (!strcmp(argv[i], "--anchors-only")) {
			g_opts.anchors_only = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return BENCH_EXIT_USAGE;
		}
	}
	if (i == argc) {
		usage(stderr);
		return BENCH_EXIT_USAGE;
	}
	signals_init();
	/* Orphans of the trees come to us, not to init. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
		die("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	for (k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
		if (!strcmp(argv[i], cmds[k].name))
			return cmds[k].fn(argc - i, argv + i);
	usage(stderr);
	return BENCH_EXIT_USAGE;
}
