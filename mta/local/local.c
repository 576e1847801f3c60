/* local.c - the local delivery agent: aliases, .forward, users (see local.h) */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "cfg/fileio.h"
#include "cfg/xalloc.h"
#include "ipc.h"
#include "local.h"
#include "log.h"
#include "maps.h"
#include "resolve.h"

#define MAX_LEVEL 100

static struct local_cfg cfg;
static int verify_mode; /* sendmail -bv: report what would happen, deliver nothing */
static struct rslv *rslv;
static const char *cleanup_service;

struct local_cfg *local_cfg_get(void)
{
	return &cfg;
}

void local_result_set(struct local_result *res, int status, const char *dsn, const char *fmt, ...)
{
	va_list ap;

	res->status = status;
	snprintf(res->dsn, sizeof(res->dsn), "%s", dsn);
	cfg_buf_reset(&res->text);
	va_start(ap, fmt);
	cfg_buf_vprintf(&res->text, fmt, ap);
	va_end(ap);
}

/* status_name - qmgr's word for an outcome */
static const char *status_name(int status)
{
	if (verify_mode)
		return status == 0 ? "deliverable" : status == 4 ? "deferred" : "undeliverable";
	return status == 0 ? "sent" : status == 4 ? "deferred" : "bounced";
}

/* leaf - log one final delivery and merge it into the recipient's outcome */
static void leaf(struct local_dlv *d, const struct local_result *res, struct local_result *total)
{
	dlv_log(d->req, d->k, d->addr, d->orig, "local", res->dsn, status_name(res->status),
	        res->text.data);
	/* the worst outcome wins: a deferral makes qmgr try the recipient again */
	if (res->status == 4 || (res->status == 5 && total->status == 0) || total->text.len == 0) {
		total->status = res->status;
		snprintf(total->dsn, sizeof(total->dsn), "%s", res->dsn);
		cfg_buf_reset(&total->text);
		cfg_buf_adds(&total->text, res->text.data);
	}
}

/* has_delivered_to - the message already passed through this address (a loop) */
static int has_delivered_to(struct dlv_req *r, const char *addr)
{
	struct cfg_buf content, ext;
	const char *p;
	int found = 0;

	cfg_buf_init(&content);
	cfg_buf_init(&ext);
	addr_externalize(addr, &ext);
	if (qf_read_content(r->fd, &r->env, &content) == 0) {
		for (p = content.data; *p && *p != '\n';) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);

			if (n > 13 && strncasecmp(p, "Delivered-To:", 13) == 0) {
				const char *v = p + 13;

				while (*v == ' ' || *v == '\t')
					v++;
				if ((size_t)(p + n - v) == ext.len
				    && strncasecmp(v, ext.data, ext.len) == 0)
					found = 1;
			}
			if (nl == NULL)
				break;
			p = nl + 1;
		}
	}
	cfg_buf_fini(&ext);
	cfg_buf_fini(&content);
	return found;
}

/* allowed - allow_mail_to_commands / allow_mail_to_files for this path */
static int allowed(struct local_dlv *d, int commands)
{
	if (d->from_forward)
		return commands ? cfg.cmd_forward : cfg.file_forward;
	if (d->from_alias)
		return commands ? cfg.cmd_alias : cfg.file_alias;
	return 0;
}

