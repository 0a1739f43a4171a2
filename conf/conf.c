/*
 * conf.c - load embargo-milter.conf into one immutable struct config
 * (see conf.h): the values read from the parsed schema (schema.c), then
 * every rule checked (validate.c), then the lookups the rest of the
 * program uses on a loaded config
 */

/* System library. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Utility library. */
#include <confuse.h>

/* Application-specific. */
#include "conf.h"
#include "conf_int.h"
#include "../util/emtime.h"

/* pin_norm - a certificate's SHA-256 as written, in place: colons and
 * blanks out, upper case */

static char *
pin_norm(char *s)
{
	char *o = s;

	for (const char *p = s; *p; p++)
		if (*p != ':' && *p != ' ' && *p != '\t')
			*o++ = *p;
	*o = '\0';
	return conf_upper(s);
}

/*
 * cert_pin - a certificate's SHA-256 as written ("53:F4:...", as OpenSSL
 * prints it, or bare hex) in 64 upper-case hex digits; its line in *line.
 * Colons and blanks go; anything else stays, for the check to name.
 */
static char *
cert_pin(cfg_t *sec, int *line)
{
	const char *raw = sec ? cfg_getstr(sec, "certificate") : NULL;

	*line = 0;
	if (raw == NULL)
		return NULL;
	*line = conf_line_of("certificate", raw);
	if (*line == 0)
		*line = sec->line;
	return pin_norm(xstrdup(raw));
}

/* load_places - where the daemon lives: socket, state, keyring, user */

static void
load_places(cfg_t *c, struct config *cfg, struct conf_report *rep)
{
	const char *s = cfg_getstr(c, "socket_mode");
	char *end;
	long mode = strtol(s, &end, 8);

	cfg->socket = xstrdup(cfg_getstr(c, "socket"));
	cfg->state_dir = xstrdup(cfg_getstr(c, "state_dir"));
	cfg->gnupg_home = xstrdup(cfg_getstr(c, "gnupg_home"));
	cfg->user = xstrdup(cfg_getstr(c, "user"));
	cfg->reader_program = xstrdup(cfg_getstr(c, "reader_program"));
	if (cfg->reader_program[0] != '\0' && cfg->reader_program[0] != '/')
		problem(rep, "reader_program", cfg->reader_program,
		    "reader_program \"%s\" must be an absolute path",
		    cfg->reader_program);
	if (strncmp(cfg->socket, "unix:", 5) != 0 &&
	    strncmp(cfg->socket, "local:", 6) != 0 &&
	    strncmp(cfg->socket, "inet:", 5) != 0 &&
	    strncmp(cfg->socket, "inet6:", 6) != 0 && cfg->socket[0] != '/')
		problem(rep, "socket", cfg->socket, "socket \"%s\" is not a "
		    "milter socket; write \"unix:/path\" or \"inet:PORT@127.0.0.1\"",
		    cfg->socket);
	if (*s == '\0' || *end != '\0' || mode < 0 || mode > 0777 ||
	    (mode & 0007))
		problem(rep, "socket_mode", s, "socket_mode = \"%s\" is not an "
		    "octal mode without rights for others; write e.g. \"0660\" "
		    "and put the MTA's user in the daemon's group", s);
	cfg->socket_mode = (unsigned)(mode & 0777);
	if (cfg->state_dir[0] != '/')
		problem(rep, "state_dir", cfg->state_dir, "state_dir \"%s\" "
		    "must be an absolute path", cfg->state_dir);
	if (cfg->gnupg_home[0] != '/')
		problem(rep, "gnupg_home", cfg->gnupg_home, "gnupg_home \"%s\" "
		    "must be an absolute path", cfg->gnupg_home);
}

/* load_choices - the keys that take one of a few words */

