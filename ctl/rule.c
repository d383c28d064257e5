// SPDX-License-Identifier: GPL-2.0
/*
 * procterm rule: exec rules (add, del, list, flush, save, load).
 *
 * A rule file holds one rule per line, written with the options of
 * "rule add" (what "rule save" prints); blank lines and lines starting
 * with '#' are ignored, and words are split as a shell would split them
 * (single and double quotes, backslashes), without any expansion.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "output.h"
#include "parse.h"
#include "subcommands.h"

enum {
	OPT_COMM = OPT_LONG,
	OPT_PATH,
	OPT_UID,
	OPT_PARENT_COMM,
	OPT_CGROUP,
	OPT_STATUS,
	OPT_COUNT,
	OPT_AUDIT,
	OPT_JSON,
	OPT_FLUSH,
};

static const struct option add_options[] = {
	{ "comm",	 required_argument, NULL, OPT_COMM },
	{ "path",	 required_argument, NULL, OPT_PATH },
	{ "uid",	 required_argument, NULL, OPT_UID },
	{ "parent-comm", required_argument, NULL, OPT_PARENT_COMM },
	{ "cgroup",	 required_argument, NULL, OPT_CGROUP },
	{ "status",	 required_argument, NULL, OPT_STATUS },
	{ "count",	 required_argument, NULL, OPT_COUNT },
	{ "audit",	 no_argument,	    NULL, OPT_AUDIT },
	{ "help",	 no_argument,	    NULL, 'h' },
	{ NULL,		 0,		    NULL, 0 },
};

static const struct option list_options[] = {
	{ "json",	no_argument,	NULL, OPT_JSON },
	{ "help",	no_argument,	NULL, 'h' },
	{ NULL,		0,		NULL, 0 },
};

static const struct option load_options[] = {
	{ "flush",	no_argument,	NULL, OPT_FLUSH },
	{ "help",	no_argument,	NULL, 'h' },
	{ NULL,		0,		NULL, 0 },
};

static const struct option help_options[] = {
	{ "help",	no_argument,	NULL, 'h' },
	{ NULL,		0,		NULL, 0 },
};

static void usage(FILE *f)
{
	fputs("Usage: procterm rule add CONDITION... [--status N] [--count N] [--audit]\n"
	      "       procterm rule del ID...\n"
	      "       procterm rule list [--json]\n"
	      "       procterm rule flush\n"
	      "       procterm rule save\n"
	      "       procterm rule load [--flush] FILE|-\n"
	      "\n"
	      "Exec rules: a process whose exec matches every condition of a rule\n"
	      "dies before the new program runs its first instruction, and its\n"
	      "parent sees the rule's exit status. Needs CAP_SYS_ADMIN.\n"
	      "\n"
	      "Conditions (at least one; all must hold):\n"
	      "  --comm NAME         the new program's name (comm, at most 15 bytes)\n"
	      "  --path PATH         the executable, symlinks resolved (here, with\n"
	      "                      realpath(3); a script's is its interpreter)\n"
	      "  --uid UID           the real uid after the exec (a number or a name)\n"
	      "  --parent-comm NAME  the name of the parent process\n"
	      "  --cgroup PATH       in this cgroup v2 or below it, written as\n"
	      "                      /proc/self/cgroup shows it (\"/user.slice\")\n"
	      "Actions:\n"
	      "  --status N          the parent sees exit status N (0..255);\n"
	      "                      default: killed by SIGKILL\n"
	      "  --count N           fire N times, then expire\n"
	      "  --audit             kill nothing: count and report only\n"
	      "\n"
	      "list --json: a JSON array. save: the rules as lines of \"rule add\"\n"
	      "options (with the firings left as --count). load: those lines from\n"
	      "FILE, or standard input for '-'; '#' comments and blank lines are\n"
	      "allowed; either every rule is added or none (--flush: remove the\n"
	      "current rules first, once the whole file has been read).\n", f);
}

/* ---- parsing one rule */

