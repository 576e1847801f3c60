/*
 * hostinfo.h - host-derived defaults, computed the way Postfix computes them
 *
 * myhostname (the host's fully-qualified name), mydomain (myhostname minus its
 * first label, "localdomain" when there is none), mynetworks (from the
 * interface addresses and mynetworks_style), and the other CFG_PF_HOSTDEP
 * parameters of the registry.  Tests set POSTKIT_HOSTNAME to make the
 * results independent of the machine.
 */
#ifndef CFG_HOSTINFO_H
#define CFG_HOSTINFO_H

#include "cfg/buf.h"

/*
 * cfg_hostinfo_default - append the computed default of host-derived
 * parameter name to out.  style is the effective mynetworks_style value
 * (only used for mynetworks).  Returns 0, or -1 when name is not host-derived.
 */
int cfg_hostinfo_default(const char *name, const char *style, struct cfg_buf *out);

#endif
