/*
 * store.h - the state: one LMDB environment in state_dir
 *
 * What it is for: the advisory registry, the outbox (copies and notices
 * waiting to leave, and what became of them), sealed blobs (posts and
 * built copies, all encrypted: no embargoed plaintext at rest) and the
 * audit log, a hash chain.  Everything one message changes is one write
 * transaction: store_begin(), the puts, store_commit(); the MTA is
 * answered only after the commit.
 *
 * Ownership: the caller owns every struct it passes in; values read are
 * copied out before the transaction ends (LMDB's own caveat).
 *
 * How it fails: EM_ESTORE for any LMDB error (MDB_MAP_FULL included),
 * with mdb_strerror()'s text in *err and, for a full map or a full or
 * read-only disk, what to do; EM_ENOTFOUND for a missing key.  A record
 * whose size or layout version is not this build's is EM_ESTORE too,
 * never skipped.  Every getter takes an err and names the database and
 * the record in it: a caller tells EM_ENOTFOUND ("absent") from any
 * other error ("could not read"), and never reads the second as the
 * first.  The store_*_each() readers call cb for each record in
 * key order: cb returns 0 to go on, > 0 to stop early (not an error), or
 * < 0, an error that the reader returns; any failure's reason is in *err.
 */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "../util/em.h"

struct store;
struct store_txn;

enum store_adv_state {
	STORE_ADV_EMBARGOED = 1,
	STORE_ADV_PUBLIC = 2,
};

struct store_advisory {
	uint32_t version;		/* record layout, 1 */
	char	id[64];
	int	revision;
	time_t	embargo;		/* 0: public */
	int	state;			/* enum store_adv_state */
	time_t	created;
	time_t	updated;
	int	list_revision_sent;	/* the last revision fanned out */
	time_t	reminded_for;		/* the embargo date last reminded of */
	char	embargo_set_by[64];	/* "post" or who used embargoctl */
};

enum store_ob_kind {
	STORE_OB_COPY = 1,		/* a member's encrypted copy */
	STORE_OB_NOTICE = 2,		/* a receipt or notice to the team */
	STORE_OB_RELEASE = 3,		/* a held posting, to one recipient */
	STORE_OB_HOOK = 4,		/* a release_hook run (outbox/hook.c):
					   queued = pending, built = running,
					   sent = done, failed = given up */
};

/* One row per outbox kind: every place that names a kind reads it here. */
struct store_ob_kind_info {
	int	kind;			/* enum store_ob_kind */
	const char *word;		/* "copy", "notice", "release" */
	const char *about;		/* in a log line: "copy of", ... */
	const char *delivered;		/* its audit event once sent */
	char	blob;			/* STORE_BLOB_* of its built bytes */
};
/* The row of kind; an unknown kind gets the notice row (never NULL). */
const struct store_ob_kind_info *store_ob_kind(int kind);

enum store_hold_state {
	STORE_HOLD_HELD = 1,
	STORE_HOLD_RELEASED = 2,
	STORE_HOLD_DROPPED = 3,
};

/* A posting held until its advisory's embargo date (sealed blob 'H'). */
struct store_hold {
	uint32_t version;		/* record layout, 1 */
	uint64_t id;			/* also the order it was held in */
	int	state;			/* enum store_hold_state */
	char	advisory[64];
	char	sender[256];
	char	rcpts[1024];		/* comma-separated envelope recipients */
	char	queue_id[32];		/* the MTA's, when it was held */
	time_t	held_at;
	time_t	embargo;		/* the marker's date, when no advisory */
	time_t	released_at;
	bool	release_now;		/* "embargoctl held release H" */
	char	why[200];		/* drop reason */
};

enum store_ob_state {
	STORE_OB_QUEUED = 1,		/* to be built */
	STORE_OB_BUILT = 2,		/* built (sealed blob), to be sent */
	STORE_OB_SENT = 3,
	STORE_OB_FAILED = 4,		/* refused for good: see cause */
	STORE_OB_WAITING_KEY = 5,	/* the member's key is not usable */
};

/* Why an entry is in its state: typed, never read from last_error's
 * text (which is for people).  ledger/ sets it with the state. */
