#!/usr/bin/env python3
"""test_debian_stock.py - issue #16's "done when": a stock Debian setup runs unchanged (root only).

One instance runs Debian's main.cf as its postinst leaves it (with the TLS
lines Debian enables), changed only where an instance must be (directories,
log file, host name, the listen address and ports, mynetworks without the
test client), plus what a small site adds: an authenticated relayhost over
TLS and Dovecot SASL.  master.cf is Debian's stock service list, chroot
column as Debian has it, with the submission and submissions entries
uncommented as Debian ships them.  Checks: postfix check exits 0; swaks,
Python's smtplib and openssl s_client agree on submission (530 before
STARTTLS, AUTH after it) and submissions; mail from an authenticated user
to a remote address leaves through the relayhost (a second instance with
Dovecot AUTH) over TLS with AUTH; a local recipient gets mail on port 25;
an unauthenticated client cannot relay (on port 25 Debian's
defer_unauth_destination answers 454 4.7.1, as Postfix 3.7.11 did; on
submission 554 5.7.1 before AUTH); the log has Postfix's lines.  Every
service line of Debian's master.cf stays, pipe services included: postkit
accepts them.  The relayhost must not log "improper command pipelining
after STARTTLS" for the EHLO the smtp client sends right after a TLS 1.3
handshake.
"""
import os
import pwd
import smtplib
import subprocess
import sys

import pkit
import test_chroot
import tls_setup

USERS = {"alice@example.com": "secret", "relayuser": "relaypw"}

# Debian's main.cf: the uncommented lines of main.cf.debian, what postinst writes, the TLS
# lines of main.cf.tls Debian enables; {...} are what an instance must change
STOCK_MAIN_CF = """\
smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)
biff = no
append_dot_mydomain = no
readme_directory = no
compatibility_level = 3.6
smtpd_tls_cert_file={cert}
smtpd_tls_key_file={key}
smtpd_tls_security_level=may
smtp_tls_CApath={capath}
smtp_tls_session_cache_database = btree:${{data_directory}}/smtp_scache
smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination
myhostname = mail.example.com
alias_maps = hash:$config_directory/aliases
alias_database = hash:$config_directory/aliases
myorigin = $config_directory/mailname
mydestination = $myhostname, mail.example.com, localhost.example.com, localhost
mynetworks = 192.0.2.0/24
mailbox_size_limit = 0
recipient_delimiter = +
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
queue_directory = $config_directory/queue
data_directory = $config_directory/data
mail_spool_directory = $config_directory/mail
maillog_file = $config_directory/maillog
maillog_file_prefixes = $config_directory
relayhost = [127.0.0.1]:{relay}
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = hash:$config_directory/sasl_passwd
smtp_sasl_security_options = noanonymous
smtp_tls_security_level = encrypt
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
"""

# Debian's master.cf.dist (Postfix 3.7) ships submission and submissions commented out with
# these options in common; the Debian instance has them uncommented, on ports of the test
MUA_OPTIONS = """\
  -o smtpd_reject_unlisted_recipient=no
  -o smtpd_client_restrictions=
  -o smtpd_helo_restrictions=
  -o smtpd_sender_restrictions=
  -o smtpd_relay_restrictions=
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
  -o milter_macro_daemon_name=ORIGINATING
"""
SUBMISSION = """\
{port} inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
""" + MUA_OPTIONS
SUBMISSIONS = """\
{port}     inet  n       -       y       -       -       smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
""" + MUA_OPTIONS

# the services of Debian's master.cf that test_chroot leaves out (postkit has no such daemon,
# yet postfix check and start accept the lines: they stay)
STOCK_OTHERS = """\
tlsmgr    unix  -       -       y       1000?   1       tlsmgr
rewrite   unix  -       -       y       -       -       trivial-rewrite
verify    unix  -       -       y       -       1       verify
scache    unix  -       -       y       -       1       scache
"""

