#!/usr/bin/env python3
"""test_sasl.py - smtpd's AUTH through a real Dovecot, as Postfix 3.7 (smtpd_sasl_type = dovecot).

Dovecot (dovecot-core) is started by the test with a passwd-file user
database and its auth socket in a temporary directory.  Replies and log
lines are what Postfix 3.7.11 gave for the same dialogue with the same
Dovecot, e.g.
  235 2.7.0 Authentication successful
  535 5.7.8 Error: authentication failed: (reason unavailable)
  warning: localhost[127.0.0.1]: SASL PLAIN authentication failed: (reason unavailable),
    sasl_username=alice@example.com          (what fail2ban's postfix-sasl filter reads)
  QID: client=localhost[127.0.0.1], sasl_method=PLAIN, sasl_username=alice@example.com
  553 5.7.1 <bob@example.com>: Sender address rejected: not owned by user alice@example.com
"""
import base64
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402
import tls_setup  # noqa: E402

R = pkit.Results("sasl")
CLIENT = r"\S+\[127\.0\.0\.1\]"
USERS = {"alice@example.com": "secret", "bob": "hunter2"}


def b64(text):
    return base64.b64encode(text.encode()).decode()


def plain(user, pw):
    return "AUTH PLAIN " + b64("\0%s\0%s" % (user, pw))


def main_cf(certs, dove, extra=""):
    return certs.server_main_cf("may") + """\
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {sock}
broken_sasl_auth_clients = yes
smtpd_sasl_authenticated_header = yes
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
smtpd_sasl_service = smtp
smtpd_sasl_mechanism_filter = !external, static:rest
smtpd_sender_login_maps = texthash:$config_directory/senders
""".format(sock=dove.socket) + extra


def test_dialogue(certs, dove):
    inst = pkit.Instance(main_extra=main_cf(
        certs, dove, "smtpd_sender_restrictions = reject_sender_login_mismatch\n"))
    inst.write("senders", "alice@example.com alice@example.com\nbob@example.com bob\n")
    try:
        inst.start()
        s = inst.session()
        s.send("EHLO x\r\n")
        kw = [l[4:] for l in s.reply()]
        R.true("EHLO: AUTH and AUTH= after STARTTLS, in Postfix's order",
               kw[kw.index("STARTTLS") + 1:kw.index("STARTTLS") + 3]
               == ["AUTH PLAIN LOGIN", "AUTH=PLAIN LOGIN"], repr(kw))
        for cmd, want in (
                ("AUTH", "501 5.5.4 Syntax: AUTH mechanism"),
                ("AUTH FOO", "535 5.7.8 Error: authentication failed: Invalid authentication "
                             "mechanism"),
                (plain("alice@example.com", "wrong"),
                 "535 5.7.8 Error: authentication failed: (reason unavailable)"),
                ("AUTH LOGIN", "334 VXNlcm5hbWU6"),
                ("*", "501 5.7.0 Authentication aborted"),
                ("AUTH PLAIN", "334 "),
                ("!!!", "535 5.7.8 Error: authentication failed: Invalid base64 data in continued "
                        "response"),
                ("AUTH LOGIN " + b64("alice@example.com"), "334 UGFzc3dvcmQ6"),
                (b64("secret"), "235 2.7.0 Authentication successful"),
                (plain("alice@example.com", "secret"), "503 5.5.1 Error: already authenticated"),
                ("MAIL FROM:<bob@example.com>", "250 2.1.0 Ok"),
                (plain("alice@example.com", "secret"),
                 "503 5.5.1 Error: MAIL transaction in progress"),
                ("RCPT TO:<nobody@example.com>",
                 "553 5.7.1 <bob@example.com>: Sender address rejected: not owned by user "
                 "alice@example.com"),
                ("RSET", "250 2.0.0 Ok")):
            R.check(cmd, s.cmd(cmd), want)
        s.cmd("MAIL FROM:<alice@example.com>")
        s.cmd("RCPT TO:<nobody@example.com>")
        R.true("authenticated mail queued", s.data("Subject: auth\n\nlogged in\n")
               .startswith("250 2.0.0 Ok: queued as "))
        s.cmd("QUIT")
        s.close()
        for what, rx in (
                ("failure log line (fail2ban)", r"warning: " + CLIENT + r": SASL PLAIN "
                 r"authentication failed: \(reason unavailable\), sasl_username=alice@example\.com$"),
                ("unknown mechanism log line", r"warning: " + CLIENT + r": SASL FOO authentication "
                 r"failed: Invalid authentication mechanism, sasl_username=\(unavailable\)$"),
                ("abort log line", r"warning: " + CLIENT + r": SASL LOGIN authentication aborted$"),
                ("client= line with sasl fields", r": client=" + CLIENT + r", sasl_method=LOGIN, "
                 r"sasl_username=alice@example\.com$"),
                ("disconnect counts", r"disconnect from " + CLIENT + r" ehlo=1 auth=1/8 mail=2 "
                 r"rcpt=1/2 data=1 rset=1 quit=1 commands=8/16$")):
            R.true(what, inst.wait_log(rx), inst.log())
        R.true("delivered", inst.wait_mailbox("nobody", "logged in"))
        R.true("Received: Authenticated sender and ESMTPA", re.search(
            r"Received: from x \(\S+ \[127\.0\.0\.1\]\)\n\t\(Authenticated sender: "
            r"alice@example\.com\)\n\tby mail\.example\.com \(Postfix\) with ESMTPA id ",
            inst.mailbox("nobody")) is not None, inst.mailbox("nobody"))
        s = inst.session()
        s.cmd("EHLO x")
        s.cmd("MAIL FROM:<alice@example.com>")
        R.check("reject_sender_login_mismatch: not logged in", s.cmd("RCPT TO:<nobody@example.com>"),
                "553 5.7.1 <alice@example.com>: Sender address rejected: not logged in")
        s.close()
    finally:
        inst.cleanup()


