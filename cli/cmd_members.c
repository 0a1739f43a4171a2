/*
 * cmd_members.c - embargoctl members [--public] and member vet
 *
 * "members --public" prints the organisations' names only: the Xen
 * process publishes who is on the list, never their addresses.  "member
 * vet" checks an applicant the way a reload would, in a throwaway
 * keyring: nothing is imported into the list's own.
 */

/* System library. */
#include <stdarg.h>
#define _XOPEN_SOURCE_EXTENDED 1
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Utility library. */

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
		return cli_usage("members [--public]");
	if ((cfg = cli_load(o)) == NULL)
		return EXIT_USAGE;
	for (size_t i = 0; i < cfg->n_members; i++) {
		const struct conf_member *m = &cfg->members[i];

		if (o->json) {
			struct cli_json *j = cj_new();

			cj_str(j, "name", m->name);
			if (!pub) {
				cj_str(j, "address", m->address);
				cj_str(j, "key", m->key);
			}
			cj_print(j);
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

/* vet_key - the key's health in a throwaway keyring; problems counted */

static int
vet_key(const char *file, const char *addr, char fpr[41], struct strv *probs,
    struct strv *warns)
{
	char home[] = "/tmp/embargoctl-vet-XXXXXX";
	struct keys_health h;
	struct em_err err;
	int problems = 0;

	if (mkdtemp(home) == NULL || keys_init(home, &err) < 0) {
		fprintf(stderr, "embargoctl: cannot make a throwaway keyring\n");
		return 1;
	}
	char *t;

	if (keys_import_file(file, fpr) < 0) {
		t = xasprintf("%s does not hold exactly one OpenPGP public key",
		    file);
		strv_push(probs, t);
		free(t);
		problems++;
	} else {
		(void)keys_health(fpr, KEYS_USE_ENCRYPT, time(NULL), &h);
		if (!h.usable) {
			t = xasprintf("key %s", h.problem);
			strv_push(probs, t);
			free(t);
			problems++;
		} else if (h.days_left >= 0 && h.days_left < 30) {
			t = xasprintf("key %s expires in %ld days; a member's key "
			    "must be usable for 30 days or more", fpr, h.days_left);
			strv_push(probs, t);
			free(t);
			problems++;
		}
		if (!keys_uid_has_address(fpr, addr)) {
			t = xasprintf("no user id of key %s carries %s", fpr, addr);
			strv_push(warns, t);
			free(t);
		}
	}
	(void)nftw(home, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return problems;
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

/* The options of member vet. */
struct vet_args {
	const char *name;
	const char *addr;
	const char *file;
};

/* vet_args - read member vet's options into a; EXIT_OK or EXIT_USAGE */

static int
vet_args(int argc, char **argv, struct vet_args *a)
{
	static const struct option lo[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "address", required_argument, NULL, 'a' },
		{ "key", required_argument, NULL, 'k' },
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
			a->file = optarg;
		else {
			(void)cli_usage("member vet --name ORG --address ADDR "
			    "--key FILE");
			return EXIT_USAGE;
		}
	}
	if (a->name == NULL || a->addr == NULL || a->file == NULL) {
		fprintf(stderr, "embargoctl: member vet --name ORG --address ADDR "
		    "--key FILE\n");
		return EXIT_USAGE;
	}
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

/* vet_print - the findings, and the block to paste when there are none */

static void
vet_print(const struct opts *o, const struct config *cfg,
    const struct strv *probs, const struct strv *warns, const char *block)
{
	if (o->json) {
		struct cli_json *j = cj_new();

		cj_bool(j, "ok", probs->n == 0);
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
		return;
	}
	for (size_t i = 0; i < probs->n; i++)
		printf("PROBLEM: %s\n", probs->v[i]);
	for (size_t i = 0; i < warns->n; i++)
		printf("warning: %s\n", warns->v[i]);
	if (probs->n == 0)
		printf("ok: paste this block into %s, import the key into "
		    "%s and reload:\n\n%s", cfg->path, cfg->gnupg_home, block);
}

/* cmd_member_vet - member vet --name ORG --address ADDR --key FILE */

int
cmd_member_vet(const struct opts *o, int argc, char **argv)
{
	struct vet_args a = { NULL, NULL, NULL };
	struct strv probs = { NULL, 0 }, warns = { NULL, 0 };
	struct config *cfg;
	char fpr[41] = "", *norm, *block;
	int problems;

	if (vet_args(argc, argv, &a) != EXIT_OK)
		return EXIT_USAGE;
	if ((cfg = cli_load(o)) == NULL)
		return EXIT_USAGE;
	norm = em_addr_norm(a.addr);
	vet_place(cfg, a.name, norm, &probs);
	(void)vet_key(a.file, norm, fpr, &probs, &warns);
	problems = (int)probs.n;
	block = xasprintf("member \"%s\" {\n  address = \"%s\"\n  key     = "
	    "\"%s\"\n}\n", a.name, norm, fpr);
	vet_print(o, cfg, &probs, &warns, block);
	free(block);
	strv_free(&probs);
	strv_free(&warns);
	free(norm);
	conf_free(cfg);
	return problems ? EXIT_FINDING : EXIT_OK;
}
