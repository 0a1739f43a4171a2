/*
 * check.c - the keyring rules of SPEC section 3, applied at -t, at
 * "embargoctl check", at start and at every reload: one function, so that
 * the four never disagree
 *
 * A missing keyring folder is one warning (the file can be checked before
 * the keyring is set up); with a keyring, its files must be the running
 * user's (a gpg run as root leaves root's files and agent socket behind),
 * every key must be there and usable for its role, and one real operation
 * with each key must work as this user, unattended: sign and decrypt with
 * the list key, encrypt to every member key.  That is what catches a
 * passphrase on the list key or an agent the user cannot reach, before a
 * start rather than at the first copy.  Every problem names the file, the
 * line, and a cure that works as printed (as the daemon's user).
 */

/* System library. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Utility library. */
#include <gpgme.h>

/* Application-specific. */
#include "keys.h"
#include "keys_int.h"

/* as_user - the prefix that runs gpg (gpgsm for a certificate) as the
 * daemon's user */

static void
as_user(const struct config *cfg, bool cert, char *out, size_t n)
{
	(void)snprintf(out, n, "runuser -u %s -- %s --homedir %s", cfg->user,
	    cert ? "gpgsm" : "gpg", cfg->gnupg_home);
}

/* check_one - one fingerprint for one use; false when it is an error */

static bool
check_one(const struct config *cfg, struct conf_report *rep, const char *who,
    int line, const char *fpr, enum keys_use use, time_t now)
{
	struct keys_health h;
	bool cert = keys_pin_is_cert(fpr);
	char gpg[512];

	if (fpr == NULL || keys_health(fpr, use, now, &h) < 0)
		return false;
	as_user(cfg, cert, gpg, sizeof(gpg));
	if (!h.usable && cert) {
		conf_report_add(rep, false, "%s:%d: %s: %s; ask for a "
		    "certificate that can (RSA of 2048 bits or more, within its "
		    "dates, its key usage allowing it), import it as the "
		    "daemon's user (%s --import FILE) and pin its SHA-256 (openssl "
		    "x509 -noout -fingerprint -sha256 -in FILE)", cfg->path, line,
		    who, h.problem, gpg);
		return false;
	}
	if (!h.usable) {
		conf_report_add(rep, false, "%s:%d: %s: key %s; import a valid "
		    "key with that fingerprint as the daemon's user (%s "
		    "--import < FILE)", cfg->path, line, who, h.problem, gpg);
		return false;
	}
	if (use == KEYS_USE_ENCRYPT && h.days_left >= 0 && h.days_left < 30)
		conf_report_add(rep, true, "%s:%d: warning: %s: %s %s expires "
		    "in %ld days; ask for %s", cfg->path, line, who,
		    cert ? "certificate" : "key", fpr, h.days_left,
		    cert ? "a new certificate" : "an extended key");
	return true;
}

/* check_owner - every file of the keyring belongs to the running user */

static bool
check_owner(const struct config *cfg, struct conf_report *rep)
{
	static const char *const sub[] = { "", "/private-keys-v1.d", NULL };
	uid_t me = geteuid();
	bool ok = true;

	for (int i = 0; ok && sub[i] != NULL; i++) {
		char *dir = xasprintf("%s%s", cfg->gnupg_home, sub[i]);
		DIR *d = opendir(dir);
		struct dirent *e;

		while (d != NULL && ok && (e = readdir(d)) != NULL) {
			struct stat st;
			char *p;

			if (strcmp(e->d_name, "..") == 0)
				continue;
			p = xasprintf("%s/%s", dir, e->d_name);
			if (lstat(p, &st) == 0 && st.st_uid != me) {
				conf_report_add(rep, false, "%s: keyring file %s "
				    "belongs to uid %ld, not to %s, which runs "
				    "the daemon (a gpg run as root leaves such "
				    "files); run gpgconf --homedir %s --kill "
				    "gpg-agent; chown -R %s: %s", cfg->path, p,
				    (long)st.st_uid, cfg->user, cfg->gnupg_home,
				    cfg->user, cfg->gnupg_home);
				ok = false;
			}
			free(p);
		}
		if (d != NULL)
			(void)closedir(d);
		free(dir);
	}
	return ok;
}

