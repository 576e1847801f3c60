/*
 * bounce.c - the bounce service: delivery status notifications
 *
 * qmgr asks for a notice when a message has bounced recipients
 * (request=bounce), when recipients with NOTIFY=SUCCESS were delivered
 * (request=trace: the log records from logs_from on) and when a message
 * waited delay_warning_time (request=warn: once, for the recipients still
 * deferred that want NOTIFY=DELAY).  The notice is an RFC 3464
 * multipart/report in Postfix's layout (the human part, the
 * message/delivery-status part and the returned message or its headers),
 * submitted through cleanup from the null sender.  notify_classes adds the
 * postmaster's copies (bounce, delay), sent from double_bounce_sender.  A
 * bounce of a bounce is never sent back to the null sender: with "2bounce"
 * (or "bounce") in notify_classes it goes to 2bounce_notice_recipient,
 * otherwise it is dropped; a postmaster notice that bounced is always dropped (no loops).
 * The From:, Subject: and text come from the templates: the defaults, or
 * bounce_template_file's over them (read at start-up; a malformed file is
 * fatal, a malformed template is logged and left at its default).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "cfg/param/bouncexp.h"
#include "cfg/schema/bouncetmpl.h"
#include "ipc.h"
#include "log.h"
#include "maildate.h"
#include "qfile.h"
#include "server.h"

static const char *myhostname, *myorigin, *cleanup_service, *double_bounce_sender;
static const char *twobounce_rcpt, *bounce_rcpt, *delay_rcpt;
static long bounce_size_limit, delay_warning, max_lifetime;
static int notify_2bounce, notify_bounce, notify_delay; /* notify_classes */
static const char *template_file;
static int smtputf8;
static struct cfg_bounce_set templates;
static struct mta_conf *conf; /* for the $names of the templates' text */

/* wrap - append text folded to lines of at most 79 columns with a 4-space indent, as Postfix does */
static void wrap(const char *text, struct cfg_buf *out)
{
	size_t col = 0;
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, " ");

		if (col > 0 && col + 1 + n > 79) {
			cfg_buf_adds(out, "\n    ");
			col = 4;
		} else if (col > 0) {
			cfg_buf_addc(out, ' ');
			col++;
		}
		cfg_buf_add(out, p, n);
		col += n;
		p += n;
		while (*p == ' ')
			p++;
	}
	cfg_buf_addc(out, '\n');
}

/* ext - the external form of an address, in a fresh buffer the caller finishes */
static void ext(const char *a, struct cfg_buf *out)
{
	cfg_buf_reset(out);
	addr_externalize(a, out);
}

/* the notices: non-delivery, sendmail -bv report, success (trace), delay warning */
enum kind { K_BOUNCE, K_VERIFY, K_TRACE, K_WARN };

/* success - a log record of a NOTIFY=SUCCESS recipient: its text is "RELAY<TAB>TEXT" */
static int success(const char *action)
{
	return strcmp(action, "delivered") == 0 || strcmp(action, "relayed") == 0
	       || strcmp(action, "expanded") == 0;
}

/* wanted - does log record k go into a notice of this kind */
static int wanted(const struct qf_env *env, size_t k, enum kind kind, size_t from)
{
	const struct qf_log *l = &env->logs[k];
	unsigned n;

	switch (kind) {
	case K_VERIFY:
		return strcmp(l->action, "deliverable") == 0
		       || strcmp(l->action, "undeliverable") == 0;
	case K_TRACE:
		return k >= from && success(l->action);
	case K_WARN:
		if (l->idx >= env->nrcpt || strcmp(l->action, "deferred") != 0)
			return 0;
		n = env->rcpt[l->idx].notify;
		return env->rcpt[l->idx].status == '-' && (n == 0 || (n & QF_N_DELAY));
	default:
		return strcmp(l->action, "bounced") == 0;
	}
}

/*
 * pick - the log records a notice reports, in out (nlogs entries): the last
 * one of each recipient in recipient order, or for a success notice every
 * record of this pass in the order they were written, as Postfix lists them
 */
