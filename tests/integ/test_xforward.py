#!/usr/bin/env python3
"""test_xforward.py - XFORWARD: smtpd's command, the smtp client's, the filter loop.

- smtpd: the EHLO keyword for smtpd_authorized_xforward_hosts only, every
  reply of the command, what the forwarded client changes (the client= log
  line, cleanup's action lines, the queue file) and what it does not
  (restrictions, the Received: header), and when it is forgotten.
- the smtp client with smtp_send_xforward_command = yes: the XFORWARD
  commands a small server that announces XFORWARD receives before MAIL.
- the after-queue content filter loop of FILTER_README: content_filter hands
  the message to a filter that passes XFORWARD on, adds a header and
  reinjects into a second smtpd that trusts it; the final log lines name the
  original client, and the message is delivered once (test_content.py runs
  the same loop without XFORWARD).

The expected texts are what Postfix 3.7.11 answered and logged: run

    POSTKIT_ORACLE=1 tests/integ/test_xforward.py

as root with Debian's Postfix to run the same checks against a private
Postfix instance (127.0.0.1, a free port, a temporary directory).
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402
import test_content  # noqa: E402  (its Filter's listener, its Postfix Oracle)

R = pkit.Results("xforward")
ORACLE = bool(os.environ.get("POSTKIT_ORACLE"))
KEYWORD = "XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT"
OK = "250 2.0.0 Ok"
ATTR = "501 5.5.4 Error: attribute=value expected"
LONG = "501 5.5.4 Error: attribute value too long"
MAIL = "MAIL FROM:<a@example.net>"
RCPT = "RCPT TO:<root@example.com>"

# (command, last reply line) before any transaction, from an authorized client
COMMANDS = [
    ("XFORWARD", "501 5.5.4 Syntax: XFORWARD attribute=value..."),
    ("XFORWARD FOO=bar", "501 5.5.4 Bad XFORWARD attribute name: FOO"),
    ("XFORWARD =x", "501 5.5.4 Bad XFORWARD attribute name: "),
    ("XFORWARD NAME", ATTR),
    ("XFORWARD NAME=", ATTR),
    ("XFORWARD NAME=a.example foo", ATTR),
    ("XFORWARD NAME=bad_name!", "501 5.5.4 Bad NAME syntax: bad_name!"),
    ("XFORWARD NAME=192.0.2.5", "501 5.5.4 Bad NAME syntax: 192.0.2.5"),
    ("XFORWARD NAME=a+3Db", "501 5.5.4 Bad NAME syntax: a=b"),
    ("XFORWARD NAME=a+0D+0Ab", "501 5.5.4 Bad NAME syntax: a??b"),
    ("XFORWARD NAME=a+20b", "501 5.5.4 Bad NAME syntax: a?b"),
    ("XFORWARD SOURCE=x+0Ay", "501 5.5.4 Bad SOURCE syntax: x?y"),
    ("XFORWARD FOO+0A=1", "501 5.5.4 Bad XFORWARD attribute name: FOO+0A"),
    ("XFORWARD NAME=[TEMPUNAVAIL]", "501 5.5.4 Bad NAME syntax: [TEMPUNAVAIL]"),
    ("XFORWARD ADDR=notanip", "501 5.5.4 Bad ADDR syntax: notanip"),
    ("XFORWARD ADDR=IPV6:2001:db8::1", "501 5.5.4 Bad ADDR syntax: IPV6:2001:db8::1"),
    ("XFORWARD ADDR=[TEMPUNAVAIL]", "501 5.5.4 Bad ADDR syntax: [TEMPUNAVAIL]"),
    ("XFORWARD PORT=123456", "501 5.5.4 Bad PORT syntax: 123456"),
    ("XFORWARD PORT=65536", OK),
    ("XFORWARD SOURCE=FOO", "501 5.5.4 Bad SOURCE syntax: FOO"),
    ("XFORWARD source=local", OK),
    ("XFORWARD PROTO=" + "p" * 64, OK),
    ("XFORWARD PROTO=" + "p" * 65, "501 5.5.4 Bad PROTO syntax: " + "p" * 65),
    ("XFORWARD HELO=" + "h" * 255, OK),
    ("XFORWARD HELO=" + "h" * 256, LONG),
    ("XFORWARD HELO=" + "+41" * 200, LONG),
    ("XFORWARD HELO=[TEMPUNAVAIL] IDENT=[UNAVAILABLE]", OK),
]

FULL = "XFORWARD NAME=fwd.example ADDR=192.0.2.7 PORT=1234 PROTO=ESMTP HELO=fwdhelo.example " \
       "IDENT=abc SOURCE=REMOTE"
ODD = "XFORWARD NAME=ok.example ADDR=192.0.2.3 PORT=1 PROTO=a+20b+3C+3A+40x " \
      "HELO=h+20+3C+3E+28+29+22+3B+3A+40+5C+01x IDENT=ID1 SOURCE=remote"

# transactions: (commands before MAIL, subject, the client= line after "QID: ")
TRANSACTIONS = [
    ([FULL], "t1", "client=localhost[127.0.0.1], orig_queue_id=abc, "
                   "orig_client=fwd.example[192.0.2.7]"),
    ([], "t2", "client=localhost[127.0.0.1]"),
    # the access table rejects 192.0.2.9: restrictions see the real client
    (["XFORWARD ADDR=192.0.2.9 NAME=[UNAVAILABLE]"], "t3",
     "client=localhost[127.0.0.1], orig_client=unknown[192.0.2.9]"),
    # a refused command leaves what came before
    (["XFORWARD ADDR=192.0.2.1", "XFORWARD PORT=bad", "XFORWARD NAME=h+41x.example PORT=abc"],
     "t4", "client=localhost[127.0.0.1], orig_client=unknown[192.0.2.1]"),
    (["XFORWARD NAME=rset.example", "RSET"], "t5", "client=localhost[127.0.0.1]"),
    (["XFORWARD NAME=only.example", "XFORWARD IDENT=q+3Cr+3A"], "t6",
     "client=localhost[127.0.0.1], orig_queue_id=q?r:, orig_client=only.example"),
    (["XFORWARD NAME=hello.example", "HELO again.example"], "t7", "client=localhost[127.0.0.1]"),
    ([ODD], "hold", "client=localhost[127.0.0.1], orig_queue_id=ID1, "
                    "orig_client=ok.example[192.0.2.3]"),
]
REPLIES = {
    "XFORWARD PORT=bad": "501 5.5.4 Bad PORT syntax: bad",
    "XFORWARD NAME=h+41x.example PORT=abc": "501 5.5.4 Bad PORT syntax: abc",
    "HELO again.example": "250 mail.example.com",
}
HOLD_LINE = ("hold: header Subject: hold from ok.example[192.0.2.3]; from=<a@example.net> "
             "to=<root@example.com> proto=a?b?:?x helo=<h???????:???x>")
QUEUE_FILE = [
    "named_attribute: log_ident=ID1",
    "named_attribute: rewrite_context=remote",
    "named_attribute: log_client_name=ok.example",
    "named_attribute: log_client_address=192.0.2.3",
    "named_attribute: log_client_port=1",
    "named_attribute: log_message_origin=ok.example[192.0.2.3]",
    "named_attribute: log_helo_name=h???????:???x",
    "named_attribute: log_protocol_name=a?b?:?x",
]
DISCONNECT = ("disconnect from localhost[127.0.0.1] helo=1 ehlo=1 xforward=14/39 mail=8 rcpt=8 "
              "data=8 rset=1 quit=1 commands=42/67")


def instance(main_extra="", master_extra=""):
    """A postkit instance, or Postfix's with POSTKIT_ORACLE=1."""
    if ORACLE:
        return test_content.Oracle(main_extra, master_extra)
    return pkit.Instance(main_extra, master_extra)


