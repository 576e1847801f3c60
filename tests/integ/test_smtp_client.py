#!/usr/bin/env python3
"""test_smtp_client.py - the smtp and lmtp delivery agents against servers on loopback addresses.

Nothing here reaches the host's resolver or the network: a small DNS server
(dnsserver.py, python3-dnslib) on 127.0.0.1 answers the MX/A lookups and
postkit is pointed at it with POSTKIT_DNS_SERVER; the "remote" MTAs are
smtp-sink (Postfix's test server) and the scriptable SMTP/LMTP server below,
on 127.0.0.2 ... 127.0.0.9.  Expected log lines, replies and DSN texts are
what Postfix 3.7.11 logged in the same setups (a private instance relaying
to the same servers through the same zone).
"""
import os
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

try:
    from dnsserver import DnsServer  # noqa: E402
except ImportError:
    print("python3-dnslib is not installed: skipping")
    sys.exit(77)

R = pkit.Results("smtp_client")
SENDER = "nobody@mail.example.com"

ZONE = """\
example.org. 60 IN MX 10 mx1.example.org.
example.org. 60 IN MX 20 mx2.example.org.
mx1.example.org. 60 IN A 127.0.0.2
mx2.example.org. 60 IN A 127.0.0.3
noaddr.example.org. 60 IN MX 10 nohost.example.org.
nomx.example.org. 60 IN A 127.0.0.6
fail.example.org SERVFAIL
txtonly.example.org. 60 IN TXT "hi"
relaydom.example. 60 IN A 127.0.0.3
"""


class Server:
    """A scriptable SMTP/LMTP server: replies per stage, records what it was sent.

    mail/done None: close the connection instead of answering; "hang": say nothing.
    """

    def __init__(self, addr, port=0, lmtp=False, unix=None, greeting="220 fake.example ESMTP",
                 ehlo=True, exts=("PIPELINING", "8BITMIME"), mail="250 2.1.0 Ok", rcpt=None,
                 data="354 End data with <CR><LF>.<CR><LF>", done="250 2.0.0 Ok: queued as FAKE1",
                 lmtp_done=None):
        self.lmtp, self.greeting, self.ehlo, self.exts = lmtp, greeting, ehlo, exts
        self.mail_reply, self.rcpt_replies = mail, rcpt or {}
        self.data_reply, self.done_reply, self.lmtp_done = data, done, lmtp_done or {}
        self.log, self.messages, self.peers = [], [], []
        self.conns = 0
        self.lock = threading.Lock()
        self.held = []
        if unix:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(unix)
            os.chmod(unix, 0o777)
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((addr, port))
        self.port = None if unix else self.sock.getsockname()[1]
        self.sock.listen(16)
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            try:
                c, peer = self.sock.accept()
            except OSError:
                return
            c.settimeout(30)
            with self.lock:
                self.conns += 1
                self.peers.append(peer)
                n = self.conns
            threading.Thread(target=self._session, args=(c, n), daemon=True).start()

    def stop(self):
        for f in (lambda: self.sock.shutdown(socket.SHUT_RDWR), self.sock.close):
            try:
                f()
            except OSError:
                pass
        for c in self.held:
            try:
                c.close()
            except OSError:
                pass

    def commands(self):
        with self.lock:
            return [c for _, c in self.log]

    def _session(self, c, n):
        try:
            self._talk(c, n)
        except OSError:
            pass
        finally:
            if c not in self.held:
                c.close()

    def _talk(self, c, n):
        f = c.makefile("rb")

        def say(s):
            c.sendall(s.encode() + b"\r\n")

        if self.greeting == "hang":
            self.held.append(c)
            return
        say(self.greeting)
        sender, ok = None, []
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line.decode("latin-1").rstrip("\r\n")
            with self.lock:
                self.log.append((n, cmd))
            verb = cmd.split(" ")[0].upper()
            if verb in ("EHLO", "LHLO") and self.ehlo:
                lines = ["fake.example"] + list(self.exts)
                for i, l in enumerate(lines):
                    say(("250 " if i == len(lines) - 1 else "250-") + l)
            elif verb == "HELO":
                say("250 fake.example")
            elif verb == "MAIL":
                if self.mail_reply is None:
                    return
                if self.mail_reply == "hang":
                    self.held.append(c)
                    return
                sender, ok = (cmd if self.mail_reply.startswith("2") else None), []
                say(self.mail_reply)
            elif verb == "RCPT" and sender is None:
                say("503 5.5.1 Error: need MAIL command")
            elif verb == "RCPT":
                a = cmd[cmd.find("<") + 1:cmd.rfind(">")]
                r = self.rcpt_replies.get(a, "250 2.1.5 Ok")
                if r.startswith("2"):
                    ok.append(a)
                say(r)
            elif verb == "DATA" and not ok:
                say("554 5.5.1 Error: no valid recipients")
            elif verb == "DATA":
                say(self.data_reply)
                if not self.data_reply.startswith("3"):
                    continue
                body = b""
                while True:
                    l = f.readline()
                    if not l:
                        return
                    if l == b".\r\n":
                        break
                    body += l
                with self.lock:
                    self.messages.append((sender, list(ok), body))
                if self.done_reply == "hang":
                    self.held.append(c)
                    return
                for a in (ok if self.lmtp else [None]):
                    say(self.lmtp_done.get(a, self.done_reply))
                sender, ok = None, []
            elif verb in ("RSET", "NOOP"):
                sender, ok = None, []
                say("250 2.0.0 Ok")
            elif verb == "QUIT":
                say("221 2.0.0 Bye")
                return
            else:
                say("502 5.5.2 Error: command not recognized")


