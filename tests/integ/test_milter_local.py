#!/usr/bin/env python3
"""test_milter_local.py - non_smtpd_milters: mail submitted with sendmail goes through the filters.

Postkit's sendmail leaves the message in the maildrop, pickup hands it to
cleanup, and cleanup shows it to the filters as Postfix 3.7.11's does.  The
events, macros, log lines and mailboxes expected here are those the Postfix
oracle gave for the same submissions with the same settings (observed with
pforacle.PfInstance and /usr/sbin/sendmail, the scripted milter of
milterpy.py and Debian's opendkim).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import milterpy  # noqa: E402
import pkit  # noqa: E402
import test_milter  # noqa: E402  (OpenDkim, dkim_verify, wait_quit)
import test_milter2  # noqa: E402  (logged)

R = pkit.Results("milter_local")
MSG = "From: a@example.com\nTo: root@mail.example.com\nSubject: hi\n\nbody line\n"
QID = r"[0-9A-Za-z]+"
LOCAL = "from localhost[127.0.0.1]: "
FROM = "; from=<a@example.com>"
TO = FROM + " to=<root@mail.example.com>"
logged = test_milter2.logged
PICKED = r"postfix/pickup\[\d+\]: (%s): uid=0 from=<a@example.com>" % QID


def submit(inst, body, rcpt="root@mail.example.com"):
    """sendmail -f a@example.com rcpt, a message whose body is body; its exit code."""
    r = inst.sendmail(["-f", "a@example.com", rcpt], MSG.replace("body line", body))
    return r.returncode


def pickup_qid(inst, count):
    """The queue ID of pickup's count-th message."""
    if not inst.wait_log(PICKED, count=count):
        return None
    ids = re.findall(PICKED, inst.log())
    return ids[count - 1] if len(ids) >= count else None


def test_events(inst, m):
    """The events, arguments and macros of a local submission, as Postfix 3.7.11 sent them."""
    R.check("events: sendmail", submit(inst, "events body"), 0)
    R.true("events: delivered", inst.wait_mailbox("root", "events body"))
    qid = pickup_qid(inst, 1)
    mid = re.search(r"%s: message-id=(<[^>]*>)" % qid, inst.log())
    date = re.search(r"\nDate: (.*)\n", inst.mailbox("root"))
    R.true("events: ids", mid is not None and date is not None, inst.log())
    if not mid or not date:
        return
    test_milter.wait_quit(m)
    R.check("events", m.events, [
        ("C", ["localhost", "4", "", "127.0.0.1"]), ("H", ["localhost"]),
        ("M", ["a@example.com"]), ("R", ["root@mail.example.com"]), ("T", []),
        ("L", ["From", "a@example.com"]), ("L", ["To", "root@mail.example.com"]),
        ("L", ["Subject", "hi"]), ("L", ["Message-Id", mid.group(1)]),
        ("L", ["Date", date.group(1)]), ("N", []), ("B", None), ("E", []), ("Q", [])])
    R.check("body", m.body, b"events body\r\n")
    R.check("macros", m.macros, {
        "C": {"j": "mail.example.com", "{daemon_name}": "mail.example.com",
              "{daemon_addr}": "127.0.0.1", "v": "Postfix 3.7.11", "_": "localhost [127.0.0.1]"},
        "H": {}, "M": {"i": qid, "{mail_addr}": "a@example.com"},
        "R": {"i": qid, "{rcpt_addr}": "root@mail.example.com"},
        "T": {"i": qid}, "L": {"i": qid}, "N": {"i": qid}, "B": {"i": qid}, "E": {"i": qid}})
    # sendmail -t: RCPT names the recipients taken from the headers, before DATA
    m.events.clear()
    inst.sendmail(["-t", "-f", "a@example.com"], MSG.replace("body line", "extracted body"))
    R.true("extract: delivered", inst.wait_mailbox("root", "extracted body"))
    test_milter.wait_quit(m)
    R.check("extract: events", m.events[:5], [
        ("C", ["localhost", "4", "", "127.0.0.1"]), ("H", ["localhost"]),
        ("M", ["a@example.com"]), ("R", ["root@mail.example.com"]), ("T", [])])
    # the null sender: an empty MAIL argument and an empty {mail_addr}
    m.events.clear()
    inst.sendmail(["-f", "<>", "root@mail.example.com"], MSG.replace("body line", "null body"))
    R.true("null sender: delivered", inst.wait_mailbox("root", "null body"))
    test_milter.wait_quit(m)
    R.check("null sender: MAIL", m.events[2], ("M", [""]))
    R.check("null sender: macros", m.macros.get("M", {}).get("{mail_addr}"), "")
    # a non-delivery notice is mail Postfix makes itself: the filter never sees it
    m.events.clear()
    R.check("bounce: sendmail", submit(inst, "nobody body", "nosuch@mail.example.com"), 0)
    R.true("bounce: notice delivered", logged(
        inst, 'to=<a@example.com>, relay=local, ', timeout=20))
    test_milter.wait_quit(m)
    R.check("bounce: one connection", [e[0] for e in m.events if e[0] in "CQ"], ["C", "Q"])


