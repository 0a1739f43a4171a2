/* test_mime - reading messages: encodings, charsets, nesting, HTML, limits */
#include "testutil.h"
#include <dirent.h>
#include <gmime/gmime.h>
#include "../../policy/policy.h"
#include "../../policy/policy_int.h"
#include <archive.h>
#include <archive_entry.h>

static const struct policy_limits lim = { 20, 500, 65536, 1 << 20 };

static int
read_msg(const char *msg, struct facts *f, struct em_err *err)
{
	facts_init(f);
	em_err_clear(err);
	return policy_read(msg, strlen(msg), &lim, f, err);
}

static int
has(const struct facts *f, const char *needle)
{
	return f->text.data != NULL && strstr(f->text.data, needle) != NULL;
}

static void
t_plain(void **st)
{
	struct facts f;
	struct em_err e;

	(void)st;
	assert_int_equal(read_msg("Subject: hi\r\nMessage-ID: <a@b>\r\n\r\n"
	    "Hello\r\nworld\r\n", &f, &e), EM_OK);
	assert_string_equal(f.subject, "hi");
	assert_string_equal(f.message_id, "a@b");
	assert_true(has(&f, "Hello\nworld\n"));
	assert_false(has(&f, "\r"));
	facts_free(&f);
}

/* Bytes that open with no header field (python-email's msg_19.txt, a
 * digest's text) are read as an MTA hands them on: all body, as the
 * milter reads them behind Postfix's Received header. */
static void
t_no_header(void **st)
{
	struct facts f;
	struct em_err e;

	(void)st;
	assert_int_equal(read_msg("Send Ppp mailing list submissions to\n"
	    "\tppp@zzz.org\n\nToday's Topics:\n", &f, &e), EM_OK);
	assert_true(has(&f, "Send Ppp mailing list submissions to\n"));
	assert_true(has(&f, "Today's Topics:\n"));
	facts_free(&f);
	assert_int_equal(read_msg("Received: by mx\r\n\r\nSend Ppp mailing "
	    "list submissions to\r\n", &f, &e), EM_OK);
	assert_true(has(&f, "Send Ppp mailing list submissions to\n"));
	facts_free(&f);
}

/* The text of a part, byte for byte: CRs out, a NUL a line's end, at
 * every offset (the eight-byte steps of text_add and their tails). */
static void
t_text_bytes_at_every_offset(void **st)
{
	(void)st;
	for (size_t pad = 0; pad < 24; pad++) {
		struct buf raw, msg, want;
		struct facts f;
		struct em_err e;
		gchar *b64;

		buf_init(&raw);
		buf_init(&msg);
		buf_init(&want);
		for (size_t i = 0; i < pad; i++)
			buf_append(&raw, "x", 1);
		static const char mid[] = "ab\r\ncd\0ef\r\r\nlong line of text here\r\n";

		buf_append(&raw, mid, sizeof(mid) - 1);
		for (size_t i = 0; i < pad % 9; i++)
			buf_append(&raw, "y", 1);
		for (size_t i = 0; i < raw.len; i++)
			if (raw.data[i] != '\r')
				buf_append(&want, raw.data[i] ? raw.data + i : "\n", 1);
		if (want.data[want.len - 1] != '\n')
			buf_append(&want, "\n", 1);
		b64 = g_base64_encode((const guchar *)raw.data, raw.len);
		buf_appendf(&msg, "Subject: t\r\nMIME-Version: 1.0\r\nContent-Type: "
		    "text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: "
		    "base64\r\n\r\n%s\r\n", b64);
		g_free(b64);
		assert_int_equal(read_msg(msg.data, &f, &e), EM_OK);
		assert_int_equal(f.text.len, want.len);
		assert_memory_equal(f.text.data, want.data, want.len);
		facts_free(&f);
		buf_free(&raw);
		buf_free(&msg);
		buf_free(&want);
	}
}

/*
 * same_quick - where the quick read takes a message, it gives the facts the
 * full read gives (subject, Message-ID, text, where the text starts);
 * returns whether it took it
 */
static bool
same_quick(const char *name, const char *msg, size_t len)
{
	struct facts full, quick;
	struct em_err e;
	int rq;

	facts_init(&full);
	facts_init(&quick);
	em_err_clear(&e);
	rq = policy_read_quick(msg, len, &lim, &quick, &e);
	if (rq == EM_OK) {
		assert_int_equal(policy_read(msg, len, &lim, &full, &e), EM_OK);
		if (strcmp(full.subject, quick.subject) != 0 ||
		    (full.message_id == NULL) != (quick.message_id == NULL) ||
		    (full.message_id && strcmp(full.message_id, quick.message_id)) ||
		    full.text.len != quick.text.len ||
		    (full.text.len && memcmp(full.text.data, quick.text.data,
		    full.text.len) != 0) || full.first_text != quick.first_text ||
		    full.n_crypt != 0)
			fail_msg("%s: the quick read differs from the full read",
			    name);
	}
	facts_free(&full);
	facts_free(&quick);
	if (getenv("TEST_QUICK_VERBOSE"))
		print_message("%s: %s\n", name, rq == EM_OK ? "quick" : "full");
	return rq == EM_OK;
}

