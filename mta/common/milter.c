/* milter.c - the milter client: connections, option negotiation, events, replies (see milter.h) */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "cfg/param/list.h"
#include "log.h"
#include "milter_int.h"
#include "netconn.h"

/* what we offer: every action, and every protocol step a filter may leave out or not answer */
#define OFFER_VERSION 6u
#define OFFER_ACTIONS 0x1FFu
#define OFFER_PROTO 0x1FFFFFu

/* the macro settings, in SMFIM_* stage order */
static const char *const macro_params[MILTER_NSTAGES] = {
    "milter_connect_macros",      "milter_helo_macros", "milter_mail_macros",
    "milter_rcpt_macros",         "milter_data_macros", "milter_end_of_data_macros",
    "milter_end_of_header_macros"};

/* default_action - milter_default_action's value as MILTER_DEF_*; -1 when unknown */
static int default_action(const char *act)
{
	static const char *const names[] = {"tempfail", "reject", "accept", "quarantine"};

	for (int i = 0; i < 4; i++)
		if (strcasecmp(act, names[i]) == 0)
			return i;
	return -1;
}

/* protocol - milter_protocol's version (2 to 6; a later word names extensions we ignore) */
static unsigned protocol(const char *v)
{
	unsigned n = (unsigned)strtoul(v, NULL, 10);

	return n >= 2 && n <= OFFER_VERSION ? n : OFFER_VERSION;
}

/*
 * filter_options - "{ inet:host:port, connect_timeout=10s, default_action=accept }":
 * the filter's own settings over the milter_* ones; fatal on one we do not know
 */
static void filter_options(struct milter *f, const char *elem)
{
	struct cfg_strvec w;
	char *spec = cfg_xstrdup(elem + (elem[0] == '{'));
	size_t n = strlen(spec);

	if (n && spec[n - 1] == '}')
		spec[n - 1] = '\0';
	cfg_strvec_init(&w);
	cfg_strvec_split(&w, spec, ", \t\r\n");
	free(spec);
	if (w.n == 0)
		mta_fatal("missing milter address in \"%s\"", elem);
	f->spec = cfg_xstrdup(w.v[0]);
	for (size_t i = 1; i < w.n; i++) {
		char *eq = strchr(w.v[i], '=');
		const char *v = eq ? eq + 1 : "";
		char *end;
		long t = strtol(v, &end, 10);

		if (eq)
			*eq = '\0';
		if (*end == 's' || *end == '\0')
			end += *end == 's';
		if (strcmp(w.v[i], "default_action") == 0 && default_action(v) >= 0)
			f->def_action = default_action(v);
		else if (strcmp(w.v[i], "protocol") == 0)
			f->version_offer = protocol(v);
		else if (strcmp(w.v[i], "connect_timeout") == 0 && *end == '\0' && t > 0)
			f->conn_tmo = t;
		else if (strcmp(w.v[i], "command_timeout") == 0 && *end == '\0' && t > 0)
			f->cmd_tmo = t;
		else if (strcmp(w.v[i], "content_timeout") == 0 && *end == '\0' && t > 0)
			f->content_tmo = t;
		else
			mta_fatal("unsupported milter setting \"%s%s%s\" in \"%s\"", w.v[i],
			          eq ? "=" : "", v, elem);
	}
	cfg_strvec_fini(&w);
}

/* milters_build - the filters of a list (specs, emptied here); NULL when it is empty */
static struct milters *milters_build(struct mta_conf *conf, struct cfg_strvec *specs)
{
	struct milters *m;
	struct milter def;

	if (specs->n == 0) {
		cfg_strvec_fini(specs);
		return NULL;
	}
	memset(&def, 0, sizeof(def));
	def.fd = -1;
	def.conn_tmo = mta_conf_time(conf, mta_conf_id("milter_connect_timeout"));
	def.cmd_tmo = mta_conf_time(conf, mta_conf_id("milter_command_timeout"));
	def.content_tmo = mta_conf_time(conf, mta_conf_id("milter_content_timeout"));
	def.version_offer = protocol(mta_conf_str(conf, mta_conf_id("milter_protocol")));
	def.def_action = default_action(mta_conf_str(conf, mta_conf_id("milter_default_action")));
	if (def.def_action < 0)
		def.def_action = MILTER_DEF_TEMPFAIL;
	m = cfg_xcalloc(1, sizeof(*m));
	m->n = specs->n;
	m->v = cfg_xcalloc(m->n, sizeof(*m->v));
	for (size_t i = 0; i < m->n; i++) {
		m->v[i] = def;
		filter_options(&m->v[i], specs->v[i]);
	}
	cfg_strvec_fini(specs);
	for (int s = 0; s < MILTER_NSTAGES; s++) {
		cfg_strvec_init(&m->macros[s]);
		mta_conf_list(conf, mta_conf_id(macro_params[s]), &m->macros[s]);
	}
	cfg_strvec_init(&m->defaults);
	mta_conf_list(conf, mta_conf_id("milter_macro_defaults"), &m->defaults);
	cfg_buf_init(&m->pkt);
	return m;
}

