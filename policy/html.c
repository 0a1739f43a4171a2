/*
 * html.c - HTML read as text: tags dropped, entities decoded
 *
 * A leak through an HTML part is still a leak, so HTML is reduced to the
 * text a reader sees.  Block-level tags end a line, so that a quoted
 * advisory keeps its lines; script and style contents are dropped.  This
 * is no renderer: it only has to keep every visible line comparable.
 */

/* System library. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Application-specific. */
#include "policy.h"

/* tag_breaks_line - does this tag start a new line of visible text */

static bool
tag_breaks_line(const char *name, size_t n)
{
	static const char *const blocks[] = {
		"br", "p", "div", "tr", "li", "pre", "blockquote", "h1", "h2",
		"h3", "h4", "h5", "h6", "table", "hr", "ul", "ol", "dd", "dt",
		NULL
	};

	for (size_t i = 0; blocks[i] != NULL; i++)
		if (strlen(blocks[i]) == n && strncasecmp(name, blocks[i], n) == 0)
			return true;
	return false;
}

/* put_utf8 - append one code point as UTF-8 */

static void
put_utf8(struct buf *out, unsigned long cp)
{
	char b[4];
	size_t n;

	if (cp == 0 || cp > 0x10FFFF)
		cp = '?';
	if (cp < 0x80) {
		b[0] = (char)cp; n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F)); n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
	}
	buf_append(out, b, n);
}

/* entity - decode one "&...;" at p; returns bytes consumed (0: none) */

static size_t
entity(const char *p, size_t len, struct buf *out)
{
	static const struct { const char *name; unsigned long cp; } named[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
		{ "apos", '\'' }, { "nbsp", ' ' }, { NULL, 0 }
	};
	size_t i = 1;

	while (i < len && i < 12 && p[i] != ';')
		i++;
	if (i >= len || p[i] != ';')
		return 0;
	if (p[1] == '#') {
		unsigned long cp = 0;
		bool hex = i > 2 && (p[2] == 'x' || p[2] == 'X');

		for (size_t k = hex ? 3 : 2; k < i; k++) {
			int c = (unsigned char)p[k];

			if (hex && isxdigit(c))
				cp = cp * 16 + (unsigned long)(isdigit(c) ? c - '0' :
				    tolower(c) - 'a' + 10);
			else if (!hex && isdigit(c))
				cp = cp * 10 + (unsigned long)(c - '0');
			else
				return 0;
		}
		put_utf8(out, cp);
		return i + 1;
	}
	for (size_t k = 0; named[k].name != NULL; k++)
		if (strlen(named[k].name) == i - 1 &&
		    strncasecmp(p + 1, named[k].name, i - 1) == 0) {
			put_utf8(out, named[k].cp);
			return i + 1;
		}
	return 0;
}

/* skip_raw - skip script/style contents up to the closing tag */

static size_t
skip_raw(const char *h, size_t len, size_t i, const char *name)
{
	size_t n = strlen(name);

	for (; i + n + 2 < len; i++)
		if (h[i] == '<' && h[i + 1] == '/' &&
		    strncasecmp(h + i + 2, name, n) == 0)
			return i;
	return len;
}

/* policy_html_to_text - visible text of an HTML document */

void
policy_html_to_text(const char *h, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		if (h[i] == '<') {
			size_t j = i + 1, ns, ne;

			if (j < len && h[j] == '/')
				j++;
			ns = j;
			while (j < len && (isalnum((unsigned char)h[j]) || h[j] == '!'))
				j++;
			ne = j;
			while (j < len && h[j] != '>')
				j++;
			if (tag_breaks_line(h + ns, ne - ns))
				buf_append(out, "\n", 1);
			i = j < len ? j + 1 : len;
			if (h[ns - 1] != '/' && ((ne - ns == 6 &&
			    strncasecmp(h + ns, "script", 6) == 0) ||
			    (ne - ns == 5 && strncasecmp(h + ns, "style", 5) == 0)))
				i = skip_raw(h, len, i, ne - ns == 6 ? "script" : "style");
			continue;
		}
		if (h[i] == '&') {
			size_t used = entity(h + i, len - i, out);

			if (used > 0) {
				i += used;
				continue;
			}
		}
		buf_append(out, h + i, 1);
		i++;
	}
}