static size_t pick(const struct qf_env *env, enum kind kind, size_t from, size_t *out)
{
	size_t n = 0;

	if (kind == K_TRACE) {
		for (size_t k = 0; k < env->nlogs; k++)
			if (env->logs[k].idx < env->nrcpt && wanted(env, k, kind, from))
				out[n++] = k;
		return n;
	}
	for (size_t i = 0; i < env->nrcpt; i++) {
		size_t last = env->nlogs;

		for (size_t k = 0; k < env->nlogs; k++)
			if (env->logs[k].idx == i && wanted(env, k, kind, from))
				last = k;
		if (last < env->nlogs)
			out[n++] = last;
	}
	return n;
}

/* human - the text a recipient's record shows: "delivery via RELAY: TEXT" for a success */
static void human(const struct qf_log *l, struct cfg_buf *out)
{
	const char *tab = strchr(l->text, '\t');

	cfg_buf_reset(out);
	if (!success(l->action) || tab == NULL) {
		cfg_buf_adds(out, l->text);
		return;
	}
	cfg_buf_adds(out, "delivery via ");
	cfg_buf_add(out, l->text, (size_t)(tab - l->text));
	cfg_buf_printf(out, ": %s",
	               strcmp(l->action, "expanded") == 0 ? "alias expanded" : tab + 1);
}

/* tkind - the template of a kind of notice */
static enum cfg_bounce_kind tkind(enum kind kind)
{
	static const enum cfg_bounce_kind map[] = {
	    [K_BOUNCE] = CFG_BOUNCE_FAILURE,
	    [K_VERIFY] = CFG_BOUNCE_VERIFY,
	    [K_TRACE] = CFG_BOUNCE_SUCCESS,
	    [K_WARN] = CFG_BOUNCE_DELAY,
	};

	return map[kind];
}

/* template - the bounce template of a kind of notice */
static const struct cfg_bounce_template *template(enum kind kind)
{
	return &templates.t[tkind(kind)];
}

/*
 * lookup - a $name of the templates' text: main.cf's parameters and those the
 * bounce daemon knows by default (cfg_bounce_param()), as in this service's view
 */
static const char *lookup(void *ctx, const char *name)
{
	(void)ctx;
	if (cfg_config_explicit(conf->cfg, name) == NULL && !cfg_bounce_param(name))
		return NULL;
	return cfg_view_raw(conf->view, name);
}

/* log_diags - log template diagnostics as Postfix does; fatal ends the process */
static void log_diags(const struct cfg_diags *ds)
{
	for (size_t i = 0; i < ds->n; i++) {
		if (ds->v[i].sev == CFG_SEV_FATAL)
			mta_fatal("%s", ds->v[i].msg);
		mta_warn("%s", ds->v[i].msg);
	}
}

/* letter - a template's text with its $names expanded (time names in whole units) */
static void letter(enum kind kind, struct cfg_buf *out)
{
	struct cfg_expand names = {lookup, NULL, NULL};
	struct cfg_bounce_times times = {delay_warning, max_lifetime};
	struct cfg_diags ds;

	cfg_diags_init(&ds);
	(void)cfg_bounce_expand(&templates, tkind(kind), &names, &times, out, &ds);
	log_diags(&ds);
	cfg_diags_fini(&ds);
}

/*
 * from - the From: header: the template's, its address qualified with
 * myhostname as the defaults' MAILER-DAEMON is ("Postmaster <postmaster>",
 * "MAILER-DAEMON (Mail Delivery System)")
 */
static void from(const char *value, struct cfg_buf *out)
{
	const char *end = strrchr(value, '>');

	if (strchr(value, '@') != NULL) {
		cfg_buf_printf(out, "From: %s\n", value);
		return;
	}
	if (end == NULL)
		end = value + strcspn(value, " \t");
	cfg_buf_printf(out, "From: %.*s@%s%s\n", (int)(end - value), value, myhostname, end);
}

/* dsn_fields - the per-recipient fields of the message/delivery-status part */
static void dsn_fields(const struct qf_env *env, const struct qf_log *l, enum kind kind,
                       struct cfg_buf *tmp, struct cfg_buf *out)
{
	const char *tab = strchr(l->text, '\t');
	struct cfg_buf line;

