/*
 * schema.c - the libconfuse schema of embargo-milter.conf and its
 * defaults, parsing, and where each value was read (see conf_int.h)
 *
 * libconfuse gives no line per value, so a validate callback notes the
 * parser's line for each string value as it is read; the rules look the
 * line up by option name and value (conf_line_of).  Loading is rare
 * (start, SIGHUP, embargoctl), so one mutex serialises it.
 */

/* System library. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Utility library. */
#include <confuse.h>

/* Application-specific. */
#include "conf.h"
#include "conf_int.h"

#define DEF_SOCKET	"unix:/run/embargo-milter/milter.sock"
#define DEF_STATE	"/var/lib/embargo-milter"
#define DEF_GNUPG	"/var/lib/embargo-milter/gnupg"

/* Every key of the schema, for the man page test (conf_key_names). */
const char *const conf_key_names[] = {
	"socket", "socket_mode", "state_dir", "gnupg_home", "user", "on_error",
	"audit_passes", "max_message_size", "max_decrypted_size", "max_embargo", "remind_before", "release_alarm", "audit_anchor_every",
	"public_time", "state_map_size", "mime_max_depth", "mime_max_parts", "max_header_size",
	"delivery_workers", "reader", "reader_program", "readers",
	"reader_cpu_seconds", "reader_memory", "reader_max_use",
	"reinject", "host", "port",
	"advisory_id", "embargo_phrases", "role_localparts",
	"team", "addresses", "keys", "certificates",
	"list", "address", "key", "certificate", "outer_subject", "require_signed",
	"member", "role_attested", "public_lists", "participant", "discussion",
	"pre_announce", "release_hook", "command", "timeout",
	"csaf", "publisher", "namespace", "product", "url",
	"backup", "recipients", "dir", "keep",
	"standby", "primary_milter", "primary_reinject",
	NULL
};

/*
 * The line notes: (option, value, line) as the parser read them.  Loading
 * is rare (start, SIGHUP, embargoctl), so one mutex serialises it.
 */
struct line_note {
	const cfg_t *sec;	/* the section it was in (compared, never read) */
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
	notes[n_notes].sec = cfg;
	notes[n_notes].opt = xstrdup(opt->name);
	notes[n_notes].val = xstrdup(val);
	notes[n_notes].line = cfg->line;
	n_notes++;
	return 0;
}

/* conf_line_of - where option opt first had value val (0 when unknown) */

int
conf_line_of(const char *opt, const char *val)
{
	for (size_t i = 0; i < n_notes; i++)
		if (strcmp(notes[i].opt, opt) == 0 &&
		    strcasecmp(notes[i].val, val) == 0)
			return notes[i].line;
	return 0;
}

/* conf_line_in - where option opt was last set inside section sec (0: unknown) */

