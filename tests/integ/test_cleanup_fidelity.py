#!/usr/bin/env python3
"""test_cleanup_fidelity.py - what SMTP mail looks like after smtpd and cleanup.

Each case sends one message over SMTP (EHLO x.example.net, client 127.0.0.1)
and compares the delivered mailbox text with what Postfix 3.7.11 delivered
for the same session (tests/integ/pforacle.py; dates and queue IDs masked).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("cleanup_fidelity")

HEAD = ("From a@example.net  DATE\n"
        "Return-Path: <a@example.net>\n"
        "X-Original-To: nobody@example.com\n"
        "Delivered-To: nobody@example.com\n"
        "Received: from x.example.net (localhost [127.0.0.1])\n"
        "\tby mail.example.com (Postfix) with ESMTP id QID\n"
        "\tfor <nobody@example.com>; DATE\n")
TAIL = ("Message-Id: <STAMP.QID@mail.example.com>\n"
        "Date: DATE\n"
        "From: a@example.net\n")

# (name, DATA content as sent, dot-stuffed, without the final "."; what Postfix delivered
# between the Received header and the headers cleanup adds; the rest after those)
CASES = [
    # mbox "From " lines at the top become X-Mailbox-Line: headers (smtpd)
    ("From_ line at the top", "From a@b Mon Dec 7\r\nSubject: a\r\n\r\nFrom me\r\n>From x\r\n",
     "X-Mailbox-Line: From a@b Mon Dec 7\nSubject: a\n", "\n>From me\n>From x\n\n"),
    # ">From " too; ".From " (sent so, "From " after unstuffing) is no such line: body
    (">>From_ line, then .From", ">>From a@b Mon\r\n.From c\r\nSubject: s\r\n\r\nbody\r\n",
     "X-Mailbox-Line: >>From a@b Mon\n", "\n>From c\nSubject: s\n\nbody\n\n"),
    # white space after the From_ lines: the body starts there
    ("From_ line, then white space", "From a@b Mon\r\n cont\r\nSubject: s\r\n\r\nbody\r\n",
     "X-Mailbox-Line: From a@b Mon\n", "\n cont\nSubject: s\n\nbody\n\n"),
    # a rewritten address header: no space between ">" and a comment
    ("<addr>(c)", "To: <nobody>(c)\r\n\r\nb\r\n",
     "To: <nobody@mail.example.com>(c)\n", "\nb\n\n"),
    ("Name <addr> (c), x", "To: Name <nobody> (c), x\r\n\r\nb\r\n",
     "To: Name <nobody@mail.example.com>(c), x@mail.example.com\n", "\nb\n\n"),
    ("group <addr> (c);", "To: g:<nobody> (c);\r\n\r\nb\r\n",
     "To: g: <nobody@mail.example.com>(c);\n", "\nb\n\n"),
    # a source route goes, and makes the header change even when the address stays
    ("<@route:addr>", "To: <@r1:u@d>\r\n\r\nb\r\n", "To: <u@d>\n", "\nb\n\n"),
    ("Name <@r1,@r2:addr>", "To: x, Name <@r1,@r2:u@d>\r\n\r\nb\r\n",
     "To: x@mail.example.com, Name <u@d>\n", "\nb\n\n"),
    # quoted strings and backslashes: the address is quoted anew, as far as it needs it
    ('"c", x@y', 'To: "c", x@y\r\n\r\nb\r\n', "To: c@mail.example.com, x@y\n", "\nb\n\n"),
    ('"c d"', 'To: "c d"\r\n\r\nb\r\n', 'To: "c d"@mail.example.com\n', "\nb\n\n"),
    ("a\\b, x", "To: a\\b, x\r\n\r\nb\r\n", "To: ab@mail.example.com, x@mail.example.com\n",
     "\nb\n\n"),
    ("a\\@b@c, x", "To: a\\@b@c, x\r\n\r\nb\r\n", 'To: "a@b"@c, x@mail.example.com\n',
     "\nb\n\n"),
    ('"", ""@x, y', 'To: "", ""@x, y\r\n\r\nb\r\n', 'To: "", ""@x, y@mail.example.com\n',
     "\nb\n\n"),
    ('"w"@h.example.com', 'Cc: "w"@h.example.com\r\n\r\nb\r\n', "Cc: w@h.example.com\n",
     "\nb\n\n"),
    # a comma at the end: one more (empty) element
    ("a, b,", "To: a, b,\r\n\r\nb\r\n", "To: a@mail.example.com, b@mail.example.com, \n",
     "\nb\n\n"),
    ("a,,", "To: a,,\r\n\r\nb\r\n", "To: a@mail.example.com, , \n", "\nb\n\n"),
    # folding: a line may reach 70 characters after the TAB, the first one stops before 70
    ("folding at 70", "To: %s, %s, %s, d\r\n\r\nb\r\n" % ("a" * 43, "b" * 13, "c" * 19),
     "To: %s@mail.example.com,\n\t%s@mail.example.com, %s@mail.example.com,\n"
     "\td@mail.example.com\n" % ("a" * 43, "b" * 13, "c" * 19), "\nb\n\n"),
    ("folding at 71", "To: %s, %s, %s, d\r\n\r\nb\r\n" % ("a" * 43, "b" * 13, "c" * 20),
     "To: %s@mail.example.com,\n\t%s@mail.example.com,\n\t%s@mail.example.com,"
     " d@mail.example.com\n" % ("a" * 43, "b" * 13, "c" * 20), "\nb\n\n"),
    ("folding, first line at 70", "To: %s, %s\r\n\r\nb\r\n" % ("b" * 13, "c" * 17),
     "To: %s@mail.example.com,\n\t%s@mail.example.com\n" % ("b" * 13, "c" * 17), "\nb\n\n"),
]


# BDAT: (name, chunks, the last reply, what Postfix delivered after "Date: DATE\n");
# any <CR>s before <LF> end a line, also across chunks; the size counts <CR><LF> per line
BDAT = [
    ("BDAT <CR><CR><LF>, <CR> mid-line", [b"Subject: s\r\n\r\na\r\r\nb\rc\r\n"],
     "250 2.0.0 Ok: 22 bytes queued as QID", "\na\nb c\n\n"),
    ("BDAT bare <LF>s", [b"Subject: s\n\nbare lf\n"],
     "250 2.0.0 Ok: 23 bytes queued as QID", "\nbare lf\n\n"),
    ("BDAT no line end at the end", [b"Subject: s\r\n\r\nno eol"],
     "250 2.0.0 Ok: 22 bytes queued as QID", "\nno eol\n\n"),
    ("BDAT <CR><CR> | <LF> over two chunks", [b"Subject: s\r\n\r\r", b"\nbody\r\nx"],
     "250 2.0.0 Ok: 23 bytes queued as QID", "\nbody\nx\n\n"),
    ("BDAT <CR>s mid-line and at the end", [b"Subject: s\r\n\r\na\rb\r\r\rc\r\n\r"],
     "250 2.0.0 Ok: 26 bytes queued as QID", "\na b   c\n \n\n"),
]


def send_bdat(inst, chunks):
    """One SMTP transaction with BDAT chunks, the last with LAST; the replies to them."""
    s = inst.session()
    s.cmd("EHLO x.example.net")
    s.cmd("MAIL FROM:<a@example.net>")
    s.cmd("RCPT TO:<nobody@example.com>")
    replies = []
    for i, c in enumerate(chunks):
        s.send(b"BDAT %d%s\r\n" % (len(c), b" LAST" if i == len(chunks) - 1 else b"") + c)
        replies.append(s.reply()[-1])
    s.cmd("QUIT")
    s.close()
    return replies


def received_from(inst, helo):
    """The first line of the Received header of a message sent after helo."""
    s = inst.session()
    s.cmd(helo)
    s.cmd("MAIL FROM:<a@example.net>")
    s.cmd("RCPT TO:<nobody@example.com>")
    before = len(inst.mailbox("nobody"))
    r = s.data("Subject: h\n\nb\n")
    s.cmd("QUIT")
    s.close()
    m = re.search(r"queued as ([0-9A-F]+)", r)
    if not m or not inst.wait_log(m.group(1) + r": removed"):
        return r
    box = inst.mailbox("nobody")[before:]
    return [l for l in box.splitlines() if l.startswith("Received: ")][0]


def send(inst, content):
    """One SMTP transaction with content as the DATA lines; the queue ID or None."""
    s = inst.session()
    s.cmd("EHLO x.example.net")
    s.cmd("MAIL FROM:<a@example.net>")
    s.cmd("RCPT TO:<nobody@example.com>")
    r = s.cmd("DATA")
    if r.startswith("354"):
        s.send(content + ".\r\n")
        r = s.reply()[-1]
    s.cmd("QUIT")
    s.close()
    m = re.search(r"queued as ([0-9A-F]+)", r)
    return m.group(1) if m else None


def main():
    pkit.require_binaries()
    inst = pkit.Instance()
    try:
        inst.start()
        for name, content, head, rest in CASES:
            before = len(inst.mailbox("nobody"))
            qid = send(inst, content)
            if not R.true(name + ": queued", qid is not None):
                continue
            R.true(name + ": delivered", inst.wait_log(qid + r": removed"))
            got = pkit.strip_dates(inst.mailbox("nobody")[before:])
            R.check(name, got, HEAD + head + TAIL + rest)
        # the HELO name: words joined by a space, then " <>()\\\";@" each a "?"
        for helo, want in (("HELO a  b", "a?b"), ("EHLO (x)", "?x?"), ('EHLO x@y;"z"', "x?y??z?")):
            R.check("Received: " + helo, received_from(inst, helo),
                    "Received: from %s (localhost [127.0.0.1])" % want)
        for name, chunks, reply, rest in BDAT:
            before = len(inst.mailbox("nobody"))
            replies = send_bdat(inst, chunks)
            R.check(name + ": reply", pkit.strip_dates(replies[-1]), reply)
            m = re.search(r"queued as ([0-9A-F]+)", replies[-1])
            if not R.true(name + ": queued", m is not None):
                continue
            R.true(name + ": delivered", inst.wait_log(m.group(1) + r": removed"))
            got = pkit.strip_dates(inst.mailbox("nobody")[before:])
            R.check(name, got, HEAD + "Subject: s\n" + TAIL + rest)
    finally:
        inst.cleanup()
    # append_dot_mydomain = yes: "x@host" is changed, so the header is written back
    inst = pkit.Instance(main_extra="append_dot_mydomain = yes\n")
    try:
        inst.start()
        before = len(inst.mailbox("nobody"))
        qid = send(inst, "From: x@host\r\nTo: y@host.sub, a%b@host\r\n\r\nb\r\n")
        if R.true("append_dot_mydomain: queued", qid is not None):
            inst.wait_log(qid + r": removed")
            box = inst.mailbox("nobody")[before:]
            R.check("append_dot_mydomain", [l for l in box.splitlines() if l[:3] in ("Fro", "To:")][1:],
                    ["From: x@host.example.com", "To: y@host.sub, a%b@host.example.com"])
    finally:
        inst.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
