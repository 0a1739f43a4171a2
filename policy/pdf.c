/*
 * pdf.c - a PDF, known by its bytes, read as the text its pages show
 * (poppler-glib, from memory): what a recipient's PDF reader shows is
 * read, not only the runs of printable bytes strings(1) finds, which a
 * PDF's compressed text streams (the ordinary case) do not have.
 *
 * The caller reads the PDF's bytes as a binary's too (leaf.c), so nothing
 * read before is lost.  A PDF sealed by a password is tried with the
 * passwords everyone uses for samples (archive.c's); one none of them
 * opens is counted as sealed, as an archive member is, never refused.
 *
 * Ceilings, shared with the archives (struct policy_archive): pages, all
 * PDFs of one message together (POLICY_PDF_PAGES), and the text they
 * yield, with the archives' members, against max_decrypted_size and
 * POLICY_ARCHIVE_RATIO times their size.  Over one is EM_ELIMIT: refused
 * as an archive over its ceilings is (554 5.6.0), never passed unread.
 * What poppler itself holds while it parses one page is the reader
 * process's memory and CPU ceilings' to bound.
 *
 * poppler-glib reports the PDF's faults through g_log() at the INFO
 * level (domain "Poppler"), which GLib does not print unless asked
 * (G_MESSAGES_DEBUG); poppler-glib offers no error callback of its own.
 */

/* System library. */
#include <string.h>

/* Utility library. */
#include <gio/gio.h>
#include <poppler.h>

/* Application-specific. */
#include "policy.h"
#include "policy_int.h"

/* policy_is_pdf - do these bytes hold a PDF header where readers look? */

bool
policy_is_pdf(const char *p, size_t n)
{
	/* Readers take "%PDF-" anywhere in the first KiB, as Acrobat does. */
	if (p == NULL || n < 5)
		return false;
	return memmem(p, n < POLICY_PDF_HEAD ? n : POLICY_PDF_HEAD, "%PDF-",
	    5) != NULL;
}

/*
 * pdf_load - the document in b opened with password (NULL: the empty
 * one), or NULL and *ge set.  Through a stream over the bytes in memory,
 * not poppler_document_new_from_bytes() or _from_data(): in poppler 22.12
 * (Debian 12) those two crash on a wrong password (their second try, the
 * password in UTF-8, copies the stream as a type it is not), which a
 * sealed PDF is here by design; _from_stream() copies it right.
 */
static PopplerDocument *
pdf_load(GBytes *b, const char *password, GError **ge)
{
	GInputStream *s = g_memory_input_stream_new_from_bytes(b);
	PopplerDocument *d = poppler_document_new_from_stream(s,
	    (goffset)g_bytes_get_size(b), password, NULL, ge);

	g_object_unref(s);
	return d;
}

/*
 * pdf_open - the document in b: with the empty password, else with each
 * of the passwords everyone uses; NULL when it does not open, *sealed
 * set when only a password it was not given stood in the way
 */
static PopplerDocument *
pdf_open(GBytes *b, bool *sealed)
{
	PopplerDocument *d;
	GError *ge = NULL;

	*sealed = false;
	if ((d = pdf_load(b, NULL, &ge)) != NULL)
		return d;
	if (!g_error_matches(ge, POPPLER_ERROR, POPPLER_ERROR_ENCRYPTED)) {
		g_error_free(ge);
		return NULL;
	}
	g_clear_error(&ge);
	for (size_t i = 0; policy_passwords[i] != NULL; i++) {
		if ((d = pdf_load(b, policy_passwords[i], &ge)) != NULL)
			return d;
		g_clear_error(&ge);
	}
	*sealed = true;
	return NULL;
}

/* pdf_pages - every page's text of d into f, within pa's ceilings */

static int
pdf_pages(PopplerDocument *d, struct policy_archive *pa, struct facts *f,
    struct em_err *err)
{
	int n = poppler_document_get_n_pages(d), rc = EM_OK;

	if (n < 0)
		n = 0;
	pa->pages += (size_t)n;
	if (pa->pages > POLICY_PDF_PAGES)
		return em_fail(err, EM_ELIMIT, "the attached PDFs have more "
		    "than %d pages", POLICY_PDF_PAGES);
	for (int i = 0; i < n && rc == EM_OK; i++) {
		PopplerPage *pg = poppler_document_get_page(d, i);
		char *t;
		size_t len;

		if (pg == NULL)
			continue;	/* a damaged page: the others are read */
		t = poppler_page_get_text(pg);
		g_object_unref(pg);
		if (t == NULL)
			continue;
		len = strlen(t);
		if ((rc = policy_archive_yield(pa, len, err)) == EM_OK && len > 0)
			policy_text_add(f, t, len);
		g_free(t);
	}
	return rc;
}

/*
 * policy_pdf_read - the text of every page of the PDF in p into f.
 *
 * A PDF poppler cannot parse at all adds no text here, and that is not
 * taken for "a PDF with nothing in it": its bytes are read as a binary's
 * by the caller (strings(1)'s runs, as before this file existed), and
 * what poppler cannot open, the readers built on it (evince, okular,
 * pdftotext) show no page of either.  Refusing it instead would refuse any mail whose first KiB
 * merely mentions "%PDF-".
 */
int
policy_pdf_read(const char *p, size_t n, struct policy_archive *pa,
    struct facts *f, struct em_err *err)
{
	GBytes *b;
	PopplerDocument *d;
	bool sealed;
	int rc;

	pa->in += n;
	b = g_bytes_new_static(p, n);	/* p outlives the document */
	d = pdf_open(b, &sealed);
	g_bytes_unref(b);
	if (d == NULL) {
		pa->sealed += sealed;
		return EM_OK;
	}
	rc = pdf_pages(d, pa, f, err);
	g_object_unref(d);
	return rc;
}
