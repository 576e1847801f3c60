#!/usr/bin/env python3
"""test_fail2ban.py - log readers (fail2ban, logwatch, pflogsumm) read postkit's log as Postfix's.

One script of abusive SMTP traffic (relay attempts, unknown users, a client
on a DNS blocklist, a bad HELO, an unknown sender domain, too many errors,
lost connections, improper pipelining, failed SASL logins) and one normal
message go to a postkit instance; each session takes its own client address
with XCLIENT.  Then fail2ban-regex (Debian's fail2ban) runs the stock
filter.d/postfix.conf over the maillog in every mode, logwatch's postfix
service must find no unmatched entries, and pflogsumm's grand totals must be
Postfix's.  The expected counts and totals are what the same traffic gave on
Postfix 3.7.11: run unchanged against it with

    PFORACLE_DNS=1 python3 tests/integ/pforacle.py --dns ZONEFILE \
        tests/integ/test_fail2ban.py --oracle

(ZONEFILE holds ZONE below); it prints the counts for EXPECTED and the totals
for TOTALS.
"""
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402
import tls_setup  # noqa: E402

try:
    from dnsserver import DnsServer  # noqa: E402
except ImportError:
    DnsServer = None

R = pkit.Results("fail2ban")

FILTER = "/etc/fail2ban/filter.d/postfix.conf"
MODES = ("normal", "more", "rbl", "auth", "ddos", "extra", "aggressive", "errors")

ZONE = """\
10.100.51.198.bl.example. 60 IN A 127.0.0.2
10.100.51.198.bl.example. 60 IN TXT "listed for abuse"
good.example. 60 IN MX 10 mx.good.example.
mx.good.example. 60 IN A 192.0.2.1
"""

# failregex matches per mode for the traffic below, from Postfix 3.7.11
EXPECTED = {
    "normal": 7, "more": 7, "rbl": 1, "auth": 2, "ddos": 2, "extra": 9, "aggressive": 11,
    "errors": 1,
}

# pflogsumm's "Grand Totals" for that traffic on Postfix 3.7.11
TOTALS = (
    'Grand Totals\n'
    '------------\n'
    'messages\n'
    '\n'
    '      2   received\n'
    '      1   delivered\n'
    '      0   forwarded\n'
    '      0   deferred\n'
    '      0   bounced\n'
    '      5   rejected (83%)\n'
    '      0   reject warnings\n'
    '      0   held\n'
    '      0   discarded (0%)\n'
    '\n'
    '    346   bytes received\n'
    '    346   bytes delivered\n'
    '      1   senders\n'
    '      1   sending hosts/domains\n'
    '      1   recipients\n'
    '      1   recipient hosts/domains')

MAIN = """\
smtpd_helo_required = yes
smtpd_hard_error_limit = 3
smtpd_soft_error_limit = 2
smtpd_client_restrictions = reject_rbl_client bl.example
smtpd_helo_restrictions = reject_non_fqdn_helo_hostname
smtpd_sender_restrictions = reject_unknown_sender_domain
smtpd_recipient_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {sock}
smtpd_tls_auth_only = no
"""


def session(inst, addr, name="client.good.example"):
    """A session whose client is addr (XCLIENT), greeted again."""
    s = pkit.Session(inst.port)
    s.cmd("EHLO xclient.example")
    r = s.cmd("XCLIENT ADDR=%s NAME=%s" % (addr, name))
    if not r.startswith("220"):
        raise RuntimeError("XCLIENT refused: %s" % r)
    return s


def envelope(s, helo="client.good.example", sender="s@good.example", rcpt="root@example.com"):
    s.cmd("EHLO " + helo)
    s.cmd("MAIL FROM:<%s>" % sender)
    return s.cmd("RCPT TO:<%s>" % rcpt)


def quit(s):
    s.cmd("QUIT")
    s.close()


def traffic(inst):
    """The same sessions for postkit and for the oracle; returns the number of sessions."""
    cases = [
        ("198.51.100.21", dict(rcpt="x@elsewhere.example")),         # relay access denied
        ("198.51.100.22", dict(rcpt="nosuch@example.com")),          # user unknown
        ("198.51.100.10", dict()),                                   # blocklisted client
        ("198.51.100.23", dict(helo="foo")),                         # helo not fully qualified
        ("198.51.100.24", dict(sender="s@nxdomain.example")),        # sender domain not found
    ]
    for addr, kw in cases:
        s = session(inst, addr)
        envelope(s, **kw)
        quit(s)
    # too many errors
    s = session(inst, "198.51.100.25")
    for _ in range(4):
        try:
            s.cmd("FOO")
        except (EOFError, OSError):
            break
    s.close()
    # lost connections after EHLO and after RCPT
    s = session(inst, "198.51.100.26")
    s.cmd("EHLO client.good.example")
    s.close()
    s = session(inst, "198.51.100.27")
    envelope(s)
    s.close()
    # improper pipelining: MAIL sent before the EHLO reply
    s = session(inst, "198.51.100.28")
    s.send("EHLO client.good.example\r\nMAIL FROM:<s@good.example>\r\n")
    s.reply()
    s.reply()
    quit(s)
    # failed SASL logins, PLAIN and LOGIN
    s = session(inst, "198.51.100.29")
    s.cmd("EHLO client.good.example")
    s.cmd("AUTH PLAIN " + base64.b64encode(b"\0alice\0wrong").decode())
    s.cmd("AUTH LOGIN")
    s.cmd(base64.b64encode(b"alice").decode())
    s.cmd(base64.b64encode(b"wrong").decode())
    quit(s)
    # a normal message: nothing to match
    s = session(inst, "198.51.100.30")
    envelope(s)
    s.data("Subject: hello\n\nfine\n")
    quit(s)
    return len(cases) + 6