/* trial_ctx - a context that never asks anyone for a passphrase */

static gpgme_ctx_t
trial_ctx(void)
{
	gpgme_ctx_t ctx = keys_ctx_new();

	/* The daemon has no terminal: a key that needs one fails here too. */
	if (ctx != NULL)
		(void)gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_ERROR);
	return ctx;
}

/* trial_encrypt - encrypt a few bytes to the keys; signed by ctx's signers when sign */

static gpgme_error_t
trial_encrypt(gpgme_ctx_t ctx, gpgme_key_t *rcpt, bool sign, struct buf *out)
{
	static const char probe[] = "embargo-milter key check\n";
	gpgme_data_t in = NULL, cipher = NULL;
	gpgme_error_t e;

	e = gpgme_data_new_from_mem(&in, probe, sizeof(probe) - 1, 0);
	if (e == 0)
		e = gpgme_data_new(&cipher);
	if (e == 0)
		e = sign ? gpgme_op_encrypt_sign(ctx, rcpt,
		    GPGME_ENCRYPT_ALWAYS_TRUST | GPGME_ENCRYPT_NO_ENCRYPT_TO, in,
		    cipher) : gpgme_op_encrypt(ctx, rcpt,
		    GPGME_ENCRYPT_ALWAYS_TRUST | GPGME_ENCRYPT_NO_ENCRYPT_TO, in,
		    cipher);
	if (e == 0 && sign) {
		gpgme_sign_result_t r = gpgme_op_sign_result(ctx);

		if (r == NULL || r->signatures == NULL || r->invalid_signers)
			e = gpg_error(GPG_ERR_NO_SECKEY);
	}
	if (e == 0 && out != NULL)
		keys_data_drain(cipher, out);
	gpgme_data_release(in);
	gpgme_data_release(cipher);
	return e;
}

/* trial_list - sign with the list key, encrypt to it, decrypt it again */

static void
trial_list(const struct config *cfg, struct conf_report *rep)
{
	gpgme_ctx_t ctx = trial_ctx();
	gpgme_key_t key = keys_lookup(cfg->list_key, 1);
	gpgme_key_t rcpt[2] = { key, NULL };
	gpgme_data_t in = NULL, plain = NULL;
	gpgme_error_t e = gpg_error(GPG_ERR_GENERAL);
	struct buf cipher;
	char gpg[512];

	buf_init(&cipher);
	if (ctx != NULL && key != NULL && gpgme_signers_add(ctx, key) == 0)
		e = trial_encrypt(ctx, rcpt, true, &cipher);
	if (e == 0)
		e = gpgme_data_new_from_mem(&in, cipher.data, cipher.len, 0);
	if (e == 0)
		e = gpgme_data_new(&plain);
	if (e == 0)
		e = gpgme_op_decrypt(ctx, in, plain);
	as_user(cfg, false, gpg, sizeof(gpg));
	if (e != 0)
		conf_report_add(rep, false, "%s:%d: list: signing and decrypting "
		    "with key %s failed as %s: %s; the daemon needs the list "
		    "key's secret without a passphrase and an agent of its own "
		    "(to remove a passphrase: %s --passwd %s, and give an empty "
		    "one)", cfg->path, cfg->list_key_line, cfg->list_key,
		    cfg->user, gpgme_strerror(e), gpg, cfg->list_key);
	gpgme_data_release(in);
	gpgme_data_release(plain);
	buf_free(&cipher);
	if (key != NULL)
		gpgme_key_unref(key);
	if (ctx != NULL)
		gpgme_release(ctx);
}

/* trial_cert_sign - sign a few bytes with a signing certificate, as the
 * daemon's user, unattended */

