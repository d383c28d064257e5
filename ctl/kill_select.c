// SPDX-License-Identifier: GPL-2.0
/*
 * procterm kill by selectors (--name, --uid, --rss-above, --older-than,
 * --cgroup, --oldest/--newest/--largest): one request, and the kernel
 * chooses at the moment of the kill. --name-regex is the exception: the
 * kernel lists (a dry run narrowed by the regex's literal prefix), the
 * regex filters here, and the survivors are killed by handle (PID and
 * start time), so a process that exits meanwhile is never confused with
 * a new one that took its PID, but one that starts meanwhile is missed.
 */
#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "kill_select.h"
#include "output.h"
#include "subcommands.h"

/* What became of one listed process. */
enum sel_result {
	SEL_KILLED,
	SEL_WOULD,		/* --dry-run */
	SEL_DENIED,		/* kill(2)'s rules refused it */
	SEL_FAILED,		/* --name-regex: the kill by handle failed */
};

static const char *const result_words[] = {
	[SEL_KILLED] = "killed",
	[SEL_WOULD] = "would kill",
	[SEL_DENIED] = "denied",
	[SEL_FAILED] = "failed",
};

static const char *const result_keys[] = {
	[SEL_KILLED] = "killed",
	[SEL_WOULD] = "dry-run",
	[SEL_DENIED] = "denied",
	[SEL_FAILED] = "failed",
};

