#!/usr/bin/env python3
"""test_virtual.py - the virtual delivery agent, the hosting layout most Postfix sites use.

Virtual mailbox domains whose users have no login: virtual_mailbox_maps says
where each mailbox is under virtual_mailbox_base (an mbox file, or a Maildir
when the path ends in '/'), virtual_uid_maps and virtual_gid_maps whose rights
it is written with.  Root only (skipped otherwise): the mailboxes belong to
uids 47101-47103, which need no passwd entry.

Every expected reply, log line and mailbox byte is what Postfix 3.7.11's
smtpd and virtual(8) produced for the same maps and files.  Where Postfix
accepts garbage postkit refuses it: a uid of "47101x" is a bad uid, not 47101.
"""
import fcntl
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("virtual")
U1, U2, U3 = 47101, 47102, 47103

MAIN = """\
virtual_mailbox_domains = vdom.example, catch.example
virtual_mailbox_base = $config_directory/vmail
virtual_mailbox_maps = texthash:$config_directory/vmailbox
virtual_uid_maps = texthash:$config_directory/vuid
virtual_gid_maps = texthash:$config_directory/vgid, static:%d
virtual_minimum_uid = 100
recipient_delimiter = +
unknown_virtual_mailbox_reject_code = 551
relocated_maps = texthash:$config_directory/relocated
deliver_lock_attempts = 2
deliver_lock_delay = 1s
""" % U1

# address: (mailbox, uid, gid); None leaves it out of that map
USERS = {
    "alice@vdom.example": ("alice", U1, None),
    "bob@vdom.example": ("bob/Maildir/", U1, None),
    "@catch.example": ("catchall", U2, U2),
    "carol@vdom.example": ("sub/dir/carol", U1, None),
    "rd@vdom.example": ("rootdir/rd", U1, None),
    "other@vdom.example": ("other", U1, None),
    "usersym@vdom.example": ("usersym", U1, None),
    "hardlinked@vdom.example": ("hardlinked", U1, None),
    "adir@vdom.example": ("adir", U1, None),
    "low@vdom.example": ("low", "50", None),
    "zero@vdom.example": ("zero", "0", None),
    "abc@vdom.example": ("abc", "abc", None),
    "trail@vdom.example": ("trail", "47101x", None),
    "nouid@vdom.example": ("nouid", None, None),
    "g0@vdom.example": ("g0", U1, "0"),
    "vmoved@vdom.example": ("vm", U1, None),
    "limited@vdom.example": ("limited", U1, None),
}


def vline(inst, to, dsn, status, text, timeout=15):
    """Wait for a status line of virtual; text is a regular expression."""
    return inst.wait_log(r"postfix/virtual\[\d+\]: [0-9A-F]+: to=<%s>, relay=virtual, "
                         r"delay=[0-9.]+, delays=[0-9./]+, dsn=%s, status=%s \(%s\)$"
                         % (re.escape(to), re.escape(dsn), status, text), timeout=timeout)


def warning(inst, text, timeout=15):
    return inst.wait_log(r"postfix/virtual\[\d+\]: warning: %s$" % re.escape(text), timeout=timeout)


def setup(inst):
    vmail = inst.path("vmail")
    inst.write("vmailbox", "".join("%s %s\n" % (a, v[0]) for a, v in USERS.items()))
    inst.write("vuid", "".join("%s %s\n" % (a, v[1]) for a, v in USERS.items() if v[1] is not None))
    inst.write("vgid", "".join("%s %s\n" % (a, v[2]) for a, v in USERS.items() if v[2] is not None))
    inst.write("relocated", "vmoved@vdom.example vnew@x.example\n")
    # every uid may make its dot-lock here, as in a base owned by the one vmail user
    os.mkdir(vmail)
    os.chmod(vmail, 0o1777)
    os.mkdir(os.path.join(vmail, "rootdir"))
    os.chmod(os.path.join(vmail, "rootdir"), 0o755)
    for name, uid, mode in (("rootdir/rd", U1, 0o600), ("other", U3, 0o666), ("target", U1, 0o600),
                            ("hardlinked", U1, 0o600)):
        p = os.path.join(vmail, name)
        open(p, "w").close()
        os.chown(p, uid, U1)
        os.chmod(p, mode)
    os.link(os.path.join(vmail, "hardlinked"), os.path.join(vmail, "hardlink2"))
    os.symlink("target", os.path.join(vmail, "usersym"))
    os.lchown(os.path.join(vmail, "usersym"), U1, U1)
    os.mkdir(os.path.join(vmail, "adir"))
    os.chown(os.path.join(vmail, "adir"), U1, U1)


