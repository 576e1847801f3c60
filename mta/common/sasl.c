/* sasl.c - Dovecot's auth protocol (client side), base64, SASL option flags (see sasl.h) */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "log.h"
#include "sasl.h"
#include "stream.h"

struct mech {
	char *name;
	unsigned flags;
};

struct sasl_server {
	char *path;
	int timeout;
	int fd;
	struct mta_stream st;
	struct mech *mechs;
	size_t nmechs;
	unsigned long next_id;
	unsigned long cur_id; /* the request in progress, 0 none */
};

/* ---- base64 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void sasl_b64_encode(const void *data, size_t len, struct cfg_buf *out)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		cfg_buf_addc(out, b64[(v >> 18) & 63]);
		cfg_buf_addc(out, b64[(v >> 12) & 63]);
		cfg_buf_addc(out, i + 1 < len ? b64[(v >> 6) & 63] : '=');
		cfg_buf_addc(out, i + 2 < len ? b64[v & 63] : '=');
	}
	if (out->data == NULL)
		cfg_buf_adds(out, "");
}

int sasl_b64_decode(const char *text, struct cfg_buf *out)
{
	size_t n = strlen(text);
	unsigned v = 0;
	int bits = 0, pad = 0;

	if (n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *c = strchr(b64, text[i]);

		if (text[i] == '=') {
			/* only at the end, at most two */
			if (i + 2 < n || (i + 2 == n && text[n - 1] != '='))
				return -1;
			pad++;
			continue;
		}
		if (c == NULL || text[i] == '\0' || pad)
			return -1;
		v = (v << 6) | (unsigned)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			cfg_buf_addc(out, (char)((v >> bits) & 0xff));
		}
	}
	if (out->data == NULL)
		cfg_buf_adds(out, "");
	return 0;
}

int sasl_b64_valid(const char *text)
{
	struct cfg_buf b;
	int ok;

	cfg_buf_init(&b);
	ok = sasl_b64_decode(text, &b) == 0;
	cfg_buf_fini(&b);
	return ok;
}

/* ---- security options ---- */

int sasl_mech_flags(const struct cfg_strvec *opts, unsigned *deny, unsigned *require,
                    struct cfg_buf *why)
{
	static const struct {
		const char *name;
		unsigned deny, require;
	} tab[] = {
	    {"noanonymous", SASL_M_ANONYMOUS, 0},   {"noplaintext", SASL_M_PLAINTEXT, 0},
	    {"nodictionary", SASL_M_DICTIONARY, 0}, {"noactive", SASL_M_ACTIVE, 0},
	    {"mutual_auth", 0, SASL_M_MUTUAL_AUTH}, {"forward_secrecy", 0, SASL_M_FORWARD_SECRECY},
	};

	*deny = SASL_M_PRIVATE;
	*require = 0;
	for (size_t i = 0; i < opts->n; i++) {
		size_t k;

		for (k = 0; k < sizeof(tab) / sizeof(tab[0]); k++)
			if (strcasecmp(opts->v[i], tab[k].name) == 0)
				break;
		if (k == sizeof(tab) / sizeof(tab[0])) {
			cfg_buf_printf(why, "unknown SASL security option \"%s\"", opts->v[i]);
			return -1;
		}
		*deny |= tab[k].deny;
		*require |= tab[k].require;
	}
	return 0;
}

void sasl_conf_flags(struct mta_conf *conf, const char *param, unsigned *deny, unsigned *require)
{
	struct cfg_strvec v;
	struct cfg_buf why;

	cfg_strvec_init(&v);
	cfg_buf_init(&why);
	mta_conf_named(conf, param, &v);
	if (sasl_mech_flags(&v, deny, require, &why) < 0)
		mta_fatal("%s: %s", param, why.data);
	cfg_buf_fini(&why);
	cfg_strvec_fini(&v);
}

unsigned sasl_client_flags(const char *mech)
{
	if (strcasecmp(mech, "PLAIN") == 0 || strcasecmp(mech, "LOGIN") == 0)
		return SASL_M_PLAINTEXT | SASL_M_DICTIONARY;
	return SASL_M_PRIVATE; /* a mechanism the client does not know */
}

/* ---- the auth server connection ---- */

struct sasl_server *sasl_server_new(const char *path, int timeout)
{
	struct sasl_server *d = cfg_xcalloc(1, sizeof(*d));

	d->path = cfg_xstrdup(path);
	d->timeout = timeout > 0 ? timeout : 30;
	d->fd = -1;
	return d;
}

/* disconnect - forget the connection and what it told us */
static void disconnect(struct sasl_server *d)
{
	if (d->fd >= 0) {
		mta_stream_fini(&d->st);
		close(d->fd);
	}
	d->fd = -1;
	for (size_t i = 0; i < d->nmechs; i++)
		free(d->mechs[i].name);
	free(d->mechs);
	d->mechs = NULL;
	d->nmechs = 0;
	d->cur_id = 0;
}

