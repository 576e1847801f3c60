/*
 * postconf_export.h - postconf's JSON side: -j (JSON Lines), --export, --import
 *
 * -j replaces the text sink with one that prints each record as a JSON
 * object on its own line, as Postfix 3.11's postconf -j does:
 * {"name": "value"} for main.cf parameters in every mode (-n, -d, -x, named),
 * {"service/type": "entry"} for -M, {"service/type/field": "value"} for -F,
 * {"service/type/param": "value"} for -P.  Values have their whitespace
 * runs collapsed to one space, as the text output shows them; -f does not
 * fold JSON.
 *
 * --export=json|yaml writes the document of cfg/export.h to stdout, or to
 * the file named by --output=FILE or -o FILE (an -o argument without '=';
 * -o name=value stays postconf's override).
 *
 * --import FILE|- applies such a document (YAML or JSON) to main.cf and
 * master.cf through cfg/import.h; --dry-run prints the diff instead,
 * --replace removes settings and services the document does not name.
 */
#ifndef POSTCONF_EXPORT_H
#define POSTCONF_EXPORT_H

#include "postconf.h"

/* pcf_json_sink - the sink that prints JSON Lines (-j) */
void pcf_json_sink(struct pcf_sink *s, unsigned mode);

/* what --export was asked for, besides -c/-d/-n and -o overrides */
struct pcf_export_opts {
	const char *format; /* "json" or "yaml" */
	const char *output; /* --output=FILE, or NULL for stdout */
	int expand;         /* --expand */
	int with_source;    /* --with-source */
	int all;            /* neither -n nor -d: every parameter */
	int defaults;       /* -d */
};

/* pcf_export - postconf --export; returns the exit status (exits on a fatal load error) */
int pcf_export(const char *config_dir, const struct pcf_export_opts *o, char **overrides,
               size_t noverrides);

/* what --import was asked for */
struct pcf_import_opts {
	const char *file; /* the document, "-" for stdin */
	int dry_run;      /* --dry-run: print the unified diff, write nothing */
	int replace;      /* --replace: remove what the document does not name */
	int force;        /* --force: skip type and unknown-name checks */
};

/* pcf_import - postconf --import; returns the exit status */
int pcf_import(const char *config_dir, const struct pcf_import_opts *o);

#endif
