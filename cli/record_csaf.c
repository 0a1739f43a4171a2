/*
 * record_csaf.c - embargoctl record csaf: a CSAF 2.0
 * csaf_security_advisory from the advisory's own text, in CSAF's
 * directory layout (SPEC 6, "Records at the date"; cmd_record.c says
 * how the record commands run)
 *
 * DIR/white/YEAR/NAME.json (TLP:WHITE, CSAF 2.0's name for TLP 2.0's
 * CLEAR), DIR/white/index.txt and changes.csv (newest first), and
 * DIR/provider-metadata.json.  The revision history gains one entry for
 * each revision made public; a run again keeps the dates it wrote.
 */

/* System library. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Application-specific. */
#include "cli.h"
#include "record.h"

/* csaf_name - CSAF's file name of an id (5.1): lower case, anything but
 * [+-a-z0-9] an underscore */

static char *
csaf_name(const char *id)
{
	char *s = xstrdup(id);

	for (char *p = s; *p != '\0'; p++) {
		*p = (char)tolower((unsigned char)*p);
		if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-')
			*p = '_';
	}
	return s;
}

/* publisher - the publisher object */

static void
publisher(JsonBuilder *b, const struct rec_opts *ro)
{
	json_builder_begin_object(b);
	js(b, "category", "vendor");
	js(b, "name", ro->publisher);
	js(b, "namespace", ro->ns);
	json_builder_end_object(b);
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

/* old_history - the revision history of the document written before,
 * or NULL */

static JsonArray *
old_history(JsonNode *old)
{
	JsonNode *h = rec_member(rec_member(rec_member(old, "document",
	    JSON_NODE_OBJECT), "tracking", JSON_NODE_OBJECT), "revision_history",
	    JSON_NODE_ARRAY);

	return h != NULL ? json_node_get_array(h) : NULL;
}

/* history_entry - this revision's entry, dated when */

static void
history_entry(JsonBuilder *b, const struct rec *x, const char *when)
{
	char n[16], *summary = x->r.update[0] != '\0' ?
	    xasprintf("Version %d: %s", x->revision, x->r.update) :
	    xasprintf("Version %d", x->revision);

	(void)snprintf(n, sizeof(n), "%d", x->revision);
	json_builder_begin_object(b);
	js(b, "date", when);
	js(b, "number", n);
	js(b, "summary", summary);
	json_builder_end_object(b);
	free(summary);
}

/* history - the revision history: the old document's entries before
 * this revision, then this one (its date kept on a run again) */

static void
history(JsonBuilder *b, JsonNode *old, const struct rec *x, time_t *first,
    char last[EM_TIME_BUFSZ])
{
	JsonArray *h = old_history(old);
	char t[EM_TIME_BUFSZ];
	const char *kept = NULL;
	unsigned earlier = 0;

	*first = x->released;
	json_builder_begin_array(b);
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
	history_entry(b, x, last);
	json_builder_end_array(b);
}

/* vulnerability - one vulnerability: a CVE, or (none) the advisory's id */

static void
vulnerability(JsonBuilder *b, const struct rec *x, const char *cve)
{
	json_builder_begin_object(b);
	if (cve != NULL) {
		js(b, "cve", cve);
	} else {
		ja(b, "ids");
		json_builder_begin_object(b);
		js(b, "system_name", "advisory");
		js(b, "text", x->id);
		json_builder_end_object(b);
		json_builder_end_array(b);
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

/* tracking - document.tracking: the id, the history, the dates (last:
 * this revision's), final, the version */

static void
tracking(JsonBuilder *b, JsonNode *old, const struct rec *x,
    char last[EM_TIME_BUFSZ])
{
	char t[EM_TIME_BUFSZ], rev[16];
	time_t first;

	(void)snprintf(rev, sizeof(rev), "%d", x->revision);
	jo(b, "tracking");
	js(b, "id", x->id);
	json_builder_set_member_name(b, "revision_history");
	history(b, old, x, &first, last);
	js(b, "initial_release_date", rec_iso(first, t));
	js(b, "current_release_date", last);
	js(b, "status", "final");
	js(b, "version", rev);
	json_builder_end_object(b);
}

/* csaf_doc - the document */

static JsonNode *
csaf_doc(const struct rec *x, const struct rec_opts *ro, JsonNode *old,
    const char *url, char last[EM_TIME_BUFSZ])
{
	JsonBuilder *b = json_builder_new();
	JsonNode *root;
	char *title = xasprintf("%s: %s", x->id, x->r.title);

	json_builder_begin_object(b);
	jo(b, "document");
	js(b, "category", "csaf_security_advisory");
	js(b, "csaf_version", "2.0");
	jo(b, "distribution");
	jo(b, "tlp");
	js(b, "label", "WHITE");
	json_builder_end_object(b);
	json_builder_end_object(b);
	ja(b, "notes");
	note(b, "summary", "Summary", x->r.title);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "publisher");
	publisher(b, ro);
	ja(b, "references");
	json_builder_begin_object(b);
	js(b, "category", "self");
	js(b, "summary", "The advisory");
	js(b, "url", url);
	json_builder_end_object(b);
	json_builder_end_array(b);
	js(b, "title", title);
	tracking(b, old, x, last);
	json_builder_end_object(b);
	jo(b, "product_tree");
	ja(b, "full_product_names");
	json_builder_begin_object(b);
	js(b, "product_id", "CSAFPID-0001");
	js(b, "name", ro->product);
	json_builder_end_object(b);
	json_builder_end_array(b);
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
	free(title);
	return root;
}

/* provider - DIR/provider-metadata.json, last updated when the
 * documents last changed (a run again writes the same) */

static int
provider(const char *dir, const struct rec_opts *ro, const char *updated)
{
	char *path = xasprintf("%s/provider-metadata.json", dir);
	char *canon = xasprintf("%s/provider-metadata.json", ro->base);
	char *white = xasprintf("%s/white/", ro->base);
	JsonBuilder *b = json_builder_new();
	JsonNode *root;
	int rc;

	json_builder_begin_object(b);
	js(b, "canonical_url", canon);
	ja(b, "distributions");
	json_builder_begin_object(b);
	js(b, "directory_url", white);
	json_builder_end_object(b);
	json_builder_end_array(b);
	js(b, "last_updated", updated);
	jb(b, "list_on_CSAF_aggregators", true);
	js(b, "metadata_version", "2.0");
	jb(b, "mirror_on_CSAF_aggregators", true);
	json_builder_set_member_name(b, "publisher");
	publisher(b, ro);
	js(b, "role", "csaf_provider");
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	g_object_unref(b);
	rc = rec_put_json(path, root);
	json_node_unref(root);
	free(path);
	free(canon);
	free(white);
	return rc;
}

/* newest_first - changes.csv's order: by the date field (RFC 3339 sorts
 * as text), newest first, then by path */

static gint
newest_first(gconstpointer a, gconstpointer b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	const char *dx = strstr(x, "\",\""), *dy = strstr(y, "\",\"");
	int c = strcmp(dy != NULL ? dy : "", dx != NULL ? dx : "");

	return c != 0 ? c : strcmp(x, y);
}

/*
 * listing - DIR/white/index.txt (every document, by path) and
 * changes.csv (each with its current release date, newest first), from
 * the documents in the folder; this one's line given
 */
static int
listing(const char *white, const char *rel, const char *when,
    char newest[EM_TIME_BUFSZ])
{
	char *ip = xasprintf("%s/index.txt", white);
	char *cp = xasprintf("%s/changes.csv", white);
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	struct em_err err;
	struct buf b;
	GString *idx = g_string_new(NULL), *chg = g_string_new(NULL);
	int rc = EXIT_OK;

	buf_init(&b);
	if (access(cp, F_OK) == 0 &&
	    cli_read_all(cp, RECORD_FILE_MAX, &b, &err) != EM_OK)
		rc = rec_fail("%s", err.msg);
	else if (access(cp, F_OK) != 0 && access(ip, F_OK) == 0)
		rc = rec_fail("%s is there but %s is not: the listing is made "
		    "from changes.csv; restore it (or move index.txt aside)",
		    ip, cp);
	if (rc == EXIT_OK) {
		gchar **v = g_strsplit(b.data != NULL ? b.data : "", "\n", -1);
		char *quoted = xasprintf("\"%s\",", rel);

		for (gchar **l = v; *l != NULL; l++)
			if (**l != '\0' && strncmp(*l, quoted,
			    strlen(quoted)) != 0)
				g_ptr_array_add(lines, g_strdup(*l));
		g_ptr_array_add(lines, g_strdup_printf("\"%s\",\"%s\"", rel,
		    when));
		free(quoted);
		g_strfreev(v);
		g_ptr_array_sort(lines, newest_first);
	}
	buf_free(&b);
	if (rc == EXIT_OK) {
		for (guint i = 0; i < lines->len; i++) {
			const char *l = g_ptr_array_index(lines, i);
			const char *c = strstr(l, "\",\"");

			g_string_append_printf(chg, "%s\n", l);
			if (c != NULL)
				g_string_append_printf(idx, "%.*s\n",
				    (int)(c - l - 1), l + 1);
		}
		const char *top = g_ptr_array_index(lines, 0), *d = strstr(top,
		    "\",\"");

		(void)snprintf(newest, EM_TIME_BUFSZ, "%.20s", d != NULL ?
		    d + 3 : when);
		rc = rec_put(cp, chg->str, chg->len);
		if (rc == EXIT_OK)
			rc = rec_put(ip, idx->str, idx->len);
	}
	g_string_free(idx, true);
	g_string_free(chg, true);
	g_ptr_array_free(lines, true);
	free(ip);
	free(cp);
	return rc;
}

/* year_of - the year folder index.txt already lists NAME.json in, if
 * any, into year (a later revision stays beside the first); EXIT_USAGE,
 * said, when index.txt is there but cannot be read */

static int
year_of(const char *white, const char *name, char *year, size_t n)
{
	char *ip = xasprintf("%s/index.txt", white);
	char *tail = xasprintf("/%s.json", name);
	struct em_err err;
	struct buf b;
	int rc = EXIT_OK;

	buf_init(&b);
	if (access(ip, F_OK) == 0 &&
	    cli_read_all(ip, RECORD_FILE_MAX, &b, &err) != EM_OK)
		rc = rec_fail("%s", err.msg);	/* unreadable is not absent */
	else if (b.data != NULL) {
		gchar **v = g_strsplit(b.data, "\n", -1);

		for (gchar **l = v; *l != NULL; l++) {
			size_t ln = strlen(*l), tn = strlen(tail);

			if (ln > tn && ln - tn < n && strcmp(*l + ln - tn,
			    tail) == 0) {
				(void)snprintf(year, n, "%.*s", (int)(ln - tn), *l);
				break;
			}
		}
		g_strfreev(v);
	}
	buf_free(&b);
	free(ip);
	free(tail);
	return rc;
}

/* record_csaf - the document and its directory's files */

int
record_csaf(const char *dir, const struct rec *x, const struct rec_opts *ro)
{
	char *name = csaf_name(x->id), *url = rec_url(ro->url, x), *white =
	    xasprintf("%s/white", dir), *ydir = NULL, *path = NULL, *rel = NULL;
	char year[8], last[EM_TIME_BUFSZ], newest[EM_TIME_BUFSZ];
	JsonNode *old = NULL, *doc;
	struct tm tm;
	int rc;

	/* The year of its first release: where an earlier run put it. */
	(void)gmtime_r(&x->released, &tm);
	(void)strftime(year, sizeof(year), "%Y", &tm);
	rc = year_of(white, name, year, sizeof(year));
	ydir = xasprintf("%s/%s", white, year);
	path = xasprintf("%s/%s.json", ydir, name);
	if (rc != EXIT_OK || (rc = rec_mkdirs(ydir)) != EXIT_OK ||
	    ((old = rec_get_json(path, &rc)), rc != EXIT_OK))
		goto out;
	if (old != NULL && old_history(old) == NULL) {
		rc = rec_fail("%s is not a CSAF document written by record csaf "
		    "(no document.tracking.revision_history): not rewritten",
		    path);
		goto out;
	}
	doc = csaf_doc(x, ro, old, url, last);
	rc = rec_put_json(path, doc);
	json_node_unref(doc);
	rel = xasprintf("%s/%s.json", year, name);
	if (rc == EXIT_OK)
		rc = listing(white, rel, last, newest);
	if (rc == EXIT_OK)
		rc = provider(dir, ro, newest);
	if (rc == EXIT_OK)
		printf("record csaf: %s: %s revision %d written\n", path, x->id,
		    x->revision);
out:
	if (old != NULL)
		json_node_unref(old);
	free(name);
	free(url);
	free(white);
	free(ydir);
	free(path);
	free(rel);
	return rc;
}

