/*
 * output.c - postconf's messages, its buffered stdout, line folding and the
 * text sink
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg/base/buf.h"
#include "cfg/base/htab.h"
#include "postconf.h"

#define OUT_BUFSIZE 4096 /* Postfix's VSTREAM_BUFSIZE */

static const char *progname = "postconf";
static char outbuf[OUT_BUFSIZE];
static size_t outlen;
static struct cfg_htab *seen; /* messages already printed */

/* pcf_msg_init - messages start with argv[0], as Postfix's do */
void pcf_msg_init(const char *argv0)
{
	if (argv0 != NULL && *argv0)
		progname = argv0;
}

/* pcf_progname - argv[0] */
const char *pcf_progname(void)
{
	return progname;
}

/* write_all - write(2) until done (errors ignored: nothing better to do) */
static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* emit_as - print "PROG: LEVEL: TEXT" with non-printable bytes as '?'; once: each line once */
static void emit_as(const char *level, const char *text, int once)
{
	struct cfg_buf b;

	cfg_buf_init(&b);
	cfg_buf_printf(&b, "%s: %s: ", progname, level);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		cfg_buf_addc(&b, *p >= 0x20 && *p < 0x7f ? *p : '?');
	if (once && seen == NULL)
		seen = cfg_htab_new(16);
	if (!once || !cfg_htab_has(seen, b.data)) {
		if (once)
			cfg_htab_put(seen, b.data, NULL);
		cfg_buf_addc(&b, '\n');
		write_all(2, b.data, b.len);
	}
	cfg_buf_fini(&b);
}

/* emit - emit_as(), each distinct line once */
static void emit(const char *level, const char *text)
{
	emit_as(level, text, 1);
}

/* pcf_warn_unique - a warning known to be said once only (not remembered) */
void pcf_warn_unique(const char *text)
{
	emit_as("warning", text, 0);
}

/* vmsg - format and emit */
static void vmsg(const char *level, const char *fmt, va_list ap)
{
	struct cfg_buf b;

	cfg_buf_init(&b);
	cfg_buf_vprintf(&b, fmt, ap);
	emit(level, b.data);
	cfg_buf_fini(&b);
}

/* pcf_warn - "PROG: warning: ..." */
void pcf_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning", fmt, ap);
	va_end(ap);
}

/* pcf_fatal - "PROG: fatal: ...", exit 1 without flushing stdout (as Postfix) */
void pcf_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("fatal", fmt, ap);
	va_end(ap);
	_exit(1);
}

/* pcf_diags - print diagnostics; exit 1 after a fatal one */
void pcf_diags(const struct cfg_diags *ds)
{
	for (size_t i = 0; i < ds->n; i++) {
		const struct cfg_diag *d = &ds->v[i];

		switch (d->sev) {
		case CFG_SEV_FATAL:
			emit("fatal", d->msg);
			_exit(1);
		case CFG_SEV_ERROR:
			emit("error", d->msg);
			break;
		case CFG_SEV_WARNING:
			emit("warning", d->msg);
			break;
		case CFG_SEV_NOTE:
		default:
			emit("info", d->msg);
			break;
		}
	}
}

/* pcf_out - append to stdout; a full buffer is written when more comes */
void pcf_out(const char *s, size_t n)
{
	while (n > 0) {
		size_t room;

		if (outlen == OUT_BUFSIZE) {
			write_all(1, outbuf, outlen);
			outlen = 0;
		}
		room = OUT_BUFSIZE - outlen;
		if (room > n)
			room = n;
		memcpy(outbuf + outlen, s, room);
		outlen += room;
		s += room;
		n -= room;
	}
}

/* pcf_outs - append a C string to stdout */
void pcf_outs(const char *s)
{
	pcf_out(s, strlen(s));
}

/* pcf_out_flush - write what is buffered */
void pcf_out_flush(void)
{
	write_all(1, outbuf, outlen);
	outlen = 0;
}

