#!/usr/bin/env python3
"""test_crash.py - kill -9 every postkit process during a load, restart, count.

Clients send N messages; a message counts as acknowledged when its DATA got
"250 2.0.0 Ok: queued as ...".  While mail is flowing every process of the
instance (master and all daemons: one process group) is killed with
SIGKILL, then the instance is started again.  When the queue is empty, every
acknowledged message must be in the mailbox exactly once, and no other
message more than once.  POSTKIT_CRASH_N and POSTKIT_CRASH_ROUNDS change
the size of the run.
"""
import os
import re
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("crash")
N = int(os.environ.get("POSTKIT_CRASH_N", "300"))
ROUNDS = int(os.environ.get("POSTKIT_CRASH_ROUNDS", "2"))
THREADS = 8


class Load:
    def __init__(self, inst):
        self.inst = inst
        self.next = 0
        self.acked = set()
        self.tried = set()
        self.lock = threading.Lock()
        self.stop = False
        self.retry = []

    def take(self):
        with self.lock:
            if self.retry:
                return self.retry.pop()
            if self.next >= N or self.stop:
                return None
            n = self.next
            self.next += 1
            return n

    def give_back(self, n, sent):
        """A failed attempt: the message may be queued if its content went out."""
        with self.lock:
            if sent:
                self.tried.add(n)
            else:
                self.retry.append(n)

    def worker(self):
        while True:
            n = self.take()
            if n is None:
                return
            sent = False
            try:
                s = self.inst.session(timeout=10)
                s.cmd("EHLO load.example.net")
                s.cmd("MAIL FROM:<load@example.net>")
                s.cmd("RCPT TO:<nobody@example.com>")
                sent = True
                r = s.data("Subject: crash-test-%06d\n\nmessage %06d\n" % (n, n))
                try:
                    s.cmd("QUIT")
                except Exception:
                    pass
                s.close()
                with self.lock:
                    self.tried.add(n)
                    if r.startswith("250 2.0.0 Ok: queued as"):
                        self.acked.add(n)
            except Exception:
                self.give_back(n, sent)
                time.sleep(0.05)


def kill_all(inst):
    pid = inst.master_pid()
    if pid <= 0:
        return False
    try:
        os.killpg(pid, signal.SIGKILL)  # master did setsid(): the group is the instance
    except ProcessLookupError:
        return False
    return True


def group_gone(pgid, timeout=15):
    """Wait until no live process is left in process group pgid (zombies count as gone)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        alive = False
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[2]) == pgid:
                alive = True
                break
        if not alive:
            return True
        time.sleep(0.05)
    return False


def queue_empty(inst):
    return not any(inst.queue_files(q) for q in ("maildrop", "incoming", "active", "deferred"))


def main():
    pkit.require_binaries()
    inst = pkit.Instance(main_extra="queue_run_delay = 1s\nminimal_backoff_time = 1s\n"
                         "maximal_backoff_time = 2s\n")
    try:
        inst.start()
        load = Load(inst)
        threads = [threading.Thread(target=load.worker) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for rnd in range(ROUNDS):
            # let some mail be accepted and some be delivered, then kill everything
            target = (rnd + 1) * N // (ROUNDS + 1)
            deadline = time.time() + 60
            while len(load.acked) < target and time.time() < deadline:
                time.sleep(0.01)
            pgid = inst.master_pid()
            R.true("round %d: processes killed" % rnd, kill_all(inst))
            inst.started = False
            # the old master and its children must be gone (pid file lock, listeners) first
            R.true("round %d: all gone" % rnd, group_gone(pgid))
            r = inst.postfix("start")
            R.check("round %d: restart" % rnd, r.returncode, 0)
            inst.started = r.returncode == 0
            inst.wait_log("daemon started", timeout=30, count=rnd + 2)
        for t in threads:
            t.join(timeout=120)
        deadline = time.time() + 120
        while not queue_empty(inst) and time.time() < deadline:
            time.sleep(0.2)
        R.true("queue drained", queue_empty(inst), str({q: inst.queue_files(q) for q in
                                                        ("incoming", "active", "deferred")}))
        time.sleep(0.5)
        box = inst.mailbox("nobody")
        counts = {}
        for m in re.finditer(r"^Subject: crash-test-(\d{6})$", box, re.M):
            n = int(m.group(1))
            counts[n] = counts.get(n, 0) + 1
        lost = sorted(n for n in load.acked if counts.get(n, 0) == 0)
        dup = sorted(n for n, c in counts.items() if c > 1)
        R.check("acknowledged messages lost", lost, [])
        R.check("messages delivered twice", dup, [])
        R.true("most messages acknowledged", len(load.acked) >= N * 0.9,
               "%d of %d" % (len(load.acked), N))
        print("%d acknowledged, %d delivered, %d sent without acknowledgement" %
              (len(load.acked), len(counts), len(load.tried - load.acked)))
        # the mbox is well formed: every message starts with a From_ line after a blank line
        R.true("mbox From_ lines", box.count("\nFrom load@example.net  ") + 1 == len(re.findall(
            r"^Subject: crash-test", box, re.M)) or not box, "")
    finally:
        inst.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
