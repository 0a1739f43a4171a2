/*
 * conf.c - load and validate embargo-milter.conf (see conf.h)
 *
 * libconfuse checks the syntax and the schema; the rules of SPEC section
 * 3 are applied afterwards, in validate_*(), so that every problem is
 * reported, not only the first.  libconfuse gives no line per value, so
 * a validate callback notes the parser's line for each string value as it
 * is read; the rules look the line up by option name and value.
 */

/* System library. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Utility library. */
#include <confuse.h>

/* Application-specific. */
#include "conf.h"
#include "../util/emtime.h"

#define DEF_SOCKET	"unix:/run/embargo-milter/milter.sock"
#define DEF_STATE	"/var/lib/embargo-milter"
#define DEF_GNUPG	"/var/lib/embargo-milter/gnupg"

/* Every key of the schema, for the man page test (conf_key_names). */
const char *const conf_key_names[] = {
	"socket", "socket_mode", "state_dir", "gnupg_home", "user", "on_error",
	"max_message_size", "max_embargo", "remind_before", "audit_anchor_every",
	"mime_max_depth", "mime_max_parts", "max_header_size", "delivery_workers",
	"reinject", "host", "port",
	"advisory_id", "embargo_phrases", "role_localparts",
	"team", "addresses", "keys",
	"list", "address", "key", "outer_subject", "require_signed",
	"member", "role_attested", "public_lists", NULL
};

/*
 * The line notes: (option, value, line) as the parser read them.  Loading
 * is rare (start, SIGHUP, embargoctl), so one mutex serialises it.
 */
struct line_note {
	char   *opt;
	char   *val;
	int	line;
};

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static struct line_note *notes;
static size_t n_notes;
static struct conf_report *cur_report;
static const char *cur_path;

/* note_line - libconfuse validate callback: remember where a value was */

static int
note_line(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned int n = cfg_opt_size(opt);
	const char *val;

	if (n == 0 || opt->type != CFGT_STR)
		return 0;
	val = cfg_opt_getnstr(opt, n - 1);
	if (val == NULL)
		return 0;
	notes = xrealloc(notes, (n_notes + 1) * sizeof(*notes));
	notes[n_notes].opt = xstrdup(opt->name);
	notes[n_notes].val = xstrdup(val);
	notes[n_notes].line = cfg->line;
	n_notes++;
	return 0;
}

/* line_of - where option opt first had value val (0 when unknown) */

static int
line_of(const char *opt, const char *val)
{
	for (size_t i = 0; i < n_notes; i++)
		if (strcmp(notes[i].opt, opt) == 0 &&
		    strcasecmp(notes[i].val, val) == 0)
			return notes[i].line;
	return 0;
}

/* notes_free - forget the line notes */

static void
notes_free(void)
{
	for (size_t i = 0; i < n_notes; i++) {
		free(notes[i].opt);
		free(notes[i].val);
	}
	free(notes);
	notes = NULL;
	n_notes = 0;
}

/* report_take - append one problem, taking the text */

static void
report_take(struct conf_report *rep, bool warning, char *text)
{
	rep->v = xrealloc(rep->v, (rep->n + 1) * sizeof(*rep->v));
	rep->v[rep->n].warning = warning;
	rep->v[rep->n].text = text;
	rep->n++;
	if (warning)
		rep->warnings++;
	else
		rep->errors++;
}

/* conf_report_add - append one problem */

void
conf_report_add(struct conf_report *rep, bool warning, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		abort();
	va_end(ap);
	report_take(rep, warning, text);
}

/* conf_report_free - release a report */

void
conf_report_free(struct conf_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		free(rep->v[i].text);
	free(rep->v);
	memset(rep, 0, sizeof(*rep));
}

/* problem - report an error at the line where opt had value val */

#define problem(rep, opt, val, ...) \
	problem_at((rep), false, line_of((opt), (val)), __VA_ARGS__)
#define warning(rep, opt, val, ...) \
	problem_at((rep), true, line_of((opt), (val)), __VA_ARGS__)

