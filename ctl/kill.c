// SPDX-License-Identifier: GPL-2.0
/*
 * procterm kill: terminate processes, one request per target.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "ipc.h"
#include "kill_select.h"
#include "list.h"
#include "output.h"
#include "parse.h"
#include "reap.h"
#include "subcommands.h"
#include "why.h"

enum {
	OPT_STATUS = OPT_LONG,
	OPT_FULL_STATUS,
	OPT_WAIT,
	OPT_TIMEOUT,
	OPT_DEFERRED,
	OPT_TREE,
	OPT_REAP,
	OPT_TSV,
	OPT_JSON,
	OPT_DRY_RUN,
	OPT_GRACE,
	OPT_SIGNAL,
	OPT_NAME,
	OPT_NAME_REGEX,
	OPT_UID,
	OPT_RSS_ABOVE,
	OPT_OLDER_THAN,
	OPT_CGROUP,
	OPT_OLDEST,
	OPT_NEWEST,
	OPT_LARGEST,
	OPT_STRICT,
};

static const struct option options[] = {
	{ "status",	 required_argument,	NULL, OPT_STATUS },
	{ "full-status", no_argument,		NULL, OPT_FULL_STATUS },
	{ "wait",	 no_argument,		NULL, OPT_WAIT },
	{ "timeout",	 required_argument,	NULL, OPT_TIMEOUT },
	{ "deferred",	 no_argument,		NULL, OPT_DEFERRED },
	{ "tree",	 no_argument,		NULL, OPT_TREE },
	{ "reap",	 no_argument,		NULL, OPT_REAP },
	{ "tsv",	 no_argument,		NULL, OPT_TSV },
	{ "json",	 no_argument,		NULL, OPT_JSON },
	{ "dry-run",	 no_argument,		NULL, OPT_DRY_RUN },
	{ "grace",	 required_argument,	NULL, OPT_GRACE },
	{ "signal",	 required_argument,	NULL, OPT_SIGNAL },
	{ "name",	 required_argument,	NULL, OPT_NAME },
	{ "name-regex",	 required_argument,	NULL, OPT_NAME_REGEX },
	{ "uid",	 required_argument,	NULL, OPT_UID },
	{ "rss-above",	 required_argument,	NULL, OPT_RSS_ABOVE },
	{ "older-than",	 required_argument,	NULL, OPT_OLDER_THAN },
	{ "cgroup",	 required_argument,	NULL, OPT_CGROUP },
	{ "oldest",	 no_argument,		NULL, OPT_OLDEST },
	{ "newest",	 no_argument,		NULL, OPT_NEWEST },
	{ "largest",	 no_argument,		NULL, OPT_LARGEST },
	{ "strict",	 no_argument,		NULL, OPT_STRICT },
	{ "help",	 no_argument,		NULL, 'h' },
	{ NULL,		 0,			NULL, 0 },
};

/* What the command line asked for, beyond the request itself. */
struct kill_opts {
	bool tsv;
	bool json;
	bool dry_run;
	bool full_status;
	bool reap;			/* --reap */
	const char *status_arg;		/* --status as given */
	const char *timeout_arg;	/* --timeout as given */
	const char *after_wait;		/* the word that followed --wait */
	const char *signal_arg;		/* --signal as given */
	bool selecting;			/* a selector was given */
	bool strict;
	struct select_opts sel;
};

