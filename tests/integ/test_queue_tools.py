#!/usr/bin/env python3
"""test_queue_tools.py - postqueue, postsuper, postcat, mailq, sendmail -bp/-q against Postfix.

One scenario fills the queues of a private instance: deferred mail
(default_transport = retry:...), a message half delivered with lines longer
than Postfix's 2048-byte records, one put on hold, one moved to the active
queue, one left in the maildrop while the system is down.  It lists the
queue (postqueue -p and -j, sendmail -bp, mailq), shows files with postcat,
holds, releases, deletes and requeues with postsuper.  What the tools print
and log, with what differs between runs masked the same way on both sides
(queue IDs, dates, the bytes that queue IDs and user IDs take inside message
sizes, the hashed deferred/X/ directories of Postfix), must equal what
Postfix 3.7.11 printed for the same scenario: the files of
tests/integ/queue-tools/.  `test_queue_tools.py --oracle` runs the scenario
on Postfix (/usr/sbin/postfix) and rewrites them.

Then postkit's own instance with set-gid postqueue: a user who is not root
lists the queue through the showq service; authorized_mailq_users and
authorized_flush_users refuse with Postfix's messages; sendmail -qR and
-qI go through the flush service, only for fast_flush_domains; with the
system down the user gets Postfix's "Queue report unavailable".
Needs root (the oracle ran as root: user IDs and full names are root's).
"""
import grp
import json
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
import test_submission as sub  # noqa: E402  (its run() and /etc/postfix helpers)

R = pkit.Results("queue_tools")
GOLDEN = os.path.join(pkit.TOP_SRCDIR, "tests", "integ", "queue-tools")
TOOLS = {p: os.path.join(pkit.TOP_BUILDDIR, "tools", p, p)
         for p in ("postqueue", "postsuper", "postcat", "postdrop")}
EXTRA = "default_transport = retry:4.4.1 remote host down\n"
SERVICES = ("showq     unix  n       -       n       -       -       showq\n"
            "flush     unix  n       -       n       1000?   0       flush\n")
LONG = ("Subject: five\nX-Long: %s\nX-Mid: %s\n\n%s\n%s\n%s\nend\n"
        % ("h" * 2100, "m" * 200, "b" * 5000, "c" * 2048, "d" * 130))
# key, sender, recipients, message
MESSAGES = [
    ("M1", "sender@example.net", ["other@example.org", "remote@example.org"],
     "Subject: one\nFrom: a@example.net\n\nhello world\n"),
    # with its own From: (postkit's cleanup writes one for the null sender unlike Postfix's)
    ("M2", "", ["x@example.org"], "Subject: two\nFrom: postmaster@example.net\n\nbody\nline2\n"),
    ("M3", "s5@example.net", ["nobody@mail.example.com", "far@example.org"], LONG),
    ("M4", "held@example.net", ["h1@example.org", "h2@example.org"], "Subject: held\n\nx\n"),
    ("M5", "act@example.net", ["a1@example.org"], "Subject: active\n\ny\n"),
]
QID = r"[0-9A-F]{6,}"
# what varies inside a message between runs: queue IDs (and Message-Id stamps), user IDs
VAR = re.compile(r"[0-9A-F]{10,}|(?<=userid )\d+")


