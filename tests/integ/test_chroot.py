#!/usr/bin/env python3
"""test_chroot.py - master.cf chroot = y as Debian's stock master.cf has it (root only).

The instance runs Debian's uncommented master.cf lines for the services
postkit implements, chroot column as Debian has it, smtpd on a free port.
Checks: postfix check passes; postfix start copies the etc files into the
jail; each jailed daemon that runs has queue_directory as its root and
mail_owner as its uid; mail in over SMTP (STARTTLS, TLS session caches
set, a hash: access map) reaches a local mailbox; mail out through the
jailed smtp client to a relayhost given as [localhost]:PORT (resolved
inside the jail from the copied etc/hosts); a recipient the relayhost
refuses comes back as a bounce from the jailed bounce daemon (relaying
is allowed by mynetworks read from a file outside the jail); CApath is
copied into the jail; postfix reload copies the etc files again; a
check_policy_service unix:private/policy is reached in the jail.
"""
import os
import pwd
import subprocess
import sys
import threading

import pkit
import tls_setup

# Debian's /usr/share/postfix/master.cf.dist (Postfix 3.7), the uncommented lines of the services
# postkit runs; tlsmgr, trivial-rewrite, verify, scache and postlogd are left out (postkit has
# none of them) and so are the pipe services (they need programs)
STOCK_MASTER_CF = """\
{listen}      inet  n       -       y       -       -       smtpd
pickup    unix  n       -       y       60      1       pickup
cleanup   unix  n       -       y       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
bounce    unix  -       -       y       -       0       bounce
defer     unix  -       -       y       -       0       bounce
trace     unix  -       -       y       -       0       bounce
flush     unix  n       -       y       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       y       -       -       smtp
relay     unix  -       -       y       -       -       smtp
        -o syslog_name=postfix/$service_name
showq     unix  n       -       y       -       -       showq
error     unix  -       -       y       -       -       error
retry     unix  -       -       y       -       -       error
discard   unix  -       -       y       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       y       -       -       lmtp
anvil     unix  -       -       y       -       1       anvil
postlog   unix-dgram n  -       n       -       1       postlogd
"""

# bounce_template_file (outside the jail): the bounce daemon reads it before chroot
BOUNCE_TEMPLATE = """\
failure_template = <<EOF
Charset: us-ascii
From: MAILER-DAEMON (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
Postmaster-Subject: Postmaster Copy: Undelivered Mail

jailed-template-text
EOF
"""

JAILED = ("smtpd", "pickup", "cleanup", "bounce", "smtp", "anvil", "showq", "discard", "flush")


class Sink(pkit.Listener):
    """An SMTP server on 127.0.0.1 that takes every message and refuses RCPT TO:<refuse...>."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []
        super().__init__()

    def talk(self, c):
        c.settimeout(30)
        f = c.makefile("rb")
        c.sendall(b"220 sink.example ESMTP\r\n")
        while True:
            line = f.readline()
            if not line:
                return
            verb = line.decode("latin-1").strip().split(" ")[0].upper()
            if verb == "EHLO":
                c.sendall(b"250-sink.example\r\n250 PIPELINING\r\n")
            elif verb == "RCPT" and b"refuse" in line.lower():
                c.sendall(b"550 5.1.1 no such user here\r\n")
            elif verb == "DATA":
                c.sendall(b"354 go ahead\r\n")
                body = []
                while True:
                    d = f.readline()
                    if d in (b".\r\n", b""):
                        break
                    body.append(d)
                with self.lock:
                    self.messages.append(b"".join(body).decode("latin-1"))
                c.sendall(b"250 2.0.0 Ok: queued\r\n")
            elif verb == "QUIT":
                c.sendall(b"221 2.0.0 Bye\r\n")
                return
            else:
                c.sendall(b"250 2.0.0 Ok\r\n")

    def got(self, text):
        with self.lock:
            return any(text in m for m in self.messages)


class Policy(pkit.Listener):
    """A policy server on the unix socket private/policy of the queue directory (where a
    chrooted smtpd finds unix:private/policy): REJECT for a recipient with "policy" in it."""

    def __init__(self, path):
        super().__init__(unix=path)

    def talk(self, c):
        attrs = {}
        for line in c.makefile("rb"):
            line = line.decode("latin-1").rstrip("\n")
            if line:
                k, _, v = line.partition("=")
                attrs[k] = v
                continue
            no = "policy" in attrs.get("recipient", "")
            c.sendall(b"action=REJECT policy says no\n\n" if no else b"action=DUNNO\n\n")
            attrs = {}


def main_cf(certs, sink_port):
    """pkit's base with Debian's TLS session cache settings, an access map and a relayhost."""
    # mynetworks from a file outside the jail: smtpd reads it before chroot, as Postfix
    main = pkit.BASE_MAIN_CF.replace("mynetworks = 192.0.2.0/24",
                                     "mynetworks = $config_directory/mynetworks")
    # an XCLIENT-authorized client is not counted: anvil would not be asked
    main = main.replace("smtpd_authorized_xclient_hosts = 127.0.0.1\n", "")
    return main + certs.server_main_cf(level="may") + """\
