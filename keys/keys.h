/*
 * keys.h - the keyring: key health, decrypt and verify, one copy per member
 *
 * What it is for: everything OpenPGP.  Keys are found by pinned
 * fingerprint only, never by user id.  keys_read_crypt() decrypts the
 * parts policy_read() kept (PGP/MIME or inline, to the list key) and
 * verifies signatures, filling facts->signer only for a valid one.
 * keys_build_copy() makes one RFC 3156 copy: inside the encryption, a
 * multipart/mixed with the real Subject as a protected header, a note for
 * the member and the original entity untouched; signed by the list key and
 * encrypted to one member's key alone in one gpg run (RFC 3156 6.2), so
 * the signature covers all that the member decrypts.  keys_seal() and
 * keys_unseal() encrypt what is kept at rest to the list key.
 *
 * The files, by job: keys.c and check.c (key health, sealing at rest,
 * the keyring rules of SPEC 3), read.c (decrypting and verifying a post,
 * bounded by max_decrypted_size), copy.c (building a member's copy),
 * helper.c (the helper processes that sign and encrypt copies, and their
 * wire protocol), pkesk.c (whom an encrypted part is for, from its
 * packets).
 *
 * The keyring is the GnuPG home given to keys_init(), once per process
 * (gpgme and GMime's gpg context both read GNUPGHOME).
 *
 * Caveats, as lmdb.h states its own:
 *  - keys_init() and keys_helpers_start() run once, in the main thread,
 *    before any other thread exists: the helpers are forked then, and a
 *    fork after threads have started copies locks held by other threads.
 *  - Every other function may be called from any thread.  No gpgme
 *    context is shared between threads: each call makes its own, except
 *    the signing context and the last parsed entity of keys_build_copy(),
 *    which are per thread (thread-local) and valid until
 *    keys_thread_done() in that thread; a thread that builds copies calls
 *    it before it ends.  The entity cache is compared byte for byte, so a
 *    different post is never served from it.
 *  - The helpers hold no state between requests; a helper that dies is
 *    not used again and that worker's copies are made in-process.  Each
 *    length on the helper wire is checked against KEYS_WIRE_MAX (1 GiB).
 *  - Nothing here opens the store: keys/ never links LMDB (make rooms).
 *
 * How it fails: EM_EKEY (missing, expired, revoked, unusable key),
 * EM_ECRYPTO (an operation failed), EM_EPARSE, EM_ETOOBIG (decrypted
 * output over max_decrypted_size), EM_EINTEGRITY (a part the list key
 * opens whose data cannot be read: no MDC, altered, corrupt); the reason
 * is in *err.
 */
#ifndef KEYS_H
#define KEYS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "../util/em.h"
#include "../policy/policy.h"

enum keys_use {
	KEYS_USE_ENCRYPT,	/* a member: we encrypt to it */
	KEYS_USE_SIGN,		/* the list: we sign with it (secret needed) */
	KEYS_USE_VERIFY,	/* the team: we verify its signatures */
};

struct keys_health {
	bool	present;
	bool	revoked;
	bool	expired;
	bool	disabled;
	bool	usable;		/* present, valid, capable for the use */
	bool	has_secret;
	time_t	expires;	/* 0: never */
	long	days_left;	/* -1: never expires */
	char	problem[320];	/* why not usable, "" when usable */
	char	uids[256];	/* the user ids' addresses, for display */
};

int	keys_init(const char *gnupg_home, struct em_err *err);

/*
 * A pin names what a recipient's copies are encrypted to, and the list's
 * signer: 40 hex digits an OpenPGP key (its fingerprint), 64 an S/MIME
 * certificate (the SHA-256 of its DER, as "openssl x509 -noout
 * -fingerprint -sha256" prints it without colons) held by gpgsm in the
 * same GnuPG home.  keys_health() and keys_uid_has_address() take either
 * (cert.c: a certificate's dates, key usage and key size are its health;
 * its subject and subjectAltName addresses its user ids).
 */
bool	keys_pin_is_cert(const char *pin);
/* gpgsm's name (SHA-1 fingerprint) of the certificate with that SHA-256;
 * EM_ENOTFOUND when the home holds none. */
int	keys_cert_name(const char *sha256, char name[41], struct em_err *err);
/* And back: the SHA-256 pin of the certificate gpgsm names name. */
int	keys_cert_pin(const char *name, char sha256[65], struct em_err *err);
int	keys_health(const char *fpr, enum keys_use use, time_t now,
	    struct keys_health *h);
bool	keys_uid_has_address(const char *fpr, const char *addr);
/* The primary key's fingerprint for any of its (sub)key fingerprints. */
int	keys_primary_fpr(const char *fpr, char out[41]);

