/*
 * record.c - what the records machines read take from an advisory's own
 * text (SPEC 6, "Records at the date"): its title, its CVE ids, its
 * version, its issue description and what its version changed
 *
 * Xen's advisories open with a title block ("Xen Security Advisory
 * CVE-2022-33743 / XSA-405", "version 3"), then the title in a paragraph
 * of its own, then sections headed in capitals underlined with '='.  The
 * CVE ids are those the title block names (the advisory's own; the body
 * may name others' CVEs); the description is ISSUE DESCRIPTION's text;
 * the change is the first paragraph of "UPDATES IN VERSION N".  A
 * clearsigned text's armour header is skipped, its dash-escaped lines
 * ("- -----") read as written, and the signature ends the text.
 *
 * Purity: text in, a record out; nothing else.  What is missing is
 * empty (the caller says what it needs), never made up.
 */

/* System library. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Application-specific. */
#include "match.h"
#include "policy_int.h"

/* blank_line - only white space */

static bool
blank_line(const char *p, const char *e)
{
	for (; p < e; p++)
		if (!isspace((unsigned char)*p))
			return false;
	return true;
}

/* utf8_whole - a buffer cut at a ceiling: a UTF-8 sequence the cut left
 * incomplete at its end taken off (JSON readers refuse half a character) */

static void
utf8_whole(struct buf *b)
{
	size_t lead = b->len, want;
	unsigned char c;

	while (lead > 0 && ((unsigned char)b->data[lead - 1] & 0xC0) == 0x80 &&
	    b->len - lead < 3)
		lead--;
	if (lead == 0)
		return;
	c = (unsigned char)b->data[lead - 1];
	want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	if (b->len - (lead - 1) < want) {
		b->len = lead - 1;
		b->data[b->len] = '\0';
	}
}

/* squeeze - (p, n) appended to out with each run of white space one
 * space, and no space at either end; bounded by cap */

static void
squeeze(struct buf *out, const char *p, size_t n, size_t cap)
{
	bool space = out->len > 0;
	size_t i;

	for (i = 0; i < n && out->len < cap; i++) {
		if (isspace((unsigned char)p[i])) {
			space = out->len > 0;
			continue;
		}
		if (space)
			buf_append(out, " ", 1);
		space = false;
		buf_append(out, p + i, 1);
	}
	if (i < n)
		utf8_whole(out);
}

/* cves - the CVE ids in (p, n), in order, each once, into r */

static void
cves(const char *p, size_t n, struct policy_record *r)
{
	for (size_t i = 0; i + 13 <= n; i++) {
		size_t j = i + 4, d = 0;

		if (strncmp(p + i, "CVE-", 4) != 0 || (i > 0 &&
		    isalnum((unsigned char)p[i - 1])))
			continue;
		while (j < n && isdigit((unsigned char)p[j]) && d < 4) {
			j++;
			d++;
		}
		if (d != 4 || j >= n || p[j] != '-')
			continue;
		j++;
		d = 0;
		while (j < n && isdigit((unsigned char)p[j]) && d < 12) {
			j++;
			d++;
		}
		if (d < 4 || (j < n && isalnum((unsigned char)p[j])))
			continue;
		char id[POLICY_CVE_MAX];
		bool seen = false;

		(void)snprintf(id, sizeof(id), "%.*s", (int)(j - i), p + i);
		for (size_t k = 0; k < r->n_cves; k++)
			seen = seen || strcmp(r->cves[k], id) == 0;
		if (!seen && r->n_cves < POLICY_CVES_MAX)
			memcpy(r->cves[r->n_cves++], id, sizeof(id));
		i = j - 1;
	}
}

/* struct sect - what the sections give */
struct sect {
	struct policy_record *r;
	char	update[POLICY_HEADING_MAX];	/* "UPDATES IN VERSION N" */
	bool	clearsigned;			/* lines dash-escaped */
};

/* unescape_line - a line as written: in a clearsigned text, "- " taken
 * off (RFC 4880 7.1) */

static void
unescape_line(struct buf *out, const char *p, const char *e, bool clear)
{
	if (clear && e - p >= 2 && p[0] == '-' && p[1] == ' ')
		p += 2;
	buf_append(out, p, (size_t)(e - p));
	buf_append(out, "\n", 1);
}

