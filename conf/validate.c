/*
 * validate.c - the rules of SPEC section 3, each problem added to the
 * report (report.c) with the file and the line (schema.c)
 *
 * libconfuse checks the syntax and the schema; the rules are applied
 * afterwards so that every problem is reported, not only the first, each
 * with the file, the line and the fix.
 */

/* System library. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Application-specific. */
#include "conf.h"
#include "conf_int.h"

/* problem_at - report an error (or a warning) at a line of the file */

void
problem_at(struct conf_report *rep, bool warn, int line, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	if (line > 0)
		conf_report_take(rep, warn, xasprintf("%s:%d: %s%s",
		    conf_cur_path(), line, warn ? "warning: " : "", text));
	else
		conf_report_take(rep, warn, xasprintf("%s: %s%s",
		    conf_cur_path(), warn ? "warning: " : "", text));
	free(text);
}

/* hex_digits - how many hex digits s is, or 0 when anything else is in it */

static size_t
hex_digits(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return i;
}

/* conf_fpr_valid - exactly 40 hex digits */

bool
conf_fpr_valid(const char *s)
{
	return hex_digits(s) == 40;
}

/* conf_cert_valid - exactly 64 hex digits */

bool
conf_cert_valid(const char *s)
{
	return hex_digits(s) == 64;
}

/* conf_has_smime - does any member or participant read S/MIME */

bool
conf_has_smime(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_members; i++)
		if (cfg->members[i].smime)
			return true;
	for (size_t i = 0; i < cfg->n_participants; i++)
		if (cfg->participants[i].smime)
			return true;
	return false;
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

		/* The name itself, or the name and a "-suffix". */
		ok = strcmp(norm, roles->v[i]) == 0 ||
		    (strncmp(norm, roles->v[i], rl) == 0 &&
		    norm[rl] == '-' && norm[rl + 1] != '\0');
	}
	free(norm);
	return ok;
}

/* conf_check_fpr - report a fingerprint that is not 40 hex digits */

void
conf_check_fpr(struct conf_report *rep, const char *opt, const char *what,
    const char *fpr)
{
	if (fpr == NULL || *fpr == '\0') {
		problem_at(rep, false, 0, "%s: no key given; set %s to the "
		    "key's 40-hex-digit fingerprint", what, opt);
		return;
	}
	if (conf_cert_valid(fpr) && strspn(fpr, "0123456789ABCDEFabcdef") == 64)
		problem(rep, opt, fpr, "%s: key \"%s\" has 64 hex digits: the "
		    "fingerprint of a v5 (LibrePGP) or v6 (RFC 9580) key, which "
		    "gpg 2.2 and Thunderbird cannot use; ask for a v4 key (gpg "
		    "--full-gen-key, or sq key generate --profile rfc4880) and pin "
		    "its 40 hex digits", what, fpr);
	else if (!conf_fpr_valid(fpr))
		problem(rep, opt, fpr, "%s: key \"%s\" is not a fingerprint; "
		    "write all 40 hex digits without spaces, as printed by "
		    "gpg --with-colons --fingerprint (fpr line)", what, fpr);
}

/* check_cert - report a certificate pin that is not a SHA-256 */

static void
check_cert(struct conf_report *rep, const char *what, const char *pin,
    int line)
{
	if (pin != NULL && !conf_cert_valid(pin))
		problem_at(rep, false, line, "%s: certificate \"%s\" is not a "
		    "SHA-256 fingerprint; write its 64 hex digits (colons "
		    "allowed), as printed by openssl x509 -noout -fingerprint "
		    "-sha256 -in FILE", what, pin);
}

/* check_pin - a recipient's key, or its certificate when it reads S/MIME */

static void
check_pin(struct conf_report *rep, const char *what,
    const struct conf_member *m)
{
	if (m->smime)
		check_cert(rep, what, m->key, m->key_line);
	else if (m->key == NULL || *m->key == '\0')
		problem_at(rep, false, m->line, "%s: no key given; set key to "
		    "the OpenPGP key's 40-hex-digit fingerprint, or, for a "
		    "recipient who reads S/MIME, certificate to its "
		    "certificate's SHA-256 fingerprint", what);
	else
		conf_check_fpr(rep, "key", what, m->key);
}

