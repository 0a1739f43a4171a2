/*
 * classify.c - advisory id, embargo marker and revision (SPEC section 4)
 *
 * The marker is a line (or the Subject) holding one of embargo_phrases,
 * case-insensitive, followed by a date in one of the forms emtime.c
 * parses.  A phrase with no readable date is recorded as a bad marker,
 * never a guess: policy_decide() says what it means for whom.
 */

/* System library. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Application-specific. */
#include "policy.h"
#include "../util/emtime.h"

/* copy_line - keep a printable, trimmed copy of the line for replies */

static void
copy_line(char *dst, size_t dstsz, const char *line, size_t len)
{
	size_t n = 0;

	while (len > 0 && isspace((unsigned char)*line)) {
		line++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		len--;
	for (size_t i = 0; i < len && n + 1 < dstsz; i++) {
		unsigned char c = (unsigned char)line[i];

		dst[n++] = (char)((c >= 0x20 && c < 0x7f && c != '%') ? c : '?');
	}
	dst[n] = '\0';
}

/*
 * find_ci - case-insensitive search of needle in (hay, len).  This runs
 * over the whole text of every message, so sixteen positions are tested
 * at a time (a vector of GCC's, the processor's own where it has one)
 * for the needle's first, second and last bytes (each byte or-ed with
 * 0x20: a letter's two cases become one; a few other bytes pair up too,
 * which only adds a candidate: "em" alone is common in English) and
 * strncasecmp() confirms each candidate.
 */
typedef unsigned char bytes16 __attribute__((vector_size(16)));

static const char *
find_ci(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle), i = 0;
	bytes16 f, s, l;

	if (n == 0)
		return hay;
	if (n > len)
		return NULL;
	f = (bytes16){ 0 } + (unsigned char)(needle[0] | 0x20);
	s = (bytes16){ 0 } + (unsigned char)(n > 1 ? needle[1] | 0x20 : 0);
	l = (bytes16){ 0 } + (unsigned char)(needle[n - 1] | 0x20);
	/* Candidates i .. i+15, each needle long, within hay. */
	for (; n > 2 && i + 16 <= len - n + 1; i += 16) {
		bytes16 a, b, c, m;
		uint64_t w[2];

		memcpy(&a, hay + i, 16);
		memcpy(&b, hay + i + 1, 16);
		memcpy(&c, hay + i + n - 1, 16);
		/* All three may match where a byte of m is not zero. */
		m = (bytes16)(((a | 0x20) == f) & ((b | 0x20) == s) &
		    ((c | 0x20) == l));
		memcpy(w, &m, sizeof(w));
		if ((w[0] | w[1]) == 0)
			continue;
		for (size_t k = i; k < i + 16; k++)
			if (strncasecmp(hay + k, needle, n) == 0)
				return hay + k;
	}
	for (; i <= len - n; i++)
		if (strncasecmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/* reply_prefix - "Re", "Fwd" and the like, before a ':' (n letters at p) */

static bool
reply_prefix(const char *p, size_t n)
{
	static const char *const pre[] = { "re", "fw", "fwd", "aw", "wg", "sv",
	    "tr", "vs", NULL };

	for (size_t i = 0; pre[i] != NULL; i++)
		if (strlen(pre[i]) == n && strncasecmp(p, pre[i], n) == 0)
			return true;
	return false;
}

/*
 * opens_line - does the phrase at hit open its line: before it nothing
 * but white space, quote marks and decoration (no letter or digit),
 * "Re:"/"Fwd:" prefixes and bracketed tags ("[list]")?  A banner in an
 * advisory's form, quoted or not, does; a sentence that gives an
 * advisory's date ("XSA-1 is embargoed until ...") does not.
 */
static bool
opens_line(const char *line, const char *hit)
{
	const char *p = line;

	for (;;) {
		const char *q;

		while (p < hit && !isalnum((unsigned char)*p))
			p++;
		if (p == hit)
			return true;
		for (q = p; q < hit && isalpha((unsigned char)*q); q++)
			;
		if (q < hit && *q == ':' && reply_prefix(p, (size_t)(q - p))) {
			p = q + 1;
			continue;
		}
		if (p > line && p[-1] == '[' &&
		    (q = memchr(p, ']', (size_t)(hit - p))) != NULL) {
			p = q + 1;
			continue;
		}
		return false;
	}
}

/* policy_marker_scan - one line: none, a valid marker or a bad one */

int
policy_marker_scan(const struct strv *phrases, const char *line, size_t len,
    struct policy_marker *m)
{
	for (size_t i = 0; i < phrases->n; i++) {
		const char *hit = find_ci(line, len, phrases->v[i]);
		const char *p, *end = line + len;
		size_t used;
		time_t when;

		if (hit == NULL)
			continue;
		p = hit + strlen(phrases->v[i]);
		while (p < end && (*p == ' ' || *p == '\t' || *p == ':' ||
		    *p == '*'))
			p++;
		copy_line(m->line, sizeof(m->line), line, len);
		m->banner = opens_line(line, hit);
		if (em_time_parse(p, (size_t)(end - p), &when, &used) == EM_OK) {
			m->kind = POLICY_MARKER_VALID;
			m->when = when;
		} else {
			m->kind = POLICY_MARKER_BAD;
			m->when = 0;
		}
		return m->kind;
	}
	m->kind = POLICY_MARKER_NONE;
	m->banner = false;
	return m->kind;
}

/* line_at - the line of (text, end) holding hit: its start and length */

static const char *
line_at(const char *text, const char *end, const char *hit, size_t *n)
{
	const char *start = hit, *nl;

	while (start > text && start[-1] != '\n')
		start--;
	nl = memchr(hit, '\n', (size_t)(end - hit));
	*n = (size_t)((nl ? nl : end) - start);
	return start;
}

/*
 * next_hit - the first phrase at or after p, or NULL: each phrase's next
 * place is kept in at[] (NULL: not searched yet; end: none left) and
 * searched again only once p has passed it, so the text is read once per
 * phrase.  A hit across a line's end is none (the marker is a line).
 */
static const char *
next_hit(const struct strv *phrases, size_t np, const char **at,
    const char *p, const char *end)
{
	const char *first = NULL;

	for (size_t i = 0; i < np; i++) {
		size_t n = strlen(phrases->v[i]);
		const char *from = p, *h;

		if (at[i] == NULL || (at[i] != end && at[i] < p)) {
			while ((h = find_ci(from, (size_t)(end - from),
			    phrases->v[i])) != NULL && memchr(h, '\n', n) != NULL)
				from = h + 1;
			at[i] = h != NULL ? h : end;
		}
		if (at[i] != end && (first == NULL || at[i] < first))
			first = at[i];
	}
	return first;
}

/* found - one line's marker m kept where it is the first of its kind;
 * true when both a valid marker and a valid banner are known */

static bool
found(struct facts *f, const struct policy_marker *m)
{
	if (m->kind == POLICY_MARKER_VALID) {
		if (f->marker.kind == POLICY_MARKER_NONE)
			f->marker = *m;
		if (m->banner && f->banner.kind == POLICY_MARKER_NONE)
			f->banner = *m;
	} else if (m->kind == POLICY_MARKER_BAD &&
	    f->marker.kind == POLICY_MARKER_NONE &&
	    f->bad_marker.kind == POLICY_MARKER_NONE) {	/* as before a valid one */
		f->bad_marker = *m;
	}
	return f->banner.kind == POLICY_MARKER_VALID;
}

/*
 * scan_text - the first valid marker, the first valid banner and the
 * first bad marker of subject and text: the Subject, then each line
 * holding a phrase, in order, until a banner is found
 */
static void
scan_text(const struct strv *phrases, struct facts *f)
{
	const char *text = f->text.data ? f->text.data : "";
	const char *p = text, *end = text + f->text.len, *hit;
	const char *at[CONF_MAX_PHRASES] = { NULL };
	size_t np = phrases->n < CONF_MAX_PHRASES ? phrases->n :
	    CONF_MAX_PHRASES;
	struct policy_marker m;

	f->marker.kind = POLICY_MARKER_NONE;
	f->banner.kind = POLICY_MARKER_NONE;
	f->bad_marker.kind = POLICY_MARKER_NONE;
	(void)policy_marker_scan(phrases, f->subject, strlen(f->subject), &m);
	if (found(f, &m))
		return;
	while ((hit = next_hit(phrases, np, at, p, end)) != NULL) {
		size_t n;
		const char *line = line_at(text, end, hit, &n);

		p = line + n < end ? line + n + 1 : end;
		(void)policy_marker_scan(phrases, line, n, &m);
		if (found(f, &m))
			return;
	}
}

/*
 * match - first match of re in s, copied into out.  A pattern with a
 * literal start (prefix) can match only where that starts: regexec()
 * reads from its first place on, not the whole text before it.
 */
static bool
match(const regex_t *re, const char *prefix, const char *s, char *out,
    size_t outsz)
{
	const char *from = s;
	regmatch_t rm;
	size_t n;

	if (s != NULL && prefix[0] != '\0')
		from = strstr(s, prefix);
	/* Not the text's start: a '^' cannot match there (REG_NOTBOL). */
	if (from == NULL || regexec(re, from, 1, &rm, from != s ? REG_NOTBOL :
	    0) != 0 || rm.rm_so < 0)
		return false;
	s = from;
	n = (size_t)(rm.rm_eo - rm.rm_so);
	if (n == 0)
		return false;
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, s + rm.rm_so, n);
	out[n] = '\0';
	return true;
}

/* policy_advisory_find - patterns in order; each on title, Subject, text */

bool
policy_advisory_find(const struct config *cfg, const char *title,
    const char *subject, const char *text, char *out, size_t outsz)
{
	const char *where[3] = { title, subject, text };

	for (size_t i = 0; i < cfg->advisory_src.n; i++)
		for (int w = 0; w < 3; w++)
			if (match(&cfg->advisory_re[i],
			    cfg->advisory_prefix.v[i], where[w], out, outsz))
				return true;
	out[0] = '\0';
	return false;
}

/* armour_header - a line that opens clearsigned text, or its Hash: lines */

static bool
armour_header(const char *p, size_t n)
{
	static const char begin[] = "-----BEGIN PGP SIGNED MESSAGE-----";

	return (n >= sizeof(begin) - 1 && memcmp(p, begin, sizeof(begin) - 1) == 0) ||
	    (n >= 5 && strncasecmp(p, "Hash:", 5) == 0);
}

/* blank - a line of white space only */

static bool
blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)p[i]))
			return false;
	return true;
}

