/*
 * helper.c - signing and encrypting one copy in one gpg run, in small
 * helper processes forked before any thread (or in the calling thread
 * when there are none), and the helpers' wire protocol
 */

/* System library. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Utility library. */
#include <gpgme.h>

/* Application-specific. */
#include "keys.h"
#include "keys_int.h"

/*
 * One gpg run per copy, signing and encrypting at once.  GMime's own
 * encrypt looks the signer and each
 * recipient up first (a gpg run each); here the signer key is looked up
 * once per thread and the recipient is named by its pinned fingerprint,
 * so gpg itself resolves it, and gpg runs once.  --no-encrypt-to keeps a
 * keyring's default recipients out: a copy is for one member alone.
 */
static _Thread_local gpgme_ctx_t copy_ctx;
static _Thread_local char copy_signer[41];

/* copy_context - this thread's context, signing with the list key */

static gpgme_ctx_t
copy_context(const char *list_fpr, struct em_err *err)
{
	gpgme_key_t key = NULL;

	if (copy_ctx != NULL && strcasecmp(copy_signer, list_fpr) == 0)
		return copy_ctx;
	if (copy_ctx == NULL) {
		if (gpgme_new(&copy_ctx) != 0) {
			copy_ctx = NULL;
			(void)em_fail(err, EM_ECRYPTO, "gpgme: no context");
			return NULL;
		}
		gpgme_set_armor(copy_ctx, 1);
		gpgme_set_offline(copy_ctx, 1);
	}
	gpgme_signers_clear(copy_ctx);
	copy_signer[0] = '\0';
	if (gpgme_get_key(copy_ctx, list_fpr, &key, 1) != 0 || key == NULL ||
	    strcasecmp(key->subkeys->fpr, list_fpr) != 0 ||
	    gpgme_signers_add(copy_ctx, key) != 0) {
		if (key)
			gpgme_key_unref(key);
		(void)em_fail(err, EM_EKEY, "the list key %s (secret) is not "
		    "usable for signing", list_fpr);
		return NULL;
	}
	gpgme_key_unref(key);
	(void)snprintf(copy_signer, sizeof(copy_signer), "%s", list_fpr);
	return copy_ctx;
}
/*
 * sign_encrypt_in - one OpenPGP message, armored, signed by ctx's signer
 * (the list key) and encrypted to one fingerprint, in one gpg run (RFC 3156
 * section 6.2, the combined form): the signature covers the whole entity a
 * member's client decrypts, which is where Thunderbird, mutt and gpg look
 */
static int
sign_encrypt_in(gpgme_ctx_t ctx, const char *member_fpr,
    const struct buf *plain, struct buf *armored, struct em_err *err)
{
	gpgme_data_t in = NULL, out = NULL;
	gpgme_sign_result_t res;
	gpgme_error_t e;
	char rcpt[64];

	(void)snprintf(rcpt, sizeof(rcpt), "%s", member_fpr);
	e = gpgme_data_new_from_mem(&in, plain->data, plain->len, 0);
	if (e == 0)
		e = gpgme_data_new(&out);
	if (e == 0)
		e = gpgme_op_encrypt_sign_ext(ctx, NULL, rcpt,
		    GPGME_ENCRYPT_ALWAYS_TRUST | GPGME_ENCRYPT_NO_ENCRYPT_TO, in, out);
	/* A run that encrypted but made no signature is no copy. */
	if (e == 0 && ((res = gpgme_op_sign_result(ctx)) == NULL ||
	    res->signatures == NULL || res->invalid_signers != NULL))
		e = gpg_error(GPG_ERR_NO_SECKEY);
	if (e == 0)
		keys_data_drain(out, armored);
	gpgme_data_release(in);
	gpgme_data_release(out);
	return e == 0 ? EM_OK : em_fail(err, EM_ECRYPTO, "signing with the list "
	    "key and encrypting to %s failed: %s", member_fpr, gpgme_strerror(e));
}
/*
 * Signing helpers.  gpgme runs gpg by fork and exec; a fork of the
 * daemon (large, many threads) costs more than the encryption: each copies
 * the page tables, and every thread's next writes fault and flush TLBs
 * (perf: the daemon's own CPU exceeded gpg's in a fan-out).  So the daemon
 * forks small helper processes at start, before any thread, one per
 * delivery worker; a worker hands a copy's plaintext, the member's and
 * the list's fingerprints to its helper over a socket pair and gets the
 * armored message back, signed by the list and encrypted to the member in
 * one gpg run.  Nothing touches the disk.  A helper that is gone is not
 * used again: the worker signs and encrypts in-process, as before.
 */