static int bad(const char *where, const char *what, const char *arg)
{
	fprintf(stderr, "procterm: %s: %s '%s'\n", where, what, arg);
	return -PT_EUSAGE;
}

static int parse_uid_arg(const char *where, const char *arg, uint32_t *uid)
{
	struct passwd *pw;
	uint64_t v;

	if (!parse_num(arg, UINT32_MAX - 1, &v)) {
		*uid = v;
		return 0;
	}
	pw = getpwnam(arg);
	if (!pw)
		return bad(where, "no such user", arg);
	*uid = pw->pw_uid;
	return 0;
}

/*
 * The options of "rule add" in argv[1..argc) into @spec (cleared first).
 * Messages name @where ("rule add", or FILE:LINE). 0, 1 for --help, or
 * -PT_EUSAGE / -ENOMEM.
 */
static int rule_parse(int argc, char *argv[], const char *where,
		      struct rule_spec *spec)
{
	uint64_t v;
	size_t len;
	int c;

	memset(spec, 0, sizeof(*spec));
	opterr = 0;
	optind = 0;		/* glibc: start afresh, this may be a new argv */
	while ((c = getopt_long(argc, argv, "+:h", add_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			return 1;
		case OPT_COMM:
		case OPT_PARENT_COMM:
			len = strlen(optarg);
			if (!len || len >= PROCTERM_COMM_LEN)
				return bad(where, "a name must be 1 to 15 bytes:", optarg);
			if (c == OPT_COMM) {
				memcpy(spec->comm, optarg, len + 1);
				spec->has_comm = true;
			} else {
				memcpy(spec->parent_comm, optarg, len + 1);
				spec->has_parent_comm = true;
			}
			break;
		case OPT_PATH:
			free(spec->path);
			spec->path = realpath(optarg, NULL);
			if (!spec->path) {
				fprintf(stderr, "procterm: %s: cannot resolve '%s': %s\n",
					where, optarg, strerror(errno));
				return -PT_EUSAGE;
			}
			break;
		case OPT_UID:
			if (parse_uid_arg(where, optarg, &spec->uid))
				return -PT_EUSAGE;
			spec->has_uid = true;
			break;
		case OPT_CGROUP:
			len = strlen(optarg);
			if (optarg[0] != '/' || len >= PROCTERM_RULE_PATH_LEN)
				return bad(where, "a cgroup is an absolute cgroup v2 path, as /proc/self/cgroup shows it, not", optarg);
			free(spec->cgroup);
			spec->cgroup = strdup(optarg);
			if (!spec->cgroup)
				return -ENOMEM;
			/* "/a/b/" is "/a/b"; "/" stays. */
			while (len > 1 && spec->cgroup[len - 1] == '/')
				spec->cgroup[--len] = '\0';
			break;
		case OPT_STATUS:
			if (parse_num(optarg, 255, &v))
				return bad(where, "an exit status is 0 to 255, not", optarg);
			spec->status = v;
			spec->has_status = true;
			break;
		case OPT_COUNT:
			if (parse_num(optarg, UINT32_MAX, &v) || !v)
				return bad(where, "a count is 1 to 4294967295, not", optarg);
			spec->count = v;
			break;
		case OPT_AUDIT:
			spec->audit = true;
			break;
		default:
			return option_error(where, c, argv);
		}
	}
	if (optind < argc)
		return bad(where, "unexpected argument", argv[optind]);
	if (!spec->has_comm && !spec->path && !spec->has_uid &&
	    !spec->has_parent_comm && !spec->cgroup) {
		fprintf(stderr, "procterm: %s: a rule needs at least one condition (--comm, --path, --uid, --parent-comm, --cgroup)\n",
			where);
		return -PT_EUSAGE;
	}
	if (spec->audit && spec->has_status) {
		fprintf(stderr, "procterm: %s: an --audit rule kills nothing: no --status\n",
			where);
		return -PT_EUSAGE;
	}
	return 0;
}

/* ---- printing */

static void put_word(FILE *f, const char *s)
{
	const char *p;

	for (p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789/._+:@%=,-", *p))
			break;
	if (*s && !*p) {
		fputs(s, f);
		return;
	}
	putc('\'', f);
	for (p = s; *p; p++) {
		if (*p == '\'')
			fputs("'\\''", f);
		else
			putc(*p, f);
	}
	putc('\'', f);
}

static void put_opt(FILE *f, bool *first, const char *opt, const char *val)
{
	if (!*first)
		putc(' ', f);
	*first = false;
	fputs(opt, f);
	if (val) {
		putc(' ', f);
		put_word(f, val);
	}
}

/* The rule as options of "rule add"; @count: --count N when not 0. */
static void rule_format(FILE *f, const struct rule_spec *r, bool conds_only)
{
	char buf[32];
	bool first = true;

	if (r->has_comm)
		put_opt(f, &first, "--comm", r->comm);
	if (r->path)
		put_opt(f, &first, "--path", r->path);
	if (r->has_uid) {
		snprintf(buf, sizeof(buf), "%" PRIu32, r->uid);
		put_opt(f, &first, "--uid", buf);
	}
	if (r->has_parent_comm)
		put_opt(f, &first, "--parent-comm", r->parent_comm);
	if (r->cgroup)
		put_opt(f, &first, "--cgroup", r->cgroup);
	if (conds_only)
		return;
	if (r->has_status) {
		snprintf(buf, sizeof(buf), "%" PRIu32, r->status);
		put_opt(f, &first, "--status", buf);
	}
	if (r->count) {
		snprintf(buf, sizeof(buf), "%" PRIu32, r->count);
		put_opt(f, &first, "--count", buf);
	}
	if (r->audit)
		put_opt(f, &first, "--audit", NULL);
}

static void json_str_or_null(FILE *f, const char *key, bool has, const char *s)
{
	fprintf(f, "\"%s\":", key);
	if (has)
		put_json_string(f, s);
	else
		fputs("null", f);
}

static void rule_json(FILE *f, const struct rule_entry *e)
{
	const struct rule_spec *r = &e->spec;

	fprintf(f, "{\"id\":%" PRIu32 ",", e->id);
	json_str_or_null(f, "comm", r->has_comm, r->comm);
	putc(',', f);
	json_str_or_null(f, "path", r->path, r->path);
	putc(',', f);
	if (r->has_uid)
		fprintf(f, "\"uid\":%" PRIu32 ",", r->uid);
	else
		fputs("\"uid\":null,", f);
	json_str_or_null(f, "parent_comm", r->has_parent_comm, r->parent_comm);
	putc(',', f);
	json_str_or_null(f, "cgroup", r->cgroup, r->cgroup);
	if (r->has_status)
		fprintf(f, ",\"status\":%" PRIu32, r->status);
	else
		fputs(",\"status\":null", f);
	if (r->count)
		fprintf(f, ",\"left\":%" PRIu32, r->count);
	else
		fputs(",\"left\":null", f);
	fprintf(f, ",\"fired\":%" PRIu64 ",\"audit\":%s}", e->fired,
		r->audit ? "true" : "false");
}

/* ---- subcommands */

static int open_ipc(const char *cmd, struct ipc **ipc)
{
	int ret = ipc_open(ipc, opt_debug);

	if (ret)
		report_open(cmd, ret);
	return ret;
}

static int rule_add(int argc, char *argv[])
{
	struct rule_spec spec;
	struct ipc *ipc;
	uint32_t id;
	int ret;

	ret = rule_parse(argc, argv, "rule add", &spec);
	if (ret == 1) {
		usage(stdout);
		ret = 0;
		goto out;
	}
	if (ret) {
		if (ret == -PT_EUSAGE)
			usage_hint("rule", ret);
		goto out;
	}
	ret = open_ipc("rule add", &ipc);
	if (ret)
		goto out;
	ret = ipc_rule_add(ipc, &spec, &id);
	if (ret)
		report("rule add", NULL, ret, ipc_extack(ipc));
	else
		printf("rule %" PRIu32 " added\n", id);
	ipc_close(ipc);
out:
	rule_spec_free(&spec);
	return ret;
}

/* Only --help: for del, flush and save. */
static int no_options(int argc, char *argv[], const char *cmd)
{
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:h", help_options, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		return usage_hint("rule", option_error(cmd, c, argv));
	}
	return 0;
}

static int rule_del(int argc, char *argv[])
{
	struct ipc *ipc;
	uint64_t v;
	int ret, first = 0, i;

	ret = no_options(argc, argv, "rule del");
	if (ret)
		return ret > 0 ? 0 : ret;
	if (optind >= argc) {
		fputs("procterm: rule del: no rule ID given\n", stderr);
		return usage_hint("rule", -PT_EUSAGE);
	}
	for (i = optind; i < argc; i++)
		if (parse_num(argv[i], UINT32_MAX, &v) || !v)
			return usage_hint("rule", bad("rule del", "invalid rule ID", argv[i]));
	ret = open_ipc("rule del", &ipc);
	if (ret)
		return ret;
	for (i = optind; i < argc; i++) {
		parse_num(argv[i], UINT32_MAX, &v);
		ret = ipc_rule_del(ipc, v);
		if (ret) {
			/* ENOENT's generic text speaks of requests. */
			if (ret == -ENOENT)
				fprintf(stderr, "procterm: rule del %s: no such rule\n",
					argv[i]);
			else
				report("rule del", argv[i], ret, ipc_extack(ipc));
			if (!first)
				first = ret;
		} else {
			printf("rule %" PRIu64 " deleted\n", v);
		}
	}
	ipc_close(ipc);
	return first;
}

static int rule_flush(int argc, char *argv[])
{
	struct ipc *ipc;
	uint32_t n;
	int ret;

	ret = no_options(argc, argv, "rule flush");
	if (ret)
		return ret > 0 ? 0 : ret;
	if (optind < argc)
		return usage_hint("rule", bad("rule flush", "unexpected argument", argv[optind]));
	ret = open_ipc("rule flush", &ipc);
	if (ret)
		return ret;
	ret = ipc_rule_flush(ipc, &n);
	if (ret)
		report("rule flush", NULL, ret, ipc_extack(ipc));
	else
		printf("%" PRIu32 " rule%s removed\n", n, n == 1 ? "" : "s");
	ipc_close(ipc);
	return ret;
}

static int get_rules(const char *cmd, struct rule_list *list)
{
	struct ipc *ipc;
	int ret;

	ret = open_ipc(cmd, &ipc);
	if (ret)
		return ret;
	ret = ipc_rule_list(ipc, list);
	if (ret)
		report(cmd, NULL, ret, ipc_extack(ipc));
	else if (list->inconsistent)
		fprintf(stderr, "procterm: %s: the rules kept changing; this list may be inconsistent\n",
			cmd);
	ipc_close(ipc);
	return ret;
}

static int rule_list(int argc, char *argv[])
{
	struct rule_list list = { 0 };
	bool json = false;
	char buf[32];
	size_t i;
	int ret, c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:h", list_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case OPT_JSON:
			json = true;
			break;
		default:
			return usage_hint("rule", option_error("rule list", c, argv));
		}
	}
	if (optind < argc)
		return usage_hint("rule", bad("rule list", "unexpected argument", argv[optind]));
	ret = get_rules("rule list", &list);
	if (ret)
		return ret;
	if (json) {
		putchar('[');
		for (i = 0; i < list.n; i++) {
			if (i)
				putchar(',');
			rule_json(stdout, &list.v[i]);
		}
		puts("]");
	} else if (list.n) {
		printf("%-5s %-10s %-6s %-8s %s\n", "ID", "ACTION", "LEFT",
		       "FIRED", "CONDITIONS");
		for (i = 0; i < list.n; i++) {
			const struct rule_entry *e = &list.v[i];
			const struct rule_spec *r = &e->spec;

			if (r->audit)
				snprintf(buf, sizeof(buf), "audit");
			else if (r->has_status)
				snprintf(buf, sizeof(buf), "status %" PRIu32, r->status);
			else
				snprintf(buf, sizeof(buf), "SIGKILL");
			printf("%-5" PRIu32 " %-10s ", e->id, buf);
			if (r->count)
				snprintf(buf, sizeof(buf), "%" PRIu32, r->count);
			else
				snprintf(buf, sizeof(buf), "-");
			printf("%-6s %-8" PRIu64 " ", buf, e->fired);
			rule_format(stdout, r, true);
			putchar('\n');
		}
	}
	rule_list_free(&list);
	return 0;
}

