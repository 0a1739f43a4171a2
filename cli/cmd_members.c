/*
 * cmd_members.c - embargoctl members [--public] and member vet
 *
 * "members --public" prints the organisations' names only: the Xen
 * process publishes who is on the list, never their addresses.  Without
 * it, each member's address, what it reads (OpenPGP or S/MIME), its pin
 * (the key's fingerprint or the certificate's SHA-256) and when that key
 * or certificate ends.
 *
 * "member vet" checks an applicant the way a reload would, in a
 * throwaway GnuPG home: nothing is imported into the list's own.  An
 * applicant who reads OpenPGP gives its key (--key FILE); one who reads
 * S/MIME its certificate (--certificate FILE, PEM or DER, exactly one).
 * For a certificate the throwaway home also holds the daemon's
 * certificates, its trustlist.txt and gpgsm.conf, so that the one trial
 * encryption, as the daemon's user, answers as the daemon's gpgsm would:
 * gpgsm encrypts only to a certificate whose issuer it holds and trusts.
 * The throwaway agent may never mark a root trusted (nothing is asked on
 * the operator's terminal); it is stopped and the home removed after.
 */

/* System library. */
#include <errno.h>
#include <stdarg.h>
#define _XOPEN_SOURCE_EXTENDED 1
#include <ftw.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Utility library. */
#include <glib.h>

/* Application-specific. */
#include "cli.h"
#include "../keys/keys.h"
#include "../util/emtime.h"
#include "../util/sha256.h"

/* The most bytes a certificate file (or a file copied from the daemon's
 * home) may hold: a certificate is a few KiB. */
#define CERT_FILE_MAX	((size_t)1 << 20)

/* expiry - when a key or certificate ends, for the members table: its
 * date, "never", or "unusable" (embargoctl keys says why) */

static const char *
expiry(const struct keys_health *h, char buf[EM_TIME_BUFSZ])
{
	if (!h->usable)
		return "unusable";
	if (h->expires == 0)
		return "never";
	return em_time_format(h->expires, buf);
}

/* member_line - one member: its name alone (pub), or its address, what
 * it reads, its pin and when that ends */

static void
member_line(const struct opts *o, const struct conf_member *m, bool pub,
    time_t now)
{
	struct keys_health h;
	struct cli_json *j;
	char t[EM_TIME_BUFSZ];

	if (pub && !o->json) {
		printf("%s\n", m->name);
		return;
	}
	if (pub) {
		j = cj_new();
		cj_str(j, "name", m->name);
		cj_print(j);
		return;
	}
	(void)keys_health(m->key, KEYS_USE_ENCRYPT, now, &h);
	if (!o->json) {
		printf("%-28s %-36s %-7s %-64s %s\n", m->name, m->address,
		    m->smime ? "S/MIME" : "OpenPGP", m->key, expiry(&h, t));
		return;
	}
	j = cj_new();
	cj_str(j, "name", m->name);
	cj_str(j, "address", m->address);
	cj_str(j, "kind", m->smime ? "smime" : "openpgp");
	cj_str(j, "pin", m->key);
	cj_str(j, "key", m->key);	/* the pin's older name */
	cj_bool(j, "usable", h.usable);
	cj_time(j, "expires", h.expires);
	cj_print(j);
}

/* cli_members_list - the members, or only their names (pub) */

int
cli_members_list(const struct opts *o, const struct config *cfg, bool pub,
    time_t now)
{
	if (!pub && !o->json)
		printf("%-28s %-36s %-7s %-64s %s\n", "ORGANISATION", "ADDRESS",
		    "KIND", "PIN", "EXPIRES");
	for (size_t i = 0; i < cfg->n_members; i++)
		member_line(o, &cfg->members[i], pub, now);
	return EXIT_OK;
}

/* cmd_members - the members, or only their names */