/* forward - submit a copy for other destinations through cleanup */
static void forward(struct local_dlv *d, const struct cfg_strvec *to, struct local_result *res)
{
	struct mta_stream st;
	struct cfg_strvec a;
	struct cfg_buf content, ext;
	int fd = ipc_connect(d->req->srv->queue_dir, "public", cleanup_service);
	const char *qid;

	if (fd < 0) {
		local_result_set(res, 4, "4.3.0", "connect to public/%s: %s", cleanup_service,
		                 strerror(errno));
		return;
	}
	mta_stream_init(&st, fd, 60);
	cfg_strvec_init(&a);
	cfg_buf_init(&content);
	cfg_buf_init(&ext);
	ipc_add(&a, "request", "open");
	ipc_send(&st, &a);
	if (ipc_recv(&st, &a) < 0 || (qid = ipc_get(&a, "queue_id")) == NULL) {
		local_result_set(res, 4, "4.3.0", "cleanup service unavailable");
		goto out;
	}
	{
		char *newqid = cfg_xstrdup(qid);

		cfg_strvec_clear(&a);
		ipc_add(&a, "request", "message");
		ipc_add(&a, "sender", "%s", d->sender);
		for (size_t i = 0; i < to->n; i++)
			ipc_add(&a, "rcpt", "0\t\t%s", to->v[i]);
		ipc_add(&a, "rewrite_context", "local");
		ipc_queue(&st, &a);
		addr_externalize(d->addr, &ext);
		cfg_buf_printf(&content, "Delivered-To: %s\n", ext.data);
		if (qf_read_content(d->req->fd, &d->req->env, &content) < 0) {
			local_result_set(res, 4, "4.3.0", "cannot read queue file");
			free(newqid);
			goto out;
		}
		ipc_chunk(&st, content.data, content.len);
		ipc_chunk(&st, "", 0);
		if (mta_stream_flush(&st) < 0 || ipc_recv(&st, &a) < 0
		    || ipc_get_long(&a, "status", 4) != 0)
			local_result_set(res, 4, "4.3.0", "cannot forward: %s",
			                 ipc_get(&a, "reply") ? ipc_get(&a, "reply")
			                                      : "cleanup failed");
		else
			local_result_set(res, 0, "2.0.0", "forwarded as %s", newqid);
		free(newqid);
	}
out:
	cfg_buf_fini(&ext);
	cfg_buf_fini(&content);
	cfg_strvec_fini(&a);
	mta_stream_fini(&st);
	close(fd);
}

static void deliver_addr(struct local_dlv *d, struct local_result *total);

/* privs - the uid/gid for commands and files from an alias (root: default_privs) */
static void privs(struct local_dlv *d, const struct passwd *pw, uid_t *uid, gid_t *gid)
{
	struct passwd *np;

	*uid = getuid();
	*gid = getgid();
	if (!cfg.root)
		return;
	if (d->from_forward && pw) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		return;
	}
	np = getpwnam(cfg.default_privs);
	if (np) {
		*uid = np->pw_uid;
		*gid = np->pw_gid;
	} else {
		*uid = 65534;
		*gid = 65534;
	}
}