int
conf_line_in(const cfg_t *sec, const char *opt)
{
	int line = 0;

	for (size_t i = 0; i < n_notes; i++)
		if (notes[i].sec == sec && strcmp(notes[i].opt, opt) == 0)
			line = notes[i].line;
	return line;
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

/* conf_parse_begin - take the load lock; problems go to rep, about path */

void
conf_parse_begin(struct conf_report *rep, const char *path)
{
	pthread_mutex_lock(&load_lock);
	cur_report = rep;
	cur_path = path;
}

/* conf_parse_end - forget the notes, release the lock */

void
conf_parse_end(void)
{
	notes_free();
	cur_report = NULL;
	pthread_mutex_unlock(&load_lock);
}

/* conf_cur_path - the file being loaded, for problem reports */

const char *
conf_cur_path(void)
{
	return cur_path;
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

/* The option tables: every key, its type and its default. */

static cfg_opt_t reinject_opts[] = {
	CFG_STR("host", "127.0.0.1", CFGF_NONE),
	CFG_INT("port", 10026, CFGF_NONE),
	CFG_END()
};
static cfg_opt_t team_opts[] = {
	CFG_STR_LIST("addresses", NULL, CFGF_NONE),
	CFG_STR_LIST("keys", NULL, CFGF_NONE),
	CFG_STR_LIST("certificates", NULL, CFGF_NONE),
	CFG_END()
};
static cfg_opt_t list_opts[] = {
	CFG_STR("address", NULL, CFGF_NONE),
	CFG_STR("key", NULL, CFGF_NONE),
	CFG_STR("certificate", NULL, CFGF_NONE),
	CFG_STR("outer_subject", "Embargoed security advisory", CFGF_NONE),
	CFG_BOOL("require_signed", cfg_true, CFGF_NONE),
	CFG_END()
};
static cfg_opt_t member_opts[] = {
	CFG_STR("address", NULL, CFGF_NONE),
	CFG_STR("key", NULL, CFGF_NONE),
	CFG_STR("certificate", NULL, CFGF_NONE),
	CFG_STR("role_attested", NULL, CFGF_NONE),
	CFG_BOOL("csaf", cfg_false, CFGF_NONE),
	CFG_END()
};
/* A participant and the discussion list: an address and a key (and an
 * S/MIME certificate, or instead of the key for a participant). */
static cfg_opt_t address_key_opts[] = {
	CFG_STR("address", NULL, CFGF_NONE),
	CFG_STR("key", NULL, CFGF_NONE),
	CFG_STR("certificate", NULL, CFGF_NONE),
	CFG_END()
};
static cfg_opt_t csaf_opts[] = {
	CFG_STR("publisher", NULL, CFGF_NONE),
	CFG_STR("namespace", NULL, CFGF_NONE),
	CFG_STR("product", NULL, CFGF_NONE),
	CFG_STR("url", NULL, CFGF_NONE),
	CFG_END()
};
static cfg_opt_t backup_opts[] = {
	CFG_STR_LIST("recipients", NULL, CFGF_NONE),
	CFG_STR("dir", "/var/backups/embargo-milter", CFGF_NONE),
	CFG_INT("keep", 14, CFGF_NONE),
	CFG_END()
};
static cfg_opt_t standby_opts[] = {
	CFG_STR("primary_milter", NULL, CFGF_NONE),
	CFG_STR("primary_reinject", NULL, CFGF_NONE),
	CFG_END()
};
static cfg_opt_t hook_opts[] = {
	CFG_STR_LIST("command", NULL, CFGF_NONE),
	CFG_STR("timeout", "120s", CFGF_NONE),
	CFG_END()
};
static cfg_opt_t opts[] = {
	CFG_STR("socket", DEF_SOCKET, CFGF_NONE),
	CFG_STR("socket_mode", "0660", CFGF_NONE),
	CFG_STR("state_dir", DEF_STATE, CFGF_NONE),
	CFG_STR("gnupg_home", DEF_GNUPG, CFGF_NONE),
	CFG_STR("user", "embargo", CFGF_NONE),
	CFG_STR("on_error", "tempfail", CFGF_NONE),
	CFG_STR("audit_passes", "advisory", CFGF_NONE),
	CFG_INT("max_message_size", 26214400, CFGF_NONE),
	CFG_INT("max_decrypted_size", 0, CFGF_NONE),
	CFG_STR("max_embargo", "21d", CFGF_NONE),
	CFG_STR("remind_before", "24h", CFGF_NONE),
	CFG_STR("release_alarm", "60s", CFGF_NONE),
	CFG_STR("audit_anchor_every", "1h", CFGF_NONE),
	CFG_STR("public_time", "12:00", CFGF_NONE),
	CFG_INT("state_map_size", 1073741824, CFGF_NONE),
	CFG_INT("mime_max_depth", 20, CFGF_NONE),
	CFG_INT("delivery_workers", 4, CFGF_NONE),
	CFG_INT("mime_max_parts", 500, CFGF_NONE),
	CFG_INT("max_header_size", 262144, CFGF_NONE),
	CFG_STR("reader", "confined", CFGF_NONE),
	CFG_STR("reader_program", "", CFGF_NONE),
	CFG_INT("readers", 4, CFGF_NONE),
	CFG_INT("reader_cpu_seconds", 10, CFGF_NONE),
	CFG_INT("reader_memory", 1073741824, CFGF_NONE),
	CFG_INT("reader_max_use", 100, CFGF_NONE),
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
	CFG_SEC("participant", address_key_opts,
	    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("discussion", address_key_opts, CFGF_MULTI),
	CFG_STR_LIST("public_lists", NULL, CFGF_NONE),
	CFG_STR_LIST("pre_announce", NULL, CFGF_NONE),
	CFG_SEC("release_hook", hook_opts,
	    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("csaf", csaf_opts, CFGF_MULTI),
	CFG_SEC("backup", backup_opts, CFGF_MULTI),
	CFG_SEC("standby", standby_opts, CFGF_MULTI),
	CFG_END()
};

/* The string keys whose lines are noted (note_line), "section|key" inside. */
static const char *noted[] = {
	"socket", "socket_mode", "state_dir", "gnupg_home", "user",
	"on_error", "audit_passes", "reader", "reader_program", "max_embargo", "remind_before", "release_alarm",
	"audit_anchor_every",
	"public_time", "advisory_id",
	"embargo_phrases", "role_localparts", "public_lists", "pre_announce",
	"team|addresses", "team|keys", "team|certificates", "list|address",
	"list|key",
	"member|address", "member|key", "participant|address",
	"participant|key", "discussion|address", "discussion|key",
	"list|certificate", "member|certificate", "participant|certificate",
	"discussion|certificate", "release_hook|command", "backup|recipients",
	"release_hook|timeout", NULL
};

/* conf_schema_parse - parse path against the schema, noting the lines */

cfg_t *
conf_schema_parse(const char *path, int *rc)
{
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

