/*
 * cli.h - what embargoctl's command files share (cli.c), and the commands
 * (cmd_*.c) that embargoctl.c's table calls.  The command files use cli.c
 * and never each other.
 */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "../util/em.h"
#include "../conf/conf.h"
#include "../store/store.h"
#include "../ledger/ledger.h"

#define EXIT_OK		0
#define EXIT_FINDING	1
#define EXIT_USAGE	2
#define EXIT_HOLD	3
#define EXIT_FANOUT	4

struct opts {
	const char *conf;
	bool	json;
};

/* The config, as the daemon's user; NULL after printing why. */
struct config *cli_load(const struct opts *o);
/* The same, problems into rep (keys checked if asked), none printed. */
struct config *cli_load_report(const struct opts *o, struct conf_report *rep,
	    bool check_keys);
/* The same, without becoming the daemon's user and without the keyring. */
struct config *cli_load_here(const struct opts *o);
/* Note who runs embargoctl (before privileges change), for the audit. */
void	cli_note_operator(void);
/* The store of cfg, or NULL after printing why. */
struct store *cli_store(const struct config *cfg);
/* Both, or -1 after printing why; cli_close() releases them. */
int	cli_open(const struct opts *o, struct config **cfg, struct store **s);
void	cli_close(struct config *cfg, struct store *s);

/*
 * JSON output through json-glib (cli.c): cj_new() an object, members
 * added, cj_print() writes it as one line and frees it.  NULL or "" is
 * null; a time of 0 is null.
 */
struct cli_json;
struct cli_json *cj_new(void);
void	cj_str(struct cli_json *j, const char *key, const char *v);
void	cj_int(struct cli_json *j, const char *key, long long v);
void	cj_bool(struct cli_json *j, const char *key, bool v);
void	cj_time(struct cli_json *j, const char *key, time_t t);
void	cj_array(struct cli_json *j, const char *key);
void	cj_array_end(struct cli_json *j);
void	cj_item(struct cli_json *j);
void	cj_item_end(struct cli_json *j);
void	cj_print(struct cli_json *j);
/* A finding (no such hold, advisory, ...): on stderr, and with --json
 * also {"ok":false,"error":text} on stdout. */
