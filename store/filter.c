/*
 * filter.c - the leak guard's filter: the word runs of the advisories
 * under embargo, in memory, under a fast keyed hash (see view.h)
 *
 * A run whose words are not all among the words of the filter's runs
 * cannot be one of them: the walk tests each word once against the set
 * of those words (two bits a word of 16 KiB, policy_words in prints.c,
 * under a key of its own) and hands on only runs made of words it may
 * hold.  Ordinary mail shares few four-word runs of words with the
 * advisories (a 200 KB changelog against 200 advisories: none in 24,787;
 * against the vocabulary of 400 manual pages, one in five).  Each run
 * handed on is hashed once (XXH3 of its bytes, as the walk
 * lays them out, under a random secret made at start that never leaves
 * memory), probed in two Bloom filters (below: a small one that stays in
 * the processor's cache, then one of 32 to 40 bits a run; an exact set
 * of 64-bit hashes for 200 advisories did not stay, and its probes were
 * a sixth of the daemon's time).  A run that
 * misses costs nothing more; only a hit (one in about two thousand is a
 * false one) is hashed with the store's HMAC key and looked up, as the
 * full guard does for every run.
 *
 * The filter answers only while it covers every advisory under embargo:
 * "covered" means every post of it was read into the set.  The store's
 * embargo epoch moves with every write of an advisory under embargo; when
 * it has moved since the filter last looked, the filter walks the
 * registry once, and an advisory under embargo it does not cover sends
 * every message to the full guard until a rebuild (outbox/guard.c) covers
 * it.  A false hit costs an HMAC; a miss where the full guard would have
 * found a run is what the cover rule and the rebuild's check against the
 * stored prints rule out.
 *
 * Nothing a post adds is ever lost to a rebuild: the filter exists (empty,
 * covering nothing) from store_filter_enable() on, each post's runs go
 * into it and into the one being built, and a new one starts with every
 * run of the one in use (a post whose transaction is still open when the
 * rebuild reads the store is in neither the store it reads nor its own
 * reading).  A rebuild thus adds coverage, never takes runs away: runs of
 * advisories made public stay, and cost only a false hit, until a restart.
 *
 * Locks: lock (read: each message; write: a post's add, the swap) guards
 * cur; build_lock guards next, which only the builder and a post's add
 * touch, so that a rebuild reading a large post never stops the messages.
 */

/* System library. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* Utility library: xxhash.h's own code, inlined (a run is some 25 bytes:
 * the call was a fifth of the hash's time). */
#define XXH_INLINE_ALL
#include <xxhash.h>

/* Application-specific. */
#include "view.h"
#include "../util/sha256.h"

struct set {
	uint64_t *v;		/* 0: empty */
	size_t	cap;		/* a power of two */
	size_t	n;
};

#define BLOOM_K		5	/* bits a run */
#define BLOOM_PER	32	/* bits of filter a run, at least */
#define BLOOM_MIN	((size_t)1 << 10)	/* words, at least */

#define BLOOM1_K	3	/* bits a run in the first filter */
#define BLOOM1_MAX	((size_t)4096)	/* its words, at most (32 KiB) */

struct bloom {
	uint64_t *bits;
	size_t	words;		/* of 64 bits */
	uint64_t *first;	/* the first filter: small, so in the cache */
	size_t	first_words;
	uint64_t *all;		/* every run hash put in, to grow by */
	size_t	n, cap;
};

/*
 * The filter's key: a random secret for XXH3 (its keyed form).  The
 * filter only spares lookups, so a keyed hash built for speed serves:
 * text made to hit it where it holds nothing costs at most what the full
 * guard costs (an HMAC and a lookup a run), never a miss.  The secret
 * keeps such text from being made without it.
 */
#define FILTER_SECRET	192

struct store_filter {
	unsigned char secret[FILTER_SECRET];
	struct bloom runs;
	struct policy_words words;	/* the runs' words (prints.c) */
	struct strv covered;	/* advisory ids */
	struct set prints;	/* while building: the HMAC of every run read */
};

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;
static struct store_filter *cur;	/* NULL: not built yet */
static struct store_filter *next;	/* being built: adds go here too */
static bool enabled;
static atomic_uint_least64_t checked;	/* epoch + 1 last found covered */
static atomic_uint embargoed;		/* advisories under embargo then */
static atomic_bool wanted;		/* a rebuild is asked for */