static void
problem_at(struct conf_report *rep, bool warn, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
problem_at(struct conf_report *rep, bool warn, int line, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (line > 0)
		report_take(rep, warn, xasprintf("%s:%d: %s%s", cur_path, line,
		    warn ? "warning: " : "", text));
	else
		report_take(rep, warn, xasprintf("%s: %s%s", cur_path,
		    warn ? "warning: " : "", text));
	free(text);
}

/* parse_error - libconfuse error callback: keep the message in the report */

static void
parse_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[512];

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	if (cur_report == NULL)
		return;
	conf_report_add(cur_report, false,
	    "%s:%d: %s; see embargo-milter.conf(5) for the keys and their syntax",
	    cur_path, cfg->line, msg);
}

/* conf_fpr_valid - exactly 40 hex digits */

bool
conf_fpr_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return i == 40;
}

/* addr_syntax_ok - one '@', non-empty local part and domain, no blanks */

static bool
addr_syntax_ok(const char *a)
{
	const char *at = strchr(a, '@');

	if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@'))
		return false;
	for (; *a; a++)
		if (isspace((unsigned char)*a) || *a == '<' || *a == '>' ||
		    *a == ',' || *a == '"')
			return false;
	return true;
}

/* conf_is_role_address - local part is a role name, +tag or -suffix allowed */

bool
conf_is_role_address(const struct strv *roles, const char *addr)
{
	char *norm = em_addr_norm(addr);
	char *at = strrchr(norm, '@');
	char *plus;
	bool ok = false;

	if (at == NULL) {
		free(norm);
		return false;
	}
	*at = '\0';
	if ((plus = strchr(norm, '+')) != NULL)
		*plus = '\0';
	for (size_t i = 0; i < roles->n && !ok; i++) {
		size_t rl = strlen(roles->v[i]);

		if (strcmp(norm, roles->v[i]) == 0)
			ok = true;
		else if (strncmp(norm, roles->v[i], rl) == 0 &&
		    norm[rl] == '-' && norm[rl + 1] != '\0')
			ok = true;
	}
	free(norm);
	return ok;
}

/* copy_list - copy a libconfuse string list, optionally lower-cased */

static void
copy_list(cfg_t *sec, const char *name, struct strv *out, bool lower)
{
	unsigned int n = cfg_size(sec, name);

	for (unsigned int i = 0; i < n; i++) {
		char *s = lower ? em_addr_norm(cfg_getnstr(sec, name, i)) :
		    xstrdup(cfg_getnstr(sec, name, i));

		strv_push(out, s);
		free(s);
	}
}

/* dupstr - copy a possibly NULL string */

