#!/usr/bin/env python3
"""test_tls.py - smtpd's STARTTLS, wrapper mode and client certificates, as Postfix 3.7.

Replies, log lines and Received header lines are what Postfix 3.7.11 gave for
the same dialogue (a private instance with the same certificates): e.g.
  220 2.0.0 Ready to start TLS
  Anonymous TLS connection established from localhost[127.0.0.1]: TLSv1.3 with cipher
    TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS
    (2048 bits) server-digest SHA256
  530 5.7.0 Must issue a STARTTLS command first
Clients: Python's ssl (smtplib-style raw sessions) and `openssl s_client -starttls smtp`.
"""
import os
import re
import ssl
import subprocess
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402
import tls_setup  # noqa: E402

R = pkit.Results("tls")
CLIENT = r"\S+\[127\.0\.0\.1\]"
SUMMARY13 = (r"TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384 \(256/256 bits\) key-exchange X25519 "
             r"server-signature RSA-PSS \(2048 bits\) server-digest SHA256")
MSG = "Subject: tls\n\nover TLS\n"


def mail(s, rcpt="nobody@example.com"):
    """One message over an open session; the final reply."""
    for line in ("MAIL FROM:<a@example.org>", "RCPT TO:<%s>" % rcpt):
        r = s.cmd(line)
        if not r.startswith("250"):
            return r
    return s.data(MSG)


def test_may(certs):
    inst = pkit.Instance(main_extra=certs.server_main_cf("may") + """\
smtpd_tls_received_header = yes
smtpd_tls_session_cache_timeout = 3600s
smtpd_starttls_timeout = 60s
""")
    try:
        inst.start()
        s = inst.session()
        s.send("EHLO x\r\n")
        kw = [l[4:] for l in s.reply()]
        R.true("EHLO offers STARTTLS after ETRN", "STARTTLS" in kw
               and kw.index("STARTTLS") == kw.index("ETRN") + 1, repr(kw))
        R.check("STARTTLS with an argument", s.cmd("STARTTLS x"), "501 5.5.4 Syntax: STARTTLS")
        # what a client pipelines after STARTTLS in plaintext is thrown away (CVE-2011-0411)
        s.send("STARTTLS\r\nRSET\r\n")
        R.check("STARTTLS", s.reply()[-1], "220 2.0.0 Ready to start TLS")
        s.sock = tls_setup.client_context().wrap_socket(s.sock)
        s.buf = b""
        s.send("EHLO x\r\n")
        kw = [l[4:] for l in s.reply()]
        R.true("no pipelined plaintext RSET answered, EHLO again without STARTTLS",
               kw[0] == "mail.example.com" and "STARTTLS" not in kw, repr(kw))
        R.true("the plaintext RSET logged as Postfix 3.7 does",
               inst.wait_log(r"improper command pipelining after STARTTLS from \S+: RSET"), inst.log()[-1500:])
        R.check("STARTTLS twice", s.cmd("STARTTLS"), "554 5.5.1 Error: TLS already active")
        R.check("mail over TLS", mail(s)[:24], "250 2.0.0 Ok: queued as ")
        s.cmd("QUIT")
        s.close()
        R.true("TLS log line as Postfix",
               inst.wait_log(r"postfix/smtpd\[\d+\]: Anonymous TLS connection established from "
                             + CLIENT + ": " + SUMMARY13 + "$"), inst.log())
        R.true("delivered", inst.wait_mailbox("nobody", "over TLS"))
        box = inst.mailbox("nobody")
        R.true("Received header with the TLS lines and ESMTPS", re.search(
            r"Received: from x \(\S+ \[127\.0\.0\.1\]\)\n"
            r"\t\(using TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384 \(256/256 bits\)\n"
            r"\t key-exchange X25519 server-signature RSA-PSS \(2048 bits\) server-digest SHA256\)\n"
            r"\t\(No client certificate requested\)\n"
            r"\tby mail\.example\.com \(Postfix\) with ESMTPS id ", box) is not None, box)
        test_resumption(inst)
        test_openssl_client(inst)
        test_disconnect_count(inst)
    finally:
        inst.cleanup()


