/*
 * check_master.c - master.cf services: a command Postfix 3.7 ships (or a
 * program that exists), a listen address that parses, no inet service
 * marked private, no duplicate service/type, "-o" words that are
 * name=value, the internal services Postfix's clients expect, and a
 * service for every transport main.cf names
 */
#include "config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/schema/daemon.h"
#include "cfg/param/validate.h"
#include "cfg/base/xalloc.h"
#include "check_int.h"

/* Well-known TCP service names, so the check does not depend on /etc/services. */
static const char *const known_ports[] = {
    "lmtp", "smtp", "smtps", "submission", "submissions", "urd", NULL,
};

/* in_list - word is one of list */
static int in_list(const char *word, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(*list, word) == 0)
			return 1;
	return 0;
}

/* svc_setting - a setting that places a finding on the entry (on its line) */
static void svc_setting(const struct cfgp_check *ck, const struct cfg_service *svc,
                        struct cfgp_setting *s)
{
	memset(s, 0, sizeof(*s));
	s->name = svc->field[CFG_MF_SERVICE];
	s->value = "";
	s->file = ck->master_path;
	s->line = svc->line;
}

/* check_port - a port number or a TCP service name */
static int check_port(const char *port)
{
	if (*port == 0)
		return -1;
	if (port[strspn(port, "0123456789")] == 0) {
		long n = strtol(port, NULL, 10);

		return n >= 1 && n <= 65535 ? 0 : -1;
	}
	if (in_list(port, known_ports) || getservbyname(port, "tcp") != NULL)
		return 0;
	return -1;
}

/* check_listen - an inet service name: [host:]port, host may be [ipv6] */
static void check_listen(struct cfgp_check *ck, const struct cfg_service *svc,
                         const struct cfgp_setting *s)
{
	const char *name = svc->field[CFG_MF_SERVICE], *port;
	char *host = NULL;
	unsigned char addr[16];
	struct cfg_param_def hdef = {0};
	struct cfg_buf why;

	if (name[0] == '[') {
		const char *rb = strchr(name, ']');

		if (rb == NULL || rb[1] != ':') {
			cfgp_check_add(
			    ck, CFG_SEV_ERROR, "mastercf-listen", s,
			    "service %s/inet: bad hostname or network address: %s (write "
			    "[address]:port)",
			    name, name);
			return;
		}
		host = cfg_xstrndup(name + 1, (size_t)(rb - name - 1));
		port = rb + 2;
		if (inet_pton(AF_INET6, host, addr) != 1 && inet_pton(AF_INET, host, addr) != 1) {
			cfgp_check_add(ck, CFG_SEV_ERROR, "mastercf-listen", s,
			               "service %s/inet: bad hostname or network address: %s", name,
			               host);
			free(host);
			return;
		}
	} else if ((port = strrchr(name, ':')) != NULL) {
		host = cfg_xstrndup(name, (size_t)(port - name));
		port++;
		hdef.type = CFG_T_HOSTNAME;
		cfg_buf_init(&why);
		if (strcmp(host, "*") != 0 && inet_pton(AF_INET, host, addr) != 1
		    && (host[strspn(host, "0123456789.")] == 0
		        || cfg_type_check_for(CFG_T_HOSTNAME)->check(&hdef, host, &why) < 0)) {
			cfgp_check_add(ck, CFG_SEV_ERROR, "mastercf-listen", s,
			               "service %s/inet: bad hostname or network address: %s", name,
			               host);
			cfg_buf_fini(&why);
			free(host);
			return;
		}
		cfg_buf_fini(&why);
	} else {
		port = name;
	}
	if (check_port(port) < 0)
		cfgp_check_add(ck, CFG_SEV_ERROR, "mastercf-listen", s,
		               "service %s/inet: unknown service: %s/tcp (not a port number or a "
		               "TCP service name)",
		               name, port);
	free(host);
}

/* is_daemon - a daemon master.cf may run */
static int is_daemon(const char *cmd)
{
	const struct cfg_daemon_def *d = cfg_daemon_find(cmd);

	return d != NULL && !(d->flags & CFG_DF_NOTSERVICE);
}

/* suggest_daemon - the closest daemon name, or NULL (owned by sg) */
static const char *suggest_daemon(struct cfgp_suggest *sg, const char *cmd)
{
	const struct cfg_daemon_def *d;

	cfgp_suggest_init(sg, cmd);
	for (size_t i = 0; (d = cfg_daemon_at(i)) != NULL; i++)
		if (!(d->flags & CFG_DF_NOTSERVICE))
			cfgp_suggest_try(sg, d->command);
	return sg->best;
}