static void
trial_cert_sign(const struct config *cfg, struct conf_report *rep,
    gpgme_ctx_t ctx, const char *who, const char *pin, int line)
{
	static const char probe[] = "embargo-milter certificate check\n";
	gpgme_key_t key = pin ? keys_cert_lookup(pin, 1) : NULL;
	gpgme_data_t in = NULL, sig = NULL;
	gpgme_error_t e;
	gpgme_sign_result_t r;
	char gpgsm[512];

	if (key == NULL)
		return;		/* its health said why */
	gpgme_signers_clear(ctx);
	e = gpgme_signers_add(ctx, key);
	if (e == 0)
		e = gpgme_data_new_from_mem(&in, probe, sizeof(probe) - 1, 0);
	if (e == 0)
		e = gpgme_data_new(&sig);
	if (e == 0)
		e = gpgme_op_sign(ctx, in, sig, GPGME_SIG_MODE_DETACH);
	if (e == 0 && ((r = gpgme_op_sign_result(ctx)) == NULL ||
	    r->signatures == NULL || r->invalid_signers != NULL))
		e = gpg_error(GPG_ERR_NO_SECKEY);
	as_user(cfg, true, gpgsm, sizeof(gpgsm));
	if (e != 0)
		conf_report_add(rep, false, "%s:%d: %s: signing with certificate "
		    "%s failed as %s: %s; the daemon needs its secret key "
		    "without a passphrase (%s --passwd %s, and give an empty "
		    "one) and an agent of its own", cfg->path, line, who, pin,
		    cfg->user, gpgme_strerror(e), gpgsm, pin);
	gpgme_signers_clear(ctx);
	gpgme_data_release(in);
	gpgme_data_release(sig);
	gpgme_key_unref(key);
}

/* trial_member - encrypt to one member key as a copy would be */

static bool
trial_member(gpgme_ctx_t ctx, const char *fpr, gpgme_error_t *e)
{
	gpgme_key_t key = keys_lookup(fpr, 0);
	gpgme_key_t rcpt[2] = { key, NULL };

	*e = key ? trial_encrypt(ctx, rcpt, false, NULL) :
	    gpg_error(GPG_ERR_NO_PUBKEY);
	if (key != NULL)
		gpgme_key_unref(key);
	return *e == 0;
}

/*
 * trial_formats - each member key that advertises AEAD (read from one
 * export of them all) encrypted to alone, as a copy is: gpg must write a
 * form every member's client reads (keys_copy_format())
 */
static void
trial_formats(const struct config *cfg, struct conf_report *rep,
    gpgme_ctx_t ctx, gpgme_key_t *rcpt, const struct conf_member **who,
    size_t n)
{
	gpgme_data_t d = NULL;
	struct buf exp;

	buf_init(&exp);
	gpgme_set_armor(ctx, 0);
	if (gpgme_data_new(&d) == 0 && gpgme_op_export_keys(ctx, rcpt, 0,
	    d) == 0)
		keys_data_drain(d, &exp);
	gpgme_data_release(d);
	if (exp.len == 0 || !((unsigned char)exp.data[0] & 0x80))
		conf_report_add(rep, true, "%s: the members' keys could not be "
		    "exported from %s to read their features: whether gpg "
		    "writes each a form every member's client reads is known "
		    "at the first copy only", cfg->path, cfg->gnupg_home);
	for (size_t i = 0; i < n && exp.len > 0; i++) {
		gpgme_key_t one[2] = { rcpt[i], NULL };
		struct buf out;
		char why[256];

		if (!keys_advertises_aead(exp.data, exp.len, who[i]->key))
			continue;
		buf_init(&out);
		if (trial_encrypt(ctx, one, false, &out) == 0 &&
		    keys_copy_format(out.data, out.len, why, sizeof(why)) < 0)
			conf_report_add(rep, false, "%s:%d: member \"%s\": key "
			    "%s advertises AEAD, and the list's gpg encrypts to "
			    "it as %s: not every member's client reads that; "
			    "the list needs a gpg that writes a version 1 SEIPD "
			    "to every key (Debian's gpg does)", cfg->path,
			    who[i]->key_line, who[i]->name, who[i]->key, why);
		buf_free(&out);
	}
	buf_free(&exp);
}

/*
 * trial_members - encrypt to every usable member key: one gpg run for all
 * of them, and one per member only when that run fails, to name the key
 */