def wait(pred, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


class System:
    """A mail system under test: the commands, its log, its queue files."""

    def run(self, prog, args, data=""):
        r = subprocess.run(self.argv(prog) + list(args), input=data.encode("latin-1"),
                           capture_output=True, env=self.env(), timeout=60)
        return r.returncode, r.stdout.decode("latin-1"), r.stderr.decode("latin-1")

    def wait_log(self, pattern, count=1, timeout=20):
        rx = re.compile(pattern)
        return wait(lambda: sum(1 for l in self.log().splitlines() if rx.search(l)) >= count,
                    timeout)

    def find(self, qid):
        """(queue, path) of a queue file, hashed subdirectories included."""
        top = os.path.join(self.dir, "queue")
        for queue in ("maildrop", "incoming", "active", "deferred", "hold"):
            for root, dirs, files in os.walk(os.path.join(top, queue)):
                if qid in files:
                    return queue, os.path.join(root, qid)
        return None, None


class Postkit(System):
    name = "postkit"
    owner = pkit.mail_owner()

    def __init__(self, main_extra=EXTRA):
        self.inst = pkit.Instance(main_extra=main_extra, master_extra=SERVICES)
        self.dir = self.inst.dir
        os.symlink(pkit.SENDMAIL, self.inst.path("mailq"))

    def argv(self, prog):
        if prog == "sendmail":
            return [pkit.SENDMAIL]
        if prog == "mailq":
            return [self.inst.path("mailq")]
        return [TOOLS[prog], "-c", self.dir]

    def env(self):
        e = self.inst.env()
        e["MAIL_CONFIG"] = self.dir
        return e

    def start(self):
        self.inst.start()

    def stop(self):
        self.inst.stop()

    def cleanup(self):
        self.inst.cleanup()

    def log(self):
        return self.inst.log()

    def usec_digits(self, path):
        """The digits of the arrival microseconds Postfix's maildrop file would hold."""
        with open(path, "rb") as f:
            m = re.search(rb"\nT\d+\.(\d+)\n", f.read(4096))
        return len(str(int(m.group(1)))) if m else 0


class Postfix(System):
    """The oracle: a private Postfix 3.7 instance, Debian's master.cf unchrooted."""
    name = "Postfix"
    owner = "postfix"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="postfix-oracle-")
        os.chmod(self.dir, 0o755)
        for d, mode in (("queue", 0o755), ("mail", 0o1777), ("data", 0o755)):
            os.mkdir(os.path.join(self.dir, d))
            os.chmod(os.path.join(self.dir, d), mode)
        shutil.chown(os.path.join(self.dir, "data"), "postfix")
        with open(os.path.join(self.dir, "main.cf"), "w") as f:
            f.write(pkit.BASE_MAIN_CF + EXTRA)
        with open(os.path.join(self.dir, "aliases"), "w") as f:
            f.write("postmaster root\n")
        master = open("/etc/postfix/master.cf").read()
        master = re.sub(r"(?m)^smtp      inet  n       -       y",
                        "127.0.0.1:%d inet n - n" % pkit.free_port(), master)
        master = re.sub(r"(?m)^(\S+\s+unix\s+[-ny]\s+[-ny]\s+)y", r"\1n", master)
        with open(os.path.join(self.dir, "master.cf"), "w") as f:
            f.write(master)

    def argv(self, prog):
        if prog == "sendmail":
            return ["/usr/sbin/sendmail", "-C", self.dir]
        if prog == "mailq":
            return ["/usr/bin/mailq", "-C", self.dir]
        return ["/usr/sbin/" + prog, "-c", self.dir]

    def env(self):
        return dict(os.environ)

    def start(self):
        subprocess.run(["/usr/sbin/postfix", "-c", self.dir, "start"], capture_output=True)
        self.wait_log("daemon started")

    def stop(self):
        subprocess.run(["/usr/sbin/postfix", "-c", self.dir, "stop"], capture_output=True)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(os.path.join(self.dir, "maillog"), "rb") as f:
                return f.read().decode("latin-1")
        except FileNotFoundError:
            return ""

    def usec_digits(self, path):
        """From the offset of the record after the time record (postcat -o)."""
        rc, out, err = self.run("postcat", ["-o", path])
        offs = [int(m.group(1)) for m in re.finditer(r"(?m)^ +(\d+) ", out)]
        return offs[1] - 2 - 11 if len(offs) > 1 else 0


# ---- masking: the same on both sides

