// SPDX-License-Identifier: GPL-2.0
/*
 * make check: the command-line parsers, the escapers, and the command
 * lines that must be refused (or answered) before any socket is opened.
 * Nothing here needs the module.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "output.h"
#include "parse.h"

static int failures, checks;

#define CHECK(cond, ...) do {						\
	checks++;							\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);	\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

static void test_parse_num(void)
{
	static const struct {
		const char *s;
		uint64_t max;
		int ret;
		uint64_t v;
	} cases[] = {
		{ "0", UINT32_MAX, 0, 0 },
		{ "7", UINT32_MAX, 0, 7 },
		{ "007", UINT32_MAX, 0, 7 },
		{ "4294967295", UINT32_MAX, 0, UINT32_MAX },
		{ "4294967296", UINT32_MAX, -ERANGE, 0 },
		{ "0xC0000005", UINT32_MAX, 0, 0xc0000005 },
		{ "0Xffffffff", UINT32_MAX, 0, UINT32_MAX },
		{ "0x100000000", UINT32_MAX, -ERANGE, 0 },
		{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
		{ "18446744073709551616", UINT64_MAX, -ERANGE, 0 },
		{ "99999999999999999999999", UINT64_MAX, -ERANGE, 0 },
		{ "", UINT32_MAX, -EINVAL, 0 },
		{ "0x", UINT32_MAX, -EINVAL, 0 },
		{ "-1", UINT32_MAX, -EINVAL, 0 },
		{ "+1", UINT32_MAX, -EINVAL, 0 },
		{ " 1", UINT32_MAX, -EINVAL, 0 },
		{ "1 ", UINT32_MAX, -EINVAL, 0 },
		{ "1x", UINT32_MAX, -EINVAL, 0 },
		{ "12a", UINT32_MAX, -EINVAL, 0 },
		{ "0x1g", UINT32_MAX, -EINVAL, 0 },
		{ "0x-1", UINT32_MAX, -EINVAL, 0 },
		{ "99999999999x", UINT32_MAX, -EINVAL, 0 },
	};
	uint64_t v;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 0;
		ret = parse_num(cases[i].s, cases[i].max, &v);
		CHECK(ret == cases[i].ret, "parse_num(\"%s\") = %d, want %d",
		      cases[i].s, ret, cases[i].ret);
		CHECK(ret || v == cases[i].v, "parse_num(\"%s\") -> %" PRIu64,
		      cases[i].s, v);
	}
	CHECK(parse_uint("ff", 16, 255, &v) == 0 && v == 255, "hex ff");
	CHECK(parse_uint("100", 16, 255, &v) == -ERANGE, "hex 100 > 255");
	CHECK(parse_uint("0x10", 10, 255, &v) == -EINVAL, "no prefix in base 10");
}

static void test_parse_target(void)
{
	static const struct {
		const char *s;
		int ok;
		enum target_kind kind;
		uint32_t pid;
		uint64_t start, addr;
	} cases[] = {
		{ "1", 1, TARGET_PID, 1, 0, 0 },
		{ "1234", 1, TARGET_PID, 1234, 0, 0 },
		{ "4194304", 1, TARGET_PID, 4194304, 0, 0 },
		{ "4194305", 0, 0, 0, 0, 0 },
		{ "0", 0, 0, 0, 0, 0 },
		{ "-1", 0, 0, 0, 0, 0 },
		{ "12x", 0, 0, 0, 0, 0 },
		{ "", 0, 0, 0, 0, 0 },
		{ "1234@98765", 1, TARGET_HANDLE, 1234, 98765, 0 },
		{ "1234@0", 1, TARGET_HANDLE, 1234, 0, 0 },
		{ "1@18446744073709551615", 1, TARGET_HANDLE, 1, UINT64_MAX, 0 },
		{ "1@18446744073709551616", 0, 0, 0, 0, 0 },
		{ "1234@", 0, 0, 0, 0, 0 },
		{ "@5", 0, 0, 0, 0, 0 },
		{ "0@5", 0, 0, 0, 0, 0 },
		{ "1@2@3", 0, 0, 0, 0, 0 },
		{ "1@-2", 0, 0, 0, 0, 0 },
		{ "1@0x10", 0, 0, 0, 0, 0 },
		{ "99999999999999999999@1", 0, 0, 0, 0, 0 },
		{ "0xffff888012345600", 1, TARGET_ADDR, 0, 0, 0xffff888012345600 },
		{ "0XFFFF888012345600", 1, TARGET_ADDR, 0, 0, 0xffff888012345600 },
		{ "0x0", 0, 0, 0, 0, 0 },
		{ "0x", 0, 0, 0, 0, 0 },
		{ "0x1ffff888012345600", 0, 0, 0, 0, 0 },
		{ "0xffff88801234560z", 0, 0, 0, 0, 0 },
		{ "0x12@3", 0, 0, 0, 0, 0 },
	};
	struct target t;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ret = parse_target(cases[i].s, &t);
		CHECK((!ret) == cases[i].ok, "parse_target(\"%s\") = %d",
		      cases[i].s, ret);
		if (ret || !cases[i].ok)
			continue;
		CHECK(t.kind == cases[i].kind && t.pid == cases[i].pid &&
		      t.start_time == cases[i].start && t.addr == cases[i].addr,
		      "parse_target(\"%s\") -> kind %d pid %" PRIu32
		      " start %" PRIu64 " addr 0x%" PRIx64, cases[i].s, t.kind,
		      t.pid, t.start_time, t.addr);
	}
}

static void test_parse_duration(void)
{
	static const struct {
		const char *s;
		int ret;
		uint64_t ms;
	} cases[] = {
		{ "500ms", 0, 500 },
		{ "0ms", 0, 0 },
		{ "5s", 0, 5000 },
		{ "2m", 0, 120000 },
		{ "1h", 0, 3600000 },
		{ "1193h", 0, 1193ULL * 3600000 },
		{ "4294967295ms", 0, UINT32_MAX },
		{ "4294967296ms", -ERANGE, 0 },
		{ "1194h", -ERANGE, 0 },
		{ "4294968s", -ERANGE, 0 },
		{ "5000", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "ms", -EINVAL, 0 },
		{ "5", -EINVAL, 0 },
		{ "5sec", -EINVAL, 0 },
		{ "5S", -EINVAL, 0 },
		{ "5 s", -EINVAL, 0 },
		{ " 5s", -EINVAL, 0 },
		{ "-5s", -EINVAL, 0 },
		{ "+5s", -EINVAL, 0 },
		{ "1.5s", -EINVAL, 0 },
		{ "5d", -EINVAL, 0 },
		{ "5mss", -EINVAL, 0 },
		{ "0x10s", -EINVAL, 0 },
	};
	uint64_t v;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 0;
		ret = parse_duration(cases[i].s, UINT32_MAX, &v);
		CHECK(ret == cases[i].ret, "parse_duration(\"%s\") = %d, want %d",
		      cases[i].s, ret, cases[i].ret);
		CHECK(ret || v == cases[i].ms, "parse_duration(\"%s\") -> %" PRIu64,
		      cases[i].s, v);
	}
}

static void test_target_equal(void)
{
	struct target a, b;

	parse_target("1234", &a);
	parse_target("01234", &b);
	CHECK(target_equal(&a, &b), "1234 == 01234");
	parse_target("1234@5", &b);
	CHECK(!target_equal(&a, &b), "1234 != 1234@5");
	parse_target("1234@05", &a);
	CHECK(target_equal(&a, &b), "1234@05 == 1234@5");
	parse_target("1234@6", &a);
	CHECK(!target_equal(&a, &b), "1234@6 != 1234@5");
	parse_target("0xFFFF888000001000", &a);
	parse_target("0xffff888000001000", &b);
	CHECK(target_equal(&a, &b), "address case");
	parse_target("0x1234", &a);
	parse_target("4660", &b);
	CHECK(!target_equal(&a, &b), "0x1234 is an address, not PID 4660");
}

static void check_output(void (*put)(FILE *, const char *), const char *in,
			 const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f) {
		perror("open_memstream");
		exit(2);
	}
	put(f, in);
	fclose(f);
	CHECK(!strcmp(buf, want), "escaped \"%s\" as [%s], want [%s]", in, buf,
	      want);
	free(buf);
}

static void test_escape(void)
{
	check_output(put_escaped, "bash", "bash");
	check_output(put_escaped, "a\tb\nc\\d", "a\\tb\\nc\\\\d");
	check_output(put_escaped, "\x1b[31m\x7f", "\\x1b[31m\\x7f");
	check_output(put_escaped, "caf\xc3\xa9", "caf\xc3\xa9");
	check_output(put_json_string, "bash", "\"bash\"");
	check_output(put_json_string, "a\"b\\c", "\"a\\\"b\\\\c\"");
	check_output(put_json_string, "a\tb\n\x01", "\"a\\tb\\n\\u0001\"");
	check_output(put_json_string, "caf\xc3\xa9", "\"caf\xc3\xa9\"");
	check_output(put_json_string, "\xe2\x82\xac", "\"\xe2\x82\xac\"");
	/* Truncated at 15 bytes, a sequence may be cut. */
	check_output(put_json_string, "ab\xe2\x82", "\"ab\\ufffd\\ufffd\"");
	check_output(put_json_string, "\xc0\xaf", "\"\\ufffd\\ufffd\"");
	check_output(put_json_string, "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	check_output(put_json_string, "\xff", "\"\\ufffd\"");
}

