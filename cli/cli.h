/*
 * cli.h - what embargoctl's command files share
 */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "../util/em.h"
#include "../conf/conf.h"
#include "../store/store.h"

#define EXIT_OK		0
#define EXIT_FINDING	1
#define EXIT_USAGE	2
#define EXIT_HOLD	3
#define EXIT_FANOUT	4

struct opts {
	const char *conf;
	bool	json;
};

void	json_str(const char *s);
/* The config (keys checked), as the daemon's user; NULL after printing why. */
struct config *cli_load(const struct opts *o);
/* The store of cfg, or NULL after printing why. */
struct store *cli_store(const struct config *cfg);
/* Both, or -1 after printing why; cli_close() releases them. */
int	cli_open(const struct opts *o, struct config **cfg, struct store **s);
void	cli_close(struct config *cfg, struct store *s);

int	cmd_advisories(const struct opts *o);
int	cmd_advisory(const struct opts *o, const char *id);
int	cmd_outbox(const struct opts *o, bool retry);
int	cmd_keys(const struct opts *o);
int	cmd_audit(const struct opts *o, int argc, char **argv);
int	cmd_embargo(const struct opts *o, int argc, char **argv);
int	cmd_held(const struct opts *o, int argc, char **argv);
int	cmd_upcoming(const struct opts *o);
int	cmd_members(const struct opts *o, int argc, char **argv);
int	cmd_member_vet(const struct opts *o, int argc, char **argv);
int	cmd_public(const struct opts *o, int argc, char **argv);
int	cmd_trace(const struct opts *o, const char *file);
int	cmd_advisory_report(const struct opts *o, const char *id);
/* A whole file (NULL or "-": standard input); -1 when it cannot be read. */
int	cli_read_all(const char *path, struct buf *b);
/* Who runs embargoctl (SUDO_USER, else the login name), for the audit. */
const char *cli_operator(void);

#endif
