/*
 * cmd_record.c - embargoctl record index|osv|csaf: the records machines
 * read, written at the release by a release_hook from the advisory's own
 * text (SPEC 6, "Records at the date")
 *
 * Run by the daemon as a release_hook (once per revision made public, as
 * its user, no shell), it reads EMBARGO_ADVISORY, EMBARGO_REVISION,
 * EMBARGO_DATE (the release second) and EMBARGO_TEXT (the advisory as
 * posted) and nothing typed twice: the title, the CVE ids, the version,
 * the description and what the version changed come from the text
 * (policy_record_read()).
 *
 *   index FILE   the index in the shape Xen publishes (xsa.json): one
 *                array holding one object whose "xsas" lists each
 *                advisory (xsa: its number, title, public_time, cve),
 *                this one's entry added or replaced, sorted by number
 *   osv DIR      DIR/ID.json, an OSV record (its id the advisory's,
 *                with --id-prefix, "x_" by default: a database OSV.dev
 *                does not know; aliases the CVEs; published the release;
 *                modified the run that wrote this revision)
 *   csaf DIR     a CSAF 2.0 csaf_security_advisory, TLP:WHITE (CSAF 2.0's
 *                name for TLP 2.0's CLEAR), in CSAF's directory layout:
 *                DIR/provider-metadata.json, DIR/white/YEAR/ID.json,
 *                DIR/white/index.txt and changes.csv; its revision
 *                history one entry for each revision made public
 *
 * Every file is written aside and renamed into place (0644: a web server
 * reads them), so a reader never sees half of one; a run again for the
 * same revision writes the same record (its modified and revision dates
 * kept), so a hook retried after a crash changes nothing.
 */

/* System library. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Utility library. */
#include <json-glib/json-glib.h>

/* Application-specific. */
#include "cli.h"
#include "record.h"
#include "../policy/policy.h"
#include "../util/emtime.h"

/* rec_read - the revision from the environment; EXIT_OK or why not */

static int
rec_read(struct rec *x)
{
	const char *rev = getenv("EMBARGO_REVISION"), *date =
	    getenv("EMBARGO_DATE"), *text = getenv("EMBARGO_TEXT");
	struct em_err err;
	struct buf b;
	size_t used;
	char *end;

	x->id = getenv("EMBARGO_ADVISORY");
	if (x->id == NULL || rev == NULL || date == NULL || text == NULL)
		return rec_fail("EMBARGO_ADVISORY, EMBARGO_REVISION, EMBARGO_DATE "
		    "and EMBARGO_TEXT are not all set: run it as a "
		    "release_hook (embargoctl(8), RECORDS)");
	if (!record_number(x->id, &x->number))
		return rec_fail("%s: its id does not end in a number", x->id);
	x->revision = (int)strtol(rev, &end, 10);
	if (*end != '\0' || x->revision < 1)
		return rec_fail("EMBARGO_REVISION \"%s\" is not a revision", rev);
	if (em_time_parse(date, strlen(date), &x->released, &used) < 0 ||
	    used != strlen(date))
		return rec_fail("EMBARGO_DATE \"%s\" is not a time", date);
	x->now = time(NULL);
	buf_init(&b);
	if (cli_read_all(text, RECORD_FILE_MAX, &b, &err) != EM_OK) {
		buf_free(&b);
		return rec_fail("%s", err.msg);
	}
	policy_record_read(b.data != NULL ? b.data : "", b.len, &x->r);
	buf_free(&b);
	if (x->r.title[0] == '\0') {
		policy_record_free(&x->r);
		return rec_fail("%s: no title after its title block in %s", x->id,
		    text);
	}
	return EXIT_OK;
}

/* ---- The index (xsa.json) ---- */

/* index_entry - this advisory's entry: public_time the release second,
 * or the one an earlier revision's entry has (kept) */

static JsonNode *
index_entry(const struct rec *x, const char *kept)
{
	JsonBuilder *b = json_builder_new();
	JsonNode *n;
	char t[32];
	struct tm tm;

	(void)gmtime_r(&x->released, &tm);
	(void)strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S", &tm);
	if (kept != NULL)	/* the first release's, whatever came later */
		(void)snprintf(t, sizeof(t), "%s", kept);
	json_builder_begin_object(b);
	ji(b, "xsa", x->number);
	js(b, "title", x->r.title);
	js(b, "public_time", t);
	jcves(b, "cve", x);
	json_builder_end_object(b);
	n = json_builder_get_root(b);
	g_object_unref(b);
	return n;
}

/* by_number - the index's order */

