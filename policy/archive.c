/*
 * archive.c - an attachment that is an archive or a compressed file, read
 * as its members (libarchive): every format and filter the linked
 * libarchive reads, known by its bytes (magics[]): gzip, bzip2, xz, lzma,
 * zstd, lz4, lzip, compress; tar, zip, 7-Zip, RAR, cpio, ar, xar, cab and
 * ISO 9660; an archive inside an archive too.  Every member that is text
 * is read as an attachment would be.
 *
 * Ceilings, since an archive is the oldest bomb there is: members
 * (POLICY_ARCHIVE_ENTRIES), nesting (POLICY_ARCHIVE_DEPTH), what all the
 * members of one message hold (max_decrypted_size) and how much larger
 * that is than the archives (POLICY_ARCHIVE_RATIO).  An archive over one,
 * or one that cannot be read whole, is EM_ELIMIT: refused as a MIME
 * structure over its ceilings is (554 5.6.0), never passed unread.
 */

/* System library. */
#include <stdint.h>
#include <string.h>

/* Utility library. */
#include <archive.h>
#include <archive_entry.h>

/* Application-specific. */
#include "policy.h"
#include "policy_int.h"

/*
 * The signatures of what the linked libarchive reads (its formats and its
 * filters), at their offsets: the bytes decide, never a name or a type.
 * bzip2 is "BZh", a block size and a block's (or the empty stream's)
 * magic, so a text that starts "BZh" is text.
 */
static const struct magic {
	size_t	at;
	size_t	len;
	const char *bytes;
} magics[] = {
	{ 0, 2, "\x1f\x8b" },				/* gzip */
	{ 0, 2, "\x1f\x9d" },				/* compress (.Z) */
	{ 0, 6, "\xfd" "7zXZ\0" },			/* xz */
	{ 0, 4, "\x28\xb5\x2f\xfd" },			/* zstd */
	{ 0, 4, "\x04\x22\x4d\x18" },			/* lz4 frame */
	{ 0, 4, "\x02\x21\x4c\x18" },			/* lz4 legacy */
	{ 0, 4, "LZIP" },				/* lzip */
	{ 0, 4, "PK\x03\x04" },				/* zip */
	{ 0, 4, "PK\x05\x06" },				/* zip, empty */
	{ 0, 4, "PK\x07\x08" },				/* zip, spanned */
	{ 0, 6, "7z\xbc\xaf\x27\x1c" },			/* 7-Zip */
	{ 0, 6, "Rar!\x1a\x07" },				/* RAR 4 and 5 */
	{ 0, 8, "MSCF\0\0\0\0" },			/* Microsoft cabinet */
	{ 0, 4, "xar!" },				/* xar */
	{ 0, 8, "!<arch>\n" },				/* ar, a .deb */
	{ 0, 6, "070707" },				/* cpio, odc */
	{ 0, 6, "070701" },				/* cpio, newc */
	{ 0, 6, "070702" },				/* cpio, crc */
	{ 257, 5, "ustar" },				/* tar */
	{ 32769, 5, "CD001" },				/* ISO 9660 */
};

/* bzip2 - "BZh", a block size 1-9, then a block or the end of stream */

static bool
bzip2(const unsigned char *u, size_t n)
{
	return n >= 10 && memcmp(u, "BZh", 3) == 0 && u[3] >= '1' &&
	    u[3] <= '9' && (memcmp(u + 4, "1AY&SY", 6) == 0 ||
	    memcmp(u + 4, "\x17\x72\x45\x38\x50\x90", 6) == 0);
}

/* lzma_alone - the .lzma header: its properties byte (lc, lp, pb as xz
 * and lzma(1) write them), a dictionary of a power of two from 4 KiB,
 * and a size that is unknown (all ones) or under 2^48 */

