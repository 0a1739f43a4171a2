/*
 * conf_int.h - what the files of conf/ share, and nothing else sees:
 * parsing (schema.c), the problem report (report.c) and the rules
 * (validate.c)
 */
#ifndef CONF_INT_H
#define CONF_INT_H

#include <confuse.h>

#include "conf.h"

/* schema.c */
void	conf_parse_begin(struct conf_report *rep, const char *path);
void	conf_parse_end(void);
const char *conf_cur_path(void);
cfg_t  *conf_schema_parse(const char *path, int *rc);
/* Where option opt first had value val (0 when unknown). */
int	conf_line_of(const char *opt, const char *val);
/* Where option opt was last set inside section sec (0 when unknown). */
int	conf_line_in(const cfg_t *sec, const char *opt);

/* report.c (conf_report_add, conf_report_free: conf.h) */
/* Append one problem; rep takes text (malloc'd). */
void	conf_report_take(struct conf_report *rep, bool warning, char *text);

/* values.c: a string list copied (lower: as addresses), a string that may
 * be NULL copied, a string upper-cased in place */
void	conf_copy_list(cfg_t *sec, const char *name, struct strv *out,
	    bool lower);
char   *conf_dupstr(const char *s);
char   *conf_upper(char *s);

/* sections.c: the csaf, backup and standby sections */
void	conf_load_csaf(cfg_t *c, struct config *cfg, struct conf_report *rep);
void	conf_load_backup(cfg_t *c, struct config *cfg, struct conf_report *rep);

/* validate.c */
void	problem_at(struct conf_report *rep, bool warn, int line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define problem(rep, opt, val, ...) \
	problem_at((rep), false, conf_line_of((opt), (val)), __VA_ARGS__)
#define warning(rep, opt, val, ...) \
	problem_at((rep), true, conf_line_of((opt), (val)), __VA_ARGS__)
void	conf_check_fpr(struct conf_report *rep, const char *opt,
	    const char *what, const char *fpr);
bool	conf_check_addr(struct conf_report *rep, const char *opt,
	    const char *what, const char *addr);
void	conf_validate(struct config *cfg, struct conf_report *rep);

#endif