def test_edits(inst, m):
    """Every edit a filter can make, applied as Postfix 3.7.11 applied them."""
    m.events.clear()
    m.mods = [("h", "X-Added", "yes"), ("i", 0, "X-Ins0", "v"), ("m", 1, "Subject", "changed"),
              ("+", "postmaster@mail.example.com"), ("-", "root@mail.example.com"),
              ("e", "root@mail.example.com"), ("b", "new body\n")]
    before = len(inst.mailbox("root"))
    R.check("edits: sendmail", submit(inst, "edit body"), 0)
    R.true("edits: delivered", inst.wait_mailbox("root", "new body"))
    got = inst.mailbox("root")[before:]
    got = re.sub(r"id %s; .*\n" % QID, "id QID; DATE\n", got)
    got = re.sub(r"<\d+\.%s@" % QID, "<STAMP.QID@", got)
    got = re.sub(r"\nDate: .*\n", "\nDate: DATE\n", got)
    R.check("edits: message", got.split("\n", 1)[1], (
        "Return-Path: <root@mail.example.com>\nX-Original-To: postmaster@mail.example.com\n"
        "Delivered-To: postmaster@mail.example.com\nX-Ins0: v\n"
        "Received: by mail.example.com (Postfix, from userid 0)\n\tid QID; DATE\n"
        "From: a@example.com\nTo: root@mail.example.com\nSubject: changed\n"
        "Message-Id: <STAMP.QID@mail.example.com>\nDate: DATE\nX-Added: yes\n\n"
        "new body\n\n"))
    R.true("edits: log", logged(inst, "QID: from=<root@mail.example.com>, size=") and logged(
        inst, "QID: to=<root@mail.example.com>, orig_to=<postmaster@mail.example.com>, "
        "relay=local"), inst.log()[-1500:])
    m.mods = []


