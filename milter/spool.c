/*
 * spool.c - a message as it arrives, with a bounded part in memory
 * (see spool.h)
 */

/* System library. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* Utility library. */
#include <gcrypt.h>

/* Application-specific. */
#include "spool.h"
#include "../util/sha256.h"
#include "../store/store.h"

#define CHUNK	((size_t)8 * 1024)	/* on each session thread's stack */

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond;	/* on CLOCK_MONOTONIC: gate_once */
static pthread_once_t gate_once = PTHREAD_ONCE_INIT;
static int gate_in;
static size_t budget_used;	/* under gate_lock */

/* budget_take - n more bytes of SPOOL_BUDGET, if they are left */

static bool
budget_take(size_t n)
{
	bool ok;

	pthread_mutex_lock(&gate_lock);
	if ((ok = budget_used + n <= SPOOL_BUDGET))
		budget_used += n;
	pthread_mutex_unlock(&gate_lock);
	return ok;
}

/* budget_give - what a spool took of SPOOL_BUDGET, given back */

static void
budget_give(struct spool *sp)
{
	pthread_mutex_lock(&gate_lock);
	budget_used -= sp->counted;
	pthread_mutex_unlock(&gate_lock);
	sp->counted = 0;
}

/* spool_lib_init - libgcrypt, as its manual asks, before any thread */

int
spool_lib_init(struct em_err *err)
{
	(void)err;
	return crypto_lib_init();
}

/* spool_init - an empty spool, in memory */

void
spool_init(struct spool *sp)
{
	memset(sp, 0, sizeof(*sp));
	buf_init(&sp->mem);
	sp->fd = -1;
}

/* spool_on_disk - has the message outgrown memory? */

bool
spool_on_disk(const struct spool *sp)
{
	return sp->fd >= 0;
}

/* spool_large - is the message past SPOOL_MEM? */

bool
spool_large(const struct spool *sp)
{
	return sp->len > SPOOL_MEM;
}

/* failed - keep the first failure; what follows is dropped */

static void
failed(struct spool *sp, const char *what, const char *why, int e)
{
	if (sp->error[0] == '\0')
		(void)snprintf(sp->error, sizeof(sp->error), "%s: %s%s", what,
		    why, e != 0 ? store_hint(e) : "");
}

/* write_sealed - encrypt n bytes in chunks and append them to the file */

static void
write_sealed(struct spool *sp, const unsigned char *p, size_t n)
{
	unsigned char out[CHUNK];

	while (n > 0 && sp->error[0] == '\0') {
		size_t k = n < sizeof(out) ? n : sizeof(out), off = 0;
		gcry_error_t e = gcry_cipher_encrypt(sp->cipher, out, k, p, k);

		if (e != 0) {
			failed(sp, "spool cipher", gcry_strerror(e), 0);
			break;
		}
		while (off < k) {
			ssize_t w = write(sp->fd, out + off, k - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				failed(sp, "writing the message to state_dir",
				    w < 0 ? strerror(errno) : "nothing written",
				    w < 0 ? errno : 0);
				break;
			}
			off += (size_t)w;
		}
		p += k;
		n -= k;
	}
}

/* to_disk - the message outgrew memory: open the file, move the bytes */

static void
to_disk(struct spool *sp, const char *dir)
{
	gcry_cipher_hd_t h = NULL;
	gcry_error_t e;

	sp->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (sp->fd < 0) {
		failed(sp, "a spool file in state_dir", strerror(errno), errno);
		return;
	}
	if (getrandom(sp->key, sizeof(sp->key), 0) != (ssize_t)sizeof(sp->key) ||
	    getrandom(sp->nonce, sizeof(sp->nonce), 0) !=
	    (ssize_t)sizeof(sp->nonce)) {
		failed(sp, "spool key", strerror(errno), 0);
		return;
	}
	e = gcry_cipher_open(&h, GCRY_CIPHER_CHACHA20, GCRY_CIPHER_MODE_STREAM, 0);
	if (e == 0 && (e = gcry_cipher_setkey(h, sp->key, sizeof(sp->key))) == 0)
		e = gcry_cipher_setiv(h, sp->nonce, sizeof(sp->nonce));
	if (e != 0) {
		if (h != NULL)
			gcry_cipher_close(h);
		failed(sp, "spool cipher", gcry_strerror(e), 0);
		return;
	}
	sp->cipher = h;
	if (sp->mem.len > 0) {
		write_sealed(sp, (const unsigned char *)sp->mem.data, sp->mem.len);
		explicit_bzero(sp->mem.data, sp->mem.len);
	}
	buf_free(&sp->mem);
	budget_give(sp);
}

/*
 * spool_add - n more bytes: in memory up to SPOOL_MEM, and past it while
 * SPOOL_BUDGET allows; else to the sealed file
 */
