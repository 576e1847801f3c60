#!/usr/bin/env python3
"""test_local.py - sendmail, pickup, cleanup and local delivery, byte for byte.

The mbox layout, the headers cleanup adds, alias expansion results, the
log lines and the bounce (RFC 3464) are compared with what Postfix 3.7.11
produced for the same submissions (dates and queue IDs masked).
"""
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("local")
FULL = (pwd.getpwuid(os.getuid()).pw_gecos or "").split(",")[0]
UID = os.getuid()


def from_header(addr):
    return "From: %s <%s>" % (FULL, addr) if FULL else "From: %s" % addr


def program_names():
    """sendmail run as newaliases or mailq speaks under that name on the terminal, as Postfix."""
    d = tempfile.mkdtemp(prefix="postkit-names-")
    try:
        with open(os.path.join(d, "main.cf"), "w") as f:
            f.write("queue_directory = %s/nosuchqueue\ncompatibility_level = 3.6\n" % d)
        for name in ("newaliases", "mailq", "sendmail"):
            os.symlink(pkit.SENDMAIL, os.path.join(d, name))
            env = dict(os.environ, MAIL_CONFIG=d)
            r = subprocess.run([os.path.join(d, name)] + (["-bp"] if name == "sendmail" else []),
                               env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
            R.check("%s: exit" % name, r.returncode, 75)
            R.check("%s: message" % name, r.stderr,
                    "%s: fatal: chdir %s/nosuchqueue: No such file or directory\n" % (name, d))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    pkit.require_binaries()
    out = None
    inst = pkit.Instance(aliases="""\
postmaster root
list nobody, %s
chain list
cmd "|/bin/cat >> OUT/cmdout"
file OUT/fileout
maildir OUT/Maildir/
inc :include:INC
loop1 loop2
loop2 loop1
""" % pkit.ME, main_extra="queue_run_delay = 1s\n")
    out = inst.path("out")
    os.mkdir(out)
    os.chmod(out, 0o777)
    inst.write("aliases", inst.read("aliases").replace("OUT", out).replace("INC", inst.path("inc.list")))
    inst.write("inc.list", "# a comment\nnobody\n")
    try:
        inst.start()
        r = inst.sendmail(["-f", "sender@example.net", "nobody"],
                          "Subject: local test\nTo: nobody\n\nFrom the start of a line\nline two\n"
                          ">From already quoted\n.\nnot read: a lone dot ends input without -i\n")
        R.check("sendmail exit", r.returncode, 0)
        R.true("delivered", inst.wait_mailbox("nobody", "already quoted"))
        want = ("From sender@example.net  DATE\n"
                "Return-Path: <sender@example.net>\n"
                "X-Original-To: nobody\n"
                "Delivered-To: nobody@mail.example.com\n"
                "Received: by mail.example.com (Postfix, from userid %d)\n"
                "\tid QID; DATE\n"
                "Subject: local test\n"
                "To: nobody@mail.example.com\n"
                "Message-Id: <STAMP.QID@mail.example.com>\n"
                "Date: DATE\n"
                "%s\n"
                "\n"
                ">From the start of a line\n"
                "line two\n"
                ">From already quoted\n"
                "\n") % (UID, from_header("sender@example.net"))
        R.check("mbox bytes", pkit.strip_dates(inst.mailbox("nobody")), want)
        R.true("pickup log", inst.wait_log(r"postfix/pickup\[\d+\]: [0-9A-F]+: uid=%d "
                                           r"from=<sender@example\.net>" % UID))
        R.true("local log", inst.wait_log(
            r"postfix/local\[\d+\]: [0-9A-F]+: to=<nobody@mail\.example\.com>, orig_to=<nobody>, "
            r"relay=local, delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=2\.0\.0, "
            r"status=sent \(delivered to mailbox\)"))
        R.true("qmgr log", inst.wait_log(r"postfix/qmgr\[\d+\]: [0-9A-F]+: from=<sender@example\.net>, "
                                         r"size=\d+, nrcpt=1 \(queue active\)"))
        R.true("removed", inst.wait_log(r"postfix/qmgr\[\d+\]: [0-9A-F]+: removed"))

        # -t -i: recipients from the header, a lone dot is data, Bcc is not kept
        before = inst.mailbox("nobody")
        r = inst.sendmail(["-t", "-i"], "Subject: t2\nTo: nobody@localhost\nBcc: postmaster\n\n"
                          "body line\n.\nstill body after lone dot because -i\n")
        R.check("sendmail -t exit", r.returncode, 0)
        R.true("-t delivered", inst.wait_mailbox("nobody", "because -i\n\n"))
        second = pkit.strip_dates(inst.mailbox("nobody")[len(before):])
        R.check("-t -i mbox bytes", second,
                "From %s@mail.example.com  DATE\n"
                "Return-Path: <%s@mail.example.com>\n"
                "X-Original-To: nobody@localhost\n"
                "Delivered-To: nobody@localhost\n"
                "Received: by mail.example.com (Postfix, from userid %d)\n"
                "\tid QID; DATE\n"
                "Subject: t2\n"
                "To: nobody@localhost\n"
                "Message-Id: <STAMP.QID@mail.example.com>\n"
                "Date: DATE\n"
                "%s\n"
                "\n"
                "body line\n"
                ".\n"
                "still body after lone dot because -i\n\n" % (pkit.ME, pkit.ME, UID,
                                                              from_header("%s@mail.example.com" % pkit.ME)))
        R.true("Bcc recipient got it without the Bcc header",
               inst.wait_mailbox("root" if pkit.ME == "root" else pkit.ME, "Subject: t2") and
               "Bcc:" not in inst.mailbox("root" if pkit.ME == "root" else pkit.ME))

        # -t: a header whose addresses cleanup qualified is written back tidied and folded, and the
        # recipients it names keep the address as written as their original (Postfix 3.7.11)
        before = inst.mailbox("nobody")
        r = inst.sendmail(["-t"], "Subject: t3\nTo:  nobody,\"Some One\"<nobody@localhost>,  group:nobody;\n\nb\n")
        R.check("sendmail -t (folded) exit", r.returncode, 0)
        deadline = time.time() + 20
        while inst.mailbox("nobody")[len(before):].count("Subject: t3") < 2 and time.time() < deadline:
            time.sleep(0.05)
        R.true("-t: both delivered", inst.wait_log(r"[0-9A-F]+: to=<nobody@localhost>, relay=local, .*"
                                                   r"status=sent") and inst.wait_log(r"[0-9A-F]+: removed", 3))
        third = inst.mailbox("nobody")[len(before):]
        R.check("-t: one copy per (original, recipient)", third.count("Subject: t3"), 2)
        R.true("-t: an unqualified recipient's original stays as written",
               "X-Original-To: nobody\nDelivered-To: nobody@mail.example.com\n" in third, third)
        R.true("-t: a qualified one's too", "X-Original-To: nobody@localhost\nDelivered-To: nobody@localhost\n"
               in third, third)
        R.true("-t: the rewritten To: is tidied and folded before 70 columns",
               "To: nobody@mail.example.com, \"Some One\" <nobody@localhost>,\n"
               "\tgroup: nobody@mail.example.com;\n" in third, third)

        # aliases: local users, a command, a file, a Maildir, :include:, a loop
        for r in ("list", "cmd", "file", "maildir", "inc", "loop1", "chain"):
            # the loop's bounce must stay local: a foreign sender would wait in the deferred queue
            inst.sendmail(["-f", "nobody@mail.example.com" if r == "loop1" else "sender@example.net", r],
                          "Subject: to %s\n\nbody\n" % r)
        R.true("list -> nobody", inst.wait_log(
            r"to=<nobody@mail\.example\.com>, orig_to=<list>, relay=local, .*status=sent \(delivered to "
            r"mailbox\)"))
        R.true("command", inst.wait_log(
            r"to=<cmd@mail\.example\.com>, orig_to=<cmd>, relay=local, .*status=sent \(delivered to "
            r"command: /bin/cat >> " + re.escape(out) + r"/cmdout\)"))
        R.true("file", inst.wait_log(
            r"to=<file@mail\.example\.com>, orig_to=<file>, relay=local, .*status=sent \(delivered to "
            r"file: " + re.escape(out) + r"/fileout\)"))
        R.true("include", inst.wait_log(
            r"to=<nobody@mail\.example\.com>, orig_to=<inc>, relay=local, .*status=sent"))
        R.true("loop", inst.wait_log(
            r"to=<loop2@mail\.example\.com>, orig_to=<loop1>, relay=local, .*dsn=5\.4\.6, "
            r"status=bounced \(alias database loop for loop2\)"))
        R.true("loop warning", inst.wait_log(r"warning: alias database loop for loop2"))
        # as Postfix 3.7.11: Delivered-To names the alias that was expanded, not the mailbox owner
        R.true("alias copy: Delivered-To is the alias", inst.wait_mailbox(
            "nobody", "X-Original-To: list\nDelivered-To: list@mail.example.com\n"))
        R.true("nested aliases: Delivered-To is the first one", inst.wait_mailbox(
            "nobody", "X-Original-To: chain\nDelivered-To: chain@mail.example.com\n"))
        R.true(":include: copy: forwarded with Delivered-To: the alias, then delivered", inst.wait_mailbox(
            "nobody", "X-Original-To: inc\nDelivered-To: nobody@mail.example.com\n") and re.search(
            r"X-Original-To: inc\nDelivered-To: nobody@mail\.example\.com\nReceived: [^\n]*\n\t[^\n]*\n"
            r"Delivered-To: inc@mail\.example\.com\n", inst.mailbox("nobody")))
        # the command's and the file's status lines are in: cmdout and fileout are complete
        R.true("maildir delivered", inst.wait_log(
            r"to=<maildir@mail\.example\.com>, orig_to=<maildir>, relay=local, .*status=sent \(delivered to "
            r"maildir\)"))
        cmdout = pkit.strip_dates(inst.read("out", "cmdout"))
        R.check("command input", cmdout,
                "From sender@example.net  DATE\n"
                "Return-Path: <sender@example.net>\n"
                "X-Original-To: cmd\n"
                "Delivered-To: cmd@mail.example.com\n"
                "Received: by mail.example.com (Postfix, from userid %d)\n"
                "\tid QID; DATE\n"
                "Subject: to cmd\n"
                "Message-Id: <STAMP.QID@mail.example.com>\n"
                "Date: DATE\n"
                "%s\n"
                "\n"
                "body\n" % (UID, from_header("sender@example.net")))
        R.true("file has the mbox form", pkit.strip_dates(inst.read("out", "fileout")).endswith(
            "\nbody\n\n"))
        R.true("maildir", len(os.listdir(os.path.join(out, "Maildir", "new"))) == 1 if os.path.isdir(
            os.path.join(out, "Maildir", "new")) else False)

        # unknown user: a DSN to the sender, in Postfix's layout
        r = inst.sendmail(["-f", "nobody@mail.example.com", "nosuchuser"], "Subject: to bounce\n\nbody line\n")
        R.true("bounced", inst.wait_log(r'to=<nosuchuser@mail\.example\.com>, orig_to=<nosuchuser>, '
                                        r'relay=local, .*dsn=5\.1\.1, status=bounced \(unknown user: '
                                        r'"nosuchuser"\)'))
        R.true("notification", inst.wait_log(r"postfix/bounce\[\d+\]: [0-9A-F]+: sender non-delivery "
                                             r"notification: [0-9A-F]+"))
        R.true("DSN delivered", inst.wait_mailbox("nobody", "Undelivered Message\n"))
        inst.wait_log("sender non-delivery notification", count=2)  # the loop's and this one
        # that log line says the notice is queued: wait until it is delivered, to its end
        inst.wait_mailbox("nobody", "Subject: to bounce\n", timeout=30)
        inst.wait_mailbox("nobody", "body line\n\n--", timeout=30)
        box = inst.mailbox("nobody")
        # the notices may arrive in either order: the first message of the box counts too
        dsns = [m for m in ("\n" + box).split("\nFrom MAILER-DAEMON")[1:] if "unknown user:" in m]
        dsn = "From MAILER-DAEMON" + dsns[-1] if dsns else ""
        end = dsn.find("\nFrom ", 1)
        dsn = dsn[:end + 1] if end > 0 else dsn
        dsn = pkit.strip_dates(dsn)
        with open(os.path.join(pkit.TOP_SRCDIR, "tests", "integ", "expected-bounce.mbox")) as f:
            want = f.read().replace("@UID@", str(UID)).replace("@FROM@", from_header(
                "nobody@mail.example.com"))
        R.check("DSN bytes", dsn, want)

        # mail from the null sender is never bounced
        n = inst.log().count("sender non-delivery notification")
        inst.sendmail(["-f", "<>", "nosuchuser2"], "Subject: from null\n\nx\n")
        R.true("null sender bounced", inst.wait_log(r'unknown user: "nosuchuser2"'))
        # a notice would be logged before the queue file goes: wait for its removal first
        m = re.search(r'([0-9A-F]+): to=<nosuchuser2@[^\n]*unknown user: "nosuchuser2"', inst.log())
        R.true("null sender's message removed", m and inst.wait_log(r"%s: removed$" % m.group(1)))
        R.check("no notice for the null sender", inst.log().count("sender non-delivery notification"), n)

        # mailq: a message for a foreign domain waits in the deferred queue
        inst.sendmail(["-f", "sender@example.net", "someone@example.org"], "Subject: far\n\nx\n")
        deadline = time.time() + 10
        while not inst.queue_files("deferred") and time.time() < deadline:
            time.sleep(0.1)
        r = inst.sendmail(["-bp"], "")
        lines = r.stdout.decode().splitlines()
        R.check("mailq header", lines[0:1],
                ["-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------"])
        R.true("mailq entry", re.match(r"[0-9A-F]+ +\d+ \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d  "
                                       r"sender@example\.net$", lines[1] if len(lines) > 1 else "") is not None,
               repr(lines))
        R.true("mailq reason", len(lines) > 2 and lines[2].strip() ==
               '(Host or domain name not found. Name service error for name=example.org type=MX: '
               'Host not found, try again)',
               repr(lines))
        R.check("mailq recipient", lines[3:4], [" " * 41 + "someone@example.org"])
        R.true("mailq total", re.fullmatch(r"-- \d+ Kbytes in 1 Request\.", lines[-1]) is not None, lines[-1])

        # sendmail -bv: verify, deliver nothing, mail a report
        before = inst.mailbox("nobody").count("Subject: to ")
        r = inst.sendmail(["-bv", "-f", "nobody@mail.example.com", "nobody", "nosuchuser3"], "")
        R.check("-bv says", r.stdout.decode(),
                "Mail Delivery Status Report will be mailed to <nobody@mail.example.com>.\n")
        R.true("-bv deliverable", inst.wait_log(
            r"to=<nobody@mail\.example\.com>, orig_to=<nobody>, relay=local, .*dsn=2\.0\.0, "
            r"status=deliverable \(delivers to mailbox\)"))
        R.true("-bv undeliverable", inst.wait_log(
            r'to=<nosuchuser3@mail\.example\.com>, orig_to=<nosuchuser3>, relay=local, .*dsn=5\.1\.1, '
            r'status=undeliverable \(unknown user: "nosuchuser3"\)'))
        R.true("-bv report", inst.wait_mailbox("nobody", "Subject: Mail Delivery Status Report"))
        R.true("-bv report content", "Action: deliverable" in inst.mailbox("nobody") and
               "Action: undeliverable" in inst.mailbox("nobody"))

        # sendmail -bs: SMTP on stdin without the network
        r = inst.sendmail(["-bs"], "EHLO local\r\nMAIL FROM:<sender@example.net>\r\nRCPT TO:<nobody>\r\n"
                          "DATA\r\nSubject: via -bs\r\n\r\nhello\r\n.\r\nQUIT\r\n")
        text = r.stdout.decode()
        R.true("-bs greeting", text.startswith("220 mail.example.com ESMTP Postfix\r\n"), text[:80])
        R.true("-bs queued", "250 2.0.0 Ok: queued as " in text, text)
        R.true("-bs delivered", inst.wait_mailbox("nobody", "Subject: via -bs"))
    finally:
        inst.cleanup()

    # mailbox_command (run as the recipient) and recipient_delimiter
    inst = pkit.Instance(main_extra="recipient_delimiter = +\n"
                         "mailbox_command = cat > OUT/mbc-$user-${extension}\n")
    out = inst.path("out")
    os.mkdir(out)
    os.chmod(out, 0o777)
    inst.write("main.cf", inst.read("main.cf").replace("OUT", out))
    try:
        inst.start()
        inst.sendmail(["-f", "sender@example.net", "nobody+tag"], "Subject: to a command\n\nx\n")
        # Postfix leaves mailbox_command to the shell: $user and ${extension} are not set there
        R.true("mailbox_command", inst.wait_log(
            r"to=<nobody\+tag@mail\.example\.com>, orig_to=<nobody\+tag>, relay=local, .*status=sent "
            r"\(delivered to command: cat > " + re.escape(out) + r"/mbc-\$user-\$\{extension\}\)"),
            inst.log()[-600:])
        R.true("command output", "Delivered-To: nobody+tag@mail.example.com" in inst.read("out", "mbc--"))
    finally:
        inst.cleanup()

    # a message that cannot be delivered within maximal_queue_lifetime is returned
    inst = pkit.Instance(main_extra="maximal_queue_lifetime = 2s\nqueue_run_delay = 1s\n"
                         "minimal_backoff_time = 1s\nmaximal_backoff_time = 1s\n")
    try:
        inst.start()
        inst.sendmail(["-f", "nobody@mail.example.com", "someone@example.org"], "Subject: too far\n\nx\n")
        R.true("expired", inst.wait_log(r"[0-9A-F]+: from=<nobody@mail\.example\.com>, status=expired, "
                                        r"returned to sender", timeout=20))
        R.true("expiry notice", inst.wait_mailbox("nobody", "Undelivered Mail Returned to Sender"))
        R.true("notice gives the last reason", "Host or domain name not found" in inst.mailbox("nobody"))
        deadline = time.time() + 10
        while inst.queue_files("deferred") and time.time() < deadline:
            time.sleep(0.1)
        R.check("queue empty after expiry", inst.queue_files("deferred"), [])
    finally:
        inst.cleanup()

    r = pkit.Instance()
    try:
        res = r.sendmail(["-bp"], "")
        os.makedirs(r.path("queue"), exist_ok=True)
        r.start()
        res = r.sendmail(["-bp"], "")
        R.check("mailq when empty", res.stdout.decode(), "Mail queue is empty\n")
        res = r.sendmail([], "Subject: x\n\nno recipients\n")
        # Postfix 3.7's sendmail exits 75 on every fatal error (observed), usage ones too
        R.check("no recipients: exit", res.returncode, 75)
        R.true("no recipients: message", b"Recipient addresses must be specified on the command line "
               b"or via the -t option" in res.stderr, res.stderr)
    finally:
        r.cleanup()
    program_names()
    R.finish()


if __name__ == "__main__":
    main()