def status_line(inst, to, rest, timeout=10):
    """Wait for the status line of recipient to; rest is a regexp after 'to=<...>, '."""
    return inst.wait_log(r"[0-9A-F]+: to=<%s>, %s" % (re.escape(to), rest), timeout=timeout)


def lines_for(inst, to):
    return "\n".join(l for l in inst.log().splitlines() if to in l)


DELAYS = r"delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, "


def mx_and_results(inst, port):
    """MX order, a greeting that refuses, per-recipient results, DNS failures."""
    # mx1 answers 421: mx2 (preference 20) takes the mail
    a = Server("127.0.0.2", port, greeting="421 4.3.2 mx1 busy")
    b = Server("127.0.0.3", port)
    try:
        inst.sendmail(["-f", SENDER, "user@example.org"], "Subject: mx order\n\nhello\n")
        R.true("sent via the second MX", status_line(
            inst, "user@example.org", r"relay=mx2\.example\.org\[127\.0\.0\.3\]:%d, %sdsn=2\.0\.0, "
            r"status=sent \(250 2\.0\.0 Ok: queued as FAKE1\)" % (port, DELAYS)), inst.log()[-800:])
        R.true("refusing MX logged", inst.wait_log(
            r"[0-9A-F]+: host mx1\.example\.org\[127\.0\.0\.2\] refused to talk to me: "
            r"421 4\.3\.2 mx1 busy$"))
        R.check("QUIT after the refusal", a.commands(), ["QUIT"])
        R.check("EHLO name is smtp_helo_name", b.commands()[0:1], ["EHLO client.example.net"])
        R.true("bound to smtp_bind_address", b.peers and b.peers[0][0] == "127.0.0.9", str(b.peers))
    finally:
        a.stop()
        b.stop()
    # per-recipient outcomes at mx1; mx2 down: the soft one is tried there, then deferred
    a = Server("127.0.0.2", port, rcpt={
        "bad@example.org": "550 5.1.1 <bad@example.org>: Recipient address rejected: User unknown",
        "later@example.org": "450 4.2.0 <later@example.org>: Recipient address rejected: Greylisted"})
    try:
        inst.sendmail(["-f", SENDER, "good@example.org", "bad@example.org", "later@example.org"],
                      "Subject: results\n\nhello\n")
        relay = r"relay=mx1\.example\.org\[127\.0\.0\.2\]:%d, " % port
        R.true("5xx bounces", status_line(
            inst, "bad@example.org", relay + DELAYS + r"dsn=5\.1\.1, status=bounced \(host "
            r"mx1\.example\.org\[127\.0\.0\.2\] said: 550 5\.1\.1 <bad@example\.org>: Recipient "
            r"address rejected: User unknown \(in reply to RCPT TO command\)\)"), inst.log()[-1500:])
        R.true("2xx sent", status_line(inst, "good@example.org", relay + DELAYS +
                                       r"dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: queued as FAKE1\)"))
        R.true("4xx noted on the way", inst.wait_log(
            r"[0-9A-F]+: host mx1\.example\.org\[127\.0\.0\.2\] said: 450 4\.2\.0 <later@example\.org>: "
            r"Recipient address rejected: Greylisted \(in reply to RCPT TO command\)$"))
        R.true("next MX refused", inst.wait_log(
            r"postfix/smtp\[\d+\]: connect to mx2\.example\.org\[127\.0\.0\.3\]:%d: Connection refused$"
            % port))
        R.true("4xx then refused: deferred", status_line(
            inst, "later@example.org", r"relay=none, " + DELAYS + r"dsn=4\.4\.1, status=deferred "
            r"\(connect to mx2\.example\.org\[127\.0\.0\.3\]:%d: Connection refused\)" % port))
        R.true("the bounce reaches the sender", inst.wait_mailbox("nobody", "Undelivered Mail Returned"))
        box = inst.mailbox("nobody").replace("\n    ", " ")  # notices fold long lines
        R.true("the bounce gives the remote reply", "<bad@example.org>: host mx1.example.org[127.0.0.2] "
               "said: 550" in box and "(in reply to RCPT TO command)" in box, box[-1500:])
        R.check("one transaction, pipelined in order", a.commands(),
                ["EHLO client.example.net", "MAIL FROM:<nobody@mail.example.com>",
                 "RCPT TO:<good@example.org>", "RCPT TO:<bad@example.org>", "RCPT TO:<later@example.org>",
                 "DATA", "QUIT"])
    finally:
        a.stop()
    # DNS outcomes
    inst.sendmail(["-f", SENDER, "u@nosuch.example.org", "u@fail.example.org", "u@noaddr.example.org",
                   "u@txtonly.example.org"], "Subject: dns\n\nx\n")
    R.true("SERVFAIL defers", status_line(
        inst, "u@fail.example.org", r"relay=none, " + DELAYS + r"dsn=4\.4\.3, status=deferred \(Host or "
        r"domain name not found\. Name service error for name=fail\.example\.org type=MX: Host not found, "
        r"try again\)"), lines_for(inst, "fail.example"))
    R.true("NXDOMAIN bounces", status_line(
        inst, "u@nosuch.example.org", r"relay=none, " + DELAYS + r"dsn=5\.4\.4, status=bounced \(Host or "
        r"domain name not found\. Name service error for name=nosuch\.example\.org type=A: Host not "
        r"found\)"))
    R.true("no MX address warns", inst.wait_log(
        r"warning: no MX host for noaddr\.example\.org has a valid address record$"))
    R.true("no MX address bounces", status_line(
        inst, "u@noaddr.example.org", r"relay=none, " + DELAYS + r"dsn=5\.4\.4, status=bounced \(Host or "
        r"domain name not found\. Name service error for name=nohost\.example\.org type=A: Host not "
        r"found\)"))
    R.true("no data bounces", status_line(
        inst, "u@txtonly.example.org", r"relay=none, " + DELAYS + r"dsn=5\.4\.4, status=bounced \(Host "
        r"or domain name not found\. Name service error for name=txtonly\.example\.org type=A: Host found "
        r"but no data record of requested type\)"))


