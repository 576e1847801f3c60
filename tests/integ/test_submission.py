#!/usr/bin/env python3
"""test_submission.py - local submission the Postfix way: sendmail, postdrop, postqueue, pickup.

As root: a root-mode instance (mail_owner, setgid_group postdrop, postdrop
and postqueue set-gid in $command_directory after "postfix set-permissions")
and an unprivileged instance owned by a test user; the user submits with
sendmail, -bs, -bp and -q, with and without a private /etc/postfix (a mount
namespace) that lists the instance in alternate_config_directories.  The
-f/-F/recipient and exit-status checks run on the unprivileged instance.  The
postdrop group and the test user are created when absent and removed after.
Not root: only the unprivileged instance, as the invoking user.
Every expected message and exit status is what Postfix 3.7.11 printed for
the same command, unless a check says it is postkit's own.
"""
import grp
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("submission")
USER = pkit.unique_login_prefix("pksub", ("",))  # unique to this run
POSTDROP = os.path.join(pkit.TOP_BUILDDIR, "tools", "postdrop", "postdrop")
POSTQUEUE = os.path.join(pkit.TOP_BUILDDIR, "tools", "postqueue", "postqueue")
MSG = "Subject: submission test\n\nbody\n"
created = []  # ("user"|"group", name) to remove at the end


# ---- the test user, the group, the private /etc/postfix

def ensure_account():
    """The postdrop group and the test user, created when absent."""
    try:
        grp.getgrnam("postdrop")
    except KeyError:
        subprocess.run(["groupadd", "--system", "postdrop"], check=True)
        created.append(("group", "postdrop"))
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "-M", "-s", "/usr/sbin/nologin", USER], check=True)
        created.append(("user", USER))
    return pwd.getpwnam(USER)


def remove_accounts():
    for kind, name in reversed(created):
        subprocess.run(["userdel" if kind == "user" else "groupdel", name],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def can_unshare():
    """A private mount namespace with our own /etc/postfix (the default main.cf)."""
    if not os.path.isdir("/etc/postfix") or not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-m", "true"], stderr=subprocess.DEVNULL).returncode == 0


def etc_dir(text):
    """A directory to mount on /etc/postfix, with main.cf holding text."""
    d = tempfile.mkdtemp(prefix="postkit-etc-")
    os.chmod(d, 0o755)
    with open(os.path.join(d, "main.cf"), "w") as f:
        f.write(text)
    os.chmod(os.path.join(d, "main.cf"), 0o644)
    return d


def run(cmd, data=b"", user=None, env=None, etc=None, timeout=30):
    """cmd as user (None: as we are), with exactly env, /etc/postfix from etc when given."""
    full = ["env", "-i", "PATH=/usr/bin:/bin", "POSTKIT_DAEMON_DIR=" + pkit.DAEMON_DIR]
    full += ["%s=%s" % kv for kv in (env or {}).items()] + list(cmd)
    if user:
        full = ["runuser", "-u", user, "--"] + full
    if etc:
        full = ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/postfix && exec "$@"',
                etc] + full
    if isinstance(data, str):
        data = data.encode()
    r = subprocess.run(full, input=data, capture_output=True, timeout=timeout)
    return r.returncode, r.stdout.decode("latin-1"), r.stderr.decode("latin-1")


def mode_of(path):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "missing"

    return "%o %s:%s" % (stat.S_IMODE(st.st_mode), pwd.getpwuid(st.st_uid).pw_name,
                          grp.getgrgid(st.st_gid).gr_name)


# ---- the root-mode instance

def root_instance():
    inst = pkit.Instance(main_extra="setgid_group = postdrop\n"
                                    "command_directory = $config_directory/bin\n"
                                    "message_size_limit = 20000\n")
    os.mkdir(inst.path("bin"))
    for p in (POSTDROP, POSTQUEUE):
        if os.access(p, os.X_OK):
            shutil.copy(p, inst.path("bin"))
    return inst


def set_permissions(inst):
    """What an administrator runs after make install: group and set-gid bits, as Postfix."""
    r = inst.postfix("set-permissions")
    R.check("set-permissions exit", (r.returncode, r.stdout, r.stderr), (0, "", ""))