def test_variants(certs, dove):
    """The other login mismatch restrictions, check_sasl_access, permit_sasl_authenticated."""
    inst = pkit.Instance(main_extra=main_cf(
        certs, dove,
        "smtpd_sender_restrictions = reject_known_sender_login_mismatch, "
        "reject_unauthenticated_sender_login_mismatch\n"
        "smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination\n"
        "smtpd_recipient_restrictions = check_sasl_access texthash:$config_directory/sasl_acl,"
        " reject_authenticated_sender_login_mismatch\n"))
    inst.write("senders", "alice@example.com alice@example.com\nbob@example.com bob\n")
    inst.write("sasl_acl", "bob REJECT go away\n")
    try:
        inst.start()
        s = inst.session()
        s.cmd("EHLO x")
        s.cmd("MAIL FROM:<someone@example.org>")
        R.check("not logged in: no relay", s.cmd("RCPT TO:<x@example.org>"),
                "554 5.7.1 <x@example.org>: Relay access denied")
        s.cmd("RSET")
        R.check("AUTH", s.cmd(plain("alice@example.com", "secret")),
                "235 2.7.0 Authentication successful")
        s.cmd("MAIL FROM:<someone@example.org>")
        R.check("reject_authenticated_sender_login_mismatch: unlisted sender",
                s.cmd("RCPT TO:<x@example.org>"),
                "553 5.7.1 <someone@example.org>: Sender address rejected: not owned by user "
                "alice@example.com")
        s.cmd("RSET")
        s.cmd("MAIL FROM:<alice@example.com>")
        R.check("permit_sasl_authenticated: relay", s.cmd("RCPT TO:<x@example.org>"),
                "250 2.1.5 Ok")
        s.close()
        s = inst.session()
        s.cmd("EHLO x")
        s.cmd(plain("bob", "hunter2"))
        s.cmd("MAIL FROM:<bob@example.com>")
        R.check("check_sasl_access", s.cmd("RCPT TO:<nobody@example.com>"),
                "554 5.7.1 <bob>: SASL login name rejected: go away")
        s.close()
        s = inst.session()
        s.cmd("EHLO x")
        s.cmd("MAIL FROM:<bob@example.com>")
        R.check("reject_unauthenticated_sender_login_mismatch", s.cmd("RCPT TO:<nobody@example.com>"),
                "553 5.7.1 <bob@example.com>: Sender address rejected: not logged in")
        s.close()
    finally:
        inst.cleanup()




