/*
 * conf.h - the configuration: libconfuse schema, loading, validation
 *
 * What it is for: conf_load() reads embargo-milter.conf (SPEC section 3),
 * applies every loading rule that needs no keyring, and yields one
 * immutable struct config that the milter, policy/ and embargoctl share.
 * Every problem found is reported with file, line and the fix, all of
 * them at once, so an administrator fixes a file in one pass.
 *
 * Ownership: conf_load() allocates *out; conf_free() releases it.  A
 * struct config is never changed after loading: a reload builds a new one.
 *
 * How it fails: EM_ECONFIG when any rule is broken (the report lists
 * each); warnings alone load fine.
 */
#ifndef CONF_H
#define CONF_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "../util/em.h"

enum conf_on_error {
	CONF_ON_ERROR_TEMPFAIL = 0,
	CONF_ON_ERROR_ACCEPT = 1,
};

enum conf_audit_passes {
	CONF_AUDIT_PASSES_ADVISORY = 0,	/* passes about an advisory only */
	CONF_AUDIT_PASSES_ALL = 1,	/* every pass, in a later group commit */
};

/* What an address is to the policy. */
enum conf_role {
	CONF_ROLE_NONE = 0,
	CONF_ROLE_MEMBER,
	CONF_ROLE_TEAM,
	CONF_ROLE_LIST,
	CONF_ROLE_PUBLIC,
	CONF_ROLE_PARTICIPANT,		/* of the advisories the team names */
	CONF_ROLE_DISCUSSION,		/* the members' discussion list */
};

struct conf_member {
	char   *name;		/* organisation, e.g. "Example Cloud" */
	char   *address;	/* lower-case role address */
	char   *key;		/* the pin: 40 upper-case hex digits (an
				   OpenPGP key) or, when smime, 64 (the
				   SHA-256 of an S/MIME certificate) */
	bool	smime;		/* pinned by "certificate", not "key" */
	char   *role_attested;	/* NULL unless given */
	bool	csaf;		/* members: the TLP:AMBER CSAF document in
				   each copy under embargo (SPEC 5) */
	int	line;		/* where its address was written */
	int	key_line;	/* where its key or certificate was written */
};

/* A command run once the advisory is public (SPEC 6): argv, no shell. */
struct conf_hook {
	char   *name;
	struct strv argv;
	long	timeout;	/* seconds it may run before it is killed */
	int	line;		/* where its block starts */
};

/* embargo_phrases: at most this many (a load says so). */
#define CONF_MAX_PHRASES	32

struct config {
	char   *path;
	char   *socket;
	unsigned socket_mode;		/* of a unix socket, e.g. 0660 */
	char   *state_dir;
	char   *gnupg_home;
	char   *user;
	enum conf_on_error on_error;
	enum conf_audit_passes audit_passes;
	size_t	max_message_size;
	size_t	max_decrypted_size;	/* what decryption may yield, per part */
	size_t	state_map_size;		/* LMDB map: the most state_dir holds */
	long	max_embargo;		/* seconds */
	long	remind_before;		/* seconds, 0 = never */
	long	release_alarm;		/* seconds after a hold's date by which
					   its postings are out, or the team is
					   told (a late release) */
	long	audit_anchor_every;	/* seconds between syslog anchors */
	long	public_time;		/* the default schedule's time of day of a
					   public release, seconds past 00:00 UTC */
	char   *reinject_host;
	int	reinject_port;

	int	delivery_workers;	/* threads that build and send copies */
	size_t	mime_max_depth;
	size_t	mime_max_parts;
	size_t	max_header_size;
	bool	reader_confined;	/* reader = confined (reader.h) */
	char   *reader_program;		/* "" beside the daemon's program */
	size_t	readers;		/* readers at most, side by side */
	size_t	reader_cpu_seconds;	/* one message's CPU ceiling */
	size_t	reader_memory;		/* a reading child's address space */
	size_t	reader_max_use;		/* messages one child reads at most */