void
spool_add(struct spool *sp, const char *dir, const void *p, size_t n)
{
	size_t want = sp->mem.len + n;

	sp->len += n;
	if (sp->error[0] != '\0')
		return;
	if (sp->fd < 0 && (want <= SPOOL_MEM ||
	    budget_take(want - SPOOL_MEM - sp->counted))) {
		if (want > SPOOL_MEM)
			sp->counted = want - SPOOL_MEM;
		buf_append(&sp->mem, p, n);
		return;
	}
	if (sp->fd < 0)
		to_disk(sp, dir);
	if (sp->error[0] == '\0')
		write_sealed(sp, p, n);
}

/*
 * spool_take - the whole message, appended to out; EM_EIO if any write
 * failed
 */
int
spool_take(struct spool *sp, struct buf *out, struct em_err *err)
{
	size_t got = 0;
	gcry_error_t e;

	if (sp->error[0] != '\0')
		return em_fail(err, EM_EIO, "%s; the message is deferred", sp->error);
	if (sp->fd < 0 && out->len == 0) {
		/* Moved, not copied: a large message in memory is read once. */
		size_t max = out->max;

		buf_free(out);
		*out = sp->mem;
		out->max = max;
		buf_init(&sp->mem);
		return EM_OK;
	}
	if (sp->fd < 0) {
		buf_append(out, sp->mem.data ? sp->mem.data : "", sp->mem.len);
		return EM_OK;
	}
	if ((e = gcry_cipher_setiv(sp->cipher, sp->nonce, sizeof(sp->nonce))) != 0)
		return em_fail(err, EM_EIO, "spool cipher: %s", gcry_strerror(e));
	while (got < sp->len) {
		char chunk[CHUNK];
		size_t want = sp->len - got < sizeof(chunk) ? sp->len - got :
		    sizeof(chunk);
		ssize_t r = pread(sp->fd, chunk, want, (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return em_fail(err, EM_EIO, "reading the spooled message "
			    "back: %s", r < 0 ? strerror(errno) : "it is short");
		if ((e = gcry_cipher_decrypt(sp->cipher, chunk, (size_t)r, NULL,
		    0)) != 0)
			return em_fail(err, EM_EIO, "spool cipher: %s",
			    gcry_strerror(e));
		buf_append(out, chunk, (size_t)r);
		explicit_bzero(chunk, (size_t)r);
		got += (size_t)r;
	}
	return EM_OK;
}

/*
 * spool_reset - forget the message: memory wiped, the file closed, the key
 * wiped
 */
void
spool_reset(struct spool *sp)
{
	if (sp->fd >= 0)
		(void)close(sp->fd);
	if (sp->cipher != NULL)
		gcry_cipher_close(sp->cipher);
	if (sp->mem.data != NULL)
		explicit_bzero(sp->mem.data, sp->mem.len);
	buf_free(&sp->mem);
	budget_give(sp);
	explicit_bzero(sp->key, sizeof(sp->key));
	spool_init(sp);
}

/* gate_init - the gate's condition, timed on the monotonic clock (a step
 * of the system clock neither stretches nor skips a tick) */

static void
gate_init(void)
{
	pthread_condattr_t a;

	(void)pthread_condattr_init(&a);
	(void)pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	(void)pthread_cond_init(&gate_cond, &a);
	(void)pthread_condattr_destroy(&a);
}

/*
 * spool_gate_enter - wait until fewer than SPOOL_PARSERS spooled messages
 * are whole in memory, calling alive(arg) every SPOOL_GATE_TICK seconds
 * of the wait (outside the lock); false, not entered, when it says the
 * MTA is gone
 */
bool
spool_gate_enter(bool (*alive)(void *), void *arg)
{
	struct timespec tick;

	(void)pthread_once(&gate_once, gate_init);
	pthread_mutex_lock(&gate_lock);
	(void)clock_gettime(CLOCK_MONOTONIC, &tick);
	tick.tv_sec += SPOOL_GATE_TICK;
	while (gate_in >= SPOOL_PARSERS) {
		struct timespec now;

		if (pthread_cond_timedwait(&gate_cond, &gate_lock, &tick) !=
		    ETIMEDOUT)
			continue;
		pthread_mutex_unlock(&gate_lock);
		if (alive != NULL && !alive(arg))
			return false;
		(void)clock_gettime(CLOCK_MONOTONIC, &now);
		tick = now;
		tick.tv_sec += SPOOL_GATE_TICK;
		pthread_mutex_lock(&gate_lock);
	}
	gate_in++;
	pthread_mutex_unlock(&gate_lock);
	return true;
}

/* spool_gate_leave - one spooled message is done with its memory */

void
spool_gate_leave(void)
{
	pthread_mutex_lock(&gate_lock);
	gate_in--;
	pthread_cond_signal(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}
