/*
 * enqueue.c - sendmail posting one message: through postdrop into maildrop/
 *
 * The envelope comes from the options (-f, -F, -N, -R, -V, -G, -t) and the
 * arguments, the content from standard input; both go to "postdrop -r"
 * (submit.h), which writes the queue file.  Addresses are read as Postfix
 * reads them (addrlist.c): a newline in -f only separates words, and the
 * first address is the sender ("-f option specified malformed sender" when
 * there were more); a newline in a recipient argument separates two
 * recipients.  postkit goes one step further than Postfix: an address that
 * still holds a control character is refused, and a full name loses its
 * control characters, so none reaches a header or the mbox "From " line.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "log.h"
#include "qfile.h"
#include "sendmail.h"
#include "submit.h"

/* line-end handling of sendmail_fix_line_endings */
enum strip_cr { STRIP_DUNNO, STRIP_DO, STRIP_DONT };

/* the recipient headers of -t: regular ones, and Resent- ones that take precedence */
struct xtract {
	int in_headers;
	int resent;           /* a Resent-To/Cc/Bcc header was seen */
	long regular, rr;     /* addresses found in each kind */
	struct cfg_buf field; /* the header being unfolded */
};

/* one message being posted */
struct post {
	struct sm_opts *o;
	struct mta_conf *c;
	uid_t uid;
	char *sender; /* internal form */
	char *postdrop;
	struct submit_stream ps;
	long rcpt_count;
};

/* login_name - the caller's login name; fatal when the uid has none */
static const char *login_name(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);

	if (pw == NULL)
		sm_fatal("no login name found for user ID %lu", (unsigned long)uid);
	return pw->pw_name;
}

/* full_name - -F, $NAME, or the passwd comment up to ',' with '&' as the capitalized login */
static char *full_name(const struct sm_opts *o, uid_t uid)
{
	struct passwd *pw;
	struct cfg_buf b;

	cfg_buf_init(&b);
	if (o->full_name) {
		cfg_buf_adds(&b, o->full_name);
	} else if (getenv("NAME")) {
		cfg_buf_adds(&b, getenv("NAME"));
	} else if ((pw = getpwuid(uid)) != NULL && pw->pw_gecos) {
		for (const char *p = pw->pw_gecos; *p && *p != ','; p++) {
			if (*p != '&') {
				cfg_buf_addc(&b, *p);
				continue;
			}
			cfg_buf_addc(&b, toupper((unsigned char)pw->pw_name[0]));
			if (pw->pw_name[0])
				cfg_buf_adds(&b, pw->pw_name + 1);
		}
	}
	/* a newline would start a header line of its own in From: */
	for (size_t i = 0; i < b.len; i++)
		if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f)
			b.data[i] = ' ';
	return cfg_buf_take(&b);
}

/* choose_sender - the first address of -f, as Postfix; the login name without -f */
static char *choose_sender(struct post *p)
{
	struct cfg_strvec v;
	size_t naddr;
	char *s;

	if (p->o->sender == NULL)
		return cfg_xstrdup(login_name(p->uid));
	cfg_strvec_init(&v);
	addrlist_parse(p->o->sender, &v);
	s = cfg_xstrdup(v.n ? v.v[0] : "");
	naddr = v.n;
	cfg_strvec_fini(&v);
	/* postkit's own rule: what is left of a control character is refused, not queued */
	if (submit_has_control(s))
		sm_fatal("-f option specified malformed sender: %s",
		         submit_printable(p->o->sender));
	if (naddr > 1)
		mta_warn("-f option specified malformed sender: %s",
		         submit_printable(p->o->sender));
	return s;
}

/* add_rcpt - one recipient record */
static void add_rcpt(struct post *p, const char *addr)
{
	char *r;

	if (submit_has_control(addr))
		sm_fatal("%s(%ld): malformed recipient address: %s", p->sender, (long)p->uid,
		         submit_printable(addr));
	r = cfg_xasprintf("%x %s", p->o->notify, addr);
	submit_record(&p->ps, 'R', r);
	free(r);
	p->rcpt_count++;
}