/* The quick read against the full read on real mail, LF and CRLF. */
static void
t_quick_read_is_the_full_read(void **st)
{
	const char *dirs[] = { "tests/data", "tests/data/python-email" };
	size_t taken = 0, seen = 0;

	(void)st;
	for (size_t d = 0; d < 2; d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *de;

		assert_non_null(dir);
		while ((de = readdir(dir)) != NULL) {
			char path[512];
			struct buf raw, crlf;
			size_t n = strlen(de->d_name);

			if (n < 5 || (strcmp(de->d_name + n - 4, ".eml") != 0 &&
			    strcmp(de->d_name + n - 4, ".txt") != 0))
				continue;
			(void)snprintf(path, sizeof(path), "%s/%s", dirs[d],
			    de->d_name);
			test_read_file(path, &raw);
			buf_init(&crlf);
			for (size_t i = 0; i < raw.len; i++) {
				if (raw.data[i] == '\n' &&
				    (i == 0 || raw.data[i - 1] != '\r'))
					buf_append(&crlf, "\r", 1);
				buf_append(&crlf, raw.data + i, 1);
			}
			seen++;
			taken += same_quick(path, raw.data, raw.len);
			taken += same_quick(path, crlf.data, crlf.len);
			buf_free(&raw);
			buf_free(&crlf);
		}
		closedir(dir);
	}
	/* Made here: UTF-8, flowed, no final newline, 8 bits undeclared. */
	{
		const char *utf8 = "Subject: cafe\nContent-Type: "
		    "text/plain; charset=UTF-8; format=flowed\n\nCaf\xc3\xa9 "
		    "cr\xc3\xa8me \n br\xc3\xbbl\xc3\xa9" "e";
		const char *undeclared = "Subject: x\n\nna\xef" "ve\n";
		const char *b64 = "Subject: x\nContent-Transfer-Encoding: "
		    "base64\n\naGVsbG8K\n";

		/* Encoded words are charsets: the reader's, never quick. */
		const char *words = "Subject: =?UTF-8?Q?caf=C3=A9?=\n\nhi\n";

		assert_true(same_quick("utf8", utf8, strlen(utf8)));
		assert_false(same_quick("words", words, strlen(words)));
		assert_false(same_quick("8bit", undeclared, strlen(undeclared)));
		assert_false(same_quick("b64", b64, strlen(b64)));
	}
	print_message("quick read took %zu of %zu messages (each LF and CRLF)\n",
	    taken, 2 * seen);
	assert_true(taken >= 12);
}

static void
t_base64_body(void **st)
{
	struct facts f;
	struct em_err e;

	(void)st;
	assert_int_equal(read_msg("Subject: b64\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "TGluZSBvbmUKKioqIEVNQkFSR09FRCBVTlRJTCAyMDI2LTEyLTAxIDEyOjAwIFVUQyAqKioKWFNBLTQwMCBkZXRhaWxzCg==\r\n",
	    &f, &e), EM_OK);
	assert_true(has(&f, "*** EMBARGOED UNTIL 2026-12-01 12:00 UTC ***\n"));
	facts_free(&f);
}

static void
t_quoted_printable_body(void **st)
{
	struct facts f;
	struct em_err e;

	(void)st;
	assert_int_equal(read_msg("Subject: qp\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "=2A=2A=2A EMBARGOED UNTIL 2026-12-01 12:00=\r\n UTC =2A=2A=2A\r\n",
	    &f, &e), EM_OK);
	assert_true(has(&f, "*** EMBARGOED UNTIL 2026-12-01 12:00 UTC ***"));
	facts_free(&f);
}

static void
t_rfc2047_subject(void **st)
{
	struct facts f;
	struct em_err e;

	(void)st;
	assert_int_equal(read_msg("Subject: =?UTF-8?B?WGVuIFNlY3VyaXR5IEFkdmlzb3J5IFhTQS00MDAg4oCTIG5hw692ZQ==?=\r\n"
	    "\r\nbody\r\n", &f, &e), EM_OK);
	assert_string_equal(f.subject, "Xen Security Advisory XSA-400 \xe2\x80\x93 na\xc3\xafve");
	facts_free(&f);
}

static void
t_latin1_charset(void **st)
{
	struct facts f;
	struct em_err e;

	(void)st;
	assert_int_equal(read_msg("Subject: l1\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=iso-8859-1\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\ncaf\xe9 cr\xe8me\r\n",
	    &f, &e), EM_OK);
	assert_true(has(&f, "caf\xc3\xa9 cr\xc3\xa8me"));
	facts_free(&f);
}

static const char nested[] =
	"Subject: nested\r\nMIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
	"--outer\r\nContent-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n"
	"--inner\r\nContent-Type: text/plain\r\n\r\nplain words here\r\n"
	"--inner\r\nContent-Type: text/html\r\n\r\n"
	"<html><body><p>html <b>bold</b> &amp; words</p><script>var x=1;</script>"
	"<div>*** EMBARGOED UNTIL 2026-12-01 12:00 UTC ***</div></body></html>\r\n"
	"--inner--\r\n"
	"--outer\r\nContent-Type: application/octet-stream\r\n"
	"Content-Disposition: attachment; filename=\"xsa400.patch\"\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\n"
	"LS0tIGEvZm9vLmMKKysrIGIvZm9vLmMK\r\n"
	"--outer\r\nContent-Type: message/rfc822\r\n\r\n"
	"Subject: inner forwarded XSA-401\r\n\r\nforwarded body line\r\n"
	"--outer\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	"iVBORw0KGgo=\r\n"
	"--outer--\r\n";

static void
t_nested_multipart(void **st)
{
	struct facts f;
	struct em_err e;

	(void)st;
	assert_int_equal(read_msg(nested, &f, &e), EM_OK);
	assert_true(has(&f, "plain words here"));
	assert_true(has(&f, "html bold & words"));
	assert_false(has(&f, "var x"));
	assert_false(has(&f, "<b>"));
	assert_true(has(&f, "\n*** EMBARGOED UNTIL 2026-12-01 12:00 UTC ***\n"));
	assert_true(has(&f, "--- a/foo.c\n+++ b/foo.c\n"));
	assert_true(has(&f, "Subject: inner forwarded XSA-401\n"));
	assert_true(has(&f, "forwarded body line"));
	assert_true(f.depth >= 3);
	assert_int_equal(f.parts, 8);
	facts_free(&f);
}

static void
t_depth_limit(void **st)
{
	struct buf m;
	struct facts f;
	struct em_err e;
	int rc;

	(void)st;
	buf_init(&m);
	buf_appends(&m, "Subject: deep\r\nMIME-Version: 1.0\r\n");
	for (int i = 0; i < 30; i++)
		buf_appendf(&m, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i);
	buf_appends(&m, "Content-Type: text/plain\r\n\r\ndeep\r\n");
	for (int i = 29; i >= 0; i--)
		buf_appendf(&m, "--b%d--\r\n", i);
	rc = read_msg(m.data, &f, &e);
	assert_int_equal(rc, EM_ELIMIT);
	assert_non_null(strstr(e.msg, "nested deeper than 20"));
	facts_free(&f);
	buf_free(&m);
}

