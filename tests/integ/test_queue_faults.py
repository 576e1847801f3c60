#!/usr/bin/env python3
"""test_queue_faults.py - a refused message is never delivered, an accepted one exactly once.

The fault injector (faultinject.so, preloaded into the whole instance and
aimed at one daemon) makes writes and fsyncs of queue files fail with EIO,
at random with a fixed probability; a failing fsync first takes a while, as
a dying disk does.  Postfix 3.7.11 observed with the same injector:

  write fails   451 4.3.0 Error: queue file write error; cleanup logs
                "warning: QID: write queue file: Input/output error" and
                "warning: mail_stream_cleanup: close error"
  fsync fails   451 4.3.0 Error: queue file write error; nothing logged
  pickup        "warning: maildrop/NAME: error writing QID: queue file
                write error"; the maildrop file stays for the next run

smtpd: 64 SMTP messages with faults in smtpd (its in-process cleanup).
pickup: 32 sendmail messages with faults in the cleanup daemon, each tried
again by pickup until cleanup takes it.
bounce: the non-delivery notice cannot be queued (every fsync in cleanup
fails, so the bounce service answers an error) or the bounce service is
not there.  Postfix 3.7.11 logs "postfix/qmgr[PID]: QID: status=deferred
(bounce failed)" once per attempt and keeps the message in deferred/ with
the usual back-off (minimal_backoff_time).
"""
import fcntl
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("queue_faults")
INJECTOR = os.path.join(pkit.TOP_BUILDDIR, "tests", "integ", "faultinject.so")