def check_layout(inst):
    """Postfix's layout (Debian's modes): nobody but postdrop may write the maildrop."""
    R.check("maildrop mode", mode_of(inst.path("queue", "maildrop")), "1730 postfix:postdrop")
    R.check("public mode", mode_of(inst.path("queue", "public")), "2710 postfix:postdrop")
    R.check("postdrop set-gid", mode_of(inst.path("bin", "postdrop")), "2755 root:postdrop")
    R.check("postqueue set-gid", mode_of(inst.path("bin", "postqueue")), "2755 root:postdrop")
    r = inst.postfix("check")
    R.check("postfix check: nothing about submission",
            [l for l in r.stderr.splitlines() if re.search(r"maildrop|public|postdrop|postqueue", l)],
            [])


def check_config_dir(inst, pw, etc_no, etc_yes):
    """-C and MAIL_CONFIG from a user: refused unless the default main.cf lists the directory."""
    d = inst.dir
    rc, out, err = run(["%s" % pkit.SENDMAIL, "-C", d, USER], MSG, user=USER, etc=etc_no)
    R.check("-C unauthorized", (rc, err),
            (75, "sendmail: error: unauthorized configuration directory name: %s\n"
                 "sendmail: fatal: specify \"alternate_config_directories = %s\" or "
                 "\"multi_instance_directories = %s\" in /etc/postfix/main.cf\n" % (d, d, d)))
    rc, out, err = run([pkit.SENDMAIL, USER], MSG, user=USER, env={"MAIL_CONFIG": d}, etc=etc_no)
    R.check("MAIL_CONFIG unauthorized (postdrop refuses)", (rc, err),
            (75, "postdrop: error: unauthorized configuration directory name: %s\n"
                 "postdrop: fatal: specify \"alternate_config_directories = %s\" or "
                 "\"multi_instance_directories = %s\" in /etc/postfix/main.cf\n"
                 "sendmail: warning: command \"%s/bin/postdrop -r\" exited with status 1\n"
                 "sendmail: fatal: %s(%d): unable to execute %s/bin/postdrop -r: "
                 "Application error\n" % (d, d, d, d, USER, pw.pw_uid, d)))
    rc, out, err = run([inst.path("bin", "postqueue"), "-c", d, "-p"], user=USER, etc=etc_no)
    R.check("postqueue -c unauthorized", (rc, err),
            (69, "postqueue: error: unauthorized configuration directory name: %s\n"
                 "postqueue: fatal: specify \"alternate_config_directories = %s\" or "
                 "\"multi_instance_directories = %s\" in /etc/postfix/main.cf\n" % (d, d, d)))
    rc, out, err = run([pkit.SENDMAIL, "-C", d, "-f", "user@example.net", USER], MSG,
                       user=USER, etc=etc_yes)
    R.check("-C authorized: queued", (rc, err), (0, ""))
    R.true("pickup: the uid is the file owner's",
           inst.wait_log(r"pickup\[\d+\]: [0-9A-F]+: uid=%d from=<user@example\.net>" % pw.pw_uid))
    rc, out, err = run([pkit.SENDMAIL, "-C", d, "-q"], user=USER, etc=etc_yes)
    R.check("-q through the set-gid postqueue", (rc, err), (0, ""))
    rc, out, err = run([pkit.SENDMAIL, "-C", d, "-bp"], user=USER, etc=etc_yes)
    R.check("-bp: the queue is not ours to read (no showq service here)", (rc, out), (69, ""))
    R.true("-bp: says so", err.startswith("postqueue: fatal: Queue report unavailable"), err)


def check_maildrop_closed(inst, pw):
    """The user cannot drop a file into maildrop by hand (the old 1733 layout let anyone)."""
    rc, out, err = run(["sh", "-c", "echo x > %s/forged" % inst.path("queue", "maildrop")],
                       user=USER)
    R.true("maildrop not writable by the user", rc != 0, err)
    R.true("no forged file", not os.path.exists(inst.path("queue", "maildrop", "forged")))