/* conf_check_addr - report an address that is not user@domain */

bool
conf_check_addr(struct conf_report *rep, const char *opt, const char *what,
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

/* validate_team_list - SPEC section 3 rules for team and list */

static void
validate_team_list(struct config *cfg, struct conf_report *rep)
{
	if (cfg->team_addresses.n == 0)
		problem_at(rep, false, 0, "team: no addresses; give the team's "
		    "role address, e.g. addresses = { \"security@example.org\" }");
	for (size_t i = 0; i < cfg->team_addresses.n; i++)
		(void)conf_check_addr(rep, "addresses", "team",
		    cfg->team_addresses.v[i]);
	if (cfg->team_keys.n == 0 && cfg->team_certs.n == 0 &&
	    cfg->require_signed)
		problem_at(rep, false, 0, "team: no keys while require_signed = "
		    "true; list the fingerprints allowed to post (keys, or "
		    "certificates for a team member who signs S/MIME)");
	for (size_t i = 0; i < cfg->team_keys.n; i++)
		conf_check_fpr(rep, "keys", "team", cfg->team_keys.v[i]);
	for (size_t i = 0; i < cfg->team_certs.n; i++)
		check_cert(rep, "team", cfg->team_certs.v[i],
		    cfg->team_cert_line[i]);
	if (cfg->list_name == NULL)
		return;
	(void)conf_check_addr(rep, "address", "list", cfg->list_address);
	conf_check_fpr(rep, "key", "list", cfg->list_key);
	check_cert(rep, "list", cfg->list_cert, cfg->list_cert_line);
	if (cfg->list_cert == NULL && conf_has_smime(cfg))
		problem_at(rep, false, 0, "list: no certificate while a member "
		    "or participant reads S/MIME; its copies are signed by the "
		    "list's S/MIME certificate: set certificate to that "
		    "certificate's SHA-256 fingerprint (its key in gnupg_home, "
		    "without a passphrase; README, S/MIME recipients)");
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
		check_pin(rep, what, m);
		if (!conf_check_addr(rep, "address", what, m->address))
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

/*
 * validate_others - participants (a person is allowed: discoverers are
 * people) and the discussion list: an address and a key each
 */
static void
validate_others(struct config *cfg, struct conf_report *rep)
{
	for (size_t i = 0; i < cfg->n_participants; i++) {
		struct conf_member *m = &cfg->participants[i];
		char what[256];

		(void)snprintf(what, sizeof(what), "participant \"%s\"", m->name);
		check_pin(rep, what, m);
		(void)conf_check_addr(rep, "address", what, m->address);
	}
	for (size_t i = 0; i < cfg->pre_announce.n; i++)
		(void)conf_check_addr(rep, "pre_announce", "pre_announce",
		    cfg->pre_announce.v[i]);
	if (cfg->discussion_address == NULL)
		return;
	(void)conf_check_addr(rep, "address", "discussion",
	    cfg->discussion_address);
	conf_check_fpr(rep, "key", "discussion", cfg->discussion_key);
	check_cert(rep, "discussion", cfg->discussion_cert,
	    cfg->discussion_cert_line);
	if (cfg->discussion_cert == NULL && conf_has_smime(cfg))
		problem_at(rep, false, cfg->discussion_key_line, "discussion: "
		    "no certificate while a member reads S/MIME; its copies of "
		    "the discussion are signed by the discussion list: set "
		    "certificate to the SHA-256 fingerprint of a certificate of "
		    "its own");
	if (cfg->discussion_cert != NULL && cfg->list_cert != NULL &&
	    strcmp(cfg->discussion_cert, cfg->list_cert) == 0)
		problem_at(rep, false, cfg->discussion_cert_line, "discussion: "
		    "certificate %s is the list's; give the discussion list a "
		    "certificate of its own", cfg->discussion_cert);
	if (cfg->discussion_key != NULL && cfg->list_key != NULL &&
	    strcmp(cfg->discussion_key, cfg->list_key) == 0)
		problem_at(rep, false, cfg->discussion_key_line, "discussion: "
		    "key %s is the list key; give the discussion list a key of "
		    "its own, so that its copies never pass for the list's",
		    cfg->discussion_key);
}

/*
 * validate_hooks - each release_hook runs an absolute path that is an
 * executable file, with no shell between: a hook that cannot start is
 * found at load, not at the embargo second
 */
static void
validate_hooks(struct config *cfg, struct conf_report *rep)
{
	for (size_t i = 0; i < cfg->n_hooks; i++) {
		const struct conf_hook *h = &cfg->hooks[i];
		const char *cmd = h->argv.n ? h->argv.v[0] : "";

		if (h->argv.n == 0)
			problem_at(rep, false, h->line, "release_hook \"%s\": no "
			    "command; write command = { \"/path/to/program\", "
			    "\"ARG\" ... }", h->name);
		else if (cmd[0] != '/')
			problem_at(rep, false, conf_line_of("command", cmd),
			    "release_hook \"%s\": command \"%s\" is not an "
			    "absolute path; hooks run with no shell and no PATH: "
			    "give the program's full path", h->name, cmd);
		else if (access(cmd, X_OK) != 0)
			problem_at(rep, false, conf_line_of("command", cmd),
			    "release_hook \"%s\": %s cannot be run (%m); install "
			    "it, or make it executable (chmod 0755)", h->name, cmd);
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->hooks[j].name, h->name) == 0)
				problem_at(rep, false, h->line, "release_hook "
				    "\"%s\" is defined twice (line %d); give "
				    "each hook its own name", h->name,
				    cfg->hooks[j].line);
	}
}