# the pipe services of Debian's master.cf (they name programs that are not installed)
STOCK_PIPES = """\
maildrop  unix  -       n       n       -       -       pipe
  flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient}
uucp      unix  -       n       n       -       -       pipe
  flags=Fqhu user=uucp argv=uux -r -n -z -a$sender - $nexthop!rmail ($recipient)
ifmail    unix  -       n       n       -       -       pipe
  flags=F user=ftn argv=/usr/lib/ifmail/ifmail -r $nexthop ($recipient)
bsmtp     unix  -       n       n       -       -       pipe
  flags=Fq. user=bsmtp argv=/usr/lib/bsmtp/bsmtp -t$nexthop -f$sender $recipient
scalemail-backend unix -       n       n       -       2       pipe
  flags=R user=scalemail argv=/usr/lib/scalemail/bin/scalemail-store ${nexthop} ${user} ${extension}
mailman   unix  -       n       n       -       -       pipe
  flags=FRX user=list argv=/usr/lib/mailman/bin/postfix-to-mailman.py ${nexthop} ${user}
"""

CLIENT = r"localhost\[127\.0\.0\.1\]"


def tool(inst, name, *args):
    """Run one of postkit's tools (postmap, postalias) on the instance."""
    return subprocess.run([os.path.join(pkit.TOP_BUILDDIR, "tools", name, name), "-c", inst.dir]
                          + list(args), capture_output=True, text=True, env=inst.env())


def relay_instance(R, certs, dove):
    """The relayhost: a second instance whose smtpd offers STARTTLS and AUTH (Dovecot) and
    takes mail for remote.example into its own mailboxes."""
    main = pkit.BASE_MAIN_CF.replace("myhostname = mail.example.com",
                                     "myhostname = relay.example.net")
    main = main.replace("mydestination = ", "mydestination = remote.example, ")
    relay = pkit.Instance(aliases="postmaster root\nfriend root\n",
                          main_cf=main + "mail_owner = %s\n" % pkit.mail_owner()
                          + certs.server_main_cf("may") + """\
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {sock}
smtpd_tls_auth_only = yes
""".format(sock=dove.socket))
    relay.start()
    return relay


def stock_instance(R, certs, dove, relay):
    """The Debian instance; returns it and its submission and submissions ports."""
    sub, subs = pkit.free_port(), pkit.free_port()
    # Debian's master.cf: test_chroot's lines (the services postkit runs) and the rest
    master = (test_chroot.STOCK_MASTER_CF + STOCK_OTHERS
              + SUBMISSION.replace("{port}", "127.0.0.1:%d" % sub)
              + SUBMISSIONS.replace("{port}", "127.0.0.1:%d" % subs))
    inst = pkit.Instance(main_cf=STOCK_MAIN_CF.format(
        cert=certs.path("rsa.pem"), key=certs.path("rsa.key"), capath=certs.capath(),
        relay=relay.port), master_cf=master, master_extra=STOCK_PIPES)
    inst.write("mailname", "mail.example.com\n")
    inst.write("sasl_passwd", "[127.0.0.1]:%d relayuser:relaypw\n" % relay.port)
    R.check("postmap sasl_passwd", tool(inst, "postmap", "hash:" + inst.path("sasl_passwd"))
            .returncode, 0)
    R.check("postalias", tool(inst, "postalias", "hash:" + inst.path("aliases")).returncode, 0)
    tls_setup.jail_auth(inst, dove)
    # Postfix makes private/ mail_owner's: so does the test that makes it first
    owner = pwd.getpwnam(pkit.mail_owner())
    os.chown(inst.path("queue", "private"), owner.pw_uid, owner.pw_gid)
    return inst, sub, subs


def check_openssl(R, port):
    """openssl s_client -starttls smtp: AUTH in the EHLO reply after STARTTLS."""
    r = subprocess.run(["openssl", "s_client", "-starttls", "smtp", "-connect",
                        "127.0.0.1:%d" % port, "-quiet", "-ign_eof"],
                       input="EHLO openssl.example\r\nQUIT\r\n", capture_output=True,
                       text=True, timeout=30)
    R.true("openssl s_client -starttls smtp: AUTH after STARTTLS",
           "250-AUTH PLAIN LOGIN" in r.stdout, r.stdout + r.stderr)