def check_bs(inst, pw, etc_yes):
    """sendmail -bs: no smtpd_*_restrictions, no log lines on stderr, submitted through postdrop."""
    d = inst.dir
    with open(inst.path("main.cf"), "a") as f:
        f.write("smtpd_recipient_restrictions = reject\nsmtpd_client_restrictions = reject\n")
    session = ("EHLO local\r\nMAIL FROM:<s@example.net>\r\nRCPT TO:<nobody>\r\n"
               "RCPT TO:<nobody@elsewhere.example>\r\nDATA\r\nSubject: via bs\r\n\r\nhello\r\n"
               ".\r\nQUIT\r\n")
    rc, out, err = run([pkit.SENDMAIL, "-C", d, "-bs"], session, user=USER, etc=etc_yes)
    R.check("-bs exit and stderr", (rc, err), (0, ""))
    R.check("-bs: both RCPT accepted despite the restrictions",
            out.split("\r\n").count("250 2.1.5 Ok"), 2)
    m = re.search(r"250 2\.0\.0 Ok: queued as ([0-9A-F]+)", out)
    R.true("-bs queued", m is not None, out)
    R.true("-bs: pickup saw the user's file",
           inst.wait_log(r"pickup\[\d+\]: [0-9A-F]+: uid=%d from=<s@example\.net>" % pw.pw_uid))
    R.true("-bs delivered", inst.wait_mailbox("nobody", "Subject: via bs"))
    # what Postfix 3.7.11's smtpd -S does besides: no XCLIENT/XFORWARD offered, no pipelining
    # complaint for a pipe, its own Received header under pickup's
    R.true("-bs: no XCLIENT or XFORWARD", "XCLIENT" not in out and "XFORWARD" not in out, out)
    R.true("-bs: no pipelining complaint", "improper command pipelining" not in inst.log())
    R.true("-bs: smtpd's Received header", m is not None and re.search(
        r"^Received: by mail\.example\.com \(Postfix, from userid %d\)\n\tid [0-9A-F]+; .*\n"
        r"Received: from local \(localhost \[127\.0\.0\.1\]\)\n"
        r"\tby mail\.example\.com \(Postfix\) with ESMTP id %s;\n\t.*\nSubject: via bs$"
        % (pw.pw_uid, m.group(1)), inst.mailbox("nobody"), re.M) is not None, inst.mailbox("nobody"))


def check_sanitising(inst, as_user, name, uid):
    """-f, -F and recipients as Postfix reads them; control characters never reach the mailbox."""
    env = {"MAIL_CONFIG": inst.dir}
    rc, out, err = run([pkit.SENDMAIL, "-f", "a\nb@example.net", "-F", "Nm\nX-Evil: 1",
                        name + "\nX-Evil: 2"], MSG, user=as_user, env=env)
    R.check("malformed sender: warned", (rc, err),
            (0, "sendmail: warning: -f option specified malformed sender: a?b@example.net\n"))
    R.true("delivered", inst.wait_mailbox(name, "Nm X-Evil"))
    box = inst.mailbox(name)
    R.true("mbox From line is the first address",
           re.search(r"^From a@mail\.example\.com  ", box, re.M) is not None, box)
    R.true("full name stays on one header line",
           re.search(r'^From: "?Nm X-Evil: 1"? <a@mail\.example\.com>$', box, re.M) is not None, box)
    R.true("no injected header", not re.search(r"^X-Evil", box, re.M), box)
    R.true("recipient newline splits into a second recipient (Postfix: \"X-Evil:2\")",
           inst.wait_log(r'orig_to=<"?X-Evil:2"?'), inst.log())
    rc, out, err = run([pkit.SENDMAIL, "-f", "a\x01b@example.net", name], MSG, user=as_user,
                       env=env)
    R.check("control character in -f: refused (postkit)", (rc, err),
            (75, "sendmail: fatal: -f option specified malformed sender: a?b@example.net\n"))
    rc, out, err = run([pkit.SENDMAIL, "-f", "s@example.net", "u\x01v"], MSG, user=as_user,
                       env=env)
    R.check("control character in a recipient: refused (postkit)", (rc, err),
            (75, "sendmail: fatal: s@example.net(%d): malformed recipient address: u?v\n" % uid))


