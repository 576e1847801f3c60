#!/usr/bin/env python3
"""test_policy.py - check_policy_service, restriction classes and DEFER_IF_PERMIT.

A scripted policy server runs inside the test on 127.0.0.1 (and on a UNIX
socket under the instance's queue directory): it records every request and
answers the actions it is given, in turn.  Debian's postgrey, when installed,
greylists for real.  The attributes, replies and warnings are those Postfix
3.7.11 sent, received and logged for the same traffic (tests/integ/pforacle.py).
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("policy")

# the attributes Postfix 3.7.11 sends, in its order
ATTRS = ["request", "protocol_state", "protocol_name", "client_address", "client_name",
         "client_port", "reverse_client_name", "server_address", "server_port", "helo_name",
         "sender", "recipient", "recipient_count", "queue_id", "instance", "size",
         "etrn_domain", "stress", "sasl_method", "sasl_username", "sasl_sender",
         "ccert_subject", "ccert_issuer", "ccert_fingerprint", "ccert_pubkey_fingerprint",
         "encryption_protocol", "encryption_cipher", "encryption_keysize", "policy_context"]


class PolicyServer:
    """A policy server: records requests, answers scripted actions (None: close)."""

    def __init__(self, actions=(), default="DUNNO", unix_path=None, reply=None):
        if unix_path:
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.bind(unix_path)
            self.port = None
        else:
            self.sock = socket.socket()
            self.sock.bind(("127.0.0.1", 0))
            self.port = self.sock.getsockname()[1]
        self.sock.listen(16)
        self.actions = list(actions)
        self.default = default
        self.reply = reply  # a fixed raw reply instead of action=...
        self.requests = []
        self.connections = 0
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        attrs = []
        try:
            for raw in c.makefile("rb"):
                line = raw.decode("latin-1").rstrip("\n")
                if line:
                    attrs.append(tuple(line.split("=", 1)))
                    continue
                self.requests.append(attrs)
                attrs = []
                if self.reply is not None:
                    c.sendall(self.reply)
                    continue
                act = self.actions.pop(0) if self.actions else self.default
                if act is None:
                    break
                c.sendall(("action=%s\n\n" % act).encode())
        except OSError:
            pass
        c.close()

    def stop(self):
        self.sock.close()


def attrs_of(req):
    return dict(req)


def stages():
    """Every stage's attributes, the actions acted on, one reused connection."""
    ps = PolicyServer(["DUNNO", "REJECT go away", "450 4.7.1 try later", "DUNNO", "DUNNO",
                       "DUNNO", "OK"])
    inst = pkit.Instance(main_extra="""\
smtpd_delay_reject = no
smtpd_policy_service_policy_context = ctx1
smtpd_helo_restrictions = check_policy_service inet:127.0.0.1:{p}
smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:{p}, permit_mynetworks,
    reject_unauth_destination
smtpd_data_restrictions = check_policy_service inet:127.0.0.1:{p}
smtpd_end_of_data_restrictions = check_policy_service inet:127.0.0.1:{p}
""".format(p=ps.port))
    try:
        inst.start()
        s = inst.session()
        s.cmd("EHLO client.example.org")
        R.check("MAIL", s.cmd("MAIL FROM:<a@example.org> SIZE=100"), "250 2.1.0 Ok")
        want = [
            "554 5.7.1 <x@example.com>: Recipient address rejected: go away",
            "450 4.7.1 <y@example.com>: Recipient address rejected: try later",
            "550 5.1.1 <z@example.com>: Recipient address rejected: User unknown in local "
            "recipient table",
            "250 2.1.5 Ok",
        ]
        for rcpt, w in zip(("x", "y", "z", "root"), want):
            R.check("RCPT " + rcpt, s.cmd("RCPT TO:<%s@example.com>" % rcpt), w)
        R.check("DATA accepted", s.data("Subject: t\n\nhello\n"),
                lambda r: r.startswith("250 2.0.0 Ok: queued as "))
        s.cmd("QUIT")
        s.close()
        R.true("rejects logged", inst.wait_log(
            r"NOQUEUE: reject: RCPT from localhost\[127\.0\.0\.1\]: 554 5\.7\.1 <x@example\.com>: "
            r"Recipient address rejected: go away; from=<a@example\.org> to=<x@example\.com> "
            r"proto=ESMTP helo=<client\.example\.org>"))
        reqs = ps.requests
        R.check("requests", len(reqs), 7)
        R.check("one connection reused", ps.connections, 1)
        R.check("attribute names and order", [a[0] for a in reqs[1]] if len(reqs) > 1 else [],
                ATTRS)
        if len(reqs) == 7:
            ehlo, rcpt, data, eod = (attrs_of(reqs[i]) for i in (0, 1, 5, 6))
            R.check("EHLO state", (ehlo["protocol_state"], ehlo["protocol_name"],
                                   ehlo["helo_name"], ehlo["sender"], ehlo["instance"],
                                   ehlo["size"]), ("EHLO", "SMTP", "client.example.org", "", "", "0"))
            R.check("RCPT attrs", {k: rcpt[k] for k in (
                "protocol_state", "protocol_name", "client_address", "client_name",
                "reverse_client_name", "server_address", "helo_name", "sender", "recipient",
                "recipient_count", "queue_id", "size", "encryption_keysize", "policy_context")},
                {"protocol_state": "RCPT", "protocol_name": "ESMTP", "client_address": "127.0.0.1",
                 "client_name": "localhost", "reverse_client_name": "localhost",
                 "server_address": "127.0.0.1", "helo_name": "client.example.org",
                 "sender": "a@example.org", "recipient": "x@example.com",
                 "recipient_count": "0", "queue_id": "", "size": "100",
                 "encryption_keysize": "0", "policy_context": "ctx1"})
            R.check("server_port", rcpt["server_port"], str(inst.port))
            R.true("instance like Postfix's", re.fullmatch(
                r"[0-9a-f]+\.[0-9a-f]+\.[0-9a-f]+\.[0-9a-f]+", rcpt["instance"]), rcpt["instance"])
            R.check("instance kept for the transaction", data["instance"], rcpt["instance"])
            R.check("DATA attrs", (data["protocol_state"], data["recipient"],
                                   data["recipient_count"], data["size"]),
                    ("DATA", "root@example.com", "1", "100"))
            R.true("DATA queue_id", re.fullmatch(r"[0-9A-F]+", data["queue_id"]),
                   data["queue_id"])
            R.check("END-OF-MESSAGE attrs", (eod["protocol_state"], eod["size"],
                                             eod["queue_id"]),
                    ("END-OF-MESSAGE", "21", data["queue_id"]))
    finally:
        inst.cleanup()
        ps.stop()