/* is_sep - one of Postfix's word separators (space, tab, CR, LF) */
static int is_sep(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* print_words - append the words of text to b, folded with -f; *line_len tracks the column */
static void print_words(struct cfg_buf *b, unsigned mode, const char *text, size_t *line_len)
{
	const char *p = text;

	for (;;) {
		const char *w;
		size_t wl;

		while (is_sep((unsigned char)*p))
			p++;
		if (*p == 0)
			break;
		for (w = p; *p && !is_sep((unsigned char)*p); p++)
			;
		wl = (size_t)(p - w);
		if (*line_len > 0) {
			if ((mode & PCF_FOLD_LINE) == 0 || *line_len + wl < PCF_LINE_LIMIT) {
				cfg_buf_addc(b, ' ');
				*line_len += 1;
			} else {
				cfg_buf_add(b, "\n" PCF_INDENT_TEXT, 1 + PCF_INDENT_LEN);
				*line_len = PCF_INDENT_LEN;
			}
		}
		cfg_buf_add(b, w, wl);
		*line_len += wl;
	}
}

/* line buffer reused by every printed line */
static struct cfg_buf linebuf;

/* pcf_print_line - words joined by one space; with -f a word that reaches column 80 wraps */
void pcf_print_line(unsigned mode, const char *text)
{
	size_t line_len = 0;

	if (linebuf.data == NULL)
		cfg_buf_init(&linebuf);
	cfg_buf_reset(&linebuf);
	print_words(&linebuf, mode, text, &line_len);
	cfg_buf_addc(&linebuf, '\n');
	pcf_out(linebuf.data, linebuf.len);
}

/* text_pair - "key = value", "value" (-h) or "key" (-H) */
static void text_pair(struct pcf_sink *s, const char *key, const char *value, unsigned flags)
{
	size_t line_len = 0;

	if (linebuf.data == NULL)
		cfg_buf_init(&linebuf);
	cfg_buf_reset(&linebuf);
	if (flags & PCF_PAIR_VERBATIM) {
		if (s->mode & PCF_HIDE_VALUE) {
			print_words(&linebuf, s->mode, key, &line_len);
		} else {
			if ((s->mode & PCF_HIDE_NAME) == 0) {
				cfg_buf_adds(&linebuf, key);
				cfg_buf_adds(&linebuf, " = ");
			}
			cfg_buf_adds(&linebuf, value);
		}
	} else if (s->mode & PCF_HIDE_VALUE) {
		print_words(&linebuf, s->mode, key, &line_len);
	} else if (s->mode & PCF_HIDE_NAME) {
		print_words(&linebuf, s->mode, value, &line_len);
	} else {
		/* "key = value" as one text, so folding counts the name too */
		print_words(&linebuf, s->mode, key, &line_len);
		print_words(&linebuf, s->mode, "=", &line_len);
		print_words(&linebuf, s->mode, value, &line_len);
	}
	cfg_buf_addc(&linebuf, '\n');
	pcf_out(linebuf.data, linebuf.len);
}

/* column goals of the seven fixed master.cf fields and the command */
static const int column_goal[CFG_MF_COUNT] = {0, 11, 17, 25, 33, 41, 49, 57};

/* text_entry - a master.cf entry in columns, then the command and its arguments */
static void text_entry(struct pcf_sink *s, const struct cfg_config *cfg,
                       const struct cfg_service *svc)
{
	struct cfg_buf b;
	int len = 0;

	cfg_buf_init(&b);
	for (int f = 0; f < CFG_MF_COMMAND; f++) {
		if (len > 0) {
			do {
				cfg_buf_addc(&b, ' ');
				len++;
			} while (len < column_goal[f]);
		}
		cfg_buf_adds(&b, svc->field[f]);
		len += (int)strlen(svc->field[f]);
	}
	do {
		cfg_buf_addc(&b, ' ');
		len++;
	} while (len < column_goal[CFG_MF_COMMAND]);
	pcf_format_master_args(&b, cfg, svc, s->mode, len);
	cfg_buf_addc(&b, '\n');
	pcf_out(b.data, b.len);
	cfg_buf_fini(&b);
}

/* pcf_text_sink - the sink that prints Postfix's text formats */
void pcf_text_sink(struct pcf_sink *s, unsigned mode)
{
	s->pair = text_pair;
	s->entry = text_entry;
	s->mode = mode;
}