static void
t_parts_limit(void **st)
{
	struct policy_limits small = { 20, 5, 65536, 1 << 20 };
	struct buf m;
	struct facts f;
	struct em_err e;

	(void)st;
	buf_init(&m);
	buf_appends(&m, "Subject: many\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n");
	for (int i = 0; i < 10; i++)
		buf_appendf(&m, "--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i);
	buf_appends(&m, "--b--\r\n");
	facts_init(&f);
	assert_int_equal(policy_read(m.data, m.len, &small, &f, &e), EM_ELIMIT);
	assert_non_null(strstr(e.msg, "more than 5 MIME parts"));
	facts_free(&f);
	buf_free(&m);
}

static void
t_header_limit(void **st)
{
	struct policy_limits small = { 20, 500, 1024, 1 << 20 };
	struct buf m;
	struct facts f;
	struct em_err e;

	(void)st;
	buf_init(&m);
	for (int i = 0; i < 100; i++)
		buf_appendf(&m, "X-Filler-%d: some value to fill\r\n", i);
	buf_appends(&m, "\r\nbody\r\n");
	facts_init(&f);
	assert_int_equal(policy_read(m.data, m.len, &small, &f, &e), EM_ELIMIT);
	assert_non_null(strstr(e.msg, "header block larger than 1024"));
	facts_free(&f);
	buf_free(&m);
}

static void
t_encrypted_kept_for_keys(void **st)
{
	struct facts f;
	struct em_err e;

	(void)st;
	assert_int_equal(read_msg("Subject: ...\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"e\"\r\n\r\n"
	    "--e\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
	    "--e\r\nContent-Type: application/octet-stream\r\n\r\n"
	    "-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA\r\n-----END PGP MESSAGE-----\r\n"
	    "--e--\r\n", &f, &e), EM_OK);
	assert_int_equal(f.n_crypt, 1);
	assert_int_equal(f.crypt[0].kind, POLICY_CRYPT_PGPMIME_ENCRYPTED);
	assert_non_null(strstr(f.crypt[0].data.data, "multipart/encrypted"));
	facts_free(&f);
}

static void
t_inline_pgp_found(void **st)
{
	struct facts f;
	struct em_err e;

	(void)st;
	assert_int_equal(read_msg("Subject: inline\r\n\r\nhello\r\n"
	    "-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA\r\n-----END PGP MESSAGE-----\r\n",
	    &f, &e), EM_OK);
	assert_int_equal(f.n_crypt, 1);
	assert_int_equal(f.crypt[0].kind, POLICY_CRYPT_INLINE_ENCRYPTED);
	facts_free(&f);
}

static int
setup(void **st)
{
	(void)st;
	g_mime_init();
	return 0;
}

/*
 * make_archive - an archive in memory, written by libarchive: format and
 * filter as libarchive names them, one member per (name, data) pair
 */
struct member { const char *name, *data; size_t len; };

static void
make_archive(const char *format, const char *filter,
    const struct member *members, size_t n, struct buf *out)
{
	struct archive *a = archive_write_new();
	size_t cap = (size_t)8 << 20, used = 0;
	char *mem = xmalloc(cap);

	assert_int_equal(archive_write_set_format_by_name(a, format), ARCHIVE_OK);
	if (filter != NULL)
		assert_int_equal(archive_write_add_filter_by_name(a, filter),
		    ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, mem, cap, &used),
	    ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		size_t len = members[i].len ? members[i].len :
		    strlen(members[i].data);

		archive_entry_set_pathname(e, members[i].name);
		archive_entry_set_size(e, (la_int64_t)len);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, members[i].data, len),
		    (la_ssize_t)len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	buf_init(out);
	buf_append(out, mem, used);
	free(mem);
}

/* with_attachment - a message carrying bytes as a base64 attachment */

static char *
with_attachment(const char *type, const char *name, const struct buf *b)
{
	gchar *b64 = g_base64_encode((const guchar *)b->data, b->len);
	char *msg = xasprintf("Subject: files\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
	    "--b\r\nContent-Type: %s; name=\"%s\"\r\n"
	    "Content-Disposition: attachment; filename=\"%s\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b--\r\n",
	    type, name, name, b64);

	g_free(b64);
	return msg;
}

static const struct member adv_members[] = {
	{ "xsa/README", "The archived advisory text, a line long enough to "
	    "count.\n", 0 },
	{ "xsa/xsa.patch", "--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-old line of "
	    "the tree here\n+new secret line of the fix here\n", 0 },
	{ "xsa/blob.bin", "\x7f" "ELF\0\0\0a line among binary bytes\0",
	    33 },
};

/* Archives are read as their members: every format and filter the linked
 * libarchive reads (tar.gz, zip, tar.xz ... 7-Zip, zstd, lzma, cpio, ISO),
 * a bare compressed file too. */
static void
t_archives_are_read(void **st)
{
	static const struct { const char *format, *filter, *type, *name; } k[] = {
		{ "ustar", "gzip", "application/gzip", "xsa.tar.gz" },
		{ "zip", NULL, "application/zip", "xsa.zip" },
		{ "pax", "xz", "application/octet-stream", "xsa.tar.xz" },
		{ "ustar", "bzip2", "application/x-bzip2", "xsa.tar.bz2" },
		{ "raw", "gzip", "application/octet-stream", "README.gz" },
		/* Every format and filter libarchive reads, by its bytes. */
		{ "ustar", "zstd", "application/octet-stream", "xsa.tar.zst" },
		{ "ustar", "lzma", "application/octet-stream", "xsa.tar.lzma" },
		{ "ustar", "lz4", "application/octet-stream", "xsa.tar.lz4" },
		{ "ustar", "lzip", "application/octet-stream", "xsa.tar.lz" },
		{ "ustar", "compress", "application/octet-stream", "xsa.tar.Z" },
		{ "7zip", NULL, "application/x-7z-compressed", "xsa.7z" },
		{ "cpio", NULL, "application/octet-stream", "xsa.cpio" },
		{ "newc", "gzip", "application/octet-stream", "xsa.cpio.gz" },
		{ "xar", NULL, "application/octet-stream", "xsa.xar" },
		{ "iso9660", NULL, "application/octet-stream", "xsa.iso" },
		{ "raw", "zstd", "text/plain", "README.zst" },
		{ "raw", "lzma", "application/octet-stream", "README.lzma" },
	};

	(void)st;
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct buf arc;
		struct facts f;
		struct em_err e;
		char *msg;

		make_archive(k[i].format, k[i].filter, adv_members,
		    strcmp(k[i].format, "raw") == 0 ? 1 : 3, &arc);
		if (!policy_is_archive(arc.data, arc.len))
			fail_msg("%s not known as an archive", k[i].name);
		msg = with_attachment(k[i].type, k[i].name, &arc);
		if (read_msg(msg, &f, &e) != EM_OK)
			fail_msg("%s: %s", k[i].name, e.msg);
		assert_true(has(&f, "The archived advisory text"));
		if (strcmp(k[i].format, "raw") != 0)
			assert_true(has(&f, "+new secret line of the fix"));
		/* A binary member's text is read, as strings(1) would. */
		if (strcmp(k[i].format, "raw") != 0)
			assert_true(has(&f, "a line among binary bytes"));
		facts_free(&f);
		free(msg);
		buf_free(&arc);
	}
}