int
cmd_members(const struct opts *o, int argc, char **argv)
{
	bool pub = argc > 1 && strcmp(argv[1], "--public") == 0;
	struct config *cfg;
	int rc;

	if (argc > 2 || (argc == 2 && !pub))
		return cli_usage("members [--public]");
	if ((cfg = cli_load(o)) == NULL)
		return EXIT_USAGE;
	rc = cli_members_list(o, cfg, pub, time(NULL));
	conf_free(cfg);
	return rc;
}

/* rm_one - nftw callback: remove one entry */

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* vet_problem - one problem found about the applicant */

static void __attribute__((format(printf, 2, 3)))
vet_problem(struct strv *probs, const char *fmt, ...)
{
	va_list ap;
	char *t;

	va_start(ap, fmt);
	t = xvasprintf(fmt, ap);
	va_end(ap);
	strv_push(probs, t);
	free(t);
}

/* ---- A certificate file ---- */

static const char pem_begin[] = "-----BEGIN CERTIFICATE-----";
static const char pem_end[] = "-----END CERTIFICATE-----";

/* der_len - the length of the DER SEQUENCE (header and content) that
 * opens (p, n); 0 when none does */

static size_t
der_len(const unsigned char *p, size_t n)
{
	size_t len = 0, hdr = 2;

	if (n < 2 || p[0] != 0x30)
		return 0;
	if (p[1] & 0x80) {
		size_t k = p[1] & 0x7fU;

		if (k == 0 || k > 4 || n < 2 + k)
			return 0;
		for (size_t i = 0; i < k; i++)
			len = len << 8 | p[2 + i];
		hdr += k;
	} else {
		len = p[1];
	}
	return len <= n - hdr ? hdr + len : 0;
}

/* pem_der - the PEM certificate that opens at p (after its BEGIN line)
 * as DER into der; NULL, or why not */

static const char *
pem_der(const char *p, struct buf *der)
{
	const char *q = strstr(p, pem_end);
	gchar *text;
	guchar *d;
	gsize n = 0;

	if (q == NULL)
		return "holds a PEM certificate with no END CERTIFICATE line";
	text = g_strndup(p, (gsize)(q - p));
	d = g_base64_decode(text, &n);
	g_free(text);
	if (d == NULL || n == 0 || der_len(d, n) != n) {
		g_free(d);
		return "holds a PEM block that is not a DER certificate";
	}
	buf_append(der, d, n);
	g_free(d);
	return NULL;
}

/*
 * cert_der - the one X.509 certificate of a file's bytes (raw, with a
 * NUL after raw->len), PEM or DER, as DER into der; NULL, or what the
 * file is instead (said after its name)
 */
static const char *
cert_der(const struct buf *raw, struct buf *der)
{
	const unsigned char *u = (const unsigned char *)raw->data;
	const char *p = strstr(raw->data, pem_begin);

	if (p != NULL && strstr(p + 1, pem_begin) != NULL)
		return "holds more than one certificate (a chain?); give the "
		    "member's own alone";
	if (p != NULL)
		return pem_der(p + sizeof(pem_begin) - 1, der);
	if (raw->len > 0 && der_len(u, raw->len) == raw->len) {
		buf_append(der, raw->data, raw->len);
		return NULL;
	}
	if (strstr(raw->data, "-----BEGIN PGP PUBLIC KEY BLOCK-----") != NULL ||
	    (raw->len > 0 && ((u[0] & 0xfcU) == 0x98 || u[0] == 0xc6)))
		return "is an OpenPGP key, not an X.509 certificate: vet it with "
		    "--key FILE";
	return "is not an X.509 certificate (PEM or DER)";
}

/* cert_read - a certificate file as DER into der; false after a problem */

