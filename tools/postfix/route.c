/*
 * route.c - `postfix route`: where mail for an address goes, and why
 *
 *   postfix [-c DIR] route [--json] [--sender ADDR] ADDRESS...
 *
 * Each address goes through the code the mail system runs: cleanup's
 * envelope rewriting (myorigin, recipient_canonical_maps and
 * canonical_maps, masquerade_domains, virtual alias expansion; traced by
 * the cleanup engine itself), then trivial-rewrite's resolver
 * (rslv_resolve: address class, relocated_maps, transport_maps, the
 * transports and relayhost) for each final recipient, then what the
 * delivery agent would look at: local aliases and a readable .forward, MX
 * records for an smtp next hop, the master.cf service.  Each step names the
 * parameter and the file:line that set it.  Nothing is queued.
 */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "aliassrc.h"
#include "cfg/base/xalloc.h"
#include "cfg/config/effective.h"
#include "cfg/doc/mastercf.h"
#include "cleanup_engine/cleanup_engine.h"
#include "dns.h"
#include "explain.h"
#include "listfile.h"
#include "log.h"
#include "maps.h"
#include "resolve.h"

/* the state of one route run */
struct route {
	struct mta_conf conf;
	struct cleanup_cfg *ccfg;
	struct rslv *rslv;
	int json;
	struct cfg_json *steps; /* the current address's rewriting steps (JSON) */
};

static const char *const class_names[] = {"local", "virtual alias", "virtual mailbox", "relay",
                                          "default"};
/* the parameter that puts a domain in each class */
static const char *const class_params[] = {"mydestination", "virtual_alias_domains",
                                           "virtual_mailbox_domains", "relay_domains", NULL};
/* the transport parameter of each class */
static const char *const class_transports[] = {"local_transport", NULL, "virtual_transport",
                                               "relay_transport", "default_transport"};

/* on_step - the cleanup engine's trace: one rewriting step */
static void on_step(void *arg, const char *step, long depth, const char *from, const char *to)
{
	struct route *r = arg;

	if (r->json) {
		struct cfg_json *o = cfg_json_object();

		pfx_origin_json(&r->conf, step, o);
		cfg_json_object_set(o, "depth", cfg_json_integer(depth));
		cfg_json_object_set(o, "from", cfg_json_string(from));
		cfg_json_object_set(o, "to", cfg_json_string(to));
		cfg_json_array_append(r->steps, o);
		return;
	}
	printf("  %*s%s -> %s: %s\n", (int)(2 * depth), "", from, to,
	       pfx_origin_text(&r->conf, step));
}

/*
 * transport_cause - the parameter that chose the transport and next hop:
 * what the class's transport parameter (and relayhost) would give, else
 * transport_maps
 */
static const char *transport_cause(struct route *r, const struct rslv_result *res, const char *addr)
{
	const char *tp = class_transports[res->cls];
	const char *relayhost = mta_conf_str(&r->conf, CFG_P_relayhost);
	const char *domain = addr_domain(addr);
	struct cfg_buf want;
	const char *cause = tp, *hop;
	char *colon;

	if (strcmp(res->transport.data, "error") == 0 && strstr(res->nexthop.data, "moved to"))
		return "relocated_maps";
	if (tp == NULL)
		return "virtual_alias_domains";
	cfg_buf_init(&want);
	cfg_buf_adds(&want, mta_conf_str(&r->conf, mta_conf_id(tp)));
	colon = strchr(want.data, ':');
	if (colon)
		*colon++ = '\0';
	if (colon && *colon)
		hop = colon;
	else if (res->cls == RSLV_LOCAL)
		hop = rslv_myhostname(r->rslv);
	else if (res->cls != RSLV_VIRTUAL && *relayhost)
		hop = relayhost;
	else
		hop = domain ? domain : "";
	if (strcmp(want.data, res->transport.data) != 0 || strcasecmp(hop, res->nexthop.data) != 0)
		cause = "transport_maps";
	else if (hop == relayhost)
		cause = "relayhost";
	cfg_buf_fini(&want);
	return cause;
}