/* set_add - h into s, growing it past half full */

static void
set_add(struct set *s, uint64_t h)
{
	h = h ? h : 1;
	if ((s->n + 1) * 2 > s->cap) {
		struct set g = { NULL, s->cap ? s->cap * 2 : 1024, 0 };

		g.v = xcalloc(g.cap, sizeof(*g.v));
		for (size_t i = 0; i < s->cap; i++)
			if (s->v[i])
				set_add(&g, s->v[i]);
		free(s->v);
		*s = g;
	}
	for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->v[i] == h)
			return;
		if (s->v[i] == 0) {
			s->v[i] = h;
			s->n++;
			return;
		}
	}
}

/* set_has - is h in s? */

static bool
set_has(const struct set *s, uint64_t h)
{
	h = h ? h : 1;
	if (s->cap == 0)
		return false;
	for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->v[i] == h)
			return true;
		if (s->v[i] == 0)
			return false;
	}
}

/*
 * Two Bloom filters, each blocked (a run's bits all in one 64-bit word:
 * one load, one cache line, a probe).  The first is at most 32 KiB, so
 * it stays in the processor's cache while a message is walked, and
 * stops some nineteen runs in twenty; the second, of BLOOM_PER bits a
 * run, is read for the rest (its words, spread over 140 KiB for 200
 * advisories, were most of the filter's cost: each a miss in a cache the
 * MTA's processes share).  Both hold every run: a run in the set is
 * never missed; a false hit needs both to be wrong.
 */

/* bloom_mask - k bits of h, each from six of its low bits */

static inline uint64_t
bloom_mask(uint64_t h, size_t k)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < k; i++)
		mask |= (uint64_t)1 << ((h >> (6 * i)) & 63);
	return mask;
}

/* bloom_at - the word of n words that h's bits are in: from h's high
 * half, scaled (n need not be a power of two) */

static inline size_t
bloom_at(uint64_t h, size_t n)
{
	return (size_t)(((h >> 32) * (uint64_t)n) >> 32);
}

/* bloom_h1 - h mixed again, for the first filter */

static inline uint64_t
bloom_h1(uint64_t h)
{
	return (h ^ h >> 31) * 0x9e3779b97f4a7c15u;
}

/* bloom_set - h's bits in both filters of b */

static void
bloom_set(struct bloom *b, uint64_t h)
{
	uint64_t h1 = bloom_h1(h);

	b->bits[bloom_at(h, b->words)] |= bloom_mask(h, BLOOM_K);
	b->first[bloom_at(h1, b->first_words)] |= bloom_mask(h1 >> 8, BLOOM1_K);
}

/* bloom_add - h into b, the filters made larger by a quarter (and filled
 * again) once the second has fewer than BLOOM_PER bits a run */

static void
bloom_add(struct bloom *b, uint64_t h)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1024;
		b->all = xrealloc(b->all, b->cap * sizeof(*b->all));
	}
	b->all[b->n++] = h;
	if (b->n * BLOOM_PER > b->words * 64) {
		size_t words = (b->n * BLOOM_PER / 64) * 5 / 4 + 1;

		free(b->bits);
		free(b->first);
		b->words = words > BLOOM_MIN ? words : BLOOM_MIN;
		b->first_words = b->words / 2 < BLOOM1_MAX ? b->words / 2 :
		    BLOOM1_MAX;
		b->bits = xcalloc(b->words, sizeof(*b->bits));
		b->first = xcalloc(b->first_words, sizeof(*b->first));
		for (size_t i = 0; i < b->n; i++)
			bloom_set(b, b->all[i]);
		return;
	}
	bloom_set(b, h);
}

/* bloom_has - may h be in b? */

static inline bool
bloom_has(const struct bloom *b, uint64_t h)
{
	uint64_t h1 = bloom_h1(h), m1 = bloom_mask(h1 >> 8, BLOOM1_K), m;

	if (b->words == 0 ||
	    (b->first[bloom_at(h1, b->first_words)] & m1) != m1)
		return false;
	m = bloom_mask(h, BLOOM_K);
	return (b->bits[bloom_at(h, b->words)] & m) == m;
}