def check_exit_codes(inst, as_user, name, uid):
    """Fatal errors exit 75 like Postfix's sendmail; postqueue's 69."""
    env = {"MAIL_CONFIG": inst.dir}
    who = "%s(%d)" % (name, uid)
    cases = [
        (["-Z", "x"], "sendmail: invalid option -- 'Z'\nsendmail: invalid option -- 'Z'\n"
                      "sendmail: fatal: usage: sendmail [options]\n"),
        (["-bp", "x"], "sendmail: fatal: display queue mode requires no recipient\n"),
        (["-bz"], "sendmail: fatal: unsupported: -bz\n"),
        (["-qX"], "sendmail: fatal: -qX is not implemented\n"),
        (["-t"], "sendmail: fatal: %s: No recipient addresses found in message header\n" % who),
        (["-bv", "-t"], "sendmail: fatal: -t option cannot be used with -bv\n"),
        (["-n", "x"], "sendmail: fatal: -n option not supported\n"),
        (["-B", "x", "y"], "sendmail: fatal: -B option needs 8BITMIME or 7BIT\n"),
        ([name], "sendmail: fatal: %s: message file too big\n" % who),
    ]
    for args, want in cases:
        data = MSG if args != [name] else "Subject: big\n\n" + "x" * 30000 + "\n"
        rc, out, err = run([pkit.SENDMAIL] + args, data, user=as_user, env=env)
        if args == [name]:
            R.check("too big: postdrop's warning", err.splitlines()[:1],
                    ["postdrop: warning: uid=%d: File too large" % uid])
            err = "\n".join(err.splitlines()[1:]) + "\n"
        R.check("sendmail %s" % " ".join(args), (rc, err), (75, want))
    rc, out, err = run([pkit.SENDMAIL, "-N", "bogus", name], MSG, user=as_user, env=env)
    R.check("-N bogus: warned, sent", (rc, err),
            (0, "sendmail: warning: unknown DSN NOTIFY command value \"bogus\" in \"bogus\"\n"
                "sendmail: warning: bad -N option value -- ignored\n"))
    if pkit.IS_ROOT:
        rc, out, err = run(["setpriv", "--reuid=4242", "--regid=4242", "--clear-groups",
                            pkit.SENDMAIL, name], MSG, env=env)
        R.check("uid without a login name", (rc, err),
                (75, "sendmail: fatal: no login name found for user ID 4242\n"))


def check_acl(inst, pw):
    with open(inst.path("main.cf"), "a") as f:
        f.write("authorized_submit_users = root\n")
    rc, out, err = run([pkit.SENDMAIL, "nobody"], MSG, user=USER, env={"MAIL_CONFIG": inst.dir})
    R.check("authorized_submit_users", (rc, err),
            (75, "sendmail: fatal: User %s(%d) is not allowed to submit mail\n" % (USER, pw.pw_uid)))
    rc, out, err = run([POSTDROP], "", user=USER, env={"MAIL_CONFIG": inst.dir})
    R.check("authorized_submit_users in postdrop too", (rc, err),
            (1, "postdrop: fatal: User %s(%d) is not allowed to submit mail\n" % (USER, pw.pw_uid)))


def root_mode(pw):
    inst = root_instance()
    ns = can_unshare()
    etc_no = etc_dir("compatibility_level = 3.6\n") if ns else None
    etc_yes = etc_dir("alternate_config_directories = /nonexistent, %s\n" % inst.dir) if ns else None
    try:
        inst.start()
        set_permissions(inst)
        check_layout(inst)
        check_maildrop_closed(inst, pw)
        if ns:
            check_config_dir(inst, pw, etc_no, etc_yes)
        else:
            print("no private mount namespace: -C / alternate_config_directories checks skipped")
        inst.stop()
        rc, out, err = run([pkit.SENDMAIL, "-q"], env={"MAIL_CONFIG": inst.dir})
        R.check("-q with the mail system down", (rc, err),
                (69, "postqueue: fatal: Cannot flush mail queue - mail system is down\n"))
        inst.start()
        if ns:
            check_bs(inst, pw, etc_yes)
        check_acl(inst, pw)
    finally:
        inst.cleanup()
        for d in (etc_no, etc_yes):
            if d:
                shutil.rmtree(d, ignore_errors=True)