/* expand_list - the entries of an alias value, :include: file or .forward file */
static void expand_list(struct local_dlv *d, const char *value, const char *self,
                        const struct passwd *pw, struct local_result *total)
{
	struct cfg_strvec items, remote;
	const char *p = value;
	struct local_result res;

	cfg_strvec_init(&items);
	cfg_strvec_init(&remote);
	cfg_buf_init(&res.text);
	/* entries are separated by commas and newlines; quotes protect them */
	while (*p) {
		const char *s;
		int q = 0;
		size_t n;
		char *item;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		for (s = p; *p; p++) {
			if (*p == '"')
				q = !q;
			else if (!q && (*p == ',' || *p == '\n'))
				break;
		}
		n = (size_t)(p - s);
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		item = cfg_xstrndup(s, n);
		if (item[0] == '"' && n > 1 && item[n - 1] == '"') {
			memmove(item, item + 1, n - 2);
			item[n - 2] = '\0';
		}
		cfg_strvec_take(&items, item);
	}
	for (size_t i = 0; i < items.n; i++) {
		const char *it = items.v[i];
		uid_t uid;
		gid_t gid;

		privs(d, pw, &uid, &gid);
		if (it[0] == '|') {
			if (!allowed(d, 1)) {
				local_result_set(&res, 5, "5.7.1", "mail to command is restricted");
			} else if (verify_mode) {
				local_result_set(&res, 0, "2.0.0", "delivers to command: %s",
				                 it + 1);
			} else {
				local_command(d, it + 1, uid, gid, pw, &res);
			}
			leaf(d, &res, total);
		} else if (it[0] == '/') {
			if (!allowed(d, 0)) {
				local_result_set(&res, 5, "5.7.1", "mail to file is restricted");
			} else if (verify_mode) {
				local_result_set(&res, 0, "2.0.0", "delivers to file: %s", it);
			} else if (it[strlen(it) - 1] == '/') {
				/* a name ending in / is a Maildir */
				struct passwd fake = {
				    .pw_name = (char *)"", .pw_uid = uid, .pw_gid = gid};

				local_maildir(d, pw ? pw : &fake, it, &res);
			} else {
				local_file(d, it, uid, gid, &res);
			}
			leaf(d, &res, total);
		} else if (strncasecmp(it, ":include:", 9) == 0) {
			struct cfg_buf data;

			cfg_buf_init(&data);
			if (cfg_file_read(it + 9, &data, NULL) < 0) {
				local_result_set(&res, 4, "4.3.0",
				                 "cannot open include file %s: %s", it + 9,
				                 strerror(errno));
				leaf(d, &res, total);
			} else {
				/* drop comment lines */
				for (char *l = data.data; l && *l;) {
					char *nl = strchr(l, '\n');

					if (*l == '#') {
						size_t n = nl ? (size_t)(nl - l) : strlen(l);

						memset(l, ' ', n);
					}
					l = nl ? nl + 1 : NULL;
				}
				expand_list(d, data.data, self, pw, total);
			}
			cfg_buf_fini(&data);
		} else {
			struct cfg_buf a;
			struct rslv_result rr;

			cfg_buf_init(&a);
			addr_internalize(it[0] == '\\' ? it + 1 : it, &a);
			if (strchr(a.data, '@') == NULL) {
				cfg_buf_addc(&a, '@');
				cfg_buf_adds(&a, cfg.myorigin);
			}
			rslv_result_init(&rr);
			if (rslv_resolve(rslv, a.data, &rr) < 0) {
				local_result_set(&res, 4, "4.3.0", "address resolver failure");
				leaf(d, &res, total);
			} else if (rr.cls == RSLV_LOCAL
			           && strcmp(rr.transport.data, "local") == 0) {
				struct local_dlv sub = *d;
				int to_self = self && strcasecmp(a.data, self) == 0;

				sub.addr = a.data;
				sub.parent = d->addr;
				sub.level = d->level + 1;
				sub.exact_once = 0;
				sub.from_alias = 0;
				sub.from_forward = 0;
				/* "\user" or the alias itself: the user's own mailbox, no more aliases */
				if (to_self || it[0] == '\\')
					sub.level = -1 - d->level;
				deliver_addr(&sub, total);
			} else {
				cfg_strvec_add(&remote, a.data);
			}
			rslv_result_fini(&rr);
			cfg_buf_fini(&a);
		}
	}
	if (remote.n && verify_mode) {
		local_result_set(&res, 0, "2.0.0", "forwards to %s", remote.v[0]);
		leaf(d, &res, total);
	} else if (remote.n) {
		/* one new message for all of them, logged against the alias, as Postfix does */
		forward(d, &remote, &res);
		leaf(d, &res, total);
	}
	cfg_buf_fini(&res.text);
	cfg_strvec_fini(&remote);
	cfg_strvec_fini(&items);
}

/* seen_before - record an expanded address; 1 when it was already expanded */
static int seen_before(struct local_dlv *d, const char *key)
{
	for (size_t i = 0; i < d->seen->n; i++)
		if (strcmp(d->seen->v[i], key) == 0)
			return 1;
	cfg_strvec_add(d->seen, key);
	return 0;
}