/* run_hash - a run's hash under f's secret */

static inline uint64_t
run_hash(const struct store_filter *f, const char *run, size_t n)
{
	return XXH3_64bits_withSecret(run, n, f->secret, sizeof(f->secret));
}

struct adding { struct store_filter *f; const unsigned char *hkey; };

/* add_run - policy_walk() work: a run into the set (and, building, its
 * HMAC into the prints read) */

static void
add_run(size_t line, const char *run, size_t n, void *ctx)
{
	struct adding *a = ctx;
	unsigned char p[8];
	uint64_t v;

	(void)line;
	bloom_add(&a->f->runs, run_hash(a->f, run, n));
	policy_words_add(&a->f->words, run, n);
	if (a->hkey == NULL)
		return;
	hmac_sha256_8(a->hkey, 32, run, n, p);
	memcpy(&v, p, sizeof(v));
	set_add(&a->f->prints, v);
}

/* add_text - the runs of an advisory's secret text into f */

static void
add_text(struct store_filter *f, const unsigned char *hkey, const char *text,
    size_t len)
{
	struct adding a = { f, hkey };
	struct policy_walker w = { add_run, &a, NULL };
	struct buf secret;

	buf_init(&secret);
	policy_secret_text(text, len, &secret);
	policy_walk(secret.data ? secret.data : "", secret.len, &w);
	buf_free(&secret);
}

/* covers - does f cover advisory id? */

static bool
covers(const struct store_filter *f, const char *id)
{
	for (size_t i = 0; i < f->covered.n; i++)
		if (strcmp(f->covered.v[i], id) == 0)
			return true;
	return false;
}

/* filter_new - a filter covering nothing, under secret (XXH3's) and
 * words_key (the words set's), empty */

static struct store_filter *
filter_new(const unsigned char *secret, uint64_t words_key)
{
	struct store_filter *f = xcalloc(1, sizeof(*f));

	memcpy(f->secret, secret, sizeof(f->secret));
	f->words.key = words_key;
	return f;
}

/* filter_next - a filter covering nothing, with of's secret and every
 * run of of */

static struct store_filter *
filter_next(const struct store_filter *of)
{
	struct store_filter *f = filter_new(of->secret, of->words.key);

	for (size_t i = 0; i < of->runs.n; i++)
		bloom_add(&f->runs, of->runs.all[i]);
	f->words = of->words;	/* the same key: the same bits */
	return f;
}

/* filter_free - a filter gone, its key wiped */

static void
filter_free(struct store_filter *f)
{
	if (f == NULL)
		return;
	explicit_bzero(f->secret, sizeof(f->secret));
	explicit_bzero(&f->words, sizeof(f->words));
	free(f->runs.bits);
	free(f->runs.first);
	free(f->runs.all);
	free(f->prints.v);
	strv_free(&f->covered);
	free(f);
}

/* store_filter_enable - this process keeps the filter (the daemon) */

int
store_filter_enable(struct em_err *err)
{
	/* XXH3's secret and the words' key: each random, neither read
	 * for the other. */
	struct {
		unsigned char secret[FILTER_SECRET];
		uint64_t words_key;
	} r;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return em_fail(err, EM_EIO, "the kernel gives no random bytes "
		    "for the leak guard's filter: %s", strerror(errno));
	pthread_rwlock_wrlock(&lock);
	enabled = true;
	if (cur == NULL)	/* covers nothing until built */
		cur = filter_new(r.secret, r.words_key);
	explicit_bzero(&r, sizeof(r));
	atomic_store(&wanted, true);
	pthread_rwlock_unlock(&lock);
	return EM_OK;
}

/* store_filter_disable - the filter dropped (at exit) */

void
store_filter_disable(void)
{
	pthread_rwlock_wrlock(&lock);
	pthread_mutex_lock(&build_lock);
	enabled = false;
	filter_free(cur);
	filter_free(next);
	cur = next = NULL;
	atomic_store(&checked, 0);
	pthread_mutex_unlock(&build_lock);
	pthread_rwlock_unlock(&lock);
}

/* add_post - a post into f: its runs, and, its advisory's first, its cover */