def unreachable():
    """Every try fails: the warnings, the retry delay, the default action."""
    port = pkit.free_port()
    inst = pkit.Instance(main_extra="smtpd_recipient_restrictions = "
                         "check_policy_service inet:127.0.0.1:%d, permit\n"
                         "smtpd_policy_service_try_limit = 2\n"
                         "smtpd_policy_service_retry_delay = 1s\n"
                         "smtpd_policy_service_default_action = 451 4.3.5 Server "
                         "configuration problem\n" % port)
    try:
        inst.start()
        s = inst.session(timeout=30)
        s.cmd("HELO x")
        s.cmd("MAIL FROM:<a@example.org>")
        t = time.time()
        R.check("default action", s.cmd("RCPT TO:<x@example.com>"),
                "451 4.3.5 <x@example.com>: Recipient address rejected: Server configuration "
                "problem")
        R.true("retried after smtpd_policy_service_retry_delay", time.time() - t >= 0.9)
        s.cmd("QUIT")
        s.close()
        R.true("log", inst.wait_log(r"NOQUEUE: reject: RCPT .*Server configuration problem"))
        log = pkit.strip_dates(inst.log())
        R.check("connect warnings", len(re.findall(
            r"warning: connect to 127\.0\.0\.1:%d: Connection refused\n" % port, log)), 2)
        R.check("problem warnings", len(re.findall(
            r"warning: problem talking to server 127\.0\.0\.1:%d: Connection refused\n" % port,
            log)), 2)
    finally:
        inst.cleanup()