MULTIPART = (
    "Subject: mp\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"BB\"\n\npreamble\n--BB\n"
    "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
    + "\xe9" * 30 + "a" * 50 + "\n" + "b" * 100 + "\n" + "trail  \n" + "tab\t\n" + "ctl\x01x\x7fy\n"
    + ".dot\n" + "From x\n" + "=\n"
    "--BB\nContent-Type: text/plain\n\nseven \xe9\n--BB\nContent-Type: message/rfc822\n"
    "Content-Transfer-Encoding: 8bit\n\nSubject: inner\nContent-Transfer-Encoding: 8bit\n\ninn\xe9r\n"
    "--BB--\nepilogue \xe9\n")

# what Postfix 3.7.11 sent for MULTIPART to a server without 8BITMIME (the body)
MULTIPART_7BIT = (
    "preamble\r\n--BB\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    + "=E9" * 25 + "=\r\n" + "=E9" * 5 + "a" * 50 + "\r\n" + "b" * 73 + "=\r\n" + "b" * 27 + "\r\n"
    "trail =20\r\ntab=09\r\nctl=01x=7Fy\r\n..dot\r\nFrom x\r\n=3D\r\n--BB\r\nContent-Type: text/plain\r\n\r\n"
    "seven \xe9\r\n--BB\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
    "Subject: inner\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ninn=E9r\r\n--BB--\r\n"
    "epilogue \xe9\r\n")


def body_of(raw):
    """The body of a received message (after the first empty line), latin-1."""
    text = raw.decode("latin-1")
    return text.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in text else ""


def transports(inst, port, lport):
    """transport_maps next hops, LMTP, SIZE, the 7bit downgrade, HELO, connection reuse."""
    # SIZE: the A record of a domain without MX, a server with a 1000-byte limit
    s = Server("127.0.0.6", port, exts=("PIPELINING", "SIZE 1000", "8BITMIME"))
    d = Server("127.0.0.7", port, exts=("PIPELINING",))
    h = Server("127.0.0.8", port, ehlo=False)
    sock = inst.path("lmtp.sock")
    lu = Server(None, lmtp=True, unix=sock, exts=("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES"),
                done="250 2.0.0 <a@lmtpu.example> Saved",
                lmtp_done={"b@lmtpu.example": "452 4.2.2 <b@lmtpu.example> Mailbox full",
                           "c@lmtpu.example": "550 5.1.1 <c@lmtpu.example> User doesn't exist: c@lmtpu.example"})
    li = Server("127.0.0.4", lport, lmtp=True)
    try:
        inst.sendmail(["-f", SENDER, "big@nomx.example.org"], "Subject: big\n\n" + "x" * 2000 + "\n")
        inst.sendmail(["-f", SENDER, "small@nomx.example.org"], "Subject: small\n\nsmall\n")
        R.true("SIZE over the limit bounces", status_line(
            inst, "big@nomx.example.org", r"relay=nomx\.example\.org\[127\.0\.0\.6\]:%d, %sdsn=5\.3\.4, "
            r"status=bounced \(message size \d+ exceeds size limit 1000 of server "
            r"nomx\.example\.org\[127\.0\.0\.6\]\)" % (port, DELAYS)), lines_for(inst, "nomx"))
        R.true("within SIZE: sent with SIZE=", status_line(
            inst, "small@nomx.example.org", r"relay=nomx\.example\.org\[127\.0\.0\.6\]:%d, .*status=sent"
            % port))
        R.true("no MAIL for the big one, SIZE= for the small one",
               [c for c in s.commands() if c.startswith("MAIL")] and
               re.fullmatch(r"MAIL FROM:<nobody@mail\.example\.com> SIZE=\d+",
                            [c for c in s.commands() if c.startswith("MAIL")][0]) is not None
               and len([c for c in s.commands() if c.startswith("MAIL")]) == 1, str(s.commands()))
        # 8bit MIME to a server without 8BITMIME: quoted-printable, no SIZE
        inst.sendmail(["-f", SENDER, "x@seven.example"], MULTIPART.encode("latin-1"))
        R.true("downgraded message sent", status_line(inst, "x@seven.example", r".*status=sent"))
        got = body_of(d.messages[0][2]) if d.messages else ""
        R.check("7bit downgrade as Postfix", got.rstrip("\r\n"), MULTIPART_7BIT.rstrip("\r\n"))
        R.check("no SIZE, no BODY for the downgrade", [c for c in d.commands() if c.startswith("MAIL")],
                ["MAIL FROM:<nobody@mail.example.com>"])
        # a server that does not know EHLO
        inst.sendmail(["-f", SENDER, "x@helo.example"], "Subject: helo\n\nx\n")
        R.true("HELO fallback delivers", status_line(inst, "x@helo.example", r".*status=sent"))
        R.check("EHLO then HELO", h.commands()[:3], ["EHLO client.example.net", "HELO client.example.net",
                                                     "MAIL FROM:<nobody@mail.example.com>"])
        # LMTP over a UNIX socket: one reply per recipient after the data
        inst.sendmail(["-f", SENDER, "a@lmtpu.example", "b@lmtpu.example", "c@lmtpu.example"],
                      "Subject: l\n\nhi\n")
        relay = r"relay=mail\.example\.com\[%s\], " % re.escape(sock)
        R.true("LMTP sent", status_line(inst, "a@lmtpu.example", relay + DELAYS +
                                        r"dsn=2\.0\.0, status=sent \(250 2\.0\.0 <a@lmtpu\.example> Saved\)"),
               lines_for(inst, "lmtpu"))
        R.true("LMTP 4xx deferred", status_line(
            inst, "b@lmtpu.example", relay + DELAYS + r"dsn=4\.2\.2, status=deferred \(host "
            r"mail\.example\.com\[%s\] said: 452 4\.2\.2 <b@lmtpu\.example> Mailbox full \(in reply to end "
            r"of DATA command\)\)" % re.escape(sock)))
        R.true("LMTP 5xx bounced", status_line(
            inst, "c@lmtpu.example", relay + DELAYS + r"dsn=5\.1\.1, status=bounced \(host "
            r"mail\.example\.com\[%s\] said: 550 5\.1\.1 <c@lmtpu\.example> User doesn't exist: "
            r"c@lmtpu\.example \(in reply to end of DATA command\)\)" % re.escape(sock)))
        R.check("LHLO with lmtp_lhlo_name", lu.commands()[0:1], ["LHLO lmtp.example.net"])
        inst.sendmail(["-f", SENDER, "a@lmtpi.example"], "Subject: l\n\nhi\n")
        R.true("LMTP over TCP", status_line(inst, "a@lmtpi.example", r"relay=127\.0\.0\.4\[127\.0\.0\.4\]:%d, "
                                            % lport + DELAYS + r"dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: "
                                            r"queued as FAKE1\)"), lines_for(inst, "lmtpi"))
    finally:
        for x in (s, d, h, lu, li):
            x.stop()


