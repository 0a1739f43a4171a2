/*
 * match.c - the leak guard's rule: what counts as quoting an advisory
 * under embargo (see match.h, SPEC 4)
 *
 * One lookup per distinct word run of the text, whatever the number of
 * advisories: what it is filed under, then, filed under one advisory
 * alone, whether it is public text.  The runs that count are tallied by
 * advisory, every advisory whole (a list that grows, never a fixed
 * table), and only an advisory over the threshold has its record read.
 * The view's filter (guard_begin, guard_prints) only spares lookups:
 * it never changes what counts.
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include "match.h"

/* One advisory's count of the runs that count for it. */
struct tally {
	char	id[POLICY_ID_MAX];
	size_t	n;
};

/* Every advisory a text's runs match, however many: never cut. */
struct tallies {
	struct tally *v;
	size_t	n;
};

/* What one fingerprint is filed under: how many advisories, the first. */
struct filed {
	char	first[POLICY_ID_MAX];
	size_t	n;
	size_t	too_long;		/* the first id's length, if over */
};

/* ready - does v carry the lookups the rule reads? */

static bool
ready(const struct policy_view *v)
{
	return v != NULL && v->lookup != NULL && v->print_filed != NULL &&
	    v->print_public != NULL && v->print_key != NULL;
}

/* filed_cb - one advisory a fingerprint is filed under: counted, the
 * first kept whole (or its length noted: an error, never cut) */

static void
filed_cb(const char *id, void *ctx)
{
	struct filed *f = ctx;
	size_t n = strlen(id);

	if (f->n++ > 0)
		return;
	if (n >= sizeof(f->first))
		f->too_long = n;
	else
		memcpy(f->first, id, n + 1);
}

/* filed_of - what the registry files print h under, into f */

static int
filed_of(const struct policy_view *v, const unsigned char h[8],
    struct filed *f, struct em_err *err)
{
	int rc;

	memset(f, 0, sizeof(*f));
	if ((rc = v->print_filed(v->ctx, h, filed_cb, f, err)) < 0)
		return rc;
	if (f->too_long > 0)
		return em_fail(err, EM_ESTORE, "state store: a word run is filed "
		    "under an id of %zu bytes (at most %d)", f->too_long,
		    POLICY_ID_MAX - 1);
	return EM_OK;
}

/* tally_add - one run that counts for advisory id */

static void
tally_add(struct tallies *t, const char *id)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].id, id) == 0) {
			t->v[i].n++;
			return;
		}
	t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
	/* filed_of() saw it fit. */
	(void)snprintf(t->v[t->n].id, sizeof(t->v[t->n].id), "%s", id);
	t->v[t->n++].n = 1;
}

/* view_prints - the prints to look up: the filter's hits, or every run's */

static void
view_prints(const struct policy_view *v, const char *text, size_t len,
    time_t now, struct policy_prints *pr)
{
	if (v->guard_prints == NULL ||
	    v->guard_prints(v->ctx, text, len, now, pr) != EM_OK)
		policy_prints(text, len, v->print_key, v->print_key_len, pr);
}

/* has_hunk - does text hold "@@ " (a patch's hunk header) anywhere?  Each
 * '@' found by memchr(), which reads many bytes a step: memmem() was a
 * tenth of the leak guard's time on a 200 KB message */

static bool
has_hunk(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (end - p >= 3 && (p = memchr(p, '@', (size_t)(end - p - 2))) != NULL) {
		if (p[1] == '@' && p[2] == ' ')
			return true;
		p++;
	}
	return false;
}

/* text_prints - the prints of text as the rule reads it */

static void
text_prints(const struct policy_view *v, const char *text, size_t len,
    time_t now, struct policy_prints *pr)
{
	struct buf both;

	if (!has_hunk(text, len)) {
		view_prints(v, text, len, now, pr);
		return;
	}
	/*
	 * A pasted patch: its added lines, read on their own as an
	 * advisory's were registered, besides the text as it is.
	 */
	buf_init(&both);
	buf_append(&both, text, len);
	buf_appends(&both, "\n\n");
	policy_secret_text(text, len, &both);
	view_prints(v, both.data, both.len, now, pr);
	buf_free(&both);
}

/*
 * tally - the runs of pr that count, by advisory: filed under one
 * advisory alone and not public text (a run filed under two or more,
 * or seen in public text, is not secret)
 */
static int
tally(const struct policy_view *v, const struct policy_prints *pr,
    struct tallies *t, struct em_err *err)
{
	for (size_t i = 0; i < pr->n; i++) {
		struct filed f;
		bool pub = false;
		int rc;

		if ((rc = filed_of(v, pr->h[i], &f, err)) < 0)
			return rc;
		if (f.n != 1)
			continue;
		if ((rc = v->print_public(v->ctx, pr->h[i], &pub, err)) < 0)
			return rc;
		if (!pub)
			tally_add(t, f.first);
	}
	return EM_OK;
}

