#!/usr/bin/env python3
"""test_rbl.py - DNS white- and blocklists in smtpd restrictions.

The test DNS server (dnsserver.py, python3-dnslib) on 127.0.0.1 serves the
list zones below; postkit asks it through POSTKIT_DNS_SERVER.  XCLIENT gives
each session the client address, name and reverse name a case needs.  The
replies and log lines are those of Postfix 3.7.11 for the same zones and
traffic: run unchanged against it with

    PFORACLE_DNS=1 python3 tests/integ/pforacle.py --dns ZONEFILE oracle-runner

(the runner replaces pkit.Instance with pforacle.PfInstance; ZONE is the
zone file).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

try:
    from dnsserver import DnsServer  # noqa: E402
except ImportError:
    DnsServer = None

R = pkit.Results("rbl")

ZONE = """\
10.2.0.192.bl.example. 60 IN A 127.0.0.2
10.2.0.192.bl.example. 60 IN TXT "Listed for spam see http://bl.example/q?192.0.2.10"
11.2.0.192.bl.example. 60 IN A 127.0.0.4
12.2.0.192.bl2.example. 60 IN A 127.0.0.10
12.2.0.192.bl2.example. 60 IN TXT "second list"
13.2.0.192.bl.example. 60 IN A 127.0.0.3
20.2.0.192.wl.example. 60 IN A 127.0.2.15
20.2.0.192.bl.example. 60 IN A 127.0.0.2
host.bad.example.dbl.example. 60 IN A 127.0.1.2
host.bad.example.dbl.example. 60 IN TXT "bad host"
rev.bad.example.dbl.example. 60 IN A 127.0.1.2
helo.bad.example.dbl.example. 60 IN A 127.0.1.2
spam.example.dbl.example. 60 IN A 127.0.1.2
spam.example.dbl.example. 60 IN TXT "bad domain"
rcpt.example.dbl.example. 60 IN A 127.0.1.2
good.example.rhswl.example. 60 IN A 127.0.0.2
good.example.dbl.example. 60 IN A 127.0.1.2
14.2.0.192.bl.example. SERVFAIL
14.2.0.192.wl.example. SERVFAIL
"""

MACROS = ("$rbl_code 5.7.9 custom d=$rbl_domain w=$rbl_what c=$rbl_class "
          "r=${rbl_reason?($rbl_reason)} t=$rbl_txt ca=$client_address cn=$client_name "
          "h=$helo_name s=$sender r=$recipient sd=$sender_domain rd=$recipient_domain")

# (XCLIENT, HELO, sender, recipient, RCPT reply)
CASES = [
    ("ADDR=192.0.2.10 NAME=[UNAVAILABLE]", "c.example", "a@example.org", "root@example.com",
     "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using bl.example; "
     "Listed for spam see http://bl.example/q?192.0.2.10"),
    ("ADDR=192.0.2.11 NAME=[UNAVAILABLE]", "c.example", "a@example.org", "root@example.com",
     "250 2.1.5 Ok"),
    ("ADDR=192.0.2.13 NAME=[UNAVAILABLE]", "c.example", "a@example.org", "root@example.com",
     "554 5.7.1 Service unavailable; Client host [192.0.2.13] blocked using bl.example"),
    ("ADDR=192.0.2.12 NAME=[UNAVAILABLE]", "c.example", "a@example.org", "root@example.com",
     "554 5.7.9 custom d=bl2.example w=192.0.2.12 c=Client host r=(second list) "
     "t=second list ca=192.0.2.12 cn=unknown h=c.example s=a@example.org r=root@example.com "
     "sd=example.org rd=example.com"),
    ("ADDR=192.0.2.20 NAME=[UNAVAILABLE]", "c.example", "a@example.org", "root@example.com",
     "250 2.1.5 Ok"),
    ("ADDR=192.0.2.30 NAME=host.bad.example", "c.example", "a@example.org", "root@example.com",
     "554 5.7.1 Service unavailable; Client host [host.bad.example] blocked using "
     "dbl.example; bad host"),
    ("ADDR=192.0.2.30 NAME=x.example REVERSE_NAME=rev.bad.example", "c.example",
     "a@example.org", "root@example.com",
     "554 5.7.1 Service unavailable; Unverified Client host [rev.bad.example] blocked using "
     "dbl.example"),
    ("ADDR=192.0.2.30 NAME=[UNAVAILABLE]", "c.example", "a@spam.example", "root@example.com",
     "554 5.7.1 Service unavailable; Sender address [a@spam.example] blocked using "
     "dbl.example; bad domain"),
    ("ADDR=192.0.2.30 NAME=[UNAVAILABLE]", "helo.bad.example", "a@example.org",
     "root@example.com",
     "554 5.7.1 Service unavailable; Helo command [helo.bad.example] blocked using dbl.example"),
    ("ADDR=192.0.2.30 NAME=[UNAVAILABLE]", "c.example", "a@example.org", "x@rcpt.example",
     "554 5.7.1 Service unavailable; Recipient address [x@rcpt.example] blocked using "
     "dbl.example"),
    ("ADDR=192.0.2.30 NAME=good.example", "c.example", "a@spam.example", "root@example.com",
     "250 2.1.5 Ok"),
    ("ADDR=192.0.2.14 NAME=[UNAVAILABLE]", "c.example", "a@example.org", "root@example.com",
     "250 2.1.5 Ok"),
]


def session(inst, xclient, helo, sender, rcpt):
    """One XCLIENT session; the RCPT reply."""
    s = inst.session()
    try:
        s.cmd("XCLIENT " + xclient)
        s.cmd("EHLO " + helo)
        s.cmd("MAIL FROM:<%s>" % sender)
        return s.cmd("RCPT TO:<%s>" % rcpt)
    finally:
        s.cmd("QUIT")
        s.close()


def lists():
    """Every list restriction, filters, TXT reasons, a reply template, DNS errors."""
    inst = pkit.Instance(main_extra="""\
