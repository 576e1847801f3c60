#!/usr/bin/env python3
"""test_dns_checks.py - the DNS-based smtpd restrictions and the delayed decisions.

reject_unknown_helo_hostname, check_*_{mx,ns,a}_access,
check_reverse_client_hostname_access, defer_if_reject and the
DEFER_IF_REJECT action, permit_naked_ip_address, permit_inet_interfaces,
permit_mx_backup, reject_maps_rbl, check_relay_domains.

The test DNS server (dnsserver.py) serves the zone below; postkit asks it
through POSTKIT_DNS_SERVER.  XCLIENT gives each session the client address
and names a case needs.  The replies and log lines are those of Postfix
3.7.11 for the same zone and traffic: run unchanged against it with

    python3 tests/integ/pforacle.py --dns ZONEFILE tests/integ/test_dns_checks.py --oracle

(ZONEFILE holds ZONE; --oracle replaces pkit.Instance with pforacle.PfInstance).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

try:
    from dnsserver import DnsServer  # noqa: E402
except ImportError:
    DnsServer = None

ORACLE = "--oracle" in sys.argv
if ORACLE:
    import pforacle  # noqa: E402
    pkit.Instance = pforacle.PfInstance

R = pkit.Results("dns_checks")

ZONE = """\
good.example. 60 IN A 192.0.2.1
mxonly.example. 60 IN MX 10 mx1.good.example.
mx1.good.example. 60 IN A 192.0.2.50
badmx.example. 60 IN MX 10 mail.spammer.example.
mail.spammer.example. 60 IN A 198.51.100.7
ipmx.example. 60 IN MX 10 mx9.ipmx.example.
mx9.ipmx.example. 60 IN A 203.0.113.9
lostmx.example. 60 IN MX 10 gone.example.
okmx.example. 60 IN MX 10 mx.trusted.example.
mx.trusted.example. 60 IN A 192.0.2.60
nsd.example. 60 IN NS ns1.dnshost.example.
sub.nsd.example. 60 IN A 192.0.2.3
ns1.dnshost.example. 60 IN A 198.51.100.53
aonly.example. 60 IN A 198.51.100.8
backup.example. 60 IN MX 10 primary.example.
backup.example. 60 IN MX 20 mail.example.com.
primary.example. 60 IN A 192.0.2.70
weprimary.example. 60 IN MX 10 mail.example.com.
weprimary.example. 60 IN MX 20 other.example.
other.example. 60 IN A 192.0.2.71
outside.example. 60 IN MX 10 far.example.
outside.example. 60 IN MX 20 mail.example.com.
far.example. 60 IN A 203.0.113.80
10.2.0.192.bl.example. 60 IN A 127.0.0.2
nullmx.example. 60 IN MX 0 .
fail.example. SERVFAIL
"""

ACC = """\
mail.spammer.example REJECT spam host
198.51.100.53 REJECT bad dns
203.0.113.9 554 5.7.2 bad mx address
198.51.100.8 REJECT bad a
mx.trusted.example OK
"""

ORACLE_ZONE = ZONE


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


def run(main_extra, cases, files=(), logs=()):
    """Start an instance with main_extra, check each (xclient, helo, from, to, reply), logs."""
    inst = pkit.Instance(main_extra=main_extra)
    for name, text in files:
        inst.write(name, text)
    try:
        inst.start()
        for xc, helo, snd, rcpt, want in cases:
            got = session(inst, xc, helo, snd, rcpt)
            if os.environ.get("DNSCHK_RECORD"):
                print("RECORD %s|%s|%s|%s => %s" % (xc, helo, snd, rcpt, got))
            R.check("%s helo=%s from=%s to=%s" % (xc, helo, snd, rcpt), got, want)
        for what, rx in logs:
            R.true(what, inst.wait_log(rx), inst.log() if os.environ.get(
                "DNSCHK_RECORD") else "")
        if os.environ.get("DNSCHK_RECORD"):
            print(inst.log())
    except Exception:
        print(inst.log())
        raise
    finally:
        inst.cleanup()


U = "ADDR=192.0.2.10 NAME=[UNAVAILABLE]"


def unknown_helo():
    """reject_unknown_helo_hostname: no A, AAAA or MX; a DNS error defers if permitted."""
    run("""\
