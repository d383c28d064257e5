/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared output helpers: escaping, errno words and messages, error reports.
 */
#ifndef PROCTERM_OUTPUT_H
#define PROCTERM_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

/* Backslash, tab, newline, other control bytes and DEL escaped as \\, \t,
 * \n and \xHH; everything else (UTF-8 included) as is. */
void put_escaped(FILE *f, const char *s);
/* A JSON string literal, quotes included; invalid UTF-8 becomes U+FFFD. */
void put_json_string(FILE *f, const char *s);

/* A fixed lower-case word for the --tsv result column: "ok", "esrch", ... */
const char *err_word(int err);
/* A short human description of -errno @err. */
const char *err_text(int err);

/*
 * "procterm: CMD WHAT: description: EXTACK" on stderr, one line; WHAT and
 * EXTACK may be NULL or empty, and an EXTACK that says what the description
 * says is left out.
 */
void report(const char *cmd, const char *what, int err, const char *extack);
/* Why ipc_open() failed. */
void report_open(const char *cmd, int err);

/* getopt_long() returned '?' or ':': say why; returns -PT_EUSAGE. */
int option_error(const char *cmd, int c, char *argv[]);
/* After a usage error's one line: where to read more. Returns @ret. */
int usage_hint(const char *cmd, int ret);
/*
 * parse_target() (or parse_pid()) refused @arg with @err: "invalid", or
 * "out of range" with the range. @expected: what a valid one looks like.
 */
void report_bad_target(const char *cmd, const char *arg, int err,
		       const char *expected);
/* The highest PID: one below /proc/sys/kernel/pid_max (the caller's PID
 * namespace's on kernels that have one per namespace), or PID_LIMIT. */
uint32_t pid_max_now(void);
/* parse_target() accepted @t; a PID above pid_max is out of range:
 * reports it and returns -ERANGE. */
int check_pid_range(const char *cmd, const char *arg, uint32_t pid);

/* An exit status for people: decimal up to 255, 0x%08x beyond. */
const char *status_str(uint32_t status, char *buf, size_t len);

#endif
