/*
 * cert.c - S/MIME certificates in the gpgsm side of the daemon's GnuPG
 * home: found by the SHA-256 of their DER (the pin the config holds, as
 * "openssl x509 -noout -fingerprint -sha256" prints it), and their health
 * for a use
 *
 * gpgsm names a certificate by the SHA-1 of its DER and cannot search by
 * the SHA-256, so the home's certificates are exported once (armored, one
 * gpgsm run), each hashed both ways, and the pairs kept; a pin not among
 * them has the home read again (an administrator imported it since), at
 * most once a call.  A certificate is pinned: its chain and its trust are
 * not asked (GPGME_ENCRYPT_ALWAYS_TRUST), its dates, key usage and key
 * size are.
 */

/* System library. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Utility library. */
#include <glib.h>
#include <gpgme.h>

/* Application-specific. */
#include "keys.h"
#include "keys_int.h"
#include "../util/sha256.h"

/* The most certificates a home may hold (a list has hundreds). */
#define CERTS_MAX	100000

struct pin { char sha256[65]; char name[41]; };

static pthread_mutex_t pins_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pin *pins;
static size_t n_pins;

/* keys_pin_is_cert - 64 hex digits: a certificate's SHA-256 */

bool
keys_pin_is_cert(const char *pin)
{
	size_t i;

	for (i = 0; pin != NULL && pin[i] != '\0'; i++)
		if (!g_ascii_isxdigit(pin[i]))
			return false;
	return i == 64;
}

/* keys_cms_ctx_new - a fresh gpgme context for CMS (gpgsm), offline */

gpgme_ctx_t
keys_cms_ctx_new(void)
{
	gpgme_ctx_t ctx;

	if (gpgme_new(&ctx) != 0)
		return NULL;
	if (gpgme_set_protocol(ctx, GPGME_PROTOCOL_CMS) != 0) {
		gpgme_release(ctx);
		return NULL;
	}
	gpgme_set_offline(ctx, 1);
	return ctx;
}

/* add_pem - one PEM certificate's two digests appended to v */

static void
add_pem(const char *b64, size_t n, struct pin **v, size_t *nv)
{
	char *text = g_strndup(b64, n);
	gsize len = 0;
	guchar *der = g_base64_decode(text, &len);
	struct pin *p;

	g_free(text);
	if (der == NULL || len == 0 || *nv >= CERTS_MAX) {
		g_free(der);
		return;
	}
	*v = xrealloc(*v, (*nv + 1) * sizeof(**v));
	p = &(*v)[(*nv)++];
	sha256_hex(der, len, p->sha256);
	sha1_hex(der, len, p->name);
	for (char *c = p->sha256; *c; c++)
		*c = g_ascii_toupper(*c);
	for (char *c = p->name; *c; c++)
		*c = g_ascii_toupper(*c);
	g_free(der);
}

/* rescan - every certificate of the home, exported and hashed, into pins
 * (pins_lock held) */

static int
rescan(struct em_err *err)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	gpgme_ctx_t ctx = keys_cms_ctx_new();
	gpgme_data_t d = NULL;
	struct buf pem;
	struct pin *v = NULL;
	size_t nv = 0, n = 0;
	gpgme_error_t e;
	const char *p;
	char *mem;

	if (ctx == NULL)
		return em_fail(err, EM_ECRYPTO, "gpgme cannot run gpgsm; is "
		    "the gpgsm package installed?");
	buf_init(&pem);
	gpgme_set_armor(ctx, 1);
	e = gpgme_data_new(&d);
	if (e == 0)
		e = gpgme_op_export(ctx, NULL, 0, d);
	mem = d != NULL ? gpgme_data_release_and_get_mem(d, &n) : NULL;
	if (e == 0 && mem != NULL)
		buf_append(&pem, mem, n);
	gpgme_free(mem);
	gpgme_release(ctx);
	if (e != 0) {
		buf_free(&pem);
		return em_fail(err, EM_ECRYPTO, "listing the certificates of "
		    "the GnuPG home (gpgsm) failed: %s", gpgme_strerror(e));
	}
	buf_append(&pem, "", 1);
	for (p = pem.data; (p = strstr(p, begin)) != NULL;) {
		const char *q = strstr(p + sizeof(begin) - 1, end);

		if (q == NULL)
			break;
		p += sizeof(begin) - 1;
		add_pem(p, (size_t)(q - p), &v, &nv);
		p = q + sizeof(end) - 1;
	}
	buf_free(&pem);
	free(pins);
	pins = v;
	n_pins = nv;
	return EM_OK;
}

