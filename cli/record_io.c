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
	char *t = rec_json_text(node, true);
	int rc = rec_put(path, t, strlen(t));

	free(t);
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

/* mkdirs - path and its parents, 0755 */

int
rec_mkdirs(const char *path)
{
	if (g_mkdir_with_parents(path, 0755) < 0)
		return rec_fail("cannot make %s: %s", path, strerror(errno));
	return EXIT_OK;
}
