/*
 * policy.h - the product's brain: what a message is, and what to do with it
 *
 * What it is for: policy_read() turns the raw message into struct facts
 * (GMime: every text part decoded, whatever its transfer encoding and
 * charset; HTML read as text; forwarded messages read too), within the
 * configured ceilings.  policy_classify() finds the advisory id, the
 * embargo marker and the revision in those facts.  policy_decide() applies
 * SPEC section 5 and returns one decision with its SMTP reply; whether a
 * text quotes an advisory under embargo is policy_match()'s (match.h, the
 * leak guard's rule), read from the registry's lookups (policy_view).
 *
 * Purity: no libmilter, gpgme, LMDB, clock, sockets or files.  The time is
 * an argument; the registry of advisories comes in as a read-only view.
 * The milter and "embargoctl dry-run" call the same functions.
 *
 * Ownership: facts_init() then policy_read() fill a caller-owned struct
 * facts; facts_free() releases what it holds.
 *
 * How it fails: policy_read() returns EM_ELIMIT when a ceiling is hit and
 * EM_EPARSE when the input is not a message; the reason is in *err.
 * policy_decide() cannot fail: an unknown case is a tempfail.
 */
#ifndef POLICY_H
#define POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "../util/em.h"
#include "../conf/conf.h"

#define POLICY_ID_MAX	64
#define POLICY_LINE_MAX	200

/* A part that policy/ cannot read itself: keys/ may decrypt or verify it. */
enum policy_crypt_kind {
	POLICY_CRYPT_PGPMIME_ENCRYPTED,	/* multipart/encrypted entity */
	POLICY_CRYPT_INLINE_ENCRYPTED,	/* -----BEGIN PGP MESSAGE----- text */
	POLICY_CRYPT_PGPMIME_SIGNED,	/* multipart/signed entity */
	POLICY_CRYPT_INLINE_SIGNED,	/* -----BEGIN PGP SIGNED MESSAGE----- */
	POLICY_CRYPT_SMIME,		/* application/pkcs7-mime entity:
					   enveloped or opaque-signed */
};
#define POLICY_CRYPT_LAST	POLICY_CRYPT_SMIME

struct policy_crypt {
	enum policy_crypt_kind kind;
	struct buf data;		/* the entity or armored text, as is */
};

enum policy_marker_kind {
	POLICY_MARKER_NONE = 0,
	POLICY_MARKER_VALID,
	POLICY_MARKER_BAD,		/* a phrase, but no date we can read */
};

struct policy_marker {
	enum policy_marker_kind kind;
	time_t	when;			/* VALID: the embargo date, UTC */
	bool	banner;			/* the phrase opens its line (SPEC 4) */
	char	line[POLICY_LINE_MAX];	/* the line it was found on */
};

/* deploy.c: an advisory's DEPLOYMENT DURING EMBARGO section (SPEC 4). */
enum policy_deploy_state {
	POLICY_DEPLOY_NOT_STATED = 0,
	POLICY_DEPLOY_PERMITTED,
	POLICY_DEPLOY_NOT_PERMITTED,
	POLICY_DEPLOY_RESTRICTED,
};
struct policy_deploy {
	enum policy_deploy_state state;
	char	sentence[600];		/* the section's first sentence (and,
					   restricted, its first that forbids) */
};
void	policy_deployment(const char *text, size_t len, struct policy_deploy *d);
const char *policy_deploy_name(enum policy_deploy_state s);

struct facts {
	char   *subject;		/* decoded UTF-8, "" when none */
	char   *message_id;		/* as in the header, NULL when none */
	char   *from;			/* From: as written, NULL when none */
	char   *date;			/* Date: as written, NULL when none */
	struct buf forward;		/* the entity a member's copy carries */
	bool	top_encrypted;		/* the whole body is multipart/encrypted */
	struct buf text;		/* every readable line, '\n'-separated */
	size_t	first_text;		/* where the first text part starts */
	bool	has_first_text;
	size_t	parts;			/* MIME parts seen */
	size_t	depth;			/* deepest nesting seen */
	struct policy_crypt *crypt;	/* parts for keys/ */
	size_t	n_crypt;
	unsigned unreadable;		/* encrypted parts no key of ours reads */
	unsigned sealed;		/* archive members sealed by a password
					   none of the known ones opens */
	unsigned partial_missing;	/* message/partial sets not whole here */

