#!/usr/bin/env python3
"""test_tls_levels.py - the smtp client's fingerprint and secure levels, smtpd_tls_CApath, and lmtp_*.

The far end is a postkit instance with STARTTLS that trusts client
certificates through smtpd_tls_CApath (a hashed directory made with
openssl rehash).  Log lines and deferral reasons are what Postfix 3.7.11's
smtp client gave against the same server:
  Verified TLS connection established to 127.0.0.1[127.0.0.1]:PORT: TLSv1.3 with cipher ...
  server certificate verification failed for 127.0.0.1[127.0.0.1]:PORT: num=65:no matching
    DANE TLSA records
  warning: 127.0.0.1[127.0.0.1]:PORT: unusable TLSA RR: 3 1 255 AABB
  warning: 127.0.0.1[127.0.0.1]:PORT: all fingerprints unusable
  server certificate verification failed for ...: num=1:unspecified certificate verification error
  server certificate verification failed for ...: num=62:hostname mismatch   (secure, nexthop)
  certificate verification failed for ...: untrusted issuer /CN=Test CA     (secure, no CA)
  certificate verification failed for ...: untrusted issuer /CN=Test CA     (lmtp, verify, no CA:
    the server's chain ends in the self-signed test CA)
  dsn=4.7.5, status=deferred (Server certificate not verified)

The lmtp part delivers to a small LMTP server here (STARTTLS, AUTH PLAIN)
with every setting spelled lmtp_*: the agent must read those, not smtp_*.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402
import tls_setup  # noqa: E402

R = pkit.Results("tls_levels")
RELAY = r"127\.0\.0\.1\[127\.0\.0\.1\]:%d"


def fingerprint_cases(c, certs, port):
    """The fingerprint level: certificate and public-key digests, md5, the policy table."""
    fp = certs.fingerprint("rsa.pem")
    r = c.send("smtp_tls_security_level = fingerprint\nsmtp_tls_fingerprint_cert_match = %s\n" % fp)
    R.true("fingerprint: Verified", c.inst.wait_log(
        r"postfix/smtp\[\d+\]: Verified TLS connection established to %s: TLSv1\.3 " % (RELAY % port)),
        c.inst.log())
    R.true("fingerprint: sent", c.status(r, r"status=sent"), c.inst.log())
    r = c.send("smtp_tls_security_level = fingerprint\n" "smtp_tls_fingerprint_digest = md5\n"
               "smtp_tls_fingerprint_cert_match = 00:11, %s\n"
               % certs.pkey_fingerprint("rsa.pem", "md5").replace(":", "").lower())
    R.true("fingerprint: md5 of the public key, lower case, no colons", c.status(
        r, r"status=sent"), c.inst.log())
    r = c.send("smtp_tls_security_level = fingerprint\nsmtp_tls_fingerprint_cert_match = %s\n"
               % ":".join(["AB"] * 32))
    R.true("fingerprint: no match", c.inst.wait_log(
        r"postfix/smtp\[\d+\]: server certificate verification failed for %s: num=65:no matching "
        r"DANE TLSA records$" % (RELAY % port)) and c.inst.wait_log(
        r"postfix/smtp\[\d+\]: Untrusted TLS connection established to %s: " % (RELAY % port))
        and c.status(r, r"dsn=4\.7\.5, status=deferred \(Server certificate not verified\)"),
        c.inst.log())
    r = c.send("smtp_tls_security_level = fingerprint\nsmtp_tls_fingerprint_cert_match = AA:BB\n")
    R.true("fingerprint: unusable digests", all(c.inst.wait_log(rx % (RELAY % port)) for rx in (
        r"warning: %s: unusable TLSA RR: 3 1 255 AABB$",
        r"warning: %s: unusable TLSA RR: 3 0 255 AABB$",
        r"warning: %s: all fingerprints unusable$",
        r"server certificate verification failed for %s: num=1:unspecified certificate "
        r"verification error$")) and c.status(r, r"dsn=4\.7\.5, status=deferred"), c.inst.log())
    r = c.send("", policy="%s fingerprint match=AA:BB|%s\n" % (c.relay, certs.pkey_fingerprint("rsa.pem")))
    R.true("fingerprint: match= in the policy table, digests split at |", c.status(
        r, r"status=sent"), c.inst.log())


def secure_cases(c, certs, port):
    """The secure level: smtp_tls_secure_cert_match, match= with dot-names, no CA."""
    ca = "smtp_tls_CAfile = %s\n" % certs.path("ca.pem")
    r = c.send("smtp_tls_security_level = secure\n" + ca)
    R.true("secure: nexthop 127.0.0.1 is not a certificate name", c.inst.wait_log(
        r"postfix/smtp\[\d+\]: server certificate verification failed for %s: num=62:hostname "
        r"mismatch$" % (RELAY % port)) and c.status(
        r, r"dsn=4\.7\.5, status=deferred \(Server certificate not verified\)"), c.inst.log())
    r = c.send("smtp_tls_security_level = secure\nsmtp_tls_secure_cert_match = mail.example.com\n"
               + ca)
    R.true("secure: smtp_tls_secure_cert_match", c.status(r, r"status=sent") and c.inst.wait_log(
        r"Verified TLS connection established to %s: " % (RELAY % port), count=4), c.inst.log())
    r = c.send(ca, policy="%s secure match=.example.com\n" % c.relay)
    R.true("secure: match=.example.com (a subdomain)", c.status(r, r"status=sent"), c.inst.log())
    r = c.send(ca, policy="%s secure match=nexthop:mail.example.com\n" % c.relay)
    R.true("secure: match=nexthop:mail.example.com", c.status(r, r"status=sent"), c.inst.log())
    r = c.send("smtp_tls_security_level = secure\nsmtp_tls_secure_cert_match = mail.example.com\n")
    R.true("secure without the CA: untrusted", c.inst.wait_log(
        r"postfix/smtp\[\d+\]: certificate verification failed for %s: untrusted issuer "
        r"/CN=Test CA$" % (RELAY % port)) and c.status(
        r, r"dsn=4\.7\.5, status=deferred \(Server certificate not verified\)"), c.inst.log())


def lmtp_cases(certs):
    """lmtp reads lmtp_tls_* and lmtp_sasl_*, and its timeouts by their lmtp_ names."""
    srv = tls_setup.Lmtp(certs)
    slow = tls_setup.Lmtp(certs, hang="MAIL")
    inst = pkit.Instance(main_extra="""\
