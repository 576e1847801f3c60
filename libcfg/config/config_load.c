/*
 * config_load.c - reading a configuration directory: main.cf, master.cf,
 * postconf -o overrides, master.cf name spaces, service-defined parameters
 * and the host-derived defaults Postfix computes at start-up
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cfg/config/effective.h"
#include "cfg/param/hostinfo.h"
#include "cfg/schema/registry.h"
#include "cfg/base/xalloc.h"
#include "config_int.h"

#define DEF_CONFIG_DIR "/etc/postfix"
#define CONF_ENV_PATH "MAIL_CONFIG"

/* path_join - "dir/file", exactly as Postfix builds it (no slash folding) */
static char *path_join(const char *dir, const char *file)
{
	return cfg_xasprintf("%s/%s", dir, file);
}

/* split_nameval - Postfix's split_nameval(): "name = value" with optional whitespace */
static const char *split_nameval(const char *s, char **name, char **value)
{
	const char *np, *ne, *vp, *ve;

	np = s + strspn(s, " \t\r\n");
	ne = np + strcspn(np, " \t\r\n=");
	if (ne == np)
		return "missing attribute name";
	vp = ne + strspn(ne, " \t\r\n");
	if (*vp != '=')
		return "missing '=' after attribute name";
	vp++;
	vp += strspn(vp, " \t\r\n");
	ve = vp + strlen(vp);
	while (ve > vp && strchr(" \t\r\n", ve[-1]) != NULL)
		ve--;
	*name = cfg_xstrndup(np, (size_t)(ne - np));
	*value = cfg_xstrndup(vp, (size_t)(ve - vp));
	return NULL;
}

/* set_overrides - apply "name=value" strings (postconf -o) */
static int set_overrides(struct cfg_config *cfg, const struct cfg_load_opts *o,
                         struct cfg_diags *diags)
{
	for (size_t i = 0; i < o->noverrides; i++) {
		char *name, *value;
		const char *err = split_nameval(o->overrides[i], &name, &value);

		if (err != NULL) {
			cfg_diags_add(diags, CFG_SEV_FATAL, "config-bad-override", NULL, 0, 0,
			              "invalid parameter override: %s: %s", o->overrides[i], err);
			return -1;
		}
		free(cfg_htab_put(cfg->over, name, value));
		free(name);
	}
	return 0;
}

/* add_scope_name - remember that scope index si sets name with -o */
static void add_scope_name(struct cfg_config *cfg, const char *name, size_t si)
{
	struct cfgp_idxlist *l = cfg_htab_get(cfg->name_scopes, name);

	if (l == NULL) {
		l = cfg_xcalloc(1, sizeof(*l));
		cfg_htab_put(cfg->name_scopes, name, l);
	}
	if (l->n > 0 && l->v[l->n - 1] == si)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 2;
		l->v = cfg_xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = si;
}

/* build_scopes - one name space per distinct service/type, holding its -o settings */
static void build_scopes(struct cfg_config *cfg)
{
	const struct cfg_mastercf *m = cfg->master;

	cfg->scopes = cfg_xcalloc(m->nsvcs ? m->nsvcs : 1, sizeof(*cfg->scopes));
	cfg->svc_scope = cfg_xcalloc(m->nsvcs ? m->nsvcs : 1, sizeof(*cfg->svc_scope));
	for (size_t i = 0; i < m->nsvcs; i++) {
		const struct cfg_service *svc = &m->svcs[i];
		char *key =
		    cfg_xasprintf("%s/%s", svc->field[CFG_MF_SERVICE], svc->field[CFG_MF_TYPE]);
		size_t si = (size_t)(uintptr_t)cfg_htab_get(cfg->scope_by_key, key);
		struct cfgp_scope *sc;

		if (si == 0) {
			sc = &cfg->scopes[cfg->nscopes++];
			sc->key = key;
			sc->service = cfg_xstrdup(svc->field[CFG_MF_SERVICE]);
			sc->params = cfg_htab_new(8);
			sc->valid = cfg_htab_new(4);
			si = cfg->nscopes;
			cfg_htab_put(cfg->scope_by_key, key, (void *)(uintptr_t)si);
		} else {
			free(key);
			sc = &cfg->scopes[si - 1];
		}
		cfg->svc_scope[i] = si - 1;
		for (size_t k = 0; k < svc->novr; k++) {
			cfg_htab_put(sc->params, svc->ovr[k].name, svc->ovr[k].value);
			add_scope_name(cfg, svc->ovr[k].name, si - 1);
		}
	}
}