def postcat(inst, path):
    prog = "/usr/sbin/postcat" if ORACLE else os.path.join(pkit.TOP_BUILDDIR, "tools", "postcat",
                                                            "postcat")
    return subprocess.run([prog, "-c", inst.dir, "-e", path], capture_output=True, text=True,
                          timeout=30).stdout


def log_lines(inst, rx):
    """The maillog lines matching rx, from the program name on."""
    out = []
    for line in inst.log().splitlines():
        m = re.search(r"postfix/([a-z]+)\[\d+\]: (.*)", line)
        if m and re.search(rx, m.group(2)):
            out.append(m.group(2))
    return out


def test_smtpd():
    """An authorized client: replies, log lines, queue file, mailbox."""
    # more error replies than the default smtpd_hard_error_limit allows
    inst = instance("smtpd_authorized_xforward_hosts = 127.0.0.1\n"
                    "smtpd_hard_error_limit = 100\n"
                    "header_checks = regexp:$config_directory/hc\n"
                    "smtpd_client_restrictions = check_client_access texthash:$config_directory/ca\n")
    inst.write("hc", "/^Subject: hold/ HOLD\n")
    inst.write("ca", "192.0.2.9 REJECT forwarded client\n")
    inst.start()
    s = inst.session()
    R.check("XFORWARD before EHLO", s.cmd("XFORWARD NAME=early.example"), OK)
    s.send("EHLO c.example\r\n")
    ehlo = s.reply()
    xc = [i for i, x in enumerate(ehlo) if x.startswith("250-XCLIENT ")]
    R.check("EHLO offers XFORWARD after XCLIENT", ehlo[xc[0] + 1] if xc else ehlo, "250-" + KEYWORD)
    for cmd, want in COMMANDS:
        R.check(cmd[:60], s.cmd(cmd), want)
    for pre, subject, _ in TRANSACTIONS:
        for cmd in pre:
            R.check("%s: %s" % (subject, cmd[:50]), s.cmd(cmd), REPLIES.get(cmd, OK))
        R.check("%s: MAIL" % subject, s.cmd(MAIL), "250 2.1.0 Ok")
        if subject == "t1":
            R.check("XFORWARD in a transaction", s.cmd("XFORWARD NAME=x.example"),
                    "503 5.5.1 Error: MAIL transaction in progress")
        R.check("%s: RCPT" % subject, s.cmd(RCPT), "250 2.1.5 Ok")
        R.true("%s: queued" % subject,
               s.data("Subject: %s\n\nbody\n" % subject).startswith("250 2.0.0 Ok: queued as "))
    s.cmd("QUIT")
    s.close()
    R.true("disconnect logged", inst.wait_log(r"disconnect from"))
    clients = [re.sub(r"^[0-9A-F]+: ", "", x) for x in log_lines(inst, r"^[0-9A-F]+: client=")]
    R.check("client= lines", clients, [t[2] for t in TRANSACTIONS])
    R.check("disconnect line", log_lines(inst, "^disconnect from"), [DISCONNECT])
    R.check("cleanup's hold line names the forwarded client",
            [re.sub(r"^[0-9A-F]+: ", "", x) for x in log_lines(inst, r": hold: ")], [HOLD_LINE])
    R.check("no reject for the forwarded 192.0.2.9", log_lines(inst, "reject:"), [])
    held = [os.path.join(inst.path("queue", "hold"), f) for f in inst.queue_files("hold")]
    R.check("one message on hold", len(held), 1)
    if held:
        got = [x for x in postcat(inst, held[0]).splitlines()
               if "log_" in x or "rewrite_context" in x]
        R.check("queue file: the forwarded attributes", got, QUEUE_FILE)
    R.true("delivered", inst.wait_log(r"status=sent", count=7))
    box = inst.mailbox("root")
    R.check("Received: names the real client",
            sorted(re.findall(r"Received: from (.*)", box)),
            ["again.example (localhost [127.0.0.1])"] + ["c.example (localhost [127.0.0.1])"] * 6)
    inst.cleanup()