def check_smtp(inst):
    s = inst.session()
    s.cmd("EHLO client.example.net")
    s.cmd("MAIL FROM:<sender@example.net>")
    for rcpt, want in [
            ("alice@vdom.example", "250 2.1.5 Ok"),
            ("alice+ext@vdom.example", "250 2.1.5 Ok"),
            ("ALICE@VDOM.EXAMPLE", "250 2.1.5 Ok"),
            ("bob@vdom.example", "250 2.1.5 Ok"),
            ("any@catch.example", "250 2.1.5 Ok"),
            ("nobody@vdom.example", "551 5.1.1 <nobody@vdom.example>: Recipient address rejected: "
             "User unknown in virtual mailbox table"),
            ("vmoved@vdom.example", "550 5.1.6 <vmoved@vdom.example>: Recipient address rejected: "
             "User has moved to vnew@x.example")]:
        R.check("RCPT %s" % rcpt, s.cmd("RCPT TO:<%s>" % rcpt), want)
    r = s.data("Subject: virtual test\nFrom: <sender@example.net>\n\nhello body\nFrom the start\n")
    R.true("DATA accepted", r.startswith("250 2.0.0 Ok: queued as "), r)
    s.cmd("QUIT")
    s.close()
    for to in ("alice@vdom.example", "alice+ext@vdom.example", "ALICE@VDOM.EXAMPLE",
               "any@catch.example"):
        R.true("sent: %s" % to, vline(inst, to, "2.0.0", "sent", r"delivered to mailbox"), inst.log())
    R.true("sent: bob", vline(inst, "bob@vdom.example", "2.0.0", "sent", "delivered to maildir"))

    box = inst.read("vmail", "alice")
    heads = re.findall(r"^From sender@example\.net  \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n"
                       r"Return-Path: <sender@example\.net>\nX-Original-To: (\S+)\n"
                       r"Delivered-To: (\S+)\n", box, re.M)
    R.check("mbox: one copy per recipient, envelope headers as Postfix writes them", sorted(heads),
            sorted([("alice@vdom.example",) * 2, ("alice+ext@vdom.example",) * 2,
                    ("ALICE@VDOM.EXAMPLE",) * 2]))
    R.true("mbox: From_ quoted, blank line after each copy",
           box.count("\nhello body\n>From the start\n\n") == 3, box)
    st = os.stat(inst.path("vmail", "alice"))
    R.check("mbox owner and mode", (st.st_uid, st.st_gid, st.st_mode & 0o7777), (U1, U1, 0o600))
    st = os.stat(inst.path("vmail", "catchall"))
    # the full address is tried in every table before @domain: static: answers first, as in Postfix
    R.check("catch-all mailbox owner", (st.st_uid, st.st_gid), (U2, U1))
    new = inst.path("vmail", "bob", "Maildir", "new")
    files = os.listdir(new) if os.path.isdir(new) else []
    R.check("maildir: one file in new/", len(files), 1)
    if files:
        st = os.stat(os.path.join(new, files[0]))
        R.check("maildir file owner and mode", (st.st_uid, st.st_gid, st.st_mode & 0o7777),
                (U1, U1, 0o600))
        R.true("maildir: no From_ line, no quoting", inst.read("vmail", "bob", "Maildir", "new", files[0])
               .startswith("Return-Path: <sender@example.net>\nX-Original-To: bob@vdom.example\n"
                           "Delivered-To: bob@vdom.example\n"))
    for d in ("bob", "bob/Maildir", "bob/Maildir/tmp", "bob/Maildir/new", "bob/Maildir/cur"):
        st = os.stat(inst.path("vmail", d))
        R.check("maildir directory %s" % d, (st.st_uid, st.st_mode & 0o7777), (U1, 0o700))


