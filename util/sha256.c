/*
 * sha256.c - SHA-256 through GLib's GChecksum (GLib comes with GMime)
 */

/* System library. */
#include <stdio.h>
#include <string.h>

/* Utility library. */
#include <glib.h>

/* Application-specific. */
#include "sha256.h"

/* sha256_hex - digest of (p, n) as hex */

void
sha256_hex(const void *p, size_t n, char out[SHA256_HEX])
{
	gchar *h = g_compute_checksum_for_data(G_CHECKSUM_SHA256, p, n);

	(void)snprintf(out, SHA256_HEX, "%s", h);
	g_free(h);
}

/* hmac_sha256_hex - keyed digest of (p, n) as hex */

void
hmac_sha256_hex(const void *key, size_t keylen, const void *p, size_t n,
    char out[SHA256_HEX])
{
	gchar *h = g_compute_hmac_for_data(G_CHECKSUM_SHA256, key, keylen, p, n);

	(void)snprintf(out, SHA256_HEX, "%s", h);
	g_free(h);
}

/* hmac_sha256_8 - a truncated keyed digest, for fingerprints */

static _Thread_local GHmac *keyed;		/* this thread's keyed state */
static _Thread_local unsigned char keyed_for[64];
static _Thread_local size_t keyed_len;

void
hmac_sha256_8(const void *key, size_t keylen, const void *p, size_t n,
    unsigned char out[8])
{
	GHmac *h;
	guint8 d[32];
	gsize dl = sizeof(d);

	/* The key schedule once per key, not once per word run. */
	if (keyed == NULL || keylen > sizeof(keyed_for) || keylen != keyed_len ||
	    memcmp(keyed_for, key, keylen) != 0) {
		if (keyed != NULL)
			g_hmac_unref(keyed);
		keyed = g_hmac_new(G_CHECKSUM_SHA256, key, keylen);
		keyed_len = keylen <= sizeof(keyed_for) ? keylen : 0;
		memcpy(keyed_for, key, keyed_len);
	}
	h = g_hmac_copy(keyed);
	g_hmac_update(h, p, (gssize)n);
	g_hmac_get_digest(h, d, &dl);
	g_hmac_unref(h);
	for (int i = 0; i < 8; i++)
		out[i] = d[i];
}