smtpd_recipient_restrictions = permit_dnswl_client wl.example, permit_rhswl_client rhswl.example,
    reject_rbl_client bl.example=127.0.0.[2..3], reject_rbl_client bl2.example,
    reject_rhsbl_client dbl.example, reject_rhsbl_reverse_client dbl.example,
    reject_rhsbl_sender dbl.example, reject_rhsbl_helo dbl.example,
    reject_rhsbl_recipient dbl.example=127.0.1.2, permit
rbl_reply_maps = texthash:$config_directory/rbl_reply
maps_rbl_reject_code = 554
default_rbl_reply = $rbl_code Service unavailable; $rbl_class [$rbl_what] blocked using $rbl_domain${rbl_reason?; $rbl_reason}
""")
    inst.write("rbl_reply", "bl2.example %s\n" % MACROS)
    try:
        inst.start()
        for xc, helo, snd, rcpt, want in CASES:
            R.check("%s helo=%s from=%s to=%s" % (xc, helo, snd, rcpt),
                    session(inst, xc, helo, snd, rcpt), want)
        R.true("reject logged", inst.wait_log(
            r"NOQUEUE: reject: RCPT from unknown\[192\.0\.2\.10\]: 554 5\.7\.1 Service "
            r"unavailable; Client host \[192\.0\.2\.10\] blocked using bl\.example; Listed for "
            r"spam see http://bl\.example/q\?192\.0\.2\.10; from=<a@example\.org> "
            r"to=<root@example\.com> proto=ESMTP helo=<c\.example>"))
        R.true("DNS error logged", inst.wait_log(
            r"warning: 14\.2\.0\.192\.bl\.example: RBL lookup error: Host or domain name not "
            r"found\. Name service error for name=14\.2\.0\.192\.bl\.example type=A: Host not "
            r"found, try again"))
    finally:
        inst.cleanup()


def reply_keys():
    """rbl_reply_maps is indexed by the list as written; a whitelist DNS error defers."""
    inst = pkit.Instance(main_extra="""\
smtpd_recipient_restrictions = check_recipient_access texthash:$config_directory/acc,
    permit_dnswl_client wl.example, reject
smtpd_restriction_classes = c1 c2
c1 = reject_rbl_client bl.example=127.0.0.[2..3]
c2 = reject_rbl_client bl.example
rbl_reply_maps = texthash:$config_directory/rbl_reply
""")
    inst.write("acc", "a@example.com c1\nb@example.com c2\n")
    inst.write("rbl_reply", "bl.example=127.0.0.[2..3] 550 filtered key $rbl_domain\n"
               "bl.example 551 plain key $rbl_domain\n")
    try:
        inst.start()
        for xc, rcpt, want in (
                ("ADDR=192.0.2.14 NAME=[UNAVAILABLE]", "root@example.com",
                 "450 4.7.1 <192.0.2.14>: Client host rejected: Service unavailable"),
                ("ADDR=192.0.2.10 NAME=[UNAVAILABLE]", "a@example.com",
                 "550 5.7.1 filtered key bl.example"),
                ("ADDR=192.0.2.10 NAME=[UNAVAILABLE]", "b@example.com",
                 "551 5.7.1 plain key bl.example")):
            R.check("%s to=%s" % (xc, rcpt), session(inst, xc, "c.example", "a@example.org", rcpt),
                    want)
        R.true("whitelist DNS error logged", inst.wait_log(
            r"warning: 14\.2\.0\.192\.wl\.example: RBL lookup error: Host or domain name not "
            r"found\. Name service error for name=14\.2\.0\.192\.wl\.example type=A"))
    finally:
        inst.cleanup()


def no_relay():
    """A whitelist permit never overrides reject_unauth_destination."""
    inst = pkit.Instance(main_extra="""\
smtpd_relay_restrictions = permit_dnswl_client wl.example, permit_rhswl_client rhswl.example,
    reject_unauth_destination
smtpd_recipient_restrictions = permit_dnswl_client wl.example, reject
""")
    try:
        inst.start()
        for xc, rcpt, want in (
                ("ADDR=192.0.2.20 NAME=[UNAVAILABLE]", "x@remote.example",
                 "554 5.7.1 <x@remote.example>: Relay access denied"),
                ("ADDR=192.0.2.20 NAME=[UNAVAILABLE]", "root@example.com", "250 2.1.5 Ok"),
                ("ADDR=192.0.2.30 NAME=good.example", "x@remote.example",
                 "554 5.7.1 <x@remote.example>: Relay access denied")):
            R.check("no relay: %s to=%s" % (xc, rcpt),
                    session(inst, xc, "c.example", "a@example.org", rcpt), want)
    finally:
        inst.cleanup()


def main():
    if not pkit.IS_ROOT:
        print("skipped: needs root (master and smtpd run as mail_owner)")
        sys.exit(77)
    dns = None
    if not os.environ.get("PFORACLE_DNS"):
        if DnsServer is None:
            print("python3-dnslib is not installed: skipping")
            sys.exit(77)
        dns = DnsServer(ZONE)
        dns.start()
        os.environ["POSTKIT_DNS_SERVER"] = dns.env_value()
    try:
        lists()
        reply_keys()
        no_relay()
    finally:
        if dns:
            dns.stop()
    R.finish()


if __name__ == "__main__":
    main()
