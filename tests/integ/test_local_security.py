#!/usr/bin/env python3
"""test_local_security.py - local delivery runs with the right privileges.

An attacker with a local account tries what local(8) must not allow: read
root-only files through :include:, run commands or write files as root,
append through links, hang the agent on a FIFO, make it loop or lose mail.
Root only (skipped otherwise): the test makes its own logins (pkls<tag>1,
pkls<tag>2, pkls<tag>3, group pkls<tag>x; tag random per run) with homes in a temporary directory and removes them.

Expected texts are what Postfix 3.7.11's local(8) logged for the same
set-ups.  Where Postfix 3.7 is silent or unsafe, postkit does better and the
test says so: a recipient never ends without a status line, :include:
files are never read as root, nesting ends at 100 levels, a FIFO or a
device other than /dev/null is refused, Maildir tmp/ and new/ must not be
symbolic links.
"""
import grp
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("local_security")
DOM = "mail.example.com"
SECRET = "topsecret-xyzzy-token"
# the logins this run makes, unique to it (two runs at once must not share them)
_P = pkit.unique_login_prefix("pkls", ("1", "2", "3", "x"))
U1, U2, U3, UX = _P + "1", _P + "2", _P + "3", _P + "x"


def line(inst, to, orig, dsn, status, text, timeout=15):
    """Wait for one status line of local; text is a regular expression."""
    pat = r"postfix/local\[\d+\]: [0-9A-F]+: to=<%s>, orig_to=<%s>, relay=local, .*dsn=%s, status=%s \(%s\)$" % (
        re.escape(to), re.escape(orig), re.escape(dsn), status, text)
    return inst.wait_log(pat, timeout=timeout)


def warning(inst, text, timeout=15):
    return inst.wait_log(r"postfix/local\[\d+\]: warning: %s$" % re.escape(text), timeout=timeout)


