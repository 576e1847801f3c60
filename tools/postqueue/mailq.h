/*
 * mailq.h - the queue listing of postqueue -p (mailq, sendmail -bp), in Postfix's format
 */
#ifndef POSTQUEUE_MAILQ_H
#define POSTQUEUE_MAILQ_H

#include "cfg/base/buf.h"

/*
 * mailq_readable - 0 when every queue directory can be listed (or is
 * absent); -1 with "open DIR: reason" in why (a user without access to the
 * queue of a root-run mail system)
 */
int mailq_readable(const char *queue_dir, struct cfg_buf *why);
/* mailq_print - list every queued message on stdout; the exit status */
int mailq_print(const char *queue_dir);

#endif
