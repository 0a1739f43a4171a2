/*
 * cmd_restore.c - embargoctl restore FILE [--gnupg-home DIR] [--standby]
 * and embargoctl promote [--force] (SPEC 8, "Backups, restore and a
 * standby")
 *
 * restore opens a backup with an administrator's own keyring (as the
 * caller, before anything else), reads its archive in memory, and then,
 * as the daemon's user: refuses while the daemon runs or while state_dir
 * holds a store (a standby's own may be replaced with --standby); puts
 * the store aside in state_dir, verifies its audit chain and that the
 * tip the manifest names is in it, records "restored" in that chain, and
 * only then moves it into place with the fingerprint key and the GnuPG
 * home's files.  A config that differs from the one in use is written
 * beside it (CONF.from-backup), never over it.  The state is printed so
 * the team can see what the backup knew.
 *
 * promote makes a standby active once the primary answers on neither its
 * milter socket nor its reinjection listener (standby section), or with
 * --force; the audit says who, and how it was checked.
 */

/* System library. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Application-specific. */
#include "cli.h"
#include "backup.h"
#include "../keys/keys.h"
#include "../util/emtime.h"
#include "../util/priv.h"

#define RESTORE_FORMS	"restore FILE [--gnupg-home DIR] [--standby]"

struct restore {
	const char *file, *home;
	bool	standby;
	struct backup_files f;
	struct backup_manifest m;
	char	tmp[4096];		/* state_dir/restore.XXXXXX */
};

/* daemon_runs - the pid in state_dir's pid file is alive */

