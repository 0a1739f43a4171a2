/*
 * backup_io.c - a backup's archive in memory (backup.h): the files it
 * holds, its manifest, the tar built and read by libarchive, and a file
 * put in place whole
 *
 * Nothing unencrypted reaches the disk on the way out: the tar is built
 * in memory and handed to keys_encrypt_to().  On the way in every name
 * is checked (a plain relative name under one of the folders a backup
 * has) and every member is bounded, before anything is written.
 */

/* System library. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Utility library. */
#include <archive.h>
#include <archive_entry.h>
#include <json-glib/json-glib.h>

/* Application-specific. */
#include "cli.h"
#include "backup.h"
#include "../record/record_json.h"
#include "../util/emtime.h"

/* backup_files_add - one member, its bytes copied */

void
backup_files_add(struct backup_files *f, const char *name, const void *p,
    size_t n, unsigned mode)
{
	struct backup_file *e;

	f->v = xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
	e = &f->v[f->n++];
	e->name = xstrdup(name);
	buf_init(&e->data);
	buf_append(&e->data, p, n);
	e->mode = mode;
}

/* backup_files_free - every member freed */

void
backup_files_free(struct backup_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		buf_free(&f->v[i].data);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

/* backup_files_find - the member of that name, or NULL */

const struct backup_file *
backup_files_find(const struct backup_files *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].name, name) == 0)
			return &f->v[i];
	return NULL;
}

/* skipped - a GnuPG home's entry that is not state: sockets, locks, the
 * random seed, temporary files */

static bool
skipped(const char *name)
{
	return name[0] == '.' || strncmp(name, "S.", 2) == 0 ||
	    strstr(name, ".lock") != NULL || strcmp(name, "random_seed") == 0 ||
	    strstr(name, "~") != NULL || strstr(name, ".tmp") != NULL;
}

static bool plain_name(const char *name);

/* add_dir - the regular files of dir (one level) as prefix/NAME, those
 * a restore writes (plain_name()) */

static int
add_dir(struct backup_files *f, const char *dir, const char *prefix,
    struct em_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = EM_OK;

	if (d == NULL)
		return errno == ENOENT ? EM_OK : em_fail(err, EM_EIO, "%s: %s",
		    dir, strerror(errno));
	while (rc == EM_OK && (e = readdir(d)) != NULL) {
		char *path = xasprintf("%s/%s", dir, e->d_name);
		char *name = xasprintf("%s/%s", prefix, e->d_name);
		struct stat st;
		struct buf b;

		buf_init(&b);
		if (plain_name(name) && lstat(path, &st) == 0 &&
		    S_ISREG(st.st_mode) &&
		    (rc = cli_read_all(path, BACKUP_FILE_MAX, &b, err)) == EM_OK)
			backup_files_add(f, name, b.data ? b.data : "", b.len,
			    st.st_mode & 0777);
		buf_free(&b);
		free(path);
		free(name);
	}
	(void)closedir(d);
	return rc;
}

/* backup_add_home - the GnuPG home: its files, the certificates gpgsm
 * keeps beside them, and the secret keys only if asked */

int
backup_add_home(struct backup_files *f, const char *home, bool secret,
    struct em_err *err)
{
	char *sub = xasprintf("%s/private-keys-v1.d", home);
	char *revs = xasprintf("%s/openpgp-revocs.d", home);
	char *kbd = xasprintf("%s/public-keys.d", home);
	int rc = add_dir(f, home, "gnupg", err);

	if (rc == EM_OK)
		rc = add_dir(f, revs, "gnupg/openpgp-revocs.d", err);
	if (rc == EM_OK)	/* keyboxd's, where a GnuPG 2.4 home uses it */
		rc = add_dir(f, kbd, "gnupg/public-keys.d", err);
	if (rc == EM_OK && secret)
		rc = add_dir(f, sub, "gnupg/private-keys-v1.d", err);
	free(sub);
	free(revs);
	free(kbd);
	return rc;
}

/* backup_manifest_json - the manifest as one JSON object */

char *
backup_manifest_json(const struct backup_manifest *m)
{
	JsonBuilder *b = json_builder_new();
	JsonNode *root;
	char t[EM_TIME_BUFSZ], seq[24];
	char *out;

	(void)snprintf(seq, sizeof(seq), "%llu", (unsigned long long)m->audit_seq);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "format");
	json_builder_add_int_value(b, m->format);
	json_builder_set_member_name(b, "taken");
	json_builder_add_string_value(b, em_time_format_iso(m->taken, t));
	json_builder_set_member_name(b, "host");
	json_builder_add_string_value(b, m->host);
	json_builder_set_member_name(b, "audit_seq");
	json_builder_add_string_value(b, seq);
	json_builder_set_member_name(b, "audit_hash");
	json_builder_add_string_value(b, m->audit_hash);
	json_builder_set_member_name(b, "advisories");
	json_builder_add_int_value(b, m->advisories);
	json_builder_set_member_name(b, "secret_keys");
	json_builder_add_boolean_value(b, m->secret_keys);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	out = rec_json_text(root, false);
	json_node_unref(root);
	g_object_unref(b);
	return out;
}

