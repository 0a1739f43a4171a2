/* test_prints - the leak guard's fingerprints: what matches, what does not */
#include "testutil.h"
#include <glib.h>
#include "../../policy/policy.h"
#include "../../policy/match.h"
#include "../../keys/keys.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";

static const char advisory[] =
	"When two vCPUs of one guest map the same grant reference at the same\n"
	"time, the reference count in the shared frame table is incremented without\n"
	"holding the grant table lock, so a racing unmap can release the page while\n"
	"a mapping of it still exists in the second vCPU's page tables.\n"
	"short line\n"
	"+    if ( refcnt == 0 || !get_page(pg, rd) )\n";

/* matches - distinct fingerprints of msg found among the advisory's */
static size_t
matches(const char *msg)
{
	struct policy_prints a, m;
	size_t n = 0;

	policy_prints(advisory, strlen(advisory), key, sizeof(key), &a);
	policy_prints(msg, strlen(msg), key, sizeof(key), &m);
	for (size_t i = 0; i < m.n; i++)
		for (size_t j = 0; j < a.n; j++)
			if (memcmp(m.h[i], a.h[j], 8) == 0)
				n++;
	policy_prints_free(&a);
	policy_prints_free(&m);
	return n;
}

static void
t_forward_matches(void **st)
{
	(void)st;
	assert_true(matches(advisory) >= POLICY_LEAK_SHINGLES);
}

static void
t_quoted_rewrapped_matches(void **st)
{
	(void)st;
	assert_true(matches(
	    "> > When two VCPUS of one guest map the same grant\n"
	    "> > reference at the same time, the reference count in\n"
	    "> > the shared frame table is incremented without holding the\n"
	    "> > grant table lock, so a racing unmap\n") >= POLICY_LEAK_SHINGLES);
}

static void
t_id_only_does_not_match(void **st)
{
	(void)st;
	assert_int_equal(matches("XSA-800 is announced for 2026-12-01 12:00 UTC.\n"), 0);
}

static void
t_unrelated_does_not_match(void **st)
{
	(void)st;
	assert_true(matches("We are planning the release of the next version of the\n"
	    "hypervisor for the second week of the month; please test it.\n") <
	    POLICY_LEAK_SHINGLES);
}

static void
t_two_lines_are_not_enough(void **st)
{
	(void)st;
	/* Short significant lines: fewer runs than three full lines give. */
	assert_true(matches("a mapping of it still exists in the second\n") <
	    POLICY_LEAK_SHINGLES);
}

static void
t_key_matters(void **st)
{
	const unsigned char other[32] = "ffffffffffffffffffffffffffffffff";
	struct policy_prints a, b;

	(void)st;
	policy_prints(advisory, strlen(advisory), key, sizeof(key), &a);
	policy_prints(advisory, strlen(advisory), other, sizeof(other), &b);
	assert_true(a.n > 0 && a.n == b.n);
	assert_memory_not_equal(a.h[0], b.h[0], 8);
	policy_prints_free(&a);
	policy_prints_free(&b);
}

/*
 * The stored format: a print is the first 8 bytes of HMAC-SHA-256 of
 * four normalised words joined by one space, across significant lines.
 * Prints already in a state store must keep matching after an upgrade;
 * the values are Python's hmac.new(b"\x01" * 32, run, sha256).
 */
static bool
has_print(const struct policy_prints *p, const char *hex)
{
	for (size_t i = 0; i < p->n; i++) {
		char h[17];

		for (int k = 0; k < 8; k++)
			(void)snprintf(h + 2 * k, 3, "%02x", p->h[i][k]);
		if (strcmp(h, hex) == 0)
			return true;
	}
	return false;
}

static void
t_stored_format(void **st)
{
	const char *text = "  The   first four WORDS of a line that is long "
	    "enough and\nshort\n> the next line, quoted, counts with it\n";
	unsigned char k1[32];
	struct policy_prints p;

	(void)st;
	memset(k1, 1, sizeof(k1));
	policy_prints(text, strlen(text), k1, sizeof(k1), &p);
	assert_true(has_print(&p, "7c3878b007582340"));	/* the first four words */
	assert_true(has_print(&p, "f30f209289aa54ea"));	/* is long enough and */
	assert_true(has_print(&p, "354226dd3107af8b"));	/* enough and the next */
	policy_prints_free(&p);
}

