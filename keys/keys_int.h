/*
 * keys_int.h - helpers shared by the files of keys/ only (gpgme types
 * stay inside the module)
 */
#ifndef KEYS_INT_H
#define KEYS_INT_H

#include <gmime/gmime.h>
#include <gpgme.h>

#include "../util/em.h"
#include "keys.h"

/* A fresh gpgme context for OpenPGP, offline; NULL when gpgme has none. */
gpgme_ctx_t keys_ctx_new(void);
/* The key with exactly this fingerprint, or NULL; caller unrefs it. */
gpgme_key_t keys_lookup(const char *fpr, int secret);
/* cert.c: a fresh gpgme context for CMS (gpgsm), offline, or NULL. */
gpgme_ctx_t keys_cms_ctx_new(void);
/* cert.c: the certificate pinned by its SHA-256 (with its secret key
 * when secret), or NULL; caller unrefs it. */
gpgme_key_t keys_cert_lookup(const char *sha256, int secret);
/* cert.c: keys_health() and keys_uid_has_address() for a certificate. */
int	keys_cert_health(const char *pin, enum keys_use use, time_t now,
	    struct keys_health *h);
bool	keys_cert_has_address(const char *pin, const char *addr);

/* Append the whole of a gpgme data object to out. */
void	keys_data_drain(gpgme_data_t d, struct buf *out);
/* p decrypted by ctx (its keyring) into out: gpgme's error, 0 if none. */
gpgme_error_t keys_decrypt_ctx(gpgme_ctx_t ctx, const char *p, size_t n,
	    struct buf *out);

/* read.c: a MIME entity parsed from bytes; NULL when it is not MIME. */
GMimeObject *keys_parse_entity(const char *p, size_t n);

/* helper.c: plain signed by list_fpr and encrypted to member_fpr alone,
 * armored, in one gpg run: by this thread's helper, else in-process. */
int	keys_sign_encrypt(const char *list_fpr, const char *member_fpr,
	    const struct buf *plain, struct buf *armored, struct em_err *err);
/* helper.c: free the calling thread's signing context. */
void	keys_helper_thread_done(void);

#endif