/* show_mx - the MX records of an smtp next hop, when the DNS answers */
static void show_mx(struct route *r, const char *nexthop, struct cfg_json *o)
{
	struct dns_list l;
	struct cfg_buf why, host;
	struct cfg_json *arr = cfg_json_array();
	enum dns_status st;

	if (*nexthop == '[' || *nexthop == '\0') {
		cfg_json_free(arr);
		return;
	}
	cfg_buf_init(&host);
	cfg_buf_adds(&host, nexthop);
	host.data[strcspn(host.data, ":")] = '\0';
	dns_list_init(&l);
	cfg_buf_init(&why);
	st = dns_lookup(host.data, DNS_T_MX, 0, &l, &why);
	for (size_t i = 0; st == DNS_OK && i < l.n; i++) {
		if (r->json)
			cfg_json_array_append(arr, cfg_json_string(l.rr[i].name));
		else
			printf("    MX %u %s\n", l.rr[i].pref, l.rr[i].name);
	}
	if (st != DNS_OK && !r->json)
		printf("    MX lookup: %s\n", why.data);
	if (r->json) {
		cfg_json_object_set(o, "mx", arr);
		if (st != DNS_OK)
			cfg_json_object_set(o, "mx_error", cfg_json_string(why.data));
	} else {
		cfg_json_free(arr);
	}
	cfg_buf_fini(&why);
	cfg_buf_fini(&host);
	dns_list_fini(&l);
}

/*
 * show_forward - what a user's .forward says, read as local(8) would: with
 * the user's rights and the same safety rules (listfile.h), never root's
 */
static void show_forward(struct route *r, const struct passwd *pw, struct cfg_json *o)
{
	char *fwd = cfg_xasprintf("%s/.forward", pw->pw_dir);
	struct cfg_buf text, why;
	int rc;

	cfg_buf_init(&text);
	cfg_buf_init(&why);
	rc = listfile_read_as(fwd, pw->pw_uid, pw->pw_gid, &text, &why);
	if (rc < 0) {
		if (r->json)
			cfg_json_object_set(o, "forward_error", cfg_json_string(why.data));
		else
			printf("    %s: ignored: %s\n", fwd, why.data);
	}
	for (char *line = text.data, *next; rc > 0 && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		if (r->json)
			cfg_json_object_set(o, "forward", cfg_json_string(line));
		else
			printf("    %s: %s\n", fwd, line);
	}
	cfg_buf_fini(&why);
	cfg_buf_fini(&text);
	free(fwd);
}

/* show_local - alias_maps and a readable .forward for a local recipient */
static void show_local(struct route *r, const char *addr, struct cfg_json *o)
{
	struct cfg_strvec maps;
	struct cfg_buf lp;
	const char *value = NULL;
	struct passwd *pw;
	int rc;

	cfg_strvec_init(&maps);
	cfg_buf_init(&lp);
	mta_conf_list(&r->conf, CFG_P_alias_maps, &maps);
	addr_localpart(addr, &lp);
	addr_lower(lp.data);
	rc = maps.n ? mta_maps_get(&maps, lp.data, &value) : 0;
	if (r->json) {
		struct cfg_json *a = cfg_json_object();

		pfx_origin_json(&r->conf, "alias_maps", a);
		cfg_json_object_set(a, "key", cfg_json_string(lp.data));
		cfg_json_object_set(a, "result", rc > 0 ? cfg_json_string(value) : cfg_json_null());
		cfg_json_object_set(o, "alias", a);
	} else if (rc > 0) {
		printf("    local alias %s -> %s: %s\n", lp.data, value,
		       pfx_origin_text(&r->conf, "alias_maps"));
	} else if (rc < 0) {
		printf("    local alias %s: table lookup failed: %s\n", lp.data,
		       pfx_origin_text(&r->conf, "alias_maps"));
	}
	pw = rc == 0 ? getpwnam(lp.data) : NULL;
	if (pw != NULL)
		show_forward(r, pw, o);
	cfg_buf_fini(&lp);
	cfg_strvec_fini(&maps);
}