/* find - the other half of a kept pair, by its SHA-1 name (by_name) or
 * its SHA-256 pin (pins_lock held) */

static bool
find(const char *key, bool by_name, char *out)
{
	for (size_t i = 0; key != NULL && i < n_pins; i++)
		if (strcasecmp(by_name ? pins[i].name : pins[i].sha256, key) ==
		    0) {
			if (by_name)
				memcpy(out, pins[i].sha256, 65);
			else
				memcpy(out, pins[i].name, 41);
			return true;
		}
	return false;
}

/* lookup - find(), the home read again on a miss */

static int
lookup(const char *key, bool by_name, char *out, struct em_err *err)
{
	int rc = EM_OK;

	(void)pthread_mutex_lock(&pins_lock);
	if (!find(key, by_name, out) && (rc = rescan(err)) == EM_OK &&
	    !find(key, by_name, out))
		rc = em_fail(err, EM_ENOTFOUND, "certificate %s is not in the "
		    "GnuPG home (gpgsm)", key ? key : "");
	(void)pthread_mutex_unlock(&pins_lock);
	return rc;
}

/*
 * keys_cert_name - gpgsm's name (its SHA-1 fingerprint) of the certificate
 * pinned by its SHA-256: EM_ENOTFOUND when the home holds none such
 */
int
keys_cert_name(const char *sha256, char name[41], struct em_err *err)
{
	if (!keys_pin_is_cert(sha256))
		return em_fail(err, EM_EKEY, "\"%s\" is not a certificate's "
		    "SHA-256 fingerprint", sha256 ? sha256 : "");
	return lookup(sha256, false, name, err);
}

/* keys_cert_pin - the SHA-256 pin of the certificate gpgsm names name (a
 * signer's, as a verification gives it); EM_ENOTFOUND when none */

int
keys_cert_pin(const char *name, char sha256[65], struct em_err *err)
{
	return lookup(name, true, sha256, err);
}

/* keys_cert_lookup - the pinned certificate (with its secret key when
 * secret), or NULL; caller unrefs it */

gpgme_key_t
keys_cert_lookup(const char *sha256, int secret)
{
	struct em_err err;
	char name[41];
	gpgme_ctx_t ctx;
	gpgme_key_t key = NULL;

	if (keys_cert_name(sha256, name, &err) < 0 ||
	    (ctx = keys_cms_ctx_new()) == NULL)
		return NULL;
	if (gpgme_get_key(ctx, name, &key, secret) != 0 || key == NULL ||
	    key->subkeys == NULL || key->subkeys->fpr == NULL ||
	    strcasecmp(key->subkeys->fpr, name) != 0) {
		if (key != NULL)
			gpgme_key_unref(key);
		key = NULL;
	}
	gpgme_release(ctx);
	return key;
}

/* bare_address - a certificate's user id's address, without brackets:
 * gpgsm lists an address of the subject or the subjectAltName as
 * "<addr>", and gpgme gives it with them (NULL: none; its length in *n) */

static const char *
bare_address(const gpgme_user_id_t u, size_t *n)
{
	const char *e = u->email;

	*n = e != NULL ? strlen(e) : 0;
	if (*n >= 2 && e[0] == '<' && e[*n - 1] == '>') {
		e++;
		*n -= 2;
	}
	return e;
}

/* same_address - does the user id carry addr (any case) */

static bool
same_address(const gpgme_user_id_t u, const char *addr)
{
	size_t n;
	const char *e = bare_address(u, &n);

	return e != NULL && n == strlen(addr) && strncasecmp(e, addr, n) == 0;
}

/* gpgsm_can_ecdh - does this gpgsm encrypt to EC certificates (2.3 on) */

static bool
gpgsm_can_ecdh(void)
{
	gpgme_engine_info_t info = NULL;
	int major = 0, minor = 0;

	if (gpgme_get_engine_info(&info) != 0)
		return false;
	for (; info != NULL; info = info->next)
		if (info->protocol == GPGME_PROTOCOL_CMS && info->version) {
			char *end;

			major = (int)strtol(info->version, &end, 10);
			minor = *end == '.' ? (int)strtol(end + 1, NULL, 10) : 0;
		}
	return major > 2 || (major == 2 && minor >= 3);
}

