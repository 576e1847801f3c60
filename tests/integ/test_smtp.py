#!/usr/bin/env python3
"""test_smtp.py - the SMTP server's protocol: replies, limits and defences.

Every expected reply was observed on Postfix 3.7.11 with the same settings
(message_size_limit = 2000, smtpd_recipient_limit = 3 where noted).
"""
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("smtp")

EHLO = [
    "250-mail.example.com", "250-PIPELINING", "250-SIZE 2000", "250-VRFY", "250-ETRN",
    "250-XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT",
    "250-ENHANCEDSTATUSCODES", "250-8BITMIME", "250-DSN", "250-SMTPUTF8", "250 CHUNKING",
]

DIALOGUE = [
    ("DATA", "503 5.5.1 Error: need RCPT command"),
    ("RCPT TO:<nobody@example.com>", "503 5.5.1 Error: need MAIL command"),
    ("HELO", "501 Syntax: HELO hostname"),
    ("HELO  x y ", "250 mail.example.com"),
    ("EHLO", "501 Syntax: EHLO hostname"),
    ("MAIL FROM:<a@example.net> SIZE=5000", "552 5.3.4 Message size exceeds fixed limit"),
    ("MAIL FROM:<a@example.net> SIZE=1000", "250 2.1.0 Ok"),
    ("MAIL FROM:<a@example.net>", "503 5.5.1 Error: nested MAIL command"),
    ("DATA", "554 5.5.1 Error: no valid recipients"),
    ("RSET", "250 2.0.0 Ok"),
    ("MAIL FROM:<> BODY=8BITMIME", "250 2.1.0 Ok"),
    ("RCPT TO:<nobody@example.com>", "250 2.1.5 Ok"),
    ("RCPT TO:<nobody@example.com>", "250 2.1.5 Ok"),
    ("RCPT TO:<nobody@example.com>", "250 2.1.5 Ok"),
    ("RCPT TO:<nobody@example.com>", "452 4.5.3 Error: too many recipients"),
    ("VRFY", "501 5.5.4 Syntax: VRFY address [SMTPUTF8]"),
    ("VRFY nobody@example.com", "252 2.0.0 nobody@example.com"),
    ("VRFY <nobody@example.com>", "252 2.0.0 <nobody@example.com>"),
    ("VRFY nosuch",
     "550 5.1.1 <nosuch>: Recipient address rejected: User unknown in local recipient table"),
    ("VRFY somebody@example.org", "454 4.7.1 <somebody@example.org>: Relay access denied"),
    ("ETRN", "503 Error: MAIL transaction in progress"),
    ("AUTH PLAIN", "503 5.5.1 Error: authentication not enabled"),
    ("STARTTLS", "502 5.5.1 Error: command not implemented"),
    ("NOOP", "250 2.0.0 Ok"),
    ("HELP", "500 5.5.2 Error: command not recognized"),
    ("RSET", "250 2.0.0 Ok"),
    ("ETRN example.com", "459 <example.com>: service unavailable"),
    ("QUIT", "221 2.0.0 Bye"),
]