smtpd_recipient_restrictions = reject_unknown_helo_hostname,
    check_recipient_access texthash:$config_directory/rc, permit
""", [
        (U, "good.example", "a@example.org", "root@example.com", "250 2.1.5 Ok"),
        (U, "mxonly.example", "a@example.org", "root@example.com", "250 2.1.5 Ok"),
        (U, "[192.0.2.1]", "a@example.org", "root@example.com", "250 2.1.5 Ok"),
        (U, "nx.example", "a@example.org", "root@example.com",
         "450 4.7.1 <nx.example>: Helo command rejected: Host not found"),
        (U, "fail.example", "a@example.org", "root@example.com",
         "450 4.7.1 <fail.example>: Helo command rejected: Host not found"),
        (U, "fail.example", "a@example.org", "rej@example.com",
         "554 5.7.1 <rej@example.com>: Recipient address rejected: Access denied"),
    ], files=[("rc", "rej@example.com REJECT\n")], logs=[
        ("reject logged", r"NOQUEUE: reject: RCPT from unknown\[192\.0\.2\.10\]: 450 4\.7\.1 "
         r"<nx\.example>: Helo command rejected: Host not found; from=<a@example\.org> "
         r"to=<root@example\.com> proto=ESMTP helo=<nx\.example>")])
    run("""\
smtpd_recipient_restrictions = reject_unknown_hostname,
    check_recipient_access texthash:$config_directory/rc, permit
unknown_hostname_reject_code = 550
unknown_helo_hostname_tempfail_action = defer
""", [
        (U, "nx.example", "a@example.org", "root@example.com",
         "550 5.7.1 <nx.example>: Helo command rejected: Host not found"),
        (U, "fail.example", "a@example.org", "rej@example.com",
         "450 4.7.1 <fail.example>: Helo command rejected: Host not found"),
    ], files=[("rc", "rej@example.com REJECT\n")])


def server_access():
    """check_*_{mx,ns,a}_access and check_reverse_client_hostname_access."""
    t = "texthash:$config_directory/acc"
    run("""\
smtpd_recipient_restrictions = check_helo_mx_access %(t)s, check_sender_ns_access %(t)s,
    check_sender_mx_access %(t)s, check_recipient_a_access %(t)s, check_client_mx_access %(t)s,
    check_reverse_client_hostname_access %(t)s, check_helo_a_access %(t)s, permit
""" % {"t": t}, [
        (U, "good.example", "a@example.org", "root@example.com", "250 2.1.5 Ok"),
        (U, "badmx.example", "a@example.org", "root@example.com",
         "554 5.7.1 <badmx.example>: Helo command rejected: spam host"),
        (U, "ipmx.example", "a@example.org", "root@example.com",
         "554 5.7.2 <ipmx.example>: Helo command rejected: bad mx address"),
        (U, "lostmx.example", "a@example.org", "root@example.com", "250 2.1.5 Ok"),
        (U, "fail.example", "a@example.org", "root@example.com", "250 2.1.5 Ok"),
        (U, "okmx.example", "a@example.org", "root@example.com",
         "451 4.3.5 Server configuration error"),
        (U, "aonly.example", "a@example.org", "root@example.com",
         "554 5.7.1 <aonly.example>: Helo command rejected: bad a"),
        (U, "good.example", "a@sub.nsd.example", "root@example.com",
         "554 5.7.1 <a@sub.nsd.example>: Sender address rejected: bad dns"),
        (U, "good.example", "a@badmx.example", "root@example.com",
         "554 5.7.1 <a@badmx.example>: Sender address rejected: spam host"),
        (U, "good.example", "a@[203.0.113.9]", "root@example.com",
         "554 5.7.2 <a@[203.0.113.9]>: Sender address rejected: bad mx address"),
        (U, "good.example", "a@example.org", "x@aonly.example",
         "554 5.7.1 <x@aonly.example>: Recipient address rejected: bad a"),
        ("ADDR=192.0.2.10 NAME=badmx.example", "good.example", "a@example.org",
         "root@example.com",
         "554 5.7.1 <badmx.example[192.0.2.10]>: Client host rejected: spam host"),
        ("ADDR=192.0.2.10 NAME=x.example REVERSE_NAME=mail.spammer.example", "good.example",
         "a@example.org", "root@example.com",
         "554 5.7.1 <mail.spammer.example>: Unverified Client host rejected: spam host"),
    ], files=[("acc", ACC)], logs=[
        ("whitelist refused", r"warning: restriction check_helo_mx_access returns OK for "
         r"okmx\.example"),
        ("no MX address", r"warning: Unable to look up MX host gone\.example for Helo command "
         r"lostmx\.example: Name or service not known$"),
        ("MX lookup error", r"warning: Unable to look up MX host for fail\.example: Host not "
         r"found, try again$"),
        ("no NS anywhere", r"warning: Unable to look up NS host for a@badmx\.example: Host not "
         r"found$"),
        ("no client MX address", r"warning: Unable to look up MX host x\.example for Client host "
         r"x\.example\[192\.0\.2\.10\]: Name or service not known$"),
    ])


def server_access_more():
    """The other name and record type combinations."""
    t = "texthash:$config_directory/acc"
    run("""\