def reuse(inst, port):
    """Two messages for one next hop waiting together go out over one connection."""
    inst.sendmail(["-f", SENDER, "m1@smtpb.example"], "Subject: one\n\nx\n")
    inst.sendmail(["-f", SENDER, "m2@smtpb.example"], "Subject: two\n\nx\n")
    R.true("refused: deferred", status_line(
        inst, "m2@smtpb.example", r"relay=none, " + DELAYS + r"dsn=4\.4\.1, status=deferred \(connect to "
        r"127\.0\.0\.4\[127\.0\.0\.4\]:%d: Connection refused\)" % port))
    b = Server("127.0.0.4", port, exts=("PIPELINING", "SIZE 100000", "8BITMIME"))
    try:
        inst.sendmail(["-q"], "")
        R.true("both sent", status_line(inst, "m1@smtpb.example", r".*status=sent") and
               status_line(inst, "m2@smtpb.example", r".*status=sent"), inst.log()[-1000:])
        R.check("one connection", b.conns, 1)
        R.check("two transactions", len(b.messages), 2)
        R.true("conn_use=2 logged", inst.wait_log(
            r"to=<m[12]@smtpb\.example>, relay=127\.0\.0\.4\[127\.0\.0\.4\]:%d, conn_use=2, delay=" % port))
    finally:
        b.stop()


def start_sink(addr, port):
    """smtp-sink (from the postfix package) on addr:port; the Popen, or None when missing."""
    sink = shutil.which("smtp-sink") or ("/usr/sbin/smtp-sink" if os.access("/usr/sbin/smtp-sink", os.X_OK)
                                         else None)
    if sink is None:
        return None
    args = [sink] + (["-u", "nobody"] if pkit.IS_ROOT else []) + ["%s:%d" % (addr, port), "10"]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection((addr, port), timeout=1).close()
            return p
        except OSError:
            time.sleep(0.05)
    return p


def relayhost_and_fallback(port):
    """relayhost to smtp-sink; an unreachable relayhost with smtp_fallback_relay."""
    sport = pkit.free_port()
    sink = start_sink("127.0.0.2", sport)
    if sink is None:
        print("smtp-sink not found: relayhost case skipped")
        return
    inst = pkit.Instance(main_extra="relayhost = [127.0.0.2]:%d\n" % sport)
    fb = pkit.Instance(main_extra="relayhost = [127.0.0.5]:%d\nsmtp_fallback_relay = [127.0.0.2]:%d\n"
                       % (port, sport))
    try:
        inst.start()
        inst.sendmail(["-f", SENDER, "someone@example.org"], "Subject: via relayhost\n\nx\n")
        R.true("relayhost to smtp-sink", status_line(
            inst, "someone@example.org", r"relay=127\.0\.0\.2\[127\.0\.0\.2\]:%d, %sdsn=2\.0\.0, "
            r"status=sent \(250 2\.0\.0 Ok\)" % (sport, DELAYS)), inst.log()[-800:])
        R.true("removed after relaying", inst.wait_log(r"[0-9A-F]+: removed$"))
        fb.start()
        fb.sendmail(["-f", SENDER, "other@example.org"], "Subject: via fallback\n\nx\n")
        R.true("relayhost refused", fb.wait_log(
            r"connect to 127\.0\.0\.5\[127\.0\.0\.5\]:%d: Connection refused$" % port),
            fb.queue_report())
        R.true("fallback relay takes it", status_line(
            fb, "other@example.org", r"relay=127\.0\.0\.2\[127\.0\.0\.2\]:%d, %sdsn=2\.0\.0, "
            r"status=sent \(250 2\.0\.0 Ok\)" % (sport, DELAYS)), fb.log()[-800:])
    finally:
        inst.cleanup()
        fb.cleanup()
        sink.terminate()
        sink.wait(timeout=10)