static bool
daemon_runs(const struct config *cfg)
{
	long pid = cli_daemon_pid(cfg);

	return pid != 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* open_backup - the file decrypted with the administrator's keyring and
 * its archive read (as the caller) */

static int
open_backup(const struct config *cfg, struct restore *r, struct em_err *err)
{
	struct buf enc, tar;
	const struct backup_file *mf = NULL;
	int rc;

	buf_init(&enc);
	buf_init(&tar);
	rc = cli_read_all(r->file, cfg->state_map_size + ((size_t)256 << 20),
	    &enc, err);
	if (rc == EM_OK)
		rc = keys_decrypt_with(r->home, enc.data, enc.len, &tar, err);
	buf_free(&enc);
	if (rc == EM_OK)
		rc = backup_untar(tar.data, tar.len, cfg->state_map_size, &r->f,
		    err);
	if (tar.data != NULL)
		explicit_bzero(tar.data, tar.len);
	buf_free(&tar);
	if (rc == EM_OK && ((mf = backup_files_find(&r->f, "MANIFEST.json")) ==
	    NULL || backup_files_find(&r->f, "state/data.mdb") == NULL ||
	    backup_files_find(&r->f, "state/print.key") == NULL))
		rc = em_fail(err, EM_EPARSE, "it lacks its manifest, its store or "
		    "its fingerprint key: not a whole backup");
	if (rc == EM_OK && mf != NULL)
		rc = backup_manifest_read(mf->data.data, mf->data.len, &r->m, err);
	return rc;
}

/* config_beside - the backup's config, when it differs, as
 * CONF.from-backup (as the caller: the config is root's) */

static void
config_beside(const struct opts *o, const struct restore *r)
{
	const struct backup_file *c = backup_files_find(&r->f,
	    "config/embargo-milter.conf");
	struct buf now;
	struct em_err err;
	char *path;

	if (c == NULL)
		return;
	buf_init(&now);
	if (cli_read_all(o->conf, BACKUP_FILE_MAX, &now, &err) == EM_OK &&
	    now.len == c->data.len && (now.len == 0 ||
	    memcmp(now.data, c->data.data, now.len) == 0)) {
		buf_free(&now);
		return;
	}
	buf_free(&now);
	path = xasprintf("%s.from-backup", o->conf);
	if (backup_put(path, c->data.data ? c->data.data : "", c->data.len, 0640,
	    &err) == EM_OK)
		printf("restore: the backup's config differs from %s: it is in "
		    "%s; compare them before starting the daemon\n", o->conf,
		    path);
	else
		fprintf(stderr, "embargoctl: restore: %s\n", err.msg);
	free(path);
}

/* live_store - may the restore go on: no store in state_dir, or (with
 * --standby) a standby's own */

static int
live_store(const struct config *cfg, const struct restore *r,
    struct em_err *err)
{
	char *path = xasprintf("%s/data.mdb", cfg->state_dir);
	struct stat st;
	struct store *s;
	struct store_txn *t;
	bool standby = false;
	int rc = EM_OK;

	if (stat(path, &st) == 0 && st.st_size > 0) {
		if (r->standby && store_open(cfg->state_dir, cfg->state_map_size,
		    &s, err) == EM_OK) {
			if (store_begin(s, false, &t, err) == EM_OK) {
				if (ledger_standby(t, &standby, err) < 0)
					standby = false;
				store_abort(t);
			}
			store_close(s);
		}
		if (!standby)
			rc = em_fail(err, EM_EIO, "%s holds a store%s: a restore "
			    "never overwrites one; move state_dir's files aside "
			    "first (a standby's own store is replaced with "
			    "--standby)", path, r->standby ? " that is not a "
			    "standby's" : "");
	}
	free(path);
	return rc;
}

/* audit_restored - in the restored chain: restored, from when, by whom */

static int
audit_restored(struct store_txn *t, const struct restore *r,
    struct em_err *err)
{
	char ts[EM_TIME_BUFSZ];
	char *why = xasprintf("restored from a backup taken at %s (host %s, "
	    "audit tip %llu)%s", em_time_format_iso(r->m.taken, ts), r->m.host,
	    (unsigned long long)r->m.audit_seq, r->standby ? ", as a standby" :
	    "");
	int rc = cli_audit(t, "restored", NULL, 0, why, err);

	free(why);
	return rc;
}

/* check_aside - the store put aside verified (its chain, the tip the
 * manifest names), its mode set and the restore audited */

static int
check_aside(const struct config *cfg, const struct restore *r,
    struct em_err *err)
{
	struct store *s;
	struct store_txn *t;
	uint64_t bad = 0, count = 0;
	char hash[65] = "";
	int rc;

	if ((rc = store_open(r->tmp, cfg->state_map_size, &s, err)) < 0)
		return rc;
	if ((rc = store_begin(s, true, &t, err)) == EM_OK) {
		if (store_audit_verify(t, &bad, &count) != EM_OK)
			rc = em_fail(err, EM_EINTEGRITY, "its audit chain is broken "
			    "at record %llu: the backup was altered or damaged",
			    (unsigned long long)bad);
		else if (r->m.audit_seq != 0 && (store_audit_hash_at(t,
		    r->m.audit_seq, hash) != EM_OK ||
		    strcmp(hash, r->m.audit_hash) != 0))
			rc = em_fail(err, EM_EINTEGRITY, "its audit chain does not "
			    "hold the tip its manifest names (record %llu): the "
			    "backup was altered", (unsigned long long)r->m.audit_seq);
		if (rc == EM_OK && (rc = ledger_set_standby(t, r->standby,
		    err)) == EM_OK && (rc = audit_restored(t, r, err)) == EM_OK)
			rc = store_commit(t, err);
		else
			store_abort(t);
	}
	store_close(s);
	return rc;
}

/* clean_aside - the restore's folder removed (and, once the store is
 * in place, the old store's lock file: LMDB makes it again) */

static void
clean_aside(const struct config *cfg, const char *tmp, bool placed)
{
	char *p = xasprintf("%s/lock.mdb", tmp);

	(void)unlink(p);
	(void)rmdir(tmp);
	free(p);
	if (placed) {
		p = xasprintf("%s/lock.mdb", cfg->state_dir);
		(void)unlink(p);
		free(p);
	}
}

/* put_state - the store and the fingerprint key aside, checked, then in
 * place */

static int
put_state(const struct config *cfg, struct restore *r, struct em_err *err)
{
	const struct backup_file *db = backup_files_find(&r->f, "state/data.mdb");
	const struct backup_file *key = backup_files_find(&r->f,
	    "state/print.key");
	static const char *const names[] = { "data.mdb", "print.key", NULL };
	int rc = EM_OK;

	if (em_fmt(r->tmp, sizeof(r->tmp), "the restore's folder", err,
	    "%s/restore.XXXXXX", cfg->state_dir) < 0 || mkdtemp(r->tmp) == NULL)
		return em_fail(err, EM_EIO, "%s: %s", cfg->state_dir,
		    strerror(errno));
	for (int i = 0; rc == EM_OK && names[i] != NULL; i++) {
		char *p = xasprintf("%s/%s", r->tmp, names[i]);
		const struct backup_file *f = i == 0 ? db : key;

		rc = backup_put(p, f->data.data, f->data.len, 0600, err);
		free(p);
	}
	if (rc == EM_OK)
		rc = check_aside(cfg, r, err);
	for (int i = 0; rc == EM_OK && names[i] != NULL; i++) {
		char *from = xasprintf("%s/%s", r->tmp, names[i]);
		char *to = xasprintf("%s/%s", cfg->state_dir, names[i]);

		if (rename(from, to) < 0)
			rc = em_fail(err, EM_EIO, "%s: %s", to, strerror(errno));
		free(from);
		free(to);
	}
	for (int i = 0; names[i] != NULL; i++) {
		char *p = xasprintf("%s/%s", r->tmp, names[i]);

		(void)unlink(p);
		free(p);
	}
	clean_aside(cfg, r->tmp, rc == EM_OK);
	return rc;
}

/* put_home - the GnuPG home's files from the backup (0600, its folders
 * 0700); the files it does not hold are left */

static int
put_home(const struct config *cfg, const struct restore *r, struct em_err *err)
{
	int rc = EM_OK;

	if (mkdir(cfg->gnupg_home, 0700) < 0 && errno != EEXIST)
		return em_fail(err, EM_EIO, "%s: %s", cfg->gnupg_home,
		    strerror(errno));
	for (size_t i = 0; rc == EM_OK && i < r->f.n; i++) {
		const struct backup_file *f = &r->f.v[i];
		const char *rest = f->name + strlen("gnupg/");
		char *path, *slash;

		if (strncmp(f->name, "gnupg/", 6) != 0)
			continue;
		path = xasprintf("%s/%s", cfg->gnupg_home, rest);
		if ((slash = strrchr(path, '/')) != NULL && slash > path +
		    strlen(cfg->gnupg_home)) {
			*slash = '\0';
			(void)mkdir(path, 0700);
			*slash = '/';
		}
		rc = backup_put(path, f->data.data ? f->data.data : "",
		    f->data.len, 0600, err);
		free(path);
	}
	return rc;
}

/* show_adv - store_adv_each() callback: one advisory's line */

static int
show_adv(const struct store_advisory *a, void *ctx)
{
	char ts[EM_TIME_BUFSZ];

	(void)ctx;
	printf("  %-16s r%-3d %-9s %s\n", a->id, a->revision,
	    a->state == STORE_ADV_EMBARGOED ? "embargoed" : "public",
	    a->embargo ? em_time_format(a->embargo, ts) : "-");
	return 0;
}

/* show_state - what the backup knew, for the team to check */

static void
show_state(const struct config *cfg, const struct restore *r)
{
	struct store *s = cli_store(cfg);
	struct store_txn *t;
	struct em_err err;
	char ts[EM_TIME_BUFSZ];

	printf("restore: restored from a backup taken at %s on %s (audit tip "
	    "%llu, %ld advisories)%s.\nWhatever happened after that time (a "
	    "revision posted, a date moved, a hold dropped) is not in it: the "
	    "team repeats it.  The advisories now:\n", em_time_format(r->m.taken,
	    ts), r->m.host, (unsigned long long)r->m.audit_seq, r->m.advisories,
	    r->standby ? "; this host is a standby: it releases nothing until "
	    "embargoctl promote" : "");
	if (s == NULL || store_begin(s, false, &t, &err) < 0) {
		store_close(s);
		return;
	}
	(void)store_adv_each(t, show_adv, NULL, &err);
	store_abort(t);
	store_close(s);
}

/* restore_args - FILE [--gnupg-home DIR] [--standby] */

static bool
restore_args(int argc, char **argv, struct restore *r)
{
	if (argc < 2 || argv[1][0] == '-')
		return false;
	r->file = argv[1];
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--standby") == 0)
			r->standby = true;
		else if (strcmp(argv[i], "--gnupg-home") == 0 && i + 1 < argc)
			r->home = argv[++i];
		else
			return false;
	}
	return true;
}