/* has_bytes - does the facts' text hold needle, NUL bytes and all? */

static bool
has_bytes(const struct facts *f, const char *needle)
{
	return f->text.data != NULL &&
	    memmem(f->text.data, f->text.len, needle, strlen(needle)) != NULL;
}

/* utf16 - ASCII s in UTF-16 (le or be) or UTF-32LE (wide), with a byte
 * order mark or without, into b */

static void
utf16(const char *s, bool le, bool bom, bool wide, struct buf *b)
{
	buf_init(b);
	if (bom)
		buf_append(b, wide ? "\xff\xfe\0\0" : le ? "\xff\xfe" : "\xfe\xff",
		    wide ? 4 : 2);
	for (const char *p = s; *p; p++) {
		char u[4] = { 0, 0, 0, 0 };

		u[le ? 0 : 1] = *p;
		buf_append(b, u, wide ? 4 : 2);
	}
}

/*
 * t_utf16_read - SPEC 4: text in UTF-16 or UTF-32 that nothing labels is
 * read as the text it is (as Notepad's "Unicode" and PowerShell write
 * it): as an attachment of no text type, as text/plain with no charset,
 * with a byte order mark or without, big-endian too, inside a zip; and
 * ASCII text after such a start is still read as bytes
 */
static void
t_utf16_read(void **st)
{
	static const char line[] = "The archived advisory text, a line long "
	    "enough to count.\r\n";
	static const struct { bool le, bom, wide; const char *type; } k[] = {
		{ true, true, false, "application/octet-stream" },
		{ true, false, false, "text/plain" },
		{ false, true, false, "text/plain" },
		{ false, false, false, "application/octet-stream" },
		{ true, true, true, "application/octet-stream" },
	};
	struct facts f;
	struct em_err e;
	struct buf b, arc;
	char *msg;

	(void)st;
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		utf16(line, k[i].le, k[i].bom, k[i].wide, &b);
		msg = with_attachment(k[i].type, "notes.txt", &b);
		assert_int_equal(read_msg(msg, &f, &e), EM_OK);
		if (!has_bytes(&f, "The archived advisory text, a line long"))
			fail_msg("form %zu not read", i);
		facts_free(&f);
		free(msg);
		buf_free(&b);
	}
	/* In a zip, and ASCII hidden after a UTF-16 start. */
	utf16(line, true, true, false, &b);
	buf_append(&b, "+new secret line of the fix here\n", 33);
	{
		const struct member m[] = { { "notes.txt", b.data, b.len } };

		make_archive("zip", NULL, m, 1, &arc);
	}
	msg = with_attachment("application/zip", "notes.zip", &arc);
	assert_int_equal(read_msg(msg, &f, &e), EM_OK);
	assert_true(has_bytes(&f, "The archived advisory text, a line long"));
	assert_true(has_bytes(&f, "+new secret line of the fix here"));
	facts_free(&f);
	free(msg);
	buf_free(&arc);
	buf_free(&b);
}

/* yenc - bytes yEnc-encoded as a block named name into b */

static void
yenc(const char *data, size_t n, struct buf *b)
{
	buf_init(b);
	buf_appendf(b, "=ybegin line=128 size=%zu name=fix.patch\r\n", n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)((unsigned char)data[i] + 42);

		if (c == 0 || c == '\n' || c == '\r' || c == '=') {
			buf_append(b, "=", 1);
			c = (unsigned char)(c + 64);
		}
		buf_append(b, (const char *)&c, 1);
	}
	buf_appendf(b, "\r\n=yend size=%zu\r\n", n);
}

/*
 * t_uu_blocks - SPEC 4: a file uuencoded or yEnc-encoded in a text body
 * (as uudecode(1) and news readers read it) is read as an attachment:
 * its text, and an archive in one unpacked; the quick path leaves such
 * a body to the full read
 */
static void
t_uu_blocks(void **st)
{
	static const char uu[] = "Subject: patch\r\n\r\nHere it is:\r\n\r\n"
	    "begin 644 fix.patch\r\n"
	    "M*VYE=R!S96-R970@;&EN92!O9B!T:&4@9FEX(&AE<F4L('5U96YC;V1E9\"!I\r\n"
	    ");B!A(&)O9'D*\r\n`\r\nend\r\n";
	static const char line[] = "+new secret line of the fix here, in yEnc\n";
	struct facts f;
	struct em_err e;
	struct buf y, arc;
	char *msg;

	(void)st;
	assert_int_equal(policy_read_quick(uu, strlen(uu), &lim, &f, &e), 1);
	assert_int_equal(read_msg(uu, &f, &e), EM_OK);
	assert_true(has(&f, "+new secret line of the fix here, uuencoded"));
	facts_free(&f);
	yenc(line, strlen(line), &y);
	msg = xasprintf("Subject: patch\r\nContent-Type: text/plain; "
	    "charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s", y.data);
	assert_int_equal(read_msg(msg, &f, &e), EM_OK);
	assert_true(has(&f, "+new secret line of the fix here, in yEnc"));
	facts_free(&f);
	free(msg);
	buf_free(&y);
	/* A tar.gz in yEnc inside an octet-stream part is unpacked. */
	make_archive("ustar", "gzip", adv_members, 2, &arc);
	yenc(arc.data, arc.len, &y);
	msg = with_attachment("application/octet-stream", "notes.txt", &y);
	assert_int_equal(read_msg(msg, &f, &e), EM_OK);
	assert_true(has(&f, "+new secret line of the fix here"));
	facts_free(&f);
	free(msg);
	buf_free(&y);
	buf_free(&arc);
}

