/*
 * view.c - the registry view for policy_decide() (see view.h)
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Application-specific. */
#include "view.h"

/* The registry, seen by policy_decide() through a read transaction. */

struct tally { char id[64]; unsigned n; };
/* Every advisory a text's runs match, however many: never cut. */
struct tallies { struct tally *v; size_t n; };

/* tally_cb - one matching fingerprint for an advisory */

static void
tally_cb(const char *id, void *ctx)
{
	struct tallies *t = ctx;

	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].id, id) == 0) {
			t->v[i].n++;
			return;
		}
	t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
	memcpy(t->v[t->n].id, id, sizeof(t->v[t->n].id));
	t->v[t->n++].n = 1;
}

/* ids_cb - the advisories one run is filed under (the first two) */

struct run_ids { char id[64]; unsigned n; };

static void
ids_cb(const char *id, void *ctx)
{
	struct run_ids *r = ctx;

	if (r->n++ == 0)
		memcpy(r->id, id, sizeof(r->id));	/* store.c: 64 bytes */
}

/* view_prints - the prints to look up: the filter's hits, or every run's */

static void
view_prints(struct store_view *v, const char *text, size_t len,
    struct policy_prints *pr)
{
	if (v->full || store_filter_prints(v->t, v->key, v->now, text, len,
	    pr) != EM_OK)
		policy_prints(text, len, v->key, 32, pr);
}

/*
 * view_quoted - the embargoed advisory the text quotes, or NULL: one
 * lookup per word run of the text, whatever the number of advisories.
 * Public text is not secret (SPEC 4): a run seen in public text, or filed
 * under two or more advisories (the boilerplate every advisory carries,
 * or text shared with one already public), does not count.
 */
static int
view_quoted(void *ctx, const char *text, size_t len, time_t now,
    const char **found, size_t *runs, struct em_err *err)
{
	struct store_view *v = ctx;
	struct policy_prints pr;
	struct tallies tl = { NULL, 0 };
	int rc = EM_OK;

	*runs = 0;
	*found = NULL;
	if (v->t == NULL)
		return em_fail(err, EM_ESTORE, "state store: no transaction");
	if (!v->full && store_filter_none(v->t, now))
		return EM_OK;
	if (memmem(text, len, "@@ ", 3) != NULL) {
		/*
		 * A pasted patch: its added lines, read on their own as an
		 * advisory's were registered, besides the text as it is.
		 */
		struct buf both;

		buf_init(&both);
		buf_append(&both, text, len);
		buf_appends(&both, "\n\n");
		policy_secret_text(text, len, &both);
		view_prints(v, both.data, both.len, &pr);
		buf_free(&both);
	} else {
		view_prints(v, text, len, &pr);
	}
	for (size_t i = 0; i < pr.n && rc == EM_OK; i++) {
		struct run_ids r = { .n = 0 };
		bool pub = false;

		if ((rc = store_print_lookup(v->t, pr.h[i], ids_cb, &r,
		    err)) == EM_OK && r.n == 1 &&
		    (rc = store_public_has(v->t, pr.h[i], &pub, err)) == EM_OK &&
		    !pub)
			tally_cb(r.id, &tl);
	}
	policy_prints_free(&pr);
	/* An advisory whose record cannot be read is a fault, never "not
	 * under embargo". */
	for (size_t i = 0; i < tl.n && *found == NULL && rc == EM_OK; i++)
		if (tl.v[i].n >= POLICY_LEAK_SHINGLES &&
		    (rc = store_adv_get(v->t, tl.v[i].id, &v->a, err)) ==
		    EM_OK && v->a.state == STORE_ADV_EMBARGOED &&
		    v->a.embargo > now) {
			memcpy(v->quoted, tl.v[i].id, sizeof(v->quoted));
			*runs = tl.v[i].n;
			*found = v->quoted;
		}
	free(tl.v);
	return rc == EM_ENOTFOUND ? em_fail(err, EM_ESTORE, "state store: "
	    "database 'print' files runs under an advisory database 'adv' does "
	    "not hold") : rc;
}

/*
 * store_view_explain - what the leak guard makes of each word run of text,
 * in order: filed under one advisory alone (secret, counted), under two or
 * more (shared: public), seen in public text, or found nowhere (not
 * reported); cb gets the line the run starts on and the advisory
 */
int
store_view_explain(struct store_view *v, const char *text, size_t len,
    void (*cb)(size_t line, enum store_run_kind kind, const char *advisory,
    void *ctx), void *ctx)
{
	struct policy_run *runs;
	size_t n;

	if (v->t == NULL)
		return EM_ESTORE;
	policy_runs(text, len, v->key, 32, &runs, &n);
	for (size_t i = 0; i < n; i++) {
		struct run_ids r = { .n = 0 };
		struct em_err err;
		bool pub = false;

		if (store_print_lookup(v->t, runs[i].h, ids_cb, &r, &err) < 0 ||
		    store_public_has(v->t, runs[i].h, &pub, &err) < 0) {
			free(runs);
			return EM_ESTORE;
		}
		if (pub)
			cb(runs[i].line, STORE_RUN_PUBLIC, r.n ? r.id : "", ctx);
		else if (r.n >= 2)
			cb(runs[i].line, STORE_RUN_SHARED, r.id, ctx);
		else if (r.n == 1)
			cb(runs[i].line, STORE_RUN_SECRET, r.id, ctx);
	}
	free(runs);
	return EM_OK;
}

/* view_has_participant - the team named participant name for advisory id */

