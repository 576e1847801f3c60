#!/usr/bin/env python3
"""test_simulate.py - postfix route, postfix simulate and postfix test.

route: each address through cleanup's rewriting and the resolver, every step
naming the parameter and main.cf line that caused it.  simulate: one SMTP
transaction through smtpd's restriction engine, compared byte for byte with
a live instance driven with XCLIENT from the same client address.  test: a
file of such questions with expected answers.  Bad input exits 2 with a
message; nothing is ever queued.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("simulate")


def route_tests():
    inst = pkit.Instance(main_extra="""\
virtual_alias_maps = texthash:$config_directory/virtual
relocated_maps = texthash:$config_directory/relocated
recipient_canonical_maps = texthash:$config_directory/canonical
relay_domains = relay.example.org
transport_maps = texthash:$config_directory/transport
""", aliases="postmaster root\nsales bob\n")
    inst.write("virtual", "team@example.net alice@example.com, sales@example.com\n"
               "alice@example.com alice@example.com, deep@example.net\n"
               "deep@example.net carol@example.com\n"
               "example.net whatever\n")
    inst.write("relocated", "gone@example.com newplace@example.org\n")
    inst.write("canonical", "old@example.com team@example.net\n")
    inst.write("transport", "special.example.org smtp:[192.0.2.99]:2525\n")
    main = os.path.join(inst.dir, "main.cf")
    lines = open(main).read().splitlines()

    def line_of(name):
        return next(i + 1 for i, l in enumerate(lines) if l.startswith(name + " ="))

    def where(name):
        return "%s (%s:%d)" % (name, main, line_of(name))

    try:
        r = inst.postfix("route", "old@example.com")
        R.check("route: exit", r.returncode, 0)
        want = [
            "old@example.com",
            "  old@example.com -> team@example.net: " + where("recipient_canonical_maps"),
            "  team@example.net -> alice@example.com: " + where("virtual_alias_maps"),
            "    alice@example.com -> alice@example.com: " + where("virtual_alias_maps"),
            "    alice@example.com -> deep@example.net: " + where("virtual_alias_maps"),
            "      deep@example.net -> carol@example.com: " + where("virtual_alias_maps"),
            "  team@example.net -> sales@example.com: " + where("virtual_alias_maps"),
            "  final recipient alice@example.com",
            "    address class: local: " + where("mydestination"),
            "    transport local, next hop mail.example.com: local_transport (default)",
            "    delivery agent: local (%s/master.cf:13: local unix ... local)" % inst.dir,
            "  final recipient carol@example.com",
        ]
        R.check("route: canonical, virtual tree, class, transport, agent",
                r.stdout.splitlines()[:len(want)], want)
        R.true("route: local alias of sales", "    local alias sales -> bob: %s" % where("alias_maps")
               in r.stdout.splitlines(), r.stdout)

        r = inst.postfix("route", "gone@example.com", "nobody@example.net", "y@special.example.org",
                         "x@relay.example.org")
        out = r.stdout.splitlines()
        R.true("route: relocated bounce", "    bounced: 5.1.6 User has moved to newplace@example.org: "
               + where("relocated_maps") in out, r.stdout)
        R.true("route: virtual alias domain bounce",
               "    bounced: 5.1.1 User unknown in virtual alias table: virtual_alias_domains (default)"
               in out, r.stdout)
        R.true("route: transport_maps", "    transport smtp, next hop [192.0.2.99]:2525: "
               + where("transport_maps") in out, r.stdout)
        R.true("route: relay class", "    address class: relay: " + where("relay_domains") in out,
               r.stdout)

        r = inst.postfix("route", "--json", "x@elsewhere.test")
        j = json.loads(r.stdout)
        rc = j[0]["recipients"][0]
        R.check("route --json: route", rc["route"], {
            "transport": "smtp", "nexthop": "elsewhere.test", "parameter": "default_transport",
            "file": None, "line": None})
        R.true("route --json: MX failure reported", "Host not found" in rc.get("mx_error", ""), r.stdout)

        with open(main, "a") as f:
            f.write("masquerade_domains = example.com\n"
                    "masquerade_classes = envelope_sender, envelope_recipient\n")
        lines = open(main).read().splitlines()
        r = inst.postfix("route", "joe@host.example.com")
        R.check("route: masquerading", r.stdout.splitlines()[:3], [
            "joe@host.example.com", "  joe@host.example.com -> joe@example.com: " + where("masquerade_domains"),
            "  final recipient joe@example.com"])

        r = inst.postfix("route", "<bad")
        R.check("route: bad address exit", r.returncode, 2)
        R.check("route: bad address message", r.stderr,
                'postfix: fatal: route: bad address syntax: "<bad"\n')
        r = inst.postfix("route", "--bogus", "a@b")
        R.check("route: unknown option exit", r.returncode, 2)
        R.true("route: unknown option message",
               r.stderr.startswith("postfix: fatal: route: unknown option '--bogus'"), r.stderr)
        R.check("route: nothing queued", inst.queue_files("incoming") + inst.queue_files("maildrop"), [])
    finally:
        inst.cleanup()


def simulate(inst, *args):
    """postfix simulate --json: the stages, or None (with a failure) when it did not run."""
    r = inst.postfix("simulate", "--json", *args)
    if not R.check("simulate %s: exit" % " ".join(args), r.returncode, 0):
        print(r.stderr)
        return None
    return json.loads(r.stdout)


def live(inst, client, name, helo, sender, rcpts):
    """The same transaction on the live instance, XCLIENT as the client: [(stage, lines)]."""
    s = inst.session()
    s.cmd("EHLO %s" % helo)
    out = []

    def step(stage, line):
        s.send(line + "\r\n")
        out.append((stage, s.reply()))

    step("connect", "XCLIENT ADDR=%s NAME=%s" % (client, name if name != "unknown" else "[UNAVAILABLE]"))
    step("helo", "EHLO %s" % helo)
    step("mail", "MAIL FROM:%s" % sender)
    for r in rcpts:
        step("rcpt", "RCPT TO:%s" % r)
    step("data", "DATA")
    if out[-1][1][-1].startswith("354"):
        step("end-of-data", ".")
    s.cmd("QUIT")
    s.close()
    return out


def qmask(lines):
    return [pkit.strip_dates(l) for l in lines]


def compare(inst, what, client, name, helo, sender, rcpts):
    """simulate and live give the same replies, stage by stage, byte for byte; the stages"""
    stages = simulate(inst, "--client", "%s,%s" % (client, name), "--helo", helo, "--from", sender,
                      *sum((["--to", r] for r in rcpts), []))
    if stages is None:
        return None
    got = [(st["stage"], qmask(st["reply"]["lines"])) for st in stages]
    want = [(stage, qmask(lines)) for stage, lines in live(inst, client, name, helo, sender, rcpts)]
    R.check("simulate = live: %s" % what, got, want)
    return stages


def relay_equality():
    import test_relay
    inst = pkit.Instance(main_extra="smtpd_soft_error_limit = 1000\nsmtpd_hard_error_limit = 1000\n")
    try:
        before = inst.queue_files("incoming") + inst.queue_files("maildrop")
        inst.start()
        args = [t[0] for t in test_relay.TRICKS if t[0]]
        stages = compare(inst, "relay tricks from outside", "203.0.113.5", "unknown", "outside.example.net",
                         "<someone@example.net>", args)
        if stages:
            rcpt = [st["reply"]["lines"][-1] for st in stages if st["stage"] == "rcpt"]
            R.check("simulate = Postfix 3.7.11 (test_relay.TRICKS)", rcpt,
                    [t[1] for t in test_relay.TRICKS if t[0]])
            R.check("relay denied: decided by",
                    stages[3]["decided_by"], {"parameter": "smtpd_relay_restrictions", "file": None,
                                              "line": None, "element": "defer_unauth_destination",
                                              "table": None, "key": None, "result": None})
            R.check("accepted: default permit", stages[-2]["decided_by"], None)
        compare(inst, "inside relays", "192.0.2.10", "trusted.example.net", "inside.example.net",
                "<someone@example.net>", ["<somebody@example.org>"])
        return inst, stages
    except Exception:
        inst.cleanup()
        raise


def restriction_equality():
    import test_restrictions as T
    inst = pkit.Instance(main_extra="""\
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 100
virtual_alias_domains = virt.example
virtual_alias_maps = texthash:$config_directory/virtual
smtpd_client_restrictions = check_client_access texthash:$config_directory/access_client
smtpd_recipient_restrictions = check_recipient_access texthash:$config_directory/access_rcpt
smtpd_data_restrictions = check_client_access texthash:$config_directory/access_data
""")
    inst.write("access_rcpt", T.ACCESS_RCPT)
    inst.write("access_client", T.ACCESS_CLIENT)
    inst.write("access_data", T.ACCESS_DATA)
    inst.write("virtual", "known@virt.example nobody@example.com\n")
    main = os.path.join(inst.dir, "main.cf")
    lines = open(main).read().splitlines()
    try:
        inst.start()
        stages = compare(inst, "access map results", "192.0.2.10", "trusted.example.net",
                         "inside.example.net", "<someone@example.net>", ["<%s>" % r for r, _ in T.RCPTS])
        if stages:
            rcpt = [st["reply"]["lines"][-1] for st in stages if st["stage"] == "rcpt"]
            R.check("simulate = Postfix 3.7.11 (test_restrictions.RCPTS)", rcpt, [w for _, w in T.RCPTS])
            R.check("access REJECT: decided by", stages[3]["decided_by"], {
                "parameter": "smtpd_recipient_restrictions", "file": main,
                "line": 1 + next(i for i, l in enumerate(lines)
                                 if l.startswith("smtpd_recipient_restrictions")),
                "element": "check_recipient_access",
                "table": "texthash:%s/access_rcpt" % inst.dir, "key": "rej@example.com",
                "result": "REJECT"})
        for client, name in [("203.0.113.66", "unknown"), ("203.0.113.67", "bad.example.net"),
                             ("203.0.113.77", "bad.example.net")]:
            stages = compare(inst, "client %s" % client, client, name, "x.example.net", "<a@example.net>",
                             ["<nobody@example.com>"])
        if stages:
            R.check("data restriction: decided by", (stages[-1]["stage"], stages[-1]["decided_by"]["key"],
                                                     stages[-1]["decided_by"]["parameter"]),
                    ("data", "203.0.113.77", "smtpd_data_restrictions"))
        return inst
    except Exception:
        inst.cleanup()
        raise


def schema_and_cli(inst, stages):
    try:
        import jsonschema
    except ImportError:
        jsonschema = None
    schema = json.load(open(os.path.join(pkit.TOP_SRCDIR, "schemas", "simulate.schema.json")))
    if jsonschema and stages:
        try:
            jsonschema.validate(stages, schema)
            R.true("simulate --json matches schemas/simulate.schema.json", True)
        except jsonschema.ValidationError as e:
            R.true("simulate --json matches schemas/simulate.schema.json", False, str(e))
    # the text form names the rule
    r = inst.postfix("simulate", "--client", "203.0.113.5", "--helo", "outside.example.net",
                     "--from", "a@example.net", "--to", "somebody@example.org")
    R.true("text: reply and rule", "<<< 454 4.7.1 <somebody@example.org>: Relay access denied\n"
           "    reject: defer_unauth_destination in smtpd_relay_restrictions (default)\n" in r.stdout,
           r.stdout)
    R.true("text: default permit", "<<< 250 2.1.0 Ok\n    no rule matched: default permit\n" in r.stdout,
           r.stdout)
    # an SMTP dialogue on standard input, answered as smtpd would; the trace on stderr
    r = pkit.subprocess.run([pkit.POSTFIX, "-c", inst.dir, "simulate", "--client", "203.0.113.5"],
                            input="HELO a.example.net\r\nMAIL FROM:<a@example.net>\r\n"
                            "RCPT TO:<somebody@example.org>\r\nQUIT\r\n",
                            capture_output=True, text=True, env=inst.env(), timeout=30)
    R.check("dialogue: replies", r.stdout.replace("\r\n", "\n"),
            "220 mail.example.com ESMTP Postfix\n250 mail.example.com\n250 2.1.0 Ok\n"
            "454 4.7.1 <somebody@example.org>: Relay access denied\n221 2.0.0 Bye\n")
    R.true("dialogue: trace comment on stderr",
           "# decided by: smtpd_relay_restrictions: defer_unauth_destination: reject\n" in r.stderr,
           r.stderr)
    # -o overrides, like master.cf's
    st = simulate(inst, "--client", "203.0.113.5", "-o", "smtpd_relay_restrictions=reject",
                  "--from", "a@example.net", "--to", "nobody@example.com")
    if st:
        R.check("-o override", st[2]["reply"]["lines"],
                ["554 5.7.1 <nobody@example.com>: Recipient address rejected: Access denied"])
    # a SASL login, as permit_sasl_authenticated sees it
    st = simulate(inst, "--client", "203.0.113.5", "--sasl-user", "bob", "-o",
                  "smtpd_relay_restrictions=permit_sasl_authenticated, reject_unauth_destination",
                  "--from", "a@example.net", "--to", "somebody@example.org")
    if st:
        R.check("--sasl-user: relay permitted", (st[2]["reply"]["lines"], st[2]["decided_by"]["element"]),
                (["250 2.1.5 Ok"], "permit_sasl_authenticated"))
    # a policy service that cannot be reached: 451 as the live server says, DUNNO offline
    pol = ["-o", "smtpd_recipient_restrictions=check_policy_service inet:127.0.0.1:1, permit",
           "-o", "smtpd_policy_service_timeout=2s", "-o", "smtpd_policy_service_try_limit=1"]
    st = simulate(inst, "--client", "192.0.2.10", *pol, "--from", "a@example.net", "--to",
                  "somebody@example.org")
    if st:
        R.check("policy down: 451", st[2]["reply"]["lines"],
                ["451 4.3.5 <somebody@example.org>: Recipient address rejected: "
                 "Server configuration problem"])
    st = simulate(inst, "--client", "192.0.2.10", "--offline", *pol, "--from", "a@example.net",
                  "--to", "somebody@example.org")
    if st:
        R.check("policy offline: not asked", st[2]["reply"]["lines"], ["250 2.1.5 Ok"])
    # without smtpd_delay_reject the client is refused in the greeting (Postfix 3.7.11)
    st = simulate(inst, "--client", "203.0.113.5", "-o", "smtpd_delay_reject=no", "-o",
                  "smtpd_client_restrictions=reject", "--from", "a@example.net", "--to", "x@example.com")
    if st:
        R.check("connect rejected", [(x["stage"], x["reply"]["lines"][-1]) for x in st[:2]], [
            ("connect", "554 5.7.1 <unknown[203.0.113.5]>: Client host rejected: Access denied"),
            ("mail", "503 5.7.0 Error: access denied for unknown[203.0.113.5]")])
    # bad input: exit 2
    for args, msg in [(["--client", "1.2.3.4", "--to", "a@b", "--bogus"], "unknown option '--bogus'"),
                      (["--client", "1.2.3.4", "--tls", "--to", "a@b"], "--tls is not supported"),
                      (["--to", "a@b"], "--client is required"),
                      (["--client", "nonsense!", "--to", "a@b"], "bad client address")]:
        r = inst.postfix("simulate", *args)
        R.check("bad input %s: exit" % args, r.returncode, 2)
        R.true("bad input %s: message" % args, r.stderr.startswith("postfix: fatal: simulate: ")
               and msg in r.stderr, r.stderr)
    # a message accepted by the simulation goes nowhere near the instance's queue
    quiet = pkit.Instance()
    try:
        quiet.write("msg", "Subject: hello\n\n.leading dot\nbody\n")
        st = simulate(quiet, "--client", "192.0.2.10", "--from", "a@example.net", "--to",
                      "somebody@example.org", "--message", quiet.path("msg"))
        if st:
            R.true("message accepted", st[-1]["stage"] == "end-of-data"
                   and st[-1]["reply"]["lines"][0].startswith("250 2.0.0 Ok: queued as "), str(st[-1]))
        R.check("simulate never queues", sorted(os.listdir(quiet.dir)),
                ["aliases", "main.cf", "master.cf", "msg"])
    finally:
        quiet.cleanup()


def ptest_tests():
    """postfix test: the shipped example, a failing case, --against, --json and file errors."""
    examples = os.path.join(pkit.TOP_SRCDIR, "examples")
    tests = os.path.join(examples, "postfix-tests.yaml")
    env = dict(os.environ, POSTKIT_DNS_SERVER="127.0.0.1:1")
    env.pop("MAIL_CONFIG", None)

    def ptest(*args):
        return pkit.subprocess.run([pkit.POSTFIX] + list(args), capture_output=True, text=True,
                                   env=env, timeout=120)

    r = ptest("-c", examples, "test", tests)
    R.check("examples/postfix-tests.yaml passes: exit", r.returncode, 0)
    R.true("examples/postfix-tests.yaml: TAP", r.stdout.startswith("1..8\nok 1 - an outside client "
                                                                   "cannot relay\n")
           and "not ok" not in r.stdout, r.stdout)
    try:
        import yaml
        import jsonschema
        schema = json.load(open(os.path.join(pkit.TOP_SRCDIR, "schemas", "postfix-tests.schema.json")))
        jsonschema.validate(yaml.safe_load(open(tests)), schema)
        R.true("examples/postfix-tests.yaml matches schemas/postfix-tests.schema.json", True)
    except ImportError:
        pass
    other = pkit.Instance(main_cf=open(os.path.join(examples, "main.cf")).read()
                          + "mynetworks = 192.0.2.0/24\n",
                          master_cf=open(os.path.join(examples, "master.cf")).read())
    try:
        other.write("aliases", open(os.path.join(examples, "aliases")).read())
        # the same file against a configuration where 127.0.0.1 is an outsider
        r = ptest("-c", other.dir, "test", tests)
        R.check("a mismatch: exit", r.returncode, 1)
        R.true("a mismatch: not ok with the reply", "not ok 2 - our own network may relay\n"
               "#   got: 554 5.7.1 <somebody@example.org>: Relay access denied\n"
               "#   reply is not 250; \n" in r.stdout, r.stdout)
        r = ptest("-c", examples, "test", tests, "--against", other.dir)
        R.check("--against: exit", r.returncode, 1)
        R.check("--against: only what differs", [l for l in r.stdout.splitlines() if l.startswith("not ok")],
                ["not ok 2 - our own network may relay"])
        r = ptest("-c", examples, "test", tests, "--against", examples, "--json")
        R.check("--against itself: nothing differs", (r.returncode, json.loads(r.stdout)), (0, []))
        r = ptest("-c", other.dir, "test", tests, "--json")
        j = json.loads(r.stdout)
        R.check("--json: failures named", [c["name"] for c in j if not c["ok"]],
                ["our own network may relay"])
        # a type error in the file: FILE:LINE:COL and exit 2
        other.write("bad.yaml", "cases:\n  - name: x\n    route: a@b.c\n    expect:\n      bounce: maybe\n")
        r = ptest("-c", other.dir, "test", other.path("bad.yaml"))
        R.check("type error: exit", r.returncode, 2)
        R.check("type error: message", r.stderr,
                "%s:5:15: error: bounce: expected true or false, found a string\n" % other.path("bad.yaml"))
        other.write("bad2.yaml", "cases:\n  - name: x\n    simulate: {to: a@b}\n    expect: {}\n")
        r = ptest("-c", other.dir, "test", other.path("bad2.yaml"))
        R.check("missing client: exit", r.returncode, 2)
        R.check("missing client: message", r.stderr,
                '%s:3:15: error: simulate: "client" is required\n' % other.path("bad2.yaml"))
    finally:
        other.cleanup()


def main():
    pkit.require_binaries()
    ptest_tests()
    route_tests()
    inst, stages = relay_equality()
    try:
        schema_and_cli(inst, stages)
    finally:
        inst.cleanup()
    restriction_equality().cleanup()
    R.finish()


if __name__ == "__main__":
    main()