static gint
by_number(gconstpointer a, gconstpointer b)
{
	gint64 x = json_object_get_int_member(json_node_get_object(
	    *(JsonNode *const *)a), "xsa");
	gint64 y = json_object_get_int_member(json_node_get_object(
	    *(JsonNode *const *)b), "xsa");

	return x < y ? -1 : x > y;
}

/* index_old - the entries of the index at file but this advisory's into
 * v (none when there is no file), its public_time into kept; EXIT_USAGE,
 * said, when it is not one */

static int
index_old(const char *file, const struct rec *x, GPtrArray *v,
    char *kept, size_t n)
{
	JsonNode *old, *first = NULL, *xsas;
	struct em_err err;
	int rc;

	if ((old = rec_get_json(file, &rc)) == NULL)
		return rc;
	if (JSON_NODE_HOLDS_ARRAY(old) &&
	    json_array_get_length(json_node_get_array(old)) == 1)
		first = json_array_get_element(json_node_get_array(old), 0);
	if ((xsas = rec_member(first, "xsas", JSON_NODE_ARRAY)) == NULL)
		rc = EXIT_USAGE;
	for (guint i = 0; rc == EXIT_OK && i < json_array_get_length(
	    json_node_get_array(xsas)); i++) {
		JsonNode *e = json_array_get_element(json_node_get_array(xsas),
		    i), *num = rec_member(e, "xsa", JSON_NODE_VALUE);

		const char *pt = rec_text(e, "public_time");
		bool ours;

		/* An entry not in the index's shape (or a public_time too
		 * long to keep whole): refused, never dropped or cut. */
		ours = num != NULL && json_node_get_value_type(num) ==
		    G_TYPE_INT64 && json_node_get_int(num) == x->number;
		if (num == NULL || json_node_get_value_type(num) != G_TYPE_INT64 ||
		    (ours && pt != NULL && em_copy(kept, n, pt, "its public_time",
		    &err) < 0))
			rc = EXIT_USAGE;
		else if (!ours)
			g_ptr_array_add(v, json_node_copy(e));
	}
	json_node_unref(old);
	if (rc != EXIT_OK)
		return rec_fail("%s is not an index of advisories ([{\"xsas\": "
		    "[{\"xsa\": N, ...}]}]): not rewritten", file);
	return EXIT_OK;
}

/* record_index - FILE with this advisory's entry added or replaced */

static int
record_index(const char *file, const struct rec *x)
{
	GPtrArray *v = g_ptr_array_new_with_free_func(
	    (GDestroyNotify)json_node_unref);
	JsonBuilder *b;
	JsonNode *root;
	char *dir = xstrdup(file), kept[32] = "";
	int rc;

	rc = rec_mkdirs(dirname(dir));
	free(dir);
	if (rc != EXIT_OK || (rc = index_old(file, x, v, kept,
	    sizeof(kept))) != EXIT_OK) {
		g_ptr_array_free(v, true);
		return rc;
	}
	g_ptr_array_add(v, index_entry(x, kept[0] ? kept : NULL));
	g_ptr_array_sort(v, by_number);
	b = json_builder_new();
	json_builder_begin_array(b);
	json_builder_begin_object(b);
	ja(b, "xsas");
	for (guint i = 0; i < v->len; i++)
		json_builder_add_value(b, json_node_copy(g_ptr_array_index(v,
		    i)));
	json_builder_end_array(b);
	json_builder_end_object(b);
	json_builder_end_array(b);
	root = json_builder_get_root(b);
	g_object_unref(b);
	g_ptr_array_free(v, true);
	rc = rec_put_json(file, root);
	json_node_unref(root);
	if (rc == EXIT_OK)
		printf("record index: %s: %s (%s) written\n", file, x->id,
		    x->r.title);
	return rc;
}

/* ---- OSV ---- */

/* kept_time - member name of old, a time string, when old's
 * database_specific.revision is rev (any, rev -1); else NULL */

static const char *
kept_time(JsonNode *old, const char *name, int rev)
{
	JsonNode *r = rec_member(rec_member(old, "database_specific",
	    JSON_NODE_OBJECT), "revision", JSON_NODE_VALUE);

	if (rev >= 0 && (r == NULL || json_node_get_value_type(r) !=
	    G_TYPE_INT64 || json_node_get_int(r) != rev))
		return NULL;
	return rec_text(old, name);
}

/* osv_doc - the OSV record; published kept from old (the first
 * release; a later revision's EMBARGO_DATE is its post's time), modified
 * kept for the same revision, else the release (the first written) or
 * now */