mail_owner = {owner}
smtpd_tls_session_cache_database = btree:${{data_directory}}/smtpd_scache
smtp_tls_session_cache_database = btree:${{data_directory}}/smtp_scache
smtp_tls_security_level = may
smtpd_sender_restrictions = check_sender_access hash:$config_directory/access
smtpd_recipient_restrictions = check_policy_service unix:private/policy
smtpd_client_connection_rate_limit = 100
smtpd_client_event_limit_exceptions =
relayhost = [localhost]:{port}
smtp_host_lookup = native
smtp_tls_CApath = {capath}
bounce_template_file = $config_directory/bounce.cf
masquerade_domains = example.com
transport_maps = inline:{{discard.example=discard:}}
fast_flush_domains = remote.example
masquerade_exceptions = $config_directory/masq_exceptions
""".format(owner=pkit.mail_owner(), port=sink_port, capath=certs.capath())


def jail_of(pid):
    """(root directory, uid) of a process, or (None, None) when it is gone."""
    try:
        root = os.readlink("/proc/%d/root" % pid)
        with open("/proc/%d/status" % pid) as f:
            uid = next(int(l.split()[1]) for l in f if l.startswith("Uid:"))
        return root, uid
    except (OSError, StopIteration):
        return None, None


def check_jails(res, inst, seen):
    """Each jailed daemon alive now: its root is the queue directory, its uid mail_owner."""
    queue = os.path.realpath(inst.path("queue"))
    owner = pwd.getpwnam(pkit.mail_owner()).pw_uid
    pid = inst.master_pid()
    for name in JAILED:
        for p in pkit.children(name, pid):
            # a process master just started may not be in its jail yet: give it a moment
            pkit.wait_until(lambda: jail_of(p)[0] is None or jail_of(p) == (queue, owner), 10)
            root, uid = jail_of(p)
            if root is None:
                continue
            res.check("%s root" % name, root, queue)
            res.check("%s uid" % name, uid, owner)
            seen.add(name)


def mail_in(res, inst, certs):
    """STARTTLS, the access map, a local delivery; the session keeps smtpd alive for a look."""
    s = inst.session()
    s.cmd("EHLO client.example")
    r = tls_setup.starttls(s, tls_setup.client_context())
    res.check("STARTTLS", r[:3], "220")
    s.cmd("EHLO client.example")
    s.cmd("MAIL FROM:<blocked@example.net>")
    r = s.cmd("RCPT TO:<root@mail.example.com>")  # smtpd_delay_reject: the verdict comes here
    res.check("access map", r, "554 5.7.1 <blocked@example.net>: Sender address rejected: "
              "go away")
    s.cmd("RSET")
    res.check("MAIL", s.cmd("MAIL FROM:<root@mail.example.com>")[:3], "250")
    res.check("RCPT local", s.cmd("RCPT TO:<root@mail.example.com>")[:3], "250")
    res.check("policy service in the jail", s.cmd("RCPT TO:<policy@mail.example.com>"),
              "554 5.7.1 <policy@mail.example.com>: Recipient address rejected: policy says no")
    res.check("DATA", s.data("Subject: jailed in\r\n\r\nchroot-local-body\r\n")[:3], "250")
    return s


def main():
    if not pkit.IS_ROOT:
        print("not root: skipping (chroot needs root)")
        return 77
    tls_setup.require_tls_tools()
    res = pkit.Results("test_chroot")
    certs = tls_setup.Certs()
    sink = Sink()
    inst = policy = None
    seen = set()
    try:
        inst = pkit.Instance(main_cf=main_cf(certs, sink.port), master_cf=STOCK_MASTER_CF)
        inst.write("access", "blocked@example.net REJECT go away\n")
        inst.write("mynetworks", "# the test client\n127.0.0.0/8\n")
        inst.write("bounce.cf", BOUNCE_TEMPLATE)
        inst.write("masq_exceptions", "root\n")
        r = subprocess.run([os.path.join(pkit.TOP_BUILDDIR, "tools", "postmap", "postmap"),
                            "-c", inst.dir, "hash:" + inst.path("access")],
                           capture_output=True, text=True, env=inst.env(), timeout=60)
        res.check("postmap", r.returncode, 0)
        r = inst.postfix("check")
        # warnings only: the rewrite, scache and verify services postkit does not have
        res.check("postfix check", (r.returncode, "error" in r.stdout + r.stderr), (0, False))
        inst.start()
        policy = Policy(inst.path("queue", "private", "policy"))
        res.true("etc files copied", os.path.exists(inst.path("queue", "etc", "hosts"))
                 and os.path.exists(inst.path("queue", "etc", "nsswitch.conf")))
        res.true("copy logged", inst.wait_log(r"postfix/postfix\[\d+\]: chroot jail .*: copied "
                                              r".*etc/hosts"))
        capath = certs.capath()
        hashes = [n for n in os.listdir(capath) if n.endswith(".0")]
        res.true("CApath copied", hashes and all(
            os.path.isfile(inst.path("queue", capath.lstrip("/"), n)) for n in hashes),
            os.listdir(inst.path("queue", capath.lstrip("/"))) if hashes else capath)
        s = mail_in(res, inst, certs)
        check_jails(res, inst, seen)
        s.cmd("QUIT")
        s.close()
        res.true("local delivery", inst.wait_mailbox("root", "chroot-local-body", timeout=20),
                 inst.log()[-3000:])
        # out through the jailed smtp client; one recipient refused: a bounce to root
        s = inst.session()
        s.cmd("EHLO client.example")
        s.cmd("MAIL FROM:<root@mail.example.com>")
        res.check("RCPT remote", s.cmd("RCPT TO:<friend@remote.example>")[:3], "250")
        res.check("RCPT refused", s.cmd("RCPT TO:<refuse@remote.example>")[:3], "250")
        res.check("RCPT discard", s.cmd("RCPT TO:<x@discard.example>")[:3], "250")
        res.check("DATA out", s.data("From: root@mail.example.com\r\n"
                                         "Subject: jailed out\r\n\r\nchroot-out-body\r\n")[:3],
                  "250")
        s.cmd("QUIT")
        s.close()
        res.true("relayed", pkit.wait_until(lambda: sink.got("chroot-out-body"), 20),
                 inst.log()[-3000:])
        # masquerade_exceptions from a file outside the jail: root is not masqueraded
        res.true("masquerade_exceptions file read before the jail",
                 sink.got("From: root@mail.example.com\r\n"), sink.messages)
        res.true("bounce", inst.wait_mailbox("root", "Undelivered Mail Returned to Sender",
                                             timeout=20), inst.log()[-3000:])
        res.true("bounce names refused", "refuse@remote.example" in inst.mailbox("root"))
        res.true("discard agent ran", inst.wait_log(
            r"postfix/discard\[\d+\]: .*to=<x@discard\.example>.*status=sent"), inst.log()[-3000:])
        res.true("bounce_template_file read before the jail",
                 "jailed-template-text" in inst.mailbox("root"), inst.mailbox("root")[-2000:])
        check_jails(res, inst, seen)
        r = subprocess.run([os.path.join(pkit.TOP_BUILDDIR, "tools", "postqueue", "postqueue"),
                            "-c", inst.dir, "-p"], capture_output=True, text=True,
                           env=inst.env())
        res.check("postqueue -p (showq)", r.returncode, 0)
        # the flush service (postqueue -s talks to public/flush)
        r = subprocess.run([os.path.join(pkit.TOP_BUILDDIR, "tools", "postqueue", "postqueue"),
                            "-c", inst.dir, "-s", "remote.example"], capture_output=True,
                           text=True, env=inst.env())
        res.check("postqueue -s (flush)", (r.returncode, r.stderr), (0, ""))
        check_jails(res, inst, seen)
        # postfix reload copies the etc files again
        os.unlink(inst.path("queue", "etc", "services"))
        inst.reload()
        res.true("reload copies again", os.path.isfile(inst.path("queue", "etc", "services")))
        for name in JAILED:
            res.true("%s seen jailed" % name, name in seen, sorted(seen))
        log = inst.log()
        res.true("no fatal, no daemon died", " fatal: " not in log and "exit status" not in log
                 and "killed by signal" not in log, log[-3000:])
        print("jailed daemons verified: %s" % " ".join(sorted(seen)))
    finally:
        if policy:
            policy.stop()
        if inst:
            inst.cleanup()
        sink.stop()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
