/*
 * cmd_check.c - embargoctl check and dry-run: the config as a start would
 * load it (and, SPEC 4, each advisory under embargo's standard sections
 * that are its text alone, as its receipt named them), and a message as
 * the milter would decide it, changing nothing
 */

/* System library. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Utility library. */
#include <gmime/gmime.h>

/* Application-specific. */
#include "cli.h"
#include "../keys/keys.h"
#include "../reader/reader.h"
#include "../policy/policy.h"
#include "../policy/match.h"
#include "../store/view.h"
#include "../util/emtime.h"

/*
 * latest_post - the id of advisory id's latest sealed post (its list
 * "posts", one "REVISION POST-ID" a line, appended by each fan-out); 0
 * when none is kept (registered with embargoctl alone)
 */
static int
latest_post(struct store_txn *t, const char *id, uint64_t *post,
    struct em_err *err)
{
	struct strv v = { NULL, 0 };
	int rc;

	*post = 0;
	if ((rc = store_adv_list_get(t, "posts", id, &v, err)) < 0)
		return rc;
	for (size_t i = 0; i < v.n; i++) {
		const char *sp = strchr(v.v[i], ' ');
		uint64_t pid = sp ? strtoull(sp + 1, NULL, 10) : 0;

		if (pid != 0)
			*post = pid;
	}
	if (v.n > 0 && *post == 0)
		rc = em_fail(err, EM_ESTORE, "meta posts:%s names no post", id);
	strv_free(&v);
	return rc;
}

/*
 * post_text - the text of advisory id's latest post into f, read as the
 * receipt read it: unsealed, unpacked, its entity read and the parts for
 * the list decrypted (as the leak guard reads a kept post); *none when no
 * post is kept
 */
static int
post_text(const struct config *cfg, struct store_txn *t, const char *id,
    struct facts *f, bool *none, struct em_err *err)
{
	struct policy_limits lim = policy_limits_of(cfg);
	struct buf sealed, plain;
	struct store_post p;
	uint64_t pid;
	int rc;

	if ((rc = latest_post(t, id, &pid, err)) < 0 || (*none = pid == 0))
		return rc;
	buf_init(&sealed);
	buf_init(&plain);
	memset(&p, 0, sizeof(p));
	if ((rc = store_blob_get(t, STORE_BLOB_POST, pid, &sealed, err)) ==
	    EM_OK && (rc = keys_unseal(sealed.data, sealed.len, &plain,
	    err)) == EM_OK && (rc = store_post_unpack(plain.data, plain.len,
	    &p)) < 0)
		(void)em_fail(err, rc, "its sealed post %llu is damaged",
		    (unsigned long long)pid);
	if (rc == EM_OK)
		rc = policy_read(p.entity, p.entity_len, &lim, f, err);
	if (rc == EM_OK && f->n_crypt > 0)
		rc = keys_read_crypt(cfg, &lim, f, err);
	store_post_free(&p);
	buf_free(&plain);
	buf_free(&sealed);
	return rc;
}

/*
 * thin_of - advisory id's standard sections that are its text alone, as
 * a warning with the cure (the receipt's note); a post that cannot be
 * read, or a lookup that fails, is an error naming id and why
 */
static void
thin_of(const struct config *cfg, struct store_txn *t,
    const unsigned char *key, const char *id, time_t now,
    struct conf_report *rep)
{
	struct em_err err;
	struct facts f;
	struct buf note;
	bool none = false;
	int rc;

	em_err_clear(&err);
	facts_init(&f);
	buf_init(&note);
	rc = post_text(cfg, t, id, &f, &none, &err);
	if (rc == EM_OK && !none)
		rc = store_thin_note(t, key, id, f.text.data ? f.text.data : "",
		    f.text.len, now, &note, &err);
	if (rc < 0)
		conf_report_add(rep, false, "%s is under embargo, but its "
		    "standard sections cannot be checked: %s", id, err.msg);
	else if (note.len > 0)
		conf_report_add(rep, true, "%.*s", (int)note.len, note.data);
	buf_free(&note);
	facts_free(&f);
}

/*
 * cli_check_thin - SPEC 4: for each advisory under embargo at now, its
 * standard sections that are its text alone, read from its latest post;
 * nothing while no public text is loaded (the warning of that says it
 * all, as the receipt does)
 */
void
cli_check_thin(const struct config *cfg, struct store *s, time_t now,
    struct conf_report *rep)
{
	struct strv ids = { NULL, 0 };
	unsigned char key[32];
	struct store_txn *t;
	struct em_err err;

