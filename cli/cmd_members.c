/*
 * cmd_members.c - embargoctl members [--public] and member vet
 *
 * "members --public" prints the organisations' names only: the Xen
 * process publishes who is on the list, never their addresses.  "member
 * vet" checks an applicant the way a reload would, in a throwaway
 * keyring: nothing is imported into the list's own.
 */

/* System library. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Utility library. */
#include <gpgme.h>

/* Application-specific. */
#include "cli.h"
#include "../keys/keys.h"

/* cmd_members - the members, or only their names */

int
cmd_members(const struct opts *o, int argc, char **argv)
{
	bool pub = argc > 1 && strcmp(argv[1], "--public") == 0;
	struct config *cfg;

	if (argc > 2 || (argc == 2 && !pub))
		return EXIT_USAGE;
	if ((cfg = cli_load(o)) == NULL)
		return EXIT_USAGE;
	for (size_t i = 0; i < cfg->n_members; i++) {
		const struct conf_member *m = &cfg->members[i];

		if (o->json) {
			printf("{\"name\":");
			json_str(m->name);
			if (!pub) {
				printf(",\"address\":");
				json_str(m->address);
				printf(",\"key\":\"%s\"", m->key);
			}
			printf("}\n");
		} else if (pub) {
			printf("%s\n", m->name);
		} else {
			printf("%-28s %-36s %s\n", m->name, m->address, m->key);
		}
	}
	conf_free(cfg);
	return EXIT_OK;
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

/* import_key - a key file into the current (throwaway) keyring */

static int
import_key(const char *file, char fpr[41])
{
	gpgme_ctx_t ctx;
	gpgme_data_t d;
	gpgme_import_result_t r;
	int rc = -1;

	fpr[0] = '\0';
	if (gpgme_new(&ctx) != 0)
		return -1;
	if (gpgme_data_new_from_file(&d, file, 1) == 0) {
		if (gpgme_op_import(ctx, d) == 0 &&
		    (r = gpgme_op_import_result(ctx)) != NULL &&
		    r->imports != NULL && r->imports->fpr != NULL &&
		    r->imports->next == NULL) {
			(void)snprintf(fpr, 41, "%s", r->imports->fpr);
			rc = 0;
		}
		gpgme_data_release(d);
	}
	gpgme_release(ctx);
	return rc;
}

/* vet_key - the key's health in a throwaway keyring; problems counted */

static int
vet_key(const char *file, const char *addr, char fpr[41])
{
	char home[] = "/tmp/embargoctl-vet-XXXXXX";
	struct keys_health h;
	struct em_err err;
	int problems = 0;

	if (mkdtemp(home) == NULL || keys_init(home, &err) < 0) {
		fprintf(stderr, "embargoctl: cannot make a throwaway keyring\n");
		return 1;
	}
	if (import_key(file, fpr) < 0) {
		printf("PROBLEM: %s does not hold exactly one OpenPGP public key\n",
		    file);
		problems++;
	} else {
		(void)keys_health(fpr, KEYS_USE_ENCRYPT, time(NULL), &h);
		if (!h.usable) {
			printf("PROBLEM: key %s\n", h.problem);
			problems++;
		} else if (h.days_left >= 0 && h.days_left < 30) {
			printf("PROBLEM: key %s expires in %ld days; a member's key "
			    "must be usable for 30 days or more\n", fpr, h.days_left);
			problems++;
		}
		if (!keys_uid_has_address(fpr, addr))
			printf("warning: no user id of key %s carries %s\n", fpr, addr);
	}
	(void)nftw(home, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return problems;
}

/* cmd_member_vet - member vet --name ORG --address ADDR --key FILE */

int
cmd_member_vet(const struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "address", required_argument, NULL, 'a' },
		{ "key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = NULL, *addr = NULL, *file = NULL;
	struct config *cfg;
	char fpr[41] = "", *norm;
	int ch, problems = 0;

	optind = 2;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'n')
			name = optarg;
		else if (ch == 'a')
			addr = optarg;
		else if (ch == 'k')
			file = optarg;
		else
			return EXIT_USAGE;
	}
	if (name == NULL || addr == NULL || file == NULL) {
		fprintf(stderr, "embargoctl: member vet --name ORG --address ADDR "
		    "--key FILE\n");
		return EXIT_USAGE;
	}
	if ((cfg = cli_load(o)) == NULL)
		return EXIT_USAGE;
	norm = em_addr_norm(addr);
	if (!conf_is_role_address(&cfg->role_localparts, norm)) {
		printf("PROBLEM: %s is not a role address (its local part is not "
		    "one of role_localparts); ask for the organisation's security "
		    "role address, or check it and add role_attested\n", norm);
		problems++;
	}
	if (conf_addr_role(cfg, norm) != CONF_ROLE_NONE) {
		printf("PROBLEM: %s already has a role in %s\n", norm, cfg->path);
		problems++;
	}
	for (size_t i = 0; i < cfg->n_members; i++)
		if (strcmp(cfg->members[i].name, name) == 0) {
			printf("PROBLEM: a member \"%s\" already exists\n", name);
			problems++;
		}
	problems += vet_key(file, norm, fpr);
	if (problems == 0)
		printf("ok: paste this block into %s, import the key into %s "
		    "and reload:\n\nmember \"%s\" {\n  address = \"%s\"\n  key     "
		    "= \"%s\"\n}\n", cfg->path, cfg->gnupg_home, name, norm, fpr);
	free(norm);
	conf_free(cfg);
	(void)o;
	return problems ? EXIT_FINDING : EXIT_OK;
}