/* try_forward - a .forward file of the user; 1 when one was used */
static int try_forward(struct local_dlv *d, const struct passwd *pw, struct local_result *total)
{
	struct cfg_strvec paths;
	struct cfg_buf exp;
	int used = 0;

	if (cfg.forward_path == NULL || *cfg.forward_path == '\0')
		return 0;
	cfg_buf_init(&exp);
	local_expand(cfg.forward_path, d, pw, &exp);
	cfg_strvec_init(&paths);
	cfg_strvec_split(&paths, exp.data, ", \t\n");
	for (size_t i = 0; i < paths.n && !used; i++) {
		struct cfg_buf data;
		struct stat st;

		if (local_become(pw->pw_uid, pw->pw_gid) < 0)
			break;
		cfg_buf_init(&data);
		if (stat(paths.v[i], &st) == 0 && S_ISREG(st.st_mode)
		    && (st.st_uid == pw->pw_uid || st.st_uid == 0)
		    && cfg_file_read(paths.v[i], &data, NULL) == 0) {
			struct local_dlv sub = *d;
			char *self = cfg_xstrdup(d->addr);

			local_become(0, 0);
			used = 1;
			sub.from_forward = 1;
			sub.from_alias = 0;
			sub.level = d->level + 1;
			expand_list(&sub, data.data, self, pw, total);
			free(self);
		}
		local_become(0, 0);
		cfg_buf_fini(&data);
	}
	cfg_strvec_fini(&paths);
	cfg_buf_fini(&exp);
	return used;
}

/* mailbox - the user's own mailbox: command, home mailbox, Maildir or spool file */
static void mailbox(struct local_dlv *d, const struct passwd *pw, struct local_result *total)
{
	struct local_result res;
	struct cfg_buf path;

	cfg_buf_init(&res.text);
	cfg_buf_init(&path);
	if (verify_mode) {
		local_result_set(&res, 0, "2.0.0", "delivers to %s",
		                 cfg.mailbox_command && *cfg.mailbox_command ? "command"
		                 : *cfg.home_mailbox
		                         && cfg.home_mailbox[strlen(cfg.home_mailbox) - 1] == '/'
		                     ? "maildir"
		                     : "mailbox");
	} else if (cfg.mailbox_command && *cfg.mailbox_command) {
		struct cfg_buf cmd;

		cfg_buf_init(&cmd);
		local_expand(cfg.mailbox_command, d, pw, &cmd);
		local_command(d, cmd.data, pw->pw_uid, pw->pw_gid, pw, &res);
		cfg_buf_fini(&cmd);
	} else if (*cfg.home_mailbox) {
		cfg_buf_printf(&path, "%s/%s", pw->pw_dir, cfg.home_mailbox);
		if (path.data[path.len - 1] == '/') {
			local_maildir(d, pw, path.data, &res);
		} else {
			if (local_become(pw->pw_uid, pw->pw_gid) == 0)
				local_mbox(d, pw, path.data, &res);
			else
				local_result_set(&res, 4, "4.3.0", "cannot change privileges");
			local_become(0, 0);
		}
	} else {
		cfg_buf_printf(&path, "%s/%s", cfg.spool_dir, pw->pw_name);
		local_mbox(d, pw, path.data, &res);
	}
	leaf(d, &res, total);
	cfg_buf_fini(&path);
	cfg_buf_fini(&res.text);
}

