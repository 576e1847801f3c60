#!/usr/bin/env python3
"""test_settings.py - settings marked implemented, each set to a non-default value.

Every case sets a parameter (or uses a restriction) that schemas/ marks
implemented and checks its effect from outside: an SMTP reply, a maillog
line, a delivered message.  The replies and log lines are those Postfix
3.7.11 gave for the same main.cf and the same traffic (tests/integ/
pforacle.py drove it), except where a case says otherwise.
"""
import os
import pwd
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("settings")
REJ = "Recipient address rejected"

# reply codes, restriction names and smtpd switches
SMTPD_CODES = """\
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 100
access_map_reject_code = 553
access_map_defer_code = 452
reject_code = 551
invalid_hostname_reject_code = 502
non_fqdn_reject_code = 505
relay_domains_reject_code = 553
unknown_local_recipient_reject_code = 450
unknown_relay_recipient_reject_code = 553
relay_domains = relay.example
relay_recipient_maps = texthash:$config_directory/relay_rcpt
smtpd_discard_ehlo_keywords = pipelining
smtpd_null_access_lookup_key = <nullsender>
smtpd_peername_lookup = no
strict_rfc821_envelopes = yes
smtpd_etrn_restrictions = reject
smtpd_reject_unlisted_recipient = no
smtpd_client_restrictions = check_client_access texthash:$config_directory/client
smtpd_helo_restrictions = reject_invalid_hostname, reject_non_fqdn_helo_hostname
smtpd_sender_restrictions = check_sender_access texthash:$config_directory/sender
smtpd_recipient_restrictions = check_recipient_access texthash:$config_directory/rcpt,
 check_recipient_maps, permit_auth_destination, reject
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
"""


def session(inst, helo="x.example.net", xclient=None):
    s = inst.session()
    if xclient:
        s.cmd("EHLO a.example")
        s.cmd(xclient)
    s.send("EHLO %s\r\n" % helo)
    return s, s.reply()


def rcpt_reply(inst, sender, helo="x.example.net", xclient=None):
    """The reply to RCPT TO:<nobody@example.com> after MAIL FROM:<sender> in a new session."""
    s, _ = session(inst, helo, xclient)
    s.cmd("MAIL FROM:%s" % sender)
    r = s.cmd("RCPT TO:<nobody@example.com>")
    s.close()
    return r


def smtpd_codes():
    inst = pkit.Instance(main_extra=SMTPD_CODES)
    inst.write("relay_rcpt", "known@relay.example x\n")
    inst.write("client", "203.0.113.3 reject_unknown_client\n")
    inst.write("sender", "<nullsender> REJECT null text\ndef@example.net DEFER\n")
    inst.write("rcpt", "foreign.example reject_unauth_destination\n")
    try:
        inst.start()
        s, ehlo = session(inst)
        R.check("smtpd_discard_ehlo_keywords: no PIPELINING", [l for l in ehlo if "PIPELINING" in l], [])
        R.check("EHLO still lists SIZE", "250-SIZE 10240000" in ehlo, True)
        R.check("strict_rfc821_envelopes", s.cmd("MAIL FROM:a@example.net"),
                "501 5.1.7 Bad sender address syntax")
        R.check("MAIL <a@example.net>", s.cmd("MAIL FROM:<a@example.net>"), "250 2.1.0 Ok")
        rcpts = [
            ("nosuchuser@example.com", "450 4.1.1 <nosuchuser@example.com>: %s: User unknown in local "
             "recipient table" % REJ),
            ("unknown@relay.example", "553 5.1.1 <unknown@relay.example>: %s: User unknown in relay "
             "recipient table" % REJ),
            ("known@relay.example", "250 2.1.5 Ok"),
            ("x@foreign.example", "553 5.7.1 <x@foreign.example>: Relay access denied"),
            ("nobody@example.com", "250 2.1.5 Ok"),
        ]
        for rcpt, want in rcpts:
            R.check("RCPT %s" % rcpt, s.cmd("RCPT TO:<%s>" % rcpt), want)
        s.cmd("RSET")
        R.check("smtpd_etrn_restrictions = reject", s.cmd("ETRN example.com"),
                "551 5.7.1 <example.com>: Etrn command rejected: Access denied")
        s.close()
        for sender, want in [
                ("<>", "553 5.7.1 <>: Sender address rejected: null text"),
                ("<def@example.net>", "452 4.7.1 <def@example.net>: Sender address rejected: Access denied")]:
            R.check("sender %s" % sender, rcpt_reply(inst, sender), want)
        for helo, want in [
                ("bad!helo", "502 5.5.2 <bad!helo>: Helo command rejected: Invalid name"),
                ("nodots", "505 5.5.2 <nodots>: Helo command rejected: need fully-qualified hostname")]:
            R.check("helo %s" % helo, rcpt_reply(inst, "<a@example.net>", helo), want)
        R.check("reject_unknown_client",
                rcpt_reply(inst, "<a@example.net>", xclient="XCLIENT ADDR=203.0.113.3 NAME=[UNAVAILABLE]"),
                "450 4.7.25 Client host rejected: cannot find your hostname, [203.0.113.3]")
        R.true("smtpd_peername_lookup = no", inst.wait_log(
            r"postfix/smtpd\[\d+\]: connect from unknown\[127\.0\.0\.1\]$"), inst.log())
        R.true("reject_unknown_client logged", inst.wait_log(
            r"NOQUEUE: reject: RCPT from unknown\[203\.0\.113\.3\]: 450 4\.7\.25 Client host rejected: "
            r"cannot find your hostname, \[203\.0\.113\.3\]; from=<a@example\.net> "
            r"to=<nobody@example\.com> proto=ESMTP helo=<x\.example\.net>"), inst.log())
        R.true("strict_rfc821_envelopes logged", inst.wait_log(
            r"warning: Illegal address syntax from unknown\[127\.0\.0\.1\] in MAIL command: "
            r"a@example\.net$"))
        R.true("ETRN reject logged", inst.wait_log(
            r"NOQUEUE: reject: ETRN from unknown\[127\.0\.0\.1\]: 551 5\.7\.1 <example\.com>: "
            r"Etrn command rejected: Access denied; proto=ESMTP helo=<x\.example\.net>"))
    finally:
        inst.cleanup()


