/*
 * report.c - the problem report of a load (see conf.h): every error and
 * warning of one conf_load(), in the order found
 *
 * It uses nothing else of conf/, so that the parser (schema.c) and the
 * rules (validate.c) can both add to it without using each other.  It
 * cannot fail: the text is allocated with xvasprintf, which aborts on
 * out-of-memory.
 */

/* System library. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include "conf.h"
#include "conf_int.h"

/* conf_report_take - append one problem, taking the text */

void
conf_report_take(struct conf_report *rep, bool warning, char *text)
{
	rep->v = xrealloc(rep->v, (rep->n + 1) * sizeof(*rep->v));
	rep->v[rep->n].warning = warning;
	rep->v[rep->n].text = text;
	rep->n++;
	if (warning)
		rep->warnings++;
	else
		rep->errors++;
}

/* conf_report_add - append one problem */

void
conf_report_add(struct conf_report *rep, bool warning, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	conf_report_take(rep, warning, text);
}

/* conf_report_free - release a report */

void
conf_report_free(struct conf_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		free(rep->v[i].text);
	free(rep->v);
	memset(rep, 0, sizeof(*rep));
}