def check_submission(R, inst, port):
    """Before STARTTLS: no AUTH, 530; after it: AUTH, login, a relayed message."""
    s = pkit.Session(port)
    s.send("EHLO x\r\n")
    R.true("submission: no AUTH before STARTTLS", all("AUTH" not in l for l in s.reply()))
    R.check("submission: MAIL before STARTTLS", s.cmd("MAIL FROM:<alice@example.com>"),
            "530 5.7.0 Must issue a STARTTLS command first")
    tls_setup.starttls(s, tls_setup.client_context())
    s.cmd("EHLO x")
    s.cmd("MAIL FROM:<alice@example.com>")
    R.check("submission: no relay without AUTH", s.cmd("RCPT TO:<friend@remote.example>"),
            "554 5.7.1 <friend@remote.example>: Recipient address rejected: Access denied")
    s.close()
    check_openssl(R, port)
    smtp = smtplib.SMTP("127.0.0.1", port, timeout=30)
    smtp.ehlo("smtplib.example")
    smtp.starttls(context=tls_setup.client_context())
    smtp.ehlo("smtplib.example")
    R.check("smtplib: AUTH after STARTTLS, as openssl saw it",
            set(smtp.esmtp_features.get("auth", "").split()), {"PLAIN", "LOGIN"})
    R.check("smtplib login", smtp.login("alice@example.com", "secret")[0], 235)
    smtp.sendmail("alice@example.com", ["friend@remote.example"],
                  "From: alice@example.com\r\nSubject: out\r\n\r\nsmtplib-relayed-body\r\n")
    smtp.quit()
    r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % port, "--tls", "--auth", "LOGIN",
                        "--auth-user", "alice@example.com", "--auth-password", "secret",
                        "--from", "alice@example.com", "--to", "friend@remote.example",
                        "--body", "swaks-relayed-body"], capture_output=True, text=True,
                       timeout=60)
    R.true("swaks --tls --auth LOGIN", r.returncode == 0
           and "235 2.7.0 Authentication successful" in r.stdout, r.stdout + r.stderr)
    R.true("swaks: AUTH after STARTTLS, as openssl saw it", "250-AUTH PLAIN LOGIN" in r.stdout,
           r.stdout)


def check_submissions(R, port):
    """submissions (wrapper mode): smtplib SMTP_SSL and login."""
    smtp = smtplib.SMTP_SSL("127.0.0.1", port, timeout=30, context=tls_setup.client_context())
    smtp.ehlo("smtplib.example")
    R.check("SMTP_SSL login", smtp.login("alice@example.com", "secret")[0], 235)
    smtp.sendmail("alice@example.com", ["root@mail.example.com"],
                  "From: alice@example.com\r\nSubject: ssl\r\n\r\nsmtps-local-body\r\n")
    smtp.quit()


def check_port25(R, inst):
    """Port 25: a local recipient gets mail; an unauthenticated client cannot relay."""
    s = inst.session()
    s.cmd("EHLO client.example")
    s.cmd("MAIL FROM:<someone@example.net>")
    R.check("port 25: no relay", s.cmd("RCPT TO:<friend@remote.example>"),
            "454 4.7.1 <friend@remote.example>: Relay access denied")
    R.check("port 25: local", s.cmd("RCPT TO:<root@mail.example.com>")[:3], "250")
    R.check("port 25: DATA", s.data("Subject: in\r\n\r\nport25-local-body\r\n")[:3], "250")
    s.cmd("QUIT")
    s.close()
    R.true("local delivery", inst.wait_mailbox("root", "port25-local-body", timeout=20),
           inst.log()[-3000:])
    R.true("submissions: local delivery", inst.wait_mailbox("root", "smtps-local-body",
                                                           timeout=20), inst.log()[-3000:])