static void
load_choices(cfg_t *c, struct config *cfg, struct conf_report *rep)
{
	const char *s = cfg_getstr(c, "on_error");

	if (strcmp(s, "tempfail") == 0)
		cfg->on_error = CONF_ON_ERROR_TEMPFAIL;
	else if (strcmp(s, "accept") == 0)
		cfg->on_error = CONF_ON_ERROR_ACCEPT;
	else
		problem(rep, "on_error", s, "on_error = %s is unknown; write "
		    "tempfail (the safe default) or accept", s);
	s = cfg_getstr(c, "audit_passes");
	if (strcmp(s, "advisory") == 0)
		cfg->audit_passes = CONF_AUDIT_PASSES_ADVISORY;
	else if (strcmp(s, "all") == 0)
		cfg->audit_passes = CONF_AUDIT_PASSES_ALL;
	else
		problem(rep, "audit_passes", s, "audit_passes = %s is unknown; "
		    "write advisory (the default: a pass of mail that concerns "
		    "no advisory is a log line) or all (every pass is also "
		    "audited, in a later group commit)", s);
	s = cfg_getstr(c, "reader");
	cfg->reader_confined = strcmp(s, "in-process") != 0;
	if (strcmp(s, "confined") != 0 && strcmp(s, "in-process") != 0)
		problem(rep, "reader", s, "reader = %s is unknown; write "
		    "confined (the default: mail is parsed in embargo-reader, "
		    "under seccomp and ceilings) or in-process", s);
}

/*
 * The numeric keys: each with its range and default.  A value out of
 * range is a problem, and the default (or the nearest bound) is kept so
 * that the rest of the file is still checked.  max_decrypted_size 0 means
 * twice max_message_size (compressed text inside encryption).
 */
static const struct num_key {
	const char *name;
	long	min, max;		/* max 0: no upper bound */
	bool	zero_ok;		/* 0 has a meaning of its own */
	size_t	off;			/* the size_t field of struct config */
} num_keys[] = {
	{ "max_message_size", 1024, 1L << 30, false,
	    offsetof(struct config, max_message_size) },
	{ "max_decrypted_size", 1024, 1L << 30, true,
	    offsetof(struct config, max_decrypted_size) },
	{ "state_map_size", 1L << 20, 0, false,
	    offsetof(struct config, state_map_size) },
	{ "mime_max_depth", 1, 100, false,
	    offsetof(struct config, mime_max_depth) },
	{ "mime_max_parts", 1, 100000, false,
	    offsetof(struct config, mime_max_parts) },
	{ "max_header_size", 1024, 1L << 30, false,
	    offsetof(struct config, max_header_size) },
	{ "readers", 1, 64, false, offsetof(struct config, readers) },
	{ "reader_cpu_seconds", 1, 3600, false,
	    offsetof(struct config, reader_cpu_seconds) },
	{ "reader_memory", 64L << 20, 64L << 30, false,
	    offsetof(struct config, reader_memory) },
	{ "reader_max_use", 1, 10000, false,
	    offsetof(struct config, reader_max_use) },
};

/* load_numbers - the numeric keys, by the table above */

static void
load_numbers(cfg_t *c, struct config *cfg, struct conf_report *rep)
{
	long n;

	for (size_t i = 0; i < sizeof(num_keys) / sizeof(num_keys[0]); i++) {
		const struct num_key *k = &num_keys[i];
		size_t *field = (size_t *)(void *)((char *)cfg + k->off);
		long dflt = cfg_getopt(c, k->name)->def.number;	/* schema.c */

		n = cfg_getint(c, k->name);
		if (n == 0 && k->zero_ok) {
			*field = 0;
			continue;
		}
		if (n < k->min && k->max == 0)
			problem_at(rep, false, 0, "%s = %ld is too small; give at "
			    "least %ld%s (default %ld)", k->name, n, k->min,
			    k->zero_ok ? ", or 0" : "", dflt);
		else if (n < k->min || (k->max != 0 && n > k->max))
			problem_at(rep, false, 0, "%s = %ld is out of range; give "
			    "%ld to %ld (default %ld)", k->name, n, k->min, k->max,
			    dflt);
		*field = n >= k->min && (k->max == 0 || n <= k->max) ?
		    (size_t)n : (size_t)k->min;
	}
	if (cfg->max_decrypted_size == 0)
		cfg->max_decrypted_size = 2 * cfg->max_message_size;
	n = cfg_getint(c, "delivery_workers");
	if (n < 1 || n > 32)
		problem_at(rep, false, 0, "delivery_workers = %ld is out of range; "
		    "give 1 to 32 (default 4)", n);
	cfg->delivery_workers = n >= 1 && n <= 32 ? (int)n : 4;
}

/* load_durations - the keys that are durations ("21d", "24h") */

