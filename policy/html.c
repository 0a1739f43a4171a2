/*
 * html.c - HTML read as the text a reader sees, through libxml2
 *
 * A leak through an HTML part is still a leak, so HTML is reduced to its
 * visible text: parsed by libxml2's HTML parser (recovering from broken
 * markup as browsers do, no network, errors silenced), then walked for
 * text, with script, style and the head dropped.  Lines are laid out as a
 * browser lays them: block elements and table rows start lines, table
 * cells and list items are separated, <br> breaks a line, and white space
 * in the source (not in <pre>) is a space, not a line break.  The output
 * only has to keep every visible line comparable to the advisory's.
 */

/* System library. */
#include <string.h>
#include <strings.h>

/* Utility library. */
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

/* Application-specific. */
#include "policy.h"

#define HTML_MAX_DEPTH	256	/* deeper nesting is read as flat text */

enum layout { INLINE, BLOCK, CELL, BREAK, HIDDEN };

/* layout_of - how an element's content is laid out */

static enum layout
layout_of(const char *name)
{
	static const char *const hidden[] = { "script", "style", "head",
	    "template", "title", "noscript", NULL };
	static const char *const blocks[] = { "p", "div", "tr", "li", "pre",
	    "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr",
	    "ul", "ol", "dl", "dd", "dt", "section", "article", "header",
	    "footer", "nav", "aside", "main", "address", "figure",
	    "figcaption", "caption", "thead", "tbody", "tfoot", "form",
	    "fieldset", "center", "body", "html", NULL };

	if (strcasecmp(name, "br") == 0)
		return BREAK;
	if (strcasecmp(name, "td") == 0 || strcasecmp(name, "th") == 0)
		return CELL;
	for (size_t i = 0; hidden[i] != NULL; i++)
		if (strcasecmp(name, hidden[i]) == 0)
			return HIDDEN;
	for (size_t i = 0; blocks[i] != NULL; i++)
		if (strcasecmp(name, blocks[i]) == 0)
			return BLOCK;
	return INLINE;
}

/* newline - end the current line, once */

static void
newline(struct buf *out)
{
	if (out->len > 0 && out->data[out->len - 1] != '\n')
		buf_append(out, "\n", 1);
}

/* space - a word separator, once */

static void
space(struct buf *out)
{
	if (out->len > 0 && out->data[out->len - 1] != '\n' &&
	    out->data[out->len - 1] != ' ')
		buf_append(out, " ", 1);
}

/* text - a text node: source white space is a space, except in <pre> */

static void
text(const char *s, bool pre, struct buf *out)
{
	for (; *s != '\0'; s++) {
		if (*s == '\n' && pre)
			buf_append(out, "\n", 1);
		else if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' ||
		    *s == '\f')
			space(out);
		else
			buf_append(out, s, 1);
	}
}

/* walk - the visible text of a node and its children */

static void
walk(xmlNode *n, bool pre, size_t depth, struct buf *out)
{
	for (; n != NULL; n = n->next) {
		enum layout l;

		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content != NULL)
				text((const char *)n->content, pre, out);
			continue;
		}
		if (n->type != XML_ELEMENT_NODE || n->name == NULL)
			continue;		/* comments, processing instructions */
		l = layout_of((const char *)n->name);
		if (l == HIDDEN)
			continue;
		if (l == BREAK) {
			buf_append(out, "\n", 1);
			continue;
		}
		if (l == BLOCK)
			newline(out);
		else if (l == CELL)
			space(out);
		if (depth < HTML_MAX_DEPTH)
			walk(n->children, pre ||
			    strcasecmp((const char *)n->name, "pre") == 0,
			    depth + 1, out);
		if (l == BLOCK)
			newline(out);
		else if (l == CELL)
			space(out);
	}
}

/*
 * browser_fixups - two things browsers do that libxml2 does not: "</br>"
 * is a line break, and "<![CDATA[...]]>" in HTML is a bogus comment, not
 * text.  Everything else is left to the parser.
 */
static void
browser_fixups(const char *h, size_t len, struct buf *out)
{
	const char *p = h, *end = h + len;

	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		size_t rest;

		if (lt == NULL) {
			buf_append(out, p, (size_t)(end - p));
			break;
		}
		buf_append(out, p, (size_t)(lt - p));
		rest = (size_t)(end - lt);
		if (rest >= 5 && strncasecmp(lt, "</br", 4) == 0 &&
		    (lt[4] == '>' || lt[4] == ' ' || lt[4] == '/')) {
			const char *gt = memchr(lt, '>', rest);

			buf_appends(out, "<br>");
			p = gt ? gt + 1 : end;
		} else if (rest >= 9 && memcmp(lt, "<![CDATA[", 9) == 0) {
			const char *close = memmem(lt, rest, "]]>", 3);

			p = close ? close + 3 : end;
		} else {
			buf_append(out, lt, 1);
			p = lt + 1;
		}
	}
}

/* policy_html_to_text - the visible text of an HTML document (UTF-8) */

void
policy_html_to_text(const char *h, size_t len, struct buf *out)
{
	struct buf fixed;
	htmlDocPtr doc;

	if (len == 0 || len > INT32_MAX / 2)
		return;
	buf_init(&fixed);
	browser_fixups(h, len, &fixed);
	if (fixed.len == 0) {
		buf_free(&fixed);
		return;
	}
	doc = htmlReadMemory(fixed.data, (int)fixed.len, NULL, "UTF-8",
	    HTML_PARSE_RECOVER |
	    HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	buf_free(&fixed);
	if (doc == NULL)
		return;
	walk(xmlDocGetRootElement(doc) ? doc->children : NULL, false, 0, out);
	newline(out);
	xmlFreeDoc(doc);
}
