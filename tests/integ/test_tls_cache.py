#!/usr/bin/env python3
"""test_tls_cache.py - TLS session caches: smtpd_, smtp_ and lmtp_tls_session_cache_database.

Server: a client without session tickets (TLSv1.2, OP_NO_TICKET) resumes its
session on a second connection through smtpd_tls_session_cache_database.
Client: the smtp client resumes its session with the same next hop on the
next delivery through smtp_tls_session_cache_database, and not once the
entry is older than smtp_tls_session_cache_timeout, where a value under 2
minutes counts as 2 minutes, as in Postfix (its lmtp, with
lmtp_tls_session_cache_timeout = 3s, resumed a session saved 4 s before; the
entries are made older with postmap rather than waited for; its smtpd with
smtpd_tls_session_cache_timeout = 3s resumed a TLSv1.3 ticket 4 s old).  LMTP client: lmtp resumes
through lmtp_tls_session_cache_database (its "lmtp" cache), and
lmtp_tls_session_cache_timeout = 0 turns its cache off.

Log lines are what Postfix 3.7.11 logged in the same setup (Postfix's smtpd
with a btree: cache and `openssl s_client -tls1_2 -no_ticket -sess_out/-sess_in`;
its smtp client relaying two messages):
  loglevel 1, a resumed TLSv1.3 session: the line has no "server-digest"
    Untrusted TLS connection established to 127.0.0.1[127.0.0.1]:PORT: TLSv1.3 with cipher
      TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits)
  loglevel 2 (the ids are Postfix's own; postkit's name the same things):
    smtp:  looking for session ID in smtp cache / reloaded session ID from smtp cache /
           127.0.0.1[127.0.0.1]:PORT: Reusing old session / save session ID to smtp cache
    smtpd: localhost[127.0.0.1]: save session ID&s=SERVICE&l=N to smtpd cache /
           localhost[127.0.0.1]: looking up session ID in smtpd cache /
           localhost[127.0.0.1]: reloaded session ID from smtpd cache /
           localhost[127.0.0.1]: Reusing old session
    lmtp (its lmtp service delivering three messages to tls_setup.Lmtp):
           looking for session lmtp&[127.0.0.1]:PORT&127.0.0.1&127.0.0.1&&HEX in lmtp cache /
           save session lmtp&[127.0.0.1]:PORT&127.0.0.1&127.0.0.1&&HEX to lmtp cache /
           reloaded session lmtp&[127.0.0.1]:PORT&... from lmtp cache /
           127.0.0.1[127.0.0.1]:PORT: Reusing old session
    lmtp with lmtp_tls_session_cache_timeout = 0: none of the cache lines, a full handshake
Jailed client (root only; postkit's design, not Postfix's, whose tlsmgr keeps the caches):
smtp with chroot = y cannot open the cache in
data_directory; with the stock proxywrite entry in master.cf it reads and
writes it through proxywrite and resumes as unjailed (the same log lines);
without proxywrite it makes full handshakes and postfix check says so.
    lmtp at may, loglevel 2, the server's chain ending in the (untrusted) test CA: no
           "certificate verification failed" line
"""
import os
import shutil
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402
import tls_setup  # noqa: E402

R = pkit.Results("tls_cache")
POSTMAP = os.path.join(pkit.TOP_BUILDDIR, "tools", "postmap", "postmap")
SUMMARY13 = (r"TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384 \(256/256 bits\) key-exchange X25519 "
             r"server-signature RSA-PSS \(2048 bits\)")
CLIENT = r"\S+\[127\.0\.0\.1\]"


def ticketless_context():
    """A client context for TLSv1.2 without tickets: resumption by session id only."""
    ctx = tls_setup.client_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= ssl.OP_NO_TICKET
    return ctx


def ticketless(ctx, port, session=None):
    """One STARTTLS session over ctx; returns (session, reused)."""
    s = pkit.Session(port)
    s.cmd("EHLO client.example")
    r = s.cmd("STARTTLS")
    if not r.startswith("220"):
        s.close()
        return None, False
    s.sock = ctx.wrap_socket(s.sock, session=session)
    s.buf = b""
    s.cmd("EHLO client.example")
    got = (s.sock.session, s.sock.session_reused)
    s.cmd("QUIT")
    s.close()
    return got


def data_dir(inst):
    """data_directory as Postfix makes it (owned by mail_owner): the daemons write the cache there.
    postkit's `postfix start` makes an instance's missing data directory owned by root."""
    os.makedirs(inst.path("data"), exist_ok=True)
    if pkit.IS_ROOT:
        shutil.chown(inst.path("data"), pkit.mail_owner())
    return inst