def config_problems():
    """A relayhost or fallback relay that does not resolve defers (4.3.5) with Postfix 3.7.11's
    warning; another next hop that does not resolve bounces.  Postfix logged, in the same setup
    (the names absent from the zone):
      warning: relayhost configuration problem
      to=<...>, relay=none, ..., dsn=4.3.5, status=deferred (Host or domain name not found. Name
        service error for name=nx.example.org type=A: Host not found)
      warning: smtp_fallback_relay configuration problem   (then the same deferral)
      to=<...>, relay=none, ..., dsn=5.4.4, status=bounced (...)   (transport_maps next hop)
    Postfix compares the next hop with relayhost as text: "[nx.example.org]:25" is not it."""
    nx = (r"relay=none, %%sdsn=%s, status=%s \(Host or domain name not found\. Name service error "
          r"for name=nx\.example\.org type=A: Host not found\)$")
    rh = pkit.Instance(main_extra="relayhost = [nx.example.org]\n"
                       "transport_maps = inline:{tm.example=smtp:[nx.example.org]:25}\n")
    fb = pkit.Instance(main_extra="smtp_fallback_relay = [nx.example.org]\n")
    try:
        rh.start()
        rh.sendmail(["-f", SENDER, "a@example.org"], "Subject: relayhost\n\nx\n")
        R.true("relayhost that does not resolve: deferred 4.3.5", status_line(
            rh, "a@example.org", nx % ("4\\.3\\.5", "deferred") % DELAYS), rh.log()[-800:])
        R.true("relayhost configuration problem", rh.wait_log(
            r"postfix/smtp\[\d+\]: warning: relayhost configuration problem$"), rh.log()[-800:])
        rh.sendmail(["-f", SENDER, "c@tm.example"], "Subject: transport\n\nx\n")
        R.true("transport_maps next hop that does not resolve: bounced", status_line(
            rh, "c@tm.example", nx % ("5\\.4\\.4", "bounced") % DELAYS), rh.log()[-800:])
        fb.start()
        fb.sendmail(["-f", SENDER, "b@nodomain.example"], "Subject: fallback\n\nx\n")
        R.true("fallback relay that does not resolve: deferred 4.3.5", status_line(
            fb, "b@nodomain.example", nx % ("4\\.3\\.5", "deferred") % DELAYS), fb.log()[-800:])
        R.true("smtp_fallback_relay configuration problem", fb.wait_log(
            r"postfix/smtp\[\d+\]: warning: smtp_fallback_relay configuration problem$"),
            fb.log()[-800:])
    finally:
        rh.cleanup()
        fb.cleanup()


TIMEOUTS = """\
smtp_connect_timeout = 5s
smtp_helo_timeout = 1s
smtp_mail_timeout = 1s
smtp_rcpt_timeout = 5s
smtp_data_init_timeout = 5s
smtp_data_xfer_timeout = 5s
smtp_data_done_timeout = 1s
smtp_quit_timeout = 5s
smtp_rset_timeout = 5s
"""


def timeouts(port):
    """A silent server, one that hangs up, one that stops answering: deferred as Postfix says."""
    tmap = ("mute.example smtp:[127.0.0.2]:{p}\ndrop.example smtp:[127.0.0.3]:{p}\n"
            "hang.example smtp:[127.0.0.4]:{p}\ndone.example smtp:[127.0.0.6]:{p}\n"
            "greet.example smtp:[127.0.0.7]:{p}\n").format(p=port)
    inst = pkit.Instance(main_extra=TIMEOUTS + "transport_maps = texthash:$config_directory/transport\n")
    inst.write("transport", tmap)
    servers = [Server("127.0.0.2", port, greeting="hang"), Server("127.0.0.3", port, mail=None),
               Server("127.0.0.4", port, mail="hang"), Server("127.0.0.6", port, done="hang"),
               Server("127.0.0.7", port, greeting="554 5.3.2 go away")]
    try:
        inst.start()
        inst.sendmail(["-f", SENDER, "a@mute.example", "b@drop.example", "c@hang.example", "d@done.example",
                       "e@greet.example"], "Subject: slow\n\nx\n")
        # smtp_skip_5xx_greeting (default yes): a 5xx greeting defers, even from the last server
        R.true("5xx greeting defers", status_line(
            inst, "e@greet.example", r"relay=127\.0\.0\.7\[127\.0\.0\.7\]:%d, %sdsn=4\.3\.2, status=deferred "
            r"\(host 127\.0\.0\.7\[127\.0\.0\.7\] refused to talk to me: 554 5\.3\.2 go away\)"
            % (port, DELAYS)), lines_for(inst, "greet"))
        for to, host, text in (
                ("a@mute.example", "127.0.0.2", "conversation with 127.0.0.2[127.0.0.2] timed out while "
                 "receiving the initial server greeting"),
                ("b@drop.example", "127.0.0.3", "lost connection with 127.0.0.3[127.0.0.3] while sending "
                 "MAIL FROM"),
                ("c@hang.example", "127.0.0.4", "conversation with 127.0.0.4[127.0.0.4] timed out while "
                 "sending MAIL FROM"),
                ("d@done.example", "127.0.0.6", "conversation with 127.0.0.6[127.0.0.6] timed out while "
                 "sending end of data -- message may be sent more than once")):
            R.true("deferred: %s" % text, status_line(
                inst, to, r"relay=%s\[%s\]:%d, %sdsn=4\.4\.2, status=deferred \(%s\)"
                % (re.escape(host), re.escape(host), port, DELAYS, re.escape(text)), timeout=15),
                lines_for(inst, to))
    finally:
        inst.cleanup()
        for s in servers:
            s.stop()