/*
 * validate_csaf - a member who asked for the CSAF document needs the
 * csaf section whole (what the document says of its publisher); a
 * csaf section needs a publisher, namespace, product and url
 */
static void
validate_csaf(struct config *cfg, struct conf_report *rep)
{
	const char *missing = cfg->csaf_publisher == NULL ? "publisher" :
	    cfg->csaf_namespace == NULL ? "namespace" :
	    cfg->csaf_product == NULL ? "product" :
	    cfg->csaf_url == NULL ? "url" : NULL;

	if (cfg->csaf_line != 0 && missing != NULL)
		problem_at(rep, false, cfg->csaf_line, "csaf: no %s; write csaf "
		    "{ publisher = \"NAME\"  namespace = \"https://...\"  "
		    "product = \"NAME\"  url = \"https://.../advisory-%%n.html\" }",
		    missing);
	for (size_t i = 0; i < cfg->n_members; i++)
		if (cfg->members[i].csaf && cfg->csaf_line == 0)
			problem_at(rep, false, cfg->members[i].line, "member "
			    "\"%s\": csaf = true but there is no csaf section; "
			    "add csaf { publisher = ...  namespace = ...  "
			    "product = ...  url = ... } (what the document says "
			    "of its publisher)", cfg->members[i].name);
	if (cfg->csaf_namespace != NULL &&
	    strncmp(cfg->csaf_namespace, "https://", 8) != 0 &&
	    strncmp(cfg->csaf_namespace, "http://", 7) != 0)
		problem_at(rep, false, cfg->csaf_line, "csaf: namespace \"%s\" "
		    "is not a URL; CSAF wants the publisher's web address, "
		    "e.g. \"https://xenproject.org\"", cfg->csaf_namespace);
}

/* validate_backup - the administrators' keys, how many to keep, where
 * the primary answers */

