/*
 * post.c - the packed format of the post a fan-out keeps sealed
 *
 * A post is packed as length-prefixed fields ("N:bytes", in the order of
 * enum store_post_field) followed by the entity members get.  outbox/
 * fills the fields (post.c there: what a post or a notice of the list's
 * own says) and seals the bytes to the list key; the delivery workers,
 * the leak guard, the release hooks and "embargoctl check" read them
 * back once unsealed.  The framing, both ways, lives here alone.
 *
 * Purity: bytes in, bytes out; nothing here touches LMDB or the keys.
 * How it fails: store_post_unpack() returns EM_EPARSE for damaged bytes.
 */

/* System library. */
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include "store.h"

/* store_post_pack - the fields, then the entity, into out */

void
store_post_pack(const char *const field[STORE_POST_NFIELDS],
    const char *entity, size_t len, struct buf *out)
{
	for (int i = 0; i < STORE_POST_NFIELDS; i++)
		buf_appendf(out, "%zu:%s", strlen(field[i]), field[i]);
	buf_append(out, entity ? entity : "", entity ? len : 0);
}

/*
 * store_post_unpack - the fields store_post_pack() wrote, and where the
 * entity starts in data (caller frees with store_post_free)
 */
int
store_post_unpack(const char *data, size_t len, struct store_post *p)
{
	const char *s = data ? data : "", *end = s + (data ? len : 0);

	memset(p, 0, sizeof(*p));
	for (int i = 0; i < STORE_POST_NFIELDS; i++) {
		const char *d = s;
		size_t n = 0;

		/* A post packed before a field was added: the entity starts
		 * here (a header name, never digits and a colon). */
		while (d < end && *d >= '0' && *d <= '9')
			d++;
		if (i >= STORE_POST_OLD_NFIELDS &&
		    (d == s || d >= end || *d != ':')) {
			p->field[i] = xstrdup("");
			continue;
		}
		while (s < end && *s >= '0' && *s <= '9')
			n = n * 10 + (size_t)(*s++ - '0');
		if (s >= end || *s != ':' || (size_t)(end - s - 1) < n) {
			store_post_free(p);
			return EM_EPARSE;
		}
		s++;
		p->field[i] = xstrndup(s, n);
		s += n;
	}
	p->entity = s;
	p->entity_len = (size_t)(end - s);
	return EM_OK;
}

/* store_post_free - release the unpacked fields */

void
store_post_free(struct store_post *p)
{
	for (int i = 0; i < STORE_POST_NFIELDS; i++)
		free(p->field[i]);
	memset(p, 0, sizeof(*p));
}