void sasl_server_free(struct sasl_server *d)
{
	if (d == NULL)
		return;
	disconnect(d);
	free(d->path);
	free(d);
}

/* open_socket - "inet:host:port" or a UNIX socket path; fd or -1 with errno */
static int open_socket(const char *path)
{
	int fd;

	if (strncmp(path, "inet:", 5) == 0) {
		char host[256];
		const char *colon = strrchr(path + 5, ':');
		struct addrinfo hints, *res = NULL;

		if (colon == NULL || (size_t)(colon - (path + 5)) >= sizeof(host)) {
			errno = EINVAL;
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - (path + 5)), path + 5);
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
			errno = EHOSTUNREACH;
			return -1;
		}
		fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
			int e = errno;

			close(fd);
			errno = e;
			fd = -1;
		}
		freeaddrinfo(res);
		return fd;
	} else {
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(path) >= sizeof(sun.sun_path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(sun.sun_path, path, strlen(path) + 1);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		return fd;
	}
}

/* read_line - one line from the server without its LF into line; 0 or -1 */
static int read_line(struct sasl_server *d, struct cfg_buf *line)
{
	int eol = 0;

	cfg_buf_reset(line);
	if (mta_stream_gets(&d->st, line, 65536, &eol) == 0 || !eol)
		return -1;
	cfg_buf_truncate(line, line->len - 1);
	return 0;
}

/* add_mech - "MECH\tNAME\tflag..." */
static void add_mech(struct sasl_server *d, const struct cfg_strvec *f)
{
	static const struct {
		const char *name;
		unsigned flag;
	} flags[] = {{"anonymous", SASL_M_ANONYMOUS},
	             {"plaintext", SASL_M_PLAINTEXT},
	             {"dictionary", SASL_M_DICTIONARY},
	             {"active", SASL_M_ACTIVE},
	             {"forward-secrecy", SASL_M_FORWARD_SECRECY},
	             {"mutual-auth", SASL_M_MUTUAL_AUTH},
	             {"private", SASL_M_PRIVATE}};
	struct mech *m;

	if (f->n < 2)
		return;
	d->mechs = cfg_xreallocarray(d->mechs, d->nmechs + 1, sizeof(*d->mechs));
	m = &d->mechs[d->nmechs++];
	m->name = cfg_xstrdup(f->v[1]);
	m->flags = 0;
	for (size_t i = 2; i < f->n; i++)
		for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
			if (strcmp(f->v[i], flags[k].name) == 0)
				m->flags |= flags[k].flag;
}

/* connect_server - connect and read the handshake up to DONE; 0 or -1 with why */
static int connect_server(struct sasl_server *d, struct cfg_buf *why)
{
	struct cfg_buf line;
	int rc = -1;

	if (d->fd >= 0)
		return 0;
	if ((d->fd = open_socket(d->path)) < 0) {
		cfg_buf_printf(why, "Connect to %s failed: %s", d->path, strerror(errno));
		return -1;
	}
	mta_stream_init(&d->st, d->fd, d->timeout);
	mta_stream_printf(&d->st, "VERSION\t1\t2\nCPID\t%ld\n", (long)getpid());
	cfg_buf_init(&line);
	if (mta_stream_flush(&d->st) == 0) {
		while (read_line(d, &line) == 0) {
			struct cfg_strvec f;

			cfg_strvec_init(&f);
			cfg_strvec_split(&f, line.data, "\t");
			if (f.n && strcmp(f.v[0], "VERSION") == 0 && f.n > 1
			    && strcmp(f.v[1], "1") != 0) {
				cfg_buf_printf(why,
				               "Authentication server protocol version %s is not "
				               "supported",
				               f.v[1]);
				cfg_strvec_fini(&f);
				break;
			}
			if (f.n && strcmp(f.v[0], "MECH") == 0)
				add_mech(d, &f);
			rc = f.n && strcmp(f.v[0], "DONE") == 0 ? 0 : -1;
			cfg_strvec_fini(&f);
			if (rc == 0)
				break;
		}
	}
	if (rc < 0 && why->len == 0)
		cfg_buf_printf(why, "Connection lost to authentication server");
	cfg_buf_fini(&line);
	if (rc < 0)
		disconnect(d);
	return rc;
}

int sasl_server_mechs(struct sasl_server *d, unsigned deny, unsigned require,
                      struct cfg_strvec *out, struct cfg_buf *why)
{
	if (connect_server(d, why) < 0)
		return -1;
	for (size_t i = 0; i < d->nmechs; i++)
		if (!(d->mechs[i].flags & deny) && (d->mechs[i].flags & require) == require)
			cfg_strvec_add(out, d->mechs[i].name);
	return 0;
}