	cfg_buf_init(&line);
	ext(env->rcpt[l->idx].addr, tmp);
	cfg_buf_printf(out, "\nFinal-Recipient: rfc822; %s\n", tmp->data);
	if (env->rcpt[l->idx].dsn_orcpt) /* the client's ORCPT, as Postfix reports it */
		cfg_buf_printf(out, "Original-Recipient: %s\n", env->rcpt[l->idx].dsn_orcpt);
	else
		cfg_buf_printf(out, "Original-Recipient: rfc822;%s\n", tmp->data);
	cfg_buf_printf(out, "Action: %s\n",
	               strcmp(l->action, "bounced") == 0    ? "failed"
	               : strcmp(l->action, "deferred") == 0 ? "delayed"
	                                                    : l->action);
	cfg_buf_printf(out, "Status: %s\n", l->dsn);
	if (strcmp(l->action, "relayed") == 0 && tab) {
		/* the next hop's name and its own reply, as the SMTP client saw them */
		size_t host = strcspn(l->text, "[\t");

		cfg_buf_printf(out, "Remote-MTA: dns; %.*s\n", (int)host, l->text);
		cfg_buf_printf(&line, "Diagnostic-Code: smtp; %s", tab + 1);
	} else {
		human(l, tmp);
		cfg_buf_printf(&line, "Diagnostic-Code: X-Postfix; %s", tmp->data);
	}
	wrap(line.data, out);
	if (kind == K_WARN) {
		cfg_buf_reset(tmp);
		mta_mail_date(env->arrival_sec + max_lifetime, tmp);
		cfg_buf_printf(out, "Will-Retry-Until: %s\n", tmp->data);
	}
	cfg_buf_fini(&line);
}

/* head - the header and the start of the text part; pm: the postmaster's copy */
static void head(const char *to, enum kind kind, int pm, const char *boundary, time_t now,
                 struct cfg_buf *tmp, struct cfg_buf *out)
{
	const struct cfg_bounce_template *t = template(kind);
	const char *pm_subject = t->pm_subject ? t->pm_subject : template(K_BOUNCE)->pm_subject;

	cfg_buf_reset(tmp);
	mta_mail_date((long)now, tmp);
	cfg_buf_printf(out, "Date: %s\n", tmp->data);
	from(t->from, out);
	cfg_buf_printf(out, "Subject: %s\n", pm ? pm_subject : t->subject);
	ext(to, tmp);
	/* the postmaster's address as cleanup qualifies it: "postmaster@$myorigin" */
	cfg_buf_printf(out, "To: %s%s%s\n", tmp->data, pm && !strchr(tmp->data, '@') ? "@" : "",
	               pm && !strchr(tmp->data, '@') ? myorigin : "");
	cfg_buf_printf(out, "Auto-Submitted: %s\n", pm ? "auto-generated" : "auto-replied");
	cfg_buf_adds(out, "MIME-Version: 1.0\n");
	cfg_buf_printf(out,
	               "Content-Type: multipart/report; report-type=delivery-status;\n"
	               "\tboundary=\"%s\"\n",
	               boundary);
	cfg_buf_adds(out, "Content-Transfer-Encoding: 8bit\n\n");
	cfg_buf_adds(out, "This is a MIME-encapsulated message.\n\n");
	cfg_buf_printf(out, "--%s\n", boundary);
	/* a us-ascii template is sent as utf-8 when SMTPUTF8 is on, as Postfix does */
	cfg_buf_printf(out,
	               "Content-Description: Notification\n"
	               "Content-Type: text/plain; charset=%s\n"
	               "Content-Transfer-Encoding: 8bit\n\n",
	               smtputf8 && strcasecmp(t->charset, "us-ascii") == 0 ? "utf-8" : t->charset);
	if (pm) {
		/* the postmaster's copy has no letter, only the recipients */
		cfg_buf_addc(out, '\n');
		return;
	}
	letter(kind, out);
	cfg_buf_addc(out, '\n');
}

/* sender_ext - the sender as a notice shows it: the null sender is MAILER-DAEMON@$myhostname */
static void sender_ext(const char *sender, struct cfg_buf *out)
{
	if (*sender == '\0') {
		cfg_buf_reset(out);
		cfg_buf_printf(out, "MAILER-DAEMON@%s", myhostname);
	} else {
		ext(sender, out);
	}
}

/*
 * compose - the whole notice of this kind for the recipients of env; pm:
 * the postmaster's copy (notify_classes)
 */
