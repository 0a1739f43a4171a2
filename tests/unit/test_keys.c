/*
 * test_keys - keys/: whom an OpenPGP message is encrypted to, read from
 * its session key packets (real packets from GMime's test data and from
 * gpg, and fixed bytes for each header form); what a pinned key check
 * accepts and refuses (missing, not the pinned fingerprint, expired by
 * the time given, revoked, unable to encrypt, no secret to sign); the
 * keyring rules of "check" on a whole config; and the signing helper's
 * wire, both ways.  The keys are made by the test in a throwaway GnuPG
 * home (no passphrase), with gpg's clock faked for the expired one.
 */
#include <sys/stat.h>

#include <glib.h>

#include "testutil.h"
#include "../../keys/keys.h"
#include "../../keys/keys_int.h"

static char dir[64], home[96];

/* The keys the group setup makes: fingerprints, the primary's expiry. */
static char fpr_list[41], fpr_member[41], fpr_member2[41], fpr_signonly[41],
	    fpr_expired[41], fpr_revoked[41], fpr_team[41], sub_member[41];
static uint64_t id_member_sub;
static time_t member_expires;

/*
 * key_info - the fingerprint of the key with this address (fpr), of its
 * first subkey (sub, may be NULL) and its primary's expiry, from gpg's
 * own listing rather than from the code under test
 */
static void
key_info(const char *addr, char fpr[41], char *sub, time_t *expires)
{
	char *cmd = xasprintf("gpg --homedir %s --batch --with-colons "
	    "--list-keys '<%s>' 2>/dev/null", home, addr);
	FILE *p = popen(cmd, "r");
	char line[512];
	int fprs = 0, in_sub = 0;

	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		char **f = g_strsplit(line, ":", -1);

		if (strcmp(f[0], "pub") == 0 && expires != NULL)
			*expires = (time_t)g_ascii_strtoll(f[6], NULL, 10);
		if (strcmp(f[0], "sub") == 0)
			in_sub = 1;
		if (strcmp(f[0], "fpr") == 0 && fprs++ == 0)
			(void)snprintf(fpr, 41, "%s", f[9]);
		else if (strcmp(f[0], "fpr") == 0 && in_sub && sub != NULL &&
		    sub[0] == '\0')
			(void)snprintf(sub, 41, "%s", f[9]);
		g_strfreev(f);
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(strlen(fpr), 40);
	free(cmd);
}

/* gen - a new key, no passphrase; extra: options before the command */

static void
gen(const char *extra, const char *addr, const char *algo, const char *use,
    const char *expire, char fpr[41])
{
	test_sh("gpg --homedir %s --batch --quiet --passphrase '' %s "
	    "--quick-gen-key 'A test key <%s>' %s %s %s 2>/dev/null", home, extra, addr,
	    algo, use, expire);
	key_info(addr, fpr, NULL, NULL);
}

