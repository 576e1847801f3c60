#!/usr/bin/env python3
"""test_dsn.py - NOTIFY=SUCCESS notices and delay warnings, as Postfix 3.7.11 sends them.

The expected notices are what Postfix 3.7.11 wrote into the sender's mailbox
for the same submissions (sendmail -N/-R/-V; an smtp-sink -N next hop that
does not announce DSN; a next hop that refuses connections; aliases), with
dates, queue IDs and ports masked.  Recipients of one notice are compared
in a fixed order: Postfix lists them in the order they were delivered.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("dsn")
SENDER = "nobody@mail.example.com"
MSG = "Subject: test dsn\nFrom: nobody@mail.example.com\n\nbody line\n"

HEAD = """\
From MAILER-DAEMON  DATE
Return-Path: <>
X-Original-To: nobody@mail.example.com
Delivered-To: nobody@mail.example.com
Received: by mail.example.com (Postfix)
\tid QID; DATE
Date: DATE
From: Mail Delivery System <MAILER-DAEMON@mail.example.com>
Subject: %s
To: nobody@mail.example.com
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="QID.TIME/mail.example.com"
Content-Transfer-Encoding: 8bit
Message-Id: <STAMP.QID@mail.example.com>

This is a MIME-encapsulated message.

--QID.TIME/mail.example.com
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

This is the mail system at host mail.example.com.

"""

RETURNED = """\
Content-Type: text/rfc822-headers
Content-Transfer-Encoding: 8bit

Return-Path: <nobody@mail.example.com>
Received: by mail.example.com (Postfix, from userid %d)
\tid QID; DATE
Subject: test dsn
From: nobody@mail.example.com
Message-Id: <STAMP.QID@mail.example.com>
Date: DATE

--QID.TIME/mail.example.com--

""" % os.getuid()

SUCCESS = HEAD % "Successful Mail Delivery Report" + """\
Your message was successfully delivered to the destination(s)
listed below. If the message was delivered to mailbox you will
receive no further notifications. Otherwise you may still receive
notifications of mail delivery errors from other systems.

                   The mail system

<u1@relay.example>: delivery via 127.0.0.1[127.0.0.1]:PORT: 250 2.0.0 Ok

<list@mail.example.com>: delivery via local: alias expanded

<nobody@mail.example.com>: delivery via local: delivered to mailbox

<single@mail.example.com>: delivery via local: alias expanded

--QID.TIME/mail.example.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.example.com
Original-Envelope-Id: env123
X-Postfix-Queue-ID: QID
X-Postfix-Sender: rfc822; nobody@mail.example.com
Arrival-Date: DATE

Final-Recipient: rfc822; u1@relay.example
Original-Recipient: rfc822;u1@relay.example
Action: relayed
Status: 2.0.0
Remote-MTA: dns; 127.0.0.1
Diagnostic-Code: smtp; 250 2.0.0 Ok

Final-Recipient: rfc822; list@mail.example.com
Original-Recipient: rfc822;list@mail.example.com
Action: expanded
Status: 2.0.0
Diagnostic-Code: X-Postfix; delivery via local: alias expanded

Final-Recipient: rfc822; nobody@mail.example.com
Original-Recipient: rfc822;nobody@mail.example.com
Action: delivered
Status: 2.0.0
Diagnostic-Code: X-Postfix; delivery via local: delivered to mailbox

Final-Recipient: rfc822; single@mail.example.com
Original-Recipient: rfc822;single@mail.example.com
Action: expanded
Status: 2.0.0
Diagnostic-Code: X-Postfix; delivery via local: alias expanded

--QID.TIME/mail.example.com
Content-Description: Message Headers
""" + RETURNED

DELAY = HEAD % "Delayed Mail (still being retried)" + """\
####################################################################
# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
####################################################################

Your message could not be delivered for more than 0 hour(s).
It will be retried until it is 5 day(s) old.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<%s@slow.example>: connect to 127.0.0.1[127.0.0.1]:PORT: Connection refused

--QID.TIME/mail.example.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.example.com
X-Postfix-Queue-ID: QID
X-Postfix-Sender: rfc822; nobody@mail.example.com
Arrival-Date: DATE

Final-Recipient: rfc822; %s@slow.example
Original-Recipient: rfc822;%s@slow.example
Action: delayed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to 127.0.0.1[127.0.0.1]:PORT: Connection
    refused
Will-Retry-Until: DATE