/* Run procterm with @args; its exit status, or -1. Its standard output
 * and error, interleaved, go to @out, a new file read from its start. */
static int run(const char *procterm, const char *const *args, FILE **outp)
{
	FILE *out;
	posix_spawn_file_actions_t fa;
	char *argv[16];
	int i, status;
	pid_t pid;

	argv[0] = (char *)procterm;
	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;

	out = tmpfile();
	if (!out) {
		perror("tmpfile");
		exit(2);
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fileno(out), 1);
	posix_spawn_file_actions_adddup2(&fa, fileno(out), 2);
	if (posix_spawn(&pid, procterm, &fa, NULL, argv, NULL)) {
		perror(procterm);
		exit(2);
	}
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		status = -1;
	else
		status = WEXITSTATUS(status);
	rewind(out);
	*outp = out;
	return status;
}

/* The captured output, indented, on stderr: what a failure looked like. */
static void show_output(FILE *out)
{
	char line[512];

	while (fgets(line, sizeof(line), out))
		fprintf(stderr, "    | %s%s", line,
			strchr(line, '\n') ? "" : "\n");
}

/* Does the captured output contain @s? */
static bool output_has(FILE *out, const char *s)
{
	char line[512];
	bool found = false;

	while (!found && fgets(line, sizeof(line), out))
		found = strstr(line, s);
	rewind(out);
	return found;
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_command_line(const char *procterm)
{
	const struct {
		const char *const *args;
		int status;
		const char *says;	/* in the output, or NULL */
	} cases[] = {
		{ (const char *const[]){ NULL }, 1, NULL },
		{ ARGS("--help"), 0, NULL },
		{ ARGS("-h"), 0, NULL },
		{ ARGS("--version"), 0, NULL },
		{ ARGS("version"), 0, NULL },
		{ ARGS("help"), 0, NULL },
		{ ARGS("help", "kill"), 0, NULL },
		{ ARGS("help", "pending"), 0, NULL },
		{ ARGS("kill", "--help"), 0, NULL },
		{ ARGS("list", "-h"), 0, NULL },
		{ ARGS("cancel", "--help"), 0, NULL },
		{ ARGS("--debug", "--help"), 0, NULL },
		{ ARGS(""), 1, NULL },
		{ ARGS("bogus"), 1, NULL },
		{ ARGS("--bogus"), 1, NULL },
		{ ARGS("help", "bogus"), 1, NULL },
		{ ARGS("help", "kill", "list"), 1, NULL },
		{ ARGS("kill"), 1, NULL },
		{ ARGS("kill", "--tree"), 1, NULL },
		{ ARGS("kill", "abc"), 1, "invalid target 'abc'" },
		{ ARGS("kill", "1", "abc"), 1, NULL },
		{ ARGS("kill", "0"), 1, NULL },
		{ ARGS("kill", "-5"), 1, NULL },
		{ ARGS("kill", "4294967297"), 1, NULL },
		{ ARGS("kill", "1@"), 1, NULL },
		{ ARGS("kill", "0x"), 1, NULL },
		{ ARGS("kill", "--status"), 1, NULL },
		{ ARGS("kill", "--status", "x", "1"), 1, "invalid exit status 'x'" },
		{ ARGS("kill", "--status=4294967296", "1"), 1, NULL },
		{ ARGS("kill", "--status", "-1", "1"), 1, NULL },
		{ ARGS("kill", "--status=256", "1"), 1, "would see 0" },
		{ ARGS("kill", "--status", "0xC0000005", "1"), 1, "would see 5" },
		{ ARGS("kill", "--status", "0x100", "--wait", "1"), 1, "--full-status" },
		{ ARGS("kill", "--full-status", "1"), 1, "needs --status" },
		{ ARGS("kill", "--full-status=1", "--status", "300", "1"), 1, NULL },
		/* The old --wait[=MS]: never a timeout, never a silent kill. */
		{ ARGS("kill", "--wait=", "1"), 1, "--timeout" },
		{ ARGS("kill", "--wait=1s", "1"), 1, "--timeout" },
		{ ARGS("kill", "--wait=5000", "1"), 1, "--timeout 5000ms" },
		{ ARGS("kill", "--wai=5000", "1"), 1, "--timeout 5000ms" },
		{ ARGS("kill", "--wait", "5000", "1"), 1, "ambiguous" },
		{ ARGS("kill", "--tsv", "--wait", "5000", "1"), 1, "ambiguous" },
		{ ARGS("kill", "1", "--wait", "5000"), 1, "ambiguous" },
		{ ARGS("kill", "--wait", "5000ms", "1"), 1, "--timeout" },
		{ ARGS("kill", "--timeout"), 1, "needs a value" },
		{ ARGS("kill", "--timeout", "5000", "1"), 1, "needs a unit" },
		{ ARGS("kill", "--timeout=5000", "1"), 1, "needs a unit" },
		{ ARGS("kill", "--timeout", "0ms", "1"), 1, "invalid timeout '0ms'" },
		{ ARGS("kill", "--timeout", "5sec", "1"), 1, "invalid timeout '5sec'" },
		{ ARGS("kill", "--timeout", "-5s", "1"), 1, "invalid timeout '-5s'" },
		{ ARGS("kill", "--timeout", "1194h", "1"), 1, "invalid timeout" },
		{ ARGS("kill", "--timeout", "1", "5s"), 1, NULL },
		{ ARGS("kill", "--tree=yes", "1"), 1, NULL },
		{ ARGS("kill", "--frobnicate", "1"), 1, NULL },
		{ ARGS("kill", "-x", "1"), 1, NULL },
		{ ARGS("list", "--json", "--tsv"), 1, NULL },
		{ ARGS("list", "abc"), 1, "invalid PID 'abc'" },
		{ ARGS("list", "--bogus"), 1, NULL },
		{ ARGS("pending", "1"), 1, NULL },
		{ ARGS("pending", "--json", "--tsv"), 1, NULL },
		{ ARGS("cancel"), 1, NULL },
		{ ARGS("cancel", "0"), 1, NULL },
		{ ARGS("cancel", "x"), 1, "invalid request ID 'x'" },
		{ ARGS("cancel", "18446744073709551616"), 1, NULL },
		/* One line of error, then where to read more. */
		{ ARGS("bogus"), 1, "Try 'procterm --help'." },
		{ ARGS("kill", "--frobnicate", "1"), 1, "Try 'procterm kill --help'." },
		{ ARGS("kill", "0"), 1, "PID '0' out of range (1 to " },
		{ ARGS("kill", "4194305"), 1, "PID '4194305' out of range" },
		{ ARGS("kill", "0x0"), 1, "address '0x0' out of range" },
		{ ARGS("kill", "--json", "--tsv", "1"), 1, "exclude each other" },
		{ ARGS("kill", "--dry-run", "--wait", "1"), 1, "--dry-run takes only" },
		{ ARGS("list", "0"), 1, "PID '0' out of range" },
		{ ARGS("help", "why"), 0, "--json" },
		{ ARGS("why", "--help"), 0, NULL },
		{ ARGS("why"), 1, "no PID given" },
		{ ARGS("why", "abc"), 1, "invalid target 'abc'" },
		{ ARGS("why", "0x10"), 1, NULL },
		{ ARGS("why", "0"), 1, "out of range" },
		{ ARGS("why", "--bogus"), 1, "Try 'procterm why --help'." },
	};
	size_t i, j;
	int status;
	FILE *out;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		status = run(procterm, cases[i].args, &out);
		checks++;
		if (status == cases[i].status &&
		    (!cases[i].says || output_has(out, cases[i].says))) {
			fclose(out);
			continue;
		}
		failures++;
		fprintf(stderr, "FAIL: procterm");
		for (j = 0; cases[i].args[j]; j++)
			fprintf(stderr, " '%s'", cases[i].args[j]);
		fprintf(stderr, " exited %d, want %d", status, cases[i].status);
		if (cases[i].says)
			fprintf(stderr, " saying \"%s\"", cases[i].says);
		fputs("; its output:\n", stderr);
		show_output(out);
		fclose(out);
	}
}

int main(int argc, char *argv[])
{
	test_parse_num();
	test_parse_target();
	test_parse_duration();
	test_target_equal();
	test_escape();
	if (argc > 1)
		test_command_line(argv[1]);
	printf("selftest: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