/* register_services - service-defined parameters of master.cf delivery agents */
static void register_services(struct cfg_config *cfg)
{
	size_t nt;
	const struct cfg_service_param_template *t = cfg_service_param_templates(&nt);

	for (size_t i = 0; i < cfg->master->nsvcs; i++) {
		const struct cfg_service *svc = &cfg->master->svcs[i];
		const char *cmd = svc->argv.n ? svc->argv.v[0] : "";

		for (size_t k = 0; k < nt; k++) {
			const struct cfg_param_def *d;
			char *name;

			if (!cfg_service_template_applies(&t[k], cmd))
				continue;
			name = cfg_xasprintf("%s%s", svc->field[CFG_MF_SERVICE], t[k].suffix);
			if (!cfg_htab_has(cfg->service, name)) {
				d = cfgp_builtin(cfg, name);
				cfg_htab_put(
				    cfg->service, name,
				    (void *)(d ? (d->defval ? d->defval : "") : t[k].defval));
				cfg_htab_put(cfg->known, name, NULL);
			}
			free(name);
		}
	}
}

/* dict_expand - v (when not NULL) expanded against the dict onto out, as mail_conf_lookup_eval() */
static int dict_expand(struct cfg_config *cfg, const char *v, struct cfg_buf *out,
                       struct cfg_diags *diags)
{
	if (v == NULL)
		return 0;
	if (cfgp_expand(cfg, NULL, CFGP_LOOKUP_DICT, v, out, diags) < 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "config-macro-error", NULL, 0, 0,
		              "dictionary mail_dict: macro processing error");
		return -1;
	}
	return 0;
}

/* dict_eval - expand the dict value of name as mail_conf_lookup_eval() does; NULL when unset */
static int dict_eval(struct cfg_config *cfg, const char *name, struct cfg_buf *out, int *set,
                     struct cfg_diags *diags)
{
	const char *v = cfgp_dict_get(cfg, name);

	*set = v != NULL;
	return dict_expand(cfg, v, out, diags);
}

/* style_eval - the effective mynetworks_style etc. expanded against the dict (default if unset) */
static int eff_eval(struct cfg_config *cfg, const char *name, struct cfg_buf *out,
                    struct cfg_diags *diags)
{
	const char *v = cfgp_dict_get(cfg, name);

	if (v == NULL)
		v = cfg_config_default(cfg, name);
	return dict_expand(cfg, v, out, diags);
}

/* compute_host_defaults - myhostname, mydomain, mynetworks as Postfix computes them at start */
static int compute_host_defaults(struct cfg_config *cfg, struct cfg_diags *diags)
{
	struct cfg_buf host, dom, style, ifs, protos, out;
	struct cfg_hostinfo_in in = {0};
	int hset, dset, rc = -1;

	cfg_buf_init(&host);
	cfg_buf_init(&dom);
	cfg_buf_init(&style);
	cfg_buf_init(&ifs);
	cfg_buf_init(&protos);
	cfg_buf_init(&out);
	in.process_name = cfg->process_name;

	/* myhostname: main.cf value expanded, else the host name (+ mydomain). */
	if (dict_eval(cfg, "myhostname", &host, &hset, diags) < 0)
		goto done;
	if (!hset) {
		if (dict_eval(cfg, "mydomain", &dom, &dset, diags) < 0)
			goto done;
		in.mydomain = dset ? dom.data : NULL;
		if (cfg_hostinfo_compute("myhostname", &in, &out, diags) < 0)
			goto done;
		free(cfg_htab_put(cfg->computed, "myhostname", cfg_xstrdup(out.data)));
		cfg_buf_add(&host, out.data, out.len);
		cfg_buf_reset(&out);
	}
	/* mydomain: from the (expanded) myhostname. */
	if (cfgp_dict_get(cfg, "mydomain") == NULL) {
		in.myhostname = host.data;
		if (cfg_hostinfo_compute("mydomain", &in, &out, diags) < 0)
			goto done;
		free(cfg_htab_put(cfg->computed, "mydomain", cfg_xstrdup(out.data)));
		cfg_buf_reset(&out);
	}
	/* mynetworks: from the interfaces and the style in force. */
	if (cfgp_dict_get(cfg, "mynetworks") == NULL) {
		if (eff_eval(cfg, "mynetworks_style", &style, diags) < 0
		    || eff_eval(cfg, "inet_interfaces", &ifs, diags) < 0
		    || eff_eval(cfg, "inet_protocols", &protos, diags) < 0)
			goto done;
		in.mynetworks_style = style.data;
		in.inet_interfaces = ifs.data;
		in.inet_protocols = protos.data;
		if (cfg_hostinfo_compute("mynetworks", &in, &out, diags) < 0)
			goto done;
		free(cfg_htab_put(cfg->computed, "mynetworks", cfg_xstrdup(out.data)));
	}
	rc = 0;
done:
	cfg_buf_fini(&host);
	cfg_buf_fini(&dom);
	cfg_buf_fini(&style);
	cfg_buf_fini(&ifs);
	cfg_buf_fini(&protos);
	cfg_buf_fini(&out);
	return rc;
}