/* Import a file that holds exactly one key; its fingerprint in fpr. */
int	keys_import_file(const char *file, char fpr[41]);

/* The keyring rules of SPEC section 3, added to rep. */
void	keys_check_config(const struct config *cfg, struct conf_report *rep,
	    time_t now);

/* Decrypt and verify f->crypt[] into f (text, signer, forward entity). */
int	keys_read_crypt(const struct config *cfg, const struct policy_limits *lim,
	    struct facts *f, struct em_err *err);

/*
 * To whom an OpenPGP message is encrypted, from its session key packets,
 * before any decryption (pkesk.c).  keys_addressed_to() returns one of
 * these, or EM_EKEY when the key's own ids were never readable.
 */
enum { KEYS_NOT_TO_US = 0, KEYS_TO_US = 1, KEYS_TO_MAYBE = 2 };
int	keys_addressed_to(const char *fpr, const char *p, size_t len);
int	keys_pkesk_ids(const char *p, size_t len, uint64_t *ids, size_t max,
	    size_t *n, bool *unknown);
/* Does this key file hold a key or subkey a member's client cannot use
 * (not version 4; RFC 9580's or curve 448's algorithms; an unknown one)?
 * The reason and the cure in why (pkesk.c, from its packets). */
bool	keys_key_refused(const char *file, char *why, size_t n);

/* Is this encrypted message (armored or binary) one version 3 PKESK or
 * more, then a version 1 SEIPD: the form gpg 2.2 and 2.4, Sequoia and
 * Thunderbird all read?  EM_OK, or EM_EFORMAT with what it is in why
 * (pkesk.c). */
int	keys_copy_format(const char *p, size_t len, char *why, size_t n);

/* Does the version 4 key in this export (binary, one or more keys)
 * with the fingerprint fpr advertise AEAD in a self-signature's
 * features (0x02), so that an upstream GnuPG 2.3 or later writes OCB
 * encrypted data to it alone? (pkesk.c) */
bool	keys_advertises_aead(const char *p, size_t len, const char *fpr);

/* Encrypt bytes to the list key (binary OpenPGP), and back. */
int	keys_seal(const char *list_fpr, const char *p, size_t n, struct buf *out,
	    struct em_err *err);
int	keys_unseal(const char *p, size_t n, struct buf *out, struct em_err *err);
/* A backup encrypted to the administrators' keys (fingerprints, in the
 * keyring), and decrypted with the keyring in home (NULL: the caller's
 * GNUPGHOME or ~/.gnupg; callable before keys_init()) (backup.c). */
int	keys_encrypt_to(const struct strv *fprs, const char *p, size_t n,
	    struct buf *out, struct em_err *err);
int	keys_decrypt_with(const char *home, const char *p, size_t n,
	    struct buf *out, struct em_err *err);
/* text clearsigned (inline OpenPGP) by the key fpr, into out. */
int	keys_clearsign(const char *fpr, const char *text, struct buf *out,
	    struct em_err *err);

struct keys_copy_spec {
	const char *entity;		/* the original MIME entity */
	size_t	entity_len;
	const char *subject;		/* the real Subject (protected header) */
	const char *orig_from;
	const char *orig_date;
	const char *list_fpr;		/* signer */
	const char *list_address;	/* outer From */
	const char *member_fpr;		/* the one recipient key */
	const char *member_address;	/* outer To */
	const char *outer_subject;	/* outer_subject + " " + advisory id */
	const char *message_id;		/* fixed when built, without <> */
	const char *reply_to;		/* the team's address, or NULL */
	const char *note;		/* the text part beside the entity: who
					   the copy is for, who signed (UTF-8) */
	const char *copy_id;		/* protected header Embargo-Copy-Id */
	/* S/MIME instead (member_cert set): the list's certificate and
	 * the member's, pinned by SHA-256 (64 hex digits); list_fpr and
	 * member_fpr are then not read. */
	const char *list_cert;
	const char *member_cert;
	/* A JSON attachment after the entity (the members' CSAF document,
	 * application/json), or NULL. */
	const char *attach;
	size_t	attach_len;
	const char *attach_name;	/* its file name */
};

int	keys_build_copy(const struct keys_copy_spec *spec, struct buf *out,
	    struct em_err *err);
/*
 * Fork n small processes that sign and encrypt copies for the delivery
 * workers (a gpg run forked from the daemon costs more than gpg itself).
 * Call before any thread starts; without them copies are made in-process.
 */
int	keys_helpers_start(int n, struct em_err *err);
/* End them (after the delivery workers have stopped). */
void	keys_helpers_stop(void);
/* Free the calling thread's caches (signer context, last plaintext). */
void	keys_thread_done(void);

#endif