--QID.TIME/mail.example.com
Content-Description: Undelivered Message Headers
""" + RETURNED


def start_sink(port):
    """smtp-sink -N (no DSN announced) on 127.0.0.1:port, or None when it is not installed."""
    sink = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
    if not os.access(sink, os.X_OK):
        return None
    args = [sink, "-N"] + (["-u", "nobody"] if pkit.IS_ROOT else []) + ["127.0.0.1:%d" % port, "10"]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    return p


def notices(inst, subject, user="nobody"):
    """The notices with this subject in user's mailbox, masked."""
    box = "\n" + inst.mailbox(user)
    out = []
    for m in re.split(r"\n(?=From \S+  [A-Z][a-z]{2} [A-Z][a-z]{2} )", box)[1:]:
        if "\nSubject: %s\n" % subject in m:
            m = pkit.strip_dates(m)
            out.append(re.sub(r"(127\.0\.0\.1\[127\.0\.0\.1\]):\d+", r"\1:PORT", m))
    return out


def expected(name):
    with open(os.path.join(pkit.TOP_SRCDIR, "tests", "integ", "dsn-expected", name)) as f:
        return f.read().replace("@UID@", str(os.getuid()))


def no_delivered_to(text):
    """Mask Delivered-To: postkit's local agent writes the alias's target, Postfix the alias."""
    return re.sub(r"\nDelivered-To: \S+\n", "\nDelivered-To: MASKED\n", text)


def by_recipient(text):
    """Recipient paragraphs of a notice in sorted order: delivery order is not fixed."""
    parts = text.split("\n\n")
    rcpt = sorted(i for i, p in enumerate(parts) if p.startswith("<") or p.startswith("Final-Recipient:"))
    human = sorted(parts[i] for i in rcpt if parts[i].startswith("<"))
    dsn = sorted(parts[i] for i in rcpt if parts[i].startswith("Final-Recipient:"))
    for i in rcpt:
        parts[i] = (human if parts[i].startswith("<") else dsn).pop(0)
    return "\n\n".join(parts)


