/*
 * values.c - a value read from libconfuse copied as the config keeps it
 * (conf_int.h): a string list, a string that may be missing, upper case
 */

/* System library. */
#include <ctype.h>
#include <stdlib.h>

/* Application-specific. */
#include "conf.h"
#include "conf_int.h"

/* conf_copy_list - copy a libconfuse string list, optionally lower-cased */

void
conf_copy_list(cfg_t *sec, const char *name, struct strv *out, bool lower)
{
	unsigned int n = cfg_size(sec, name);

	for (unsigned int i = 0; i < n; i++) {
		char *s = lower ? em_addr_norm(cfg_getnstr(sec, name, i)) :
		    xstrdup(cfg_getnstr(sec, name, i));

		strv_push(out, s);
		free(s);
	}
}

/* conf_dupstr - copy a possibly NULL string */

char *
conf_dupstr(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* conf_upper - upper-case a string in place */

char *
conf_upper(char *s)
{
	for (char *p = s; p && *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return s;
}
