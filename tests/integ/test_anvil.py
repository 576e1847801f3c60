#!/usr/bin/env python3
"""test_anvil.py - the anvil service and smtpd's client connection and rate limits.

Concurrent connections and connection, message and recipient rates from
127.0.0.1, with smtpd_client_event_limit_exceptions empty and no XCLIENT
hosts (Postfix counts neither those clients nor the XCLIENT ones); the
exemptions; smtpd without anvil; anvil's statistics.  Every reply and log
line is what Postfix 3.7.11 sent and logged for the same traffic
(tests/integ/pforacle.py, master.cf `anvil unix - - n - 1 anvil`).
"""
import base64
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402
import tls_setup  # noqa: E402

R = pkit.Results("anvil")

ANVIL = "anvil     unix  -       -       n       -       1       anvil\n"
TOO_MANY = "421 4.7.0 mail.example.com Error: too many connections from 127.0.0.1"


def instance(extra, anvil=True, xclient=False):
    """An instance whose limits apply to 127.0.0.1 (unless xclient: XCLIENT hosts are exempt)."""
    inst = pkit.Instance(master_extra=ANVIL if anvil else "")
    main = inst.read("main.cf")
    if not xclient:
        main = main.replace("smtpd_authorized_xclient_hosts = 127.0.0.1\n", "")
    for line in extra.splitlines(True):
        # a setting of the base main.cf is replaced, not repeated (no "overriding" warning)
        name = line.split(" =")[0]
        main = re.sub(r"(?m)^%s = .*\n" % re.escape(name), "", main) + line
    inst.write("main.cf", main)
    inst.start()
    return inst


def log_lines(inst, text):
    """The maillog lines that contain text, without their time stamp and pid."""
    out = []
    for line in inst.log().splitlines():
        if text in line:
            out.append(line[line.index(": ") + 2:])
    return out


def test_concurrency():
    """smtpd_client_connection_count_limit: the third of three open connections is refused."""
    inst = instance("smtpd_client_event_limit_exceptions =\n"
                    "smtpd_client_connection_count_limit = 2\n")
    try:
        svc = "127.0.0.1:%d" % inst.port
        s1, s2 = inst.session(), inst.session()
        s3 = inst.session()
        R.check("count: first greeting", s1.greeting, ["220 mail.example.com ESMTP Postfix"])
        R.check("count: over the limit", s3.greeting, [TOO_MANY])
        try:
            R.check("count: refused connection closed", s3.readline(), "(closed)")
        except (EOFError, OSError):
            R.passed += 1
        R.true("count: warning", inst.wait_log("concurrency limit exceeded"))
        R.check("count: warning text", log_lines(inst, "limit exceeded"),
                ["warning: Connection concurrency limit exceeded: 3 from localhost[127.0.0.1] "
                 "for service %s" % svc])
        R.true("count: refused disconnect", inst.wait_log(
            r"disconnect from localhost\[127.0.0.1\] commands=0/0$"))
        for s in (s1, s2):
            R.check("count: QUIT", s.cmd("QUIT"), "221 2.0.0 Bye")
            s.close()
        R.true("count: closed", inst.wait_log("quit=1 commands=1", count=2))
        # the closed connections no longer count
        s4 = inst.session()
        R.check("count: after disconnects", s4.greeting, ["220 mail.example.com ESMTP Postfix"])
        s4.close()
    finally:
        inst.cleanup()


