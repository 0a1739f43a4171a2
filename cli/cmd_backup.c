/*
 * cmd_backup.c - embargoctl backup FILE|-|--dir [--secret-keys]: the
 * whole state while the daemon runs, encrypted to the administrators'
 * keys (SPEC 8, "Backups, restore and a standby")
 *
 * One archive: MANIFEST.json (when, the audit chain's tip, how many
 * advisories, whether secret keys are in), state/data.mdb (LMDB's own
 * compacted copy, in one read transaction: every write before it, none
 * half), state/print.key (the leak guard's fingerprint key), the GnuPG
 * home's public keyring, certificates and trust (its secret keys only
 * with --secret-keys) and the config.  It is built in memory (the store
 * copied to a memfd) and encrypted to every key of backup.recipients
 * before a byte is written.  That is done by a child as the daemon's
 * user (its keyring, its store); the encrypted bytes come back on a pipe
 * and the caller writes them with its own rights: FILE aside and renamed,
 * 0600, "-" standard output, --dir backup_dir/embargo-backup-TIME-NS.gpg
 * keeping the newest backup.keep (TIME to the nanosecond).  The child audits the backup once the
 * caller says where it was written.
 */

/* System library. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Application-specific. */
#include "cli.h"
#include "backup.h"
#include "../keys/keys.h"
#include "../util/emtime.h"

#define BACKUP_FORMS	"backup FILE|-|--dir [--secret-keys]"
#define BACKUP_PREFIX	"embargo-backup-"

/* count_adv - store_adv_each() callback */

static int
count_adv(const struct store_advisory *a, void *ctx)
{
	(void)a;
	(*(long *)ctx)++;
	return 0;
}

/* tip - the audit chain's head and the advisories, before the copy (the
 * copy holds at least these) */

static int
tip(struct store *s, struct backup_manifest *m, struct em_err *err)
{
	struct store_txn *t;
	int rc;

	if ((rc = store_begin(s, false, &t, err)) < 0)
		return rc;
	rc = store_audit_head(t, &m->audit_seq, m->audit_hash);
	if (rc == EM_OK)
		rc = store_adv_each(t, count_adv, &m->advisories, err);
	else
		(void)em_fail(err, rc, "the audit chain's head cannot be read");
	store_abort(t);
	return rc;
}

/* store_bytes - the compacted copy of the store, through a memfd (never
 * a file) */

static int
store_bytes(struct store *s, struct backup_files *f, struct em_err *err)
{
	int fd = memfd_create("embargo-backup", MFD_CLOEXEC);
	struct stat st;
	void *p;
	int rc;

	if (fd < 0)
		return em_fail(err, EM_EIO, "memfd_create: %s", strerror(errno));
	if ((rc = store_copy_fd(s, fd, err)) == EM_OK) {
		if (fstat(fd, &st) < 0 || st.st_size == 0 ||
		    (p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
		    fd, 0)) == MAP_FAILED) {
			rc = em_fail(err, EM_EIO, "the store's copy cannot be "
			    "read back: %s", strerror(errno));
		} else {
			backup_files_add(f, "state/data.mdb", p,
			    (size_t)st.st_size, 0600);
			(void)munmap(p, (size_t)st.st_size);
		}
	}
	(void)close(fd);
	return rc;
}

/* gather - every member of the archive, the manifest first */

static int
gather(const struct opts *o, const struct config *cfg, struct store *s,
    bool secret, struct backup_files *f, struct backup_manifest *m,
    struct em_err *err)
{
	char *key = xasprintf("%s/print.key", cfg->state_dir), *mj;
	struct buf b;
	int rc;

	buf_init(&b);
	m->format = BACKUP_FORMAT;
	m->taken = time(NULL);
	m->secret_keys = secret;
	(void)gethostname(m->host, sizeof(m->host) - 1);
	if ((rc = tip(s, m, err)) == EM_OK) {
		mj = backup_manifest_json(m);
		backup_files_add(f, "MANIFEST.json", mj, strlen(mj), 0600);
		free(mj);
		rc = store_bytes(s, f, err);
	}
	if (rc == EM_OK && (rc = cli_read_all(key, 4096, &b, err)) == EM_OK)
		backup_files_add(f, "state/print.key", b.data, b.len, 0600);
	buf_reset(&b);
	if (rc == EM_OK)
		rc = backup_add_home(f, cfg->gnupg_home, secret, err);
	if (rc == EM_OK && (rc = cli_read_all(o->conf, BACKUP_FILE_MAX, &b,
	    err)) == EM_OK)
		backup_files_add(f, "config/embargo-milter.conf",
		    b.data ? b.data : "", b.len, 0640);
	buf_free(&b);
	free(key);
	return rc;
}

/* by_name - newest last (the names carry the time) */

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* prune - the oldest of backup_dir's backups beyond keep removed */

