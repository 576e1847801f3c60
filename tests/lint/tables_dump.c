/*
 * tables_dump - every row of the tables of schemas/ as "KIND<TAB>NAME<TAB>IMPL" lines,
 * for tests/lint/implemented.py (a test of each implemented row) and
 * tests/integ/test_unsupported.py (a refusal of each other row).  Parameter
 * rows go on with "<TAB>SUPPORT<TAB>TYPE<TAB>MIN<TAB>MAX<TAB>UNIT<TAB>CHOICES<TAB>AS"
 * (SUPPORT: impl, inert, tuning or no; AS: the value postkit behaves as, or "-").
 */
#include "config.h"

#include <stdio.h>

#include "cfg/schema/daemon.h"
#include "cfg/schema/masterdef.h"
#include "cfg/schema/registry.h"
#include "cfg/schema/restriction.h"
#include "cfg/check/support.h"
#include "cfg/schema/tabletype.h"

/* main - print the rows */
int main(void)
{
	const struct cfg_table_type_def *t;
	const struct cfg_daemon_def *d;
	const struct cfg_service_type_def *st;
	const struct cfg_param_def *p;

	for (size_t i = 0; i < cfg_restriction_count(); i++) {
		const struct cfg_restriction_def *r =
		    cfg_restriction_get((enum cfg_restriction_id)i);

		printf("restriction\t%s\t%d\n", r->name, r->impl);
	}
	for (size_t i = 0; (t = cfg_table_type_at(i)) != NULL; i++)
		printf("table\t%s\t%d\n", t->name, t->impl);
	for (size_t i = 0; (d = cfg_daemon_at(i)) != NULL; i++)
		if (!(d->flags & CFG_DF_NOTSERVICE))
			printf("daemon\t%s\t%d\n", d->command, d->impl);
	for (size_t i = 0; (st = cfg_service_type_at(i)) != NULL; i++)
		printf("type\t%s\t%d\n", st->name, st->impl);
	for (size_t i = 0; (p = cfg_registry_at(i)) != NULL; i++) {
		static const char *const support[] = {"impl", "inert", "tuning", "no"};

		if (p->flags & CFG_PF_LEGACY)
			continue;
		printf("parameter\t%s\t%d\t%s\t%s\t%ld\t%ld\t%c\t%s\t%s\n", p->name,
		       cfg_param_support(p) == CFG_SUPPORT_IMPL, support[cfg_param_support(p)],
		       cfg_ptype_name(p->type), p->min, p->max, p->time_unit ? p->time_unit : '-',
		       p->choices ? p->choices : "-",
		       cfg_param_behaves_as(p) ? cfg_param_behaves_as(p) : "-");
	}
	return ferror(stdout) ? 1 : 0;
}
