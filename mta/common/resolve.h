/*
 * resolve.h - where an address goes: local, virtual, relay or the default
 *
 * The decision Postfix's trivial-rewrite makes, used by smtpd (relay
 * control, "is this user local?") and by qmgr (which delivery agent).
 * Sender-specified routing is undone only for our own domains, exactly so
 * that no relay trick works: user%other@ourdomain and other!user@ourdomain
 * become user@other and are then judged as foreign; a local part that still
 * holds '@', '!' or '%' for a foreign destination is flagged ROUTED.
 *
 * relocated_maps is consulted here, as Postfix's trivial-rewrite does: a
 * recipient that has moved resolves to the error transport with the next
 * hop "5.1.6 User has moved to NEWPLACE", so that smtpd rejects it at RCPT
 * (reject_unlisted_recipient) and qmgr hands it to the error agent.  An
 * error: or retry: entry of transport_maps without a text has the next hop
 * "Address is undeliverable".
 */
#ifndef MTA_RESOLVE_H
#define MTA_RESOLVE_H

#include "cfg/base/buf.h"
#include "cfg/base/strvec.h"
#include "conf.h"
#include "match.h"

enum rslv_class {
	RSLV_LOCAL = 0, /* mydestination, our address literals */
	RSLV_ALIAS,     /* virtual_alias_domains (no mailboxes of its own) */
	RSLV_VIRTUAL,   /* virtual_mailbox_domains */
	RSLV_RELAY,     /* relay_domains */
	RSLV_DEFAULT,   /* everything else */
};

#define RSLV_F_ROUTED 0x01u /* sender-specified routing remains */
#define RSLV_F_ERROR 0x02u  /* malformed address */
#define RSLV_F_FAIL 0x04u   /* table lookup failed: try again later */

struct rslv_result {
	enum rslv_class cls;
	unsigned flags;
	struct cfg_buf transport; /* "local", "smtp", "error" ... */
	struct cfg_buf nexthop;   /* "mail.example.com", "[1.2.3.4]", error text ... */
	struct cfg_buf recipient; /* the address after undoing routing for our domains */
};

struct rslv;

/* rslv_new - read the settings from conf's view (fatal on a bad value) */
struct rslv *rslv_new(struct mta_conf *conf);
/* rslv_free - NULL is a no-op */
void rslv_free(struct rslv *r);
/* rslv_result_init / rslv_result_fini - empty / release */
void rslv_result_init(struct rslv_result *res);
void rslv_result_fini(struct rslv_result *res);
/* rslv_resolve - classify an internal-form address; 0, or -1 on a table error (RSLV_F_FAIL) */
int rslv_resolve(struct rslv *r, const char *addr, struct rslv_result *res);
/*
 * rslv_addr_find - Postfix's search order for a recipient address in the
 * tables of a list parameter (relocated_maps, virtual_mailbox_maps...):
 * user+ext@domain, user@domain, then user+ext and user when the domain is
 * ours (mydestination, our address literals, myorigin), then @domain;
 * pattern tables (regexp:, pcre:) see only the full address.  1 with
 * *value (borrowed until the next lookup), 0 not found, -1 a table failed
 * (warnings logged).
 */
int rslv_addr_find(struct rslv *r, const struct cfg_strvec *maps, const char *addr,
                   const char **value);
/*
 * rslv_split_dsn - the DSN and the text of an error: or retry: next hop,
 * as Postfix splits them: "5.7.1 go away" gives 5.7.1 and "go away"; a
 * next hop without a valid DSN in front gives def and the whole text; an
 * empty one gives def and "Address is undeliverable".  *text is borrowed
 * from nexthop (or static).
 */
void rslv_split_dsn(const char *nexthop, const char *def, char dsn[16], const char **text);
/* rslv_is_our_addr - 1 when a numeric address is one of inet_interfaces/proxy_interfaces */
int rslv_is_our_addr(struct rslv *r, const char *addr);
/* rslv_is_local_domain - 1 for mydestination/our literals, 0 not, -1 table error */
int rslv_is_local_domain(struct rslv *r, const char *domain);
/* rslv_myhostname - $myhostname (borrowed) */
const char *rslv_myhostname(const struct rslv *r);
/* rslv_relay_domains / rslv_va_domains / rslv_vm_domains - the compiled lists (borrowed) */
struct match_list *rslv_relay_domains(struct rslv *r);
struct match_list *rslv_va_domains(struct rslv *r);
struct match_list *rslv_vm_domains(struct rslv *r);
/* rslv_parent_matches - 1 when param is in parent_domain_matches_subdomains */
int rslv_parent_matches(const struct rslv *r, const char *param);

#endif
