#!/usr/bin/env python3
"""test_smuggling.py - bare LF and end-of-DATA smuggling, per smtpd_forbid_bare_newline.

Postfix 3.7.11 behaviour observed for the same input in each mode:
  no (default)   "<LF>.<LF>" ends DATA: what follows is read as commands
  normalize/yes  only "<CR><LF>.<CR><LF>" ends DATA; a ".<LF>" line is dropped
  reject         the message is refused with 550 at its end; a command line
                 with a bare LF gets 550 and the connection is closed
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("smuggling")
SMUGGLE = b"Subject: t1\r\n\r\nline1\nline2 bare lf\r\n.\nafter bare dot\r\nMAIL FROM:<x@y>\r\n.\r\n"


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
    finally:
        inst.cleanup()


def main():
    pkit.require_binaries()
    for mode in ("", "normalize", "yes", "reject"):
        run(mode)
    R.finish()


if __name__ == "__main__":
    main()
