/*
 * sections.c - an advisory's standard sections (SPEC 4): the policy text
 * the team writes the same in every advisory, found by its headings
 *
 * Xen's advisories head each section with a line in capitals underlined
 * with '='.  The standard ones are those written in Xen's standard words
 * (see standard[]: every known one but ISSUE DESCRIPTION): the team's
 * own signed public advisory is read by the leak guard without them
 * (policy_specific_text()), and an advisory whose standard sections are
 * its own text alone (neither public text nor another advisory's) is
 * named at registration and by "embargoctl check" with the cure
 * (policy_thin_sections()).  ISSUE DESCRIPTION, the text before the
 * first heading, a section under a heading not known here and whatever
 * follows the signature (attachments, patches) count as they always did.
 *
 * Purity: text in, text or counts out; the registry through the view's
 * lookups.  How it fails: a lookup's fault is returned with its reason,
 * never read as "public" or "shared".
 */

/* System library. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include "match.h"
#include "policy_int.h"

/* is_underline - a line of '=' only (three or more) */

static bool
is_underline(const char *p, const char *e)
{
	if (e - p < 3)
		return false;
	for (; p < e; p++)
		if (*p != '=')
			return false;
	return true;
}

/*
 * policy_heading_at - is the line at p a section heading (capitals, digits,
 * spaces and a little punctuation, underlined with '=' on the next
 * line)?  Its text into h.
 */
bool
policy_heading_at(const char *p, const char *end, char h[POLICY_HEADING_MAX])
{
	const char *e = policy_line_end(p, end), *u, *ue;
	bool letter = false;
	size_t n = (size_t)(e - p);

	if (n < 4 || n >= POLICY_HEADING_MAX || e >= end)
		return false;
	for (const char *q = p; q < e; q++) {
		if (isupper((unsigned char)*q))
			letter = true;
		else if (!isdigit((unsigned char)*q) && strchr(" ()/-.,", *q) ==
		    NULL)
			return false;
	}
	u = e + 1;
	ue = policy_line_end(u, end);
	if (!letter || !is_underline(u, ue))
		return false;
	memcpy(h, p, n);
	h[n] = '\0';
	return true;
}

/*
 * The headings of the sections Xen writes in its standard words (the
 * same sentences recur from advisory to advisory: "The precise impact is
 * system specific", "Only x86 guests which have physical devices passed
 * through", "This issue was discovered by"): all but ISSUE DESCRIPTION,
 * which is each advisory's own, and headings not known here.  A heading
 * ending in '*' is a prefix.
 */
static const char *const standard[] = {
	"UPDATES IN VERSION*", "IMPACT", "VULNERABLE SYSTEMS", "MITIGATION",
	"CREDITS", "RESOLUTION", "DEPLOYMENT DURING EMBARGO",
};

/* policy_standard_heading - is h a standard section's heading? */

bool
policy_standard_heading(const char *h)
{
	for (size_t i = 0; i < sizeof(standard) / sizeof(standard[0]); i++) {
		size_t n = strlen(standard[i]);

		if (standard[i][n - 1] == '*' ? strncmp(h, standard[i],
		    n - 1) == 0 : strcmp(h, standard[i]) == 0)
			return true;
	}
	/* NOTE REGARDING LACK OF EMBARGO, NOTE CONCERNING SHORT EMBARGO */
	return strncmp(h, "NOTE ", 5) == 0 && strstr(h, "EMBARGO") != NULL;
}

/* at_signature - the armour line that ends a clearsigned text */

static bool
at_signature(const char *p, const char *end)
{
	static const char sig[] = "-----BEGIN PGP SIGNATURE-----";

	return (size_t)(end - p) >= sizeof(sig) - 1 &&
	    memcmp(p, sig, sizeof(sig) - 1) == 0;
}

/*
 * policy_sections_each - each section of text in order: cb gets its
 * heading ("" for the text before the first), whether it is standard,
 * and its lines (the heading and its underline included)
 */
void
policy_sections_each(const char *text, size_t len,
    void (*cb)(const char *heading, bool standard, const char *p, size_t n,
    void *ctx), void *ctx)
{
	const char *end = text + len, *p = text, *start = text;
	char cur[POLICY_HEADING_MAX] = "", h[POLICY_HEADING_MAX];

	while (p < end) {
		const char *e = policy_line_end(p, end);
		bool sig = at_signature(p, end);

		if (sig || policy_heading_at(p, end, h)) {
			if (p > start)
				cb(cur, cur[0] && policy_standard_heading(cur),
				    start, (size_t)(p - start), ctx);
			start = p;
			(void)snprintf(cur, sizeof(cur), "%s", sig ? "" : h);
		}
		p = e < end ? e + 1 : end;
	}
	if (end > start)
		cb(cur, cur[0] && policy_standard_heading(cur), start,
		    (size_t)(end - start), ctx);
}