/* replace_spaces - the advisory with every ASCII space replaced by sp */
static char *
replace_spaces(const char *sp)
{
	struct buf b;

	buf_init(&b);
	for (const char *p = advisory; *p; p++)
		if (*p == ' ')
			buf_appends(&b, sp);
		else
			buf_append(&b, p, 1);
	return b.data;		/* NUL-terminated by buf */
}

/* Text as clients write it (SPEC 4): Unicode spaces are spaces. */
static void
t_unicode_spaces_match(void **st)
{
	static const char *const spaces[] = {
		"\xc2\xa0",			/* no-break space (HTML, rich text) */
		" \xe2\x80\x8b",		/* space + zero-width space (web pages) */
		"\xe2\x80\xaf",		/* narrow no-break space */
		"\xe3\x80\x80",		/* ideographic space */
		"\xe2\x80\x83",		/* em space */
		" \xc2\xad",		/* space + soft hyphen */
		" \xe2\x80\x8d",		/* space + zero-width joiner */
		" \xef\xbb\xbf",		/* space + byte order mark */
	};

	(void)st;
	for (size_t i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++) {
		char *t = replace_spaces(spaces[i]);

		if (matches(t) < POLICY_LEAK_SHINGLES)
			fail_msg("space form %zu: %zu matches", i, matches(t));
		free(t);
	}
}

/* Zero-width characters inside words, and fullwidth letters (NFKC). */
static void
t_format_chars_and_nfkc_match(void **st)
{
	const char *zw = "When two vCPUs of one gu\xe2\x80\x8b" "est map the same grant "
	    "reference at the same\ntime, the refe\xc2\xadrence count in the "
	    "shared frame table is incremented without\nholding the grant table "
	    "lock, so a racing unmap can release the page while\n";
	/* "When two" in fullwidth letters, the rest plain */
	const char *fw = "\xef\xbc\xb7\xef\xbd\x88\xef\xbd\x85\xef\xbd\x8e two vCPUs of one "
	    "guest map the same grant reference at the same\ntime, the reference "
	    "count in the shared frame table is incremented without\nholding the "
	    "grant table lock, so a racing unmap can release the page while\n";

	(void)st;
	assert_true(matches(zw) >= POLICY_LEAK_SHINGLES);
	assert_true(matches(fw) >= POLICY_LEAK_SHINGLES);
}

/* Invalid UTF-8 is read, not a crash. */
static void
t_invalid_utf8(void **st)
{
	(void)st;
	assert_int_equal(matches("\xff\xfe\xc3 broken \xe2\x80 bytes in a "
	    "line that is long enough\n"), 0);
}

/* Of a patch, the text and the code as it now reads may be secret; its
 * removed lines and its file headers are not. */
static void
t_secret_text_of_a_patch(void **st)
{
	const char *adv = "Applying the attached patch resolves this issue.\n"
	    "--- a/drivers/xen/gntdev.c\n+++ b/drivers/xen/gntdev.c\n"
	    "@@ -10,7 +10,8 @@ static int map(struct gntdev_grant_map *map)\n"
	    "     for (i = 0; i < map->count; i++) {\n"
	    "-        if (map->map_ops[i].status)\n"
	    "+        if (map->map_ops[i].status != GNTST_okay)\n"
	    "+            map->unmap_ops[i].handle = INVALID_GRANT_HANDLE;\n"
	    "         continue;\n\nThanks.\n";
	struct buf out;

	(void)st;
	buf_init(&out);
	policy_secret_text(adv, strlen(adv), &out);
	assert_non_null(strstr(out.data, "Applying the attached patch"));
	assert_non_null(strstr(out.data, "        if (map->map_ops[i].status != GNTST_okay)\n"));
	assert_non_null(strstr(out.data, "INVALID_GRANT_HANDLE"));
	assert_non_null(strstr(out.data, "for (i = 0;"));	/* context */
	assert_null(strstr(out.data, "status)\n"));
	assert_null(strstr(out.data, "gntdev.c"));
	assert_non_null(strstr(out.data, "Thanks."));
	buf_free(&out);
}

