/*
 * test_edit.c - check suite for libcfg/edit: postconf-style edits of main.cf and master.cf
 *
 * The table rows were produced by running Postfix 3.7's postconf on the same
 * input and arguments: want is the file it wrote, diags what it printed
 * (without the "postconf: " prefix, the config directory shown as DIR),
 * rc -1 when it stopped with a fatal error.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/doc/edit.h"
#include "cfg/base/strvec.h"

struct row {
	enum cfg_edit_what what;
	char mode;
	const char *args[4];
	const char *text;
	const char *want;
	const char *diags;
	int rc;
};

static const struct row rows[] = {
    {CFG_EDIT_MAIN,
     'e',
     {"a=9", NULL},
     "a = 1,\n # c1\n\n   2\n#c2\n  3\nb = 2\n",
     "a = 9\n # c1\n\n#c2\nb = 2\n",
     "",
     0},
    {CFG_EDIT_MAIN,
     'X',
     {"a", NULL},
     "a = 1,\n # c1\n\n   2\n#c2\n  3\nb = 2\n",
     " # c1\n\n#c2\nb = 2\n",
     "",
     0},
    {CFG_EDIT_MAIN,
     '#',
     {"a", NULL},
     "a = 1,\n # c1\n\n   2\n#c2\n  3\nb = 2\n",
     "#a = 1,\n # c1\n\n#   2\n#c2\n#  3\nb = 2\n",
     "",
     0},
    {CFG_EDIT_MAIN, 'X', {"a", NULL}, "a = 1\nb = 2", "b = 2", "", 0},
    {CFG_EDIT_MAIN, 'e', {"b=3", NULL}, "a = 1\nb = 2", "a = 1\nb = 3\n", "", 0},
    {CFG_EDIT_MAIN, 'e', {"c=3", NULL}, "", "c = 3\n", "", 0},
    {CFG_EDIT_MAIN, 'e', {"a=5", NULL}, "a = 1\r\nb = 2\r\n", "a = 5\nb = 2\r\n", "", 0},
    {CFG_EDIT_MAIN,
     'e',
     {"a=5", NULL},
     "  x = orphan\na = 1\na=2\n",
     "  x = orphan\na = 5\na = 5\n",
     "warning: DIR/main.cf: multiple entries for \"a\"\n",
     0},
    {CFG_EDIT_MAIN,
     'e',
     {"a=5", "a=6", NULL},
     "a=1\n",
     "a = 6\n",
     "warning: ignoring earlier request: 'a = 5'\n",
     0},
    {CFG_EDIT_MAIN,
     'e',
     {"=foo", NULL},
     "a = 1\n",
     "a = 1\n",
     "fatal: missing attribute name: \"=foo\"\n",
     -1},
    {CFG_EDIT_MAIN,
     'e',
     {"bad name=foo", NULL},
     "a = 1\n",
     "a = 1\n",
     "fatal: missing '=' after attribute name: \"bad name=foo\"\n",
     -1},
    {CFG_EDIT_MAIN, 'e', {"x-y=foo", NULL}, "a = 1\n", "a = 1\nx-y = foo\n", "", 0},
    {CFG_EDIT_MAIN, 'e', {" lead = sp  ", NULL}, "a = 1\n", "a = 1\nlead = sp\n", "", 0},
    {CFG_EDIT_MAIN,
     'e',
     {"  #a=b", NULL},
     "a = 1\n",
     "a = 1\n",
     "fatal: -e, -X, or -# accepts no comment input\n",
     -1},
    {CFG_EDIT_MAIN,
     'e',
     {"a=b\nc=d", NULL},
     "a = 1\n",
     "a = 1\n",
     "fatal: -e, -X, or -# accepts no multi-line input\n",
     -1},
    {CFG_EDIT_MAIN, 'e', {"a=", NULL}, "a = 1\n", "a = \n", "", 0},
    {CFG_EDIT_MAIN,
     'e',
     {"a", NULL},
     "a = 1\n",
     "a = 1\n",
     "fatal: missing '=' after attribute name: \"a\"\n",
     -1},
    {CFG_EDIT_MAIN,
     'X',
     {"", NULL},
     "a = 1\n",
     "a = 1\n",
     "fatal: -X or -# requires non-blank parameter names\n",
     -1},
    {CFG_EDIT_MAIN, 'X', {" a ", NULL}, "a = 1\n", "a = 1\n", "", 0},
    {CFG_EDIT_MAIN, '#', {"a b", NULL}, "a = 1\n", "a = 1\n", "", 0},
    {CFG_EDIT_MAIN, 'X', {"a", NULL}, "a b = 1\n", "", "", 0},
    {CFG_EDIT_MAIN,
     '#',
     {"a", NULL},
     "a\t= 1\na=2\n  a = 3\n",
     "#a\t= 1\n#a=2\n#  a = 3\n",
     "warning: DIR/main.cf: multiple entries for \"a\"\n",
     0},
    {CFG_EDIT_MAIN,
     'e',
     {"a=1", "b=2", NULL},
     "#a = 0\n#b = 0\nb = 1\n",
     "#a = 0\n#b = 0\nb = 2\na = 1\n",
     "",
     0},
    {CFG_EDIT_ENTRY,
     'e',
     {"submission/inet=submission inet n - y - - smtpd -o a=b -o c=d", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\nsubmission inet  n "
     "      -       y       -       -       smtpd\n    -o a=b\n    -o c=d\n",
     "",
     0},
    {CFG_EDIT_ENTRY,
     'e',
     {"relay/unix=relay unix - - n - 3 smtp", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nrelay      unix  -       -       n       -       3       "
     "smtp\n# c2\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "",
     0},
    {CFG_EDIT_ENTRY,
     'e',
     {"zz/unix=smtp inet n - n - - smtpd -v", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp       inet  n       -       n       -       -       smtpd -v\n#c1\nrelay unix - - y - - "
     "smtp\n  -o syslog_name=x\n# c2\n  -o a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp "
     "argv=uux ($recipient)\n",
     "",
     0},
    {CFG_EDIT_ENTRY,
     'e',
     {"*/unix=x unix - - n - - smtp", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nx          unix  -       -       n       -       -       "
     "smtp\n# c2\n",
     "",
     0},
    {CFG_EDIT_ENTRY,
     'e',
     {"foo/bogus=foo bogus n - n - - smtpd", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "fatal: invalid type field \"bogus\" in \"foo bogus n - n - - smtpd\"\n",
     -1},
    {CFG_EDIT_ENTRY,
     'e',
     {"foo/inet=foo inet n - n", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "fatal: bad field count: \"foo/inet=foo inet n - n\"\n",
     -1},
    {CFG_EDIT_ENTRY,
     'e',
     {"foo/inet=foo inet n - n 10? 5x smtpd", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "fatal: invalid process_limit field \"5x\" in \"foo inet n - n 10? 5x smtpd\"\n",
     -1},
    {CFG_EDIT_ENTRY,
     'e',
     {"foo=foo inet n - n - - smtpd", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "fatal: -Me, -MX or -M# requires service_name/type\n",
     -1},
    {CFG_EDIT_ENTRY,
     'e',
     {"smtp/inet=smtp inet n - n - - smtpd -o {a = b", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp       inet  n       -       n       -       -       smtpd\n    -o a=b\n#c1\nrelay unix "
     "- - y - - smtp\n  -o syslog_name=x\n# c2\n  -o a=1\nuucp unix - n n - - pipe\n  flags=F "
     "user=uucp argv=uux ($recipient)\n",
     "warning: master.cf: missing '}' in \"{a = b\"\nwarning: master.cf: missing '}' in \"{a = "
     "b\"\nwarning: master.cf: missing '}' in \"{a = b\"\n",
     0},
    {CFG_EDIT_ENTRY,
     'e',
     {"x/unix=x unix - - n - - smtp -o { a = b c } -oq=1 -vo r=2 { arg  one } two", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\nx          unix  - "
     "      -       n       -       -       smtp\n    -o {a=b c}\n    -o q=1\n    -v\n    -o r=2\n "
     "   arg  one two\n",
     "",
     0},
    {CFG_EDIT_ENTRY,
     'X',
     {"relay/unix", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\n# c2\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux "
     "($recipient)\n",
     "",
     0},
    {CFG_EDIT_ENTRY,
     '#',
     {"relay/unix", "uucp/unix", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\n#relay unix - - y - - smtp\n#  -o syslog_name=x\n# c2\n#  -o "
     "a=1\n#uucp unix - n n - - pipe\n#  flags=F user=uucp argv=uux ($recipient)\n",
     "",
     0},
    {CFG_EDIT_FIELD,
     'e',
     {"smtp/inet/process_limit=50", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "#c1\nsmtp       inet  n       -       n       -       50      smtpd\nrelay unix - - y - - "
     "smtp\n  -o syslog_name=x\n# c2\n  -o a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp "
     "argv=uux ($recipient)\n",
     "",
     0},
    {CFG_EDIT_FIELD,
     'e',
     {"relay/unix/chroot=maybe", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "fatal: invalid chroot field \"maybe\" in \"maybe\"\n",
     -1},
    {CFG_EDIT_FIELD,
     'e',
     {"relay/unix/bogus=1", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "fatal: invalid service attribute name: \"bogus\"\n",
     -1},
    {CFG_EDIT_FIELD,
     'e',
     {"relay/unix/chroot=a b", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "fatal: -Fe does not accept whitespace in non-command field\n",
     -1},
    {CFG_EDIT_FIELD,
     'e',
     {"relay/unix/*=a", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "fatal: -Fe does not accept wild-card field name\n",
     -1},
    {CFG_EDIT_FIELD,
     'e',
     {"uucp/unix/service=uucp2", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp2      unix  -       n       n       -       -       pipe flags=F user=uucp\n    "
     "argv=uux ($recipient)\n",
     "",
     0},
    {CFG_EDIT_FIELD,
     'e',
     {"relay/unix/command=smtp -o { a = b c } x", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\n# c2\nrelay      unix  -       -       y       -       -     "
     "  smtp\n    -o {a=b c}\n    x\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux "
     "($recipient)\n",
     "",
     0},
    {CFG_EDIT_FIELD,
     'e',
     {"nosuch/unix/chroot=n", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "warning: unmatched service_name/type: \"nosuch/unix/chroot=n\"\n",
     0},
    {CFG_EDIT_FIELD,
     'X',
     {"relay/unix/chroot", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "fatal: with option -F, do not specify -X\n",
     -1},
    {CFG_EDIT_PARAM,
     'e',
     {"relay/unix/a=2", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\n# c2\nrelay      unix  -       -       y       -       -     "
     "  smtp\n    -o syslog_name=x\n    -o a=2\nuucp unix - n n - - pipe\n  flags=F user=uucp "
     "argv=uux ($recipient)\n",
     "",
     0},
    {CFG_EDIT_PARAM,
     'e',
     {"smtp/inet/new=1", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "#c1\nsmtp       inet  n       -       n       -       -       smtpd\n    -o new=1\nrelay "
     "unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o a=1\nuucp unix - n n - - pipe\n  flags=F "
     "user=uucp argv=uux ($recipient)\n",
     "",
     0},
    {CFG_EDIT_PARAM,
     'e',
     {"uucp/unix/x=y", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp       unix  -       n       n       -       -       pipe\n    -o x=y\n    flags=F "
     "user=uucp argv=uux ($recipient)\n",
     "",
     0},
    {CFG_EDIT_PARAM,
     'e',
     {"relay/unix/x=a b", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "fatal: -Pe does not accept whitespace in parameter value\n",
     -1},
    {CFG_EDIT_PARAM,
     'X',
     {"relay/unix/syslog_name", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\n# c2\nrelay      unix  -       -       y       -       -     "
     "  smtp\n    -o a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "",
     0},
    {CFG_EDIT_PARAM,
     'X',
     {"nosuch/unix/x", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "warning: unmatched service_name/type: \"nosuch/unix/x\"\n",
     0},
    {CFG_EDIT_PARAM,
     '#',
     {"relay/unix/x", NULL},
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "smtp inet n - n - - smtpd\n#c1\nrelay unix - - y - - smtp\n  -o syslog_name=x\n# c2\n  -o "
     "a=1\nuucp unix - n n - - pipe\n  flags=F user=uucp argv=uux ($recipient)\n",
     "fatal: with option -P, do not specify -#\n",
     -1},
    {CFG_EDIT_PARAM,
     'e',
     {"smtp/inet/x=1", NULL},
     "smtp inet n - n\n",
     "smtp inet n - n\n",
     "fatal: file DIR/master.cf: line 1: bad field count\n",
     -1},
    {CFG_EDIT_ENTRY,
     'X',
     {"relay/unix", NULL},
     "smtp inet n - n - - smtpd\nlonely\nrelay unix - - n - - smtp\n",
     "smtp inet n - n - - smtpd\nlonely\nrelay unix - - n - - smtp\n",
     "fatal: file DIR/master.cf: line 2: specify service name and type on the same line\n",
     -1},
    {CFG_EDIT_ENTRY,
     'X',
     {"relay/unix", NULL},
     "q=1 unix - - n - - smtp\n",
     "q=1 unix - - n - - smtp\n",
     "fatal: file DIR/master.cf: line 1: service name syntax \"q=1\" is unsupported with -Me, -Fe, "
     "-Pe, -X, or -#\n",
     -1},
};

/* run - parse and apply; diagnostics rendered as Postfix prints them */
static int run(enum cfg_edit_what what, int mode, const char *const *args, const char *text,
               struct cfg_buf *out, struct cfg_buf *msgs)
{
	struct cfg_diags ds;
	struct cfg_edit *ed = NULL;
	size_t n = 0, i;
	int rc;

	cfg_diags_init(&ds);
	while (args[n] != NULL)
		n++;
	rc = cfg_edit_parse(what, (enum cfg_edit_mode)mode, (char *const *)args, n, &ed, &ds);
	if (rc == 0)
		rc = cfg_edit_apply(ed, what == CFG_EDIT_MAIN ? "DIR/main.cf" : "DIR/master.cf",
		                    text, strlen(text), out, &ds);
	for (i = 0; i < ds.n; i++)
		cfg_buf_printf(msgs, "%s: %s\n", cfg_severity_name(ds.v[i].sev), ds.v[i].msg);
	cfg_edit_free(ed);
	cfg_diags_fini(&ds);
	return rc;
}

START_TEST(test_rows_match_postfix)
{
	const struct row *r = &rows[_i];
	struct cfg_buf out, msgs;
	int rc;

	cfg_buf_init(&out);
	cfg_buf_init(&msgs);
	rc = run(r->what, r->mode, r->args, r->text, &out, &msgs);
	ck_assert_msg(rc == r->rc, "row %d (%s): rc got %d, want %d", _i, r->args[0], rc, r->rc);
	ck_assert_msg(strcmp(msgs.data, r->diags) == 0, "row %d (%s): diags got\n%s\nwant\n%s", _i,
	              r->args[0], msgs.data, r->diags);
	if (rc == 0)
		ck_assert_msg(strcmp(out.data, r->want) == 0, "row %d (%s): text got\n%s\nwant\n%s",
		              _i, r->args[0], out.data, r->want);
	cfg_buf_fini(&out);
	cfg_buf_fini(&msgs);
}
END_TEST

/* Where postkit deliberately differs: Postfix glues the appended text to an unterminated last line. */
START_TEST(test_unterminated_last_line_gets_newline)
{
	static const char *const set_c[] = {"c=3", NULL};
	static const char *const add_b[] = {"b/unix=b unix - - n - - smtp", NULL};
	static const char *const fe[] = {"a/inet/process_limit=3", NULL};
	struct cfg_buf out, msgs;

	cfg_buf_init(&out);
	cfg_buf_init(&msgs);
	ck_assert_int_eq(run(CFG_EDIT_MAIN, 'e', set_c, "a = 1\nb = 2", &out, &msgs), 0);
	ck_assert_str_eq(out.data, "a = 1\nb = 2\nc = 3\n");
	cfg_buf_reset(&out);
	ck_assert_int_eq(run(CFG_EDIT_ENTRY, 'e', add_b, "a unix - - n - - smtp", &out, &msgs), 0);
	ck_assert_str_eq(out.data,
	                 "a unix - - n - - smtp\n"
	                 "b          unix  -       -       n       -       -       smtp\n");
	cfg_buf_reset(&out);
	/* the read-ahead copies the unterminated comment before the rewritten entry */
	ck_assert_int_eq(run(CFG_EDIT_FIELD, 'e', fe, "a inet n - n - - smtpd\n#c", &out, &msgs),
	                 0);
	ck_assert_str_eq(out.data,
	                 "#c\na          inet  n       -       n       -       3       smtpd\n");
	ck_assert_str_eq(msgs.data, "");
	cfg_buf_fini(&out);
	cfg_buf_fini(&msgs);
}
END_TEST

/* Where postkit deliberately differs: Postfix crashes on these. */
START_TEST(test_postfix_crashes_handled)
{
	static const char *const x_twice[] = {"a", "a", NULL};
	static const char *const empty_cmd[] = {"a/inet/command=", NULL};
	struct cfg_buf out, msgs;

	cfg_buf_init(&out);
	cfg_buf_init(&msgs);
	ck_assert_int_eq(run(CFG_EDIT_MAIN, 'X', x_twice, "a = 1\nb = 2\n", &out, &msgs), 0);
	ck_assert_str_eq(out.data, "b = 2\n");
	ck_assert_str_eq(msgs.data, "");
	ck_assert_int_eq(
	    run(CFG_EDIT_FIELD, 'e', empty_cmd, "a inet n - n - - smtpd\n", &out, &msgs), -1);
	ck_assert_str_eq(msgs.data, "fatal: invalid command field \"\" in \"\"\n");
	cfg_buf_fini(&out);
	cfg_buf_fini(&msgs);
}
END_TEST

START_TEST(test_parse_fills_requests)
{
	char a0[] = "smtp//inet/process_limit = 5", a1[] = "*/unix/chroot=n";
	char *args[] = {a0, a1};
	struct cfg_diags ds;
	struct cfg_edit *ed;

	cfg_diags_init(&ds);
	ck_assert_int_eq(cfg_edit_parse(CFG_EDIT_FIELD, CFG_EDIT_SET, args, 2, &ed, &ds), 0);
	ck_assert_uint_eq(ed->nreqs, 2);
	ck_assert_str_eq(ed->reqs[0].name, "smtp");
	ck_assert_str_eq(ed->reqs[0].type, "inet");
	ck_assert_str_eq(ed->reqs[0].sub, "process_limit");
	ck_assert_int_eq(ed->reqs[0].field, 6);
	ck_assert_str_eq(ed->reqs[0].value, "5");
	ck_assert_str_eq(ed->reqs[1].name, "*");
	ck_assert_str_eq(ed->reqs[1].raw, "*/unix/chroot=n");
	cfg_edit_free(ed);
	ck_assert_uint_eq(ds.n, 0);
	cfg_diags_fini(&ds);
}
END_TEST

START_TEST(test_print_entry_and_overrides)
{
	struct cfg_buf out;
	struct cfg_strvec nv;
	struct cfg_diags ds;

	cfg_buf_init(&out);
	cfg_diags_init(&ds);
	ck_assert_int_eq(cfg_edit_print_entry("x unix - - n - - smtp -o { a = b c } -oq=1\n  -v x",
	                                      1, &out, &ds),
	                 0);
	ck_assert_str_eq(out.data, "x          unix  -       -       n       -       -       smtp\n"
	                           "    -o {a=b c}\n    -o q=1\n    -v x\n");
	cfg_buf_reset(&out);
	ck_assert_int_eq(cfg_edit_print_entry("x unix - - n - - smtp -o a=1 y", 0, &out, &ds), 0);
	ck_assert_str_eq(
	    out.data, "x          unix  -       -       n       -       -       smtp -o a=1 y\n");
	ck_assert_int_eq(cfg_edit_print_entry("x unix - -", 1, &out, &ds), -1);
	ck_assert_uint_eq(ds.n, 1);
	ck_assert_str_eq(ds.v[0].msg, "bad field count");
	cfg_strvec_init(&nv);
	cfg_edit_entry_overrides(
	    "x unix - - n - - smtp -oa=1 -vo b=2 -o { c = 3 4 } -o d -- -o e=5", &nv);
	ck_assert_uint_eq(nv.n, 6);
	ck_assert_str_eq(nv.v[0], "a");
	ck_assert_str_eq(nv.v[1], "1");
	ck_assert_str_eq(nv.v[3], "2");
	ck_assert_str_eq(nv.v[4], "c");
	ck_assert_str_eq(nv.v[5], "3 4");
	cfg_strvec_fini(&nv);
	cfg_diags_fini(&ds);
	cfg_buf_fini(&out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("edit");
	TCase *tc = tcase_create("edit");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_rows_match_postfix, 0, (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, test_unterminated_last_line_gets_newline);
	tcase_add_test(tc, test_postfix_crashes_handled);
	tcase_add_test(tc, test_parse_fills_requests);
	tcase_add_test(tc, test_print_entry_and_overrides);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
