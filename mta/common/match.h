/*
 * match.h - Postfix match lists: domains and hosts/addresses
 *
 * The elements of mydestination, relay_domains, virtual_*_domains (domain
 * lists) and mynetworks, smtpd_authorized_xclient_hosts... (host lists):
 *   name          a domain (and its subdomains when the parameter is in
 *                 parent_domain_matches_subdomains)
 *   .name         subdomains of name
 *   a.b.c.d, a.b.c.d/nn, [ipv6], [ipv6]/nn   addresses and networks (host lists)
 *   type:table    the name (then parent domains) looked up as a key
 *   /file         more elements read from a file
 *   !element      negation: a match ends the search with "no match"
 * Matching is case-insensitive.  Lookup errors are reported as -1 so the
 * caller can answer "try again" as Postfix does.
 */
#ifndef MTA_MATCH_H
#define MTA_MATCH_H

#include "cfg/base/buf.h"
#include "cfg/base/strvec.h"

struct match_list;

#define MATCH_PARENT 0x01u /* "name" also matches subdomains */
#define MATCH_HOSTS 0x02u  /* host list: addresses and networks allowed */

/*
 * match_list_new - compile the elements (borrowed strings are copied).
 * Problems with single elements are logged as warnings and the element is
 * skipped, as Postfix does.  param names the list in messages.
 */
struct match_list *match_list_new(const char *param, const struct cfg_strvec *elems,
                                  unsigned flags);
/*
 * match_keep_file - read the "/file" element path now (and the files it
 * names, depth-limited) and keep its text: a process about to chroot
 * compiles its lists inside the jail, where the file is out of reach.
 * A file that cannot be read is not kept (the list warns when compiled).
 */
void match_keep_file(const char *path, int depth);
/*
 * match_file_text - append the text of "/file" element path to data: the
 * copy match_keep_file() kept, else the file; 0, or -1 with errno
 */
int match_file_text(const char *path, struct cfg_buf *data);
/* match_list_free - NULL is a no-op */
void match_list_free(struct match_list *l);
/* match_domain - 1 when domain matches, 0 not, -1 table error */
int match_domain(struct match_list *l, const char *domain);
/* match_host - host lists: client name and address; 1, 0 or -1 */
int match_host(struct match_list *l, const char *name, const char *addr);
/* match_list_empty - 1 when the list has no elements */
int match_list_empty(const struct match_list *l);

#endif
