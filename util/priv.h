/*
 * priv.h - becoming the daemon's user
 *
 * What it is for: the daemon after it opened its socket, "embargo-milter
 * -t" and embargoctl all act on the keyring and the state as the daemon's
 * user, never as root: a gpg-agent that root starts in the daemon's
 * gnupg_home, or a file root creates in state_dir, would lock the daemon
 * out of its own keys.
 *
 * How it fails: EM_EIO with the reason and the fix in *err.
 */
#ifndef PRIV_H
#define PRIV_H

#include "em.h"

/* As root, become user (groups, gid, uid; checked); otherwise nothing. */
int	em_become_user(const char *user, struct em_err *err);

#endif