def test_rates():
    """connection, message and recipient rates over anvil_rate_time_unit."""
    inst = instance("smtpd_client_event_limit_exceptions =\n"
                    "smtpd_client_connection_count_limit = 5\n"
                    "smtpd_client_connection_rate_limit = 3\n"
                    "smtpd_client_message_rate_limit = 2\n"
                    "smtpd_client_recipient_rate_limit = 3\n"
                    "anvil_rate_time_unit = 60s\n")
    try:
        svc = "127.0.0.1:%d" % inst.port
        s = inst.session()
        s.cmd("EHLO client.example.com")
        got = []
        for _ in range(3):
            got.append(s.cmd("MAIL FROM:<a@example.com>"))
            got.append(s.cmd("RCPT TO:<root@mail.example.com>"))
            got.append(s.cmd("RCPT TO:<root@mail.example.com>"))
            got.append(s.cmd("RSET"))
        R.check("rates: replies", got, [
            "250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.1.5 Ok", "250 2.0.0 Ok",
            "250 2.1.0 Ok", "250 2.1.5 Ok", "450 4.7.1 Error: too many recipients from 127.0.0.1",
            "250 2.0.0 Ok",
            "450 4.7.1 Error: too much mail from 127.0.0.1",
            "503 5.5.1 Error: need MAIL command", "503 5.5.1 Error: need MAIL command",
            "250 2.0.0 Ok"])
        s.cmd("QUIT")
        s.close()
        greetings = []
        for _ in range(3):
            t = inst.session()
            greetings.append(t.greeting)
            t.close()
        R.check("rates: connection rate", greetings,
                [["220 mail.example.com ESMTP Postfix"], ["220 mail.example.com ESMTP Postfix"],
                 [TOO_MANY]])
        R.true("rates: warnings logged", inst.wait_log("Connection rate limit exceeded"))
        R.check("rates: warnings", log_lines(inst, "limit exceeded"), [
            "warning: Recipient address rate limit exceeded: 4 from localhost[127.0.0.1] "
            "for service %s" % svc,
            "warning: Message delivery request rate limit exceeded: 3 from localhost[127.0.0.1] "
            "for service %s" % svc,
            "warning: Connection rate limit exceeded: 4 from localhost[127.0.0.1] "
            "for service %s" % svc])
        R.true("rates: disconnect counters",
               inst.wait_log(r"ehlo=1 mail=2/3 rcpt=3/6 rset=3 quit=1 commands=10/14"))
    finally:
        inst.cleanup()


def test_window():
    """a new anvil_rate_time_unit window starts the counts afresh"""
    inst = instance("smtpd_client_event_limit_exceptions =\n"
                    "smtpd_client_message_rate_limit = 1\n"
                    "anvil_rate_time_unit = 2s\n")
    try:
        s = inst.session()
        s.cmd("EHLO client.example.com")
        R.check("window: first", s.cmd("MAIL FROM:<a@example.com>"), "250 2.1.0 Ok")
        s.cmd("RSET")
        R.check("window: over", s.cmd("MAIL FROM:<a@example.com>"),
                "450 4.7.1 Error: too much mail from 127.0.0.1")
        time.sleep(2.5)
        R.check("window: next unit", s.cmd("MAIL FROM:<a@example.com>"), "250 2.1.0 Ok")
        s.cmd("QUIT")
        s.close()
    finally:
        inst.cleanup()


def test_exempt():
    """the default exceptions ($mynetworks) and XCLIENT hosts are not limited"""
    for what, extra, xclient in (
            ("mynetworks", "mynetworks = 127.0.0.0/8\n", False),
            ("xclient", "smtpd_client_event_limit_exceptions =\n", True)):
        inst = instance(extra + "smtpd_client_connection_count_limit = 1\n"
                        "smtpd_client_message_rate_limit = 1\n", xclient=xclient)
        try:
            s1, s2 = inst.session(), inst.session()
            R.check("exempt %s: second connection" % what, s2.greeting,
                    ["220 mail.example.com ESMTP Postfix"])
            s2.cmd("EHLO client.example.com")
            got = [s2.cmd("MAIL FROM:<a@example.com>"), s2.cmd("RSET"),
                   s2.cmd("MAIL FROM:<a@example.com>")]
            R.check("exempt %s: mail" % what, got, ["250 2.1.0 Ok", "250 2.0.0 Ok", "250 2.1.0 Ok"])
            for s in (s1, s2):
                s.close()
            # a warning would come before smtpd's last line about these sessions
            R.true("exempt %s: sessions over" % what, inst.wait_log("disconnect from", count=2))
            R.check("exempt %s: no warning" % what, log_lines(inst, "warning:"), [])
        finally:
            inst.cleanup()