def wait_notices(inst, subject, n, user="nobody", timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = notices(inst, subject, user)
        if len(got) >= n and all(g.endswith("--\n\n") for g in got):
            return got
        time.sleep(0.1)
    return notices(inst, subject, user)


def refused():
    """notify_classes beyond bounce, 2bounce, delay (and the default's resource, software): refused."""
    inst = pkit.Instance(main_extra="notify_classes = bounce, protocol\n")
    try:
        r = inst.postfix("check")
        R.check("notify_classes = bounce, protocol refused", r.returncode, 1)
        R.true("refusal names it", "parameter notify_classes is not implemented by postkit" in r.stderr,
               r.stderr)
    finally:
        inst.cleanup()


class RecordingSink:
    """An SMTP server on 127.0.0.1 that announces DSN (or not) and records every command."""

    def __init__(self, dsn):
        self.dsn, self.lines = dsn, []
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(5)
        self.srv.settimeout(30)
        self.port = self.srv.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        try:
            c, _ = self.srv.accept()
        except OSError:
            return
        c.settimeout(30)
        f = c.makefile("rb")
        c.sendall(b"220 sink ESMTP\r\n")
        in_data = False
        for raw in f:
            line = raw.decode("latin-1").rstrip("\r\n")
            if in_data:
                if line == ".":
                    in_data = False
                    c.sendall(b"250 2.0.0 Ok: queued as SINK\r\n")
                continue
            self.lines.append(line)
            word = line.split(" ")[0].upper()
            if word == "EHLO":
                c.sendall(b"250-sink\r\n" + (b"250-DSN\r\n" if self.dsn else b"") + b"250 PIPELINING\r\n")
            elif word == "DATA":
                in_data = True
                c.sendall(b"354 go ahead\r\n")
            elif word == "QUIT":
                c.sendall(b"221 bye\r\n")
                break
            else:
                c.sendall(b"250 2.0.0 Ok\r\n")
        c.close()

    def close(self):
        self.srv.close()


def passed_on(dsn):
    """RET, ENVID, ORCPT and NOTIFY reach a next hop that speaks DSN, which then owns the
    success notice; without DSN at the next hop we send a "relayed" notice (Postfix 3.7.11)"""
    sink = RecordingSink(dsn)
    inst = pkit.Instance(main_extra="relayhost = [127.0.0.1]:%d\nsmtp_dns_support_level = disabled\n"
                         "mynetworks = 127.0.0.0/8\n" % sink.port)
    try:
        inst.start()
        s = pkit.Session(inst.port)
        s.cmd("EHLO client.example")
        if dsn:
            # the checks Postfix 3.7.11 makes of RET and ENVID
            R.check("RET=BOGUS", s.cmd("MAIL FROM:<a@b.example> RET=BOGUS"), "501 5.5.4 Bad RET parameter syntax")
            R.check("RET twice", s.cmd("MAIL FROM:<a@b.example> RET=HDRS RET=FULL"),
                    "501 5.5.4 Bad RET parameter syntax")
            R.check("ENVID not xtext", s.cmd("MAIL FROM:<a@b.example> ENVID=a+ZZ"),
                    "501 5.5.4 Bad ENVID parameter syntax")
            R.check("ENVID empty", s.cmd("MAIL FROM:<a@b.example> ENVID="), "501 5.5.4 Bad ENVID parameter syntax")
            R.check("ENVID: lower-case hex and '=' pass", s.cmd("MAIL FROM:<a@b.example> ENVID=a+2bc=d"),
                    "250 2.1.0 Ok")
            # and of ORCPT: a type, then xtext (uxtext for utf-8), once; the first bad parameter answers
            bad = "501 5.5.4 Error: Bad ORCPT parameter syntax"
            for name, prm, want in (("no type", "ORCPT=;a@x", bad), ("no ';'", "ORCPT=foo", bad),
                                    ("bad xtext", "ORCPT=rfc822;a+ZZ", bad), ("short xtext", "ORCPT=rfc822;a+2", bad),
                                    ("twice", "ORCPT=rfc822;a@x ORCPT=rfc822;b@x", bad),
                                    ("before a bad NOTIFY", "ORCPT=rfc822;a+ZZ NOTIFY=BOGUS", bad),
                                    ("unclosed uxtext", "ORCPT=utf-8;a\\x{41", bad),
                                    ("uxtext beyond U+10FFFF", "ORCPT=utf-8;a\\x{110000}", bad),
                                    ("uxtext", "ORCPT=UTF-8;a\\x{1F600}+ZZ", "250 2.1.5 Ok"),
                                    ("lower-case xtext", "ORCPT=rfc822;a+2b@x", "250 2.1.5 Ok"),
                                    ("unknown type, empty address", "ORCPT=x-y;", "250 2.1.5 Ok")):
                R.check("ORCPT " + name, s.cmd("RCPT TO:<r1@remote.example> " + prm), want)
            s.cmd("RSET")
        s.cmd("MAIL FROM:<nobody@example.com> RET=HDRS ENVID=abc+2Bdef")
        s.cmd("RCPT TO:<r1@remote.example> NOTIFY=SUCCESS,DELAY")
        s.cmd("RCPT TO:<r2@remote.example>")
        s.cmd("RCPT TO:<r3@remote.example> NOTIFY=NEVER")
        s.cmd("RCPT TO:<r4@remote.example> ORCPT=rfc822;first+2Bhop@origin.example")
        s.data("Subject: dsn\n\nbody\n")
        s.cmd("QUIT")
        s.close()
        inst.wait_log(r"to=<r(3|4)@remote\.example>, .*status=sent", count=2)
        # our notice, if any, is logged before the message leaves the queue: wait for that
        m = re.search(r"([0-9A-F]+): to=<r3@remote\.example>, .*status=sent", inst.log())
        R.true("DSN %s: message removed" % ("announced" if dsn else "not announced"),
               m and inst.wait_log(r"%s: removed$" % m.group(1)), inst.log())
        if dsn:
            want = ["MAIL FROM:<nobody@example.com> ENVID=abc+2Bdef RET=HDRS",
                    "RCPT TO:<r1@remote.example> ORCPT=rfc822;r1@remote.example NOTIFY=SUCCESS,DELAY",
                    "RCPT TO:<r2@remote.example> ORCPT=rfc822;r2@remote.example",
                    "RCPT TO:<r3@remote.example> ORCPT=rfc822;r3@remote.example NOTIFY=NEVER",
                    # the client's own ORCPT goes on unchanged
                    "RCPT TO:<r4@remote.example> ORCPT=rfc822;first+2Bhop@origin.example"]
        else:
            want = ["MAIL FROM:<nobody@example.com>", "RCPT TO:<r1@remote.example>",
                    "RCPT TO:<r2@remote.example>", "RCPT TO:<r3@remote.example>",
                    "RCPT TO:<r4@remote.example>"]
        R.check("DSN %s: the envelope the next hop sees" % ("announced" if dsn else "not announced"),
                [l for l in sink.lines if l.startswith(("MAIL", "RCPT"))], want)
        R.check("DSN %s: our success notice" % ("announced" if dsn else "not announced"),
                bool(re.search(r"sender delivery status notification", inst.log())), not dsn)
    finally:
        inst.cleanup()
        sink.close()


def orcpt_kept():
    """A client's ORCPT is kept in the queue file and named by the bounce (Postfix 3.7.11)."""
    inst = pkit.Instance(main_extra="local_recipient_maps =\n")
    try:
        inst.start()
        s = pkit.Session(inst.port)
        for c in ("EHLO client.example", "MAIL FROM:<nobody@example.com>",
                  "RCPT TO:<nosuch@example.com> ORCPT=rfc822;orig+2Bx@example.org",
                  "RCPT TO:<nosuch2@example.com>"):
            s.cmd(c)
        s.data("Subject: orcpt\n\nbody\n")
        s.cmd("QUIT")
        s.close()
        R.true("ORCPT: bounce delivered", inst.wait_mailbox("nobody", "Subject: orcpt\n", timeout=20))
        got = re.findall(r"(?m)^(Final-Recipient: .*|Original-Recipient: .*)$", inst.mailbox("nobody"))
        pairs = sorted(zip(got[0::2], got[1::2]))
        R.check("ORCPT: Original-Recipient in the bounce", pairs, [
            ("Final-Recipient: rfc822; nosuch2@example.com", "Original-Recipient: rfc822;nosuch2@example.com"),
            ("Final-Recipient: rfc822; nosuch@example.com", "Original-Recipient: rfc822;orig+x@example.org")])
    finally:
        inst.cleanup()


def main():
    pkit.require_binaries()
    refused()
    orcpt_kept()
    passed_on(True)
    passed_on(False)
    sink_port, dead_port = pkit.free_port(), pkit.free_port()
    sink = start_sink(sink_port)
    if sink is None:
        print("smtp-sink not installed: skipping")
        sys.exit(77)
    inst = pkit.Instance(aliases="postmaster root\nlist nobody, root\nsingle nobody\nbmaster root\n"
                         "dmaster root\nwmaster root\n", main_extra="""\
transport_maps = texthash:$config_directory/transport
delay_warning_time = 2s
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 1s
double_bounce_sender = dbl-bounce
notify_classes = bounce, 2bounce, delay
bounce_notice_recipient = bmaster
2bounce_notice_recipient = dmaster
delay_notice_recipient = wmaster
""")
    inst.write("transport", "relay.example relay:[127.0.0.1]:%d\nslow.example relay:[127.0.0.1]:%d\n"
               % (sink_port, dead_port))
    try:
        inst.start()
        # success: relayed (no DSN at the next hop), delivered, expanded (list and single alias)
        inst.sendmail(["-f", SENDER, "-N", "success", "-R", "hdrs", "-V", "env123",
                       "nobody@mail.example.com", "u1@relay.example", "list@mail.example.com",
                       "single@mail.example.com"], MSG)
        R.true("success log line", inst.wait_log(
            r"postfix/bounce\[\d+\]: [0-9A-F]+: sender delivery status notification: [0-9A-F]+"))
        got = wait_notices(inst, "Successful Mail Delivery Report", 1)
        R.check("one success notice", len(got), 1)
        R.check("success notice", by_recipient(got[0]) if got else "", by_recipient(SUCCESS))
        # RET=FULL: a success notice still returns the headers only
        inst.sendmail(["-f", SENDER, "-N", "success", "-R", "full", "nobody@mail.example.com"], MSG)
        got = wait_notices(inst, "Successful Mail Delivery Report", 2)
        R.true("RET=FULL success notice has headers only", len(got) == 2 and
               "Content-Description: Message Headers\nContent-Type: text/rfc822-headers\n" in got[1]
               and "body line" not in got[1], got[1:])
        # NOTIFY=SUCCESS over SMTP: the same notice
        s = inst.session()
        s.cmd("EHLO client.example")
        s.cmd("MAIL FROM:<%s>" % SENDER)
        R.check("RCPT NOTIFY=SUCCESS", s.cmd("RCPT TO:<nobody@mail.example.com> NOTIFY=SUCCESS")[:3],
                "250")
        R.check("DATA", s.data("Subject: over smtp\n\nbody\n")[:3], "250")
        s.cmd("QUIT")
        s.close()
        got = wait_notices(inst, "Successful Mail Delivery Report", 3)
        R.true("SMTP success notice", len(got) == 3 and "\nAction: delivered\nStatus: 2.0.0\n" in got[2]
               and "\nSubject: over smtp\n" in got[2], got[2:])
        # default NOTIFY: no success notice
        n = inst.log().count("sender delivery status notification")
        inst.sendmail(["-f", SENDER, "nobody@mail.example.com"], MSG)
        inst.wait_log(r"to=<nobody@mail\.example\.com>, relay=local", count=3)

        # delay warnings: once, only for recipients that want NOTIFY=DELAY
        inst.sendmail(["-f", SENDER, "u3@slow.example"], MSG)
        inst.sendmail(["-f", SENDER, "-N", "success,failure", "u4@slow.example"], MSG)
        R.true("delay log line", inst.wait_log(
            r"postfix/bounce\[\d+\]: [0-9A-F]+: sender delay notification: [0-9A-F]+"))
        got = wait_notices(inst, "Delayed Mail \\(still being retried\\)".replace("\\", ""), 1)
        R.check("delay warning", got[0] if got else "", DELAY % ("u3", "u3", "u3"))
        R.true("zero hours warned", inst.wait_log(
            r'postfix/bounce\[\d+\]: warning: \[built-in\]: zero result in delay template '
            r'conversion of parameter "delay_warning_time_hours"'))
        # more retries come, no second warning, none for NOTIFY=SUCCESS,FAILURE
        inst.wait_log(r"to=<u4@slow\.example>.*status=deferred", count=4, timeout=20)
        R.check("one warning", inst.log().count("sender delay notification"), 1)
        R.check("no success notice by default", inst.log().count("sender delivery status notification"),
                n)
        # notify_classes = delay: the postmaster's warning, from double_bounce_sender
        R.true("postmaster delay log line", inst.wait_log(
            r"postfix/bounce\[\d+\]: [0-9A-F]+: postmaster delay notification: [0-9A-F]+"))
        got = wait_notices(inst, "Postmaster Warning: Delayed Mail", 1, "root")
        R.check("postmaster delay copy", no_delivered_to(got[0]) if got else "",
                no_delivered_to(expected("delay-copy.mbox").replace("double-bounce@", "dbl-bounce@")))

        # a bounce: the sender's notice (lines folded at 79 columns) and the postmaster's copy
        n = inst.log().count("postmaster non-delivery notification")
        inst.sendmail(["-f", SENDER, "a" * 21, "b" * 22], MSG)
        got = wait_notices(inst, "Undelivered Mail Returned to Sender", 1)
        R.check("bounce", got[0] if got else "", expected("bounce.mbox"))
        got = wait_notices(inst, "Postmaster Copy: Undelivered Mail", 1, "root")
        R.check("postmaster bounce copy", no_delivered_to(got[0]) if got else "",
                no_delivered_to(expected("bounce-copy.mbox").replace("double-bounce@", "dbl-bounce@")))
        # a bounce of a bounce: to 2bounce_notice_recipient, the whole message
        inst.sendmail(["-f", "<>", "nosuchuser2"], MSG)
        got = wait_notices(inst, "Postmaster Copy: Undelivered Mail", 2, "root")
        R.check("postmaster double-bounce copy", no_delivered_to(got[1]) if len(got) > 1 else "",
                no_delivered_to(expected("2bounce-copy.mbox").replace("double-bounce@", "dbl-bounce@")))
        R.check("postmaster non-delivery log lines",
                inst.wait_log(r"postfix/bounce\[\d+\]: [0-9A-F]+: postmaster non-delivery "
                              r"notification: [0-9A-F]+", count=n + 2), True)

        # mail from double_bounce_sender that bounces is dropped: never a loop
        n = inst.log().count("non-delivery notification")
        inst.sendmail(["-f", "dbl-bounce@mail.example.com", "nosuchuser"], MSG)
        R.true("postmaster notice dropped", inst.wait_log(
            r"postfix/bounce\[\d+\]: warning: [0-9A-F]+: undeliverable postmaster notification "
            r"discarded"))
        # any notice would be logged before the message leaves the queue: wait for that
        m = re.search(r"warning: ([0-9A-F]+): undeliverable postmaster notification discarded", inst.log())
        R.true("dropped message removed", m and inst.wait_log(r"%s: removed$" % m.group(1)), inst.log())
        R.check("no notice to double_bounce_sender", inst.log().count("non-delivery notification"), n)
    finally:
        inst.cleanup()
        sink.kill()
        sink.wait()
    R.finish()


if __name__ == "__main__":
    main()