def test_verdicts(inst, m):
    """Refusals, discard and quarantine: Postfix 3.7.11's log lines and where the mail went."""
    n = len(re.findall(PICKED, inst.log()))
    cases = [  # the filter's answer, the log text, the bounce's DSN status and text
        ({"C": ("r",)}, "milter-reject: CONNECT " + LOCAL + "5.7.1 Command rejected" + FROM,
         ("5.7.1", "Command rejected")),
        ({"H": ("r",)}, "milter-reject: EHLO " + LOCAL + "5.7.1 Command rejected" + FROM,
         ("5.7.1", "Command rejected")),
        ({"E": ("r",)}, "milter-reject: END-OF-MESSAGE " + LOCAL + "5.7.1 Command rejected" + TO,
         ("5.7.1", "Command rejected")),
        ({"E": ("y", "550 5.7.0 go away")}, "milter-reject: END-OF-MESSAGE " + LOCAL
         + "5.7.0 go away" + TO, ("5.7.0", "go away")),
        ({"E": ("d",)}, "milter-discard: END-OF-MESSAGE " + LOCAL
         + "milter triggers DISCARD action" + TO, None),
    ]
    for i, (replies, text, bounce) in enumerate(cases):
        m.replies = replies
        m.events.clear()
        body = "verdict body %d" % i
        R.check("%s: sendmail" % text[:30], submit(inst, body), 0)
        n += 1
        qid = pickup_qid(inst, n)
        R.true("%s: log" % text[:40], logged(inst, "%s: %s" % (qid, text)), inst.log()[-1500:])
        if bounce:
            # Postfix's cleanup returns a refused local submission to its sender
            R.true("%s: bounced" % text[:40], inst.wait_log(
                r"%s: to=<root@mail\.example\.com>, relay=none, delay=[0-9.]+, delays=[0-9.]+"
                r"/0/0/0, dsn=%s, status=bounced \(%s\)" % (qid, re.escape(bounce[0]),
                                                           re.escape(bounce[1]))),
                inst.log()[-1500:])
            R.true("%s: notice" % text[:40], logged(
                inst, "%s: sender non-delivery notification: " % qid), inst.log()[-1500:])
        if "C" in replies or "H" in replies:
            # a verdict at CONNECT or HELO ends the talk: no QUIT, as Postfix
            R.check("%s: events" % text[:40], [e[0] for e in m.events],
                    ["C"] if "C" in replies else ["C", "H"])
        else:
            R.true("%s: quit" % text[:40], test_milter.wait_quit(m), m.events)
    # accepted at CONNECT: delivered, and the filter hears nothing more (Postfix: not even QUIT)
    m.replies = {"C": ("a",)}
    m.events.clear()
    submit(inst, "accepted at connect")
    n += 1
    R.true("connect accept: delivered", inst.wait_mailbox("root", "accepted at connect"))
    R.check("connect accept: events", [e[0] for e in m.events], ["C"])
    # the notice to a sender who has a mailbox: the headers of the refused message, as Postfix
    m.replies = {"E": ("r",)}
    before = len(inst.mailbox("root"))
    inst.sendmail(["-f", "root@mail.example.com", "root@mail.example.com"],
                  MSG.replace("body line", "returned body"))
    R.true("notice: delivered", inst.wait_mailbox("root", "Undelivered Message Headers"))
    got = inst.mailbox("root")[before:]
    for want in ("\n<root@mail.example.com>: Command rejected\n",
                 "\nFinal-Recipient: rfc822; root@mail.example.com\n"
                 "Original-Recipient: rfc822;root@mail.example.com\nAction: failed\n"
                 "Status: 5.7.1\nDiagnostic-Code: X-Postfix; Command rejected\n",
                 "\nContent-Description: Undelivered Message Headers\n"
                 "Content-Type: text/rfc822-headers\n"):
        R.true("notice: %r" % want[:30], want in got, got)
    R.true("notice: headers only", "returned body" not in got, got)
    test_milter.wait_quit(m)
    # quarantine: the message waits in the hold queue (the refused ones have left it)
    R.true("bounced: not held", pkit.wait_until(lambda: not inst.queue_files("hold")))
    m.replies, m.mods = {}, [("q", "held by test")]
    held = 0
    submit(inst, "held body")
    n += 1
    qid = pickup_qid(inst, n)
    R.true("hold: log", logged(inst, "%s: milter-hold: END-OF-MESSAGE %smilter triggers HOLD "
                               "action%s" % (qid, LOCAL, TO)), inst.log()[-1500:])
    R.true("hold: held", pkit.wait_until(lambda: len(inst.queue_files("hold")) == held + 1))
    # postsuper -r: the message went through the filters once, Postfix does not show it again
    # (were it shown, it would be held again); the next submission wakes pickup
    r = subprocess.run([os.path.join(pkit.TOP_BUILDDIR, "tools", "postsuper", "postsuper"), "-c",
                        inst.dir, "-r", "ALL", "hold"], capture_output=True, text=True,
                       env=inst.env(), timeout=30)
    R.check("requeue: postsuper", r.stderr, "postsuper: Requeued: %d message%s\n" % (
        held + 1, "" if held == 0 else "s"))
    submit(inst, "trigger body")
    R.true("requeue: delivered", inst.wait_mailbox("root", "held body", timeout=20))
    R.true("requeue: trigger held", pkit.wait_until(lambda: len(inst.queue_files("hold")) == 1))
    n += 1
    m.mods = []
    # "try again later" and a refused recipient: the message stays in the maildrop
    m.replies = {"R": ("r",)}
    submit(inst, "retried rcpt body")
    n += 1
    qid = pickup_qid(inst, n)
    R.true("rcpt: log", logged(inst, "%s: milter-reject: RCPT %s5.7.1 Command rejected%s" % (
        qid, LOCAL, TO)), inst.log()[-1500:])
    R.true("rcpt: warnings", logged(
        inst, "warning: %s: milter configuration error: can't reject recipient in non-smtpd(8) "
        "submission" % qid) and logged(
        inst, "warning: %s: message not accepted, try again later" % qid), inst.log()[-1500:])
    m.replies = {"M": ("t",)}
    submit(inst, "retried mail body")
    R.true("tempfail: log", logged(
        inst, "QID: milter-reject: MAIL %s4.7.1 Service unavailable - try again later%s"
        % (LOCAL, FROM)), inst.log()[-1500:])
    R.true("tempfail: kept", pkit.wait_until(lambda: len(inst.queue_files("maildrop")) == 2),
           inst.queue_files("maildrop"))
    R.true("tempfail: no pickup warning", "error writing" not in inst.log(), inst.log()[-1500:])
    # the next submission wakes pickup: now the filter takes them all
    m.replies = {}
    submit(inst, "after body")
    for body in ("retried rcpt body", "retried mail body", "after body"):
        R.true("retried: %s" % body, inst.wait_mailbox("root", body, timeout=20))
    box = inst.mailbox("root")
    for i in range(len(cases)):
        R.true("verdict %d: not delivered" % i, "verdict body %d" % i not in box)


