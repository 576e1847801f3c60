/*
 * aliassrc.h - alias databases read from their aliases(5) source
 *
 * postfix test, simulate and route answer "what will this configuration
 * do", also on a fresh copy whose aliases.db newaliases has not built yet
 * (a read-only source tree cannot even hold one).  For each hash:/btree:
 * table of alias_maps whose source file exists but whose NAME.db is missing
 * or older than the source, the table is built from the source as
 * newaliases would build it, into a private temporary file that is removed
 * at once, and the lookup cache of mta/common/maps.h answers from it.
 */
#ifndef PFX_ALIASSRC_H
#define PFX_ALIASSRC_H

#include "conf.h"

/*
 * pfx_alias_sources - do the above for c's alias_maps.  notes != 0: say on
 * stderr which tables are read from their source ("postfix: note: ...")
 * and print the warnings of reading them.  Returns how many tables it read.
 */
int pfx_alias_sources(struct mta_conf *c, int notes);

#endif
