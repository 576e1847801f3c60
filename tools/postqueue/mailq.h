/*
 * mailq.h - postqueue's formats of the queue report: mailq text (-p) and JSON lines (-j)
 *
 * The report is a sequence of messages in showq's attribute lists
 * (mta/common/qlist.h).  The text format is Postfix's mailq:
 *
 *   -Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
 *   759EBA74664     279 Sat Nov 28 21:11:02  sender@example.net
 *                                                     (deferred transport)
 *                                            other@example.org
 *
 *   -- 0 Kbytes in 1 Request.
 *
 * with '*' after the ID for the active queue, '!' for hold, '#' when the
 * message is forced to expire; a reason line only where the reason changes
 * ("(reason unavailable)" after a recipient that had one); total Kbytes
 * rounded down; "Mail queue is empty" when there is nothing.  The JSON
 * format is Postfix's postqueue -j: one object per line with queue_name,
 * queue_id, arrival_time, message_size, forced_expire, sender and
 * recipients (address, and delay_reason when there is one).
 */
#ifndef POSTQUEUE_MAILQ_H
#define POSTQUEUE_MAILQ_H

#include "cfg/base/buf.h"
#include "cfg/base/strvec.h"

struct mailq {
	int json;                 /* -j */
	unsigned long count;      /* messages so far */
	unsigned long long bytes; /* their sizes */
	int stopped;              /* stdout went away (EPIPE): print nothing more */
	struct cfg_buf out;       /* one message's output */
};

/* mailq_init / mailq_fini - a report in the text or the JSON format */
void mailq_init(struct mailq *mq, int json);
void mailq_fini(struct mailq *mq);
/*
 * mailq_message - print one message (a showq attribute list).  Returns 0,
 * -1 when the list is malformed, -2 when stdout failed (message in why).
 */
int mailq_message(struct mailq *mq, const struct cfg_strvec *msg, struct cfg_buf *why);
/* mailq_finish - the trailer ("-- N Kbytes in M Requests." or "Mail queue is empty"); 0 or -2 */
int mailq_finish(struct mailq *mq, struct cfg_buf *why);

#endif