# input sent ahead of its turn, and what Postfix 3.7.11 logged for it
PIPELINING = [
    (["EHLO early.example\r\nQUIT\r\n"],
     "after CONNECT from localhost[127.0.0.1]: EHLO early.example\\r\\nQUIT\\r\\n"),
    (["READ", "EHLO a.example\r\nMAIL FROM:<a@b.example>\r\n", "WAIT", "QUIT\r\n"],
     "after EHLO from localhost[127.0.0.1]: MAIL FROM:<a@b.example>\\r\\n"),
    (["READ", "HELO a.example\r\n", "READ", "MAIL FROM:<a@b.example>\r\nRCPT TO:<nobody@example.com>\r\n",
      "WAIT", "QUIT\r\n"],
     "after MAIL from localhost[127.0.0.1]: RCPT TO:<nobody@example.com>\\r\\n"),
    (["READ", "EHLO a.example\r\n", "READ",
      "MAIL FROM:<a@b.example>\r\nRCPT TO:<nobody@example.com>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n",
      "WAIT", "QUIT\r\n"],
     "after DATA from localhost[127.0.0.1]: Subject: x\\r\\n\\r\\nbody\\r\\n.\\r\\n"),
    (["READ", "EHLO a.example\r\n", "READ", "NOOP\r\nNOOP\r\n", "WAIT", "QUIT\r\n"],
     "after NOOP from localhost[127.0.0.1]: NOOP\\r\\n"),
    (["READ", "EHLO a.example\r\n", "READ", "RSET\r\nVRFY nobody\r\nQUIT\r\n"],
     "after VRFY from localhost[127.0.0.1]: QUIT\\r\\n"),
    (["READ", "AUTH PLAIN\r\nfoo\r\n", "WAIT", "QUIT\r\n"],
     "after AUTH from localhost[127.0.0.1]: foo\\r\\n"),
    (["READ", "EHLO a.example\r\n", "READ", "XCLIENT ADDR=192.0.2.9\r\nNOOP\r\n", "WAIT", "QUIT\r\n"],
     "after XCLIENT from localhost[192.0.2.9]: NOOP\\r\\n"),
    (["READ", "EHLO a.example\r\nNO\tOP \\ \xe9 \x7f \x1b end\r\n", "WAIT", "QUIT\r\n"],
     "after EHLO from localhost[127.0.0.1]: NO\\tOP \\\\ \\351 \\177 \\033 end\\r\\n"),
    # no log: a pipelined group that ends as RFC 2920 says, unknown commands, QUIT after the dot
    (["READ", "EHLO a.example\r\n", "READ", "ETRN example.com\r\nRSET\r\nFOO\r\nBAR\r\n", "WAIT",
      "QUIT\r\n"], None),
    (["READ", "EHLO a.example\r\n", "READ", "MAIL FROM:<a@b.example>\r\nRCPT TO:<nobody@example.com>\r\n",
      "READ", "DATA\r\n", "READ", "Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n"], None),
]