/* "12.3M", "512K", "7G": for the table. */
static const char *size_str(uint64_t b, char *buf, size_t len)
{
	static const char units[] = "BKMGT";
	double v = (double)b;
	size_t u = 0;

	while (v >= 1024 && u < sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%" PRIu64 "B", b);
	else
		snprintf(buf, len, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
	return buf;
}

/*
 * The literal prefix a match of @re must start with: only for a regex
 * anchored with '^', up to the first special character (a character made
 * optional by a quantifier after it is not part of it). "" if none.
 */
void regex_prefix(const char *re, char *out, size_t len)
{
	size_t n = 0;
	const char *p;

	out[0] = '\0';
	if (re[0] != '^')
		return;
	for (p = re + 1; *p && !strchr(".[]()*+?{}|^$\\", *p); p++) {
		if (n + 1 >= len)
			break;
		out[n++] = *p;
	}
	if (n && (*p == '*' || *p == '?' || *p == '{'))
		n--;
	/* "^a|b": an alternative is not anchored to the prefix. */
	if (strchr(re, '|'))
		n = 0;
	out[n] = '\0';
}

static void put_table(const struct select_reply *r, const enum sel_result *res)
{
	char handle[48], rss[16];
	size_t i, l;

	printf("%7s %-22s %6s %7s %-16s %s\n", "PID", "HANDLE", "UID", "RSS",
	       "COMMAND", "RESULT");
	for (i = 0; i < r->n; i++) {
		const struct select_proc *p = &r->v[i];

		if (p->denied) {
			/* The kernel tells only the PID of one we may not kill. */
			printf("%7" PRIu32 " %-22s %6s %7s %-16s %s\n", p->pid, "-",
			       "-", "-", "-", result_words[res[i]]);
			continue;
		}
		snprintf(handle, sizeof(handle), "%" PRIu32 "@%" PRIu64, p->pid,
			 p->start_time);
		printf("%7" PRIu32 " %-22s %6" PRIu32 " %7s ", p->pid, handle,
		       p->uid, size_str(p->rss, rss, sizeof(rss)));
		l = strlen(p->comm);
		put_escaped(stdout, p->comm);
		printf("%*s %s\n", l < 16 ? (int)(16 - l) : 0, "",
		       result_words[res[i]]);
	}
}

static void put_summary(const struct select_opts *o, const struct select_reply *r,
			uint32_t done)
{
	if (o->spec.flags & PROCTERM_F_DRY_RUN)
		printf("would kill %" PRIu32 " process%s", done, done == 1 ? "" : "es");
	else
		printf("killed %" PRIu32 " process%s", done, done == 1 ? "" : "es");
	if (r->denied)
		printf("; %" PRIu32 " denied (not permitted to kill)", r->denied);
	if (r->protected)
		printf("; %" PRIu32 " skipped: the caller and its ancestors, PID 1 and "
		       "kernel threads are never selected", r->protected);
	putchar('\n');
}

static void put_tsv(const struct select_reply *r, const enum sel_result *res)
{
	size_t i;

	/* pid start_time uid rss comm result */
	for (i = 0; i < r->n; i++) {
		const struct select_proc *p = &r->v[i];

		if (p->denied) {
			/* Only the PID of a denied one: "-" for the rest. */
			printf("%" PRIu32 "\t-\t-\t-\t-\t%s\n", p->pid,
			       result_keys[res[i]]);
			continue;
		}
		printf("%" PRIu32 "\t%" PRIu64 "\t%" PRIu32 "\t%" PRIu64 "\t",
		       p->pid, p->start_time, p->uid, p->rss);
		put_escaped(stdout, p->comm);
		printf("\t%s\n", result_keys[res[i]]);
	}
}

/*
 * The --json object: result, error, message, dry_run, count, matched,
 * protected, denied, exit_status, processes (pid, start_time, comm, uid,
 * rss, result).
 */
static void put_json(const struct select_opts *o, int ret, const char *extack,
		     const struct select_reply *r, const enum sel_result *res,
		     uint32_t done)
{
	size_t i;

	printf("{\"result\": \"%s\", \"error\": ", err_word(ret));
	if (ret)
		put_json_string(stdout, err_text(ret));
	else
		fputs("null", stdout);
	fputs(", \"message\": ", stdout);
	if (extack && *extack)
		put_json_string(stdout, extack);
	else
		fputs("null", stdout);
	printf(", \"dry_run\": %s, \"count\": %" PRIu32 ", \"matched\": %" PRIu32
	       ", \"protected\": %" PRIu32 ", \"denied\": %" PRIu32
	       ", \"exit_status\": ",
	       (o->spec.flags & PROCTERM_F_DRY_RUN) ? "true" : "false",
	       (o->spec.flags & PROCTERM_F_DRY_RUN) ? 0 : done,
	       r->matched, r->protected, r->denied);
	if (o->spec.has_status)
		printf("%" PRIu32, o->spec.status);
	else
		fputs("null", stdout);
	fputs(", \"processes\": [", stdout);
	for (i = 0; r && i < r->n; i++) {
		const struct select_proc *p = &r->v[i];

		const char *result = res ? result_keys[res[i]] :
				     p->denied ? "denied" : "not-killed";

		if (p->denied) {
			/* The kernel tells only the PID of a denied one. */
			printf("%s\n  {\"pid\": %" PRIu32 ", \"start_time\": null"
			       ", \"comm\": null, \"uid\": null, \"rss\": null"
			       ", \"result\": \"%s\"}", i ? "," : "", p->pid, result);
			continue;
		}
		printf("%s\n  {\"pid\": %" PRIu32 ", \"start_time\": %" PRIu64
		       ", \"comm\": ", i ? "," : "", p->pid, p->start_time);
		put_json_string(stdout, p->comm);
		/* Without results (a request refused): denied, or not killed. */
		printf(", \"uid\": %" PRIu32 ", \"rss\": %" PRIu64
		       ", \"result\": \"%s\"}", p->uid, p->rss, result);
	}
	puts(r && r->n ? "\n]}" : "]}");
}

/* Is @a a better pick than @b (PROCTERM_PICK_*)? */
static bool better(uint32_t pick, const struct select_proc *a,
		   const struct select_proc *b)
{
	switch (pick) {
	case PROCTERM_PICK_OLDEST:
		return a->start_time < b->start_time;
	case PROCTERM_PICK_NEWEST:
		return a->start_time > b->start_time;
	case PROCTERM_PICK_LARGEST:
		return a->rss > b->rss;
	}
	return false;
}

/*
 * --name-regex: keep the processes whose comm matches, then the pick; the
 * counts follow. 0, or -EPERM under --strict when one kept is denied.
 */
static int regex_filter(const struct select_opts *o, const regex_t *re,
			struct select_reply *r, uint32_t *first_denied)
{
	size_t i, k = 0, best = SIZE_MAX;

	for (i = 0; i < r->n; i++) {
		if (regexec(re, r->v[i].comm, 0, NULL, 0))
			continue;
		r->v[k] = r->v[i];
		if (o->pick && (best == SIZE_MAX || better(o->pick, &r->v[k], &r->v[best])))
			best = k;
		k++;
	}
	r->n = k;
	if (best != SIZE_MAX) {
		r->v[0] = r->v[best];
		r->n = 1;
	}
	r->matched = r->denied = 0;
	*first_denied = 0;
	for (i = 0; i < r->n; i++) {
		if (!r->v[i].denied) {
			r->matched++;
		} else {
			r->denied++;
			if (!*first_denied)
				*first_denied = r->v[i].pid;
		}
	}
	if ((o->spec.flags & PROCTERM_F_STRICT) && r->denied)
		return -EPERM;
	return 0;
}

int kill_select(const struct select_opts *o)
{
	struct select_spec spec = o->spec;
	struct select_reply r = { 0 };
	enum sel_result *res = NULL;
	bool dry = spec.flags & PROCTERM_F_DRY_RUN;
	char extack[256] = "";
	struct ipc *ipc = NULL;
	uint32_t done = 0, first_denied = 0;
	regex_t re;
	bool have_re = false, strict_after;
	size_t i;
	int ret, err;

	if (o->regex) {
		err = regcomp(&re, o->regex, REG_EXTENDED | REG_NOSUB);
		if (err) {
			char msg[128];

			regerror(err, &re, msg, sizeof(msg));
			fprintf(stderr, "procterm: kill: --name-regex '%s': %s\n",
				o->regex, msg);
			return usage_hint("kill", -PT_EUSAGE);
		}
		have_re = true;
		regex_prefix(o->regex, spec.name, sizeof(spec.name));
		spec.has_prefix = spec.name[0];
		/* The kernel lists; the regex, the pick and --strict are ours. */
		spec.flags = PROCTERM_F_DRY_RUN;
		spec.pick = PROCTERM_PICK_ALL;
	}

	ret = ipc_open(&ipc, opt_debug);
	if (ret) {
		report_open("kill", ret);
		goto out;
	}
	ret = ipc_kill_select(ipc, &spec, &r);
	snprintf(extack, sizeof(extack), "%s", ipc_extack(ipc));
	if (!ret && have_re)
		ret = regex_filter(o, &re, &r, &first_denied);
	/*
	 * --strict, and a match refused SIGKILL after signal 0 passed (an
	 * LSM): the kernel killed the others and lists both before its EPERM.
	 */
	strict_after = ret == -EPERM && !have_re && !dry && r.n;
	if (ret && !strict_after) {
		if (ret == -EPERM && have_re)
			snprintf(extack, sizeof(extack),
				 "strict: not permitted to kill PID %" PRIu32 "; nothing killed",
				 first_denied);
		if (o->json)
			put_json(o, ret, extack, &r, NULL, 0);
		else
			report("kill", NULL, ret, extack);
		goto out;
	}

	res = calloc(r.n ? r.n : 1, sizeof(*res));
	if (!res) {
		ret = -ENOMEM;
		perror("procterm: kill");
		goto out;
	}
	for (i = 0; i < r.n; i++) {
		if (r.v[i].denied) {
			res[i] = SEL_DENIED;
			continue;
		}
		if (dry) {
			res[i] = SEL_WOULD;
			done++;
			continue;
		}
		if (have_re) {
			struct kill_request kr = {
				.target = { .kind = TARGET_HANDLE, .pid = r.v[i].pid,
					    .start_time = r.v[i].start_time },
				.has_status = o->spec.has_status,
				.status = o->spec.status,
			};
			struct kill_reply krep;

			err = ipc_kill(ipc, &kr, &krep);
			if (err) {
				res[i] = SEL_FAILED;
				if (!o->json)
					report("kill", r.v[i].comm, err, ipc_extack(ipc));
				continue;
			}
		}
		res[i] = SEL_KILLED;
		done++;
	}
	if (have_re && !dry)
		r.count = done;

	if (o->json) {
		put_json(o, strict_after ? ret : 0, extack, &r, res, done);
	} else if (o->tsv) {
		put_tsv(&r, res);
	} else {
		if (r.n)
			put_table(&r, res);
		put_summary(o, &r, done);
	}
	if (strict_after) {
		if (!o->json && !o->tsv)
			report("kill", NULL, ret, extack);
		goto out;
	}
	/* Nothing done: say why in the exit status (2: no match, 3: denied). */
	if (!done)
		ret = r.denied ? -EPERM : -ESRCH;
	if (!done && !o->json && !o->tsv)
		fprintf(stderr, "procterm: kill: %s\n", r.denied ?
			"every match was denied" : "no process matched");
out:
	if (have_re)
		regfree(&re);
	ipc_close(ipc);
	select_reply_free(&r);
	free(res);
	return ret;
}
