/*
 * book.c - what the reviewer's pages show, read from the state in one
 * read transaction (see book.h): each advisory, every audit record that
 * names it, its copies and its held postings, and the audit chain's
 * verification.  The audit log is read once for every advisory.
 */

/* System library. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Utility library. */
#include <json-glib/json-glib.h>

/* Application-specific. */
#include "book.h"
#include "../util/emtime.h"

/* page_new - an empty page for id, in the book's order */

static struct book_page *
page_new(struct book *b, const char *id)
{
	struct book_page *p = g_new0(struct book_page, 1);

	(void)g_strlcpy(p->id, id, sizeof(p->id));
	p->ev = g_array_new(false, true, sizeof(struct book_ev));
	p->copies = g_array_new(false, true, sizeof(struct book_copy));
	p->holds = g_array_new(false, true, sizeof(struct store_hold));
	g_hash_table_insert(b->pages, p->id, p);
	g_ptr_array_add(b->order, p);
	return p;
}

/* adv_cb - one registered advisory: its page (all, or the one asked for) */

static int
adv_cb(const struct store_advisory *a, void *ctx)
{
	struct book *b = ctx;
	struct book_page *p;

	if (b->only != NULL && strcmp(b->only, a->id) != 0)
		return 0;
	p = page_new(b, a->id);
	p->known = true;
	p->a = *a;
	return 0;
}

/* str_of - a string member of o, copied ("" when absent or null) */

static char *
str_of(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	if (n == NULL || JSON_NODE_HOLDS_NULL(n) ||
	    json_node_get_value_type(n) != G_TYPE_STRING)
		return g_strdup("");
	return g_strdup(json_node_get_string(n));
}

/* time_of - a time member of o (RFC 3339), 0 when absent */

static time_t
time_of(JsonObject *o, const char *name)
{
	char *s = str_of(o, name);
	time_t t = 0;
	size_t used;

	if (em_time_parse(s, strlen(s), &t, &used) != EM_OK)
		t = 0;
	g_free(s);
	return t;
}

/* parse - one record into jp; bytes that are not UTF-8 (an envelope
 * address of 8-bit mail) read as U+FFFD rather than lose the record */

static bool
parse(JsonParser *jp, const char *json, size_t n)
{
	gchar *valid;
	bool ok;

	if (json_parser_load_from_data(jp, json, (gssize)n, NULL))
		return JSON_NODE_HOLDS_OBJECT(json_parser_get_root(jp));
	valid = g_utf8_make_valid(json, (gssize)n);
	ok = json_parser_load_from_data(jp, valid, -1, NULL) &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(jp));
	g_free(valid);
	return ok;
}

/* audit_cb - one audit record: onto the page of the advisory it names */

static int
audit_cb(uint64_t seq, const char *json, size_t n, void *ctx)
{
	static const char key[] = "\"advisory\":\"";
	struct book *b = ctx;
	const char *at = memmem(json, n, key, sizeof(key) - 1);
	JsonParser *jp;
	JsonObject *o;
	struct book_page *p;
	struct book_ev e = { 0 };
	char *id;

	if (at == NULL)
		return 0;
	jp = json_parser_new();
	if (!parse(jp, json, n)) {
		b->unreadable++;
		g_object_unref(jp);
		return 0;
	}
	o = json_node_get_object(json_parser_get_root(jp));
	id = str_of(o, "advisory");
	if ((p = g_hash_table_lookup(b->pages, id)) == NULL &&
	    (b->only == NULL || strcmp(b->only, id) == 0))
		p = page_new(b, id);	/* named in the log, not registered */
	if (p != NULL) {
		e.seq = seq;
		e.t = time_of(o, "time");
		e.embargo = time_of(o, "embargo");
		e.revision = (int)json_object_get_int_member_with_default(o,
		    "revision", 0);
		e.event = str_of(o, "event");
		e.sender = str_of(o, "sender");
		e.rcpts = str_of(o, "rcpts");
		e.reason = str_of(o, "reason");
		g_array_append_val(p->ev, e);
	}
	g_free(id);
	g_object_unref(jp);
	return 0;
}

/* ob_cb - one copy: onto its advisory's page */

