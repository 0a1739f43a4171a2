/*
 * sha256.h - SHA-256 and HMAC-SHA-256 as lower-case hex
 *
 * A thin wrapper over libgcrypt, so that its types stay out of the callers.
 */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>

#define SHA256_HEX	65	/* 64 hex digits and a NUL */

/* libgcrypt's set-up, once per process (the functions below call it). */
int	crypto_lib_init(void);

void	sha256_hex(const void *p, size_t n, char out[SHA256_HEX]);

/* SHA-1, only to name a certificate as gpgsm names it (its fingerprint):
 * never to protect anything. */
#define SHA1_HEX	41
void	sha1_hex(const void *p, size_t n, char out[SHA1_HEX]);
void	hmac_sha256_hex(const void *key, size_t keylen, const void *p, size_t n,
	    char out[SHA256_HEX]);

/* The first 8 bytes of HMAC-SHA-256(key, p). */
void	hmac_sha256_8(const void *key, size_t keylen, const void *p, size_t n,
	    unsigned char out[8]);

#endif