smtpd_recipient_restrictions = check_client_a_access %(t)s, check_client_ns_access %(t)s,
    check_helo_ns_access %(t)s, check_recipient_mx_access %(t)s, check_recipient_ns_access %(t)s,
    check_reverse_client_hostname_a_access %(t)s, check_reverse_client_hostname_mx_access %(t)s,
    check_reverse_client_hostname_ns_access %(t)s, check_sender_a_access %(t)s, permit
""" % {"t": t}, [
        ("ADDR=192.0.2.10 NAME=aonly.example", "good.example", "a@example.org",
         "root@example.com", "554 5.7.1 <aonly.example[192.0.2.10]>: Client host rejected: bad a"),
        ("ADDR=192.0.2.10 NAME=sub.nsd.example", "good.example", "a@example.org",
         "root@example.com",
         "554 5.7.1 <sub.nsd.example[192.0.2.10]>: Client host rejected: bad dns"),
        (U, "sub.nsd.example", "a@example.org", "root@example.com",
         "554 5.7.1 <sub.nsd.example>: Helo command rejected: bad dns"),
        (U, "good.example", "a@example.org", "x@badmx.example",
         "554 5.7.1 <x@badmx.example>: Recipient address rejected: spam host"),
        (U, "good.example", "a@example.org", "x@sub.nsd.example",
         "554 5.7.1 <x@sub.nsd.example>: Recipient address rejected: bad dns"),
        ("ADDR=192.0.2.10 NAME=x.example REVERSE_NAME=aonly.example", "good.example",
         "a@example.org", "root@example.com",
         "554 5.7.1 <aonly.example>: Unverified Client host rejected: bad a"),
        ("ADDR=192.0.2.10 NAME=x.example REVERSE_NAME=badmx.example", "good.example",
         "a@example.org", "root@example.com",
         "554 5.7.1 <badmx.example>: Unverified Client host rejected: spam host"),
        ("ADDR=192.0.2.10 NAME=x.example REVERSE_NAME=sub.nsd.example", "good.example",
         "a@example.org", "root@example.com",
         "554 5.7.1 <sub.nsd.example>: Unverified Client host rejected: bad dns"),
        (U, "good.example", "a@aonly.example", "root@example.com",
         "554 5.7.1 <a@aonly.example>: Sender address rejected: bad a"),
    ], files=[("acc", ACC)])


def delayed():
    """defer_if_reject and the DEFER_IF_REJECT / DEFER_IF_PERMIT actions."""
    run("""\
smtpd_recipient_restrictions = check_sender_access texthash:$config_directory/sd,
    check_recipient_access texthash:$config_directory/rc, permit
