/*
 * milter_int.h - what milter.c and milter_msg.c share: the filter state and the wire helpers
 *
 * Packets are a 4-byte length in network order (counting the command
 * byte), a command byte and its data (libmilter's mfdef.h names them
 * SMFIC_* towards the filter and SMFIR_* back).
 */
#ifndef MILTER_INT_H
#define MILTER_INT_H

#include <stdarg.h>

#include "milter.h"

#define MILTER_HOLD "H" /* an event's reply when milter_default_action = quarantine applies */
#define MILTER_MAX_PACKET (2u * 1024u * 1024u)
#define MILTER_CHUNK 65535u

/* macro stages (SMFIM_*), also the order of macro_params[] */
enum {
	MILTER_ST_CONNECT,
	MILTER_ST_HELO,
	MILTER_ST_MAIL,
	MILTER_ST_RCPT,
	MILTER_ST_DATA,
	MILTER_ST_EOM,
	MILTER_ST_EOH,
	MILTER_NSTAGES
};

/* protocol steps a filter leaves out (SMFIP_NO*) or does not answer (SMFIP_NR_*) */
#define SMFIP_NOCONNECT 0x1u
#define SMFIP_NOHELO 0x2u
#define SMFIP_NOMAIL 0x4u
#define SMFIP_NORCPT 0x8u
#define SMFIP_NOBODY 0x10u
#define SMFIP_NOHDRS 0x20u
#define SMFIP_NOEOH 0x40u
#define SMFIP_NR_HDR 0x80u
#define SMFIP_NODATA 0x200u
#define SMFIP_SKIP 0x400u
#define SMFIP_NR_CONN 0x1000u
#define SMFIP_NR_HELO 0x2000u
#define SMFIP_NR_MAIL 0x4000u
#define SMFIP_NR_RCPT 0x8000u
#define SMFIP_NR_DATA 0x10000u
#define SMFIP_NR_EOH 0x40000u
#define SMFIP_NR_BODY 0x80000u
#define SMFIP_HDR_LEADSPC 0x100000u

enum milter_state {
	MILTER_READY,    /* connected, in the game */
	MILTER_SKIP_MSG, /* accepted this message: back at the next one */
	MILTER_DONE,     /* accepted or refused the session: not asked again */
	MILTER_FAILED    /* broken: milter_default_action answers for it */
};

enum { MILTER_DEF_TEMPFAIL, MILTER_DEF_REJECT, MILTER_DEF_ACCEPT, MILTER_DEF_QUARANTINE };

struct milter {
	char *spec; /* "inet:host:port", "unix:/path" */
	int fd;
	enum milter_state state;
	unsigned version, actions, proto;
	char last; /* the last command sent, for the warnings */
	/* milter_* settings, or this filter's own in "{ inet:host:port, name=value ... }" */
	long conn_tmo, cmd_tmo, content_tmo;
	unsigned version_offer; /* milter_protocol */
	int def_action;
	char *symlist[MILTER_NSTAGES]; /* macro names the filter asked for, else NULL */
};

struct milters {
	struct milter *v;
	size_t n;
	struct cfg_strvec macros[MILTER_NSTAGES];
	struct cfg_strvec defaults; /* milter_macro_defaults: name=value */
	milter_macro_fn fn;
	void *arg;
	struct cfg_buf pkt; /* the last packet read */
};

/* milterp_fail - log "milter SPEC: text" and take the filter out */
void milterp_fail(struct milter *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* milterp_send - one packet; 0 or -1 (filter failed) */
int milterp_send(struct milters *m, struct milter *f, char cmd, const char *data, size_t len);
/* milterp_recv - one packet into m->pkt (NUL-terminated); 0 or -1 (filter failed) */
int milterp_recv(struct milters *m, struct milter *f, long tmo, char *cmd);
/* milterp_macros - the SMFIC_MACRO packet of a stage */
int milterp_macros(struct milters *m, struct milter *f, int stage, char code);
/* milterp_default - the reply milter_default_action gives for a failed filter */
const char *milterp_default(const struct milter *f);
/* milterp_reply - a final reply packet as an event result */
const char *milterp_reply(struct milters *m, struct milter *f, char cmd, int stage);
/* milterp_event - one event to every filter in the game */
const char *milterp_event(struct milters *m, int stage, char code, unsigned skip_flag,
                          unsigned noreply_flag, const char *data, size_t len);
/* milterp_open - connect and negotiate */
void milterp_open(struct milters *m);

#endif