class FaultInstance(pkit.Instance):
    """An instance whose daemons run with the injector preloaded."""

    def __init__(self, fault, **kw):
        super().__init__(**kw)
        self.fault_log = self.path("faults.log")
        # daemons that dropped privileges append to it
        with open(self.fault_log, "w"):
            pass
        os.chmod(self.fault_log, 0o666)
        self.fault = dict(fault, LD_PRELOAD=INJECTOR, FAULT_LOG=self.fault_log)

    def env(self):
        e = super().env()
        e.update(self.fault)
        asan = e.get("ASAN_OPTIONS", "")
        e["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "verify_asan_link_order=0"
        return e

    def faults(self):
        """{qid: set of failed calls} from the injector's log."""
        out = {}
        for line in self.read("faults.log").splitlines():
            m = re.match(r"\S+\[\d+\] (\w+) .*/([^/ ]+?)(?: \(deleted\))?: \w+$", line)
            if m:
                out.setdefault(m.group(2), set()).add(m.group(1))
        return out


def count(mbox, subject):
    return len(re.findall(r"(?m)^Subject: %s$" % re.escape(subject), mbox))


def settle(inst, want, timeout=30):
    """Wait until want subjects are in the mailbox and the queue is empty."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        mbox = inst.mailbox("nobody")
        busy = any(inst.queue_files(q) for q in ("maildrop", "incoming", "active"))
        if not busy and all(count(mbox, s) for s in want):
            break
        time.sleep(0.1)
    time.sleep(0.5)  # anything refused but still queued would show up now


def check_log(inst, label, failed):
    """Postfix's warnings for each refused queue file, and no delivery of it."""
    log = inst.log()
    for qid, calls in sorted(failed.items()):
        wrote = re.search(r"postfix/cleanup\[\d+\]: warning: %s: write queue file: "
                          r"Input/output error\n.*postfix/cleanup\[\d+\]: warning: "
                          r"mail_stream_cleanup: close error\n" % qid, log)
        if calls & {"write", "pwrite"}:
            R.true("%s: %s: write error logged as Postfix does" % (label, qid), wrote)
        else:
            R.true("%s: %s: failed fsync not logged, as Postfix" % (label, qid),
                   "%s: write queue file" % qid not in log)
        R.true("%s: %s: refused file never delivered" % (label, qid),
               not re.search(r"%s: (to=<|from=<.*queue active)" % qid, log))
    for q in ("incoming", "active", "deferred", "hold"):
        R.check("%s: nothing left in %s" % (label, q),
                sorted(os.listdir(inst.path("queue", q))), [])


def random_faults(prog, calls, prob):
    """An instance where prog's calls on incoming queue files fail with EIO at
    random (each process its own sequence), a failed call taking 30 ms."""
    return FaultInstance({"FAULT_PROG": prog, "FAULT_CALLS": calls,
                          "FAULT_PATH": "/queue/incoming/", "FAULT_PROB": prob,
                          "FAULT_SEED_PID": "1", "FAULT_DELAY_MS": "30"})


def run_smtpd():
    inst = random_faults("smtpd", "write,fsync", "0.25")
    try:
        inst.start()
        replies = {}
        for i in range(64):
            s = inst.session()
            s.cmd("EHLO client.example.net")
            s.cmd("MAIL FROM:<someone@example.net>")
            s.cmd("RCPT TO:<nobody@example.com>")
            replies["qf-smtpd-%d" % i] = s.data("Subject: qf-smtpd-%d\n\nbody %d\n" % (i, i))
            s.cmd("QUIT")
            s.close()
        failed = inst.faults()
        if not failed:
            print("the injector had no effect in this build: skipping")
            sys.exit(77)
        ok = [k for k, r in replies.items() if r.startswith("250 2.0.0 Ok: queued as ")]
        refused = [k for k, r in replies.items() if k not in ok]
        R.true("smtpd: some accepted, some refused", ok and refused, replies)
        R.check("smtpd: every refusal as Postfix words it",
                sorted(set(replies[k] for k in refused)),
                ["451 4.3.0 Error: queue file write error"])
        R.check("smtpd: one refusal per failed file", len(refused), len(failed))
        settle(inst, ok)
        mbox = inst.mailbox("nobody")
        R.check("smtpd: each accepted message delivered exactly once",
                {k: count(mbox, k) for k in ok}, {k: 1 for k in ok})
        R.check("smtpd: no refused message delivered",
                {k: count(mbox, k) for k in refused}, {k: 0 for k in refused})
        check_log(inst, "smtpd", failed)
    finally:
        inst.cleanup()


def trigger_pickup(inst):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(2)
        s.connect(inst.path("queue", "public", "pickup"))
        s.sendall(b"W")
    except OSError:
        pass
    finally:
        s.close()


def run_pickup():
    inst = random_faults("cleanup", "pwrite,fsync", "0.3")
    try:
        inst.start()
        subjects = ["qf-pickup-%d" % i for i in range(32)]
        for subj in subjects:
            r = inst.sendmail(["-f", "someone@example.net", "nobody@example.com"],
                              "Subject: %s\n\nbody\n" % subj)
            R.check("pickup: sendmail %s" % subj, r.returncode, 0)
        # cleanup refused some: pickup tries those again on each wakeup
        deadline = time.time() + 30
        while inst.queue_files("maildrop") and time.time() < deadline:
            trigger_pickup(inst)
            time.sleep(0.2)
        failed = inst.faults()
        if not failed:
            print("the injector had no effect in this build: skipping")
            sys.exit(77)
        settle(inst, subjects)
        mbox = inst.mailbox("nobody")
        R.check("pickup: each message delivered exactly once",
                {s: count(mbox, s) for s in subjects}, {s: 1 for s in subjects})
        log = inst.log()
        for qid in sorted(failed):
            R.true("pickup: %s: pickup keeps the maildrop file, as Postfix" % qid,
                   re.search(r"postfix/pickup\[\d+\]: warning: maildrop/[0-9A-F]+: error "
                             r"writing %s: queue file write error" % qid, log))
        check_log(inst, "pickup", failed)
    finally:
        inst.cleanup()


def bounce_attempts(inst, qid):
    log = inst.log()
    return [len(re.findall(r"postfix/qmgr\[\d+\]: %s: status=deferred \(bounce failed\)\n" % qid,
                           log)),
            len(re.findall(r"%s: from=<someone@example\.net>, .* \(queue active\)" % qid, log))]


def run_bounce(label, **kw):
    inst = FaultInstance({"FAULT_PROG": "cleanup", "FAULT_CALLS": "fsync",
                          "FAULT_PATH": "/queue/incoming/"},
                         main_extra="local_recipient_maps =\n", **kw)
    try:
        inst.start()
        s = inst.session()
        s.cmd("EHLO client.example.net")
        s.cmd("MAIL FROM:<someone@example.net>")
        s.cmd("RCPT TO:<nosuchuser@example.com>")
        r = s.data("Subject: bounce me\n\nbody\n")
        s.cmd("QUIT")
        s.close()
        qid = r.split()[-1]
        R.true("%s: queued" % label, r.startswith("250 2.0.0 Ok: queued as "), r)
        R.true("%s: logged as Postfix does" % label,
               inst.wait_log(r"postfix/qmgr\[\d+\]: %s: status=deferred \(bounce failed\)$" % qid),
               inst.log())
        time.sleep(1.5)  # a tight retry loop would log many more by now
        R.check("%s: one attempt, one line" % label, bounce_attempts(inst, qid), [1, 1])
        R.check("%s: the message waits in deferred/" % label, inst.queue_files("deferred"), [qid])
        try:
            wait = os.stat(inst.path("queue", "deferred", qid)).st_mtime - time.time()
        except OSError:
            wait = None
        R.true("%s: retry after minimal_backoff_time" % label, wait and wait >= 250, wait)
        inst.postfix("flush")
        inst.wait_log(r"%s: status=deferred \(bounce failed\)" % qid, count=2)
        time.sleep(1)
        R.check("%s: flushed: a second attempt, a second line" % label,
                bounce_attempts(inst, qid), [2, 2])
        R.check("%s: still deferred" % label, inst.queue_files("deferred"), [qid])
    finally:
        inst.cleanup()


def run_lingering_lock():
    """A sealed file in incoming/ that qmgr finds still locked, then unlocked without a
    write-close (a copy of the writer's descriptor that outlived it): qmgr looks again
    a second later instead of leaving the message until the next queue run (300 s).
    postkit's own robustness check: Postfix's qmgr learns of new mail from a trigger."""
    inst = pkit.Instance(main_extra="smtpd_recipient_restrictions = "
                         "check_recipient_access inline:{root@mail.example.com=HOLD}\n")
    try:
        inst.start()
        s = inst.session()
        s.cmd("EHLO client.example")
        s.cmd("MAIL FROM:<a@example.net>")
        s.cmd("RCPT TO:<root@mail.example.com>")
        R.check("lingering lock: queued", s.data("Subject: linger\r\n\r\nlingering-lock-body\r\n")[:3],
                "250")
        s.cmd("QUIT")
        s.close()
        held = inst.queue_files("hold")
        R.check("lingering lock: on hold", len(held), 1)
        if len(held) != 1:
            return
        # released from hold into deferred/, then locked there and flushed into incoming/
        r = subprocess.run([os.path.join(pkit.TOP_BUILDDIR, "tools", "postsuper", "postsuper"),
                            "-c", inst.dir, "-H", held[0]], env=inst.env(), capture_output=True,
                           timeout=30)
        R.check("lingering lock: postsuper -H", (r.returncode, inst.queue_files("deferred")),
                (0, held))
        fd = os.open(inst.path("queue", "deferred", held[0]), os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            R.check("lingering lock: postfix flush", inst.postfix("flush").returncode, 0)
            time.sleep(2)
            R.check("lingering lock: not delivered while locked", inst.mailbox("root"), "")
        finally:
            os.close(fd)  # no IN_CLOSE_WRITE: nothing wakes qmgr but its own second look
        R.true("lingering lock: delivered once the lock is gone",
               inst.wait_mailbox("root", "lingering-lock-body", timeout=15),
               inst.queue_report())
    finally:
        inst.cleanup()


def main():
    pkit.require_binaries()
    if not os.path.exists(INJECTOR):
        print("missing %s: skipping" % INJECTOR)
        sys.exit(77)
    run_lingering_lock()
    run_smtpd()
    run_pickup()
    run_bounce("bounce answers an error")
    no_bounce = pkit.BASE_MASTER_CF.replace(
        "bounce    unix  -       -       n       -       0       bounce\n", "")
    run_bounce("no bounce service", master_cf=no_bounce)
    R.finish()


if __name__ == "__main__":
    main()
