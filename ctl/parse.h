/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checked parsers for the command line: numbers, targets, request IDs.
 * All return 0 or -EINVAL / -ERANGE and never accept signs, spaces or
 * trailing junk.
 */
#ifndef PROCTERM_PARSE_H
#define PROCTERM_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum target_kind {
	TARGET_PID,		/* "1234" */
	TARGET_HANDLE,		/* "1234@5678": PID and start time */
	TARGET_ADDR,		/* "0xffff888012345600": task_struct address */
};

struct target {
	enum target_kind kind;
	uint32_t pid;		/* TARGET_PID, TARGET_HANDLE */
	uint64_t start_time;	/* TARGET_HANDLE */
	uint64_t addr;		/* TARGET_ADDR */
};

/* Largest PID accepted: the kernel's PID_MAX_LIMIT on 64-bit, above any
 * pid_max (and what the module's policy allows). */
#define PID_LIMIT	4194304U

/* Digits only in @base (10 or 16, no prefix), value at most @max. */
int parse_uint(const char *s, unsigned int base, uint64_t max, uint64_t *out);
/* Decimal, or hexadecimal with a 0x/0X prefix; value at most @max. */
int parse_num(const char *s, uint64_t max, uint64_t *out);
/* A decimal PID in 1..PID_LIMIT. */
int parse_pid(const char *s, uint32_t *pid);
/* PID, PID@START or 0xADDRESS. */
int parse_target(const char *s, struct target *t);
/* Two targets that name the same process in the same way. */
bool target_equal(const struct target *a, const struct target *b);
/*
 * A duration with a unit, no space: decimal digits then "ms", "s", "m" or
 * "h" ("500ms", "5s", "2m"), in milliseconds, at most @max_ms. A bare
 * number is -EINVAL: "5000" might mean seconds or milliseconds.
 */
int parse_duration(const char *s, uint64_t max_ms, uint64_t *ms);
/*
 * A size in bytes: decimal digits, then nothing (bytes) or K, M, G or T
 * (powers of 1024, either case, an optional trailing "B" or "iB": 512M,
 * 2GiB, 100k). At most UINT64_MAX.
 */
int parse_size(const char *s, uint64_t *bytes);
/* "500ms", "5s", "2m", "1h": the largest unit that divides @ms exactly. */
const char *duration_str(uint64_t ms, char *buf, size_t len);
/*
 * A signal: a name with or without "SIG" (TERM, SIGTERM, any case), or a
 * number from 1 to 64.
 */
int parse_signal(const char *s, int *sig);
/* "SIGTERM", or "signal 40" (into @buf) for one without a name. */
const char *signal_str(int sig, char *buf, size_t len);

#endif
