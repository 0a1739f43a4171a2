/*
 * json.c - the records' JSON a member at a time, and the pieces every
 * record takes from an advisory's id (record.h, record_json.h)
 */

/* System library. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include "record_json.h"

/* record_number - the number an id ends in */

bool
record_number(const char *id, long *n)
{
	const char *d = id + strlen(id);
	char *end;

	while (d > id && isdigit((unsigned char)d[-1]))
		d--;
	errno = 0;
	*n = strtol(d, &end, 10);
	return *d != '\0' && *end == '\0' && errno == 0;
}

/* record_csaf_name - CSAF's file name of an id (5.1) */

char *
record_csaf_name(const char *id)
{
	char *s = xstrdup(id);

	for (char *p = s; *p != '\0'; p++) {
		*p = (char)tolower((unsigned char)*p);
		if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-')
			*p = '_';
	}
	return s;
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

/* rec_json_text - node as JSON text and a newline (pretty: indented by
 * two), caller frees */

char *
rec_json_text(JsonNode *node, bool pretty)
{
	JsonGenerator *g = json_generator_new();
	gchar *s;
	char *out;

	json_generator_set_pretty(g, pretty);
	json_generator_set_indent(g, 2);
	json_generator_set_root(g, node);
	s = json_generator_to_data(g, NULL);
	out = xasprintf("%s\n", s);
	g_free(s);
	g_object_unref(g);
	return out;
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
