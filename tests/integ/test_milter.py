#!/usr/bin/env python3
"""test_milter.py - smtpd_milters: the Sendmail milter protocol, replies, edits, opendkim.

A scripted milter (milterpy.py) runs inside the test on 127.0.0.1; its
replies change from one SMTP session to the next.  More smtpd listeners in
master.cf point at a port where nothing listens, one per
milter_default_action.  Debian's opendkim, when installed, signs and
verifies for real with a key made by opendkim-genkey and a test DNS server
(dnsserver.py) serving the selector's TXT record.  The replies, log lines
and message edits are those Postfix 3.7.11 gave for the same traffic with
the same milter.
"""
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import milterpy  # noqa: E402
import pkit  # noqa: E402

R = pkit.Results("milter")
MSG = ("From: a@example.com\nTo: b@example.com\nSubject: hi\n"
       "Date: Mon, 7 Dec 2026 08:00:00 +0000\nMessage-ID: <x@example.com>\n"
       "X-One: 1\nX-Two: 2\nX-One: 3\n\nbody line\n.dot\n")
QID = r"[0-9A-Za-z]+"
CLIENT = "localhost[127.0.0.1]"
TAIL = "from=<a@example.com> to=<root@mail.example.com> proto=ESMTP helo=<client.example>"


def session(inst, port, rcpts=("root@mail.example.com",), msg=MSG):
    """One transaction: the last line of each reply, greeting first."""
    s = pkit.Session(port)
    out = [s.greeting[-1], s.cmd("EHLO client.example"), s.cmd("MAIL FROM:<a@example.com>")]
    for r in rcpts:
        out.append(s.cmd("RCPT TO:<%s>" % r))
    out.append(s.data(msg))
    out.append(s.cmd("QUIT"))
    s.close()
    return out


def logged(inst, pattern, timeout=20):
    """A maillog line matching pattern (QID stands for a queue ID) appeared."""
    rx = pattern.replace("QID", QID)
    return inst.wait_log(rx, timeout=timeout)


