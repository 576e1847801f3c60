#!/usr/bin/env python3
"""test_wakeups.py - a new connection wakes one idle process of a service, not all of them.

With several idle smtpd processes waiting on the same listener, every
connection used to wake each of them (poll); all but one found nothing to
accept.  On a busy machine those wakeups cost more than the work.  The
kernel counts a process's sleeps (voluntary_ctxt_switches in
/proc/PID/status): an idle smtpd that is not woken keeps its count.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("wakeups")


def children(master, comm):
    """The pids of master's children named comm."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                st = f.read()
        except OSError:
            continue
        name = st[st.index("(") + 1:st.rindex(")")]
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        if ppid == master and name == comm:
            out.append(int(pid))
    return sorted(out)


def sleeps(pid):
    """How often pid went to sleep so far (None when it is gone)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def settled(pids, timeout=10):
    """The sleep counts of pids once they stop changing: every process has finished its
    last session and waits (a loaded machine may still be running one after its QUIT).
    None when they keep changing for timeout seconds."""
    now = {p: sleeps(p) for p in pids}
    deadline = time.time() + timeout
    while time.time() < deadline:
        time.sleep(0.5)
        again = {p: sleeps(p) for p in pids}
        if again == now:
            return now
        now = again
    return None


def main():
    pkit.require_binaries()
    inst = pkit.Instance()
    try:
        inst.start()
        # four sessions at once: four smtpd processes, idle after QUIT
        sessions = [inst.session() for _ in range(4)]
        for s in sessions:
            s.cmd("QUIT")
            s.close()
        R.true("four disconnects", inst.wait_log(r"smtpd\[\d+\]: disconnect from", count=4))
        pids = children(inst.master_pid(), "smtpd")
        R.true("at least four smtpd processes", len(pids) >= 4, repr(pids))
        before = settled(pids, timeout=20)
        R.true("idle processes settled", before is not None)
        before = before or {p: sleeps(p) for p in pids}
        # five connections one after the other: one process serves each.  Each one
        # starts once the last session is over and its process waits again: on a loaded
        # machine a process still busy after QUIT would make the next connection wake
        # another idle one, as it should.
        for i in range(5):
            s = inst.session()
            R.check("greeting", s.greeting[-1][:3], "220")
            s.cmd("QUIT")
            s.close()
            R.true("disconnect %d" % (5 + i),
                   inst.wait_log(r"smtpd\[\d+\]: disconnect from", count=5 + i))
            R.true("settled after session %d" % (i + 1), settled(pids, timeout=20) is not None)
        woken = [p for p in pids if sleeps(p) is not None and sleeps(p) != before[p]]
        # with poll() every idle process woke for each of the five connections
        R.true("idle smtpd processes left asleep", len(woken) <= 2,
               "woken %d of %d" % (len(woken), len(pids)))
    finally:
        inst.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