def check_relayed(R, inst, relay):
    """Both messages left through the relayhost over TLS with AUTH, with Postfix's log lines."""
    for body in ("smtplib-relayed-body", "swaks-relayed-body"):
        R.true("relayhost got " + body, relay.wait_mailbox("root", body, timeout=30),
               inst.log()[-3000:] + relay.log()[-3000:])
    R.true("relayhost: STARTTLS", relay.wait_log(
        r"postfix/smtpd\[\d+\]: Anonymous TLS connection established from " + CLIENT),
        relay.log()[-3000:])
    R.true("relayhost: AUTH", relay.wait_log(
        r"postfix/smtpd\[\d+\]: \w+: client=" + CLIENT
        + r", sasl_method=PLAIN, sasl_username=relayuser$", count=2), relay.log()[-3000:])
    # smtp_tls_loglevel is 0 in Debian's main.cf: the relayhost's side shows the TLS and AUTH
    R.true("relayhost: EHLO, STARTTLS, EHLO, AUTH, one message", relay.wait_log(
        r"postfix/smtpd\[\d+\]: disconnect from " + CLIENT + r" ehlo=2 starttls=1 auth=1 "
        r"mail=1 rcpt=1 data=1 quit=1 commands=8$", count=2), relay.log()[-3000:])
    R.true("relayhost: no pipelining after STARTTLS",
           "improper command pipelining" not in relay.log(), relay.log()[-3000:])
    R.true("smtp: status=sent", inst.wait_log(
        r"postfix/smtp\[\d+\]: \w+: to=<friend@remote\.example>, relay=127\.0\.0\.1"
        r"\[127\.0\.0\.1\]:%d, .*status=sent" % relay.port, count=2), inst.log()[-3000:])
    for tag in ("submission", "submissions"):
        R.true(tag + ": sasl log line", inst.wait_log(
            r"postfix/%s/smtpd\[\d+\]: \w+: client=" % tag + CLIENT
            + r", sasl_method=(PLAIN|LOGIN), sasl_username=alice@example\.com$"),
            inst.log()[-3000:])
    R.true("smtplib logs in with PLAIN", inst.wait_log(
        r"postfix/submission/smtpd\[\d+\]: \w+: client=" + CLIENT
        + r", sasl_method=PLAIN, sasl_username=alice@example\.com$"), inst.log()[-3000:])


def open_files(pid):
    """The paths a process holds open."""
    out = []
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                out.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
            except OSError:
                pass
    except OSError:
        pass
    return out


def check_no_credentials(R, inst):
    """A jailed smtpd opens its tables before chroot, but not the relay passwords
    (smtp_sasl_password_maps): only the smtp client does (postkit's rule, CFG_PF_SECRET)."""
    smtpds = pkit.children("smtpd", inst.master_pid())
    R.true("smtpd processes to look at", len(smtpds) > 0)
    held = [f for p in smtpds for f in open_files(p) if "sasl_passwd" in f]
    R.check("no smtpd holds sasl_passwd.db open", held, [])


def main():
    if not pkit.IS_ROOT:
        print("not root: skipping (chroot and Dovecot need root)")
        return 77
    tls_setup.require_tls_tools(need_dovecot=True)
    if not tls_setup.have("swaks"):
        print("swaks not installed: skipping")
        return 77
    R = pkit.Results("debian_stock")
    certs = tls_setup.Certs()
    dove = tls_setup.Dovecot(USERS)
    relay = inst = None
    try:
        relay = relay_instance(R, certs, dove)
        inst, sub, subs = stock_instance(R, certs, dove, relay)
        r = inst.postfix("check")
        R.check("postfix check", r.returncode, 0)
        print(r.stdout + r.stderr)
        inst.start()
        check_submission(R, inst, sub)
        check_submissions(R, subs)
        check_port25(R, inst)
        check_relayed(R, inst, relay)
        check_no_credentials(R, inst)
        log = inst.log()
        R.true("no fatal, no daemon died", " fatal: " not in log and "exit status" not in log
               and "killed by signal" not in log, log[-3000:])
    finally:
        for i in (inst, relay):
            if i is not None:
                i.cleanup()
        dove.stop()
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
