/*
 * hook_dir.c - a release hook run's folder, state_dir/hooks/RUN (0700):
 * the advisory's text (advisory.txt) and attachments (attachments/, each
 * a plain base name) from its kept post, decrypted now that it is
 * public; removed when the run ends
 *
 * A file is written whole or not at all (an error); an attachment whose
 * name a part before it took gets "N-NAME".  What a crash left is
 * removed before the folder is made again.
 */

/* System library. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Application-specific. */
#include "hook_int.h"
#include "../util/log.h"
#include "../keys/keys.h"

/*
 * safe_name - an attachment's file name as a plain base name (letters,
 * digits, . - _ +; others become _), "part-N" when it has none; with
 * clash set, "N-NAME", for a name a part before it took
 */
static void
safe_name(const char *name, unsigned n, bool clash, char *out, size_t outsz)
{
	const char *base = strrchr(name, '/');
	size_t j = 0;

	base = base ? base + 1 : name;
	while (*base == '.')
		base++;
	if (clash || *base == '\0')
		j = (size_t)snprintf(out, outsz, *base ? "%u-" : "part-%u", n);
	for (; *base && j + 1 < outsz && j < 100; base++) {
		char c = *base;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
		    c == '+';

		out[j++] = c;
		if (!plain)
			out[j - 1] = '_';
	}
	out[j] = '\0';
}

/* write_file - path with bytes, mode 0600, whole or an error */

static int
write_file(const char *path, const char *data, size_t n, struct em_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0) {
		int e = errno;

		(void)em_fail(err, EM_EIO, "%s: %s", path, strerror(e));
		errno = e;	/* EEXIST: the caller takes another name */
		return EM_EIO;
	}
	while (off < n) {
		ssize_t w = write(fd, data + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			(void)close(fd);
			return em_fail(err, EM_EIO, "%s: %s", path,
			    strerror(errno));
		}
		off += (size_t)w;
	}
	if (close(fd) < 0)
		return em_fail(err, EM_EIO, "%s: %s", path, strerror(errno));
	return EM_OK;
}

struct files { const char *dir; unsigned n; bool text; struct em_err *err; };

/* file_cb - policy_parts() callback: the text, or one attachment */

static int
file_cb(const char *name, const char *data, size_t n, void *ctx)
{
	struct files *f = ctx;
	char path[4400], base[128];
	int rc;

	if (name == NULL) {
		f->text = true;
		(void)snprintf(path, sizeof(path), "%s/advisory.txt", f->dir);
		return write_file(path, data, n, f->err);
	}
	f->n++;
	for (int clash = 0; clash < 2; clash++) {
		safe_name(name, f->n, clash, base, sizeof(base));
		(void)snprintf(path, sizeof(path), "%s/attachments/%s", f->dir,
		    base);
		if ((rc = write_file(path, data, n, f->err)) == EM_OK ||
		    errno != EEXIST)
			return rc;
	}
	return rc;
}

/* hook_dir_remove - a run's folder and what is in it (one level of
 * subfolder) */

void
hook_dir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		/* A folder: Linux says EISDIR, POSIX allows EPERM. */
		if (unlink(p) < 0 && (errno == EISDIR || errno == EPERM))
			hook_dir_remove(p);
		free(p);
	}
	(void)closedir(d);
	(void)rmdir(dir);
}

/* post_of - the sealed post of an advisory's revision (else its latest) */

static int
post_of(const struct hook_run *r, struct buf *sealed, struct em_err *err)
{
	struct strv v = { NULL, 0 };
	struct store_txn *t;
	uint64_t id = 0, exact = 0;
	int rc;

	if ((rc = store_begin(state_store(), false, &t, err)) < 0)
		return rc;
	if ((rc = store_adv_list_get(t, "posts", r->ob.advisory, &v, err)) < 0) {
		store_abort(t);
		strv_free(&v);
		return rc;
	}
	for (size_t i = 0; i < v.n; i++) {
		const char *sp = strchr(v.v[i], ' ');
		uint64_t pid = sp ? strtoull(sp + 1, NULL, 10) : 0;

		if (pid != 0 && (int)strtol(v.v[i], NULL, 10) == r->ob.revision)
			exact = pid;
		if (pid != 0)
			id = pid;	/* the latest, when none is of its revision */
	}
	if (exact != 0)
		id = exact;
	strv_free(&v);
	rc = id ? store_blob_get(t, STORE_BLOB_POST, id, sealed, err) :
	    EM_ENOTFOUND;
	store_abort(t);
	if (rc == EM_ENOTFOUND)
		return em_fail(err, rc, "no post of %s revision %d is kept (was it "
		    "registered with embargoctl alone?)", r->ob.advisory,
		    r->ob.revision);
	return rc;
}

/* make_dirs - the run's folder r->dir, fresh, with attachments/ (0700) */

static int
make_dirs(struct hook_run *r, struct em_err *err)
{
	char *sub;
	int rc = EM_OK;

	if ((rc = em_fmt(r->dir, sizeof(r->dir), "the run's folder", err,
	    "%s/hooks/%llu", r->cfg->state_dir,
	    (unsigned long long)r->ob.id)) < 0)
		return rc;
	hook_dir_remove(r->dir);	/* what a crash left */
	sub = xasprintf("%s/hooks", r->cfg->state_dir);
	(void)mkdir(sub, 0700);
	free(sub);
	sub = xasprintf("%s/attachments", r->dir);
	if (mkdir(r->dir, 0700) < 0 || mkdir(sub, 0700) < 0)
		rc = em_fail(err, EM_EIO, "%s: %s", sub, strerror(errno));
	free(sub);
	return rc;
}

/*
 * hook_dir_prepare - the run's folder: advisory.txt and attachments/ from
 * the post, decrypted now that it is public.  An advisory with no kept
 * post (registered by embargoctl alone) gets an empty text and no
 * attachment.
 */
int
hook_dir_prepare(struct hook_run *r, struct em_err *err)
{
	struct policy_limits lim = policy_limits_of(r->cfg);
	struct files f = { r->dir, 0, false, err };
	struct buf sealed, plain;
	struct store_post p;
	int rc;

	if ((rc = make_dirs(r, err)) < 0)
		return rc;
	buf_init(&sealed);
	buf_init(&plain);
	memset(&p, 0, sizeof(p));
	rc = post_of(r, &sealed, err);
	if (rc == EM_OK &&
	    (rc = keys_unseal(sealed.data, sealed.len, &plain, err)) == EM_OK &&
	    (rc = store_post_unpack(plain.data, plain.len, &p)) == EM_OK)
		rc = policy_parts(p.entity, p.entity_len, &lim, file_cb, &f, err);
	else if (rc == EM_EPARSE)
		(void)em_fail(err, rc, "the kept post is damaged");
	if (rc == EM_ENOTFOUND) {
		log_msg(LOG_WARNING, NULL, "release hook %s for %s: %s; it runs "
		    "with an empty text", r->hook->name, r->ob.advisory, err->msg);
		rc = EM_OK;
	}
	if (rc == EM_OK && !f.text)
		rc = file_cb(NULL, "", 0, &f);
	store_post_free(&p);
	buf_free(&sealed);
	buf_free(&plain);
	return rc;
}
