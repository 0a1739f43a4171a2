/*
 * em.h - house helpers shared by every module of embargo-milter
 *
 * What it is for: the error codes every function returns (0 or a negative
 * EM_E* code), the caller-provided reason buffer that travels with them,
 * allocation that cannot fail, growable byte buffers with a ceiling, and
 * string vectors.  Nothing here logs, touches the clock or does I/O.
 *
 * How it fails: xmalloc() and friends abort() on out-of-memory, so call
 * sites stay free of NULL checks; with milter_default_action = tempfail the
 * MTA keeps the message.  Everything else returns an EM_E* code.
 */
#ifndef EM_H
#define EM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <endian.h>
#include <string.h>

/* Error codes: every function returns 0 or one of these. */
#define EM_OK		0
#define EM_ENOMEM	(-1)	/* out of memory (only where not aborting) */
#define EM_ECONFIG	(-2)	/* configuration invalid */
#define EM_EPARSE	(-3)	/* input could not be parsed */
#define EM_ELIMIT	(-4)	/* a configured ceiling was hit */
#define EM_ESTORE	(-5)	/* the LMDB store failed */
#define EM_EKEY		(-6)	/* a key is missing, expired, revoked or unusable */
#define EM_ECRYPTO	(-7)	/* decryption, verification or encryption failed */
#define EM_EIO		(-8)	/* a system call failed */
#define EM_ENOTFOUND	(-9)	/* no such item */
#define EM_EDELIVER	(-10)	/* the reinjection listener refused or failed */
#define EM_EUSAGE	(-11)	/* bad arguments */
#define EM_ETOOBIG	(-12)	/* an input over its size ceiling: it never fits */
#define EM_EINTEGRITY	(-13)	/* an input that can never be read (altered,
				   unprotected, corrupt): refused for good */
#define EM_EREADER	(-14)	/* the confined reader crashed or hit a
				   ceiling on this input: it never reads */
#define EM_EFORMAT	(-15)	/* gpg wrote a copy in a packet format
				   not every member's client reads */

/* A human-readable reason, filled by the function that failed. */
struct em_err {
	char	msg[512];
};

const char *em_strerror(int code);
int	em_fail(struct em_err *err, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	em_err_clear(struct em_err *err);
/* Format or copy into a fixed field: EM_ELIMIT, naming what, when the
 * value does not fit (never cut short); out is "" then. */
int	em_fmt(char *out, size_t n, const char *what, struct em_err *err,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int	em_copy(char *out, size_t n, const char *s, const char *what,
	    struct em_err *err);

void   *xmalloc(size_t n);
void   *xcalloc(size_t nmemb, size_t size);
void   *xrealloc(void *p, size_t n);
char   *xstrdup(const char *s);
char   *xstrndup(const char *s, size_t n);
char   *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char   *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/*
 * A growable byte buffer; always NUL-terminated after the data.  Every
 * buffer has a ceiling.  buf_init() gives BUF_MAX, which no input can
 * reach (each is bounded before by its owner: max_message_size,
 * max_decrypted_size, at most 1 GiB each, the helper wire's 1 GiB): an
 * append past it is a bug and aborts, as an allocation that fails does.
 * buf_init_max() gives the owner's own ceiling: an append past it is
 * refused whole, the buffer keeps what it had, and buf_over() says so.
 */
#define BUF_MAX		((size_t)4 << 30)
struct buf {
	char   *data;
	size_t	len;
	size_t	cap;
	size_t	max;		/* 0: BUF_MAX */
	bool	over;		/* an append was refused at max */
};

/* Eight bytes at p as a number whose lowest byte is p[0], and back, on
 * any processor: the byte scans read a byte's place off its bits
 * (__builtin_ctzll() / 8), which is that order. */
static inline uint64_t
em_load8(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}
static inline void
em_store8(void *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

/* Eight bytes at a time: every byte of a word equal to b; whether any
 * byte of v is zero (exact; used to skip eight bytes that hold none). */
#define EM_BYTES(b)	(0x0101010101010101ULL * (uint64_t)(unsigned char)(b))
static inline uint64_t
em_zero_bytes(uint64_t v)	/* the high bit of each zero byte of v (and
				 * maybe of bytes above one): the lowest is
				 * always the first zero byte */
{
	return (v - EM_BYTES(1)) & ~v & EM_BYTES(0x80);
}
static inline bool
em_zero_byte(uint64_t v)
{
	return em_zero_bytes(v) != 0;
}

/* memmem() sixteen places a step (see em.c): the first place of
 * needle (n bytes) in hay (len bytes), or NULL. */
const char *em_memmem(const char *hay, size_t len, const char *needle,
	    size_t n);

void	buf_init(struct buf *b);
void	buf_init_max(struct buf *b, size_t max);
bool	buf_over(const struct buf *b);
void	buf_free(struct buf *b);
void	buf_reset(struct buf *b);
void	buf_append(struct buf *b, const void *p, size_t n);
void	buf_appends(struct buf *b, const char *s);
/* Room for n more bytes and a NUL after len, len unchanged: where to
 * write them; NULL (and buf_over()) past the owner's max. */
char   *buf_room(struct buf *b, size_t n);
void	buf_appendf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Append s as a JSON string (quoted, escaped); NULL gives null. */
void	buf_json_str(struct buf *b, const char *s);

/* A vector of owned strings. */
struct strv {
	char  **v;
	size_t	n;
};

void	strv_push(struct strv *sv, const char *s);
/* Is s one of sv's strings (compared exactly)? */
bool	strv_has(const struct strv *sv, const char *s);
/* s appended to b in lines of at most width columns, broken at spaces. */
void	buf_append_wrapped(struct buf *b, const char *s, size_t width);
void	strv_free(struct strv *sv);

/* Lower-case copy of an address with any surrounding <> removed. */
char   *em_addr_norm(const char *addr);

/* Every byte of n through fd, or -1. */
int	em_write_all(int fd, const void *p, size_t n);
/* The same to a socket: a closed peer is -1, never a SIGPIPE. */
int	em_send_all(int fd, const void *p, size_t n);
int	em_read_all(int fd, void *p, size_t n);
/* A copy id (SPEC 5): "emc-" and 24 base32 letters (120 random bits). */
#define EM_COPY_ID_LEN	28
int	em_copy_id(char out[EM_COPY_ID_LEN + 1]);
/* The first copy id in text (any case), into out; false when none. */
bool	em_copy_id_find(const char *text, size_t len,
	    char out[EM_COPY_ID_LEN + 1]);

#endif
