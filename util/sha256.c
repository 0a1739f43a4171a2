/*
 * sha256.c - SHA-256 and HMAC-SHA-256 through libgcrypt
 *
 * libgcrypt uses the CPU's SHA instructions where it has them: the leak
 * guard hashes every 4-word run of every message, so this is the hot
 * path of pass-through mail (GLib's portable GChecksum took 4.6 times as
 * long per run, and allocated).
 */

/* System library. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Utility library. */
#include <gcrypt.h>

/* Application-specific. */
#include "sha256.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_ok;

/* init - libgcrypt, once per process */

static void
init(void)
{
	if (gcry_check_version(GCRYPT_VERSION) == NULL)
		return;
	(void)gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	(void)gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	init_ok = 1;
}

/* crypto_lib_init - libgcrypt, once, as its manual asks */

int
crypto_lib_init(void)
{
	(void)pthread_once(&once, init);
	if (!init_ok) {
		/* An older library than we were built with: nothing works. */
		fprintf(stderr, "libgcrypt %s or later is needed\n",
		    GCRYPT_VERSION);
		abort();
	}
	return 0;
}

/* hex_n - n bytes of a digest as 2n lowercase hex digits */

static void
hex_n(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

/* hex - a SHA-256 digest as 64 lowercase hex digits */

static void
hex(const unsigned char *d, char out[SHA256_HEX])
{
	hex_n(d, 32, out);
}

/* digest_hex - (p, n) hashed by algo (len bytes) as hex */

static void
digest_hex(int algo, size_t len, const void *p, size_t n, char *out)
{
	unsigned char d[32];

	(void)crypto_lib_init();
	gcry_md_hash_buffer(algo, d, p, n);
	hex_n(d, len, out);
}

/* sha1_hex - SHA-1 of (p, n) as hex: a certificate's name in gpgsm */

void
sha1_hex(const void *p, size_t n, char out[SHA1_HEX])
{
	digest_hex(GCRY_MD_SHA1, 20, p, n, out);
}

/* sha256_hex - digest of (p, n) as hex */

void
sha256_hex(const void *p, size_t n, char out[SHA256_HEX])
{
	digest_hex(GCRY_MD_SHA256, 32, p, n, out);
}

/* hmac_open - a keyed handle, opened anew (rare callers) */

static gcry_md_hd_t
hmac_open(const void *key, size_t keylen)
{
	gcry_md_hd_t h;

	(void)crypto_lib_init();
	if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC) != 0)
		abort();	/* out of memory: as xmalloc does */
	if (gcry_md_setkey(h, key, keylen) != 0)
		abort();
	return h;
}

/* hmac_sha256_hex - keyed digest of (p, n) as hex */

void
hmac_sha256_hex(const void *key, size_t keylen, const void *p, size_t n,
    char out[SHA256_HEX])
{
	gcry_md_hd_t h = hmac_open(key, keylen);

	gcry_md_write(h, p, n);
	hex(gcry_md_read(h, GCRY_MD_SHA256), out);
	gcry_md_close(h);
}

/*
 * hmac_sha256_8 - a truncated keyed digest, for fingerprints: one keyed
 * handle per thread, set up again only when the key changes
 */
struct keyed {
	gcry_md_hd_t h;
	unsigned char key[64];
	size_t	keylen;
};

static pthread_key_t keyed_key;
static pthread_once_t keyed_once = PTHREAD_ONCE_INIT;

/* keyed_free - a thread's keyed HMAC handle, at thread exit */

static void
keyed_free(void *p)
{
	struct keyed *k = p;

	gcry_md_close(k->h);
	free(k);
}

/* keyed_init - the thread key of those handles, once */

static void
keyed_init(void)
{
	if (pthread_key_create(&keyed_key, keyed_free) != 0)
		abort();
}

/*
 * hmac_sha256_8 - the first 8 bytes of HMAC-SHA-256(key, p), with a handle
 * kept per thread
 */
void
hmac_sha256_8(const void *key, size_t keylen, const void *p, size_t n,
    unsigned char out[8])
{
	struct keyed *k;

	(void)pthread_once(&keyed_once, keyed_init);
	k = pthread_getspecific(keyed_key);
	if (k == NULL || keylen > sizeof(k->key) || keylen != k->keylen ||
	    memcmp(k->key, key, keylen) != 0) {
		if (k != NULL)
			keyed_free(k);
		if ((k = calloc(1, sizeof(*k))) == NULL)
			abort();
		k->h = hmac_open(key, keylen);
		k->keylen = keylen <= sizeof(k->key) ? keylen : 0;
		memcpy(k->key, key, k->keylen);
		(void)pthread_setspecific(keyed_key, k);
	} else {
		gcry_md_reset(k->h);	/* keeps the key */
	}
	gcry_md_write(k->h, p, n);
	memcpy(out, gcry_md_read(k->h, GCRY_MD_SHA256), 8);
}
