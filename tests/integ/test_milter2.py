#!/usr/bin/env python3
"""test_milter2.py - smtpd_milter_maps, milter_header_checks, smtpd_delay_open_until_valid_rcpt.

The scripted milter (milterpy.py) runs inside the test on 127.0.0.1.  The
replies and log lines expected here are those Postfix 3.7.11 gave for the
same traffic with the same settings (observed with pforacle.PfInstance).
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import milterpy  # noqa: E402
import pkit  # noqa: E402

R = pkit.Results("milter2")
MSG = "From: a@example.com\nTo: b@example.com\nSubject: hi\n\nbody line\n"
QID = r"[0-9A-Za-z]+"
CLIENT = "localhost[127.0.0.1]"
TAIL = "from=<a@example.com> to=<%s> proto=ESMTP helo=<client.example>"


def session(port, rcpts=("root@mail.example.com",), msg=MSG):
    """One transaction: the last line of each reply, greeting first (DATA only after a 250)."""
    s = pkit.Session(port)
    out = [s.greeting[-1], s.cmd("EHLO client.example"), s.cmd("MAIL FROM:<a@example.com>")]
    for r in rcpts:
        out.append(s.cmd("RCPT TO:<%s>" % r))
    if any(o.startswith("250 2.1.5") for o in out[3:]):
        out.append(s.data(msg))
    out.append(s.cmd("QUIT"))
    s.close()
    return out


def logged(inst, text, timeout=10, count=1):
    """A maillog line containing text (QID stands for a queue ID) appeared."""
    return inst.wait_log(re.escape(text).replace("QID", QID), timeout=timeout, count=count)


def test_delay_open():
    """smtpd_delay_open_until_valid_rcpt: with no, the queue ID comes at MAIL FROM."""
    bad, good = "nobody@other.example", "root@mail.example.com"
    rej = ("reject: RCPT from %s: 454 4.7.1 <%s>: Relay access denied; " % (CLIENT, bad)
           + TAIL % bad)
    for value in ("yes", "no"):
        inst = pkit.Instance(main_extra="smtpd_delay_open_until_valid_rcpt = %s\n" % value)
        try:
            inst.start()
            out = session(inst.port, rcpts=(bad, good))
            R.check("%s: replies" % value, out[2:5],
                    ["250 2.1.0 Ok", "454 4.7.1 <%s>: Relay access denied" % bad, "250 2.1.5 Ok"])
            R.true("%s: queued" % value, out[5].startswith("250 2.0.0 Ok: queued as "), out[5])
            if value == "no":
                # Postfix 3.7.11: client= at MAIL, the rejected recipient under that queue ID
                R.true("no: reject with QID", logged(inst, "QID: " + rej), inst.log()[-800:])
                R.true("no: QID order", re.search(
                    r"(%s): client=%s\n.*\1: reject: RCPT" % (QID, re.escape(CLIENT)),
                    inst.log()) is not None, inst.log()[-800:])
            else:
                R.true("yes: reject NOQUEUE", logged(inst, "NOQUEUE: " + rej), inst.log()[-800:])
            # MAIL, RSET: Postfix logs client= for no and nothing for yes
            n = inst.log().count(": client=%s" % CLIENT)
            s = pkit.Session(inst.port)
            R.check("%s: mail rset" % value, [s.cmd("EHLO x"), s.cmd("MAIL FROM:<a@example.com>"),
                                              s.cmd("RSET"), s.cmd("QUIT")],
                    ["250 CHUNKING", "250 2.1.0 Ok", "250 2.0.0 Ok", "221 2.0.0 Bye"])
            s.close()
            inst.wait_log(r"rset=1 quit=1 commands=4")
            R.check("%s: client= after MAIL, RSET" % value,
                    inst.log().count(": client=%s" % CLIENT) - n, 1 if value == "no" else 0)
            deadline = time.time() + 5  # the delivered message may still be on its way
            while inst.queue_files("incoming") and time.time() < deadline:
                time.sleep(0.05)
            R.check("%s: nothing left in incoming" % value, inst.queue_files("incoming"), [])
        finally:
            inst.cleanup()


def test_milter_maps():
    """smtpd_milter_maps: by client address, DISABLE or another list overrides smtpd_milters."""
    m1, m2 = milterpy.Milter(), milterpy.Milter()
    ports = {k: pkit.free_port() for k in ("disable", "other", "nomatch", "dead")}
    extra = "".join("127.0.0.1:%d inet n - n - - smtpd -o smtpd_milter_maps=cidr:"
                    "$config_directory/mm-%s\n" % (p, k) for k, p in ports.items())
    inst = pkit.Instance(main_extra="smtpd_milters = %s\n" % m1.spec(), master_extra=extra)
    dead = pkit.free_port()
    maps = {"disable": "127.0.0.0/8 disable\n",
            "other": "127.0.0.1/32 { %s, default_action=tempfail }\n" % m2.spec(),
            "nomatch": "192.0.2.0/24 DISABLE\n",
            "dead": "127.0.0.1 inet:127.0.0.1:%d\n" % dead}
    for k, v in maps.items():
        inst.write("mm-%s" % k, v)
    try:
        inst.start()
        for k, who in (("disable", None), ("other", m2), ("nomatch", m1)):
            m1.events.clear()
            m2.events.clear()
            out = session(ports[k])
            R.true("maps %s: queued" % k, out[4].startswith("250 2.0.0 Ok: queued as "), out)
            time.sleep(0.3)
            for name, m in (("m1", m1), ("m2", m2)):
                got = [e[0] for e in m.events][:4]
                R.check("maps %s: %s events" % (k, name), got,
                        ["C", "H", "M", "R"] if m is who else [])
        out = session(ports["dead"])
        # what Postfix 3.7.11 replied and logged with the same table
        R.check("maps dead: replies", out[2:], ["451 4.7.1 Service unavailable - try again later",
                                                "503 5.5.1 Error: need MAIL command",
                                                "221 2.0.0 Bye"])
        R.true("maps dead: warning", logged(
            inst, "warning: connect to Milter service inet:127.0.0.1:%d: Connection refused"
            % dead))
        R.true("maps dead: log", logged(
            inst, "NOQUEUE: milter-reject: MAIL from %s: 451 4.7.1 Service unavailable - try "
            "again later; from=<a@example.com> proto=ESMTP helo=<client.example>" % CLIENT))
    finally:
        inst.cleanup()
        m1.close()
        m2.close()


HC = """\
/^X-Act: reject/ REJECT spammy
/^X-Act: hold/ HOLD held it
/^X-Act: discard/ DISCARD gone
/^X-Act: warn/ WARN warned
/^X-Act: prepend/ PREPEND X-P: p
/^X-Act: replace/ REPLACE X-Rep: r
/^X-Act: strip/ STRIP stripped
/^X-Act: ignore/ IGNORE
"""


def test_header_checks():
    """milter_header_checks: the actions on headers a milter added, as Postfix 3.7.11 took them."""
    m = milterpy.Milter()
    inst = pkit.Instance(main_extra="smtpd_milters = %s\nmilter_header_checks = "
                         "regexp:$config_directory/hc\nheader_checks = "
                         "regexp:$config_directory/hcp\n" % m.spec())
    inst.write("hc", HC)
    inst.write("hcp", "/^X-Act: plain/ REJECT plain check\n")
    ctx = "from %s; %s" % (CLIENT, TAIL % "root@mail.example.com")
    # action, reply, log text after the context (None: nothing logged), in the mailbox, not in it
    cases = [
        ("reject", "550 5.7.1 spammy", "5.7.1 spammy", None, None),
        ("hold", None, "held it", None, None),
        ("discard", None, "gone", None, None),
        ("warn", None, "warned", "X-Act: warn\n", None),
        ("prepend", None, "X-P: p", "X-Act: prepend\n", "X-P: p"),
        ("replace", None, "X-Rep: r", "X-Rep: r\n", "X-Act: replace"),
        ("strip", None, "stripped", "body prepare strip", "X-Act: strip"),
        ("ignore", None, None, "body prepare ignore", "X-Act: ignore"),
    ]
    try:
        inst.start()
        for act, reply, text, present, absent in cases:
            m.mods = [("h", "X-Act", act)]
            held = len(inst.queue_files("hold"))
            before = inst.mailbox("root") if os.path.exists(inst.path("mail", "root")) else ""
            out = session(inst.port, msg=MSG.replace("body line", "body prepare %s" % act))
            if reply:
                R.check("%s: reply" % act, out[4], reply)
            else:
                R.true("%s: queued" % act, out[4].startswith("250 2.0.0 Ok: queued as "), out)
            if text:
                logs = "QID: milter-header-%s: header X-Act: %s %s: %s" % (
                    "warning" if act == "warn" else act, act, ctx, text)
                R.true("%s: log" % act, logged(inst, logs), inst.log()[-1000:])
            if act == "prepend":
                R.true("prepend: warning", logged(
                    inst, "warning: the milter_header/body_checks prepend action is not "
                    "implemented"))
            if act == "hold":
                R.check("hold: held", len(inst.queue_files("hold")), held + 1)
            if present:
                R.true("%s: delivered" % act, inst.wait_mailbox("root", "body prepare " + act))
                got = inst.mailbox("root")[len(before):]
                R.true("%s: has %r" % (act, present), present in got, got)
                if absent:
                    R.true("%s: lacks %r" % (act, absent), absent not in got, got)
        R.true("ignore: not logged", "milter-header-ignore" not in inst.log())
        # header_checks saw the message before the filter: not its header (Postfix 3.7.11 queued it)
        m.mods = [("h", "X-Act", "plain")]
        out = session(inst.port)
        R.true("header_checks: milter header", out[4].startswith("250 2.0.0 Ok: queued as "), out)
        m.mods = []
        out = session(inst.port, msg="X-Act: plain\n" + MSG)
        R.check("header_checks: client header", out[4], "550 5.7.1 plain check")
        R.true("discard: not delivered", "body prepare discard" not in inst.mailbox("root"))
    finally:
        inst.cleanup()
        m.close()


def main():
    if not pkit.IS_ROOT:
        print("needs root (mail delivery as root): skipped")
        sys.exit(77)
    test_delay_open()
    test_milter_maps()
    test_header_checks()
    R.finish()


if __name__ == "__main__":
    main()
