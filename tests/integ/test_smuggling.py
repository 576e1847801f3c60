#!/usr/bin/env python3
"""test_smuggling.py - bare LF and end-of-DATA smuggling, per smtpd_forbid_bare_newline.

Postfix 3.7.11 behaviour observed for the same input in each mode:
  no (default)   "<LF>.<LF>" ends DATA: what follows is read as commands
  normalize/yes  only "<CR><LF>.<CR><LF>" ends DATA; a ".<LF>" line is dropped
  reject         the message is refused with 550 at its end; a command line
                 with a bare LF gets 550 and the connection is closed

COMBOS: each way to write the end of DATA with a bare <LF>, a NUL or extra
<CR>s, what Postfix 3.7.11 answered in each mode and the body it delivered.
With "no" a line ends at <LF> after any number of <CR>s; with normalize or
reject exactly one <CR> goes with the <LF> and only <CR><LF>.<CR><LF> ends
the data; a "." line next to a bare <LF> is dropped.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("smuggling")
SMUGGLE = b"Subject: t1\r\n\r\nline1\nline2 bare lf\r\n.\nafter bare dot\r\nMAIL FROM:<x@y>\r\n.\r\n"


EARLY = ["250", "500 5.5.2 Error: command not recognized",
         "500 5.5.2 Error: command not recognized",
         "221 2.7.0 Error: I can break rules, too. Goodbye."]
ONE = ["250", "221 2.0.0 Bye"]
DOT = ["250", "221 2.7.0 Error: I can break rules, too. Goodbye."]
REJ = ["550 5.5.2 mail.example.com Error: bare <LF> received", "221 2.0.0 Bye"]
REST = "line1\nSMUG1\ntail\n"
# name, bytes after the empty line, then (replies, body) for no, normalize, reject
COMBOS = [
    ("lf-dot-crlf", b"line1\n.\r\n", (EARLY, "line1\n"), (ONE, REST), (REJ, None)),
    ("crlf-dot-lf", b"line1\r\n.\n", (EARLY, "line1\n"), (ONE, REST), (REJ, None)),
    ("lf-dot-lf", b"line1\n.\n", (EARLY, "line1\n"), (ONE, REST), (REJ, None)),
    ("crlf-dot-nul-crlf", b"line1\r\n.\0\r\n", (ONE, "line1\n\0\nSMUG1\ntail\n"),
     (ONE, "line1\n\0\nSMUG1\ntail\n"), (ONE, "line1\n\0\nSMUG1\ntail\n")),
    ("crlf-nul-dot-lf", b"line1\r\n\0.\n", (ONE, "line1\n\0.\nSMUG1\ntail\n"),
     (ONE, "line1\n\0.\nSMUG1\ntail\n"), (REJ, None)),
    ("crlf-dot-crcrlf", b"line1\r\n.\r\r\n", (EARLY, "line1\n"),
     (ONE, "line1\n \nSMUG1\ntail\n"), (ONE, "line1\n \nSMUG1\ntail\n")),
    ("crcrlf-dot-crlf", b"line1\r\r\n.\r\n", (EARLY, "line1\n"), (EARLY, "line1 \n"),
     (EARLY, "line1 \n")),
    ("lf-dot-crcrlf", b"line1\n.\r\r\n", (EARLY, "line1\n"),
     (ONE, "line1\n \nSMUG1\ntail\n"), (REJ, None)),
    ("crlf-dot-crlf", b"line1\r\n.\r\n", (EARLY, "line1\n"), (EARLY, "line1\n"),
     (EARLY, "line1\n")),
    ("cr-dot-cr", b"line1\r.\r", (ONE, "line1 . SMUG1\ntail\n"),
     (ONE, "line1 . SMUG1\ntail\n"), (ONE, "line1 . SMUG1\ntail\n")),
    ("crlf-dot-lf-dot-crlf", b"line1\r\n.\n.\r\n", (DOT, "line1\n"), (ONE, REST), (REJ, None)),
    ("many-cr", b"a\r\r\r\nb\r \r\nc\r\n.\r\r\r\n", (EARLY, "a\nb  \nc\n"),
     (ONE, "a  \nb  \nc\n  \nSMUG1\ntail\n"), (ONE, "a  \nb  \nc\n  \nSMUG1\ntail\n")),
    ("stuffed-dots", b"..\r\r\n..\n.a\n.\r.\r\n", (ONE, ".\n.\na\n .\nSMUG1\ntail\n"),
     (ONE, ". \n.\na\n .\nSMUG1\ntail\n"), (REJ, None)),
]


def combo_session(inst, name, seq):
    """DATA with seq then "SMUG1", "tail" and the real end, QUIT in the same
    write (the server has it all in its buffer: no reset when it hangs up
    early); every reply up to the end of the connection."""
    s = start_data(inst)
    s.send(b"Subject: c-" + name.encode() + b"\r\n\r\n" + seq
           + b"SMUG1\r\ntail\r\n.\r\nQUIT\r\n")
    got = []
    while True:
        try:
            line = s.reply()[-1]
        except (EOFError, OSError):
            break
        got.append(line[:3] if line.startswith("250 2.0.0 Ok: queued as ") else line)
    s.close()
    return got


def mailbox_bodies(text):
    """{subject: body} of the messages in an mbox."""
    out = {}
    for msg in re.split(r"(?m)^From \S+  [A-Z][a-z]{2} .*\n", text)[1:]:
        head, _, body = msg.partition("\n\n")
        m = re.search(r"(?m)^Subject: (\S+)", head)
        if m:
            out[m.group(1)] = body[:-1] if body.endswith("\n") else body
    return out


def run_combos(inst, mode):
    col = {"": 0, "no": 0, "normalize": 1, "yes": 1, "reject": 2}[mode]
    label = mode or "no"
    for c in COMBOS:
        want = c[2 + col][0]
        R.check("%s: %s: replies" % (label, c[0]), combo_session(inst, c[0], c[1]), want)
    want = {"c-" + c[0]: c[2 + col][1] for c in COMBOS if c[2 + col][1] is not None}
    deadline = time.time() + 10
    while time.time() < deadline:
        got = mailbox_bodies(inst.mailbox("nobody"))
        if all(k in got for k in want):
            break
        time.sleep(0.05)
    for c in COMBOS:
        R.check("%s: %s: delivered" % (label, c[0]), got.get("c-" + c[0]), c[2 + col][1])


def start_data(inst):
    s = inst.session()
    s.cmd("EHLO inside.example.net")
    s.cmd("MAIL FROM:<someone@example.net>")
    s.cmd("RCPT TO:<nobody@example.com>")
    s.cmd("DATA")
    return s


def replies(s, n):
    out = []
    for _ in range(n):
        try:
            out.append(s.reply()[-1])
        except (EOFError, OSError):
            out.append("EOF")
            break
    return out


def run(mode):
    extra = "smtpd_forbid_bare_newline_exclusions =\n"
    if mode:
        extra += "smtpd_forbid_bare_newline = %s\n" % mode
    inst = pkit.Instance(main_extra=extra)
    try:
        inst.start()
        s = start_data(inst)
        s.send(SMUGGLE)
        got = replies(s, 4 if mode in ("", "no") else 1)
        if mode not in ("", "no"):
            got.append(s.cmd("QUIT"))
        s.close()
        if mode in ("", "no"):
            R.check("no: replies", [got[0][:24]] + got[1:],
                    ["250 2.0.0 Ok: queued as ", "500 5.5.2 Error: command not recognized",
                     "250 2.1.0 Ok", "221 2.7.0 Error: I can break rules, too. Goodbye."])
            R.true("no: first message ends at <LF>.<LF>",
                   inst.wait_mailbox("nobody", "line1\nline2 bare lf\n\n"), inst.mailbox("nobody"))
        elif mode == "reject":
            R.check("reject: end of data", got,
                    ["550 5.5.2 mail.example.com Error: bare <LF> received", "221 2.0.0 Bye"])
            R.true("reject: logged", inst.wait_log(
                r"[0-9A-F]+: reject: END-OF-MESSAGE from localhost\[127\.0\.0\.1\]: bare <LF> "
                r"received; from=<someone@example\.net> to=<nobody@example\.com> proto=ESMTP "
                r"helo=<inside\.example\.net>"))
            time.sleep(0.3)
            R.check("reject: nothing delivered", inst.mailbox("nobody"), "")
            s = inst.session()
            s.send(b"EHLO x\n")
            R.check("reject: bare LF command", replies(s, 2),
                    ["550 5.5.2 mail.example.com Error: bare <LF> received", "EOF"])
            s.close()
            R.true("reject: command logged", inst.wait_log(
                r"NOQUEUE: reject: CONNECT from localhost\[127\.0\.0\.1\]: bare <LF> received; "
                r"proto=SMTP"))
        else:
            R.check("%s: one message" % mode, [got[0][:24], got[1]],
                    ["250 2.0.0 Ok: queued as ", "221 2.0.0 Bye"])
            R.true("%s: the dot line is dropped, nothing smuggled" % mode,
                   inst.wait_mailbox("nobody", "line1\nline2 bare lf\nafter bare dot\n"
                                     "MAIL FROM:<x@y>\n\n"), inst.mailbox("nobody"))
            s = start_data(inst)
            s.send(b"Subject: t3\r\n\r\nx\r\n.x\r\n.\n..\n\r\nab\rcd\r\n.\r\n")
            r = s.reply()[-1]
            s.cmd("QUIT")
            s.close()
            R.true("%s: queued" % mode, r.startswith("250 2.0.0 Ok: queued as "), r)
            R.true("%s: dots and bare CR as Postfix" % mode,
                   inst.wait_mailbox("nobody", "\n\nx\nx\n.\n\nab cd\n\n"), inst.mailbox("nobody"))
        run_combos(inst, mode)
    finally:
        inst.cleanup()


def main():
    pkit.require_binaries()
    for mode in ("", "normalize", "yes", "reject"):
        run(mode)
    R.finish()


if __name__ == "__main__":
    main()