enum store_ob_cause {
	STORE_OB_CAUSE_NONE = 0,
	STORE_OB_CAUSE_DEFERRED = 1,	/* a failure that may pass: again at
					   next_try */
	STORE_OB_CAUSE_REFUSED = 2,	/* refused for good (a 5xx, a hook
					   given up): until "retry" */
	STORE_OB_CAUSE_KEY = 3,		/* the member's key is not usable */
	STORE_OB_CAUSE_CANCELLED = 4,	/* prepared for a hold dropped, or
					   superseded: never leaves */
	STORE_OB_CAUSE_DROPPED = 5,	/* a hook run dropped (embargoctl) */
	STORE_OB_CAUSE_GONE = 6,	/* a hook run whose hook left the
					   config */
};

struct store_outbox {
	uint32_t version;		/* record layout, 4 (3: a key of 40
					   digits at most; 2: before the typed
					   hold, sealed and cause) */
	uint64_t id;
	int	kind;			/* enum store_ob_kind */
	int	state;			/* enum store_ob_state */
	int	cause;			/* enum store_ob_cause */
	uint64_t hold;			/* prepared ahead for this hold (a
					   release entry, or a final copy);
					   0: none */
	bool	sealed;			/* its built bytes are the sealed
					   posting (a release prepared ahead) */
	char	advisory[64];
	int	revision;
	char	member[128];		/* organisation (copies), hook name */
	char	rcpt[256];
	char	key[65];		/* the pin it is (to be) encrypted to:
					   an OpenPGP key's fingerprint, or an
					   S/MIME certificate's SHA-256 */
	uint64_t post_id;		/* the sealed post it is built from */
	unsigned attempts;		/* sends tried (a send after a crash: resend) */
	time_t	created;
	time_t	next_try;
	time_t	sent_at;
	char	message_id[160];	/* fixed when queued, never changes */
	char	queue_id[32];		/* of the reinjection listener's 250 */
	char	last_error[200];
	char	from[256];		/* envelope sender (releases) */
	char	copy_id[32];		/* copies: fixed when queued (SPEC 5) */
};

struct store_audit {
	uint64_t seq;			/* filled by store_audit_append */
	time_t	time;
	const char *event;
	const char *queue_id;
	const char *message_id;
	const char *sender;
	const char *rcpts;
	const char *advisory;
	int	revision;
	time_t	embargo;
	const char *decision;
	const char *reason;
	const char *keys;
	const char *msg_sha256;
};

int	store_open(const char *dir, size_t map_size, struct store **out,
	    struct em_err *err);
/* What to do about an LMDB or errno code met in state_dir ("; ..."), or "". */
const char *store_hint(int rc);
/* The fingerprint key in dir/print.key (32 bytes, mode 0600), made once. */
int	store_print_key(const char *dir, unsigned char key[32], struct em_err *err);
void	store_close(struct store *s);
/* Records of an older layout in this build's, after a compacted copy of
 * the state is kept in aside (a new folder); *n how many (0: nothing
 * done, no copy).  The daemon runs it at start. */
int	store_migrate(struct store *s, const char *aside, size_t *n,
	    struct em_err *err);

/* A consistent, compacted copy of the whole environment (LMDB's own,
 * in one read transaction, writers not stopped) written to fd. */
int	store_copy_fd(struct store *s, int fd, struct em_err *err);

int	store_begin(struct store *s, bool write, struct store_txn **out,
	    struct em_err *err);
/* A write transaction inside parent (a write one): committing it folds
 * it into parent, aborting it undoes its own changes alone. */
int	store_begin_nested(struct store_txn *parent, struct store_txn **out,
	    struct em_err *err);
int	store_commit(struct store_txn *t, struct em_err *err);
void	store_abort(struct store_txn *t);

int	store_adv_get(struct store_txn *t, const char *id,
	    struct store_advisory *out, struct em_err *err);
int	store_adv_put(struct store_txn *t, const struct store_advisory *a,
	    struct em_err *err);
int	store_adv_each(struct store_txn *t,
	    int (*cb)(const struct store_advisory *, void *), void *ctx,
	    struct em_err *err);
/* The ids of the advisories under embargo at now (state embargoed, the
 * date ahead) appended to ids; an error when the registry cannot be read
 * (ids may then hold some: never take them for all). */
