#!/usr/bin/env python3
"""test_restrictions.py - smtpd_*_restrictions and access(5) results.

Replies are those of Postfix 3.7.11 for the same tables and restrictions
(the oracle used hash: tables; texthash: has the same lookup semantics).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("restrictions")

ACCESS_RCPT = """\
rej@example.com REJECT
rejt@example.com REJECT custom rcpt text
def@example.com DEFER
deft@example.com DEFER try later text
ok@example.org OK
c550@example.com 550 five fifty text
c551@example.com 550 5.7.9 with enh
c450@example.com 450 four fifty
dunno@example.org DUNNO
permit@example.org permit
rr@example.com reject_unauth_destination
warn@example.com WARN warn text
info@example.com INFO info text
bogus@example.com BOGUSACTION
domrej.example REJECT dom text
disc@example.com DISCARD
hold@example.com HOLD
"""
ACCESS_CLIENT = """\
203.0.113.66 REJECT
203.0.113.67 REJECT client text
"""
ACCESS_DATA = "203.0.113.77 REJECT no data\n"

RCPTS = [
    ("rej@example.com", "554 5.7.1 <rej@example.com>: Recipient address rejected: Access denied"),
    ("rejt@example.com", "554 5.7.1 <rejt@example.com>: Recipient address rejected: custom rcpt text"),
    ("def@example.com", "450 4.7.1 <def@example.com>: Recipient address rejected: Access denied"),
    ("deft@example.com", "450 4.7.1 <deft@example.com>: Recipient address rejected: try later text"),
    ("ok@example.org", "250 2.1.5 Ok"),
    ("c550@example.com", "550 5.7.1 <c550@example.com>: Recipient address rejected: five fifty text"),
    ("c551@example.com", "550 5.7.9 <c551@example.com>: Recipient address rejected: with enh"),
    ("c450@example.com", "450 4.7.1 <c450@example.com>: Recipient address rejected: four fifty"),
    ("dunno@example.org", "250 2.1.5 Ok"),
    ("permit@example.org", "250 2.1.5 Ok"),
    ("rr@example.com",
     "550 5.1.1 <rr@example.com>: Recipient address rejected: User unknown in local recipient table"),
    ("warn@example.com",
     "550 5.1.1 <warn@example.com>: Recipient address rejected: User unknown in local recipient table"),
    ("info@example.com",
     "550 5.1.1 <info@example.com>: Recipient address rejected: User unknown in local recipient table"),
    ("bogus@example.com", "451 4.3.5 Server configuration error"),
    ("x@domrej.example", "554 5.7.1 <x@domrej.example>: Recipient address rejected: dom text"),
    ("x@sub.domrej.example", "554 5.7.1 <x@sub.domrej.example>: Recipient address rejected: dom text"),
    ("x@virt.example",
     "550 5.1.1 <x@virt.example>: Recipient address rejected: User unknown in virtual alias table"),
    ("known@virt.example", "250 2.1.5 Ok"),
]

# error: and retry: transports and relocated_maps at RCPT (reject_unlisted_recipient and
# reject_unlisted_sender), and what the error agent then logs.  Postfix 3.7.11, same tables.
TRANSPORT = """\
err.example error:5.7.1 go away
retry.example retry:4.4.1 try later
nocode.example error:just text
code4.example error:4.2.2 mailbox full
errretry.example retry:5.1.1 perm text in retry
plain.example error:
dsnonly.example error:5.7.1
d2.example error:5.1.2 t2
d7.example error:5.1.7 t7
d8.example error:5.1.8 t8
special@example.com error:5.1.2 special user gone
err@valias.example error:5.7.1 nope
"""
RELOCATED = """\
moved@example.com newplace@elsewhere.example
@oldco.example newco.example
root@example.com rootnew@x.example
special@example.com specialnew@x.example
z@err.example znew@x.example
spaced@example.com Joe is now at joe@new.example, call him
movedalias@example.com aliasnew@x.example
bareuser bare@new.example
moved@valias.example x@y.example
"""
ERR_MAIN = """\
relay_domains = err.example retry.example nocode.example code4.example errretry.example
 plain.example dsnonly.example d2.example d7.example d8.example oldco.example