def age(inst, table, seconds):
    """Make every entry of the cache btree:data/TABLE that much older (postmap -s, then -i):
    the timeout is tested without waiting for it."""
    spec = "btree:" + inst.path("data", table)
    out = subprocess.run([POSTMAP, "-c", inst.dir, "-f", "-s", spec], env=inst.env(),
                         capture_output=True, text=True, check=True).stdout
    entries = []
    for line in out.splitlines():
        key, value = line.split(None, 1)
        saved, session = value.split(":", 1)
        entries.append("%s %d:%s\n" % (key, int(saved) - seconds, session))
    subprocess.run([POSTMAP, "-c", inst.dir, "-f", "-r", "-i", spec], env=inst.env(),
                   input="".join(entries), capture_output=True, text=True, check=True)
    if pkit.IS_ROOT:
        shutil.chown(inst.path("data", table + ".db"), pkit.mail_owner())


def server_side(certs):
    srv = data_dir(pkit.Instance(main_extra=certs.server_main_cf("may", loglevel=2) + """\
smtpd_tls_session_cache_database = btree:${data_directory}/smtpd_scache
"""))
    plain = pkit.Instance(main_extra=certs.server_main_cf("may", loglevel=2)
                          + "smtpd_tls_session_cache_timeout = 3s\n")
    try:
        srv.start()
        plain.start()
        ctx = ticketless_context()
        first, reused = ticketless(ctx, srv.port)
        R.true("server: a first session is new", first is not None and not reused)
        _, reused = ticketless(ctx, srv.port, first)
        R.true("server: the second connection resumes it", reused, srv.log())
        svc = r"127\.0\.0\.1:%d" % srv.port
        R.true("server: saved to the cache", srv.wait_log(
            r"postfix/smtpd\[\d+\]: %s: save session [0-9A-F]{64}&s=%s to smtpd cache$"
            % (CLIENT, svc)), srv.log())
        R.true("server: looked up and reloaded", srv.wait_log(
            r"%s: looking up session [0-9A-F]{64}&s=%s in smtpd cache$" % (CLIENT, svc))
            and srv.wait_log(r"%s: reloaded session [0-9A-F]{64}&s=%s from smtpd cache$"
                             % (CLIENT, svc)), srv.log())
        R.true("server: Reusing old session", srv.wait_log(
            r"postfix/smtpd\[\d+\]: %s: Reusing old session$" % CLIENT), srv.log())
        R.true("server: the resumed TLSv1.2 line", srv.wait_log(
            r"Anonymous TLS connection established from %s: TLSv1\.2 with cipher "
            r"ECDHE-RSA-AES256-GCM-SHA384 \(256/256 bits\)$" % CLIENT, count=2), srv.log())
        R.true("server: the cache is a btree: (GDBM) file",
               os.path.exists(srv.path("data", "smtpd_scache.db")))
        # without a cache database a session id is not resumed
        first, _ = ticketless(ctx, plain.port)
        _, reused = ticketless(ctx, plain.port, first)
        R.true("server: no cache database, no resumption without tickets", not reused)
        # a ticket lives smtpd_tls_session_cache_timeout, at least 2 minutes as in Postfix:
        # the time must really pass here (the ticket's age is inside the ticket)
        tickets = tls_setup.client_context()
        first, _ = ticketless(tickets, plain.port)
        time.sleep(4)
        _, reused = ticketless(tickets, plain.port, first)
        R.true("server: a 3s timeout counts as 2 minutes: a 4s old ticket resumes", reused,
               plain.log())
    finally:
        srv.cleanup()
        plain.cleanup()