/* envelope - sender, full name, attributes and the argument recipients */
static void envelope(struct post *p)
{
	struct sm_opts *o = p->o;
	char *full = full_name(o, p->uid);
	char flags[8];

	submit_record(&p->ps, 'S', p->sender);
	if (*full)
		submit_record(&p->ps, 'F', full);
	free(full);
	if (o->body) {
		char *a = cfg_xasprintf("encoding=%s", o->body);

		submit_record(&p->ps, 'A', a);
		free(a);
	}
	submit_record(&p->ps, 'A',
	              o->rewrite_context && strcmp(o->rewrite_context, "remote") == 0
	                  ? "rewrite_context=remote"
	                  : "rewrite_context=local");
	if (o->envid) {
		char *a = cfg_xasprintf("envid=%s", o->envid);

		submit_record(&p->ps, 'A', a);
		free(a);
	}
	if (o->ret)
		submit_record(&p->ps, 'A', strcmp(o->ret, "full") == 0 ? "ret=full" : "ret=hdrs");
	if (o->extract || o->verify) {
		snprintf(flags, sizeof(flags), "%x",
		         (o->extract ? QF_H_EXTRACT : 0u) | (o->verify ? QF_H_VERIFY : 0u));
		submit_record(&p->ps, 'H', flags);
	}
	/* each argument is an address list, as some mail programs pass "a, b" */
	for (int i = 0; i < o->nrcpts; i++) {
		struct cfg_strvec v;

		cfg_strvec_init(&v);
		addrlist_parse(o->rcpts[i], &v);
		for (size_t k = 0; k < v.n; k++)
			add_rcpt(p, v.v[k]);
		if (v.n == 0)
			add_rcpt(p, "");
		cfg_strvec_fini(&v);
	}
}

/* xtract_field - count the addresses of one complete header for -t */
static void xtract_field(struct xtract *x)
{
	static const char *const names[] = {"to", "cc", "bcc", NULL};
	char *colon = strchr(x->field.data, ':');
	const char *name = x->field.data;
	int resent = 0;

	if (colon == NULL)
		return;
	*colon = '\0';
	if (strncasecmp(name, "resent-", 7) == 0) {
		resent = 1;
		name += 7;
	}
	for (size_t i = 0; names[i]; i++) {
		struct cfg_strvec v;

		if (strcasecmp(name, names[i]) != 0)
			continue;
		cfg_strvec_init(&v);
		addrlist_parse(colon + 1, &v);
		if (resent) {
			x->resent = 1;
			x->rr += (long)v.n;
		} else {
			x->regular += (long)v.n;
		}
		cfg_strvec_fini(&v);
	}
}

/* xtract_line - follow the header section of the message for -t */
static void xtract_line(struct xtract *x, const char *line)
{
	size_t n = strcspn(line, ":");

	if (!x->in_headers)
		return;
	if ((line[0] == ' ' || line[0] == '\t') && x->field.len) {
		cfg_buf_adds(&x->field, line);
		return;
	}
	if (x->field.len)
		xtract_field(x);
	cfg_buf_reset(&x->field);
	/* "name:" with a printable name starts a header; anything else starts the body */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)line[i] <= ' ' || (unsigned char)line[i] >= 0x7f)
			n = 0;
	if (line[n] != ':' || n == 0) {
		x->in_headers = 0;
		return;
	}
	cfg_buf_adds(&x->field, line);
}

/* strip_mode - sendmail_fix_line_endings */
static enum strip_cr strip_mode(struct mta_conf *c)
{
	const char *v = mta_conf_str(c, CFG_P_sendmail_fix_line_endings);

	if (strcmp(v, "always") == 0)
		return STRIP_DO;
	if (strcmp(v, "strict") == 0)
		return STRIP_DUNNO;
	if (strcmp(v, "never") == 0)
		return STRIP_DONT;
	sm_fatal("invalid sendmail_fix_line_endings value: %s", v);
}