static char *
dupstr(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* upper - upper-case a string in place */

static char *
upper(char *s)
{
	for (char *p = s; p && *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return s;
}

/* check_fpr - report a fingerprint that is not 40 hex digits */

static void
check_fpr(struct conf_report *rep, const char *opt, const char *what,
    const char *fpr)
{
	if (fpr == NULL || *fpr == '\0') {
		problem_at(rep, false, 0, "%s: no key given; set %s to the "
		    "key's 40-hex-digit fingerprint", what, opt);
		return;
	}
	if (!conf_fpr_valid(fpr))
		problem(rep, opt, fpr, "%s: key \"%s\" is not a fingerprint; "
		    "write all 40 hex digits without spaces, as printed by "
		    "gpg --with-colons --fingerprint (fpr line)", what, fpr);
}

/* check_addr - report an address that is not user@domain */

static bool
check_addr(struct conf_report *rep, const char *opt, const char *what,
    const char *addr)
{
	if (addr == NULL || *addr == '\0') {
		problem_at(rep, false, 0, "%s: no address given; set %s = "
		    "\"role@domain\"", what, opt);
		return false;
	}
	if (!addr_syntax_ok(addr)) {
		problem(rep, opt, addr, "%s: \"%s\" is not a mail address; "
		    "write it as local@domain, without <> or a name", what,
		    addr);
		return false;
	}
	return true;
}

/* load_scalars - the top-level keys */

static void
load_scalars(cfg_t *c, struct config *cfg, struct conf_report *rep)
{
	const char *s;
	long n;

	cfg->socket = xstrdup(cfg_getstr(c, "socket"));
	cfg->state_dir = xstrdup(cfg_getstr(c, "state_dir"));
	cfg->gnupg_home = xstrdup(cfg_getstr(c, "gnupg_home"));
	cfg->user = xstrdup(cfg_getstr(c, "user"));
	if (strncmp(cfg->socket, "unix:", 5) != 0 &&
	    strncmp(cfg->socket, "local:", 6) != 0 &&
	    strncmp(cfg->socket, "inet:", 5) != 0 &&
	    strncmp(cfg->socket, "inet6:", 6) != 0 && cfg->socket[0] != '/')
		problem(rep, "socket", cfg->socket, "socket \"%s\" is not a "
		    "milter socket; write \"unix:/path\" or \"inet:PORT@127.0.0.1\"",
		    cfg->socket);
	s = cfg_getstr(c, "socket_mode");
	{
		char *end;
		long mode = strtol(s, &end, 8);

		if (*s == '\0' || *end != '\0' || mode < 0 || mode > 0777 ||
		    (mode & 0007))
			problem(rep, "socket_mode", s, "socket_mode = \"%s\" is not "
			    "an octal mode without rights for others; write e.g. "
			    "\"0660\" and put the MTA's user in the daemon's group",
			    s);
		cfg->socket_mode = (unsigned)(mode & 0777);
	}
	if (cfg->state_dir[0] != '/')
		problem(rep, "state_dir", cfg->state_dir, "state_dir \"%s\" "
		    "must be an absolute path", cfg->state_dir);
	if (cfg->gnupg_home[0] != '/')
		problem(rep, "gnupg_home", cfg->gnupg_home, "gnupg_home \"%s\" "
		    "must be an absolute path", cfg->gnupg_home);

	s = cfg_getstr(c, "on_error");
	if (strcmp(s, "tempfail") == 0)
		cfg->on_error = CONF_ON_ERROR_TEMPFAIL;
	else if (strcmp(s, "accept") == 0)
		cfg->on_error = CONF_ON_ERROR_ACCEPT;
	else
		problem(rep, "on_error", s, "on_error = %s is unknown; write "
		    "tempfail (the safe default) or accept", s);

	n = cfg_getint(c, "max_message_size");
	if (n < 1024)
		problem_at(rep, false, 0, "max_message_size = %ld is too small; "
		    "give a byte count of at least 1024 (default 26214400)", n);
	cfg->max_message_size = n > 0 ? (size_t)n : 0;

	s = cfg_getstr(c, "max_embargo");
	if (em_duration_parse(s, &cfg->max_embargo) < 0 || cfg->max_embargo <= 0)
		problem(rep, "max_embargo", s, "max_embargo = \"%s\" is not a "
		    "duration; write e.g. \"21d\" or \"14d12h\"", s);
	s = cfg_getstr(c, "remind_before");
	if (em_duration_parse(s, &cfg->remind_before) < 0)
		problem(rep, "remind_before", s, "remind_before = \"%s\" is not "
		    "a duration; write e.g. \"24h\", or \"0\" for never", s);
	s = cfg_getstr(c, "audit_anchor_every");
	if (em_duration_parse(s, &cfg->audit_anchor_every) < 0 ||
	    cfg->audit_anchor_every <= 0)
		problem(rep, "audit_anchor_every", s, "audit_anchor_every = \"%s\" "
		    "is not a duration; write e.g. \"1h\"", s);

	n = cfg_getint(c, "delivery_workers");
	if (n < 1 || n > 32)
		problem_at(rep, false, 0, "delivery_workers = %ld is out of range; "
		    "give 1 to 32 (default 4)", n);
	cfg->delivery_workers = n >= 1 && n <= 32 ? (int)n : 4;
	n = cfg_getint(c, "mime_max_depth");
	if (n < 1 || n > 100)
		problem_at(rep, false, 0, "mime_max_depth = %ld is out of range; "
		    "give 1 to 100 (default 20)", n);
	cfg->mime_max_depth = n > 0 ? (size_t)n : 1;
	n = cfg_getint(c, "mime_max_parts");
	if (n < 1 || n > 100000)
		problem_at(rep, false, 0, "mime_max_parts = %ld is out of range; "
		    "give 1 to 100000 (default 500)", n);
	cfg->mime_max_parts = n > 0 ? (size_t)n : 1;
	n = cfg_getint(c, "max_header_size");
	if (n < 1024)
		problem_at(rep, false, 0, "max_header_size = %ld is too small; "
		    "give at least 1024 bytes (default 262144)", n);
	cfg->max_header_size = n > 0 ? (size_t)n : 1024;
}

/* load_patterns - advisory_id, embargo_phrases, role_localparts */

static void
load_patterns(cfg_t *c, struct config *cfg, struct conf_report *rep)
{
	copy_list(c, "advisory_id", &cfg->advisory_src, false);
	copy_list(c, "embargo_phrases", &cfg->embargo_phrases, false);
	copy_list(c, "role_localparts", &cfg->role_localparts, true);

	if (cfg->advisory_src.n == 0)
		problem_at(rep, false, 0, "advisory_id is empty; give at least "
		    "one POSIX extended regex, e.g. { \"XSA-[0-9]+\" }");
	cfg->advisory_re = xcalloc(cfg->advisory_src.n + 1, sizeof(regex_t));
	for (size_t i = 0; i < cfg->advisory_src.n; i++) {
		const char *src = cfg->advisory_src.v[i];
		int rc = regcomp(&cfg->advisory_re[i], src, REG_EXTENDED);
		size_t lit = strcspn(src, "\\^$.[]|()*+?{}");

		/*
		 * The literal start of a pattern ("XSA-" of "XSA-[0-9]+"): a
		 * text without it cannot match, and memmem is far cheaper
		 * than regexec.  A quantifier right after it makes its last
		 * character optional, so that one is left out.
		 */
		if (lit > 0 && src[lit] != '\0' && strchr("*?{", src[lit]) != NULL)
			lit--;
		if (strchr(src, '|') != NULL)
			lit = 0;	/* an alternative may start otherwise */
		{
			char *pre = xstrndup(src, lit);

			strv_push(&cfg->advisory_prefix, pre);
			free(pre);
		}

		if (rc != 0) {
			char msg[128];

			regerror(rc, &cfg->advisory_re[i], msg, sizeof(msg));
			problem(rep, "advisory_id", src, "advisory_id \"%s\" is "
			    "not a valid POSIX extended regex (%s); fix the "
			    "pattern", src, msg);
			/* Keep a harmless pattern so the array stays whole. */
			(void)regcomp(&cfg->advisory_re[i], "$^", REG_EXTENDED);
		}
	}
	if (cfg->embargo_phrases.n == 0)
		problem_at(rep, false, 0, "embargo_phrases is empty; give at "
		    "least one, e.g. { \"EMBARGOED UNTIL\" }");
	for (size_t i = 0; i < cfg->embargo_phrases.n; i++)
		if (strlen(cfg->embargo_phrases.v[i]) < 4)
			problem(rep, "embargo_phrases", cfg->embargo_phrases.v[i],
			    "embargo phrase \"%s\" is too short to be safe; "
			    "use at least 4 characters", cfg->embargo_phrases.v[i]);
	if (cfg->role_localparts.n == 0)
		problem_at(rep, false, 0, "role_localparts is empty; give the "
		    "role names allowed on the list, e.g. { \"security\", \"psirt\" }");
}

/* load_sections - reinject, team, list, members, public_lists */

static void
load_sections(cfg_t *c, struct config *cfg, struct conf_report *rep)
{
	cfg_t *sec;

	sec = cfg_getsec(c, "reinject");
	cfg->reinject_host = xstrdup(cfg_getstr(sec, "host"));
	cfg->reinject_port = (int)cfg_getint(sec, "port");
	if (cfg->reinject_port < 1 || cfg->reinject_port > 65535)
		problem_at(rep, false, 0, "reinject: port %d is out of range; "
		    "give the port of the MTA listener that runs no milter",
		    cfg->reinject_port);

	sec = cfg_getsec(c, "team");
	copy_list(sec, "addresses", &cfg->team_addresses, true);
	copy_list(sec, "keys", &cfg->team_keys, false);
	for (size_t i = 0; i < cfg->team_keys.n; i++)
		upper(cfg->team_keys.v[i]);

	if (cfg_size(c, "list") > 1)
		problem_at(rep, false, 0, "more than one list section; this "
		    "milter serves one pre-disclosure list: keep one");
	if (cfg_size(c, "list") == 0) {
		problem_at(rep, false, 0, "no list section; add list "
		    "predisclosure { address = ...; key = ... }");
	} else {
		sec = cfg_getnsec(c, "list", 0);
		cfg->list_name = xstrdup(cfg_title(sec));
		cfg->list_address = sec ? (cfg_getstr(sec, "address") ?
		    em_addr_norm(cfg_getstr(sec, "address")) : NULL) : NULL;
		cfg->list_key = upper(dupstr(cfg_getstr(sec, "key")));
		cfg->list_outer_subject = xstrdup(cfg_getstr(sec, "outer_subject"));
		cfg->require_signed = cfg_getbool(sec, "require_signed");
	}

	cfg->n_members = cfg_size(c, "member");
	cfg->members = xcalloc(cfg->n_members, sizeof(*cfg->members));
	for (size_t i = 0; i < cfg->n_members; i++) {
		struct conf_member *m = &cfg->members[i];
		const char *a;

		sec = cfg_getnsec(c, "member", (unsigned int)i);
		m->name = xstrdup(cfg_title(sec));
		a = cfg_getstr(sec, "address");
		m->address = a ? em_addr_norm(a) : NULL;
		m->line = a ? line_of("address", a) : sec->line;
		m->key = upper(dupstr(cfg_getstr(sec, "key")));
		m->role_attested = dupstr(cfg_getstr(sec, "role_attested"));
	}
	copy_list(c, "public_lists", &cfg->public_lists, true);
}

/* validate_team_list - SPEC section 3 rules for team and list */

static void
validate_team_list(struct config *cfg, struct conf_report *rep)
{
	if (cfg->team_addresses.n == 0)
		problem_at(rep, false, 0, "team: no addresses; give the team's "
		    "role address, e.g. addresses = { \"security@example.org\" }");
	for (size_t i = 0; i < cfg->team_addresses.n; i++)
		(void)check_addr(rep, "addresses", "team",
		    cfg->team_addresses.v[i]);
	if (cfg->team_keys.n == 0 && cfg->require_signed)
		problem_at(rep, false, 0, "team: no keys while require_signed = "
		    "true; list the fingerprints allowed to post");
	for (size_t i = 0; i < cfg->team_keys.n; i++)
		check_fpr(rep, "keys", "team", cfg->team_keys.v[i]);
	if (cfg->list_name == NULL)
		return;
	(void)check_addr(rep, "address", "list", cfg->list_address);
	check_fpr(rep, "key", "list", cfg->list_key);
	if (!cfg->require_signed)
		problem_at(rep, true, 0, "list: require_signed = false lets "
		    "anyone who forges the team's envelope sender post; keep it "
		    "true unless the team cannot sign");
}

/* validate_members - role addresses, keys, duplicate names */

static void
validate_members(struct config *cfg, struct conf_report *rep)
{
	if (cfg->n_members == 0)
		problem_at(rep, true, 0, "no member sections: embargoed "
		    "advisories will reach no one");
	for (size_t i = 0; i < cfg->n_members; i++) {
		struct conf_member *m = &cfg->members[i];
		char what[256];

		(void)snprintf(what, sizeof(what), "member \"%s\"", m->name);
		check_fpr(rep, "key", what, m->key);
		if (!check_addr(rep, "address", what, m->address))
			continue;
		if (!conf_is_role_address(&cfg->role_localparts, m->address) &&
		    m->role_attested == NULL)
			problem_at(rep, false, m->line, "%s: address %s is not a "
			    "role address (its local part is not one of "
			    "role_localparts); only role addresses may receive "
			    "embargoed advisories: ask the organisation for its "
			    "security role address, or, once checked, add "
			    "role_attested = \"DATE how it was checked\"",
			    what, m->address);
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->members[j].name, m->name) == 0)
				problem_at(rep, false, m->line, "%s: a member "
				    "of that name is already defined at line "
				    "%d; give each member one block", what,
				    cfg->members[j].line);
	}
}