	em_err_clear(&err);
	if (store_begin(s, false, &t, &err) < 0) {
		conf_report_add(rep, false, "the advisories under embargo cannot "
		    "be checked: %s", err.msg);
		return;
	}
	if (!store_public_any(t)) {
		store_abort(t);
		return;
	}
	if (store_print_key(cfg->state_dir, key, &err) < 0 ||
	    store_adv_embargoed(t, now, &ids, &err) < 0)
		conf_report_add(rep, false, "the advisories under embargo cannot "
		    "be checked: %s", err.msg);
	else
		for (size_t i = 0; i < ids.n; i++)
			thin_of(cfg, t, key, ids.v[i], now, rep);
	store_abort(t);
	strv_free(&ids);
}

/* check_state - what check says of the state: public text, thin sections */

static void
check_state(const struct config *cfg, struct conf_report *rep)
{
	char *path = xasprintf("%s/data.mdb", cfg->state_dir);
	struct store *s;
	struct em_err err;

	store_check_public(cfg, rep);
	if (access(path, F_OK) == 0) {	/* else no state yet: said above */
		if (store_open(cfg->state_dir, cfg->state_map_size, &s,
		    &err) < 0) {
			conf_report_add(rep, false, "the advisories under embargo "
			    "cannot be checked: %s", err.msg);
		} else {
			cli_check_thin(cfg, s, time(NULL), rep);
			store_close(s);
		}
	}
	free(path);
}

/* print_check - the report, as text or JSON; ok: no error */

static void
print_check(const struct opts *o, const struct config *cfg,
    const struct conf_report *rep, bool ok)
{
	if (o->json) {
		struct cli_json *j = cj_new();

		cj_str(j, "config", o->conf);
		cj_bool(j, "ok", ok);
		cj_int(j, "errors", (long long)rep->errors);
		cj_int(j, "warnings", (long long)rep->warnings);
		cj_array(j, "problems");
		for (size_t i = 0; i < rep->n; i++) {
			cj_item(j);
			cj_str(j, "severity", rep->v[i].warning ? "warning" :
			    "error");
			cj_str(j, "text", rep->v[i].text);
			cj_item_end(j);
		}
		cj_array_end(j);
		cj_print(j);
		return;
	}
	for (size_t i = 0; i < rep->n; i++)
		fprintf(stderr, "embargoctl: %s\n", rep->v[i].text);
	if (ok)
		printf("%s: configuration ok (%zu members, %zu warnings)\n",
		    o->conf, cfg->n_members, rep->warnings);
	else
		fprintf(stderr, "embargoctl: %s: %zu error(s)\n", o->conf,
		    rep->errors);
}

/* cmd_check - validate and list every problem */

int
cmd_check(const struct opts *o)
{
	struct conf_report rep = { 0 };
	struct config *cfg = cli_load_report(o, &rep, true);
	bool ok;

	if (cfg != NULL)
		check_state(cfg, &rep);
	ok = cfg != NULL && rep.errors == 0;
	print_check(o, cfg, &rep, ok);
	conf_report_free(&rep);
	conf_free(cfg);
	return ok ? EXIT_OK : EXIT_USAGE;
}

/* What --explain found of one line of the message's text. */
struct expl_line {
	size_t	line;
	enum policy_run_kind kind;
	char	advisory[POLICY_ID_MAX];
};
struct explain {
	struct expl_line *v;
	size_t	n;
};

/* explain_cb - policy_match_explain() work: one entry per line, its first */

static void
explain_cb(size_t line, enum policy_run_kind kind, const char *advisory,
    void *ctx)
{
	struct explain *e = ctx;

	if (e->n > 0 && e->v[e->n - 1].line == line)
		return;
	e->v = xrealloc(e->v, (e->n + 1) * sizeof(*e->v));
	e->v[e->n].line = line;
	e->v[e->n].kind = kind;
	(void)snprintf(e->v[e->n].advisory, sizeof(e->v[e->n].advisory), "%s",
	    advisory);
	e->n++;
}

/*
 * decide_with_view - policy_decide() on the registry, as the milter does;
 * with e, also what the leak guard made of each line of the text
 */
static void
decide_with_view(const struct config *cfg, const struct facts *f,
    const struct policy_envelope *env, struct policy_decision *d,
    struct explain *e)
{
	struct store *s = cli_store(cfg);
	unsigned char key[32];
	struct store_view v;
	struct policy_view pv;
	struct em_err err;