/* show_agent - the master.cf service of a transport */
static void show_agent(struct route *r, const char *transport, struct cfg_json *o)
{
	const struct cfg_service *svc =
	    cfg_mastercf_find(cfg_config_mastercf(r->conf.cfg), transport, "unix");
	const char *cmd = svc && svc->argv.n ? svc->argv.v[0] : NULL;

	if (r->json) {
		struct cfg_json *a = cfg_json_object();

		cfg_json_object_set(a, "service", cfg_json_string(transport));
		cfg_json_object_set(a, "command", cmd ? cfg_json_string(cmd) : cfg_json_null());
		cfg_json_object_set(a, "file",
		                    svc ? cfg_json_string(cfg_config_mastercf(r->conf.cfg)->path)
		                        : cfg_json_null());
		cfg_json_object_set(a, "line", svc ? cfg_json_integer(svc->line) : cfg_json_null());
		cfg_json_object_set(o, "agent", a);
	} else if (svc) {
		printf("    delivery agent: %s (%s:%u: %s unix ... %s)\n", cmd,
		       cfg_config_mastercf(r->conf.cfg)->path, svc->line, transport, cmd);
	} else {
		printf("    delivery agent: none: no \"%s unix\" service in master.cf: mail "
		       "would stay deferred\n",
		       transport);
	}
}

/* final - one final recipient: class, transport, next hop, agent, or the bounce */
static void final(struct route *r, const char *addr, struct cfg_json *arr)
{
	struct rslv_result res;
	struct cfg_json *o = r->json ? cfg_json_object() : NULL;
	const char *cause;

	rslv_result_init(&res);
	if (rslv_resolve(r->rslv, addr, &res) < 0) {
		if (r->json) {
			cfg_json_object_set(o, "address", cfg_json_string(addr));
			cfg_json_object_set(o, "defer", cfg_json_string("table lookup failed"));
			cfg_json_array_append(arr, o);
		} else {
			printf("  %s: deferred: a table lookup failed\n", addr);
		}
		rslv_result_fini(&res);
		return;
	}
	cause = transport_cause(r, &res, res.recipient.data);
	if (r->json) {
		struct cfg_json *c = cfg_json_object();
		struct cfg_json *t = cfg_json_object();

		cfg_json_object_set(o, "address", cfg_json_string(res.recipient.data));
		cfg_json_object_set(c, "class", cfg_json_string(class_names[res.cls]));
		if (class_params[res.cls])
			pfx_origin_json(&r->conf, class_params[res.cls], c);
		cfg_json_object_set(o, "class", c);
		cfg_json_object_set(t, "transport", cfg_json_string(res.transport.data));
		cfg_json_object_set(t, "nexthop", cfg_json_string(res.nexthop.data));
		pfx_origin_json(&r->conf, cause, t);
		cfg_json_object_set(o, "route", t);
	} else {
		printf("  final recipient %s\n", res.recipient.data);
		printf("    address class: %s", class_names[res.cls]);
		if (class_params[res.cls])
			printf(": %s", pfx_origin_text(&r->conf, class_params[res.cls]));
		printf("\n");
	}
	if (strcmp(res.transport.data, "error") == 0 || strcmp(res.transport.data, "retry") == 0) {
		char dsn[16];
		const char *text;
		int err = res.transport.data[0] == 'e';

		rslv_split_dsn(res.nexthop.data, err ? "5.1.1" : "4.1.1", dsn, &text);
		if (r->json) {
			struct cfg_json *b = cfg_json_object();

			cfg_json_object_set(b, "dsn", cfg_json_string(dsn));
			cfg_json_object_set(b, "text", cfg_json_string(text));
			cfg_json_object_set(o, err ? "bounce" : "defer", b);
		} else {
			printf("    %s: %s %s: %s\n", err ? "bounced" : "deferred", dsn, text,
			       pfx_origin_text(&r->conf, cause));
		}
	} else if (!r->json) {
		printf("    transport %s, next hop %s: %s\n", res.transport.data, res.nexthop.data,
		       pfx_origin_text(&r->conf, cause));
	}
	if (res.cls == RSLV_LOCAL && strcmp(cause, "local_transport") == 0)
		show_local(r, res.recipient.data, o);
	if (strcmp(res.transport.data, "smtp") == 0)
		show_mx(r, res.nexthop.data, o);
	show_agent(r, res.transport.data, o);
	if (r->json)
		cfg_json_array_append(arr, o);
	rslv_result_fini(&res);
}