/* body - a section's lines after its heading and underline, as written,
 * without blank lines at either end, into out (bounded) */

static void
body(const char *p, size_t n, struct buf *out, size_t cap, bool first_para,
    bool clear)
{
	const char *end = p + n, *e;
	int skip = 2;
	bool started = false;
	size_t keep = 0;

	for (; p < end && out->len < cap; p = e < end ? e + 1 : end) {
		e = policy_line_end(p, end);
		if (skip > 0) {
			skip--;
			continue;
		}
		if (blank_line(p, e)) {
			if (started && first_para)
				break;
			if (started)
				buf_append(out, "\n", 1);
			continue;
		}
		started = true;
		unescape_line(out, p, e, clear);
		keep = out->len;
	}
	if (out->data != NULL) {	/* no blank lines at the end */
		out->len = keep;
		out->data[out->len] = '\0';
	}
}

/* each_section - policy_sections_each()'s callback */

static void
each_section(const char *heading, bool standard, const char *p, size_t n,
    void *ctx)
{
	struct sect *s = ctx;
	struct buf b, q;

	(void)standard;
	if (strcmp(heading, "ISSUE DESCRIPTION") == 0 &&
	    s->r->details.len == 0) {
		body(p, n, &s->r->details, POLICY_RECORD_TEXT_MAX, false,
		    s->clearsigned);
	} else if (strcmp(heading, s->update) == 0 && s->r->update[0] == '\0') {
		buf_init(&b);
		buf_init(&q);
		body(p, n, &b, POLICY_RECORD_TEXT_MAX, true, s->clearsigned);
		squeeze(&q, b.data != NULL ? b.data : "", b.len,
		    sizeof(s->r->update) - 1);
		(void)snprintf(s->r->update, sizeof(s->r->update), "%s",
		    q.data != NULL ? q.data : "");
		buf_free(&q);
		buf_free(&b);
	}
}

/* title_para - the paragraph that follows the title block (at), unless a
 * heading comes first: the title, its lines joined */

static void
title_para(const char *text, size_t len, size_t at, struct policy_record *r)
{
	const char *p = text + at, *end = text + len, *e;
	bool in_title = false;
	char h[POLICY_HEADING_MAX];
	struct buf t;

	buf_init(&t);
	for (; p < end; p = e < end ? e + 1 : end) {
		e = policy_line_end(p, end);
		if (blank_line(p, e)) {
			if (in_title)
				break;
			continue;
		}
		if (!in_title && policy_heading_at(p, end, h))
			break;
		in_title = true;
		squeeze(&t, p, (size_t)(e - p), sizeof(r->title) - 1);
	}
	(void)snprintf(r->title, sizeof(r->title), "%s",
	    t.data != NULL ? t.data : "");
	buf_free(&t);
}

/* policy_record_read - r from an advisory's text (len bytes) */

void
policy_record_read(const char *text, size_t len, struct policy_record *r)
{
	struct buf block;
	struct sect s;
	size_t at;

	memset(r, 0, sizeof(*r));
	buf_init(&r->details);
	buf_init(&block);
	at = policy_title_block(text, len, &block);
	cves(block.data != NULL ? block.data : "", block.len, r);
	buf_free(&block);
	r->version = policy_revision_find(text);
	title_para(text, len, at, r);
	s.r = r;
	(void)snprintf(s.update, sizeof(s.update), "UPDATES IN VERSION %d",
	    r->version);
	{
		static const char clear[] = "-----BEGIN PGP SIGNED MESSAGE-----";
		size_t i = 0;

		while (i < len && isspace((unsigned char)text[i]))
			i++;
		s.clearsigned = len - i >= sizeof(clear) - 1 &&
		    memcmp(text + i, clear, sizeof(clear) - 1) == 0;
	}
	policy_sections_each(text, len, each_section, &s);
	if (r->details.data == NULL)
		buf_append(&r->details, "", 0);
}

/* policy_record_free - what policy_record_read() allocated */

void
policy_record_free(struct policy_record *r)
{
	buf_free(&r->details);
}