/* validate_roles - an address is on at most one of the roles */

static void
validate_roles(struct config *cfg, struct conf_report *rep)
{
	struct { const char *addr; const char *role; int line; } *seen;
	size_t n = 0, cap;

	cap = cfg->n_members + cfg->public_lists.n + cfg->team_addresses.n + 1;
	seen = xcalloc(cap, sizeof(*seen));
	if (cfg->list_address != NULL) {
		seen[n].addr = cfg->list_address;
		seen[n].role = "the list address";
		seen[n].line = line_of("address", cfg->list_address);
		n++;
	}
	for (size_t i = 0; i < cfg->team_addresses.n; i++) {
		seen[n].addr = cfg->team_addresses.v[i];
		seen[n].role = "a team address";
		seen[n].line = line_of("addresses", seen[n].addr);
		n++;
	}
	for (size_t i = 0; i < cfg->n_members; i++) {
		if (cfg->members[i].address == NULL)
			continue;
		seen[n].addr = cfg->members[i].address;
		seen[n].role = "a member address";
		seen[n].line = cfg->members[i].line;
		n++;
	}
	for (size_t i = 0; i < cfg->public_lists.n; i++) {
		seen[n].addr = cfg->public_lists.v[i];
		seen[n].role = "a public list";
		seen[n].line = line_of("public_lists", seen[n].addr);
		(void)check_addr(rep, "public_lists", "public_lists", seen[n].addr);
		n++;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(seen[i].addr, seen[j].addr) == 0)
				problem_at(rep, false, seen[i].line, "%s is "
				    "%s and also %s (line %d); an address may "
				    "have one role only: remove one of them",
				    seen[i].addr, seen[i].role, seen[j].role,
				    seen[j].line);
	free(seen);
}