static void
load_durations(cfg_t *c, struct config *cfg, struct conf_report *rep)
{
	const char *s = cfg_getstr(c, "max_embargo");

	if (em_duration_parse(s, &cfg->max_embargo) < 0 || cfg->max_embargo <= 0)
		problem(rep, "max_embargo", s, "max_embargo = \"%s\" is not a "
		    "duration; write e.g. \"21d\" or \"14d12h\"", s);
	s = cfg_getstr(c, "remind_before");
	if (em_duration_parse(s, &cfg->remind_before) < 0)
		problem(rep, "remind_before", s, "remind_before = \"%s\" is not "
		    "a duration; write e.g. \"24h\", or \"0\" for never", s);
	s = cfg_getstr(c, "release_alarm");
	if (em_duration_parse(s, &cfg->release_alarm) < 0 ||
	    cfg->release_alarm <= 0)
		problem(rep, "release_alarm", s, "release_alarm = \"%s\" is not "
		    "a duration above 0; write e.g. \"60s\" or \"5m\"", s);
	s = cfg_getstr(c, "audit_anchor_every");
	if (em_duration_parse(s, &cfg->audit_anchor_every) < 0 ||
	    cfg->audit_anchor_every <= 0)
		problem(rep, "audit_anchor_every", s, "audit_anchor_every = \"%s\" "
		    "is not a duration; write e.g. \"1h\"", s);
	s = cfg_getstr(c, "public_time");
	if (em_time_of_day_parse(s, &cfg->public_time) < 0)
		problem(rep, "public_time", s, "public_time = \"%s\" is not a time "
		    "of day; write \"HH:MM\" in UTC, e.g. \"12:00\"", s);
}

/* load_scalars - the top-level keys */

static void
load_scalars(cfg_t *c, struct config *cfg, struct conf_report *rep)
{
	load_places(c, cfg, rep);
	load_choices(c, cfg, rep);
	load_numbers(c, cfg, rep);
	load_durations(c, cfg, rep);
}

/* load_patterns - advisory_id, embargo_phrases, role_localparts */

/*
 * pattern_cost - why an advisory_id pattern would cost regcomp() too
 * much, or NULL.  glibc's regcomp() grows exponentially with stacked
 * quantifiers ("a+++") and large counts ("(a{100}){100}"); an id pattern
 * needs neither, so they are refused before compiling.
 */
static const char *
pattern_cost(const char *src)
{
	bool quant = false, bracket = false;
	int n_quant = 0;

	if (strlen(src) > 200)
		return "is longer than 200 characters";
	for (const char *p = src; *p != '\0'; p++) {
		bool q = false;

		if (bracket) {
			if (*p == ']' && p[-1] != '[' &&
			    !(p[-1] == '^' && p[-2] == '['))
				bracket = false;
			continue;
		}
		if (*p == '\\' && p[1] != '\0') {
			p++;
		} else if (*p == '[') {
			bracket = true;
		} else if (*p == '*' || *p == '+' || *p == '?') {
			q = true;
		} else if (*p == '{') {
			char *end;
			long lo = strtol(p + 1, &end, 10), hi = lo;

			if (*end == ',' && end[1] != '}')
				hi = strtol(end + 1, NULL, 10);
			if (lo > 16 || hi > 16)
				return "has a repeat count over 16";
			if (strchr(p, '}') != NULL)
				p = strchr(p, '}');
			q = true;
		}
		if (q && quant)
			return "stacks one quantifier on another";
		if (q && ++n_quant > 20)
			return "has more than 20 quantifiers";
		quant = q;
	}
	return NULL;
}

/*
 * literal_prefix - the length of the literal start of a pattern ("XSA-"
 * of "XSA-[0-9]+"): a text without it cannot match, and memmem is far
 * cheaper than regexec.  A quantifier right after it makes its last
 * character optional, so that one is left out.
 */
static size_t
literal_prefix(const char *src)
{
	size_t lit = strcspn(src, "\\^$.[]|()*+?{}");

	if (lit > 0 && src[lit] != '\0' && strchr("*?{", src[lit]) != NULL)
		lit--;
	if (strchr(src, '|') != NULL)
		lit = 0;	/* an alternative may start otherwise */
	return lit;
}

/* compile_advisory_id - compile advisory_id pattern i and keep its prefix */

