// SPDX-License-Identifier: GPL-2.0
/*
 * Checked parsers for the command line. Hand-written rather than strtoull():
 * that one skips spaces, accepts a sign (and negates!) and needs errno care.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

static int digit_value(char c, unsigned int base)
{
	unsigned int v;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	else
		return -1;
	return v < base ? (int)v : -1;
}

/* The first @len characters of @s, all digits; junk wins over overflow. */
static int parse_digits(const char *s, size_t len, unsigned int base,
			uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	bool overflow = false;
	size_t i;
	int d;

	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		d = digit_value(s[i], base);
		if (d < 0)
			return -EINVAL;
		if (overflow || (uint64_t)d > max || v > (max - d) / base)
			overflow = true;
		else
			v = v * base + d;
	}
	if (overflow)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_uint(const char *s, unsigned int base, uint64_t max, uint64_t *out)
{
	return parse_digits(s, strlen(s), base, max, out);
}

int parse_num(const char *s, uint64_t max, uint64_t *out)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return parse_uint(s + 2, 16, max, out);
	return parse_uint(s, 10, max, out);
}

static int parse_pid_n(const char *s, size_t len, uint32_t *pid)
{
	uint64_t v;
	int ret;

	ret = parse_digits(s, len, 10, PID_LIMIT, &v);
	if (ret)
		return ret;
	if (!v)
		return -ERANGE;
	*pid = v;
	return 0;
}

int parse_pid(const char *s, uint32_t *pid)
{
	return parse_pid_n(s, strlen(s), pid);
}

int parse_target(const char *s, struct target *t)
{
	const char *at;
	int ret;

	memset(t, 0, sizeof(*t));
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		t->kind = TARGET_ADDR;
		ret = parse_uint(s + 2, 16, UINT64_MAX, &t->addr);
		if (!ret && !t->addr)
			ret = -ERANGE;
		return ret;
	}
	at = strchr(s, '@');
	if (!at) {
		t->kind = TARGET_PID;
		return parse_pid(s, &t->pid);
	}
	t->kind = TARGET_HANDLE;
	ret = parse_pid_n(s, at - s, &t->pid);
	if (ret)
		return ret;
	return parse_uint(at + 1, 10, UINT64_MAX, &t->start_time);
}

bool target_equal(const struct target *a, const struct target *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case TARGET_HANDLE:
		if (a->start_time != b->start_time)
			return false;
		/* fall through */
	case TARGET_PID:
		return a->pid == b->pid;
	case TARGET_ADDR:
		return a->addr == b->addr;
	}
	return false;
}

static const struct {
	const char *suffix;
	uint64_t ms;
} duration_units[] = {
	{ "ms",	1 },
	{ "s",	1000 },
	{ "m",	60 * 1000 },
	{ "h",	60 * 60 * 1000 },
};

int parse_duration(const char *s, uint64_t max_ms, uint64_t *ms)
{
	size_t len = strspn(s, "0123456789"), i;
	uint64_t v;
	int ret;

	if (!len)
		return -EINVAL;
	for (i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
		if (strcmp(s + len, duration_units[i].suffix))
			continue;
		ret = parse_digits(s, len, 10, max_ms / duration_units[i].ms, &v);
		if (ret)
			return ret;
		*ms = v * duration_units[i].ms;
		return 0;
	}
	return -EINVAL;
}

int parse_size(const char *s, uint64_t *bytes)
{
	static const char units[] = "KMGT";
	size_t len = strspn(s, "0123456789");
	const char *unit = s + len, *u;
	unsigned int shift = 0;
	uint64_t v;
	int ret;

	if (*unit) {
		u = strchr(units, toupper((unsigned char)*unit));
		if (!u)
			return -EINVAL;
		shift = 10 * (unsigned int)(u - units + 1);
		unit++;
		if (!strcasecmp(unit, "iB"))
			unit += 2;
		else if (!strcasecmp(unit, "B"))
			unit++;
		if (*unit)
			return -EINVAL;
	}
	ret = parse_digits(s, len, 10, UINT64_MAX >> shift, &v);
	if (ret)
		return ret;
	*bytes = v << shift;
	return 0;
}

const char *duration_str(uint64_t ms, char *buf, size_t len)
{
	static const struct {
		const char *suffix;
		uint64_t ms;
	} units[] = { { "h", 3600000 }, { "m", 60000 }, { "s", 1000 } };
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms && !(ms % units[i].ms)) {
			snprintf(buf, len, "%" PRIu64 "%s", ms / units[i].ms,
				 units[i].suffix);
			return buf;
		}
	}
	snprintf(buf, len, "%" PRIu64 "ms", ms);
	return buf;
}

static const struct {
	const char *name;
	int sig;
} signal_names[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "ILL", SIGILL }, { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
	{ "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
	{ "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
	{ "IO", SIGIO }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
};

#define N_SIGNAL_NAMES (sizeof(signal_names) / sizeof(signal_names[0]))

int parse_signal(const char *s, int *sig)
{
	uint64_t v;
	size_t i;

	if (!parse_uint(s, 10, 64, &v)) {
		if (!v)
			return -ERANGE;
		*sig = (int)v;
		return 0;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (i = 0; i < N_SIGNAL_NAMES; i++) {
		if (!strcasecmp(s, signal_names[i].name)) {
			*sig = signal_names[i].sig;
			return 0;
		}
	}
	return -EINVAL;
}

const char *signal_str(int sig, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < N_SIGNAL_NAMES; i++) {
		if (signal_names[i].sig == sig) {
			snprintf(buf, len, "SIG%s", signal_names[i].name);
			return buf;
		}
	}
	snprintf(buf, len, "signal %d", sig);
	return buf;
}
