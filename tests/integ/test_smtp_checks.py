#!/usr/bin/env python3
"""test_smtp_checks.py - smtp_header_checks, smtp_mime_header_checks, smtp_nested_header_checks,
smtp_body_checks and their lmtp_ twins: the content the client sends after the tables edited it.

A postkit instance relays to a small SMTP/LMTP server on 127.0.0.1 that records what it is
sent.  The message, the tables (regexp: and pcre:), what arrived and the log lines are those of
Postfix 3.7.11 in the same setup: only the content actions work in the client (IGNORE, STRIP,
REPLACE, PREPEND, WARN, INFO, DUNNO, OK); REJECT, HOLD, DISCARD, REDIRECT, FILTER, BCC, PASS and
unknown commands are "unsupported command" warnings and the line goes out as it was.  A table
that fails a lookup defers the message ("local data error").
"""
import os
import re
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("smtp_checks")
SENDER = "s@example.com"


class Server(pkit.Listener):
    """An SMTP (or LMTP) server on 127.0.0.1 that keeps each message it is sent."""

    def __init__(self, lmtp=False, exts=(b"PIPELINING", b"8BITMIME")):
        self.lmtp, self.exts = lmtp, exts
        self.lock = threading.Lock()
        self.messages = []
        super().__init__(backlog=16)

    def talk(self, c):
        c.settimeout(60)
        f = c.makefile("rb")
        rcpts = 0
        c.sendall(b"220 sink.example ESMTP\r\n")
        while True:
            line = f.readline()
            if not line:
                return
            verb = line.decode("latin-1").strip().split(" ")[0].upper()
            if verb in ("EHLO", "LHLO"):
                c.sendall(b"".join([b"250-sink.example\r\n"] +
                                   [b"250%s%s\r\n" % (b" " if i == len(self.exts) - 1 else b"-", e)
                                    for i, e in enumerate(self.exts)]))
            elif verb == "RCPT":
                rcpts += 1
                c.sendall(b"250 2.1.5 Ok\r\n")
            elif verb == "DATA":
                c.sendall(b"354 go ahead\r\n")
                data = b""
                while True:
                    line = f.readline()
                    if line == b"":
                        return  # the client gave up: no message
                    if line == b".\r\n":
                        break
                    data += line
                with self.lock:
                    self.messages.append(data.decode("latin-1"))
                for _ in range(rcpts if self.lmtp else 1):
                    c.sendall(b"250 2.0.0 Ok: queued as X1\r\n")
                rcpts = 0
            elif verb == "QUIT":
                c.sendall(b"221 2.0.0 Bye\r\n")
                return
            else:
                c.sendall(b"250 2.0.0 Ok\r\n")


HEADER_CHECKS = """\
/^X-Ignore:/ IGNORE
/^X-Replace:/ REPLACE X-Replaced: yes
/^X-Prepend:/ PREPEND X-Prepended: p1
/^X-Warn:/ WARN warn text
/^X-Info:/ INFO
/^X-Reject:/ REJECT no way
/^X-Hold:/ HOLD
/^X-Discard:/ DISCARD
/^X-Redirect:/ REDIRECT a@b.c
/^X-Filter:/ FILTER smtp:[1.2.3.4]
/^X-Bcc:/ BCC x@y.z
/^X-Strip:/ STRIP strip text
/^X-Pass:/ PASS
/^X-Dunno:/ DUNNO
/^X-Ok:/ OK
/^X-Bogus:/ FROB thing
/^X-Badrep:/ REPLACE not a header
/^X-Long:/ WARN
/^Content-Type:/ WARN ct in hc
"""
MIME_HEADER_CHECKS = """\
/^Content-Type:/ INFO mime hdr
/^Content-Transfer-Encoding:/ WARN cte
/^Content-Description:/ REPLACE Content-Description: replaced
"""
NESTED_HEADER_CHECKS = """\
/^Subject:/ WARN nested subject
/^X-Nested:/ IGNORE
"""
BODY_CHECKS = """\
/^secret line/ REPLACE public line
/^drop me/ IGNORE
/^prepend here/ PREPEND inserted body line
/^warn body/ WARN body warning
/^reject body/ REJECT nope
/^caf=E9 au lait/ REPLACE caf\u00e9 replaced
"""
# 8-bit text for a server without 8BITMIME: the tables see the quoted-printable form
MESSAGE_8BIT = (b"Subject: 8\nMIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-1\n"
                b"Content-Transfer-Encoding: 8bit\n\ncaf\xe9 au lait\ndrop me\nplain\n")