static void usage(FILE *f)
{
	fputs("Usage: procterm kill [--status N [--full-status]] [--wait | --timeout DURATION]\n"
	      "                     [--deferred | --grace DURATION [--signal SIG]] [--tree]\n"
	      "                     [--dry-run] [--reap] [--tsv | --json] TARGET...\n"
	      "       procterm kill SELECTOR... [--oldest | --newest | --largest] [--strict]\n"
	      "                     [--status N [--full-status]] [--dry-run] [--tsv | --json]\n"
	      "\n"
	      "Terminate each TARGET, one of:\n"
	      "  PID           a process ID\n"
	      "  PID@START     a handle: PID and its start time in clock ticks after boot\n"
	      "                (field 22 of /proc/PID/stat), refused if the PID was reused\n"
	      "  0xADDRESS     the address of the process's task_struct\n"
	      "A target given twice is killed once.\n"
	      "\n"
	      "Or every process matching all SELECTORs, chosen by the kernel at the\n"
	      "moment of the kill (never PID 1, kernel threads, procterm itself or its\n"
	      "ancestors, such as your shell):\n"
	      "  --name NAME   the command name (comm), exact\n"
	      "  --name-regex RE\n"
	      "                comm matches the extended regex RE (filtered here, then\n"
	      "                killed by handle: the one selector with a window)\n"
	      "  --uid USER    effective uid, a number or a user name\n"
	      "  --rss-above SIZE\n"
	      "                resident memory above SIZE (bytes, or K, M, G, T)\n"
	      "  --older-than DURATION\n"
	      "                started more than DURATION ago (500ms, 5s, 2m, 1h)\n"
	      "  --cgroup PATH in the cgroup v2 PATH or below it\n"
	      "  --oldest, --newest, --largest\n"
	      "                only the match started first, last, or with the most\n"
	      "                resident memory\n"
	      "  --strict      if any match may not be killed, kill none\n"
	      "\n"
	      "Options:\n"
	      "  --status N    exit status for the parent's waitpid(), 0..255 (decimal or\n"
	      "                0x hex); default: killed by SIGKILL\n"
	      "  --full-status allow a --status above 255 (32 bits, echoed back in full;\n"
	      "                the parent sees N & 0xff)\n"
	      "  --wait        return when the process is dead, without a time limit\n"
	      "  --timeout DURATION\n"
	      "                --wait, giving up after DURATION: a number with a unit,\n"
	      "                ms, s, m or h (500ms, 5s, 2m); exit 6 when it runs out,\n"
	      "                saying why the process is not dead (as 'procterm why')\n"
	      "  --deferred    terminate when the process next runs in user mode\n"
	      "  --tree        terminate the process and all its descendants\n"
	      "  --grace DURATION\n"
	      "                send SIGTERM now, and SIGKILL (with --status) to what is\n"
	      "                still alive after DURATION (500ms, 5s, 2m; at most 24h);\n"
	      "                the kernel does it, the command returns at once; listed by\n"
	      "                'procterm pending', cancelled by 'procterm cancel ID'\n"
	      "  --signal SIG  with --grace: the first signal (TERM, SIGINT, 10...), not\n"
	      "                KILL or STOP\n"
	      "  --dry-run     kill nothing: show the processes that would be killed,\n"
	      "                as 'procterm list [--tree]' does\n"
	      "  --reap        release the process's memory at once (process_mrelease);\n"
	      "                not with --wait, --timeout, --deferred or --tree\n"
	      "  --tsv         tab-separated output for scripts (see procterm(8))\n"
	      "  --json        a JSON array of objects, one per target\n"
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

static const char *stage_word(uint8_t stage)
{
	switch (stage) {
	case PROCTERM_STAGE_TERM:
		return "term";
	case PROCTERM_STAGE_KILL:
		return "kill";
	case PROCTERM_STAGE_REFUSED:
		return "refused";
	case PROCTERM_STAGE_CANCELLED:
		return "cancelled";
	default:
		return "unknown";
	}
}

static void put_stage(const struct kill_reply *r)
{
	switch (r->stage) {
	case PROCTERM_STAGE_TERM:
		fputs(" during the grace period", stdout);
		break;
	case PROCTERM_STAGE_KILL:
		fputs(" at the deadline", stdout);
		break;
	case PROCTERM_STAGE_REFUSED:
		fputs("; the SIGKILL at the deadline was refused, the process lives",
		      stdout);
		break;
	case PROCTERM_STAGE_CANCELLED:
		fputs("; cancelled during the grace period", stdout);
		break;
	}
}

static void put_pretty(const char *arg, const struct kill_request *req,
		       const struct kill_reply *r)
{
	bool done = false;
	char buf[16], sig[24];

	fputs(arg, stdout);
	if (req->target.kind != TARGET_PID && r->has_pid)
		printf(" (pid %" PRIu32 ")", r->pid);
	fputs(": ", stdout);

	if (req->grace_ms) {
		printf("sent %s", signal_str(req->signal ? req->signal : SIGTERM,
					     sig, sizeof(sig)));
		if (req->flags & PROCTERM_F_TREE)
			printf(" to %" PRIu32 " process%s", r->count,
			       r->count == 1 ? "" : "es");
		printf(", SIGKILL after %s", duration_str(req->grace_ms, buf,
							  sizeof(buf)));
		if (r->has_request_id)
			printf(" (request %" PRIu64 ")", r->request_id);
		if (r->has_wait_status) {
			fputs("; ", stdout);
			put_wait_status(r->wait_status);
		}
		if (r->has_stage)
			put_stage(r);
		else if (r->has_status)
			printf(" (status %s)", status_str(r->status, buf, sizeof(buf)));
		putchar('\n');
		return;
	}
	/* An immediate tree's request id is for its events: not shown here. */
	if (r->has_request_id && (req->flags & PROCTERM_F_DEFERRED)) {
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
			   const struct kill_reply *r, const char *timeout_arg)
{
	fprintf(stderr, "procterm: kill %s: ", arg);
	if (r->has_request_id && (req->flags & PROCTERM_F_DEFERRED))
		fprintf(stderr, "armed as request %" PRIu64, r->request_id);
	else
		fputs("terminated", stderr);
	fprintf(stderr, ", but not dead after %s\n", timeout_arg);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Who a timed-out kill was for: the target, and for --tree every member
 * found before the kill. Taken from /proc before the request when a
 * timeout may need it; the module's reply names no members.
 */
struct members {
	uint32_t *pids;
	uint64_t *starts;
	size_t n;
};

static void members_snapshot(const struct kill_request *req,
			     struct members *m)
{
	memset(m, 0, sizeof(*m));
	if (!req->has_timeout || req->target.kind == TARGET_ADDR ||
	    !(req->flags & PROCTERM_F_TREE))
		return;
	why_subtree(req->target.pid, &m->pids, &m->starts, &m->n);
}

static void members_free(struct members *m)
{
	free(m->pids);
	free(m->starts);
	memset(m, 0, sizeof(*m));
}

/*
 * Why the target (every member of a tree still alive) is not dead: on
 * stderr in words, or in the --json record. A --deferred kill has sent
 * nothing yet, so the time since it is not a time since SIGKILL.
 */
static void report_why(const struct kill_request *req,
		       const struct kill_reply *r, const struct members *m,
		       int64_t since_ms, bool json)
{
	struct why_proc *procs;
	uint32_t one_pid = r->pid;
	uint64_t one_start = r->start_time;
	const uint32_t *pids = &one_pid;
	const uint64_t *starts = &one_start;
	size_t n = 1, i, shown = 0;
	bool *ok;

	if (req->flags & PROCTERM_F_DEFERRED)
		since_ms = -1;
	if (m->n) {
		pids = m->pids;
		starts = m->starts;
		n = m->n;
	}
	procs = calloc(n, sizeof(*procs));
	ok = calloc(n, sizeof(*ok));
	if (!procs || !ok)
		goto out;
	for (i = 0; i < n; i++) {
		size_t t, live = 0;

		if (why_collect(pids[i], starts[i], &procs[i]))
			continue;
		for (t = 0; t < procs[i].nthreads; t++)
			live += procs[i].threads[t].state != 'Z' &&
				procs[i].threads[t].state != 'X';
		/* A dead member of a tree is not what holds it up. */
		ok[i] = live || i == 0;
	}
	why_sample(procs, n);
	if (json)
		fputs(", \"why\": [", stdout);
	for (i = 0; i < n; i++) {
		if (!ok[i] || (procs[i].gone && i))
			continue;
		if (json) {
			printf("%s\n    ", shown ? "," : "");
			why_print_json(stdout, &procs[i], since_ms, "    ");
		} else {
			why_print(stderr, &procs[i], since_ms);
		}
		shown++;
	}
	if (json)
		fputs(shown ? "\n  ]" : "]", stdout);
out:
	for (i = 0; procs && i < n; i++)
		why_free(&procs[i]);
	free(procs);
	free(ok);
}

static void json_u64_or_null(bool has, uint64_t v)
{
	if (has)
		printf("%" PRIu64, v);
	else
		fputs("null", stdout);
}

/*
 * One --json record, without its closing brace (report_why() may add to
 * it): target, pid, start_time, result, error, message, count,
 * exit_status, wait_status, request_id, same_as.
 */
static void put_json(bool first, const char *arg, const struct kill_request *req,
		     int ret, const struct kill_reply *r, const char *extack,
		     const char *same_as)
{
	const struct target *t = &req->target;

	printf("%s\n  {\"target\": ", first ? "" : ",");
	put_json_string(stdout, arg);
	fputs(", \"pid\": ", stdout);
	json_u64_or_null(r->has_pid || t->kind != TARGET_ADDR,
			 r->has_pid ? r->pid : t->pid);
	fputs(", \"start_time\": ", stdout);
	json_u64_or_null(r->has_start_time || t->kind == TARGET_HANDLE,
			 r->has_start_time ? r->start_time : t->start_time);
	printf(", \"result\": \"%s\", \"error\": ", err_word(ret));
	if (ret)
		put_json_string(stdout, err_text(ret));
	else
		fputs("null", stdout);
	fputs(", \"message\": ", stdout);
	if (extack && *extack)
		put_json_string(stdout, extack);
	else
		fputs("null", stdout);
	fputs(", \"count\": ", stdout);
	json_u64_or_null(r->has_count, r->count);
	fputs(", \"exit_status\": ", stdout);
	json_u64_or_null(r->has_status, r->status);
	fputs(", \"wait_status\": ", stdout);
	json_u64_or_null(r->has_wait_status, r->wait_status);
	fputs(", \"request_id\": ", stdout);
	json_u64_or_null(r->has_request_id, r->request_id);
	fputs(", \"same_as\": ", stdout);
	if (same_as)
		put_json_string(stdout, same_as);
	else
		fputs("null", stdout);
	/* Only for --grace: the other records keep their keys. */
	if (req->grace_ms) {
		fputs(", \"stage\": ", stdout);
		if (r->has_stage)
			printf("\"%s\"", stage_word(r->stage));
		else
			fputs("null", stdout);
	}
}

/*
 * --dry-run: resolve each target against the module's process list and
 * show what a kill would take, as "procterm list [--tree]" shows it.
 * Nothing is checked beyond existence: permission is judged by the kill.
 */
static int dry_run(struct ipc *ipc, const struct kill_request *reqs,
		   char *argv[], int n, const bool *dup, const struct kill_opts *o)
{
	struct proc_list list = { 0 };
	size_t *roots, nroots = 0, k;
	int ret, first = 0, i;
	long at;

	roots = calloc(n, sizeof(*roots));
	if (!roots)
		return -ENOMEM;
	ret = ipc_list(ipc, &list);
	if (ret) {
		report("kill", NULL, ret, ipc_extack(ipc));
		goto out;
	}
	list_sort(&list);
	for (i = 0; i < n; i++) {
		const struct target *t = &reqs[i].target;

		if (dup[i])
			continue;
		at = -1;
		if (t->kind == TARGET_ADDR) {
			for (k = 0; k < list.n && at < 0; k++)
				if (list.v[k].task_addr == t->addr)
					at = k;
		} else {
			at = list_find(&list, t->pid);
			if (at >= 0 && t->kind == TARGET_HANDLE &&
			    list.v[at].start_time != t->start_time)
				at = -1;
		}
		if (at < 0) {
			ret = -ESRCH;
			report("kill", argv[i], ret, NULL);
		} else if (list.v[at].pid == 1) {
			ret = -EPERM;
			report("kill", argv[i], ret, "PID 1 is never terminated");
		} else {
			roots[nroots++] = at;
			ret = 0;
		}
		if (ret && !first)
			first = ret;
	}
	ret = list_show(&list, reqs[0].flags & PROCTERM_F_TREE, roots, nroots,
			o->json ? LIST_JSON : o->tsv ? LIST_TSV : LIST_PRETTY);
	if (!ret)
		ret = first;
out:
	proc_list_free(&list);
	free(roots);
	return ret;
}

/* --wait=N, --wai=N...: the old spelling of a timeout. */
static int wait_value_error(const char *opt)
{
	const char *value = strchr(opt, '=') + 1;
	uint64_t v;

	fprintf(stderr, "procterm: kill: '%s': --wait takes no value; ", opt);
	if (!parse_uint(value, 10, UINT32_MAX, &v))
		fprintf(stderr, "for a timeout use --timeout %sms\n", value);
	else
		fputs("for a timeout use --timeout DURATION (e.g. 500ms, 5s)\n",
		      stderr);
	return -PT_EUSAGE;
}

/* One selector option into o->sel. */
static int parse_selector(int c, const char *arg, struct kill_opts *o)
{
	struct select_spec *sp = &o->sel.spec;
	struct passwd *pw;
	uint64_t v;
	int ret;

	switch (c) {
	case OPT_NAME:
		if (!*arg || strlen(arg) >= sizeof(sp->name)) {
			fprintf(stderr, "procterm: kill: --name '%s': a command name is 1 to %zu "
				"bytes (the kernel's comm)\n", arg, sizeof(sp->name) - 1);
			return -PT_EUSAGE;
		}
		if (sp->has_name || o->sel.regex) {
			fputs("procterm: kill: one --name or --name-regex\n", stderr);
			return -PT_EUSAGE;
		}
		strcpy(sp->name, arg);
		sp->has_name = true;
		return 0;
	case OPT_NAME_REGEX:
		if (sp->has_name || o->sel.regex) {
			fputs("procterm: kill: one --name or --name-regex\n", stderr);
			return -PT_EUSAGE;
		}
		o->sel.regex = arg;
		return 0;
	case OPT_UID:
		if (!parse_uint(arg, 10, UINT32_MAX - 1, &v)) {
			sp->uid = v;
		} else if ((pw = getpwnam(arg))) {
			sp->uid = pw->pw_uid;
		} else {
			fprintf(stderr, "procterm: kill: --uid '%s': no such user\n", arg);
			return -PT_EUSAGE;
		}
		sp->has_uid = true;
		return 0;
	case OPT_RSS_ABOVE:
		if (parse_size(arg, &v)) {
			fprintf(stderr, "procterm: kill: invalid size '%s' (bytes, or a number "
				"with K, M, G or T: 512M)\n", arg);
			return -PT_EUSAGE;
		}
		if (!v) {
			/* The kernel refuses it too (ERANGE): it holds for all. */
			fprintf(stderr, "procterm: kill: --rss-above 0 matches every process; "
				"give a size above 0\n");
			return -PT_EUSAGE;
		}
		sp->rss_above = v;
		sp->has_rss = true;
		return 0;
	case OPT_OLDER_THAN:
		ret = parse_duration(arg, UINT64_MAX / 1000000, &v);
		if (ret) {
			fprintf(stderr, "procterm: kill: invalid duration '%s' (a number with "
				"ms, s, m or h: 30s, 2h)\n", arg);
			return -PT_EUSAGE;
		}
		if (!v) {
			fprintf(stderr, "procterm: kill: --older-than 0 matches every process; "
				"give a duration above 0\n");
			return -PT_EUSAGE;
		}
		sp->older_than_ns = v * 1000000;
		sp->has_age = true;
		return 0;
	case OPT_CGROUP:
		if (arg[0] != '/') {
			fprintf(stderr, "procterm: kill: --cgroup '%s': a cgroup v2 path is "
				"absolute, as /proc/self/cgroup shows it\n", arg);
			return -PT_EUSAGE;
		}
		sp->cgroup = arg;
		return 0;
	default:
		if (o->sel.pick) {
			fputs("procterm: kill: one of --oldest, --newest and --largest\n",
			      stderr);
			return -PT_EUSAGE;
		}
		o->sel.pick = c == OPT_OLDEST ? PROCTERM_PICK_OLDEST :
			      c == OPT_NEWEST ? PROCTERM_PICK_NEWEST :
			      PROCTERM_PICK_LARGEST;
		return 0;
	}
}

/* --status and --full-status, alike for selectors and targets. */
static int check_status(const struct kill_request *req, const struct kill_opts *o)
{
	if (o->full_status && !req->has_status) {
		fputs("procterm: kill: --full-status needs --status\n", stderr);
		return -PT_EUSAGE;
	}
	if (req->has_status && !o->full_status && req->status > 255) {
		fprintf(stderr, "procterm: kill: exit status '%s': the parent would see %" PRIu32
			" (%s & 0xff); add --full-status to send it anyway\n",
			o->status_arg, req->status & 0xff, o->status_arg);
		return -PT_EUSAGE;
	}
	return 0;
}

/* Selectors: what they combine with, and the request they make. */
static int check_select(int argc, char *argv[], const struct kill_request *req,
			struct kill_opts *o)
{
	struct select_spec *sp = &o->sel.spec;
	int ret;

	if (optind < argc) {
		fprintf(stderr, "procterm: kill: '%s': selectors choose the processes; "
			"give no target with them\n", argv[optind]);
		return -PT_EUSAGE;
	}
	if (!sp->has_name && !o->sel.regex && !sp->has_uid && !sp->has_rss &&
	    !sp->has_age && !sp->cgroup) {
		fputs("procterm: kill: --oldest, --newest and --largest pick among the "
		      "matches of a selector (--name, --uid, ...)\n", stderr);
		return -PT_EUSAGE;
	}
	if (req->flags & (PROCTERM_F_WAIT | PROCTERM_F_DEFERRED | PROCTERM_F_TREE) ||
	    req->grace_ms || o->reap) {
		fputs("procterm: kill: selectors kill at once: not with --wait, --timeout, "
		      "--deferred, --tree, --grace or --reap\n", stderr);
		return -PT_EUSAGE;
	}
	ret = check_status(req, o);
	if (ret)
		return ret;
	sp->has_status = req->has_status;
	sp->status = req->status;
	sp->pick = o->sel.pick;
	sp->flags = (o->dry_run ? PROCTERM_F_DRY_RUN : 0) |
		    (o->strict ? PROCTERM_F_STRICT : 0);
	o->sel.json = o->json;
	o->sel.tsv = o->tsv;
	return 0;
}

static int parse_options(int argc, char *argv[], struct kill_request *req,
			 struct kill_opts *o)
{
	uint64_t v;
	int c, ret;

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
			o->status_arg = optarg;
			break;
		case OPT_FULL_STATUS:
			o->full_status = true;
			break;
		case OPT_WAIT:
			req->flags |= PROCTERM_F_WAIT;
			/* Not yet permuted: the word as typed after --wait. */
			o->after_wait = optind < argc ? argv[optind] : NULL;
			break;
		case OPT_TIMEOUT:
			ret = parse_duration(optarg, UINT32_MAX, &v);
			if (ret == -EINVAL && !parse_uint(optarg, 10, UINT32_MAX, &v)) {
				fprintf(stderr, "procterm: kill: timeout '%s' needs a unit: %sms or %ss\n",
					optarg, optarg, optarg);
				return -PT_EUSAGE;
			}
			if (ret || !v) {
				fprintf(stderr, "procterm: kill: invalid timeout '%s' "
					"(a number with ms, s, m or h, from 1ms to 1193h; "
					"--wait waits without limit)\n", optarg);
				return -PT_EUSAGE;
			}
			req->flags |= PROCTERM_F_WAIT;
			req->has_timeout = true;
			req->timeout_ms = v;
			o->timeout_arg = optarg;
			break;
		case OPT_DEFERRED:
			req->flags |= PROCTERM_F_DEFERRED;
			break;
		case OPT_TREE:
			req->flags |= PROCTERM_F_TREE;
			break;
		case OPT_REAP:
			o->reap = true;
			break;
		case OPT_TSV:
		case OPT_JSON:
			if (o->tsv || o->json) {
				fputs("procterm: kill: --json and --tsv exclude each other\n",
				      stderr);
				return -PT_EUSAGE;
			}
			o->tsv = c == OPT_TSV;
			o->json = c == OPT_JSON;
			break;
		case OPT_DRY_RUN:
			o->dry_run = true;
			break;
		case OPT_GRACE:
			ret = parse_duration(optarg, PROCTERM_GRACE_MAX_MS, &v);
			if (ret == -EINVAL && !parse_uint(optarg, 10, UINT32_MAX, &v)) {
				fprintf(stderr, "procterm: kill: grace period '%s' needs a unit: %sms or %ss\n",
					optarg, optarg, optarg);
				return -PT_EUSAGE;
			}
			if (ret || !v) {
				fprintf(stderr, "procterm: kill: invalid grace period '%s' "
					"(a number with ms, s, m or h, from 1ms to 24h)\n",
					optarg);
				return -PT_EUSAGE;
			}
			req->grace_ms = v;
			break;
		case OPT_SIGNAL:
			if (parse_signal(optarg, &req->signal)) {
				fprintf(stderr, "procterm: kill: invalid signal '%s' "
					"(a name such as TERM or SIGINT, or 1 to 64)\n",
					optarg);
				return -PT_EUSAGE;
			}
			if (req->signal == SIGKILL || req->signal == SIGSTOP) {
				fprintf(stderr, "procterm: kill: --signal %s: the first signal "
					"of a grace kill cannot be SIGKILL or SIGSTOP\n", optarg);
				return -PT_EUSAGE;
			}
			o->signal_arg = optarg;
			break;
		case OPT_NAME:
		case OPT_NAME_REGEX:
		case OPT_UID:
		case OPT_RSS_ABOVE:
		case OPT_OLDER_THAN:
		case OPT_CGROUP:
		case OPT_OLDEST:
		case OPT_NEWEST:
		case OPT_LARGEST:
			ret = parse_selector(c, optarg, o);
			if (ret)
				return ret;
			o->selecting = true;
			break;
		case OPT_STRICT:
			o->strict = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			if (c == '?' && optopt == OPT_WAIT &&
			    strchr(argv[optind - 1], '='))
				return wait_value_error(argv[optind - 1]);
			return option_error("kill", c, argv);
		}
	}
	if (o->selecting)
		return check_select(argc, argv, req, o);
	if (o->strict) {
		fputs("procterm: kill: --strict is for selectors (--name, --uid, ...)\n",
		      stderr);
		return -PT_EUSAGE;
	}
	if (optind == argc) {
		fputs("procterm: kill: no target given\n", stderr);
		return -PT_EUSAGE;
	}
	if (o->dry_run && ((req->flags & (PROCTERM_F_WAIT | PROCTERM_F_DEFERRED)) ||
			   req->has_status || o->reap)) {
		fputs("procterm: kill: --dry-run takes only --tree, --tsv and --json\n",
		      stderr);
		return -PT_EUSAGE;
	}
	if (o->reap && (req->flags & (PROCTERM_F_WAIT | PROCTERM_F_DEFERRED |
				      PROCTERM_F_TREE))) {
		fputs("procterm: kill: --reap releases one process's memory as it is killed: "
		      "not with --wait, --timeout, --deferred or --tree\n", stderr);
		return -PT_EUSAGE;
	}
	if (o->signal_arg && !req->grace_ms) {
		fputs("procterm: kill: --signal needs --grace\n", stderr);
		return -PT_EUSAGE;
	}
	if (req->grace_ms && ((req->flags & PROCTERM_F_DEFERRED) || o->reap ||
			      o->dry_run)) {
		fputs("procterm: kill: --grace is not for --deferred, --reap or --dry-run\n",
		      stderr);
		return -PT_EUSAGE;
	}
	ret = check_status(req, o);
	if (ret)
		return ret;
	return 0;
}

/*
 * "--wait 5000 1234": 5000 may be meant as a timeout (the old --wait[=MS])
 * or as a target. Refuse to guess when a number follows --wait and other
 * targets come too; "--wait -- 5000 1234" or "5000 1234 --wait" say which.
 */
static int check_after_wait(const struct kill_opts *o, char *targets[], int n)
{
	uint64_t v;
	int i;

	if (!o->after_wait || n < 2 ||
	    parse_uint(o->after_wait, 10, UINT64_MAX, &v))
		return 0;
	for (i = 0; i < n; i++) {
		if (targets[i] != o->after_wait)
			continue;
		fprintf(stderr, "procterm: kill: '--wait %s' is ambiguous: --wait takes no value. "
			"For a timeout use --timeout %sms; to kill PID %s, put the "
			"targets after '--' or --wait after the targets\n",
			o->after_wait, o->after_wait, o->after_wait);
		return -PT_EUSAGE;
	}
	return 0;
}

/*
 * An earlier target of this command terminated (or armed) the process
 * target @t names: the kernel now says EALREADY or ESRCH for it, which is
 * no failure. Only a PID, or a handle with the same start time, is known to
 * be the same process; index of that target, or -1.
 */
static int same_as_earlier(const struct kill_request *reqs, const int *rets,
			   const struct kill_reply *replies, int i)
{
	const struct target *t = &reqs[i].target;
	const struct kill_reply *r;
	int j;

	if (t->kind == TARGET_ADDR || (rets[i] != -EALREADY && rets[i] != -ESRCH))
		return -1;
	for (j = 0; j < i; j++) {
		r = &replies[j];
		if (rets[j] && !(rets[j] == -ETIMEDOUT && r->has_count))
			continue;
		if (!r->has_pid || r->pid != t->pid)
			continue;
		if (t->kind == TARGET_HANDLE &&
		    (!r->has_start_time || r->start_time != t->start_time))
			continue;
		return j;
	}
	return -1;
}

static void put_same(const char *arg, const char *earlier, bool tsv,
		     const struct kill_reply *r)
{
	if (!tsv) {
		printf("%s: same process as %s, done\n", arg, earlier);
		return;
	}
	/* target pid start_time result count wait_status request_id message */
	put_escaped(stdout, arg);
	printf("\t%" PRIu32 "\t", r->pid);
	if (r->has_start_time)
		printf("%" PRIu64, r->start_time);
	else
		putchar('-');
	fputs("\tok\t-\t-\t", stdout);
	if (r->has_request_id)
		printf("%" PRIu64, r->request_id);
	else
		putchar('-');
	fputs("\tsame process as ", stdout);
	put_escaped(stdout, earlier);
	putchar('\n');
}

int kill_main(int argc, char *argv[])
{
	struct kill_request base = { 0 }, *reqs = NULL;
	struct kill_reply *replies = NULL;
	struct kill_opts o = { 0 };
	struct ipc *ipc = NULL;
	int ret, first = 0, n, i, j;
	int *rets = NULL;
	bool *dup = NULL, printed = false;

	ret = parse_options(argc, argv, &base, &o);
	if (ret)
		return ret < 0 ? usage_hint("kill", ret) : 0;
	if (o.selecting)
		return kill_select(&o.sel);
	argv += optind;
	n = argc - optind;
	ret = check_after_wait(&o, argv, n);
	if (ret)
		return usage_hint("kill", ret);

	/* Every target is checked before anything is killed. */
	reqs = calloc(n, sizeof(*reqs));
	replies = calloc(n, sizeof(*replies));
	rets = calloc(n, sizeof(*rets));
	dup = calloc(n, sizeof(*dup));
	if (!reqs || !replies || !rets || !dup) {
		perror("procterm: kill");
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		reqs[i] = base;
		ret = parse_target(argv[i], &reqs[i].target);
		if (ret == -EINVAL) {
			uint64_t v;

			fprintf(stderr, "procterm: kill: invalid target '%s' "
				"(expected PID, PID@START or 0xADDRESS)%s\n",
				argv[i], parse_duration(argv[i], UINT64_MAX, &v) ?
				"" : "; a timeout? use --timeout");
		} else if (ret) {
			report_bad_target("kill", argv[i], ret, NULL);
		} else if (reqs[i].target.kind != TARGET_ADDR) {
			ret = check_pid_range("kill", argv[i], reqs[i].target.pid);
		}
		if (ret) {
			ret = usage_hint("kill", -PT_EUSAGE);
			goto out;
		}
		/* The same target twice, however spelt: one request. */
		for (j = 0; j < i && !dup[i]; j++)
			dup[i] = !dup[j] &&
				 target_equal(&reqs[i].target, &reqs[j].target);
	}

	ret = ipc_open(&ipc, opt_debug);
	if (ret) {
		report_open("kill", ret);
		goto out;
	}
	if (o.dry_run) {
		ret = dry_run(ipc, reqs, argv, n, dup, &o);
		goto out;
	}
	if (o.json)
		putchar('[');
	for (i = 0; i < n; i++) {
		struct kill_request sent_req = reqs[i];
		struct reap reap = { .pidfd = -1 };
		struct members m;
		int64_t sent;

		if (dup[i])
			continue;
		if (o.reap)
			reap_prepare(&sent_req, &reap);
		members_snapshot(&reqs[i], &m);
		sent = mono_ms();
		ret = ipc_kill(ipc, &sent_req, &replies[i]);
		/* A refused deadline SIGKILL: the process lives. */
		if (!ret && replies[i].has_stage &&
		    replies[i].stage == PROCTERM_STAGE_REFUSED)
			ret = -EPERM;
		if (!ret && o.reap)
			reap_release(&reap, argv[i], &replies[i]);
		reap_close(&reap);
		rets[i] = ret;
		j = same_as_earlier(reqs, rets, replies, i);
		if (j >= 0 && o.json) {
			put_json(!printed, argv[i], &reqs[i], 0, &replies[j], NULL,
				 argv[j]);
			fputs("}", stdout);
		} else if (j >= 0) {
			put_same(argv[i], argv[j], o.tsv, &replies[j]);
		}
		if (j >= 0) {
			printed = true;
			members_free(&m);
			fflush(stdout);
			continue;
		}
		if (o.json) {
			put_json(!printed, argv[i], &reqs[i], ret, &replies[i],
				 ipc_extack(ipc), NULL);
			if (ret == -ETIMEDOUT && replies[i].has_count)
				report_why(&reqs[i], &replies[i], &m,
					   mono_ms() - sent, true);
			fputs("}", stdout);
		} else if (o.tsv)
			put_tsv(argv[i], &reqs[i], ret, &replies[i],
				ipc_extack(ipc));
		else if (ret == -ETIMEDOUT && replies[i].has_count) {
			report_timeout(argv[i], &reqs[i], &replies[i], o.timeout_arg);
			report_why(&reqs[i], &replies[i], &m, mono_ms() - sent,
				   false);
		} else if (ret == -EPERM && replies[i].has_stage)
			fprintf(stderr, "procterm: kill %s: the SIGKILL at the deadline was "
				"refused (judged again then); the process lives\n", argv[i]);
		else if (ret)
			report("kill", argv[i], ret, ipc_extack(ipc));
		else
			put_pretty(argv[i], &reqs[i], &replies[i]);
		printed = true;
		members_free(&m);
		if (!ret && !o.tsv && !o.json && *ipc_extack(ipc))
			fprintf(stderr, "procterm: kill %s: kernel: %s\n",
				argv[i], ipc_extack(ipc));
		/* The next target may be this process or its parent. */
		fflush(stdout);
		if (ret && !first)
			first = ret;
	}
	if (o.json)
		puts(printed ? "\n]" : "]");
	ret = first;
out:
	ipc_close(ipc);
	free(reqs);
	free(replies);
	free(rets);
	free(dup);
	return ret;
}