	/* Filled by policy_classify(). */
	char	advisory_id[POLICY_ID_MAX];	/* "" when none */
	bool	id_in_title;		/* found in a title block, the
					   message's own or the one it quotes */
	char	id_note[256];		/* "" unless title block and Subject
					   name different ids: which won */
	struct policy_marker marker;	/* first valid marker, else NONE */
	struct policy_marker banner;	/* first valid one that is a banner */
	struct policy_marker bad_marker; /* first unreadable marker */
	int	revision;		/* 1 unless the header block says */
	struct policy_deploy deploy;	/* its deployment during embargo */

	/* Filled by keys/ when a signature verifies. */
	char	signer[65];		/* the signer's pin: an OpenPGP key's
					   fingerprint or a certificate's
					   SHA-256; "" when none valid */
	bool	signer_inside;		/* that signature travels in "forward" */
};

struct policy_limits {
	size_t	max_depth;
	size_t	max_parts;
	size_t	max_header;
	size_t	max_decrypted;		/* what one decryption may yield */
};

/* The ceilings of cfg, for policy_read() and keys_read_crypt(). */
struct policy_limits policy_limits_of(const struct config *cfg);

void	facts_init(struct facts *f);
void	facts_free(struct facts *f);

/* Read a raw RFC 5322 message into *f (text, subject, crypt parts). */
int	policy_read(const char *msg, size_t len, const struct policy_limits *lim,
	    struct facts *f, struct em_err *err);
/*
 * The same facts for a plain text message without its MIME tree (subject,
 * Message-ID, text; enough to decide a pass): EM_OK, or 1 when the message
 * needs policy_read().
 */
int	policy_read_quick(const char *msg, size_t len,
	    const struct policy_limits *lim, struct facts *f,
	    struct em_err *err);
/*
 * Read one more entity (a decrypted part) into the same facts.  payload:
 * the entity is the whole message's encrypted payload, so a Subject, From
 * or Date among its headers is a protected header (as Thunderbird and
 * mutt write them) and replaces the outer one, which is often "...".
 */
int	policy_read_more(const char *entity, size_t len,
	    const struct policy_limits *lim, bool payload, struct facts *f,
	    struct em_err *err);
/*
 * The leaves of a readable entity (a kept post), in order, for the
 * release hooks: cb gets name NULL and the advisory's text (the first
 * inline text/plain part, in UTF-8) once, then each other part decoded
 * with its file name ("" when it has none).  Signatures are skipped.
 */
int	policy_parts(const char *entity, size_t len,
	    const struct policy_limits *lim,
	    int (*cb)(const char *name, const char *data, size_t n, void *ctx),
	    void *ctx, struct em_err *err);
/* Set advisory id, markers and revision from subject and text. */
void	policy_classify(const struct config *cfg, struct facts *f);

/* Lower-level pieces, exposed for the unit tests. */
void	policy_html_to_text(const char *html, size_t len, struct buf *out);
int	policy_marker_scan(const struct strv *phrases, const char *line,
	    size_t len, struct policy_marker *m);
/* The id: each pattern in order, tried on the title block, the Subject,
 * then the text; the first hit wins.  Any of the three may be NULL. */
bool	policy_advisory_find(const struct config *cfg, const char *title,
	    const char *subject, const char *text, char *out, size_t outsz);
/* The title block: the first non-empty lines of text (after any PGP
 * armour header), up to the first empty line after them; returns where
 * that empty line (or the text's end) is. */
size_t	policy_title_block(const char *text, size_t len, struct buf *out);
/*
 * What the records machines read take from an advisory's own text (the
 * release's records, SPEC 6): the title (the paragraph after the title
 * block), the CVE ids the title block names, the version, ISSUE
 * DESCRIPTION's text and the first paragraph of "UPDATES IN VERSION N".
 * Missing pieces are empty.  policy_record_free() after.
 */
#define POLICY_CVES_MAX		16
#define POLICY_CVE_MAX		24
#define POLICY_RECORD_TEXT_MAX	((size_t)64 << 10)
struct policy_record {
	char	title[512];
	char	cves[POLICY_CVES_MAX][POLICY_CVE_MAX];
	size_t	n_cves;
	int	version;		/* 1 when no version line */
	struct buf details;		/* ISSUE DESCRIPTION, as written */
	char	update[512];		/* what this version changed */
};
void	policy_record_read(const char *text, size_t len,
	    struct policy_record *r);