static bool
cert_read(const char *file, struct buf *der, struct strv *probs)
{
	struct buf raw;
	struct em_err err;
	const char *why = NULL;
	int rc;

	buf_init(&raw);
	rc = cli_read_all(file, CERT_FILE_MAX, &raw, &err);
	if (rc == EM_OK) {
		buf_append(&raw, "", 1);
		raw.len--;
		why = cert_der(&raw, der);
	}
	buf_free(&raw);
	if (rc != EM_OK)
		vet_problem(probs, "%s", err.msg);
	else if (why != NULL)
		vet_problem(probs, "%s %s", file, why);
	return rc == EM_OK && why == NULL;
}

/* cert_pin - a certificate's pin: the SHA-256 of its DER, upper case */

static void
cert_pin(const struct buf *der, char pin[65])
{
	sha256_hex(der->data, der->len, pin);
	for (char *c = pin; *c != '\0'; c++)
		*c = g_ascii_toupper(*c);
}

/* ---- OpenPGP ---- */

/* looks_like_cert - does the file hold an X.509 certificate */

static bool
looks_like_cert(const char *file)
{
	struct strv none = { NULL, 0 };
	struct buf der;
	bool yes;

	buf_init(&der);
	yes = cert_read(file, &der, &none);
	buf_free(&der);
	strv_free(&none);
	return yes;
}

/* vet_key - the key's health in a throwaway keyring; problems counted */

static int
vet_key(const struct config *cfg, const char *file, const char *addr,
    char fpr[41], struct strv *probs, struct strv *warns)
{
	char home[] = "/tmp/embargoctl-vet-XXXXXX", why[512];
	struct keys_health h;
	struct em_err err;
	size_t was = probs->n;

	if (mkdtemp(home) == NULL) {
		vet_problem(probs, "cannot make a throwaway keyring in /tmp: %s",
		    strerror(errno));
		return 1;
	}
	if (keys_init(home, &err) < 0) {
		vet_problem(probs, "cannot use a throwaway keyring in %s: %s",
		    home, err.msg);
		(void)nftw(home, rm_one, 8, FTW_DEPTH | FTW_PHYS);
		(void)keys_init(cfg->gnupg_home, &err);
		return 1;
	}
	if (keys_key_refused(file, why, sizeof(why))) {
		vet_problem(probs, "%s: %s", file, why);
	} else if (keys_import_file(file, fpr) < 0 && looks_like_cert(file)) {
		vet_problem(probs, "%s is an X.509 certificate, not an OpenPGP "
		    "key: vet it with --certificate %s", file, file);
	} else if (fpr[0] == '\0') {
		vet_problem(probs, "%s does not hold exactly one OpenPGP public "
		    "key", file);
	} else {
		(void)keys_health(fpr, KEYS_USE_ENCRYPT, time(NULL), &h);
		if (!h.usable)
			vet_problem(probs, "key %s", h.problem);
		else if (h.days_left >= 0 && h.days_left < 30)
			vet_problem(probs, "key %s expires in %ld days; a "
			    "member's key must be usable for 30 days or more",
			    fpr, h.days_left);
		if (!keys_uid_has_address(fpr, addr))
			vet_problem(warns, "no user id of key %s carries %s",
			    fpr, addr);
	}
	(void)nftw(home, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	(void)keys_init(cfg->gnupg_home, &err);
	return (int)(probs->n - was);
}

/* ---- gpgsm, run as a program ----
 *
 * TODO(keys/): keys.h has no function to import a certificate or to
 * encrypt to one, and gpgme is keys/' alone; until it has them
 * (keys_cert_import(), keys_cert_export(), keys_cert_trial(): their
 * prototypes are in the report of this change), member vet runs gpgsm
 * itself, as the cures embargoctl prints do.  gpgsm_run() and the three
 * vet_cert_*() functions below then become calls of those.
 */

/* last_line - the last line of text that says something, without the
 * program's "gpgsm: " */

static void
last_line(const char *text, char *why, size_t n)
{
	const char *p = text, *best = "no reason given";
	size_t blen = strlen(best);

	while (p != NULL && *p != '\0') {
		const char *e = strchr(p, '\n');
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);

		if (len > 0) {
			best = p;
			blen = len;
		}
		p = e != NULL ? e + 1 : NULL;
	}
	if (blen > 7 && strncmp(best, "gpgsm: ", 7) == 0) {
		best += 7;
		blen -= 7;
	}
	(void)snprintf(why, n, "%.*s", (int)blen, best);
}