transport_maps = texthash:$config_directory/transport
relocated_maps = texthash:$config_directory/relocated
virtual_alias_domains = valias.example
virtual_alias_maps = texthash:$config_directory/valias
unknown_virtual_alias_reject_code = 552
recipient_delimiter = +
smtpd_reject_unlisted_sender = yes
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 100
"""
REJ = "Recipient address rejected"
ERR_RCPTS = [
    ("a@err.example", "550 5.7.1 <a@err.example>: %s: go away" % REJ),
    ("b@retry.example", "450 4.4.1 <b@retry.example>: %s: try later" % REJ),
    ("c@nocode.example", "550 5.1.1 <c@nocode.example>: %s: just text" % REJ),
    ("d@code4.example", "550 5.2.2 <d@code4.example>: %s: mailbox full" % REJ),
    ("e@errretry.example", "450 4.1.1 <e@errretry.example>: %s: perm text in retry" % REJ),
    ("f@plain.example", "550 5.1.1 <f@plain.example>: %s: Address is undeliverable" % REJ),
    ("u@d7.example", "550 5.1.3 <u@d7.example>: %s: t7" % REJ),
    ("u@d8.example", "550 5.1.2 <u@d8.example>: %s: t8" % REJ),
    ("special@example.com",
     "550 5.1.6 <special@example.com>: %s: User has moved to specialnew@x.example" % REJ),
    ("moved@example.com",
     "550 5.1.6 <moved@example.com>: %s: User has moved to newplace@elsewhere.example" % REJ),
    ("moved+foo@example.com",
     "550 5.1.6 <moved+foo@example.com>: %s: User has moved to newplace@elsewhere.example" % REJ),
    ("root@example.com", "550 5.1.6 <root@example.com>: %s: User has moved to rootnew@x.example" % REJ),
    ("z@err.example", "550 5.1.6 <z@err.example>: %s: User has moved to znew@x.example" % REJ),
    ("q@oldco.example", "550 5.1.6 <q@oldco.example>: %s: User has moved to newco.example" % REJ),
    ("spaced@example.com", "550 5.1.6 <spaced@example.com>: %s: User has moved to Joe is now at "
     "joe@new.example, call him" % REJ),
    ("movedalias@example.com", "250 2.1.5 Ok"),
    ("bareuser@example.com", "550 5.1.6 <bareuser@example.com>: %s: User has moved to bare@new.example"
     % REJ),
    ("bareuser@mail.example.com",
     "550 5.1.6 <bareuser@mail.example.com>: %s: User has moved to bare@new.example" % REJ),
    ("nouser@valias.example", "552 5.1.1 <nouser@valias.example>: %s: User unknown in virtual alias "
     "table" % REJ),
    ("ok@valias.example", "250 2.1.5 Ok"),
    ("moved@valias.example", "552 5.1.6 <moved@valias.example>: %s: User has moved to x@y.example" % REJ),
    ("err@valias.example", "552 5.1.1 <err@valias.example>: %s: User unknown in virtual alias table"
     % REJ),
]
SREJ = "Sender address rejected"
ERR_SENDERS = [
    ("moved@example.com",
     "550 5.1.7 <moved@example.com>: %s: User has moved to newplace@elsewhere.example" % SREJ),
    ("a@err.example", "550 5.7.1 <a@err.example>: %s: go away" % SREJ),
    ("b@retry.example", "450 4.4.1 <b@retry.example>: %s: try later" % SREJ),
    ("e@errretry.example", "450 4.1.7 <e@errretry.example>: %s: perm text in retry" % SREJ),
    ("s@d2.example", "550 5.1.8 <s@d2.example>: %s: t2" % SREJ),
    ("s@d7.example", "550 5.1.7 <s@d7.example>: %s: t7" % SREJ),
]
# what the error (and retry) agent logs for the same addresses when mail gets in by sendmail
ERR_DELIVERY = [
    ("a@err.example", "5.7.1", "bounced", "go away"),
    ("b@retry.example", "4.4.1", "deferred", "try later"),
    ("c@nocode.example", "5.0.0", "bounced", "just text"),
    ("d@code4.example", "5.0.0", "bounced", "mailbox full"),
    ("e@errretry.example", "4.0.0", "deferred", "perm text in retry"),
    ("f@plain.example", "5.0.0", "bounced", "Address is undeliverable"),
    ("u@dsnonly.example", "5.7.1", "bounced", ""),
    ("special@example.com", "5.1.6", "bounced", "User has moved to specialnew@x.example"),
]


def error_transports():
    inst = pkit.Instance(main_extra=ERR_MAIN)
    inst.write("transport", TRANSPORT)
    inst.write("relocated", RELOCATED)
    inst.write("valias", "movedalias@example.com root\nok@valias.example root\n")
    try:
        inst.start()
        s = inst.session()
        s.cmd("EHLO outside.example.net")
        s.cmd("MAIL FROM:<someone@example.net>")
        for rcpt, want in ERR_RCPTS:
            R.check("RCPT %s" % rcpt, s.cmd("RCPT TO:<%s>" % rcpt), want)
        s.close()
        R.true("error transport reject logged", inst.wait_log(
            r"NOQUEUE: reject: RCPT from localhost\[127\.0\.0\.1\]: 550 5\.7\.1 <a@err\.example>: "
            r"Recipient address rejected: go away; from=<someone@example\.net> to=<a@err\.example> "
            r"proto=ESMTP helo=<outside\.example\.net>"))
        for sender, want in ERR_SENDERS:
            s = inst.session()
            s.cmd("EHLO outside.example.net")
            s.cmd("MAIL FROM:<%s>" % sender)
            R.check("MAIL %s" % sender, s.cmd("RCPT TO:<nobody@example.com>"), want)
            s.close()
        for rcpt, _dsn, _st, _text in ERR_DELIVERY:
            inst.sendmail(["-f", "nobody@example.com", rcpt], "Subject: to %s\n\nbody\n" % rcpt)
        for rcpt, dsn, status, text in ERR_DELIVERY:
            R.true("error agent: %s" % rcpt, inst.wait_log(
                r"postfix/error\[\d+\]: [0-9A-F]+: to=<%s>, relay=none, delay=[0-9.]+, "
                r"delays=[0-9./]+, dsn=%s, status=%s \(%s\)$"
                % (re.escape(rcpt), re.escape(dsn), status, re.escape(text))), inst.log())
        R.true("error ignores a 4.X.X code", inst.wait_log(
            r'postfix/error\[\d+\]: warning: bounce_append: ignoring dsn code "4\.2\.2"$'))
        R.true("retry ignores a 5.X.X code", inst.wait_log(
            r'postfix/error\[\d+\]: warning: defer_append: ignoring dsn code "5\.1\.1"$'))
        r = inst.sendmail(["-bv", "a@err.example", "b@retry.example"], "x\n")
        R.true("verify: undeliverable", inst.wait_log(
            r"to=<a@err\.example>, relay=none, .*dsn=5\.7\.1, status=undeliverable \(go away\)")
            and inst.wait_log(r"to=<b@retry\.example>, relay=none, .*dsn=4\.4\.1, "
                              r"status=undeliverable \(try later\)"), r.stderr)
    finally:
        inst.cleanup()

    # a relocated_maps table that fails: the resolver fails, smtpd says so
    inst = pkit.Instance(main_extra="relocated_maps = texthash:$config_directory/relocated\n")
    inst.write("relocated", RELOCATED)
    try:
        inst.start()
        os.unlink(inst.path("relocated"))
        s = inst.session()
        s.cmd("EHLO outside.example.net")
        s.cmd("MAIL FROM:<someone@example.net>")
        R.check("relocated_maps failure", s.cmd("RCPT TO:<root@example.com>"),
                "451 4.3.0 <root@example.com>: Temporary lookup failure")
        s.close()
        R.true("relocated_maps failure logged",
               inst.wait_log(r"postfix/smtpd\[\d+\]: warning: relocated_maps lookup failure$"))
    finally:
        inst.cleanup()


def session(inst, xclient, helo="x.example.net"):
    s = inst.session()
    s.cmd("EHLO %s" % helo)
    s.cmd(xclient)
    if helo:
        s.cmd("EHLO %s" % helo)
    return s


def main():
    pkit.require_binaries()
    inst = pkit.Instance(main_extra="""\
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 100
virtual_alias_domains = virt.example
virtual_alias_maps = texthash:$config_directory/virtual
smtpd_client_restrictions = check_client_access texthash:$config_directory/access_client
smtpd_recipient_restrictions = check_recipient_access texthash:$config_directory/access_rcpt
smtpd_data_restrictions = check_client_access texthash:$config_directory/access_data
""")
    inst.write("access_rcpt", ACCESS_RCPT)
    inst.write("access_client", ACCESS_CLIENT)
    inst.write("access_data", ACCESS_DATA)
    inst.write("virtual", "known@virt.example nobody@example.com\n")
    try:
        inst.start()
        s = session(inst, "XCLIENT ADDR=192.0.2.10 NAME=trusted.example.net", "inside.example.net")
        s.cmd("MAIL FROM:<someone@example.net>")
        for rcpt, want in RCPTS:
            R.check("RCPT %s" % rcpt, s.cmd("RCPT TO:<%s>" % rcpt), want)
        s.cmd("QUIT")
        s.close()
        R.true("WARN logged", inst.wait_log(
            r"warn: RCPT from trusted\.example\.net\[192\.0\.2\.10\]: warn text; "
            r"from=<someone@example\.net> to=<warn@example\.com> proto=ESMTP helo=<inside\.example\.net>"))
        R.true("INFO logged", inst.wait_log(r"info: RCPT from trusted\.example\.net\[192\.0\.2\.10\]: "
                                            r"info text;"))
        R.true("unknown action warned", inst.wait_log(r'warning: unknown smtpd restriction: "BOGUSACTION"'))

        cases = [
            ("XCLIENT ADDR=203.0.113.66 NAME=[UNAVAILABLE]", "RCPT TO:<nobody@example.com>",
             "554 5.7.1 <unknown[203.0.113.66]>: Client host rejected: Access denied"),
            ("XCLIENT ADDR=203.0.113.67 NAME=bad.example.net", "RCPT TO:<nobody@example.com>",
             "554 5.7.1 <bad.example.net[203.0.113.67]>: Client host rejected: client text"),
        ]
        for xc, cmd, want in cases:
            s = session(inst, xc)
            s.cmd("MAIL FROM:<a@example.net>")
            R.check(xc, s.cmd(cmd), want)
            s.close()
        s = session(inst, "XCLIENT ADDR=203.0.113.77 NAME=bad.example.net")
        s.cmd("MAIL FROM:<a@example.net>")
        R.check("data restriction: RCPT", s.cmd("RCPT TO:<nobody@example.com>"), "250 2.1.5 Ok")
        R.check("data restriction: DATA", s.cmd("DATA"),
                "554 5.7.1 <bad.example.net[203.0.113.77]>: Client host rejected: no data")
        s.close()
        R.true("DATA reject logged", inst.wait_log(
            r"[0-9A-F]+: reject: DATA from bad\.example\.net\[203\.0\.113\.77\]: 554 5\.7\.1 "
            r"<bad\.example\.net\[203\.0\.113\.77\]>: Client host rejected: no data; "
            r"from=<a@example\.net> to=<nobody@example\.com> proto=ESMTP helo=<x\.example\.net>"))

        # DISCARD: accepted, then gone
        s = session(inst, "XCLIENT ADDR=192.0.2.10 NAME=trusted.example.net")
        s.cmd("MAIL FROM:<someone@example.net>")
        R.check("DISCARD RCPT (unknown user: DISCARD wins)", s.cmd("RCPT TO:<disc@example.com>"),
                "250 2.1.5 Ok")
        R.check("after DISCARD nothing is checked", s.cmd("RCPT TO:<hold@example.com>"), "250 2.1.5 Ok")
        r = s.data("Subject: discard me\n\nx\n")
        R.true("DISCARD accepted", r.startswith("250 2.0.0 Ok: queued as"), r)
        s.close()
        R.true("DISCARD logged", inst.wait_log(
            r"NOQUEUE: discard: RCPT from trusted\.example\.net\[192\.0\.2\.10\]: <disc@example\.com>: "
            r"Recipient address triggers DISCARD action; from=<someone@example\.net> "
            r"to=<disc@example\.com> proto=ESMTP helo=<x\.example\.net>"))
        R.check("DISCARD leaves nothing queued", inst.queue_files("deferred") +
                inst.queue_files("incoming") + inst.queue_files("active"), [])
    finally:
        inst.cleanup()

    # helo and sender restrictions (smtpd_delay_reject: evaluated at RCPT)
    inst = pkit.Instance(main_extra="""\
