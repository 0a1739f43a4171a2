/*
 * deploy.c - what an advisory says about deployment during the embargo
 *
 * Xen's advisories answer "may we deploy the fix before the embargo
 * ends?" in a section headed DEPLOYMENT DURING EMBARGO.  Its sentences
 * about deployment decide the state: every one permitting it, permitted;
 * every one forbidding it (NOT permitted, prohibited, only after the
 * embargo), not permitted; some of each (the patches but not the
 * mitigation, say), restricted; a section that says neither, restricted
 * too, since the reader must read it.  Sentences about distribution
 * ("Distribution of updated software is prohibited") are not about
 * deployment and do not count.  The section's first sentence is kept,
 * and for a restricted one the first that forbids as well.
 */

/* System library. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Application-specific. */
#include "policy_int.h"

#define HEADING	"DEPLOYMENT DURING EMBARGO"

/* policy_line_end - the end of the line at p (its '\n', or end) */

const char *
policy_line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl : end;
}

/* is_rule - a line of '=' or '-' only (a heading's underline) */

static bool
is_rule(const char *p, const char *e)
{
	size_t n = 0;

	while (p < e && (*p == '=' || *p == '-')) {
		p++;
		n++;
	}
	while (p < e && isspace((unsigned char)*p))
		p++;
	return n >= 3 && p == e;
}

/*
 * section - the body of the DEPLOYMENT DURING EMBARGO section of text:
 * from the line after its heading (and underline) to the next heading
 * (a line underlined), or the end.  False when there is none.
 */
static bool
section(const char *text, size_t len, const char **b, const char **e)
{
	const char *end = text + len;
	const char *p = em_memmem(text, len, HEADING, strlen(HEADING));

	if (p == NULL)
		return false;	/* no line can start with it */
	while (p > text && p[-1] != '\n')
		p--;		/* its line: the first that may */
	while (p < end) {
		const char *le = policy_line_end(p, end), *q = p;

		while (q < le && (*q == ' ' || *q == '>'))
			q++;
		if ((size_t)(le - q) >= strlen(HEADING) &&
		    strncmp(q, HEADING, strlen(HEADING)) == 0)
			break;
		p = le + 1;
	}
	if (p >= end)
		return false;
	p = policy_line_end(p, end) + 1;
	if (p < end && is_rule(p, policy_line_end(p, end)))
		p = policy_line_end(p, end) + 1;
	*b = p < end ? p : end;
	for (const char *q = *b; q < end;) {
		const char *le = policy_line_end(q, end), *next = le + 1;

		if (next < end && le > q && !is_rule(q, le) &&
		    is_rule(next, policy_line_end(next, end))) {
			*e = q;
			return true;
		}
		q = next;
	}
	*e = end;
	return true;
}

/* has_word - case-blind search for w in [p, e) */

static bool
has_word(const char *p, const char *e, const char *w)
{
	size_t n = strlen(w);

	for (; p + n <= e; p++)
		if (strncasecmp(p, w, n) == 0)
			return true;
	return false;
}

/* forbids - a sentence that forbids deployment */

static bool
forbids(const char *p, const char *e)
{
	return has_word(p, e, "not permitted") ||
	    has_word(p, e, "prohibited") || has_word(p, e, "not allowed") ||
	    has_word(p, e, "only after the embargo");
}

/* next_sentence - the sentence at p: to ". " or a blank line, or e */

static const char *
next_sentence(const char *p, const char *e)
{
	for (const char *q = p; q < e; q++) {
		if (*q == '.' && (q + 1 == e || isspace((unsigned char)q[1])))
			return q + 1;
		if (*q == '\n' && q + 1 < e && q[1] == '\n')
			return q + 1;
	}
	return e;
}

/* keep - a sentence, its lines joined, appended to out (cut to fit) */

static void
keep(const char *p, const char *e, char *out, size_t outsz)
{
	size_t n = strlen(out);
	bool space = n > 0;

	while (p < e && isspace((unsigned char)*p))
		p++;
	for (; p < e && n + 4 < outsz; p++) {
		if (isspace((unsigned char)*p) || *p == '>') {
			space = n > 0;
			continue;
		}
		if (space)
			out[n++] = ' ';
		space = false;
		out[n++] = *p;
	}
	out[n] = '\0';
}

/* policy_deployment - the state and first sentence of text's section */

void
policy_deployment(const char *text, size_t len, struct policy_deploy *d)
{
	const char *b, *e, *forbidding = NULL, *fe = NULL;
	bool permit = false, forbid = false;

	memset(d, 0, sizeof(*d));
	d->state = POLICY_DEPLOY_NOT_STATED;
	if (text == NULL || !section(text, len, &b, &e))
		return;
	for (const char *s = b; s < e;) {
		const char *se = next_sentence(s, e);

		if (has_word(s, se, "deploy")) {
			if (forbids(s, se)) {
				forbid = true;
				if (forbidding == NULL) {
					forbidding = s;
					fe = se;
				}
			} else if (has_word(s, se, "permitted") ||
			    has_word(s, se, "allowed")) {
				permit = true;
			}
		}
		if (d->sentence[0] == '\0')
			keep(s, se, d->sentence, sizeof(d->sentence));
		s = se;
	}
	d->state = permit && !forbid ? POLICY_DEPLOY_PERMITTED :
	    forbid && !permit ? POLICY_DEPLOY_NOT_PERMITTED :
	    POLICY_DEPLOY_RESTRICTED;
	if (d->state == POLICY_DEPLOY_RESTRICTED && forbidding != NULL &&
	    strstr(d->sentence, "NOT") == NULL && strstr(d->sentence, "not") ==
	    NULL)
		keep(forbidding, fe, d->sentence, sizeof(d->sentence));
}

/* policy_deploy_name - "permitted", "not permitted", ... */

const char *
policy_deploy_name(enum policy_deploy_state s)
{
	switch (s) {
	case POLICY_DEPLOY_PERMITTED:		return "permitted";
	case POLICY_DEPLOY_NOT_PERMITTED:	return "not permitted";
	case POLICY_DEPLOY_RESTRICTED:		return "restricted";
	case POLICY_DEPLOY_NOT_STATED:		break;
	}
	return "not stated";
}
