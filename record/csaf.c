/*
 * csaf.c - an advisory's CSAF 2.0 csaf_security_advisory (record.h):
 * the public one (TLP:WHITE, final) that embargoctl record csaf writes
 * at the date, and the members' one (TLP:AMBER, interim) that travels
 * inside their encrypted copies before it; one builder for both
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include "record_json.h"

/* What makes the two documents differ. */
struct form {
	const char *tlp;		/* WHITE (CSAF 2.0's name for CLEAR),
					   AMBER */
	const char *status;		/* final, interim */
	JsonNode *old;			/* public: the document written before */
	const struct record_rev *revs;	/* members': the revisions posted */
	size_t	n;
	time_t	embargo;		/* members': the embargo date */
	bool	members;		/* the members' document */
};

/* record_csaf_publisher - the publisher object */

void
record_csaf_publisher(JsonBuilder *b, const struct rec_opts *ro)
{
	json_builder_begin_object(b);
	js(b, "category", "vendor");
	js(b, "name", ro->publisher);
	js(b, "namespace", ro->ns);
	json_builder_end_object(b);
}

/* one_pair - k: an array of one object of two strings */

static void
one_pair(JsonBuilder *b, const char *k, const char *k1, const char *v1,
    const char *k2, const char *v2)
{
	ja(b, k);
	json_builder_begin_object(b);
	js(b, k1, v1);
	js(b, k2, v2);
	json_builder_end_object(b);
	json_builder_end_array(b);
}

/* note - one note of a category */

static void
note(JsonBuilder *b, const char *category, const char *title,
    const char *text)
{
	json_builder_begin_object(b);
	js(b, "category", category);
	js(b, "title", title);
	js(b, "text", text);
	json_builder_end_object(b);
}

/* record_csaf_history - the revision history of the document written
 * before, or NULL */

JsonArray *
record_csaf_history(JsonNode *old)
{
	JsonNode *h = rec_member(rec_member(rec_member(old, "document",
	    JSON_NODE_OBJECT), "tracking", JSON_NODE_OBJECT), "revision_history",
	    JSON_NODE_ARRAY);

	return h != NULL ? json_node_get_array(h) : NULL;
}

/* history_entry - revision n's entry, dated when (update: what it
 * changed, for this revision) */

static void
history_entry(JsonBuilder *b, int n, const char *update, const char *when)
{
	char num[16], *summary = update != NULL && update[0] != '\0' ?
	    xasprintf("Version %d: %s", n, update) : xasprintf("Version %d", n);

	(void)snprintf(num, sizeof(num), "%d", n);
	json_builder_begin_object(b);
	js(b, "date", when);
	js(b, "number", num);
	js(b, "summary", summary);
	json_builder_end_object(b);
	free(summary);
}

/* public_history - the public document's history: the old document's
 * entries before this revision, then this one (its date kept on a run
 * again); the first date into *first, this one's into last */

static void
public_history(JsonBuilder *b, JsonNode *old, const struct rec *x,
    time_t *first, char last[EM_TIME_BUFSZ])
{
	JsonArray *h = record_csaf_history(old);
	char t[EM_TIME_BUFSZ];
	const char *kept = NULL;
	unsigned earlier = 0;

	*first = x->released;
	for (guint i = 0; h != NULL && i < json_array_get_length(h); i++) {
		JsonNode *e = json_array_get_element(h, i);
		const char *date;
		time_t w;
		size_t used;
		int num;

		if (rec_text(e, "number") == NULL || rec_text(e, "date") == NULL)
			continue;
		num = (int)strtol(rec_text(e, "number"), NULL, 10);
		date = rec_text(e, "date");
		if (num == x->revision && strlen(date) < EM_TIME_BUFSZ)
			kept = date;	/* a date that fits, never one cut */
		if (num >= x->revision || num < 1)
			continue;
		if (em_time_parse(date, strlen(date), &w, &used) == 0 &&
		    w < *first)
			*first = w;
		json_builder_add_value(b, json_node_copy(e));
		earlier++;
	}
	/* The first revision public is dated at the release; a later one
	 * when this run made it; a run again keeps the date it wrote. */
	(void)snprintf(last, EM_TIME_BUFSZ, "%s", kept != NULL && kept[0] ?
	    kept : rec_iso(earlier == 0 || x->now < x->released ? x->released :
	    x->now, t));
	history_entry(b, x->revision, x->r.update, last);
}

/* by_revision - the posts in the order of their revisions, then times */

static int
by_revision(const void *a, const void *b)
{
	const struct record_rev *x = a, *y = b;

	if (x->revision != y->revision)
		return x->revision < y->revision ? -1 : 1;
	return x->when < y->when ? -1 : x->when > y->when;
}

/* members_history - the members' document's history: each earlier
 * revision at its first post, then this one at x->released */

static void
members_history(JsonBuilder *b, const struct form *f, const struct rec *x,
    time_t *first, char last[EM_TIME_BUFSZ])
{
	struct record_rev *v = xcalloc(f->n + 1, sizeof(*v));
	char t[EM_TIME_BUFSZ];
	int prev = 0;

	if (f->n > 0)
		memcpy(v, f->revs, f->n * sizeof(*v));
	qsort(v, f->n, sizeof(*v), by_revision);
	*first = x->released;
	for (size_t i = 0; i < f->n; i++) {
		if (v[i].revision < 1 || v[i].revision >= x->revision ||
		    v[i].revision == prev)
			continue;
		prev = v[i].revision;
		if (v[i].when < *first)
			*first = v[i].when;
		history_entry(b, v[i].revision, NULL, rec_iso(v[i].when, t));
	}
	free(v);
	(void)rec_iso(x->released, last);
	history_entry(b, x->revision, x->r.update, last);
}

