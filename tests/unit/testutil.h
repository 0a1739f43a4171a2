/*
 * testutil.h - helpers shared by the unit tests: a config written to a
 * temporary file and loaded, and the example config's text.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../util/em.h"
#include "../../conf/conf.h"

/* test_read_file - a file of the tree (tests run from its top) into b */
static inline void
test_read_file(const char *path, struct buf *b)
{
	char chunk[4096];
	size_t n;
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	buf_init(b);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(b, chunk, n);
	fclose(fp);
}

/* test_shv - one shell command's exit status */
static inline int
test_shv(const char *fmt, va_list ap)
{
	char *cmd = xvasprintf(fmt, ap);
	int rc = system(cmd);

	free(cmd);
	return rc;
}

/* test_sh - one shell command, which must succeed */
static inline void
test_sh(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = test_shv(fmt, ap);
	va_end(ap);
	assert_int_equal(rc, 0);
}

/* test_sh_fails - one shell command, which must fail */
static inline void
test_sh_fails(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = test_shv(fmt, ap);
	va_end(ap);
	assert_int_not_equal(rc, 0);
}

/* test_pin - the n characters a command prints first (out: n + 1) */
static inline void
test_pin(const char *cmd, char *out, size_t n)
{
	FILE *p = popen(cmd, "r");

	assert_non_null(p);
	assert_non_null(fgets(out, (int)n + 1, p));
	assert_int_equal(pclose(p), 0);
	assert_int_equal(strlen(out), n);
}

/* test_fpr - the 40-character fingerprint a command prints first */
static inline void
test_fpr(const char *cmd, char fpr[41])
{
	test_pin(cmd, fpr, 40);
}

#define TEST_FPR_TEAM	"1111111111111111111111111111111111111111"
#define TEST_FPR_LIST	"2222222222222222222222222222222222222222"
#define TEST_FPR_A	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define TEST_FPR_B	"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

/* A valid config; %s is inserted before the members (extra settings). */
#define TEST_CONF_FMT \
	"socket = \"inet:8894@127.0.0.1\"\n" \
	"state_dir = \"/tmp/em-state\"\n" \
	"gnupg_home = \"/tmp/em-state/gnupg\"\n" \
	"%s\n" \
	"team {\n" \
	"  addresses = { \"security@example.org\" }\n" \
	"  keys = { \"" TEST_FPR_TEAM "\" }\n" \
	"}\n" \
	"list predisclosure {\n" \
	"  address = \"predisclosure@lists.example.org\"\n" \
	"  key = \"" TEST_FPR_LIST "\"\n" \
	"}\n" \
	"member \"Example Cloud\" {\n" \
	"  address = \"security@cloud.example\"\n" \
	"  key = \"" TEST_FPR_A "\"\n" \
	"}\n" \
	"member \"Example Linux\" {\n" \
	"  address = \"secalert@linux.example\"\n" \
	"  key = \"" TEST_FPR_B "\"\n" \
	"}\n" \
	"public_lists = { \"announce@lists.example.org\", \"oss-security@lists.example.net\" }\n"

/* test_conf_write - write text to a fresh temp file; caller unlinks */
static inline char *
test_conf_write(const char *text)
{
	char tmpl[] = "/tmp/em-test-XXXXXX";
	int fd = mkstemp(tmpl);
	FILE *fp;

	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return xstrdup(tmpl);
}

/* test_conf_load - load text; returns the config (NULL on errors) */
static inline struct config *
test_conf_load(const char *text, struct conf_report *rep)
{
	char *path = test_conf_write(text);
	struct config *cfg = NULL;

	(void)conf_load(path, &cfg, rep);
	unlink(path);
	free(path);
	return cfg;
}

/* test_conf_with - the standard test config plus extra settings */
static inline struct config *
test_conf_with(const char *extra, struct conf_report *rep)
{
	char *text = xasprintf(TEST_CONF_FMT, extra);
	struct config *cfg = test_conf_load(text, rep);

	free(text);
	return cfg;
}

/* test_report_has - does any problem text contain needle */
static inline int
test_report_has(const struct conf_report *rep, const char *needle)
{
	for (size_t i = 0; i < rep->n; i++)
		if (strstr(rep->v[i].text, needle) != NULL)
			return 1;
	return 0;
}

#endif
