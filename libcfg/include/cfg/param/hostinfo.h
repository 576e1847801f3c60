/*
 * hostinfo.h - host-derived defaults, computed the way Postfix computes them
 *
 * myhostname (the host's name; when it has no dot, ".$mydomain" or
 * ".localdomain" is appended), mydomain (myhostname minus its first label,
 * "localdomain" when there is no dot), mynetworks (from the interface
 * addresses selected by inet_interfaces and inet_protocols, turned into
 * networks per mynetworks_style), and the process-derived process_id and
 * process_name.  These are the CFG_PF_HOSTDEP and CFG_PF_PROCDEP parameters
 * of the registry.
 *
 * The environment variable POSTKIT_HOSTNAME, when set and not empty,
 * replaces gethostname() so tests are independent of the machine.
 *
 * Postfix computes `postconf -d` output with every input at its built-in
 * default (inet_interfaces = all, inet_protocols = all, mynetworks_style =
 * subnet, no main.cf mydomain/myhostname); for the values in force
 * (`postconf`, the MTA) it uses the main.cf settings, expanded.  The caller
 * passes those in struct cfg_hostinfo_in (NULL = default).
 *
 * mynetworks lists IPv4 interfaces first, then IPv6, each as Postfix prints
 * them: "127.0.0.0/8 192.0.2.0/24 [::1]/128 [fd00::]/64" (one space between
 * items, no trailing space), repeats dropped in first-seen order.  With an
 * explicit inet_interfaces list the addresses are sorted (IPv4 before IPv6,
 * then by address bytes) and each must belong to a local interface.
 */
#ifndef CFG_HOSTINFO_H
#define CFG_HOSTINFO_H

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/schema/registry.h"

/* Inputs of the computation; every field may be NULL for "built-in default". */
struct cfg_hostinfo_in {
	const char *myhostname;       /* main.cf myhostname, expanded (used for mydomain) */
	const char *mydomain;         /* main.cf mydomain, expanded (used for myhostname) */
	const char *mynetworks_style; /* effective style, expanded; NULL = "subnet" */
	const char *inet_interfaces;  /* NULL = "all" */
	const char *inet_protocols;   /* NULL = "all" */
	const char *process_name;     /* NULL = this program's name */
};

/*
 * cfg_hostinfo_compute - append the computed default of the host- or
 * process-derived parameter name to out.  Returns 0; or -1 with a
 * CFG_SEV_FATAL diagnostic whose msg is Postfix's wording, e.g.
 * `unknown inet_protocols value "ipv9" in "ipv9"`,
 * `bad mynetworks_style value: host,subnet; specify exactly one value`,
 * `config variable inet_interfaces: host not found: bogus.invalid`,
 * `parameter inet_interfaces: no local interface found for 10.9.9.9`,
 * or code "hostinfo-not-derived" when name is not such a parameter.
 * Warnings (CFG_SEV_WARNING) may be appended on success.  out is only
 * appended to on success.
 */
int cfg_hostinfo_compute(const char *name, const struct cfg_hostinfo_in *in, struct cfg_buf *out,
                         struct cfg_diags *diags);

/*
 * cfg_hostinfo_mynetworks_later - check the inputs of mynetworks without
 * reading the interfaces: -1 with the fatal diagnostic cfg_hostinfo_compute
 * would give for a bad inet_protocols or mynetworks_style; 1 when the value
 * needs only the interface list (inet_interfaces all or loopback-only, style
 * subnet or host), so it may be computed when first used with no other
 * failure than the interface list's own; else 0 (compute it now).
 */
int cfg_hostinfo_mynetworks_later(const struct cfg_hostinfo_in *in, struct cfg_diags *diags);

/*
 * cfg_hostinfo_default - the `postconf -d` form: like cfg_hostinfo_compute
 * with every input NULL except mynetworks_style = style (NULL = "subnet"),
 * no diagnostics.  Returns 0, or -1 when name is not host-derived or the
 * computation failed.
 */
int cfg_hostinfo_default(const char *name, const char *style, struct cfg_buf *out);

/*
 * cfg_hostinfo_param_default - append the default of any built-in: its
 * defval, or for HOSTDEP/PROCDEP entries the computed value (see
 * cfg_hostinfo_compute for in, the result and the diagnostics).
 */
int cfg_hostinfo_param_default(const struct cfg_param_def *def, const struct cfg_hostinfo_in *in,
                               struct cfg_buf *out, struct cfg_diags *diags);

/*
 * cfg_hostinfo_hostname - append the machine's name to out: POSTKIT_HOSTNAME
 * when set, else gethostname().  Returns 0, or -1 (with a fatal diagnostic)
 * when neither works.
 */
int cfg_hostinfo_hostname(struct cfg_buf *out, struct cfg_diags *diags);

#endif