static void
prune(const struct config *cfg)
{
	DIR *d = opendir(cfg->backup_dir);
	struct strv v = { NULL, 0 };
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, BACKUP_PREFIX, strlen(BACKUP_PREFIX)) ==
		    0 && strstr(e->d_name, ".gpg") != NULL &&
		    strchr(e->d_name, '.') == strstr(e->d_name, ".gpg"))
			strv_push(&v, e->d_name);
	(void)closedir(d);
	if (v.n > 1)
		qsort(v.v, v.n, sizeof(*v.v), by_name);
	for (size_t i = 0; v.n > (size_t)cfg->backup_keep &&
	    i < v.n - (size_t)cfg->backup_keep; i++) {
		char *p = xasprintf("%s/%s", cfg->backup_dir, v.v[i]);

		if (unlink(p) == 0)
			fprintf(stderr, "embargoctl: backup: %s removed (keep %ld)\n",
			    p, cfg->backup_keep);
		free(p);
	}
	strv_free(&v);
}

/* write_out - the encrypted backup to where it goes; its path into *path */

static int
write_out(const struct config *cfg, const char *to, const struct buf *enc,
    char **path, struct em_err *err)
{
	char t[32];
	struct tm tm;
	struct timespec now;

	if (strcmp(to, "-") == 0) {
		*path = xstrdup("(standard output)");
		return em_write_all(1, enc->data, enc->len) < 0 ? em_fail(err,
		    EM_EIO, "standard output: %s", strerror(errno)) : EM_OK;
	}
	if (strcmp(to, "--dir") == 0) {
		(void)clock_gettime(CLOCK_REALTIME, &now);
		(void)gmtime_r(&now.tv_sec, &tm);
		(void)strftime(t, sizeof(t), "%Y%m%dT%H%M%SZ", &tm);
		if (mkdir(cfg->backup_dir, 0700) < 0 && errno != EEXIST)
			return em_fail(err, EM_EIO, "%s: %s", cfg->backup_dir,
			    strerror(errno));
		/* To the nanosecond: two in one second differ, and sort. */
		*path = xasprintf("%s/" BACKUP_PREFIX "%s-%09ld.gpg",
		    cfg->backup_dir, t, (long)now.tv_nsec);
	} else {
		*path = xstrdup(to);
	}
	return backup_put(*path, enc->data, enc->len, 0600, err);
}

/* audit_backup - the backup said in the audit (after it is written) */

static int
audit_backup(struct store *s, const struct backup_manifest *m,
    const char *path, struct em_err *err)
{
	struct store_txn *t;
	char *why = xasprintf("backup to %s, audit tip %llu%s", path,
	    (unsigned long long)m->audit_seq, m->secret_keys ?
	    ", secret keys in it" : "");
	int rc;

	if ((rc = store_begin(s, true, &t, err)) == EM_OK) {
		if ((rc = cli_audit(t, "backup", NULL, 0, why, err)) == EM_OK)
			rc = store_commit(t, err);
		else
			store_abort(t);
	}
	free(why);
	return rc;
}

/* produce - the encrypted backup into enc (as the daemon's user) */

static int
produce(const struct opts *o, const struct config *cfg, struct store *s,
    bool secret, struct buf *enc, struct backup_manifest *m,
    struct em_err *err)
{
	struct backup_files f = { NULL, 0 };
	struct buf tar;
	int rc;

	memset(m, 0, sizeof(*m));
	buf_init(&tar);
	if ((rc = gather(o, cfg, s, secret, &f, m, err)) == EM_OK &&
	    (rc = backup_tar(&f, &tar, err)) == EM_OK)
		rc = keys_encrypt_to(&cfg->backup_recipients, tar.data, tar.len,
		    enc, err);
	backup_files_free(&f);
	if (tar.data != NULL)
		explicit_bzero(tar.data, tar.len);
	buf_free(&tar);
	return rc;
}

/*
 * child - as the daemon's user: the backup made and sent down out; then
 * the caller's word on in ("path" once written, nothing if not) and the
 * backup audited and said.  Its exit status is the command's.
 */