transport_maps = texthash:$config_directory/transport
lmtp_tls_security_level = verify
lmtp_tls_CApath = {capath}
lmtp_tls_CAfile =
lmtp_tls_verify_cert_match = mail.example.com
lmtp_tls_loglevel = 1
lmtp_tls_mandatory_protocols = TLSv1.2
lmtp_tls_protocols = TLSv1.2
lmtp_tls_mandatory_ciphers = high
lmtp_tls_ciphers = medium
lmtp_tls_exclude_ciphers = RC4
lmtp_tls_mandatory_exclude_ciphers = aNULL
lmtp_tls_scert_verifydepth = 5
lmtp_tls_cert_file = {cert}
lmtp_tls_key_file = {key}
lmtp_tls_policy_maps = texthash:$config_directory/tls_policy
lmtp_tls_fingerprint_digest = sha256
lmtp_tls_fingerprint_cert_match =
lmtp_tls_secure_cert_match = nexthop
lmtp_starttls_timeout = 30s
lmtp_sasl_auth_enable = yes
lmtp_sasl_password_maps = texthash:$config_directory/sasl_passwd
lmtp_sasl_security_options = noanonymous
lmtp_sasl_tls_security_options = noanonymous
lmtp_sasl_mechanism_filter = plain
lmtp_sender_dependent_authentication = no
lmtp_connect_timeout = 10s
lmtp_lhlo_timeout = 10s
lmtp_mail_timeout = 2s
lmtp_rcpt_timeout = 10s
lmtp_data_init_timeout = 10s
lmtp_data_xfer_timeout = 10s
lmtp_data_done_timeout = 10s
lmtp_rset_timeout = 10s
lmtp_quit_timeout = 10s
lmtp_line_length_limit = 990
lmtp_tcp_port = {port}
lmtp_host_lookup = dns
lmtp_bind_address = 127.0.0.1
lmtp_fallback_relay =
lmtp_discard_lhlo_keywords = pipelining
lmtp_connection_cache_on_demand = yes
smtp_tls_security_level = none
smtp_sasl_auth_enable = no
""".format(capath=certs.capath(), cert=certs.path("client.pem"), key=certs.path("client.key"),
           port=srv.port), master_extra="lmtp      unix  -       -       n       -       -       lmtp\n")
    inst.write("transport", "lmtp.example lmtp:[127.0.0.1]\nslow.example lmtp:[127.0.0.1]:%d\n"
               % slow.port)
    inst.write("tls_policy", "")
    inst.write("sasl_passwd", "[127.0.0.1] bob@lmtp.example:hunter2\n")
    try:
        inst.start()
        inst.sendmail(["-f", "alice@example.com", "u@lmtp.example"], "Subject: lmtp\n\nhi\n")
        ok = inst.wait_log(r"postfix/lmtp\[\d+\]: \w+: to=<u@lmtp\.example>, relay=127\.0\.0\.1"
                           r"\[127\.0\.0\.1\]:%d, .*dsn=2\.0\.0, status=sent \(250 2\.0\.0 Saved\)"
                           % srv.port, timeout=15)
        R.true("lmtp: delivered over TLS with AUTH", ok, inst.log())
        R.true("lmtp_tls_loglevel, lmtp_tls_verify_cert_match, lmtp_tls_CApath: Verified",
               inst.wait_log(r"postfix/lmtp\[\d+\]: Verified TLS connection established to "
                             r"127\.0\.0\.1\[127\.0\.0\.1\]:%d: TLSv1\.2 with cipher " % srv.port),
               inst.log())
        R.check("lmtp_tls_mandatory_protocols, lmtp_tls_cert_file", (srv.tls, srv.peers),
                (["TLSv1.2"], [True]))
        R.check("lmtp_sasl_password_maps", srv.logins, [[b"bob@lmtp.example", b"hunter2"]])
        R.check("LHLO, STARTTLS, LHLO, AUTH, then the mail",
                [c.split(" ")[0] for c in srv.log][:5], ["LHLO", "STARTTLS", "LHLO", "AUTH", "MAIL"])
        inst.sendmail(["-f", "alice@example.com", "u@slow.example"], "Subject: slow\n\nhi\n")
        R.true("lmtp_mail_timeout (2s, not smtp_mail_timeout's 300s)", inst.wait_log(
            r"postfix/lmtp\[\d+\]: \w+: to=<u@slow\.example>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d, "
            r".*dsn=4\.4\.2, status=deferred \(conversation with 127\.0\.0\.1\[127\.0\.0\.1\] timed "
            r"out while sending MAIL FROM\)$" % slow.port, timeout=15), inst.log())
        # a chain that ends in a root the client does not trust (the server sends the test CA)
        inst.write("main.cf", inst.read("main.cf").replace("lmtp_tls_CApath = %s\n"
                                                           % certs.capath(), ""))
        inst.reload()
        inst.sendmail(["-f", "alice@example.com", "v@lmtp.example"], "Subject: lmtp\n\nhi\n")
        R.true("verify, the root not trusted: untrusted issuer", inst.wait_log(
            r"postfix/lmtp\[\d+\]: certificate verification failed for 127\.0\.0\.1\[127\.0\.0\.1\]"
            r":%d: untrusted issuer /CN=Test CA$" % srv.port) and inst.wait_log(
            r"postfix/lmtp\[\d+\]: \w+: to=<v@lmtp\.example>, .*dsn=4\.7\.5, status=deferred "
            r"\(Server certificate not verified\)$"), inst.log())
    finally:
        inst.cleanup()
        srv.stop()
        slow.stop()


def main():
    tls_setup.require_tls_tools()
    certs = tls_setup.Certs()
    server = pkit.Instance(main_extra=certs.server_main_cf("may") + """\
smtpd_tls_ask_ccert = yes
smtpd_tls_CApath = {capath}
relay_domains = example.org
""".format(capath=certs.capath()))
    client = tls_setup.Client(R, certs, server.port)
    try:
        server.start()
        r = client.send("smtp_tls_security_level = may\nsmtp_tls_cert_file = %s\n"
                        "smtp_tls_key_file = %s\n" % (certs.path("client.pem"),
                                                      certs.path("client.key")))
        R.true("smtpd_tls_CApath: the client's certificate is trusted", server.wait_log(
            r"Trusted TLS connection established from \S+\[127\.0\.0\.1\]: TLSv1\.3 "),
            server.log())
        R.true("sent", client.status(r, r"status=sent"), client.inst.log())
        fingerprint_cases(client, certs, server.port)
        secure_cases(client, certs, server.port)
        lmtp_cases(certs)
    finally:
        client.inst.cleanup()
        server.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
