/*
 * record_csaf.c - embargoctl record csaf: a CSAF 2.0
 * csaf_security_advisory from the advisory's own text, in CSAF's
 * directory layout (SPEC 6, "Records at the date"; cmd_record.c says
 * how the record commands run)
 *
 * DIR/white/YEAR/NAME.json (TLP:WHITE, CSAF 2.0's name for TLP 2.0's
 * CLEAR), DIR/white/index.txt and changes.csv (newest first), and
 * DIR/provider-metadata.json.  The revision history gains one entry for
 * each revision made public; a run again keeps the dates it wrote.  The
 * document itself is record/'s (record_csaf_public()), the builder of the
 * members' TLP:AMBER one too.
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Application-specific. */
#include "cli.h"
#include "record.h"

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
	record_csaf_publisher(b, ro);
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
	char *name = record_csaf_name(x->id), *white =
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
	if (old != NULL && record_csaf_history(old) == NULL) {
		rc = rec_fail("%s is not a CSAF document written by record csaf "
		    "(no document.tracking.revision_history): not rewritten",
		    path);
		goto out;
	}
	doc = record_csaf_public(x, ro, old, last);
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
	free(white);
	free(ydir);
	free(path);
	free(rel);
	return rc;
}