/*
 * t_lenient_encodings - a transfer encoding read as mutt and Thunderbird
 * read it: "base64;", "Base64 (sent by x)", "quoted-printable;" are
 * decoded, by the quick path's caller too
 */
static void
t_lenient_encodings(void **st)
{
	static const struct { const char *cte, *body; } k[] = {
		{ "base64;", "K25ldyBzZWNyZXQgbGluZSBvZiB0aGUgZml4IGhlcmUK" },
		{ "Base64 (sent by x)",
		  "K25ldyBzZWNyZXQgbGluZSBvZiB0aGUgZml4IGhlcmUK" },
		{ "\"base64\"", "K25ldyBzZWNyZXQgbGluZSBvZiB0aGUgZml4IGhlcmUK" },
		{ "quoted-printable;", "+new secret line of the fix=20here=\r\n\r\n" },
	};

	(void)st;
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct facts f;
		struct em_err e;
		char *msg = xasprintf("Subject: x\r\nContent-Type: text/plain"
		    "\r\nContent-Transfer-Encoding: %s\r\n\r\n%s\r\n",
		    k[i].cte, k[i].body);

		facts_init(&f);
		assert_int_equal(policy_read_quick(msg, strlen(msg), &lim, &f,
		    &e), 1);
		facts_free(&f);
		assert_int_equal(read_msg(msg, &f, &e), EM_OK);
		if (!has(&f, "+new secret line of the fix here"))
			fail_msg("%s not decoded: %s", k[i].cte, f.text.data);
		facts_free(&f);
		free(msg);
	}
}

/*
 * t_mail_in_archives - SPEC 4: a saved mail (.eml, an mbox) inside an
 * archive is read as mail: its base64 body decoded, its own attachments
 * read; a text file that starts "Note: ..." is text all the same
 */
static void
t_mail_in_archives(void **st)
{
	static const char eml[] = "From: a@b.example\r\nSubject: the fix\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "K25ldyBzZWNyZXQgbGluZSBvZiB0aGUgZml4IGhlcmU=\r\n";
	static const char mbox[] = "From a@b.example Sat Dec  5 10:00:00 2026\n"
	    "From: a@b.example\nSubject: again\nContent-Type: text/plain\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "The archived advisory text, a line=\n long enough to count.\n";
	static const char note[] = "Note: not a mail\n\nplain text here\n";
	const struct member m[] = { { "saved.eml", eml, 0 },
	    { "inbox.mbox", mbox, 0 }, { "note.txt", note, 0 } };
	const char *fmt[] = { "zip", "ustar" };
	struct facts f;
	struct em_err e;

	(void)st;
	for (size_t i = 0; i < 2; i++) {
		struct buf arc;
		char *msg;

		make_archive(fmt[i], i ? "gzip" : NULL, m, 3, &arc);
		msg = with_attachment("application/octet-stream", "mail.bin",
		    &arc);
		assert_int_equal(read_msg(msg, &f, &e), EM_OK);
		if (!has(&f, "+new secret line of the fix here"))
			fail_msg("%s: the .eml's base64 body not read", fmt[i]);
		assert_true(has(&f, "The archived advisory text, a line long "
		    "enough to count."));
		assert_true(has(&f, "plain text here"));
		facts_free(&f);
		free(msg);
		buf_free(&arc);
	}
}

/* sealed_zip - members in a zip sealed (ZipCrypto or AES) by password */

static void
sealed_zip(const char *password, const char *enc, struct buf *out)
{
	struct archive *a = archive_write_new();
	size_t cap = (size_t)1 << 20, used = 0;
	char *mem = xmalloc(cap);

	assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_options(a, enc), ARCHIVE_OK);
	assert_int_equal(archive_write_set_passphrase(a, password), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, mem, cap, &used),
	    ARCHIVE_OK);
	for (size_t i = 0; i < 2; i++) {
		struct archive_entry *e = archive_entry_new();
		size_t len = strlen(adv_members[i].data);

		archive_entry_set_pathname(e, adv_members[i].name);
		archive_entry_set_size(e, (la_int64_t)len);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, adv_members[i].data, len),
		    (la_ssize_t)len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	buf_init(out);
	buf_append(out, mem, used);
	free(mem);
}

/*
 * t_sealed_archives - SPEC 4: a zip sealed with a well-known sample
 * password ("infected", as security teams mail malware) is read; one no
 * known password opens is counted as sealed, never refused
 */
static void
t_sealed_archives(void **st)
{
	static const char *const enc[] = { "zip:encryption=zipcrypt",
	    "zip:encryption=aes256" };
	struct facts f;
	struct em_err e;

	(void)st;
	for (size_t i = 0; i < 2; i++) {
		struct buf z;
		char *msg;

		sealed_zip("infected", enc[i], &z);
		msg = with_attachment("application/zip", "sample.zip", &z);
		if (read_msg(msg, &f, &e) != EM_OK)
			fail_msg("%s: %s", enc[i], e.msg);
		assert_true(has(&f, "+new secret line of the fix here"));
		assert_int_equal(f.sealed, 0);
		facts_free(&f);
		free(msg);
		buf_free(&z);
		sealed_zip("only-we-know-it", enc[i], &z);
		msg = with_attachment("application/zip", "sample.zip", &z);
		if (read_msg(msg, &f, &e) != EM_OK)
			fail_msg("%s sealed: %s", enc[i], e.msg);
		assert_false(has(&f, "+new secret line of the fix here"));
		assert_int_equal(f.sealed, 2);
		facts_free(&f);
		free(msg);
		buf_free(&z);
	}
}

/*
 * t_partials - SPEC 4: message/partial put together when all its parts
 * are in the message (one part, its body base64; two parts in one
 * multipart), and counted as missing when one is elsewhere
 */
