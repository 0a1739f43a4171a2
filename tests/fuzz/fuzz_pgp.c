/*
 * fuzz_pgp - hostile crypto parts (libFuzzer): the session key packet
 * reader on every input, and keys_read_crypt() (GMime's RFC 3156 reading,
 * gpgme decrypt and verify) on the input taken as a multipart/encrypted
 * or multipart/signed entity, or as inline armour.  A keyring with a list
 * key is made once per process, in a folder of its own.
 */
#include <unistd.h>
#include <gmime/gmime.h>

#include "fuzz.h"
#include "../../keys/keys.h"
#include "../../policy/policy.h"

static struct config *cfg;
static char home[] = "/tmp/em-fuzz-gnupg-XXXXXX";

/* drop_keyring - at exit: the keyring's agent stopped, the folder gone */
static void
drop_keyring(void)
{
	char cmd[256];

	(void)snprintf(cmd, sizeof(cmd), "gpgconf --homedir %s --kill gpg-agent "
	    ">/dev/null 2>&1; rm -rf %s", home, home);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_pgp: could not clean %s\n", home);
}

/* make_keyring - a throwaway GnuPG home with a list key; its fingerprint */
static void
make_keyring(void)
{
	char cmd[512], fpr[64] = "";
	struct em_err err;
	FILE *p;

	if (mkdtemp(home) == NULL)
		exit(2);
	(void)atexit(drop_keyring);
	(void)snprintf(cmd, sizeof(cmd), "gpg --homedir %s --batch -q "
	    "--pinentry-mode loopback --passphrase '' --quick-gen-key "
	    "'Fuzz list <predisclosure@lists.example.org>' future-default "
	    "default never 2>/dev/null && gpg --homedir %s --with-colons -K "
	    "| awk -F: '/^fpr/ { print $10; exit }'", home, home);
	if ((p = popen(cmd, "r")) == NULL || fgets(fpr, sizeof(fpr), p) == NULL)
		exit(2);
	pclose(p);
	fpr[strcspn(fpr, "\n")] = '\0';
	if (keys_init(home, &err) < 0)
		exit(2);
	free(cfg->list_key);
	cfg->list_key = xstrdup(fpr);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cfg = fuzz_config();
	make_keyring();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const struct policy_limits lim = { 20, 500, 65536, 1 << 20 };
	static const char *const wraps[] = {
		"Content-Type: multipart/encrypted; protocol=\"application/"
		"pgp-encrypted\"; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: "
		"application/pgp-encrypted\r\n\r\nVersion: 1\r\n--b\r\n"
		"Content-Type: application/octet-stream\r\n\r\n",
		"Content-Type: multipart/signed; protocol=\"application/"
		"pgp-signature\"; micalg=pgp-sha256; boundary=\"b\"\r\n\r\n--b\r\n"
		"Content-Type: text/plain\r\n\r\nsigned text\r\n--b\r\n"
		"Content-Type: application/pgp-signature\r\n\r\n",
		"", "",
	};
	uint64_t ids[8];
	size_t n;
	bool unknown;
	struct em_err err;
	struct facts f;
	struct policy_crypt *c;
	unsigned kind;

	(void)keys_pkesk_ids((const char *)data, len, ids, 8, &n, &unknown);
	if (len < 1)
		return 0;
	kind = data[0] % 4;
	facts_init(&f);
	f.crypt = xcalloc(1, sizeof(*f.crypt));
	f.n_crypt = 1;
	c = &f.crypt[0];
	c->kind = kind == 0 ? POLICY_CRYPT_PGPMIME_ENCRYPTED :
	    kind == 1 ? POLICY_CRYPT_PGPMIME_SIGNED :
	    kind == 2 ? POLICY_CRYPT_INLINE_ENCRYPTED : POLICY_CRYPT_INLINE_SIGNED;
	buf_init(&c->data);
	buf_appends(&c->data, wraps[kind]);
	buf_append(&c->data, data + 1, len - 1);
	if (kind < 2)
		buf_appends(&c->data, "\r\n--b--\r\n");
	(void)keys_read_crypt(cfg, &lim, &f, &err);
	facts_free(&f);
	return 0;
}
