/* cleanup_masq.c - address masquerading: masquerade_domains and its exceptions (see cleanup.h) */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/base/xalloc.h"
#include "cleanup_int.h"
#include "log.h"
#include "maps.h"
#include "match.h"

unsigned cleanup_masq_classes(const struct cfg_strvec *words)
{
	static const struct {
		const char *name;
		unsigned bit;
	} classes[] = {
	    {"envelope_sender", CLEANUP_MASQ_ENV_FROM},
	    {"envelope_recipient", CLEANUP_MASQ_ENV_RCPT},
	    {"header_sender", CLEANUP_MASQ_HDR_FROM},
	    {"header_recipient", CLEANUP_MASQ_HDR_RCPT},
	};
	unsigned bits = 0;

	for (size_t i = 0; i < words->n; i++) {
		size_t k = 0;

		while (k < sizeof(classes) / sizeof(classes[0])
		       && strcasecmp(words->v[i], classes[k].name) != 0)
			k++;
		/* postfix check refuses it first; a daemon started anyway stops here */
		if (k == sizeof(classes) / sizeof(classes[0]))
			mta_fatal("unknown masquerade_classes value \"%s\"", words->v[i]);
		bits |= classes[k].bit;
	}
	return bits;
}

static int string_list(const struct cfg_strvec *l, const char *name, int depth);

/* file_list - the words of a "/file/name" element, as a list of their own */
static int file_list(const char *path, const char *name, int depth)
{
	struct cfg_strvec words;
	struct cfg_buf text;
	char *line, *nl;
	int rc;

	cfg_buf_init(&text);
	/* the text kept before a chroot jail (match.h), or the file */
	if (depth > 8 || match_file_text(path, &text) < 0) {
		mta_warn("open %s: %m", path);
		cfg_buf_fini(&text);
		return -1;
	}
	cfg_strvec_init(&words);
	for (line = text.data; line && *line; line = nl ? nl + 1 : NULL) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (line[strspn(line, " \t")] == '#')
			continue;
		cfg_strvec_split(&words, line, ", \t\r\n");
	}
	cfg_buf_fini(&text);
	rc = string_list(&words, name, depth + 1);
	cfg_strvec_fini(&words);
	return rc;
}

/*
 * string_list - Postfix's string list: names (case-insensitive),
 * "type:table" (the name is a key), "/file/name" (more elements) and
 * "!element".  The first element that matches decides: 1 match, 0 not, -1
 * table error.
 */
static int string_list(const struct cfg_strvec *l, const char *name, int depth)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *e = l->v[i];
		int neg = 0, rc;

		while (*e == '!') {
			neg = !neg;
			e++;
		}
		if (*e == '/') {
			rc = file_list(e, name, depth);
		} else if (strchr(e, ':') != NULL) {
			const char *value;

			rc = mta_map_get(e, name, &value);
		} else {
			rc = strcasecmp(e, name) == 0;
		}
		if (rc < 0)
			return -1;
		if (rc > 0)
			return !neg;
	}
	return 0;
}

int cleanup_masquerade(struct cleanup *c, struct cfg_buf *addr)
{
	const struct cfg_strvec *domains = &c->cfg->masq_domains;
	const char *at = strrchr(addr->data, '@');
	const char *domain;
	size_t dlen;

	if (domains->n == 0 || at == NULL)
		return 0;
	if (c->cfg->masq_exceptions.n) {
		char *user = cfg_xstrndup(addr->data, (size_t)(at - addr->data));
		int rc;

		for (char *p = user; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		rc = string_list(&c->cfg->masq_exceptions, user, 0);
		free(user);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	domain = at + 1;
	dlen = strlen(domain);
	/* left to right, the first domain that matches decides */
	for (size_t i = 0; i < domains->n; i++) {
		const char *m = domains->v[i];
		int strip = *m != '!';
		size_t mlen;

		if (!strip)
			m++;
		mlen = strlen(m);
		if (mlen == 0)
			continue;
		if (mlen == dlen) {
			if (strcasecmp(m, domain) == 0)
				return 0;
		} else if (mlen < dlen && domain[dlen - mlen - 1] == '.'
		           && strcasecmp(m, domain + dlen - mlen) == 0) {
			if (!strip)
				return 0;
			cfg_buf_truncate(addr, (size_t)(domain - addr->data));
			cfg_buf_adds(addr, m);
			return 1;
		}
	}
	return 0;
}