LMTP_HEADER_CHECKS = """\
/^X-Warn:/ WARN lmtp warn
/^X-Reject:/ REJECT lmtp way
"""
LMTP_MIME_HEADER_CHECKS = "/^Content-Type: message/ INFO lmtp mime\n"
LMTP_NESTED_HEADER_CHECKS = "/^Subject: inner/ REPLACE Subject: outer\n"
LMTP_BODY_CHECKS = "/^secret line/ STRIP lmtp strip\n"
LMTP_MESSAGE = """\
Subject: l
X-Ignore: stays
X-Warn: w
X-Reject: r
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="L"

--L
Content-Type: message/rfc822

Subject: inner

secret line
secret line kept?
--L--
"""

MESSAGE = """\
From: a@example.com
To: b@example.org
Subject: top
X-Ignore: gone
X-Replace: old
X-Prepend: here
X-Warn: w
X-Info: i
X-Reject: r
X-Hold: h
X-Discard: d
X-Redirect: r
X-Filter: f
X-Bcc: b
X-Strip: s
X-Pass: p
X-Dunno: d
X-Ok: o
X-Bogus: b
X-Badrep: b
X-Long: 0123456789012345678901234567890123456789012345678901234567890123456789
 folded
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="BB"

preamble
--BB
Content-Type: text/plain
Content-Description: desc
Subject: not nested

secret line here
drop me
prepend here
warn body
reject body
normal
.dot line
--BB
Content-Type: message/rfc822

Subject: nested subj
X-Nested: x
X-Warn: nested warn
Content-Type: text/plain

nested body secret line
secret line nested
--BB--
epilogue
"""

# what Postfix 3.7.11 sent (less the Received:, Message-Id: and Date: headers it added)
RECEIVED = (
    'From: a@example.com\nTo: b@example.org\nSubject: top\nX-Replaced: yes\nX-Prepended: p1\n'
    'X-Prepend: here\nX-Warn: w\nX-Info: i\nX-Reject: r\nX-Hold: h\nX-Discard: d\nX-Redirect: r\n'
    'X-Filter: f\nX-Bcc: b\nX-Pass: p\nX-Dunno: d\nX-Ok: o\nX-Bogus: b\nX-Badrep: b\n'
    'X-Long: 0123456789012345678901234567890123456789012345678901234567890123456789\n folded\n'
    'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="BB"\n\npreamble\n--BB\n'
    'Content-Type: text/plain\nContent-Description: replaced\nSubject: not nested\n\n'
    'public line\ninserted body line\nprepend here\nwarn body\nreject body\nnormal\n..dot line\n'
    '--BB\nContent-Type: message/rfc822\n\nSubject: nested subj\nX-Warn: nested warn\n'
    'Content-Type: text/plain\n\nnested body secret line\npublic line\n--BB--\nepilogue\n')

# what it logged, in order ("QID" for the queue id)
LOGGED = [
    'QID: replace: header X-Replace: old: X-Replaced: yes',
    'QID: prepend: header X-Prepend: here: X-Prepended: p1',
    'QID: warning: header X-Warn: w: warn text',
    'QID: info: header X-Info: i',
    'warning: unsupported command in smtp_header_checks map: REJECT no way',
    'warning: unsupported command in smtp_header_checks map: HOLD',
    'warning: unsupported command in smtp_header_checks map: DISCARD',
    'warning: unsupported command in smtp_header_checks map: REDIRECT a@b.c',
    'warning: unsupported command in smtp_header_checks map: FILTER smtp:[1.2.3.4]',
    'warning: unsupported command in smtp_header_checks map: BCC x@y.z',
    'QID: strip: header X-Strip: s: strip text',
    'warning: unsupported command in smtp_header_checks map: PASS',
    'warning: unsupported command in smtp_header_checks map: FROB thing',
    'warning: bad REPLACE header text "not a header" in smtp_header_checks map -- '
    'need "headername: headervalue"',
    'QID: warning: header X-Long: 0123456789012345678901234567890123456789012345678901',
    'QID: info: header Content-Type: multipart/mixed; boundary="BB": mime hdr',
    'QID: info: header Content-Type: text/plain: mime hdr',
    'QID: replace: header Content-Description: desc: Content-Description: replaced',
    'QID: replace: body secret line here: public line',
    'QID: prepend: body prepend here: inserted body line',
    'QID: warning: body warn body: body warning',
    'warning: unsupported command in smtp_body_checks map: REJECT nope',
    'QID: info: header Content-Type: message/rfc822: mime hdr',
    'QID: warning: header Subject: nested subj: nested subject',
    'QID: info: header Content-Type: text/plain: mime hdr',
    'QID: replace: body secret line nested: public line',
]