struct helper {
	int	fd;		/* -1: none, or gone */
	pid_t	pid;
};

static struct helper *helpers;
static int n_helpers;
static int next_helper;
static pthread_mutex_t helper_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int my_helper = -1;

/*
 * The helper protocol, on a socket pair.  Request: the member's
 * fingerprint and the list's (40 bytes each), a 4-byte length, the
 * plaintext.  Answer: a 4-byte status (0 ok), a 4-byte length, the armored
 * message or the error text.  No length may exceed KEYS_WIRE_MAX: the
 * side that reads one larger takes the other side as broken.
 */
#define KEYS_WIRE_MAX	(1U << 30)

/* wire_read - a length-prefixed body into b, within KEYS_WIRE_MAX */

static int
wire_read(int fd, uint32_t len, struct buf *b)
{
	if (len > KEYS_WIRE_MAX)
		return -1;
	buf_reset(b);
	b->data = xrealloc(b->data, (size_t)len + 1);
	b->cap = (size_t)len + 1;
	if (len > 0 && em_read_all(fd, b->data, len) < 0)
		return -1;
	b->len = len;
	b->data[len] = '\0';
	return 0;
}

/* helper_main - a helper's life: requests in, armored messages out */

static void
helper_main(int fd)
{
	for (;;) {
		char fpr[41], list[41];
		uint32_t len, st;
		struct buf plain, out;
		struct em_err err;
		gpgme_ctx_t ctx;

		if (em_read_all(fd, fpr, 40) < 0 || em_read_all(fd, list, 40) < 0 ||
		    em_read_all(fd, &len, 4) < 0)
			_exit(0);
		fpr[40] = list[40] = '\0';
		buf_init(&plain);
		buf_init(&out);
		em_err_clear(&err);
		if (wire_read(fd, len, &plain) < 0)
			_exit(0);
		st = 1;
		if ((ctx = copy_context(list, &err)) != NULL &&
		    sign_encrypt_in(ctx, fpr, &plain, &out, &err) == EM_OK)
			st = 0;
		if (st != 0 || out.len > KEYS_WIRE_MAX) {
			st = 1;
			buf_reset(&out);
			buf_appends(&out, err.msg[0] ? err.msg :
			    "the signed and encrypted copy is too large");
		}
		len = (uint32_t)out.len;
		if (em_write_all(fd, &st, 4) < 0 || em_write_all(fd, &len, 4) < 0 ||
		    em_write_all(fd, out.data ? out.data : "", out.len) < 0)
			_exit(0);
		buf_free(&plain);
		buf_free(&out);
	}
}

/* keys_helpers_start - n helper processes; before any thread starts */

int
keys_helpers_start(int n, struct em_err *err)
{
	helpers = xcalloc((size_t)n, sizeof(*helpers));
	for (n_helpers = 0; n_helpers < n; n_helpers++) {
		int sv[2];
		pid_t pid;

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return em_fail(err, EM_EIO, "socketpair: %s",
			    strerror(errno));
		if ((pid = fork()) < 0) {
			close(sv[0]);
			close(sv[1]);
			return em_fail(err, EM_EIO, "fork: %s", strerror(errno));
		}
		if (pid == 0) {
			sigset_t all;

			/* The daemon's signals are for the daemon. */
			(void)signal(SIGHUP, SIG_IGN);
			(void)signal(SIGUSR1, SIG_IGN);
			(void)signal(SIGINT, SIG_IGN);
			(void)signal(SIGTERM, SIG_DFL);
			(void)signal(SIGPIPE, SIG_IGN);
			(void)sigemptyset(&all);
			(void)sigprocmask(SIG_SETMASK, &all, NULL);
			/*
			 * Nothing of the daemon's but stderr and this socket:
			 * a helper outliving a killed daemon by a moment must
			 * not hold its milter socket or state files open.
			 */
			if (dup2(sv[1], 3) < 0)
				_exit(1);
			(void)close_range(4, ~0U, 0);
			helper_main(3);
			_exit(0);
		}
		close(sv[1]);
		helpers[n_helpers].fd = sv[0];
		helpers[n_helpers].pid = pid;
	}
	return EM_OK;
}