def client_side(certs):
    server = pkit.Instance(main_extra=certs.server_main_cf("may") + "relay_domains = example.org\n")
    c = tls_setup.Client(R, certs, server.port)
    data_dir(c.inst)
    cache = """\
smtp_tls_security_level = may
smtp_tls_loglevel = 2
smtp_tls_session_cache_database = btree:${data_directory}/smtp_scache
smtp_tls_session_cache_timeout = 3s
"""
    est = r"postfix/smtp\[\d+\]: Untrusted TLS connection established to %s:%d: %s" % (
        CLIENT, server.port, SUMMARY13)
    try:
        server.start()
        r = c.send(cache)
        R.true("client: first delivery sent", c.status(r, r"status=sent"), c.inst.log())
        R.true("client: a full handshake first", c.inst.wait_log(est + r" server-digest SHA256$"),
               c.inst.log())
        R.true("client: saved to the cache", c.inst.wait_log(
            r"save session smtp&\[127\.0\.0\.1\]:%d&127\.0\.0\.1&127\.0\.0\.1&&[0-9A-F]{64} to "
            r"smtp cache$" % server.port), c.inst.log())
        r = c.send(cache)
        R.true("client: second delivery sent", c.status(r, r"status=sent"), c.inst.log())
        R.true("client: reloaded from the cache", c.inst.wait_log(
            r"reloaded session smtp&\[127\.0\.0\.1\]:%d&\S+ from smtp cache$" % server.port),
            c.inst.log())
        R.true("client: Reusing old session", c.inst.wait_log(
            r"postfix/smtp\[\d+\]: 127\.0\.0\.1\[127\.0\.0\.1\]:%d: Reusing old session$"
            % server.port), c.inst.log())
        R.true("client: the resumed line has no server-digest", c.inst.wait_log(est + "$"),
               c.inst.log())
        R.true("server: the resumed session", server.wait_log(
            r"Anonymous TLS connection established from %s: %s$" % (CLIENT, SUMMARY13)),
            server.log())
        age(c.inst, "smtp_scache", 10)
        r = c.send(cache)
        R.true("client: third delivery sent", c.status(r, r"status=sent"), c.inst.log())
        R.true("client: a timeout under 2 minutes counts as 2 minutes", c.inst.wait_log(
            r"postfix/smtp\[\d+\]: 127\.0\.0\.1\[127\.0\.0\.1\]:%d: Reusing old session$"
            % server.port, count=2), c.inst.log())
        age(c.inst, "smtp_scache", 200)
        r = c.send(cache)
        R.true("client: fourth delivery sent", c.status(r, r"status=sent"), c.inst.log())
        R.true("client: an expired entry is not used", c.inst.wait_log(
            est + r" server-digest SHA256$", count=2) and c.inst.log().count(
            "Reusing old session") == 2, c.inst.log())
    finally:
        c.inst.cleanup()
        server.cleanup()


def jailed_master(proxy):
    """pkit's master.cf with the smtp client jailed; proxymap and proxywrite as stock, if proxy."""
    master = pkit.BASE_MASTER_CF.replace(
        "smtp      unix  -       -       n       -       -       smtp",
        "smtp      unix  -       -       y       -       -       smtp")
    if proxy:
        master += ("proxymap  unix  -       -       n       -       -       proxymap\n"
                   "proxywrite unix -       -       n       -       1       proxymap\n")
    return master


def jailed_case(certs, proxy):
    """Two deliveries through a jailed smtp client; True when the second resumed the session."""
    tag = "jailed client%s: " % ("" if proxy else " without proxywrite")
    server = pkit.Instance(main_extra=certs.server_main_cf("may") + "relay_domains = example.org\n")
    inst = data_dir(pkit.Instance(main_extra="""\
relayhost = [127.0.0.1]:%d
smtp_tls_security_level = may
smtp_tls_loglevel = 2
smtp_tls_session_cache_database = btree:${data_directory}/smtp_scache
""" % server.port, master_cf=jailed_master(proxy)))
    smtp = r"postfix/smtp\[\d+\]: "
    reuse = smtp + r"127\.0\.0\.1\[127\.0\.0\.1\]:%d: Reusing old session$" % server.port

    def send(n):
        rcpt = "j%d@example.org" % n
        inst.sendmail(["-f", "alice@example.com", rcpt], "Subject: %s\n\njailed\n" % rcpt)
        return inst.wait_log(smtp + r"\w+: to=<%s>, relay=.*status=sent" % rcpt, timeout=20)

    try:
        server.start()
        inst.start()
        R.true(tag + "first delivery sent", send(1), inst.log())
        R.true(tag + "second delivery sent", send(2), inst.log())
        reused = "Reusing old session" in inst.log()
        if proxy:
            R.true(tag + "saved to the cache", inst.wait_log(
                smtp + r"save session smtp&\[127\.0\.0\.1\]:%d&\S+ to smtp cache$"
                % server.port), inst.log())
            R.true(tag + "reloaded from the cache", inst.wait_log(
                smtp + r"reloaded session smtp&\[127\.0\.0\.1\]:%d&\S+ from smtp cache$"
                % server.port), inst.log())
            R.true(tag + "Reusing old session", inst.wait_log(reuse), inst.log())
            db = inst.path("data", "smtp_scache.db")
            R.true(tag + "the cache file is mode 0600",
                   os.path.exists(db) and os.stat(db).st_mode & 0o777 == 0o600)
            R.true(tag + "no unapproved-table warning", "unapproved" not in inst.log(),
                   inst.log())
        else:
            R.true(tag + "no resumption", not reused, inst.log())
            R.true(tag + "no cache file", not os.path.exists(inst.path("data", "smtp_scache.db")))
        chk = inst.postfix("check")
        note = "every TLS connection is a full handshake"
        R.true(tag + "postfix check note %s" % ("gone" if proxy else "kept"),
               (note in chk.stderr) != proxy, chk.stderr)
    finally:
        inst.cleanup()
        server.cleanup()