def test_unauthorized():
    """A client outside smtpd_authorized_xforward_hosts."""
    inst = instance("smtpd_authorized_xforward_hosts = 192.0.2.0/24\n")
    inst.start()
    s = inst.session()
    s.send("EHLO c.example\r\n")
    R.true("EHLO does not offer XFORWARD", not any("XFORWARD" in x for x in s.reply()))
    R.check("unauthorized: no argument", s.cmd("XFORWARD"),
            "501 5.5.4 Syntax: XFORWARD attribute=value...")
    R.check("unauthorized", s.cmd("XFORWARD NAME=a.example"),
            "550 5.7.0 Error: insufficient authorization")
    R.check("unauthorized: bad attribute", s.cmd("XFORWARD FOO=1"),
            "550 5.7.0 Error: insufficient authorization")
    s.cmd(MAIL)
    R.check("unauthorized, in a transaction", s.cmd("XFORWARD NAME=a.example"),
            "503 5.5.1 Error: MAIL transaction in progress")
    s.cmd("QUIT")
    s.close()
    R.true("disconnect logged", inst.wait_log(r"disconnect from"))
    R.check("disconnect line", log_lines(inst, "^disconnect from"),
            ["disconnect from localhost[127.0.0.1] ehlo=1 xforward=0/4 mail=1 quit=1 commands=3/7"])
    inst.cleanup()


