/*
 * keys.c - key health, sealing at rest, reading encrypted and signed parts
 *
 * gpgme contexts are not shared between threads: each operation makes its
 * own.  Keys are looked up by their full fingerprint, and the key found
 * must carry that fingerprint (primary or subkey), so that a user id can
 * never stand in for a pinned key.
 */

/* System library. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Utility library. */
#include <gmime/gmime.h>
#include <gpgme.h>

/* Application-specific. */
#include "keys.h"
#include "keys_int.h"

/* keys_init - point gpgme and GMime at the keyring, once */

int
keys_init(const char *gnupg_home, struct em_err *err)
{
	if (setenv("GNUPGHOME", gnupg_home, 1) < 0)
		return em_fail(err, EM_EIO, "cannot set GNUPGHOME");
	if (gpgme_check_version(NULL) == NULL ||
	    gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) != 0)
		return em_fail(err, EM_EKEY, "gpgme cannot run gpg; is gnupg "
		    "installed?");
	return EM_OK;
}

/* keys_ctx_new - a fresh gpgme context for OpenPGP, offline */

gpgme_ctx_t
keys_ctx_new(void)
{
	gpgme_ctx_t ctx;

	if (gpgme_new(&ctx) != 0)
		return NULL;
	(void)gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP);
	gpgme_set_offline(ctx, 1);
	return ctx;
}

/* get_key - the key with exactly this fingerprint, or NULL */

static gpgme_key_t
get_key(gpgme_ctx_t ctx, const char *fpr, int secret)
{
	gpgme_key_t key = NULL;

	if (fpr == NULL || strlen(fpr) != 40 ||
	    gpgme_get_key(ctx, fpr, &key, secret) != 0 || key == NULL)
		return NULL;
	for (gpgme_subkey_t sk = key->subkeys; sk != NULL; sk = sk->next)
		if (sk->fpr != NULL && strcasecmp(sk->fpr, fpr) == 0)
			return key;
	gpgme_key_unref(key);
	return NULL;
}

/* keys_lookup - find a pinned key with a context of its own */

gpgme_key_t
keys_lookup(const char *fpr, int secret)
{
	gpgme_ctx_t ctx = keys_ctx_new();
	gpgme_key_t key;

	if (ctx == NULL)
		return NULL;
	key = get_key(ctx, fpr, secret);
	gpgme_release(ctx);
	return key;
}

/* keys_primary_fpr - map a (sub)key fingerprint to its primary's */

int
keys_primary_fpr(const char *fpr, char out[41])
{
	gpgme_key_t key = keys_lookup(fpr, 0);

	if (key == NULL)
		return EM_ENOTFOUND;
	(void)snprintf(out, 41, "%s", key->subkeys->fpr);
	gpgme_key_unref(key);
	return EM_OK;
}

/*
 * capable - a valid subkey able to do the use; its expiry in *exp, or
 * the primary key's when that comes first: a subkey outlives no primary
 * (gpg --quick-gen-key dates the primary alone)
 */
static bool
capable(gpgme_key_t key, enum keys_use use, time_t now, time_t *exp)
{
	time_t primary = key->subkeys->expires;
	bool found = false;

	*exp = 0;
	for (gpgme_subkey_t sk = key->subkeys; sk != NULL; sk = sk->next) {
		bool can = use == KEYS_USE_ENCRYPT ? sk->can_encrypt : sk->can_sign;

		if (!can || sk->revoked || sk->disabled || sk->invalid ||
		    (sk->expires > 0 && sk->expires <= now))
			continue;
		if (use == KEYS_USE_SIGN && !sk->secret)
			continue;
		/* The latest-expiring usable subkey is the one gpg picks. */
		if (!found || sk->expires == 0 ||
		    (*exp != 0 && sk->expires > *exp))
			*exp = sk->expires;
		found = true;
	}
	if (found && primary > 0 && (*exp == 0 || primary < *exp))
		*exp = primary;
	return found;
}

/* keys_health - is the pinned key usable for this use, and for how long */

