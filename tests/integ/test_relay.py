#!/usr/bin/env python3
"""test_relay.py - relay control: the seed's 554, the 3.x default 454, relay tricks.

Expected replies are what Postfix 3.7.11 answered in the same setup
(reference doc 5.1): mydestination covers example.com, mynetworks is
192.0.2.0/24 so 127.0.0.1 is outside, and XCLIENT (127.0.0.1 is authorized)
lets the test act as an inside or outside client.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("relay")
OUTSIDE = "XCLIENT ADDR=203.0.113.5 NAME=[UNAVAILABLE]"
INSIDE = "XCLIENT ADDR=192.0.2.10 NAME=trusted.example.net"

# (RCPT argument, reply from an outside client with the 3.6 defaults)
TRICKS = [
    ("<somebody@example.org>", "454 4.7.1 <somebody@example.org>: Relay access denied"),
    ("<user%example.org@example.com>", "454 4.7.1 <user%example.org@example.com>: Relay access denied"),
    ("<user%example.org@mail.example.com>",
     "454 4.7.1 <user%example.org@mail.example.com>: Relay access denied"),
    ("<example.org!user@example.com>", "454 4.7.1 <example.org!user@example.com>: Relay access denied"),
    ("<example.org!user>", "454 4.7.1 <example.org!user>: Relay access denied"),
    ("<@example.com:user@example.org>", "454 4.7.1 <user@example.org>: Relay access denied"),
    ("<@mail.example.com:nobody@example.com>", "250 2.1.5 Ok"),
    ('<"user@example.org"@example.com>', "454 4.7.1 <user@example.org@example.com>: Relay access denied"),
    ('<"user@example.org">', "454 4.7.1 <user@example.org>: Relay access denied"),
    ("<user@example.org.>", "454 4.7.1 <user@example.org.>: Relay access denied"),
    ("<nobody@example.com.>", "250 2.1.5 Ok"),
    ("<user@[192.0.2.1]>", "454 4.7.1 <user@[192.0.2.1]>: Relay access denied"),
    ("<user@[127.0.0.1]>",
     "550 5.1.1 <user@[127.0.0.1]>: Recipient address rejected: User unknown in local recipient table"),
    ("<nobody@[127.0.0.1]>", "250 2.1.5 Ok"),
    ("<user@example.org@example.com>", "454 4.7.1 <user@example.org@example.com>: Relay access denied"),
    ("<nobody>", "250 2.1.5 Ok"),
    ("<user@example.com.example.org>", "454 4.7.1 <user@example.com.example.org>: Relay access denied"),
    ("<user@localhost>",
     "550 5.1.1 <user@localhost>: Recipient address rejected: User unknown in local recipient table"),
    ("<nobody@localhost>", "250 2.1.5 Ok"),
    ("<user@EXAMPLE.ORG>", "454 4.7.1 <user@EXAMPLE.ORG>: Relay access denied"),
    ("<NOBODY@EXAMPLE.COM>", "250 2.1.5 Ok"),
    ("<nobody@example.com >", "250 2.1.5 Ok"),
    (" <nobody@example.com>", "250 2.1.5 Ok"),
    ("nobody@example.com", "250 2.1.5 Ok"),
    ("<nobody@example.com> NOTIFY=NEVER", "250 2.1.5 Ok"),
    ("<nobody@example.com> FOO=BAR", "555 5.5.4 Unsupported option: FOO=BAR"),
    ("<>", "501 5.1.3 Bad recipient address syntax"),
    ("", "501 5.5.4 Syntax: RCPT TO:<address>"),
    ("<a b@example.com>", "501 5.1.3 Bad recipient address syntax"),
    ("<nosuchuser@example.com>",
     "550 5.1.1 <nosuchuser@example.com>: Recipient address rejected: User unknown in local recipient table"),
]


def rcpt_replies(inst, client, rcpts, sender="<someone@example.net>"):
    s = inst.session()
    s.cmd("EHLO outside.example.net")
    s.cmd(client)
    s.cmd("EHLO outside.example.net")
    s.cmd("MAIL FROM:%s" % sender)
    out = [s.cmd("RCPT TO:%s" % r) for r in rcpts]
    s.cmd("QUIT")
    s.close()
    return out


def main():
    pkit.require_binaries()
    # 1. Postfix 3.x defaults (compatibility_level 3.6): defer_unauth_destination
    inst = pkit.Instance(main_extra="smtpd_soft_error_limit = 1000\nsmtpd_hard_error_limit = 1000\n")
    try:
        inst.start()
        got = rcpt_replies(inst, OUTSIDE, [t[0] for t in TRICKS])
        for (arg, want), g in zip(TRICKS, got):
            R.check("outside RCPT TO:%s" % arg, g, want)
        R.true("reject logged as Postfix does",
               inst.wait_log(r"NOQUEUE: reject: RCPT from unknown\[203\.0\.113\.5\]: 454 4\.7\.1 "
                             r"<somebody@example\.org>: Relay access denied; from=<someone@example\.net> "
                             r"to=<somebody@example\.org> proto=ESMTP helo=<outside\.example\.net>"))
        # inside mynetworks: a foreign domain is accepted and queued
        s = inst.session()
        s.cmd("EHLO inside.example.net")
        s.cmd(INSIDE)
        s.cmd("EHLO inside.example.net")
        R.check("inside MAIL", s.cmd("MAIL FROM:<someone@example.net>"), "250 2.1.0 Ok")
        R.check("inside RCPT foreign", s.cmd("RCPT TO:<somebody@example.org>"), "250 2.1.5 Ok")
        r = s.data("Subject: relay me\n\nbody\n")
        R.true("inside DATA queued", r.startswith("250 2.0.0 Ok: queued as "), r)
        s.cmd("QUIT")
        s.close()
        R.true("relayed mail waits in the deferred queue with a reason",
               inst.wait_log(r"to=<somebody@example\.org>, relay=none, .*dsn=4\.4\.3, status=deferred "
                             r"\(Host or domain name not found\. Name service error for name=example\.org "
                             r"type=MX: Host not found, try again\)"), inst.log())
        # qmgr moves the file to deferred/ after the agent's status line: wait for it, bounded
        deadline = time.time() + 10
        while len(inst.queue_files("deferred")) != 1 and time.time() < deadline:
            time.sleep(0.05)
        R.true("deferred queue holds it", inst.wait_log("removed", timeout=0.5) is False
               and len(inst.queue_files("deferred")) == 1, str(inst.queue_files("deferred")))
    finally:
        inst.cleanup()

    # 2. the seed's Postfix 2.6-style configuration: 554
    inst = pkit.Instance(main_extra="smtpd_relay_restrictions =\n"
                         "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n")
    try:
        inst.start()
        got = rcpt_replies(inst, OUTSIDE, ["<somebody@example.com>", "<somebody@example.org>",
                                           "<user%example.org@example.com>"])
        R.check("2.6 style local", got[0],
                "550 5.1.1 <somebody@example.com>: Recipient address rejected: User unknown in local "
                "recipient table")
        R.check("2.6 style foreign", got[1], "554 5.7.1 <somebody@example.org>: Relay access denied")
        R.check("2.6 style percent hack", got[2],
                "554 5.7.1 <user%example.org@example.com>: Relay access denied")
        got = rcpt_replies(inst, INSIDE, ["<somebody@example.org>"])
        R.check("2.6 style inside", got[0], "250 2.1.5 Ok")
    finally:
        inst.cleanup()

    # 3. the seed's own scenario with example.com foreign: 554 for somebody@example.com
    inst = pkit.Instance(main_extra="mydestination = $myhostname, localhost\n"
                         "smtpd_relay_restrictions =\n"
                         "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n")
    try:
        inst.start()
        got = rcpt_replies(inst, OUTSIDE, ["<somebody@example.com>"])
        R.check("seed check", got[0], "554 5.7.1 <somebody@example.com>: Relay access denied")
    finally:
        inst.cleanup()

    # 4. error: and retry: as default_transport reject at RCPT what may be relayed (Postfix
    # 3.7.11): the next hop is the text, the domain or the relayhost when none is given
    for dt, relayhost, want in [
            ("retry:4.4.1 some text", "",
             "450 4.4.1 <somebody@example.org>: Recipient address rejected: some text"),
            ("error", "", "550 5.1.1 <somebody@example.org>: Recipient address rejected: example.org"),
            ("retry:", "", "450 4.1.1 <somebody@example.org>: Recipient address rejected: example.org"),
            ("error:", "[10.0.0.1]",
             "550 5.1.1 <somebody@example.org>: Recipient address rejected: [10.0.0.1]")]:
        inst = pkit.Instance(main_extra="default_transport = %s\nrelayhost = %s\n" % (dt, relayhost))
        try:
            inst.start()
            got = rcpt_replies(inst, INSIDE, ["<somebody@example.org>"])
            R.check("default_transport = %s" % dt, got[0], want)
            if dt == "error":
                inst.sendmail(["-f", "nobody@example.com", "somebody@example.org"], "Subject: x\n\nx\n")
                R.true("error agent bounces with the domain", inst.wait_log(
                    r"postfix/error\[\d+\]: [0-9A-F]+: to=<somebody@example\.org>, relay=none, .*"
                    r"dsn=5\.0\.0, status=bounced \(example\.org\)$"), inst.log())
        finally:
            inst.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