/*
 * tool_run - a GnuPG program (argv[0], found on PATH), standard input
 * /dev/null: true when it exits 0; its standard output (text) appended
 * to out when out is not NULL; its last line of standard error into why
 */
static bool
tool_run(const char *const *argv, struct buf *out, char *why, size_t n)
{
	gchar *so = NULL, *se = NULL;
	gint status = 0;
	GError *ge = NULL;
	bool ok;

	ok = g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH,
	    NULL, NULL, &so, &se, &status, &ge) &&
	    g_spawn_check_wait_status(status, NULL);
	if (ok && out != NULL && so != NULL)
		buf_appends(out, so);
	if (!ok)
		last_line(ge != NULL ? ge->message : se, why, n);
	if (ge != NULL)
		g_error_free(ge);
	g_free(so);
	g_free(se);
	return ok;
}

/* gpgsm_run - gpgsm in home with args (NULL-ended), unattended and
 * offline (no dirmngr: no revocation list fetched, as the daemon's own
 * trial); see tool_run() */

static bool
gpgsm_run(const char *home, const char *const *args, struct buf *out,
    char *why, size_t n)
{
	const char *argv[16] = { "gpgsm", "--homedir", home, "--batch",
	    "--disable-dirmngr", "--pinentry-mode", "error" };
	size_t k = 7;

	for (; *args != NULL && k < 15; args++)
		argv[k++] = *args;
	argv[k] = NULL;
	return tool_run(argv, out, why, n);
}

/* put_file - (p, n) as the file path, mode 0600; false when it cannot */

static bool
put_file(const char *path, const void *p, size_t n)
{
	GError *ge = NULL;
	bool ok = g_file_set_contents_full(path, p, (gssize)n,
	    G_FILE_SET_CONTENTS_NONE, 0600, &ge);

	if (ge != NULL)
		g_error_free(ge);
	return ok;
}

/* copy_from - the daemon's home's file name into home, if it has one */

static void
copy_from(const struct config *cfg, const char *home, const char *name)
{
	char *src = xasprintf("%s/%s", cfg->gnupg_home, name);
	char *dst = xasprintf("%s/%s", home, name);
	struct em_err err;
	struct buf b;

	buf_init(&b);
	if (access(src, F_OK) == 0 &&
	    cli_read_all(src, CERT_FILE_MAX, &b, &err) == EM_OK)
		(void)put_file(dst, b.data, b.len);
	buf_free(&b);
	free(src);
	free(dst);
}

/*
 * vet_cert_seed - the throwaway home made to answer as the daemon's: its
 * trustlist.txt and gpgsm.conf, its certificates (public; exported only
 * from a home that has a keybox, which an export would otherwise
 * create); an agent that never marks a root trusted.  What cannot be read
 * is left out: the trial then says what is missing.
 */
static void
vet_cert_seed(const struct config *cfg, const char *home)
{
	static const char *const exp[] = { "--armor", "--export", NULL };
	static const char agent[] = "no-allow-mark-trusted\n";
	char *kbx = xasprintf("%s/pubring.kbx", cfg->gnupg_home);
	char *kbd = xasprintf("%s/public-keys.d", cfg->gnupg_home);
	char *seed = xasprintf("%s/seed.pem", home), why[256];
	char *conf = xasprintf("%s/gpg-agent.conf", home);
	const char *imp[] = { "--import", seed, NULL };
	struct buf b;

	copy_from(cfg, home, "trustlist.txt");
	copy_from(cfg, home, "gpgsm.conf");
	(void)put_file(conf, agent, sizeof(agent) - 1);
	buf_init(&b);
	if ((access(kbx, F_OK) == 0 || access(kbd, F_OK) == 0) &&
	    gpgsm_run(cfg->gnupg_home, exp, &b, why, sizeof(why)) &&
	    b.len > 0 && put_file(seed, b.data, b.len))
		(void)gpgsm_run(home, imp, NULL, why, sizeof(why));
	buf_free(&b);
	free(kbx);
	free(kbd);
	free(seed);
	free(conf);
}

