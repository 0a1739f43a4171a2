/*
 * record.h - embargoctl record's pieces, shared by cmd_record.c (the
 * revision, the files, the index and OSV) and record_csaf.c (CSAF 2.0)
 */
#ifndef CLI_RECORD_H
#define CLI_RECORD_H

#include <stdbool.h>
#include <time.h>

#include "../record/record_json.h"

/* The most a record file read back, or the advisory's text, may hold. */
#define RECORD_FILE_MAX	((size_t)16 << 20)

#define RECORD_FORMS	"record index FILE | record osv DIR --url PATTERN " \
			"[--id-prefix P] | record csaf DIR --url PATTERN " \
			"--base URL --publisher NAME --namespace URL " \
			"--product NAME"

/* A message on standard error (the hook's output reaches the audit). */
int	rec_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* data as path, whole or not at all (written aside, synced, 0644,
 * renamed); node as pretty JSON so. */
int	rec_put(const char *path, const char *data, size_t len);
int	rec_put_json(const char *path, JsonNode *node);
/* The JSON at path (NULL, *rc EXIT_OK: no file; *rc EXIT_USAGE: one that
 * cannot be read or parsed, said). */
JsonNode *rec_get_json(const char *path, int *rc);
int	rec_mkdirs(const char *path);
/* The CSAF document and its directory (record_csaf.c). */
int	record_csaf(const char *dir, const struct rec *x,
	    const struct rec_opts *ro);

#endif