static void
trial_members(const struct config *cfg, struct conf_report *rep,
    const bool *usable)
{
	gpgme_ctx_t ctx = trial_ctx();
	/* gpgme_key_t is itself a pointer: a NULL-ended array of them. */
	gpgme_key_t *rcpt = xcalloc(cfg->n_members + 1, sizeof(void *));
	const struct conf_member **who = xcalloc(cfg->n_members + 1,
	    sizeof(const struct conf_member *));
	size_t n = 0;
	gpgme_error_t e = 0;

	for (size_t i = 0; ctx != NULL && i < cfg->n_members; i++)
		if (usable[i] && !cfg->members[i].smime &&
		    (rcpt[n] = keys_lookup(cfg->members[i].key, 0)) != NULL)
			who[n++] = &cfg->members[i];
	if (ctx != NULL && n > 0)
		e = trial_encrypt(ctx, rcpt, false, NULL);
	if (ctx != NULL && n > 0)
		trial_formats(cfg, rep, ctx, rcpt, who, n);
	for (size_t i = 0; i < n; i++)
		gpgme_key_unref(rcpt[i]);
	free(rcpt);
	free(who);
	for (size_t i = 0; ctx != NULL && e != 0 && i < cfg->n_members; i++) {
		const struct conf_member *m = &cfg->members[i];
		gpgme_error_t why;

		if (usable[i] && !m->smime && !trial_member(ctx, m->key, &why))
			conf_report_add(rep, false, "%s:%d: member \"%s\": "
			    "encrypting to key %s failed as %s: %s; import a "
			    "valid key with that fingerprint as the daemon's "
			    "user", cfg->path, m->key_line, m->name, m->key,
			    cfg->user, gpgme_strerror(why));
	}
	if (ctx == NULL)
		conf_report_add(rep, false, "%s: gpgme: no context; is gnupg "
		    "installed?", cfg->path);
	else
		gpgme_release(ctx);
}

/*
 * trial_certs - encrypt to every usable certificate of the members and
 * participants who read S/MIME, and sign with the list's (and the
 * discussion list's): one gpgsm run for all the certificates, and one
 * each only when it fails, to name the one
 */
static void
trial_certs(const struct config *cfg, struct conf_report *rep,
    const bool *usable)
{
	size_t all = cfg->n_members + cfg->n_participants, n = 0;
	const struct conf_member **who = xcalloc(all + 1,
	    sizeof(const struct conf_member *));
	gpgme_key_t *rcpt = xcalloc(all + 1, sizeof(void *));
	gpgme_ctx_t ctx = keys_cms_ctx_new();
	gpgme_error_t e = 0;

	for (size_t i = 0; i < all; i++) {
		const struct conf_member *m = i < cfg->n_members ?
		    &cfg->members[i] : &cfg->participants[i - cfg->n_members];

		if (m->smime && usable[i] &&
		    (rcpt[n] = keys_cert_lookup(m->key, 0)) != NULL)
			who[n++] = m;
	}
	if (ctx != NULL)
		(void)gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_ERROR);
	if (ctx != NULL && n > 0)
		e = trial_encrypt(ctx, rcpt, false, NULL);
	for (size_t i = 0; ctx != NULL && e != 0 && i < n; i++) {
		gpgme_key_t one[2] = { rcpt[i], NULL };
		gpgme_error_t why = trial_encrypt(ctx, one, false, NULL);

		if (why != 0)
			conf_report_add(rep, false, "%s:%d: \"%s\": encrypting "
			    "to certificate %s failed as %s: %s; ask for a "
			    "certificate gpgsm can encrypt to (RSA)", cfg->path,
			    who[i]->key_line, who[i]->name, who[i]->key,
			    cfg->user, gpgme_strerror(why));
	}
	for (size_t i = 0; i < n; i++)
		gpgme_key_unref(rcpt[i]);
	free(rcpt);
	free(who);
	if (ctx != NULL) {
		trial_cert_sign(cfg, rep, ctx, "list", cfg->list_cert,
		    cfg->list_cert_line);
		trial_cert_sign(cfg, rep, ctx, "discussion",
		    cfg->discussion_cert, cfg->discussion_cert_line);
		gpgme_release(ctx);
	}
}

/*
 * check_person - a member's or a participant's key or certificate for
 * encrypting to; a key no user id of which carries the address is a
 * warning, a certificate whose subject and subjectAltName do not carry it
 * an error (a certificate names its holder, as a CA checked it)
 */