/*
 * named - the advisory the text is named after: the first of the tally
 * with POLICY_LEAK_SHINGLES runs or more under embargo at now.  An
 * advisory the prints name whose record cannot be read, or that the
 * registry does not hold, is a fault, never "not under embargo".
 */
static int
named(const struct policy_view *v, const struct tallies *t, time_t now,
    struct policy_match *m, struct em_err *err)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct policy_advisory *a = NULL;
		int rc;

		if (t->v[i].n < POLICY_LEAK_SHINGLES)
			continue;
		if ((rc = v->lookup(v->ctx, t->v[i].id, &a, err)) < 0)
			return rc;
		if (a == NULL)
			return em_fail(err, EM_ESTORE, "state store: database "
			    "'print' files runs under an advisory database "
			    "'adv' does not hold");
		if (a->embargo > now) {
			memcpy(m->advisory, t->v[i].id, sizeof(m->advisory));
			m->runs = t->v[i].n;
			return EM_OK;
		}
	}
	return EM_OK;
}

/*
 * policy_match - the advisory under embargo at now that text quotes, if
 * any, and how many of its runs the text holds
 */
int
policy_match(const struct policy_view *v, const char *text, size_t len,
    time_t now, struct policy_match *m, struct em_err *err)
{
	struct policy_prints pr;
	struct tallies t = { NULL, 0 };
	bool none = false;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!ready(v))
		return em_fail(err, EM_EUSAGE, "the leak guard has no registry "
		    "to read");
	if (v->guard_begin != NULL &&
	    (rc = v->guard_begin(v->ctx, now, &none, err)) < 0)
		return rc;
	if (none)
		return EM_OK;		/* nothing under embargo: no reading */
	text_prints(v, text != NULL ? text : "", text != NULL ? len : 0, now,
	    &pr);
	rc = tally(v, &pr, &t, err);
	policy_prints_free(&pr);
	if (rc == EM_OK)
		rc = named(v, &t, now, m, err);
	free(t.v);
	return rc;
}

/* explain_run - what the rule makes of one run, to cb */

static int
explain_run(const struct policy_view *v, const struct policy_run *r,
    void (*cb)(size_t line, enum policy_run_kind kind, const char *advisory,
    void *ctx), void *ctx, struct em_err *err)
{
	struct filed f;
	bool pub = false;
	int rc;

	if ((rc = filed_of(v, r->h, &f, err)) < 0 ||
	    (rc = v->print_public(v->ctx, r->h, &pub, err)) < 0)
		return rc;
	if (pub)
		cb(r->line, POLICY_RUN_PUBLIC, f.n ? f.first : "", ctx);
	else if (f.n >= 2)
		cb(r->line, POLICY_RUN_SHARED, f.first, ctx);
	else if (f.n == 1)
		cb(r->line, POLICY_RUN_SECRET, f.first, ctx);
	return EM_OK;
}

/*
 * policy_match_explain - what the rule makes of each word run of text, in
 * order: filed under one advisory alone (secret, counted), under two or
 * more (shared: public), seen in public text, or found nowhere (not
 * reported)
 */
int
policy_match_explain(const struct policy_view *v, const char *text,
    size_t len, void (*cb)(size_t line, enum policy_run_kind kind,
    const char *advisory, void *ctx), void *ctx, struct em_err *err)
{
	struct policy_run *runs;
	size_t n;
	int rc = EM_OK;

	if (!ready(v))
		return em_fail(err, EM_EUSAGE, "the leak guard has no registry "
		    "to read");
	policy_runs(text != NULL ? text : "", text != NULL ? len : 0,
	    v->print_key, v->print_key_len, &runs, &n);
	for (size_t i = 0; i < n && rc == EM_OK; i++)
		rc = explain_run(v, &runs[i], cb, ctx, err);
	free(runs);
	return rc;
}

/*
 * policy_secret_prints - the prints an advisory's text files: its secret
 * part's runs but those its patches show of the public tree
 */
void
policy_secret_prints(const char *text, size_t len, const void *key,
    size_t keylen, struct policy_prints *out)
{
	struct policy_prints shown;
	struct buf secret, tree;
	size_t kept = 0;

	buf_init(&secret);
	buf_init(&tree);
	policy_secret_text(text, len, &secret);
	policy_patch_public(text, len, &tree);
	policy_prints(secret.data ? secret.data : "", secret.len, key, keylen,
	    out);
	policy_prints(tree.data ? tree.data : "", tree.len, key, keylen,
	    &shown);
	/* A run the patch shows of the public tree is not secret: only the
	 * runs that hold new text are kept (both lists are sorted). */
	for (size_t i = 0, k = 0; i < out->n; i++) {
		while (k < shown.n && memcmp(shown.h[k], out->h[i], 8) < 0)
			k++;
		if (k < shown.n && memcmp(shown.h[k], out->h[i], 8) == 0)
			continue;
		memmove(out->h[kept++], out->h[i], 8);
	}
	out->n = kept;
	policy_prints_free(&shown);
	buf_free(&secret);
	buf_free(&tree);
}
