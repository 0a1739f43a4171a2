/*
 * em.c - house helpers: error codes and reasons, allocation that cannot
 * fail, byte buffers, string vectors.
 */

/* System library. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/types.h>

/* Utility library. */
#include "em.h"

/* em_strerror - turn an EM_E* code into text */

const char *
em_strerror(int code)
{
	switch (code) {
	case EM_OK:		return "success";
	case EM_ENOMEM:		return "out of memory";
	case EM_ECONFIG:	return "configuration invalid";
	case EM_EPARSE:		return "cannot parse input";
	case EM_ELIMIT:		return "limit exceeded";
	case EM_ESTORE:		return "state store failure";
	case EM_EKEY:		return "key unusable";
	case EM_ECRYPTO:	return "cryptographic operation failed";
	case EM_EIO:		return "system error";
	case EM_ENOTFOUND:	return "not found";
	case EM_EDELIVER:	return "delivery failed";
	case EM_EUSAGE:		return "usage error";
	case EM_ETOOBIG:	return "over a size ceiling";
	case EM_EINTEGRITY:	return "unreadable for good";
	case EM_EREADER:	return "the reader could not read it";
	case EM_EFORMAT:	return "a packet format members cannot read";
	default:		return "unknown error";
	}
}

/* em_fail - record a reason and return the code, for "return em_fail(...)" */

int
em_fail(struct em_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/*
	 * Truncation is acceptable: the reason is for people.  (The
	 * analyzer's va_list checker misreads va_start above.)
	 */
	if (err != NULL)
		/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
		(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

/*
 * em_fmt - format into out (n bytes), or EM_ELIMIT naming what when it
 * does not fit: a value that is stored or sent is never cut short
 */
int
em_fmt(char *out, size_t n, const char *what, struct em_err *err,
    const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
	w = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= n) {
		if (n > 0)
			out[0] = '\0';
		return em_fail(err, EM_ELIMIT, "%s: %d bytes where %zu fit", what,
		    w, n > 0 ? n - 1 : 0);
	}
	return EM_OK;
}

/* em_copy - a string into out (n bytes), or EM_ELIMIT: see em_fmt() */

int
em_copy(char *out, size_t n, const char *s, const char *what,
    struct em_err *err)
{
	return em_fmt(out, n, what, err, "%s", s);
}

/* em_err_clear - empty a reason buffer */

void
em_err_clear(struct em_err *err)
{
	if (err != NULL)
		err->msg[0] = '\0';
}

/* xmalloc - allocate or abort */

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		abort();
	return p;
}

/* xcalloc - allocate zeroed memory or abort */

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

/* xrealloc - resize or abort */

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		abort();
	return q;
}

/* xstrdup - copy a string or abort */

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

/* xstrndup - copy at most n bytes of a string or abort */

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* xvasprintf - vasprintf that cannot fail */

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

/* xasprintf - format into a new string or abort */

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

/* buf_init - make an empty buffer */

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = 0;
	b->over = false;
}

/* buf_init_max - an empty buffer that refuses to grow past max bytes */

void
buf_init_max(struct buf *b, size_t max)
{
	buf_init(b);
	b->max = max;
}

/* buf_over - was an append refused at the buffer's ceiling? */

bool
buf_over(const struct buf *b)
{
	return b->over;
}

/* buf_free - release a buffer's memory */

void
buf_free(struct buf *b)
{
	size_t max = b->max;

	free(b->data);
	buf_init(b);
	b->max = max;
}

/* buf_reset - empty a buffer, keeping its memory */

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* buf_append - append n bytes */