def mask_text(text):
    """Queue IDs, dates, hashed directories, user IDs."""
    text = re.sub(r"[A-Z][a-z]{2}, [ \d]\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4} \(\w+\)",
                  "RFC-DATE", text)
    text = re.sub(r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}", "ASC-DATE", text)
    text = re.sub(r"\b(deferred|defer|bounce)/[0-9A-F]/", r"\1/", text)
    text = re.sub(r"userid \d+", "userid N", text)
    text = re.sub(r"\b[0-9A-F]{10,}\b", "QUEUEID", text)
    return text


class Sizes:
    """Message sizes without the bytes of what varies between runs."""

    def __init__(self, system):
        self.s = system
        self.var = {}

    def learn(self, qid):
        if qid in self.var:
            return
        rc, out, err = self.s.run("postcat", ["-bh", "-q", qid])
        n = sum(len(t) for t in VAR.findall(out))
        queue, path = self.s.find(qid)
        if queue == "maildrop":
            n += self.s.usec_digits(path)
        self.var[qid] = n

    def norm(self, qid, size):
        self.learn(qid)
        return int(size) - self.var[qid]


def mask_listing(text, sizes):
    """postqueue -p: senders re-rendered with a fixed ID and date, messages in a fixed order."""
    if not text.startswith("-Queue ID-"):
        return text
    head, rest = text.split("\n", 1)
    parts = rest.split("\n\n")
    trailer = re.sub(r"^-- \d+ Kbytes", "-- N Kbytes", parts.pop())
    blocks = []
    for b in parts:
        lines = b.split("\n")
        m = re.match(r"^(%s)([*!#]*) +(\d+) (.{20}) (.*)$" % QID, lines[0])
        if m:
            qid, mark, size, when, sender = m.groups()
            lines[0] = "%-11s %7d %20.20s %s" % ("QUEUE_ID" + mark, sizes.norm(qid, size),
                                                "Ddd Mmm DD HH:MM:SS ", sender)
        blocks.append("\n".join(lines))
    return head + "\n" + "\n\n".join(sorted(blocks) + [trailer])


def mask_json(text, sizes):
    lines = []
    for line in text.splitlines():
        json.loads(line)  # each line is one JSON object
        qid = re.search(r'"queue_id": "(%s)"' % QID, line).group(1)
        line = re.sub(r'"message_size": (\d+)',
                      lambda m: '"message_size": %d' % sizes.norm(qid, m.group(1)), line)
        line = re.sub(r'"arrival_time": \d+', '"arrival_time": 0', line)
        lines.append(line.replace(qid, "QUEUEID"))
    return "\n".join(sorted(lines)) + "\n"


def mask_postcat(text, qid, sizes):
    def size_line(m):
        f = m.groups()
        return "message_size: %15d %15s %15s %15s %15d %15s" % (
            sizes.norm(qid, f[0]), "OFFSET", f[2], f[3], sizes.norm(qid, f[4]), f[5])
    text = re.sub(r"(?m)^message_size: +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+)$", size_line,
                  text)
    return mask_text(text)