	regex_t *advisory_re;		/* compiled advisory_id, in order */
	struct strv advisory_src;
	struct strv advisory_prefix;	/* each pattern's literal start ("" if none) */
	struct strv embargo_phrases;	/* at most CONF_MAX_PHRASES */
	struct strv role_localparts;	/* lower case */

	struct strv team_addresses;	/* lower case */
	struct strv team_keys;		/* upper-case hex */
	int    *team_key_line;		/* where each was written */
	struct strv team_certs;		/* S/MIME: SHA-256 pins, upper case */
	int    *team_cert_line;

	char   *list_name;
	char   *list_address;
	char   *list_key;
	int	list_key_line;		/* where it was written */
	char   *list_cert;		/* S/MIME: SHA-256, 64 upper-case hex
					   digits; NULL: none */
	int	list_cert_line;
	char   *list_outer_subject;
	bool	require_signed;

	struct conf_member *members;
	size_t	n_members;

	/* The discoverer, another affected project: named per advisory. */
	struct conf_member *participants;
	size_t	n_participants;

	char   *discussion_address;	/* NULL: no discussion list */
	char   *discussion_key;
	int	discussion_key_line;
	char   *discussion_cert;	/* S/MIME, as list_cert */
	int	discussion_cert_line;

	struct strv public_lists;	/* lower case */
	struct strv pre_announce;	/* told ids and dates only, lower case */

	struct conf_hook *hooks;	/* release_hook blocks, in order */
	size_t	n_hooks;

	/* The csaf section: what a CSAF document says of its publisher;
	 * NULL when there is none. */
	char   *csaf_publisher;
	char   *csaf_namespace;
	char   *csaf_product;
	char   *csaf_url;		/* the advisory's public URL, %n %i */
	int	csaf_line;

	/* The backup section: the administrators' keys a backup is
	 * encrypted to (upper case), where the timer keeps them, how many. */
	struct strv backup_recipients;
	char   *backup_dir;
	long	backup_keep;
	int	backup_line;
	/* The standby section: where the primary answers, which promote
	 * checks no longer does ("inet:PORT@HOST", "HOST:PORT"). */
	char   *standby_milter;
	char   *standby_reinject;
	int	standby_line;
};

/* One finding of conf_load(). */
struct conf_problem {
	bool	warning;		/* false: an error */
	char   *text;			/* "FILE:LINE: what; fix" */
};

struct conf_report {
	struct conf_problem *v;
	size_t	n;
	size_t	errors;
	size_t	warnings;
};

int	conf_load(const char *path, struct config **out, struct conf_report *rep);
void	conf_free(struct config *cfg);
void	conf_report_add(struct conf_report *rep, bool warning,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void	conf_report_free(struct conf_report *rep);
/* A config file anyone may read is an error (SPEC 9), added to rep. */
void	conf_check_mode(const char *path, struct conf_report *rep);

/* What addr (any case, <> allowed) is under cfg. */
enum conf_role conf_addr_role(const struct config *cfg, const char *addr);
const struct conf_member *conf_member_by_addr(const struct config *cfg,
	    const char *addr);
/* The member whose pinned key this is (any case), or NULL. */
const struct conf_member *conf_member_by_key(const struct config *cfg,
	    const char *fpr);
/* The participant block with this address or this name, or NULL. */
const struct conf_member *conf_participant_by_addr(const struct config *cfg,
	    const char *addr);
const struct conf_member *conf_participant_by_name(const struct config *cfg,
	    const char *name);
bool	conf_is_team_key(const struct config *cfg, const char *fpr);

/* True when the local part of addr is a role name under role_localparts. */
bool	conf_is_role_address(const struct strv *role_localparts,
	    const char *addr);
/* True when s is exactly 40 hex digits. */
bool	conf_fpr_valid(const char *s);
/* True when s is exactly 64 hex digits (a certificate's SHA-256). */
bool	conf_cert_valid(const char *s);
/* True when any member or participant reads S/MIME. */
bool	conf_has_smime(const struct config *cfg);

/* The names of every config key, for the documentation test. */
extern const char *const conf_key_names[];

#endif