def raw_session(port, chunks):
    """Send chunks as they are ("READ" and "WAIT" wait for a reply); read until closed.

    "WAIT" marks the reply that keeps what follows out of the pipelined text logged:
    smtpd looks at the input ahead of its turn before it answers, so once an answer is in,
    later input cannot be part of it (a fixed pause was not enough on a loaded machine)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    for c in chunks:
        if c in ("READ", "WAIT"):
            try:
                s.recv(65536)
            except OSError:
                pass
        else:
            try:
                s.sendall(c.encode("latin-1"))
            except OSError:
                break  # the server has closed the connection (a non-SMTP command)
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass
    s.close()


def pipelining():
    """improper command pipelining lines (fail2ban reads them), once per session."""
    # input sent before the greeting goes to a listener that pauses 1 s before it greets
    # (a restriction at connect time): smtpd must see the input when it looks, however
    # slowly the client gets to send it on a loaded machine
    early = pkit.free_port()
    inst = pkit.Instance(main_extra="smtpd_authorized_xclient_hosts = 127.0.0.0/8\n",
                         master_extra="127.0.0.1:%d inet n - n - - smtpd -o smtpd_delay_reject=no\n"
                         "  -o { smtpd_client_restrictions = sleep 1 }\n" % early)
    try:
        inst.start()
        for i, (chunks, want) in enumerate(PIPELINING):
            before = inst.log().count("improper command pipelining")
            raw_session(inst.port if chunks[0] == "READ" else early, chunks)
            inst.wait_log(r"disconnect from .* commands=", count=i + 1)
            lines = [l.split("improper command pipelining ", 1)[1] for l in inst.log().splitlines()
                     if "improper command pipelining" in l][before:]
            R.check("pipelining case %d" % (i + 1), lines, [want] if want else [])
        raw_session(inst.port, ["READ", "EHLO a.example\r\n\x01\x02" + "x" * 300 + "\r\n", "WAIT", "QUIT\r\n"])
        R.true("non-SMTP command shown escaped and cut at 100 characters",
               inst.wait_log(r"warning: non-SMTP command from localhost\[127\.0\.0\.1\]: \\001\\002x{92}$"))
        R.true("a non-SMTP command counts as unknown",
               inst.wait_log(r"disconnect from localhost\[127\.0\.0\.1\] ehlo=1 unknown=0/1 commands=1/2$"))
    finally:
        inst.cleanup()


# MAIL and RCPT addresses, each in its own session: Postfix 3.7.11's replies
# ({a} is the address); a malformed domain is a syntax error, as its resolver says
ADDRESS_SYNTAX = [
    ('user@', '501 5.1.7 Bad sender address syntax', '501 5.1.3 Bad recipient address syntax'),
    ('bad@@example.com', '501 5.1.7 Bad sender address syntax', '501 5.1.3 Bad recipient address syntax'),
    ('c@[1.2.3]', '501 5.1.7 Bad sender address syntax', '501 5.1.3 Bad recipient address syntax'),
    ('c@[1.2.3.4]', '250 2.1.0 Ok', '454 4.7.1 <{a}>: Relay access denied'),
    ('c@[IPv6:::1]', '250 2.1.0 Ok', '454 4.7.1 <{a}>: Relay access denied'),
    ('c@[IPv6:zz]', '501 5.1.7 Bad sender address syntax', '501 5.1.3 Bad recipient address syntax'),
    ('c@[127.0.0.1]', '250 2.1.0 Ok', '550 5.1.1 <{a}>: Recipient address rejected: User unknown in local recipient table'),
    ('c@-bad.example', '501 5.1.7 Bad sender address syntax', '501 5.1.3 Bad recipient address syntax'),
    ('c@exa_mple.com', '250 2.1.0 Ok', '454 4.7.1 <{a}>: Relay access denied'),
    ('c@123', '501 5.1.7 Bad sender address syntax', '501 5.1.3 Bad recipient address syntax'),
    ('c@1.2.3.4', '501 5.1.7 Bad sender address syntax', '501 5.1.3 Bad recipient address syntax'),
    ('c@a..b', '501 5.1.7 Bad sender address syntax', '501 5.1.3 Bad recipient address syntax'),
    ('c@example.com.', '250 2.1.0 Ok', '550 5.1.1 <{a}>: Recipient address rejected: User unknown in local recipient table'),
    ('u%other@example.com', '250 2.1.0 Ok', '454 4.7.1 <{a}>: Relay access denied'),
    ('u@bad@relay.example', '250 2.1.0 Ok', '454 4.7.1 <{a}>: Relay access denied'),
    ('x@relay.example', '250 2.1.0 Ok', '250 2.1.5 Ok'),
    ('c@toolonglabelxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.com', '501 5.1.7 Bad sender address syntax', '501 5.1.3 Bad recipient address syntax'),
    ('c@.example.com', '501 5.1.7 Bad sender address syntax', '501 5.1.3 Bad recipient address syntax'),
    ('@', '501 5.1.7 Bad sender address syntax', '501 5.1.3 Bad recipient address syntax'),
    ('c@a-.example', '501 5.1.7 Bad sender address syntax', '501 5.1.3 Bad recipient address syntax'),
    ('c@xn--bcher-kva.example', '250 2.1.0 Ok', '454 4.7.1 <{a}>: Relay access denied'),
    ('c@café.example', '500 5.5.2 Error: bad UTF-8 syntax', '500 5.5.2 Error: bad UTF-8 syntax'),
    ('a@b@c', '250 2.1.0 Ok', '454 4.7.1 <{a}>: Relay access denied'),
    ('u!v@example.com', '250 2.1.0 Ok', '454 4.7.1 <{a}>: Relay access denied'),
    ('c@[]', '501 5.1.7 Bad sender address syntax', '501 5.1.3 Bad recipient address syntax'),
    ('c@host.123', '250 2.1.0 Ok', '454 4.7.1 <{a}>: Relay access denied'),
]


def address_syntax():
    """Address syntax as Postfix's resolver judges it; invalid UTF-8 in any command."""
    inst = pkit.Instance(main_extra="relay_domains = relay.example\n")
    try:
        inst.start()
        for a, want_mail, want_rcpt in ADDRESS_SYNTAX:
            s = inst.session()
            s.cmd("EHLO client.example")
            got_mail = s.cmd("MAIL FROM:<%s>" % a)
            if got_mail.startswith("250"):
                s.cmd("RSET")
            s.cmd("MAIL FROM:<s@example.net>")
            got_rcpt = s.cmd("RCPT TO:<%s>" % a)
            s.cmd("QUIT")
            s.close()
            R.check("MAIL FROM:<%s>" % a, got_mail, want_mail.format(a=a))
            R.check("RCPT TO:<%s>" % a, got_rcpt, want_rcpt.format(a=a))
        R.true("malformed sender logged",
               inst.wait_log(r"warning: Illegal address syntax from localhost\[127\.0\.0\.1\] in MAIL command: "
                             r"<bad@@example\.com>$"))
        R.true("malformed recipient logged",
               inst.wait_log(r"warning: Illegal address syntax from localhost\[127\.0\.0\.1\] in RCPT command: "
                             r"<c@\[IPv6:zz\]>$"))
        s = inst.session()
        got = [s.cmd(c) for c in ("NOOP \xe9", "\xe9\xe9", "EHLO caf\xe9", "EHLO client.example",
                                  "MAIL FROM:<a@caf\xc3\xa9.example>", "MAIL FROM:<a@caf\xc3\xa9.example> SMTPUTF8",
                                  "RCPT TO:<x@example.com> NOTIFY=\xe9", "RSET", "QUIT")]
        s.close()
        R.check("bad UTF-8 and UTF-8 domains", got, [
            "500 5.5.2 Error: bad UTF-8 syntax", "500 5.5.2 Error: bad UTF-8 syntax",
            "500 5.5.2 Error: bad UTF-8 syntax", "250 CHUNKING", "501 5.1.7 Bad sender address syntax",
            "250 2.1.0 Ok", "500 5.5.2 Error: bad UTF-8 syntax", "250 2.0.0 Ok", "221 2.0.0 Bye"])
        s = inst.session()
        s.cmd("EHLO client.example")
        s.cmd("MAIL FROM:<s@example.net> SMTPUTF8")
        s.cmd("RCPT TO:<nobody@example.com>")
        s.data("Subject: utf8\n\nbody\n")
        s.cmd("QUIT")
        s.close()
        R.true("an SMTPUTF8 transaction is received \"with UTF8SMTP\" (RFC 6531), as Postfix",
               inst.wait_mailbox("nobody", "\tby mail.example.com (Postfix) with UTF8SMTP id "))
        s = inst.session()
        for c in ("EHLO client.example", "HELO again.example", "MAIL FROM:<s@example.net>",
                  "RCPT TO:<nobody@example.com>"):
            s.cmd(c)
        s.data("Subject: helo after ehlo\n\nbody\n")
        s.close()
        R.true("HELO after EHLO: still \"with ESMTP\", as Postfix",
               inst.wait_mailbox("nobody", "from again.example (localhost [127.0.0.1])\n\tby mail.example.com "
                                 "(Postfix) with ESMTP id "))
        R.true("bad UTF-8 commands are not counted",
               inst.wait_log(r"disconnect from localhost\[127\.0\.0\.1\] ehlo=1 mail=1/2 rset=1 quit=1 "
                             r"commands=4/5$"))
    finally:
        inst.cleanup()