/* weak - why the certificate's key is too weak or cannot serve, or NULL */

static const char *
weak(gpgme_subkey_t sk, enum keys_use use, char *why, size_t n)
{
	bool ec = sk->pubkey_algo == GPGME_PK_ECC ||
	    sk->pubkey_algo == GPGME_PK_ECDSA || sk->pubkey_algo == GPGME_PK_ECDH;

	if (sk->pubkey_algo == GPGME_PK_RSA && sk->length < 2048)
		(void)snprintf(why, n, "has a %u-bit RSA key, too weak (2048 "
		    "bits at least)", sk->length);
	else if (sk->pubkey_algo == GPGME_PK_DSA)
		(void)snprintf(why, n, "has a DSA key, too weak");
	else if (ec && sk->length < 256)
		(void)snprintf(why, n, "has a %u-bit EC key, too weak (256 "
		    "bits at least)", sk->length);
	else if (ec && use == KEYS_USE_ENCRYPT && !gpgsm_can_ecdh())
		(void)snprintf(why, n, "has an EC key, which this gpgsm cannot "
		    "encrypt to (GnuPG 2.3 or later can, as Debian 13 has)");
	else
		return NULL;
	return why;
}

/* fill_uids - the certificate's addresses, for display, into h->uids */

static void
fill_uids(gpgme_key_t key, struct keys_health *h)
{
	for (gpgme_user_id_t u = key->uids; u != NULL; u = u->next) {
		size_t used = strlen(h->uids), n;
		const char *e = bare_address(u, &n);

		if (e == NULL || n == 0)
			continue;
		(void)snprintf(h->uids + used, sizeof(h->uids) - used,
		    "%s%.*s", used ? " " : "", (int)n, e);
	}
}

/* keys_cert_health - keys_health() for a certificate pin */

int
keys_cert_health(const char *pin, enum keys_use use, time_t now,
    struct keys_health *h)
{
	gpgme_key_t key = keys_cert_lookup(pin, use == KEYS_USE_SIGN);
	gpgme_subkey_t sk;
	char why[128];
	bool can;

	if (key == NULL) {
		(void)snprintf(h->problem, sizeof(h->problem), "certificate %s "
		    "not in the GnuPG home%s", pin, use == KEYS_USE_SIGN ?
		    " with its secret key" : "");
		return EM_OK;
	}
	sk = key->subkeys;
	h->present = true;
	h->has_secret = key->secret;
	h->revoked = key->revoked;
	h->expired = key->expired || (sk->expires > 0 && sk->expires <= now);
	fill_uids(key, h);
	can = use == KEYS_USE_ENCRYPT ? key->can_encrypt : key->can_sign;
	if (key->revoked)
		(void)snprintf(h->problem, sizeof(h->problem), "certificate %s "
		    "is revoked", pin);
	else if (h->expired)
		(void)snprintf(h->problem, sizeof(h->problem), "certificate %s "
		    "has expired", pin);
	else if (sk->timestamp > now)
		(void)snprintf(h->problem, sizeof(h->problem), "certificate %s "
		    "is not valid yet", pin);
	else if (weak(sk, use, why, sizeof(why)) != NULL)
		(void)snprintf(h->problem, sizeof(h->problem), "certificate %s "
		    "%s", pin, why);
	else if (!can)
		(void)snprintf(h->problem, sizeof(h->problem), "certificate %s "
		    "may not %s (its key usage)", pin, use == KEYS_USE_ENCRYPT ?
		    "encrypt" : "sign");
	else if (use == KEYS_USE_SIGN && !key->secret)
		(void)snprintf(h->problem, sizeof(h->problem), "certificate %s "
		    "has no secret key in the GnuPG home", pin);
	else {
		h->usable = true;
		h->expires = sk->expires;
		h->days_left = sk->expires ? (long)((sk->expires - now) / 86400) :
		    -1;
	}
	gpgme_key_unref(key);
	return EM_OK;
}

/* keys_cert_has_address - does the certificate's subject or
 * subjectAltName carry addr (gpgsm lists each as a user id) */

bool
keys_cert_has_address(const char *pin, const char *addr)
{
	gpgme_key_t key = keys_cert_lookup(pin, 0);
	bool found = false;

	if (key == NULL)
		return false;
	for (gpgme_user_id_t u = key->uids; u != NULL && !found; u = u->next)
		found = same_address(u, addr);
	gpgme_key_unref(key);
	return found;
}
