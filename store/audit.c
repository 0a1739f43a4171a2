/*
 * audit.c - the audit log: JSON lines, each carrying the SHA-256 of the
 * previous one, so that a removed or edited record breaks the chain
 */

/* System library. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include "store_int.h"
#include "../util/emtime.h"
#include "../util/sha256.h"

/*
 * A record is one JSON line that ends with ,"hash":"<64 hex>"} where the
 * hash covers the line up to that field, closed with "}".  These two give
 * the hash and the length of what it covers; a line too short for that
 * ending is no record (AUDIT_TAIL bytes of ending, and "{}" at least).
 */
#define AUDIT_TAIL	(sizeof(",\"hash\":\"\"}") - 1 + 64)
#define AUDIT_HASH_AT(n)	((n) - 2 - 64)	/* the hex, before "} */

/* audit_hash_of - the hash a record line carries; false if it is too short */

static bool
audit_hash_of(const char *json, size_t n, char hash[SHA256_HEX])
{
	if (n < AUDIT_TAIL + 2)
		return false;
	memcpy(hash, json + AUDIT_HASH_AT(n), 64);
	hash[64] = '\0';
	return true;
}

/* audit_last - the last record's seq and hash ("" and 0 when empty) */

static int
audit_last(struct store_txn *t, uint64_t *seq, char hash[SHA256_HEX])
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	*seq = 0;
	hash[0] = '\0';
	if (mdb_cursor_open(t->txn, t->s->audit, &c) != 0)
		return EM_ESTORE;
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	/* A last record that is no record must not restart the chain. */
	if (rc == 0 && (k.mv_size != 8 ||
	    !audit_hash_of(v.mv_data, v.mv_size, hash)))
		rc = MDB_CORRUPTED;
	else if (rc == 0)
		*seq = st_from_be64(k.mv_data);
	mdb_cursor_close(c);
	return rc == 0 || rc == MDB_NOTFOUND ? EM_OK : EM_ESTORE;
}

/* store_audit_head - the head of the chain, for notices and anchors */

int
store_audit_head(struct store_txn *t, uint64_t *seq, char hash[65])
{
	return audit_last(t, seq, hash);
}

/* store_audit_hash_at - the hash one record carries */

int
store_audit_hash_at(struct store_txn *t, uint64_t seq, char hash[65])
{
	unsigned char k[8];
	MDB_val key = { 8, k }, v;
	int rc;

	st_be64(seq, k);
	if ((rc = mdb_get(t->txn, t->s->audit, &key, &v)) == MDB_NOTFOUND)
		return EM_ENOTFOUND;
	if (rc != 0 || !audit_hash_of(v.mv_data, v.mv_size, hash))
		return EM_ESTORE;
	return EM_OK;
}

/* audit_time - a time as JSON */

static void
audit_time(struct buf *b, const char *name, time_t t)
{
	char ts[EM_TIME_BUFSZ];

	buf_appendf(b, ",\"%s\":", name);
	if (t == 0)
		buf_appends(b, "null");
	else
		buf_json_str(b, em_time_format_iso(t, ts));
}

/* audit_str - a string field as JSON */

static void
audit_str(struct buf *b, const char *name, const char *v)
{
	buf_appendf(b, ",\"%s\":", name);
	buf_json_str(b, v && *v ? v : NULL);
}

/* store_audit_append - one record at the end of the chain */

int
store_audit_append(struct store_txn *t, struct store_audit *a,
    struct em_err *err)
{
	char prev[SHA256_HEX], hash[SHA256_HEX], ts[EM_TIME_BUFSZ];
	unsigned char k[8];
	struct buf b;
	uint64_t seq;
	int rc;