int
keys_health(const char *fpr, enum keys_use use, time_t now,
    struct keys_health *h)
{
	gpgme_key_t key;
	time_t exp;

	memset(h, 0, sizeof(*h));
	h->days_left = -1;
	if (keys_pin_is_cert(fpr))
		return keys_cert_health(fpr, use, now, h);
	key = keys_lookup(fpr, use == KEYS_USE_SIGN);
	if (key == NULL) {
		(void)snprintf(h->problem, sizeof(h->problem), "%s not in the "
		    "keyring%s", fpr, use == KEYS_USE_SIGN ?
		    " with its secret key" : "");
		return EM_OK;
	}
	h->present = true;
	h->has_secret = key->secret;
	h->revoked = key->revoked;
	h->disabled = key->disabled;
	h->expired = key->expired;
	for (gpgme_user_id_t u = key->uids; u != NULL; u = u->next) {
		size_t used = strlen(h->uids);

		if (u->email != NULL)
			(void)snprintf(h->uids + used, sizeof(h->uids) - used,
			    "%s%s", used ? " " : "", u->email);
	}
	if (key->revoked)
		(void)snprintf(h->problem, sizeof(h->problem), "%s is revoked", fpr);
	else if (key->expired || (key->subkeys->expires > 0 &&
	    key->subkeys->expires <= now))
		(void)snprintf(h->problem, sizeof(h->problem), "%s has expired", fpr);
	else if (key->disabled || key->invalid)
		(void)snprintf(h->problem, sizeof(h->problem), "%s is disabled "
		    "or invalid", fpr);
	else if (!capable(key, use, now, &exp))
		(void)snprintf(h->problem, sizeof(h->problem), "%s has no "
		    "usable subkey to %s", fpr, use == KEYS_USE_ENCRYPT ?
		    "encrypt" : "sign");
	else {
		h->usable = true;
		h->expires = exp;
		h->days_left = exp ? (long)((exp - now) / 86400) : -1;
	}
	gpgme_key_unref(key);
	return EM_OK;
}

/* keys_uid_has_address - does one of the key's user ids carry addr */

bool
keys_uid_has_address(const char *fpr, const char *addr)
{
	gpgme_key_t key;
	bool found = false;

	if (keys_pin_is_cert(fpr))
		return keys_cert_has_address(fpr, addr);
	if ((key = keys_lookup(fpr, 0)) == NULL)
		return false;
	for (gpgme_user_id_t u = key->uids; u != NULL && !found; u = u->next)
		found = u->email != NULL && strcasecmp(u->email, addr) == 0;
	gpgme_key_unref(key);
	return found;
}

/* keys_data_drain - the whole of a gpgme data object, appended */

void
keys_data_drain(gpgme_data_t d, struct buf *out)
{
	char chunk[8192];
	ssize_t n;

	(void)gpgme_data_seek(d, 0, SEEK_SET);
	while ((n = gpgme_data_read(d, chunk, sizeof(chunk))) > 0)
		buf_append(out, chunk, (size_t)n);
}

/* keys_seal - encrypt bytes to the list key alone, for keeping at rest */

int
keys_seal(const char *list_fpr, const char *p, size_t n, struct buf *out,
    struct em_err *err)
{
	gpgme_ctx_t ctx = keys_ctx_new();
	gpgme_data_t in = NULL, cipher = NULL;
	gpgme_key_t rcpt[2] = { NULL, NULL };
	gpgme_error_t e;

	if (ctx == NULL)
		return em_fail(err, EM_ECRYPTO, "gpgme: no context");
	if ((rcpt[0] = get_key(ctx, list_fpr, 0)) == NULL) {
		gpgme_release(ctx);
		return em_fail(err, EM_EKEY, "list key %s not in the keyring",
		    list_fpr);
	}
	e = gpgme_data_new_from_mem(&in, p, n, 0);
	if (e == 0)
		e = gpgme_data_new(&cipher);
	if (e == 0)
		e = gpgme_op_encrypt(ctx, rcpt, GPGME_ENCRYPT_ALWAYS_TRUST, in,
		    cipher);
	if (e == 0)
		keys_data_drain(cipher, out);
	gpgme_data_release(in);
	gpgme_data_release(cipher);
	gpgme_key_unref(rcpt[0]);
	gpgme_release(ctx);
	return e == 0 ? EM_OK : em_fail(err, EM_ECRYPTO, "sealing to the list "
	    "key failed: %s", gpgme_strerror(e));
}

