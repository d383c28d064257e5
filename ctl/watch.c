// SPDX-License-Identifier: GPL-2.0
/*
 * procterm watch: stream the terminations procterm causes, as ip monitor
 * streams its events: one line per event, flushed at once.
 *
 * Every event carries a sequence number; a number that never arrives is
 * an event lost (the module could not keep it, or this socket's receive
 * buffer overflowed), and is reported as such, never skipped silently.
 * SIGINT and SIGTERM end the watch with exit status 0.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "ipc.h"
#include "output.h"
#include "subcommands.h"

static const struct option options[] = {
	{ "json",	no_argument,	NULL, 'j' },
	{ "help",	no_argument,	NULL, 'h' },
	{ NULL,		0,		NULL, 0 },
};

struct watch {
	bool json;
	bool started;
	uint64_t last_seq;
};

static volatile int stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fputs("Usage: procterm watch [--json]\n"
	      "\n"
	      "Print one line per process procterm terminates, once it is dead:\n"
	      "sequence number, PID@start time, comm, uid, how it ended, the mode\n"
	      "(immediate, deferred, tree, grace, with the request ID), the stage\n"
	      "(KILL: procterm's SIGKILL; TERM: a grace kill's process ended during\n"
	      "its grace period), who asked and how long the death took. Events\n"
	      "lost (sequence numbers that never arrived) are reported as 'lost N\n"
	      "events (seq A..B)'. Needs CAP_NET_ADMIN. Runs until SIGINT or SIGTERM.\n"
	      "\n"
	      "Options:\n"
	      "  --json        one JSON object per line (see procterm(8))\n", f);
}

static const char *mode_name(uint32_t mode)
{
	switch (mode) {
	case PROCTERM_EVENT_MODE_IMMEDIATE:
		return "immediate";
	case PROCTERM_EVENT_MODE_DEFERRED:
		return "deferred";
	case PROCTERM_EVENT_MODE_TREE:
		return "tree";
	case PROCTERM_EVENT_MODE_GRACE:
		return "grace";
	case PROCTERM_EVENT_MODE_RULE:
		return "rule";
	default:
		return "unknown";
	}
}

static const char *stage_name(uint32_t stage)
{
	switch (stage) {
	case PROCTERM_STAGE_NONE:
		return "NONE";
	case PROCTERM_STAGE_TERM:
		return "TERM";
	case PROCTERM_STAGE_KILL:
		return "KILL";
	default:
		return "unknown";
	}
}

static void put_lost(struct watch *w, uint64_t first, uint64_t last)
{
	if (w->json)
		printf("{\"lost\": %" PRIu64 ", \"first_seq\": %" PRIu64
		       ", \"last_seq\": %" PRIu64 "}\n", last - first + 1,
		       first, last);
	else
		printf("lost %" PRIu64 " event%s (seq %" PRIu64 "..%" PRIu64 ")\n",
		       last - first + 1, last == first ? "" : "s", first, last);
}

static void put_status_text(uint32_t ws)
{
	int st = (int)ws;

	if (WIFEXITED(st))
		printf("exited, status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("killed by signal %d", WTERMSIG(st));
	else
		printf("wait status 0x%x", ws);
}

static void put_pretty(const struct proc_event *e)
{
	printf("%" PRIu64 ": %" PRIu32 "@%" PRIu64 " (", e->seq, e->pid,
	       e->start_time);
	put_escaped(stdout, e->comm);
	printf(") uid %" PRIu32 " ", e->uid);
	if (e->has_wait_status)
		put_status_text(e->wait_status);
	else
		fputs("audited, alive", stdout);
	printf("; %s", mode_name(e->mode));
	if (e->has_request_id)
		printf(" request %" PRIu64, e->request_id);
	if (e->has_rule_id)
		printf(" %" PRIu32, e->rule_id);
	printf(", stage %s; by %" PRIu32 " (", stage_name(e->stage),
	       e->requester_pid);
	put_escaped(stdout, e->requester_comm);
	printf(") uid %" PRIu32 "; dead %" PRIu64 ".%03" PRIu64 " ms after the request\n",
	       e->requester_uid, e->elapsed_ns / 1000000,
	       e->elapsed_ns / 1000 % 1000);
}

/*
 * Numbers are JSON numbers: sequence numbers, PIDs, uids and start times
 * (clock ticks) stay far below 2^53. elapsed_ns is a string: nanoseconds
 * pass 2^53 after 104 days.
 */