# the envelope attributes of a message received over SMTP, as Postfix 3.7.11's postcat shows them
QUEUE_ATTRS = ["log_ident", "rewrite_context", "log_client_name", "log_client_address",
               "log_client_port", "log_message_origin", "log_helo_name", "log_protocol_name",
               "client_name", "reverse_client_name", "client_address", "client_port",
               "server_address", "server_port", "helo_name", "protocol_name",
               "client_address_type", "dsn_orig_rcpt"]


def queue_file():
    """postcat of a held SMTP message: the attributes Postfix records, in its order."""
    inst = pkit.Instance(main_extra="smtpd_client_restrictions = check_client_access static:HOLD\n")
    try:
        inst.start()
        s = inst.session()
        for c in ("EHLO client.example", "MAIL FROM:<a@example.com>", "RCPT TO:<nobody@example.com>"):
            s.cmd(c)
        qid = s.data("Subject: held\n\nbody\n").split()[-1]
        s.cmd("QUIT")
        s.close()
        out = subprocess.run([os.path.join(pkit.TOP_BUILDDIR, "tools", "postcat", "postcat"), "-c",
                              inst.dir, "-e", "-q", qid], capture_output=True, text=True,
                             env=inst.env(), timeout=30).stdout
        attrs = dict(re.findall(r"(?m)^named_attribute: ([a-z_]+)=(.*)$", out))
        R.check("queue file: attribute names and order",
                re.findall(r"(?m)^named_attribute: ([a-z_]+)=", out), QUEUE_ATTRS)
        R.check("queue file: log_ident, server end, reverse name",
                [attrs.get(k) for k in ("log_ident", "server_address", "server_port",
                                        "reverse_client_name")],
                [qid, "127.0.0.1", str(inst.port), "localhost"])
    finally:
        inst.cleanup()