def no_dns(port):
    """disable_dns_lookups: native lookups; discarded EHLO keywords; long lines; no caching."""
    inst = pkit.Instance(main_extra="disable_dns_lookups = yes\nrelayhost = localhost:%d\n"
                         "smtp_discard_ehlo_keywords = 8bitmime, pipelining\nsmtp_line_length_limit = 100\n"
                         "smtp_connection_cache_on_demand = no\nsmtp_never_send_ehlo = no\n" % port)
    never = pkit.Instance(main_extra="relayhost = [127.0.0.1]:%d\nsmtp_never_send_ehlo = yes\n" % port)
    s = Server("127.0.0.1", port, exts=("PIPELINING", "8BITMIME", "SIZE 100000"))
    try:
        inst.start()
        inst.sendmail(["-f", SENDER, "a@example.org"], MULTIPART.encode("latin-1"))
        R.true("native lookup of the relayhost", status_line(
            inst, "a@example.org", r"relay=localhost\[127\.0\.0\.1\]:%d, .*status=sent" % port),
            inst.log()[-800:])
        got = body_of(s.messages[0][2]) if s.messages else ""
        R.check("discarded 8BITMIME: downgraded", got.rstrip("\r\n"), MULTIPART_7BIT.rstrip("\r\n"))
        R.check("discarded SIZE? no: SIZE kept, PIPELINING gone",
                [c for c in s.commands() if c.startswith("MAIL")], ["MAIL FROM:<nobody@mail.example.com>"])
        inst.sendmail(["-f", SENDER, "b@example.org"], "Subject: long\n\n" + "0123456789" * 25 + "\n")
        R.true("long line sent", status_line(inst, "b@example.org", r".*status=sent"))
        got = body_of(s.messages[1][2]) if len(s.messages) > 1 else ""
        R.check("broken at smtp_line_length_limit", got,
                "0123456789" * 10 + "\r\n " + "0123456789" * 10 + "\r\n " + "0123456789" * 5 + "\r\n")
        R.check("no connection cache: one connection each", s.conns, 2)
        never.start()
        never.sendmail(["-f", SENDER, "c@example.org"], "Subject: helo\n\nx\n")
        R.true("smtp_never_send_ehlo delivers", status_line(never, "c@example.org", r".*status=sent"))
        R.true("HELO only", "HELO mail.example.com" in s.commands() and
               s.commands().count("EHLO mail.example.com") == 2, str(s.commands()))
    finally:
        inst.cleanup()
        never.cleanup()
        s.stop()


def no_mime_conversion(port):
    """disable_mime_output_conversion = yes: 8-bit mail reaches a server without 8BITMIME as it is."""
    inst = pkit.Instance(main_extra="relayhost = [127.0.0.1]:%d\ndisable_mime_output_conversion = yes\n"
                         "smtp_connection_cache_on_demand = no\n" % port)
    s = Server("127.0.0.1", port, exts=("PIPELINING", "SIZE 100000"))
    try:
        inst.start()
        inst.sendmail(["-f", SENDER, "raw@example.org"], MULTIPART.encode("latin-1"))
        R.true("no conversion: sent", status_line(inst, "raw@example.org", r".*status=sent"))
        got = body_of(s.messages[0][2]) if s.messages else ""
        want = body_of(("Subject: mp\r\n\r\n" + MULTIPART.split("\n\n", 1)[1].replace("\n", "\r\n")
                        .replace("\r\n.dot", "\r\n..dot")).encode("latin-1"))
        R.check("no conversion: the 8-bit body unchanged", got, want)
        R.true("no conversion: SIZE still given",
               any(c.startswith("MAIL") and " SIZE=" in c for c in s.commands()), str(s.commands()))
    finally:
        inst.cleanup()
        s.stop()


def smtputf8(port):
    """SMTPUTF8 as Postfix 3.7.11 passes it on: MAIL ... SMTPUTF8 when the client asked for it
    (or sendmail's mail is not ASCII) and the server offers it; without the offer, mail whose
    envelope or headers are not ASCII bounces with 5.6.7, ASCII mail goes on without it."""
    inst = pkit.Instance(main_extra="relayhost = [127.0.0.1]:%d\nsmtp_connection_cache_on_demand = no\n"
                         "mynetworks = 127.0.0.0/8\n" % port)
    try:
        inst.start()
        for offer in (True, False):
            s = Server("127.0.0.1", port, exts=("PIPELINING", "8BITMIME") + (("SMTPUTF8",) if offer else ()))
            try:
                c = inst.session()
                c.cmd("EHLO client.example")
                tag = "u8" if offer else "ascii"
                for rcpt, subject in (("%s-a@example.org" % tag, "plain"), ("%s-h@example.org" % tag, "caf\u00e9")):
                    c.cmd("MAIL FROM:<s@example.net> SMTPUTF8")
                    c.cmd("RCPT TO:<%s>" % rcpt)
                    c.data("Subject: %s\n\nb\n" % subject)
                c.cmd("QUIT")
                c.close()
                inst.sendmail(["-f", "s@example.net", "j\u00fcrgen-%s@example.org" % tag], "Subject: x\n\nb\n")
                if offer:
                    # the maillog is read as latin-1: a UTF-8 address shows as its bytes
                    R.true("smtputf8: all sent", all(status_line(inst, r.encode().decode("latin-1"), r".*status=sent")
                                                     for r in ("u8-a@example.org", "u8-h@example.org",
                                                               "j\u00fcrgen-u8@example.org")))
                    mails = [c for c in s.commands() if c.startswith("MAIL")]
                    R.true("smtputf8: offered, asked each time",
                           len(mails) == 3 and all(m.endswith(" SMTPUTF8") for m in mails), str(mails))
                else:
                    R.true("smtputf8: ASCII mail goes on without it",
                           status_line(inst, "ascii-a@example.org", r".*status=sent"))
                    for r in ("ascii-h@example.org", "j\u00fcrgen-ascii@example.org"):
                        R.true("smtputf8: not offered, %s bounced" % r, status_line(
                            inst, r.encode().decode("latin-1"), r"relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d, .*dsn=5\.6\.7, status=bounced "
                            r"\(SMTPUTF8 is required, but was not offered by host 127\.0\.0\.1\[127\.0\.0\.1\]\)"
                            % port))
                    R.true("smtputf8: never asked without the offer",
                           not any("SMTPUTF8" in c for c in s.commands()), str(s.commands()))
            finally:
                s.stop()
    finally:
        inst.cleanup()