static JsonNode *
osv_doc(const struct rec *x, const char *id, const char *url, JsonNode *old)
{
	const char *modified = kept_time(old, "modified", x->revision);
	const char *published = kept_time(old, "published", -1);
	char t1[EM_TIME_BUFSZ], t2[EM_TIME_BUFSZ];
	JsonBuilder *b = json_builder_new();
	JsonNode *root;

	json_builder_begin_object(b);
	js(b, "schema_version", "1.6.0");
	js(b, "id", id);
	js(b, "modified", modified != NULL ? modified : rec_iso(old == NULL ||
	    x->now < x->released ? x->released : x->now, t1));
	js(b, "published", published != NULL ? published :
	    rec_iso(x->released, t2));
	jcves(b, "aliases", x);
	js(b, "summary", x->r.title);
	js(b, "details", x->r.details.len > 0 ? x->r.details.data : x->r.title);
	ja(b, "references");
	json_builder_begin_object(b);
	js(b, "type", "ADVISORY");
	js(b, "url", url);
	json_builder_end_object(b);
	json_builder_end_array(b);
	jo(b, "database_specific");
	js(b, "advisory", x->id);
	ji(b, "revision", x->revision);
	json_builder_end_object(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	g_object_unref(b);
	return root;
}

/* record_osv - DIR/ID.json */

static int
record_osv(const char *dir, const struct rec *x, const struct rec_opts *ro)
{
	char *id = xasprintf("%s%s", ro->prefix, x->id);
	char *path = xasprintf("%s/%s.json", dir, id), *url = NULL;
	JsonNode *old = NULL, *root;
	int rc;

	if ((rc = rec_mkdirs(dir)) == EXIT_OK)
		old = rec_get_json(path, &rc);
	if (rc == EXIT_OK && old != NULL && (rec_text(old, "id") == NULL ||
	    rec_text(old, "published") == NULL))
		rc = rec_fail("%s is not an OSV record written by record osv: "
		    "not rewritten", path);
	if (rc == EXIT_OK) {
		url = rec_url(ro->url, x);
		root = osv_doc(x, id, url, old);
		rc = rec_put_json(path, root);
		json_node_unref(root);
	}
	if (rc == EXIT_OK)
		printf("record osv: %s: %s revision %d written\n", path, id,
		    x->revision);
	if (old != NULL)
		json_node_unref(old);
	free(url);
	free(id);
	free(path);
	return rc;
}

/* ---- The command ---- */

/* opts_read - the options after the kind and its place */

static int
opts_read(int argc, char **argv, struct rec_opts *ro)
{
	static const struct option lo[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "id-prefix", required_argument, NULL, 'p' },
		{ "base", required_argument, NULL, 'b' },
		{ "publisher", required_argument, NULL, 'P' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "product", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	ro->prefix = "x_";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'u': ro->url = optarg; break;
		case 'p': ro->prefix = optarg; break;
		case 'b': ro->base = optarg; break;
		case 'P': ro->publisher = optarg; break;
		case 'n': ro->ns = optarg; break;
		case 'r': ro->product = optarg; break;
		default: return cli_usage(RECORD_FORMS);
		}
	}
	return optind == argc ? EXIT_OK : cli_usage(RECORD_FORMS);
}

/* cmd_record - record index|osv|csaf PLACE [options] */

int
cmd_record(const struct opts *o, int argc, char **argv)
{
	struct rec_opts ro = { NULL, NULL, NULL, NULL, NULL, NULL };
	struct rec x;
	const char *kind, *place;
	int rc;

	(void)o;
	if (argc < 3)
		return cli_usage(RECORD_FORMS);
	kind = argv[1];
	place = argv[2];
	if (opts_read(argc - 2, argv + 2, &ro) != EXIT_OK)
		return EXIT_USAGE;
	if ((strcmp(kind, "osv") == 0 && ro.url == NULL) ||
	    (strcmp(kind, "csaf") == 0 && (ro.url == NULL || ro.base == NULL ||
	    ro.publisher == NULL || ro.ns == NULL || ro.product == NULL)) ||
	    (strcmp(kind, "index") != 0 && strcmp(kind, "osv") != 0 &&
	    strcmp(kind, "csaf") != 0))
		return cli_usage(RECORD_FORMS);
	memset(&x, 0, sizeof(x));
	if ((rc = rec_read(&x)) != EXIT_OK)
		return rc;
	if (strcmp(kind, "index") == 0)
		rc = record_index(place, &x);
	else if (strcmp(kind, "osv") == 0)
		rc = record_osv(place, &x, &ro);
	else
		rc = record_csaf(place, &x, &ro);
	policy_record_free(&x.r);
	return rc;
}