def port_logging():
    """smtpd_client_port_logging and show_user_unknown_table_name, as Postfix 3.7.11 logs and replies."""
    inst = pkit.Instance(main_extra="smtpd_client_port_logging = yes\n"
                         "show_user_unknown_table_name = no\n")
    try:
        inst.start()
        s = inst.session()
        got = [s.cmd(c) for c in ("EHLO client.example", "MAIL FROM:<a@example.com>",
                                  "RCPT TO:<nosuch@example.com>", "QUIT")]
        s.close()
        R.check("show_user_unknown_table_name = no", got[2],
                "550 5.1.1 <nosuch@example.com>: Recipient address rejected: User unknown")
        R.true("port logging: disconnect line", inst.wait_log("disconnect from"))
        port = re.search(r"connect from localhost\[127\.0\.0\.1\]:(\d+)$", inst.log(), re.M)
        R.true("port logging: connect line", port is not None, inst.log())
        if port:
            R.true("port logging: reject and disconnect lines", inst.wait_log(
                r"NOQUEUE: reject: RCPT from localhost\[127\.0\.0\.1\]:%s: 550 5\.1\.1 "
                r"<nosuch@example\.com>: Recipient address rejected: User unknown; " % port.group(1))
                and inst.wait_log(r"disconnect from localhost\[127\.0\.0\.1\]:%s ehlo=1" % port.group(1)))
    finally:
        inst.cleanup()


# command lines as Postfix 3.7.11 splits and checks them
SYNTAX = [
    ("  NOOP", "250 2.0.0 Ok"),
    ("\tNOOP", "250 2.0.0 Ok"),
    ("", "500 5.5.2 Error: bad syntax"),
    ("   ", "500 5.5.2 Error: bad syntax"),
    ("RSET x", "501 5.5.4 Syntax: RSET"),
    ("VRFY nobody@example.com SMTPUTF8", "252 2.0.0 nobody@example.com"),
    ("VRFY nobody@example.com FOO", "501 5.1.3 Bad recipient address syntax"),
    ("VRFY a b", "501 5.1.3 Bad recipient address syntax"),
    ("ETRN a b", "500 Syntax: ETRN domain"),
    ("ETRN @example.com", "459 <example.com>: service unavailable"),
    ("ETRN #example.com", "459 <example.com>: service unavailable"),
    ("ETRN foo..bar", "501 Error: invalid parameter syntax"),
    ("MAIL FROM:<a@example.net> BODY=BINARYMIME", "555 5.5.4 Unsupported option: BODY=BINARYMIME"),
    ("MAIL FROM:<a@example.net> SIZE=", "501 5.5.4 Bad message size syntax"),
    ("MAIL FROM:<a@example.net> SIZE=-1", "501 5.5.4 Bad message size syntax"),
    ("MAIL FROM:<a@example.net> SIZE=99999999999999999999",
     "552 5.3.4 Message size exceeds file system imposed limit"),
    ("MAIL FROM:<a@example.net>", "250 2.1.0 Ok"),
    ("RCPT TO:<nobody@example.com>", "250 2.1.5 Ok"),
    ("DATA x", "501 5.5.4 Syntax: DATA"),
]