int	store_adv_embargoed(struct store_txn *t, time_t now, struct strv *ids,
	    struct em_err *err);

/*
 * Lists kept beside an advisory's record, under meta "WHAT:ID", one
 * entry a line: "participants" (the names of the participant blocks the
 * team named for it), "announced" (the date pre_announce was last told),
 * "posts" ("REVISION POST-ID": its sealed posts, for the release hooks),
 * "published" (the revision last made public: its hooks were queued),
 * "early-reason" (why embargoctl embargo --now lifted it before its
 * date: the members' notice says it; emptied when a date is set again)
 * and "deployment" (the state its DEPLOYMENT DURING
 * EMBARGO section gives; never the section's text, which is advisory
 * text and rests sealed in the post alone).  A list never
 * stored reads as empty.
 */
int	store_adv_list_get(struct store_txn *t, const char *what, const char *id,
	    struct strv *out, struct em_err *err);
int	store_adv_list_put(struct store_txn *t, const char *what, const char *id,
	    const struct strv *v, struct em_err *err);
/* A list of one number (a date, a revision): EM_OK, EM_ENOTFOUND when
 * never stored, EM_ESTORE when it cannot be read or is not a number. */
int	store_adv_num_get(struct store_txn *t, const char *what, const char *id,
	    long long *n, struct em_err *err);
int	store_adv_num_put(struct store_txn *t, const char *what, const char *id,
	    long long n, struct em_err *err);
/* The same number read as a time ("told", "announced"). */
int	store_adv_time_get(struct store_txn *t, const char *what,
	    const char *id, time_t *when, struct em_err *err);

int	store_ob_put(struct store_txn *t, struct store_outbox *ob,
	    struct em_err *err);
int	store_ob_get(struct store_txn *t, uint64_t id, struct store_outbox *out,
	    struct em_err *err);
int	store_ob_each(struct store_txn *t,
	    int (*cb)(const struct store_outbox *, void *), void *ctx,
	    struct em_err *err);
/* Only the entries still queued or built: what delivery has to do. */
int	store_ob_each_pending(struct store_txn *t,
	    int (*cb)(const struct store_outbox *, void *), void *ctx,
	    struct em_err *err);
/* A new id for an outbox entry or a blob. */
int	store_next_id(struct store_txn *t, uint64_t *id, struct em_err *err);

int	store_blob_put(struct store_txn *t, char ns, uint64_t id,
	    const void *p, size_t n, struct em_err *err);
int	store_blob_get(struct store_txn *t, char ns, uint64_t id,
	    struct buf *out, struct em_err *err);
int	store_blob_del(struct store_txn *t, char ns, uint64_t id,
	    struct em_err *err);
int	store_meta_get(struct store_txn *t, const char *key, struct buf *out,
	    struct em_err *err);
int	store_meta_put(struct store_txn *t, const char *key, const void *p,
	    size_t n, struct em_err *err);

#define STORE_BLOB_POST	'P'	/* a post, sealed to the list key */
#define STORE_BLOB_HOLD	'H'	/* a held posting, sealed to the list key */
#define STORE_BLOB_REL	'R'	/* a released posting (public by then) */
#define STORE_BLOB_COPY	'C'	/* a built copy, encrypted to its member */
#define STORE_BLOB_NOTE	'N'	/* a notice to the team (ids and dates only) */

int	store_hold_put(struct store_txn *t, struct store_hold *h,
	    struct em_err *err);
int	store_hold_get(struct store_txn *t, uint64_t id, struct store_hold *out,
	    struct em_err *err);
/* When h goes out, seen at now (the daemon and embargoctl agree); an
 * advisory whose record cannot be read is an error, never "now". */
int	store_hold_due(struct store_txn *t, const struct store_hold *h,
	    time_t now, time_t *due, struct em_err *err);
int	store_hold_each(struct store_txn *t,
	    int (*cb)(const struct store_hold *, void *), void *ctx,
	    struct em_err *err);

/*
 * Text fingerprints: 8-byte keyed hashes of an advisory's word shingles.
 * store_print_add() files one under an advisory; store_print_lookup()
 * calls cb with every advisory id filed under it.  Lookups only: what
 * counts as quoting an advisory is policy_match()'s (policy/match.c).
 */