def test_no_anvil():
    """without an anvil service smtpd warns and applies no limit"""
    inst = instance("smtpd_client_event_limit_exceptions =\n"
                    "smtpd_client_message_rate_limit = 1\n", anvil=False)
    try:
        s = inst.session(timeout=30)
        R.check("no anvil: greeting", s.greeting, ["220 mail.example.com ESMTP Postfix"])
        s.cmd("EHLO client.example.com")
        got = [s.cmd("MAIL FROM:<a@example.com>"), s.cmd("RSET"),
               s.cmd("MAIL FROM:<a@example.com>")]
        R.check("no anvil: mail", got, ["250 2.1.0 Ok", "250 2.0.0 Ok", "250 2.1.0 Ok"])
        s.close()
        R.true("no anvil: warnings", inst.wait_log("problem talking", count=2))
        R.check("no anvil: warning text", log_lines(inst, "warning:")[:3], [
            "warning: connect to private/anvil: No such file or directory",
            "warning: connect to private/anvil: No such file or directory",
            "warning: problem talking to server private/anvil: No such file or directory"])
    finally:
        inst.cleanup()


def test_statistics():
    """anvil logs the highest counts every anvil_status_update_time"""
    inst = instance("smtpd_client_event_limit_exceptions =\n"
                    "smtpd_client_connection_count_limit = 2\n"
                    "smtpd_client_message_rate_limit = 5\n"
                    "smtpd_client_recipient_rate_limit = 5\n"
                    "anvil_status_update_time = 2s\n")
    try:
        ident = "127.0.0.1:%d:127.0.0.1" % inst.port
        s, s2 = inst.session(), inst.session()
        s.cmd("EHLO client.example.com")
        s.cmd("MAIL FROM:<a@example.com>")
        s.cmd("RCPT TO:<root@mail.example.com>")
        s.cmd("QUIT")
        s2.cmd("QUIT")
        R.true("statistics: logged", inst.wait_log("statistics: max cache size", timeout=10))
        lines = [line.split(" at ")[0] for line in log_lines(inst, "statistics:")]
        R.check("statistics: lines", lines, [
            "statistics: max connection rate 2/60s for (%s)" % ident,
            "statistics: max connection count 2 for (%s)" % ident,
            "statistics: max message rate 1/60s for (%s)" % ident,
            "statistics: max recipient rate 1/60s for (%s)" % ident,
            "statistics: max cache size 1"])
        R.true("statistics: time stamp",
               all(len(x.split(" at ")[1]) == 15 for x in log_lines(inst, "statistics:")))
        R.true("statistics: program", "postfix/anvil[" in inst.log())
    finally:
        inst.cleanup()


def test_reload_statistics():
    """anvil logs its statistics when it exits at postfix reload"""
    inst = instance("smtpd_client_event_limit_exceptions =\n"
                    "smtpd_client_connection_count_limit = 2\n")
    try:
        ident = "127.0.0.1:%d:127.0.0.1" % inst.port
        s = inst.session()
        s.cmd("QUIT")
        s.close()
        R.true("reload: session over", inst.wait_log("quit=1 commands=1"))
        R.check("reload: no statistics before", log_lines(inst, "statistics:"), [])
        R.check("reload", inst.postfix("reload").returncode, 0)
        R.true("reload: logged", inst.wait_log("statistics: max cache size", timeout=10))
        R.check("reload: statistics", [x.split(" at ")[0] for x in log_lines(inst, "statistics:")], [
            "statistics: max connection rate 1/60s for (%s)" % ident,
            "statistics: max connection count 1 for (%s)" % ident,
            "statistics: max cache size 1"])
    finally:
        inst.cleanup()