""", [
        (U, "good.example", "dr@example.org", "rej@example.com",
         "450 4.7.1 <dr@example.org>: Sender address rejected: sender looks odd"),
        (U, "good.example", "dr@example.org", "root@example.com", "250 2.1.5 Ok"),
        (U, "good.example", "dr@example.org", "r4@example.com",
         "450 4.2.0 <r4@example.com>: Recipient address rejected: try later"),
        (U, "good.example", "dr2@example.org", "rej@example.com",
         "450 4.7.1 <dr2@example.org>: Sender address rejected: Service unavailable"),
        (U, "good.example", "dr3@example.org", "rej@example.com",
         "450 4.7.1 <dr3@example.org>: Sender address rejected: Service unavailable"),
    ], files=[("sd", "dr@example.org DEFER_IF_REJECT sender looks odd\n"
               "dr2@example.org defer_if_reject\n"
               "dr3@example.org DEFER_IF_REJECT\n"),
              ("rc", "rej@example.com REJECT no such luck\n"
               "r4@example.com 450 4.2.0 try later\n")],
        logs=[("deferred reject logged",
               r"NOQUEUE: reject: RCPT from unknown\[192\.0\.2\.10\]: 450 4\.7\.1 "
               r"<dr@example\.org>: Sender address rejected: sender looks odd; "
               r"from=<dr@example\.org> to=<rej@example\.com> proto=ESMTP "
               r"helo=<good\.example>")])
    run("smtpd_recipient_restrictions = defer_if_reject, reject\n", [
        (U, "good.example", "a@example.org", "root@example.com",
         "450 4.7.0 <root@example.com>: Recipient address rejected: defer_if_reject requested"),
    ])


def misc():
    """permit_naked_ip_address, permit_inet_interfaces, reject_maps_rbl, check_relay_domains."""
    run("""\
smtpd_recipient_restrictions = permit_naked_ip_address, reject_maps_rbl, reject
maps_rbl_domains = bl.example
""", [
        (U, "192.0.2.1", "a@example.org", "root@example.com", "250 2.1.5 Ok"),
        (U, "[192.0.2.1]", "a@example.org", "root@example.com",
         "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using bl.example"),
        ("ADDR=127.0.0.1 NAME=localhost", "good.example", "a@example.org", "root@example.com",
         "554 5.7.1 <root@example.com>: Recipient address rejected: Access denied"),
    ], logs=[
        ("naked ip deprecated", r"warning: restriction permit_naked_ip_address is deprecated\. "
         r"Use permit_mynetworks or permit_sasl_authenticated instead"),
        ("maps_rbl deprecated", r"warning: support for restriction \"reject_maps_rbl\" will be "
         r"removed from Postfix; use \"reject_rbl_client domain-name\" instead"),
    ])
    # a HELO name that looks like an address must be a valid one
    run("smtpd_recipient_restrictions = permit_naked_ip_address, reject_unknown_helo_hostname, "
        "permit\n", [
            (U, "1.2.3", "a@good.example", "root@example.com",
             "501 5.5.2 <1.2.3>: Helo command rejected: invalid ip address"),
            (U, "[1.2.3]", "a@good.example", "root@example.com",
             "501 5.5.2 <[1.2.3]>: Helo command rejected: invalid ip address"),
            (U, "[1.2.3.4]", "a@good.example", "root@example.com", "250 2.1.5 Ok"),
        ])
    # the connection's own peer counts (127.0.0.1 = inet_interfaces), not the XCLIENT address
    run("smtpd_recipient_restrictions = permit_inet_interfaces, reject\n", [
        (U, "good.example", "a@example.org", "root@example.com", "250 2.1.5 Ok"),
    ])
    run("""\
smtpd_relay_restrictions = check_relay_domains
relay_domains = relay.example
""", [
        ("ADDR=192.0.2.99 NAME=[UNAVAILABLE]", "good.example", "a@example.org",
         "x@relay.example", "250 2.1.5 Ok"),
        ("ADDR=192.0.2.99 NAME=[UNAVAILABLE]", "good.example", "a@example.org",
         "x@remote.example",
         "554 5.7.1 <x@remote.example>: Recipient address rejected: Relay access denied"),
        ("ADDR=192.0.2.99 NAME=host.relay.example", "good.example", "a@example.org",
         "x@remote.example", "250 2.1.5 Ok"),
    ], logs=[("check_relay_domains deprecated",
              r"warning: support for restriction \"check_relay_domains\" will be removed from "
              r"Postfix; use \"reject_unauth_destination\" instead")])


def mx_backup():
    """permit_mx_backup: we are a backup MX, not the primary; permit_mx_backup_networks."""
    run("""\