def mask_log(log, prog):
    """The maillog lines of one program, without time stamps and process IDs."""
    lines = [re.sub(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ (\S+?)\[\d+\]: ", r"\1: ", l)
             for l in log.splitlines() if "/%s[" % prog in l]
    return mask_text("\n".join(lines) + "\n")


# ---- the scenario

def submit_all(s, out):
    """The five messages; their queue IDs once each was deferred (and M3 half delivered)."""
    ids = {}
    for key, sender, rcpts, msg in MESSAGES:
        rc, o, e = s.run("sendmail", ["-f", sender] + rcpts, msg)
        R.check("%s: sendmail %s" % (s.name, key), (rc, e), (0, ""))
        pat = r"pickup\[\d+\]: (%s): uid=0 from=<%s>" % (QID, re.escape(sender))
        R.true("%s: %s picked up" % (s.name, key), s.wait_log(pat), s.log())
        ids[key] = re.search(pat, s.log()).group(1)
    R.true("%s: all deferred" % s.name, s.wait_log(r"status=deferred", count=7), s.log())
    R.true("%s: M3 half delivered" % s.name, s.wait_log(r"status=sent \(delivered to mailbox\)"))
    # qmgr moves a file to deferred/ after the agent logged: wait for it
    R.true("%s: files in deferred/" % s.name,
           wait(lambda: all(s.find(q)[0] == "deferred" for q in ids.values())))
    return ids


def listings(s, sizes, out, tag):
    rc, p, e = s.run("postqueue", ["-p"])
    R.check("%s: postqueue -p %s" % (s.name, tag), (rc, e), (0, ""))
    out["postqueue-p-" + tag] = mask_listing(p, sizes)
    rc, j, e = s.run("postqueue", ["-j"])
    R.check("%s: postqueue -j %s" % (s.name, tag), (rc, e), (0, ""))
    out["postqueue-j-" + tag] = mask_json(j, sizes)
    if s.name == "postkit":
        total = sum(int(m) for m in re.findall(r'"message_size": (\d+)', j))
        R.true("Kbytes: the sizes rounded down", p.endswith("-- %d Kbytes in %d Request%s.\n" % (
            total // 1024, len(j.splitlines()), "" if len(j.splitlines()) == 1 else "s")), p)
    for prog, args in (("sendmail", ["-bp"]), ("mailq", [])):
        R.check("%s: %s %s is postqueue -p" % (s.name, prog, tag), s.run(prog, args), (0, p, ""))


def postsuper(s, out, name, args, data=""):
    rc, o, e = s.run("postsuper", args, data)
    out["postsuper-" + name] = "status %d\n%s%s" % (rc, o, mask_text(e))


def postcat(s, sizes, out, name, qid, args):
    rc, o, e = s.run("postcat", args + ["-q", qid])
    R.check("%s: postcat %s status" % (s.name, name), rc, 0)
    out["postcat-" + name] = mask_postcat(o, qid, sizes)


def scenario(s):
    """Everything the tools print for the same queue contents: {name: masked text}."""
    out = {}
    sizes = Sizes(s)
    s.start()
    ids = submit_all(s, out)
    postsuper(s, out, "hold-one", ["-h", ids["M4"]])
    queue, path = s.find(ids["M5"])
    os.rename(path, os.path.join(s.dir, "queue", "active", ids["M5"]))
    listings(s, sizes, out, "running")
    postcat(s, sizes, out, "deferred", ids["M1"], [])
    postcat(s, sizes, out, "long-lines-verbose", ids["M3"], ["-v"])
    postcat(s, sizes, out, "hold-envelope", ids["M4"], ["-e"])
    postcat(s, sizes, out, "header-body", ids["M2"], ["-bh"])
    postcat(s, sizes, out, "body", ids["M3"], ["-b"])
    postsuper(s, out, "release-all", ["-H", "ALL"])
    postsuper(s, out, "delete-stdin", ["-d", "-"], "%s\nnot.an.id\n" % ids["M2"])
    postsuper(s, out, "requeue", ["-r", ids["M1"]])
    R.check("%s: sendmail -q" % s.name, s.run("sendmail", ["-q"]), (0, "", ""))
    R.true("%s: requeued" % s.name, s.wait_log(r"orig_id=%s" % ids["M1"]), s.log())
    new = re.search(r"pickup\[\d+\]: (%s): uid=\d+ from=<sender@example.net> orig_id=" % QID,
                    s.log()).group(1)
    # the flush retries M3 (1 recipient left), M4 (2); the requeued M1 is tried (2)
    R.true("%s: retried" % s.name, s.wait_log(r"status=deferred", count=12), s.log())
    R.true("%s: settled" % s.name, wait(lambda: all(
        s.find(q)[0] == "deferred" for q in (new, ids["M3"], ids["M4"]))))
    listings(s, sizes, out, "after-postsuper")
    s.stop()
    # with the system down, postsuper (as mail_owner) writes the maillog itself
    shutil.chown(os.path.join(s.dir, "maillog"), s.owner)
    rc, o, e = s.run("sendmail", ["-f", "drop@example.net", "d1@example.org"],
                     "Subject: drop\n\nz\n")
    R.check("%s: sendmail with the system down" % s.name, (rc, e), (0, ""))
    md = wait(lambda: os.listdir(os.path.join(s.dir, "queue", "maildrop")))
    drop = sorted(os.listdir(os.path.join(s.dir, "queue", "maildrop")))[0] if md else "NONE"
    for flag in ("-p", "-j"):
        rc, o, e = s.run("postqueue", [flag])
        # the reason differs: postkit's master removes its sockets, Postfix's leaves them
        e = re.sub(r"service: [^)]*\)", "service: REASON)", e)
        fmt = mask_listing if flag == "-p" else mask_json
        out["postqueue%s-system-down" % flag] = "status %d\n%s%s" % (rc, mask_text(e),
                                                                      fmt(o, sizes))
    postcat(s, sizes, out, "maildrop-envelope", drop, ["-e"])
    rc, o, e = s.run("postcat", [os.path.join(s.dir, "queue", "maildrop", drop)])
    out["postcat-file"] = "status %d\n%s" % (rc, mask_text(o.replace(s.dir, "DIR")))
    postsuper(s, out, "delete-all-deferred", ["-d", "ALL", "deferred"])
    postsuper(s, out, "delete-all", ["-d", "ALL"])
    rc, o, e = s.run("postqueue", ["-p"])
    out["postqueue-p-empty"] = "status %d\n%s" % (rc, o)
    out["maillog-postsuper"] = mask_log(s.log(), "postsuper")
    qmgr = [l for l in s.log().splitlines() if "qmgr[" in l and "size=" in l]
    out["maillog-qmgr-size"] = "".join(sorted(set(
        re.sub(r"size=(\d+)", lambda m, q=re.search(QID, l).group(0):
               "size=%d" % sizes.norm(q, m.group(1)), mask_text(l.split("]: ", 1)[1])) + "\n"
        for l in qmgr if re.search(QID, l).group(0) in sizes.var)))
    return out


def compare(out):
    for name, text in sorted(out.items()):
        try:
            with open(os.path.join(GOLDEN, name), encoding="latin-1") as f:
                want = f.read()
        except FileNotFoundError:
            want = None
        R.check("golden %s" % name, text, want)


def write_golden(out):
    os.makedirs(GOLDEN, exist_ok=True)
    for name, text in out.items():
        with open(os.path.join(GOLDEN, name), "w", encoding="latin-1") as f:
            f.write(text)
    print("wrote %d files to %s" % (len(out), GOLDEN))


# ---- postkit's own: set-gid postqueue, a user, the showq and flush services

def setgid_instance():
    s = Postkit(EXTRA + "".join(line + "\n" for line in (
        "setgid_group = postdrop", "command_directory = $config_directory/bin",
        "fast_flush_domains = example.org", "flush_service_name = flush",
        "showq_service_name = showq")))
    os.mkdir(s.inst.path("bin"))
    for p in ("postqueue", "postdrop"):
        shutil.copy(TOOLS[p], s.inst.path("bin"))
    return s


def user_checks(s, etc):
    """A user lists through showq; the access lists refuse with Postfix's messages."""
    pq = [s.inst.path("bin", "postqueue"), "-c", s.dir]
    root = s.run("postqueue", ["-p"])
    got = sub.run(pq + ["-p"], user="nobody", etc=etc)
    R.check("user: postqueue -p through showq", got, root)
    with open(s.inst.path("main.cf"), "a") as f:
        f.write("authorized_mailq_users = root\nauthorized_flush_users = root\n")
    for args, verb in ((["-p"], "view"), (["-j"], "view"), (["-f"], "flush"),
                       (["-s", "example.org"], "flush"), (["-i", "ABCDEF12345"], "flush")):
        R.check("user: postqueue %s refused" % args[0], sub.run(pq + args, user="nobody", etc=etc),
                (69, "", "postqueue: fatal: User nobody(65534) is not allowed to %s the mail "
                         "queue\n" % verb))
    R.check("root: postqueue -p still allowed", s.run("postqueue", ["-p"])[0], 0)
    with open(s.inst.path("main.cf")) as f:
        text = f.read()
    with open(s.inst.path("main.cf"), "w") as f:
        f.write(re.sub(r"(?m)^authorized_(mailq|flush)_users = root\n", "", text))


def flush_checks(s):
    """sendmail -qR and -qI: the flush service moves the right deferred mail to incoming."""
    for rcpt in ("a@example.org", "b@other.example"):
        s.run("sendmail", ["-f", "f@example.net", rcpt], "Subject: flush\n\nf\n")
    R.true("flush: both deferred", s.wait_log(r"status=deferred", count=2), s.log())
    qa = re.search(r"(%s): to=<a@example\.org>" % QID, s.log()).group(1)
    qb = re.search(r"(%s): to=<b@other\.example>" % QID, s.log()).group(1)
    R.true("flush: files in deferred/", wait(lambda: s.find(qa)[0] == s.find(qb)[0] == "deferred"))
    R.check("sendmail -qRexample.org", s.run("sendmail", ["-qRexample.org"]), (0, "", ""))
    R.true("-qR: the site's message is tried again",
           s.wait_log(r"%s: from=<f@example\.net>, size=\d+, nrcpt=1 \(queue active\)" % qa, 2))
    R.true("-qR: only that one", s.log().count("%s: from=<f@example.net>" % qb) == 1, s.log())
    R.check("postqueue -s outside fast_flush_domains", s.run("postqueue", ["-s", "other.example"]),
            (69, "", 'postqueue: fatal: Flush service is not configured for destination '
                     '"other.example"\n'))
    R.check("sendmail -qI", s.run("sendmail", ["-qI" + qb]), (0, "", ""))
    R.true("-qI: the message is tried again",
           s.wait_log(r"%s: from=<f@example\.net>, size=\d+, nrcpt=1 \(queue active\)" % qb, 2))


def have(getter, name):
    try:
        getter(name)
        return True
    except KeyError:
        return False


def own_checks():
    # the group and the user are not created here: test_submission.py may run meanwhile
    if not (have(grp.getgrnam, "postdrop") and have(pwd.getpwnam, "nobody")):
        print("no postdrop group or no nobody user: the set-gid postqueue checks are skipped")
        return
    s = setgid_instance()
    ns = sub.can_unshare()
    etc = sub.etc_dir("alternate_config_directories = %s\n" % s.dir) if ns else None
    try:
        s.start()
        r = s.inst.postfix("set-permissions")
        R.check("set-permissions", (r.returncode, r.stderr), (0, ""))
        flush_checks(s)
        if ns:
            user_checks(s, etc)
        else:
            print("no private mount namespace: the checks as another user are skipped")
        s.stop()
        if ns:
            R.check("user: system down", sub.run([s.inst.path("bin", "postqueue"), "-c", s.dir,
                                                  "-p"], user="nobody", etc=etc),
                    (69, "", "postqueue: fatal: Queue report unavailable - mail system is down "
                             "(Connect to the Postfix showq service: No such file or directory)\n"))
    finally:
        s.cleanup()
        if etc:
            shutil.rmtree(etc, ignore_errors=True)


def main():
    if not pkit.IS_ROOT:
        print("not root: the oracle ran as root (user IDs, set-gid programs): skipped")
        sys.exit(77)
    os.environ["TZ"] = "UTC"
    if "--oracle" in sys.argv[1:]:
        s = Postfix()
        try:
            write_golden(scenario(s))
        finally:
            s.cleanup()
        R.finish()
    pkit.require_binaries()
    missing = [p for p in TOOLS.values() if not os.access(p, os.X_OK)]
    if missing:
        R.true("the queue tools are built", False, " ".join(missing))
        R.finish()
    s = Postkit()
    try:
        compare(scenario(s))
    finally:
        s.cleanup()
    own_checks()
    R.finish()


if __name__ == "__main__":
    main()