def classes():
    """Restriction classes from an access table; failures inside them; per-service settings."""
    first = PolicyServer([None, "REJECT a"])
    bad = PolicyServer(reply=b"foo=bar\n\n")
    good_unix = None
    inst = pkit.Instance(main_extra="""\
smtpd_restriction_classes = pc pd pe pu pr
pc = check_policy_service inet:127.0.0.1:{b}
pd = check_policy_service unix:private/nosuch
pe = check_policy_service {{inet:127.0.0.1:{b}, default_action=DUNNO}}, reject
pu = check_policy_service unix:private/policy
pr = reject_non_fqdn_recipient, permit
smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:{f},
    check_recipient_access texthash:$config_directory/acc, permit_mynetworks,
    reject_unauth_destination
""".format(b=bad.port, f=first.port))
    inst.write("acc", "c@example.com pc\nd@example.com pd\ne@example.com pe\n"
               "u@example.com pu\nt@example.com check_policy_service inet:127.0.0.1:%d\n"
               "r@localhost pr\n" % bad.port)
    try:
        inst.start()
        good_unix = PolicyServer(["REJECT over unix"], unix_path=inst.path("queue", "private",
                                                                            "policy"))
        os.chmod(inst.path("queue", "private", "policy"), 0o666)
        s = inst.session(timeout=30)
        s.cmd("EHLO client.example.org")
        s.cmd("MAIL FROM:<a@example.org>")
        cases = [
            ("a@example.com", "554 5.7.1 <a@example.com>: Recipient address rejected: a"),
            ("c@example.com", "451 4.3.5 <c@example.com>: Recipient address rejected: Server "
             "configuration problem"),
            ("d@example.com", "451 4.3.5 <d@example.com>: Recipient address rejected: Server "
             "configuration problem"),
            ("e@example.com", "554 5.7.1 <e@example.com>: Recipient address rejected: Access "
             "denied"),
            ("u@example.com", "554 5.7.1 <u@example.com>: Recipient address rejected: over unix"),
            ("t@example.com", "451 4.3.5 Server configuration error"),
            ("r@localhost", "504 5.5.2 <r@localhost>: Recipient address rejected: need "
             "fully-qualified address"),
        ]
        for rcpt, want in cases:
            R.check("class " + rcpt, s.cmd("RCPT TO:<%s>" % rcpt), want)
        s.cmd("QUIT")
        s.close()
        R.check("closed without a reply: one retry", first.connections, 2)
        inst.wait_log(r"disconnect from")
        log = pkit.strip_dates(inst.log())
        b = "127\\.0\\.0\\.1:%d" % bad.port
        R.check("missing action warnings", len(re.findall(
            r"warning: missing attribute action in input from %s\n" % b, log)), 4)
        R.check("application error once per request", len(re.findall(
            r"warning: problem talking to server %s: Application error\n" % b, log)), 2)
        R.check("unix connect warnings", len(re.findall(
            r"warning: connect to private/nosuch: No such file or directory\n", log)), 2)
        R.check("unix problem once", len(re.findall(
            r"warning: problem talking to server private/nosuch: No such file or directory\n",
            log)), 1)
        R.true("policy service in an access table refused", re.search(
            r"warning: access table texthash:\S+/acc has entry with lookup table: "
            r"check_policy_service inet:127\.0\.0\.1:%d\n.*warning: do not specify lookup "
            r"tables inside SMTPD access maps\n.*warning: define a restriction class and "
            r"specify its name instead\.\n" % bad.port, log))
        R.true("nothing accepted", "250 2.1.5" not in log)
    finally:
        inst.cleanup()
        first.stop()
        bad.stop()
        if good_unix:
            good_unix.stop()


def reuse_limits():
    """request_limit and max_idle close the connection; a silent server times out."""
    ps = PolicyServer()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)
    inst = pkit.Instance(main_extra="""\
smtpd_policy_service_request_limit = 2
smtpd_policy_service_max_ttl = 1000s
smtpd_policy_service_timeout = 100s
smtpd_policy_service_max_idle = 1s
smtpd_restriction_classes = slow
slow = check_policy_service {{inet:127.0.0.1:{s}, timeout=1s, try_limit=1,
    {{default_action=450 4.7.1 policy timed out}}}}
smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:{p},
    check_recipient_access texthash:$config_directory/acc, permit
""".format(p=ps.port, s=silent.getsockname()[1]))
    inst.write("acc", "slow@example.com slow\n")
    try:
        inst.start()
        s = inst.session(timeout=30)
        s.cmd("HELO x")
        s.cmd("MAIL FROM:<a@example.org>")
        for i in range(3):
            R.check("rcpt %d" % i, s.cmd("RCPT TO:<root@example.com>"), "250 2.1.5 Ok")
        R.check("request_limit 2: a new connection for the third", ps.connections, 2)
        time.sleep(2.2)
        s.cmd("RCPT TO:<root@example.com>")
        R.check("max_idle: no effect within a session", ps.connections, 2)
        t = time.time()
        R.check("timeout: default action", s.cmd("RCPT TO:<slow@example.com>"),
                "450 4.7.1 <slow@example.com>: Recipient address rejected: policy timed out")
        R.true("timeout after about 1s", 0.8 <= time.time() - t < 5, time.time() - t)
        s.cmd("QUIT")
        s.close()
        R.true("timeout warning", inst.wait_log(
            r"warning: problem talking to server 127\.0\.0\.1:%d: Connection timed out"
            % silent.getsockname()[1]))
        time.sleep(2.2)
        s = inst.session(timeout=30)
        s.cmd("HELO x")
        s.cmd("MAIL FROM:<a@example.org>")
        s.cmd("RCPT TO:<root@example.com>")
        # slow@ went through the first service too (connection 3, one request): idle, not
        # the request limit, makes the fourth
        R.check("max_idle: a new connection in the next session", ps.connections, 4)
        s.cmd("QUIT")
        s.close()
    finally:
        inst.cleanup()
        ps.stop()
        silent.close()


