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
 * "procterm: CMD WHAT: description (kernel: EXTACK)" on stderr; WHAT and
 * EXTACK may be NULL or empty.
 */
void report(const char *cmd, const char *what, int err, const char *extack);
/* Why ipc_open() failed. */
void report_open(const char *cmd, int err);

/* getopt_long() returned '?' or ':': say why; returns -PT_EUSAGE. */
int option_error(const char *cmd, int c, char *argv[]);

/* An exit status for people: decimal up to 255, 0x%08x beyond. */
const char *status_str(uint32_t status, char *buf, size_t len);

#endif
