#!/usr/bin/env python3
"""test_lifecycle.py - postfix start/stop/abort/reload/status/flush/start-fg.

Messages and exit statuses are Postfix 3.7's (reference doc 2.3); the
script-level messages are logged as postfix/postfix-script (and shown on
stderr only when it is a terminal, as Postfix's postlog does).
"""
import gzip
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("lifecycle")


def last_script_line(inst):
    lines = [l for l in inst.log().splitlines() if "postfix/postfix-script[" in l]
    return re.sub(r"^.*postfix/postfix-script\[\d+\]: ", "", lines[-1]) if lines else ""


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def logrotate():
    """postfix logrotate: the old log gets a time stamp and is compressed, the daemons write
    to a new file; its refusals are those of Postfix 3.7's postfix-script."""
    inst = pkit.Instance(main_extra="maillog_file_rotate_suffix = %Y-rotated\n" "maillog_file_compressor = gzip\n")
    try:
        inst.start()
        s = inst.session()
        s.cmd("EHLO before.example")
        s.cmd("QUIT")
        s.close()
        R.true("logrotate: a session before", inst.wait_log(r"disconnect from localhost"))
        r = inst.postfix("logrotate")
        R.check("logrotate: exit", r.returncode, 0)
        old = inst.path("maillog.%s-rotated.gz" % time.strftime("%Y"))
        R.true("logrotate: the old log is compressed", os.path.exists(old) and not os.path.exists(old[:-3]))
        with gzip.open(old, "rt") as f:
            R.true("logrotate: it holds the session before", "connect from localhost" in f.read())
        s = inst.session()
        s.cmd("EHLO after.example")
        s.cmd("QUIT")
        s.close()
        R.true("logrotate: smtpd writes to the new log", inst.wait_log(r"disconnect from localhost"))
        R.true("logrotate: master too", inst.wait_log(r"postfix/master\[\d+\]: reload -- version"))
        # sendmail -bd runs "postfix start" in the background and does not wait (Postfix 3.7.11)
        r = inst.sendmail(["-bd"], "")
        R.check("sendmail -bd: exit", r.returncode, 0)
        R.true("sendmail -bd: postfix start ran", inst.wait_log(
            r"postfix/postfix-script\[\d+\]: fatal: the Postfix mail system is already running"))
        r = inst.postfix("logrotate", "now")
        R.check("logrotate: an argument", (r.returncode, last_script_line(inst)),
                (1, "fatal: usage postfix logrotate (no arguments)"))
        inst.write("main.cf", inst.read("main.cf") + "maillog_file_rotate_suffix =\n")
        r = inst.postfix("logrotate")
        R.check("logrotate: empty suffix refused", r.returncode, 1)
        inst.write("main.cf", inst.read("main.cf") + "maillog_file_rotate_suffix = x\nmaillog_file = /dev/stdout\n")
        r = inst.postfix("logrotate")
        R.check("logrotate: a device", (r.returncode, "fatal: not rotating '/dev/stdout'" in r.stdout + r.stderr
                                        or r.returncode), (1, True))
    finally:
        inst.cleanup()