# ---- the unprivileged instance: everything belongs to one user

def unprivileged_mode(user):
    """No set-gid anywhere: the user's own postdrop writes into the user's own maildrop."""
    name = user.pw_name
    inst = pkit.Instance(main_cf=pkit.BASE_MAIN_CF + "message_size_limit = 20000\n")
    as_user = None if os.geteuid() == user.pw_uid else name
    if as_user:
        for root, dirs, files in os.walk(inst.dir):
            for n in dirs + files:
                os.chown(os.path.join(root, n), user.pw_uid, user.pw_gid)
        os.chown(inst.dir, user.pw_uid, user.pw_gid)
    env = {"MAIL_CONFIG": inst.dir}
    try:
        rc, out, err = run([pkit.POSTFIX, "-c", inst.dir, "start"], user=as_user)
        inst.started = True
        R.check("unprivileged start", rc, 0)
        inst.wait_log("daemon started")
        R.check("unprivileged maildrop", mode_of(inst.path("queue", "maildrop")),
                "1730 %s:%s" % (name, grp.getgrgid(user.pw_gid).gr_name))
        rc, out, err = run([pkit.SENDMAIL, "-f", "u@example.net", name], MSG, user=as_user, env=env)
        R.check("unprivileged sendmail", (rc, err), (0, ""))
        R.true("unprivileged delivery", inst.wait_mailbox(name, "Subject: submission test"))
        R.true("uid from the file owner",
               inst.wait_log(r"pickup\[\d+\]: [0-9A-F]+: uid=%d from=<u@example\.net>" % user.pw_uid))
        check_sanitising(inst, as_user, name, user.pw_uid)
        check_exit_codes(inst, as_user, name, user.pw_uid)
        rc, out, err = run([pkit.SENDMAIL, "-bp"], user=as_user, env=env)
        R.true("unprivileged mailq", rc == 0 and out.endswith(("Mail queue is empty\n", "Requests.\n",
                                                              "Request.\n")), out)
        rc, out, err = run([pkit.SENDMAIL, "-bs"], "HELO x\r\nQUIT\r\n", user=as_user, env=env)
        R.check("unprivileged -bs: no smtpd lines on stderr", (rc, err), (0, ""))
        R.true("unprivileged -bs: they are in the maillog",
               inst.wait_log(r"smtpd\[\d+\]: disconnect from localhost\[127\.0\.0\.1\]"),
               inst.log())
        # the maildrop is the user's own: pickup must not trust what is in a file
        forged = inst.path("queue", "maildrop", "forged")
        head = "Sa%01b\n"
        body = "x\n"
        with open(forged, "w") as f:
            f.write("PKQ1 %012d %012d %012d 00\n" % (47 + len(head), len(body), 47 + len(head) + len(body)))
            f.write(head + body + "R-0000000000000000 0 x\tx\nE\n")
        os.chown(forged, user.pw_uid, user.pw_gid)
        os.chmod(forged, 0o744)
        # another submission wakes pickup, which then finds the forged file too
        run([pkit.SENDMAIL, "-f", "u@example.net", name], MSG, user=as_user, env=env)
        R.true("pickup refuses a control character in the sender",
               inst.wait_log(r"pickup\[\d+\]: warning: maildrop/forged: uid=%d: malformed sender "
                             r"address: removed" % user.pw_uid), inst.log())
        R.true("forged file removed", not os.path.exists(forged))
    finally:
        run([pkit.POSTFIX, "-c", inst.dir, "stop"], user=as_user)
        inst.started = False
        inst.cleanup()


def main():
    pkit.require_binaries()
    for p in (POSTDROP, POSTQUEUE):
        R.true("%s is built" % os.path.basename(p), os.access(p, os.X_OK))
    try:
        if pkit.IS_ROOT:
            pw = ensure_account()
            root_mode(pw)
            unprivileged_mode(pw)
        else:
            unprivileged_mode(pwd.getpwuid(os.getuid()))
    finally:
        remove_accounts()
    R.finish()


if __name__ == "__main__":
    main()
