/*
 * keys_int.h - helpers shared by the files of keys/ only (gpgme types
 * stay inside the module)
 */
#ifndef KEYS_INT_H
#define KEYS_INT_H

#include <gpgme.h>

#include "../util/em.h"

/* A fresh gpgme context for OpenPGP, offline; NULL when gpgme has none. */
gpgme_ctx_t keys_ctx_new(void);
/* The key with exactly this fingerprint, or NULL; caller unrefs it. */
gpgme_key_t keys_lookup(const char *fpr, int secret);
/* Append the whole of a gpgme data object to out. */
void	keys_data_drain(gpgme_data_t d, struct buf *out);

#endif
