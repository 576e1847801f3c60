#!/usr/bin/env python3
"""test_local_delivery.py - local(8) details: commands, homes, forwarded copies, mailbox locks.

Where commands run (command_execution_directory, else the queue directory),
what $name expansion does there and what it does not do (mailbox_command
is given to the shell as written), what a command's exit status means
(sysexits.h), require_home_directory, the Received: line of a copy local
forwards, and how a mailbox that cannot be locked is reported.  Root only
(skipped otherwise): the test makes its own logins pkld<tag>1..3 (tag random per run) with homes
in a temporary directory and removes them.

Every expected text is what Postfix 3.7.11's local(8) logged or wrote for
the same set-up.
"""
import fcntl
import os
import pwd
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("local_delivery")
DOM = "mail.example.com"
# the logins this run makes, unique to it (two runs at once must not share them)
_P = pkit.unique_login_prefix("pkld", ("1", "2", "3"))
U1, U2, U3 = _P + "1", _P + "2", _P + "3"
# the default of forward_expansion_filter and execution_directory_expansion_filter
FILTER = "1234567890!@%-_=+:,./abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

EXITS = [  # exit status, DSN, status, text (then ". Command output: oN ")
    (1, "5.3.0", "bounced", 'Command died with status 1: "echo o1; exit 1"'),
    (64, "5.3.0", "bounced", "command line usage error"),
    (65, "5.6.0", "bounced", "data format error"),
    (67, "5.1.1", "bounced", "user unknown"),
    (68, "5.1.2", "bounced", "host name unknown"),
    (71, "4.3.0", "deferred", "system resource problem"),
    (73, "5.2.0", "bounced", "can't create user output file"),
    (74, "5.3.0", "bounced", "input/output error"),
    (75, "4.3.0", "deferred", "temporary failure"),
    (76, "5.5.0", "bounced", "remote error in protocol"),
    (77, "5.7.0", "bounced", "permission denied"),
    (78, "5.3.5", "bounced", "local configuration error"),
    (79, "5.3.0", "bounced", 'Command died with status 79: "echo o79; exit 79"'),
]


def line(inst, to, orig, dsn, status, text, timeout=15):
    """Wait for a status line of local; text is a regular expression."""
    return inst.wait_log(r"postfix/local\[\d+\]: [0-9A-F]+: to=<%s>, (orig_to=<%s>, )?relay=local, "
                         r"delay=[0-9.]+, delays=[0-9./]+, dsn=%s, status=%s \(%s\)$"
                         % (re.escape(to), re.escape(orig), re.escape(dsn), status, text),
                         timeout=timeout)