def test_resumption(inst, want=(False, True, True)):
    """A second connection resumes the first one's session (tickets), whichever smtpd serves it."""
    ctx = tls_setup.client_context()
    reused = []
    session = None
    for _ in range(3):
        s = inst.session()
        s.cmd("EHLO x")
        s.cmd("STARTTLS")
        s.sock = ctx.wrap_socket(s.sock, session=session)
        s.buf = b""
        s.cmd("EHLO x")  # reads the tickets TLS 1.3 sends after the handshake
        reused.append(s.sock.session_reused)
        session = s.sock.session
        s.cmd("QUIT")
        s.close()
    R.check("session resumption %s" % (want,), tuple(reused), want)


def test_openssl_client(inst):
    """openssl s_client -starttls smtp: a second real client."""
    if not tls_setup.have("openssl"):
        return
    r = subprocess.run(["openssl", "s_client", "-starttls", "smtp", "-connect",
                        "127.0.0.1:%d" % inst.port, "-brief"], input=b"QUIT\r\n",
                       capture_output=True, timeout=20)
    out = (r.stdout + r.stderr).decode("latin-1")
    R.true("openssl s_client: TLSv1.3 and the server's certificate",
           "Protocol version: TLSv1.3" in out and "mail.example.com" in out, out)


def test_disconnect_count(inst):
    R.true("disconnect line counts STARTTLS (the pipelined RSET was never a command)",
           inst.wait_log(r"disconnect from " + CLIENT + r" ehlo=2 starttls=1/3 mail=1 rcpt=1 "
                         r"data=1 quit=1 commands=7/9$"), inst.log())
    R.true("a resumed session logs the server's key without a digest", inst.wait_log(
        r"Anonymous TLS connection established from " + CLIENT + r": TLSv1\.3 with cipher "
        r"TLS_AES_256_GCM_SHA384 \(256/256 bits\) key-exchange X25519 server-signature RSA-PSS "
        r"\(2048 bits\)$"), inst.log())


def test_none():
    inst = pkit.Instance(main_extra="smtpd_tls_security_level = none\n")
    try:
        inst.start()
        s = inst.session()
        s.send("EHLO x\r\n")
        R.true("level none: no STARTTLS", all("STARTTLS" not in l for l in s.reply()))
        R.check("level none: STARTTLS", s.cmd("STARTTLS"),
                "502 5.5.1 Error: command not implemented")
        s.close()
    finally:
        inst.cleanup()


def test_encrypt(certs):
    inst = pkit.Instance(main_extra=certs.server_main_cf("encrypt") + """\
smtpd_recipient_restrictions = reject_plaintext_session
smtpd_tls_mandatory_protocols = TLSv1.2
smtpd_tls_mandatory_ciphers = medium
tls_medium_cipherlist = aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH
smtpd_tls_mandatory_exclude_ciphers = ECDHE-RSA-AES256-GCM-SHA384
""")
    try:
        inst.start()
        s = inst.session()
        R.check("encrypt: HELO before STARTTLS", s.cmd("HELO x"), "250 mail.example.com")
        R.check("encrypt: NOOP", s.cmd("NOOP"), "250 2.0.0 Ok")
        R.check("encrypt: MAIL before STARTTLS", s.cmd("MAIL FROM:<a@example.org>"),
                "530 5.7.0 Must issue a STARTTLS command first")
        R.check("encrypt: VRFY before STARTTLS", s.cmd("VRFY nobody"),
                "530 5.7.0 Must issue a STARTTLS command first")
        tls_setup.starttls(s, tls_setup.client_context())
        R.true("encrypt: the mandatory protocols and exclusions",
               s.sock.version() == "TLSv1.2"
               and s.sock.cipher()[0] != "ECDHE-RSA-AES256-GCM-SHA384", repr(s.sock.cipher()))
        R.check("encrypt: HELO again", s.cmd("HELO x"), "250 mail.example.com")
        R.check("encrypt: mail after STARTTLS", mail(s)[:24], "250 2.0.0 Ok: queued as ")
        s.close()
        R.true("after HELO the protocol stays SMTP", inst.wait_mailbox("nobody", "over TLS")
               and "with SMTP id" in inst.mailbox("nobody"), inst.mailbox("nobody"))
    finally:
        inst.cleanup()