void	policy_record_free(struct policy_record *r);
int	policy_revision_find(const char *text);

/*
 * Text fingerprints (SPEC 4, "quotes an advisory under embargo").  The
 * significant lines (20 or more characters once Unicode (NFKC, every
 * space a space, format characters dropped), white space, case and
 * leading ">" and "+" marks are normalised) are read as one stream of words, and
 * every run of POLICY_SHINGLE_WORDS words is hashed with a key (HMAC):
 * re-wrapping and quoting change lines, not the stream.  A message
 * quotes an advisory when POLICY_LEAK_SHINGLES distinct runs match:
 * about three lines of text.  An id or a date alone never matches.  The
 * rule that counts them is policy_match() (match.h).
 */
#define POLICY_SHINGLE_WORDS	4
#define POLICY_LEAK_SHINGLES	8
#define POLICY_SIGNIFICANT	20

struct policy_prints {
	unsigned char (*h)[8];		/* sorted, distinct */
	size_t	n;
};

void	policy_prints(const char *text, size_t len, const void *key,
	    size_t keylen, struct policy_prints *out);
/* Each word run of text in order, with the line (0-based, of text) its
 * first word is on: for "embargoctl dry-run --explain". */
struct policy_run {
	unsigned char h[8];
	size_t	line;
};
void	policy_runs(const char *text, size_t len, const void *key,
	    size_t keylen, struct policy_run **out, size_t *n);
/*
 * The same runs, walked (the leak guard's filter, store/filter.c): run
 * gets each run in order, its bytes ("w1 w2 w3 w4", n of them, as
 * policy_prints() hashes them: good only during the call) and the line
 * of its first word.
 */
struct policy_walker {
	void	(*run)(size_t line, const char *run, size_t n, void *ctx);
	void   *ctx;
	/* With words, only the runs whose every word may be in it (a run
	 * with any other word cannot be one a filter was filled with). */
	const struct policy_words *words;
};
void	policy_walk(const char *text, size_t len, const struct policy_walker *w);
/*
 * The words a filter's runs are made of, as bits of a keyed hash of each
 * word (POLICY_WORDS_BITS bits, two a word): a word never put in may seem
 * to be (a run then goes on to the filter, as without), a word put in is
 * never missed.
 */
#define POLICY_WORDS_LOG	17
#define POLICY_WORDS_BITS	((size_t)1 << POLICY_WORDS_LOG)	/* 16 KiB */
struct policy_words {
	uint64_t key;
	uint64_t bits[POLICY_WORDS_BITS / 64];
};
/* The words of a run's bytes ("w1 w2 w3 w4") into wd. */
void	policy_words_add(struct policy_words *wd, const char *run, size_t n);
void	policy_prints_free(struct policy_prints *p);
/* n hashes in p->h (malloc'd) sorted and made distinct, as policy_prints() gives. */
void	policy_prints_finish(struct policy_prints *p, size_t n);
/* The secret part of an advisory's text: of a patch, the added lines
 * that are new (not moved or re-indented context or removed lines). */
void	policy_secret_text(const char *text, size_t len, struct buf *out);
/* What the patches in text show of the public tree: their context and
 * removed lines.  A word run found there is never secret. */
void	policy_patch_public(const char *text, size_t len, struct buf *out);

/* What the milter must do. */
enum policy_verdict {
	POLICY_PASS = 0,	/* accept untouched */
	POLICY_REJECT,		/* 5xx with reply */
	POLICY_TEMPFAIL,	/* 4xx with reply */
	POLICY_FANOUT,		/* rule 1: register, queue copies, edit envelope */
	POLICY_HOLD,		/* rule 2: store and discard */
	POLICY_DISCUSS,		/* a post to the members' discussion list:
				   queue copies, edit envelope */
};

struct policy_envelope {
	const char *sender;
	const char *const *rcpts;
	size_t	n_rcpts;
};

/* Read-only view of the advisory registry (NULL: none registered). */
struct policy_advisory {
	const char *id;
	time_t	embargo;		/* 0 when public */
	int	revision;
};

/*
 * The registry as policy_decide() reads it: lookups only, every rule is
 * policy/'s (the leak guard's in match.c).  Each call returns 0, or a
 * negative EM_E* with its reason in err (naming the database) when the
 * registry cannot be read: the decision is then 451 4.3.0, never a pass,
 * a registration or "quotes nothing" (SPEC 9).
 */