	if (audit_last(t, &seq, prev) < 0)
		return em_fail(err, EM_ESTORE, "state store: audit read failed");
	a->seq = seq + 1;
	buf_init(&b);
	buf_appendf(&b, "{\"seq\":%llu,\"time\":", (unsigned long long)a->seq);
	buf_json_str(&b, em_time_format_iso(a->time, ts));
	audit_str(&b, "event", a->event);
	audit_str(&b, "queue_id", a->queue_id);
	audit_str(&b, "message_id", a->message_id);
	audit_str(&b, "sender", a->sender);
	audit_str(&b, "rcpts", a->rcpts);
	audit_str(&b, "advisory", a->advisory);
	buf_appendf(&b, ",\"revision\":%d", a->revision);
	audit_time(&b, "embargo", a->embargo);
	audit_str(&b, "decision", a->decision);
	audit_str(&b, "reason", a->reason);
	audit_str(&b, "keys", a->keys);
	audit_str(&b, "msg_sha256", a->msg_sha256);
	audit_str(&b, "prev", prev);
	/* The hash covers the record as it reads without its own hash. */
	buf_append(&b, "}", 1);
	sha256_hex(b.data, b.len, hash);
	b.len--;
	buf_appendf(&b, ",\"hash\":\"%s\"}", hash);
	st_be64(a->seq, k);
	rc = st_put(t, t->s->audit, k, 8, b.data, b.len, err);
	buf_free(&b);
	return rc;
}

struct audit_each { int (*cb)(uint64_t, const char *, size_t, void *); void *ctx; };

/* audit_each_cb - st_each() for the audit chain: seq and line, then cb */

static int
audit_each_cb(const MDB_val *k, const MDB_val *v, void *ctx, struct em_err *err)
{
	struct audit_each *e = ctx;

	if (k->mv_size != 8)
		return em_fail(err, EM_ESTORE, "state store: a key of %zu bytes "
		    "in database 'audit', where sequence numbers have 8",
		    k->mv_size);
	return st_passed(e->cb(st_from_be64(k->mv_data), v->mv_data, v->mv_size,
	    e->ctx), "audit", err);
}

/* store_audit_each - every record, oldest first */

int
store_audit_each(struct store_txn *t,
    int (*cb)(uint64_t, const char *, size_t, void *), void *ctx,
    struct em_err *err)
{
	struct audit_each e = { cb, ctx };

	return st_each(t, t->s->audit, "audit", audit_each_cb, &e, err);
}

struct verify { char prev[SHA256_HEX]; uint64_t expect, bad, count; };

/* verify_cb - one link of the chain */

static int
verify_cb(uint64_t seq, const char *json, size_t n, void *ctx)
{
	struct verify *v = ctx;
	char want[SHA256_HEX], got[SHA256_HEX], *body, *prevf;
	size_t bn;
	bool ok;

	v->count++;
	if (seq != v->expect || !audit_hash_of(json, n, got)) {
		v->bad = v->expect;
		return 1;
	}
	bn = n - AUDIT_TAIL;
	body = xmalloc(bn + 2);
	memcpy(body, json, bn);
	body[bn] = '}';
	body[bn + 1] = '\0';
	sha256_hex(body, bn + 1, want);
	prevf = strstr(body, ",\"prev\":");
	ok = strcmp(want, got) == 0 && prevf != NULL &&
	    (v->prev[0] == '\0' ? strncmp(prevf, ",\"prev\":null", 12) == 0 :
	    strncmp(prevf + 9, v->prev, 64) == 0);
	free(body);
	if (!ok) {
		v->bad = seq;
		return 1;
	}
	memcpy(v->prev, got, SHA256_HEX);
	v->expect++;
	return 0;
}

/* store_audit_verify - walk the whole chain */

int
store_audit_verify(struct store_txn *t, uint64_t *bad, uint64_t *count)
{
	struct verify v = { "", 1, 0, 0 };

	struct em_err err;

	if (store_audit_each(t, verify_cb, &v, &err) < 0)
		return EM_ESTORE;
	*bad = v.bad;
	*count = v.count;
	return v.bad ? EM_EPARSE : EM_OK;
}