static bool
lzma_alone(const unsigned char *u, size_t n)
{
	uint32_t dict;

	if (n < 13 || u[0] != 0x5d)
		return false;
	dict = (uint32_t)u[1] | (uint32_t)u[2] << 8 | (uint32_t)u[3] << 16 |
	    (uint32_t)u[4] << 24;
	if (dict < 4096 || (dict & (dict - 1)) != 0)
		return false;
	return (u[11] == 0xff && u[12] == 0xff) || (u[11] == 0 && u[12] == 0);
}

/* policy_is_archive - do these bytes start an archive or compressed file? */

bool
policy_is_archive(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;

	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (n >= magics[i].at + magics[i].len &&
		    memcmp(u + magics[i].at, magics[i].bytes, magics[i].len) == 0)
			return true;
	return bzip2(u, n) || lzma_alone(u, n);
}

/*
 * The passwords everyone uses for archives of samples (malware, exploits,
 * crash files): the well-known ones are no secret, so what they seal is
 * read.  A member none opens is counted as sealed, never refused.  A PDF
 * sealed by a password is tried with the same ones (pdf.c).
 */
const char *const policy_passwords[] = { "infected", "malware", "virus",
    "password", "exploit", NULL };

/*
 * policy_archive_yield - count n more bytes that the message's archives
 * (or PDFs) yielded: EM_ELIMIT past max_decrypted_size for all together,
 * or past POLICY_ARCHIVE_RATIO times their size after the first MiB
 */
int
policy_archive_yield(struct policy_archive *pa, size_t n, struct em_err *err)
{
	pa->out += n;
	if (pa->out > pa->lim->max_decrypted)
		return em_fail(err, EM_ELIMIT, "the attached archives and PDFs "
		    "yield more than max_decrypted_size (%zu bytes)",
		    pa->lim->max_decrypted);
	if (pa->out > ((size_t)1 << 20) &&
	    pa->out / POLICY_ARCHIVE_RATIO > pa->in)
		return em_fail(err, EM_ELIMIT, "an attached archive or PDF "
		    "expands more than %d times its size",
		    POLICY_ARCHIVE_RATIO);
	return EM_OK;
}

/*
 * read_member - the data of the current member into m, within what the
 * message's archives may still yield; 1 when its data cannot be read (the
 * caller says whether it is sealed or damaged)
 */
static int
read_member(struct archive *a, struct buf *m, struct policy_archive *pa,
    struct em_err *err)
{
	char chunk[16384];
	la_ssize_t got;
	int rc;

	buf_reset(m);
	while ((got = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		if ((rc = policy_archive_yield(pa, (size_t)got, err)) < 0)
			return rc;
		buf_append(m, chunk, (size_t)got);
	}
	if (got < 0)
		return 1;
	return EM_OK;
}

/* unreadable - an archive that cannot be read whole: refused, never
 * passed unread (EM_ELIMIT) */

static int
unreadable(struct archive *a, struct em_err *err)
{
	return em_fail(err, EM_ELIMIT, "an attached archive cannot be read: "
	    "%s", archive_error_string(a) ? archive_error_string(a) :
	    "damaged");
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
	for (size_t i = 0; policy_passwords[i] != NULL; i++)
		(void)archive_read_add_passphrase(a, policy_passwords[i]);
	buf_init(&m);
	if (archive_read_open_memory(a, p, n) != ARCHIVE_OK)
		rc = unreadable(a, err);
	while (rc == EM_OK && (r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			if (archive_read_has_encrypted_entries(a) > 0) {
				pa->sealed++;	/* its headers sealed too */
				break;
			}
			rc = unreadable(a, err);
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
		if ((rc = read_member(a, &m, pa, err)) == 1) {
			rc = archive_entry_is_encrypted(e) ? EM_OK :
			    unreadable(a, err);
			pa->sealed += rc == EM_OK;
			continue;
		}
		if (rc < 0)
			break;
		if (policy_is_archive(m.data, m.len))
			rc = policy_archive_read(m.data, m.len, depth + 1, pa, err);
		else if (m.len > 0)
			rc = pa->text(pa->ctx, m.data, m.len);
	}
	buf_free(&m);
	(void)archive_read_free(a);
	return rc;
}
