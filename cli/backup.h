/*
 * backup.h - embargoctl backup, restore and promote's shared pieces
 * (backup_io.c): the archive in memory (a tar that never touches the
 * disk unencrypted), its manifest, and the checks a restore makes
 */
#ifndef BACKUP_H
#define BACKUP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "../util/em.h"

/* The archive's format: a tar whose first member is MANIFEST.json. */
#define BACKUP_FORMAT	1
/* The most one member of the archive, other than the store, may hold. */
#define BACKUP_FILE_MAX	((size_t)64 << 20)

struct backup_manifest {
	int	format;
	time_t	taken;
	uint64_t audit_seq;		/* the audit chain's tip when taken */
	char	audit_hash[65];
	long	advisories;
	bool	secret_keys;
	char	host[256];
};

/* One member of the archive, its bytes in memory. */
struct backup_file {
	char   *name;			/* "state/data.mdb", "gnupg/pubring.kbx" */
	struct buf data;
	unsigned mode;
};
struct backup_files {
	struct backup_file *v;
	size_t	n;
};

void	backup_files_add(struct backup_files *f, const char *name,
	    const void *p, size_t n, unsigned mode);
void	backup_files_free(struct backup_files *f);
const struct backup_file *backup_files_find(const struct backup_files *f,
	    const char *name);
/* The GnuPG home's files (its sockets, locks and random seed left out;
 * private-keys-v1.d only with secret) added as gnupg/NAME. */
int	backup_add_home(struct backup_files *f, const char *home, bool secret,
	    struct em_err *err);

/* The manifest as JSON text (caller frees), and back. */
char   *backup_manifest_json(const struct backup_manifest *m);
int	backup_manifest_read(const char *p, size_t n, struct backup_manifest *m,
	    struct em_err *err);

/* A tar of the files, in memory; and the files of one (each checked:
 * a plain relative name, within its ceiling; store_max for the store). */
int	backup_tar(const struct backup_files *f, struct buf *out,
	    struct em_err *err);
int	backup_untar(const char *p, size_t n, size_t store_max,
	    struct backup_files *f, struct em_err *err);

/* data as path, whole or not at all (written aside in its folder, mode,
 * synced, renamed). */
int	backup_put(const char *path, const char *data, size_t len,
	    unsigned mode, struct em_err *err);

#endif