static bool
check_person(const struct config *cfg, struct conf_report *rep,
    const char *kind, const struct conf_member *m, time_t now)
{
	char who[200];
	bool ok;

	(void)snprintf(who, sizeof(who), "%s \"%s\"", kind, m->name);
	ok = check_one(cfg, rep, who, m->key_line, m->key, KEYS_USE_ENCRYPT,
	    now);
	if (!ok || m->address == NULL || keys_uid_has_address(m->key,
	    m->address))
		return ok;
	if (m->smime) {
		conf_report_add(rep, false, "%s:%d: %s: certificate %s is not "
		    "for %s (neither its subject nor its subjectAltName carries "
		    "it); ask for a certificate issued to that address", cfg->path,
		    m->key_line, who, m->key, m->address);
		return false;
	}
	conf_report_add(rep, true, "%s:%d: warning: %s: no user id of key %s "
	    "carries %s; check the key belongs to that role address",
	    cfg->path, m->key_line, who, m->key, m->address);
	return true;
}

/* check_others - the participants' keys and the discussion list's */

static void
check_others(const struct config *cfg, struct conf_report *rep, time_t now,
    bool *usable)
{
	for (size_t i = 0; i < cfg->n_participants; i++)
		usable[i] = check_person(cfg, rep, "participant",
		    &cfg->participants[i], now);
	if (cfg->list_cert != NULL)
		(void)check_one(cfg, rep, "list (signing certificate)",
		    cfg->list_cert_line, cfg->list_cert, KEYS_USE_SIGN, now);
	if (cfg->discussion_address == NULL)
		return;
	if (cfg->discussion_cert != NULL)
		(void)check_one(cfg, rep, "discussion (signing certificate)",
		    cfg->discussion_cert_line, cfg->discussion_cert,
		    KEYS_USE_SIGN, now);
	(void)check_one(cfg, rep, "discussion (signing, secret key)",
	    cfg->discussion_key_line, cfg->discussion_key, KEYS_USE_SIGN, now);
	(void)check_one(cfg, rep, "discussion (encryption)",
	    cfg->discussion_key_line, cfg->discussion_key, KEYS_USE_ENCRYPT, now);
}

/* keys_check_config - every key of the config against the keyring */

void
keys_check_config(const struct config *cfg, struct conf_report *rep, time_t now)
{
	size_t errors = rep->errors;
	bool list_ok, *usable;
	struct stat st;

	conf_check_mode(cfg->path, rep);
	if (stat(cfg->gnupg_home, &st) < 0) {
		conf_report_add(rep, true, "%s: warning: keyring %s does not "
		    "exist: keys not checked; create it (install -d -o %s -m "
		    "0700 %s) and import the list, team and member keys", cfg->path,
		    cfg->gnupg_home, cfg->user, cfg->gnupg_home);
		return;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH))
		conf_report_add(rep, false, "%s: keyring %s is readable or "
		    "writable by everyone; run chmod 0700 %s", cfg->path,
		    cfg->gnupg_home, cfg->gnupg_home);
	if (!check_owner(cfg, rep))
		return;		/* every gpg run would fail for that reason */
	for (size_t i = 0; i < cfg->team_keys.n; i++)
		(void)check_one(cfg, rep, "team", cfg->team_key_line[i],
		    cfg->team_keys.v[i], KEYS_USE_VERIFY, now);
	for (size_t i = 0; i < cfg->team_certs.n; i++)
		(void)check_one(cfg, rep, "team (certificate)",
		    cfg->team_cert_line[i], cfg->team_certs.v[i],
		    KEYS_USE_VERIFY, now);
	list_ok = check_one(cfg, rep, "list (signing, secret key)",
	    cfg->list_key_line, cfg->list_key, KEYS_USE_SIGN, now);
	list_ok = check_one(cfg, rep, "list (encryption)", cfg->list_key_line,
	    cfg->list_key, KEYS_USE_ENCRYPT, now) && list_ok;
	usable = xcalloc(cfg->n_members + cfg->n_participants + 1,
	    sizeof(*usable));
	for (size_t i = 0; i < cfg->n_members; i++)
		usable[i] = check_person(cfg, rep, "member", &cfg->members[i],
		    now);
	check_others(cfg, rep, now, usable + cfg->n_members);
	/* The real operations, where the keys themselves were found good. */
	if (list_ok && rep->errors == errors)
		trial_list(cfg, rep);
	trial_members(cfg, rep, usable);
	trial_certs(cfg, rep, usable);
	free(usable);
}
