/*
 * archive.c - an attachment that is an archive or a compressed file, read
 * as its members (libarchive): gzip, bzip2 and xz, tar (alone or inside
 * any of them) and zip, an archive inside an archive too.  Every member
 * that is text is read as an attachment would be.
 *
 * Ceilings, since an archive is the oldest bomb there is: members
 * (POLICY_ARCHIVE_ENTRIES), nesting (POLICY_ARCHIVE_DEPTH), what all the
 * members of one message hold (max_decrypted_size) and how much larger
 * that is than the archives (POLICY_ARCHIVE_RATIO).  An archive over one,
 * or one that cannot be read whole, is EM_ELIMIT: refused as a MIME
 * structure over its ceilings is (554 5.6.0), never passed unread.
 */

/* System library. */
#include <string.h>

/* Utility library. */
#include <archive.h>
#include <archive_entry.h>

/* Application-specific. */
#include "policy.h"
#include "policy_int.h"

/* policy_is_archive - do these bytes start an archive or compressed file? */

bool
policy_is_archive(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;

	return (n >= 2 && u[0] == 0x1f && u[1] == 0x8b) ||		/* gzip */
	    (n >= 3 && memcmp(u, "BZh", 3) == 0) ||			/* bzip2 */
	    (n >= 6 && memcmp(u, "\xfd" "7zXZ\0", 6) == 0) ||		/* xz */
	    (n >= 4 && memcmp(u, "PK\x03\x04", 4) == 0) ||		/* zip */
	    (n >= 262 && memcmp(u + 257, "ustar", 5) == 0);		/* tar */
}

/*
 * read_member - the data of the current member into m, within what the
 * message's archives may still yield
 */
static int
read_member(struct archive *a, struct buf *m, struct policy_archive *pa,
    struct em_err *err)
{
	char chunk[16384];
	la_ssize_t got;

	buf_reset(m);
	while ((got = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		pa->out += (size_t)got;
		if (pa->out > pa->lim->max_decrypted)
			return em_fail(err, EM_ELIMIT, "the attached archives "
			    "hold more than max_decrypted_size (%zu bytes)",
			    pa->lim->max_decrypted);
		if (pa->out > ((size_t)1 << 20) &&
		    pa->out / POLICY_ARCHIVE_RATIO > pa->in)
			return em_fail(err, EM_ELIMIT, "an attached archive "
			    "expands more than %d times its size",
			    POLICY_ARCHIVE_RATIO);
		buf_append(m, chunk, (size_t)got);
	}
	if (got < 0)
		return em_fail(err, EM_ELIMIT, "an attached archive cannot be "
		    "read: %s", archive_error_string(a) ? archive_error_string(a) :
		    "damaged");
	return EM_OK;
}

/* policy_archive_read - every member of the archive in p, to pa->text */

int
policy_archive_read(const char *p, size_t n, size_t depth,
    struct policy_archive *pa, struct em_err *err)
{
	struct archive *a;
	struct archive_entry *e;
	struct buf m;
	int r, rc = EM_OK;

	if (depth > POLICY_ARCHIVE_DEPTH)
		return em_fail(err, EM_ELIMIT, "archives nested deeper than %d "
		    "levels", POLICY_ARCHIVE_DEPTH);
	pa->in += n;
	if ((a = archive_read_new()) == NULL)
		return em_fail(err, EM_ENOMEM, "libarchive: no reader");
	(void)archive_read_support_filter_all(a);
	(void)archive_read_support_format_all(a);
	(void)archive_read_support_format_raw(a);	/* a bare .gz, .xz */
	buf_init(&m);
	if (archive_read_open_memory(a, p, n) != ARCHIVE_OK)
		rc = em_fail(err, EM_ELIMIT, "an attached archive cannot be "
		    "read: %s", archive_error_string(a) ?
		    archive_error_string(a) : "damaged");
	while (rc == EM_OK && (r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = em_fail(err, EM_ELIMIT, "an attached archive cannot "
			    "be read: %s", archive_error_string(a) ?
			    archive_error_string(a) : "damaged");
			break;
		}
		if (++pa->entries > POLICY_ARCHIVE_ENTRIES) {
			rc = em_fail(err, EM_ELIMIT, "the attached archives hold "
			    "more than %d members", POLICY_ARCHIVE_ENTRIES);
			break;
		}
		if (archive_entry_filetype(e) != AE_IFREG &&
		    archive_entry_filetype(e) != 0)
			continue;	/* directories, links, devices */
		if ((rc = read_member(a, &m, pa, err)) < 0)
			break;
		if (policy_is_archive(m.data, m.len))
			rc = policy_archive_read(m.data, m.len, depth + 1, pa, err);
		else if (m.len > 0)
			pa->text(pa->ctx, m.data, m.len);
	}
	buf_free(&m);
	(void)archive_read_free(a);
	return rc;
}
