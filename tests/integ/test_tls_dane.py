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
  server certificate verification failed for other.example.com[127.0.0.1]:PORT:
    num=62:hostname mismatch ... the same deferral   (2 0 1 matches, the certificate names
    mail.example.com; also at smtp_tls_loglevel 0, and at dane-only, verify and secure)
  Untrusted TLS connection established to notlsa.example.com[...]  (dane without TLSA: may)
  warning: TLS policy lookup for [notlsa.example.com]:PORT/notlsa.example.com: no TLSA records
    found ... relay=none, ... dsn=4.7.5, status=deferred (no TLSA records found)   (dane-only)
Postfix also logged "warning: DNSSEC validation may be unavailable" for its
dnssec_probe (ns:.), a probe postkit does not send.  The insecure-MX,
unusable-record and forced-lookup (smtp and lmtp) cases are described where they run.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsserver  # noqa: E402
import pkit  # noqa: E402
import tls_setup  # noqa: E402

R = pkit.Results("tls_dane")


def zone(port, certs, lport):
    return """example.com SECURE
mail.example.com. 60 IN A 127.0.0.1
_{p}._tcp.mail.example.com. 60 IN TLSA 2 0 1 {ca}
ee.example.com. 60 IN A 127.0.0.1
_{p}._tcp.ee.example.com. 60 IN TLSA 3 1 1 {pk}
bad.example.com. 60 IN A 127.0.0.1
other.example.com. 60 IN A 127.0.0.1
_{p}._tcp.other.example.com. 60 IN TLSA 2 0 1 {ca}
_{p}._tcp.bad.example.com. 60 IN TLSA 3 1 1 {bad}
notlsa.example.com. 60 IN A 127.0.0.1
mail.example.net. 60 IN A 127.0.0.1
_{p}._tcp.mail.example.net. 60 IN TLSA 3 1 1 {pk}
mx.example.com. 60 IN A 127.0.0.1
_{p}._tcp.mx.example.com. 60 IN TLSA 3 1 1 {pk}
insec.example.net. 60 IN MX 10 mx.example.com.
unus.example.com. 60 IN A 127.0.0.1
_{p}._tcp.unus.example.com. 60 IN TLSA 3 1 1 ABCD
_{p}._tcp.unus.example.com. 60 IN TLSA 3 1 7 {pk}
_{p}._tcp.forced.example.net SECURE
forced.example.net. 60 IN A 127.0.0.1
_{p}._tcp.forced.example.net. 60 IN TLSA 3 1 1 {pk}
_{lp}._tcp.forced.example.net SECURE
_{lp}._tcp.forced.example.net. 60 IN TLSA 3 1 1 {pk}
""".format(p=port, lp=lport, ca=certs.fingerprint("ca.pem").replace(":", ""),
           pk=certs.pkey_fingerprint("rsa.pem").replace(":", ""), bad="00" * 32)


def insecure_mx(c, dns, port, relay):
    """smtp_tls_dane_insecure_mx_policy: an MX answer without AD names a host with TLSA records.
    Postfix 3.7.11: dane (the default at level dane) "Trusted TLS connection established to
    mx.example.com[...]", encrypt and may "Untrusted ...", all sent; with level may and the
    policy table's dane the default is may."""
    c.relay = "insec.example.net:%d" % port
    base = "smtp_dns_support_level = dnssec\nsmtp_tls_security_level = dane\n"
    r = c.send(base + "smtp_tls_dane_insecure_mx_policy = may\n")
    R.true("insecure MX, policy may: Untrusted, sent", c.inst.wait_log(
        r"Untrusted TLS connection established to %s: " % relay("mx.example.com"))
        and c.status(r, r"status=sent"), c.inst.log())
    R.true("insecure MX, policy may: no TLSA lookup", ("_%d._tcp.mx.example.com" % port, "TLSA")
           not in dns.queries(), str(dns.queries()))
    r = c.send(base)
    R.true("insecure MX, policy dane (default): a match is only Trusted", c.inst.wait_log(
        r"postfix/smtp\[\d+\]: Trusted TLS connection established to %s: "
        % relay("mx.example.com")) and c.status(r, r"status=sent"), c.inst.log())
    r = c.send(base + "smtp_tls_dane_insecure_mx_policy = encrypt\n")
    R.true("insecure MX, policy encrypt: Untrusted, sent", c.inst.wait_log(
        r"Untrusted TLS connection established to %s: " % relay("mx.example.com"), count=2)
        and c.status(r, r"status=sent"), c.inst.log())
    r = c.send("smtp_dns_support_level = dnssec\nsmtp_tls_security_level = may\n",
               policy="insec.example.net:%d dane\n" % port)
    R.true("policy table dane, main.cf may: the default policy is may", c.inst.wait_log(
        r"Untrusted TLS connection established to %s: " % relay("mx.example.com"), count=3)
        and c.status(r, r"status=sent"), c.inst.log())


def unusable(c, port, relay, to):
    """All TLSA records unusable.  Postfix 3.7.11: each "unusable TLSA RR", then with dane
    "warning: HOST[ADDR]:PORT: all TLSA records unusable, fallback to unauthenticated TLS" and the
    mail goes out over TLS; with dane-only "...: all TLSA records unusable" and a deferral."""
    pfx = r"postfix/smtp\[\d+\]: warning: %s: " % relay("unus.example.com")
    r = to("unus.example.com", "dane")
    R.true("unusable: each record named", c.inst.wait_log(pfx + r"unusable TLSA RR: 3 1 1 ABCD$")
           and c.inst.wait_log(pfx + r"unusable TLSA RR: 3 1 7 [0-9A-F]{64}$"), c.inst.log())
    R.true("dane, all unusable: unauthenticated TLS, sent", c.inst.wait_log(
        pfx + r"all TLSA records unusable, fallback to unauthenticated TLS$")
        and c.inst.wait_log(r"Untrusted TLS connection established to %s: "
                            % relay("unus.example.com"))
        and c.status(r, r"dsn=2\.0\.0, status=sent"), c.inst.log())
    r = to("unus.example.com", "dane-only")
    R.true("dane-only, all unusable: deferred", c.inst.wait_log(
        pfx + r"all TLSA records unusable$") and c.inst.wait_log(
        r"server certificate verification failed for %s: num=1:unspecified certificate "
        r"verification error$" % relay("unus.example.com"))
        and c.status(r, r"dsn=4\.7\.5, status=deferred \(Server certificate not verified\)"),
        c.inst.log())