/* keep_specific - policy_specific_text() work: every section not standard */

static void
keep_specific(const char *heading, bool standard, const char *p, size_t n,
    void *ctx)
{
	(void)heading;
	if (!standard)
		buf_append(ctx, p, n);
}

/*
 * policy_specific_text - text without its standard sections: what the
 * leak guard reads of the team's own public advisory (SPEC 4)
 */
void
policy_specific_text(const char *text, size_t len, struct buf *out)
{
	policy_sections_each(text, len, keep_specific, out);
}

/* The standard sections of a text, as found. */
struct found {
	struct { char h[POLICY_HEADING_MAX]; const char *p; size_t n; } *v;
	size_t	n;
};

/* find_standard - policy_sections_each() work: each standard section */

static void
find_standard(const char *heading, bool standard, const char *p, size_t n,
    void *ctx)
{
	struct found *fd = ctx;

	if (!standard)
		return;
	fd->v = xrealloc(fd->v, (fd->n + 1) * sizeof(*fd->v));
	(void)snprintf(fd->v[fd->n].h, sizeof(fd->v[fd->n].h), "%s", heading);
	fd->v[fd->n].p = p;
	fd->v[fd->n++].n = n;
}

/* What one run is filed under, seen from advisory id. */
struct others { const char *id; size_t n; };

/* others_cb - one advisory a run is filed under: counted if not id */

static void
others_cb(const char *id, void *ctx)
{
	struct others *o = ctx;

	if (strcmp(id, o->id) != 0)
		o->n++;
}

/*
 * own_runs - how many of pr are advisory id's own: filed under no other
 * advisory and not public text
 */
static int
own_runs(const struct policy_view *v, const char *id,
    const struct policy_prints *pr, size_t *own, struct em_err *err)
{
	*own = 0;
	for (size_t i = 0; i < pr->n; i++) {
		struct others o = { id, 0 };
		bool pub = false;
		int rc;

		if ((rc = v->print_filed(v->ctx, pr->h[i], others_cb, &o,
		    err)) < 0)
			return rc;
		if (o.n > 0)
			continue;
		if ((rc = v->print_public(v->ctx, pr->h[i], &pub, err)) < 0)
			return rc;
		if (!pub)
			(*own)++;
	}
	return EM_OK;
}

/*
 * policy_thin_sections - the standard sections of advisory id's text
 * that are its own text (SPEC 4): POLICY_LEAK_SHINGLES of their word
 * runs or more, and more than half, are neither public text nor filed
 * under another advisory, so that a quote of that section alone is
 * refused as id's text.  *out (caller frees) gets them, *n how many.
 */
int
policy_thin_sections(const struct policy_view *v, const char *id,
    const char *text, size_t len, struct policy_thin **out, size_t *n,
    struct em_err *err)
{
	struct found fd = { NULL, 0 };
	int rc = EM_OK;

	*out = NULL;
	*n = 0;
	if (v == NULL || v->print_filed == NULL || v->print_public == NULL ||
	    v->print_key == NULL)
		return em_fail(err, EM_EUSAGE, "the leak guard has no registry "
		    "to read");
	policy_sections_each(text != NULL ? text : "", text != NULL ? len : 0,
	    find_standard, &fd);
	for (size_t i = 0; i < fd.n && rc == EM_OK; i++) {
		struct policy_prints pr;
		size_t own = 0;

		policy_prints(fd.v[i].p, fd.v[i].n, v->print_key,
		    v->print_key_len, &pr);
		rc = own_runs(v, id, &pr, &own, err);
		if (rc == EM_OK && own >= POLICY_LEAK_SHINGLES &&
		    own * 2 > pr.n) {
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			memcpy((*out)[*n].heading, fd.v[i].h,
			    sizeof((*out)[*n].heading));
			(*out)[*n].own = own;
			(*out)[(*n)++].runs = pr.n;
		}
		policy_prints_free(&pr);
	}
	free(fd.v);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

/*
 * policy_thin_note - what the receipt and "embargoctl check" say of
 * advisory id's thin sections th[0..n-1] (n > 0), and the cure, into out
 */
void
policy_thin_note(const char *id, const struct policy_thin *th, size_t n,
    struct buf *out)
{
	buf_appendf(out, "the standard sections of %s that are its text "
	    "alone (neither public text nor another advisory's):", id);
	for (size_t i = 0; i < n; i++)
		buf_appendf(out, "%s %s (%zu of %zu word runs)", i ? "," : "",
		    th[i].heading, th[i].own, th[i].runs);
	buf_appendf(out, "; while %s is under embargo, a quote of one of them "
	    "is refused as its text, the same words in other advisories "
	    "too: load the team's published advisories (embargoctl public "
	    "add FILE, an mbox or maildir of the public list's archive)", id);
}
