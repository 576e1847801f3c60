#!/usr/bin/env python3
"""test_tls_client.py - the smtp client's TLS and SASL: the authenticated relayhost setup.

The far end is a second postkit instance with STARTTLS and Dovecot SASL
(and a third one without TLS).  The client relays through it with
relayhost = [127.0.0.1]:PORT as a submission relay would be configured.
Log lines and deferral reasons are what Postfix 3.7.11's smtp client gave
against the same servers, e.g.
  Verified TLS connection established to 127.0.0.1[127.0.0.1]:PORT: TLSv1.3 with cipher ...
  dsn=4.7.4, status=deferred (TLS is required, but was not offered by host 127.0.0.1[127.0.0.1])
  dsn=4.7.8, status=deferred (SASL authentication failed; server 127.0.0.1[127.0.0.1] said:
    535 5.7.8 Error: authentication failed: (reason unavailable))

The fingerprint and secure levels are in test_tls_levels.py, dane and
dane-only in test_tls_dane.py.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402
import tls_setup  # noqa: E402

R = pkit.Results("tls_client")
SUMMARY13 = (r"TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384 \(256/256 bits\) key-exchange X25519 "
             r"server-signature RSA-PSS \(2048 bits\) server-digest SHA256")


def main():
    tls_setup.require_tls_tools(need_dovecot=True)
    certs = tls_setup.Certs()
    dove = tls_setup.Dovecot({"alice@example.com": "secret"})
    server = pkit.Instance(main_extra=certs.server_main_cf("may") + """\
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {sock}
smtpd_tls_ask_ccert = yes
smtpd_tls_CAfile = {ca}
""".format(sock=dove.socket, ca=certs.path("ca.pem")))
    plain = pkit.Instance()
    client = tls_setup.Client(R, certs, server.port)
    ca = "smtp_tls_CAfile = %s\n" % certs.path("ca.pem")
    sasl = "smtp_sasl_auth_enable = yes\nsmtp_sasl_security_options = noanonymous\n"
    good = "[127.0.0.1]:%d alice@example.com:secret\n" % server.port
    try:
        server.start()
        plain.start()
        c = client
        # verify + CAfile, AUTH PLAIN with the relayhost's password
        r = c.send(sasl + """\
smtp_tls_security_level = verify
smtp_tls_CApath = {capath}
smtp_sasl_tls_security_options = $smtp_sasl_security_options
smtp_sasl_mechanism_filter = plain, login
smtp_tls_verify_cert_match = hostname
smtp_tls_mandatory_protocols = >=TLSv1.2
smtp_tls_mandatory_ciphers = high
smtp_tls_mandatory_exclude_ciphers = aNULL
smtp_tls_cert_file = {cert}
smtp_tls_key_file = {key}
""".format(capath=certs.capath(), cert=certs.path("client.pem"), key=certs.path("client.key")),
                   good)
        R.true("verify: Verified TLS log line", c.inst.wait_log(
            r"postfix/smtp\[\d+\]: Verified TLS connection established to 127\.0\.0\.1"
            r"\[127\.0\.0\.1\]:%d: %s client-signature RSA-PSS \(2048 bits\) client-digest SHA256$"
            % (server.port, SUMMARY13)), c.inst.log())
        R.true("relayed after AUTH", c.status(r, r"dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok"),
               c.inst.log())
        R.true("the client's certificate (smtp_tls_cert_file), trusted by the server",
               server.wait_log(r"Trusted TLS connection established from \S+\[127\.0\.0\.1\]: "
                               + SUMMARY13 + r" client-signature RSA-PSS \(2048 bits\) "
                               r"client-digest SHA256$"), server.log())
        R.true("the server saw the login", server.wait_log(
            r"client=\S+\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=alice@example\.com"))
        # a wrong password: soft, with the server's reply
        r = c.send(sasl + """\
