/*
 * uu.c - uuencoded and yEnc blocks inside a text, decoded (SPEC 4)
 *
 * A body may carry a file as a uuencoded block ("begin 644 name" ...
 * "end"), as mail did before MIME and as mutt, Thunderbird's "save as"
 * and uudecode(1) still read it, or as a yEnc block ("=ybegin ..." ...
 * "=yend").  Each block's bytes are handed to the caller, which reads
 * them as an attachment's (an archive unpacked, text read).  What a block
 * yields is smaller than the block (3/4 for uuencode, at most the same
 * for yEnc), so the input's ceilings bound it; a line that is not of the
 * block's form ends the block, and what was decoded is handed on.
 */

/* System library. */
#include <stdint.h>
#include <string.h>

/* Application-specific. */
#include "policy.h"
#include "policy_int.h"

/* next_line - the line at *p (without its end), *p moved past it */

static const char *
next_line(const char **p, const char *end, size_t *n)
{
	const char *l = *p, *nl = memchr(l, '\n', (size_t)(end - l));
	const char *e = nl ? nl : end;

	*p = nl ? nl + 1 : end;
	while (e > l && e[-1] == '\r')
		e--;
	*n = (size_t)(e - l);
	return l;
}

/* uu_begin - "begin MODE NAME": three or four octal digits, a name */

static bool
uu_begin(const char *l, size_t n)
{
	size_t i = 6, d = 0;

	if (n < 12 || memcmp(l, "begin ", 6) != 0)
		return false;
	while (i < n && l[i] >= '0' && l[i] <= '7' && d < 5)
		i++, d++;
	return (d == 3 || d == 4) && i < n && l[i] == ' ' && i + 1 < n;
}

#define UU(c)	((unsigned char)(((c) - ' ') & 0x3f))

/* uu_line - one uuencoded line decoded into out; false: not one */

static bool
uu_line(const char *l, size_t n, struct buf *out)
{
	size_t len, need, i;

	if (n == 0 || (unsigned char)l[0] < ' ' || (unsigned char)l[0] > '`')
		return false;
	len = UU(l[0]);
	need = (len + 2) / 3 * 4;
	if (n - 1 < need)
		return false;
	for (i = 1; i < n; i++)
		if ((unsigned char)l[i] < ' ' || (unsigned char)l[i] > '`')
			return false;
	for (i = 1; len > 0; i += 4) {
		unsigned char b[3] = {
			(unsigned char)(UU(l[i]) << 2 | UU(l[i + 1]) >> 4),
			(unsigned char)(UU(l[i + 1]) << 4 | UU(l[i + 2]) >> 2),
			(unsigned char)(UU(l[i + 2]) << 6 | UU(l[i + 3])),
		};
		size_t k = len < 3 ? len : 3;

		buf_append(out, (const char *)b, k);
		len -= k;
	}
	return true;
}

/* y_line - one yEnc line decoded into out */

static void
y_line(const char *l, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l[i];

		if (c == '=' && i + 1 < n)
			c = (unsigned char)((unsigned char)l[++i] - 64);
		c = (unsigned char)(c - 42);
		buf_append(out, (const char *)&c, 1);
	}
}

/* block_start - does a uuencoded or yEnc block start at this line? */

static bool
block_start(const char *l, size_t n, bool *uu)
{
	*uu = uu_begin(l, n);
	return *uu || (n > 8 && memcmp(l, "=ybegin ", 8) == 0);
}

/*
 * next_opening - the start of the next line after p that opens with 'b'
 * or '=' (only such a line can start a block), or NULL: a newline and the
 * byte after it tested eight at a time (every message's text is scanned
 * so; most lines open otherwise, and are passed over without a branch)
 */
static const char *
next_opening(const char *p, const char *end)
{
	for (; end - p > 8; p += 8) {
		uint64_t v, w, m;

		v = em_load8(p);
		w = em_load8(p + 1);
		m = em_zero_bytes(v ^ EM_BYTES('\n')) &
		    (em_zero_bytes(w ^ EM_BYTES('b')) |
		    em_zero_bytes(w ^ EM_BYTES('=')));
		for (; m != 0; m &= m - 1) {
			const char *q = p + __builtin_ctzll(m) / 8 + 1;

			/* A bit above the lowest may be a false one. */
			if (q[-1] == '\n' && (*q == 'b' || *q == '='))
				return q;
		}
	}
	for (; p + 1 < end; p++)
		if (*p == '\n' && (p[1] == 'b' || p[1] == '='))
			return p + 1;
	return NULL;
}

/* policy_uu_has - does text hold the start of such a block? */

bool
policy_uu_has(const char *text, size_t len)
{
	const char *end = text + len, *l = text;
	bool uu;

	for (; l != NULL; l = next_opening(l, end)) {
		const char *p = l;
		size_t n;

		(void)next_line(&p, end, &n);
		if (block_start(l, n, &uu))
			return true;
	}
	return false;
}

/*
 * policy_uu_each - every uuencoded or yEnc block of text decoded and
 * handed to cb(ctx, bytes, n); the first cb result < 0 is returned
 */
int
policy_uu_each(const char *text, size_t len,
    int (*cb)(void *ctx, const char *p, size_t n), void *ctx)
{
	const char *p = text, *end = text + len;
	int rc = EM_OK;

	while (rc == EM_OK && p < end) {
		size_t n;
		const char *l = next_line(&p, end, &n);
		bool uu, y;
		struct buf out;

		if (!block_start(l, n, &uu))
			continue;
		y = !uu;
		buf_init(&out);
		while (p < end) {
			const char *b = next_line(&p, end, &n);

			if (uu ? (n == 3 && memcmp(b, "end", 3) == 0) ||
			    !uu_line(b, n, &out) :
			    n >= 5 && memcmp(b, "=yend", 5) == 0)
				break;
			if (y && !(n >= 6 && memcmp(b, "=ypart", 6) == 0))
				y_line(b, n, &out);
		}
		if (out.len > 0)
			rc = cb(ctx, out.data, out.len);
		buf_free(&out);
	}
	return rc;
}