static int
child(const struct opts *o, bool secret, bool quiet_out, int out, int in)
{
	struct config *cfg;
	struct store *s;
	struct backup_manifest m;
	struct buf enc, path;
	struct em_err err;
	struct timespec t0, t1;
	uint64_t len;
	bool unwritten = false;
	int rc;

	if (cli_open(o, &cfg, &s) < 0)
		return EXIT_USAGE;
	buf_init(&enc);
	buf_init(&path);
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = produce(o, cfg, s, secret, &enc, &m, &err);
	len = enc.len;
	/* Its length first: the caller writes a whole backup or none. */
	if (rc == EM_OK && (em_write_all(out, &len, sizeof(len)) < 0 ||
	    em_write_all(out, enc.data, enc.len) < 0))
		rc = em_fail(&err, EM_EIO, "the pipe to embargoctl: %s",
		    strerror(errno));
	(void)close(out);
	/* No path back: the caller could not write it, and said why. */
	if (rc == EM_OK && (rc = cli_read_all_fd(in, 8192, &path, &err)) ==
	    EM_OK && path.len == 0)
		unwritten = true;
	if (unwritten)
		rc = EM_EIO;
	if (rc == EM_OK)
		rc = audit_backup(s, &m, path.data, &err);
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == EM_OK)
		fprintf(quiet_out ? stderr : stdout, "backup: %s: %zu bytes "
		    "encrypted to %zu key(s) in %.2f s; %ld advisories, audit tip "
		    "%llu, secret keys %s\n", path.data, enc.len,
		    cfg->backup_recipients.n, (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, m.advisories,
		    (unsigned long long)m.audit_seq, secret ? "in it" : "not in it");
	else if (!unwritten)
		fprintf(stderr, "embargoctl: backup: %s\n", err.msg);
	buf_free(&enc);
	buf_free(&path);
	cli_close(cfg, s);
	return rc == EM_OK ? EXIT_OK : EXIT_USAGE;
}

/* parent - the encrypted bytes off the pipe, written with the caller's
 * rights; where, told to the child */

static int
parent(const struct config *cfg, const char *to, int in, int out)
{
	struct buf enc;
	struct em_err err;
	char *path = NULL;
	uint64_t len = 0;
	int rc;

	buf_init(&enc);
	rc = cli_read_all_fd(in, cfg->state_map_size * 2 + ((size_t)256 << 20),
	    &enc, &err);
	if (rc < 0)
		fprintf(stderr, "embargoctl: backup: %s\n", err.msg);
	if (rc == EM_OK && enc.len >= sizeof(len))
		memcpy(&len, enc.data, sizeof(len));
	/* Nothing, or less than the child said: it failed (it said why). */
	if (rc == EM_OK && enc.len >= sizeof(len) && len == enc.len - sizeof(len)) {
		memmove(enc.data, enc.data + sizeof(len), (size_t)len);
		enc.len = (size_t)len;
		if ((rc = write_out(cfg, to, &enc, &path, &err)) == EM_OK &&
		    path != NULL)
			(void)em_write_all(out, path, strlen(path));
		else
			fprintf(stderr, "embargoctl: backup: %s\n", err.msg);
	} else if (rc == EM_OK && enc.len > 0) {
		fprintf(stderr, "embargoctl: backup: cut short (%zu bytes where "
		    "%llu were said): nothing written\n", enc.len, (unsigned long
		    long)len);
	}
	(void)close(out);
	buf_free(&enc);
	free(path);
	return rc;
}

/* cmd_backup - embargoctl backup FILE|-|--dir [--secret-keys] */

int
cmd_backup(const struct opts *o, int argc, char **argv)
{
	bool secret = argc == 3 && strcmp(argv[2], "--secret-keys") == 0;
	struct config *cfg = NULL;
	int down[2], up[2], st = 0, rc;
	pid_t pid;

	if (argc < 2 || argc > 3 || (argc == 3 && !secret) ||
	    (argv[1][0] == '-' && strcmp(argv[1], "-") != 0 &&
	    strcmp(argv[1], "--dir") != 0))
		return cli_usage(BACKUP_FORMS);
	if ((cfg = cli_load_here(o)) == NULL || cfg->backup_line == 0) {
		if (cfg != NULL)
			fprintf(stderr, "embargoctl: backup: no backup section in "
			    "%s: a backup is encrypted to the administrators' keys; "
			    "add backup { recipients = { \"FPR\" } } and import "
			    "those keys into %s\n", o->conf, cfg->gnupg_home);
		conf_free(cfg);
		return EXIT_USAGE;
	}
	(void)fflush(NULL);
	/* A child that dies must not take the caller with it. */
	(void)signal(SIGPIPE, SIG_IGN);
	if (pipe2(down, O_CLOEXEC) < 0 || pipe2(up, O_CLOEXEC) < 0 ||
	    (pid = fork()) < 0) {
		fprintf(stderr, "embargoctl: backup: %s\n", strerror(errno));
		conf_free(cfg);
		return EXIT_USAGE;
	}
	if (pid == 0) {
		(void)close(down[0]);
		(void)close(up[1]);
		rc = child(o, secret, strcmp(argv[1], "-") == 0, down[1], up[0]);
		(void)fflush(NULL);
		_exit(rc);
	}
	(void)close(down[1]);
	(void)close(up[0]);
	rc = parent(cfg, argv[1], down[0], up[1]);
	(void)close(down[0]);
	(void)waitpid(pid, &st, 0);
	if (rc == EM_OK && WIFEXITED(st) && WEXITSTATUS(st) == EXIT_OK &&
	    strcmp(argv[1], "--dir") == 0)
		prune(cfg);
	conf_free(cfg);
	return rc == EM_OK && WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_USAGE;
}