def command_syntax(inst):
    """Blank lines, blanks before the command, arguments where none belong, BDAT's count."""
    s = inst.session()
    s.cmd("EHLO x")
    for cmd, want in SYNTAX:
        R.check("syntax: %r" % cmd, s.cmd(cmd), want)
    s.send("BDAT 1\r\nx")
    R.check("syntax: BDAT chunk", s.reply()[-1], "250 2.0.0 Ok: 1 bytes")
    R.check("syntax: DATA after BDAT", s.cmd("DATA x"), "503 5.5.1 Error: DATA after BDAT")
    R.check("syntax: BDAT -1", s.cmd("BDAT -1"), "521 5.5.4 Syntax: BDAT count [LAST]")
    R.true("syntax: a bad BDAT ends the session", s.sock.recv(100) == b"")
    s.close()
    R.true("syntax: a bad BDAT is logged",
           inst.wait_log(r"warning: [0-9A-F]+: malformed BDAT command syntax from localhost\[127\.0\.0\.1\]: "
                         r"BDAT -1$"))
    for line in ("  Subject: x", "X-Foo:bar"):
        s = inst.session()
        R.check("syntax: %r is no SMTP command" % line, s.cmd(line),
                "221 2.7.0 Error: I can break rules, too. Goodbye.")
        s.close()
    R.true("syntax: the header-like line is logged as sent",
           inst.wait_log(r"warning: non-SMTP command from localhost\[127\.0\.0\.1\]:   Subject: x$"))


