/*
 * misc.c - postconf -m (table types), -l (mailbox locks), -a/-A (SASL) and
 * -T (TLS): the lists of what postkit itself supports
 */
#include "config.h"

#include <string.h>

#include "cfg/schema/tabletype.h"
#include "postconf.h"

/* pcf_show_maps - the lookup table types postkit implements, one per line */
int pcf_show_maps(void)
{
	const struct cfg_table_type_def *t;

	for (size_t i = 0; (t = cfg_table_type_at(i)) != NULL; i++) {
		if (!t->impl)
			continue;
		pcf_outs(t->name);
		pcf_out("\n", 1);
	}
	return 0;
}

/* pcf_show_locks - the mailbox locking methods, in Postfix's order */
int pcf_show_locks(void)
{
	static const char *const locks[] = {"flock", "fcntl", "dotlock", NULL};

	for (const char *const *l = locks; *l; l++) {
		pcf_outs(*l);
		pcf_out("\n", 1);
	}
	return 0;
}

/* pcf_show_sasl - SASL plug-in types: postkit has none, so the list is empty */
int pcf_show_sasl(unsigned which)
{
	(void)which;
	return 0;
}

/* pcf_show_tls - postconf -T: the modes Postfix knows; postkit has no TLS library */
int pcf_show_tls(const char *what)
{
	static const char *const modes[] = {"compile-version", "run-version",
	                                    "public-key-algorithms", NULL};

	for (const char *const *m = modes; *m; m++)
		if (strcmp(*m, what) == 0)
			pcf_fatal("postconf -T %s: postkit is built without TLS support", what);
	pcf_warn("unknown 'postconf -T' mode: %s", what);
	return 1;
}