struct milters *milters_new(struct mta_conf *conf, const char *param)
{
	struct cfg_strvec specs;

	cfg_strvec_init(&specs);
	mta_conf_list(conf, mta_conf_id(param), &specs);
	return milters_build(conf, &specs);
}

struct milters *milters_new_value(struct mta_conf *conf, const char *param, const char *value)
{
	struct cfg_strvec specs;
	struct cfg_diags ds;

	cfg_strvec_init(&specs);
	cfg_diags_init(&ds);
	if (cfg_list_split(value, &specs, param, &ds) < 0)
		mta_fatal("%s: bad milter list \"%s\"", param, value);
	cfg_diags_fini(&ds);
	return milters_build(conf, &specs);
}

/* close_one - drop a filter's connection */
static void close_one(struct milter *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	for (int s = 0; s < MILTER_NSTAGES; s++) {
		free(f->symlist[s]);
		f->symlist[s] = NULL;
	}
}

/*
 * close_all - QUIT (after ABORT when abort is set) and close every filter;
 * silent 1: not to a filter that already decided the session, 2: to none
 */
static void close_all(struct milters *m, int abort, int silent)
{
	for (size_t i = 0; m && i < m->n; i++) {
		int quiet = silent == 2 || (silent == 1 && m->v[i].state == MILTER_DONE);

		if (m->v[i].fd >= 0 && !quiet) {
			if (abort)
				milterp_send(m, &m->v[i], 'A', NULL, 0);
			if (m->v[i].fd >= 0)
				milterp_send(m, &m->v[i], 'Q', NULL, 0);
		}
		close_one(&m->v[i]);
	}
	if (m)
		m->fn = NULL;
}

void milter_disconnect(struct milters *m)
{
	close_all(m, 1, 0);
}

void milter_quit(struct milters *m, int silent)
{
	close_all(m, 0, silent ? 2 : 1);
}

void milters_free(struct milters *m)
{
	if (m == NULL)
		return;
	milter_disconnect(m);
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].spec);
	free(m->v);
	for (int s = 0; s < MILTER_NSTAGES; s++)
		cfg_strvec_fini(&m->macros[s]);
	cfg_strvec_fini(&m->defaults);
	cfg_buf_fini(&m->pkt);
	free(m);
}

