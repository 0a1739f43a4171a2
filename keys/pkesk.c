/*
 * pkesk.c - to whom an OpenPGP message is encrypted, read from its packets
 *
 * SPEC 4: whether a part is addressed to the list key is read from its
 * public-key encrypted session key packets (RFC 4880 5.1) before any
 * decryption is tried, so that a part not addressed to us never depends
 * on the state of our keyring or gpg-agent.  Only the leading packets are
 * read (the session keys come first), from a bounded prefix; anything this
 * reader does not understand counts as "may be ours", never as "not ours".
 *
 * The list key's own key ids come from the public keyring (no agent
 * needed) and are kept for the life of the process, so a keyring that
 * becomes unreadable later does not change the answer.
 */

/* System library. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Utility library. */
#include <glib.h>
#include <gpgme.h>

/* Application-specific. */
#include "keys.h"
#include "keys_int.h"

#define ARMOR_PREFIX	65536	/* base64 read to find the session keys */
#define MAX_OWN_IDS	16

/* dearmor - the binary prefix of an armored message, or the bytes as they are */

static void
dearmor(const char *p, size_t n, struct buf *out)
{
	static const char begin[] = "-----BEGIN PGP ";	/* MESSAGE, PUBLIC KEY BLOCK */
	const char *b = memmem(p, n, begin, sizeof(begin) - 1), *end = p + n;
	gint state = 0;
	guint save = 0;

	if (b == NULL) {
		buf_append(out, p, n < ARMOR_PREFIX ? n : ARMOR_PREFIX);
		return;
	}
	/* The armor headers end at the first empty line. */
	for (p = b; p < end; ) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *line = p;
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		p = nl ? nl + 1 : end;
		if (len == 0 || (len == 1 && line[0] == '\r'))
			break;
	}
	while (p < end && out->len < ARMOR_PREFIX) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		guchar dec[128] = { 0 };

		if (len > 0 && (p[0] == '=' || p[0] == '-'))
			break;		/* the checksum, or the END line */
		while (len > 0) {
			size_t k = len < 96 ? len : 96;

			buf_append(out, dec, g_base64_decode_step(p, k, dec,
			    &state, &save));
			p += k;
			len -= k;
		}
		p = nl ? nl + 1 : end;
	}
}

/*
 * packet_header - the tag, the body length and the header length of the
 * OpenPGP packet at q (RFC 4880 4.2); false when it cannot be read here:
 * not a packet, cut short, or a length only the encrypted data may have
 */
static bool
packet_header(const unsigned char *q, const unsigned char *end,
    unsigned *tag, size_t *plen, size_t *hdr)
{
	if (!(q[0] & 0x80))
		return false;
	if (q[0] & 0x40) {		/* new format */
		*tag = q[0] & 0x3f;
		if (end - q < 2)
			return false;
		if (q[1] < 192) {
			*plen = q[1];
			*hdr = 2;
		} else if (q[1] < 224 && end - q >= 3) {
			*plen = ((size_t)(q[1] - 192) << 8) + q[2] + 192;
			*hdr = 3;
		} else if (q[1] == 255 && end - q >= 6) {
			*plen = ((size_t)q[2] << 24) | ((size_t)q[3] << 16) |
			    ((size_t)q[4] << 8) | q[5];
			*hdr = 6;
		} else {
			return false;	/* partial lengths: no session key */
		}
	} else {			/* old format */
		static const size_t lensz[3] = { 1, 2, 4 };
		unsigned lt = q[0] & 3;

		*tag = (q[0] >> 2) & 0x0f;
		if (lt == 3 || (size_t)(end - q) < 1 + lensz[lt])
			return false;
		*plen = 0;
		for (size_t i = 0; i < lensz[lt]; i++)
			*plen = *plen << 8 | q[1 + i];
		*hdr = 1 + lensz[lt];
	}
	return true;
}

/*
 * pkesk_note - the key id of one session key packet body (b, plen): kept
 * in ids (up to max, the number in *n), or *unknown set when it names no
 * one (a wildcard id) or is not a version 3 packet
 */
static void
pkesk_note(const unsigned char *b, size_t plen, uint64_t *ids, size_t max,
    size_t *n, bool *unknown)
{
	uint64_t id = 0;

	if (plen < 10 || b[0] != 3) {
		*unknown = true;		/* v6 or damaged */
		return;
	}
	for (int i = 1; i <= 8; i++)
		id = id << 8 | b[i];
	if (id == 0)
		*unknown = true;		/* hidden recipient */
	else if (*n < max)
		ids[(*n)++] = id;
}

