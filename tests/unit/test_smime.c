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
static char fpr_list[41], fpr_alice[41];

/* cert_fpr - gpgsm's fingerprint of the certificate for addr */

static void
cert_fpr(const char *addr, char fpr[41])
{
	char *cmd = xasprintf("GNUPGHOME=%s gpgsm --with-colons --list-keys "
	    "'<%s>' 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }'", home,
	    addr);

	test_fpr(cmd, fpr);
	free(cmd);
}

/* member - a key and a certificate for addr, made by OpenSSL, signed by
 * the test CA, the certificate imported into the daemon's home */

static void
member(const char *name, const char *addr)
{
	test_sh("cd %s && openssl req -new -newkey rsa:2048 -nodes -keyout %s.key "
	    "-subj '/CN=%s' -out %s.csr 2>/dev/null && printf "
	    "'subjectAltName=email:%s\\nkeyUsage=critical,digitalSignature,"
	    "keyEncipherment\\nextendedKeyUsage=emailProtection\\n' > %s.ext && "
	    "openssl x509 -req -in %s.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 30 -extfile %s.ext -out %s.pem 2>/dev/null && "
	    "GNUPGHOME=%s gpgsm --batch --import %s.pem 2>/dev/null", dir, name,
	    name, name, addr, name, name, name, name, home, name);
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
	cert_fpr("predisclosure@lists.example.org", fpr_list);
	cert_fpr("security@vendor.example", fpr_alice);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
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
	sp.list_cert = fpr_list;
	sp.member_cert = cert;
	return sp;
}

/* A copy: nothing in the clear but routing; OpenSSL reads it whole. */
static void
t_copy_read_by_openssl(void **s)
{
	struct keys_copy_spec sp = spec(fpr_alice);
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

/* A certificate the home does not hold: an error naming it, no copy. */
static void
t_unknown_certificate(void **s)
{
	struct keys_copy_spec sp =
	    spec("0123456789ABCDEF0123456789ABCDEF01234567");
	struct buf out;
	struct em_err err;

	(void)s;
	buf_init(&out);
	assert_int_equal(keys_build_copy(&sp, &out, &err), EM_ECRYPTO);
	assert_non_null(strstr(err.msg, "0123456789ABCDEF"));
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_copy_read_by_openssl),
		cmocka_unit_test(t_unknown_certificate),
	};

	g_mime_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