/* keys_helpers_stop - after the workers: each helper sees EOF, ends, is reaped */

void
keys_helpers_stop(void)
{
	for (int i = 0; i < n_helpers; i++) {
		if (helpers[i].fd >= 0)
			close(helpers[i].fd);
		(void)waitpid(helpers[i].pid, NULL, 0);
	}
	free(helpers);
	helpers = NULL;
	n_helpers = 0;
}

/* helper_sign_encrypt - through this thread's helper: EM_OK, error, or 1 (none) */

static int
helper_sign_encrypt(const char *list_fpr, const char *member_fpr,
    const struct buf *plain, struct buf *armored, struct em_err *err)
{
	uint32_t len = (uint32_t)plain->len, st, n;
	int fd;
	struct buf reply;

	if (my_helper < 0) {
		pthread_mutex_lock(&helper_lock);
		if (next_helper < n_helpers)
			my_helper = next_helper++;
		pthread_mutex_unlock(&helper_lock);
	}
	if (my_helper < 0 || helpers[my_helper].fd < 0 ||
	    strlen(member_fpr) != 40 || strlen(list_fpr) != 40)
		return 1;
	if (plain->len > KEYS_WIRE_MAX)
		return em_fail(err, EM_ELIMIT, "a copy of %zu bytes is over the "
		    "helpers' ceiling of %u bytes", plain->len, KEYS_WIRE_MAX);
	fd = helpers[my_helper].fd;
	buf_init(&reply);
	if (em_write_all(fd, member_fpr, 40) < 0 ||
	    em_write_all(fd, list_fpr, 40) < 0 || em_write_all(fd, &len, 4) < 0 ||
	    em_write_all(fd, plain->data ? plain->data : "", plain->len) < 0 ||
	    em_read_all(fd, &st, 4) < 0 || em_read_all(fd, &n, 4) < 0 ||
	    wire_read(fd, n, &reply) < 0) {
		buf_free(&reply);
		close(fd);
		helpers[my_helper].fd = -1;
		return 1;
	}
	if (st == 0)
		buf_append(armored, reply.data, reply.len);
	else
		(void)em_fail(err, EM_ECRYPTO, "%s", reply.data);
	buf_free(&reply);
	return st == 0 ? EM_OK : EM_ECRYPTO;
}

/* keys_sign_encrypt - signed by the list, to the member: by a helper, else here */

int
keys_sign_encrypt(const char *list_fpr, const char *member_fpr,
    const struct buf *plain, struct buf *armored, struct em_err *err)
{
	gpgme_ctx_t ctx;
	int rc = helper_sign_encrypt(list_fpr, member_fpr, plain, armored, err);
	char why[256];

	if (rc > 0)
		rc = (ctx = copy_context(list_fpr, err)) == NULL ? EM_EKEY :
		    sign_encrypt_in(ctx, member_fpr, plain, armored, err);
	/* Whatever the key advertises, a copy every member's reader reads:
	 * an upstream GnuPG 2.3 or later writes OCB to an AEAD key. */
	if (rc == EM_OK && keys_copy_format(armored->data, armored->len, why,
	    sizeof(why)) != EM_OK) {
		buf_reset(armored);
		rc = em_fail(err, EM_EFORMAT, "gpg wrote %s for key %s: not every "
		    "member's client reads it; the list's gpg must write a "
		    "version 1 SEIPD (Debian's gpg does to every key)", why,
		    member_fpr);
	}
	return rc;
}

/* keys_helper_thread_done - free this thread's signing context */

void
keys_helper_thread_done(void)
{
	if (copy_ctx != NULL) {
		gpgme_release(copy_ctx);
		copy_ctx = NULL;
	}
}