/*
 * file_is_hot - Postfix reads main.cf again (and again) while it was
 * modified within the last second, to let an editor finish; the duplicate
 * warnings of those extra reads only appear then.
 */
static int file_is_hot(const char *path, time_t before)
{
	struct stat st;
	time_t after = time(NULL);

	if (stat(path, &st) < 0)
		return 0;
	return st.st_mtime >= before - 1 && st.st_mtime <= after;
}

/* is_reread_warning - a duplicate warning that names the first definition of a name */
static int is_reread_warning(const struct cfg_maincf *doc, const struct cfg_diag *d)
{
	if (strcmp(d->code, "maincf-duplicate") != 0 || d->param == NULL)
		return 0;
	for (size_t i = 0; i < doc->nents; i++)
		if (doc->ents[i].line == d->line && strcmp(doc->ents[i].name, d->param) == 0)
			return doc->ents[i].prev == 0;
	return 0;
}

/* diag_copy - append a copy of d */
static void diag_copy(struct cfg_diags *ds, const struct cfg_diag *d)
{
	struct cfg_diag *n =
	    cfg_diags_add(ds, d->sev, d->code, d->file, d->line, d->col, "%s", d->msg);

	if (n != NULL && d->param != NULL)
		n->param = cfg_xstrdup(d->param);
}

/* read_main - read DIR/main.cf into cfg->main */
static int read_main(struct cfg_config *cfg, const struct cfg_load_opts *o, struct cfg_diags *diags)
{
	struct cfg_maincf *doc = NULL;
	struct cfg_diags tmp;
	time_t before = time(NULL);
	int rc, hot;

	cfg_diags_init(&tmp);
	if (o->flags & CFG_LOAD_TEXTS) {
		rc = cfg_maincf_parse(cfg->main_path, o->main_text ? o->main_text : "", o->main_len,
		                      &doc, &tmp);
		hot = 0;
	} else {
		rc = cfg_maincf_load(cfg->main_path, &doc, &tmp);
		hot = file_is_hot(cfg->main_path, before);
	}
	for (size_t i = 0; i < tmp.n; i++) {
		/* Keep the "second read" duplicate warnings only when Postfix would read again. */
		if (!hot && doc != NULL && is_reread_warning(doc, &tmp.v[i]))
			continue;
		diag_copy(diags, &tmp.v[i]);
	}
	cfg_diags_fini(&tmp);
	if (doc != NULL) {
		cfg_maincf_free(cfg->main);
		cfg->main = doc;
	}
	if (rc < 0)
		return -1;
	/* -c DIR puts config_directory in the dict before main.cf is read. */
	if (cfg->dir_explicit) {
		const struct cfg_maincf_entry *e = NULL;

		for (size_t i = 0; i < doc->nents; i++) {
			if (strcmp(doc->ents[i].name, "config_directory") == 0) {
				e = &doc->ents[i];
				break;
			}
		}
		if (e != NULL && strcmp(e->value, cfg->dir) != 0)
			cfg_diags_add(diags, CFG_SEV_WARNING, "maincf-duplicate", cfg->main_path,
			              e->line, 0, "%s, line %u: overriding earlier entry: %s=%s",
			              cfg->main_path, e->line, "config_directory", cfg->dir);
	}
	return 0;
}

/* read_master - read DIR/master.cf into cfg->master; need: a missing file is fatal */
static int read_master(struct cfg_config *cfg, const struct cfg_load_opts *o, int need,
                       struct cfg_diags *diags)
{
	struct cfg_mastercf *doc = NULL;
	struct cfg_diags tmp;
	int rc;

