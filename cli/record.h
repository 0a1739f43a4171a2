/*
 * record.h - embargoctl record's pieces, shared by cmd_record.c (the
 * revision, the files, the index and OSV) and record_csaf.c (CSAF 2.0)
 */
#ifndef RECORD_H
#define RECORD_H

#include <stdbool.h>
#include <time.h>

#include <json-glib/json-glib.h>

#include "../policy/policy.h"
#include "../util/emtime.h"

/* The most a record file read back, or the advisory's text, may hold. */
#define RECORD_FILE_MAX	((size_t)16 << 20)

#define RECORD_FORMS	"record index FILE | record osv DIR --url PATTERN " \
			"[--id-prefix P] | record csaf DIR --url PATTERN " \
			"--base URL --publisher NAME --namespace URL " \
			"--product NAME"

/* One revision made public, from the environment and its text. */
struct rec {
	const char *id;			/* XSA-405 */
	long	number;			/* 405 */
	int	revision;
	time_t	released;		/* EMBARGO_DATE */
	time_t	now;
	struct policy_record r;
};

/* The options. */
struct rec_opts {
	const char *url, *prefix, *base, *publisher, *ns, *product;
};

/* A message on standard error (the hook's output reaches the audit). */
int	rec_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* t as RFC 3339 UTC into buf. */
const char *rec_iso(time_t t, char buf[EM_TIME_BUFSZ]);
/* The pattern with %n (the number), %i (the id), %%. */
char   *rec_url(const char *pattern, const struct rec *x);
/* data as path, whole or not at all (written aside, synced, 0644,
 * renamed); node as pretty JSON so. */
int	rec_put(const char *path, const char *data, size_t len);
int	rec_put_json(const char *path, JsonNode *node);
/* The JSON at path (NULL, *rc EXIT_OK: no file; *rc EXIT_USAGE: one that
 * cannot be read or parsed, said). */
JsonNode *rec_get_json(const char *path, int *rc);
int	rec_mkdirs(const char *path);
/* A member of an object node of that type, a string member: NULL when
 * the node is not an object or the member is missing or another type. */
JsonNode *rec_member(JsonNode *o, const char *name, JsonNodeType type);
const char *rec_text(JsonNode *o, const char *name);
void	js(JsonBuilder *b, const char *k, const char *v);
void	ji(JsonBuilder *b, const char *k, gint64 v);
void	jb(JsonBuilder *b, const char *k, bool v);
void	jo(JsonBuilder *b, const char *k);
void	ja(JsonBuilder *b, const char *k);
/* k: the record's CVE ids, an array of strings */
void	jcves(JsonBuilder *b, const char *k, const struct rec *x);

/* The CSAF document and its directory (record_csaf.c). */
int	record_csaf(const char *dir, const struct rec *x,
	    const struct rec_opts *ro);

#endif