SMTPD_ORDER = """\
smtpd_relay_before_recipient_restrictions = no
reject_code = 551
defer_code = 451
parent_domain_matches_subdomains =
relay_domains = relay.example
proxy_interfaces = 198.51.100.7
smtpd_junk_command_limit = 3
smtpd_hard_error_limit = 5
smtpd_forbid_bare_newline = reject
smtpd_forbid_bare_newline_reject_code = 554
smtpd_null_access_lookup_key = <nullsender>
smtpd_etrn_restrictions = defer
smtpd_sender_restrictions = check_sender_access texthash:$config_directory/sender
smtpd_recipient_restrictions = check_recipient_access texthash:$config_directory/rcpt,
 permit_auth_destination, reject
smtpd_relay_restrictions = defer_unauth_destination
"""


def smtpd_order():
    inst = pkit.Instance(main_extra=SMTPD_ORDER)
    inst.write("sender", "<nullsender> reject_multi_recipient_bounce\n")
    inst.write("rcpt", "ordered.example REJECT order text\n")
    try:
        inst.start()
        s, _ = session(inst)
        s.cmd("MAIL FROM:<a@example.net>")
        rcpts = [
            ("x@relay.example", "250 2.1.5 Ok"),
            # parent_domain_matches_subdomains without relay_domains: no subdomain match;
            # recipient restrictions first: their "reject", not the relay restriction's 454
            ("x@sub.relay.example", "551 5.7.1 <x@sub.relay.example>: %s: Access denied" % REJ),
            ("x@ordered.example", "554 5.7.1 <x@ordered.example>: %s: order text" % REJ),
            ("nobody@[198.51.100.7]", "250 2.1.5 Ok"),
            ("nobody@[198.51.100.8]", "551 5.7.1 <nobody@[198.51.100.8]>: %s: Access denied" % REJ),
        ]
        for rcpt, want in rcpts:
            R.check("RCPT %s" % rcpt, s.cmd("RCPT TO:<%s>" % rcpt), want)
        s.close()
        s, _ = session(inst)
        R.check("smtpd_etrn_restrictions = defer (defer_code)", s.cmd("ETRN example.com"),
                "451 4.3.2 <example.com>: Etrn command rejected: Try again later")
        s.close()
        s, _ = session(inst)
        s.cmd("MAIL FROM:<>")
        R.check("reject_multi_recipient_bounce: first", s.cmd("RCPT TO:<nobody@example.com>"),
                "250 2.1.5 Ok")
        R.check("reject_multi_recipient_bounce: second", s.cmd("RCPT TO:<root@example.com>"),
                "550 5.5.3 <>: Sender address rejected: Multi-recipient bounce")
        s.close()
        s, _ = session(inst)
        s.cmd("MAIL FROM:<a@example.net>")
        s.cmd("RCPT TO:<nobody@example.com>")
        s.cmd("DATA")
        s.send("Subject: x\r\nbare\nline\r\n.\r\n")
        R.check("smtpd_forbid_bare_newline_reject_code", s.reply(),
                ["554 5.5.2 mail.example.com Error: bare <LF> received"])
        s.close()
        s, _ = session(inst)
        got = []
        for _ in range(10):
            got.append(s.cmd("NOOP"))
            if not got[-1].startswith("250"):
                break
        R.check("smtpd_junk_command_limit", got, ["250 2.0.0 Ok"] * 8 +
                ["421 4.7.0 mail.example.com Error: too many errors"])
        s.close()
        R.true("bare newline logged", inst.wait_log(
            r"[0-9A-F]+: reject: END-OF-MESSAGE from localhost\[127\.0\.0\.1\]: bare <LF> received; "
            r"from=<a@example\.net> to=<nobody@example\.com> proto=ESMTP helo=<x\.example\.net>"))
        R.true("too many errors logged", inst.wait_log(
            r"too many errors after NOOP from localhost\[127\.0\.0\.1\]"))
    finally:
        inst.cleanup()