def test_header_checks(inst, m):
    """milter_header_checks act on the headers a filter added, as Postfix 3.7.11 did."""
    ctx = "from localhost[127.0.0.1]" + TO
    cases = [("reject", "5.7.1 spammy", None), ("hold", "held it", None),
             ("warn", "warned", "X-Act: warn\n"), ("replace", "X-Rep: r", "X-Rep: r\n"),
             ("discard", "gone", None)]
    for act, text, present in cases:
        m.mods = [("h", "X-Act", act)]
        held = len(inst.queue_files("hold"))
        submit(inst, "checked body %s" % act)
        R.true("checks %s: log" % act, logged(inst, "QID: milter-header-%s: header X-Act: %s %s: %s"
                                              % ("warning" if act == "warn" else act, act, ctx,
                                                 text)), inst.log()[-1500:])
        if act == "reject":
            # returned to the sender; the file waits in hold/ only until the notice is queued
            qid = re.findall(r"(%s): milter-header-reject: " % QID, inst.log())[-1]
            R.true("checks reject: notice", logged(
                inst, "%s: sender non-delivery notification: " % qid), inst.log()[-1500:])
            R.true("checks reject: gone", pkit.wait_until(
                lambda: qid not in inst.queue_files("hold")))
        if act == "hold":
            R.true("checks hold: held",
                   pkit.wait_until(lambda: len(inst.queue_files("hold")) == held + 1))
        if present:
            R.true("checks %s: delivered" % act, inst.wait_mailbox("root", "checked body " + act))
            got = inst.mailbox("root").split("checked body " + act)[0].split("\nFrom ")[-1]
            R.true("checks %s: has %r" % (act, present), present in got, got)
    m.mods = []
    box = inst.mailbox("root")
    for act in ("reject", "hold", "discard"):
        R.true("checks %s: not delivered" % act, "checked body " + act not in box)