static int
setup(void **state)
{
	struct em_err err;

	(void)state;
	(void)snprintf(dir, sizeof(dir), "/tmp/em-keys-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	(void)snprintf(home, sizeof(home), "%s/gnupg", dir);
	if (mkdir(home, 0700) < 0 || keys_init(home, &err) != EM_OK)
		return 1;
	gen("", "list@lists.example.org", "future-default", "default", "never",
	    fpr_list);
	/* The primary expires on a fixed date; its subkey has no date. */
	gen("", "security@cloud.example", "future-default", "default",
	    "2099-01-01", fpr_member);
	key_info("security@cloud.example", fpr_member, sub_member,
	    &member_expires);
	id_member_sub = g_ascii_strtoull(sub_member + 24, NULL, 16);
	gen("", "secalert@linux.example", "future-default", "default", "never",
	    fpr_member2);
	gen("", "sign-only@example.org", "ed25519", "sign", "never",
	    fpr_signonly);
	/* Made in 2020, expired in 2021, whatever the machine's clock says. */
	gen("--faked-system-time 20200101T000000", "old@example.org",
	    "future-default", "default", "2021-01-01", fpr_expired);
	gen("", "revoked@example.org", "future-default", "default", "never",
	    fpr_revoked);
	test_sh("sed 's/^:-----/-----/' %s/openpgp-revocs.d/%s.rev | gpg --homedir "
	    "%s --batch --quiet --import 2>/dev/null", home, fpr_revoked, home);
	/* The team's key: its public half only, as the list holds it. */
	gen("", "security@example.org", "future-default", "default", "never",
	    fpr_team);
	test_sh("gpg --homedir %s --batch --yes --delete-secret-keys %s 2>/dev/null",
	    home, fpr_team);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	test_sh("gpgconf --homedir %s --kill gpg-agent 2>/dev/null; rm -rf %s", home,
	    dir);
	return 0;
}

/* ---- Session key packets ---- */

/* pkesk - a version 3 session key packet for id, new format, body n */

static void
pkesk(struct buf *b, int version, uint64_t id, size_t n)
{
	unsigned char body[300] = { 0 };

	assert_true(n >= 10 && n <= sizeof(body));
	body[0] = (unsigned char)version;
	for (int i = 0; i < 8; i++)
		body[1 + i] = (unsigned char)(id >> (56 - 8 * i));
	body[9] = 18;			/* ECDH */
	if (n < 192) {
		unsigned char h[2] = { 0xc1, (unsigned char)n };

		buf_append(b, h, 2);
	} else {
		unsigned char h[3] = { 0xc1, (unsigned char)(((n - 192) >> 8) +
		    192), (unsigned char)((n - 192) & 0xff) };

		buf_append(b, h, 3);
	}
	buf_append(b, body, n);
}

/* The encrypted data that follows, with a partial length (new format). */
static const unsigned char seipd[] = { 0xd2, 0xe1, 1, 2 };

/* The real message of GMime's tests: one ElGamal session key packet
 * (old format, two-byte length), armored inside a text part. */
static void
t_pkesk_real_gmime(void **s)
{
	struct buf msg;
	uint64_t ids[4];
	size_t n;
	bool unknown;

	(void)s;
	test_read_file("tests/data/gmime-pgp-encrypted.eml", &msg);
	assert_int_equal(keys_pkesk_ids(msg.data, msg.len, ids, 4, &n,
	    &unknown), EM_OK);
	assert_int_equal(n, 1);
	assert_true(ids[0] == 0x04C9D286CEF249E9ULL);
	assert_false(unknown);
	/* Not ours: the list key's own ids are another key's. */
	assert_int_equal(keys_addressed_to(fpr_list, msg.data, msg.len),
	    KEYS_NOT_TO_US);
	buf_free(&msg);
}

/* Fixed bytes: a symmetric session key packet is passed over; a hidden
 * recipient (id 0) and a version 6 packet count as "may be anyone"; the
 * ids are kept up to max; the encrypted data ends the reading. */
static void
t_pkesk_forms(void **s)
{
	static const unsigned char skesk[] = { 0xc3, 4, 4, 9, 3, 0 };
	/* Old format, four-byte length: tag 1, length type 2. */
	unsigned char old4[] = { 0x86, 0, 0, 0, 10, 3, 1, 2, 3, 4, 5, 6, 7, 8,
	    1 };
	struct buf b;
	uint64_t ids[4];
	size_t n;
	bool unknown;

	(void)s;
	buf_init(&b);
	buf_append(&b, skesk, sizeof(skesk));
	pkesk(&b, 3, 0x1122334455667788ULL, 12);
	pkesk(&b, 3, 0xA1A2A3A4A5A6A7A8ULL, 200);	/* two-byte length */
	buf_append(&b, old4, sizeof(old4));
	buf_append(&b, seipd, sizeof(seipd));
	pkesk(&b, 3, 0x0BADULL, 12);			/* after the data */
	assert_int_equal(keys_pkesk_ids(b.data, b.len, ids, 4, &n, &unknown),
	    EM_OK);
	assert_int_equal(n, 3);
	assert_true(ids[0] == 0x1122334455667788ULL);
	assert_true(ids[1] == 0xA1A2A3A4A5A6A7A8ULL);
	assert_true(ids[2] == 0x0102030405060708ULL);
	assert_false(unknown);
	assert_int_equal(keys_pkesk_ids(b.data, b.len, ids, 2, &n, &unknown),
	    EM_OK);
	assert_int_equal(n, 2);				/* kept up to max */
	buf_reset(&b);
	pkesk(&b, 3, 0x1122334455667788ULL, 12);
	pkesk(&b, 3, 0, 12);				/* hidden recipient */
	assert_int_equal(keys_pkesk_ids(b.data, b.len, ids, 4, &n, &unknown),
	    EM_OK);
	assert_int_equal(n, 1);
	assert_true(unknown);
	buf_reset(&b);
	pkesk(&b, 6, 0x1122334455667788ULL, 40);	/* RFC 9580 v6 */
	assert_int_equal(keys_pkesk_ids(b.data, b.len, ids, 4, &n, &unknown),
	    EM_OK);
	assert_int_equal(n, 0);
	assert_true(unknown);
	buf_free(&b);
}

/* What has no session key packet is EM_EPARSE, and "may be ours" to
 * keys_addressed_to(): data first, a packet cut short, not OpenPGP. */
static void
t_pkesk_none(void **s)
{
	static const unsigned char literal[] = { 0xcb, 6, 'b', 0, 0, 0, 0, 0 };
	struct buf b;
	uint64_t ids[4];
	size_t n;
	bool unknown;

	(void)s;
	buf_init(&b);
	assert_int_equal(keys_pkesk_ids("", 0, ids, 4, &n, &unknown),
	    EM_EPARSE);
	assert_int_equal(keys_pkesk_ids((const char *)literal, sizeof(literal),
	    ids, 4, &n, &unknown), EM_EPARSE);
	assert_int_equal(keys_pkesk_ids("hello, world", 12, ids, 4, &n,
	    &unknown), EM_EPARSE);
	pkesk(&b, 3, 0x1122334455667788ULL, 100);
	assert_int_equal(keys_pkesk_ids(b.data, b.len - 1, ids, 4, &n,
	    &unknown), EM_EPARSE);			/* cut short */
	assert_int_equal(n, 0);
	assert_int_equal(keys_addressed_to(fpr_list, b.data, b.len - 1),
	    KEYS_TO_MAYBE);
	buf_reset(&b);
	buf_append(&b, seipd, sizeof(seipd));
	assert_int_equal(keys_addressed_to(fpr_list, b.data, b.len),
	    KEYS_TO_MAYBE);
	buf_free(&b);
}

/* The same packets armored with CRLF lines and an armor header are read
 * as the binary ones. */
static void
t_pkesk_armored(void **s)
{
	struct buf bin, arm;
	uint64_t ids[4];
	size_t n;
	bool unknown;
	gchar *b64;

	(void)s;
	buf_init(&bin);
	buf_init(&arm);
	pkesk(&bin, 3, 0x1122334455667788ULL, 150);
	pkesk(&bin, 3, 0x99AABBCCDDEEFF00ULL, 12);
	buf_append(&bin, seipd, sizeof(seipd));
	b64 = g_base64_encode((const guchar *)bin.data, bin.len);
	buf_appends(&arm, "text before\r\n-----BEGIN PGP MESSAGE-----\r\n"
	    "Comment: made by test_keys\r\n\r\n");
	for (size_t i = 0, len = strlen(b64); i < len; i += 64) {
		buf_append(&arm, b64 + i, len - i < 64 ? len - i : 64);
		buf_appends(&arm, "\r\n");
	}
	buf_appends(&arm, "=AAAA\r\n-----END PGP MESSAGE-----\r\n");
	assert_int_equal(keys_pkesk_ids(arm.data, arm.len, ids, 4, &n,
	    &unknown), EM_OK);
	assert_int_equal(n, 2);
	assert_true(ids[0] == 0x1122334455667788ULL);
	assert_true(ids[1] == 0x99AABBCCDDEEFF00ULL);
	assert_false(unknown);
	g_free(b64);
	buf_free(&bin);
	buf_free(&arm);
}

/* encrypt_to - gpg's own message to fpr (opts: more gpg options) */

static void
encrypt_to(const char *fpr, const char *opts, struct buf *out)
{
	char *in = xasprintf("%s/plain", dir), *ct = xasprintf("%s/ct", dir);
	FILE *fp = fopen(in, "w");

	assert_non_null(fp);
	fputs("an advisory\n", fp);
	fclose(fp);
	(void)unlink(ct);
	test_sh("gpg --homedir %s --batch --quiet --trust-model always %s -a -e -r "
	    "%s -o %s %s", home, opts, fpr, ct, in);
	test_read_file(ct, out);
	free(in);
	free(ct);
}

/* gpg's messages: to the member (its encryption subkey's id) is to the
 * member and not to the list; a hidden recipient may be anyone's; a key
 * whose ids were never known is EM_EKEY (451), never "not ours". */
static void
t_addressed_to(void **s)
{
	struct buf m;
	uint64_t ids[4];
	size_t n;
	bool unknown;

	(void)s;
	encrypt_to(fpr_member, "", &m);
	assert_int_equal(keys_pkesk_ids(m.data, m.len, ids, 4, &n, &unknown),
	    EM_OK);
	assert_int_equal(n, 1);
	assert_true(ids[0] == id_member_sub);
	assert_int_equal(keys_addressed_to(fpr_member, m.data, m.len),
	    KEYS_TO_US);
	assert_int_equal(keys_addressed_to(fpr_list, m.data, m.len),
	    KEYS_NOT_TO_US);
	assert_int_equal(keys_addressed_to("0123456789ABCDEF0123456789ABCDEF"
	    "01234567", m.data, m.len), EM_EKEY);
	buf_free(&m);
	encrypt_to(fpr_member, "--throw-keyids", &m);
	assert_int_equal(keys_addressed_to(fpr_list, m.data, m.len),
	    KEYS_TO_MAYBE);
	buf_free(&m);
}

/* ---- A pinned key's health ---- */

/* Only the pinned fingerprint finds a key (any case, or a subkey's);
 * an address or a key id never stands in for it. */
static void
t_health_pinned(void **s)
{
	struct keys_health h;
	char lower[41], primary[41];

	(void)s;
	assert_int_equal(keys_health(fpr_member2, KEYS_USE_ENCRYPT, 0, &h),
	    EM_OK);
	assert_true(h.present);
	assert_true(h.usable);
	assert_int_equal(h.days_left, -1);
	assert_string_equal(h.problem, "");
	assert_string_equal(h.uids, "secalert@linux.example");
	for (int i = 0; i < 41; i++)
		lower[i] = (char)g_ascii_tolower(fpr_member2[i]);
	assert_int_equal(keys_health(lower, KEYS_USE_ENCRYPT, 0, &h), EM_OK);
	assert_true(h.usable);
	assert_int_equal(keys_health(sub_member, KEYS_USE_ENCRYPT, 0, &h),
	    EM_OK);
	assert_true(h.present);
	assert_int_equal(keys_primary_fpr(sub_member, primary), EM_OK);
	assert_string_equal(primary, fpr_member);
	assert_int_equal(keys_health("secalert@linux.example",
	    KEYS_USE_ENCRYPT, 0, &h), EM_OK);
	assert_false(h.present);
	assert_false(h.usable);
	assert_int_equal(keys_health(fpr_member2 + 24, KEYS_USE_ENCRYPT, 0, &h),
	    EM_OK);
	assert_false(h.present);
	assert_int_equal(keys_health("0123456789ABCDEF0123456789ABCDEF01234567",
	    KEYS_USE_ENCRYPT, 0, &h), EM_OK);
	assert_false(h.usable);
	assert_non_null(strstr(h.problem, "not in the keyring"));
	assert_int_equal(keys_primary_fpr("0123456789ABCDEF0123456789ABCDEF"
	    "01234567", primary), EM_ENOTFOUND);
	assert_false(keys_uid_has_address(fpr_member2, "security@cloud.example"));
	assert_true(keys_uid_has_address(fpr_member2, "SecAlert@linux.example"));
}

/* Refused, each with its reason: revoked, expired (by gpg's clock),
 * unable to encrypt, and a signing key without its secret. */
static void
t_health_refused(void **s)
{
	struct keys_health h;

	(void)s;
	assert_int_equal(keys_health(fpr_revoked, KEYS_USE_ENCRYPT, 0, &h),
	    EM_OK);
	assert_true(h.present);
	assert_true(h.revoked);
	assert_false(h.usable);
	assert_non_null(strstr(h.problem, "is revoked"));
	assert_int_equal(keys_health(fpr_expired, KEYS_USE_ENCRYPT, 0, &h),
	    EM_OK);
	assert_true(h.expired);
	assert_false(h.usable);
	assert_non_null(strstr(h.problem, "has expired"));
	assert_int_equal(keys_health(fpr_signonly, KEYS_USE_ENCRYPT, 0, &h),
	    EM_OK);
	assert_true(h.present);
	assert_false(h.usable);
	assert_non_null(strstr(h.problem, "no usable subkey to encrypt"));
	assert_int_equal(keys_health(fpr_signonly, KEYS_USE_SIGN, 0, &h), EM_OK);
	assert_true(h.usable);
	assert_true(h.has_secret);
	/* The team's key verifies, encrypts, and cannot sign here. */
	assert_int_equal(keys_health(fpr_team, KEYS_USE_VERIFY, 0, &h), EM_OK);
	assert_true(h.usable);
	assert_int_equal(keys_health(fpr_team, KEYS_USE_SIGN, 0, &h), EM_OK);
	assert_false(h.usable);
	assert_non_null(strstr(h.problem, "with its secret key"));
}

/* The time given decides, not the machine's clock: a key whose primary
 * expires on a fixed date has 10 days left 10 days before it, and no
 * usable subkey from that date on. */
static void
t_health_expiry(void **s)
{
	struct keys_health h;

	(void)s;
	assert_true(member_expires > 0);
	assert_int_equal(keys_health(fpr_member, KEYS_USE_ENCRYPT,
	    member_expires - 10 * 86400 - 60, &h), EM_OK);
	assert_true(h.usable);
	assert_true(h.expires == member_expires);
	assert_int_equal(h.days_left, 10);
	assert_int_equal(keys_health(fpr_member, KEYS_USE_ENCRYPT,
	    member_expires, &h), EM_OK);
	assert_false(h.usable);
	assert_non_null(strstr(h.problem, "expire"));
}

/* ---- The keyring rules of "check" ---- */

/* check_with - keys_check_config() of a config pinning these keys */

static void
check_with(const char *linux_key, time_t now, struct conf_report *rep)
{
	char *text = xasprintf(
	    "socket = \"inet:8894@127.0.0.1\"\n"
	    "state_dir = \"%s/state\"\n"
	    "gnupg_home = \"%s\"\n"
	    "team {\n  addresses = { \"security@example.org\" }\n"
	    "  keys = { \"%s\" }\n}\n"
	    "list predisclosure {\n"
	    "  address = \"predisclosure@lists.example.org\"\n"
	    "  key = \"%s\"\n}\n"
	    "member \"Example Cloud\" {\n  address = \"security@cloud.example\"\n"
	    "  key = \"%s\"\n}\n"
	    "member \"Example Linux\" {\n  address = \"secalert@linux.example\"\n"
	    "  key = \"%s\"\n}\n", dir, home, fpr_team, fpr_list, fpr_member,
	    linux_key);
	char *path = test_conf_write(text);
	struct config *cfg = NULL;

	assert_int_equal(chmod(path, 0600), 0);
	memset(rep, 0, sizeof(*rep));
	assert_int_equal(conf_load(path, &cfg, rep), EM_OK);
	keys_check_config(cfg, rep, now);
	conf_free(cfg);
	unlink(path);
	free(path);
	free(text);
}

/* A keyring that holds every pinned key, usable: no error; a member key
 * that cannot encrypt, or one expired by the time given, is an error
 * naming the member and the cure; one expiring within 30 days a warning. */
static void
t_check_config(void **s)
{
	struct conf_report rep;

	(void)s;
	check_with(fpr_member2, member_expires - 100 * 86400, &rep);
	for (size_t i = 0; rep.errors > 0 && i < rep.n; i++)
		print_message("%s\n", rep.v[i].text);
	assert_int_equal(rep.errors, 0);
	conf_report_free(&rep);
	check_with(fpr_signonly, member_expires - 100 * 86400, &rep);
	assert_int_equal(rep.errors, 1);
	assert_true(test_report_has(&rep, "member \"Example Linux\": key "));
	assert_true(test_report_has(&rep, "no usable subkey to encrypt; import "
	    "a valid key with that fingerprint"));
	conf_report_free(&rep);
	check_with(fpr_member2, member_expires - 10 * 86400 - 60, &rep);
	assert_int_equal(rep.errors, 0);
	assert_true(test_report_has(&rep, "warning: member \"Example Cloud\": "
	    "key"));
	assert_true(test_report_has(&rep, "expires in 10 days"));
	conf_report_free(&rep);
	check_with(fpr_revoked, member_expires + 1, &rep);
	assert_true(test_report_has(&rep, "member \"Example Cloud\": key"));
	assert_true(test_report_has(&rep, "is revoked"));
	assert_int_equal(rep.errors, 2);
	conf_report_free(&rep);
}

/* ---- The signing helper's wire ---- */

/* Through a helper process: the copy comes back signed and encrypted to
 * the member alone (its packets say so); a list key that cannot sign
 * comes back as the helper's error text, never as a copy. */
static void
t_helper_wire(void **s)
{
	struct buf plain, out;
	struct em_err err;
	uint64_t ids[4];
	size_t n;
	bool unknown;

	(void)s;
	buf_init(&plain);
	buf_init(&out);
	buf_appends(&plain, "Content-Type: text/plain\r\n\r\nan advisory\r\n");
	assert_int_equal(keys_helpers_start(1, &err), EM_OK);
	assert_int_equal(keys_sign_encrypt(fpr_list, fpr_member, &plain, &out,
	    &err), EM_OK);
	assert_non_null(strstr(out.data, "-----BEGIN PGP MESSAGE-----"));
	assert_int_equal(keys_pkesk_ids(out.data, out.len, ids, 4, &n,
	    &unknown), EM_OK);
	assert_int_equal(n, 1);
	assert_true(ids[0] == id_member_sub);
	buf_reset(&out);
	em_err_clear(&err);
	assert_int_equal(keys_sign_encrypt(fpr_team, fpr_member, &plain, &out,
	    &err), EM_ECRYPTO);
	assert_int_equal(out.len, 0);
	assert_non_null(strstr(err.msg, "is not usable for signing"));
	keys_helpers_stop();
	buf_free(&plain);
	buf_free(&out);
}

/* Keys the members' clients cannot use, known from their packets: a v6
 * key (Sequoia, RFC 9580), a v5 key (GnuPG 2.4, Ed448/X448); a v4 key
 * made by Sequoia and the test keys pass. */
static void
t_key_refused(void **st)
{
	char why[512];

	(void)st;
	assert_true(keys_key_refused("tests/data/keys/v6-sq-rfc9580.asc", why,
	    sizeof(why)));
	assert_non_null(strstr(why, "version 6 key (RFC 9580"));
	assert_non_null(strstr(why, "ask for a version 4 key"));
	assert_true(keys_key_refused("tests/data/keys/v5-gnupg24-ed448.asc",
	    why, sizeof(why)));
	assert_non_null(strstr(why, "version 5 key (LibrePGP"));
	assert_false(keys_key_refused("tests/data/keys/v4-sq-rfc4880.asc", why,
	    sizeof(why)));
	assert_false(keys_key_refused("/nonexistent", why, sizeof(why)));
}

/* slurp - a test data file, whole */

static char *
slurp(const char *path, size_t *len)
{
	gchar *d = NULL;
	gsize n = 0;

	assert_true(g_file_get_contents(path, &d, &n, NULL));
	*len = n;
	return d;
}

/* The form of a copy, read from its packets: what Debian's gpg 2.2
 * wrote to a key that advertises AEAD (PKESK v3, SEIPD v1) passes; what
 * an upstream GnuPG 2.4.7 wrote to the same key (OCB, tag 20), neither
 * sq 0.27 nor sq 1.3 reads, does not; nor do cut or foreign bytes. */
static void
t_copy_format(void **st)
{
	char why[256];
	size_t n;
	char *ok = slurp("tests/data/keys/msg-seipd1-gnupg22.asc", &n);
	char *ocb;

	(void)st;
	assert_int_equal(keys_copy_format(ok, n, why, sizeof(why)), EM_OK);
	assert_int_equal(keys_copy_format(ok, 40, why, sizeof(why)), EM_EFORMAT);
	g_free(ok);
	ocb = slurp("tests/data/keys/msg-ocb-upstream-gnupg24.asc", &n);
	assert_int_equal(keys_copy_format(ocb, n, why, sizeof(why)), EM_EFORMAT);
	assert_non_null(strstr(why, "OCB encrypted data"));
	g_free(ocb);
	assert_int_equal(keys_copy_format("hello", 5, why, sizeof(why)),
	    EM_EFORMAT);
	{
		/* Binary, by hand: a new-format PKESK v3 (12 octets: version,
		 * key id, algorithm, a stub), then the data in a partial
		 * length (0xE1: 2 octets) or a fixed one. */
		unsigned char m[32] = { 0xC1, 12, 3, 1, 2, 3, 4, 5, 6, 7, 8, 18,
		    0, 0, 0xD2, 0xE1, 1, 0x55 };
		const char *c = (const char *)m;

		assert_int_equal(keys_copy_format(c, 18, why, sizeof(why)),
		    EM_OK);
		m[16] = 2;			/* SEIPD v2 (RFC 9580) */
		assert_int_equal(keys_copy_format(c, 18, why, sizeof(why)),
		    EM_EFORMAT);
		assert_non_null(strstr(why, "version 2 SEIPD"));
		m[16] = 1;
		m[14] = 0xD4;			/* tag 20: OCB */
		assert_int_equal(keys_copy_format(c, 18, why, sizeof(why)),
		    EM_EFORMAT);
		m[14] = 0xD2;
		assert_int_equal(keys_copy_format(c, 14, why, sizeof(why)),
		    EM_EFORMAT);		/* the session key, no data */
		assert_non_null(strstr(why, "no encrypted data"));
		assert_int_equal(keys_copy_format(c, 10, why, sizeof(why)),
		    EM_EFORMAT);		/* the session key cut */
		assert_non_null(strstr(why, "cut short"));
		m[2] = 6;			/* PKESK v6 */
		assert_int_equal(keys_copy_format(c, 18, why, sizeof(why)),
		    EM_EFORMAT);
		assert_non_null(strstr(why, "not version 3"));
	}
	assert_int_equal(keys_copy_format("", 0, why, sizeof(why)), EM_EFORMAT);
}

/* AEAD in a key's features: upstream GnuPG 2.4.7's key says so (0x07),
 * Debian's gpg 2.4.7's does not (0x01); only for its own fingerprint. */
static void
t_advertises_aead(void **st)
{
	size_t n, m;
	char *up = slurp("tests/data/keys/member-aead.pub.gpg", &n);
	char *deb = slurp("tests/data/keys/member-gpg24.pub.gpg", &m);
	char both[8192];

	(void)st;
	assert_true(keys_advertises_aead(up, n,
	    "6048EFEBFAAA41E40F0725118DCA46923577F0C2"));
	assert_false(keys_advertises_aead(up, n,
	    "9FDC0D01AE80FF26464337890394DA99E2096F2F"));
	assert_false(keys_advertises_aead(deb, m,
	    "9FDC0D01AE80FF26464337890394DA99E2096F2F"));
	assert_true(n + m <= sizeof(both));
	memcpy(both, deb, m);
	memcpy(both + m, up, n);
	assert_true(keys_advertises_aead(both, n + m,
	    "6048efebfaaa41e40f0725118dca46923577f0c2"));
	g_free(up);
	g_free(deb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_pkesk_real_gmime),
		cmocka_unit_test(t_pkesk_forms),
		cmocka_unit_test(t_pkesk_none),
		cmocka_unit_test(t_pkesk_armored),
		cmocka_unit_test(t_addressed_to),
		cmocka_unit_test(t_health_pinned),
		cmocka_unit_test(t_health_refused),
		cmocka_unit_test(t_health_expiry),
		cmocka_unit_test(t_check_config),
		cmocka_unit_test(t_helper_wire),
		cmocka_unit_test(t_key_refused),
		cmocka_unit_test(t_copy_format),
		cmocka_unit_test(t_advertises_aead),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