# local delivery and what cleanup adds (mail by sendmail and by SMTP from a remote client)
LOCAL = """\
luser_relay = nobody
owner_request_special = no
command_time_limit = 2s
always_add_missing_headers = yes
mailbox_delivery_lock = fcntl
"""
LOCAL_ALIASES = "postmaster root\nlist nobody\nowner-list root\nslow \"|sleep 10\"\n"


def local_delivery():
    inst = pkit.Instance(main_extra=LOCAL, aliases=LOCAL_ALIASES)
    try:
        inst.start()
        # a dot-lock file that mailbox_delivery_lock = fcntl ignores
        with open(inst.path("mail", "nobody.lock"), "w"):
            pass
        inst.sendmail(["-f", "a@example.net", "list"], "Subject: to list\n\nx\n")
        inst.sendmail(["-f", "a@example.net", "ghost"], "Subject: to ghost\n\nx\n")
        inst.sendmail(["-f", "a@example.net", "slow"], "Subject: slow\n\nx\n")
        s, _ = session(inst, xclient="XCLIENT ADDR=192.0.2.10 NAME=remote.example.net")
        s.cmd("MAIL FROM:<a@example.net>")
        s.cmd("RCPT TO:<nobody@example.com>")
        R.true("remote mail accepted", s.data("Subject: no headers\n\nx\n").startswith("250 "))
        s.close()
        R.true("luser_relay", inst.wait_log(
            r"postfix/local\[\d+\]: [0-9A-F]+: to=<nobody@mail\.example\.com>, orig_to=<ghost[@>].*"
            r"status=sent \(delivered to mailbox\)"), inst.log())
        R.true("command_time_limit", inst.wait_log(
            r"postfix/local\[\d+\]: [0-9A-F]+: to=<slow@mail\.example\.com>, .*dsn=5\.3\.0, "
            r"status=bounced \(Command time limit exceeded: \"sleep 10\"\)", timeout=20), inst.log())
        R.true("mail to list delivered", inst.wait_mailbox("nobody", "Subject: to list"))
        R.true("remote mail delivered", inst.wait_mailbox("nobody", "Subject: no headers"))
        box = inst.mailbox("nobody")
        msgs = {}
        for m in re.split(r"\n(?=From )", box):
            subj = re.search(r"^Subject: (.*)$", m, re.M)
            if subj:
                msgs[subj.group(1)] = m
        R.check("owner_request_special = no: sender kept",
                re.findall(r"^Return-Path: .*$", msgs.get("to list", ""), re.M),
                ["Return-Path: <a@example.net>"])
        R.true("luser_relay: delivered to nobody", "to ghost" in msgs)
        head = msgs.get("no headers", "").split("\n\n")[0]
        R.check("always_add_missing_headers: From, Date, Message-Id added",
                sorted(re.findall(r"^(From|Date|Message-Id): ", head, re.M)),
                ["Date", "From", "Message-Id"])
        R.check("always_add_missing_headers: From", re.findall(r"^From: .*$", head, re.M),
                ["From: a@example.net"])
    finally:
        inst.cleanup()


# address rewriting, virtual alias limits, dot-lock files
REWRITE = """\
allow_percent_hack = no
swap_bangpath = no
virtual_alias_domains = virt.example
virtual_alias_maps = texthash:$config_directory/virtual
virtual_alias_expansion_limit = 2
virtual_alias_recursion_limit = 2
mailbox_delivery_lock = dotlock
stale_lock_time = 1s
"""
VIRTUAL = """\
big@virt.example a@example.net, b@example.net, c@example.net
r1@virt.example r2@virt.example
r2@virt.example r3@virt.example
r3@virt.example nobody@example.com
"""