def jailed_client(certs):
    if not pkit.IS_ROOT:
        print("not root: skipping the jailed client cases (chroot needs root)")
        return
    jailed_case(certs, True)
    jailed_case(certs, False)


def lmtp_side(certs):
    srv = tls_setup.Lmtp(certs)
    inst = data_dir(pkit.Instance(main_extra="""\
transport_maps = texthash:$config_directory/transport
lmtp_tls_security_level = may
lmtp_tls_loglevel = 2
lmtp_tls_session_cache_database = btree:${data_directory}/lmtp_scache
lmtp_tls_session_cache_timeout = 3600s
smtp_tls_session_cache_database =
""", master_extra="lmtp      unix  -       -       n       -       -       lmtp\n"))
    inst.write("transport", "lmtp.example lmtp:[127.0.0.1]:%d\n" % srv.port)
    lmtp = r"postfix/lmtp\[\d+\]: "
    rid = r"lmtp&\[127\.0\.0\.1\]:%d&127\.0\.0\.1&127\.0\.0\.1&&[0-9A-F]{64}" % srv.port
    est = lmtp + r"Untrusted TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:%d: %s" % (
        srv.port, SUMMARY13)

    def send(n):
        inst.sendmail(["-f", "alice@example.com", "u%d@lmtp.example" % n], "Subject: lmtp\n\nhi\n")
        return inst.wait_log(lmtp + r"\w+: to=<u%d@lmtp\.example>, .*status=sent" % n)

    try:
        inst.start()
        R.true("lmtp: first delivery sent", send(1), inst.log())
        R.true("lmtp: looked for in the lmtp cache", inst.wait_log(
            lmtp + r"looking for session %s in lmtp cache$" % rid), inst.log())
        R.true("lmtp: a full handshake first", inst.wait_log(est + r" server-digest SHA256$"),
               inst.log())
        R.true("lmtp: saved to the lmtp cache", inst.wait_log(
            lmtp + r"save session %s to lmtp cache$" % rid), inst.log())
        R.true("lmtp: at may an untrusted chain is not logged, even at loglevel 2",
               "verification failed" not in inst.log(), inst.log())
        R.true("lmtp: the cache is lmtp_tls_session_cache_database",
               os.path.exists(inst.path("data", "lmtp_scache.db")))
        R.true("lmtp: second delivery sent", send(2), inst.log())
        R.true("lmtp: reloaded from the lmtp cache", inst.wait_log(
            lmtp + r"reloaded session %s from lmtp cache$" % rid), inst.log())
        R.true("lmtp: Reusing old session", inst.wait_log(
            lmtp + r"127\.0\.0\.1\[127\.0\.0\.1\]:%d: Reusing old session$" % srv.port),
            inst.log())
        R.true("lmtp: the resumed line has no server-digest", inst.wait_log(est + "$"), inst.log())
        looked = inst.log().count("in lmtp cache")
        inst.write("main.cf", inst.read("main.cf").replace(
            "lmtp_tls_session_cache_timeout = 3600s", "lmtp_tls_session_cache_timeout = 0"))
        inst.reload()
        R.true("lmtp: third delivery sent", send(3), inst.log())
        R.true("lmtp_tls_session_cache_timeout = 0: no cache, a full handshake",
               inst.log().count("in lmtp cache") == looked
               and inst.wait_log(est + r" server-digest SHA256$", count=2), inst.log())
    finally:
        inst.cleanup()
        srv.stop()


def main():
    tls_setup.require_tls_tools()
    certs = tls_setup.Certs()
    server_side(certs)
    client_side(certs)
    lmtp_side(certs)
    jailed_client(certs)
    R.finish()


if __name__ == "__main__":
    main()