static void
add_post(struct store_filter *f, const char *advisory, const char *text,
    size_t len, bool first_post)
{
	add_text(f, NULL, text, len);
	if (covers(f, advisory))
		return;
	if (first_post)
		strv_push(&f->covered, advisory);
	else
		atomic_store(&wanted, true);
}

/* store_filter_add - a post's text, filed under advisory (see view.h):
 * into the filter in use, then into the one being built (one that began
 * in between has it twice: no harm) */

void
store_filter_add(const char *advisory, const char *text, size_t len,
    bool first_post)
{
	pthread_rwlock_wrlock(&lock);
	if (enabled && cur != NULL)
		add_post(cur, advisory, text, len, first_post);
	pthread_rwlock_unlock(&lock);
	pthread_mutex_lock(&build_lock);
	if (enabled && next != NULL)
		add_post(next, advisory, text, len, first_post);
	pthread_mutex_unlock(&build_lock);
}

/* store_filter_wanted - is a rebuild asked for (and cleared)? */

bool
store_filter_wanted(void)
{
	return enabled && atomic_exchange(&wanted, false);
}

/* store_filter_rebuild - ask for a rebuild (a reload) */

void
store_filter_rebuild(void)
{
	atomic_store(&wanted, true);
}

/* store_filter_begin - a new filter to build (NULL: not enabled) */

struct store_filter *
store_filter_begin(void)
{
	struct store_filter *f = NULL;

	pthread_rwlock_rdlock(&lock);
	pthread_mutex_lock(&build_lock);
	if (enabled) {
		filter_free(next);
		next = f = filter_next(cur);
	}
	pthread_mutex_unlock(&build_lock);
	pthread_rwlock_unlock(&lock);
	return f;
}

/* store_filter_build_text - a post of advisory, read while building */

void
store_filter_build_text(struct store_filter *f, const unsigned char *hkey,
    const char *text, size_t len)
{
	pthread_mutex_lock(&build_lock);
	add_text(f, hkey, text, len);
	pthread_mutex_unlock(&build_lock);
}

/* store_filter_build_covered - every post of advisory was read */

void
store_filter_build_covered(struct store_filter *f, const char *advisory)
{
	pthread_mutex_lock(&build_lock);
	if (!covers(f, advisory))
		strv_push(&f->covered, advisory);
	pthread_mutex_unlock(&build_lock);
}

struct verify { struct store_filter *f; struct strv bad; };

/* verify_cb - a stored print of a covered advisory must be a run read */

static int
verify_cb(const unsigned char h[8], const char *id, void *ctx)
{
	struct verify *v = ctx;
	uint64_t p;

	memcpy(&p, h, sizeof(p));
	if (!covers(v->f, id) || set_has(&v->f->prints, p))
		return 0;
	for (size_t i = 0; i < v->bad.n; i++)
		if (strcmp(v->bad.v[i], id) == 0)
			return 0;
	strv_push(&v->bad, id);
	return 0;
}

/* uncover - advisory id no longer counts as covered by f */

static void
uncover(struct store_filter *f, const char *id)
{
	for (size_t i = 0; i < f->covered.n; i++)
		if (strcmp(f->covered.v[i], id) == 0) {
			free(f->covered.v[i]);
			f->covered.v[i] = f->covered.v[--f->covered.n];
			return;
		}
}

/*
 * store_filter_finish - the filter built in t's view checked against the
 * stored prints, then used from now on: a covered advisory with a print
 * that no post read gives is not covered after all (the full guard
 * answers while it is under embargo).  How many such advisories into
 * *uncovered, the first in bad.
 */
int
store_filter_finish(struct store_filter *f, struct store_txn *t,
    size_t *uncovered, char *bad, size_t badsz)
{
	struct verify v = { f, { NULL, 0 } };
	int rc;

	/* Only the one being built is locked: messages go on. */
	pthread_mutex_lock(&build_lock);
	rc = store_print_each(t, verify_cb, &v);
	pthread_mutex_unlock(&build_lock);
	pthread_rwlock_wrlock(&lock);
	pthread_mutex_lock(&build_lock);
	for (size_t i = 0; i < v.bad.n; i++)
		uncover(f, v.bad.v[i]);
	*uncovered = v.bad.n;
	(void)snprintf(bad, badsz, "%s", v.bad.n ? v.bad.v[0] : "");
	strv_free(&v.bad);
	free(f->prints.v);
	memset(&f->prints, 0, sizeof(f->prints));
	if (next == f)
		next = NULL;
	if (rc == EM_OK && enabled) {
		filter_free(cur);
		cur = f;
		atomic_store(&checked, 0);
	} else {
		filter_free(f);
	}
	pthread_mutex_unlock(&build_lock);
	pthread_rwlock_unlock(&lock);
	return rc;
}