static void
validate_backup(struct config *cfg, struct conf_report *rep)
{
	if (cfg->backup_line != 0 && cfg->backup_recipients.n == 0)
		problem_at(rep, false, cfg->backup_line, "backup: no recipients; "
		    "a backup is as secret as the advisories in it: give the "
		    "administrators' OpenPGP fingerprints, recipients = { "
		    "\"40 HEX DIGITS\" }");
	for (size_t i = 0; i < cfg->backup_recipients.n; i++)
		conf_check_fpr(rep, "recipients", "backup",
		    cfg->backup_recipients.v[i]);
	if (cfg->backup_line != 0 && (cfg->backup_keep < 1 ||
	    cfg->backup_keep > 10000))
		problem_at(rep, false, cfg->backup_line, "backup: keep %ld is out "
		    "of range; give how many backups the timer keeps, 1 to 10000",
		    cfg->backup_keep);
	if (cfg->backup_dir != NULL && cfg->backup_dir[0] != '/')
		problem_at(rep, false, cfg->backup_line, "backup: dir \"%s\" is "
		    "not an absolute path", cfg->backup_dir);
	if (cfg->standby_line != 0 && (cfg->standby_milter == NULL ||
	    cfg->standby_reinject == NULL))
		problem_at(rep, false, cfg->standby_line, "standby: give both "
		    "primary_milter = \"inet:PORT@HOST\" and primary_reinject = "
		    "\"HOST:PORT\" (where the primary answers: promote checks "
		    "that it no longer does)");
}

/* SEEN_ADD - one address and its role, for validate_roles() */

#define SEEN_ADD(a, r, l) do { seen[n].addr = (a); seen[n].role = (r); \
	seen[n].line = (l); n++; } while (0)

/* validate_roles - an address is on at most one of the roles */

static void
validate_roles(struct config *cfg, struct conf_report *rep)
{
	struct { const char *addr; const char *role; int line; } *seen;
	size_t n = 0, cap;

	cap = cfg->n_members + cfg->public_lists.n + cfg->team_addresses.n +
	    cfg->n_participants + 2;
	seen = xcalloc(cap, sizeof(*seen));
	if (cfg->list_address != NULL) {
		seen[n].addr = cfg->list_address;
		seen[n].role = "the list address";
		seen[n].line = conf_line_of("address", cfg->list_address);
		n++;
	}
	for (size_t i = 0; i < cfg->team_addresses.n; i++) {
		seen[n].addr = cfg->team_addresses.v[i];
		seen[n].role = "a team address";
		seen[n].line = conf_line_of("addresses", seen[n].addr);
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
	for (size_t i = 0; i < cfg->n_participants; i++)
		if (cfg->participants[i].address != NULL)
			SEEN_ADD(cfg->participants[i].address, "a participant "
			    "address", cfg->participants[i].line);
	if (cfg->discussion_address != NULL && cfg->discussion_address[0])
		SEEN_ADD(cfg->discussion_address, "the discussion list",
		    conf_line_of("address", cfg->discussion_address));
	for (size_t i = 0; i < cfg->public_lists.n; i++) {
		seen[n].addr = cfg->public_lists.v[i];
		seen[n].role = "a public list";
		seen[n].line = conf_line_of("public_lists", seen[n].addr);
		(void)conf_check_addr(rep, "public_lists", "public_lists", seen[n].addr);
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

/* conf_validate - every rule of SPEC section 3 on a loaded config */

void
conf_validate(struct config *cfg, struct conf_report *rep)
{
	validate_team_list(cfg, rep);
	validate_members(cfg, rep);
	validate_others(cfg, rep);
	validate_roles(cfg, rep);
	validate_hooks(cfg, rep);
	validate_csaf(cfg, rep);
	validate_backup(cfg, rep);
}

/* conf_check_mode - a config file anyone may read is an error */

void
conf_check_mode(const char *path, struct conf_report *rep)
{
	struct stat st;

	if (stat(path, &st) < 0)
		conf_report_add(rep, false, "%s: %m; give the config path with "
		    "-c FILE", path);
	else if (st.st_mode & S_IROTH)
		conf_report_add(rep, false, "%s is readable by everyone (mode "
		    "%04o); run chmod o-rwx %s", path,
		    (unsigned)(st.st_mode & 07777), path);
}
