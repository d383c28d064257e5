// SPDX-License-Identifier: GPL-2.0
/*
 * procterm pending: deferred requests that are armed and have not fired.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ipc.h"
#include "output.h"
#include "subcommands.h"

enum {
	OPT_JSON = OPT_LONG,
	OPT_TSV,
};

static const struct option options[] = {
	{ "json",	no_argument,	NULL, OPT_JSON },
	{ "tsv",	no_argument,	NULL, OPT_TSV },
	{ "help",	no_argument,	NULL, 'h' },
	{ NULL,		0,		NULL, 0 },
};

enum format { FMT_PRETTY, FMT_JSON, FMT_TSV };

static const struct {
	uint32_t flag;
	const char *name;
} flag_names[] = {
	{ PROCTERM_F_WAIT,	"wait" },
	{ PROCTERM_F_DEFERRED,	"deferred" },
	{ PROCTERM_F_TREE,	"tree" },
};

#define N_FLAGS (sizeof(flag_names) / sizeof(flag_names[0]))

static void usage(FILE *f)
{
	fputs("Usage: procterm pending [--json | --tsv]\n"
	      "\n"
	      "Show the armed deferred requests and grace kills (kill --grace)\n"
	      "you may see. Disarm one with 'procterm cancel ID'.\n"
	      "\n"
	      "Options:\n"
	      "  --json   a JSON array of objects\n"
	      "  --tsv    tab-separated output for scripts (see procterm(8))\n", f);
}

/* "tree", "deferred,tree", "grace", "-" for none; unknown bits in hex. */
static void put_flags(uint32_t flags, bool grace)
{
	const char *sep = "";
	size_t i;

	if (!flags && !grace) {
		putchar('-');
		return;
	}
	for (i = 0; i < N_FLAGS; i++) {
		if (flags & flag_names[i].flag) {
			printf("%s%s", sep, flag_names[i].name);
			flags &= ~flag_names[i].flag;
			sep = ",";
		}
	}
	if (flags)
		printf("%s0x%" PRIx32, sep, flags);
	if (grace)
		printf("%sgrace", sep);
}

static void put_json_flags(uint32_t flags, bool grace)
{
	const char *sep = "";
	size_t i;

	putchar('[');
	for (i = 0; i < N_FLAGS; i++) {
		if (flags & flag_names[i].flag) {
			printf("%s\"%s\"", sep, flag_names[i].name);
			flags &= ~flag_names[i].flag;
			sep = ", ";
		}
	}
	if (flags)
		printf("%s\"0x%" PRIx32 "\"", sep, flags);
	if (grace)
		printf("%s\"grace\"", sep);
	putchar(']');
}

static bool now_boottime(uint64_t *ns)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts)) {
		perror("procterm: pending: clock_gettime");
		return false;
	}
	*ns = (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	return true;
}

static uint64_t age_ns(uint64_t now, uint64_t armed)
{
	return now > armed ? now - armed : 0;
}

/* "12.3s ago", "5m07s ago", "2h03m ago", "3d04h ago" */
static const char *age_str(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = ns / 1000000000;

	if (s < 60)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "s ago", s,
			 ns / 100000000 % 10);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s ago", s / 60,
			 s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m ago", s / 3600,
			 s / 60 % 60);
	else
		snprintf(buf, len, "%" PRIu64 "d%02" PRIu64 "h ago", s / 86400,
			 s / 3600 % 24);
	return buf;
}

static int num_width(uint64_t v)
{
	int w = 1;

	while (v >= 10) {
		v /= 10;
		w++;
	}
	return w;
}

static void put_pretty(const struct pending_list *list, bool have_now,
		       uint64_t now)
{
	int wid = 2, wpid = 3, whandle = 6, wby = 2, w;
	char handle[48], status[16], age[32];
	const struct pending_entry *e;
	size_t i;

	if (!list->n)
		return;
	for (i = 0; i < list->n; i++) {
		e = &list->v[i];
		w = num_width(e->id);
		wid = w > wid ? w : wid;
		w = num_width(e->pid);
		wpid = w > wpid ? w : wpid;
		w = num_width(e->pid) + 1 + num_width(e->start_time);
		whandle = w > whandle ? w : whandle;
		w = num_width(e->requester_uid);
		wby = w > wby ? w : wby;
	}
	printf("%*s %*s %-*s %-10s %-12s %*s FLAGS\n", wid, "ID", wpid, "PID",
	       whandle, "HANDLE", "STATUS", "ARMED", wby, "BY");
	for (i = 0; i < list->n; i++) {
		e = &list->v[i];
		snprintf(handle, sizeof(handle), "%" PRIu32 "@%" PRIu64,
			 e->pid, e->start_time);
		printf("%*" PRIu64 " %*" PRIu32 " %-*s %-10s %-12s %*" PRIu32 " ",
		       wid, e->id, wpid, e->pid, whandle, handle,
		       e->has_status ? status_str(e->status, status,
						  sizeof(status)) : "SIGKILL",
		       have_now ? age_str(age_ns(now, e->armed_ns), age,
					  sizeof(age)) : "-",
		       wby, e->requester_uid);
		put_flags(e->flags, e->has_grace);
		if (e->has_grace) {
			char d[24], sig[24];

			printf(" (%s, SIGKILL after %s)",
			       signal_str(e->signal, sig, sizeof(sig)),
			       duration_str(e->grace_ms, d, sizeof(d)));
		}
		putchar('\n');
	}
}