/*
 * read_uncommented - the file with every '#' comment blanked out
 *
 * libconfuse 3.3 counts three lines for each '#' comment, so its line
 * numbers drift through a commented file.  Blanking the comments (outside
 * quoted strings, newlines kept) before parsing keeps every line exact.
 */
static char *
read_uncommented(const char *path)
{
	struct buf b;
	char chunk[8192], quote = 0;
	bool comment = false;
	FILE *fp;
	size_t n;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	(void)fclose(fp);
	if (b.data == NULL)
		buf_append(&b, "", 0);
	for (size_t i = 0; i < b.len; i++) {
		char c = b.data[i];

		if (c == '\n') {
			comment = false;
			quote = 0;	/* strings do not span lines here */
		} else if (comment) {
			b.data[i] = ' ';
		} else if (quote) {
			if (c == '\\' && i + 1 < b.len && b.data[i + 1] != '\n')
				i++;
			else if (c == quote)
				quote = 0;
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '#') {
			comment = true;
			b.data[i] = ' ';
		}
	}
	return b.data;
}

/* schema - build the libconfuse option tables and parse */

static cfg_t *
schema_parse(const char *path, int *rc)
{
	static cfg_opt_t reinject_opts[] = {
		CFG_STR("host", "127.0.0.1", CFGF_NONE),
		CFG_INT("port", 10026, CFGF_NONE),
		CFG_END()
	};
	static cfg_opt_t team_opts[] = {
		CFG_STR_LIST("addresses", NULL, CFGF_NONE),
		CFG_STR_LIST("keys", NULL, CFGF_NONE),
		CFG_END()
	};
	static cfg_opt_t list_opts[] = {
		CFG_STR("address", NULL, CFGF_NONE),
		CFG_STR("key", NULL, CFGF_NONE),
		CFG_STR("outer_subject", "Embargoed security advisory", CFGF_NONE),
		CFG_BOOL("require_signed", cfg_true, CFGF_NONE),
		CFG_END()
	};
	static cfg_opt_t member_opts[] = {
		CFG_STR("address", NULL, CFGF_NONE),
		CFG_STR("key", NULL, CFGF_NONE),
		CFG_STR("role_attested", NULL, CFGF_NONE),
		CFG_END()
	};
	static cfg_opt_t opts[] = {
		CFG_STR("socket", DEF_SOCKET, CFGF_NONE),
		CFG_STR("socket_mode", "0660", CFGF_NONE),
		CFG_STR("state_dir", DEF_STATE, CFGF_NONE),
		CFG_STR("gnupg_home", DEF_GNUPG, CFGF_NONE),
		CFG_STR("user", "embargo", CFGF_NONE),
		CFG_STR("on_error", "tempfail", CFGF_NONE),
		CFG_INT("max_message_size", 26214400, CFGF_NONE),
		CFG_STR("max_embargo", "21d", CFGF_NONE),
		CFG_STR("remind_before", "24h", CFGF_NONE),
		CFG_STR("audit_anchor_every", "1h", CFGF_NONE),
		CFG_INT("mime_max_depth", 20, CFGF_NONE),
		CFG_INT("delivery_workers", 4, CFGF_NONE),
		CFG_INT("mime_max_parts", 500, CFGF_NONE),
		CFG_INT("max_header_size", 262144, CFGF_NONE),
		CFG_SEC("reinject", reinject_opts, CFGF_NONE),
		CFG_STR_LIST("advisory_id", "{\"XSA-[0-9]+\", \"CVE-[0-9]{4}-[0-9]{4,}\"}",
		    CFGF_NONE),
		CFG_STR_LIST("embargo_phrases", "{\"EMBARGOED UNTIL\", \"EMBARGO DATE:\"}",
		    CFGF_NONE),
		CFG_STR_LIST("role_localparts", "{\"security\", \"secalert\", "
		    "\"psirt\", \"security-team\", \"product-security\", "
		    "\"cert\", \"vulnerability\", \"vuln\"}", CFGF_NONE),
		CFG_SEC("team", team_opts, CFGF_NONE),
		CFG_SEC("list", list_opts, CFGF_MULTI | CFGF_TITLE),
		CFG_SEC("member", member_opts,
		    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
		CFG_STR_LIST("public_lists", NULL, CFGF_NONE),
		CFG_END()
	};
	static const char *noted[] = {
		"socket", "socket_mode", "state_dir", "gnupg_home", "user",
		"on_error", "max_embargo", "remind_before", "audit_anchor_every",
		"advisory_id",
		"embargo_phrases", "role_localparts", "public_lists",
		"team|addresses", "team|keys", "list|address", "list|key",
		"member|address", "member|key", NULL
	};
	cfg_t *c = cfg_init(opts, CFGF_NONE);
	char *text;

	cfg_set_error_function(c, parse_error);
	for (size_t i = 0; noted[i] != NULL; i++)
		(void)cfg_set_validate_func(c, noted[i], note_line);
	if ((text = read_uncommented(path)) == NULL) {
		*rc = CFG_FILE_ERROR;
		return c;
	}
	*rc = cfg_parse_buf(c, text);
	free(text);
	return c;
}

/* conf_load - read, check every rule, report every problem */

int
conf_load(const char *path, struct config **out, struct conf_report *rep)
{
	struct config *cfg;
	cfg_t *c;
	size_t errors_before = rep->errors;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&load_lock);
	cur_report = rep;
	cur_path = path;
	c = schema_parse(path, &rc);
	if (rc == CFG_FILE_ERROR) {
		conf_report_add(rep, false, "%s: cannot read the file (%m); give "
		    "the config path with -c FILE", path);
	} else if (rc == CFG_SUCCESS) {
		cfg = xcalloc(1, sizeof(*cfg));
		cfg->path = xstrdup(path);
		load_scalars(c, cfg, rep);
		load_patterns(c, cfg, rep);
		load_sections(c, cfg, rep);
		validate_team_list(cfg, rep);
		validate_members(cfg, rep);
		validate_roles(cfg, rep);
		if (rep->errors == errors_before)
			*out = cfg;
		else
			conf_free(cfg);
	}
	cfg_free(c);
	notes_free();
	cur_report = NULL;
	pthread_mutex_unlock(&load_lock);
	return *out != NULL ? EM_OK : EM_ECONFIG;
}