def lmtp_forced(certs, lmtp):
    """lmtp_tls_force_insecure_host_tlsa_lookup: lmtp at dane (lmtp_dns_support_level = dnssec)
    to a host in an unsigned zone whose TLSA records are signed.  Postfix 3.7.11's lmtp:
    "Untrusted TLS connection established to forced.example.net[127.0.0.1]:PORT: ..." without
    the setting, "Verified ..." with it; both sent."""
    inst = pkit.Instance(main_extra="""\
transport_maps = texthash:$config_directory/transport
lmtp_dns_support_level = dnssec
lmtp_tls_security_level = dane
lmtp_tls_loglevel = 1
""", master_extra="lmtp      unix  -       -       n       -       -       lmtp\n")
    inst.write("transport", "lmtp.example lmtp:[forced.example.net]:%d\n" % lmtp.port)
    base = inst.read("main.cf")
    est = (r"postfix/lmtp\[\d+\]: %s TLS connection established to "
           r"forced\.example\.net\[127\.0\.0\.1\]:%d: TLSv1\.3 ")
    try:
        inst.start()
        for n, (force, word) in enumerate((("no", "Untrusted"), ("yes", "Verified")), 1):
            inst.write("main.cf", base + "lmtp_tls_force_insecure_host_tlsa_lookup = %s\n" % force)
            inst.reload()
            inst.sendmail(["-f", "alice@example.com", "u%d@lmtp.example" % n], "Subject: x\n\nhi\n")
            R.true("lmtp, lmtp_tls_force_insecure_host_tlsa_lookup = %s: %s" % (force, word),
                   inst.wait_log(est % (word, lmtp.port)) and inst.wait_log(
                       r"postfix/lmtp\[\d+\]: \w+: to=<u%d@lmtp\.example>, .*status=sent" % n),
                   inst.log())
    finally:
        inst.cleanup()


def main():
    tls_setup.require_tls_tools()
    certs = tls_setup.Certs()
    server = pkit.Instance(main_extra=certs.server_main_cf("may") + """\
smtpd_tls_chain_files = {chain}
relay_domains = example.org
""".format(chain=certs.chain_file()))
    lmtp = tls_setup.Lmtp(certs)
    dns = dnsserver.DnsServer(zone(server.port, certs, lmtp.port))
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
        for host, what, error in (
                ("bad.example.com", "no matching record", "num=65:no matching DANE TLSA records"),
                ("other.example.com", "2 0 1, the certificate does not name the host",
                 "num=62:hostname mismatch")):
            r = to(host, "dane")
            R.true("%s: deferred" % what, c.inst.wait_log(
                r"postfix/smtp\[\d+\]: server certificate verification failed for %s: %s$"
                % (relay(host), error)) and c.inst.wait_log(
                r"Untrusted TLS connection established to %s: " % relay(host))
                and c.status(r, r"dsn=4\.7\.5, status=deferred \(Server certificate not "
                             r"verified\)"), c.inst.log())
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
        insecure_mx(c, dns, port, relay)
        unusable(c, port, relay, to)
        # smtp_tls_force_insecure_host_tlsa_lookup: TLSA records of a host in an unsigned zone
        r = to("forced.example.net", "dane")
        R.true("insecure host: no TLSA lookup, may", c.inst.wait_log(
            r"Untrusted TLS connection established to %s: " % relay("forced.example.net"))
            and c.status(r, r"status=sent"), c.inst.log())
        c.relay = "[forced.example.net]:%d" % port
        r = c.send("smtp_dns_support_level = dnssec\nsmtp_tls_security_level = dane\n"
                   "smtp_tls_force_insecure_host_tlsa_lookup = yes\n")
        R.true("forced TLSA lookup: Verified", c.inst.wait_log(
            r"Verified TLS connection established to %s: " % relay("forced.example.net"))
            and c.status(r, r"status=sent"), c.inst.log())
        lmtp_forced(certs, lmtp)
        c.relay = "[127.0.0.1]:%d" % port
        r = c.send("smtp_dns_support_level = dnssec\n", policy="%s dane\n" % c.relay)
        R.true("dane for an address literal (policy table): may", c.status(r, r"status=sent"),
               c.inst.log())
        R.true("TLSA asked for _PORT._tcp.HOST", ("_%d._tcp.ee.example.com" % port, "TLSA")
               in dns.queries(), str(dns.queries()))
        # last: the smtp service cannot start after this
        c.relay = "insec.example.net:%d" % port
        c.send("smtp_dns_support_level = dnssec\nsmtp_tls_security_level = dane\n"
               "smtp_tls_dane_insecure_mx_policy = verify\n")
        R.true("smtp_tls_dane_insecure_mx_policy = verify is fatal", c.inst.wait_log(
            r"postfix/smtp\[\d+\]: fatal: invalid smtp_tls_dane_insecure_mx_policy: \"verify\"$"),
            c.inst.log())
    finally:
        c.inst.cleanup()
        server.cleanup()
        dns.stop()
        lmtp.stop()
    R.finish()


if __name__ == "__main__":
    main()