void
buf_append(struct buf *b, const void *p, size_t n)
{
	char *at = buf_room(b, n);

	if (at == NULL)
		return;
	if (n > 0)
		memcpy(at, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* buf_room - room for n more bytes and a NUL, len unchanged */

char *
buf_room(struct buf *b, size_t n)
{
	size_t max = b->max ? b->max : BUF_MAX;

	if (n > max - b->len) {
		if (b->max == 0)
			abort();	/* a bug: no input may reach BUF_MAX */
		b->over = true;
		return NULL;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	return b->data + b->len;
}

/* buf_appends - append a C string */

void
buf_appends(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

/* buf_appendf - append formatted text */

void
buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	buf_append(b, p, (size_t)n);
	free(p);
}

/* buf_json_str - a JSON string value */

void
buf_json_str(struct buf *b, const char *s)
{
	if (s == NULL) {
		buf_appends(b, "null");
		return;
	}
	buf_append(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			buf_appendf(b, "\\%c", c);
		else if (c < 0x20)
			buf_appendf(b, "\\u%04x", c);
		else
			buf_append(b, s, 1);
	}
	buf_append(b, "\"", 1);
}

/*
 * strv_cap - the slots a vector of n strings has: a power of two, so that
 * n pushes cost O(n) copies (growing by one slot made a 5 MB message's
 * 65,000 word runs cost 99 s under ASan, whose realloc always copies)
 */
static size_t
strv_cap(size_t n)
{
	size_t c = 4;

	while (c < n + 1)
		c *= 2;
	return c;
}

/* strv_push - append a copy of s */

void
strv_push(struct strv *sv, const char *s)
{
	if (sv->v == NULL || sv->n + 2 > strv_cap(sv->n))
		sv->v = xrealloc(sv->v, strv_cap(sv->n + 1) * sizeof(*sv->v));
	sv->v[sv->n++] = xstrdup(s);
	sv->v[sv->n] = NULL;
}

/* strv_has - is s one of sv's strings (exactly)? */

bool
strv_has(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

/* strv_free - release every string and the vector */

void
strv_free(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

/* em_addr_norm - lower-case an address and strip surrounding <> */

char *
em_addr_norm(const char *addr)
{
	size_t len;
	char *p;

	while (isspace((unsigned char)*addr))
		addr++;
	if (*addr == '<')
		addr++;
	len = strlen(addr);
	while (len > 0 && (isspace((unsigned char)addr[len - 1]) ||
	    addr[len - 1] == '>'))
		len--;
	p = xstrndup(addr, len);
	for (char *q = p; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return p;
}

/* em_copy_id - a random copy id; EM_EIO when the kernel gives no entropy */

int
em_copy_id(char out[EM_COPY_ID_LEN + 1])
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char r[15];
	size_t n = 4;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return EM_EIO;
	memcpy(out, "emc-", 4);
	/* 15 bytes are 120 bits: 24 letters of 5 bits. */
	for (size_t bit = 0; bit < 120; bit += 5) {
		unsigned v = 0;

		for (size_t k = 0; k < 5; k++)
			v = v << 1 | ((r[(bit + k) / 8] >> (7 - (bit + k) % 8)) & 1);
		out[n++] = b32[v];
	}
	out[n] = '\0';
	return EM_OK;
}

/* em_copy_id_find - "emc-" and 24 base32 letters, case-insensitive */

bool
em_copy_id_find(const char *text, size_t len, char out[EM_COPY_ID_LEN + 1])
{
	for (size_t i = 0; i + EM_COPY_ID_LEN <= len; i++) {
		size_t k;

		if (strncasecmp(text + i, "emc-", 4) != 0)
			continue;
		for (k = 4; k < EM_COPY_ID_LEN; k++) {
			char c = (char)tolower((unsigned char)text[i + k]);

			if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')))
				break;
		}
		if (k < EM_COPY_ID_LEN)
			continue;
		for (k = 0; k < EM_COPY_ID_LEN; k++)
			out[k] = (char)tolower((unsigned char)text[i + k]);
		out[EM_COPY_ID_LEN] = '\0';
		return true;
	}
	return false;
}

/* write_loop - every byte of n by write(), or by send() with no SIGPIPE */

static int
write_loop(int fd, const void *p, size_t n, bool sock)
{
	const char *q = p;

	while (n > 0) {
		ssize_t w = sock ? send(fd, q, n, MSG_NOSIGNAL) :
		    write(fd, q, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * em_write_all, em_read_all - every byte of n, or -1 (EINTR retried; a
 * closed peer is an error: the daemon and its helpers ignore SIGPIPE)
 */
int
em_write_all(int fd, const void *p, size_t n)
{
	return write_loop(fd, p, n, false);
}

/* em_send_all - the same to a socket, where a closed peer is never a
 * SIGPIPE (embargoctl does not ignore it) */

int
em_send_all(int fd, const void *p, size_t n)
{
	return write_loop(fd, p, n, true);
}

/* em_read_all - read exactly n bytes, or -1 (EOF or an error) */

int
em_read_all(int fd, void *p, size_t n)
{
	char *q = p;

	while (n > 0) {
		ssize_t r = read(fd, q, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		q += r;
		n -= (size_t)r;
	}
	return 0;
}

/* buf_append_wrapped - s as lines of at most width columns, at spaces */

void
buf_append_wrapped(struct buf *b, const char *s, size_t width)
{
	size_t col = 0;

	while (*s != '\0') {
		size_t w = strcspn(s, " ");

		if (col > 0 && col + 1 + w > width) {
			buf_append(b, "\n", 1);
			col = 0;
		} else if (col > 0) {
			buf_append(b, " ", 1);
			col++;
		}
		buf_append(b, s, w);
		col += w;
		s += w;
		while (*s == ' ')
			s++;
	}
}

/*
 * em_memmem - memmem(): sixteen places a step (a vector of GCC's, the
 * processor's own where it has one), the needle's first and last bytes
 * compared at once, memcmp() only where both are.  The texts every
 * message pays for are searched so: glibc 2.36's memmem() read a 200 KB
 * text at a fraction of this speed.
 */
typedef unsigned char em_bytes16 __attribute__((vector_size(16)));

const char *
em_memmem(const char *hay, size_t len, const char *needle, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return hay;
	if (n > len)
		return NULL;
	if (n >= 2) {
		em_bytes16 f = (em_bytes16){ 0 } + (unsigned char)needle[0];
		em_bytes16 l = (em_bytes16){ 0 } + (unsigned char)needle[n - 1];

		for (; i + 16 <= len - n + 1; i += 16) {
			em_bytes16 a, c, m;
			uint64_t w[2];

			memcpy(&a, hay + i, 16);
			memcpy(&c, hay + i + n - 1, 16);
			m = (em_bytes16)((a == f) & (c == l));
			memcpy(w, &m, sizeof(w));
			if ((w[0] | w[1]) == 0)
				continue;
			for (size_t k = i; k < i + 16; k++)
				if (hay[k] == needle[0] &&
				    memcmp(hay + k, needle, n) == 0)
					return hay + k;
		}
	}
	for (; i <= len - n; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}
