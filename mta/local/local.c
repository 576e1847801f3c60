/* local.c - the local delivery agent: settings, requests, outcomes (see local.h) */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "local.h"
#include "log.h"

static struct local_cfg cfg;

struct local_cfg *local_cfg_get(void)
{
	return &cfg;
}

void local_copy(const struct local_dlv *d, const struct local_user *u, struct mbx_copy *c)
{
	memset(c, 0, sizeof(*c));
	c->req = d->req;
	c->k = d->k;
	c->sender = d->sender;
	c->orig = d->orig;
	c->addr = d->addr;
	/* as Postfix: the address that was expanded (an alias, a .forward owner), not the result */
	c->delivered_to = d->delivered;
	c->exact_once = d->exact_once;
	c->uid = c->ouid = u->uid;
	c->gid = c->ogid = u->gid;
	c->why_prefix = "";
}

/* status_name - qmgr's word for an outcome */
static const char *status_name(int status)
{
	if (cfg.verify)
		return status == 0 ? "deliverable" : status == 4 ? "deferred" : "undeliverable";
	return status == 0 ? "sent" : status == 4 ? "deferred" : "bounced";
}

void local_leaf(struct local_dlv *d, const struct mbx_result *res)
{
	struct mbx_result *total = &d->rc->total;

	dlv_log(d->req, d->k, d->addr, d->orig, "local", res->dsn, status_name(res->status),
	        res->text.data ? res->text.data : "");
	d->rc->events++;
	/* the worst outcome wins: a deferral makes qmgr try the recipient again */
	if (res->status == 4 || (res->status == 5 && total->status == 0) || d->rc->lines == 0) {
		total->status = res->status;
		snprintf(total->dsn, sizeof(total->dsn), "%s", res->dsn);
		cfg_buf_reset(&total->text);
		cfg_buf_adds(&total->text, res->text.data ? res->text.data : "");
	}
	d->rc->lines++;
}

void local_status(struct local_dlv *d, int status, const char *dsn, const char *fmt, ...)
{
	struct mbx_result res;
	va_list ap;

	cfg_buf_init(&res.text);
	res.status = status;
	snprintf(res.dsn, sizeof(res.dsn), "%s", dsn);
	va_start(ap, fmt);
	cfg_buf_vprintf(&res.text, fmt, ap);
	va_end(ap);
	local_leaf(d, &res);
	cfg_buf_fini(&res.text);
}

int local_verify_sent(struct local_dlv *d, const char *fmt, ...)
{
	struct mbx_result res;
	va_list ap;

	if (!cfg.verify)
		return 0;
	cfg_buf_init(&res.text);
	res.status = 0;
	snprintf(res.dsn, sizeof(res.dsn), "2.0.0");
	va_start(ap, fmt);
	cfg_buf_vprintf(&res.text, fmt, ap);
	va_end(ap);
	local_leaf(d, &res);
	cfg_buf_fini(&res.text);
	return 1;
}