/* check_command - the program of an entry */
static void check_command(struct cfgp_check *ck, const struct cfg_service *svc,
                          const struct cfgp_setting *s)
{
	const char *cmd = svc->argv.n ? svc->argv.v[0] : "";
	struct cfg_buf dir;
	char *path;
	const char *hint;
	struct cfgp_suggest sg;

	if (cmd[0] == '/') {
		if (access(cmd, X_OK) != 0)
			cfgp_check_add(ck, CFG_SEV_ERROR, "mastercf-command", s,
			               "service %s/%s: command %s is not an executable file",
			               svc->field[CFG_MF_SERVICE], svc->field[CFG_MF_TYPE], cmd);
		return;
	}
	if (is_daemon(cmd))
		return;
	cfg_buf_init(&dir);
	if (cfgp_check_effective(ck, "daemon_directory", &dir) == 0) {
		path = cfg_xasprintf("%s/%s", dir.data, cmd);
		if (access(path, X_OK) == 0) {
			free(path);
			cfg_buf_fini(&dir);
			return;
		}
		free(path);
	}
	cfg_buf_fini(&dir);
	hint = suggest_daemon(&sg, cmd);
	cfgp_check_add(ck, CFG_SEV_ERROR, "mastercf-command", s,
	               "service %s/%s: unknown command \"%s\": not a Postfix 3.7 daemon and not "
	               "found in daemon_directory%s%s%s",
	               svc->field[CFG_MF_SERVICE], svc->field[CFG_MF_TYPE], cmd,
	               hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "");
	cfgp_suggest_fini(&sg);
}

/* check_options - "-o" words that are not name=value */
static void check_options(struct cfgp_check *ck, const struct cfg_service *svc,
                          const struct cfgp_setting *s)
{
	const struct cfg_strvec *a = &svc->argv;

	for (size_t i = 1; i < a->n; i++) {
		const char *w = a->v[i];

		if (w[0] != '-' || strcmp(w, "--") == 0)
			break;
		if (strcmp(w, "-o") != 0)
			continue;
		if (i + 1 >= a->n) {
			cfgp_check_add(ck, CFG_SEV_ERROR, "mastercf-option", s,
			               "service %s/%s: -o without name=value",
			               svc->field[CFG_MF_SERVICE], svc->field[CFG_MF_TYPE]);
			break;
		}
		w = a->v[++i];
		if (strchr(w, '=') == NULL || w[0] == '=')
			cfgp_check_add(ck, CFG_SEV_ERROR, "mastercf-option", s,
			               "service %s/%s: -o %s: %s", svc->field[CFG_MF_SERVICE],
			               svc->field[CFG_MF_TYPE], w,
			               w[0] == '=' ? "missing attribute name"
			                           : "missing '=' after attribute name");
	}
}

/* has_service - a master.cf entry with this name (and type, unless NULL) */
static const struct cfg_service *has_service(const struct cfgp_check *ck, const char *name,
                                             const char *type)
{
	for (size_t i = 0; i < ck->master->nsvcs; i++) {
		const struct cfg_service *svc = &ck->master->svcs[i];

		if (strcmp(svc->field[CFG_MF_SERVICE], name) == 0
		    && (type == NULL || strcmp(svc->field[CFG_MF_TYPE], type) == 0))
			return svc;
	}
	return NULL;
}

/* named_by - the explicit transport setting that hands mail to service name, or NULL */
static const struct cfgp_setting *named_by(struct cfgp_check *ck, const char *name)
{
	for (size_t i = 0; i < ck->nsets; i++) {
		const struct cfgp_setting *s = &ck->sets[i];
		const struct cfg_param_def *def = cfg_registry_find(s->name);
		struct cfg_buf v;
		int hit;

		if (def == NULL || !(def->flags & CFG_PF_TRANSPORT))
			continue;
		cfg_buf_init(&v);
		if (cfgp_check_expand(ck, s, s->value, &v) < 0) {
			cfg_buf_reset(&v);
			cfg_buf_adds(&v, s->value);
		}
		hit = strncmp(v.data, name, strlen(name)) == 0
		      && (v.data[strlen(name)] == ':' || v.data[strlen(name)] == '\0');
		cfg_buf_fini(&v);
		if (hit)
			return s;
	}
	return NULL;
}

