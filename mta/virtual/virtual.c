/*
 * virtual.c - the virtual delivery agent: mailboxes for virtual hosting
 *
 * Postfix's virtual(8): each recipient (its full address, folded to lower
 * case) is looked up in virtual_mailbox_maps, virtual_uid_maps and
 * virtual_gid_maps with Postfix's search order (user+ext@domain,
 * user@domain, @domain); the message goes to
 * $virtual_mailbox_base/RESULT, an mbox file or, when RESULT ends in '/',
 * a Maildir, written with that uid/gid (never below virtual_minimum_uid,
 * never group 0) through mta/common/mailbox.h, as local writes its
 * mailboxes: safe opens, virtual_mailbox_lock, exactly once, one fsync per
 * batch.  No aliases, no .forward, no commands or files.
 *
 * As in Postfix, an address without a mailbox bounces ("unknown user"),
 * a full mailbox (virtual_mailbox_limit, a quota) bounces, and every other
 * problem defers: bad maps are "mail system configuration error" with a
 * warning that says which map and which value.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "deliver.h"
#include "log.h"
#include "mailbox.h"
#include "resolve.h"
#include "server.h"

static struct {
	const char *base;
	struct cfg_strvec mailbox_maps, uid_maps, gid_maps;
	long minimum_uid;
	struct rslv *rslv; /* the address search order */
	int verify;
} cfg;

/* status_name - qmgr's word for an outcome */
static const char *status_name(int status)
{
	if (cfg.verify)
		return status == 0 ? "deliverable" : status == 4 ? "deferred" : "undeliverable";
	return status == 0 ? "sent" : status == 4 ? "deferred" : "bounced";
}

/* correct - a copy reported delivered did not reach the disk (mbx_sync) */
static void correct(struct dlv_req *r, size_t k, const char *addr, const char *orig, int status,
                    const char *dsn, const char *text)
{
	dlv_correct(r, k, "virtual", addr, orig, status_name(status), dsn, text);
}

/* outcome - the status line and the answer for recipient k */
static void outcome(struct dlv_req *r, size_t k, const struct mbx_result *res)
{
	dlv_status(r, k, "virtual", res->dsn, status_name(res->status), "%s",
	           res->text.data ? res->text.data : "");
}

/* id_value - a uid or gid from a map: decimal digits only, else -1 */
static long id_value(const char *v)
{
	char *end;
	long n;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || (long)(unsigned)n != n)
		return -1;
	return n;
}

/*
 * owner - the uid and gid for rcpt from virtual_uid_maps and
 * virtual_gid_maps; 0, or -1 with the warning logged and res set
 */
static int owner(const char *rcpt, uid_t *uid, gid_t *gid, struct mbx_result *res)
{
	const struct {
		const char *param;
		const struct cfg_strvec *maps;
		const char *what;
		long min;
	} ids[] = {{"virtual_uid_maps", &cfg.uid_maps, "uid", cfg.minimum_uid},
	           {"virtual_gid_maps", &cfg.gid_maps, "gid", 1}};
	long n[2];

	for (size_t i = 0; i < 2; i++) {
		const char *v;

		if (rslv_addr_find(cfg.rslv, ids[i].maps, rcpt, &v) <= 0) {
			mta_warn("recipient %s: not found in %s", rcpt, ids[i].param);
			break;
		}
		if ((n[i] = id_value(v)) < ids[i].min) {
			mta_warn("recipient %s: bad %s %s in %s", rcpt, ids[i].what, v,
			         ids[i].param);
			break;
		}
		if (i == 1) {
			*uid = (uid_t)n[0];
			*gid = (gid_t)n[1];
			return 0;
		}
	}
	mbx_result_set(res, 4, "4.3.5", "mail system configuration error");
	return -1;
}

/* mailbox - the message into $virtual_mailbox_base/VALUE for recipient k */
static void mailbox(struct dlv_req *r, size_t k, const char *rcpt, const char *value,
                    struct mbx_result *res)
{
	struct qf_rcpt *q = r->rcpt[k].qr;
	int maildir = value[strlen(value) - 1] == '/';
	struct mbx_copy c;
	char *path, *why;