/* wait_fd - poll one descriptor; 0 ready, -1 with errno (ETIMEDOUT) */
static int wait_fd(int fd, short ev, long tmo)
{
	struct pollfd p = {.fd = fd, .events = ev};
	int n;

	do
		n = poll(&p, 1, (int)(tmo * 1000));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

/* io_all - write or read exactly len bytes within tmo seconds each; 0 or -1 */
static int io_all(int fd, int wr, char *p, size_t len, long tmo)
{
	while (len > 0) {
		ssize_t n;

		if (wait_fd(fd, wr ? POLLOUT : POLLIN, tmo) < 0)
			return -1;
		n = wr ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* milterp_fail - a filter broke: log, close, and remember it for the rest of the session */
void milterp_fail(struct milter *f, const char *fmt, ...)
{
	va_list ap;
	char text[512];

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	mta_warn("milter %s: %s", f->spec, text);
	close_one(f);
	f->state = MILTER_FAILED;
}

int milterp_send(struct milters *m, struct milter *f, char cmd, const char *data, size_t len)
{
	unsigned char hdr[5];
	uint32_t n = htonl((uint32_t)len + 1);

	(void)m; /* kept for symmetry with milterp_recv */
	f->last = cmd;
	memcpy(hdr, &n, 4);
	hdr[4] = (unsigned char)cmd;
	if (io_all(f->fd, 1, (char *)hdr, 5, f->cmd_tmo) < 0
	    || (len && io_all(f->fd, 1, (char *)data, len, f->cmd_tmo) < 0)) {
		milterp_fail(f, "error writing command %c: %s", cmd,
		             errno ? strerror(errno) : "Success");
		return -1;
	}
	return 0;
}

/* cmd_name - libmilter's name of a command we send */
static const char *cmd_name(char cmd)
{
	static const char codes[] = "OCHMRTLNBEAQD";
	static const char *const names[] = {
	    "SMFIC_OPTNEG", "SMFIC_CONNECT", "SMFIC_HELO", "SMFIC_MAIL", "SMFIC_RCPT",
	    "SMFIC_DATA",   "SMFIC_HEADER",  "SMFIC_EOH",  "SMFIC_BODY", "SMFIC_BODYEOB",
	    "SMFIC_ABORT",  "SMFIC_QUIT",    "SMFIC_MACRO"};
	const char *p = strchr(codes, cmd);

	return p && cmd ? names[p - codes] : "unknown";
}

int milterp_recv(struct milters *m, struct milter *f, long tmo, char *cmd)
{
	unsigned char hdr[5];
	uint32_t n;

	if (io_all(f->fd, 0, (char *)hdr, 5, tmo) < 0) {
		/* a filter that hung up is an "Application error", as Postfix words it */
		milterp_fail(f, "can't read %s reply packet header: %s", cmd_name(f->last),
		             errno ? strerror(errno) : "Application error");
		return -1;
	}
	memcpy(&n, hdr, 4);
	n = ntohl(n);
	if (n < 1 || n > MILTER_MAX_PACKET) {
		milterp_fail(f, "bad packet length: %lu", (unsigned long)n);
		return -1;
	}
	*cmd = (char)hdr[4];
	cfg_buf_reset(&m->pkt);
	cfg_buf_reserve(&m->pkt, n);
	if (n > 1 && io_all(f->fd, 0, m->pkt.data, n - 1, tmo) < 0) {
		milterp_fail(f, "can't read %s reply packet body: %s", cmd_name(f->last),
		             errno ? strerror(errno) : "Application error");
		return -1;
	}
	m->pkt.len = n - 1;
	m->pkt.data[m->pkt.len] = '\0';
	return 0;
}

/* open_socket - connect to "inet:host:port" or "unix:/path" within the connect timeout */
static int open_socket(const char *spec, long tmo)
{
	int unix_path = strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0;
	const char *name = unix_path                        ? strchr(spec, ':') + 1
	                   : strncmp(spec, "inet:", 5) == 0 ? spec + 5
	                                                    : spec;
	int fd = netconn_open(name, unix_path, time(NULL) + tmo);

	if (fd >= 0) {
		int one = 1;

		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK); /* io_all() polls */
		/*
		 * A macro packet and its command go out back to back before the
		 * filter answers: with Nagle the second waits for the filter's
		 * delayed ACK (40 ms on Linux) at every step of every message.
		 */
		if (!unix_path)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return fd;
}

/* get32 - a network-order 32-bit number at p */
static uint32_t get32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

/* put32 - append a network-order 32-bit number */
static void put32(struct cfg_buf *b, uint32_t v)
{
	v = htonl(v);
	cfg_buf_add(b, (const char *)&v, 4);
}

/* negotiate - SMFIC_OPTNEG: versions, actions, protocol steps, and the macros the filter wants */
static int negotiate(struct milters *m, struct milter *f)
{
	struct cfg_buf b;
	char cmd;
	int rc;

	cfg_buf_init(&b);
	/* before version 6 there were fewer protocol steps to leave out */
	put32(&b, f->version_offer);
	put32(&b, OFFER_ACTIONS);
	put32(&b, f->version_offer >= 6 ? OFFER_PROTO : 0x7Fu);
	rc = milterp_send(m, f, 'O', b.data, b.len);
	cfg_buf_fini(&b);
	if (rc < 0 || milterp_recv(m, f, f->cmd_tmo, &cmd) < 0)
		return -1;
	if (cmd != 'O' || m->pkt.len < 12) {
		milterp_fail(f, "unexpected reply to option negotiation: %c", cmd);
		return -1;
	}
	f->version = get32(m->pkt.data);
	f->actions = get32(m->pkt.data + 4);
	f->proto = get32(m->pkt.data + 8);
	if (f->version < 2 || f->version > f->version_offer) {
		milterp_fail(f, "protocol version %u conflict", f->version);
		return -1;
	}
	/* SMFIR_SETSYMLIST: pairs of a stage and the macro names it wants */
	for (size_t off = 12; off + 4 < m->pkt.len;) {
		uint32_t stage = get32(m->pkt.data + off);
		const char *names = m->pkt.data + off + 4;

		off += 4 + strlen(names) + 1;
		if (stage < MILTER_NSTAGES) {
			free(f->symlist[stage]);
			f->symlist[stage] = cfg_xstrdup(names);
		}
	}
	return 0;
}

/* milterp_default - what a failed filter means, as milter_default_action says */
const char *milterp_default(const struct milter *f)
{
	switch (f->def_action) {
	case MILTER_DEF_ACCEPT:
		return NULL;
	case MILTER_DEF_REJECT:
		return "550 5.5.0 Service unavailable";
	case MILTER_DEF_QUARANTINE:
		return MILTER_HOLD;
	default:
		return "451 4.7.1 Service unavailable - try again later";
	}
}

/* milterp_open - connect and negotiate with each filter; failures are logged here */
void milterp_open(struct milters *m)
{
	for (size_t i = 0; i < m->n; i++) {
		struct milter *f = &m->v[i];

		f->state = MILTER_READY;
		if ((f->fd = open_socket(f->spec, f->conn_tmo)) < 0) {
			mta_warn("connect to Milter service %s: %s", f->spec, strerror(errno));
			f->state = MILTER_FAILED;
			continue;
		}
		if (negotiate(m, f) < 0)
			f->state = MILTER_FAILED;
	}
}

const char milter_empty[] = "";

/* macro_value - a macro's value from the caller, or milter_macro_defaults */
static const char *macro_value(struct milters *m, const char *name)
{
	const char *v = m->fn ? m->fn(m->arg, name) : NULL;
	size_t n = strlen(name);

	if (v && (*v || v == milter_empty))
		return v;
	if (name[0] == '{') {
		name++; /* the defaults name macros without braces: {auth_type=x} or auth_type=x */
		n -= 2;
	}
	for (size_t i = 0; i < m->defaults.n; i++) {
		const char *d = m->defaults.v[i];

		if (strncmp(d, name, n) == 0 && d[n + strspn(d + n, " ")] == '=') {
			d += n + strspn(d + n, " ") + 1;
			return d + strspn(d, " ");
		}
	}
	return NULL;
}

/*
 * add_macro - one name\0value\0 pair, when it has a value.  A long name
 * goes in braces ("{mail_addr}"), whether or not the list wrote them (the
 * list parser may have taken them off); a one-letter name goes without.
 */
static void add_macro(struct milters *m, struct cfg_buf *b, const char *listed)
{
	char name[128];
	const char *v;
	size_t n = strlen(listed);

	if (n > 2 && listed[0] == '{' && listed[n - 1] == '}')
		snprintf(name, sizeof(name), "%s", listed);
	else if (n > 1)
		snprintf(name, sizeof(name), "{%s}", listed);
	else
		snprintf(name, sizeof(name), "%s", listed);
	v = macro_value(m, name);
	if (v) {
		cfg_buf_add(b, name, strlen(name) + 1);
		cfg_buf_add(b, v, strlen(v) + 1);
	}
}

int milterp_macros(struct milters *m, struct milter *f, int stage, char code)
{
	struct cfg_buf b;
	int rc;

	cfg_buf_init(&b);
	cfg_buf_add(&b, &code, 1);
	if (f->symlist[stage]) {
		struct cfg_strvec v;

		cfg_strvec_init(&v);
		cfg_strvec_split(&v, f->symlist[stage], " ,");
		for (size_t i = 0; i < v.n; i++)
			add_macro(m, &b, v.v[i]);
		cfg_strvec_fini(&v);
	} else {
		for (size_t i = 0; i < m->macros[stage].n; i++)
			add_macro(m, &b, m->macros[stage].v[i]);
	}
	rc = milterp_send(m, f, 'D', b.data, b.len);
	cfg_buf_fini(&b);
	return rc;
}

/*
 * milterp_reply - a filter's final reply to an event: NULL continue, or an
 * SMTP reply, MILTER_DISCARD, MILTER_HOLD.  Accept takes the filter out of
 * the session (CONNECT, HELO) or of the message; a reject at CONNECT too.
 */
const char *milterp_reply(struct milters *m, struct milter *f, char cmd, int stage)
{
	static char reply[512];

	switch (cmd) {
	case 'c':
		return NULL;
	case 'a':
		f->state = stage <= MILTER_ST_HELO ? MILTER_DONE : MILTER_SKIP_MSG;
		return NULL;
	case 'r':
		if (stage == MILTER_ST_CONNECT)
			f->state = MILTER_DONE;
		return "550 5.7.1 Command rejected";
	case 't':
		if (stage == MILTER_ST_CONNECT)
			f->state = MILTER_DONE;
		return "451 4.7.1 Service unavailable - try again later";
	case 'd':
		return MILTER_DISCARD;
	case 'y':
		if (m->pkt.len < 4 || (m->pkt.data[0] != '4' && m->pkt.data[0] != '5')) {
			milterp_fail(f, "malformed reply: %s", m->pkt.data);
			return milterp_default(f);
		}
		if (stage == MILTER_ST_CONNECT)
			f->state = MILTER_DONE;
		snprintf(reply, sizeof(reply), "%s", m->pkt.data);
		reply[strcspn(reply, "\r\n")] = '\0';
		return reply;
	default:
		milterp_fail(f, "unexpected filter response %c", cmd);
		return milterp_default(f);
	}
}

/*
 * milterp_event - send one command (after its macros) to every filter in the
 * game and collect the replies; the first that is not "continue" decides
 */
const char *milterp_event(struct milters *m, int stage, char code, unsigned skip_flag,
                          unsigned noreply_flag, const char *data, size_t len)
{
	for (size_t i = 0; i < m->n; i++) {
		struct milter *f = &m->v[i];
		const char *r;
		char cmd;

		if (f->state == MILTER_FAILED) {
			if ((r = milterp_default(f)) != NULL)
				return r;
			continue;
		}
		if (f->state != MILTER_READY || (f->proto & skip_flag))
			continue;
		if (milterp_macros(m, f, stage, code) < 0
		    || milterp_send(m, f, code, data, len) < 0)
			r = milterp_default(f);
		else if (f->proto & noreply_flag)
			continue;
		else {
			do
				if (milterp_recv(m, f, f->cmd_tmo, &cmd) < 0)
					return milterp_default(f);
			while (cmd == 'p');
			r = milterp_reply(m, f, cmd, stage);
		}
		if (r)
			return r;
	}
	return NULL;
}

const char *milter_connect(struct milters *m, milter_macro_fn fn, void *arg, const char *name,
                           const char *addr, const char *port)
{
	struct cfg_buf b;
	const char *r;
	uint16_t p = htons((uint16_t)strtoul(port, NULL, 10));

	m->fn = fn;
	m->arg = arg;
	milterp_open(m);
	cfg_buf_init(&b);
	cfg_buf_add(&b, name, strlen(name) + 1);
	cfg_buf_add(&b, strchr(addr, ':') ? "6" : "4", 1);
	cfg_buf_add(&b, (const char *)&p, 2);
	cfg_buf_add(&b, addr, strlen(addr) + 1);
	r = milterp_event(m, MILTER_ST_CONNECT, 'C', SMFIP_NOCONNECT, SMFIP_NR_CONN, b.data, b.len);
	cfg_buf_fini(&b);
	return r;
}

const char *milter_helo(struct milters *m, const char *helo)
{
	return milterp_event(m, MILTER_ST_HELO, 'H', SMFIP_NOHELO, SMFIP_NR_HELO, helo,
	                     strlen(helo) + 1);
}

/* argv_event - MAIL or RCPT: the arguments, each NUL-terminated */
static const char *argv_event(struct milters *m, int stage, char code, unsigned skip, unsigned nr,
                              const struct cfg_strvec *argv)
{
	struct cfg_buf b;
	const char *r;

	cfg_buf_init(&b);
	for (size_t i = 0; i < argv->n; i++)
		cfg_buf_add(&b, argv->v[i], strlen(argv->v[i]) + 1);
	r = milterp_event(m, stage, code, skip, nr, b.data, b.len);
	cfg_buf_fini(&b);
	return r;
}

const char *milter_mail(struct milters *m, const struct cfg_strvec *argv)
{
	return argv_event(m, MILTER_ST_MAIL, 'M', SMFIP_NOMAIL, SMFIP_NR_MAIL, argv);
}

const char *milter_rcpt(struct milters *m, const struct cfg_strvec *argv)
{
	return argv_event(m, MILTER_ST_RCPT, 'R', SMFIP_NORCPT, SMFIP_NR_RCPT, argv);
}

const char *milter_data(struct milters *m)
{
	/* filters of protocol 2 and 3 know no DATA command: it is left out for them */
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].version && m->v[i].version < 4)
			m->v[i].proto |= SMFIP_NODATA;
	return milterp_event(m, MILTER_ST_DATA, 'T', SMFIP_NODATA, SMFIP_NR_DATA, NULL, 0);
}

void milter_abort(struct milters *m)
{
	for (size_t i = 0; m && i < m->n; i++) {
		struct milter *f = &m->v[i];

		if (f->state == MILTER_SKIP_MSG)
			f->state = MILTER_READY;
		if (f->state == MILTER_READY && f->fd >= 0)
			milterp_send(m, f, 'A', NULL, 0);
	}
}