smtp_tls_security_level = may
smtp_tls_protocols = TLSv1.2
smtp_tls_ciphers = medium
smtp_tls_exclude_ciphers = ECDHE-RSA-AES256-GCM-SHA384
""", "[127.0.0.1]:%d alice@example.com:wrong\n" % server.port)
        R.true("may: smtp_tls_protocols and smtp_tls_exclude_ciphers", c.inst.wait_log(
            r"Untrusted TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:%d: TLSv1\.2 "
            r"with cipher (?!ECDHE-RSA-AES256-GCM-SHA384)\S+ " % server.port), c.inst.log())
        R.true("wrong password deferred", c.status(
            r, r"dsn=4\.7\.8, status=deferred \(SASL authentication failed; server 127\.0\.0\.1"
               r"\[127\.0\.0\.1\] said: 535 5\.7\.8 Error: authentication failed: \(reason "
               r"unavailable\)\)"), c.inst.log())
        # the default security options forbid plaintext mechanisms
        r = c.send("smtp_tls_security_level = may\nsmtp_sasl_auth_enable = yes\n", good)
        R.true("no mechanism available", c.status(
            r, r"dsn=4\.7\.0, status=deferred \(SASL authentication failed; cannot authenticate "
               r"to server 127\.0\.0\.1\[127\.0\.0\.1\]: no mechanism available\)")
            and c.inst.wait_log(r"warning: SASL authentication failure: No worthy mechs found"),
            c.inst.log())
        # per-sender passwords
        r = c.send("smtp_tls_security_level = may\n" + sasl
                   + "smtp_sender_dependent_authentication = yes\n",
                   "alice@example.com alice@example.com:secret\n")
        R.true("sender-dependent password", c.status(r, r"status=sent"), c.inst.log())
        # verify without the CA
        r = c.send("smtp_tls_security_level = verify\n")
        R.true("untrusted issuer logged", c.inst.wait_log(
            r"certificate verification failed for 127\.0\.0\.1\[127\.0\.0\.1\]:%d: untrusted "
            r"issuer /CN=Test CA$" % server.port), c.inst.log())
        R.true("verify: not verified, deferred", c.status(
            r, r"dsn=4\.7\.5, status=deferred \(Server certificate not verified\)"), c.inst.log())
        # the policy table: protocols and ciphers for this next hop
        r = c.send("smtp_tls_security_level = may\n" + ca + sasl, good,
                   policy="%s encrypt protocols=TLSv1.2 ciphers=high\n" % c.relay)
        R.true("policy: TLSv1.2, Trusted, no key-exchange details", c.inst.wait_log(
            r"Trusted TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:%d: TLSv1\.2 "
            r"with cipher ECDHE-RSA-AES256-GCM-SHA384 \(256/256 bits\)$" % server.port),
            c.inst.log())
        R.true("policy: sent", c.status(r, r"status=sent"), c.inst.log())
        r = c.send(ca, policy="%s verify match=nomatch.example.com\n" % c.relay)
        R.true("policy match: hostname mismatch", c.inst.wait_log(
            r"server certificate verification failed for 127\.0\.0\.1\[127\.0\.0\.1\]:%d: "
            r"num=62:hostname mismatch$" % server.port)
            and c.status(r, r"dsn=4\.7\.5, status=deferred \(Server certificate not verified\)"),
            c.inst.log())
        r = c.send(ca, policy="%s bogus\n" % c.relay)
        R.true("policy: an unknown level defers", c.status(
            r, r"dsn=4\.7\.5, status=deferred \(client TLS configuration problem\)"), c.inst.log())
        # encrypt against a server without STARTTLS
        c.relay = "[127.0.0.1]:%d" % plain.port
        r = c.send("smtp_tls_security_level = encrypt\n")
        R.true("encrypt: not offered", c.status(
            r, r"dsn=4\.7\.4, status=deferred \(TLS is required, but was not offered by host "
               r"127\.0\.0\.1\[127\.0\.0\.1\]\)"), c.inst.log())
    finally:
        c.inst.cleanup()
        server.cleanup()
        plain.cleanup()
        dove.stop()
    R.finish()


if __name__ == "__main__":
    main()
