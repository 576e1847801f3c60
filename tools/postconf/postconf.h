/*
 * postconf.h - postconf's read-only side: modes, output and printers
 *
 * main.c turns the command line into a mode mask (PCF_* below, one bit per
 * option, as Postfix's postconf has them), loads the configuration through
 * libcfg and calls one printer.  Printers never write to stdout directly:
 * they hand (key, value) records to a struct pcf_sink, so another output
 * format (JSON lines, export) only needs another sink.  The text sink
 * prints exactly what Postfix 3.7 prints: "key = value" with whitespace
 * normalised, -h/-H, folding at 80 columns with a 4-space indent (-f).
 *
 * Messages go to stderr as "PROG: warning: ..." / "PROG: fatal: ...",
 * where PROG is argv[0] as given, with non-printable bytes shown as '?'.
 * stdout is block-buffered like Postfix's (4096 bytes): a fatal error
 * discards what was not yet flushed, as Postfix's exit does.
 */
#ifndef POSTCONF_H
#define POSTCONF_H

#include <stdarg.h>

#include "cfg/base/buf.h"
#include "cfg/config/effective.h"
#include "cfg/base/diag.h"
#include "cfg/doc/mastercf.h"

/* One bit per option (postconf(1)); the order of pcf_opt_names is Postfix's. */
#define PCF_SHOW_NONDEF (1u << 0)     /* -n */
#define PCF_SHOW_DEFS (1u << 1)       /* -d */
#define PCF_HIDE_NAME (1u << 2)       /* -h */
#define PCF_SHOW_MAPS (1u << 3)       /* -m */
#define PCF_EDIT_CONF (1u << 4)       /* -e */
#define PCF_SHOW_LOCKS (1u << 5)      /* -l */
#define PCF_SHOW_EVAL (1u << 6)       /* -x */
#define PCF_SHOW_SASL_SERV (1u << 7)  /* -a */
#define PCF_SHOW_SASL_CLNT (1u << 8)  /* -A */
#define PCF_COMMENT_OUT (1u << 9)     /* -# */
#define PCF_MASTER_ENTRY (1u << 10)   /* -M */
#define PCF_FOLD_LINE (1u << 11)      /* -f */
#define PCF_EXP_DSN_TEMPL (1u << 12)  /* -b */
#define PCF_PARAM_CLASS (1u << 13)    /* -C (never set, as in Postfix 3.7) */
#define PCF_MAIN_PARAM (1u << 14)     /* -p */
#define PCF_DUMP_DSN_TEMPL (1u << 15) /* -t */
#define PCF_MASTER_FLD (1u << 16)     /* -F */
#define PCF_MAIN_OVER (1u << 17)      /* -o */
#define PCF_MASTER_PARAM (1u << 18)   /* -P */
#define PCF_EDIT_EXCL (1u << 19)      /* -X */
#define PCF_HIDE_VALUE (1u << 20)     /* -H */
#define PCF_SHOW_TLS (1u << 21)       /* -T */
#define PCF_SHOW_JSON (1u << 22)      /* -j (Postfix 3.11) */

#define PCF_LINE_LIMIT 80 /* fold lines longer than this (-f) */
#define PCF_INDENT_LEN 4  /* continuation indent */
#define PCF_INDENT_TEXT "    "
#define PCF_SEPARATORS " \t\r\n"

/* output.c: messages */
void pcf_msg_init(const char *argv0);
const char *pcf_progname(void);
void pcf_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void pcf_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * pcf_diags - print diagnostics as Postfix does, each distinct message once;
 * exits with status 1 after the first fatal one.
 */
void pcf_diags(const struct cfg_diags *ds);
/* pcf_warn_unique - "PROG: warning: TEXT" for a message that cannot repeat (not remembered) */
void pcf_warn_unique(const char *text);

/* output.c: stdout */
void pcf_out(const char *s, size_t n);
void pcf_outs(const char *s);
void pcf_out_flush(void);
/* pcf_print_line - print text normalising whitespace, folded with -f, plus "\n" */
void pcf_print_line(unsigned mode, const char *text);

/*
 * A sink receives what a printer shows.  pair(): a main.cf parameter, a
 * master.cf field or -o parameter ("service/type/name").  entry(): a whole
 * master.cf entry ("service/type").  The text sink honours -h, -H and -f.
 * A VERBATIM value (the -F command field) is printed as is: the text sink
 * gets it already folded when -f is in effect.
 */
#define PCF_PAIR_VERBATIM 0x01u /* value is preformatted: no whitespace normalisation */

struct pcf_sink {
	void (*pair)(struct pcf_sink *s, const char *key, const char *value, unsigned flags);
	void (*entry)(struct pcf_sink *s, const struct cfg_config *cfg,
	              const struct cfg_service *svc);
	unsigned mode;
};
/* pcf_text_sink - the sink that prints Postfix's text formats */
void pcf_text_sink(struct pcf_sink *s, unsigned mode);

/* print_main.c: postconf [-dhHnx] [-C class] [name...] */
void pcf_show_parameters(struct pcf_sink *sink, const struct cfg_config *cfg, unsigned mode,
                         unsigned classes, char **names, int nnames);

/* print_master.c: postconf -M / -F / -P [pattern...] */
void pcf_show_master_entries(struct pcf_sink *sink, const struct cfg_config *cfg, unsigned mode,
                             char **pats, int npats);
void pcf_show_master_fields(struct pcf_sink *sink, const struct cfg_config *cfg, unsigned mode,
                            char **pats, int npats);
void pcf_show_master_params(struct pcf_sink *sink, const struct cfg_config *cfg, unsigned mode,
                            char **pats, int npats);
/*
 * pcf_format_master_args - append the command and its arguments of svc as
 * Postfix prints them (braces around words with whitespace, -o values
 * expanded with PCF_SHOW_EVAL, folded with PCF_FOLD_LINE starting at column
 * start_col).
 */
void pcf_format_master_args(struct cfg_buf *out, const struct cfg_config *cfg,
                            const struct cfg_service *svc, unsigned mode, int start_col);

/* misc.c: -m, -l, -a, -A, -T, -b, -t */
int pcf_show_maps(void);
int pcf_show_locks(void);
int pcf_show_sasl(unsigned which);
int pcf_show_tls(const char *what);
/*
 * pcf_templates - postconf -t (expanded 0) or -b (1): the bounce templates of
 * file (NULL: the defaults); 0, or 1 after a fatal message (stdout unwritten)
 */
int pcf_templates(const struct cfg_config *cfg, const char *file, int expanded);

#endif