static void
compile_advisory_id(struct config *cfg, size_t i, struct conf_report *rep)
{
	const char *src = cfg->advisory_src.v[i];
	const char *cost = pattern_cost(src);
	int rc = cost != NULL ? REG_ESPACE :
	    regcomp(&cfg->advisory_re[i], src, REG_EXTENDED);
	char *pre = xstrndup(src, literal_prefix(src));

	strv_push(&cfg->advisory_prefix, pre);
	free(pre);

	if (cost != NULL) {
		problem(rep, "advisory_id", src, "advisory_id \"%.60s\" "
		    "%s; an advisory id needs no such pattern (write "
		    "e.g. \"XSA-[0-9]+\")", src, cost);
	} else if (rc != 0) {
		char msg[128];

		regerror(rc, &cfg->advisory_re[i], msg, sizeof(msg));
		problem(rep, "advisory_id", src, "advisory_id \"%s\" is "
		    "not a valid POSIX extended regex (%s); fix the "
		    "pattern", src, msg);
		/* Keep a harmless pattern so the array stays whole. */
		(void)regcomp(&cfg->advisory_re[i], "$^", REG_EXTENDED);
	}
}

/* check_phrases - embargo_phrases and role_localparts: present, bounded */

static void
check_phrases(const struct config *cfg, struct conf_report *rep)
{
	if (cfg->embargo_phrases.n == 0)
		problem_at(rep, false, 0, "embargo_phrases is empty; give at "
		    "least one, e.g. { \"EMBARGOED UNTIL\" }");
	if (cfg->embargo_phrases.n > CONF_MAX_PHRASES)
		problem_at(rep, false, 0, "embargo_phrases has %zu phrases; "
		    "give at most %d", cfg->embargo_phrases.n, CONF_MAX_PHRASES);
	for (size_t i = 0; i < cfg->embargo_phrases.n; i++)
		if (strlen(cfg->embargo_phrases.v[i]) < 4)
			problem(rep, "embargo_phrases", cfg->embargo_phrases.v[i],
			    "embargo phrase \"%s\" is too short to be safe; "
			    "use at least 4 characters", cfg->embargo_phrases.v[i]);
	if (cfg->role_localparts.n == 0)
		problem_at(rep, false, 0, "role_localparts is empty; give the "
		    "role names allowed on the list, e.g. { \"security\", \"psirt\" }");
}

/* load_patterns - advisory_id, embargo_phrases, role_localparts, compiled */

static void
load_patterns(cfg_t *c, struct config *cfg, struct conf_report *rep)
{
	conf_copy_list(c, "advisory_id", &cfg->advisory_src, false);
	conf_copy_list(c, "embargo_phrases", &cfg->embargo_phrases, false);
	conf_copy_list(c, "role_localparts", &cfg->role_localparts, true);

	if (cfg->advisory_src.n == 0)
		problem_at(rep, false, 0, "advisory_id is empty; give at least "
		    "one POSIX extended regex, e.g. { \"XSA-[0-9]+\" }");
	cfg->advisory_re = xcalloc(cfg->advisory_src.n + 1, sizeof(regex_t));
	for (size_t i = 0; i < cfg->advisory_src.n; i++)
		compile_advisory_id(cfg, i, rep);
	check_phrases(cfg, rep);
}

/* load_people - member or participant blocks into an array */

static struct conf_member *
load_people(cfg_t *c, const char *name, bool attested, size_t *n,
    struct conf_report *rep)
{
	struct conf_member *v;

	*n = cfg_size(c, name);
	v = xcalloc(*n + 1, sizeof(*v));
	for (size_t i = 0; i < *n; i++) {
		struct conf_member *m = &v[i];
		cfg_t *sec = cfg_getnsec(c, name, (unsigned int)i);
		const char *a = cfg_getstr(sec, "address");

		m->name = xstrdup(cfg_title(sec));
		m->address = a ? em_addr_norm(a) : NULL;
		m->line = a ? conf_line_of("address", a) : sec->line;
		m->key = conf_upper(conf_dupstr(cfg_getstr(sec, "key")));
		m->key_line = conf_line_in(sec, "key");
		if (m->key_line == 0)
			m->key_line = sec->line;
		if (cfg_getstr(sec, "certificate") != NULL) {
			if (m->key != NULL)
				problem_at(rep, false, m->key_line, "%s \"%s\": "
				    "both a key and a certificate; a recipient "
				    "reads OpenPGP or S/MIME: keep the one it "
				    "reads", name, m->name);
			free(m->key);
			m->key = cert_pin(sec, &m->key_line);
			m->smime = true;
		}
		if (attested) {
			m->role_attested = conf_dupstr(cfg_getstr(sec,
			    "role_attested"));
			m->csaf = cfg_getbool(sec, "csaf");
		}
	}
	return v;
}

/* load_discussion - the members' discussion list, when configured */