static void
t_partials(void **st)
{
	static const char one[] = "Subject: part\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: message/partial; id=\"p1@x\"; number=1; total=1"
	    "\r\n\r\nSubject: the fix\r\nContent-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "K25ldyBzZWNyZXQgbGluZSBvZiB0aGUgZml4IGhlcmU=\r\n";
	static const char two[] = "Subject: parts\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: message/partial; id=\"p2@x\"; number=2; "
	    "total=2\r\n\r\naGUgZml4IGhlcmU=\r\n"
	    "--b\r\nContent-Type: message/partial; id=\"p2@x\"; number=1; "
	    "total=2\r\n\r\nSubject: the fix\r\nContent-Type: text/plain"
	    "\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	    "K25ldyBzZWNyZXQgbGluZSBvZiB0\r\n--b--\r\n";
	static const char half[] = "Subject: part\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: message/partial; id=\"p3@x\"; number=1; total=2"
	    "\r\n\r\nSubject: the fix\r\nContent-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "K25ldyBzZWNyZXQgbGluZSBvZiB0aG\r\n";
	struct facts f;
	struct em_err e;

	(void)st;
	assert_int_equal(read_msg(one, &f, &e), EM_OK);
	assert_true(has(&f, "+new secret line of the fix here"));
	assert_int_equal(f.partial_missing, 0);
	facts_free(&f);
	assert_int_equal(read_msg(two, &f, &e), EM_OK);
	if (!has(&f, "+new secret line of the fix here"))
		fail_msg("two parts not put together: %s", f.text.data);
	assert_int_equal(f.partial_missing, 0);
	facts_free(&f);
	assert_int_equal(read_msg(half, &f, &e), EM_OK);
	assert_int_equal(f.partial_missing, 1);
	facts_free(&f);
}

/* t_not_archives - text that starts like a signature is text: "BZh" (a
 * word, a file name), "PK", "7z", "070707" with no archive behind them */
static void
t_not_archives(void **st)
{
	static const char *const texts[] = {
		"BZh is how a bzip2 file starts; this is a note about it.\n",
		"BZh9 and then prose, not a block.\n",
		"PK: the initials of the sender\n",
		"7z archives are common\n",
		"]\0\0\x80 not lzma\n",
	};

	(void)st;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (policy_is_archive(texts[i], strlen(texts[i]) + (i == 4 ? 10 : 0)))
			fail_msg("text %zu read as an archive", i);
}

/*
 * A leaf's bytes decide what it is, never its declared type or name: a
 * tar.gz sent as text/plain is unpacked; text after a NUL byte in a text
 * part is read; an attachment of no text type, with no name, is read.
 */
struct got_parts { int text; char names[8][64]; size_t sizes[8]; int n;
    char first[64]; };

static int
part_cb(const char *name, const char *data, size_t n, void *ctx)
{
	struct got_parts *g = ctx;

	if (name == NULL) {
		g->text++;
		(void)snprintf(g->first, sizeof(g->first), "%.*s",
		    (int)(n < 40 ? n : 40), data);
		return 0;
	}
	if (g->n < 8) {
		(void)snprintf(g->names[g->n], sizeof(g->names[0]), "%s", name);
		g->sizes[g->n++] = n;
	}
	return 0;
}

/* The release hooks' files: the real XSA-355 mail's text and its patches. */
static void
t_parts_of_a_real_advisory(void **st)
{
	struct policy_limits lim = { 20, 500, 262144, 0 };
	struct got_parts g;
	struct buf raw;
	struct em_err e;

	(void)st;
	memset(&g, 0, sizeof(g));
	test_read_file("tests/data/xsa355.eml", &raw);
	assert_int_equal(policy_parts(raw.data, raw.len, &lim, part_cb, &g, &e),
	    EM_OK);
	assert_int_equal(g.text, 1);
	assert_string_equal(g.first, "-----BEGIN PGP SIGNED MESSAGE-----\nHash:");
	assert_int_equal(g.n, 2);
	assert_string_equal(g.names[0], "xsa355.meta");
	assert_string_equal(g.names[1], "xsa355.patch");
	assert_int_equal(g.sizes[1], 821);	/* decoded, as published */
	lim.max_depth = 0;
	assert_int_equal(policy_parts(raw.data, raw.len, &lim, part_cb, &g, &e),
	    EM_ELIMIT);
	buf_free(&raw);
}

static void
t_bytes_decide_not_the_type(void **st)
{
	static const char hidden[] = "harmless first line\0The hidden advisory "
	    "text after a NUL byte\n";
	struct buf arc, nul, plain;
	struct facts f;
	struct em_err e;
	char *msg;

	(void)st;
	make_archive("ustar", "gzip", adv_members, 3, &arc);
	msg = with_attachment("text/plain; charset=us-ascii", "notes", &arc);
	assert_int_equal(read_msg(msg, &f, &e), EM_OK);
	assert_true(has(&f, "+new secret line of the fix"));
	facts_free(&f);
	free(msg);

	buf_init(&nul);
	buf_append(&nul, hidden, sizeof(hidden) - 1);
	msg = with_attachment("text/plain; charset=utf-8", "a.txt", &nul);
	assert_int_equal(read_msg(msg, &f, &e), EM_OK);
	assert_true(has(&f, "The hidden advisory text after a NUL"));
	facts_free(&f);
	free(msg);
	msg = with_attachment("text/plain; charset=iso-8859-1", "b.txt", &nul);
	assert_int_equal(read_msg(msg, &f, &e), EM_OK);
	assert_true(has(&f, "The hidden advisory text after a NUL"));
	facts_free(&f);
	free(msg);

	buf_init(&plain);
	buf_appends(&plain, "The advisory, attached as raw bytes.\n");
	msg = with_attachment("application/x-unknown", "", &plain);
	assert_int_equal(read_msg(msg, &f, &e), EM_OK);
	assert_true(has(&f, "The advisory, attached as raw bytes."));
	facts_free(&f);
	free(msg);
	buf_free(&arc);
	buf_free(&nul);
	buf_free(&plain);
}

/*
 * A binary (1 MiB of pseudo-random bytes, a build say) is read as
 * strings(1) reads it: the advisory line hidden in its middle counts, the
 * random bytes give next to no text, so the leak guard does not pay for
 * a large attachment byte by byte.
 */