/* secret_matched - how many of quote's runs the advisory adv files */

static size_t
secret_matched(const char *adv, size_t alen, const char *quote)
{
	struct policy_prints sec, q;
	size_t n = 0;

	policy_secret_prints(adv, alen, key, sizeof(key), &sec);
	policy_prints(quote, strlen(quote), key, sizeof(key), &q);
	for (size_t i = 0; i < q.n; i++)
		for (size_t j = 0; j < sec.n; j++)
			n += memcmp(q.h[i], sec.h[j], 8) == 0;
	policy_prints_free(&sec);
	policy_prints_free(&q);
	return n;
}

/*
 * Moved or re-indented code is public on its own; the new order is the
 * fix.  The real VT-d patch of tests/data re-indents "mode |=
 * MAP_OWNER_DYING;" out of the block it removes: the code as it read
 * before is public (none of its runs is filed); the code as it reads now
 * is not.
 */
static void
t_moved_lines_are_public(void **st)
{
	struct buf patch, shown;

	(void)st;
	test_read_file("tests/data/vtd-cleanup.patch", &patch);
	buf_init(&shown);
	policy_patch_public(patch.data, patch.len, &shown);
	assert_non_null(strstr(shown.data, "mode |= MAP_OWNER_DYING;"));
	assert_non_null(strstr(shown.data, "!any_pdev_behind_iommu("));
	assert_null(strstr(shown.data, "dom_io &&"));
	/* The old code in its old order: public. */
	assert_int_equal(secret_matched(patch.data, patch.len, shown.data), 0);
	buf_free(&patch);
	buf_free(&shown);
}

/*
 * A fix of moved lines and one new one: the lines re-indented into a new
 * block, in their old order, are public each; the fix quoted as it now
 * reads matches (the runs that join the new line and the block to their
 * neighbours), the function quoted as it was does not
 */
static void
t_new_order_is_secret(void **st)
{
	static const char adv[] = "--- a/dev.c\n+++ b/dev.c\n"
	    "@@ -1,8 +1,10 @@\n"
	    " static int check_device_queue(struct dev *d)\n"
	    " {\n"
	    "-\tif (d->count > MAX_QUEUE_COUNT)\n"
	    "-\t\treturn -EINVAL;\n"
	    "-\td->state = DEVICE_STATE_READY;\n"
	    "-\treturn setup_device_queues(d, d->count);\n"
	    "+\tif ( d->owner_domain != current->domain->domain_id ) {\n"
	    "+\t\tif (d->count > MAX_QUEUE_COUNT)\n"
	    "+\t\t\treturn -EINVAL;\n"
	    "+\t\td->state = DEVICE_STATE_READY;\n"
	    "+\t\treturn setup_device_queues(d, d->count);\n"
	    "+\t}\n"
	    "+\treturn -EPERM;\n"
	    " }\n";
	static const char now[] =
	    "static int check_device_queue(struct dev *d)\n{\n"
	    "    if ( d->owner_domain != current->domain->domain_id ) {\n"
	    "        if (d->count > MAX_QUEUE_COUNT)\n"
	    "            return -EINVAL;\n"
	    "        d->state = DEVICE_STATE_READY;\n"
	    "        return setup_device_queues(d, d->count);\n"
	    "    }\n    return -EPERM;\n}\n";
	static const char was[] =
	    "static int check_device_queue(struct dev *d)\n{\n"
	    "    if (d->count > MAX_QUEUE_COUNT)\n        return -EINVAL;\n"
	    "    d->state = DEVICE_STATE_READY;\n"
	    "    return setup_device_queues(d, d->count);\n}\n";
	size_t n_now = secret_matched(adv, strlen(adv), now);

	(void)st;
	if (n_now < POLICY_LEAK_SHINGLES)
		fail_msg("the fix as it reads matches %zu runs, under %d", n_now,
		    POLICY_LEAK_SHINGLES);
	assert_int_equal(secret_matched(adv, strlen(adv), was), 0);
}

/* Armour lines and signature bodies are nobody's text: two texts that
 * share nothing else share no word run. */