/* member_text - a string member of o, or "" */

static const char *
member_text(JsonObject *o, const char *k)
{
	JsonNode *n = json_object_get_member(o, k);

	return n != NULL && JSON_NODE_HOLDS_VALUE(n) &&
	    json_node_get_value_type(n) == G_TYPE_STRING ?
	    json_node_get_string(n) : "";
}

/* backup_manifest_read - the manifest from its JSON; EM_EPARSE, said,
 * when it is not one this build reads */

int
backup_manifest_read(const char *p, size_t n, struct backup_manifest *m,
    struct em_err *err)
{
	JsonParser *jp = json_parser_new();
	JsonNode *root;
	JsonObject *o;
	size_t used;
	int rc = EM_OK;
	const char *taken;

	memset(m, 0, sizeof(*m));
	if (!json_parser_load_from_data(jp, p, (gssize)n, NULL) ||
	    (root = json_parser_get_root(jp)) == NULL ||
	    !JSON_NODE_HOLDS_OBJECT(root)) {
		g_object_unref(jp);
		return em_fail(err, EM_EPARSE, "its MANIFEST.json is not JSON");
	}
	o = json_node_get_object(root);
	m->format = (int)json_object_get_int_member_with_default(o, "format", 0);
	m->advisories = (long)json_object_get_int_member_with_default(o,
	    "advisories", 0);
	m->secret_keys = json_object_get_boolean_member_with_default(o,
	    "secret_keys", false);
	m->audit_seq = strtoull(member_text(o, "audit_seq"), NULL, 10);
	(void)snprintf(m->audit_hash, sizeof(m->audit_hash), "%s",
	    member_text(o, "audit_hash"));
	(void)snprintf(m->host, sizeof(m->host), "%s", member_text(o, "host"));
	taken = member_text(o, "taken");
	if (m->format != BACKUP_FORMAT)
		rc = em_fail(err, EM_EPARSE, "its format is %d; this embargoctl "
		    "reads format %d", m->format, BACKUP_FORMAT);
	else if (em_time_parse(taken, strlen(taken), &m->taken, &used) < 0 ||
	    used != strlen(taken) || strlen(m->audit_hash) != 64)
		rc = em_fail(err, EM_EPARSE, "its MANIFEST.json lacks the time "
		    "it was taken or the audit chain's tip");
	g_object_unref(jp);
	return rc;
}

/* tar_write - libarchive's writer: into the caller's buffer */

static la_ssize_t
tar_write(struct archive *a, void *ctx, const void *p, size_t n)
{
	(void)a;
	buf_append(ctx, p, n);
	return (la_ssize_t)n;
}

/* backup_tar - the files as a tar (pax), in memory */

int
backup_tar(const struct backup_files *f, struct buf *out, struct em_err *err)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	int rc = EM_OK;

	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, out, NULL, tar_write, NULL) != ARCHIVE_OK)
		rc = em_fail(err, EM_EIO, "libarchive: %s", archive_error_string(a));
	for (size_t i = 0; rc == EM_OK && i < f->n; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, f->v[i].name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, f->v[i].mode);
		archive_entry_set_size(e, (la_int64_t)f->v[i].data.len);
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    (f->v[i].data.len > 0 && archive_write_data(a,
		    f->v[i].data.data, f->v[i].data.len) !=
		    (la_ssize_t)f->v[i].data.len))
			rc = em_fail(err, EM_EIO, "libarchive: %s: %s",
			    f->v[i].name, archive_error_string(a));
	}
	if (archive_write_close(a) != ARCHIVE_OK && rc == EM_OK)
		rc = em_fail(err, EM_EIO, "libarchive: %s", archive_error_string(a));
	archive_entry_free(e);
	archive_write_free(a);
	return rc;
}

/*
 * plain_name - a name a backup holds and a restore writes: the manifest,
 * the store, the fingerprint key, the config, and the GnuPG home's key
 * data (its keyrings, trust, revocations, secret keys); never a program's
 * settings there (gpg-agent.conf may name a program to run), a socket, a
 * lock or a name with ".." or an empty part
 */
