/*
 * record_io.c - embargoctl record's files and JSON (record.h): a record
 * written whole or not at all, read back bounded, built a member at a
 * time
 */

/* System library. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Application-specific. */
#include "cli.h"
#include "record.h"

/* fail - a message on standard error (the hook's output reaches the
 * audit); EXIT_USAGE */

int
rec_fail(const char *fmt, ...)
{
	va_list ap;
	char *t;

	va_start(ap, fmt);
	t = xvasprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "embargoctl: record: %s\n", t);
	free(t);
	return EXIT_USAGE;
}

/* iso - t as RFC 3339, into a static buffer of the caller's */

const char *
rec_iso(time_t t, char buf[EM_TIME_BUFSZ])
{
	return em_time_format_iso(t, buf);
}

/* url_for - the pattern with %n (the number), %i (the id), %% */

char *
rec_url(const char *pattern, const struct rec *x)
{
	GString *g = g_string_new(NULL);

	for (const char *p = pattern; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 'n') {
			g_string_append_printf(g, "%ld", x->number);
			p++;
		} else if (p[0] == '%' && p[1] == 'i') {
			g_string_append(g, x->id);
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			g_string_append_c(g, '%');
			p++;
		} else {
			g_string_append_c(g, *p);
		}
	}
	return g_string_free(g, false);
}

/* ---- Files ---- */

/*
 * put - data as path, whole or not at all: written aside in the same
 * folder, synced, mode 0644, renamed over the old; EXIT_OK or EXIT_USAGE
 * after saying why
 */
int
rec_put(const char *path, const char *data, size_t len)
{
	char *tmp = xasprintf("%s.XXXXXX", path), *dir = xstrdup(path);
	int fd, rc = EXIT_OK;
	size_t off = 0;

	if ((fd = mkstemp(tmp)) < 0) {
		rc = rec_fail("cannot write beside %s: %s", path, strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (off != len || fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		rc = rec_fail("cannot write %s: %s", tmp, strerror(errno));
		(void)close(fd);
		(void)unlink(tmp);
		goto out;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		rc = rec_fail("cannot put %s in place: %s", path, strerror(errno));
		(void)unlink(tmp);
		goto out;
	}
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY)) >= 0) {
		(void)fsync(fd);
		(void)close(fd);
	}
out:
	free(tmp);
	free(dir);
	return rc;
}

/* put_json - node as pretty JSON at path, a newline after */

int
rec_put_json(const char *path, JsonNode *node)
{
	JsonGenerator *g = json_generator_new();
	gchar *s;
	gsize n;
	GString *t;
	int rc;

	json_generator_set_pretty(g, true);
	json_generator_set_indent(g, 2);
	json_generator_set_root(g, node);
	s = json_generator_to_data(g, &n);
	t = g_string_new_len(s, (gssize)n);
	g_string_append_c(t, '\n');
	rc = rec_put(path, t->str, t->len);
	g_string_free(t, true);
	g_free(s);
	g_object_unref(g);
	return rc;
}

/*
 * get_json - the JSON at path as a node (NULL when there is no file);
 * *rc EXIT_USAGE when there is one that cannot be read or parsed: a
 * record is never rewritten from nothing over one it could not read
 */
JsonNode *
rec_get_json(const char *path, int *rc)
{
	JsonParser *p;
	JsonNode *n = NULL;
	GError *ge = NULL;
	struct stat st;

	*rc = EXIT_OK;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			*rc = rec_fail("cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	if ((size_t)st.st_size > RECORD_FILE_MAX) {
		*rc = rec_fail("%s is over %zu bytes: not read, not rewritten", path,
		    RECORD_FILE_MAX);
		return NULL;
	}
	p = json_parser_new();
	if (!json_parser_load_from_file(p, path, &ge)) {
		*rc = rec_fail("%s is not JSON (%s): move it aside and run the hook "
		    "again (embargoctl hooks retry ID)", path, ge->message);
		g_error_free(ge);
	} else if (json_parser_get_root(p) == NULL) {
		/* An empty file is no record: never rewritten from nothing. */
		*rc = rec_fail("%s is empty: move it aside and run the hook "
		    "again (embargoctl hooks retry ID)", path);
	} else {
		n = json_node_copy(json_parser_get_root(p));
	}
	g_object_unref(p);
	return n;
}

/* member - name of the object node o when it holds that type; NULL
 * when o is not an object or the member is missing or of another type */

JsonNode *
rec_member(JsonNode *o, const char *name, JsonNodeType type)
{
	JsonNode *m;

	if (o == NULL || !JSON_NODE_HOLDS_OBJECT(o) ||
	    (m = json_object_get_member(json_node_get_object(o), name)) == NULL ||
	    json_node_get_node_type(m) != type)
		return NULL;
	return m;
}

/* text_member - a string member, or NULL (rec_member()) */

const char *
rec_text(JsonNode *o, const char *name)
{
	JsonNode *m = rec_member(o, name, JSON_NODE_VALUE);

	return m != NULL && json_node_get_value_type(m) == G_TYPE_STRING ?
	    json_node_get_string(m) : NULL;
}

/* mkdirs - path and its parents, 0755 */

int
rec_mkdirs(const char *path)
{
	if (g_mkdir_with_parents(path, 0755) < 0)
		return rec_fail("cannot make %s: %s", path, strerror(errno));
	return EXIT_OK;
}

/* js, ji, jb - a member and its value; jo, ja - a member that opens an
 * object or an array */

void
js(JsonBuilder *b, const char *k, const char *v)
{
	json_builder_set_member_name(b, k);
	json_builder_add_string_value(b, v);
}

void
ji(JsonBuilder *b, const char *k, gint64 v)
{
	json_builder_set_member_name(b, k);
	json_builder_add_int_value(b, v);
}

void
jb(JsonBuilder *b, const char *k, bool v)
{
	json_builder_set_member_name(b, k);
	json_builder_add_boolean_value(b, v);
}

void
jo(JsonBuilder *b, const char *k)
{
	json_builder_set_member_name(b, k);
	json_builder_begin_object(b);
}

void
ja(JsonBuilder *b, const char *k)
{
	json_builder_set_member_name(b, k);
	json_builder_begin_array(b);
}

void
jcves(JsonBuilder *b, const char *k, const struct rec *x)
{
	ja(b, k);
	for (size_t i = 0; i < x->r.n_cves; i++)
		json_builder_add_string_value(b, x->r.cves[i]);
	json_builder_end_array(b);
}
