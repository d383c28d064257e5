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
#include "list.h"
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

static void usage(FILE *f)
{
	fputs("Usage: procterm list [--tree] [--json | --tsv] [PID...]\n"
	      "\n"
	      "Show all processes, or the given ones, with their handles (PID@START) and\n"
	      "task_struct addresses (0 unless you may see kernel addresses).\n"
	      "\n"
	      "Options:\n"
	      "  --tree   show children under their parents; with PIDs, the subtree\n"
	      "           of each: what 'procterm kill --tree PID' would take\n"
	      "  --json   a JSON array of objects\n"
	      "  --tsv    tab-separated output for scripts (see procterm(8))\n", f);
}

static int cmp_pid(const void *a, const void *b)
{
	const struct proc_entry *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

long list_find(const struct proc_list *list, uint32_t pid)
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
		p = list_find(list, list->v[i].ppid);
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
			 enum list_format *fmt)
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
			if (*fmt != LIST_PRETTY) {
				fputs("procterm: list: --json and --tsv exclude each other\n",
				      stderr);
				return -PT_EUSAGE;
			}
			*fmt = c == OPT_JSON ? LIST_JSON : LIST_TSV;
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

void list_sort(struct proc_list *list)
{
	qsort(list->v, list->n, sizeof(*list->v), cmp_pid);
}

int list_show(struct proc_list *list, bool tree, const size_t *roots,
	      size_t nroots, enum list_format fmt)
{
	size_t n = list->n, alloc = n ? n : 1, out = 0, i, j, k, *order, *sel;
	unsigned int *depth, *seldepth;
	bool *seen;
	int ret = -ENOMEM;

	order = calloc(alloc, sizeof(*order));
	depth = calloc(alloc, sizeof(*depth));
	sel = calloc(alloc, sizeof(*sel));
	seldepth = calloc(alloc, sizeof(*seldepth));
	seen = calloc(alloc, sizeof(*seen));
	if (!order || !depth || !sel || !seldepth || !seen)
		goto out;
	if (tree && tree_order(list, order, depth))
		goto out;
	if (!roots) {
		if (fmt == LIST_JSON)
			put_json(list, tree ? order : NULL, tree ? depth : NULL);
		else if (fmt == LIST_TSV)
			put_tsv(list, tree ? order : NULL, tree ? depth : NULL);
		else if (n)
			put_pretty(list, tree ? order : NULL, tree ? depth : NULL);
		ret = 0;
		goto out;
	}
	/* In depth-first order a subtree is the run of deeper entries right
	 * after its root. Each process is shown once. */
	for (k = 0; k < nroots; k++) {
		if (!tree) {
			if (!seen[roots[k]]) {
				seen[roots[k]] = true;
				sel[out++] = roots[k];
			}
			continue;
		}
		for (i = 0; i < n && order[i] != roots[k]; i++)
			;
		for (j = i; j < n; j++) {
			if (j > i && depth[j] <= depth[i])
				break;
			if (seen[order[j]])
				continue;
			seen[order[j]] = true;
			sel[out] = order[j];
			seldepth[out++] = depth[j] - depth[i];
		}
	}
	{
		struct proc_list view = { .n = out };

		view.v = calloc(out ? out : 1, sizeof(*view.v));
		if (!view.v)
			goto out;
		for (i = 0; i < out; i++)
			view.v[i] = list->v[sel[i]];
		if (fmt == LIST_JSON)
			put_json(&view, NULL, tree ? seldepth : NULL);
		else if (fmt == LIST_TSV)
			put_tsv(&view, NULL, tree ? seldepth : NULL);
		else if (out)
			put_pretty(&view, NULL, tree ? seldepth : NULL);
		free(view.v);
	}
	ret = 0;
out:
	free(order);
	free(depth);
	free(sel);
	free(seldepth);
	free(seen);
	return ret;
}

int list_main(int argc, char *argv[])
{
	struct proc_list list = { 0 };
	enum list_format fmt = LIST_PRETTY;
	struct ipc *ipc = NULL;
	uint32_t *pids = NULL;
	size_t *roots = NULL, nroots = 0;
	int ret, first = 0, n, i;
	bool tree = false;

	ret = parse_options(argc, argv, &tree, &fmt);
	if (ret)
		return ret < 0 ? usage_hint("list", ret) : 0;
	argv += optind;
	n = argc - optind;

	pids = calloc(n ? n : 1, sizeof(*pids));
	roots = calloc(n ? n : 1, sizeof(*roots));
	if (!pids || !roots) {
		perror("procterm: list");
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		ret = parse_pid(argv[i], &pids[i]);
		if (!ret)
			ret = check_pid_range("list", argv[i], pids[i]);
		else if (ret == -ERANGE)
			report_bad_target("list", argv[i], ret, "PID");
		else
			fprintf(stderr, "procterm: list: invalid PID '%s'\n",
				argv[i]);
		if (ret) {
			ret = usage_hint("list", -PT_EUSAGE);
			goto out;
		}
	}

	ret = ipc_open(&ipc, opt_debug);
	if (ret) {
		report_open("list", ret);
		goto out;
	}
	/* A subtree needs everyone: the whole list, then the roots in it. */
	if (!n || tree) {
		ret = ipc_list(ipc, &list);
		if (ret) {
			report("list", NULL, ret, ipc_extack(ipc));
			goto out;
		}
		if (list.inconsistent)
			fputs("procterm: list: processes kept coming and going; "
			      "the list may be inconsistent\n", stderr);
		list_sort(&list);
	}
	for (i = 0; i < n; i++) {
		long at;

		if (!tree) {
			ret = ipc_list_pid(ipc, pids[i], &list);
			if (ret) {
				report("list", argv[i], ret, ipc_extack(ipc));
				if (!first)
					first = ret;
			}
			continue;
		}
		at = list_find(&list, pids[i]);
		if (at < 0) {
			report("list", argv[i], -ESRCH, NULL);
			if (!first)
				first = -ESRCH;
			continue;
		}
		roots[nroots++] = at;
	}
	if (n && !tree) {
		/* In the order asked, each as the kernel answered. */
		for (i = 0; (size_t)i < list.n; i++)
			roots[i] = i;
		nroots = list.n;
	}
	ret = list_show(&list, tree, n ? roots : NULL, nroots, fmt);
	if (ret) {
		perror("procterm: list");
		goto out;
	}
	ret = first;
out:
	ipc_close(ipc);
	proc_list_free(&list);
	free(pids);
	free(roots);
	return ret;
}
