// SPDX-License-Identifier: GPL-2.0
/*
 * procterm list: processes as procterm.ko sees them, with the handles and
 * addresses that procterm kill accepts.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "output.h"
#include "parse.h"
#include "subcommands.h"

/* Deeper trees are drawn at this depth, with the real depth in brackets. */
#define MAX_INDENT	32

enum {
	OPT_TREE = OPT_LONG,
	OPT_JSON,
	OPT_TSV,
};

static const struct option options[] = {
	{ "tree",	no_argument,	NULL, OPT_TREE },
	{ "json",	no_argument,	NULL, OPT_JSON },
	{ "tsv",	no_argument,	NULL, OPT_TSV },
	{ "help",	no_argument,	NULL, 'h' },
	{ NULL,		0,		NULL, 0 },
};

enum format { FMT_PRETTY, FMT_JSON, FMT_TSV };

static void usage(FILE *f)
{
	fputs("Usage: procterm list [--tree] [--json | --tsv] [PID...]\n"
	      "\n"
	      "Show all processes, or the given ones, with their handles (PID@START) and\n"
	      "task_struct addresses (0 unless you may see kernel addresses).\n"
	      "\n"
	      "Options:\n"
	      "  --tree   show children under their parents\n"
	      "  --json   a JSON array of objects\n"
	      "  --tsv    tab-separated output for scripts (see procterm(8))\n", f);
}