def write(path, text, owner=None, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    if owner:
        pw = pwd.getpwnam(owner)
        os.chown(path, pw.pw_uid, pw.pw_gid)


def read(path):
    try:
        with open(path, encoding="latin-1") as f:
            return f.read()
    except OSError:
        return ""


def wait_file(path, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            time.sleep(0.1)
            return read(path)
        time.sleep(0.05)
    return ""


def idline(user):
    """What id(1) prints for user with only its primary group."""
    pw = pwd.getpwnam(user)
    g = grp.getgrgid(pw.pw_gid).gr_name
    return "uid=%d(%s) gid=%d(%s) groups=%d(%s)\n" % (pw.pw_uid, user, pw.pw_gid, g, pw.pw_gid, g)


class Env:
    """Users, files and the main instance."""

    def __init__(self):
        self.tmp, self.out, home = pkit.user_sandbox("postkit-lsec-")
        self.u1 = pkit.TestUser(U1, os.path.join(home, U1), groups=[UX])
        self.u2 = pkit.TestUser(U2, os.path.join(home, U2))
        self.u3 = pkit.TestUser(U3, os.path.join(home, U3))

    def path(self, *p):
        return os.path.join(self.tmp, *p)

    def cleanup(self):
        for u in (self.u1, self.u2, self.u3):
            u.remove()
        shutil.rmtree(self.tmp, ignore_errors=True)


def main_aliases(e):
    t, o = e.tmp, e.out
    return "\n".join([
        "postmaster root",
        "incsecret :include:%s/secret" % t,
        "cmdalias |\"id > %s/alias.id\"" % o,
        "filealias %s/alias.file" % o,
        "incuser :include:%s/user.list" % t,
        f"parse1 |/bin/echo {U1} {U2}",
        f"parse2 \"|cat > %s/parse2.out\", {U3}" % o,
        f"parse3 |cat > %s/parse3.out, {U3}" % o,
        f"parse4 \\{U3}, \"{U1}\" (comment), Display Name <{U2}>",
        "selfinc :include:%s/self.list" % t,
        "cycle :include:%s/c0.list" % t,
        "chain :include:%s/chain0" % t,
        f"dup {U2}, {U2}, {U2}@%s" % DOM,
        "emptyinc :include:%s/empty.list" % t,
        "fifoinc :include:%s/fifo" % t,
        "ffifo %s/fifo" % o,
        "fzero /dev/zero",
        "fnull /dev/null",
        "fexec %s/exec" % o,
        "fhard %s/hard" % o,
        "fsym %s/sym" % o,
        "fbig %s/big" % o,
        "",
    ])


def setup_files(e):
    t, o = e.tmp, e.out
    write(e.path("secret"), SECRET + "\n", mode=0o600)
    write(e.path("user.list"), "|\"id > %s/userlist.id\"\n%s/userlist.file\n" % (o, o), owner=U1)
    write(e.path("self.list"), ":include:%s/self.list\n" % t)
    write(e.path("c0.list"), ":include:%s/c1.list\n" % t)
    write(e.path("c1.list"), ":include:%s/c0.list\n" % t)
    for i in range(110):
        write(e.path("chain%d" % i), ":include:%s/chain%d\n" % (t, i + 1))
    write(e.path("empty.list"), "# nobody yet\n\n")
    os.mkfifo(e.path("fifo"))
    os.mkfifo(os.path.join(o, "fifo"))
    os.chown(os.path.join(o, "fifo"), pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("nobody").pw_gid)
    write(os.path.join(o, "exec"), "", owner="nobody", mode=0o700)
    write(os.path.join(o, "victim"), "victim\n", owner="nobody", mode=0o600)
    os.link(os.path.join(o, "victim"), os.path.join(o, "hard"))
    os.symlink(os.path.join(o, "victim"), os.path.join(o, "sym"))
    with open(os.path.join(o, "big"), "w") as f:
        f.truncate(10240000 - 100)
    os.chown(os.path.join(o, "big"), pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("nobody").pw_gid)
    # an alias table owned by pkls2: its commands run as pkls2
    write(e.path("aliases.user"), "useralias \"|id > %s/useralias.id\"\n" % o, owner=U2)
    # root's .forward, found through forward_path (never touching /root)
    os.mkdir(e.path("fwd"))
    write(e.path("fwd", "root.forward"), "|\"id > %s/root.id\"\n%s/root.file\n" % (o, o))
    # a file only root's groups could write: commands and files must not have them
    write(os.path.join(o, "rootgroup"), "", mode=0o660)


def dot_forwards(e):
    """The first user's .forward+EXT files, one case each (recipient U1+EXT)."""
    h = e.u1.home
    o = e.out
    cases = {
        "empty": "",
        "comments": "# only a comment\n\n   \n#another\n",
        "worldw": f"{U2}\n",
        "badowner": f"{U2}\n",
        "unreadable": f"{U2}\n",
        "cmd": "|\"id > %s/fwd.id; touch %s/fwd.created\"\n%s/fwd.file\n" % (o, o, o),
        "secret": ":include:%s\n" % e.path("secret"),
        "self": ":include:%s/.forward+self\n" % h,
        "group": "%s/rootgroup\n" % o,
    }
    for ext, text in cases.items():
        write(os.path.join(h, ".forward+" + ext), text, owner=U1)
    os.chmod(os.path.join(h, ".forward+worldw"), 0o666)
    os.chown(os.path.join(h, ".forward+badowner"), e.u2.uid, e.u2.gid)
    os.chmod(os.path.join(h, ".forward+unreadable"), 0)
    write(os.path.join(h, "real"), f"{U2}\n", owner=U1)
    os.symlink(os.path.join(h, "real"), os.path.join(h, ".forward+symlink"))
    os.lchown(os.path.join(h, ".forward+symlink"), e.u1.uid, e.u1.gid)
    os.mkfifo(os.path.join(h, ".forward+fifo"))
    os.chown(os.path.join(h, ".forward+fifo"), e.u1.uid, e.u1.gid)
    os.mkdir(os.path.join(h, ".forward+dir"))
    os.chown(os.path.join(h, ".forward+dir"), e.u1.uid, e.u1.gid)
    return list(cases) + ["symlink", "fifo", "dir"]


def send(inst, to, sender=f"{U2}@" + DOM, subject="test"):
    r = inst.sendmail(["-f", sender] + (to if isinstance(to, list) else [to]),
                      "Subject: %s\n\nbody\n" % subject)
    return r.returncode


def check_forward(e, inst):
    """Requirements 1, 2, 4: .forward read as the user, its checks and warnings."""
    h = e.u1.home
    fw = lambda ext: os.path.join(h, ".forward+" + ext)  # noqa: E731
    mbox = lambda ext: line(inst, f"{U1}+%s@%s" % (ext, DOM), f"{U1}+" + ext, "2.0.0", "sent",  # noqa: E731
                            r"delivered to mailbox")
    R.true("empty .forward: mailbox", mbox("empty"))
    R.true("comments-only .forward: mailbox", mbox("comments"))
    R.true("world-writable .forward: warning", warning(inst, "file %s is world writable" % fw("worldw")))
    R.true("world-writable .forward: mailbox", mbox("worldw"))
    R.true("foreign .forward: warning", warning(inst, "file %s has bad owner uid %d" % (fw("badowner"), e.u2.uid)))
    R.true("foreign .forward: mailbox", mbox("badowner"))
    R.true("unreadable .forward: warning", warning(inst, "cannot open file %s: Permission denied" % fw("unreadable")))
    R.true("unreadable .forward: mailbox", mbox("unreadable"))
    for kind in ("symlink", "fifo", "dir"):
        R.true(".forward %s: warning" % kind, warning(inst, "file %s is not a regular file" % fw(kind)))
        R.true(".forward %s: mailbox" % kind, mbox(kind))
    R.true(".forward command", line(inst, f"{U1}+cmd@" + DOM, f"{U1}+cmd", "2.0.0", "sent",
                                    re.escape("delivered to command: id > %s/fwd.id; touch %s/fwd.created"
                                              % (e.out, e.out))))
    R.check(".forward command runs as the user, primary group only",
            wait_file(os.path.join(e.out, "fwd.id")), idline(U1))
    created = os.path.join(e.out, "fwd.created")
    R.check("a file the command creates has mode 0600 (umask 077)",
            oct(stat.S_IMODE(os.stat(created).st_mode)) if os.path.exists(created) else None, "0o600")
    R.true(".forward file", line(inst, f"{U1}+cmd@" + DOM, f"{U1}+cmd", "2.0.0", "sent",
                                 re.escape("delivered to file: %s/fwd.file" % e.out)))
    st = os.stat(os.path.join(e.out, "fwd.file")) if os.path.exists(os.path.join(e.out, "fwd.file")) else None
    R.check(".forward file written as the user", (st.st_uid, st.st_gid) if st else None, (e.u1.uid, e.u1.gid))
    R.true(".forward :include: of a root-only file: warning",
           warning(inst, "cannot open include file %s: Permission denied" % e.path("secret")))
    R.true(".forward :include: of a root-only file: bounced",
           line(inst, f"{U1}+secret@" + DOM, f"{U1}+secret", "5.3.5", "bounced",
                re.escape("mail system configuration error")))
    R.true(".forward including itself: a loop, bounced",
           line(inst, f"{U1}+self@" + DOM, f"{U1}+self", "5.4.6", "bounced",
                re.escape(f"mail forwarding loop for {U1}+self@" + DOM)))
    R.true("no root supplementary group: the root-group file is refused",
           line(inst, f"{U1}+group@" + DOM, f"{U1}+group", "5.2.0", "bounced",
                re.escape("cannot append message to file %s/rootgroup: cannot open file: Permission denied"
                          % e.out)))
    R.check("the root-group file is untouched", read(os.path.join(e.out, "rootgroup")), "")


def check_aliases(e, inst):
    """Requirements 1, 2, 3, 8: rights of alias entries, :include:, parsing."""
    o = e.out
    R.true("root-only :include: in a root alias: warning (read as default_privs)",
           warning(inst, "cannot open include file %s: Permission denied" % e.path("secret")))
    R.true("root-only :include: in a root alias: bounced",
           line(inst, "incsecret@" + DOM, "incsecret", "5.3.5", "bounced", re.escape("mail system configuration error")))
    R.check("root alias command runs as default_privs", wait_file(os.path.join(o, "alias.id")), idline("nobody"))
    R.check("user-owned alias table: its command runs as its owner", wait_file(os.path.join(o, "useralias.id")),
            idline(U2))
    R.true("root alias file", line(inst, "filealias@" + DOM, "filealias", "2.0.0", "sent",
                                   re.escape("delivered to file: %s/alias.file" % o)))
    st = os.stat(os.path.join(o, "alias.file")) if os.path.exists(os.path.join(o, "alias.file")) else None
    R.check("root alias file written as default_privs", (st.st_uid, st.st_gid) if st else None,
            (pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("nobody").pw_gid))
    R.true("command in an :include: file: restricted by default",
           line(inst, "incuser@" + DOM, "incuser", "5.7.1", "bounced", "mail to command is restricted"))
    R.true("file in an :include: file: restricted by default",
           line(inst, "incuser@" + DOM, "incuser", "5.7.1", "bounced", "mail to file is restricted"))
    R.true("unquoted |/bin/echo a b: the command is /bin/echo",
           line(inst, "parse1@" + DOM, "parse1", "2.0.0", "sent", re.escape("delivered to command: /bin/echo")))
    R.true("unquoted |/bin/echo a b: a is an address",
           line(inst, f"{U1}@" + DOM, "parse1", "2.0.0", "sent", "delivered to mailbox"))
    R.true("unquoted |/bin/echo a b: b is an address",
           line(inst, f"{U2}@" + DOM, "parse1", "2.0.0", "sent", "delivered to mailbox"))
    R.true("quoted \"|cmd > f\", user: one command",
           line(inst, "parse2@" + DOM, "parse2", "2.0.0", "sent",
                re.escape("delivered to command: cat > %s/parse2.out" % o)))
    R.true("quoted \"|cmd > f\", user: the user", line(inst, f"{U3}@" + DOM, "parse2", "2.0.0", "sent",
                                                        "delivered to mailbox"))
    R.true("unquoted |cmd > f, user: the command is cat",
           line(inst, "parse3@" + DOM, "parse3", "2.0.0", "sent", re.escape("delivered to command: cat")))
    R.true("unquoted |cmd > f, user: the file", line(inst, "parse3@" + DOM, "parse3", "2.0.0", "sent",
                                                      re.escape("delivered to file: %s/parse3.out" % o)))
    for who in (U3, U1, U2):
        R.true("\\user, \"user\" (comment), Name <user>: %s" % who,
               line(inst, "%s@%s" % (who, DOM), "parse4", "2.0.0", "sent", "delivered to mailbox"))


def check_loops(e, inst):
    """Requirement 5: loops, nesting, the duplicate filter."""
    R.true(":include: file that includes itself: bounced",
           line(inst, "selfinc@" + DOM, "selfinc", "5.4.6", "bounced", re.escape("mail forwarding loop for selfinc@" + DOM)))
    R.true(":include: files that include each other: bounced",
           line(inst, "cycle@" + DOM, "cycle", "5.4.6", "bounced", re.escape("mail forwarding loop for cycle@" + DOM)))
    R.true(":include: nesting limit: warning", inst.wait_log(
        r"postfix/local\[\d+\]: warning: :include: nesting limit exceeded for %s/chain\d+$" % re.escape(e.tmp)))
    R.true(":include: nesting limit: bounced",
           line(inst, "chain@" + DOM, "chain", "5.4.6", "bounced", ":include: nesting limit exceeded"))
    R.true("duplicates: one delivery", line(inst, f"{U2}@" + DOM, "dup", "2.0.0", "sent", "delivered to mailbox"))
    time.sleep(0.5)
    R.check("duplicates: only one status line",
            len(re.findall(fr"to=<{U2}@%s>, orig_to=<dup>" % re.escape(DOM), inst.log())), 1)
    R.true("an :include: file with no address: warning",
           warning(inst, "no recipient in alias lookup result for emptyinc"))
    R.true("an :include: file with no address: deferred, never dropped",
           line(inst, "emptyinc@" + DOM, "emptyinc", "4.3.0", "deferred", "alias database unavailable"))


def check_files(e, inst):
    """Requirement 6: file destinations and list files that are not plain files."""
    o = e.out
    R.true(":include: FIFO: warning, no hang",
           warning(inst, ":include: file %s is not a regular file" % e.path("fifo")))
    R.true(":include: FIFO: bounced", line(inst, "fifoinc@" + DOM, "fifoinc", "5.3.5", "bounced",
                                           "mail system configuration error"))
    R.true("file FIFO: refused, no hang", line(inst, "ffifo@" + DOM, "ffifo", "5.2.0", "bounced", re.escape(
        "cannot append message to file %s/fifo: cannot open file: No such device or address" % o)))
    R.true("file device: refused", line(inst, "fzero@" + DOM, "fzero", "5.2.0", "bounced", re.escape(
        "cannot append message to file /dev/zero: destination /dev/zero is not a regular file")))
    R.true("file /dev/null: delivered", line(inst, "fnull@" + DOM, "fnull", "2.0.0", "sent",
                                             re.escape("delivered to file: /dev/null")))
    R.true("executable file: refused", line(inst, "fexec@" + DOM, "fexec", "5.7.1", "bounced", re.escape(
        "cannot append message to file %s/exec: file is executable" % o)))
    R.true("hard-linked file: refused", line(inst, "fhard@" + DOM, "fhard", "5.2.0", "bounced", re.escape(
        "cannot append message to file %s/hard: file has 2 hard links" % o)))
    R.true("symbolic link: refused", line(inst, "fsym@" + DOM, "fsym", "5.2.0", "bounced", re.escape(
        "cannot append message to file %s/sym: file is a symbolic link" % o)))
    R.check("the linked file is untouched", read(os.path.join(o, "victim")), "victim\n")
    R.true("file over mailbox_size_limit: bounced as Postfix does",
           line(inst, "fbig@" + DOM, "fbig", "5.2.2", "bounced", re.escape(
               "cannot append message to file %s/big: error writing message: File too large" % o)))


def check_root(e, inst):
    """Requirement 2: a root recipient's commands and files run as default_privs."""
    o = e.out
    R.check("root's .forward command runs as default_privs", wait_file(os.path.join(o, "root.id")),
            idline("nobody"))
    R.true("root's .forward file", line(inst, "root@" + DOM, "root", "2.0.0", "sent",
                                        re.escape("delivered to file: %s/root.file" % o)))
    st = os.stat(os.path.join(o, "root.file")) if os.path.exists(os.path.join(o, "root.file")) else None
    R.check("root's .forward file written as default_privs", st.st_uid if st else None, pwd.getpwnam("nobody").pw_uid)


def check_mailbox(e, inst):
    """Requirement 6: the spool mailbox of the third user in a world-writable spool, under attack."""
    spool = inst.path("mail")
    box = os.path.join(spool, U3)
    what = f"cannot update mailbox %s for user {U3}. " % box
    target = os.path.join(e.u3.home, "target")
    write(target, "target\n", owner=U3, mode=0o600)
    attacks = [
        ("symbolic link", lambda: os.symlink(target, box), "file is a symbolic link"),
        ("hard link", lambda: os.link(target, box), "file has 2 hard links"),
        ("FIFO", lambda: os.mkfifo(box), "cannot open file: No such device or address"),
        ("directory", lambda: os.mkdir(box), "cannot open file: Is a directory"),
    ]
    for name, make, why in attacks:
        subprocess.run(["rm", "-rf", box])
        make()
        os.lchown(box, e.u3.uid, e.u3.gid)
        send(inst, U3, sender="<>", subject=name)
        R.true("mailbox %s: refused" % name, line(inst, f"{U3}@" + DOM, U3, "5.2.0", "bounced",
                                                  re.escape(what + why)))
    R.check("the link target is untouched", read(target), "target\n")
    subprocess.run(["rm", "-rf", box])
    # requirement 9: a mailbox that would grow past mailbox_size_limit
    with open(box, "w") as f:
        f.truncate(10240000 - 100)
    os.chown(box, e.u3.uid, e.u3.gid)
    os.chmod(box, 0o600)
    send(inst, U3, sender="<>", subject="too big")
    R.true("mailbox over mailbox_size_limit: bounced as Postfix does", line(
        inst, f"{U3}@" + DOM, U3, "5.2.2", "bounced", re.escape(what + "error writing message: File too large")))
    R.check("mailbox over mailbox_size_limit: left as it was", os.path.getsize(box), 10240000 - 100)
    os.unlink(box)


def check_defaults(e):
    """Requirement 3 with other settings; Maildir tmp/ as a link; duplicate_filter_limit."""
    o = e.out
    inc = e.path("inc2.list")
    write(inc, "%s/inc2.file\n" % o, owner=U1)
    write(os.path.join(e.u1.home, ".forward"), "|\"id > %s/restricted\"\n" % o, owner=U1)
    os.makedirs(os.path.join(e.u2.home, "Maildir"))
    elsewhere = os.path.join(e.tmp, "elsewhere")
    os.mkdir(elsewhere)
    os.chown(elsewhere, e.u2.uid, e.u2.gid)
    os.symlink(elsewhere, os.path.join(e.u2.home, "Maildir", "tmp"))
    subprocess.run(["chown", "-Rh", f"{U2}:{U2}", os.path.join(e.u2.home, "Maildir")])
    inst = pkit.Instance(aliases="postmaster root\nacmd |\"id > %s/acmd.id\"\ninc2 :include:%s\n"
                         f"dup2 {U3}, {U3}\n" % (o, inc),
                         main_extra="queue_run_delay = 1s\nallow_mail_to_commands = alias\n"
                         "allow_mail_to_files = forward, include\nhome_mailbox = Maildir/\n"
                         "duplicate_filter_limit = 1\n")
    try:
        inst.start()
        send(inst, U1)
        send(inst, "acmd")
        send(inst, "inc2")
        send(inst, U2)
        send(inst, "dup2")
        R.true("allow_mail_to_commands = alias: .forward command restricted",
               line(inst, f"{U1}@" + DOM, U1, "5.7.1", "bounced", "mail to command is restricted"))
        R.check("allow_mail_to_commands = alias: alias command runs", wait_file(os.path.join(o, "acmd.id")),
                idline("nobody"))
        R.true("allow_mail_to_files = include: file in an :include: file",
               line(inst, "inc2@" + DOM, "inc2", "2.0.0", "sent", re.escape("delivered to file: %s/inc2.file" % o)))
        st = os.stat(os.path.join(o, "inc2.file")) if os.path.exists(os.path.join(o, "inc2.file")) else None
        R.check(":include: file of a root alias: written as the file's owner", st.st_uid if st else None, e.u1.uid)
        R.true("Maildir tmp/ as a symbolic link: refused", inst.wait_log(
            fr"to=<{U2}@%s>, orig_to=<{U2}>, relay=local, .*dsn=5\.2\.0, status=bounced \(maildir delivery failed: "
            r"create maildir file %s/Maildir/tmp/\S+: Not a directory\)" % (re.escape(DOM), re.escape(e.u2.home))))
        R.check("nothing written through the link", os.listdir(elsewhere), [])
        R.true("duplicate_filter_limit = 1: duplicates are not all remembered", inst.wait_log(
            fr"to=<{U3}@%s>, orig_to=<dup2>, relay=local, .*status=sent" % re.escape(DOM), count=2))
    finally:
        inst.cleanup()


def check_privs_root(e):
    """Requirement 2: default_privs = root is refused by local itself (fail closed)."""
    o = e.out
    inst = pkit.Instance(aliases="postmaster root\nrcmd |\"id > %s/rcmd.id\"\n" % o,
                         main_extra="queue_run_delay = 1s\n")
    try:
        inst.start()
        # postfix start refuses the setting: change it under a running system
        inst.write("main.cf", inst.read("main.cf") + "default_privs = root\n")
        send(inst, "rcmd", sender="<>")
        R.true("default_privs = root: local refuses to start", inst.wait_log(
            r"postfix/local\[\d+\]: fatal: file %s/main\.cf: parameter default_privs: user root has privileged "
            r"user ID" % re.escape(inst.dir)))
        time.sleep(1)
        R.check("default_privs = root: the command never ran", os.path.exists(os.path.join(o, "rcmd.id")), False)
    finally:
        inst.cleanup()


def check_route(e):
    """postfix route shows a .forward only as local(8) would read it: as the user, with its checks."""
    inst = pkit.Instance()
    f2 = os.path.join(e.u2.home, ".forward")
    f3 = os.path.join(e.u3.home, ".forward")
    try:
        # pkls2 links its .forward to a file only root may read; pkls3's is its own but mode 0
        os.symlink(e.path("secret"), f2)
        os.lchown(f2, e.u2.uid, e.u2.gid)
        write(f3, f"{U1}\n", owner=U3, mode=0)
        r = inst.postfix("route", U2, U3)
        R.check("route: exit", r.returncode, 0)
        R.true("route: the secret behind a symlinked .forward is never shown", SECRET not in r.stdout)
        R.true("route: a symlinked .forward is ignored with local's reason",
               "%s: ignored: file %s is not a regular file" % (f2, f2) in r.stdout)
        R.true("route: a .forward the user cannot read is not read with root's rights",
               "%s: ignored: cannot open file %s: Permission denied" % (f3, f3) in r.stdout)
        os.chmod(f3, 0o644)
        r = inst.postfix("route", U3)
        R.true("route: a safe .forward is shown", f"    %s: {U1}\n" % f3 in r.stdout)
        os.chmod(f3, 0o666)
        r = inst.postfix("route", U3)
        R.true("route: a world-writable .forward is ignored",
               "%s: ignored: file %s is world writable" % (f3, f3) in r.stdout)
    finally:
        for f in (f2, f3):
            if os.path.lexists(f):
                os.unlink(f)
        inst.cleanup()


def main():
    pkit.require_binaries()
    if not pkit.can_make_users():
        print("needs root and useradd: skipping")
        sys.exit(77)
    e = Env()
    inst = None
    try:
        setup_files(e)
        exts = dot_forwards(e)
        fwd = "%s/fwd/${user}.forward, $home/.forward${recipient_delimiter}${extension}, $home/.forward" % e.tmp
        inst = pkit.Instance(aliases=main_aliases(e), main_extra=(
            "queue_run_delay = 1s\nrecipient_delimiter = +\nmailbox_size_limit = 10240000\n"
            "alias_maps = texthash:$config_directory/aliases, texthash:%s/aliases.user\n"
            "forward_path = %s\n" % (e.tmp, fwd)))
        inst.start()
        os.chmod(inst.path("mail"), 0o1777)  # a world-writable spool, as on many systems
        for ext in exts:
            send(inst, f"{U1}+" + ext)
        for a in ("incsecret", "cmdalias", "useralias", "filealias", "incuser", "parse1", "parse2", "parse3",
                  "parse4", "selfinc", "cycle", "chain", "dup", "emptyinc", "fifoinc", "ffifo", "fzero", "fnull",
                  "fexec", "fhard", "fsym", "fbig"):
            send(inst, a)
        send(inst, "root", sender="<>")
        check_forward(e, inst)
        check_aliases(e, inst)
        check_loops(e, inst)
        check_files(e, inst)
        check_root(e, inst)
        R.true("nothing secret in the log", SECRET not in inst.log())
        R.true("the bounce says why without the secret",
               inst.wait_mailbox(U2, "mail system configuration error") and SECRET not in inst.mailbox(U2))
        check_mailbox(e, inst)
        # every message that left the queue had its recipients' status lines
        log = inst.log()
        removed = re.findall(r"postfix/qmgr\[\d+\]: ([0-9A-F]+): removed", log)
        silent = [q for q in removed if not re.search(r"%s: to=<" % q, log)]
        R.check("no recipient removed without a status line", silent, [])
        inst.cleanup()
        inst = None
        check_defaults(e)
        check_privs_root(e)
        check_route(e)
    finally:
        if inst:
            inst.cleanup()
        e.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