/* embargoed_cb - an advisory under embargo the filter must cover */

struct walk_adv { time_t now; unsigned n; bool all; };

static int
embargoed_cb(const struct store_advisory *a, void *ctx)
{
	struct walk_adv *w = ctx;

	if (a->state != STORE_ADV_EMBARGOED || a->embargo <= w->now)
		return 0;
	w->n++;
	w->all &= covers(cur, a->id);
	return 0;
}

/*
 * usable - under the read lock: may the filter answer for t's view at
 * now?  The registry is walked only when the epoch moved since the last
 * look; an advisory under embargo it does not cover asks for a rebuild.
 */
static bool
usable(struct store_txn *t, time_t now)
{
	struct walk_adv w = { now, 0, true };
	struct em_err err;
	uint64_t e;

	if (!enabled || cur == NULL)
		return false;
	/* An epoch that cannot be read: the full guard answers (and says). */
	if (store_embargo_epoch(t, &e, &err) < 0)
		return false;
	e++;
	if (atomic_load(&checked) == e)
		return true;
	if (store_adv_each(t, embargoed_cb, &w, &err) < 0)
		return false;
	if (!w.all) {
		atomic_store(&wanted, true);
		return false;
	}
	atomic_store(&embargoed, w.n);
	atomic_store(&checked, e);
	return true;
}

/* store_filter_none - does the filter know nothing is under embargo in
 * t's view at now (so that there is nothing to read for)? */

bool
store_filter_none(struct store_txn *t, time_t now)
{
	bool none;

	pthread_rwlock_rdlock(&lock);
	none = usable(t, now) && atomic_load(&embargoed) == 0;
	pthread_rwlock_unlock(&lock);
	return none;
}

struct hits { const struct store_filter *f; const unsigned char *hkey;
    unsigned char (*h)[8]; size_t n, cap; };

/* hit_run - policy_walk() work: a run the filter holds, HMAC'd */

static void
hit_run(size_t line, const char *run, size_t n, void *ctx)
{
	struct hits *x = ctx;

	(void)line;
	if (!bloom_has(&x->f->runs, run_hash(x->f, run, n)))
		return;
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		x->h = xrealloc(x->h, x->cap * 8);
	}
	hmac_sha256_8(x->hkey, 32, run, n, x->h[x->n++]);
}

/*
 * store_filter_prints - the prints (sorted, distinct) of the runs of
 * text the filter holds; EM_ENOTFOUND when it cannot answer for t's view
 * (the caller runs the full guard)
 */
int
store_filter_prints(struct store_txn *t, const unsigned char *hkey,
    time_t now, const char *text, size_t len, struct policy_prints *out)
{
	struct hits x = { NULL, hkey, NULL, 0, 0 };
	struct policy_walker w = { hit_run, &x, NULL };

	out->h = NULL;
	out->n = 0;
	pthread_rwlock_rdlock(&lock);
	if (!usable(t, now)) {
		pthread_rwlock_unlock(&lock);
		return EM_ENOTFOUND;
	}
	/* Nothing under embargo: nothing to find, nothing to read. */
	if (atomic_load(&embargoed) > 0) {
		/* The first filter asked for whole before the walk probes
		 * it at random: between two messages the MTA's processes
		 * push it out of this processor's caches, and a probe that
		 * waits for memory was most of the filter's cost. */
		for (size_t i = 0; i < cur->runs.first_words; i += 8)
			__builtin_prefetch(cur->runs.first + i, 0, 3);
		x.f = cur;
		w.words = &cur->words;
		policy_walk(text, len, &w);
	}
	pthread_rwlock_unlock(&lock);
	out->h = x.h;
	policy_prints_finish(out, x.n);
	return EM_OK;
}