/*
 * keys_pkesk_ids - the key ids of the leading session key packets: up to
 * max in ids, the number in *n; *unknown is set when a packet could be for
 * anyone (a wildcard id, a version or a format this reader does not
 * know).  Returns EM_OK, or EM_EPARSE when no session key packet was found.
 */
int
keys_pkesk_ids(const char *p, size_t len, uint64_t *ids, size_t max,
    size_t *n, bool *unknown)
{
	struct buf bin;
	const unsigned char *q, *end;
	size_t found = 0;

	*n = 0;
	*unknown = false;
	buf_init(&bin);
	dearmor(p, len, &bin);
	if (bin.len == 0) {
		buf_free(&bin);
		return EM_EPARSE;
	}
	q = (const unsigned char *)bin.data;
	end = q + bin.len;
	while (q != NULL && q < end) {
		unsigned tag = 0;
		size_t plen = 0, hdr = 0;

		if (!packet_header(q, end, &tag, &plen, &hdr))
			break;
		if (tag != 1 && tag != 3)
			break;			/* the encrypted data: done */
		if (plen > (size_t)(end - q) - hdr)
			break;
		if (tag == 1) {
			found++;
			pkesk_note(q + hdr, plen, ids, max, n, unknown);
		}
		q += hdr + plen;
	}
	buf_free(&bin);
	return found > 0 ? EM_OK : EM_EPARSE;
}

/* The list key's ids, for the life of the process (see the header). */
static pthread_mutex_t own_lock = PTHREAD_MUTEX_INITIALIZER;
static char own_fpr[41];
static uint64_t own_ids[MAX_OWN_IDS];
static size_t own_n;

/* own_ids_for - the list key's (sub)key ids; false when never known */

static bool
own_ids_for(const char *fpr, uint64_t *ids, size_t *n)
{
	gpgme_key_t key = keys_lookup(fpr, 0);
	bool ok;

	pthread_mutex_lock(&own_lock);
	if (key != NULL) {
		own_n = 0;
		for (gpgme_subkey_t sk = key->subkeys; sk && own_n < MAX_OWN_IDS;
		    sk = sk->next)
			if (sk->keyid != NULL)
				own_ids[own_n++] = g_ascii_strtoull(sk->keyid,
				    NULL, 16);
		(void)snprintf(own_fpr, sizeof(own_fpr), "%s", fpr);
		gpgme_key_unref(key);
	}
	ok = own_n > 0 && strcasecmp(own_fpr, fpr) == 0;
	if (ok) {
		memcpy(ids, own_ids, own_n * sizeof(*ids));
		*n = own_n;
	}
	pthread_mutex_unlock(&own_lock);
	return ok;
}

/*
 * keys_addressed_to - is this OpenPGP message (armored or binary) encrypted
 * to the key fpr?  KEYS_TO_US, KEYS_NOT_TO_US, or KEYS_TO_MAYBE (a hidden
 * recipient, or packets this reader does not know: only decrypting tells).
 * EM_EKEY when our own ids were never readable (fail closed: 451).
 */
int
keys_addressed_to(const char *fpr, const char *p, size_t len)
{
	uint64_t ids[32], own[MAX_OWN_IDS];
	size_t n, n_own;
	bool unknown;

	if (keys_pkesk_ids(p, len, ids, 32, &n, &unknown) < 0)
		return KEYS_TO_MAYBE;
	if (!own_ids_for(fpr, own, &n_own))
		return EM_EKEY;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < n_own; k++)
			if (ids[i] == own[k])
				return KEYS_TO_US;
	return unknown ? KEYS_TO_MAYBE : KEYS_NOT_TO_US;
}

/*
 * Keys a member's clients cannot use.  gpg 2.2 (Debian 12) and
 * Thunderbird (RNP) read version 4 keys with the algorithms of RFC 4880
 * and RFC 6637, and Curve25519 (RFC 4880bis' EdDSA and ECDH); not version
 * 5 (LibrePGP: GnuPG 2.3+, Ed448, the post-quantum composites) or 6 (RFC
 * 9580: Sequoia's new keys), nor RFC 9580's own X25519/X448/Ed25519/Ed448
 * algorithm ids, nor curve 448 under the old ids.
 */
