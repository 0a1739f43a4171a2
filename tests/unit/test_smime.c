/*
 * test_smime - a member's copy in S/MIME (keys/copy.c): the same inside
 * as an OpenPGP member's (protected Subject, the copy id, the note, the
 * post), signed by the list's certificate and enveloped to the member's
 * certificate alone, read back by the independent reader, OpenSSL: it
 * decrypts with the member's key (and not with another member's), the
 * signature inside verifies against the test CA, and what it holds is
 * read by Python's email package.  The CA and the members' certificates
 * are made by OpenSSL; the list's key is made in the daemon's GnuPG home
 * by gpgsm (no passphrase) and its certificate signed by the CA.
 */
#include <sys/stat.h>

#include <gmime/gmime.h>

#include "testutil.h"
#include "../../keys/keys.h"

static char dir[64], home[96];
static char pin_list[65], pin_alice[65], pin_weak[65], pin_signer[65],
	    pin_ec[65];

/* cert_pin - the SHA-256 pin of the certificate in NAME.pem, as an
 * administrator reads it off the file */

static void
cert_pin(const char *name, char pin[65])
{
	char *cmd = xasprintf("openssl x509 -noout -fingerprint -sha256 -in "
	    "%s/%s.pem | sed 's/.*=//; s/://g'", dir, name);

	test_pin(cmd, pin, 64);
	free(cmd);
}

/* member_as - a key (an openssl -newkey argument) and a certificate for
 * addr with that key usage, made by OpenSSL, signed by the test CA, the
 * certificate imported into the daemon's home */

static void
member_as(const char *name, const char *addr, const char *newkey,
    const char *usage)
{
	test_sh("cd %s && openssl req -new -newkey %s -nodes -keyout %s.key "
	    "-subj '/CN=%s' -out %s.csr 2>/dev/null && printf "
	    "'subjectAltName=email:%s\\nkeyUsage=critical,%s\\n"
	    "extendedKeyUsage=emailProtection\\n' > %s.ext && "
	    "openssl x509 -req -in %s.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 30 -extfile %s.ext -out %s.pem 2>/dev/null && "
	    "GNUPGHOME=%s gpgsm --batch --import %s.pem 2>/dev/null", dir, newkey,
	    name, name, name, addr, usage, name, name, name, name, home, name);
}

static void
member(const char *name, const char *addr)
{
	member_as(name, addr, "rsa:2048", "digitalSignature,keyEncipherment");
}