/* copy_content - standard input to postdrop: leading From_ lines dropped, line ends fixed */
static void copy_content(struct post *p, struct xtract *x)
{
	enum strip_cr strip = strip_mode(p->c);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int skip_from = 1;

	submit_record(&p->ps, 'M', NULL);
	while ((n = getline(&line, &cap, stdin)) > 0) {
		int nl = line[n - 1] == '\n';

		if (nl)
			line[--n] = '\0';
		if (skip_from) {
			if (nl && strncmp(line + strspn(line, ">"), "From ", 5) == 0)
				continue;
			skip_from = 0;
		}
		if (strip == STRIP_DUNNO && nl)
			strip = n > 0 && line[n - 1] == '\r' ? STRIP_DO : STRIP_DONT;
		if (strip == STRIP_DO && nl)
			while (n > 0 && line[n - 1] == '\r')
				line[--n] = '\0';
		if (p->o->dot_ends && nl && strcmp(line, ".") == 0)
			break;
		xtract_line(x, line);
		if (nl)
			line[n++] = '\n';
		submit_content(&p->ps, line, (size_t)n);
	}
	if (ferror(stdin))
		sm_fatal("%s(%ld): error reading input: %m", p->sender, (long)p->uid);
	free(line);
	if (x->in_headers && x->field.len)
		xtract_field(x);
}

/* finish - the end record, and what postdrop's exit status means */
static void finish(struct post *p)
{
	int status = submit_finish(&p->ps);

	if (status == 0)
		return;
	if (status == SUBMIT_TOO_BIG)
		sm_fatal("%s(%ld): message file too big", p->sender, (long)p->uid);
	if (status > 128)
		mta_warn("command \"%s -r\" killed by signal %d", p->postdrop, status - 128);
	else
		mta_warn("command \"%s -r\" exited with status %d", p->postdrop, status);
	sm_fatal("%s(%ld): unable to execute %s -r: Application error", p->sender, (long)p->uid,
	         p->postdrop);
}

int sm_enqueue(struct sm_opts *o, struct mta_conf *c)
{
	/* static: a fatal error exits with them still reachable */
	static struct post p;
	static struct xtract x;
	const char *who;

	memset(&p, 0, sizeof(p));
	memset(&x, 0, sizeof(x));
	p.o = o;
	p.c = c;
	p.uid = getuid();
	if ((who = submit_user_denied(c, "authorized_submit_users", p.uid)) != NULL)
		sm_fatal("User %s(%ld) is not allowed to submit mail", who, (long)p.uid);
	p.sender = choose_sender(&p);
	p.postdrop = submit_program(c, "postdrop");
	if (submit_open(&p.ps, p.postdrop, mta_conf_dir(c)) < 0)
		sm_fatal("%s(%ld): unable to execute %s -r: %m", p.sender, (long)p.uid, p.postdrop);
	envelope(&p);
	cfg_buf_init(&x.field);
	x.in_headers = o->extract;
	if (o->verify) {
		/* -bv: no message is read; the probe only names the recipients */
		submit_record(&p.ps, 'M', NULL);
		submit_content(&p.ps, "Subject: probe\n\n", 16);
	} else {
		copy_content(&p, &x);
	}
	if (o->extract)
		p.rcpt_count += x.resent ? x.rr : x.regular;
	cfg_buf_fini(&x.field);
	if (p.rcpt_count == 0) {
		submit_cancel(&p.ps);
		if (o->extract)
			sm_fatal("%s(%ld): No recipient addresses found in message header",
			         p.sender, (long)p.uid);
		sm_fatal(
		    "%s(%ld): Recipient addresses must be specified on the command line or via "
		    "the -t option",
		    p.sender, (long)p.uid);
	}
	finish(&p);
	if (o->verify) {
		printf("Mail Delivery Status Report will be mailed to <%s>.\n", p.sender);
		if (fflush(stdout) != 0)
			return SM_EX_TEMPFAIL;
	}
	free(p.postdrop);
	free(p.sender);
	return 0;
}
