/*
 * log.h - the one logging helper: syslog (facility mail) or stderr
 *
 * Every line about a message starts with the MTA's queue id, so that an
 * administrator can follow a message from Postfix's log into ours.  No
 * decrypted or embargoed text is ever passed here: callers log ids,
 * addresses, decisions and reasons only.
 */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <syslog.h>

void	log_init(const char *ident, bool foreground);
void	log_msg(int prio, const char *qid, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
