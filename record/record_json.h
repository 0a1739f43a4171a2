/*
 * record_json.h - the records as json-glib nodes, for the rooms that
 * write them (cli/): the members a JSON builder takes, and the public
 * CSAF document (TLP:WHITE) whose history continues the one written
 * before
 */
#ifndef RECORD_JSON_H
#define RECORD_JSON_H

#include <json-glib/json-glib.h>

#include "record.h"
#include "../util/emtime.h"

/* t as RFC 3339 UTC into buf. */
const char *rec_iso(time_t t, char buf[EM_TIME_BUFSZ]);
/* A member of an object node of that type, a string member: NULL when
 * the node is not an object or the member is missing or another type. */
JsonNode *rec_member(JsonNode *o, const char *name, JsonNodeType type);
const char *rec_text(JsonNode *o, const char *name);
/* node as JSON text and a newline (caller frees). */
char   *rec_json_text(JsonNode *node, bool pretty);
/* js, ji, jb: a member and its value; jo, ja: a member that opens an
 * object or an array; jcves: k, the record's CVE ids */
void	js(JsonBuilder *b, const char *k, const char *v);
void	ji(JsonBuilder *b, const char *k, gint64 v);
void	jb(JsonBuilder *b, const char *k, bool v);
void	jo(JsonBuilder *b, const char *k);
void	ja(JsonBuilder *b, const char *k);
void	jcves(JsonBuilder *b, const char *k, const struct rec *x);

/* The publisher object, as CSAF's document and provider metadata have it. */
void	record_csaf_publisher(JsonBuilder *b, const struct rec_opts *ro);
/* The revision history of a document written before, or NULL. */
JsonArray *record_csaf_history(JsonNode *old);
/*
 * The public document (TLP:WHITE, final): old's history before this
 * revision, then this one's entry (its date kept on a run again, else
 * the release for the first revision public, x->now for a later one),
 * its date into last.
 */
JsonNode *record_csaf_public(const struct rec *x, const struct rec_opts *ro,
	    JsonNode *old, char last[EM_TIME_BUFSZ]);

#endif
