/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The process table of "procterm list", shared with "procterm kill
 * --dry-run", which shows what a kill would take in the same form.
 */
#ifndef PROCTERM_LIST_H
#define PROCTERM_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "ipc.h"

enum list_format { LIST_PRETTY, LIST_JSON, LIST_TSV };

/*
 * Print @list (from ipc_list(); sorted here by PID) in @fmt. With @roots
 * (indices into @list, after sorting: see list_sort_find()), only those
 * processes, and with @tree each one's subtree below it, its depth counted
 * from that root; without, the whole list. 0 or -ENOMEM.
 */
int list_show(struct proc_list *list, bool tree, const size_t *roots,
	      size_t nroots, enum list_format fmt);
/* Sort @list by PID for list_show() and find_in_list(). */
void list_sort(struct proc_list *list);
/* Index of @pid in a sorted @list, or -1. */
long list_find(const struct proc_list *list, uint32_t pid);

#endif