static void compose(const char *qid, int fd, struct qf_env *env, const char *to, enum kind kind,
                    int pm, size_t from, struct cfg_buf *out)
{
	struct cfg_buf date, e1, e2, line, content;
	char boundary[256];
	time_t now = time(NULL);
	size_t *sel = cfg_xcalloc(env->nlogs + 1, sizeof(*sel)), nsel;
	const char *envid = qf_env_attr(env, "envid"), *ret = qf_env_attr(env, "ret");
	int hdrs;

	cfg_buf_init(&date);
	cfg_buf_init(&e1);
	cfg_buf_init(&e2);
	cfg_buf_init(&line);
	cfg_buf_init(&content);
	nsel = pick(env, kind, from, sel);
	snprintf(boundary, sizeof(boundary), "%s.%ld/%s", qid, (long)now, myhostname);
	head(to, kind, pm, boundary, now, &e1, out);
	for (size_t s = 0; s < nsel; s++) {
		const struct qf_log *l = &env->logs[sel[s]];

		cfg_buf_reset(&line);
		ext(env->rcpt[l->idx].addr, &e1);
		cfg_buf_printf(&line, "<%s>", e1.data);
		if (strcmp(env->rcpt[l->idx].orig, env->rcpt[l->idx].addr) != 0) {
			ext(env->rcpt[l->idx].orig, &e2);
			cfg_buf_printf(&line, " (expanded from <%s>)", e2.data);
		}
		human(l, &e2);
		cfg_buf_printf(&line, ": %s", e2.data);
		wrap(line.data, out);
		cfg_buf_addc(out, '\n');
	}
	cfg_buf_printf(out, "--%s\n", boundary);
	cfg_buf_adds(out, "Content-Description: Delivery report\n"
	                  "Content-Type: message/delivery-status\n\n");
	cfg_buf_printf(out, "Reporting-MTA: dns; %s\n", myhostname);
	if (envid && *envid)
		cfg_buf_printf(out, "Original-Envelope-Id: %s\n", envid);
	cfg_buf_printf(out, "X-Postfix-Queue-ID: %s\n", qid);
	sender_ext(env->sender, &e1);
	cfg_buf_printf(out, "X-Postfix-Sender: rfc822; %s\n", e1.data);
	cfg_buf_reset(&date);
	mta_mail_date(env->arrival_sec, &date);
	cfg_buf_printf(out, "Arrival-Date: %s\n", date.data);
	for (size_t s = 0; s < nsel; s++)
		dsn_fields(env, &env->logs[sel[s]], kind, &e1, out);
	cfg_buf_printf(out, "\n--%s\n", boundary);
	qf_read_content(fd, env, &content);
	sender_ext(env->sender, &e1);
	/*
	 * success notices, warnings and the postmaster's copy of a bounce return
	 * the headers only, as Postfix does; bounces (and a bounce of a bounce)
	 * the whole message unless RET=HDRS or it is too big
	 */
	hdrs = kind != K_BOUNCE || (pm && *env->sender) || (ret && strcmp(ret, "hdrs") == 0)
	       || (bounce_size_limit > 0 && (long)content.len > bounce_size_limit);
	if (hdrs) {
		char *end = strstr(content.data ? content.data : "", "\n\n");

		if (end)
			cfg_buf_truncate(&content, (size_t)(end - content.data) + 1);
		cfg_buf_printf(out,
		               "Content-Description: %s\n"
		               "Content-Type: text/rfc822-headers\n"
		               "Content-Transfer-Encoding: 8bit\n\n",
		               kind == K_TRACE ? "Message Headers" : "Undelivered Message Headers");
	} else {
		cfg_buf_adds(out, "Content-Description: Undelivered Message\n"
		                  "Content-Type: message/rfc822\n"
		                  "Content-Transfer-Encoding: 8bit\n\n");
	}
	cfg_buf_printf(out, "Return-Path: <%s>\n", e1.data);
	cfg_buf_add(out, content.data, content.len);
	if (content.len && content.data[content.len - 1] != '\n')
		cfg_buf_addc(out, '\n');
	cfg_buf_printf(out, "\n--%s--\n", boundary);
	free(sel);
	cfg_buf_fini(&content);
	cfg_buf_fini(&line);
	cfg_buf_fini(&e2);
	cfg_buf_fini(&e1);
	cfg_buf_fini(&date);
}