/* policy_title_block - the first non-empty lines, up to an empty one */

size_t
policy_title_block(const char *text, size_t len, struct buf *out)
{
	const char *p = text, *end = text + len;
	bool in_block = false, in_armour = false;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (!in_block && !in_armour && armour_header(p, n))
			in_armour = true;	/* its header ends at a blank */
		else if (in_armour && blank(p, n))
			in_armour = false;
		else if (in_armour && armour_header(p, n))
			;
		else if (!blank(p, n)) {
			in_block = true;
			in_armour = false;
			buf_append(out, p, n);
			buf_append(out, "\n", 1);
		} else if (in_block)
			break;
		p = nl ? nl + 1 : end;
	}
	return (size_t)(p - text);
}

/* version_line - "version N" or "Version: N" alone on a line */

static int
version_line(const char *p, size_t n)
{
	size_t i = 0;
	long v = 0;

	while (i < n && isspace((unsigned char)p[i]))
		i++;
	if (n - i < 8 || strncasecmp(p + i, "version", 7) != 0)
		return 0;
	i += 7;
	if (i < n && p[i] == ':')
		i++;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i >= n || !isdigit((unsigned char)p[i]))
		return 0;
	while (i < n && isdigit((unsigned char)p[i]) && v < 100000)
		v = v * 10 + (p[i++] - '0');
	while (i < n && isspace((unsigned char)p[i]))
		i++;
	return i == n && v > 0 ? (int)v : 0;
}

