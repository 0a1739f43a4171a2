/*
 * notice.c - a plain-text mail from the list to the team (receipts,
 * notices, reminders), built with GMime
 *
 * Notices carry ids, dates, counts and member names, never advisory text.
 * Pure: the date and the Message-ID are arguments.
 */

/* System library. */
#include <stdlib.h>
#include <string.h>

/* Utility library. */
#include <gmime/gmime.h>

/* Application-specific. */
#include "policy.h"

/* policy_build_notice - one text/plain message, UTF-8, quoted-printable */

void
policy_build_notice(const struct policy_notice *n, struct buf *out)
{
	GMimeMessage *msg = g_mime_message_new(TRUE);
	GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");
	GDateTime *date = g_date_time_new_from_unix_utc((gint64)n->date);
	char *s;

	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM,
	    "embargo-milter", n->from);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, n->to);
	g_mime_message_set_subject(msg, n->subject, NULL);
	g_mime_message_set_message_id(msg, n->message_id);
	g_mime_message_set_date(msg, date);
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
	    "auto-generated", NULL);
	/*
	 * The audit chain's head leaves the machine in every notice, so a
	 * copy of it is kept where the state cannot reach (SPEC 8).
	 */
	if (n->audit_head != NULL) {
		char *body = xasprintf("%s\nAudit head: %s\n(keep it: "
		    "'embargoctl audit verify --tip %s' checks that the log "
		    "still reaches it)\n", n->body, n->audit_head, n->audit_head);

		g_mime_object_set_header(GMIME_OBJECT(msg), "Embargo-Audit-Head",
		    n->audit_head, NULL);
		g_mime_text_part_set_text(part, body);
		free(body);
	} else {
		g_mime_text_part_set_text(part, n->body);
	}
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(part));
	s = g_mime_object_to_string(GMIME_OBJECT(msg), NULL);
	buf_append(out, s, strlen(s));
	g_free(s);
	g_object_unref(part);
	g_object_unref(msg);
	g_date_time_unref(date);
}

/* policy_build_text - one text/plain entity, UTF-8, quoted-printable */

void
policy_build_text(const char *body, struct buf *out)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");
	char *s;

	g_mime_text_part_set_text(part, body);
	s = g_mime_object_to_string(GMIME_OBJECT(part), NULL);
	buf_append(out, s, strlen(s));
	g_free(s);
	g_object_unref(part);
}
