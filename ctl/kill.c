// SPDX-License-Identifier: GPL-2.0
/*
 * procterm kill: terminate processes, one request per target.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "ipc.h"
#include "output.h"
#include "parse.h"
#include "subcommands.h"

enum {
	OPT_STATUS = OPT_LONG,
	OPT_WAIT,
	OPT_DEFERRED,
	OPT_TREE,
	OPT_TSV,
};

static const struct option options[] = {
	{ "status",	required_argument,	NULL, OPT_STATUS },
	{ "wait",	optional_argument,	NULL, OPT_WAIT },
	{ "deferred",	no_argument,		NULL, OPT_DEFERRED },
	{ "tree",	no_argument,		NULL, OPT_TREE },
	{ "tsv",	no_argument,		NULL, OPT_TSV },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL,		0,			NULL, 0 },
};

static void usage(FILE *f)
{
	fputs("Usage: procterm kill [--status N] [--wait[=MS]] [--deferred] [--tree] [--tsv]\n"
	      "                     TARGET...\n"
	      "\n"
	      "Terminate each TARGET, one of:\n"
	      "  PID           a process ID\n"
	      "  PID@START     a handle: PID and its start time in clock ticks after boot\n"
	      "                (field 22 of /proc/PID/stat), refused if the PID was reused\n"
	      "  0xADDRESS     the address of the process's task_struct\n"
	      "\n"
	      "Options:\n"
	      "  --status N    exit status for the parent's waitpid() (decimal or 0x hex,\n"
	      "                32 bits; the parent sees N & 0xff); default: killed by SIGKILL\n"
	      "  --wait[=MS]   return when the process is dead, giving up after MS ms\n"
	      "  --deferred    terminate when the process next runs in user mode\n"
	      "  --tree        terminate the process and all its descendants\n"
	      "  --tsv         tab-separated output for scripts (see procterm(8))\n"
	      "\n"
	      EXIT_STATUS_HELP, f);
}

static void put_wait_status(uint32_t ws)
{
	int st = (int)ws;

	if (WIFEXITED(st))
		printf("exited, status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("killed by signal %d%s", WTERMSIG(st),
		       WCOREDUMP(st) ? " (core dumped)" : "");
	else
		printf("wait status 0x%x", ws);
}

static void put_pretty(const char *arg, const struct kill_request *req,
		       const struct kill_reply *r)
{
	bool done = false;
	char buf[16];

	fputs(arg, stdout);
	if (req->target.kind != TARGET_PID && r->has_pid)
		printf(" (pid %" PRIu32 ")", r->pid);
	fputs(": ", stdout);

	if (r->has_request_id) {
		printf("armed, request %" PRIu64, r->request_id);
		done = true;
	} else if ((req->flags & PROCTERM_F_TREE) && r->has_count) {
		printf("terminated %" PRIu32 " process%s", r->count,
		       r->count == 1 ? "" : "es");
		done = true;
	}
	if (r->has_wait_status) {
		if (done)
			fputs("; ", stdout);
		put_wait_status(r->wait_status);
	} else {
		if (!done)
			fputs("terminated", stdout);
		if (r->has_status)
			printf(" (status %s)",
			       status_str(r->status, buf, sizeof(buf)));
	}
	putchar('\n');
}

/* target pid start_time result count wait_status request_id message */
static void put_tsv(const char *arg, const struct kill_request *req, int ret,
		    const struct kill_reply *r, const char *extack)
{
	const struct target *t = &req->target;

	put_escaped(stdout, arg);
	if (r->has_pid)
		printf("\t%" PRIu32, r->pid);
	else if (t->kind != TARGET_ADDR)
		printf("\t%" PRIu32, t->pid);
	else
		fputs("\t-", stdout);
	if (r->has_start_time)
		printf("\t%" PRIu64, r->start_time);
	else if (t->kind == TARGET_HANDLE)
		printf("\t%" PRIu64, t->start_time);
	else
		fputs("\t-", stdout);
	printf("\t%s", err_word(ret));
	if (r->has_count)
		printf("\t%" PRIu32, r->count);
	else
		fputs("\t-", stdout);
	if (r->has_wait_status)
		printf("\t%" PRIu32, r->wait_status);
	else
		fputs("\t-", stdout);
	if (r->has_request_id)
		printf("\t%" PRIu64, r->request_id);
	else
		fputs("\t-", stdout);
	putchar('\t');
	if (extack && *extack)
		put_escaped(stdout, extack);
	else
		putchar('-');
	putchar('\n');
}