def test_plaintext_session(certs):
    inst = pkit.Instance(main_extra=certs.server_main_cf("may") + """\
smtpd_recipient_restrictions = reject_plaintext_session
plaintext_reject_code = 451
smtpd_tls_session_cache_timeout = 0
""")
    try:
        inst.start()
        s = inst.session()
        s.cmd("HELO x")
        s.cmd("MAIL FROM:<a@example.org>")
        R.check("reject_plaintext_session", s.cmd("RCPT TO:<nobody@example.com>"),
                "451 4.7.1 Session encryption is required")
        s.cmd("RSET")
        tls_setup.starttls(s, tls_setup.client_context())
        s.cmd("HELO x")
        s.cmd("MAIL FROM:<a@example.org>")
        R.check("reject_plaintext_session under TLS", s.cmd("RCPT TO:<nobody@example.com>"),
                "250 2.1.5 Ok")
        s.close()
        R.true("reject log line", inst.wait_log(
            r"NOQUEUE: reject: RCPT from " + CLIENT + r": 451 4.7.1 Session encryption is "
            r"required; from=<a@example.org> to=<nobody@example.com> proto=SMTP helo=<x>"))
        test_resumption(inst, want=(False, False, False))
    finally:
        inst.cleanup()




def test_wrapper_ccerts(certs):
    """smtps (wrapper mode) with client certificates, and the certificate restrictions."""
    port = pkit.free_port()
    fpr = certs.fingerprint("client.pem")
    dove = tls_setup.Dovecot({"alice": "secret"})
    main = certs.server_main_cf("may") + """\
smtpd_tls_received_header = yes
smtpd_tls_ask_ccert = yes
smtpd_tls_CAfile = {ca}
smtpd_tls_ccert_verifydepth = 5
smtpd_tls_fingerprint_digest = sha256
smtpd_sasl_type = dovecot
smtpd_sasl_path = {sock}
mua_client_restrictions =
mua_helo_restrictions =
mua_sender_restrictions =
relay_clientcerts = texthash:$config_directory/relaycerts
smtpd_relay_restrictions = permit_tls_clientcerts, reject_unauth_destination
smtpd_recipient_restrictions = check_ccert_access texthash:$config_directory/ccert
""".format(ca=certs.path("ca.pem"), sock=dove.socket)
    inst = pkit.Instance(main_extra=main,
                         master_extra=tls_setup.STOCK_SMTPS.format(port="127.0.0.1:%d" % port))
    # the smtps entry is chrooted: smtpd reaches Dovecot at private/auth, as on Debian
    inst.write("main.cf", inst.read("main.cf").replace(
        "smtpd_sasl_path = %s\n" % dove.socket,
        "smtpd_sasl_path = %s\n" % tls_setup.jail_auth(inst, dove)))
    inst.write("relaycerts", "%s ok\n" % fpr)
    inst.write("ccert", "%s REJECT no cert for you\n" % fpr)
    try:
        inst.start()
        ctx = tls_setup.client_context(certs.path("client.pem"), certs.path("client.key"))
        s = tls_setup.tls_session(port, ctx)
        R.check("smtps greeting over TLS", s.greeting, ["220 mail.example.com ESMTP Postfix"])
        s.cmd("EHLO x")
        R.check("smtps: AUTH", s.cmd("AUTH PLAIN AGFsaWNlAHNlY3JldA=="),
                "235 2.7.0 Authentication successful")
        R.check("smtps: mail from a trusted client certificate", mail(s)[:24],
                "250 2.0.0 Ok: queued as ")
        s.cmd("QUIT")
        s.close()
        R.true("Trusted TLS log line with the client's signature", inst.wait_log(
            r"postfix/smtps/smtpd\[\d+\]: Trusted TLS connection established from " + CLIENT
            + ": " + SUMMARY13 + r" client-signature RSA-PSS \(2048 bits\) client-digest SHA256$"),
            inst.log())
        R.true("delivered", inst.wait_mailbox("nobody", "over TLS"))
        R.true("Received: client CN and issuer", re.search(
            r"\t client-signature RSA-PSS \(2048 bits\) client-digest SHA256\)\n"
            r"\t\(Client CN \"client\.example\.com\", Issuer \"Test CA\" \(verified OK\)\)\n"
            r"\tby mail\.example\.com \(Postfix\) with ESMTPSA id ", inst.mailbox("nobody"))
            is not None, inst.mailbox("nobody"))
        # STARTTLS on the main port: relay by certificate, check_ccert_access by fingerprint
        s = inst.session()
        s.cmd("EHLO x")
        tls_setup.starttls(s, ctx)
        s.cmd("EHLO x")
        s.cmd("MAIL FROM:<a@example.org>")
        R.check("check_ccert_access REJECT by fingerprint", s.cmd("RCPT TO:<x@example.org>"),
                "554 5.7.1 <client.example.com>: Client certificate rejected: no cert for you")
        s.close()
        inst.write("ccert", "")
        inst.reload()
        s = inst.session()
        s.cmd("EHLO x")
        tls_setup.starttls(s, ctx)
        s.cmd("EHLO x")
        s.cmd("MAIL FROM:<a@example.org>")
        R.check("permit_tls_clientcerts: relay_clientcerts lists the fingerprint",
                s.cmd("RCPT TO:<x@example.org>"), "250 2.1.5 Ok")
        s.close()
        inst.write("main.cf", inst.read("main.cf").replace(
            "permit_tls_clientcerts,", "permit_tls_all_clientcerts,"))
        inst.reload()
        s = inst.session()
        s.cmd("EHLO x")
        tls_setup.starttls(s, ctx)
        s.cmd("EHLO x")
        s.cmd("MAIL FROM:<a@example.org>")
        R.check("permit_tls_all_clientcerts: any trusted certificate",
                s.cmd("RCPT TO:<x@example.org>"), "250 2.1.5 Ok")
        s.close()
        for name, key, want in (("self-signed", "selfsigned", "Untrusted"),
                                ("no", None, "Anonymous")):
            c2 = tls_setup.client_context(certs.path(key + ".pem"), certs.path(key + ".key")) \
                if key else tls_setup.client_context()
            s = inst.session()
            s.cmd("EHLO x")
            tls_setup.starttls(s, c2)
            s.cmd("EHLO x")
            s.cmd("MAIL FROM:<a@example.org>")
            R.check("%s certificate: no relay" % name, s.cmd("RCPT TO:<x@example.org>"),
                    "554 5.7.1 <x@example.org>: Relay access denied")
            s.close()
            R.true("%s certificate: %s TLS log line" % (name, want),
                   inst.wait_log(r": %s TLS connection established from " % want))
    finally:
        inst.cleanup()
        dove.stop()