class Server(test_content.Filter):
    """A next hop that announces XFORWARD (with these attributes) and notes the commands."""

    def __init__(self, announce, reinject=None, header=b"", xreply="250 2.0.0 Ok"):
        self.announce, self.reinject, self.header = announce, reinject, header
        self.commands = []
        self.xreply = xreply  # the reply to XFORWARD; None: none at all
        super().__init__(reinject)  # listens, and runs session() per connection

    def session(self, conn):
        f = conn.makefile("rwb")
        envelope = []

        def say(text):
            f.write((text + "\r\n").encode())
            f.flush()

        say("220 filter.example ESMTP")
        for raw in f:
            cmd = raw.decode("latin-1").rstrip("\r\n")
            self.commands.append(cmd)
            verb = cmd.split(" ")[0].upper()
            if verb == "XFORWARD" and self.xreply != "250 2.0.0 Ok":
                if self.xreply:
                    say(self.xreply)
                continue
            if verb in ("EHLO", "LHLO"):
                say("250-filter.example\r\n250-XFORWARD %s\r\n250 8BITMIME" % self.announce)
            elif verb == "DATA":
                say("354 End data with <CR><LF>.<CR><LF>")
                data = b""
                for line in f:
                    if line == b".\r\n":
                        break
                    data += line
                say(self.relay(envelope, data))
                envelope = []
            elif verb == "QUIT":
                say("221 2.0.0 Bye")
                break
            else:
                if verb in ("XFORWARD", "MAIL", "RCPT"):
                    envelope.append(cmd)
                say("250 2.0.0 Ok")
        conn.close()

    def relay(self, envelope, data):
        """Reinject (XFORWARD passed on, a header added); the reply for the end of DATA."""
        if not self.reinject:
            return "250 2.0.0 Ok: kept"
        s = pkit.Session(self.reinject, timeout=20)
        s.cmd("EHLO filter.example")
        replies = [s.cmd(c) for c in envelope]
        s.send(b"DATA\r\n")
        s.reply()
        s.send(self.header + data + b".\r\n")
        replies.append(s.reply()[-1])
        s.cmd("QUIT")
        s.close()
        bad = [r for r in replies if not r.startswith("250")]
        return bad[0] if bad else "250 2.0.0 Ok: filtered"



