/*
 * oracle_dump.c - print what Postfix's postconf would print, computed from our parsers
 *
 * Helper for tests/fuzz/oracle-diff.py, which compares it with the real
 * postconf on random files (run by hand where Postfix 3.7 is installed).
 *   oracle_dump main FILE NAME...  diagnostics up to the first fatal, then
 *                                  "NAME = VALUE" (words joined by one space) or
 *                                  "NAME = DEFAULT" for each NAME
 *   oracle_dump master FILE        diagnostics, then postconf -M lines, "-P", -P lines
 * Diagnostics are printed as "ERR postconf: warning|fatal: MSG".  Exit 1 after a fatal.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/doc/maincf.h"
#include "cfg/doc/mastercf.h"
#include "cfg/base/xalloc.h"

static const char blanks[] = " \t\r\n";

/* print_diags - up to and including the first fatal one; 1 when there was one */
static int print_diags(const struct cfg_diags *ds)
{
	for (size_t i = 0; i < ds->n; i++) {
		int fatal = ds->v[i].sev == CFG_SEV_FATAL;

		printf("ERR postconf: %s: %s\n", fatal ? "fatal" : "warning", ds->v[i].msg);
		if (fatal)
			return 1;
	}
	return 0;
}

/* print_words - v with its words joined by single spaces, as postconf prints values */
static void print_words(const char *v)
{
	const char *sep = "";

	for (;;) {
		size_t n;

		v += strspn(v, blanks);
		if (*v == 0)
			break;
		n = strcspn(v, blanks);
		printf("%s%.*s", sep, (int)n, v);
		sep = " ";
		v += n;
	}
	putchar('\n');
}

/* print_m - one postconf -M line (no folding) */
static void print_m(const struct cfg_service *s)
{
	static const int goal[] = {0, 11, 17, 25, 33, 41, 49, 57};
	int len = 0, in_opts = 1;

	for (int f = 0; f <= CFG_MF_COMMAND; f++) {
		const char *a = f < CFG_MF_COMMAND ? s->field[f] : s->argv.v[0];

		if (len > 0) {
			do {
				putchar(' ');
				len++;
			} while (len < goal[f]);
		}
		fputs(a, stdout);
		len += (int)strlen(a);
	}
	for (size_t i = 1; i < s->argv.n; i++) {
		const char *a = s->argv.v[i], *val = NULL;
		int braces = 0;

		if (in_opts) {
			if (a[0] != '-' || strcmp(a, "--") == 0) {
				in_opts = 0;
			} else if ((a[1] == 'o' || a[1] == 0) && i + 1 < s->argv.n) {
				val = s->argv.v[i + 1];
				braces = val[strcspn(val, blanks)] != 0;
			}
		} else {
			braces = a[strcspn(a, blanks)] != 0;
		}
		if (!in_opts && braces)
			printf(" {%s}", a);
		else
			printf(" %s", a);
		if (val) {
			printf(braces ? " {%s}" : " %s", val);
			i++;
		}
	}
	putchar('\n');
}

/* cmp_ovr - order overrides by name */
static int cmp_ovr(const void *a, const void *b)
{
	return strcmp(((const struct cfg_master_override *)a)->name,
	              ((const struct cfg_master_override *)b)->name);
}

/* print_p - postconf -P lines of one entry: last value of each name, sorted */
static void print_p(const struct cfg_service *s)
{
	struct cfg_master_override *o = cfg_xcalloc(s->novr + 1, sizeof(*o));
	size_t n = 0;

	for (size_t k = 0; k < s->novr; k++) {
		size_t j = 0;

		while (j < n && strcmp(o[j].name, s->ovr[k].name) != 0)
			j++;
		o[j] = s->ovr[k];
		if (j == n)
			n++;
	}
	qsort(o, n, sizeof(*o), cmp_ovr);
	for (size_t k = 0; k < n; k++) {
		printf("%s/%s/%s = ", s->field[CFG_MF_SERVICE], s->field[CFG_MF_TYPE], o[k].name);
		print_words(o[k].value);
	}
	free(o);
}

int main(int argc, char **argv)
{
	struct cfg_diags ds;
	int rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: oracle_dump main FILE NAME... | master FILE\n");
		return 2;
	}
	cfg_diags_init(&ds);
	if (strcmp(argv[1], "main") == 0) {
		struct cfg_maincf *doc;

		cfg_maincf_load(argv[2], &doc, &ds);
		rc = print_diags(&ds);
		for (int i = 3; doc && !rc && i < argc; i++) {
			const char *v = cfg_maincf_value(doc, argv[i]);

			printf("%s = ", argv[i]);
			if (v)
				print_words(v);
			else
				printf("DEFAULT\n");
		}
		cfg_maincf_free(doc);
	} else {
		struct cfg_mastercf *doc;

		cfg_mastercf_load(argv[2], &doc, &ds);
		rc = print_diags(&ds);
		if (doc && !rc) {
			for (size_t i = 0; i < doc->nsvcs; i++)
				print_m(&doc->svcs[i]);
			printf("-P\n");
			for (size_t i = 0; i < doc->nsvcs; i++)
				print_p(&doc->svcs[i]);
		}
		cfg_mastercf_free(doc);
	}
	cfg_diags_fini(&ds);
	return rc;
}