# What Postfix 3.7.11 relayed to a server that offers 8BITMIME, for mail it received over SMTP
# (case, MAIL parameters from the client, message, the BODY= its smtp client sent): the
# client's BODY= is kept (7BIT too), a Content-Transfer-Encoding header whose whole value is
# 8bit or binary (of the message, a part or an attached message) makes it 8BITMIME; 8-bit
# bytes alone, in the header or the body, do not.
BODY_CASES = [
    ("ascii", [], b"Subject: ascii\r\n\r\nplain\r\n", ""),
    ("raw8", [], b"Subject: raw8\r\n\r\ncaf\xc3\xa9\r\n", ""),
    ("hdr8", [], b"Subject: caf\xc3\xa9\r\n\r\nplain\r\n", ""),
    ("cte8", [], b"Subject: cte8\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
     b"Content-Transfer-Encoding: 8bit\r\n\r\nplain ascii\r\n", " BODY=8BITMIME"),
    ("body8", ["BODY=8BITMIME"], b"Subject: body8\r\n\r\nplain\r\n", " BODY=8BITMIME"),
    ("body7", ["BODY=7BIT"], b"Subject: body7\r\n\r\ncaf\xc3\xa9\r\n", " BODY=7BIT"),
    ("body7cte8", ["BODY=7BIT"], b"Subject: a\r\nMIME-Version: 1.0\r\n"
     b"Content-Transfer-Encoding: 8bit\r\n\r\nplain\r\n", " BODY=8BITMIME"),
    ("cte7raw", [], b"Subject: cte7raw\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: 7bit\r\n"
     b"\r\ncaf\xc3\xa9\r\n", ""),
    ("nomime", [], b"Subject: nomime\r\nContent-Transfer-Encoding: BINARY\r\n\r\nplain\r\n",
     " BODY=8BITMIME"),
    ("folded", [], b"Subject: h\r\nContent-Transfer-Encoding:\r\n 8bit\r\n\r\nplain\r\n", " BODY=8BITMIME"),
    ("comment", [], b"Subject: f\r\nContent-Transfer-Encoding: 8bit (comment)\r\n\r\nplain\r\n", ""),
    ("param", [], b"Subject: k\r\nContent-Transfer-Encoding: 8bit; x\r\n\r\nplain\r\n", ""),
    ("inbody", [], b"Subject: c\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
     b"Content-Transfer-Encoding: 8bit\r\n", ""),
    ("part8", [], b"Subject: part8\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=BB\r\n"
     b"\r\n--BB\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\nascii\r\n"
     b"--BB--\r\n", " BODY=8BITMIME"),
    ("attached8", [], b"Subject: j\r\nMIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n"
     b"Subject: inner\r\nContent-Transfer-Encoding: 8bit\r\n\r\nx\r\n", " BODY=8BITMIME"),
]


def body_encoding(port):
    """BODY= on the way out, from the client's BODY= and the message's headers, not its bytes
    (BODY_CASES); postcat shows the encoding as Postfix's does: the client's among the envelope
    records, cleanup's own in the extracted section."""
    inst = pkit.Instance(main_extra="relayhost = [127.0.0.1]:%d\nsmtp_connection_cache_on_demand = no\n"
                         "mynetworks = 127.0.0.0/8\nsmtpd_recipient_restrictions = "
                         "check_recipient_access inline:{hold@example.org=HOLD}\n" % port)
    s = Server("127.0.0.1", port, exts=("PIPELINING", "8BITMIME"))
    try:
        inst.start()
        for name, opts, msg, _ in BODY_CASES:
            c = smtplib.SMTP("127.0.0.1", inst.port, timeout=30)
            c.sendmail(name + "@sender.example", ["to-%s@example.org" % name], msg, mail_options=opts)
            c.quit()
        # sendmail -B as Postfix's: the encoding of local mail, 8-bit bytes or not
        for name, opts, msg in (("sm8", ["-B", "8BITMIME"], b"Subject: x\n\nplain\n"),
                                ("sm7", ["-B", "7BIT"], b"Subject: x\n\ncaf\xc3\xa9\n"),
                                ("smraw", [], b"Subject: x\n\ncaf\xc3\xa9\n")):
            r = inst.sendmail(opts + ["-f", name + "@sender.example", "to-%s@example.org" % name], msg)
            R.check("sendmail %s" % name, r.returncode, 0)
        cases = BODY_CASES + [("sm8", [], b"", " BODY=8BITMIME"), ("sm7", [], b"", " BODY=7BIT"),
                              ("smraw", [], b"", "")]
        for name, _, _, _ in cases:
            status_line(inst, "to-%s@example.org" % name, r".*status=sent")
        mails = {}
        for c in s.commands():
            m = re.match(r"MAIL FROM:<(\w+)@sender\.example>(.*)", c)
            if m:
                mails[m.group(1)] = m.group(2)
        for name, _, _, want in cases:
            R.check("BODY= for %s" % name, mails.get(name), want)
        for name, opts, msg in (("x", ["BODY=8BITMIME"], b"Subject: x\r\nContent-Transfer-Encoding: 8bit"
                                 b"\r\n\r\nplain\r\n"), ("y", ["BODY=7BIT"], b"Subject: y\r\n\r\nplain\r\n"),
                                ("z", [], b"Subject: z\r\nContent-Transfer-Encoding: binary\r\n\r\nplain\r\n"),
                                ("w", [], b"Subject: w\r\n\r\ncaf\xc3\xa9\r\n")):
            c = smtplib.SMTP("127.0.0.1", inst.port, timeout=30)
            c.sendmail(name + "@sender.example", ["hold@example.org"], msg, mail_options=opts)
            c.quit()
        got = []
        for qid in inst.queue_files("hold"):
            r = subprocess.run([os.path.join(pkit.TOP_BUILDDIR, "tools", "postcat", "postcat"), "-c",
                                inst.dir, "-e", inst.path("queue", "hold", qid)],
                               capture_output=True, text=True, timeout=60, env=inst.env())
            sender = re.search(r"^sender: (\w+)@", r.stdout, re.M)
            lines = [l for l in r.stdout.splitlines() if "encoding=" in l or l.startswith("*** HEADER")]
            got.append((sender.group(1) if sender else "?", lines))
        ext = "*** HEADER EXTRACTED"
        # Postfix 3.7.11's postcat -e, the encoding lines and the section line between them
        R.check("postcat: encoding records", sorted((n, [l.split(" /")[0] if l.startswith(ext) else l
                                                          for l in ls]) for n, ls in got),
                [("w", [ext]),
                 ("x", ["named_attribute: encoding=8bit", ext, "named_attribute: encoding=8bit"]),
                 ("y", ["named_attribute: encoding=7bit", ext, "named_attribute: encoding=7bit"]),
                 ("z", [ext, "named_attribute: encoding=8bit"])])
    finally:
        inst.cleanup()
        s.stop()