static bool
plain_name(const char *name)
{
	static const char *const exact[] = { "MANIFEST.json", "state/data.mdb",
	    "state/print.key", "config/embargo-milter.conf", NULL };
	static const char *const home[] = { "gnupg/pubring.kbx",
	    "gnupg/pubring.gpg", "gnupg/trustdb.gpg", "gnupg/trustlist.txt",
	    "gnupg/openpgp-revocs.d/", "gnupg/private-keys-v1.d/",
	    "gnupg/public-keys.d/", NULL };
	const char *base = strrchr(name, '/');
	bool known = false;

	for (int i = 0; exact[i] != NULL; i++)
		known |= strcmp(name, exact[i]) == 0;
	for (int i = 0; home[i] != NULL; i++)
		known |= home[i][strlen(home[i]) - 1] == '/' ?
		    strncmp(name, home[i], strlen(home[i])) == 0 &&
		    strchr(name + strlen(home[i]), '/') == NULL :
		    strcmp(name, home[i]) == 0;
	base = base != NULL ? base + 1 : name;
	if (!known || strstr(name, "..") != NULL || base[0] == '\0' ||
	    skipped(base))
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("._-+/", *p) != NULL))
			return false;
	return true;
}

/* read_member - the current member's bytes, within max */

static int
read_member(struct archive *a, struct archive_entry *e, size_t max,
    struct backup_files *f, struct em_err *err)
{
	const char *name = archive_entry_pathname(e);
	la_int64_t size = archive_entry_size(e);
	struct buf b;
	char chunk[65536];
	la_ssize_t r;

	if (archive_entry_filetype(e) != AE_IFREG || name == NULL ||
	    !plain_name(name))
		return em_fail(err, EM_EPARSE, "it holds \"%s\", which no backup "
		    "holds", name != NULL ? name : "(no name)");
	if (size < 0 || (size_t)size > max)
		return em_fail(err, EM_ELIMIT, "its %s is over %zu bytes", name,
		    max);
	buf_init(&b);
	while ((r = archive_read_data(a, chunk, sizeof(chunk))) > 0 &&
	    b.len + (size_t)r <= max)
		buf_append(&b, chunk, (size_t)r);
	if (r != 0 || b.len != (size_t)size) {
		buf_free(&b);
		return em_fail(err, EM_EPARSE, "its %s is cut short or damaged",
		    name);
	}
	backup_files_add(f, name, b.data ? b.data : "", b.len,
	    archive_entry_perm(e) & 0700);
	buf_free(&b);
	return EM_OK;
}

/* backup_untar - the files of a tar in memory, each checked */

int
backup_untar(const char *p, size_t n, size_t store_max, struct backup_files *f,
    struct em_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int rc = EM_OK, r;

	(void)archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, p, n) != ARCHIVE_OK)
		rc = em_fail(err, EM_EPARSE, "it is not a backup (%s)",
		    archive_error_string(a));
	while (rc == EM_OK && (r = archive_read_next_header(a, &e)) !=
	    ARCHIVE_EOF) {
		if (r != ARCHIVE_OK)
			rc = em_fail(err, EM_EPARSE, "it is damaged (%s)",
			    archive_error_string(a));
		else if (f->n > 10000)
			rc = em_fail(err, EM_ELIMIT, "it holds over 10000 files");
		else
			rc = read_member(a, e, strcmp(archive_entry_pathname(e),
			    "state/data.mdb") == 0 ? store_max : BACKUP_FILE_MAX,
			    f, err);
	}
	archive_read_free(a);
	return rc;
}

/* backup_put - a file whole or not at all: written aside, synced,
 * renamed over the old */

int
backup_put(const char *path, const char *data, size_t len, unsigned mode,
    struct em_err *err)
{
	char *tmp = xasprintf("%s.XXXXXX", path), *dir = xstrdup(path);
	int fd, rc = EM_OK;

	if ((fd = mkstemp(tmp)) < 0) {
		rc = em_fail(err, EM_EIO, "cannot write beside %s: %s", path,
		    strerror(errno));
	} else if (em_write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0 ||
	    fsync(fd) < 0) {
		rc = em_fail(err, EM_EIO, "cannot write %s: %s", tmp,
		    strerror(errno));
		(void)close(fd);
		(void)unlink(tmp);
	} else if (close(fd) < 0 || rename(tmp, path) < 0) {
		rc = em_fail(err, EM_EIO, "cannot put %s in place: %s", path,
		    strerror(errno));
		(void)unlink(tmp);
	} else if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY)) >= 0) {
		(void)fsync(fd);
		(void)close(fd);
	}
	free(tmp);
	free(dir);
	return rc;
}