def wait_file(path, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            time.sleep(0.2)
            with open(path, encoding="latin-1") as f:
                return f.read()
        time.sleep(0.05)
    return ""


def write(path, text, owner=None):
    with open(path, "w") as f:
        f.write(text)
    if owner:
        pw = pwd.getpwnam(owner)
        os.chown(path, pw.pw_uid, pw.pw_gid)


class Env:
    def __init__(self):
        # $home goes through forward_expansion_filter, which the workdir case strips of 'x':
        # a random directory name with an 'x' in it would hide pkld1's .forward
        for attempt in range(100):
            self.tmp, self.out, home = pkit.user_sandbox("postkit-ldel-")
            if "x" not in self.tmp or attempt == 99:
                break
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.u1 = pkit.TestUser(U1, os.path.join(home, U1))
        self.u2 = pkit.TestUser(U2, os.path.join(home, U2))
        self.u3 = pkit.TestUser(U3, os.path.join(home, U3))
        os.rmdir(self.u2.home)  # pkld2 has no home directory
        os.chown(self.u3.home, 0, 0)  # pkld3 may not write its home directory

    def cleanup(self):
        for u in (self.u1, self.u2, self.u3):
            u.remove()
        shutil.rmtree(self.tmp, ignore_errors=True)


def commands(e):
    """Exit statuses, the default working directory, the forwarded copy, mailbox_command."""
    aliases = ["postmaster root", 'pwdalias |"pwd > %s/pwdalias"' % e.out,
               'sig |"kill -9 $$"', 'sigo |"echo hi; kill -TERM $$"',
               'noo |"printf \\"a\\\\nb\\\\n\\\\n\\"; exit 1"']
    aliases += ['e%d |"echo o%d; exit %d"' % (n, n, n) for n, _d, _s, _t in EXITS]
    inst = pkit.Instance(aliases="\n".join(aliases) + "\n", main_extra="recipient_delimiter = +\n"
                         "mailbox_command = /bin/sh -c 'cat > %s/mb.$USER; "
                         "echo \"[$extension][$EXTENSION]\" > %s/ext.$USER'\n" % (e.out, e.out))
    write(os.path.join(e.u1.home, ".forward"), f"{U2}\n", U1)
    try:
        inst.start()
        for n, _d, _s, _t in EXITS:
            inst.sendmail(["-f", "nobody@example.com", "e%d" % n], "Subject: e%d\n\nx\n" % n)
        for n, dsn, status, text in EXITS:
            R.true("exit %d" % n, line(inst, "e%d@%s" % (n, DOM), "e%d" % n, dsn, status,
                                       re.escape("%s. Command output: o%d " % (text, n))), inst.log())
        for to, dsn, status, text in [
                ("sig", "4.3.0", "deferred", 'Command died with signal 9: "kill -9 $$"'),
                ("sigo", "4.3.0", "deferred",
                 'Command died with signal 15: "echo hi; kill -TERM $$". Command output: hi '),
                ("noo", "5.3.0", "bounced",
                 'Command died with status 1: "printf "a\\nb\\n\\n"; exit 1". Command output: a b  ')]:
            inst.sendmail(["-f", "nobody@example.com", to], "Subject: %s\n\nx\n" % to)
            R.true(to, line(inst, "%s@%s" % (to, DOM), to, dsn, status, re.escape(text)), inst.log())
        inst.sendmail(["-f", "nobody@example.com", "pwdalias"], "Subject: pwd\n\nx\n")
        R.check("no command_execution_directory: the queue directory",
                wait_file(os.path.join(e.out, "pwdalias")), inst.path("queue") + "\n")
        inst.sendmail(["-f", "nobody@example.com", f"{U3}+Up"], "Subject: mbcmd\n\nx\n")
        R.check("mailbox_command: the shell expands it, from the environment",
                wait_file(os.path.join(e.out, f"ext.{U3}")), "[][up]\n")
        inst.sendmail(["-f", "sender@example.net", U1], "Subject: forwarded\n\nbody\n")
        R.true("forwarded", line(inst, f"{U1}@%s" % DOM, U1, "2.0.0", "sent",
                                 r"forwarded as [0-9A-F]+"))
        m = re.search(r"forwarded as ([0-9A-F]+)", inst.log())
        R.true("the copy: Received: by us with its own queue ID, then Delivered-To", m and re.match(
            fr"From sender@example\.net  .*\nReturn-Path: <sender@example\.net>\nX-Original-To: {U1}\n"
            fr"Delivered-To: {U2}@mail\.example\.com\nReceived: by mail\.example\.com \(Postfix\)\n"
            r"\tid %s; \w{3}, [ \d]\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4} \(\w+\)\n"
            fr"Delivered-To: {U1}@mail\.example\.com\nReceived: by mail\.example\.com "
            % m.group(1), wait_file(os.path.join(e.out, f"mb.{U2}"))), inst.log())
    finally:
        inst.cleanup()


def workdir(e):
    """command_execution_directory, its expansion filter, require_home_directory."""
    inst = pkit.Instance(aliases="postmaster root\npwdalias |\"pwd > %s/pwdalias2\"\n" % e.out,
                         main_extra="recipient_delimiter = +\nrequire_home_directory = yes\n"
                         "command_execution_directory = %s/cwd/${user}-${extension}\n"
                         "execution_directory_expansion_filter = %s\n"
                         "forward_expansion_filter = %s\n"
                         % (e.out, FILTER.replace("f", ""), FILTER.replace("x", "")))
    for d in (f"{U1}-", "pwdalias-", f"{U1}-box"):
        os.makedirs(os.path.join(e.out, "cwd", d))
        os.chmod(os.path.join(e.out, "cwd", d), 0o755)
    write(os.path.join(e.u1.home, ".forward"), '|"pwd > %s/pwdfwd"\n' % e.out, U1)
    write(os.path.join(e.u1.home, ".forward+bo_"), '|"echo used > %s/fwdfilter"\n' % e.out, U1)
    try:
        inst.start()
        inst.sendmail(["-f", "nobody@example.com", "pwdalias", U1], "Subject: pwd\n\nx\n")
        R.check("alias command in command_execution_directory",
                wait_file(os.path.join(e.out, "pwdalias2")), os.path.join(e.out, "cwd", "pwdalias-\n"))
        R.check(".forward command in command_execution_directory",
                wait_file(os.path.join(e.out, "pwdfwd")), os.path.join(e.out, "cwd", f"{U1}-\n"))
        s = inst.session()
        s.cmd("EHLO client.example.net")
        s.cmd("MAIL FROM:<nobody@example.com>")
        R.check("odd extension", s.cmd(f'RCPT TO:<"{U1}+a;b$c(d)e f"@example.com>'), "250 2.1.5 Ok")
        s.data("Subject: odd\n\nx\n")
        s.close()
        bad = os.path.join(e.out, "cwd", f"{U1}-a_b_c_d_e__")
        R.true("no such directory: the command's process says so", inst.wait_log(
            r'postfix/local\[\d+\]: fatal: cannot change directory to "%s" for uid=%d gid=%d: '
            r"No such file or directory$" % (re.escape(bad), e.u1.uid, e.u1.gid)), inst.log())
        R.true("no such directory: deferred", line(
            inst, f'"{U1}+a;b$c(d)e f"@example.com', "", "4.3.0", "deferred", "temporary failure"),
            inst.log())
        inst.sendmail(["-f", "nobody@example.com", f"{U1}+box"], "Subject: filter\n\nx\n")
        R.check("forward_path expanded through forward_expansion_filter: .forward+bo_",
                wait_file(os.path.join(e.out, "fwdfilter")), "used\n")
        inst.sendmail(["-f", "nobody@example.com", U2], "Subject: home\n\nx\n")
        R.true("require_home_directory", line(
            inst, f"{U2}@%s" % DOM, U2, "4.3.0", "deferred",
            re.escape("cannot access home directory %s: No such file or directory" % e.u2.home)))
    finally:
        inst.cleanup()


def locks(e):
    """A mailbox that cannot be dot-locked or fcntl-locked."""
    box = os.path.join(e.u3.home, "Mailbox")
    write(box, "", U3)
    os.chmod(box, 0o600)
    inst = pkit.Instance(main_extra="home_mailbox = Mailbox\ndeliver_lock_attempts = 2\n")
    try:
        inst.start()
        inst.sendmail(["-f", "nobody@example.com", U3], "Subject: lock\n\nx\n")
        R.true("dot-lock in a home the user may not write: bounced", line(
            inst, f"{U3}@%s" % DOM, U3, "5.2.0", "bounced", re.escape(
                f"cannot update mailbox %s for user {U3}. unable to create lock file %s.lock: "
                "Permission denied" % (box, box))), inst.log())
        os.chown(e.u3.home, e.u3.uid, e.u3.gid)
        with open(box, "a") as f:
            fcntl.lockf(f, fcntl.LOCK_EX)
            inst.sendmail(["-f", "nobody@example.com", U3], "Subject: lock 2\n\nx\n")
            R.true("fcntl lock held by another: deferred", line(
                inst, f"{U3}@%s" % DOM, U3, "4.2.0", "deferred", re.escape(
                    f"cannot update mailbox %s for user {U3}. unable to lock for exclusive access: "
                    "Resource temporarily unavailable" % box)), inst.log())
    finally:
        inst.cleanup()


def main():
    pkit.require_binaries()
    if not pkit.can_make_users():
        print("not root or no useradd: skipping")
        sys.exit(77)
    e = Env()
    try:
        commands(e)
        workdir(e)
        locks(e)
    finally:
        e.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