static int
setup(void **state)
{
	struct em_err err;

	(void)state;
	(void)snprintf(dir, sizeof(dir), "/tmp/em-smime-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	(void)snprintf(home, sizeof(home), "%s/gnupg", dir);
	if (mkdir(home, 0700) < 0 || keys_init(home, &err) != EM_OK)
		return 1;
	/* A test CA, trusted in the home (no revocation lists to fetch). */
	test_sh("echo disable-crl-checks > %s/gpgsm.conf && cd %s && openssl req "
	    "-x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 "
	    "-subj '/CN=Embargo Test CA' -addext "
	    "'basicConstraints=critical,CA:TRUE' -addext "
	    "'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null && "
	    "GNUPGHOME=%s gpgsm --batch --import ca.pem 2>/dev/null && "
	    "GNUPGHOME=%s gpgsm --with-colons --list-keys 'Embargo Test CA' | "
	    "awk -F: '/^fpr/ { print $10 \" S relax\"; exit }' > "
	    "%s/trustlist.txt && gpgconf --homedir %s --reload gpg-agent",
	    home, dir, home, home, home, home);
	/* The list's key, made in the home; its certificate from the CA. */
	test_sh("cd %s && printf 'Key-Type: RSA\\nKey-Length: 2048\\nKey-Usage: "
	    "sign, encrypt\\nName-DN: CN=Embargo list\\nName-Email: "
	    "predisclosure@lists.example.org\\n' > list.gen && GNUPGHOME=%s "
	    "gpgsm --batch --pinentry-mode loopback --passphrase '' --gen-key "
	    "list.gen > list.csr 2>/dev/null && printf "
	    "'subjectAltName=email:predisclosure@lists.example.org\\nkeyUsage="
	    "critical,digitalSignature,keyEncipherment\\nextendedKeyUsage="
	    "emailProtection\\n' > list.ext && openssl x509 -req -inform DER -in "
	    "list.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile "
	    "list.ext -out list.pem 2>/dev/null && GNUPGHOME=%s gpgsm --batch "
	    "--import list.pem 2>/dev/null", dir, home, home);
	member("alice", "security@vendor.example");
	member("bob", "psirt@other.example");
	member_as("weak", "security@weak.example", "rsa:1024",
	    "digitalSignature,keyEncipherment");
	member_as("signer", "security@signer.example", "rsa:2048",
	    "digitalSignature");
	member_as("ec", "security@ec.example", "ec -pkeyopt "
	    "ec_paramgen_curve:prime256v1", "digitalSignature,keyAgreement");
	cert_pin("list", pin_list);
	cert_pin("alice", pin_alice);
	cert_pin("weak", pin_weak);
	cert_pin("signer", pin_signer);
	cert_pin("ec", pin_ec);
	return 0;
}

static int
teardown(void **state)
{
	const char *keep = getenv("EM_SMIME_KEEP");

	(void)state;
	/* EM_SMIME_KEEP=DIR keeps the CA, the keys and the copy there, for a
	 * person or a mail client to read (tests/e2e/thunderbird.sh). */
	if (keep != NULL && *keep != '\0')
		test_sh("mkdir -p '%s' && cp -r %s/. '%s'", keep, dir, keep);
	test_sh("gpgconf --homedir %s --kill all 2>/dev/null; rm -rf %s", home, dir);
	return 0;
}

static const char post[] =
	"Content-Type: text/plain; charset=utf-8\r\n"
	"Content-Transfer-Encoding: 8bit\r\n"
	"\r\n"
	"Xen Security Advisory XSA-999: the grant table race, under embargo.\r\n"
	"Caf\xc3\xa9 grants are released while still mapped.\r\n";

/* spec - the copy of post for the member with certificate cert */

static struct keys_copy_spec
spec(const char *cert)
{
	struct keys_copy_spec sp;

	memset(&sp, 0, sizeof(sp));
	sp.entity = post;
	sp.entity_len = sizeof(post) - 1;
	sp.subject = "XSA-999 v1: grant table race";
	sp.orig_from = "security@xen.example";
	sp.list_address = "predisclosure@lists.example.org";
	sp.member_address = "security@vendor.example";
	sp.outer_subject = "[embargoed] XSA-999";
	sp.message_id = "copy-1@lists.example.org";
	sp.reply_to = "security@xen.example";
	sp.note = "This copy is for security@vendor.example.";
	sp.copy_id = "c0ffee";
	sp.list_cert = pin_list;
	sp.member_cert = cert;
	return sp;
}

/* A copy: nothing in the clear but routing; OpenSSL reads it whole. */
static void
t_copy_read_by_openssl(void **s)
{
	struct keys_copy_spec sp = spec(pin_alice);
	struct buf out;
	struct em_err err;
	char *path;
	FILE *f;

	(void)s;
	buf_init(&out);
	if (keys_build_copy(&sp, &out, &err) != EM_OK)
		fail_msg("%s", err.msg);
	assert_non_null(strstr(out.data, "application/pkcs7-mime"));
	assert_non_null(strstr(out.data, "smime-type=enveloped-data"));
	assert_null(strstr(out.data, "grant table race"));
	assert_null(strstr(out.data, "c0ffee"));
	assert_null(strstr(out.data, "This copy is for"));
	assert_non_null(strstr(out.data, "Subject: [embargoed] XSA-999"));
	path = xasprintf("%s/copy.eml", dir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(out.data, 1, out.len, f), out.len);
	assert_int_equal(fclose(f), 0);
	/* The member's key opens it; the signature inside is the list's. */
	test_sh("cd %s && openssl cms -decrypt -in copy.eml -recip alice.pem -inkey "
	    "alice.key -out signed.eml 2>/dev/null && openssl cms -verify -in "
	    "signed.eml -CAfile ca.pem -signer signer.pem -out inner.eml "
	    "2>/dev/null && openssl x509 -in signer.pem -noout -ext "
	    "subjectAltName | grep -q predisclosure@lists.example.org", dir);
	/* What is inside, read by Python's email package, not by GMime. */
	test_sh("cd %s && python3 -c \"import email, email.policy\n"
	    "m = email.message_from_binary_file(open('inner.eml', 'rb'), "
	    "policy=email.policy.default)\n"
	    "assert m['Subject'] == 'XSA-999 v1: grant table race'\n"
	    "assert m['Embargo-Copy-Id'] == 'c0ffee'\n"
	    "assert m.get_content_type() == 'multipart/mixed'\n"
	    "p = [x for x in m.walk() if not x.is_multipart()]\n"
	    "assert all(not x.defects for x in m.walk())\n"
	    "assert 'This copy is for security@vendor.example' in "
	    "p[0].get_content()\n"
	    "assert 'under embargo' in p[1].get_content()\n"
	    "assert 'Caf\u00e9 grants' in p[1].get_content()\n\"", dir);
	/* Another member's key does not: one copy, one recipient. */
	test_sh_fails("cd %s && openssl cms -decrypt -in copy.eml -recip bob.pem "
	    "-inkey bob.key -out /dev/null 2>/dev/null", dir);
	free(path);
	buf_free(&out);
}

/* A certificate the home does not hold: a key error naming it, no copy
 * (the copy waits for the certificate, as for a missing OpenPGP key). */
static void
t_unknown_certificate(void **s)
{
	struct keys_copy_spec sp = spec("0123456789ABCDEF0123456789ABCDEF"
	    "0123456789ABCDEF0123456789ABCDEF");
	struct keys_health h;
	struct buf out;
	struct em_err err;

	(void)s;
	buf_init(&out);
	assert_int_equal(keys_build_copy(&sp, &out, &err), EM_EKEY);
	assert_non_null(strstr(err.msg, "0123456789ABCDEF"));
	assert_int_equal(out.len, 0);
	assert_int_equal(keys_health(sp.member_cert, KEYS_USE_ENCRYPT,
	    time(NULL), &h), EM_OK);
	assert_false(h.present);
	assert_false(h.usable);
	assert_non_null(strstr(h.problem, "not in the GnuPG home"));
	buf_free(&out);
}

/* A certificate's health: its dates, its key usage, its key's size and
 * kind, its addresses; the list's may sign, having its secret key. */
static void
t_certificate_health(void **s)
{
	struct keys_health h;
	time_t now = time(NULL);

	(void)s;
	assert_true(keys_pin_is_cert(pin_alice));
	assert_false(keys_pin_is_cert("0123456789ABCDEF0123456789ABCDEF01234567"));
	assert_int_equal(keys_health(pin_alice, KEYS_USE_ENCRYPT, now, &h), 0);
	assert_true(h.usable);
	assert_true(h.days_left >= 28 && h.days_left <= 30);
	assert_non_null(strstr(h.uids, "security@vendor.example"));
	assert_true(keys_uid_has_address(pin_alice, "Security@Vendor.example"));
	assert_false(keys_uid_has_address(pin_alice, "psirt@other.example"));
	/* Thirty-one days on it has expired; a day ago it was not valid. */
	assert_int_equal(keys_health(pin_alice, KEYS_USE_ENCRYPT,
	    now + 31 * 86400, &h), 0);
	assert_false(h.usable);
	assert_non_null(strstr(h.problem, "has expired"));
	assert_int_equal(keys_health(pin_alice, KEYS_USE_ENCRYPT,
	    now - 86400, &h), 0);
	assert_false(h.usable);
	assert_non_null(strstr(h.problem, "not valid yet"));
	/* No secret key: a member's certificate cannot sign for the list. */
	assert_int_equal(keys_health(pin_alice, KEYS_USE_SIGN, now, &h), 0);
	assert_false(h.usable);
	assert_int_equal(keys_health(pin_list, KEYS_USE_SIGN, now, &h), 0);
	assert_true(h.usable);
	assert_int_equal(keys_health(pin_weak, KEYS_USE_ENCRYPT, now, &h), 0);
	assert_false(h.usable);
	assert_non_null(strstr(h.problem, "1024-bit RSA key, too weak"));
	assert_int_equal(keys_health(pin_signer, KEYS_USE_ENCRYPT, now, &h), 0);
	assert_false(h.usable);
	assert_non_null(strstr(h.problem, "may not encrypt"));
	/* EC: usable where gpgsm encrypts to it (2.3 on), named where not. */
	assert_int_equal(keys_health(pin_ec, KEYS_USE_ENCRYPT, now, &h), 0);
	if (!h.usable)
		assert_non_null(strstr(h.problem, "EC key, which this gpgsm "
		    "cannot encrypt to"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_copy_read_by_openssl),
		cmocka_unit_test(t_unknown_certificate),
		cmocka_unit_test(t_certificate_health),
	};

	g_mime_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