/* keys_unseal - decrypt what keys_seal() made */

int
keys_unseal(const char *p, size_t n, struct buf *out, struct em_err *err)
{
	gpgme_ctx_t ctx = keys_ctx_new();
	gpgme_error_t e;

	if (ctx == NULL)
		return em_fail(err, EM_ECRYPTO, "gpgme: no context");
	e = keys_decrypt_ctx(ctx, p, n, out);
	gpgme_release(ctx);
	return e == 0 ? EM_OK : em_fail(err, EM_ECRYPTO, "unsealing with the "
	    "list key failed: %s", gpgme_strerror(e));
}

/* keys_decrypt_ctx - p decrypted by ctx into out; gpgme's error */

gpgme_error_t
keys_decrypt_ctx(gpgme_ctx_t ctx, const char *p, size_t n, struct buf *out)
{
	gpgme_data_t in = NULL, plain = NULL;
	gpgme_error_t e = gpgme_data_new_from_mem(&in, p, n, 0);

	if (e == 0)
		e = gpgme_data_new(&plain);
	if (e == 0)
		e = gpgme_op_decrypt(ctx, in, plain);
	if (e == 0)
		keys_data_drain(plain, out);
	gpgme_data_release(in);
	gpgme_data_release(plain);
	return e;
}

/* keys_clearsign - text signed inline by fpr (a public notice) */

int
keys_clearsign(const char *fpr, const char *text, struct buf *out,
    struct em_err *err)
{
	gpgme_ctx_t ctx = keys_ctx_new();
	gpgme_data_t in = NULL, sig = NULL;
	gpgme_key_t key;
	gpgme_error_t e;

	if (ctx == NULL)
		return em_fail(err, EM_ECRYPTO, "gpgme: no context");
	if ((key = get_key(ctx, fpr, 1)) == NULL) {
		gpgme_release(ctx);
		return em_fail(err, EM_EKEY, "key %s cannot sign (no secret "
		    "key in the keyring)", fpr);
	}
	gpgme_set_armor(ctx, 1);
	e = gpgme_signers_add(ctx, key);
	if (e == 0)
		e = gpgme_data_new_from_mem(&in, text, strlen(text), 0);
	if (e == 0)
		e = gpgme_data_new(&sig);
	if (e == 0)
		e = gpgme_op_sign(ctx, in, sig, GPGME_SIG_MODE_CLEAR);
	if (e == 0)
		keys_data_drain(sig, out);
	gpgme_data_release(in);
	gpgme_data_release(sig);
	gpgme_key_unref(key);
	gpgme_release(ctx);
	return e == 0 ? EM_OK : em_fail(err, EM_ECRYPTO, "signing with key %s "
	    "failed: %s", fpr, gpgme_strerror(e));
}

/* keys_import_file - a file holding exactly one key, into the keyring */

int
keys_import_file(const char *file, char fpr[41])
{
	gpgme_ctx_t ctx = keys_ctx_new();
	gpgme_data_t d;
	gpgme_import_result_t r;
	int rc = EM_EKEY;

	fpr[0] = '\0';
	if (ctx == NULL)
		return EM_ECRYPTO;
	if (gpgme_data_new_from_file(&d, file, 1) == 0) {
		if (gpgme_op_import(ctx, d) == 0 &&
		    (r = gpgme_op_import_result(ctx)) != NULL &&
		    r->imports != NULL && r->imports->fpr != NULL &&
		    r->imports->next == NULL) {
			(void)snprintf(fpr, 41, "%s", r->imports->fpr);
			rc = EM_OK;
		}
		gpgme_data_release(d);
	}
	gpgme_release(ctx);
	return rc;
}