	if (s == NULL || store_print_key(cfg->state_dir, key, &err) < 0 ||
	    store_view_open(&v, &pv, s, key, time(NULL), &err) < 0) {
		memset(d, 0, sizeof(*d));
		d->verdict = POLICY_TEMPFAIL;
		memcpy(d->rcode, "451", 4);
		memcpy(d->xcode, "4.3.0", 6);
		(void)snprintf(d->reply, sizeof(d->reply), "state store not "
		    "available");
		store_close(s);
		return;
	}
	policy_decide(cfg, f, env, &pv, v.now, d);
	if (e != NULL && f->text.len > 0)
		(void)policy_match_explain(&pv, f->text.data, f->text.len,
		    explain_cb, e, &err);
	store_view_close(&v);
	store_close(s);
}

/* text_line - line k of text (0-based), its length in *n */

static const char *
text_line(const struct buf *text, size_t k, size_t *n)
{
	const char *p = text->data ? text->data : "", *end = p + text->len;

	for (; k > 0 && p < end; k--) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		p = nl ? nl + 1 : end;
	}
	{
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		*n = (size_t)((nl ? nl : end) - p);
	}
	return p;
}

/*
 * print_explain - each line of the message a word run of which the leak
 * guard knows: the advisory its run is filed under (and so counts), or
 * what cleared it (public text, two advisories).  Only the message's own
 * lines are shown, never an advisory's other text.
 */
static void
print_explain(const struct opts *o, const struct facts *f,
    const struct explain *e)
{
	static const char *const why[] = { "counts for", "public: in two or "
	    "more advisories, first", "public text" };
	struct cli_json *j = o->json ? cj_new() : NULL;

	if (j != NULL)
		cj_array(j, "explain");
	else
		printf("explain:  %zu line(s) of the message share word runs "
		    "with advisories or public text\n", e->n);
	for (size_t i = 0; i < e->n; i++) {
		size_t n;
		const char *p = text_line(&f->text, e->v[i].line, &n);
		char *line = xstrndup(p, n > 200 ? 200 : n);

		if (j != NULL) {
			cj_item(j);
			cj_int(j, "line", (long long)e->v[i].line + 1);
			cj_str(j, "cleared", e->v[i].kind == POLICY_RUN_SECRET ?
			    NULL : e->v[i].kind == POLICY_RUN_SHARED ?
			    "two-advisories" : "public-text");
			cj_str(j, "advisory", e->v[i].advisory);
			cj_str(j, "text", line);
			cj_item_end(j);
		} else {
			printf("  line %zu, %s %s: %s\n", e->v[i].line + 1,
			    why[e->v[i].kind], e->v[i].advisory[0] ?
			    e->v[i].advisory : "-", line);
		}
		free(line);
	}
	if (j != NULL) {
		cj_array_end(j);
		cj_print(j);
	}
}

/* dry_run_exit - the exit status of a verdict */

static int
dry_run_exit(enum policy_verdict v)
{
	switch (v) {
	case POLICY_PASS:	return EXIT_OK;
	case POLICY_REJECT:	return EXIT_FINDING;
	case POLICY_HOLD:	return EXIT_HOLD;
	case POLICY_FANOUT:
	case POLICY_DISCUSS:	return EXIT_FANOUT;
	case POLICY_TEMPFAIL:	break;
	}
	return EXIT_USAGE;
}

/* print_decision - what dry-run found, as text or JSON */

static void
print_decision(const struct opts *o, const struct policy_decision *d)
{
	char t[EM_TIME_BUFSZ];

	if (o->json) {
		struct cli_json *j = cj_new();

		(void)snprintf(t, sizeof(t), "%s %s", d->rcode, d->xcode);
		cj_str(j, "decision", policy_verdict_name(d->verdict));
		cj_str(j, "reply", d->verdict == POLICY_REJECT ||
		    d->verdict == POLICY_TEMPFAIL ? d->reply : NULL);
		cj_str(j, "code", t);
		cj_str(j, "advisory", d->advisory_id);
		cj_time(j, "embargo", d->embargo);
		cj_str(j, "reason", d->reason);
		cj_print(j);
		return;
	}
	printf("decision: %s\n", policy_verdict_name(d->verdict));
	if (d->verdict == POLICY_REJECT || d->verdict == POLICY_TEMPFAIL)
		printf("reply:    %s %s %s\n", d->rcode, d->xcode, d->reply);
	printf("advisory: %s\n", d->advisory_id[0] ? d->advisory_id : "-");
	if (d->embargo)
		printf("embargo:  %s\n", em_time_format(d->embargo, t));
	printf("why:      %s\n", d->reason);
}