	memset(&c, 0, sizeof(c));
	if (owner(rcpt, &c.uid, &c.gid, res) < 0)
		return;
	if (cfg.verify) {
		mbx_result_set(res, 0, "2.0.0",
		               maildir ? "delivers to maildir" : "delivers to mailbox");
		return;
	}
	path = cfg_xasprintf("%s/%s", cfg.base, value);
	why = cfg_xasprintf("delivery failed to mailbox %s: ", path);
	c.req = r;
	c.k = k;
	c.sender = r->sender;
	c.orig = q->orig;
	c.addr = q->addr;
	c.exact_once = 1;
	c.ouid = c.uid;
	c.ogid = c.gid;
	c.why_prefix = why;
	if (maildir)
		mbx_maildir(&c, path, res);
	else
		mbx_mbox(&c, path, res);
	free(why);
	free(path);
}

/* deliver_one - one recipient: its mailbox, or unknown user */
static void deliver_one(struct dlv_req *r, size_t k)
{
	struct mbx_result res;
	struct cfg_buf rcpt;
	const char *value;
	char *copy;
	int rc;

	cfg_buf_init(&res.text);
	cfg_buf_init(&rcpt);
	/* every decision is made with the address folded to lower case */
	cfg_buf_adds(&rcpt, r->rcpt[k].qr->addr);
	addr_lower(rcpt.data);
	rc = rslv_addr_find(cfg.rslv, &cfg.mailbox_maps, rcpt.data, &value);
	if (rc < 0) {
		mta_warn("table virtual_mailbox_maps: lookup %s: Application error", rcpt.data);
		mbx_result_set(&res, 4, "4.3.5", "mail system configuration error");
	} else if (rc == 0 || *value == '\0') {
		mbx_result_set(&res, 5, "5.1.1", "unknown user: \"%s\"", rcpt.data);
	} else {
		/* borrowed until the next lookup, and the uid/gid lookups come next */
		copy = cfg_xstrdup(value);
		mailbox(r, k, rcpt.data, copy, &res);
		free(copy);
	}
	outcome(r, k, &res);
	cfg_buf_fini(&rcpt);
	cfg_buf_fini(&res.text);
}

/* deliver - every recipient of a request */
static void deliver(struct dlv_req *r)
{
	cfg.verify = r->verify;
	for (size_t k = 0; k < r->n; k++)
		deliver_one(r, k);
}

/* serve - one request (or a batch of them) from qmgr */
static void serve(struct mta_server *srv, int in, int out)
{
	(void)out;
	mbx_serve(srv, in, deliver);
}

/* init - settings, as Postfix's virtual reads and checks them */
static void init(struct mta_server *srv)
{
	struct mbx_cfg mc = {.prog = "virtual", .open_dsn = "4.2.0", .correct = correct};
	struct mta_setting tab[] = {
	    MTA_SET(CFG_P_virtual_mailbox_base, &cfg.base),
	    MTA_SET(CFG_P_virtual_mailbox_maps, &cfg.mailbox_maps),
	    MTA_SET(CFG_P_virtual_uid_maps, &cfg.uid_maps),
	    MTA_SET(CFG_P_virtual_gid_maps, &cfg.gid_maps),
	    MTA_SET(CFG_P_virtual_minimum_uid, &cfg.minimum_uid),
	    MTA_SETTINGS_END,
	};

	cfg_strvec_init(&cfg.mailbox_maps);
	cfg_strvec_init(&cfg.uid_maps);
	cfg_strvec_init(&cfg.gid_maps);
	/* the views enforce Postfix's bounds: "bad string length 0 < 1: virtual_mailbox_base = " */
	mta_conf_get(&srv->conf, tab);
	mbx_setup(&srv->conf, "virtual_mailbox_lock", "virtual_mailbox_limit", &mc);
	cfg.rslv = rslv_new(&srv->conf);
}

/* virtual_main - the virtual program */
int virtual_main(int argc, char **argv);
int virtual_main(int argc, char **argv)
{
	static const struct mta_server_ops ops = {.init = init, .serve = serve};

	return mta_server_main(argc, argv, "virtual", MTA_SERVE_CONN, &ops, NULL);
}