def counts(log):
    """failregex matches of the stock filter in every mode."""
    got = {}
    for mode in MODES:
        r = subprocess.run(["fail2ban-regex", log, "%s[mode=%s]" % (FILTER, mode)],
                           capture_output=True, text=True, timeout=120)
        m = re.search(r"^Failregex: (\d+) total", r.stdout, re.M)
        got[mode] = int(m.group(1)) if m else None
    return got


def logwatch_unmatched(log):
    """The unmatched entries logwatch's postfix service reports for log (None: no logwatch)."""
    if not tls_setup.have("logwatch"):
        return None
    d = tempfile.mkdtemp(prefix="postkit-logwatch-")
    try:
        shutil.copy(log, os.path.join(d, "mail.log"))
        r = subprocess.run(["logwatch", "--logdir", d, "--service", "postfix", "--range", "All",
                            "--detail", "High", "--output", "stdout"],
                           capture_output=True, text=True, timeout=120)
        out = r.stdout
        return out[out.index("Unmatched Entries"):] if "Unmatched Entries" in out else ""
    finally:
        shutil.rmtree(d, ignore_errors=True)


def pflogsumm_totals(log):
    """pflogsumm's Grand Totals section (None: no pflogsumm)."""
    if not tls_setup.have("pflogsumm"):
        return None
    out = subprocess.run(["pflogsumm", log], capture_output=True, text=True, timeout=120).stdout
    start = out.find("Grand Totals")
    end = out.find("Per-Hour Traffic Summary")
    return out[start:end].strip() if start >= 0 and end > start else out


def main():
    oracle = "--oracle" in sys.argv
    if not pkit.IS_ROOT:
        print("skipped: needs root (master and smtpd run as mail_owner)")
        sys.exit(77)
    if not tls_setup.have("fail2ban-regex") or not os.path.exists(FILTER):
        print("fail2ban (fail2ban-regex and filter.d/postfix.conf) not installed: skipping")
        sys.exit(77)
    tls_setup.require_tls_tools(need_dovecot=True)
    dns = None
    if not os.environ.get("PFORACLE_DNS"):
        if DnsServer is None:
            print("python3-dnslib is not installed: skipping")
            sys.exit(77)
        dns = DnsServer(ZONE)
        dns.start()
        os.environ["POSTKIT_DNS_SERVER"] = dns.env_value()
    dove = tls_setup.Dovecot({"alice": "secret"})
    if oracle:
        import pforacle
        inst = pforacle.PfInstance(main_extra=MAIN.format(sock=dove.socket))
    else:
        inst = pkit.Instance(main_extra=MAIN.format(sock=dove.socket))
    try:
        inst.start()
        os.makedirs(inst.path("mail"), exist_ok=True)
        os.chmod(inst.path("mail"), 0o1777)
        sessions = traffic(inst)
        R.true("the normal message was accepted", inst.wait_log(r"from=<s@good\.example>, size="))
        # every session's last line: an smtpd that saw its client go may log after later sessions
        R.true("every session logged its disconnect",
               inst.wait_log(r"\]: disconnect from ", count=sessions), inst.log())
        inst.wait_log(r"status=sent \(delivered to mailbox\)")
        inst.wait_log(r": removed$")
        got = counts(inst.path("maillog"))
        totals = pflogsumm_totals(inst.path("maillog"))
        if oracle:
            print(got)
            print(repr(totals))
            print(inst.log())
        unmatched = logwatch_unmatched(inst.path("maillog"))
        if unmatched is not None:
            R.check("logwatch: no unmatched entries", unmatched, "")
        if totals is not None and TOTALS is not None:
            R.check("pflogsumm: the grand totals of Postfix", totals, TOTALS)
        for mode in MODES:
            R.check("fail2ban mode %s: matches as on Postfix" % mode, got[mode], EXPECTED[mode])
        if any(got[m] != EXPECTED[m] for m in MODES):
            print(inst.log())
    finally:
        inst.cleanup()
        dove.stop()
        if dns:
            dns.stop()
    R.finish()


if __name__ == "__main__":
    main()
