/*
 * cmd_public.c - embargoctl public add FILE... | public list | public drop NAME
 *
 * Public text (SPEC 4): past advisories and other text already public,
 * loaded by the administrator, whose word runs never count towards
 * "quotes an advisory under embargo".  A file is one message or an mbox
 * of many; its runs are filed under the file's base name, and each change
 * is audited.  How it fails: exit 2 (usage, config, store), with why.
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Utility library. */
#include <gmime/gmime.h>

/* Application-specific. */
#include "cli.h"
#include "../policy/policy.h"
#include "../store/view.h"

/* next_message - the next message of an mbox ("From " lines), or the file */

static bool
next_message(const char *data, size_t len, size_t *pos, const char **msg,
    size_t *mlen)
{
	const char *p = data + *pos, *end = data + len, *q;

	if (p >= end)
		return false;
	if (end - p >= 5 && memcmp(p, "From ", 5) == 0) {
		/* The mbox separator line belongs to no message. */
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		p = nl ? nl + 1 : end;
	}
	*msg = p;
	for (q = p; q < end; q++)
		if (*q == '\n' && end - q > 5 && memcmp(q + 1, "From ", 5) == 0)
			break;
	*mlen = (size_t)(q - p) + (q < end ? 1 : 0);
	*pos = q < end ? (size_t)(q + 1 - data) : len;
	return true;
}

/* base_name - the last path component */

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* add_file - every message of one file, in one transaction, audited */

static int
add_file(const struct opts *o, const struct config *cfg, struct store *s,
    const unsigned char *key, const char *path)
{
	struct policy_limits lim = policy_limits_of(cfg);
	struct store_audit a = { 0 };
	struct store_txn *t;
	struct em_err err;
	struct buf data;
	const char *msg;
	size_t pos = 0, mlen, nmsg = 0, runs = 0, n;
	char why[400];
	int rc = EM_OK;
	FILE *fp = fopen(path, "r");

	if (fp == NULL) {
		fprintf(stderr, "embargoctl: cannot read %s\n", path);
		return EXIT_USAGE;
	}
	buf_init(&data);
	{
		char chunk[8192];

		while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
			buf_append(&data, chunk, n);
	}
	fclose(fp);
	if (store_begin(s, true, &t, &err) < 0) {
		fprintf(stderr, "embargoctl: %s\n", err.msg);
		buf_free(&data);
		return EXIT_USAGE;
	}
	while (rc == EM_OK && next_message(data.data ? data.data : "", data.len,
	    &pos, &msg, &mlen)) {
		struct facts f;

		facts_init(&f);
		if (policy_read(msg, mlen, &lim, &f, &err) == EM_OK) {
			rc = store_public_add_text(t, key, f.text.data ?
			    f.text.data : "", f.text.len, base_name(path), &n,
			    &err);
			runs += n;
			nmsg++;
		}
		facts_free(&f);
	}
	(void)snprintf(why, sizeof(why), "public text %s: %zu message(s), "
	    "%zu word runs, added by %s", base_name(path), nmsg, runs,
	    cli_operator());
	a.time = time(NULL);
	a.event = "public-added";
	a.sender = cli_operator();
	a.decision = "public-added";
	a.reason = why;
	if (rc < 0 || store_audit_append(t, &a, &err) < 0 ||
	    store_commit(t, &err) < 0) {
		if (rc < 0)
			store_abort(t);
		fprintf(stderr, "embargoctl: %s: %s\n", path, err.msg);
		buf_free(&data);
		return EXIT_USAGE;
	}
	cli_say(o, "%s", why);
	buf_free(&data);
	return EXIT_OK;
}

struct src_list { const struct opts *o; };

/* src_cb - one public text source and its number of runs */

static int
src_cb(const char *source, size_t runs, void *ctx)
{
	struct src_list *l = ctx;

	if (l->o->json) {
		struct cli_json *j = cj_new();

		cj_str(j, "name", source);
		cj_int(j, "runs", (long long)runs);
		cj_print(j);
	} else {
		printf("%-40s %8zu\n", source, runs);
	}
	return 0;
}

/* drop - one source's runs, audited */

static int
drop(const struct opts *o, struct store *s, const char *name)
{
	struct store_audit a = { 0 };
	struct store_txn *t;
	struct em_err err;
	char why[300];
	size_t n;

	if (store_begin(s, true, &t, &err) < 0 ||
	    store_public_drop(t, name, &n, &err) < 0) {
		fprintf(stderr, "embargoctl: %s\n", err.msg);
		return EXIT_USAGE;
	}
	if (n == 0) {
		store_abort(t);
		cli_fail(o, "no public text named %s ('embargoctl public list' "
		    "shows the names)", name);
		return EXIT_FINDING;
	}
	(void)snprintf(why, sizeof(why), "public text %s: %zu word runs "
	    "dropped by %s", name, n, cli_operator());
	a.time = time(NULL);
	a.event = "public-dropped";
	a.sender = cli_operator();
	a.decision = "public-dropped";
	a.reason = why;
	if (store_audit_append(t, &a, &err) < 0 || store_commit(t, &err) < 0) {
		fprintf(stderr, "embargoctl: %s\n", err.msg);
		return EXIT_USAGE;
	}
	cli_say(o, "%s", why);
	return EXIT_OK;
}

/* cmd_public - public add FILE... | public list | public drop NAME */

int
cmd_public(const struct opts *o, int argc, char **argv)
{
	struct src_list l = { o };
	struct config *cfg;
	struct store *s;
	struct store_txn *t;
	struct em_err err;
	unsigned char key[32];
	int rc = EXIT_OK;

	if (argc < 2 || (strcmp(argv[1], "add") == 0 && argc < 3) ||
	    (strcmp(argv[1], "drop") == 0 && argc != 3) ||
	    (strcmp(argv[1], "list") == 0 && argc != 2) ||
	    (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "drop") != 0 &&
	    strcmp(argv[1], "list") != 0)) {
		fprintf(stderr, "embargoctl: public add FILE... | public list | "
		    "public drop NAME\n");
		return EXIT_USAGE;
	}
	if (cli_open(o, &cfg, &s) < 0)
		return EXIT_USAGE;
	if (strcmp(argv[1], "add") == 0) {
		if (store_print_key(cfg->state_dir, key, &err) < 0) {
			fprintf(stderr, "embargoctl: %s\n", err.msg);
			rc = EXIT_USAGE;
		}
		for (int i = 2; i < argc && rc == EXIT_OK; i++)
			rc = add_file(o, cfg, s, key, argv[i]);
	} else if (strcmp(argv[1], "drop") == 0) {
		rc = drop(o, s, argv[2]);
	} else if (store_begin(s, false, &t, &err) == EM_OK) {
		if (!o->json)
			printf("%-40s %8s\n", "NAME", "RUNS");
		(void)store_public_sources(t, src_cb, &l);
		store_abort(t);
	} else {
		fprintf(stderr, "embargoctl: %s\n", err.msg);
		rc = EXIT_USAGE;
	}
	cli_close(cfg, s);
	return rc;
}