static void
load_discussion(cfg_t *c, struct config *cfg, struct conf_report *rep)
{
	cfg_t *sec;
	const char *a;

	if (cfg_size(c, "discussion") == 0)
		return;
	if (cfg_size(c, "discussion") > 1)
		problem_at(rep, false, 0, "more than one discussion section; "
		    "the members have one discussion list: keep one");
	sec = cfg_getnsec(c, "discussion", 0);
	a = cfg_getstr(sec, "address");
	cfg->discussion_address = a ? em_addr_norm(a) : xstrdup("");
	cfg->discussion_key = conf_upper(conf_dupstr(cfg_getstr(sec, "key")));
	cfg->discussion_key_line = conf_line_in(sec, "key");
	if (cfg->discussion_key_line == 0)
		cfg->discussion_key_line = sec->line;
	cfg->discussion_cert = cert_pin(sec, &cfg->discussion_cert_line);
}

/* load_hooks - the release_hook blocks: a command and its timeout each */

static void
load_hooks(cfg_t *c, struct config *cfg, struct conf_report *rep)
{
	cfg->n_hooks = cfg_size(c, "release_hook");
	cfg->hooks = xcalloc(cfg->n_hooks + 1, sizeof(*cfg->hooks));
	for (size_t i = 0; i < cfg->n_hooks; i++) {
		struct conf_hook *h = &cfg->hooks[i];
		cfg_t *sec = cfg_getnsec(c, "release_hook", (unsigned int)i);
		const char *to = cfg_getstr(sec, "timeout");

		h->name = xstrdup(cfg_title(sec));
		conf_copy_list(sec, "command", &h->argv, false);
		h->line = sec->line;
		if (em_duration_parse(to, &h->timeout) < 0 || h->timeout <= 0 ||
		    h->timeout > 86400)
			problem_at(rep, false, conf_line_of("timeout", to),
			    "release_hook \"%s\": timeout \"%s\" is not a "
			    "duration between 1s and 24h; write e.g. \"120s\"",
			    h->name, to);
	}
}

/* load_sections - reinject, team, list, members, public_lists, hooks */

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
	conf_copy_list(sec, "addresses", &cfg->team_addresses, true);
	conf_copy_list(sec, "keys", &cfg->team_keys, false);
	cfg->team_key_line = xcalloc(cfg->team_keys.n + 1, sizeof(int));
	for (size_t i = 0; i < cfg->team_keys.n; i++) {
		conf_upper(cfg->team_keys.v[i]);
		cfg->team_key_line[i] = conf_line_of("keys", cfg->team_keys.v[i]);
		if (cfg->team_key_line[i] == 0)
			cfg->team_key_line[i] = sec->line;
	}
	conf_copy_list(sec, "certificates", &cfg->team_certs, false);
	cfg->team_cert_line = xcalloc(cfg->team_certs.n + 1, sizeof(int));
	for (size_t i = 0; i < cfg->team_certs.n; i++) {
		cfg->team_cert_line[i] = conf_line_of("certificates",
		    cfg->team_certs.v[i]);
		if (cfg->team_cert_line[i] == 0)
			cfg->team_cert_line[i] = sec->line;
		(void)pin_norm(cfg->team_certs.v[i]);
	}

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
		cfg->list_key = conf_upper(conf_dupstr(cfg_getstr(sec, "key")));
		cfg->list_key_line = conf_line_in(sec, "key");
		if (cfg->list_key_line == 0 && sec != NULL)
			cfg->list_key_line = sec->line;
		cfg->list_cert = cert_pin(sec, &cfg->list_cert_line);
		cfg->list_outer_subject = xstrdup(cfg_getstr(sec, "outer_subject"));
		cfg->require_signed = cfg_getbool(sec, "require_signed");
	}

	cfg->members = load_people(c, "member", true, &cfg->n_members, rep);
	cfg->participants = load_people(c, "participant", false,
	    &cfg->n_participants, rep);
	load_discussion(c, cfg, rep);
	conf_copy_list(c, "public_lists", &cfg->public_lists, true);
	conf_copy_list(c, "pre_announce", &cfg->pre_announce, true);
	load_hooks(c, cfg, rep);
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
	conf_parse_begin(rep, path);
	c = conf_schema_parse(path, &rc);
	if (rc == CFG_FILE_ERROR) {
		conf_report_add(rep, false, "%s: cannot read the file (%m); give "
		    "the config path with -c FILE", path);
	} else if (rc == CFG_SUCCESS) {
		cfg = xcalloc(1, sizeof(*cfg));
		cfg->path = xstrdup(path);
		load_scalars(c, cfg, rep);
		load_patterns(c, cfg, rep);
		load_sections(c, cfg, rep);
		conf_load_csaf(c, cfg, rep);
		conf_load_backup(c, cfg, rep);
		conf_validate(cfg, rep);
		if (rep->errors == errors_before)
			*out = cfg;
		else
			conf_free(cfg);
	}
	cfg_free(c);
	conf_parse_end();
	return *out != NULL ? EM_OK : EM_ECONFIG;
}