def test_tls_auth():
    """smtpd_client_new_tls_session_rate_limit and smtpd_client_auth_rate_limit"""
    if not tls_setup.have("openssl") or not tls_setup.have("dovecot"):
        print("openssl or dovecot (dovecot-core) not installed: TLS and AUTH rates skipped")
        return
    certs = tls_setup.Certs()
    dove = tls_setup.Dovecot({"alice@example.com": "secret"})
    inst = None
    try:
        inst = instance(certs.server_main_cf("may")
                        + "smtpd_sasl_auth_enable = yes\n"
                        "smtpd_sasl_type = dovecot\n"
                        "smtpd_sasl_path = %s\n" % dove.socket
                        + "smtpd_client_event_limit_exceptions =\n"
                        "smtpd_client_auth_rate_limit = 1\n"
                        "smtpd_client_new_tls_session_rate_limit = 1\n")
        svc = "127.0.0.1:%d" % inst.port
        s = inst.session()
        s.cmd("EHLO client.example.com")
        bad = "AUTH PLAIN " + base64.b64encode(b"\0alice@example.com\0wrong").decode()
        R.check("auth: rate", [s.cmd(bad), s.cmd(bad)], [
            "535 5.7.8 Error: authentication failed: (reason unavailable)",
            "450 4.7.1 Error: too many AUTH commands from 127.0.0.1"])
        s.cmd("QUIT")
        s.close()
        ctx = tls_setup.client_context()
        got = []
        for _ in range(3):
            s = inst.session()
            s.cmd("EHLO client.example.com")
            got.append(tls_setup.starttls(s, ctx))
            try:
                got.append(s.cmd("EHLO client.example.com"))
            except (EOFError, OSError):
                got.append("(closed)")
            try:
                s.cmd("QUIT")
            except (EOFError, OSError):
                pass  # after the 421 the server closed the connection, as Postfix does
            s.close()
        R.check("newtls: replies", got, [
            "220 2.0.0 Ready to start TLS", "250 CHUNKING",
            "220 2.0.0 Ready to start TLS",
            "421 4.7.0 mail.example.com Error: too many new TLS sessions from "
            "localhost[127.0.0.1]",
            "454 4.7.0 Error: too many new TLS sessions from localhost[127.0.0.1]",
            "250 CHUNKING"])
        R.true("newtls: logged", inst.wait_log("Refusing STARTTLS"))
        R.check("tls/auth: warnings", [x for x in log_lines(inst, "warning:") if "SASL" not in x], [
            "warning: AUTH command rate limit exceeded: 2 from localhost[127.0.0.1] "
            "for service %s" % svc,
            "warning: New TLS session rate limit exceeded: 2 from localhost[127.0.0.1] "
            "for service %s" % svc,
            "warning: Refusing STARTTLS request from localhost[127.0.0.1] for service %s" % svc])
        # smtpd logs "disconnect" after our close; give the last session time to reach the log
        inst.wait_log("disconnect from", count=4)
        R.check("tls/auth: disconnect lines", log_lines(inst, "disconnect from"), [
            "disconnect from localhost[127.0.0.1] ehlo=1 auth=0/2 quit=1 commands=2/4",
            "disconnect from localhost[127.0.0.1] ehlo=2 starttls=1 quit=1 commands=4",
            "disconnect from localhost[127.0.0.1] ehlo=1 starttls=0/1 commands=1/2",
            "disconnect from localhost[127.0.0.1] ehlo=2 starttls=0/1 quit=1 commands=3/4"])
    finally:
        if inst:
            inst.cleanup()
        dove.stop()


def main():
    if not pkit.IS_ROOT:
        print("skipped: needs root (master and smtpd run as mail_owner)")
        sys.exit(77)
    pkit.require_binaries()
    test_concurrency()
    test_rates()
    test_window()
    test_exempt()
    test_no_anvil()
    test_statistics()
    test_reload_statistics()
    test_tls_auth()
    R.finish()


if __name__ == "__main__":
    main()
