/*
 * sections.c - the sections that describe the list's surroundings, not
 * its people: csaf (what a CSAF document says of its publisher), backup
 * (whom a backup is encrypted to, where the timer keeps it) and standby
 * (where the primary answers)
 */

/* Application-specific. */
#include "conf.h"
#include "conf_int.h"

/* one_section - the one section of that name, or NULL (a second is a
 * problem) */

static cfg_t *
one_section(cfg_t *c, const char *name, struct conf_report *rep)
{
	if (cfg_size(c, name) > 1)
		problem_at(rep, false, 0, "more than one %s section: keep one",
		    name);
	return cfg_size(c, name) > 0 ? cfg_getnsec(c, name, 0) : NULL;
}

/* conf_load_csaf - the csaf section, when there is one */

void
conf_load_csaf(cfg_t *c, struct config *cfg, struct conf_report *rep)
{
	cfg_t *sec = one_section(c, "csaf", rep);

	if (sec == NULL)
		return;
	cfg->csaf_line = sec->line;
	cfg->csaf_publisher = conf_dupstr(cfg_getstr(sec, "publisher"));
	cfg->csaf_namespace = conf_dupstr(cfg_getstr(sec, "namespace"));
	cfg->csaf_product = conf_dupstr(cfg_getstr(sec, "product"));
	cfg->csaf_url = conf_dupstr(cfg_getstr(sec, "url"));
}

/* conf_load_backup - the backup and standby sections */

void
conf_load_backup(cfg_t *c, struct config *cfg, struct conf_report *rep)
{
	cfg_t *sec = one_section(c, "backup", rep);

	if (sec != NULL) {
		cfg->backup_line = sec->line;
		conf_copy_list(sec, "recipients", &cfg->backup_recipients, false);
		for (size_t i = 0; i < cfg->backup_recipients.n; i++)
			conf_upper(cfg->backup_recipients.v[i]);
		cfg->backup_dir = conf_dupstr(cfg_getstr(sec, "dir"));
		cfg->backup_keep = cfg_getint(sec, "keep");
	}
	if ((sec = one_section(c, "standby", rep)) != NULL) {
		cfg->standby_line = sec->line;
		cfg->standby_milter = conf_dupstr(cfg_getstr(sec, "primary_milter"));
		cfg->standby_reinject = conf_dupstr(cfg_getstr(sec,
		    "primary_reinject"));
	}
}

