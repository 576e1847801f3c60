#!/usr/bin/env python3
"""test_tls_dane.py - the smtp client's dane and dane-only levels with TLSA records in DNSSEC.

tests/integ/dnsserver.py serves the zone: "example.com SECURE" gives every
answer under example.com the AD bit (as a validating resolver would),
example.net answers without it.  postkit asks it with
POSTKIT_DNS_SERVER="127.0.0.1:PORT trust-ad" (glibc passes the AD bit on
only from a trusted server, like resolv.conf's "options trust-ad") and
smtp_dns_support_level = dnssec.  The server is a postkit instance with
STARTTLS whose chain (smtpd_tls_chain_files) includes the test CA.

Log lines and deferral reasons are what Postfix 3.7.11's smtp client gave
with the same zone and server (resolv.conf naming the same DNS server with
"options trust-ad"):
  Verified TLS connection established to ee.example.com[127.0.0.1]:PORT: ...   (3 1 1)
  Verified TLS connection established to mail.example.com[127.0.0.1]:PORT: ... (2 0 1, CA)
  server certificate verification failed for bad.example.com[127.0.0.1]:PORT: num=65:no
    matching DANE TLSA records ... dsn=4.7.5, status=deferred (Server certificate not verified)
  Untrusted TLS connection established to notlsa.example.com[...]  (dane without TLSA: may)
  warning: TLS policy lookup for [notlsa.example.com]:PORT/notlsa.example.com: no TLSA records
    found ... relay=none, ... dsn=4.7.5, status=deferred (no TLSA records found)   (dane-only)
Postfix also logged "warning: DNSSEC validation may be unavailable" for its
dnssec_probe (ns:.), a probe postkit does not send.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsserver  # noqa: E402
import pkit  # noqa: E402
import tls_setup  # noqa: E402

R = pkit.Results("tls_dane")


def zone(port, certs):
    return """example.com SECURE
mail.example.com. 60 IN A 127.0.0.1
_{p}._tcp.mail.example.com. 60 IN TLSA 2 0 1 {ca}
ee.example.com. 60 IN A 127.0.0.1
_{p}._tcp.ee.example.com. 60 IN TLSA 3 1 1 {pk}
bad.example.com. 60 IN A 127.0.0.1
_{p}._tcp.bad.example.com. 60 IN TLSA 3 1 1 {bad}
notlsa.example.com. 60 IN A 127.0.0.1
mail.example.net. 60 IN A 127.0.0.1
_{p}._tcp.mail.example.net. 60 IN TLSA 3 1 1 {pk}
""".format(p=port, ca=certs.fingerprint("ca.pem").replace(":", ""),
           pk=certs.pkey_fingerprint("rsa.pem").replace(":", ""), bad="00" * 32)


def main():
    tls_setup.require_tls_tools()
    certs = tls_setup.Certs()
    server = pkit.Instance(main_extra=certs.server_main_cf("may") + """\
smtpd_tls_chain_files = {chain}
relay_domains = example.org
""".format(chain=certs.chain_file()))
    dns = dnsserver.DnsServer(zone(server.port, certs))
    dns.start()
    os.environ["POSTKIT_DNS_SERVER"] = dns.env_value() + " trust-ad"
    c = tls_setup.Client(R, certs, server.port)
    port = server.port

    def to(host, level):
        c.relay = "[%s]:%d" % (host, port)
        return c.send("smtp_dns_support_level = dnssec\nsmtp_tls_security_level = %s\n" % level)

    def relay(host):
        return r"%s\[127\.0\.0\.1\]:%d" % (host.replace(".", r"\."), port)

    try:
        server.start()
        r = to("ee.example.com", "dane")
        R.true("3 1 1: Verified", c.inst.wait_log(
            r"postfix/smtp\[\d+\]: Verified TLS connection established to %s: TLSv1\.3 "
            % relay("ee.example.com")) and c.status(r, r"dsn=2\.0\.0, status=sent"),
            c.inst.log())
        r = to("mail.example.com", "dane-only")
        R.true("2 0 1 (the CA): Verified", c.inst.wait_log(
            r"postfix/smtp\[\d+\]: Verified TLS connection established to %s: "
            % relay("mail.example.com")) and c.status(r, r"status=sent"), c.inst.log())
        r = to("bad.example.com", "dane")
        R.true("no matching record: deferred", c.inst.wait_log(
            r"postfix/smtp\[\d+\]: server certificate verification failed for %s: num=65:no "
            r"matching DANE TLSA records$" % relay("bad.example.com")) and c.inst.wait_log(
            r"Untrusted TLS connection established to %s: " % relay("bad.example.com"))
            and c.status(r, r"dsn=4\.7\.5, status=deferred \(Server certificate not verified\)"),
            c.inst.log())
        r = to("notlsa.example.com", "dane")
        R.true("dane without TLSA records is may", c.inst.wait_log(
            r"Untrusted TLS connection established to %s: " % relay("notlsa.example.com"))
            and c.status(r, r"status=sent"), c.inst.log())
        R.true("may: the unverified chain is not logged at loglevel 1",
               "verification failed for notlsa" not in c.inst.log(), c.inst.log())
        r = to("mail.example.net", "dane")
        R.true("dane, insecure zone: TLSA records ignored, may", c.inst.wait_log(
            r"Untrusted TLS connection established to %s: " % relay("mail.example.net"))
            and c.status(r, r"status=sent"), c.inst.log())
        for host in ("notlsa.example.com", "mail.example.net"):
            r = to(host, "dane-only")
            R.true("dane-only without (secure) TLSA records: %s deferred" % host, c.inst.wait_log(
                r"postfix/smtp\[\d+\]: warning: TLS policy lookup for \[%s\]:%d/%s: no TLSA "
                r"records found$" % (host.replace(".", r"\."), port, host.replace(".", r"\.")))
                and c.inst.wait_log(r"\w+: to=<%s>, relay=none, .*dsn=4\.7\.5, status=deferred "
                                    r"\(no TLSA records found\)$" % r), c.inst.log())
        c.relay = "[127.0.0.1]:%d" % port
        r = c.send("smtp_dns_support_level = dnssec\n", policy="%s dane\n" % c.relay)
        R.true("dane for an address literal (policy table): may", c.status(r, r"status=sent"),
               c.inst.log())
        R.true("TLSA asked for _PORT._tcp.HOST", ("_%d._tcp.ee.example.com" % port, "TLSA")
               in dns.queries(), str(dns.queries()))
    finally:
        c.inst.cleanup()
        server.cleanup()
        dns.stop()
    R.finish()


if __name__ == "__main__":
    main()
