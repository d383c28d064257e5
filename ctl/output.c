// SPDX-License-Identifier: GPL-2.0
/*
 * Shared output helpers.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ipc.h"
#include "output.h"
#include "parse.h"
#include "subcommands.h"

void put_escaped(FILE *f, const char *s)
{
	unsigned char c;

	for (; (c = *s); s++) {
		if (c == '\\')
			fputs("\\\\", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			putc(c, f);
	}
}

/* Length of the valid UTF-8 sequence at @s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are invalid. */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void put_json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len;

	putc('"', f);
	while (*s) {
		if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
		} else if (*s == '\n') {
			fputs("\\n", f);
			s++;
		} else if (*s == '\t') {
			fputs("\\t", f);
			s++;
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s++);
		} else if ((len = utf8_len(s))) {
			fwrite(s, 1, len, f);
			s += len;
		} else {
			fputs("\\ufffd", f);
			s++;
		}
	}
	putc('"', f);
}

static const struct {
	int err;
	const char *word;
	const char *text;
} errors[] = {
	{ ESRCH,	"esrch",	"no such process" },
	{ EPERM,	"eperm",	"access denied" },
	{ EACCES,	"eacces",	"access denied" },
	{ ENOTTY,	"enotty",	"not a process" },
	{ EALREADY,	"ealready",	"already terminating or exited" },
	{ ETIMEDOUT,	"etimedout",	"timed out waiting" },
	{ ENOENT,	"enoent",	"no such request" },
	{ EINVAL,	"einval",	"invalid request" },
	{ EOPNOTSUPP,	"eopnotsupp",	"not supported" },
	{ ENOMEM,	"enomem",	"out of memory" },
	{ EDQUOT,	"edquot",	"a per-user limit was reached" },
	{ ENOSPC,	"enospc",	"the table is full" },
	{ ENODEV,	"enodev",	"the procterm module is being unloaded" },
	{ ERANGE,	"erange",	"value out of range" },
	{ EAGAIN,	"eagain",	"the target kept creating threads or processes; try again" },
	{ EBUSY,	"ebusy",	"busy" },
	{ EINTR,	"eintr",	"interrupted" },
	{ EBADMSG,	"ebadmsg",	"malformed reply from the kernel" },
	{ EMSGSIZE,	"emsgsize",	"message too long" },
	{ EIO,		"eio",		"input/output error" },
};

const char *err_word(int err)
{
	size_t i;

	if (!err)
		return "ok";
	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].err == -err)
			return errors[i].word;
	return "error";
}

const char *err_text(int err)
{
	size_t i;

	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].err == -err)
			return errors[i].text;
	if (err == -IPC_ENOMODULE)
		return "kernel module not loaded (modprobe procterm)";
	return strerror(-err);
}

void report(const char *cmd, const char *what, int err, const char *extack)
{
	const char *text = err_text(err);

	/* An unknown command or attribute is refused by genetlink itself,
	 * without a message; a module refusal always explains. */
	if (err == -EOPNOTSUPP && (!extack || !*extack))
		text = "the loaded procterm module does not support this "
		       "(too old?)";
	fprintf(stderr, "procterm: %s%s%s: %s", cmd, what ? " " : "",
		what ? what : "", text);
	if (extack && *extack && strcasecmp(extack, text))
		fprintf(stderr, ": %s", extack);
	putc('\n', stderr);
}

void report_open(const char *cmd, int err)
{
	if (err == -IPC_ENOMODULE)
		fprintf(stderr, "procterm: %s\n", err_text(err));
	else
		report(cmd, NULL, err, NULL);
}

const char *status_str(uint32_t status, char *buf, size_t len)
{
	snprintf(buf, len, status <= 255 ? "%u" : "0x%08x", status);
	return buf;
}

int option_error(const char *cmd, int c, char *argv[])
{
	const char *opt = argv[optind - 1];

	if (c == ':')
		fprintf(stderr, "procterm: %s: option '%s' needs a value\n",
			cmd, opt);
	else if (optopt >= OPT_LONG)
		fprintf(stderr, "procterm: %s: option '%s' takes no value\n",
			cmd, opt);
	else if (optopt)
		fprintf(stderr, "procterm: %s: unknown option '-%c'\n", cmd,
			optopt);
	else
		fprintf(stderr, "procterm: %s: unknown option '%s'\n", cmd, opt);
	return -PT_EUSAGE;
}

int usage_hint(const char *cmd, int ret)
{
	if (cmd)
		fprintf(stderr, "Try 'procterm %s --help'.\n", cmd);
	else
		fputs("Try 'procterm --help'.\n", stderr);
	return ret;
}

uint32_t pid_max_now(void)
{
	static uint32_t max;
	char buf[32];
	uint64_t v;
	FILE *f;

	if (max)
		return max;
	max = PID_LIMIT;
	f = fopen("/proc/sys/kernel/pid_max", "re");
	if (!f)
		return max;
	if (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = '\0';
		/* PIDs stay below pid_max. */
		if (!parse_uint(buf, 10, PID_LIMIT, &v) && v > 1)
			max = v - 1;
	}
	fclose(f);
	return max;
}

void report_bad_target(const char *cmd, const char *arg, int err,
		       const char *expected)
{
	const char *at = strchr(arg, '@');
	uint32_t pid;

	if (err == -ERANGE && arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X')) {
		fprintf(stderr, "procterm: %s: address '%s' out of range "
			"(1 to 0xffffffffffffffff)\n", cmd, arg);
	} else if (err == -ERANGE) {
		char pidpart[32];

		snprintf(pidpart, sizeof(pidpart), "%.*s",
			 at ? (int)(at - arg) : (int)strlen(arg), arg);
		if (!at || parse_pid(pidpart, &pid))
			fprintf(stderr, "procterm: %s: PID '%s' out of range "
				"(1 to %" PRIu32 ")\n", cmd, pidpart, pid_max_now());
		else
			fprintf(stderr, "procterm: %s: start time in '%s' out of "
				"range\n", cmd, arg);
	} else {
		fprintf(stderr, "procterm: %s: invalid target '%s' (expected %s)\n",
			cmd, arg, expected);
	}
}

int check_pid_range(const char *cmd, const char *arg, uint32_t pid)
{
	char buf[32];

	if (pid <= pid_max_now())
		return 0;
	snprintf(buf, sizeof(buf), "%" PRIu32, pid);
	fprintf(stderr, "procterm: %s: PID '%s' out of range (1 to %" PRIu32 ")\n",
		cmd, strchr(arg, '@') ? buf : arg, pid_max_now());
	return -ERANGE;
}