/* tracking - document.tracking: the id, the history, the dates (last:
 * this revision's), the status, the version */

static void
tracking(JsonBuilder *b, const struct form *f, const struct rec *x,
    char last[EM_TIME_BUFSZ])
{
	char t[EM_TIME_BUFSZ], rev[16];
	time_t first;

	(void)snprintf(rev, sizeof(rev), "%d", x->revision);
	jo(b, "tracking");
	js(b, "id", x->id);
	ja(b, "revision_history");
	if (f->members)
		members_history(b, f, x, &first, last);
	else
		public_history(b, f->old, x, &first, last);
	json_builder_end_array(b);
	js(b, "initial_release_date", rec_iso(first, t));
	js(b, "current_release_date", last);
	js(b, "status", f->status);
	js(b, "version", rev);
	json_builder_end_object(b);
}

/* vulnerability - one vulnerability: a CVE, or (none) the advisory's id */

static void
vulnerability(JsonBuilder *b, const struct rec *x, const char *cve)
{
	json_builder_begin_object(b);
	if (cve != NULL) {
		js(b, "cve", cve);
	} else {
		one_pair(b, "ids", "system_name", "advisory", "text", x->id);
	}
	ja(b, "notes");
	note(b, "description", "Issue description", x->r.details.len > 0 ?
	    x->r.details.data : x->r.title);
	json_builder_end_array(b);
	jo(b, "product_status");
	ja(b, "known_affected");
	json_builder_add_string_value(b, "CSAFPID-0001");
	json_builder_end_array(b);
	json_builder_end_object(b);
	json_builder_end_object(b);
}

/* distribution - document.distribution and document.notes: the label,
 * and under embargo the date it holds until */

static void
distribution(JsonBuilder *b, const struct form *f, const struct rec *x)
{
	char t[EM_TIME_BUFSZ], *until = NULL;

	if (f->members)
		until = xasprintf("Under embargo until %s. TLP:AMBER: for your "
		    "organisation's own use, as the pre-disclosure list's policy "
		    "allows, until then; at that date the advisory is public and "
		    "its TLP:WHITE document is published.",
		    rec_iso(f->embargo, t));
	jo(b, "distribution");
	if (until != NULL)
		js(b, "text", until);
	jo(b, "tlp");
	js(b, "label", f->tlp);
	json_builder_end_object(b);
	json_builder_end_object(b);
	ja(b, "notes");
	note(b, "summary", "Summary", x->r.title);
	if (until != NULL)
		note(b, "general", "Embargo", until);
	json_builder_end_array(b);
	free(until);
}

/* document - the document object */

static void
document(JsonBuilder *b, const struct form *f, const struct rec *x,
    const struct rec_opts *ro, char last[EM_TIME_BUFSZ])
{
	char *title = xasprintf("%s: %s", x->id, x->r.title);
	char *url = rec_url(ro->url, x);

	jo(b, "document");
	js(b, "category", "csaf_security_advisory");
	js(b, "csaf_version", "2.0");
	distribution(b, f, x);
	json_builder_set_member_name(b, "publisher");
	record_csaf_publisher(b, ro);
	ja(b, "references");
	json_builder_begin_object(b);
	js(b, "category", "self");
	js(b, "summary", "The advisory");
	js(b, "url", url);
	json_builder_end_object(b);
	json_builder_end_array(b);
	js(b, "title", title);
	tracking(b, f, x, last);
	json_builder_end_object(b);
	free(title);
	free(url);
}

/* csaf_doc - the whole document in the form f */

static JsonNode *
csaf_doc(const struct form *f, const struct rec *x, const struct rec_opts *ro,
    char last[EM_TIME_BUFSZ])
{
	JsonBuilder *b = json_builder_new();
	JsonNode *root;

	json_builder_begin_object(b);
	document(b, f, x, ro, last);
	jo(b, "product_tree");
	one_pair(b, "full_product_names", "product_id", "CSAFPID-0001", "name",
	    ro->product);
	json_builder_end_object(b);
	ja(b, "vulnerabilities");
	for (size_t i = 0; i < x->r.n_cves; i++)
		vulnerability(b, x, x->r.cves[i]);
	if (x->r.n_cves == 0)
		vulnerability(b, x, NULL);
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	g_object_unref(b);
	return root;
}

/* record_csaf_public - the public document (TLP:WHITE, final) */

JsonNode *
record_csaf_public(const struct rec *x, const struct rec_opts *ro,
    JsonNode *old, char last[EM_TIME_BUFSZ])
{
	struct form f = { "WHITE", "final", old, NULL, 0, 0, false };

	return csaf_doc(&f, x, ro, last);
}

/* record_csaf_amber - the members' document under embargo, as text */

char *
record_csaf_amber(const struct rec *x, const struct rec_opts *ro,
    const struct record_rev *revs, size_t n, time_t embargo)
{
	struct form f = { "AMBER", "interim", NULL, revs, n, embargo, true };
	char last[EM_TIME_BUFSZ];
	JsonNode *doc = csaf_doc(&f, x, ro, last);
	char *out = rec_json_text(doc, true);

	json_node_unref(doc);
	return out;
}