/*
 * read_and_decide - what the milter would do with msg: read, decrypt and
 * verify, classify, decide on the registry (too_big: over
 * max_message_size, the milter's 552 before any reading)
 */
static void
read_and_decide(const struct config *cfg, const struct buf *msg, bool too_big,
    const struct policy_envelope *env, struct facts *f,
    struct policy_decision *d, struct explain *e)
{
	struct policy_limits lim = policy_limits_of(cfg);
	struct em_err err;
	int rc = EM_OK;

	em_err_clear(&err);
	if (!too_big)
		rc = reader_read(msg->data ? msg->data : "", msg->len, &lim, f,
		    &err);
	if (rc == EM_OK && !too_big && f->n_crypt > 0)
		rc = keys_read_crypt(cfg, &lim, f, &err);
	if (too_big) {
		policy_oversize(false, cfg->max_message_size, d);
	} else if (rc < 0) {
		policy_unreadable(rc, err.msg, d);	/* as the milter answers */
	} else {
		policy_classify(cfg, f);
		decide_with_view(cfg, f, env, d, e);
	}
}

/* The options of dry-run. */
struct dry_run_args {
	const char *from;
	const char *file;		/* NULL: standard input */
	struct strv rcpts;
	bool	explain;
};

/* dry_run_args - read dry-run's options into a; EXIT_OK or EXIT_USAGE */

static int
dry_run_args(int argc, char **argv, struct dry_run_args *a)
{
	static const struct option lo[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "explain", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'f')
			a->from = optarg;
		else if (ch == 't')
			strv_push(&a->rcpts, optarg);
		else if (ch == 'e')
			a->explain = true;
		else
			return cli_usage("dry-run --from A --to B [--to C ...] "
			    "[--explain] [FILE]");
	}
	if (optind < argc)
		a->file = argv[optind];
	if (a->from == NULL || a->rcpts.n == 0) {
		fprintf(stderr, "embargoctl: dry-run needs --from ADDR and at "
		    "least one --to ADDR\n");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* dry_run_config - the config, or NULL with every problem printed */

static struct config *
dry_run_config(const struct opts *o)
{
	struct conf_report rep = { 0 };
	struct config *cfg = cli_load_report(o, &rep, false);

	if (cfg == NULL)
		for (size_t i = 0; i < rep.n; i++)
			fprintf(stderr, "embargoctl: %s\n", rep.v[i].text);
	conf_report_free(&rep);
	return cfg;
}

/* cmd_dry_run - decide on a message without changing anything */

int
cmd_dry_run(const struct opts *o, int argc, char **argv)
{
	struct dry_run_args a = { NULL, NULL, { 0 }, false };
	struct explain ex = { NULL, 0 };
	struct policy_decision d;
	struct policy_envelope env;
	struct config *cfg;
	struct em_err err;
	struct facts f;
	struct buf msg;
	int rc;

	if (dry_run_args(argc, argv, &a) != EXIT_OK ||
	    (cfg = dry_run_config(o)) == NULL) {
		strv_free(&a.rcpts);
		return EXIT_USAGE;
	}
	buf_init(&msg);
	facts_init(&f);
	em_err_clear(&err);
	/* Read as the milter reads it: in a confined reader (reader.h). */
	if (reader_start(cfg, &err) < 0) {
		fprintf(stderr, "embargoctl: %s\n", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	rc = cli_read_all(a.file, cfg->max_message_size, &msg, &err);
	if (rc == EM_EIO) {
		fprintf(stderr, "embargoctl: %s\n", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	env.sender = a.from;
	env.rcpts = (const char *const *)a.rcpts.v;
	env.n_rcpts = a.rcpts.n;
	read_and_decide(cfg, &msg, rc == EM_ETOOBIG, &env, &f, &d,
	    a.explain ? &ex : NULL);
	print_decision(o, &d);
	if (a.explain)
		print_explain(o, &f, &ex);
	free(ex.v);
	rc = dry_run_exit(d.verdict);
out:
	reader_stop();
	facts_free(&f);
	buf_free(&msg);
	strv_free(&a.rcpts);
	conf_free(cfg);
	return rc;
}