/* Our own timeout ran out: the kill itself went through. */
static void report_timeout(const char *arg, const struct kill_request *req,
			   const struct kill_reply *r)
{
	fprintf(stderr, "procterm: kill %s: ", arg);
	if (r->has_request_id)
		fprintf(stderr, "armed as request %" PRIu64, r->request_id);
	else
		fputs("terminated", stderr);
	fprintf(stderr, ", but not dead after %" PRIu32 " ms\n",
		req->timeout_ms);
}

static int parse_options(int argc, char *argv[], struct kill_request *req,
			 bool *tsv)
{
	uint64_t v;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case OPT_STATUS:
			if (parse_num(optarg, UINT32_MAX, &v)) {
				fprintf(stderr, "procterm: kill: invalid exit status '%s'\n",
					optarg);
				return -PT_EUSAGE;
			}
			req->has_status = true;
			req->status = v;
			break;
		case OPT_WAIT:
			req->flags |= PROCTERM_F_WAIT;
			if (!optarg)
				break;
			if (parse_uint(optarg, 10, UINT32_MAX, &v)) {
				fprintf(stderr, "procterm: kill: invalid timeout '%s' (milliseconds)\n",
					optarg);
				return -PT_EUSAGE;
			}
			req->has_timeout = true;
			req->timeout_ms = v;
			break;
		case OPT_DEFERRED:
			req->flags |= PROCTERM_F_DEFERRED;
			break;
		case OPT_TREE:
			req->flags |= PROCTERM_F_TREE;
			break;
		case OPT_TSV:
			*tsv = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return option_error("kill", c, argv);
		}
	}
	if (optind == argc) {
		fputs("procterm: kill: no target given\n", stderr);
		return -PT_EUSAGE;
	}
	return 0;
}

int kill_main(int argc, char *argv[])
{
	struct kill_request base = { 0 }, *reqs = NULL;
	struct ipc *ipc = NULL;
	struct kill_reply reply;
	int ret, first = 0, n, i;
	bool tsv = false;

	ret = parse_options(argc, argv, &base, &tsv);
	if (ret) {
		if (ret < 0)
			usage(stderr);
		return ret < 0 ? ret : 0;
	}
	argv += optind;
	n = argc - optind;

	/* Every target is checked before anything is killed. */
	reqs = calloc(n, sizeof(*reqs));
	if (!reqs) {
		perror("procterm: kill");
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		reqs[i] = base;
		if (parse_target(argv[i], &reqs[i].target)) {
			fprintf(stderr, "procterm: kill: invalid target '%s' "
				"(expected PID, PID@START or 0xADDRESS)\n",
				argv[i]);
			ret = -PT_EUSAGE;
			goto out;
		}
	}

	ret = ipc_open(&ipc, opt_debug);
	if (ret) {
		report_open("kill", ret);
		goto out;
	}
	for (i = 0; i < n; i++) {
		ret = ipc_kill(ipc, &reqs[i], &reply);
		if (tsv)
			put_tsv(argv[i], &reqs[i], ret, &reply, ipc_extack(ipc));
		else if (ret == -ETIMEDOUT && reply.has_count)
			report_timeout(argv[i], &reqs[i], &reply);
		else if (ret)
			report("kill", argv[i], ret, ipc_extack(ipc));
		else
			put_pretty(argv[i], &reqs[i], &reply);
		if (!ret && !tsv && *ipc_extack(ipc))
			fprintf(stderr, "procterm: kill %s: kernel: %s\n",
				argv[i], ipc_extack(ipc));
		/* The next target may be this process or its parent. */
		fflush(stdout);
		if (ret && !first)
			first = ret;
	}
	ret = first;
out:
	ipc_close(ipc);
	free(reqs);
	return ret;
}