smtpd_helo_restrictions = reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname
smtpd_sender_restrictions = reject_non_fqdn_sender, reject_unlisted_sender, reject_unknown_sender_domain
""")
    try:
        inst.start()
        cases = [
            ("bad_helo!", "<someone@example.com>",
             "501 5.5.2 <bad_helo!>: Helo command rejected: Invalid name"),
            ("nodots", "<someone@example.com>",
             "504 5.5.2 <nodots>: Helo command rejected: need fully-qualified hostname"),
            ("fine.example.net", "<someone>",
             "504 5.5.2 <someone>: Sender address rejected: need fully-qualified address"),
            ("fine.example.net", "<nosuch@example.com>",
             "550 5.1.0 <nosuch@example.com>: Sender address rejected: User unknown in local recipient "
             "table"),
            ("fine.example.net", "<someone@nonexistent.invalid>",
             "450 4.1.8 <someone@nonexistent.invalid>: Sender address rejected: Domain not found"),
            ("fine.example.net", "<nobody@example.com>", "250 2.1.5 Ok"),
            ("[192.0.2.1]", "<nobody@example.com>", "250 2.1.5 Ok"),
        ]
        for helo, sender, want in cases:
            s = session(inst, "XCLIENT ADDR=192.0.2.10 NAME=trusted.example.net HELO=%s" % helo, None)
            R.check("MAIL %s" % sender, s.cmd("MAIL FROM:%s" % sender), "250 2.1.0 Ok")
            R.check("helo %s sender %s" % (helo, sender), s.cmd("RCPT TO:<nobody@example.com>"), want)
            s.close()
    finally:
        inst.cleanup()

    # without smtpd_delay_reject the client is judged at connect (Postfix 3.7.11): the
    # greeting is the rejection and every command but QUIT gets 503
    inst = pkit.Instance(main_extra="""\
smtpd_delay_reject = no
smtpd_client_restrictions = reject
smtpd_relay_restrictions = reject_unauth_destination
""")
    try:
        inst.start()
        s = inst.session()
        R.check("no delay_reject: greeting", s.greeting,
                ["554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied"])
        for cmd in ("HELO x.example.net", "MAIL FROM:<a@example.net>", "RCPT TO:<nobody@example.com>"):
            R.check("no delay_reject: " + cmd, s.cmd(cmd),
                    "503 5.7.0 Error: access denied for localhost[127.0.0.1]")
        R.check("no delay_reject: QUIT", s.cmd("QUIT"), "221 2.0.0 Bye")
        s.close()
        R.true("connect reject logged", inst.wait_log(
            r"NOQUEUE: reject: CONNECT from localhost\[127\.0\.0\.1\]: 554 5\.7\.1 "
            r"<localhost\[127\.0\.0\.1\]>: Client host rejected: Access denied; proto=SMTP"))
    finally:
        inst.cleanup()
    error_transports()
    R.finish()


if __name__ == "__main__":
    main()