/*
 * check_support - fail closed: an entry runs a daemon, a service type and
 * column values postkit implements, or (a daemon postkit lacks) nothing
 * uses it: it does not listen for clients and no transport setting names it
 */
static void check_support(struct cfgp_check *ck, const struct cfg_service *svc,
                          const struct cfgp_setting *s)
{
	const char *name = svc->field[CFG_MF_SERVICE], *type = svc->field[CFG_MF_TYPE];
	const char *cmd = svc->argv.n ? svc->argv.v[0] : "";
	const struct cfg_daemon_def *d = cfg_daemon_find(cmd);
	const struct cfg_service_type_def *st = cfg_service_type_find(type);
	const struct cfgp_setting *user;

	if (d == NULL && cmd[0] != '/')
		return; /* not a daemon: check_command() says so */
	if (d == NULL || !d->impl) {
		if (st != NULL && strcmp(type, "unix") != 0 && strcmp(type, "unix-dgram") != 0)
			cfgp_check_add(
			    ck, CFG_SEV_ERROR, "unsupported-command", s,
			    "service %s/%s: command %s is not implemented by postkit%s%s%s", name,
			    type, cmd, d ? " (" : "", d ? d->desc : "", d ? ")" : "");
		else if ((user = named_by(ck, name)) != NULL)
			cfgp_check_add(
			    ck, CFG_SEV_ERROR, "unsupported-command", s,
			    "service %s/%s: command %s is not implemented by postkit%s%s%s, "
			    "and %s hands mail to it",
			    name, type, cmd, d ? " (" : "", d ? d->desc : "", d ? ")" : "",
			    user->name);
		return;
	}
	if (st != NULL && !st->impl)
		cfgp_check_add(ck, CFG_SEV_ERROR, "unsupported-service-type", s,
		               "service %s/%s: service type %s is not implemented by postkit (%s)",
		               name, type, type, st->note);
	for (unsigned f = CFG_MF_PRIVATE; f < CFG_MF_COMMAND; f++) {
		const struct cfg_field_value_def *fv =
		    cfg_field_value_find((enum cfg_master_field)f, svc->field[f]);

		if (fv != NULL && !fv->impl)
			cfgp_check_add(ck, CFG_SEV_ERROR, "unsupported-column", s,
			               "service %s/%s: %s = %s is not implemented by postkit (%s)",
			               name, type, cfg_master_field_name(fv->field), svc->field[f],
			               fv->note);
	}
}

/* check_transports - every transport main.cf names has a master.cf service */
static void check_transports(struct cfgp_check *ck)
{
	const struct cfg_param_def *def;

	for (size_t i = 0; (def = cfg_registry_at(i)) != NULL; i++) {
		const char *const *p = &def->name;
		const struct cfgp_setting *s;

		if (!(def->flags & CFG_PF_TRANSPORT))
			continue;
		s = cfgp_check_setting(ck, *p);
		struct cfg_buf v;
		char *t;

		cfg_buf_init(&v);
		if (cfgp_check_effective(ck, *p, &v) < 0 || v.len == 0) {
			cfg_buf_fini(&v);
			continue;
		}
		t = cfg_xstrndup(v.data, strcspn(v.data, ":"));
		if (*t != 0 && has_service(ck, t, NULL) == NULL) {
			if (s != NULL)
				cfgp_check_add_at(
				    ck, CFG_SEV_ERROR, "mastercf-transport", s, t, 0, 0,
				    "%s: transport \"%s\" has no master.cf service; mail "
				    "for it stays in the queue",
				    *p, t);
			else
				cfg_diags_add(ck->diags, CFG_SEV_WARNING, "mastercf-transport",
				              ck->master_path, 0, 0,
				              "missing '%s' service in master.cf: %s = %s needs it",
				              t, *p, v.data);
		}
		free(t);
		cfg_buf_fini(&v);
	}
}

/* proxied_service - ref ("$proxymap_service_name"...) names a master.cf unix service */
static int proxied_service(struct cfgp_check *ck, const struct cfg_service *svc, const char *ref)
{
	struct cfg_buf v;
	int ok;

	cfg_buf_init(&v);
	ok = cfgp_check_expand_in(ck, svc, ref, &v) == 0 && has_service(ck, v.data, "unix") != NULL;
	cfg_buf_fini(&v);
	return ok;
}

/*
 * check_jail - a jailed service whose daemon has a TLS session cache table
 * (the registry has CMD_tls_session_cache_database) cannot reach it: the
 * table lives in data_directory, outside queue_directory.  Say what that
 * means, as a note: resumption saves a handshake, mail is not affected.
 * A jailed client (a daemon qmgr delivers through: smtp, lmtp) reaches its
 * cache through proxywrite, so with the proxymap and proxywrite services in
 * master.cf it gets no note.
 */