/* vet_cert_import - the applicant's certificate into the throwaway home,
 * and gpgsm's name of it (by its pin); false after a problem */

static bool
vet_cert_import(const char *home, const char *file, const struct buf *der,
    const char *pin, char name[41], struct strv *probs)
{
	char *path = xasprintf("%s/applicant.der", home);
	const char *imp[] = { "--import", path, NULL };
	struct em_err err;
	char why[sizeof(err.msg)] = "it cannot be written to the throwaway home";
	bool ok;

	ok = put_file(path, der->data, der->len) &&
	    gpgsm_run(home, imp, NULL, why, sizeof(why));
	if (ok && (keys_init(home, &err) < 0 ||
	    keys_cert_name(pin, name, &err) < 0)) {
		(void)snprintf(why, sizeof(why), "%s", err.msg);
		ok = false;
	}
	if (!ok)
		vet_problem(probs, "gpgsm does not take %s as a certificate: %s",
		    file, why);
	free(path);
	return ok;
}

/*
 * vet_cert_trial - encrypt a few bytes to the certificate once, as this
 * user (the daemon's, when embargoctl runs as root), as the daemon's
 * trial does; a failure is a problem with its cure
 */
static void
vet_cert_trial(const struct config *cfg, const char *home, const char *name,
    const char *pin, struct strv *probs)
{
	static const char probe[] = "embargo-milter certificate check\n";
	char *path = xasprintf("%s/probe", home), why[256] = "no probe written";
	const char *enc[] = { "--armor", "--recipient", name, "--encrypt", path,
	    NULL };
	const struct passwd *pw = getpwuid(geteuid());
	const char *me = pw != NULL ? pw->pw_name : "this user", *h =
	    cfg->gnupg_home, *u = cfg->user;

	if (put_file(path, probe, sizeof(probe) - 1) &&
	    gpgsm_run(home, enc, NULL, why, sizeof(why)))
		;	/* it can */
	else if (strstr(why, "issuer") != NULL || strstr(why, "rusted") != NULL)
		vet_problem(probs, "encrypting to certificate %s failed as %s: "
		    "%s; gpgsm encrypts only to a certificate whose issuer the "
		    "daemon's home %s holds and trusts: import the issuer's "
		    "certificate (runuser -u %s -- gpgsm --homedir %s --batch "
		    "--import CA.pem), add a line of its SHA-1 fingerprint "
		    "(openssl x509 -in CA.pem -noout -fingerprint -sha1, without "
		    "the colons) and \" S relax\" to %s/trustlist.txt, reload the "
		    "agent (runuser -u %s -- gpgconf --homedir %s --reload "
		    "gpg-agent) and vet again", pin, me, why, h, u, h, h, u, h);
	else
		vet_problem(probs, "encrypting to certificate %s failed as %s: "
		    "%s; ask for a certificate gpgsm can encrypt to (RSA of 2048 "
		    "bits or more)", pin, me, why);
	free(path);
}

/* vet_cert_drop - the throwaway home's agent stopped, the home removed */

