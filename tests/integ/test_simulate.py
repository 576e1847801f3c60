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


def main():
    pkit.require_binaries()
    route_tests()
    R.finish()


if __name__ == "__main__":
    main()