static int
view_has_participant(void *ctx, const char *id, const char *name, bool *yes,
    struct em_err *err)
{
	struct store_view *v = ctx;
	struct strv names = { NULL, 0 };
	int rc;

	*yes = false;
	if (v->t == NULL)
		return em_fail(err, EM_ESTORE, "state store: no transaction");
	rc = store_adv_list_get(v->t, "participants", id, &names, err);
	for (size_t i = 0; rc == EM_OK && i < names.n && !*yes; i++)
		*yes = strcmp(names.v[i], name) == 0;
	strv_free(&names);
	return rc;
}

/* view_lookup - one advisory, or NULL when never registered */

static int
view_lookup(void *ctx, const char *id, const struct policy_advisory **out,
    struct em_err *err)
{
	struct store_view *v = ctx;
	int rc;

	*out = NULL;
	if (v->t == NULL)
		return em_fail(err, EM_ESTORE, "state store: no transaction");
	if ((rc = store_adv_get(v->t, id, &v->a, err)) == EM_ENOTFOUND)
		return EM_OK;
	if (rc < 0)
		return rc;
	v->pa.id = v->a.id;
	v->pa.embargo = v->a.state == STORE_ADV_EMBARGOED ? v->a.embargo : 0;
	v->pa.revision = v->a.revision;
	*out = &v->pa;
	return EM_OK;
}

/* store_view_open - a read transaction behind a policy_view */

int
store_view_open(struct store_view *v, struct policy_view *pv, struct store *s,
    const unsigned char *key, time_t now, struct em_err *err)
{
	memset(v, 0, sizeof(*v));
	v->key = key;
	v->now = now;
	pv->lookup = view_lookup;
	pv->quoted = view_quoted;
	pv->has_participant = view_has_participant;
	pv->ctx = v;
	return store_begin(s, false, &v->t, err);
}

/* store_view_close - end the transaction */

void
store_view_close(struct store_view *v)
{
	store_abort(v->t);
	v->t = NULL;
}

/* The warning while no public text is loaded, and what to do (SPEC 4). */
#define NO_PUBLIC_TEXT "no public text is loaded%s: load the team's " \
    "published advisories, an mbox or maildir of the public list's " \
    "archive (embargoctl public add FILE): until then the boilerplate " \
    "every advisory carries is text of whichever one is embargoed, and " \
    "outsiders' forwards of old advisories are refused"

/*
 * store_check_public - a warning into rep while no public text is loaded
 * in the state of state_dir (or there is no state yet)
 */
void
store_check_public(const struct config *cfg, struct conf_report *rep)
{
	char path[4096];
	struct store *s;
	struct store_txn *t;
	struct em_err err;
	bool any = false;

	(void)snprintf(path, sizeof(path), "%s/data.mdb", cfg->state_dir);
	if (access(path, F_OK) < 0) {
		conf_report_add(rep, true, NO_PUBLIC_TEXT, " (state_dir holds no "
		    "state yet; load it once the daemon has started)");
		return;
	}
	if (store_open(cfg->state_dir, cfg->state_map_size, &s, &err) < 0)
		return;		/* a start or embargoctl says why */
	if (store_begin(s, false, &t, &err) == EM_OK) {
		any = store_public_any(t);
		store_abort(t);
	}
	store_close(s);
	if (!any)
		conf_report_add(rep, true, NO_PUBLIC_TEXT, "");
}

/* store_public_add_text - every word run of a public text, filed public */

int
store_public_add_text(struct store_txn *t, const unsigned char *key,
    const char *text, size_t len, const char *source, size_t *n,
    struct em_err *err)
{
	struct policy_prints pr;
	int rc = EM_OK;

	policy_prints(text, len, key, 32, &pr);
	for (size_t i = 0; i < pr.n && rc == EM_OK; i++)
		rc = store_public_add(t, pr.h[i], source, err);
	if (n != NULL)
		*n = pr.n;
	policy_prints_free(&pr);
	return rc;
}

/* store_print_add_text - an advisory's secret word runs, filed under it */

int
store_print_add_text(struct store_txn *t, const unsigned char *key,
    const char *text, size_t len, const char *advisory, struct em_err *err)
{
	struct policy_prints pr, old;
	struct buf secret, shown;
	int rc = EM_OK;

	buf_init(&secret);
	buf_init(&shown);
	policy_secret_text(text, len, &secret);
	policy_patch_public(text, len, &shown);
	policy_prints(secret.data ? secret.data : "", secret.len, key, 32, &pr);
	policy_prints(shown.data ? shown.data : "", shown.len, key, 32, &old);
	/* A run the patch shows of the public tree is not secret: only the
	 * runs that hold new text are filed (both lists are sorted). */
	for (size_t i = 0, k = 0; i < pr.n && rc == EM_OK; i++) {
		while (k < old.n && memcmp(old.h[k], pr.h[i], 8) < 0)
			k++;
		if (k < old.n && memcmp(old.h[k], pr.h[i], 8) == 0)
			continue;
		rc = store_print_add(t, pr.h[i], advisory, err);
	}
	if (rc == EM_OK) {
		struct strv posts = { NULL, 0 };

		/* Its first post (fanout.c notes each before this): the
		 * filter covers it with this text alone. */
		if ((rc = store_adv_list_get(t, "posts", advisory, &posts,
		    err)) == EM_OK)
			store_filter_add(advisory, text, len, posts.n <= 1);
		strv_free(&posts);
	}
	policy_prints_free(&pr);
	policy_prints_free(&old);
	buf_free(&secret);
	buf_free(&shown);
	return rc;
}
