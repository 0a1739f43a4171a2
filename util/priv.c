/*
 * priv.c - becoming the daemon's user (see priv.h)
 */

/* System library. */
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

/* Application-specific. */
#include "priv.h"

/* em_become_user - setgroups, setgid, setuid, and check there is no way back */

int
em_become_user(const char *user, struct em_err *err)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return EM_OK;
	if ((pw = getpwnam(user)) == NULL)
		return em_fail(err, EM_EIO, "user \"%s\" does not exist; create "
		    "it (useradd --system %s) or set user in the configuration",
		    user, user);
	if (pw->pw_uid == 0)
		return em_fail(err, EM_EIO, "user \"%s\" is root; set user to "
		    "an unprivileged account", user);
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 ||
	    setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		return em_fail(err, EM_EIO, "cannot become %s: %s", user,
		    strerror(errno));
	if (setuid(0) == 0)
		return em_fail(err, EM_EIO, "privileges not dropped: %s can "
		    "become root again", user);
	return EM_OK;
}