def unwire(data):
    """The message as sent, less the headers the MTA added, with LF line ends."""
    out, skip = [], False
    for line in data.replace("\r\n", "\n").split("\n"):
        if re.match(r"(Received|Message-Id|Date):", line):
            skip = True
            continue
        if skip and line[:1] in (" ", "\t"):
            continue
        skip = False
        out.append(line)
    return "\n".join(out)


def client_lines(inst, agent, qid):
    """The smtp (lmtp) client's log lines about qid or without a queue id, QID for the id."""
    out = []
    for line in inst.log().splitlines():
        m = re.search(r"postfix/%s\[\d+\]: (.*)" % agent, line)
        if not m:
            continue
        text = m.group(1)
        if text.startswith(qid + ": ") and "to=<" not in text:
            out.append("QID" + text[len(qid):])
        elif text.startswith("warning: ") and not re.match(r"warning: [0-9A-F]+: ", text):
            out.append(text)
    return out


def qid_of(inst, to):
    m = re.search(r"postfix/\w+\[\d+\]: ([0-9A-F]+): to=<%s>" % re.escape(to), inst.log())
    return m.group(1) if m else "?"


def write_utf8(inst, name, text):
    """A table file in UTF-8 whatever the locale, replaced atomically."""
    tmp = inst.path(name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(text.encode("utf-8"))
    os.replace(tmp, inst.path(name))


def downgrade(inst, dsrv):
    """To a server without 8BITMIME the tables see the 7bit form Postfix converts to first:
    quoted-printable lines, not the Content-Transfer-Encoding headers of the conversion."""
    inst.sendmail(["-f", SENDER, "d@seven.example"], MESSAGE_8BIT)
    R.true("downgraded", inst.wait_log(r"to=<d@seven\.example>, .*status=sent"), inst.log())
    got = unwire(dsrv.messages[0]) if dsrv.messages else ""
    head, _, body = got.partition("\n\n")
    R.check("downgrade: the body", body, "caf\u00e9 replaced\nplain\n".encode().decode("latin-1"))
    R.true("downgrade: quoted-printable, no 8bit", "\nContent-Transfer-Encoding: quoted-printable" in head
           and "8bit" not in head, head)
    R.check("downgrade log lines", [ln for ln in client_lines(inst, "smtp", qid_of(
        inst, "d@seven.example")) if ln.startswith("QID")], [
        "QID: info: header Content-Type: text/plain; charset=iso-8859-1: mime hdr",
        "QID: replace: body caf=E9 au lait: caf\u00e9 replaced".encode().decode("latin-1"),
    ])


def smtp_tables(inst, srv, lsrv):
    """The four smtp_ tables on a relayed message; lmtp_ ones for mail over LMTP."""
    inst.sendmail(["-f", SENDER, "r@example.org"], MESSAGE)
    R.true("relayed", inst.wait_log(r"to=<r@example\.org>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d, "
                                    r".*status=sent" % srv.port), inst.log())
    R.check("what the server received", unwire(srv.messages[0]) if srv.messages else "", RECEIVED)
    R.check("log lines", client_lines(inst, "smtp", qid_of(inst, "r@example.org")), LOGGED)
    # a line longer than line_length_limit meets the body table in pieces of 2048 bytes
    inst.sendmail(["-f", SENDER, "long@example.org"],
                  "Subject: long\n\nsecret line " + "x" * 2100 + "\n")
    R.true("long line relayed", inst.wait_log(r"to=<long@example\.org>, .*status=sent"), inst.log())
    got = unwire(srv.messages[1]) if len(srv.messages) > 1 else ""
    R.check("long line: its first piece replaced", got.split("\n\n", 1)[-1],
            "public line" + "x" * 64 + "\n")
    R.check("long line log lines", [ln for ln in client_lines(inst, "smtp", qid_of(
        inst, "long@example.org")) if ln.startswith("QID")],
            ["QID: replace: body secret line " + "x" * 48 + ": public line"])
    # lmtp reads its own tables: X-Ignore stays, X-Warn is lmtp's
    inst.sendmail(["-f", SENDER, "u@lmtp.example"], LMTP_MESSAGE)
    R.true("over LMTP", inst.wait_log(r"to=<u@lmtp\.example>, .*status=sent"), inst.log())
    got = unwire(lsrv.messages[0]) if lsrv.messages else ""
    R.true("lmtp: the smtp_ tables do not apply", "\nX-Ignore: stays\n" in got, got)
    R.check("lmtp: the body as Postfix sent it", got.split("\n\n", 1)[-1],
            "--L\nContent-Type: message/rfc822\n\nSubject: outer\n\n--L--\n")
    R.check("lmtp log lines", client_lines(inst, "lmtp", qid_of(inst, "u@lmtp.example")), [
        'QID: warning: header X-Warn: w: lmtp warn',
        'warning: unsupported command in lmtp_header_checks map: REJECT lmtp way',
        'QID: info: header Content-Type: message/rfc822: lmtp mime',
        'QID: replace: header Subject: inner: Subject: outer',
        'QID: strip: body secret line: lmtp strip',
        'QID: strip: body secret line kept?: lmtp strip',
    ])


def lookup_error(srv):
    """A table that cannot answer: the message is deferred, nothing is sent.  (And a folded
    header is logged with '?' for its line break.)"""
    inst = pkit.Instance(main_extra="relayhost = [127.0.0.1]:%d\n"
                         "smtp_header_checks = regexp:$config_directory/hc\n"
                         "smtp_body_checks = fail:bc\n" % srv.port)
    inst.write("hc", HEADER_CHECKS)
    try:
        inst.start()
        n = len(srv.messages)
        inst.sendmail(["-f", SENDER, "e@example.org"],
                      "Subject: e\nX-Warn: a\n folded\n\nbody line\n")
        R.true("deferred", inst.wait_log(r"to=<e@example\.org>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d, "
                                         r"delay=[0-9.]+, delays=[0-9./]+, dsn=4\.3\.0, status=deferred "
                                         r"\(local data error while talking to 127\.0\.0\.1\[127\.0\.0\.1\]\)"
                                         % srv.port), inst.log())
        qid = qid_of(inst, "e@example.org")
        R.check("lookup error log lines", client_lines(inst, "smtp", qid), [
            'QID: warning: header X-Warn: a? folded: warn text',
            'warning: fail:bc lookup error for "body line"',
        ])
        R.true("the error names the message",
               re.search(r"postfix/smtp\[\d+\]: warning: %s: smtp body checks lookup error" % qid,
                         inst.log()) is not None, inst.log())
        R.check("no message reached the server", len(srv.messages), n)
    finally:
        inst.cleanup()


def main():
    pkit.require_binaries()
    srv, lsrv, dsrv = Server(), Server(lmtp=True), Server(exts=(b"PIPELINING",))
    inst = pkit.Instance(
        main_extra="relayhost = [127.0.0.1]:%d\n"
        "transport_maps = inline:{lmtp.example=lmtp:inet:127.0.0.1:%d, "
        "seven.example=smtp:[127.0.0.1]:%d}\n"
        "smtp_header_checks = regexp:$config_directory/hc\n"
        "smtp_mime_header_checks = pcre:$config_directory/mhc\n"
        "smtp_nested_header_checks = regexp:$config_directory/nhc\n"
        "smtp_body_checks = pcre:$config_directory/bc\n"
        "lmtp_header_checks = regexp:$config_directory/lhc\n"
        "lmtp_mime_header_checks = pcre:$config_directory/lmhc\n"
        "lmtp_nested_header_checks = regexp:$config_directory/lnhc\n"
        "lmtp_body_checks = pcre:$config_directory/lbc\n" % (srv.port, lsrv.port, dsrv.port),
        master_extra="lmtp      unix  -       -       n       -       -       lmtp\n")
    for name, text in (("hc", HEADER_CHECKS), ("mhc", MIME_HEADER_CHECKS),
                       ("nhc", NESTED_HEADER_CHECKS), ("bc", BODY_CHECKS),
                       ("lhc", LMTP_HEADER_CHECKS), ("lmhc", LMTP_MIME_HEADER_CHECKS),
                       ("lnhc", LMTP_NESTED_HEADER_CHECKS), ("lbc", LMTP_BODY_CHECKS)):
        write_utf8(inst, name, text)
    try:
        inst.start()
        smtp_tables(inst, srv, lsrv)
        downgrade(inst, dsrv)
    finally:
        inst.cleanup()
    try:
        lookup_error(srv)
    finally:
        for s in (srv, lsrv, dsrv):
            s.stop()
    R.finish()


if __name__ == "__main__":
    main()