def main():
    pkit.require_binaries()
    inst = pkit.Instance(main_extra="message_size_limit = 2000\nsmtpd_recipient_limit = 3\n"
                         "smtpd_timeout = 3s\n")
    try:
        inst.start()
        s = inst.session()
        R.check("greeting", s.greeting, ["220 mail.example.com ESMTP Postfix"])
        s.send("EHLO x\r\n")
        R.check("EHLO keywords and order", s.reply(), EHLO)
        for cmd, want in DIALOGUE:
            R.check(cmd, s.cmd(cmd), want)
        s.close()
        R.true("disconnect line counts commands as Postfix",
               inst.wait_log(r"disconnect from localhost\[127\.0\.0\.1\] helo=1/2 ehlo=1/2 starttls=0/1 "
                             r"auth=0/1 mail=2/4 rcpt=3/5 data=0/2 rset=2 noop=1 vrfy=2/5 etrn=0/2 "
                             r"quit=1 unknown=0/1 commands=13/29"), inst.log())

        # message too big: refused at the end, nothing queued
        s = inst.session()
        s.cmd("EHLO x")
        s.cmd("MAIL FROM:<a@example.net>")
        s.cmd("RCPT TO:<nobody@example.com>")
        r = s.data("Subject: big\n\n" + ("0123456789" * 10 + "\n") * 30)
        R.check("message_size_limit", r, "552 5.3.4 Error: message file too big")
        R.true("size limit logged", inst.wait_log(r"warning: [0-9A-F]+: queue file size limit exceeded"))
        # a command line longer than line_length_limit is cut, as Postfix does
        R.check("long command", s.cmd("NOOP " + "y" * 3000), "250 2.0.0 Ok")
        R.true("long command logged",
               inst.wait_log(r"warning: localhost\[127\.0\.0\.1\]: request longer than 2048: NOOP y{20}"))
        R.check("unknown command", s.cmd("FOO bar"), "500 5.5.2 Error: command not recognized")
        R.check("quit", s.cmd("QUIT"), "221 2.0.0 Bye")
        s.close()
        command_syntax(inst)
        R.check("nothing queued after the refusals", inst.queue_files("incoming") +
                inst.queue_files("active") + inst.queue_files("deferred"), [])

        # a client that disconnects in the middle of DATA leaves nothing behind
        s = inst.session()
        s.cmd("EHLO x")
        s.cmd("MAIL FROM:<a@example.net>")
        s.cmd("RCPT TO:<nobody@example.com>")
        s.cmd("DATA")
        s.send("Subject: half\r\n\r\nthe rest never comes\r\n")
        s.close()
        R.true("lost connection logged",
               inst.wait_log(r"lost connection after DATA \(\d+ bytes\) from localhost\[127\.0\.0\.1\]"))
        # cleanup drops the half-written file when smtpd hangs up on it: give it time, bounded
        deadline = time.time() + 10
        while time.time() < deadline and (inst.queue_files("incoming") + inst.queue_files("active")
                                           + inst.queue_files("deferred")):
            time.sleep(0.1)
        R.check("disconnect mid-DATA queues nothing", inst.queue_files("incoming") +
                inst.queue_files("active") + inst.queue_files("deferred"), [])
        R.check("no delivery", inst.mailbox("nobody"), "")

        # smtpd_timeout
        s = inst.session()
        s.cmd("EHLO x")
        t0 = time.time()
        try:
            r = s.reply()[-1]
        except (EOFError, socket.timeout):
            r = "EOF"
        R.check("timeout reply", r, "421 4.4.2 mail.example.com Error: timeout exceeded")
        R.true("timeout after about smtpd_timeout", 2 <= time.time() - t0 < 8)
        R.true("timeout logged", inst.wait_log(r"timeout after EHLO from localhost\[127\.0\.0\.1\]"))
        s.close()

        # hard error limit (20): the 20th error ends the session
        s = inst.session()
        seen = []
        for i in range(25):
            try:
                seen.append(s.cmd("BOGUS%d" % i))
            except (EOFError, OSError):
                break
        try:
            seen.append(s.reply()[-1])
        except (EOFError, OSError):
            pass
        R.check("hard error limit", seen[20:21], ["421 4.7.0 mail.example.com Error: too many errors"])
        s.close()

        # delivered mail resets the error count (Postfix 3.7 does): 19 errors, a message, 19 more
        s = inst.session()
        before = [s.cmd("BOGUS%d" % i) for i in range(19)]
        s.cmd("MAIL FROM:<a@example.net>")
        s.cmd("RCPT TO:<nobody@example.com>")
        R.true("error count: message accepted", s.data("Subject: e\n\nx\n").startswith("250 2.0.0 Ok"))
        after = [s.cmd("BOGUS%d" % i) for i in range(19)]
        R.check("error count reset by delivered mail", sorted(set(before + after)),
                ["500 5.5.2 Error: command not recognized"])
        s.close()

        # forbidden commands (an HTTP request, a header line)
        s = inst.session()
        R.check("GET is refused", s.cmd("GET / HTTP/1.0"),
                "221 2.7.0 Error: I can break rules, too. Goodbye.")
        s.close()
        R.true("non-SMTP command logged",
               inst.wait_log(r"warning: non-SMTP command from localhost\[127\.0\.0\.1\]: GET / HTTP/1\.0"))

        # BDAT
        s = inst.session()
        s.cmd("EHLO x")
        s.cmd("MAIL FROM:<a@example.net>")
        s.cmd("RCPT TO:<nobody@example.com>")
        s.send("BDAT 21\r\nSubject: b\r\n\r\nline1\r\n")
        R.check("BDAT chunk", s.reply()[-1], "250 2.0.0 Ok: 21 bytes")
        s.send("BDAT 7 LAST\r\nline2\r\n")
        r = s.reply()[-1]
        # Postfix 3.7.11 counts the bytes of all chunks
        R.true("BDAT LAST queues", r.startswith("250 2.0.0 Ok: 28 bytes queued as "), r)
        s.cmd("QUIT")
        s.close()
        R.true("BDAT message delivered", inst.wait_mailbox("nobody", "line1\nline2\n"))
    finally:
        inst.cleanup()
    pipelining()
    address_syntax()
    queue_file()
    port_logging()
    R.finish()


if __name__ == "__main__":
    main()