static const char *const algo_names[] = {
	[25] = "X25519 (RFC 9580)", [26] = "X448", [27] = "Ed25519 (RFC 9580)",
	[28] = "Ed448",
};

/* key_packet_refused - one key packet body's version and algorithm */

static bool
key_packet_refused(const unsigned char *b, size_t plen, bool sub, char *why,
    size_t n)
{
	static const unsigned char x448[] = { 0x2b, 0x65, 0x6f };
	static const unsigned char ed448[] = { 0x2b, 0x65, 0x71 };
	unsigned algo;

	if (plen < 6)
		return false;
	if (b[0] != 4) {
		(void)snprintf(why, n, "its %s is an OpenPGP version %u key (%s), "
		    "which gpg 2.2 and Thunderbird cannot use", sub ? "subkey" :
		    "key", b[0], b[0] == 5 ? "LibrePGP, GnuPG 2.3 and later" :
		    b[0] == 6 ? "RFC 9580, as Sequoia makes them" : "unknown");
		return true;
	}
	algo = b[5];
	if (algo < sizeof(algo_names) / sizeof(algo_names[0]) &&
	    algo_names[algo] != NULL) {
		(void)snprintf(why, n, "its %s uses algorithm %u, %s, which gpg "
		    "2.2 and Thunderbird cannot use", sub ? "subkey" : "key", algo,
		    algo_names[algo]);
		return true;
	}
	if ((algo == 18 || algo == 22) && plen >= 10 && b[6] == 3 &&
	    (memcmp(b + 7, x448, 3) == 0 || memcmp(b + 7, ed448, 3) == 0)) {
		(void)snprintf(why, n, "its %s uses curve 448, which gpg 2.2 and "
		    "Thunderbird cannot use", sub ? "subkey" : "key");
		return true;
	}
	if (algo != 1 && algo != 2 && algo != 3 && algo != 16 && algo != 17 &&
	    algo != 18 && algo != 19 && algo != 22) {
		(void)snprintf(why, n, "its %s uses algorithm %u, which gpg 2.2 "
		    "and Thunderbird do not know (a post-quantum composite?)",
		    sub ? "subkey" : "key", algo);
		return true;
	}
	return false;
}

/* keys_key_refused - does this key file (armored or binary) hold a key
 * or subkey the members' clients cannot use?  Its reason in why. */

bool
keys_key_refused(const char *file, char *why, size_t n)
{
	FILE *fp = fopen(file, "rb");
	char raw[ARMOR_PREFIX * 2];
	size_t len = fp != NULL ? fread(raw, 1, sizeof(raw), fp) : 0;
	struct buf bin;
	const unsigned char *q, *end;
	unsigned tag;
	size_t plen, hdr;
	bool refused = false;

	if (fp != NULL)
		(void)fclose(fp);
	buf_init(&bin);
	dearmor(raw, len, &bin);
	q = (const unsigned char *)bin.data;
	end = q + bin.len;
	while (q != NULL && q < end && !refused &&
	    packet_header(q, end, &tag, &plen, &hdr) &&
	    plen <= (size_t)(end - q) - hdr) {
		if (tag == 6 || tag == 14)
			refused = key_packet_refused(q + hdr, plen, tag == 14, why,
			    n);
		q += hdr + plen;
	}
	buf_free(&bin);
	if (refused)
		(void)snprintf(why + strlen(why), n - strlen(why), "; ask for a "
		    "version 4 key with RSA (3072 bits or more) or Curve25519 "
		    "(gpg --full-gen-key, or sq key generate --profile rfc4880)");
	return refused;
}

/* data_packet - the tag and the first body octet of the packet at q,
 * whatever its length's form (encrypted data has partial lengths) */

static bool
data_packet(const unsigned char *q, const unsigned char *end, unsigned *tag,
    unsigned *first)
{
	static const size_t lensz[4] = { 1, 2, 4, 0 };
	size_t hdr;

	if (end - q < 3 || !(q[0] & 0x80))
		return false;
	if (q[0] & 0x40) {
		*tag = q[0] & 0x3f;
		hdr = q[1] < 192 ? 2 : q[1] < 224 ? 3 : q[1] == 255 ? 6 : 2;
	} else {
		*tag = (q[0] >> 2) & 0x0f;
		hdr = 1 + lensz[q[0] & 3];
	}
	if ((size_t)(end - q) <= hdr)
		return false;
	*first = q[hdr];
	return true;
}