/* policy_revision_find - the revision in the header block (first lines) */

int
policy_revision_find(const char *text)
{
	const char *p = text;
	int lines = 0;

	while (p != NULL && *p != '\0' && lines < 30) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		int v = version_line(p, n);

		if (v > 0)
			return v;
		lines++;
		p = nl ? nl + 1 : NULL;
	}
	return 1;
}

/*
 * carried_title - the title block of an advisory a message carries or
 * quotes below its own first lines: the lines after its clearsigned
 * armour ("> " quote marks off), when the armour is not at the start
 */
static void
carried_title(const char *text, size_t len, struct buf *out)
{
	static const char begin[] = "-----BEGIN PGP SIGNED MESSAGE-----";
	const char *b = em_memmem(text, len, begin, sizeof(begin) - 1);
	const char *p, *end = text + len;
	struct buf plain;
	int lines = 0;

	if (b == NULL)
		return;
	while (b > text && b[-1] != '\n')
		b--;			/* the start of its line */
	buf_init(&plain);
	for (p = b; p < end && lines < 40; lines++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *q = p, *e = nl ? nl : end;

		while (q < e && (*q == '>' || *q == ' ') && q - p < 16)
			q++;
		buf_append(&plain, q, (size_t)(e - q));
		buf_append(&plain, "\n", 1);
		p = nl ? nl + 1 : end;
	}
	policy_title_block(plain.data, plain.len, out);
	buf_free(&plain);
}