smtpd_relay_restrictions = permit_mx_backup, reject_unauth_destination
mynetworks = 127.0.0.0/8
""", [
        (U, "good.example", "a@example.org", "x@backup.example", "250 2.1.5 Ok"),
        (U, "good.example", "a@example.org", "x@weprimary.example",
         "554 5.7.1 <x@weprimary.example>: Relay access denied"),
        (U, "good.example", "a@example.org", "x@good.example",
         "554 5.7.1 <x@good.example>: Relay access denied"),
        (U, "good.example", "a@example.org", "x@fail.example",
         "450 4.4.4 <x@fail.example>: Recipient address rejected: Unable to look up mail "
         "exchanger information: Host not found, try again"),
        (U, "good.example", "a@example.org", "root@example.com", "250 2.1.5 Ok"),
    ])
    run("""\
smtpd_relay_restrictions = permit_mx_backup, reject_unauth_destination
mynetworks = 127.0.0.0/8
permit_mx_backup_networks = 192.0.2.0/24
""", [
        (U, "good.example", "a@example.org", "x@backup.example", "250 2.1.5 Ok"),
        (U, "good.example", "a@example.org", "x@outside.example",
         "554 5.7.1 <x@outside.example>: Relay access denied"),
    ])


def unknown_domains():
    """reject_unknown_{sender,recipient}_domain: DSNs, null MX, tempfail action."""
    rc = [("rc", "rej@example.com REJECT\n")]
    run("""\
smtpd_recipient_restrictions = reject_unknown_sender_domain, reject_unknown_recipient_domain,
    check_recipient_access texthash:$config_directory/rc, permit
relay_domains = relayed.example
""", [
        (U, "good.example", "a@good.example", "root@example.com", "250 2.1.5 Ok"),
        (U, "good.example", "a@nx.example", "root@example.com",
         "450 4.1.8 <a@nx.example>: Sender address rejected: Domain not found"),
        (U, "good.example", "a@fail.example", "root@example.com",
         "450 4.1.8 <a@fail.example>: Sender address rejected: Domain not found"),
        (U, "good.example", "a@fail.example", "rej@example.com",
         "554 5.7.1 <rej@example.com>: Recipient address rejected: Access denied"),
        (U, "good.example", "a@nullmx.example", "root@example.com",
         "550 5.7.27 <a@nullmx.example>: Sender address rejected: Domain nullmx.example "
         "does not accept mail (nullMX)"),
        (U, "good.example", "a@good.example", "x@nx.example",
         "450 4.1.2 <x@nx.example>: Recipient address rejected: Domain not found"),
        (U, "good.example", "a@good.example", "x@nullmx.example",
         "556 5.1.10 <x@nullmx.example>: Recipient address rejected: Domain nullmx.example "
         "does not accept mail (nullMX)"),
        (U, "good.example", "a@good.example", "x@relayed.example",
         "450 4.1.2 <x@relayed.example>: Recipient address rejected: Domain not found"),
    ], files=rc)
    run("""\
smtpd_recipient_restrictions = reject_unknown_sender_domain,
    check_recipient_access texthash:$config_directory/rc, permit
unknown_address_tempfail_action = defer
unknown_address_reject_code = 550
""", [
        (U, "good.example", "a@fail.example", "rej@example.com",
         "450 4.1.8 <a@fail.example>: Sender address rejected: Domain not found"),
        (U, "good.example", "a@nx.example", "root@example.com",
         "550 5.1.8 <a@nx.example>: Sender address rejected: Domain not found"),
    ], files=rc)


def unknown_client():
    """unknown_client_reject_code for a name that does not exist; 450 when the DNS failed."""
    run("""\
smtpd_recipient_restrictions = reject_unknown_reverse_client_hostname,
    reject_unknown_client_hostname, permit