/* id pid start_time status flags armed_ns requester_uid */
static void put_tsv(const struct pending_list *list)
{
	const struct pending_entry *e;
	size_t i;

	for (i = 0; i < list->n; i++) {
		e = &list->v[i];
		printf("%" PRIu64 "\t%" PRIu32 "\t%" PRIu64 "\t", e->id, e->pid,
		       e->start_time);
		if (e->has_status)
			printf("%" PRIu32, e->status);
		else
			fputs("SIGKILL", stdout);
		putchar('\t');
		put_flags(e->flags, e->has_grace);
		printf("\t%" PRIu64 "\t%" PRIu32 "\n", e->armed_ns,
		       e->requester_uid);
	}
}

static void put_json(const struct pending_list *list, bool have_now,
		     uint64_t now)
{
	const struct pending_entry *e;
	size_t i;

	putchar('[');
	for (i = 0; i < list->n; i++) {
		e = &list->v[i];
		printf("%s\n  {\"id\": %" PRIu64 ", \"pid\": %" PRIu32
		       ", \"start_time\": %" PRIu64 ", \"handle\": \"%" PRIu32
		       "@%" PRIu64 "\", \"status\": ",
		       i ? "," : "", e->id, e->pid, e->start_time, e->pid,
		       e->start_time);
		if (e->has_status)
			printf("%" PRIu32, e->status);
		else
			fputs("null", stdout);
		fputs(", \"flags\": ", stdout);
		put_json_flags(e->flags, e->has_grace);
		if (e->has_grace)
			printf(", \"grace_ms\": %" PRIu32 ", \"signal\": %" PRIu32,
			       e->grace_ms, e->signal);
		else
			fputs(", \"grace_ms\": null, \"signal\": null", stdout);
		/* Nanoseconds as strings: CLOCK_BOOTTIME passes 2^53 ns
		 * (what a JSON double holds exactly) after 104 days. */
		printf(", \"armed_ns\": \"%" PRIu64 "\", \"age_ns\": ", e->armed_ns);
		if (have_now)
			printf("\"%" PRIu64 "\"", age_ns(now, e->armed_ns));
		else
			fputs("null", stdout);
		printf(", \"requester_uid\": %" PRIu32 "}", e->requester_uid);
	}
	puts(list->n ? "\n]" : "]");
}

int pending_main(int argc, char *argv[])
{
	struct pending_list list = { 0 };
	enum format fmt = FMT_PRETTY;
	struct ipc *ipc = NULL;
	bool have_now;
	uint64_t now = 0;
	int ret, c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
		case OPT_TSV:
			if (fmt != FMT_PRETTY) {
				fputs("procterm: pending: --json and --tsv exclude each other\n",
				      stderr);
				return usage_hint("pending", -PT_EUSAGE);
			}
			fmt = c == OPT_JSON ? FMT_JSON : FMT_TSV;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return usage_hint("pending", option_error("pending", c, argv));
		}
	}
	if (optind < argc) {
		fprintf(stderr, "procterm: pending: unexpected argument '%s'\n",
			argv[optind]);
		return usage_hint("pending", -PT_EUSAGE);
	}

	ret = ipc_open(&ipc, opt_debug);
	if (ret) {
		report_open("pending", ret);
		return ret;
	}
	ret = ipc_pending(ipc, &list);
	if (ret) {
		report("pending", NULL, ret, ipc_extack(ipc));
		goto out;
	}
	if (list.inconsistent)
		fputs("procterm: pending: requests kept changing; "
		      "the list may be inconsistent\n", stderr);
	have_now = fmt != FMT_TSV && now_boottime(&now);
	if (fmt == FMT_JSON)
		put_json(&list, have_now, now);
	else if (fmt == FMT_TSV)
		put_tsv(&list);
	else
		put_pretty(&list, have_now, now);
out:
	ipc_close(ipc);
	pending_list_free(&list);
	return ret;
}
