/*
 * policy_int.h - what the files of policy/ share among themselves only
 */
#ifndef POLICY_INT_H
#define POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <gmime/gmime.h>

#include "policy.h"

/* deploy.c: the end of the line at p (its '\n', or end). */
const char *policy_line_end(const char *p, const char *end);

/* archive.c: the ceilings of the archives one message carries. */
#define POLICY_ARCHIVE_ENTRIES	4096	/* members, all archives together */
#define POLICY_ARCHIVE_DEPTH	3	/* an archive in an archive in ... */
#define POLICY_ARCHIVE_RATIO	200	/* out / in, past the first MiB */

/* pdf.c: the ceilings of the PDFs one message carries (their text counts
 * with the archives' members against max_decrypted and the ratio). */
#define POLICY_PDF_HEAD		1024	/* "%PDF-" within these first bytes */
#define POLICY_PDF_PAGES	2000	/* pages, all PDFs together */

struct policy_archive {
	const struct policy_limits *lim;
	size_t	entries;		/* members seen so far */
	size_t	pages;			/* PDF pages read so far */
	size_t	in;			/* archive bytes read so far */
	size_t	out;			/* member bytes they yielded */
	size_t	sealed;			/* members no known password opens */
	/* each member that is no archive: < 0 ends the read with it */
	int	(*text)(void *ctx, const char *p, size_t n);
	void   *ctx;
};

/* Bytes that begin an archive or compressed file libarchive reads. */
bool	policy_is_archive(const char *p, size_t n);
/* The passwords everyone uses for samples, NULL-terminated (archive.c). */
extern const char *const policy_passwords[];
/* n more bytes the archives or PDFs yielded, counted in pa; EM_ELIMIT,
 * the reason in err, past max_decrypted or POLICY_ARCHIVE_RATIO. */
int	policy_archive_yield(struct policy_archive *pa, size_t n,
	    struct em_err *err);
/* unicode.c: the UTF-16 or UTF-32 form the bytes show (a byte order
 * mark, *skip its length, or their zero bytes), or NULL; and such bytes
 * as UTF-8 appended to out (false, out untouched: in neither form). */
const char *policy_unicode_form(const char *data, size_t n, size_t *skip);
bool	policy_unicode_text(const char *data, size_t n, struct buf *out);
/* Every text member of the archive (depth 1 for an attachment) to
 * pa->text(); EM_ELIMIT, the reason in err, over a ceiling or unreadable. */
int	policy_archive_read(const char *p, size_t n, size_t depth,
	    struct policy_archive *pa, struct em_err *err);

/* pdf.c: bytes that are a PDF ("%PDF-" within POLICY_PDF_HEAD); and
 * every page's text of the PDF in p into f, counted in pa: EM_ELIMIT, the
 * reason in err, over a ceiling; a PDF no known password opens counted
 * in pa->sealed; one poppler cannot read adds nothing (see there). */
bool	policy_is_pdf(const char *p, size_t n);
int	policy_pdf_read(const char *p, size_t n, struct policy_archive *pa,
	    struct facts *f, struct em_err *err);

/* uu.c: does text hold a uuencoded or yEnc block; each one's bytes to
 * cb (its first result < 0 returned). */
bool	policy_uu_has(const char *text, size_t len);
int	policy_uu_each(const char *text, size_t len,
	    int (*cb)(void *ctx, const char *p, size_t n), void *ctx);

/* armour.c: is a line of text OpenPGP armour (RFC 4880 6.2), nobody's
 * text to the leak guard?  *st follows the armour from line to line. */
enum policy_armour { POLICY_ARM_TEXT, POLICY_ARM_HEADERS, POLICY_ARM_SIG };
bool	policy_armour_line(const char *p, size_t n, enum policy_armour *st);

/* leaf.c: a leaf's bytes as text into the facts (see there). */
void	policy_crypt_add(struct facts *f, enum policy_crypt_kind kind,
	    const char *p, size_t n);
/* Text appended, carriage returns dropped, a NUL read as a line end. */
void	policy_text_add(struct facts *f, const char *p, size_t n);
/* A leaf part's content, transfer encoding undone (the caller unrefs). */
GMimeStream *policy_part_decoded(GMimePart *part);
/* A text part's decoded bytes in UTF-8, whole (the caller unrefs). */
GMimeStream *policy_to_utf8(GMimePart *part, GByteArray *ba);
/* A text part read; a leaf of no text type read as text or strings(1). */
void	policy_read_text_part(GMimePart *part, GByteArray *decoded,
	    struct facts *f);
void	policy_read_bytes(const char *data, size_t len, struct facts *f);

#endif