def test_client():
    """smtp_send_xforward_command = yes: what the next hop gets before MAIL."""
    srv = Server("NAME ADDR PROTO HELO SOURCE PORT IDENT")
    inst = instance("smtpd_authorized_xforward_hosts = 127.0.0.1\n"
                    "smtp_send_xforward_command = yes\n"
                    "relayhost = [127.0.0.1]:%d\n"
                    "smtp_connection_cache_on_demand = no\n"
                    "mynetworks = 127.0.0.0/8\n" % srv.port)
    inst.start()
    sends = [(["XFORWARD NAME=only.example"], "x@remote.example"),
             (["XFORWARD HELO=fh.example ADDR=192.0.2.4 PORT=[UNAVAILABLE] SOURCE=REMOTE "
               "NAME=fwd+2Eexample IDENT=a+20b"], "y@remote.example"),
             ([], "z@remote.example")]
    qids = []
    for pre, rcpt in sends:
        s = inst.session()
        s.cmd("EHLO c.example")
        for cmd in pre:
            s.cmd(cmd)
        s.cmd(MAIL)
        s.cmd("RCPT TO:<%s>" % rcpt)
        qids.append(s.data("Subject: x\n\nb\n").split()[-1])
        s.cmd("QUIT")
        s.close()
        R.true("relayed to %s" % rcpt, inst.wait_log(r"to=<%s>.*status=sent" % rcpt))
    got = [c for c in srv.commands if c.startswith("XFORWARD")]
    want = ["XFORWARD NAME=only.example", "XFORWARD IDENT=%s SOURCE=LOCAL" % qids[0],
            "XFORWARD NAME=fwd.example ADDR=192.0.2.4", "XFORWARD HELO=fh.example IDENT=a?b SOURCE=REMOTE",
            "XFORWARD NAME=localhost ADDR=127.0.0.1 PORT=N",
            "XFORWARD PROTO=ESMTP HELO=c.example IDENT=%s SOURCE=LOCAL" % qids[2]]
    R.check("XFORWARD commands sent", [re.sub(r"PORT=\d+", "PORT=N", c) for c in got], want)
    R.check("each before MAIL", [srv.commands[i + 1].split(":")[0] for i, c in enumerate(srv.commands)
                                 if c.startswith("XFORWARD") and "IDENT" in c], ["MAIL FROM"] * 3)
    inst.cleanup()
    srv.close()


def test_lmtp_timeout():
    """lmtp_send_xforward_command; a refused XFORWARD; smtp_xforward_timeout."""
    lmtp = Server("NAME ADDR IDENT")
    mute = Server("NAME ADDR PROTO HELO SOURCE PORT IDENT", xreply=None)
    refuse = Server("HELO IDENT", xreply="451 4.3.0 not now")
    inst = instance("lmtp_send_xforward_command = yes\n"
                    "smtp_send_xforward_command = yes\n"
                    "smtp_xforward_timeout = 1s\n"
                    "lmtp_xforward_timeout = 1s\n"
                    "transport_maps = texthash:$config_directory/transport\n",
                    "xlmtp     unix  -       -       n       -       -       lmtp\n")
    inst.write("transport", "lmtp.example xlmtp:inet:[127.0.0.1]:%d\n"
                            "mute.example smtp:[127.0.0.1]:%d\n"
                            "refuse.example smtp:[127.0.0.1]:%d\n" % (lmtp.port, mute.port,
                                                                       refuse.port))
    inst.start()
    qids = []
    for rcpt in ("x@lmtp.example", "y@mute.example", "z@refuse.example"):
        s = inst.session()
        s.cmd("XCLIENT ADDR=192.0.2.10 NAME=trusted.example.net")
        s.cmd("EHLO origin.example")
        s.cmd(MAIL)
        s.cmd("RCPT TO:<%s>" % rcpt)
        qids.append(s.data("Subject: x\n\nb\n").split()[-1])
        s.cmd("QUIT")
        s.close()
    R.true("lmtp delivered", inst.wait_log(r"to=<x@lmtp.example>.*status=sent", timeout=15))
    R.check("LMTP: XFORWARD commands", [c for c in lmtp.commands if c.startswith("XFORWARD")],
            ["XFORWARD NAME=trusted.example.net ADDR=192.0.2.10", "XFORWARD IDENT=%s" % qids[0]])
    R.true("smtp deferred", inst.wait_log(r"to=<y@mute.example>.*status=deferred", timeout=15))
    R.check("smtp_xforward_timeout", [re.sub(r".*status=", "status=", x) for x in
                                      log_lines(inst, r"to=<y@mute.example>.*status=")],
            ["status=deferred (conversation with 127.0.0.1[127.0.0.1] timed out "
             "while sending XFORWARD name/address)"])
    R.true("refused XFORWARD: sent anyway", inst.wait_log(r"to=<z@refuse.example>.*status=sent"))
    R.check("refused XFORWARD: a warning",
            log_lines(inst, r"^warning: host .* said: "),
            ["warning: host 127.0.0.1[127.0.0.1]:%d said: 451 4.3.0 not now (in reply to "
             "XFORWARD helo/protocol command)" % refuse.port])
    inst.cleanup()
    for srv in (lmtp, mute, refuse):
        srv.close()