/* keys_copy_format - PKESK v3s, then a SEIPD v1 (see keys.h) */

int
keys_copy_format(const char *p, size_t len, char *why, size_t n)
{
	struct buf bin;
	const unsigned char *q, *end;
	unsigned tag = 0, first = 0;
	size_t plen = 0, hdr = 0, pkesks = 0;
	int rc = EM_EFORMAT;

	buf_init(&bin);
	dearmor(p, len, &bin);
	q = (const unsigned char *)bin.data;
	end = q + bin.len;
	for (;;) {
		tag = 0;
		if (q == NULL || q >= end || !packet_header(q, end, &tag, &plen,
		    &hdr) || tag != 1)
			break;
		if (plen == 0 || plen > (size_t)(end - q) - hdr || q[hdr] != 3)
			break;		/* tag stays 1: a PKESK we refuse */
		pkesks++;
		q += hdr + plen;
	}
	if (tag == 1)
		(void)snprintf(why, n, "a session key packet that is cut short "
		    "or not version 3 (RFC 9580's v6?)");
	else if (pkesks == 0)
		(void)snprintf(why, n, "no session key packet");
	else if (!data_packet(q, end, &tag, &first))
		(void)snprintf(why, n, "no encrypted data after the session keys");
	else if (tag == 18 && first == 1)
		rc = EM_OK;
	else if (tag == 20)
		(void)snprintf(why, n, "OCB encrypted data (LibrePGP's AEAD "
		    "packet, tag 20), which Sequoia does not read");
	else if (tag == 18)
		(void)snprintf(why, n, "a version %u SEIPD (RFC 9580's AEAD), "
		    "which gpg and Thunderbird do not read", first);
	else
		(void)snprintf(why, n, "packet tag %u where the encrypted data "
		    "should be", tag);
	buf_free(&bin);
	return rc;
}

/* sig_aead - a v4 self-signature body whose hashed features say AEAD */

static bool
sig_aead(const unsigned char *b, size_t plen)
{
	size_t hl, i;

	if (plen < 6 || b[0] != 4 || !(b[1] == 0x1f || (b[1] >= 0x10 &&
	    b[1] <= 0x13)))
		return false;
	hl = (size_t)b[4] << 8 | b[5];
	if (hl > plen - 6)
		return false;
	for (i = 6; i < 6 + hl; ) {
		size_t sl, o = b[i];

		if (o < 192)
			sl = o, i += 1;
		else if (o < 255 && i + 1 < 6 + hl)
			sl = ((o - 192) << 8) + b[i + 1] + 192, i += 2;
		else if (o == 255 && i + 4 < 6 + hl)
			sl = (size_t)b[i + 1] << 24 | (size_t)b[i + 2] << 16 |
			    (size_t)b[i + 3] << 8 | b[i + 4], i += 5;
		else
			return false;
		if (sl == 0 || sl > 6 + hl - i)
			return false;
		if ((b[i] & 0x7f) == 30 && sl >= 2 && (b[i + 1] & 0x02))
			return true;
		i += sl;
	}
	return false;
}

/* keys_advertises_aead - see keys.h */

bool
keys_advertises_aead(const char *p, size_t len, const char *fpr)
{
	const unsigned char *q = (const unsigned char *)p, *end = q + len;
	unsigned tag;
	size_t plen, hdr;
	bool mine = false;

	while (q != NULL && q < end && packet_header(q, end, &tag, &plen, &hdr) &&
	    plen <= (size_t)(end - q) - hdr) {
		if (tag == 6) {
			unsigned char pre[3] = { 0x99, (unsigned char)(plen >> 8),
			    (unsigned char)plen };
			GChecksum *c;

			/* A v4 key's fingerprint: SHA-1 of 0x99, its two-octet
			 * length, its body (RFC 4880 12.2). */
			mine = plen > 0 && plen < 65536 && q[hdr] == 4;
			if (mine) {
				c = g_checksum_new(G_CHECKSUM_SHA1);
				g_checksum_update(c, pre, 3);
				g_checksum_update(c, q + hdr, (gssize)plen);
				mine = strcasecmp(g_checksum_get_string(c),
				    fpr) == 0;
				g_checksum_free(c);
			}
		} else if (tag == 2 && mine && sig_aead(q + hdr, plen))
			return true;
		q += hdr + plen;
	}
	return false;
}