static void put_json(const struct proc_event *e)
{
	int st = (int)e->wait_status;

	printf("{\"seq\": %" PRIu64 ", \"pid\": %" PRIu32 ", \"start_time\": %" PRIu64
	       ", \"comm\": ", e->seq, e->pid, e->start_time);
	put_json_string(stdout, e->comm);
	printf(", \"uid\": %" PRIu32 ", \"wait_status\": ", e->uid);
	/* An audit rule's event: the process lives, there is no status. */
	if (!e->has_wait_status)
		fputs("null, \"exit_status\": null, \"signal\": null", stdout);
	else
		printf("%" PRIu32, e->wait_status);
	if (!e->has_wait_status)
		; /* said above */
	else if (WIFEXITED(st))
		printf(", \"exit_status\": %d, \"signal\": null", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf(", \"exit_status\": null, \"signal\": %d", WTERMSIG(st));
	else
		fputs(", \"exit_status\": null, \"signal\": null", stdout);
	printf(", \"mode\": \"%s\", \"flags\": %" PRIu32 ", \"request_id\": ",
	       mode_name(e->mode), e->flags);
	if (e->has_request_id)
		printf("%" PRIu64, e->request_id);
	else
		fputs("null", stdout);
	printf(", \"stage\": \"%s\", \"requester\": {\"pid\": %" PRIu32
	       ", \"uid\": %" PRIu32 ", \"comm\": ", stage_name(e->stage),
	       e->requester_pid, e->requester_uid);
	put_json_string(stdout, e->requester_comm);
	printf("}, \"elapsed_ns\": \"%" PRIu64 "\"", e->elapsed_ns);
	if (e->has_rule_id)
		printf(", \"rule_id\": %" PRIu32, e->rule_id);
	fputs("}\n", stdout);
}

static int on_event(const struct proc_event *e, void *arg)
{
	struct watch *w = arg;

	/* A gap is reported; a restart (the module reloaded) is not one. */
	if (w->started && e->seq > w->last_seq + 1)
		put_lost(w, w->last_seq + 1, e->seq - 1);
	w->started = true;
	w->last_seq = e->seq;
	if (w->json)
		put_json(e);
	else
		put_pretty(e);
	if (fflush(stdout) || ferror(stdout)) {
		perror("procterm: watch: standard output");
		return -EIO;
	}
	return 0;
}

static void on_overflow(void *arg)
{
	struct watch *w = arg;

	if (w->json)
		puts("{\"lost\": null, \"overflow\": true}");
	else
		puts("lost events: receive buffer overflow (the next event's sequence number says how many)");
	fflush(stdout);
}

int watch_main(int argc, char *argv[])
{
	struct watch w = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct ipc_watch iw = {
		.event = on_event,
		.overflow = on_overflow,
		.arg = &w,
		.stop = &stop,
	};
	sigset_t block, old;
	struct ipc *ipc = NULL;
	int ret, c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			w.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return usage_hint("watch", option_error("watch", c, argv));
		}
	}
	if (optind < argc) {
		fprintf(stderr, "procterm: watch: unexpected argument '%s'\n",
			argv[optind]);
		return usage_hint("watch", -PT_EUSAGE);
	}

	/* Delivered only while waiting for events: nothing is cut in half. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigdelset(&old, SIGINT);
	sigdelset(&old, SIGTERM);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	iw.sigmask = &old;

	ret = ipc_open(&ipc, opt_debug);
	if (ret) {
		report_open("watch", ret);
		return ret;
	}
	ret = ipc_watch(ipc, &iw);
	if (ret == -EPERM)
		report("watch", NULL, ret, "joining the events group needs CAP_NET_ADMIN");
	else if (ret == -ENOENT)
		report("watch", NULL, -EOPNOTSUPP,
		       "the module has no events group on this kernel");
	else if (ret && ret != -EIO)
		report("watch", NULL, ret, NULL);
	ipc_close(ipc);
	return ret == -ENOENT ? -EOPNOTSUPP : ret;
}