def test_submission(certs, dove):
    port = pkit.free_port()
    inst = pkit.Instance(
        main_extra=main_cf(certs, dove, "mua_client_restrictions =\nmua_helo_restrictions =\n"
                           "mua_sender_restrictions =\n").replace(
                               "smtpd_sasl_auth_enable = yes\n", ""),
        master_extra=tls_setup.STOCK_SUBMISSION.format(port="127.0.0.1:%d" % port))
    # the submission entry is chrooted: smtpd reaches Dovecot at private/auth, as on Debian
    inst.write("main.cf", inst.read("main.cf").replace(
        "smtpd_sasl_path = %s\n" % dove.socket,
        "smtpd_sasl_path = %s\n" % tls_setup.jail_auth(inst, dove)))
    inst.write("senders", "")
    try:
        inst.start()
        s = inst.session()
        s.send("EHLO x\r\n")
        R.true("port 25: no AUTH (smtpd_sasl_auth_enable = no)",
               all("AUTH" not in l for l in s.reply()))
        R.check("port 25: AUTH", s.cmd(plain("alice@example.com", "secret")),
                "503 5.5.1 Error: authentication not enabled")
        s.close()
        s = pkit.Session(port)
        s.send("EHLO x\r\n")
        R.true("submission: no AUTH before STARTTLS (smtpd_tls_auth_only)",
               all("AUTH" not in l for l in s.reply()))
        R.check("submission: AUTH before STARTTLS", s.cmd(plain("alice@example.com", "secret")),
                "530 5.7.0 Must issue a STARTTLS command first")
        tls_setup.starttls(s, tls_setup.client_context())
        s.send("EHLO x\r\n")
        R.true("submission: AUTH after STARTTLS", "250-AUTH PLAIN LOGIN" in s.reply())
        s.cmd("MAIL FROM:<alice@example.com>")
        R.check("submission: no relay before AUTH", s.cmd("RCPT TO:<x@example.org>"),
                "554 5.7.1 <x@example.org>: Recipient address rejected: Access denied")
        s.cmd("RSET")
        R.check("submission: AUTH", s.cmd(plain("alice@example.com", "secret")),
                "235 2.7.0 Authentication successful")
        s.cmd("MAIL FROM:<alice@example.com>")
        R.check("submission: relay after AUTH", s.cmd("RCPT TO:<nobody@example.com>"),
                "250 2.1.5 Ok")
        R.true("queued", s.data("Subject: sub\n\nsubmitted\n").startswith("250 2.0.0 Ok"))
        s.close()
        R.true("delivered with ESMTPSA", inst.wait_mailbox("nobody", "submitted")
               and "with ESMTPSA id" in inst.mailbox("nobody"), inst.mailbox("nobody"))
        if tls_setup.have("swaks"):
            r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % port, "--tls", "--auth",
                                "LOGIN", "--auth-user", "alice@example.com", "--auth-password",
                                "secret", "--from", "alice@example.com", "--to",
                                "nobody@example.com", "--header", "Subject: swaks"],
                               capture_output=True, text=True, timeout=60)
            R.true("swaks --tls --auth LOGIN", r.returncode == 0 and
                   "235 2.7.0 Authentication successful" in r.stdout, r.stdout + r.stderr)
        R.true("submission log tag", inst.wait_log(
            r"postfix/submission/smtpd\[\d+\]: \w+: client=" + CLIENT
            + r", sasl_method=PLAIN, sasl_username=alice@example\.com$"), inst.log())
    finally:
        inst.cleanup()


def main():
    tls_setup.require_tls_tools(need_dovecot=True)
    certs = tls_setup.Certs()
    dove = tls_setup.Dovecot(USERS)
    try:
        test_dialogue(certs, dove)
        test_variants(certs, dove)
        test_submission(certs, dove)
    finally:
        dove.stop()
    R.finish()


if __name__ == "__main__":
    main()