static void
t_binary_read_as_strings(void **st)
{
	static const char line[] = "The advisory line hidden inside a binary, "
	    "long enough to count.";
	size_t n = (size_t)1 << 20;
	uint32_t x = 12345;
	struct buf bin;
	struct facts f;
	struct em_err e;
	char *msg;

	(void)st;
	buf_init(&bin);
	for (size_t i = 0; i < n; i++) {
		char c;

		x = x * 1103515245u + 12345u;
		c = (char)(x >> 24);
		buf_append(&bin, &c, 1);
		if (i == n / 2)
			buf_append(&bin, line, sizeof(line) - 1);
	}
	msg = with_attachment("application/octet-stream", "build.bin", &bin);
	assert_int_equal(read_msg(msg, &f, &e), EM_OK);
	assert_true(has(&f, line));
	print_message("1 MiB of random bytes gave %zu bytes of text\n", f.text.len);
	assert_true(f.text.len < 4096);
	facts_free(&f);
	free(msg);
	buf_free(&bin);
}

/* An archive inside an archive is read; past the ceilings it is refused. */
static void
t_archive_ceilings(void **st)
{
	struct buf inner, outer, zeros, bomb;
	struct member nest[1];
	struct facts f;
	struct em_err e;
	char *msg, *big;

	(void)st;
	/* A zip inside a tar.gz. */
	make_archive("zip", NULL, adv_members, 1, &inner);
	{
		struct archive *a = archive_write_new();
		size_t used = 0, cap = (size_t)1 << 20;
		char *mem = xmalloc(cap);
		struct archive_entry *en = archive_entry_new();

		archive_write_set_format_by_name(a, "ustar");
		archive_write_add_filter_by_name(a, "gzip");
		archive_write_open_memory(a, mem, cap, &used);
		archive_entry_set_pathname(en, "inner.zip");
		archive_entry_set_size(en, (la_int64_t)inner.len);
		archive_entry_set_filetype(en, AE_IFREG);
		archive_entry_set_perm(en, 0644);
		archive_write_header(a, en);
		archive_write_data(a, inner.data, inner.len);
		archive_entry_free(en);
		archive_write_close(a);
		archive_write_free(a);
		buf_init(&outer);
		buf_append(&outer, mem, used);
		free(mem);
	}
	msg = with_attachment("application/octet-stream", "x.tgz", &outer);
	assert_int_equal(read_msg(msg, &f, &e), EM_OK);
	assert_true(has(&f, "The archived advisory text"));
	facts_free(&f);
	free(msg);
	/* 4 MiB of zeros as text: over max_decrypted (1 MiB here). */
	big = xmalloc((size_t)4 << 20 | 1);
	memset(big, 'A', (size_t)4 << 20);
	big[(size_t)4 << 20] = '\0';
	nest[0].name = "zeros.txt";
	nest[0].data = big;
	nest[0].len = (size_t)4 << 20;
	make_archive("ustar", "gzip", nest, 1, &zeros);
	msg = with_attachment("application/gzip", "zeros.tar.gz", &zeros);
	assert_int_equal(read_msg(msg, &f, &e), EM_ELIMIT);
	assert_non_null(strstr(e.msg, "max_decrypted_size"));
	facts_free(&f);
	free(msg);
	/* Damaged: gzip's magic and then nothing gzip can read. */
	buf_init(&bomb);
	{
		static const char bad[] = "\x1f\x8b\x08\x00" "garbage, not deflate";

		buf_append(&bomb, bad, sizeof(bad) - 1);
	}
	msg = with_attachment("application/gzip", "bad.gz", &bomb);
	assert_int_equal(read_msg(msg, &f, &e), EM_ELIMIT);
	assert_non_null(strstr(e.msg, "cannot be read"));
	facts_free(&f);
	free(msg);
	free(big);
	buf_free(&inner);
	buf_free(&outer);
	buf_free(&zeros);
	buf_free(&bomb);
}

/* Lines of XSA-405 as its PDF shows them (tests/data/README). */
static const char pdf_line1[] = "moved in a way allowing for SKBs having "
    "references (pointers) retained";
static const char pdf_line2[] = "A misbehaving or malicious backend may "
    "cause a Denial of Service (DoS)";

/* read_pdf_in - a message carrying b as type and name: EM_OK, and is
 * the advisory's text in what was read? */

static bool
read_pdf_in(const char *type, const char *name, const struct buf *b,
    unsigned *sealed)
{
	struct facts f;
	struct em_err e;
	char *msg = with_attachment(type, name, b);
	bool got;

	if (read_msg(msg, &f, &e) != EM_OK)
		fail_msg("%s as %s: %s", name, type, e.msg);
	got = has(&f, pdf_line1) && has(&f, pdf_line2);
	*sealed = f.sealed;
	facts_free(&f);
	free(msg);
	return got;
}

/*
 * t_pdf_read - SPEC 4: a PDF, known by its bytes, is read as the text its
 * pages show (its streams are compressed: strings(1) finds none of it):
 * as application/pdf, as octet-stream and text/plain with a misleading
 * name, its header after other bytes, inside a zip and a tar.gz
 */
static void
t_pdf_read(void **st)
{
	struct buf pdf, moved, arc;
	struct member m[2] = { { "photos/holiday.jpg", NULL, 0 },
	    { "README", "Pictures of the summer, as promised.\n", 0 } };
	struct facts f;
	unsigned sealed;

	(void)st;
	test_read_file("tests/data/xsa405-ghostscript.pdf", &pdf);
	assert_true(policy_is_pdf(pdf.data, pdf.len));
	facts_init(&f);		/* its bytes alone, as before pdf.c */
	policy_read_bytes(pdf.data, pdf.len, &f);
	assert_false(has(&f, pdf_line1));
	facts_free(&f);
	assert_true(read_pdf_in("application/pdf", "xsa405.pdf", &pdf, &sealed));
	assert_int_equal(sealed, 0);
	assert_true(read_pdf_in("application/octet-stream", "holiday.jpg",
	    &pdf, &sealed));
	assert_true(read_pdf_in("text/plain", "notes.txt", &pdf, &sealed));
	/* Readers take the header anywhere in the first KiB. */
	buf_init(&moved);
	for (size_t i = 0; i < 600; i++)
		buf_append(&moved, i % 7 ? "\x89" : "\n", 1);
	buf_append(&moved, pdf.data, pdf.len);
	assert_true(policy_is_pdf(moved.data, moved.len));
	assert_true(read_pdf_in("image/jpeg", "holiday.jpg", &moved, &sealed));
	m[0].data = pdf.data;
	m[0].len = pdf.len;
	make_archive("zip", NULL, m, 2, &arc);
	assert_true(read_pdf_in("application/zip", "photos.zip", &arc, &sealed));
	buf_free(&arc);
	make_archive("ustar", "gzip", m, 2, &arc);
	assert_true(read_pdf_in("application/octet-stream", "photos.tgz", &arc,
	    &sealed));
	buf_free(&arc);
	buf_free(&moved);
	buf_free(&pdf);
}