def handshake(port, ctx):
    """STARTTLS with ctx: (protocol, cipher) or the exception text."""
    s = pkit.Session(port)
    try:
        s.cmd("EHLO x")
        tls_setup.starttls(s, ctx)
        return s.sock.version(), s.sock.cipher()[0]
    except (ssl.SSLError, OSError, EOFError) as e:
        return str(e)
    finally:
        s.close()


def test_keys_and_protocols(certs):
    """RSA and ECDSA certificates together, DH parameters, protocol and cipher controls."""
    d = certs.dir
    dh = os.path.join(d, "dh.pem")
    subprocess.run(["openssl", "dhparam", "-dsaparam", "-out", dh, "2048"], check=True,
                   capture_output=True)
    inst = pkit.Instance(main_extra=certs.server_main_cf("may") + """\
smtpd_tls_eccert_file = {ec}
smtpd_tls_eckey_file = {eck}
smtpd_tls_dh1024_param_file = {dh}
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_ciphers = high
smtpd_tls_exclude_ciphers = ECDHE-RSA-AES256-GCM-SHA384
tls_eecdh_auto_curves = prime256v1
tls_preempt_cipherlist = yes
tls_high_cipherlist = aNULL:-aNULL:HIGH:@STRENGTH
tls_low_cipherlist = aNULL:-aNULL:HIGH:MEDIUM:LOW:+RC4:@STRENGTH
tls_export_cipherlist = aNULL:-aNULL:HIGH:MEDIUM:LOW:EXPORT:+RC4:@STRENGTH
tls_null_cipherlist = eNULL:!aNULL
""".format(ec=certs.path("ec.pem"), eck=certs.path("ec.key"), dh=dh))
    try:
        inst.start()
        for name, cipher, want in (
                ("ECDSA certificate", "ECDHE-ECDSA-AES256-GCM-SHA384",
                 ("TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384")),
                ("RSA certificate", "ECDHE-RSA-AES128-GCM-SHA256",
                 ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256")),
                ("DH parameters", "DHE-RSA-AES256-GCM-SHA384",
                 ("TLSv1.2", "DHE-RSA-AES256-GCM-SHA384"))):
            ctx = tls_setup.client_context()
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            ctx.set_ciphers(cipher)
            R.check(name, handshake(inst.port, ctx), want)
        r = subprocess.run(["openssl", "s_client", "-starttls", "smtp", "-connect",
                            "127.0.0.1:%d" % inst.port, "-sigalgs", "ECDSA+SHA256", "-brief"],
                           input=b"QUIT\r\n", capture_output=True, timeout=20)
        R.true("TLSv1.3 with the ECDSA key and tls_eecdh_auto_curves, logged as Postfix",
               inst.wait_log(r"Anonymous TLS connection established from " + CLIENT
                             + r": TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384 \(256/256 bits\) "
                             r"key-exchange ECDHE \(prime256v1\) server-signature ECDSA "
                             r"\(prime256v1\) server-digest SHA256$"), inst.log())
        ctx = tls_setup.client_context()
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE-RSA-AES256-GCM-SHA384")
        R.true("smtpd_tls_exclude_ciphers", isinstance(handshake(inst.port, ctx), str))
        R.true("TLSv1.2 log line without key-exchange details", inst.wait_log(
            r"Anonymous TLS connection established from " + CLIENT + r": TLSv1\.2 with cipher "
            r"ECDHE-ECDSA-AES256-GCM-SHA384 \(256/256 bits\)$"), inst.log())
        ctx = tls_setup.client_context()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # old protocols, on purpose
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        R.true("smtpd_tls_protocols = >=TLSv1.2 refuses TLSv1.1",
               isinstance(handshake(inst.port, ctx), str))
        R.true("failed handshake logged as Postfix", inst.wait_log(
            r"SSL_accept error from " + CLIENT + r": -1$") and inst.wait_log(
            r"warning: TLS library problem: error:[0-9A-F]+:SSL routines::") and inst.wait_log(
            r"lost connection after STARTTLS from " + CLIENT), inst.log())
    finally:
        inst.cleanup()


def test_chain_files(certs):
    """smtpd_tls_chain_files: the key and its chain in one file."""
    inst = pkit.Instance(main_extra="""\
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_chain_files = {chain}
""".format(chain=certs.chain_file()))
    try:
        inst.start()
        R.check("chain file: TLSv1.3", handshake(inst.port, tls_setup.client_context()),
                ("TLSv1.3", "TLS_AES_256_GCM_SHA384"))
        R.true("chain file: logged", inst.wait_log(
            r"Anonymous TLS connection established from " + CLIENT + ": " + SUMMARY13 + "$"))
    finally:
        inst.cleanup()


def main():
    tls_setup.require_tls_tools(need_dovecot=True)
    certs = tls_setup.Certs()
    test_may(certs)
    test_none()
    test_encrypt(certs)
    test_plaintext_session(certs)
    test_wrapper_ccerts(certs)
    test_keys_and_protocols(certs)
    test_chain_files(certs)
    R.finish()


if __name__ == "__main__":
    main()