/* fold - lower-case a filter key in place (Postfix's filter ignores case) */
static char *fold(char *k)
{
	for (char *p = k; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return k;
}

/*
 * been_here - look a key up in the recipient's filter: the value stored
 * under it, or NULL when new; a new key is stored with val (when not NULL
 * and there is room, as duplicate_filter_limit allows).
 */
static void *been_here(struct local_dlv *d, const char *key, void *val)
{
	struct cfg_htab *h = d->rc->dup;
	char *k = fold(cfg_xstrdup(key));
	void *v = cfg_htab_get(h, k);

	if (v)
		d->rc->events++;
	else if (val && (cfg.dup_limit <= 0 || (long)cfg_htab_count(h) < cfg.dup_limit))
		cfg_htab_put(h, k, val);
	free(k);
	return v;
}

/* vbeen_here - been_here() with a formatted key */
static void *vbeen_here(struct local_dlv *d, void *val, const char *fmt, va_list ap)
{
	struct cfg_buf b;
	void *v;

	cfg_buf_init(&b);
	cfg_buf_vprintf(&b, fmt, ap);
	v = been_here(d, b.data, val);
	cfg_buf_fini(&b);
	return v;
}

int local_been_here(struct local_dlv *d, const char *fmt, ...)
{
	va_list ap;
	void *v;

	va_start(ap, fmt);
	v = vbeen_here(d, d->rc, fmt, ap);
	va_end(ap);
	return v != NULL;
}

int local_been_here_check(struct local_dlv *d, const char *fmt, ...)
{
	long events = d->rc->events;
	va_list ap;
	void *v;

	va_start(ap, fmt);
	v = vbeen_here(d, NULL, fmt, ap);
	va_end(ap);
	d->rc->events = events;
	return v != NULL;
}

/* the recipient being delivered now: a late correction for it goes into its outcome */
static struct {
	struct dlv_req *req;
	size_t k;
	struct local_rcpt *rc;
} current;

void local_correct(struct dlv_req *r, size_t k, const char *addr, const char *orig, int status,
                   const char *dsn, const char *text)
{
	if (current.rc && current.req == r && current.k == k) {
		struct local_dlv d = {
		    .req = r, .k = k, .rc = current.rc, .addr = addr, .orig = orig};

		local_status(&d, status, dsn, "%s", text);
		return;
	}
	dlv_correct(r, k, "local", addr, orig, status_name(status), dsn, text);
}

/* busy - the value of a list file key while it is being expanded */
static char busy;

int local_dup_enter(struct local_dlv *d, const char *key)
{
	void *v = been_here(d, key, &busy);

	return v == NULL ? 0 : v == &busy ? 2 : 1;
}

void local_dup_leave(struct local_dlv *d, const char *key)
{
	char *k = fold(cfg_xstrdup(key));

	if (cfg_htab_get(d->rc->dup, k) == &busy)
		cfg_htab_put(d->rc->dup, k, d->rc);
	free(k);
}

/* deliver_one - one recipient of the queue file, from start to its final outcome */
static void deliver_one(struct dlv_req *r, size_t k)
{
	struct qf_rcpt *q = r->rcpt[k].qr;
	struct local_rcpt rc;
	struct local_dlv d;
	struct local_user u;

	memset(&rc, 0, sizeof(rc));
	cfg_buf_init(&rc.total.text);
	snprintf(rc.total.dsn, sizeof(rc.total.dsn), "2.0.0");
	rc.dup = cfg_htab_new(64);
	memset(&d, 0, sizeof(d));
	d.req = r;
	d.k = k;
	d.rc = &rc;
	d.addr = q->addr;
	d.orig = q->orig;
	d.sender = r->sender;
	d.exact_once = 1;
	local_user_reset(&u);
	current.req = r;
	current.k = k;
	current.rc = &rc;
	local_recipient(d, u);
	/* forwarded copies go out only when nothing has to be tried again */
	local_fwd_finish(&d, rc.total.status == 4);
	if (rc.lines == 0) {
		/* never a recipient without a status line */
		local_status(&d, 4, "4.3.0", "mail system configuration error");
	}
	current.rc = NULL;
	if (rc.total.status == 0)
		dlv_via(r, k, "local", rc.expanded ? "expanded" : "delivered");
	dlv_result(r, k, status_name(rc.total.status), rc.total.dsn,
	           rc.total.text.data ? rc.total.text.data : "");
	cfg_htab_free(rc.dup, NULL);
	cfg_buf_fini(&rc.total.text);
}

/* deliver - every recipient of a request */
static void deliver(struct dlv_req *r)
{
	cfg.verify = r->verify;
	local_rcpt_request();
	for (size_t k = 0; k < r->n; k++)
		deliver_one(r, k);
}

/* serve - one request (or a batch of them) from qmgr */
static void serve(struct mta_server *srv, int in, int out)
{
	(void)out;
	mbx_serve(srv, in, deliver);
}

/* class_mask - allow_mail_to_commands/files: the LOCAL_EXP_* bits, fatal on an unknown word */
static int class_mask(const char *param, const struct cfg_strvec *v)
{
	static const struct {
		const char *name;
		int bit;
	} tab[] = {
	    {"alias", LOCAL_EXP_ALIAS}, {"forward", LOCAL_EXP_FWD}, {"include", LOCAL_EXP_INCL}};
	int mask = 0;

	for (size_t i = 0; i < v->n; i++) {
		size_t j;

		for (j = 0; j < sizeof(tab) / sizeof(tab[0]); j++)
			if (strcasecmp(v->v[i], tab[j].name) == 0)
				break;
		if (j == sizeof(tab) / sizeof(tab[0])) {
			char *all = cfg_strvec_join(v, ", ");

			mta_fatal("unknown %s value \"%s\" in \"%s\"", param, v->v[i], all);
		}
		mask |= tab[j].bit;
	}
	return mask;
}

/* init - settings */
static void init(struct mta_server *srv)
{
	struct cfg_strvec cmds, files, maps;
	struct mbx_cfg mc = {.prog = "local", .open_dsn = "5.2.0", .correct = local_correct};
	struct cfg_buf why;
	const char *v;
	struct mta_setting tab[] = {
	    MTA_SET(CFG_P_myhostname, &cfg.myhostname),
	    MTA_SET(CFG_P_myorigin, &cfg.myorigin),
	    MTA_SET(CFG_P_mail_spool_directory, &cfg.spool_dir),
	    MTA_SET(CFG_P_home_mailbox, &cfg.home_mailbox),
	    MTA_SET(CFG_P_recipient_delimiter, &cfg.recipient_delimiter),
	    MTA_SET(CFG_P_default_privs, &cfg.default_privs),
	    MTA_SET(CFG_P_luser_relay, &cfg.luser_relay),
	    MTA_SET(CFG_P_forward_expansion_filter, &cfg.fwd_filter),
	    MTA_SET(CFG_P_execution_directory_expansion_filter, &cfg.exec_filter),
	    MTA_SET(CFG_P_command_time_limit, &cfg.command_time_limit),
	    MTA_SET(CFG_P_duplicate_filter_limit, &cfg.dup_limit),
	    MTA_SET(CFG_P_line_length_limit, &cfg.line_limit),
	    MTA_SET(CFG_P_owner_request_special, &cfg.owner_request_special),
	    MTA_SET(CFG_P_require_home_directory, &cfg.require_home),
	    MTA_SET(CFG_P_allow_mail_to_commands, &cmds),
	    MTA_SET(CFG_P_allow_mail_to_files, &files),
	    MTA_SET(CFG_P_alias_maps, &maps),
	    MTA_SETTINGS_END,
	};

	cfg_strvec_init(&cmds);
	cfg_strvec_init(&files);
	cfg_strvec_init(&maps);
	cfg_strvec_init(&cfg.alias_maps);
	mta_conf_get(&srv->conf, tab);
	cfg.config_dir = mta_conf_dir(&srv->conf);
	/* as written: local attributes ($home, $extension...) are filled in per delivery */
	v = cfg_config_value(srv->conf.cfg, "mailbox_command");
	cfg.mailbox_command = cfg_xstrdup(v ? v : "");
	v = cfg_config_value(srv->conf.cfg, "forward_path");
	cfg.forward_path = cfg_xstrdup(v ? v : "");
	v = cfg_config_value(srv->conf.cfg, "command_execution_directory");
	cfg.exec_dir = cfg_xstrdup(v ? v : "");
	cfg.cmd_mask = class_mask("allow_mail_to_commands", &cmds);
	cfg.file_mask = class_mask("allow_mail_to_files", &files);
	for (size_t i = 0; i < maps.n; i++) {
		/* there is no NIS here; Postfix on a host without it finds nothing there either */
		if (strncmp(maps.v[i], "nis:", 4) == 0 || strncmp(maps.v[i], "nisplus:", 8) == 0)
			continue;
		cfg_strvec_add(&cfg.alias_maps, maps.v[i]);
	}
	/* umask 077, the file size limit, the rights to switch back to */
	mbx_setup(&srv->conf, "mailbox_delivery_lock", "mailbox_size_limit", &mc);
	cfg.root = mc.root;
	cfg_buf_init(&why);
	if (local_privs_init(&why) < 0)
		mta_fatal("%s", why.data);
	cfg_buf_fini(&why);
	local_rcpt_init(srv);
	cfg_strvec_fini(&cmds);
	cfg_strvec_fini(&files);
	cfg_strvec_fini(&maps);
}

/* local_main - the local program */
int local_main(int argc, char **argv);
int local_main(int argc, char **argv)
{
	static const struct mta_server_ops ops = {.init = init, .serve = serve};

	return mta_server_main(argc, argv, "local", MTA_SERVE_CONN, &ops, NULL);
}