/* submit - hand the notice to cleanup; 0 with the new queue ID in qid_out */
static int submit(struct mta_server *srv, const char *sender, const char *to,
                  const struct cfg_buf *msg, char *qid_out, size_t len)
{
	struct mta_stream st;
	struct cfg_strvec a;
	int fd = ipc_connect(srv->queue_dir, "public", cleanup_service), rc = -1;
	const char *qid;

	if (fd < 0) {
		mta_warn("connect to public/%s: %m", cleanup_service);
		return -1;
	}
	mta_stream_init(&st, fd, 60);
	cfg_strvec_init(&a);
	ipc_add(&a, "request", "open");
	ipc_send(&st, &a);
	if (ipc_recv(&st, &a) == 0 && (qid = ipc_get(&a, "queue_id")) != NULL) {
		snprintf(qid_out, len, "%s", qid);
		cfg_strvec_clear(&a);
		ipc_add(&a, "request", "message");
		ipc_add(&a, "sender", "%s", sender);
		ipc_add(&a, "rcpt", "0\t\t%s", to);
		ipc_add(&a, "rewrite_context", "local");
		ipc_queue(&st, &a);
		ipc_chunk(&st, msg->data, msg->len);
		ipc_chunk(&st, "", 0);
		if (mta_stream_flush(&st) == 0 && ipc_recv(&st, &a) == 0
		    && ipc_get_long(&a, "status", 4) == 0)
			rc = 0;
	}
	cfg_strvec_fini(&a);
	mta_stream_fini(&st);
	close(fd);
	return rc;
}

/* is_double_bounce - mail from the null sender or from double_bounce_sender (bare or @domain) */
static int is_double_bounce(const char *sender)
{
	size_t n = strlen(double_bounce_sender);

	return *sender == '\0'
	       || (strncasecmp(sender, double_bounce_sender, n) == 0
	           && (sender[n] == '\0' || sender[n] == '@'));
}

/* copy - the postmaster's copy of a notice to rcpt, from double_bounce_sender; 0 when queued */
static int copy(struct mta_server *srv, const char *qid, int fd, struct qf_env *env, enum kind kind,
                const char *rcpt, struct cfg_buf *msg)
{
	char newqid[QF_ID_MAX];

	cfg_buf_reset(msg);
	compose(qid, fd, env, rcpt, kind, 1, 0, msg);
	if (submit(srv, double_bounce_sender, rcpt, msg, newqid, sizeof(newqid)) < 0)
		return 1;
	mta_info("%s: postmaster %s notification: %s", qid,
	         kind == K_WARN ? "delay" : "non-delivery", newqid);
	return 0;
}

/* serve - one request from qmgr */
static void serve(struct mta_server *srv, int in, int out)
{
	struct mta_stream st;
	struct cfg_strvec a, r;
	struct qf_env env;
	struct cfg_buf why, msg;
	static const char *const what[] = {"non-delivery", "delivery status", "delivery status",
	                                   "delay"};
	const char *qid, *queue, *req;
	char *path = NULL, newqid[QF_ID_MAX];
	enum kind kind;
	size_t from;
	int fd = -1, status = 1;

	(void)out;
	mta_stream_init(&st, in, 60);
	cfg_strvec_init(&a);
	cfg_strvec_init(&r);
	qf_env_init(&env);
	cfg_buf_init(&why);
	cfg_buf_init(&msg);
	if (ipc_recv(&st, &a) < 0)
		goto done;
	qid = ipc_get(&a, "queue_id");
	queue = ipc_get(&a, "queue");
	req = ipc_get(&a, "request");
	kind = req && strcmp(req, "trace") == 0  ? K_TRACE
	       : req && strcmp(req, "warn") == 0 ? K_WARN
	                                         : K_BOUNCE;
	from = (size_t)ipc_get_long(&a, "logs_from", 0);
	if (qid == NULL || queue == NULL || !qf_valid_id(qid) || strchr(queue, '/'))
		goto reply;
	path = qf_path(srv->queue_dir, queue, qid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || qf_read(fd, &env, &why) < 0) {
		mta_warn("%s: cannot read queue file: %s", qid, why.len ? why.data : "open failed");
		goto reply;
	}
	if (is_double_bounce(env.sender)) {
		/*
		 * a notice about a notice: never back to its sender.  A bounce
		 * that bounced goes to the postmaster (2bounce, or bounce in
		 * notify_classes); a postmaster notice that bounced is dropped.
		 */
		status = 0;
		if (kind == K_BOUNCE && *env.sender != '\0')
			mta_warn("%s: undeliverable postmaster notification discarded", qid);
		else if (kind == K_BOUNCE && (notify_2bounce || notify_bounce))
			status = copy(srv, qid, fd, &env, K_BOUNCE, twobounce_rcpt, &msg);
		goto reply;
	}
	if (kind == K_BOUNCE && (env.hflags & QF_H_VERIFY))
		kind = K_VERIFY;
	compose(qid, fd, &env, env.sender, kind, 0, from, &msg);
	if (submit(srv, "", env.sender, &msg, newqid, sizeof(newqid)) == 0) {
		mta_info("%s: sender %s notification: %s", qid, what[kind], newqid);
		status = 0;
	}
	/* the postmaster's copy, when notify_classes asks for one (a failed copy is only logged) */
	if (status == 0 && kind == K_BOUNCE && notify_bounce)
		copy(srv, qid, fd, &env, K_BOUNCE, bounce_rcpt, &msg);
	if (status == 0 && kind == K_WARN && notify_delay)
		copy(srv, qid, fd, &env, K_WARN, delay_rcpt, &msg);
reply:
	ipc_add(&r, "status", "%d", status);
	ipc_send(&st, &r);
done:
	if (fd >= 0)
		close(fd);
	free(path);
	cfg_buf_fini(&msg);
	cfg_buf_fini(&why);
	qf_env_fini(&env);
	cfg_strvec_fini(&r);
	cfg_strvec_fini(&a);
	mta_stream_fini(&st);
}