def test_dead():
    """An unreachable filter (tempfail: the mail waits), then one too slow (accept: delivered)."""
    m = milterpy.Milter(replies={"E": ("sleep", 4)})
    dead = pkit.free_port()
    inst = pkit.Instance(main_extra="non_smtpd_milters = inet:127.0.0.1:%d\n" % dead)
    try:
        inst.start()
        R.check("dead: sendmail", submit(inst, "dead body"), 0)
        R.true("dead: warning", logged(
            inst, "warning: connect to Milter service inet:127.0.0.1:%d: Connection refused"
            % dead), inst.log())
        R.true("dead: log", logged(inst, "QID: milter-reject: CONNECT %s4.7.1 Service unavailable"
                                   " - try again later%s" % (LOCAL, FROM)), inst.log())
        R.true("dead: kept", pkit.wait_until(lambda: len(inst.queue_files("maildrop")) == 1))
        inst.write("main.cf", inst.read("main.cf").replace(
            "inet:127.0.0.1:%d" % dead, m.spec()) + "milter_content_timeout = 2s\n"
            "milter_default_action = accept\n")
        inst.reload()
        submit(inst, "slow body")
        R.true("slow: warning", logged(
            inst, "warning: milter %s: can't read SMFIC_BODYEOB reply packet header: Connection "
            "timed out" % m.spec(), timeout=30), inst.log()[-1500:])
        for body in ("dead body", "slow body"):
            R.true("slow: delivered %s" % body, inst.wait_mailbox("root", body, timeout=30))
    finally:
        inst.cleanup()
        m.close()


def test_opendkim():
    """opendkim signs a message submitted with sendmail; the signature verifies over SMTP."""
    if shutil.which("opendkim") is None or shutil.which("opendkim-genkey") is None:
        print("opendkim not installed: DKIM checks skipped")
        return
    tmp = tempfile.mkdtemp(prefix="postkit-dkim-")
    dk = test_milter.OpenDkim(tmp)
    verify = pkit.free_port()
    inst = pkit.Instance(
        # the usual setting: local mail signed by the filter SMTP mail goes through
        main_extra="smtpd_milters = %s\nnon_smtpd_milters = $smtpd_milters\n"
        "milter_macro_daemon_name = signer\n" % dk.spec(),
        master_extra="127.0.0.1:%d inet n - n - - smtpd -o milter_macro_daemon_name=verifier\n"
        % verify)
    try:
        inst.start()
        R.check("dkim: sendmail", submit(inst, "signed body line"), 0)
        R.true("dkim: delivered", inst.wait_mailbox("root", "signed body line", timeout=20))
        mbox = inst.mailbox("root")
        R.true("dkim: DKIM-Signature", re.search(
            r"\nDKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; d=example.com; s=sel;\n",
            mbox) is not None, mbox)
        test_milter.dkim_verify(R, inst, verify, mbox)
    finally:
        inst.cleanup()
        dk.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    if not pkit.IS_ROOT:
        print("needs root (mail delivery as root): skipped")
        sys.exit(77)
    m = milterpy.Milter()
    inst = pkit.Instance(main_extra="non_smtpd_milters = %s\nmilter_header_checks = "
                         "regexp:$config_directory/hc\n" % m.spec())
    inst.write("hc", test_milter2.HC)
    try:
        inst.start()
        test_events(inst, m)
        test_edits(inst, m)
        test_verdicts(inst, m)
        test_header_checks(inst, m)
    finally:
        inst.cleanup()
        m.close()
    test_dead()
    test_opendkim()
    R.finish()


if __name__ == "__main__":
    main()