	cfg_diags_init(&tmp);
	if (o->flags & CFG_LOAD_TEXTS)
		rc = cfg_mastercf_parse(cfg->master_path, o->master_text ? o->master_text : "",
		                        o->master_len, &doc, &tmp);
	else
		rc = cfg_mastercf_load(cfg->master_path, &doc, &tmp);
	if (doc == NULL && !need) {
		/* Postfix degrades gracefully: the open error becomes a warning. */
		for (size_t i = 0; i < tmp.n; i++)
			if (tmp.v[i].sev == CFG_SEV_FATAL)
				tmp.v[i].sev = CFG_SEV_WARNING;
		rc = 0;
	}
	cfg_diags_move(diags, &tmp);
	cfg_diags_fini(&tmp);
	if (doc != NULL) {
		cfg_mastercf_free(cfg->master);
		cfg->master = doc;
	}
	return rc;
}

/* new_config - an empty configuration for dir */
static struct cfg_config *new_config(const char *config_dir, const struct cfg_load_opts *o)
{
	struct cfg_config *cfg = cfg_xcalloc(1, sizeof(*cfg));
	const char *env;

	if (config_dir != NULL) {
		cfg->dir = cfg_xstrdup(config_dir);
		cfg->dir_explicit = 1;
	} else if ((env = getenv(CONF_ENV_PATH)) != NULL) {
		cfg->dir = cfg_xstrdup(env);
		cfg->dir_explicit = 1;
	} else {
		cfg->dir = cfg_xstrdup(DEF_CONFIG_DIR);
	}
	cfg->flags = o->flags;
	cfg->process_name = cfg_xstrdup(o->process_name ? o->process_name : "postconf");
	cfg->main_path = path_join(cfg->dir, "main.cf");
	cfg->master_path = path_join(cfg->dir, "master.cf");
	cfg_maincf_parse(cfg->main_path, "", 0, &cfg->main, NULL);
	cfg_mastercf_parse(cfg->master_path, "", 0, &cfg->master, NULL);
	cfg->over = cfg_htab_new(8);
	cfg->deleted = cfg_htab_new(4);
	cfg->service = cfg_htab_new(256);
	cfgp_build_builtins(cfg);
	cfg->users = cfg_htab_new(64);
	cfg->computed = cfg_htab_new(8);
	cfg->rest_classes = cfg_htab_new(8);
	cfg->scope_by_key = cfg_htab_new(64);
	cfg->name_scopes = cfg_htab_new(64);
	return cfg;
}

/* cfg_config_open - load and analyse a configuration directory */
int cfg_config_open(const char *config_dir, const struct cfg_load_opts *opts,
                    struct cfg_config **out, struct cfg_diags *diags)
{
	static const struct cfg_load_opts none;
	const struct cfg_load_opts *o = opts ? opts : &none;
	struct cfg_config *cfg = new_config(config_dir, o);
	int defaults = (o->flags & CFG_LOAD_DEFAULTS) != 0;

	*out = NULL;
	if (o->flags & CFG_LOAD_NEED_MASTER) {
		/* postconf -M/-F/-P: master.cf first, and it must exist. */
		if (read_master(cfg, o, 1, diags) < 0 || read_main(cfg, o, diags) < 0
		    || set_overrides(cfg, o, diags) < 0)
			goto fail;
	} else {
		if (!defaults && (read_main(cfg, o, diags) < 0 || set_overrides(cfg, o, diags) < 0))
			goto fail;
		if ((o->flags & CFG_LOAD_NO_MASTER) == 0 && read_master(cfg, o, 0, diags) < 0)
			goto fail;
	}
	build_scopes(cfg);
	register_services(cfg);
	if (!defaults) {
		if (compute_host_defaults(cfg, diags) < 0
		    || (!(o->flags & CFG_LOAD_NO_SCAN) && cfgp_scan(cfg, diags) < 0))
			goto fail;
	}
	*out = cfg;
	return 0;
fail:
	cfg_config_free(cfg);
	return -1;
}

/* cfg_config_load - cfg_config_open() with only flags */
int cfg_config_load(const char *config_dir, unsigned flags, struct cfg_config **out,
                    struct cfg_diags *diags)
{
	struct cfg_load_opts o = {0};

	o.flags = flags;
	return cfg_config_open(config_dir, &o, out, diags);
}
