/*
 * smtpd_footer.c - smtpd_reject_footer and smtpd_reject_footer_maps: text
 * appended to every 4XX and 5XX reply of the SMTP server, as Postfix 3.7
 * does it
 *
 * The template comes from smtpd_reject_footer_maps (indexed by the whole
 * reply) or else smtpd_reject_footer.  It is not main.cf-expanded; only
 * $client_address, $client_port, $localtime and $server_name are known
 * (other names are empty), with Postfix's $-syntax (cfg/param/expand.h).  "\n" in the template
 * starts a new reply line with the reply's code and enhanced status; the
 * footer starts on a line of its own unless the template begins with "\c".
 * Example: "550 5.7.1 Access denied" with footer "Call $server_name" is sent
 * as "550-5.7.1 Access denied" and "550 5.7.1 Call mail.example.com".  The
 * footer is not logged.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg/base/xalloc.h"
#include "cfg/param/expand.h"
#include "log.h"
#include "maps.h"
#include "smtpd.h"
#include "smtpd_check.h"

static const char *footer = "";
static const char *server_name = "";
static struct cfg_strvec footer_maps;

/* smtpdp_footer_init - the footer settings */
void smtpdp_footer_init(struct mta_conf *conf)
{
	const struct mta_setting tab[] = {
	    MTA_SET(CFG_P_smtpd_reject_footer, &footer),
	    MTA_SET(CFG_P_smtpd_reject_footer_maps, &footer_maps),
	    MTA_SET(CFG_P_myhostname, &server_name),
	    MTA_SETTINGS_END,
	};

	cfg_strvec_init(&footer_maps);
	mta_conf_get(conf, tab);
}

/* footer_ctx - what attr() needs */
struct footer_ctx {
	struct smtpd *s;
	char time[64];
};

/* attr - the value of a footer attribute, or NULL (empty) for a name Postfix does not offer */
static const char *attr(void *ctx, const char *name)
{
	struct footer_ctx *x = ctx;

	if (strcmp(name, "client_address") == 0)
		return x->s->addr;
	if (strcmp(name, "client_port") == 0)
		return x->s->port;
	if (strcmp(name, "server_name") == 0)
		return server_name;
	if (strcmp(name, "localtime") == 0) {
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(x->time, sizeof(x->time), "%b %d %H:%M:%S", &tm);
		return x->time;
	}
	return NULL;
}

/* template_for - the footer template of a reply, or NULL */
static const char *template_for(const char *reply)
{
	const char *value;

	if (footer_maps.n > 0 && mta_maps_get(&footer_maps, reply, &value) > 0)
		return value;
	return *footer ? footer : NULL;
}

/*
 * smtpdp_footer - append the footer to the reply that starts at wbuf[start]
 * (one line, no CRLF yet), making it a multi-line reply
 */
void smtpdp_footer(struct smtpd *s, struct cfg_buf *wbuf, size_t start)
{
	char *reply = cfg_xstrdup(wbuf->data + start);
	const char *tpl = template_for(reply), *p;
	char code[4], dsn[32] = "";
	struct footer_ctx x = {.s = s};
	struct cfg_expand ex = {.lookup = attr, .ctx = &x};
	struct cfg_buf text, lines;
	struct cfg_diags ds;
	size_t dl;

	if (tpl == NULL || strlen(reply) < 4 || (reply[3] != ' ' && reply[3] != '-')) {
		free(reply);
		return;
	}
	snprintf(code, sizeof(code), "%.3s", reply);
	/* the enhanced status code, when the reply has one */
	dl = strspn(reply + 4, "0123456789.");
	if (dl > 4 && dl < sizeof(dsn) && reply[4] == reply[0] && reply[4 + dl] == ' ')
		snprintf(dsn, sizeof(dsn), "%.*s ", (int)dl, reply + 4);
	cfg_buf_init(&text);
	cfg_buf_init(&lines);
	cfg_diags_init(&ds);
	if (cfg_expand_value(&ex, tpl, &text, &ds) < 0) {
		mta_warn("%s: error processing footer template", tpl);
		goto out;
	}
	p = text.data;
	/* the reply's own line; "\c" keeps the footer on it */
	cfg_buf_adds(&lines, reply + 4);
	if (strncmp(p, "\\c", 2) == 0)
		p += 2;
	else
		cfg_buf_printf(&lines, "\n%s", dsn);
	for (; *p; p++) {
		if (p[0] == '\\' && p[1] == 'n') {
			cfg_buf_printf(&lines, "\n%s", dsn);
			p++;
		} else {
			cfg_buf_addc(&lines, *p);
		}
	}
	cfg_buf_truncate(wbuf, start);
	for (char *l = lines.data, *nl; l != NULL; l = nl) {
		if ((nl = strchr(l, '\n')) != NULL)
			*nl++ = '\0';
		cfg_buf_printf(wbuf, "%s%c%s%s", code, nl ? '-' : ' ', l, nl ? "\r\n" : "");
	}
out:
	cfg_diags_fini(&ds);
	cfg_buf_fini(&lines);
	cfg_buf_fini(&text);
	free(reply);
}
