/*
 * mailbox_int.h - what the files of the mailbox module share (mailbox.c,
 * mailbox_mbox.c, mailbox_maildir.c); not for the agents
 */
#ifndef MTA_MAILBOX_INT_H
#define MTA_MAILBOX_INT_H

#include "mailbox.h"

/* mbxp_cfg - the settings given to mbx_init() (borrowed) */
const struct mbx_cfg *mbxp_cfg(void);

#endif