def relay_service(inst, port):
    """relay_domains go to relay_transport: an smtp service with its own -o overrides."""
    s = Server("127.0.0.3", port, done="250-2.0.0 first\r\n250 2.0.0 Ok: queued as ML",
               rcpt={"ml@relaydom.example": "550-5.1.1 The account does not exist.\r\n550-5.1.1 Please try"
                                            "\r\n550 5.1.1 again later"})
    try:
        inst.sendmail(["-f", SENDER, "x@relaydom.example", "ml@relaydom.example"], "Subject: relay\n\nx\n")
        relay = r"relay=relaydom\.example\[127\.0\.0\.3\]:%d, %s" % (port, DELAYS)
        R.true("relay transport delivers; multi-line reply quoted whole", status_line(
            inst, "x@relaydom.example", relay + r"dsn=2\.0\.0, status=sent \(250-2\.0\.0 first 250 2\.0\.0 Ok: "
            r"queued as ML\)"), lines_for(inst, "relaydom"))
        R.true("multi-line 550 quoted whole", status_line(
            inst, "ml@relaydom.example", relay + r"dsn=5\.1\.1, status=bounced \(host relaydom\.example"
            r"\[127\.0\.0\.3\] said: 550-5\.1\.1 The account does not exist\. 550-5\.1\.1 Please try "
            r"550 5\.1\.1 again later \(in reply to RCPT TO command\)\)"))
        R.check("the service's -o smtp_helo_name", s.commands()[0:1], ["EHLO relay-client.example.net"])
    finally:
        s.stop()


def sender_domain(inst):
    """smtpd's reject_unknown_sender_domain asks the same resolver adapter."""
    c = inst.session()
    c.cmd("EHLO client.example.com")
    got = []
    for sender in ("<a@example.org>", "<a@nomx.example.org>", "<a@nosuch.example.org>"):
        c.cmd("MAIL FROM:%s" % sender)
        got.append(c.cmd("RCPT TO:<nobody@mail.example.com>"))
        c.cmd("RSET")
    c.cmd("QUIT")
    c.close()
    R.check("sender domain with MX", got[0], "250 2.1.5 Ok")
    R.check("sender domain with an address", got[1], "250 2.1.5 Ok")
    R.check("sender domain not in the DNS", got[2],
            "450 4.1.8 <a@nosuch.example.org>: Sender address rejected: Domain not found")


def main():
    pkit.require_binaries()
    dns = DnsServer(ZONE)
    dns.start()
    os.environ["POSTKIT_DNS_SERVER"] = dns.env_value()
    port, lport = pkit.free_port(), pkit.free_port()
    tmap = ("smtpb.example smtp:[127.0.0.4]:{p}\nlmtpu.example lmtp:unix:{d}/lmtp.sock\n"
            "lmtpi.example lmtp:inet:127.0.0.4:{l}\nseven.example smtp:[127.0.0.7]:{p}\n"
            "helo.example smtp:[127.0.0.8]:{p}\n")
    inst = pkit.Instance(main_extra="smtp_tcp_port = %d\nsmtp_helo_name = client.example.net\n"
                         "smtp_bind_address = 127.0.0.9\nlmtp_lhlo_name = lmtp.example.net\n"
                         "lmtp_lhlo_timeout = 10s\nsmtp_dns_support_level = enabled\n"
                         "smtp_host_lookup = dns, native\nrelay_domains = relaydom.example\n"
                         "relay_transport = relayx\n"
                         "smtpd_sender_restrictions = reject_unknown_sender_domain\n"
                         "transport_maps = texthash:$config_directory/transport\n" % port,
                         master_extra="lmtp      unix  -       -       n       -       -       lmtp\n"
                         "relayx    unix  -       -       n       -       -       smtp\n"
                         "  -o smtp_helo_name=relay-client.example.net\n")
    inst.write("transport", tmap.format(p=port, l=lport, d=inst.dir))
    try:
        inst.start()
        mx_and_results(inst, port)
        transports(inst, port, lport)
        reuse(inst, port)
        relay_service(inst, port)
        sender_domain(inst)
    finally:
        inst.cleanup()
    relayhost_and_fallback(port)
    config_problems()
    no_mime_conversion(port)
    smtputf8(port)
    body_encoding(port)
    timeouts(port)
    no_dns(port)
    R.true("every DNS query went to the test server", len(dns.queries()) > 0, str(dns.queries()))
    dns.stop()
    R.finish()


if __name__ == "__main__":
    main()