/* conf_free - release a config */

void
conf_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->socket);
	free(cfg->state_dir);
	free(cfg->gnupg_home);
	free(cfg->user);
	free(cfg->reinject_host);
	if (cfg->advisory_re != NULL)
		for (size_t i = 0; i < cfg->advisory_src.n; i++)
			regfree(&cfg->advisory_re[i]);
	free(cfg->advisory_re);
	strv_free(&cfg->advisory_src);
	strv_free(&cfg->advisory_prefix);
	strv_free(&cfg->embargo_phrases);
	strv_free(&cfg->role_localparts);
	strv_free(&cfg->team_addresses);
	strv_free(&cfg->team_keys);
	free(cfg->list_name);
	free(cfg->list_address);
	free(cfg->list_key);
	free(cfg->list_outer_subject);
	for (size_t i = 0; i < cfg->n_members; i++) {
		free(cfg->members[i].name);
		free(cfg->members[i].address);
		free(cfg->members[i].key);
		free(cfg->members[i].role_attested);
	}
	free(cfg->members);
	strv_free(&cfg->public_lists);
	free(cfg);
}

/* strv_has - exact match in a lower-case vector */

static bool
strv_has(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

/* conf_member_by_addr - the member whose address this is, or NULL */

const struct conf_member *
conf_member_by_addr(const struct config *cfg, const char *addr)
{
	char *a = em_addr_norm(addr);
	const struct conf_member *m = NULL;

	for (size_t i = 0; i < cfg->n_members && m == NULL; i++)
		if (cfg->members[i].address != NULL &&
		    strcmp(cfg->members[i].address, a) == 0)
			m = &cfg->members[i];
	free(a);
	return m;
}

/* conf_addr_role - what an address is under this config */

enum conf_role
conf_addr_role(const struct config *cfg, const char *addr)
{
	char *a = em_addr_norm(addr);
	enum conf_role r = CONF_ROLE_NONE;

	if (cfg->list_address != NULL && strcmp(a, cfg->list_address) == 0)
		r = CONF_ROLE_LIST;
	else if (strv_has(&cfg->team_addresses, a))
		r = CONF_ROLE_TEAM;
	else if (strv_has(&cfg->public_lists, a))
		r = CONF_ROLE_PUBLIC;
	free(a);
	if (r == CONF_ROLE_NONE && conf_member_by_addr(cfg, addr) != NULL)
		r = CONF_ROLE_MEMBER;
	return r;
}

/* conf_is_team_key - fingerprint (any case) is one of team.keys */

bool
conf_is_team_key(const struct config *cfg, const char *fpr)
{
	if (fpr == NULL)
		return false;
	for (size_t i = 0; i < cfg->team_keys.n; i++)
		if (strcasecmp(cfg->team_keys.v[i], fpr) == 0)
			return true;
	return false;
}
