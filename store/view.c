/*
 * view.c - the registry view for policy_decide() (see view.h): the
 * lookups of struct policy_view, answered in one read transaction; the
 * rules that read them are policy/'s (the leak guard's: match.c)
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Application-specific. */
#include "view.h"
#include "../policy/match.h"

/*
 * The registry, seen by policy_decide() through a read transaction:
 * lookups only.  What counts as a match of embargoed text is policy/'s
 * (match.c); a fault is returned with its reason, never read as "absent".
 */

/* no_txn - the fault of a view without its transaction */

static int
no_txn(struct em_err *err)
{
	return em_fail(err, EM_ESTORE, "state store: no transaction");
}

/* view_guard_begin - does the filter know nothing is under embargo? */

static int
view_guard_begin(void *ctx, time_t now, bool *none, struct em_err *err)
{
	struct store_view *v = ctx;

	*none = false;
	if (v->t == NULL)
		return no_txn(err);
	*none = !v->full && store_filter_none(v->t, now);
	return EM_OK;
}

/* view_guard_prints - the filter's hits among text's runs; EM_ENOTFOUND
 * when it cannot answer (the full guard: every run is looked up) */

static int
view_guard_prints(void *ctx, const char *text, size_t len, time_t now,
    struct policy_prints *out)
{
	struct store_view *v = ctx;

	out->h = NULL;
	out->n = 0;
	if (v->full || v->t == NULL)
		return EM_ENOTFOUND;
	return store_filter_prints(v->t, v->key, now, text, len, out);
}

/* view_print_filed - every advisory fingerprint h is filed under */

static int
view_print_filed(void *ctx, const unsigned char h[8],
    void (*cb)(const char *id, void *cbctx), void *cbctx, struct em_err *err)
{
	struct store_view *v = ctx;

	if (v->t == NULL)
		return no_txn(err);
	return store_print_lookup(v->t, h, cb, cbctx, err);
}

/* view_print_public - was h seen in public text? */

static int
view_print_public(void *ctx, const unsigned char h[8], bool *yes,
    struct em_err *err)
{
	struct store_view *v = ctx;

	*yes = false;
	if (v->t == NULL)
		return no_txn(err);
	return store_public_has(v->t, h, yes, err);
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
		return no_txn(err);
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
		return no_txn(err);
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

/* store_view_over - a policy_view over the caller's transaction */

void
store_view_over(struct store_view *v, struct policy_view *pv,
    struct store_txn *t, const unsigned char *key, time_t now)
{
	struct em_err err;

	(void)store_view_open(v, pv, NULL, key, now, &err);
	v->t = t;
	v->full = true;
}

/*
 * store_thin_note - the note on advisory id's standard sections that are
 * its text alone, read through a view over t, appended to out
 */
int
store_thin_note(struct store_txn *t, const unsigned char *key,
    const char *id, const char *text, size_t len, time_t now,
    struct buf *out, struct em_err *err)
{
	struct store_view v;
	struct policy_view pv;
	struct policy_thin *th;
	size_t n;
	int rc;

	store_view_over(&v, &pv, t, key, now);
	if ((rc = policy_thin_sections(&pv, id, text, len, &th, &n, err)) ==
	    EM_OK && n > 0)
		policy_thin_note(id, th, n, out);
	free(th);
	return rc;
}

/* store_view_open - a read transaction behind a policy_view (s NULL:
 * none yet, store_view_over()) */

int
store_view_open(struct store_view *v, struct policy_view *pv, struct store *s,
    const unsigned char *key, time_t now, struct em_err *err)
{
	memset(v, 0, sizeof(*v));
	v->key = key;
	v->now = now;
	memset(pv, 0, sizeof(*pv));
	pv->lookup = view_lookup;
	pv->has_participant = view_has_participant;
	pv->print_key = key;
	pv->print_key_len = 32;
	pv->guard_begin = view_guard_begin;
	pv->guard_prints = view_guard_prints;
	pv->print_filed = view_print_filed;
	pv->print_public = view_print_public;
	pv->ctx = v;
	return s != NULL ? store_begin(s, false, &v->t, err) : EM_OK;
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

/* store_print_add_text - an advisory's secret word runs, filed under it
 * (which runs: policy_secret_prints()) */

int
store_print_add_text(struct store_txn *t, const unsigned char *key,
    const char *text, size_t len, const char *advisory, struct em_err *err)
{
	struct policy_prints pr;
	int rc = EM_OK;

	policy_secret_prints(text, len, key, 32, &pr);
	for (size_t i = 0; i < pr.n && rc == EM_OK; i++)
		rc = store_print_add(t, pr.h[i], advisory, err);
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
	return rc;
}