static int rule_save(int argc, char *argv[])
{
	struct rule_list list = { 0 };
	size_t i;
	int ret;

	ret = no_options(argc, argv, "rule save");
	if (ret)
		return ret > 0 ? 0 : ret;
	if (optind < argc)
		return usage_hint("rule", bad("rule save", "unexpected argument", argv[optind]));
	ret = get_rules("rule save", &list);
	if (ret)
		return ret;
	printf("# procterm exec rules (procterm rule save); load with: procterm rule load FILE\n");
	for (i = 0; i < list.n; i++) {
		rule_format(stdout, &list.v[i].spec, false);
		putchar('\n');
	}
	rule_list_free(&list);
	return 0;
}

/* ---- load */

/*
 * Split @line into words as sh(1) would, without expansions: whitespace
 * separates, '...' is literal, "..." honours \\ \" \$ \` and a backslash
 * outside quotes escapes the next byte; '#' at the start of a word ends
 * the line. The words are written into @line itself. Returns the number
 * of words, or -1 with *@err set.
 */
static int split_words(char *line, char **words, int max, const char **err)
{
	char *in = line, *out = line;
	int n = 0;

	for (;;) {
		while (*in == ' ' || *in == '\t' || *in == '\r' || *in == '\n')
			in++;
		if (!*in || *in == '#')
			return n;
		if (n == max) {
			*err = "too many words";
			return -1;
		}
		words[n++] = out;
		while (*in && !strchr(" \t\r\n", *in)) {
			if (*in == '\'') {
				in++;
				while (*in && *in != '\'')
					*out++ = *in++;
				if (!*in) {
					*err = "unterminated single quote";
					return -1;
				}
				in++;
			} else if (*in == '"') {
				in++;
				while (*in && *in != '"') {
					if (*in == '\\' && in[1] && strchr("\\\"$`", in[1]))
						in++;
					*out++ = *in++;
				}
				if (!*in) {
					*err = "unterminated double quote";
					return -1;
				}
				in++;
			} else if (*in == '\\') {
				in++;
				if (!*in) {
					*err = "a backslash at the end of the line";
					return -1;
				}
				*out++ = *in++;
			} else {
				*out++ = *in++;
			}
		}
		/* The separator may be overwritten only after it was read. */
		if (*in)
			in++;
		*out++ = '\0';
	}
}