/* deliver_addr - one local address: aliases, .forward, then the mailbox */
static void deliver_addr(struct local_dlv *d, struct local_result *total)
{
	struct cfg_buf user, base;
	struct local_result res;
	struct passwd *pw;
	int no_alias = d->level < 0;

	if (no_alias)
		d->level = -d->level - 1;
	cfg_buf_init(&user);
	cfg_buf_init(&base);
	cfg_buf_init(&res.text);
	if (d->level > MAX_LEVEL) {
		local_result_set(&res, 5, "5.4.6", "mail forwarding loop for %s", d->addr);
		leaf(d, &res, total);
		goto out;
	}
	if (has_delivered_to(d->req, d->addr)) {
		local_result_set(&res, 5, "5.4.6", "mail forwarding loop for %s", d->addr);
		leaf(d, &res, total);
		goto out;
	}
	addr_localpart(d->addr, &user);
	addr_lower(user.data);
	cfg_buf_adds(&base, user.data);
	if (*cfg.recipient_delimiter) {
		size_t cut = strcspn(base.data, cfg.recipient_delimiter);

		if (cut > 0 && cut < base.len)
			cfg_buf_truncate(&base, cut);
	}
	if (!no_alias && cfg.alias_maps.n) {
		const char *value = NULL;
		int rc = mta_maps_get(&cfg.alias_maps, user.data, &value);

		if (rc == 0 && strcmp(user.data, base.data) != 0)
			rc = mta_maps_get(&cfg.alias_maps, base.data, &value);
		if (rc < 0) {
			local_result_set(&res, 4, "4.3.0", "alias database unavailable");
			leaf(d, &res, total);
			goto out;
		}
		if (rc > 0 && seen_before(d, base.data)) {
			/* reported against the alias that expanded into a name seen before */
			struct local_dlv p = *d;
			struct cfg_buf pname;

			cfg_buf_init(&pname);
			if (d->parent)
				p.addr = d->parent;
			addr_localpart(p.addr, &pname);
			addr_lower(pname.data);
			mta_warn("alias database loop for %s", pname.data);
			local_result_set(&res, 5, "5.4.6", "alias database loop for %s",
			                 pname.data);
			leaf(&p, &res, total);
			cfg_buf_fini(&pname);
			goto out;
		}
		if (rc > 0) {
			struct local_dlv sub = *d;
			char *copy = cfg_xstrdup(value), *owner = NULL, *self;
			const char *ov;

			/* mail for a list comes back to its owner */
			if (cfg.owner_request_special && strncmp(base.data, "owner-", 6) != 0) {
				char *ok = cfg_xasprintf("owner-%s", base.data);

				if (mta_maps_get(&cfg.alias_maps, ok, &ov) > 0)
					owner = cfg_xasprintf("%s@%s", ok, cfg.myorigin);
				free(ok);
			}
			if (owner)
				sub.sender = owner;
			sub.from_alias = 1;
			sub.from_forward = 0;
			sub.level = d->level + 1;
			self = cfg_xstrdup(d->addr);
			expand_list(&sub, copy, self, NULL, total);
			free(self);
			free(copy);
			free(owner);
			goto out;
		}
	}
	pw = getpwnam(base.data);
	if (pw == NULL) {
		if (*cfg.luser_relay) {
			struct cfg_buf relay;

			cfg_buf_init(&relay);
			local_expand(cfg.luser_relay, d, NULL, &relay);
			expand_list(d, relay.data, NULL, NULL, total);
			cfg_buf_fini(&relay);
		} else {
			local_result_set(&res, 5, "5.1.1", "unknown user: \"%s\"", base.data);
			leaf(d, &res, total);
		}
		goto out;
	}
	if (!no_alias && try_forward(d, pw, total))
		goto out;
	mailbox(d, pw, total);
out:
	cfg_buf_fini(&res.text);
	cfg_buf_fini(&base);
	cfg_buf_fini(&user);
}

/* deliver - every recipient of a request */
static void deliver(struct dlv_req *r)
{
	verify_mode = r->verify;
	for (size_t k = 0; k < r->n; k++) {
		struct qf_rcpt *q = r->rcpt[k].qr;
		struct local_result total;
		struct cfg_strvec seen;
		struct local_dlv d;

		memset(&d, 0, sizeof(d));
		cfg_buf_init(&total.text);
		total.status = 0;
		snprintf(total.dsn, sizeof(total.dsn), "2.0.0");
		cfg_strvec_init(&seen);
		d.req = r;
		d.k = k;
		d.addr = q->addr;
		d.orig = q->orig;
		d.sender = r->sender;
		d.seen = &seen;
		d.exact_once = 1;
		deliver_addr(&d, &total);
		dlv_result(r, k, status_name(total.status), total.dsn, total.text.data);
		cfg_strvec_fini(&seen);
		cfg_buf_fini(&total.text);
	}
}