def check_failures(inst):
    vmail = inst.path("vmail")
    for rcpt in ("nobody@vdom.example", "NoBody@VDom.Example", "low@vdom.example", "zero@vdom.example",
                 "abc@vdom.example", "trail@vdom.example", "nouid@vdom.example", "g0@vdom.example",
                 "carol@vdom.example", "rd@vdom.example", "other@vdom.example", "usersym@vdom.example",
                 "hardlinked@vdom.example", "adir@vdom.example", "vmoved@vdom.example"):
        r = inst.sendmail(["-f", "root@localhost", rcpt], "Subject: to %s\n\nbody\n" % rcpt)
        R.check("sendmail %s" % rcpt, r.returncode, 0)
    R.true("unknown user bounces", vline(inst, "nobody@vdom.example", "5.1.1", "bounced",
                                         r'unknown user: "nobody@vdom\.example"'))
    R.true("unknown user: the address folded to lower case",
           vline(inst, "NoBody@VDom.Example", "5.1.1", "bounced", r'unknown user: "nobody@vdom\.example"'))
    conf = r"mail system configuration error"
    for rcpt, warn in [("low", "bad uid 50 in virtual_uid_maps"), ("zero", "bad uid 0 in virtual_uid_maps"),
                       ("abc", "bad uid abc in virtual_uid_maps"),
                       ("trail", "bad uid 47101x in virtual_uid_maps"),
                       ("nouid", "not found in virtual_uid_maps"), ("g0", "bad gid 0 in virtual_gid_maps")]:
        R.true("%s: warning" % rcpt, warning(inst, "recipient %s@vdom.example: %s" % (rcpt, warn)))
        R.true("%s: deferred" % rcpt, vline(inst, "%s@vdom.example" % rcpt, "4.3.5", "deferred", conf))
    fail = "delivery failed to mailbox %s/%%s: %%s" % re.escape(vmail)
    for rcpt, path, why in [
            ("carol", "sub/dir/carol",
             r"unable to create lock file %s/sub/dir/carol\.lock: No such file or directory"
             % re.escape(vmail)),
            ("rd", "rootdir/rd",
             r"unable to create lock file %s/rootdir/rd\.lock: Permission denied" % re.escape(vmail)),
            ("other", "other", r"destination %s/other is not owned by recipient" % re.escape(vmail)),
            ("usersym", "usersym", "file is a symbolic link"),
            ("hardlinked", "hardlinked", "file has 2 hard links"),
            ("adir", "adir", "cannot open file: Is a directory")]:
        R.true("%s: deferred" % rcpt, vline(inst, "%s@vdom.example" % rcpt, "4.2.0", "deferred",
                                            fail % (re.escape(path), why)), inst.log())
    R.true("ownership warning", warning(
        inst, 'specify "strict_mailbox_ownership = no" to ignore mailbox ownership mismatch'))
    R.check("the symlink's target untouched", os.path.getsize(os.path.join(vmail, "target")), 0)
    R.true("relocated at delivery: the error agent", inst.wait_log(
        r"postfix/error\[\d+\]: [0-9A-F]+: to=<vmoved@vdom\.example>, relay=none, .*dsn=5\.1\.6, "
        r"status=bounced \(User has moved to vnew@x\.example\)$"))
    R.true("bounce to the sender says why", pkit.IS_ROOT and wait_text(
        inst, ("mail", "root"), '<nobody@vdom.example>: unknown user: "nobody@vdom.example"')
        and 'Diagnostic-Code: X-Postfix; unknown user: "nobody@vdom.example"' in inst.read("mail", "root"))