def rewriting():
    inst = pkit.Instance(main_extra=REWRITE)
    inst.write("virtual", VIRTUAL)
    try:
        inst.start()
        lock = inst.path("mail", "nobody.lock")
        with open(lock, "w"):
            pass
        if pkit.IS_ROOT:  # the delivery runs as nobody, who may remove only its own files
            os.chown(lock, pwd.getpwnam("nobody").pw_uid, -1)
        time.sleep(2.5)  # the lock is older than stale_lock_time now
        for rcpt in ("nobody%localhost", "localhost!nobody", "nobody@example.com", "big@virt.example",
                     "r1@virt.example"):
            inst.sendmail(["-f", "a@example.net", rcpt], "Subject: to %s\n\nx\n" % rcpt)
        for rcpt, user in (("nobody%localhost", "nobody%localhost"),
                           ("localhost!nobody", "localhost!nobody")):
            R.true("%s not rewritten" % rcpt, inst.wait_log(
                r"postfix/local\[\d+\]: [0-9A-F]+: to=<%s@mail\.example\.com>, .*dsn=5\.1\.1, "
                r"status=bounced \(unknown user: \"%s\"\)" % (re.escape(rcpt), re.escape(user))),
                inst.log())
        R.true("stale_lock_time: stale lock removed, mail delivered",
               inst.wait_mailbox("nobody", "Subject: to nobody@example.com"), inst.log())
        R.true("virtual_alias_expansion_limit", inst.wait_log(
            r"postfix/cleanup\[\d+\]: warning: [0-9A-F]+: unreasonable virtual_alias_maps map "
            r"expansion size for big@virt\.example -- message not accepted, try again later$"))
        R.true("virtual_alias_recursion_limit", inst.wait_log(
            r"postfix/cleanup\[\d+\]: warning: [0-9A-F]+: unreasonable virtual_alias_maps map "
            r"nesting for r1@virt\.example -- message not accepted, try again later$"))
        R.check("nothing delivered past the limits",
                "to big@" in inst.mailbox("nobody") or "to r1@" in inst.mailbox("nobody"), False)
    finally:
        inst.cleanup()


# bounce_service_name, cleanup_service_name and queue_service_name: master.cf services by
# other names.  (Postfix's bounce daemon also names its logfile directory after the service,
# so the oracle wants a queue directory by that name too; postkit has no such directory.)
SERVICES = """\
bounce_service_name = mybounce
cleanup_service_name = mycleanup
queue_service_name = myqmgr
"""


def service_names():
    master = []
    for line in pkit.BASE_MASTER_CF.splitlines(True):
        if line.split()[0] in ("bounce", "cleanup", "qmgr"):
            line = "my" + line
        master.append(line)
    inst = pkit.Instance(main_extra=SERVICES, master_cf="".join(master))
    try:
        inst.start()
        inst.sendmail(["-f", "nobody", "ghost"], "Subject: renamed services\n\nx\n")
        R.true("bounce by mybounce", inst.wait_log(
            r"postfix/bounce\[\d+\]: [0-9A-F]+: sender non-delivery notification: [0-9A-F]+$"),
            inst.log())
        R.true("bounce delivered", inst.wait_mailbox("nobody", "Subject: renamed services"), inst.log())
    finally:
        inst.cleanup()


def unknown_address():
    """unknown_address_reject_code: reject_unknown_sender_domain on a domain that does not exist."""
    try:
        from dnsserver import DnsServer
    except ImportError:
        print("python3-dnslib is not installed: unknown_address_reject_code not checked")
        return
    dns = DnsServer("good.example. 60 IN A 192.0.2.99\n")
    dns.start()
    old = os.environ.get("POSTKIT_DNS_SERVER")
    os.environ["POSTKIT_DNS_SERVER"] = dns.env_value()
    inst = pkit.Instance(main_extra="unknown_address_reject_code = 553\n"
                                    "smtpd_sender_restrictions = reject_unknown_sender_domain\n")
    try:
        inst.start()
        for sender, want in [
                ("a@good.example", "250 2.1.5 Ok"),
                ("a@nx.example", "553 5.1.8 <a@nx.example>: Sender address rejected: Domain not found")]:
            R.check("unknown_address_reject_code: %s" % sender, rcpt_reply(inst, "<%s>" % sender), want)
    finally:
        inst.cleanup()
        dns.stop()
        if old is None:
            os.environ.pop("POSTKIT_DNS_SERVER", None)
        else:
            os.environ["POSTKIT_DNS_SERVER"] = old


def main():
    pkit.require_binaries()
    smtpd_codes()
    smtpd_order()
    local_delivery()
    rewriting()
    service_names()
    unknown_address()
    R.finish()


if __name__ == "__main__":
    main()