/* init - settings */
static void init(struct mta_server *srv)
{
	struct cfg_strvec classes;
	struct mta_setting tab[] = {
	    MTA_SET(CFG_P_myhostname, &myhostname),
	    MTA_SET(CFG_P_cleanup_service_name, &cleanup_service),
	    MTA_SET(CFG_P_double_bounce_sender, &double_bounce_sender),
	    MTA_SET(CFG_P_myorigin, &myorigin),
	    MTA_SET(CFG_P_2bounce_notice_recipient, &twobounce_rcpt),
	    MTA_SET(CFG_P_bounce_notice_recipient, &bounce_rcpt),
	    MTA_SET(CFG_P_delay_notice_recipient, &delay_rcpt),
	    MTA_SET(CFG_P_bounce_size_limit, &bounce_size_limit),
	    MTA_SET(CFG_P_delay_warning_time, &delay_warning),
	    MTA_SET(CFG_P_maximal_queue_lifetime, &max_lifetime),
	    MTA_SET(CFG_P_notify_classes, &classes),
	    MTA_SET(CFG_P_bounce_template_file, &template_file),
	    MTA_SET(CFG_P_smtputf8_enable, &smtputf8),
	    MTA_SETTINGS_END,
	};
	struct cfg_diags fds, tds;

	cfg_strvec_init(&classes);
	mta_conf_get(&srv->conf, tab);
	for (size_t i = 0; i < classes.n; i++) {
		notify_2bounce |= strcasecmp(classes.v[i], "2bounce") == 0;
		notify_bounce |= strcasecmp(classes.v[i], "bounce") == 0;
		notify_delay |= strcasecmp(classes.v[i], "delay") == 0;
	}
	cfg_strvec_fini(&classes);
	/* the templates are read once, before any request, as Postfix's bounce does */
	conf = &srv->conf;
	cfg_bounce_set_init(&templates);
	cfg_diags_init(&fds);
	cfg_diags_init(&tds);
	if (*template_file)
		(void)cfg_bounce_set_load(&templates, template_file, &fds, &tds);
	log_diags(&fds);
	log_diags(&tds);
	cfg_diags_fini(&tds);
	cfg_diags_fini(&fds);
}

/* bounce_main - the bounce program */
int bounce_main(int argc, char **argv);
int bounce_main(int argc, char **argv)
{
	/* init reads bounce_template_file: before a chroot jail, as Postfix's pre_jail_init */
	static const struct mta_server_ops ops = {.pre_init = init, .serve = serve};

	return mta_server_main(argc, argv, "bounce", MTA_SERVE_CONN, &ops, NULL);
}