static int cmp_pid(const void *a, const void *b)
{
	const struct proc_entry *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static long find_pid(const struct proc_list *list, uint32_t pid)
{
	size_t lo = 0, hi = list->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (list->v[mid].pid == pid)
			return mid;
		if (list->v[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * Depth-first order of the process tree, children by ascending PID, built
 * from the PPIDs with an explicit stack: trees can be deeper than the C
 * stack. @list must be sorted by PID. Processes whose parent is not listed
 * are roots; anything unreached (a cycle in an inconsistent snapshot) is
 * taken as a root afterwards, so every entry comes out exactly once.
 */
static int tree_order(const struct proc_list *list, size_t *order,
		      unsigned int *depth)
{
	size_t n = list->n, out = 0, top, i, root, pass;
	long *parent, *child, *sibling, p;
	unsigned int *d;
	size_t *stack;
	bool *seen;
	int ret = -ENOMEM;

	parent = calloc(n, sizeof(*parent));
	child = calloc(n, sizeof(*child));
	sibling = calloc(n, sizeof(*sibling));
	stack = calloc(n, sizeof(*stack));
	d = calloc(n, sizeof(*d));
	seen = calloc(n, sizeof(*seen));
	if (n && (!parent || !child || !sibling || !stack || !d || !seen))
		goto out;

	for (i = 0; i < n; i++) {
		p = find_pid(list, list->v[i].ppid);
		parent[i] = (size_t)p == i ? -1 : p;
		child[i] = -1;
	}
	/* Head insertion in ascending order: child lists run by descending
	 * PID, so the stack pops the lowest PID first. */
	for (i = 0; i < n; i++) {
		if (parent[i] < 0)
			continue;
		sibling[i] = child[parent[i]];
		child[parent[i]] = i;
	}

	for (pass = 0; pass < 2; pass++) {
		for (root = 0; root < n; root++) {
			if (seen[root] || (pass == 0 && parent[root] >= 0))
				continue;
			top = 0;
			stack[top++] = root;
			d[root] = 0;
			while (top) {
				i = stack[--top];
				seen[i] = true;
				order[out] = i;
				depth[out++] = d[i];
				for (p = child[i]; p >= 0; p = sibling[p]) {
					if (seen[p])
						continue;
					d[p] = d[i] + 1;
					stack[top++] = p;
				}
			}
		}
	}
	ret = 0;
out:
	free(parent);
	free(child);
	free(sibling);
	free(stack);
	free(d);
	free(seen);
	return ret;
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

static void put_pretty(const struct proc_list *list, const size_t *order,
		       const unsigned int *depth)
{
	int wpid = 3, wppid = 4, whandle = 6, wthr = 3, wuid = 3, w;
	const struct proc_entry *e;
	char handle[48];
	unsigned int dd;
	size_t i;

	for (i = 0; i < list->n; i++) {
		e = &list->v[i];
		w = num_width(e->pid);
		wpid = w > wpid ? w : wpid;
		w = num_width(e->ppid);
		wppid = w > wppid ? w : wppid;
		w = num_width(e->pid) + 1 + num_width(e->start_time);
		whandle = w > whandle ? w : whandle;
		w = num_width(e->threads);
		wthr = w > wthr ? w : wthr;
		w = num_width(e->uid);
		wuid = w > wuid ? w : wuid;
	}
	printf("%*s %*s %-*s %-18s S %*s %*s COMMAND\n", wpid, "PID", wppid,
	       "PPID", whandle, "HANDLE", "ADDRESS", wthr, "THR", wuid, "UID");
	for (i = 0; i < list->n; i++) {
		e = &list->v[order ? order[i] : i];
		snprintf(handle, sizeof(handle), "%" PRIu32 "@%" PRIu64,
			 e->pid, e->start_time);
		printf("%*" PRIu32 " %*" PRIu32 " %-*s 0x%016" PRIx64
		       " %c %*" PRIu32 " %*" PRIu32 " ",
		       wpid, e->pid, wppid, e->ppid, whandle, handle,
		       e->task_addr, e->state, wthr, e->threads, wuid, e->uid);
		dd = depth ? depth[i] : 0;
		if (dd) {
			printf("%*s\\_ ", 2 * ((dd < MAX_INDENT ? dd : MAX_INDENT) - 1),
			       "");
			if (dd > MAX_INDENT)
				printf("[%u] ", dd);
		}
		put_escaped(stdout, e->comm);
		putchar('\n');
	}
}

/* pid ppid start_time task_addr state threads uid comm [depth] */
static void put_tsv(const struct proc_list *list, const size_t *order,
		    const unsigned int *depth)
{
	const struct proc_entry *e;
	size_t i;

	for (i = 0; i < list->n; i++) {
		e = &list->v[order ? order[i] : i];
		printf("%" PRIu32 "\t%" PRIu32 "\t%" PRIu64 "\t0x%016" PRIx64
		       "\t%c\t%" PRIu32 "\t%" PRIu32 "\t",
		       e->pid, e->ppid, e->start_time, e->task_addr, e->state,
		       e->threads, e->uid);
		put_escaped(stdout, e->comm);
		if (depth)
			printf("\t%u", depth[i]);
		putchar('\n');
	}
}

static void put_json(const struct proc_list *list, const size_t *order,
		     const unsigned int *depth)
{
	const struct proc_entry *e;
	char state[2] = "";
	size_t i;

	putchar('[');
	for (i = 0; i < list->n; i++) {
		e = &list->v[order ? order[i] : i];
		printf("%s\n  {\"pid\": %" PRIu32 ", \"ppid\": %" PRIu32
		       ", \"start_time\": %" PRIu64 ", \"handle\": \"%" PRIu32
		       "@%" PRIu64 "\", \"task_addr\": \"0x%016" PRIx64
		       "\", \"state\": ",
		       i ? "," : "", e->pid, e->ppid, e->start_time, e->pid,
		       e->start_time, e->task_addr);
		state[0] = e->state;
		put_json_string(stdout, state);
		printf(", \"threads\": %" PRIu32 ", \"uid\": %" PRIu32
		       ", \"comm\": ", e->threads, e->uid);
		put_json_string(stdout, e->comm);
		if (depth)
			printf(", \"depth\": %u", depth[i]);
		putchar('}');
	}
	puts(list->n ? "\n]" : "]");
}

static int parse_options(int argc, char *argv[], bool *tree,
			 enum format *fmt)
{
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case OPT_TREE:
			*tree = true;
			break;
		case OPT_JSON:
		case OPT_TSV:
			if (*fmt != FMT_PRETTY) {
				fputs("procterm: list: --json and --tsv exclude each other\n",
				      stderr);
				return -PT_EUSAGE;
			}
			*fmt = c == OPT_JSON ? FMT_JSON : FMT_TSV;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return option_error("list", c, argv);
		}
	}
	return 0;
}

int list_main(int argc, char *argv[])
{
	struct proc_list list = { 0 };
	enum format fmt = FMT_PRETTY;
	unsigned int *depth = NULL;
	size_t *order = NULL;
	struct ipc *ipc = NULL;
	uint32_t *pids = NULL;
	int ret, first = 0, n, i;
	bool tree = false;

	ret = parse_options(argc, argv, &tree, &fmt);
	if (ret) {
		if (ret < 0)
			usage(stderr);
		return ret < 0 ? ret : 0;
	}
	argv += optind;
	n = argc - optind;

	pids = calloc(n ? n : 1, sizeof(*pids));
	if (!pids) {
		perror("procterm: list");
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (parse_pid(argv[i], &pids[i])) {
			fprintf(stderr, "procterm: list: invalid PID '%s'\n",
				argv[i]);
			usage(stderr);
			ret = -PT_EUSAGE;
			goto out;
		}
	}

	ret = ipc_open(&ipc, opt_debug);
	if (ret) {
		report_open("list", ret);
		goto out;
	}
	if (!n) {
		ret = ipc_list(ipc, &list);
		if (ret) {
			report("list", NULL, ret, ipc_extack(ipc));
			goto out;
		}
		if (list.inconsistent)
			fputs("procterm: list: processes kept coming and going; "
			      "the list may be inconsistent\n", stderr);
	}
	for (i = 0; i < n; i++) {
		ret = ipc_list_pid(ipc, pids[i], &list);
		if (ret) {
			report("list", argv[i], ret, ipc_extack(ipc));
			if (!first)
				first = ret;
		}
	}

	if (!n || tree)
		qsort(list.v, list.n, sizeof(*list.v), cmp_pid);
	if (tree) {
		order = calloc(list.n ? list.n : 1, sizeof(*order));
		depth = calloc(list.n ? list.n : 1, sizeof(*depth));
		if (!order || !depth || tree_order(&list, order, depth)) {
			perror("procterm: list");
			ret = -ENOMEM;
			goto out;
		}
	}
	if (fmt == FMT_JSON)
		put_json(&list, order, depth);
	else if (fmt == FMT_TSV)
		put_tsv(&list, order, depth);
	else if (list.n)
		put_pretty(&list, order, depth);
	ret = first;
out:
	ipc_close(ipc);
	proc_list_free(&list);
	free(pids);
	free(order);
	free(depth);
	return ret;
}