struct policy_view {
	/* *out: the advisory, or NULL when it was never registered; it
	 * stays good until the next lookup. */
	int	(*lookup)(void *ctx, const char *id,
	    const struct policy_advisory **out, struct em_err *err);
	/* *yes: did the team name the participant block NAME for id? */
	int	(*has_participant)(void *ctx, const char *id, const char *name,
	    bool *yes, struct em_err *err);

	/* The leak guard's lookups (policy_match(), match.h); without
	 * print_filed the guard finds nothing. */
	const void *print_key;		/* the fingerprints' key */
	size_t	print_key_len;
	/* *none: nothing is under embargo at now, known without reading
	 * a text (a filter's answer; false: read it).  May be NULL. */
	int	(*guard_begin)(void *ctx, time_t now, bool *none,
	    struct em_err *err);
	/* The prints (sorted, distinct, as policy_prints() gives) of the
	 * word runs of text that a filter of the runs filed under
	 * advisories under embargo holds: a run it does not hold is filed
	 * under none of them.  EM_ENOTFOUND when no filter can answer now
	 * (every run is looked up then).  May be NULL: the same. */
	int	(*guard_prints)(void *ctx, const char *text, size_t len,
	    time_t now, struct policy_prints *out);
	/* cb gets each advisory id fingerprint h is filed under, if any. */
	int	(*print_filed)(void *ctx, const unsigned char h[8],
	    void (*cb)(const char *id, void *cbctx), void *cbctx,
	    struct em_err *err);
	/* *yes: was h seen in public text? */
	int	(*print_public)(void *ctx, const unsigned char h[8], bool *yes,
	    struct em_err *err);
	void   *ctx;
};

struct policy_decision {
	enum policy_verdict verdict;
	char	rcode[4];		/* "550", "451", ... */
	char	xcode[8];		/* "5.7.1", ... */
	char	reply[512];		/* SMTP reply text, printable ASCII */
	char	event[24];		/* audit event: received, rejected, ... */
	char	reason[640];		/* why, for the log and the audit */
	char	advisory_id[POLICY_ID_MAX];
	time_t	embargo;		/* 0 when none */
	bool	embargoed;		/* FANOUT: the advisory is under embargo */
	bool	embargo_kept;		/* ... by its registered date: the post
					   had no marker */
	bool	is_team;		/* the sender is the team */
	bool	plain;			/* PASS of mail that concerns no
					   advisory: no id registered, no
					   marker, quotes none (SPEC 5) */
};

/* A notice from the list to the team: ids, dates, counts, never text. */
struct policy_notice {
	const char *from;
	const char *to;
	const char *subject;
	const char *message_id;		/* without <> */
	time_t	date;
	const char *body;		/* UTF-8 text */
	const char *audit_head;		/* "seq:sha256", or NULL (SPEC 8) */
};

void	policy_build_notice(const struct policy_notice *n, struct buf *out);
/* The same text as a MIME entity alone (headers Content-*), for a copy. */
void	policy_build_text(const char *body, struct buf *out);

void	policy_decide(const struct config *cfg, const struct facts *f,
	    const struct policy_envelope *env, const struct policy_view *view,
	    time_t now, struct policy_decision *d);
const char *policy_verdict_name(enum policy_verdict v);
/* The decision on a message that could not be read: rc and its reason
 * from policy_read() or keys_read_crypt(). */
void	policy_unreadable(int rc, const char *why, struct policy_decision *d);
/* timeline.c: the suggested disclosure timeline for a report (SPEC 6). */
struct policy_timeline {
	time_t	reported;
	time_t	predisclosure;		/* the advisory to the list */
	time_t	public_at;		/* the public release */
	time_t	asked;			/* the discoverer's date, 0 when none */
	char	note[300];		/* what was honoured or capped */
};
void	policy_timeline(const struct config *cfg, time_t reported, time_t asked,
	    struct policy_timeline *t);
/* The default public release of an advisory sent to the list then. */
time_t	policy_public_default(const struct config *cfg, time_t predisclosure);

/* The decision on a message (or its header) larger than its ceiling. */
void	policy_oversize(bool header, size_t limit, struct policy_decision *d);

#endif