#define MAX_WORDS 32

struct loaded {
	struct rule_spec spec;
	unsigned long line;
};

static int rule_load(int argc, char *argv[])
{
	struct loaded *rules = NULL;
	size_t n = 0, alloc = 0, i, len = 0;
	char *line = NULL, where[PATH_MAX + 32];
	char *words[MAX_WORDS + 1];
	const char *file, *err;
	unsigned long lineno = 0;
	uint32_t *ids = NULL, count;
	bool flush = false;
	int ret = 0, c, nw, bad_lines = 0;
	struct ipc *ipc = NULL;
	FILE *f;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:h", load_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case OPT_FLUSH:
			flush = true;
			break;
		default:
			return usage_hint("rule", option_error("rule load", c, argv));
		}
	}
	if (argc - optind != 1) {
		fputs("procterm: rule load: give one FILE, or '-' for standard input\n",
		      stderr);
		return usage_hint("rule", -PT_EUSAGE);
	}
	file = argv[optind];
	f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!f) {
		ret = -errno;
		fprintf(stderr, "procterm: rule load: %s: %s\n", file, strerror(errno));
		return ret;
	}

	/* Everything is read and checked before anything is added. */
	while (getline(&line, &len, f) > 0) {
		lineno++;
		snprintf(where, sizeof(where), "rule load: %s:%lu",
			 f == stdin ? "<stdin>" : file, lineno);
		nw = split_words(line, words + 1, MAX_WORDS, &err);
		if (nw < 0) {
			fprintf(stderr, "procterm: %s: %s\n", where, err);
			bad_lines++;
			continue;
		}
		if (!nw)
			continue;
		if (n == alloc) {
			struct loaded *p;

			alloc = alloc ? alloc * 2 : 16;
			p = reallocarray(rules, alloc, sizeof(*rules));
			if (!p) {
				ret = -ENOMEM;
				goto out;
			}
			rules = p;
		}
		/* argv[0] for getopt; a line copied from a command line may keep its "add". */
		words[0] = "rule";
		if (!strcmp(words[1], "add"))
			ret = rule_parse(nw, words + 1, where, &rules[n].spec);
		else
			ret = rule_parse(nw + 1, words, where, &rules[n].spec);
		if (ret == 1) {
			fprintf(stderr, "procterm: %s: --help in a rule file\n", where);
			ret = -PT_EUSAGE;
		}
		if (ret) {
			rule_spec_free(&rules[n].spec);
			if (ret != -PT_EUSAGE)
				goto out;
			bad_lines++;
			continue;
		}
		rules[n++].line = lineno;
	}
	ret = 0;
	if (ferror(f)) {
		ret = -EIO;
		fprintf(stderr, "procterm: rule load: %s: read error\n", file);
		goto out;
	}
	if (bad_lines) {
		fprintf(stderr, "procterm: rule load: %s: %d bad line%s; no rule was added\n",
			f == stdin ? "<stdin>" : file, bad_lines,
			bad_lines == 1 ? "" : "s");
		ret = -PT_EUSAGE;
		goto out;
	}

	ids = calloc(n ? n : 1, sizeof(*ids));
	if (!ids) {
		ret = -ENOMEM;
		goto out;
	}
	ret = open_ipc("rule load", &ipc);
	if (ret)
		goto out;
	if (flush) {
		ret = ipc_rule_flush(ipc, &count);
		if (ret) {
			report("rule load", "--flush", ret, ipc_extack(ipc));
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		ret = ipc_rule_add(ipc, &rules[i].spec, &ids[i]);
		if (!ret)
			continue;
		snprintf(where, sizeof(where), "%s:%lu",
			 f == stdin ? "<stdin>" : file, rules[i].line);
		report("rule load", where, ret, ipc_extack(ipc));
		/* All or nothing: take back what this load added. */
		while (i--)
			ipc_rule_del(ipc, ids[i]);
		fprintf(stderr, "procterm: rule load: no rule was added%s\n",
			flush ? " (and the previous rules were removed by --flush)" : "");
		goto out;
	}
	printf("%zu rule%s added\n", n, n == 1 ? "" : "s");
out:
	ipc_close(ipc);
	for (i = 0; i < n; i++)
		rule_spec_free(&rules[i].spec);
	free(rules);
	free(ids);
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

static const struct {
	const char *name;
	int (*handler)(int argc, char *argv[]);
} rule_commands[] = {
	{ "add",	rule_add },
	{ "del",	rule_del },
	{ "list",	rule_list },
	{ "flush",	rule_flush },
	{ "save",	rule_save },
	{ "load",	rule_load },
};

int rule_main(int argc, char *argv[])
{
	size_t i;

	if (argc < 2) {
		fputs("procterm: rule: no rule command given (add, del, list, flush, save, load)\n",
		      stderr);
		return usage_hint("rule", -PT_EUSAGE);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(rule_commands) / sizeof(rule_commands[0]); i++)
		if (!strcmp(argv[1], rule_commands[i].name))
			return rule_commands[i].handler(argc - 1, argv + 1);
	fprintf(stderr, "procterm: rule: unknown rule command '%s'\n", argv[1]);
	return usage_hint("rule", -PT_EUSAGE);
}