/* one_address - the whole route of one address */
static int one_address(struct route *r, const char *text, struct cfg_json *out)
{
	struct addr_path p;
	struct cfg_strvec rcpts;
	struct cfg_json *o = NULL, *finals = NULL;
	int rc;

	addr_path_init(&p);
	if (addr_parse_path(text, 0, &p) != 0 || p.params.n > 0) {
		addr_path_fini(&p);
		return pfx_bad_input("route", "bad address syntax: \"%s\"", text);
	}
	cfg_strvec_init(&rcpts);
	if (r->json) {
		o = cfg_json_object();
		finals = cfg_json_array();
		r->steps = cfg_json_array();
		cfg_json_object_set(o, "address", cfg_json_string(p.internal));
	} else {
		printf("%s\n", p.internal);
	}
	rc = cleanup_rewrite_rcpt(r->ccfg, p.internal, on_step, r, &rcpts);
	if (rc < 0 && !r->json)
		printf("  deferred: a canonical or virtual alias table lookup failed\n");
	for (size_t i = 0; rc == 0 && i < rcpts.n; i++)
		final(r, rcpts.v[i], finals);
	cfg_strvec_fini(&rcpts);
	if (r->json) {
		cfg_json_object_set(o, "rewrites", r->steps);
		cfg_json_object_set(o, "recipients", finals);
		if (rc < 0)
			cfg_json_object_set(o, "defer", cfg_json_string("table lookup failed"));
		cfg_json_array_append(out, o);
	}
	addr_path_fini(&p);
	return 0;
}

/* pfx_route - the route subcommand */
int pfx_route(const char *config_dir, int argc, char **argv)
{
	struct route r;
	struct cfg_buf why;
	struct cfg_json *out;
	int i, rc = 0, first;

	memset(&r, 0, sizeof(r));
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			r.json = 1;
		else if (strcmp(argv[i], "--sender") == 0 && i + 1 < argc)
			i++; /* sender-dependent routing is not used by postkit's resolver */
		else
			return pfx_bad_input("route",
			                     "unknown option '%s'. Usage: postfix route [--json] "
			                     "[--sender ADDR] ADDRESS...",
			                     argv[i]);
	}
	if (i >= argc)
		return pfx_bad_input("route", "usage: postfix route [--json] [--sender ADDR] "
		                              "ADDRESS...");
	cfg_buf_init(&why);
	if (mta_conf_try(&r.conf, config_dir, NULL, NULL, &why) < 0)
		return pfx_bad_input("route", "%s", why.data);
	cfg_buf_fini(&why);
	pfx_alias_sources(&r.conf, 1);
	r.ccfg = cleanup_cfg_new(&r.conf, mta_conf_str(&r.conf, CFG_P_queue_directory));
	r.rslv = cleanup_cfg_resolver(r.ccfg);
	out = cfg_json_array();
	for (first = i; i < argc && rc == 0; i++) {
		if (i > first && !r.json)
			printf("\n");
		rc = one_address(&r, argv[i], out);
	}
	if (r.json && rc == 0)
		pfx_print_json(out);
	else
		cfg_json_free(out);
	cleanup_cfg_free(r.ccfg);
	mta_conf_close(&r.conf);
	return rc;
}