def wait_text(inst, parts, text, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in inst.read(*parts):
            return True
        time.sleep(0.1)
    return False


def check_locks(inst):
    vmail = inst.path("vmail")
    lock = os.path.join(vmail, "alice.lock")
    with open(lock, "w") as f:
        f.write("someone else\n")
    inst.sendmail(["-f", "root@localhost", "alice@vdom.example"], "Subject: locked\n\nbody\n")
    R.true("dot-lock held by another: deferred", vline(
        inst, "alice@vdom.example", "4.2.0", "deferred",
        r"delivery failed to mailbox %s/alice: unable to create lock file %s/alice\.lock: File exists"
        % (re.escape(vmail), re.escape(vmail))), inst.log())
    R.true("someone else's dot-lock stays", os.path.exists(lock))
    os.unlink(lock)
    with open(os.path.join(vmail, "alice"), "a") as f:
        fcntl.lockf(f, fcntl.LOCK_EX)
        inst.sendmail(["-f", "root@localhost", "alice@vdom.example"], "Subject: locked 2\n\nbody\n")
        R.true("fcntl lock held by another: deferred", vline(
            inst, "alice@vdom.example", "4.2.0", "deferred",
            r"delivery failed to mailbox %s/alice: unable to lock for exclusive access: "
            r"Resource temporarily unavailable" % re.escape(vmail)), inst.log())
    R.check("no dot-lock left behind", os.path.exists(lock), False)


def check_verify(inst):
    r = inst.sendmail(["-bv", "alice@vdom.example", "bob@vdom.example", "nobody@vdom.example"], "x\n")
    R.check("sendmail -bv", r.returncode, 0)
    R.true("verify: mailbox", vline(inst, "alice@vdom.example", "2.0.0", "deliverable", "delivers to mailbox"))
    R.true("verify: maildir", vline(inst, "bob@vdom.example", "2.0.0", "deliverable", "delivers to maildir"))
    R.true("verify: unknown", vline(inst, "nobody@vdom.example", "5.1.1", "undeliverable",
                                    r'unknown user: "nobody@vdom\.example"'))


def limits():
    """virtual_mailbox_limit, a table that fails, and the limits Postfix refuses to run with."""
    inst = pkit.Instance(main_extra=MAIN.replace(
        "virtual_mailbox_maps = texthash:$config_directory/vmailbox",
        "virtual_mailbox_maps = texthash:$config_directory/vmailbox, texthash:$config_directory/gone")
        + "virtual_mailbox_limit = 2000\nmessage_size_limit = 2000\nvirtual_mailbox_lock = fcntl\n")
    try:
        setup(inst)
        inst.write("gone", "")
        with open(inst.path("vmail", "limited"), "w") as f:
            f.write("x" * 1800 + "\n")
        os.chown(inst.path("vmail", "limited"), U1, U1)
        os.chmod(inst.path("vmail", "limited"), 0o600)
        inst.start()
        os.unlink(inst.path("gone"))
        inst.sendmail(["-f", "", "limited@vdom.example"], "Subject: big\n\n" + "y" * 300 + "\n")
        R.true("over virtual_mailbox_limit: bounced", vline(
            inst, "limited@vdom.example", "5.2.2", "bounced",
            r"delivery failed to mailbox %s/limited: error writing message: File too large"
            % re.escape(inst.path("vmail"))), inst.log())
        R.check("the mailbox is as it was", os.path.getsize(inst.path("vmail", "limited")), 1801)
        inst.sendmail(["-f", "", "carol@vdom.example"], "Subject: t\n\nbody\n")
        R.true("virtual_mailbox_lock = fcntl: no dot-lock, the open says why", vline(
            inst, "carol@vdom.example", "4.2.0", "deferred",
            r"delivery failed to mailbox %s/sub/dir/carol: cannot create file exclusively: "
            r"No such file or directory" % re.escape(inst.path("vmail"))), inst.log())
        inst.sendmail(["-f", "", "alice@vdom.example", "zed@vdom.example"], "Subject: t\n\nbody\n")
        R.true("found before the failing table", vline(inst, "alice@vdom.example", "2.0.0", "sent",
                                                       "delivered to mailbox"))
        R.true("failing table: warning", warning(
            inst, "table virtual_mailbox_maps: lookup zed@vdom.example: Application error"))
        R.true("failing table: deferred", vline(inst, "zed@vdom.example", "4.3.5", "deferred",
                                                "mail system configuration error"))
    finally:
        inst.cleanup()

    inst = pkit.Instance(main_extra=MAIN + "virtual_mailbox_limit = 2000\nmessage_size_limit = 0\n")
    try:
        setup(inst)
        inst.start()
        inst.sendmail(["-f", "", "alice@vdom.example"], "Subject: t\n\nbody\n")
        R.true("a limited mailbox and unlimited messages: the agent refuses to run", inst.wait_log(
            r"postfix/virtual\[\d+\]: fatal: configuration error: virtual_mailbox_limit is limited "
            r"but message_size_limit is unlimited$"), inst.log())
        R.check("nothing delivered", os.path.exists(inst.path("vmail", "alice")), False)
    finally:
        inst.cleanup()


def main():
    pkit.require_binaries()
    if not pkit.IS_ROOT:
        print("not root: skipping")
        sys.exit(77)
    inst = pkit.Instance(main_extra=MAIN)
    try:
        setup(inst)
        inst.start()
        check_smtp(inst)
        check_failures(inst)
        check_locks(inst)
        check_verify(inst)
    finally:
        inst.cleanup()
    limits()
    R.finish()


if __name__ == "__main__":
    main()
