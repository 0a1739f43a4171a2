/*
 * check.c - the keyring rules of SPEC section 3, applied at -t, at
 * "embargoctl check", at start and at every reload
 *
 * A missing keyring folder is one warning (the file can be checked before
 * the keyring is set up); with a keyring, every key must be there and
 * usable for its role.
 */

/* System library. */
#include <stdio.h>
#include <sys/stat.h>

/* Application-specific. */
#include "keys.h"

/* check_one - one fingerprint for one use; false when it is an error */

static void
check_one(const struct config *cfg, struct conf_report *rep, const char *who,
    int line, const char *fpr, enum keys_use use, time_t now)
{
	struct keys_health h;

	if (fpr == NULL || keys_health(fpr, use, now, &h) < 0)
		return;
	if (!h.usable) {
		if (line > 0)
			conf_report_add(rep, false, "%s:%d: %s: key %s; import "
			    "a valid key with that fingerprint into %s (gpg "
			    "--homedir %s --import FILE)", cfg->path, line, who,
			    h.problem, cfg->gnupg_home, cfg->gnupg_home);
		else
			conf_report_add(rep, false, "%s: %s: key %s; import a "
			    "valid key with that fingerprint into %s", cfg->path,
			    who, h.problem, cfg->gnupg_home);
		return;
	}
	if (use == KEYS_USE_ENCRYPT && h.days_left >= 0 && h.days_left < 30)
		conf_report_add(rep, true, "%s:%d: warning: %s: key %s expires "
		    "in %ld days; ask for an extended key", cfg->path, line, who,
		    fpr, h.days_left);
}

/* keys_check_config - every key of the config against the keyring */

void
keys_check_config(const struct config *cfg, struct conf_report *rep, time_t now)
{
	struct stat st;

	if (stat(cfg->gnupg_home, &st) < 0) {
		conf_report_add(rep, true, "%s: warning: keyring %s does not "
		    "exist: keys not checked; create it (mode 0700, owned by %s) "
		    "and import the list, team and member keys", cfg->path,
		    cfg->gnupg_home, cfg->user);
		return;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH))
		conf_report_add(rep, false, "%s: keyring %s is readable or "
		    "writable by everyone; run chmod 0700 %s", cfg->path,
		    cfg->gnupg_home, cfg->gnupg_home);
	for (size_t i = 0; i < cfg->team_keys.n; i++)
		check_one(cfg, rep, "team", 0, cfg->team_keys.v[i],
		    KEYS_USE_VERIFY, now);
	check_one(cfg, rep, "list (signing, secret key)", 0, cfg->list_key,
	    KEYS_USE_SIGN, now);
	check_one(cfg, rep, "list (encryption)", 0, cfg->list_key,
	    KEYS_USE_ENCRYPT, now);
	for (size_t i = 0; i < cfg->n_members; i++) {
		const struct conf_member *m = &cfg->members[i];
		char who[200];

		(void)snprintf(who, sizeof(who), "member \"%s\"", m->name);
		check_one(cfg, rep, who, m->line, m->key, KEYS_USE_ENCRYPT, now);
		if (!keys_uid_has_address(m->key, m->address))
			conf_report_add(rep, true, "%s:%d: warning: %s: no user "
			    "id of key %s carries %s; check the key belongs to "
			    "that role address", cfg->path, m->line, who, m->key,
			    m->address);
	}
}
