/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few differences between the supported kernels' interfaces, chosen by
 * feature probes in Kbuild (never by version numbers).
 */
#ifndef _PROCTERM_COMPAT_H
#define _PROCTERM_COMPAT_H

#include <net/genetlink.h>

/* The request's parsed attributes, inside a dumpit. */
static inline struct nlattr **pt_dump_attrs(struct netlink_callback *cb)
{
#ifdef PT_HAVE_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/* from_timer() became timer_container_of() (and went away) in 6.16. */
#ifdef PT_HAVE_TIMER_CONTAINER_OF
#define pt_timer_container_of(var, t, field) timer_container_of(var, t, field)
#else
#define pt_timer_container_of(var, t, field) from_timer(var, t, field)
#endif

/*
 * task_work_add() from a probe with preemption off: on a KASAN kernel it
 * records an aux stack, which can allocate, unless TWAF_NO_ALLOC (the
 * scheduler's own use, where the kernel has it); without the flag there is
 * no way to ask, and only KASAN kernels are concerned.
 */
#ifdef PT_HAVE_TWAF_NO_ALLOC
#define PT_TWA_RESUME_ATOMIC	(TWA_RESUME | TWAF_NO_ALLOC)
#else
#define PT_TWA_RESUME_ATOMIC	TWA_RESUME
#endif

#endif /* _PROCTERM_COMPAT_H */