int	store_print_add(struct store_txn *t, const unsigned char h[8],
	    const char *advisory, struct em_err *err);
/* Every fingerprint with the advisory it is filed under; cb != 0 stops. */
int	store_print_each(struct store_txn *t,
	    int (*cb)(const unsigned char h[8], const char *, void *), void *ctx);
/* Moved by every write of an advisory under embargo (0: none yet). */
int	store_embargo_epoch(struct store_txn *t, uint64_t *e,
	    struct em_err *err);
int	store_print_lookup(struct store_txn *t, const unsigned char h[8],
	    void (*cb)(const char *advisory, void *), void *ctx,
	    struct em_err *err);

/*
 * Resends: a sender's MTA retries a message it got no answer for (a
 * restart between our commit and our answer); the same post or held
 * posting must not be fanned out or held twice.  The key is a hash of its
 * Message-ID and body; the value says what was done with it.
 */
int	store_seen_put(struct store_txn *t, const char *key, const char *what,
	    struct em_err *err);
int	store_seen_get(struct store_txn *t, const char *key, char *what,
	    size_t n, struct em_err *err);

/*
 * Public text (SPEC 4): runs seen in text that is public (a corpus the
 * administrator loads, the team's postings once they reach a public
 * list), filed under a source name.  A run seen there never counts
 * towards "quotes an advisory under embargo".
 */
int	store_public_add(struct store_txn *t, const unsigned char h[8],
	    const char *source, struct em_err *err);
int	store_public_has(struct store_txn *t, const unsigned char h[8],
	    bool *has, struct em_err *err);
/* Is any public text loaded?  False too when it cannot be read (it only
 * decides whether a warning is shown). */
bool	store_public_any(struct store_txn *t);
int	store_public_sources(struct store_txn *t,
	    int (*cb)(const char *source, size_t runs, void *), void *ctx);
int	store_public_drop(struct store_txn *t, const char *source, size_t *n,
	    struct em_err *err);

int	store_audit_append(struct store_txn *t, struct store_audit *a,
	    struct em_err *err);
/* Each record as its stored JSON line, oldest first. */
int	store_audit_each(struct store_txn *t,
	    int (*cb)(uint64_t seq, const char *json, size_t n, void *), void *ctx,
	    struct em_err *err);
/* The chain's head: the last record's seq and hash (0 and "" when empty). */
int	store_audit_head(struct store_txn *t, uint64_t *seq, char hash[65]);
/* The hash recorded in record seq: EM_OK, or EM_ENOTFOUND. */
int	store_audit_hash_at(struct store_txn *t, uint64_t seq, char hash[65]);
/* 0 when the chain holds; else EM_EPARSE and *bad the first broken seq. */
int	store_audit_verify(struct store_txn *t, uint64_t *bad, uint64_t *count);

/*
 * The post a fan-out keeps sealed (post.c): its fields, length-prefixed
 * in this order, then the entity members get.  outbox/ fills the fields
 * and seals the packed bytes; whoever unseals them reads them back with
 * store_post_unpack() (EM_EPARSE for damaged bytes).
 */
enum store_post_field {
	STORE_POST_SUBJECT, STORE_POST_FROM, STORE_POST_DATE,
	STORE_POST_SIGNER, STORE_POST_VERIFIED, STORE_POST_INSIDE,
	STORE_POST_DEPLOY, STORE_POST_DEPLOY_WAS, STORE_POST_NOTICE,
	STORE_POST_NFIELDS
};
/* The fields a post packed before a later build added them: read as "". */
#define STORE_POST_OLD_NFIELDS STORE_POST_DEPLOY
struct store_post {
	char   *field[STORE_POST_NFIELDS];	/* owned; "" when absent */
	const char *entity;		/* points into the unpacked bytes */
	size_t	entity_len;
};
void	store_post_pack(const char *const field[STORE_POST_NFIELDS],
	    const char *entity, size_t len, struct buf *out);
int	store_post_unpack(const char *data, size_t len, struct store_post *p);
void	store_post_free(struct store_post *p);

#endif