static void
t_armour_never_counts(void **st)
{
	static const char a[] =
	    "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
	    "The first advisory's own words about its own bug go here.\n"
	    "-----BEGIN PGP SIGNATURE-----\n\n"
	    "iQFABAEBCAAqFiEEI+MiLBRfRHX6gGCng/4UyVfoK9kFAmJMJDcMHHBncEB4ZW4u\n"
	    "=sp/Q\n-----END PGP SIGNATURE-----\n";
	static const char b[] =
	    "> -----BEGIN PGP SIGNED MESSAGE-----\n> Hash: SHA256\n>\n"
	    "> Something else entirely, a second advisory's words.\n"
	    "> -----BEGIN PGP SIGNATURE-----\n>\n"
	    "> iQFABAEBCAAqFiEEI+MiLBRfRHX6gGCng/4UyVfoK9kFAmJMJDcMHHBncEB4ZW4u\n"
	    "> =sp/Q\n> -----END PGP SIGNATURE-----\n";
	struct policy_prints pa, pb;
	size_t same = 0;

	(void)st;
	policy_prints(a, strlen(a), key, sizeof(key), &pa);
	policy_prints(b, strlen(b), key, sizeof(key), &pb);
	for (size_t i = 0; i < pa.n; i++)
		for (size_t j = 0; j < pb.n; j++)
			same += memcmp(pa.h[i], pb.h[j], 8) == 0;
	assert_int_equal(same, 0);
	assert_true(pa.n > 0 && pb.n > 0);
	policy_prints_free(&pa);
	policy_prints_free(&pb);
}