unknown_client_reject_code = 550
""", [
        ("ADDR=192.0.2.10 NAME=[UNAVAILABLE] REVERSE_NAME=x.example", "good.example",
         "a@good.example", "root@example.com",
         "550 5.7.25 Client host rejected: cannot find your hostname, [192.0.2.10]"),
        ("ADDR=192.0.2.10 NAME=[TEMPUNAVAIL] REVERSE_NAME=x.example", "good.example",
         "a@good.example", "root@example.com",
         "450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.10]"),
        ("ADDR=192.0.2.10 NAME=[UNAVAILABLE] REVERSE_NAME=[UNAVAILABLE]", "good.example",
         "a@good.example", "root@example.com",
         "550 5.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.10]"),
        ("ADDR=192.0.2.10 NAME=[UNAVAILABLE] REVERSE_NAME=[TEMPUNAVAIL]", "good.example",
         "a@good.example", "root@example.com",
         "450 4.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.10]"),
    ])


def footer_session(inst, cmds):
    """A session of raw commands; every reply, multi-line replies joined with |."""
    s = inst.session()
    out = []
    try:
        for c in cmds:
            s.send(c + "\r\n")
            out.append("|".join(s.reply()))
    finally:
        s.cmd("QUIT")
        s.close()
    return out


def footers():
    """smtpd_reject_footer (with \\c, \\n and $name) and smtpd_reject_footer_maps."""
    r1 = "554-5.7.1 <root@example.com>: Recipient address rejected: Access denied|"
    r2 = "554-5.7.1 <x@example.com>: Recipient address rejected: Access denied|"
    unk = "500-5.5.2 Error: command not recognized|"
    for extra, want in (
            ("smtpd_reject_footer = Call $server_name about $client_address.\\n"
             "Port ${client_port} $unknown_name$$x\n",
             [r1 + "554-5.7.1 Call mail.example.com about 192.0.2.10.|554 5.7.1 Port 4242 $x",
              r2 + "554-5.7.1 Call mail.example.com about 192.0.2.10.|554 5.7.1 Port 4242 $x",
              unk + "500-5.5.2 Call mail.example.com about 192.0.2.10.|500 5.5.2 Port 4242 $x"]),
            ("smtpd_reject_footer = \\c. For help call 800-555-0101 ($server_name).\n",
             ["554 5.7.1 <root@example.com>: Recipient address rejected: Access denied. For help "
              "call 800-555-0101 (mail.example.com).",
              "554 5.7.1 <x@example.com>: Recipient address rejected: Access denied. For help "
              "call 800-555-0101 (mail.example.com).",
              "500 5.5.2 Error: command not recognized. For help call 800-555-0101 "
              "(mail.example.com)."]),
            ("smtpd_reject_footer = Generic footer\n"
             "smtpd_reject_footer_maps = regexp:$config_directory/footers\n",
             [r1 + "554-5.7.1 From the map|554 5.7.1 second line",
              r2 + "554 5.7.1 Generic footer", unk + "500 5.5.2 Generic footer"])):
        inst = pkit.Instance(main_extra="smtpd_recipient_restrictions = reject\n" + extra)
        inst.write("footers", "/^554 .*<root@example\\.com>/ From the map\\nsecond line\n")
        try:
            inst.start()
            got = footer_session(inst, [
                "XCLIENT ADDR=192.0.2.10 NAME=[UNAVAILABLE] PORT=4242", "EHLO c.example",
                "MAIL FROM:<a@example.org>", "RCPT TO:<root@example.com>",
                "RCPT TO:<x@example.com>", "FOO"])
            R.check("footer %r" % extra, got[3:], want)
            # the footer is sent, not logged
            R.true("footer not logged", inst.wait_log(
                r"NOQUEUE: reject: RCPT from unknown\[192\.0\.2\.10\]: 554 5\.7\.1 "
                r"<root@example\.com>: Recipient address rejected: Access denied; "
                r"from=<a@example\.org> to=<root@example\.com> proto=ESMTP helo=<c\.example>$"))
        finally:
            inst.cleanup()


def main():
    if not pkit.IS_ROOT:
        print("skipped: needs root (master and smtpd run as mail_owner)")
        sys.exit(77)
    dns = None
    if not ORACLE:
        if DnsServer is None:
            print("python3-dnslib is not installed: skipping")
            sys.exit(77)
        dns = DnsServer(ZONE)
        dns.start()
        os.environ["POSTKIT_DNS_SERVER"] = dns.env_value()
    only = [a for a in sys.argv[1:] if not a.startswith("--")]
    try:
        for f in (unknown_helo, server_access, server_access_more, delayed, misc, mx_backup,
                  footers, unknown_domains, unknown_client):
            if not only or f.__name__ in only:
                f()
    finally:
        if dns:
            dns.stop()
    R.finish()


if __name__ == "__main__":
    main()