/* cmd_restore - embargoctl restore FILE [--gnupg-home DIR] [--standby] */

int
cmd_restore(const struct opts *o, int argc, char **argv)
{
	struct restore r;
	struct config *cfg = NULL;
	struct em_err err;
	int rc;

	memset(&r, 0, sizeof(r));
	if (!restore_args(argc, argv, &r))
		return cli_usage(RESTORE_FORMS);
	if ((cfg = cli_load_here(o)) == NULL)
		return EXIT_USAGE;
	if ((rc = open_backup(cfg, &r, &err)) == EM_OK) {
		config_beside(o, &r);
		rc = em_become_user(cfg->user, &err);
	}
	if (rc == EM_OK && daemon_runs(cfg))
		rc = em_fail(&err, EM_EIO, "the daemon runs (its pid file in %s "
		    "names a live process): stop it first", cfg->state_dir);
	if (rc == EM_OK && (rc = live_store(cfg, &r, &err)) == EM_OK &&
	    (rc = put_state(cfg, &r, &err)) == EM_OK)
		rc = put_home(cfg, &r, &err);
	if (rc == EM_OK)
		show_state(cfg, &r);
	else
		fprintf(stderr, "embargoctl: restore: %s: %s\n", r.file, err.msg);
	backup_files_free(&r.f);
	conf_free(cfg);
	return rc == EM_OK ? EXIT_OK : EXIT_USAGE;
}

/* ---- promote ---- */

/* answers - does host:port take a TCP connection within 3 s?  1 yes, 0
 * no, -1 cannot tell (the name does not resolve: never "down") */