/* finish - after the last request of a batch: the mailbox writes go to disk */
static void finish(struct dlv_req *reqs, size_t n)
{
	(void)reqs;
	(void)n;
	local_mbox_sync();
}

/* serve - one request (or a batch of them) from qmgr */
static void serve(struct mta_server *srv, int in, int out)
{
	(void)out;
	dlv_serve_batch(srv, in, deliver, finish);
}

/* has_word - a list parameter holds word */
static int has_word(const struct cfg_strvec *v, const char *w)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcasecmp(v->v[i], w) == 0)
			return 1;
	return 0;
}

/* init - settings */
static void init(struct mta_server *srv)
{
	struct cfg_strvec locks, cmds, files, maps;
	const char *v;
	struct mta_param tab[] = {
	    {"myhostname", MTA_STR, &cfg.myhostname},
	    {"myorigin", MTA_STR, &cfg.myorigin},
	    {"mail_spool_directory", MTA_STR, &cfg.spool_dir},
	    {"home_mailbox", MTA_STR, &cfg.home_mailbox},
	    {"recipient_delimiter", MTA_STR, &cfg.recipient_delimiter},
	    {"default_privs", MTA_STR, &cfg.default_privs},
	    {"luser_relay", MTA_STR, &cfg.luser_relay},
	    {"mailbox_size_limit", MTA_INT, &cfg.size_limit},
	    {"deliver_lock_attempts", MTA_INT, &cfg.lock_attempts},
	    {"deliver_lock_delay", MTA_TIME, &cfg.lock_delay},
	    {"stale_lock_time", MTA_TIME, &cfg.stale_lock},
	    {"command_time_limit", MTA_TIME, &cfg.command_time_limit},
	    {"strict_mailbox_ownership", MTA_BOOL, &cfg.strict_ownership},
	    {"owner_request_special", MTA_BOOL, &cfg.owner_request_special},
	    {"mailbox_delivery_lock", MTA_LIST, &locks},
	    {"allow_mail_to_commands", MTA_LIST, &cmds},
	    {"allow_mail_to_files", MTA_LIST, &files},
	    {"alias_maps", MTA_LIST, &maps},
	    {"cleanup_service_name", MTA_STR, &cleanup_service},
	    {NULL, MTA_STR, NULL},
	};

	cfg_strvec_init(&locks);
	cfg_strvec_init(&cmds);
	cfg_strvec_init(&files);
	cfg_strvec_init(&maps);
	cfg_strvec_init(&cfg.alias_maps);
	mta_conf_get(&srv->conf, tab);
	/* these hold local attributes ($home, $extension...) filled in per delivery */
	v = cfg_config_value(srv->conf.cfg, "mailbox_command");
	cfg.mailbox_command = cfg_xstrdup(v ? v : "");
	v = cfg_config_value(srv->conf.cfg, "forward_path");
	cfg.forward_path = cfg_xstrdup(v ? v : "");
	cfg.lock_fcntl = has_word(&locks, "fcntl");
	cfg.lock_dotlock = has_word(&locks, "dotlock");
	cfg.lock_flock = has_word(&locks, "flock");
	cfg.cmd_alias = has_word(&cmds, "alias");
	cfg.cmd_forward = has_word(&cmds, "forward");
	cfg.file_alias = has_word(&files, "alias");
	cfg.file_forward = has_word(&files, "forward");
	for (size_t i = 0; i < maps.n; i++) {
		/* there is no NIS here; Postfix on a host without it finds nothing there either */
		if (strncmp(maps.v[i], "nis:", 4) == 0 || strncmp(maps.v[i], "nisplus:", 8) == 0)
			continue;
		cfg_strvec_add(&cfg.alias_maps, maps.v[i]);
	}
	if (cfg.lock_attempts <= 0)
		cfg.lock_attempts = 20;
	cfg.root = geteuid() == 0;
	rslv = rslv_new(&srv->conf);
	cfg_strvec_fini(&locks);
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