def wait_queued(inst, qid, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if re.search(r"%s: removed" % qid, inst.log()):
            return True
        time.sleep(0.05)
    return False


def wait_quit(m, timeout=10):
    """Wait until the milter saw smtpd's Q (sent when the client has gone, so after our QUIT)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if m.events and m.events[-1][0] == "Q":
            return True
        time.sleep(0.05)
    return False


def qid_of(reply):
    m = re.search(r"queued as (\S+)", reply)
    return m.group(1) if m else ""


def test_events(inst, m):
    """What the milter is told, as Postfix tells it: commands, macros, headers, body."""
    m.replies, m.mods = {}, []
    m.events.clear()
    m.macros.clear()
    m.headers.clear()
    m.body = b""
    out = session(inst, inst.port)
    R.check("plain: replies", [o[:3] for o in out], ["220", "250", "250", "250", "250", "221"])
    wait_quit(m)
    R.check("plain: optneg", m.optneg, (6, 511, 2097151))
    cmds = [e[0] for e in m.events]
    R.check("plain: commands", cmds,
            ["C", "H", "M", "R", "T"] + ["L"] * 8 + ["N", "B", "E", "A", "A", "Q"])
    R.check("plain: connect", m.events[0][1][0], "localhost")
    R.check("plain: helo", m.events[1][1], ["client.example"])
    R.check("plain: mail", m.events[2][1], ["<a@example.com>"])
    R.check("plain: rcpt", m.events[3][1], ["<root@mail.example.com>"])
    R.check("plain: headers", m.headers[:3],
            [("From", "a@example.com"), ("To", "b@example.com"), ("Subject", "hi")])
    R.check("plain: body", m.body, b"body line\r\n.dot\r\n")
    c = m.macros.get("C", {})
    R.check("plain: connect macros", sorted(c), sorted(["j", "{daemon_name}", "{daemon_addr}",
                                                        "v", "_"]))
    R.check("plain: macro j", c.get("j"), "mail.example.com")
    R.check("plain: macro _", c.get("_"), "localhost [127.0.0.1]")
    R.check("plain: macro daemon_addr", c.get("{daemon_addr}"), "127.0.0.1")
    R.check("plain: mail macros", m.macros.get("M"),
            {"{mail_addr}": "a@example.com", "{mail_host}": "mail.example.com",
             "{mail_mailer}": "local"})
    R.check("plain: rcpt macros", m.macros.get("R"),
            {"{rcpt_addr}": "root@mail.example.com", "{rcpt_host}": "mail.example.com",
             "{rcpt_mailer}": "local"})
    R.check("plain: data macro i", m.macros.get("T"), {"i": qid_of(out[4])})


def test_replies(inst, m):
    """reject, tempfail, replycode, discard, quarantine at each stage: Postfix's replies and logs."""
    cases = [
        ("conn-reject", {"C": ("r",)}, [],
         ["554 mail.example.com ESMTP not accepting connections", "250 CHUNKING",
          "550 5.7.1 Command rejected"],
         ["NOQUEUE: milter-reject: CONNECT from %s: 550 5.7.1 Command rejected; proto=SMTP"
          % CLIENT,
          "NOQUEUE: milter-reject: EHLO from %s: 550 5.7.1 Command rejected; proto=SMTP "
          "helo=<client.example>" % CLIENT,
          "NOQUEUE: milter-reject: MAIL from %s: 550 5.7.1 Command rejected; "
          "from=<a@example.com> proto=ESMTP helo=<client.example>" % CLIENT]),
        ("helo-tempfail", {"H": ("t",)}, [],
         ["220 mail.example.com ESMTP Postfix", "250 CHUNKING",
          "451 4.7.1 Service unavailable - try again later"],
         ["NOQUEUE: milter-reject: EHLO from %s: 451 4.7.1 Service unavailable - try again "
          "later; proto=SMTP helo=<client.example>" % CLIENT]),
        ("mail-reject", {"M": ("r",)}, [],
         ["220 mail.example.com ESMTP Postfix", "250 CHUNKING", "550 5.7.1 Command rejected"],
         []),
        ("rcpt-replycode", {"R": ("y", "550 5.7.0 go away")}, [],
         ["220 mail.example.com ESMTP Postfix", "250 CHUNKING", "250 2.1.0 Ok",
          "550 5.7.0 go away", "554 5.5.1 Error: no valid recipients"],
         ["NOQUEUE: milter-reject: RCPT from %s: 550 5.7.0 go away; %s" % (CLIENT, TAIL)]),
        ("rcpt-tempfail", {"R": ("t",)}, [],
         [None, None, None, "451 4.7.1 Service unavailable - try again later"],
         ["NOQUEUE: milter-reject: RCPT from %s: 451 4.7.1 Service unavailable - try again "
          "later; %s" % (CLIENT, TAIL)]),
        ("data-reject", {"T": ("r",)}, [],
         [None, None, None, "250 2.1.5 Ok", "550 5.7.1 Command rejected"],
         ["QID: milter-reject: DATA from %s: 550 5.7.1 Command rejected; %s" % (CLIENT, TAIL)]),
        ("hdr-reject", {"L": ("r",)}, [],
         [None, None, None, None, "550 5.7.1 Command rejected"],
         ["QID: milter-reject: END-OF-MESSAGE from %s: 5.7.1 Command rejected; %s"
          % (CLIENT, TAIL)]),
        ("eom-tempfail", {"E": ("t",)}, [],
         [None, None, None, None, "451 4.7.1 Service unavailable - try again later"],
         ["QID: milter-reject: END-OF-MESSAGE from %s: 4.7.1 Service unavailable - try again "
          "later; %s" % (CLIENT, TAIL)]),
        ("eom-replycode", {"E": ("y", "554 5.7.9 you smell")}, [],
         [None, None, None, None, "554 5.7.9 you smell"],
         ["QID: milter-reject: END-OF-MESSAGE from %s: 5.7.9 you smell; %s" % (CLIENT, TAIL)]),
        ("eom-discard", {"E": ("d",)}, [],
         [None, None, None, None, lambda r: r.startswith("250 2.0.0 Ok: queued as")],
         ["QID: milter-discard: END-OF-MESSAGE from %s: milter triggers DISCARD action; %s"
          % (CLIENT, TAIL)]),
        ("eom-quarantine", {}, [("q", "suspicious")],
         [None, None, None, None, lambda r: r.startswith("250 2.0.0 Ok: queued as")],
         ["QID: milter-hold: END-OF-MESSAGE from %s: milter triggers HOLD action; %s"
          % (CLIENT, TAIL)]),
        ("eom-close", {"E": ("close",)}, [],
         [None, None, None, None, "451 4.7.1 Service unavailable - try again later"],
         ["warning: milter %s: can't read SMFIC_BODYEOB reply packet header: Application error"
          % m.spec(),
          "QID: milter-reject: END-OF-MESSAGE from %s: 4.7.1 Service unavailable - try again "
          "later; %s" % (CLIENT, TAIL)]),
    ]
    for name, replies, mods, want, logs in cases:
        m.replies, m.mods = replies, mods
        hold_before = len(inst.queue_files("hold"))
        out = session(inst, inst.port)
        for i, w in enumerate(want):
            if w is not None:
                R.check("%s: reply %d" % (name, i), out[i], w)
        for line in logs:
            R.true("%s: log %s" % (name, line), logged(inst, re.escape(line).replace(
                "QID", QID)), inst.log()[-1500:])
        if name == "eom-quarantine":
            R.check("eom-quarantine: held", len(inst.queue_files("hold")), hold_before + 1)
        if name == "eom-discard":
            R.true("eom-discard: not delivered",
                   "root@mail.example.com>, relay=local" not in inst.log().split(
                       qid_of(out[4]))[-1])


def test_edits(inst, m):
    """Header, recipient, sender and body edits end up in the delivered message as with Postfix."""
    m.replies = {}
    m.mods = [("h", "X-Added", "yes"), ("i", 0, "X-Top", "top"), ("m", 2, "X-One", "changed"),
              ("m", 1, "X-Two", ""), ("+", "postmaster@mail.example.com"),
              ("-", "root@mail.example.com"), ("e", "new@example.com")]
    before = inst.mailbox("root")
    out = session(inst, inst.port)
    R.check("edits: queued", out[4][:24], "250 2.0.0 Ok: queued as ")
    R.true("edits: delivered", inst.wait_mailbox("root", "X-Added: yes"))
    mbox = inst.mailbox("root")[len(before):]
    R.true("edits: sender", mbox.startswith("From new@example.com "), mbox[:80])
    R.true("edits: rcpt", "X-Original-To: postmaster@mail.example.com\n" in mbox, mbox[:300])
    hdrs = [h.split(":")[0] for h in mbox.split("\n\n")[0].split("\n")[1:] if not h[0].isspace()]
    # Postfix 3.7.11 delivered exactly this header order for the same edits
    R.check("edits: header order", hdrs,
            ["Return-Path", "X-Original-To", "Delivered-To", "X-Top", "Received", "From", "To",
             "Subject", "Date", "Message-ID", "X-One", "X-One", "X-Added"])
    R.true("edits: changed", "X-One: 1\nX-One: changed\nX-Added: yes\n\nbody line\n" in mbox,
           mbox)
    # BDAT: the same edits reach the message
    before = inst.mailbox("root")
    s = pkit.Session(inst.port)
    s.cmd("EHLO client.example")
    s.cmd("MAIL FROM:<a@example.com>")
    s.cmd("RCPT TO:<root@mail.example.com>")
    chunk = MSG.replace("body line", "bdat body").replace("\n", "\r\n").encode()
    s.send(b"BDAT %d LAST\r\n" % len(chunk) + chunk)
    want = "250 2.0.0 Ok: %d bytes queued as " % len(chunk)
    R.check("bdat: queued", s.reply()[-1][:len(want)], want)
    s.cmd("QUIT")
    s.close()
    R.true("bdat: delivered", inst.wait_mailbox("root", "bdat body"))
    mbox = inst.mailbox("root")[len(before):]
    R.true("bdat: edited", "X-One: 1\nX-One: changed\nX-Added: yes\n\nbdat body\n" in mbox, mbox)
    # two recipients: DATA logs the first, end of message the last (as Postfix 3.7.11)
    two = ("root@mail.example.com", "postmaster@mail.example.com")
    m.mods, m.replies = [], {"E": ("r",)}
    session(inst, inst.port, rcpts=two)
    R.true("two rcpts: eom log", logged(inst, re.escape(
        "QID: milter-reject: END-OF-MESSAGE from %s: 5.7.1 Command rejected; from=<a@example.com> "
        "to=<postmaster@mail.example.com> proto=ESMTP" % CLIENT).replace("QID", QID)))
    m.replies = {"T": ("r",)}
    session(inst, inst.port, rcpts=two)
    R.true("two rcpts: data log", inst.wait_log(re.escape(
        "QID: milter-reject: DATA from %s: 550 5.7.1 Command rejected; from=<a@example.com> "
        "to=<root@mail.example.com> proto=ESMTP" % CLIENT).replace("QID", QID), count=2))
    m.replies = {}
    m.mods = [("b", "new body\r\nline two\r\n")]
    before = inst.mailbox("root")
    out = session(inst, inst.port)
    R.true("body: delivered", inst.wait_mailbox("root", "new body"))
    mbox = inst.mailbox("root")[len(before):]
    R.true("body: replaced", "X-One: 3\n\nnew body\nline two\n\n" in mbox, mbox)
    m.mods = []


def test_dead(inst, ports):
    """No milter listening: each milter_default_action as Postfix applies it."""
    pat = "warning: connect to Milter service inet:127.0.0.1:%d: Connection refused"
    out = session(inst, ports["tempfail"])
    R.check("dead tempfail: replies", out[:3],
            ["220 mail.example.com ESMTP Postfix", "250 CHUNKING",
             "451 4.7.1 Service unavailable - try again later"])
    R.true("dead tempfail: warning", logged(inst, re.escape(pat % ports["dead"])))
    R.true("dead tempfail: log", logged(inst, re.escape(
        "NOQUEUE: milter-reject: CONNECT from %s: 451 4.7.1 Service unavailable - try again "
        "later; proto=SMTP" % CLIENT)))
    R.true("dead tempfail: mail log", logged(inst, re.escape(
        "NOQUEUE: milter-reject: MAIL from %s: 451 4.7.1 Service unavailable - try again "
        "later; from=<a@example.com> proto=ESMTP helo=<client.example>" % CLIENT)))
    out = session(inst, ports["reject"])
    R.check("dead reject: replies", out[:3],
            ["554 mail.example.com ESMTP not accepting connections", "250 CHUNKING",
             "550 5.5.0 Service unavailable"])
    R.true("dead reject: log", logged(inst, re.escape(
        "NOQUEUE: milter-reject: EHLO from %s: 550 5.5.0 Service unavailable; proto=SMTP "
        "helo=<client.example>" % CLIENT)))
    out = session(inst, ports["accept"])
    R.check("dead accept: queued", out[4][:24], "250 2.0.0 Ok: queued as ")
    # the filter's own default_action in "{ address, name=value }" wins over milter_default_action
    out = session(inst, ports["own"])
    R.check("dead own accept: queued", out[4][:24], "250 2.0.0 Ok: queued as ")
    # receive_override_options = no_milters: the filters are not asked
    out = session(inst, ports["nomilters"])
    R.check("no_milters: queued", out[4][:24], "250 2.0.0 Ok: queued as ")
    held = len(inst.queue_files("hold"))
    out = session(inst, ports["quarantine"])
    R.check("dead quarantine: queued", out[4][:24], "250 2.0.0 Ok: queued as ")
    R.check("dead quarantine: held", len(inst.queue_files("hold")), held + 1)
    for stage in ("CONNECT", "EHLO", "MAIL", "RCPT"):
        R.true("dead quarantine: %s log" % stage, logged(inst, re.escape(
            "NOQUEUE: milter-hold: %s from %s: milter triggers HOLD action;" % (stage, CLIENT))))
    R.true("dead quarantine: DATA log", logged(inst, re.escape(
        "QID: milter-hold: DATA from %s: milter triggers HOLD action; %s"
        % (CLIENT, TAIL)).replace("QID", QID)))


MACRO_CF = """\
milter_connect_macros = j {client_addr} v
milter_helo_macros = {client_name} {client_ptr}
milter_mail_macros = {mail_addr} {custom} {auth_type}
milter_rcpt_macros = {rcpt_addr} i
milter_data_macros = i {daemon_name}
milter_end_of_header_macros = {mail_addr}
milter_end_of_data_macros = {rcpt_addr} i
milter_macro_defaults = custom=cval, {auth_type = none}
milter_macro_v = postkit-test
milter_protocol = 2
milter_macro_daemon_name = dname
"""


def test_settings():
    """The milter_*_macros lists, defaults, protocol 2 and the timeouts, as Postfix applies them."""
    m = milterpy.Milter()
    slow_cmd = milterpy.Milter(replies={"R": ("sleep", 4)})
    slow_eom = milterpy.Milter(replies={"E": ("sleep", 4)})
    cmd_port, eom_port = pkit.free_port(), pkit.free_port()
    inst = pkit.Instance(
        main_extra="smtpd_milters = %s\n%s" % (m.spec(), MACRO_CF),
        master_extra="127.0.0.1:%d inet n - n - - smtpd -o smtpd_milters=%s "
        "-o milter_command_timeout=1s\n127.0.0.1:%d inet n - n - - smtpd -o smtpd_milters=%s "
        "-o milter_content_timeout=1s\n" % (cmd_port, slow_cmd.spec(), eom_port, slow_eom.spec()))
    try:
        inst.start()
        out = session(inst, inst.port)
        qid = qid_of(out[4])
        wait_quit(m)
        # what Postfix 3.7.11 sent with the same settings (no DATA command at protocol 2)
        R.check("macros: optneg", m.optneg, (2, 511, 127))
        R.check("macros: commands", [e[0] for e in m.events],
                ["C", "H", "M", "R"] + ["L"] * 8 + ["N", "B", "E", "A", "A", "Q"])
        R.check("macros: connect", sorted(m.macros.get("C", {}).items()),
                [("j", "mail.example.com"), ("v", "postkit-test"),
                 ("{client_addr}", "127.0.0.1")])
        R.check("macros: helo", m.macros.get("H"),
                {"{client_name}": "localhost", "{client_ptr}": "localhost"})
        R.check("macros: mail", m.macros.get("M"),
                {"{mail_addr}": "a@example.com", "{custom}": "cval", "{auth_type}": "none"})
        R.check("macros: rcpt", m.macros.get("R"), {"{rcpt_addr}": "root@mail.example.com"})
        R.check("macros: header", m.macros.get("L"), {})
        R.check("macros: eoh", m.macros.get("N"), {})
        R.check("macros: body", m.macros.get("B"), {"i": qid})
        R.check("macros: eom", m.macros.get("E"), {"i": qid})
        t0 = time.time()
        out = session(inst, cmd_port)
        R.check("command timeout: RCPT", out[3], "451 4.7.1 Service unavailable - try again later")
        R.true("command timeout: in time", time.time() - t0 < 3.5)
        out = session(inst, eom_port)
        R.check("content timeout: end of data", out[4],
                "451 4.7.1 Service unavailable - try again later")
    finally:
        inst.cleanup()
        for f in (m, slow_cmd, slow_eom):
            f.close()


class OpenDkim:
    """Debian's opendkim on 127.0.0.1, its key from opendkim-genkey, its DNS from dnsserver.py."""

    def __init__(self, tmp):
        import dnsserver
        self.tmp = tmp
        subprocess.run(["opendkim-genkey", "-b", "1024", "-D", tmp, "-d", "example.com",
                        "-s", "sel"], check=True, capture_output=True)
        with open(os.path.join(tmp, "sel.txt")) as f:
            txt = "".join(re.findall(r'"([^"]*)"', f.read()))
        # a TXT record of strings up to 255 bytes each
        parts = " ".join('"%s"' % txt[i:i + 200] for i in range(0, len(txt), 200))
        self.dns = dnsserver.DnsServer("sel._domainkey.example.com. 60 IN TXT %s\n" % parts)
        dport = self.dns.start()
        self.port = pkit.free_port()
        conf = os.path.join(tmp, "opendkim.conf")
        with open(conf, "w") as f:
            f.write("Syslog no\nSocket inet:%d@127.0.0.1\nMode sv\nDomain example.com\n"
                    "KeyFile %s/sel.private\nSelector sel\nNameservers 127.0.0.1@%d\n"
                    "PidFile %s/opendkim.pid\nAuthservID mail.example.com\n"
                    "InternalHosts 192.0.2.99\nMTA signer\nRequireSafeKeys no\n"
                    % (self.port, tmp, dport, tmp))
        self.proc = subprocess.Popen(["opendkim", "-x", conf, "-f"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                pkit.socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)

    def spec(self):
        return "inet:127.0.0.1:%d" % self.port

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.dns.stop()


def strip_delivery(mbox):
    """The message as it left the sender: no mbox or delivery lines, no Received header."""
    head, body = mbox.split("\n\n", 1)
    keep, skip = [], False
    for line in head.split("\n"):
        if line[:1] in (" ", "\t"):
            if not skip:
                keep.append(line)
            continue
        skip = line.split(":")[0] in ("Return-Path", "X-Original-To", "Delivered-To",
                                      "Received") or line.startswith("From ")
        if not skip:
            keep.append(line)
    return "\n".join(keep) + "\n\n" + body.rstrip("\n") + "\n"


def dkim_verify(res, inst, port, mbox):
    """Send the signed message of mbox again to the verifying smtpd on port: dkim=pass.
    Returns the message as sent (test_milter_local.py checks its signing this way too)."""
    signed = strip_delivery(mbox)
    out = session(inst, port, msg=signed)
    res.check("dkim verify: queued", out[4][:24], "250 2.0.0 Ok: queued as ")
    res.true("dkim verify: delivered", inst.wait_mailbox("root", "Authentication-Results"))
    got = inst.mailbox("root")[len(mbox):]
    res.true("dkim verify: dkim=pass", re.search(
        r"\nAuthentication-Results: mail\.example\.com;\n\tdkim=pass \(1024-bit key; "
        r"unprotected\) header\.d=example\.com header\.i=@example\.com", got) is not None, got)
    return signed


def test_opendkim():
    """opendkim signs mail of its domain and verifies it when it comes back: dkim=pass."""
    if shutil.which("opendkim") is None or shutil.which("opendkim-genkey") is None:
        print("opendkim not installed: DKIM checks skipped")
        return
    import tempfile
    tmp = tempfile.mkdtemp(prefix="postkit-dkim-")
    dk = OpenDkim(tmp)
    verify = pkit.free_port()
    inst = pkit.Instance(
        main_extra="smtpd_milters = %s\nmilter_macro_daemon_name = signer\n" % dk.spec(),
        master_extra="127.0.0.1:%d inet n - n - - smtpd -o milter_macro_daemon_name=verifier\n"
        % verify)
    try:
        inst.start()
        out = session(inst, inst.port, msg=MSG.replace("body line", "signed body line"))
        R.check("dkim sign: queued", out[4][:24], "250 2.0.0 Ok: queued as ")
        R.true("dkim sign: delivered", inst.wait_mailbox("root", "signed body line"))
        mbox = inst.mailbox("root")
        R.true("dkim sign: DKIM-Signature", re.search(
            r"\nDKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; d=example.com; s=sel;\n",
            mbox) is not None, mbox)
        signed = dkim_verify(R, inst, verify, mbox)
        tampered = signed.replace("signed body line", "tampered body line")
        session(inst, verify, msg=tampered)
        R.true("dkim verify: tampered delivered", inst.wait_mailbox("root", "tampered body"))
        got = inst.mailbox("root").split("tampered body line")[0].split("\nFrom ")[-1]
        R.true("dkim verify: tampered fails", "dkim=fail" in got, got)
    finally:
        inst.cleanup()
        dk.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    if not pkit.IS_ROOT:
        print("needs root (mail delivery as root): skipped")
        sys.exit(77)
    m = milterpy.Milter()
    dead = pkit.free_port()
    ports = {k: pkit.free_port() for k in ("tempfail", "reject", "accept", "quarantine")}
    extra = "".join(
        "127.0.0.1:%d inet n - n - - smtpd -o smtpd_milters=inet:127.0.0.1:%d "
        "-o milter_default_action=%s\n" % (p, dead, k) for k, p in ports.items())
    ports["own"] = pkit.free_port()
    extra += ("127.0.0.1:%d inet n - n - - smtpd -o smtpd_milters={inet:127.0.0.1:%d,"
              "default_action=accept,connect_timeout=5s} -o milter_default_action=tempfail\n"
              % (ports["own"], dead))
    ports["nomilters"] = pkit.free_port()
    extra += ("127.0.0.1:%d inet n - n - - smtpd -o smtpd_milters=inet:127.0.0.1:%d "
              "-o receive_override_options=no_milters\n" % (ports["nomilters"], dead))
    inst = pkit.Instance(main_extra="smtpd_milters = %s\nmilter_command_timeout = 5s\n"
                         "milter_connect_timeout = 5s\nmilter_content_timeout = 10s\n"
                         % m.spec(), master_extra=extra)
    ports["dead"] = dead
    try:
        inst.start()
        test_events(inst, m)
        test_replies(inst, m)
        test_edits(inst, m)
        test_dead(inst, ports)
    finally:
        inst.cleanup()
        m.close()
    test_settings()
    test_opendkim()
    R.finish()


if __name__ == "__main__":
    main()