/*
 * t_pdf_sealed - a PDF encrypted with an owner password only, or with a
 * password everyone uses for samples, is read; one no known password
 * opens is counted as sealed (as an archive member is), never refused
 */
static void
t_pdf_sealed(void **st)
{
	static const struct { const char *path; bool read; unsigned sealed; } k[] = {
		{ "tests/data/xsa405-owner-only.pdf", true, 0 },
		{ "tests/data/xsa405-infected.pdf", true, 0 },
		{ "tests/data/xsa405-sealed.pdf", false, 1 },
	};

	(void)st;
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct buf pdf, arc;
		struct member m = { "advisory.pdf", NULL, 0 };
		unsigned sealed;

		test_read_file(k[i].path, &pdf);
		if (read_pdf_in("application/pdf", "a.pdf", &pdf, &sealed) !=
		    k[i].read)
			fail_msg("%s: read is not %d", k[i].path, k[i].read);
		assert_int_equal(sealed, k[i].sealed);
		m.data = pdf.data;
		m.len = pdf.len;
		make_archive("zip", NULL, &m, 1, &arc);
		assert_true(read_pdf_in("application/zip", "a.zip", &arc,
		    &sealed) == k[i].read);
		assert_int_equal(sealed, k[i].sealed);
		buf_free(&arc);
		buf_free(&pdf);
	}
}

/* many_pages - a PDF of n empty pages, written by hand (no xref: poppler
 * rebuilds it, as it does for a damaged file) */

static void
many_pages(size_t n, struct buf *b)
{
	buf_init(b);
	buf_appendf(b, "%%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
	    "2 0 obj <</Type/Pages/Count %zu/Kids[", n);
	for (size_t i = 0; i < n; i++)
		buf_appendf(b, "%zu 0 R ", i + 3);
	buf_appends(b, "]>> endobj\n");
	for (size_t i = 0; i < n; i++)
		buf_appendf(b, "%zu 0 obj <</Type/Page/Parent 2 0 R"
		    "/MediaBox[0 0 10 10]>> endobj\n", i + 3);
	buf_appends(b, "trailer <</Root 1 0 R>>\n%%EOF\n");
}

/*
 * t_pdf_damaged_and_ceilings - a PDF nothing can parse is read as its
 * bytes, as before (the read does not fail); over the pages of all PDFs
 * or max_decrypted_size for what they yield, EM_ELIMIT
 */
static void
t_pdf_damaged_and_ceilings(void **st)
{
	struct policy_limits small = lim;
	struct buf bad, pdf;
	struct facts f;
	struct em_err e;
	char *msg;

	(void)st;
	buf_init(&bad);
	buf_appends(&bad, "%PDF-1.4\n\x93\x01\xfe garbage, no objects \x02\x03"
	    "\nThe text run a broken PDF still shows strings(1)\n\xff\xfe\x01");
	msg = with_attachment("application/pdf", "broken.pdf", &bad);
	assert_int_equal(read_msg(msg, &f, &e), EM_OK);
	assert_true(has(&f, "The text run a broken PDF still shows"));
	assert_int_equal(f.sealed, 0);
	facts_free(&f);
	free(msg);
	buf_free(&bad);
	many_pages(POLICY_PDF_PAGES, &pdf);
	msg = with_attachment("application/pdf", "pages.pdf", &pdf);
	assert_int_equal(read_msg(msg, &f, &e), EM_OK);
	facts_free(&f);
	free(msg);
	buf_free(&pdf);
	many_pages(POLICY_PDF_PAGES + 1, &pdf);
	msg = with_attachment("application/pdf", "pages.pdf", &pdf);
	assert_int_equal(read_msg(msg, &f, &e), EM_ELIMIT);
	assert_non_null(strstr(e.msg, "pages"));
	facts_free(&f);
	free(msg);
	buf_free(&pdf);
	test_read_file("tests/data/xsa405-ghostscript.pdf", &pdf);
	msg = with_attachment("application/pdf", "xsa405.pdf", &pdf);
	small.max_decrypted = 1000;	/* its text is some 5 KB */
	facts_init(&f);
	em_err_clear(&e);
	assert_int_equal(policy_read(msg, strlen(msg), &small, &f, &e),
	    EM_ELIMIT);
	assert_non_null(strstr(e.msg, "max_decrypted_size"));
	facts_free(&f);
	free(msg);
	buf_free(&pdf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_plain),
		cmocka_unit_test(t_no_header),
		cmocka_unit_test(t_text_bytes_at_every_offset),
		cmocka_unit_test(t_archives_are_read),
		cmocka_unit_test(t_not_archives),
		cmocka_unit_test(t_utf16_read),
		cmocka_unit_test(t_uu_blocks),
		cmocka_unit_test(t_lenient_encodings),
		cmocka_unit_test(t_mail_in_archives),
		cmocka_unit_test(t_sealed_archives),
		cmocka_unit_test(t_pdf_read),
		cmocka_unit_test(t_pdf_sealed),
		cmocka_unit_test(t_pdf_damaged_and_ceilings),
		cmocka_unit_test(t_partials),
		cmocka_unit_test(t_archive_ceilings),
		cmocka_unit_test(t_parts_of_a_real_advisory),
		cmocka_unit_test(t_bytes_decide_not_the_type),
		cmocka_unit_test(t_binary_read_as_strings),
		cmocka_unit_test(t_base64_body),
		cmocka_unit_test(t_quoted_printable_body),
		cmocka_unit_test(t_rfc2047_subject),
		cmocka_unit_test(t_latin1_charset),
		cmocka_unit_test(t_nested_multipart),
		cmocka_unit_test(t_depth_limit),
		cmocka_unit_test(t_parts_limit),
		cmocka_unit_test(t_header_limit),
		cmocka_unit_test(t_encrypted_kept_for_keys),
		cmocka_unit_test(t_inline_pgp_found),
		cmocka_unit_test(t_quick_read_is_the_full_read),
	};

	return cmocka_run_group_tests_name("mime", tests, setup, NULL);
}