static int
ob_cb(const struct store_outbox *ob, void *ctx)
{
	struct book *b = ctx;
	struct book_page *p;
	struct book_copy c = { 0 };

	if (ob->kind != STORE_OB_COPY ||
	    (p = g_hash_table_lookup(b->pages, ob->advisory)) == NULL)
		return 0;
	c.ob = *ob;
	c.waited = ob->state == STORE_OB_WAITING_KEY;
	g_array_append_val(p->copies, c);
	return 0;
}

/* hold_cb - one held posting: onto its advisory's page */

static int
hold_cb(const struct store_hold *h, void *ctx)
{
	struct book *b = ctx;
	struct book_page *p = g_hash_table_lookup(b->pages, h->advisory);

	if (p != NULL)
		g_array_append_val(p->holds, *h);
	return 0;
}

/* mark_waits - a copy whose recipient's key was missing waited for it */

static void
mark_waits(struct book_page *p)
{
	for (guint i = 0; i < p->ev->len; i++) {
		const struct book_ev *e = &g_array_index(p->ev, struct book_ev, i);

		if (strcmp(e->event, "key-missing") != 0)
			continue;
		for (guint k = 0; k < p->copies->len; k++) {
			struct book_copy *c = &g_array_index(p->copies,
			    struct book_copy, k);

			if (c->ob.revision == e->revision &&
			    strstr(e->rcpts, c->ob.rcpt) != NULL)
				c->waited = true;
		}
	}
}

/* deployments - each page's deployment statement, as registered */

static void
deployments(struct store_txn *t, struct book *b)
{
	for (guint i = 0; i < b->order->len; i++) {
		struct book_page *p = g_ptr_array_index(b->order, i);
		struct strv dep = { NULL, 0 };
		struct em_err err;

		if (store_adv_list_get(t, "deployment", p->id, &dep, &err) < 0)
			(void)g_strlcpy(p->deployment, "cannot be read",
			    sizeof(p->deployment));
		else
			(void)g_strlcpy(p->deployment, dep.n ? dep.v[0] :
			    "not stated", sizeof(p->deployment));
		strv_free(&dep);
		mark_waits(p);
	}
}

/* book_read - see book.h */

int
book_read(struct store *s, const char *only, struct book *b,
    struct em_err *err)
{
	struct store_txn *t;
	int rc;

	memset(b, 0, sizeof(*b));
	b->only = only;
	b->now = time(NULL);
	b->pages = g_hash_table_new(g_str_hash, g_str_equal);
	b->order = g_ptr_array_new();
	if ((rc = store_begin(s, false, &t, err)) < 0)
		return rc;
	rc = store_adv_each(t, adv_cb, b, err);
	if (rc == EM_OK && only != NULL &&
	    g_hash_table_lookup(b->pages, only) == NULL)
		(void)page_new(b, only);
	if (rc == EM_OK)
		rc = store_audit_each(t, audit_cb, b, err);
	if (rc == EM_OK)
		rc = store_ob_each(t, ob_cb, b, err);
	if (rc == EM_OK)
		rc = store_hold_each(t, hold_cb, b, err);
	if (rc == EM_OK) {
		b->chain_ok = store_audit_verify(t, &b->bad, &b->count) == EM_OK;
		(void)store_audit_head(t, &b->seq, b->hash);
		deployments(t, b);
	}
	store_abort(t);
	return rc;
}

/* book_free - everything book_read() made */

void
book_free(struct book *b)
{
	for (guint i = 0; b->order != NULL && i < b->order->len; i++) {
		struct book_page *p = g_ptr_array_index(b->order, i);

		for (guint k = 0; k < p->ev->len; k++) {
			struct book_ev *e = &g_array_index(p->ev, struct book_ev, k);

			g_free(e->event);
			g_free(e->sender);
			g_free(e->rcpts);
			g_free(e->reason);
		}
		g_array_free(p->ev, true);
		g_array_free(p->copies, true);
		g_array_free(p->holds, true);
		g_free(p);
	}
	if (b->order != NULL)
		g_ptr_array_free(b->order, true);
	if (b->pages != NULL)
		g_hash_table_destroy(b->pages);
	memset(b, 0, sizeof(*b));
}