def defer_if_permit():
    """DEFER_IF_PERMIT with and without text, and the defer_if_permit restriction."""
    inst = pkit.Instance(main_extra="""\
smtpd_sender_restrictions = check_sender_access texthash:$config_directory/snd
smtpd_restriction_classes = dip
dip = defer_if_permit
smtpd_client_restrictions = check_client_access texthash:$config_directory/cli
""")
    inst.write("snd", "b@example.org DEFER_IF_PERMIT\nc@example.org DEFER_IF_PERMIT go away\n"
               "d@example.org dip\n")
    inst.write("cli", "127.0.0.1 DUNNO\n")
    try:
        inst.start()
        s = inst.session()
        s.cmd("EHLO client.example.org")
        for snd, want in (
                ("b", "450 4.7.1 <b@example.org>: Sender address rejected: Service unavailable"),
                ("c", "450 4.7.1 <c@example.org>: Sender address rejected: go away"),
                ("d", "450 4.7.0 <d@example.org>: Sender address rejected: defer_if_permit "
                 "requested")):
            s.cmd("RSET")
            s.cmd("MAIL FROM:<%s@example.org>" % snd)
            R.check("DEFER_IF_PERMIT " + snd, s.cmd("RCPT TO:<root@example.com>"), want)
        s.cmd("QUIT")
        s.close()
    finally:
        inst.cleanup()


def class_in_list():
    """A class named directly in a restriction list runs its list."""
    inst = pkit.Instance(main_extra="""\
smtpd_restriction_classes = strict
strict = reject_non_fqdn_recipient, reject_unauth_destination
smtpd_recipient_restrictions = strict, permit
""")
    try:
        inst.start()
        s = inst.session()
        s.cmd("EHLO client.example.org")
        s.cmd("MAIL FROM:<a@example.org>")
        R.check("class in a list: non-FQDN", s.cmd("RCPT TO:<x@localhost>"),
                "504 5.5.2 <x@localhost>: Recipient address rejected: need fully-qualified "
                "address")
        R.check("class in a list: accepted", s.cmd("RCPT TO:<root@example.com>"),
                "250 2.1.5 Ok")
        s.cmd("QUIT")
        s.close()
    finally:
        inst.cleanup()


def postgrey():
    """Debian's postgrey: the first attempt is greylisted, a retry after the delay passes."""
    exe = shutil.which("postgrey") or "/usr/sbin/postgrey"
    if not os.path.exists(exe) or not pkit.IS_ROOT:
        print("postgrey not installed (or not root): skipped")
        return
    db = tempfile.mkdtemp(prefix="postgrey-")
    port = pkit.free_port()
    try:
        shutil.chown(db, "postgrey")
    except (LookupError, OSError):
        pass
    pg = subprocess.Popen([exe, "--inet=127.0.0.1:%d" % port, "--dbdir=" + db, "--delay=2",
                           "--pidfile=" + os.path.join(db, "pid")],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    inst = pkit.Instance(main_extra="smtpd_recipient_restrictions = permit_mynetworks, "
                         "reject_unauth_destination, check_policy_service inet:127.0.0.1:%d\n"
                         % port)
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        inst.start()
        s = inst.session(timeout=30)
        s.cmd("EHLO client.example.org")
        s.cmd("MAIL FROM:<a@example.org>")
        R.check("postgrey: first attempt greylisted", s.cmd("RCPT TO:<root@example.com>"),
                "450 4.2.0 <root@example.com>: Recipient address rejected: Greylisted, see "
                "http://postgrey.schweikert.ch/help/example.com.html")
        s.cmd("RSET")
        s.cmd("MAIL FROM:<a@example.org>")
        time.sleep(3)
        R.check("postgrey: retry after the delay accepted", s.cmd("RCPT TO:<root@example.com>"),
                "250 2.1.5 Ok")
        s.cmd("QUIT")
        s.close()
    finally:
        inst.cleanup()
        pg.terminate()
        try:
            pg.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pg.kill()
            pg.wait()
        shutil.rmtree(db, ignore_errors=True)


def main():
    if not pkit.IS_ROOT:
        print("skipped: needs root (master and smtpd run as mail_owner)")
        sys.exit(77)
    stages()
    unreachable()
    classes()
    reuse_limits()
    defer_if_permit()
    class_in_list()
    postgrey()
    R.finish()


if __name__ == "__main__":
    main()