/* lost - the server is gone: a temporary failure, and a new connection next time */
static void lost(struct sasl_server *d, struct sasl_step *st)
{
	disconnect(d);
	st->status = SASL_TEMP;
	cfg_buf_reset(&st->data);
	cfg_buf_adds(&st->data, "Connection lost to authentication server");
}

void sasl_step_init(struct sasl_step *st)
{
	st->status = SASL_FAIL;
	cfg_buf_init(&st->data);
	cfg_buf_adds(&st->data, "");
	st->user = NULL;
}

void sasl_step_fini(struct sasl_step *st)
{
	cfg_buf_fini(&st->data);
	free(st->user);
	st->user = NULL;
}

/* answer - read until the reply to the request in progress; fills st */
static void answer(struct sasl_server *d, struct sasl_step *st)
{
	struct cfg_buf line;

	cfg_buf_init(&line);
	cfg_buf_reset(&st->data);
	free(st->user);
	st->user = NULL;
	st->status = SASL_TEMP;
	for (;;) {
		struct cfg_strvec f;
		int done = 0;

		if (read_line(d, &line) < 0) {
			lost(d, st);
			break;
		}
		cfg_strvec_init(&f);
		cfg_strvec_split(&f, line.data, "\t");
		/* a reply to an abandoned request is dropped */
		if (f.n >= 2 && strtoul(f.v[1], NULL, 10) == d->cur_id) {
			done = 1;
			if (strcmp(f.v[0], "CONT") == 0) {
				st->status = SASL_CONT;
				cfg_buf_adds(&st->data, f.n > 2 ? f.v[2] : "");
			} else if (strcmp(f.v[0], "OK") == 0 || strcmp(f.v[0], "FAIL") == 0) {
				st->status = f.v[0][0] == 'O' ? SASL_OK : SASL_FAIL;
				for (size_t i = 2; i < f.n; i++) {
					if (strncmp(f.v[i], "user=", 5) == 0) {
						free(st->user);
						st->user = cfg_xstrdup(f.v[i] + 5);
					} else if (strncmp(f.v[i], "reason=", 7) == 0) {
						cfg_buf_reset(&st->data);
						cfg_buf_adds(&st->data, f.v[i] + 7);
					} else if (strcmp(f.v[i], "temp") == 0
					           && st->status == SASL_FAIL) {
						st->status = SASL_TEMP;
					}
				}
				d->cur_id = 0;
			} else {
				done = 0;
			}
		}
		cfg_strvec_fini(&f);
		if (done)
			break;
	}
	cfg_buf_fini(&line);
}

void sasl_server_start(struct sasl_server *d, const char *mech, const char *initial,
                       const struct sasl_client_info *ci, struct sasl_step *st)
{
	struct cfg_buf why;

	cfg_buf_init(&why);
	if (connect_server(d, &why) < 0) {
		st->status = SASL_TEMP;
		cfg_buf_reset(&st->data);
		cfg_buf_adds(&st->data, why.data);
		cfg_buf_fini(&why);
		return;
	}
	cfg_buf_fini(&why);
	d->cur_id = ++d->next_id;
	mta_stream_printf(&d->st, "AUTH\t%lu\t%s\tservice=%s\tnologin", d->cur_id, mech,
	                  ci->service);
	if (ci->local_addr && *ci->local_addr)
		mta_stream_printf(&d->st, "\tlip=%s", ci->local_addr);
	if (ci->remote_addr && *ci->remote_addr)
		mta_stream_printf(&d->st, "\trip=%s", ci->remote_addr);
	if (ci->local_port && *ci->local_port)
		mta_stream_printf(&d->st, "\tlport=%s", ci->local_port);
	if (ci->remote_port && *ci->remote_port)
		mta_stream_printf(&d->st, "\trport=%s", ci->remote_port);
	if (ci->secured)
		mta_stream_puts(&d->st, "\tsecured");
	if (ci->valid_cert)
		mta_stream_puts(&d->st, "\tvalid-client-cert");
	if (initial)
		mta_stream_printf(&d->st, "\tresp=%s", initial);
	mta_stream_puts(&d->st, "\n");
	if (mta_stream_flush(&d->st) < 0) {
		lost(d, st);
		return;
	}
	answer(d, st);
}

void sasl_server_next(struct sasl_server *d, const char *response, struct sasl_step *st)
{
	if (d->fd < 0 || d->cur_id == 0) {
		lost(d, st);
		return;
	}
	mta_stream_printf(&d->st, "CONT\t%lu\t%s\n", d->cur_id, response);
	if (mta_stream_flush(&d->st) < 0) {
		lost(d, st);
		return;
	}
	answer(d, st);
}