void	cli_fail(const struct opts *o, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* A command's one-line result: the text, or {"ok":true,"message":text}. */
void	cli_say(const struct opts *o, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

int	cmd_check(const struct opts *o);
int	cmd_dry_run(const struct opts *o, int argc, char **argv);
int	cmd_advisories(const struct opts *o);
int	cmd_advisory(const struct opts *o, const char *id);
int	cmd_outbox(const struct opts *o, bool retry, const char *id);
int	cmd_keys(const struct opts *o);
int	cmd_hooks(const struct opts *o, int argc, char **argv);
int	cmd_audit(const struct opts *o, int argc, char **argv);
int	cmd_embargo(const struct opts *o, int argc, char **argv);
int	cmd_participant(const struct opts *o, const char *id, const char *verb,
	    const char *name);
int	cmd_held(const struct opts *o, int argc, char **argv);
int	cmd_upcoming(const struct opts *o);
int	cmd_timeline(const struct opts *o, int argc, char **argv);
int	cmd_members(const struct opts *o, int argc, char **argv);
int	cmd_member_vet(const struct opts *o, int argc, char **argv);
int	cmd_public(const struct opts *o, int argc, char **argv);
int	cmd_trace(const struct opts *o, const char *file);
int	cmd_advisory_report(const struct opts *o, const char *id);
int	cmd_advisory_html(const struct opts *o, const char *id, const char *file);
int	cmd_report_html(const struct opts *o, const char *dir);
int	cmd_upcoming_ics(const struct opts *o);
int	cmd_record(const struct opts *o, int argc, char **argv);
int	cmd_backup(const struct opts *o, int argc, char **argv);
int	cmd_restore(const struct opts *o, int argc, char **argv);
int	cmd_promote(const struct opts *o, int argc, char **argv);
/*
 * The parts of the commands that work on a config and a store already
 * open (the unit tests call them on a private store): each prints its
 * result as the command does and returns its exit status.
 */
int	cli_outbox_list(const struct opts *o, struct store *s);
int	cli_outbox_retry(const struct opts *o, const struct config *cfg,
	    struct store *s, uint64_t id);
int	cli_hooks_change(const struct opts *o, struct store *s, bool retry,
	    const char *arg);
int	cli_set_embargo(const struct opts *o, const struct config *cfg,
	    struct store *s, const char *id, time_t when, const char *reason);
int	cli_held_change(const struct opts *o, const struct config *cfg,
	    struct store *s, uint64_t id, const char *why);
int	cli_upcoming_list(const struct opts *o, struct store *s, time_t now);
/* keys: each member's and participant's key or certificate (what it
 * reads, its pin, usable, expiry, days left); EXIT_FINDING when one
 * cannot be used.  members: each member (name, address, what it reads,
 * its pin, expiry), or the names alone (pub). */
int	cli_keys_list(const struct opts *o, const struct config *cfg,
	    time_t now);
int	cli_members_list(const struct opts *o, const struct config *cfg,
	    bool pub, time_t now);
/* member vet's arguments: the applicant, and its OpenPGP key file or its
 * X.509 certificate file (PEM or DER), one of the two. */
struct cli_vet {
	const char *name;
	const char *addr;
	const char *key_file;
	const char *cert_file;
};
/* An applicant vetted against cfg in a throwaway GnuPG home (as this
 * user; nothing imported into cfg's): EXIT_OK with the block to paste,
 * or EXIT_FINDING with each problem and its cure. */
int	cli_member_vet(const struct opts *o, const struct config *cfg,
	    const struct cli_vet *a);
/* check's report on the state (SPEC 4): each advisory under embargo at
 * now whose standard sections are its text alone, a warning naming them
 * and the cure; one whose latest post cannot be read, an error naming it
 * and why.  Nothing while no public text is loaded. */
void	cli_check_thin(const struct config *cfg, struct store *s, time_t now,
	    struct conf_report *rep);
/* Is ob a line of "outbox" (advisory NULL; sent ones only if all), or of
 * "advisory ID"'s distribution report (its copies, sent or not)? */
bool	cli_ob_shown(const struct store_outbox *ob, const char *advisory,
	    bool all);
/* The command table (embargoctl.c); main() calls it. */
int	embargoctl_run(int argc, char **argv);
/* A time argument, whole; -1 (the accepted forms printed) if unreadable. */
int	cli_time_arg(const char *s, time_t *out);
/* A command given in none of its forms: its forms printed, EXIT_USAGE. */
int	cli_usage(const char *forms);
/* End a write transaction: commit if rc is EM_OK, else abort; EXIT_OK,
 * or EXIT_USAGE with the failure printed. */
int	cli_finish(struct store_txn *t, int rc, struct em_err *err);
/* A whole file (NULL or "-": standard input) of at most max bytes:
 * EM_EIO when it cannot be read, EM_ETOOBIG when larger. */
int	cli_read_all(const char *path, size_t max, struct buf *b,
	    struct em_err *err);
/* The pid the daemon's pid file in state_dir names, 0 if none. */
long	cli_daemon_pid(const struct config *cfg);
/* One audit record of an embargoctl change: event, advisory (or NULL),
 * date, reason; who is the operator. */
int	cli_audit(struct store_txn *t, const char *event, const char *id,
	    time_t embargo, const char *reason, struct em_err *err);
/* The same from a descriptor, until its end. */
int	cli_read_all_fd(int fd, size_t max, struct buf *b, struct em_err *err);
/* Who runs embargoctl (SUDO_USER, else the login name), for the audit. */
const char *cli_operator(void);

#endif