static int
answers(const char *host, const char *port)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	char h[256];
	size_t hl = strlen(host);
	bool up = false;

	/* An IPv6 literal in brackets, as "[::1]:10026" writes it. */
	(void)snprintf(h, sizeof(h), "%.*s", (int)(hl > 1 && host[0] == '[' &&
	    host[hl - 1] == ']' ? hl - 2 : hl), host + (hl > 1 &&
	    host[0] == '[' && host[hl - 1] == ']'));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(h, port, &hints, &res) != 0)
		return -1;
	for (struct addrinfo *ai = res; ai != NULL && !up; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		struct pollfd p = { fd, POLLOUT, 0 };
		int e = 0;
		socklen_t el = sizeof(e);

		if (fd < 0)
			continue;
		up = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && poll(&p, 1, 3000) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0);
		(void)close(fd);
	}
	freeaddrinfo(res);
	return up ? 1 : 0;
}

/* primary_answers - where the primary answered ("" when nowhere) into
 * what; -1 when the standby section cannot be read; a name that does not
 * resolve counts as answering (it cannot be told down) */

static int
primary_answers(const struct config *cfg, char *what, size_t n)
{
	char host[256], port[16];
	const char *m = cfg->standby_milter, *x = cfg->standby_reinject, *c;
	int a;

	what[0] = '\0';
	if (m == NULL || x == NULL || strncmp(m, "inet:", 5) != 0 ||
	    (c = strchr(m + 5, '@')) == NULL || (size_t)(c - m - 5) >=
	    sizeof(port))
		return -1;
	(void)snprintf(port, sizeof(port), "%.*s", (int)(c - m - 5), m + 5);
	(void)snprintf(host, sizeof(host), "%s", c + 1);
	if ((a = answers(host, port)) != 0) {
		(void)snprintf(what, n, "its milter socket %s%s", m, a < 0 ?
		    " (or its name does not resolve from here)" : "");
		return 0;
	}
	if ((c = strrchr(x, ':')) == NULL || (size_t)(c - x) >= sizeof(host))
		return -1;
	(void)snprintf(host, sizeof(host), "%.*s", (int)(c - x), x);
	(void)snprintf(port, sizeof(port), "%s", c + 1);
	if ((a = answers(host, port)) != 0)
		(void)snprintf(what, n, "its reinjection listener %s%s", x, a < 0 ?
		    " (or its name does not resolve from here)" : "");
	return 0;
}

/* promote - in one transaction: active, audited with who and how */

static int
promote(struct store *s, bool force, struct em_err *err)
{
	struct store_txn *t;
	bool standby = false;
	int rc;

	if ((rc = store_begin(s, true, &t, err)) < 0)
		return rc;
	if ((rc = ledger_standby(t, &standby, err)) == EM_OK && !standby)
		rc = em_fail(err, EM_EIO, "this host is active already");
	if (rc == EM_OK && (rc = ledger_set_standby(t, false, err)) == EM_OK &&
	    (rc = cli_audit(t, "promoted", NULL, 0, force ? "promoted to active "
	    "with --force (the administrator says the primary is down)" :
	    "promoted to active: the primary answers on neither its milter "
	    "socket nor its reinjection listener", err)) == EM_OK)
		return store_commit(t, err);
	store_abort(t);
	return rc;
}

/* cmd_promote - embargoctl promote [--force] */

int
cmd_promote(const struct opts *o, int argc, char **argv)
{
	bool force = argc == 2 && strcmp(argv[1], "--force") == 0;
	struct config *cfg;
	struct store *s;
	struct em_err err;
	char where[300];
	int rc;

	if (argc > 2 || (argc == 2 && !force))
		return cli_usage("promote [--force]");
	if (cli_open(o, &cfg, &s) < 0)
		return EXIT_USAGE;
	rc = force ? 0 : primary_answers(cfg, where, sizeof(where));
	if (rc < 0)
		fprintf(stderr, "embargoctl: promote: %s has no standby section "
		    "naming where the primary answers (primary_milter = "
		    "\"inet:PORT@HOST\", primary_reinject = \"HOST:PORT\"); "
		    "add it, or, when you know the primary is down for good, "
		    "promote --force\n", o->conf);
	else if (!force && where[0] != '\0')
		fprintf(stderr, "embargoctl: promote: the primary still answers "
		    "on %s: two active hosts would release twice; stop it first "
		    "(or, when you know it is down for good, promote --force)\n",
		    where);
	else if ((rc = promote(s, force, &err)) < 0)
		fprintf(stderr, "embargoctl: promote: %s\n", err.msg);
	else
		printf("promote: this host is active; restart the daemon "
		    "(systemctl restart embargo-milter) and it releases, runs "
		    "hooks and sends copies\n");
	rc = rc < 0 || (!force && where[0] != '\0') ? EXIT_USAGE : EXIT_OK;
	cli_close(cfg, s);
	return rc;
}