def main():
    pkit.require_binaries()
    inst = pkit.Instance()
    os.mkdir(inst.path("queue"))
    try:
        r = inst.postfix("status")
        R.check("status when stopped: exit", r.returncode, 1)
        r = inst.postfix("stop")
        R.check("stop when stopped: exit", r.returncode, 1)
        R.check("stop when stopped: message", last_script_line(inst),
                "fatal: the Postfix mail system is not running")
        r = inst.postfix("bogus")
        R.check("unknown command: exit", r.returncode, 1)
        R.check("unknown command: message", last_script_line(inst),
                "fatal: unknown command: 'bogus'. Usage: postfix start (or stop, reload, abort, "
                "flush, check, status, set-permissions, upgrade-configuration, logrotate)")

        inst.start()
        R.check("start: message", [l for l in inst.log().splitlines() if "postfix-script" in l][-1]
                .split(": ", 1)[1], "starting the Postfix mail system")
        R.true("master says so", inst.wait_log(r"postfix/master\[\d+\]: daemon started -- version "
                                               r"3\.7\.11, configuration " + re.escape(inst.dir)))
        with open(inst.path("queue", "pid", "master.pid")) as f:
            text = f.read()
        R.true("pid file format", re.fullmatch(r" *\d+\n", text) is not None and len(text) == 33,
               repr(text))
        pid = inst.master_pid()
        r = inst.postfix("start")
        R.check("start twice: exit", r.returncode, 1)
        R.check("start twice: message", last_script_line(inst),
                "fatal: the Postfix mail system is already running")
        r = inst.postfix("status")
        R.check("status: exit", r.returncode, 0)
        R.check("status: message", last_script_line(inst),
                "the Postfix mail system is running: PID: %d" % pid)
        R.check("flush: exit", inst.postfix("flush").returncode, 0)

        # reload: a session opened before it keeps working; new ones see the new settings
        s = inst.session()
        s.cmd("EHLO before.example.net")
        with open(inst.path("main.cf"), "a") as f:
            f.write("smtpd_banner = $myhostname ESMTP reloaded\n")
        r = inst.postfix("reload")
        R.check("reload: exit", r.returncode, 0)
        R.check("reload: message", last_script_line(inst), "refreshing the Postfix mail system")
        R.true("master reloads", inst.wait_log(r"postfix/master\[\d+\]: reload -- version 3\.7\.11, "
                                               r"configuration " + re.escape(inst.dir)))
        R.check("old session: MAIL", s.cmd("MAIL FROM:<a@example.net>"), "250 2.1.0 Ok")
        R.check("old session: RCPT", s.cmd("RCPT TO:<nobody@example.com>"), "250 2.1.5 Ok")
        r = s.data("Subject: across reload\n\nx\n")
        R.true("old session: DATA", r.startswith("250 2.0.0 Ok: queued as"), r)
        old = pkit.children("smtpd", pid)
        s.close()
        # the smtpd of the old session still listens until it has seen the client go
        R.true("old smtpd exits after its session", pkit.wait_until(
            lambda: not set(old) & set(pkit.children("smtpd", pid))))
        s = inst.session()
        R.check("new banner after reload", s.greeting, ["220 mail.example.com ESMTP reloaded"])
        s.close()
        R.true("mail accepted across the reload is delivered",
               inst.wait_mailbox("nobody", "Subject: across reload"))
        R.check("same master", inst.master_pid(), pid)

        # a crashed daemon is restarted (with a back-off when it keeps crashing)
        q = pkit.children("qmgr", pid)
        R.check("one qmgr", len(q), 1)
        if q:
            os.kill(q[0], 9)
            R.true("crash logged", inst.wait_log(r"postfix/master\[\d+\]: warning: process .*/qmgr pid %d "
                                                 r"killed by signal 9" % q[0]))
            deadline = time.time() + 10
            while pkit.children("qmgr", pid) in ([], q) and time.time() < deadline:
                time.sleep(0.1)
            R.true("qmgr restarted", pkit.children("qmgr", pid) not in ([], q))
            inst.sendmail(["-f", "a@example.net", "nobody"], "Subject: after crash\n\nx\n")
            R.true("mail flows after the restart", inst.wait_mailbox("nobody", "Subject: after crash"))

        r = inst.postfix("stop")
        R.check("stop: exit", r.returncode, 0)
        R.check("stop: message", last_script_line(inst), "stopping the Postfix mail system")
        inst.started = False
        R.check("stop: master gone", inst.postfix("status").returncode, 1)
        # master is gone; a child that still holds the listener goes a moment later
        R.true("stop: port closed", pkit.wait_until(lambda: not port_open(inst.port)))

        inst.start()
        r = inst.postfix("abort")
        R.check("abort: exit", r.returncode, 0)
        R.check("abort: message", last_script_line(inst), "aborting the Postfix mail system")
        deadline = time.time() + 10
        while inst.postfix("status").returncode == 0 and time.time() < deadline:
            time.sleep(0.1)
        inst.started = False
        R.check("abort: stopped", inst.postfix("status").returncode, 1)

        # start-fg: master stays in the foreground until stopped
        p = subprocess.Popen([pkit.POSTFIX, "-c", inst.dir, "start-fg"], env=inst.env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        inst.started = True
        deadline = time.time() + 10
        while not port_open(inst.port) and time.time() < deadline:
            time.sleep(0.1)
        R.true("start-fg: serving", port_open(inst.port))
        R.check("start-fg: still in the foreground", p.poll(), None)
        inst.postfix("stop")
        inst.started = False
        try:
            R.check("start-fg: exits on stop", p.wait(timeout=10), 0)
        except subprocess.TimeoutExpired:
            p.kill()
            R.true("start-fg: exits on stop", False)
    finally:
        inst.cleanup()

    # no compatibility_level and no relay guard: postfix check refuses first,
    # and smtpd itself refuses to serve (no banner) as Postfix does
    inst = pkit.Instance()
    main_cf = inst.read("main.cf").replace("compatibility_level = 3.6\n", "")
    inst.write("main.cf", main_cf)
    try:
        r = inst.postfix("start")
        R.check("no relay guard: start refused", r.returncode, 1)
        R.true("no relay guard: check says why",
               "specify at least one working instance of" in r.stderr, r.stderr)
        # bypass the check: run master directly
        m = subprocess.run([os.path.join(pkit.DAEMON_DIR, "postkit-daemon"), "master", "-c", inst.dir,
                            "-w"], env=inst.env(), capture_output=True, timeout=30)
        R.check("master starts", m.returncode, 0)
        inst.started = True
        s = socket.create_connection(("127.0.0.1", inst.port), timeout=3)
        s.settimeout(2)
        try:
            data = s.recv(100)
        except socket.timeout:
            data = b"(nothing)"
        s.close()
        R.true("no banner", not data.startswith(b"220"), repr(data))
        R.true("smtpd fatal logged", inst.wait_log(
            r"postfix/smtpd\[\d+\]: fatal: in parameter smtpd_relay_restrictions or "
            r"smtpd_recipient_restrictions, specify at least one working instance of: "
            r"reject_unauth_destination, defer_unauth_destination, reject, defer, defer_if_permit "
            r"or check_relay_domains"))
    finally:
        inst.cleanup()
    logrotate()
    R.finish()


if __name__ == "__main__":
    main()