/* policy_classify - fill id, markers and revision */

void
policy_classify(const struct config *cfg, struct facts *f)
{
	const char *text = f->text.data ? f->text.data : "";
	char by_subject[POLICY_ID_MAX];
	struct buf title;

	buf_init(&title);
	if (f->has_first_text)
		policy_title_block(text + f->first_text,
		    f->text.len - f->first_text, &title);
	/*
	 * A reply or a forward starts with its own lines: the advisory it
	 * quotes is named by that advisory's title, before any id its
	 * Subject mentions in passing (SPEC 4).
	 */
	if (!policy_advisory_find(cfg, title.data, NULL, NULL, f->advisory_id,
	    sizeof(f->advisory_id)) && f->has_first_text)
		carried_title(text + f->first_text, f->text.len - f->first_text,
		    &title);
	f->id_in_title = policy_advisory_find(cfg, title.data, NULL, NULL,
	    f->advisory_id, sizeof(f->advisory_id));
	(void)policy_advisory_find(cfg, title.data, f->subject, text,
	    f->advisory_id, sizeof(f->advisory_id));
	/*
	 * Say so when the Subject names an id the title block does not
	 * (a title with "CVE-x / XSA-y" under a Subject naming the CVE is
	 * one advisory, not two).
	 */
	f->id_note[0] = '\0';
	if (f->advisory_id[0] != '\0' &&
	    policy_advisory_find(cfg, NULL, f->subject, NULL, by_subject,
	    sizeof(by_subject)) && strcmp(by_subject, f->advisory_id) != 0 &&
	    (title.data == NULL || strstr(title.data, by_subject) == NULL))
		(void)snprintf(f->id_note, sizeof(f->id_note), "the title block "
		    "names %s, the Subject %s: registered as %s",
		    f->advisory_id, by_subject, f->advisory_id);
	buf_free(&title);
	scan_text(&cfg->embargo_phrases, f);
	f->revision = policy_revision_find(text);
	policy_deployment(text, f->text.len, &f->deploy);
}