/* people_free - release member or participant blocks */

static void
people_free(struct conf_member *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].address);
		free(v[i].key);
		free(v[i].role_attested);
	}
	free(v);
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
	free(cfg->reader_program);
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
	free(cfg->list_cert);
	free(cfg->team_key_line);
	strv_free(&cfg->team_certs);
	free(cfg->team_cert_line);
	free(cfg->list_outer_subject);
	people_free(cfg->members, cfg->n_members);
	people_free(cfg->participants, cfg->n_participants);
	free(cfg->discussion_address);
	free(cfg->discussion_key);
	free(cfg->discussion_cert);
	strv_free(&cfg->public_lists);
	strv_free(&cfg->pre_announce);
	for (size_t i = 0; i < cfg->n_hooks; i++) {
		free(cfg->hooks[i].name);
		strv_free(&cfg->hooks[i].argv);
	}
	free(cfg->hooks);
	free(cfg->csaf_publisher);
	free(cfg->csaf_namespace);
	free(cfg->csaf_product);
	free(cfg->csaf_url);
	strv_free(&cfg->backup_recipients);
	free(cfg->backup_dir);
	free(cfg->standby_milter);
	free(cfg->standby_reinject);
	free(cfg);
}

/* person_by_addr - the block of v whose address this is, or NULL */

static const struct conf_member *
person_by_addr(const struct conf_member *v, size_t n, const char *addr)
{
	char *a = em_addr_norm(addr);
	const struct conf_member *m = NULL;

	for (size_t i = 0; i < n && m == NULL; i++)
		if (v[i].address != NULL && strcmp(v[i].address, a) == 0)
			m = &v[i];
	free(a);
	return m;
}

/* conf_member_by_addr - the member whose address this is, or NULL */

const struct conf_member *
conf_member_by_addr(const struct config *cfg, const char *addr)
{
	return person_by_addr(cfg->members, cfg->n_members, addr);
}

/* conf_member_by_key - the member whose pinned key this is, or NULL */

const struct conf_member *
conf_member_by_key(const struct config *cfg, const char *fpr)
{
	for (size_t i = 0; fpr != NULL && fpr[0] && i < cfg->n_members; i++)
		if (cfg->members[i].key != NULL &&
		    strcasecmp(cfg->members[i].key, fpr) == 0)
			return &cfg->members[i];
	return NULL;
}

/* conf_participant_by_addr - the participant with this address, or NULL */

const struct conf_member *
conf_participant_by_addr(const struct config *cfg, const char *addr)
{
	return person_by_addr(cfg->participants, cfg->n_participants, addr);
}

/* conf_participant_by_name - the participant block of this name, or NULL */

const struct conf_member *
conf_participant_by_name(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_participants; i++)
		if (strcmp(cfg->participants[i].name, name) == 0)
			return &cfg->participants[i];
	return NULL;
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
	else if (cfg->discussion_address != NULL &&
	    strcmp(a, cfg->discussion_address) == 0)
		r = CONF_ROLE_DISCUSSION;
	free(a);
	if (r == CONF_ROLE_NONE && conf_member_by_addr(cfg, addr) != NULL)
		r = CONF_ROLE_MEMBER;
	if (r == CONF_ROLE_NONE && conf_participant_by_addr(cfg, addr) != NULL)
		r = CONF_ROLE_PARTICIPANT;
	return r;
}

/* conf_is_team_key - fingerprint (any case) is one of team.keys */

bool
conf_is_team_key(const struct config *cfg, const char *fpr)
{
	if (fpr == NULL)
		return false;
	for (size_t i = 0; i < cfg->team_certs.n; i++)
		if (strcasecmp(cfg->team_certs.v[i], fpr) == 0)
			return true;
	for (size_t i = 0; i < cfg->team_keys.n; i++)
		if (strcasecmp(cfg->team_keys.v[i], fpr) == 0)
			return true;
	return false;
}
