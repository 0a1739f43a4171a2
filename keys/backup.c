/*
 * backup.c - a backup encrypted to the administrators' keys (in the
 * daemon's keyring, pinned by fingerprint in the config), and opened
 * again with an administrator's own keyring (keys.h)
 */

/* System library. */
#include <stdlib.h>
#include <string.h>

/* Utility library. */
#include <gpgme.h>

/* Application-specific. */
#include "keys.h"
#include "keys_int.h"

/* keys_encrypt_to - p encrypted to every key in fprs (binary OpenPGP) */

int
keys_encrypt_to(const struct strv *fprs, const char *p, size_t n,
    struct buf *out, struct em_err *err)
{
	gpgme_ctx_t ctx = keys_ctx_new();
	gpgme_key_t *rcpt = xcalloc(fprs->n + 1, sizeof(gpgme_key_t));
	gpgme_data_t in = NULL, cipher = NULL;
	gpgme_error_t e = 0;
	int rc = EM_OK;

	if (ctx == NULL)
		rc = em_fail(err, EM_ECRYPTO, "gpgme: no context");
	for (size_t i = 0; rc == EM_OK && i < fprs->n; i++)
		if ((rcpt[i] = keys_lookup(fprs->v[i], 0)) == NULL)
			rc = em_fail(err, EM_EKEY, "the administrator's key %s is "
			    "not in the daemon's keyring: import it (gpg --homedir "
			    "GNUPG_HOME --import) as the daemon's user", fprs->v[i]);
	if (rc == EM_OK && fprs->n == 0)
		rc = em_fail(err, EM_EKEY, "no administrator's key to encrypt to");
	if (rc == EM_OK) {
		e = gpgme_data_new_from_mem(&in, p, n, 0);
		if (e == 0)
			e = gpgme_data_new(&cipher);
		if (e == 0)
			e = gpgme_op_encrypt(ctx, rcpt, GPGME_ENCRYPT_ALWAYS_TRUST |
			    GPGME_ENCRYPT_NO_ENCRYPT_TO, in, cipher);
		if (e == 0)
			keys_data_drain(cipher, out);
		else
			rc = em_fail(err, EM_ECRYPTO, "encrypting the backup "
			    "failed: %s", gpgme_strerror(e));
	}
	for (size_t i = 0; i < fprs->n; i++)
		if (rcpt[i] != NULL)
			gpgme_key_unref(rcpt[i]);
	free(rcpt);
	gpgme_data_release(in);
	gpgme_data_release(cipher);
	if (ctx != NULL)
		gpgme_release(ctx);
	return rc;
}

/* keys_decrypt_with - p decrypted with the keyring in home (NULL: the
 * caller's own, GNUPGHOME or ~/.gnupg), before keys_init() */

int
keys_decrypt_with(const char *home, const char *p, size_t n, struct buf *out,
    struct em_err *err)
{
	gpgme_ctx_t ctx;
	gpgme_error_t e;

	if (gpgme_check_version(NULL) == NULL ||
	    (ctx = keys_ctx_new()) == NULL)
		return em_fail(err, EM_ECRYPTO, "gpgme cannot run gpg; is gnupg "
		    "installed?");
	e = home != NULL ? gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP,
	    NULL, home) : 0;
	if (e == 0)
		e = keys_decrypt_ctx(ctx, p, n, out);
	gpgme_release(ctx);
	return e == 0 ? EM_OK : em_fail(err, EM_ECRYPTO, "the backup cannot be "
	    "decrypted with %s: %s (an administrator's secret key it was "
	    "encrypted to must be there)", home != NULL ? home :
	    "your own keyring", gpgme_strerror(e));
}
