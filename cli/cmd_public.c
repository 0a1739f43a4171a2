/*
 * cmd_public.c - embargoctl public add FILE... | public list | public drop NAME
 *
 * Public text (SPEC 4): past advisories and other text already public,
 * loaded by the administrator, whose word runs never count towards
 * "quotes an advisory under embargo".  A file is one message or an mbox
 * of many, a folder a maildir (or any folder of message files); its runs
 * are filed under its base name, and each change is audited.  How it fails: exit 2 (usage, config, store), with why.
 */

/* System library. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

/* Utility library. */
#include <gmime/gmime.h>

/* Application-specific. */
#include "cli.h"
#include "../reader/reader.h"
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

/* What one "public add" has read so far. */
struct adding {
	struct store_txn *t;
	const unsigned char *key;
	struct policy_limits lim;
	const char *name;		/* the source: the file's base name */
	size_t	nmsg, runs, unread, next_say;
};

/* add_messages - every message of one file (one, or an mbox of many) */

static int
add_messages(struct adding *ad, const char *path, struct em_err *err)
{
	struct buf data;
	const char *msg;
	size_t pos = 0, mlen, n;
	int rc;

	buf_init(&data);
	if ((rc = cli_read_all(path, BUF_MAX - 1, &data, err)) < 0) {
		buf_free(&data);
		return rc;
	}
	while (rc == EM_OK && next_message(data.data ? data.data : "", data.len,
	    &pos, &msg, &mlen)) {
		struct facts f;
		struct em_err perr = { "" };

		facts_init(&f);
		/* Read as the milter reads mail: in the confined reader. */
		int prc = reader_read(msg, mlen, &ad->lim, &f, &perr);

		if (prc == EM_EIO) {
			/* The reader's fault, not the message's: stop. */
			facts_free(&f);
			rc = em_fail(err, EM_EIO, "%s", perr.msg);
			break;
		}
		if (prc == EM_OK) {
			rc = store_public_add_text(ad->t, ad->key, f.text.data ?
			    f.text.data : "", f.text.len, ad->name, &n, err);
			ad->runs += n;
			ad->nmsg++;
		} else {
			ad->unread++;	/* counted and said, never dropped unsaid */
		}
		facts_free(&f);
		if (ad->nmsg >= ad->next_say) {
			fprintf(stderr, "embargoctl: public add %s: %zu messages, "
			    "%zu word runs so far\n", ad->name, ad->nmsg, ad->runs);
			ad->next_say += 1000;
		}
	}
	buf_free(&data);
	return rc;
}

/* by_name - qsort() order of file names */

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * add_dir - a maildir (its cur/ and new/) or any folder of message files,
 * in name order
 */
static int
add_dir(struct adding *ad, const char *path, struct em_err *err)
{
	static const char *const subs[] = { "cur", "new", "." };
	int rc = EM_OK;

	for (size_t k = 0; k < 3 && rc == EM_OK; k++) {
		char *dir = xasprintf("%s/%s", path, subs[k]);
		DIR *d = opendir(dir);
		struct dirent *e;
		struct strv names = { 0 };

		while (d != NULL && (e = readdir(d)) != NULL) {
			char *f = xasprintf("%s/%s", dir, e->d_name);
			struct stat st;

			if (e->d_name[0] != '.' && stat(f, &st) == 0 &&
			    S_ISREG(st.st_mode))
				strv_push(&names, f);
			free(f);
		}
		if (d != NULL)
			(void)closedir(d);
		if (names.n > 0)
			qsort(names.v, names.n, sizeof(*names.v), by_name);
		for (size_t i = 0; i < names.n && rc == EM_OK; i++)
			rc = add_messages(ad, names.v[i], err);
		strv_free(&names);
		free(dir);
	}
	return rc;
}

/*
 * add_source - one file (a message or an mbox) or folder (a maildir), in
 * one transaction, audited; its runs filed under its base name
 */
static int
add_source(const struct opts *o, const struct config *cfg, struct store *s,
    const unsigned char *key, const char *path)
{
	struct adding ad = { NULL, key, policy_limits_of(cfg), base_name(path),
	    0, 0, 0, 1000 };
	struct store_audit a = { 0 };
	struct em_err err;
	struct stat st;
	char why[400];
	int rc;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "embargoctl: cannot read %s: %s\n", path,
		    strerror(errno));
		return EXIT_USAGE;
	}
	if (reader_start(cfg, &err) < 0 ||
	    store_begin(s, true, &ad.t, &err) < 0) {
		fprintf(stderr, "embargoctl: %s\n", err.msg);
		reader_stop();
		return EXIT_USAGE;
	}
	em_err_clear(&err);
	rc = S_ISDIR(st.st_mode) ? add_dir(&ad, path, &err) :
	    add_messages(&ad, path, &err);
	reader_stop();
	(void)snprintf(why, sizeof(why), "public text %s: %zu message(s), "
	    "%zu word runs, added by %s%s", ad.name, ad.nmsg, ad.runs,
	    cli_operator(), ad.unread ? "; some could not be read as mail" : "");
	a.time = time(NULL);
	a.event = "public-added";
	a.sender = cli_operator();
	a.decision = "public-added";
	a.reason = why;
	if (rc == EM_OK)
		rc = store_audit_append(ad.t, &a, &err);
	if (cli_finish(ad.t, rc, &err) != EXIT_OK)
		return EXIT_USAGE;
	cli_say(o, "%s", why);
	if (ad.unread > 0)
		fprintf(stderr, "embargoctl: public add %s: %zu message(s) could "
		    "not be read as mail and were left out\n", ad.name, ad.unread);
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
	if (cli_finish(t, store_audit_append(t, &a, &err), &err) != EXIT_OK)
		return EXIT_USAGE;
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
			rc = add_source(o, cfg, s, key, argv[i]);
	} else if (strcmp(argv[1], "drop") == 0) {
		rc = drop(o, s, argv[2]);
	} else if (store_begin(s, false, &t, &err) == EM_OK) {
		if (!o->json)
			printf("%-40s %8s\n", "NAME", "RUNS");
		if (store_public_sources(t, src_cb, &l) < 0) {
			fprintf(stderr, "embargoctl: public list: the state store "
			    "could not be read\n");
			rc = EXIT_USAGE;
		}
		store_abort(t);
	} else {
		fprintf(stderr, "embargoctl: %s\n", err.msg);
		rc = EXIT_USAGE;
	}
	cli_close(cfg, s);
	return rc;
}