static void check_jail(struct cfgp_check *ck, const struct cfg_service *svc,
                       const struct cfgp_setting *s)
{
	const char *cmd = svc->argv.n ? svc->argv.v[0] : "";
	const struct cfg_daemon_def *daemon = cfg_daemon_find(cmd);
	int client = daemon != NULL && (daemon->flags & CFG_DF_DELIVERS);
	struct cfg_param_def tmp;
	const struct cfg_param_def *def;
	struct cfg_buf ref, val;

	if (strcmp(svc->field[CFG_MF_CHROOT], "y") != 0 || strchr(cmd, '/') != NULL)
		return;
	if (client && proxied_service(ck, svc, "$proxymap_service_name")
	    && proxied_service(ck, svc, "$proxywrite_service_name"))
		return;
	cfg_buf_init(&ref);
	cfg_buf_init(&val);
	cfg_buf_printf(&ref, "%s_tls_session_cache_database", cmd);
	def = cfg_validate_lookup_def(ref.data, &tmp);
	if (def == NULL || def == &tmp)
		goto out;
	cfg_buf_reset(&ref);
	cfg_buf_printf(&ref, "$%s_tls_session_cache_database", cmd);
	if (cfgp_check_expand_in(ck, svc, ref.data, &val) == 0 && val.len > 0)
		cfgp_check_add(
		    ck, CFG_SEV_NOTE, "mastercf-jail-cache", s,
		    "service %s/%s: chroot = y: %s_tls_session_cache_database (%s) is outside "
		    "the jail and is not used: %s",
		    svc->field[CFG_MF_SERVICE], svc->field[CFG_MF_TYPE], cmd, val.data,
		    client ? "every TLS connection is a full handshake"
		           : "TLS sessions are resumed with session tickets only");
out:
	cfg_buf_fini(&val);
	cfg_buf_fini(&ref);
}

void cfgp_check_master(struct cfgp_check *ck)
{
	const struct cfg_mastercf *m = ck->master;
	struct stat st;

	if (m->nsvcs == 0) {
		if (stat(ck->master_path, &st) != 0)
			cfg_diags_add(
			    ck->diags, CFG_SEV_ERROR, "mastercf-missing", ck->master_path, 0, 0,
			    "no %s file found (the master daemon cannot start any service)",
			    ck->master_path);
		return;
	}
	for (size_t i = 0; i < m->nsvcs; i++) {
		const struct cfg_service *svc = &m->svcs[i];
		const char *type = svc->field[CFG_MF_TYPE];
		struct cfgp_setting s;

		svc_setting(ck, svc, &s);
		for (size_t k = 0; k < i; k++) {
			const struct cfg_service *o = &m->svcs[k];

			if (strcmp(o->field[CFG_MF_SERVICE], svc->field[CFG_MF_SERVICE]) == 0
			    && strcmp(o->field[CFG_MF_TYPE], type) == 0) {
				/* one of the two is silently not run: refuse it (issue 18) */
				cfgp_check_add(
				    ck, CFG_SEV_ERROR, "mastercf-duplicate", &s,
				    "duplicate master.cf entry for service \"%s\" (%s) -- "
				    "using the last entry (line %u is ignored)",
				    svc->field[CFG_MF_SERVICE], type, o->line);
				break;
			}
		}
		if (strcmp(type, "inet") == 0) {
			if (strcmp(svc->field[CFG_MF_PRIVATE], "y") == 0)
				cfgp_check_add(
				    ck, CFG_SEV_ERROR, "mastercf-private", &s,
				    "service %s/inet: inet service cannot be private (set "
				    "the private field to n)",
				    svc->field[CFG_MF_SERVICE]);
			check_listen(ck, svc, &s);
		}
		check_command(ck, svc, &s);
		check_options(ck, svc, &s);
		check_support(ck, svc, &s);
		check_jail(ck, svc, &s);
	}
	for (const char *const *p = cfg_client_services(); *p && !ck->master_bad; p++)
		if (has_service(ck, *p, NULL) == NULL)
			cfg_diags_add(
			    ck->diags, CFG_SEV_WARNING, "mastercf-internal", ck->master_path, 0, 0,
			    "missing '%s' service in master.cf: the Postfix programs that "
			    "connect to it fail",
			    *p);
	check_transports(ck);
}