/* Text dressed as armour is text: only real armour is skipped. */
static void
t_fake_armour_still_counts(void **st)
{
	struct buf b;
	const char *p, *nl;

	(void)st;
	buf_init(&b);
	buf_appendf(&b, "-----BEGIN PGP SIGNATURE-----\n\n%s"
	    "-----END PGP SIGNATURE-----\n", advisory);
	assert_true(matches(b.data) >= POLICY_LEAK_SHINGLES);
	buf_reset(&b);
	buf_appends(&b, "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n");
	for (p = advisory; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		buf_appendf(&b, "-----BEGIN PGP %.*s-----\n", (int)(nl - p), p);
	assert_true(matches(b.data) >= POLICY_LEAK_SHINGLES);
	buf_free(&b);
}

/* policy_runs: the runs in order, each with the line it starts on. */
static void
t_runs_know_their_lines(void **st)
{
	static const char t[] = "short\n"
	    "one two three four five six seven eight\n"
	    "\n"
	    "nine ten eleven twelve thirteen fourteen\n";
	struct policy_run *r;
	struct policy_prints p;
	size_t n;

	(void)st;
	policy_runs(t, strlen(t), key, sizeof(key), &r, &n);
	policy_prints(t, strlen(t), key, sizeof(key), &p);
	assert_int_equal(n, 11);	/* 14 words, runs of 4 */
	assert_int_equal(p.n, 11);
	assert_int_equal(r[0].line, 1);
	assert_int_equal(r[7].line, 1);	/* "eight nine ten eleven" */
	assert_int_equal(r[8].line, 3);
	free(r);
	policy_prints_free(&p);
}

/* A session key packet, by hand: new format, v3, key id, RSA. */
static void
t_pkesk_ids(void **st)
{
	unsigned char msg[] = {
		0xc1, 12, 3, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 0, 0,
		0x84, 10, 3, 0, 0, 0, 0, 0, 0, 0, 0, 1,	/* old format, wildcard */
		0xd2, 2, 1, 0,				/* SEIPD: the end */
	};
	uint64_t ids[4];
	size_t n;
	bool unknown;
	gchar *b64 = g_base64_encode(msg, sizeof(msg));
	char *armored = xasprintf("-----BEGIN PGP MESSAGE-----\nComment: x\n\n%s\n"
	    "=AAAA\n-----END PGP MESSAGE-----\n", b64);

	(void)st;
	assert_int_equal(keys_pkesk_ids((const char *)msg, sizeof(msg), ids, 4,
	    &n, &unknown), EM_OK);
	assert_int_equal(n, 1);
	assert_true(ids[0] == 0x123456789abcdef0ULL);
	assert_true(unknown);
	assert_int_equal(keys_pkesk_ids(armored, strlen(armored), ids, 4, &n,
	    &unknown), EM_OK);
	assert_int_equal(n, 1);
	assert_true(ids[0] == 0x123456789abcdef0ULL);
	/* Garbage and truncation: no session key, no crash. */
	assert_int_equal(keys_pkesk_ids("hello", 5, ids, 4, &n, &unknown),
	    EM_EPARSE);
	assert_int_equal(keys_pkesk_ids((const char *)msg, 5, ids, 4, &n,
	    &unknown), EM_EPARSE);
	g_free(b64);
	free(armored);
}

/* A real message made by GnuPG for GMime's tests (tests/data). */
static void
t_pkesk_real(void **st)
{
	struct buf raw;
	uint64_t ids[4];
	size_t n;
	bool unknown;

	(void)st;
	test_read_file("tests/data/gmime-pgp-encrypted.eml", &raw);
	assert_int_equal(keys_pkesk_ids(raw.data, raw.len, ids, 4, &n,
	    &unknown), EM_OK);
	assert_int_equal(n, 1);
	assert_false(unknown);
	assert_true(ids[0] == 0x04C9D286CEF249E9ULL);
	buf_free(&raw);
}

/*
 * An ASCII line is normalised eight bytes at a time where it can be, a
 * line with any other byte one character at a time: both must give the
 * same runs.  Random lines of letters, digits, blanks (single and in
 * runs, tabs, CR, form feeds), quote and patch marks, across every
 * alignment; each also read with a zero-width space at its end (dropped,
 * but it sends the line the slow way).  A vertical tab is left out: the
 * slow way (glib) does not call it a space.
 */
static void
t_fast_and_slow_agree(void **st)
{
	static const char alpha[] = "abcXYZ@[`{09.,-  \t\t\r\f>+";
	unsigned seed = 12345;

	(void)st;
	for (int round = 0; round < 400; round++) {
		struct buf fast, slow;
		struct policy_prints a, b;

		buf_init(&fast);
		buf_init(&slow);
		for (int l = 0; l < 12; l++) {
			int n = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 90;

			for (int i = 0; i < n; i++) {
				char c;

				seed = seed * 1103515245u + 12345u;
				c = (seed >> 16) % 3 == 0 ? ' ' :
				    alpha[(seed >> 18) % (sizeof(alpha) - 1)];
				buf_append(&fast, &c, 1);
				buf_append(&slow, &c, 1);
			}
			buf_appends(&fast, "\n");
			buf_appends(&slow, "\xe2\x80\x8b\n");
		}
		policy_prints(fast.data, fast.len, key, sizeof(key), &a);
		policy_prints(slow.data, slow.len, key, sizeof(key), &b);
		assert_int_equal(a.n, b.n);
		assert_memory_equal(a.h, b.h, a.n * 8);
		policy_prints_free(&a);
		policy_prints_free(&b);
		buf_free(&fast);
		buf_free(&slow);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_forward_matches),
		cmocka_unit_test(t_quoted_rewrapped_matches),
		cmocka_unit_test(t_id_only_does_not_match),
		cmocka_unit_test(t_unrelated_does_not_match),
		cmocka_unit_test(t_two_lines_are_not_enough),
		cmocka_unit_test(t_key_matters),
		cmocka_unit_test(t_unicode_spaces_match),
		cmocka_unit_test(t_format_chars_and_nfkc_match),
		cmocka_unit_test(t_fast_and_slow_agree),
		cmocka_unit_test(t_invalid_utf8),
		cmocka_unit_test(t_secret_text_of_a_patch),
		cmocka_unit_test(t_moved_lines_are_public),
		cmocka_unit_test(t_new_order_is_secret),
		cmocka_unit_test(t_armour_never_counts),
		cmocka_unit_test(t_fake_armour_still_counts),
		cmocka_unit_test(t_runs_know_their_lines),
		cmocka_unit_test(t_stored_format),
		cmocka_unit_test(t_pkesk_ids),
		cmocka_unit_test(t_pkesk_real),
	};

	return cmocka_run_group_tests_name("prints", tests, NULL, NULL);
}