def test_filter_loop():
    """content_filter -> filter (XFORWARD passed on) -> reinjection smtpd -> mailbox, once."""
    reinject = pkit.free_port()
    flt = Server("NAME ADDR PROTO HELO SOURCE PORT IDENT", reinject, b"X-Filtered: yes\r\n")
    inst = instance(
        "content_filter = scan:[127.0.0.1]:%d\n" % flt.port,
        "scan      unix  -       -       n       -       10      smtp\n"
        "  -o smtp_send_xforward_command=yes\n"
        "127.0.0.1:%d inet  n       -       n       -       10      smtpd\n"
        "  -o content_filter=\n"
        "  -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks\n"
        "  -o smtpd_recipient_restrictions=permit_mynetworks,reject\n"
        "  -o smtpd_relay_restrictions=permit_mynetworks,reject\n"
        "  -o mynetworks=127.0.0.0/8\n"
        "  -o smtpd_authorized_xforward_hosts=127.0.0.0/8\n" % reinject)
    inst.start()
    s = inst.session()
    s.cmd("XCLIENT ADDR=192.0.2.10 NAME=trusted.example.net")
    s.cmd("EHLO origin.example")
    s.cmd(MAIL)
    s.cmd("RCPT TO:<nobody@example.com>")
    qid = s.data("Subject: loop\n\nbody\n").split()[-1]
    s.cmd("QUIT")
    s.close()
    R.true("delivered", inst.wait_mailbox("nobody", "X-Filtered: yes", timeout=20))
    inst.wait_log(r"status=sent \(delivered", timeout=10)
    clients = [re.sub(r"^[0-9A-F]+: ", "", x) for x in log_lines(inst, r"^[0-9A-F]+: client=")]
    R.check("the reinjected message names the original client", clients,
            ["client=trusted.example.net[192.0.2.10]",
             "client=localhost[127.0.0.1], orig_queue_id=%s, "
             "orig_client=trusted.example.net[192.0.2.10]" % qid])
    # the filter answers after the reinjection: the two lines come in either order
    inst.wait_log(r"status=sent", count=2, timeout=10)
    R.check("to the filter once, delivered once",
            sorted([re.sub(r"^[0-9A-F]+: to=<([^>]*)>, relay=([^,]*),.*status=(\w+).*", r"\1 \2 \3", x)
                    for x in log_lines(inst, r"status=")]),
            ["nobody@example.com 127.0.0.1[127.0.0.1]:%d sent" % flt.port,
             "nobody@example.com local sent"])
    R.check("XFORWARD to the filter",
            [re.sub(r"PORT=\d+", "PORT=N", c) for c in flt.commands if c.startswith("XFORWARD")],
            ["XFORWARD NAME=trusted.example.net ADDR=192.0.2.10 PORT=N",
             "XFORWARD PROTO=ESMTP HELO=origin.example IDENT=%s SOURCE=LOCAL" % qid])
    box = inst.mailbox("nobody")
    R.check("one copy", box.count("Subject: loop"), 1)
    R.check("Received: lines", re.findall(r"Received: from ([^\n]*)", box),
            ["filter.example (localhost [127.0.0.1])",
             "origin.example (trusted.example.net [192.0.2.10])"])
    inst.cleanup()
    flt.close()


def main():
    pkit.require_binaries()
    if not pkit.IS_ROOT:
        # mailboxes of several users and the oracle need root
        print("not root: skipping")
        sys.exit(77)
    test_smtpd()
    test_unauthorized()
    test_client()
    test_lmtp_timeout()
    test_filter_loop()
    R.finish()


if __name__ == "__main__":
    main()
