/*
 * mailq.h - the queue listing of mailq / sendmail -bp, in postqueue -p format
 */
#ifndef SENDMAIL_MAILQ_H
#define SENDMAIL_MAILQ_H

/* mailq_print - list every queued message on stdout; the exit status */
int mailq_print(const char *queue_dir);

#endif