static void
vet_cert_drop(const char *home)
{
	const char *kill[] = { "gpgconf", "--homedir", home, "--kill", "all",
	    NULL };
	char why[256];

	(void)tool_run(kill, NULL, why, sizeof(why));
	(void)nftw(home, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* ---- A certificate, vetted ---- */

/*
 * vet_cert_checks - what a reload checks of a certificate: usable for
 * encrypting (dates, key usage, key size; keys_health() says which),
 * for 30 days or more, issued to the address; then, when all is well,
 * the one trial
 */
static void
vet_cert_checks(const struct config *cfg, const char *home, const char *name,
    const char *pin, const char *addr, struct strv *probs)
{
	struct keys_health h;
	size_t was = probs->n;

	(void)keys_health(pin, KEYS_USE_ENCRYPT, time(NULL), &h);
	if (!h.usable)
		vet_problem(probs, "%s; ask the applicant for a certificate that "
		    "can (RSA of 2048 bits or more, within its dates, its key "
		    "usage allowing encryption)", h.problem);
	else if (h.days_left >= 0 && h.days_left < 30)
		vet_problem(probs, "certificate %s expires in %ld days; a "
		    "member's certificate must be usable for 30 days or more: "
		    "ask for a new one", pin, h.days_left);
	if (h.present && !keys_uid_has_address(pin, addr))
		vet_problem(probs, "certificate %s is not for %s (neither its "
		    "subject nor its subjectAltName carries it%s%s); ask for a "
		    "certificate issued to that address", pin, addr,
		    h.uids[0] != '\0' ? "; it names " : "", h.uids);
	if (probs->n == was)
		vet_cert_trial(cfg, home, name, pin, probs);
}

/* vet_cert - a certificate file vetted in a throwaway home seeded from
 * the daemon's; its pin into pin */

static void
vet_cert(const struct config *cfg, const char *file, const char *addr,
    char pin[65], struct strv *probs)
{
	char home[] = "/tmp/embargoctl-vet-XXXXXX", name[41];
	struct em_err err;
	struct buf der;

	buf_init(&der);
	if (!cert_read(file, &der, probs)) {
		buf_free(&der);
		return;
	}
	cert_pin(&der, pin);
	if (mkdtemp(home) == NULL) {
		vet_problem(probs, "cannot make a throwaway GnuPG home in /tmp: "
		    "%s", strerror(errno));
	} else {
		vet_cert_seed(cfg, home);
		if (vet_cert_import(home, file, &der, pin, name, probs))
			vet_cert_checks(cfg, home, name, pin, addr, probs);
		vet_cert_drop(home);
	}
	(void)keys_init(cfg->gnupg_home, &err);
	buf_free(&der);
}

/* ---- member vet ---- */

#define VET_FORMS	"member vet --name ORG --address ADDR (--key FILE | " \
			"--certificate FILE)"

/* vet_args - read member vet's options into a; EXIT_OK or EXIT_USAGE */

static int
vet_args(int argc, char **argv, struct cli_vet *a)
{
	static const struct option lo[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "address", required_argument, NULL, 'a' },
		{ "key", required_argument, NULL, 'k' },
		{ "certificate", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	optind = 2;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'n')
			a->name = optarg;
		else if (ch == 'a')
			a->addr = optarg;
		else if (ch == 'k')
			a->key_file = optarg;
		else if (ch == 'C')
			a->cert_file = optarg;
		else
			return cli_usage(VET_FORMS);
	}
	if (optind < argc || a->name == NULL || a->addr == NULL ||
	    (a->key_file == NULL) == (a->cert_file == NULL))
		return cli_usage(VET_FORMS);
	return EXIT_OK;
}

/* vet_place - the applicant's address and name against the config */

static void
vet_place(const struct config *cfg, const char *name, const char *norm,
    struct strv *probs)
{
	if (!conf_is_role_address(&cfg->role_localparts, norm))
		vet_problem(probs, "%s is not a role address (its local part is "
		    "not one of role_localparts); ask for the organisation's "
		    "security role address, or check it and add role_attested",
		    norm);
	if (conf_addr_role(cfg, norm) != CONF_ROLE_NONE)
		vet_problem(probs, "%s already has a role in %s", norm, cfg->path);
	for (size_t i = 0; i < cfg->n_members; i++)
		if (strcmp(cfg->members[i].name, name) == 0)
			vet_problem(probs, "a member \"%s\" already exists", name);
}

/* vet_json - the findings as one JSON object */

static void
vet_json(const struct cli_vet *a, const char *pin, const struct strv *probs,
    const struct strv *warns, const char *block)
{
	struct cli_json *j = cj_new();

	cj_bool(j, "ok", probs->n == 0);
	cj_str(j, "kind", a->cert_file != NULL ? "smime" : "openpgp");
	cj_str(j, "pin", pin);
	cj_array(j, "problems");
	for (size_t i = 0; i < probs->n; i++)
		cj_str(j, NULL, probs->v[i]);
	cj_array_end(j);
	cj_array(j, "warnings");
	for (size_t i = 0; i < warns->n; i++)
		cj_str(j, NULL, warns->v[i]);
	cj_array_end(j);
	cj_str(j, "block", probs->n == 0 ? block : NULL);
	cj_print(j);
}

/* vet_print - the findings, and the block to paste when there are none */

static void
vet_print(const struct opts *o, const struct config *cfg,
    const struct cli_vet *a, const char *pin, const struct strv *probs,
    const struct strv *warns, const char *block)
{
	if (o->json) {
		vet_json(a, pin, probs, warns, block);
		return;
	}
	for (size_t i = 0; i < probs->n; i++)
		printf("PROBLEM: %s\n", probs->v[i]);
	for (size_t i = 0; i < warns->n; i++)
		printf("warning: %s\n", warns->v[i]);
	if (probs->n > 0)
		return;
	if (a->cert_file != NULL)
		printf("ok: import the certificate into %s as the daemon's user "
		    "(runuser -u %s -- gpgsm --homedir %s --batch --import %s), "
		    "paste this block into %s and reload:\n\n%s",
		    cfg->gnupg_home, cfg->user, cfg->gnupg_home, a->cert_file,
		    cfg->path, block);
	else
		printf("ok: paste this block into %s, import the key into "
		    "%s and reload:\n\n%s", cfg->path, cfg->gnupg_home, block);
}

/* cli_member_vet - one applicant vetted against cfg, its block printed
 * when nothing is wrong; EXIT_OK or EXIT_FINDING */

int
cli_member_vet(const struct opts *o, const struct config *cfg,
    const struct cli_vet *a)
{
	struct strv probs = { NULL, 0 }, warns = { NULL, 0 };
	char pin[65] = "", *norm, *block;
	bool cert = a->cert_file != NULL;
	int rc;

	if (a->name == NULL || a->addr == NULL ||
	    (a->key_file == NULL) == (a->cert_file == NULL))
		return cli_usage(VET_FORMS);
	norm = em_addr_norm(a->addr);
	vet_place(cfg, a->name, norm, &probs);
	if (cert)
		vet_cert(cfg, a->cert_file, norm, pin, &probs);
	else
		(void)vet_key(cfg, a->key_file, norm, pin, &probs, &warns);
	block = xasprintf("member \"%s\" {\n  address%s = \"%s\"\n  %s = "
	    "\"%s\"\n}\n", a->name, cert ? "    " : "", norm, cert ?
	    "certificate" : "key    ", pin);
	vet_print(o, cfg, a, pin, &probs, &warns, block);
	rc = probs.n > 0 ? EXIT_FINDING : EXIT_OK;
	free(block);
	strv_free(&probs);
	strv_free(&warns);
	free(norm);
	return rc;
}

/* cmd_member_vet - member vet --name ORG --address ADDR (--key FILE |
 * --certificate FILE) */

int
cmd_member_vet(const struct opts *o, int argc, char **argv)
{
	struct cli_vet a = { NULL, NULL, NULL, NULL };
	struct config *cfg;
	int rc;

	if (vet_args(argc, argv, &a) != EXIT_OK)
		return EXIT_USAGE;
	if ((cfg = cli_load(o)) == NULL)
		return EXIT_USAGE;
	rc = cli_member_vet(o, cfg, &a);
	conf_free(cfg);
	return rc;
}
