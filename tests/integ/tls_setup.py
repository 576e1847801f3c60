"""tls_setup.py - what the TLS and SASL integration tests need: certificates, a Dovecot, an LMTP server.

Certificates are made for each run with the openssl command (nothing secret is
committed): a test CA, a server certificate with an RSA key and one with an
ECDSA key (both for mail.example.com, localhost and 127.0.0.1), a client
certificate the CA signed and a self-signed one.

Dovecot (dovecot-core) runs as a private instance: its configuration, base
directory, log and passwd-file user database under a temporary directory,
no protocols (no IMAP/POP listeners), only the auth socket that smtpd's
smtpd_sasl_path names.  It is stopped at exit.

Lmtp is a small LMTP server on 127.0.0.1 with STARTTLS and AUTH PLAIN (Python's
ssl module: TLS 1.3 session tickets, so a client can resume a session).
"""
import atexit
import base64
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time

import pkit


# the submission entry as Postfix's master.cf had it before 3.7 ($mua_* restrictions; many
# sites still carry it), chroot on; Debian's 3.7.11 text is test_debian_stock.SUBMISSION.
# A test not run as root gets no jail (chroot needs root), as with Postfix
STOCK_SUBMISSION = """{port} inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_reject_unlisted_recipient=no
  -o smtpd_client_restrictions=$mua_client_restrictions
  -o smtpd_helo_restrictions=$mua_helo_restrictions
  -o smtpd_sender_restrictions=$mua_sender_restrictions
  -o smtpd_recipient_restrictions=
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o milter_macro_daemon_name=ORIGINATING
"""

# the smtps entry as Postfix's master.cf had it before 3.7, chroot on (see STOCK_SUBMISSION)
STOCK_SMTPS = """{port} inet  n       -       y       -       -       smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_reject_unlisted_recipient=no
  -o smtpd_client_restrictions=$mua_client_restrictions
  -o smtpd_helo_restrictions=$mua_helo_restrictions
  -o smtpd_sender_restrictions=$mua_sender_restrictions
  -o smtpd_recipient_restrictions=
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o milter_macro_daemon_name=ORIGINATING
"""


def have(prog):
    return shutil.which(prog) is not None


def _run(args, cwd):
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)


class Certs:
    """A CA and the certificates it signs, in a directory of their own."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="postkit-certs-")
        os.chmod(self.dir, 0o755)
        d = self.dir
        ext = os.path.join(d, "ext.cnf")
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:mail.example.com,DNS:localhost,IP:127.0.0.1\n")
        _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
              "-out", "ca.pem", "-days", "2", "-subj", "/CN=Test CA"], d)
        self._signed("rsa", ["-newkey", "rsa:2048"], "/CN=mail.example.com", ext)
        self._signed("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
                     "/CN=mail.example.com", ext)
        self._signed("client", ["-newkey", "rsa:2048"], "/CN=client.example.com", None)
        _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
              "selfsigned.key", "-out", "selfsigned.pem", "-days", "2", "-subj",
              "/CN=stranger.example.com"], d)
        for name in os.listdir(d):
            os.chmod(os.path.join(d, name), 0o644 if not name.endswith(".key") else 0o600)
        atexit.register(shutil.rmtree, d, True)

    def _signed(self, name, keyargs, subj, ext):
        d = self.dir
        _run(["openssl", "req"] + keyargs + ["-nodes", "-keyout", name + ".key", "-out",
              name + ".csr", "-subj", subj], d)
        args = ["openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey",
                "ca.key", "-CAcreateserial", "-out", name + ".pem", "-days", "2"]
        if ext:
            args += ["-extfile", ext]
        _run(args, d)

    def path(self, name):
        return os.path.join(self.dir, name)

    def fingerprint(self, name, digest="sha256"):
        out = subprocess.run(["openssl", "x509", "-in", self.path(name), "-noout",
                              "-fingerprint", "-" + digest], capture_output=True, text=True,
                             check=True).stdout
        return out.strip().split("=", 1)[1]

    def pkey_fingerprint(self, name, digest="sha256"):
        """The digest of a certificate's public key (SubjectPublicKeyInfo), "AB:CD:..." form."""
        pub = subprocess.run(["openssl", "x509", "-in", self.path(name), "-noout", "-pubkey"],
                             capture_output=True, check=True).stdout
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                             capture_output=True, check=True).stdout
        out = subprocess.run(["openssl", "dgst", "-" + digest, "-c"], input=der,
                             capture_output=True, check=True).stdout
        return out.decode().strip().split("= ")[1].upper()

    def server_main_cf(self, level="may", loglevel=1):
        return """\
smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_security_level = {level}
smtpd_tls_loglevel = {log}
""".format(cert=self.path("rsa.pem"), key=self.path("rsa.key"), level=level, log=loglevel)

    def capath(self):
        """A CApath directory: the CA certificate under its hash name."""
        d = os.path.join(self.dir, "capath")
        if not os.path.isdir(d):
            os.makedirs(d)
            shutil.copy(self.path("ca.pem"), os.path.join(d, "ca.pem"))
            _run(["openssl", "rehash", d], d)
        return d

    def chain_file(self):
        """A chain file as smtpd_tls_chain_files wants it: the key, its certificate, the CA."""
        p = os.path.join(self.dir, "chain.pem")
        with open(p, "w") as out:
            for name in ("rsa.key", "rsa.pem", "ca.pem"):
                with open(self.path(name)) as f:
                    out.write(f.read())
        os.chmod(p, 0o600)
        return p


class Client:
    """The sending instance of the smtp client tests: its main.cf is rewritten for each case.

    R is the test's pkit.Results; mail goes to relayhost = [127.0.0.1]:relay_port.
    """

    def __init__(self, R, certs, relay_port):
        self.R = R
        self.certs = certs
        self.relay = "[127.0.0.1]:%d" % relay_port
        self.inst = pkit.Instance()
        self.base = self.inst.read("main.cf")
        self.n = 0

    def send(self, settings, secrets="", policy=""):
        """Reconfigure, reload, submit one message; returns its recipient."""
        self.n += 1
        rcpt = "r%d@example.org" % self.n
        self.inst.write("main.cf", self.base + """\
relayhost = {relay}
smtp_tls_loglevel = 1
smtp_starttls_timeout = 60s
smtp_tls_scert_verifydepth = 5
smtp_sasl_password_maps = texthash:$config_directory/sasl_passwd
smtp_tls_policy_maps = texthash:$config_directory/tls_policy
""".format(relay=self.relay) + settings)
        self.inst.write("sasl_passwd", secrets)
        self.inst.write("tls_policy", policy)
        if self.inst.started:
            self.inst.postfix("reload")
            self.inst.wait_log("reload", count=self.n - 1, timeout=10)
        else:
            self.inst.start()
        r = self.inst.sendmail(["-f", "alice@example.com", rcpt],
                               "Subject: %s\n\nrelayed\n" % rcpt)
        self.R.check("sendmail %s" % rcpt, r.returncode, 0)
        return rcpt

    def status(self, rcpt, rx):
        return self.inst.wait_log(r"postfix/smtp\[\d+\]: \w+: to=<%s>, relay=.*%s" % (rcpt, rx),
                                  timeout=15)


class Dovecot:
    """A private Dovecot whose auth socket smtpd uses; users: {name: password}."""

    def __init__(self, users):
        self.dir = tempfile.mkdtemp(prefix="postkit-dovecot-")
        os.chmod(self.dir, 0o755)
        self.socket = os.path.join(self.dir, "auth")
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            for user, pw in users.items():
                f.write("%s:{PLAIN}%s\n" % (user, pw))
        with open(self.conf, "w") as f:
            f.write("""base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = none
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}}
service auth {{
  unix_listener {d}/auth {{
    mode = 0666
  }}
}}
service anvil {{
  chroot =
}}
""".format(d=self.dir))
        for sub in ("run", "state"):
            os.makedirs(os.path.join(self.dir, sub))
        # dovecot forks into the background: its children must not hold our pipes
        subprocess.run(["dovecot", "-c", self.conf], check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        atexit.register(self.stop)
        deadline = time.time() + 10
        while not os.path.exists(self.socket) and time.time() < deadline:
            time.sleep(0.05)
        if not os.path.exists(self.socket):
            raise RuntimeError("dovecot did not start: %s" % self.log())

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log")) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        pidfile = os.path.join(self.dir, "run", "master.pid")
        try:
            with open(pidfile) as f:
                pid = int(f.read().strip())
            os.kill(pid, 15)
            deadline = time.time() + 5
            while time.time() < deadline:
                os.kill(pid, 0)
                time.sleep(0.05)
        except (OSError, ValueError):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def jail_auth(inst, dove):
    """The Dovecot auth socket where a chrooted smtpd finds it, as Debian sets it up:
    private/auth in the queue directory (here a hard link to the private Dovecot's socket).
    Returns the smtpd_sasl_path value; an unjailed smtpd finds it too (it runs there)."""
    d = inst.path("queue", "private")
    os.makedirs(d, exist_ok=True)
    os.link(dove.socket, os.path.join(d, "auth"))
    return "private/auth"


def require_tls_tools(need_dovecot=False):
    """Skip (77) without openssl, or dovecot when the test needs it (and root to run it)."""
    pkit.require_binaries()
    if not have("openssl"):
        print("openssl not installed: skipping")
        raise SystemExit(77)
    if need_dovecot and (not have("dovecot") or not pkit.IS_ROOT):
        print("dovecot (dovecot-core) not installed, or not root: skipping")
        raise SystemExit(77)


def client_context(cert=None, key=None):
    """A client TLS context that trusts anything (the tests look at the server's side)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


def starttls(session, ctx):
    """STARTTLS on a pkit.Session; returns the 220 line (the session then speaks TLS)."""
    r = session.cmd("STARTTLS")
    if r.startswith("220"):
        session.sock = ctx.wrap_socket(session.sock)
        session.buf = b""
    return r


def tls_session(port, ctx, timeout=10):
    """A pkit.Session over TLS from the first byte (smtpd_tls_wrappermode)."""
    s = pkit.Session.__new__(pkit.Session)
    import socket
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sock = ctx.wrap_socket(raw)
    s.buf = b""
    s.greeting = s.reply()
    return s


class Lmtp:
    """An LMTP server with STARTTLS and AUTH PLAIN; records commands, TLS versions, logins.

    hang: a command (MAIL) it never answers.
    """

    def __init__(self, certs, hang=None):
        self.hang = hang
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(certs.path("rsa.pem"), certs.path("rsa.key"))
        self.ctx.load_verify_locations(certs.path("ca.pem"))
        self.ctx.verify_mode = ssl.CERT_OPTIONAL
        self.log, self.tls, self.logins, self.peers = [], [], [], []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(4)
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            c.settimeout(20)
            threading.Thread(target=self._talk, args=(c,), daemon=True).start()

    def _talk(self, c):
        try:
            self._session(c)
        except (OSError, ssl.SSLError):
            pass
        finally:
            c.close()

    def _session(self, c):
        f = c.makefile("rb")
        c.sendall(b"220 lmtp.example LMTP\r\n")
        rcpts = 0
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line.decode("latin-1").rstrip("\r\n")
            self.log.append(cmd)
            verb = cmd.split(" ")[0].upper()
            if verb == self.hang:
                while f.readline():
                    pass
                return
            if verb == "LHLO":
                exts = ["PIPELINING"] + (["AUTH PLAIN"] if isinstance(c, ssl.SSLSocket)
                                         else ["STARTTLS"])
                c.sendall(("250-lmtp.example\r\n" + "".join(
                    ("250 " if i == len(exts) - 1 else "250-") + e + "\r\n"
                    for i, e in enumerate(exts))).encode())
            elif verb == "STARTTLS":
                c.sendall(b"220 2.0.0 Ready to start TLS\r\n")
                c = self.ctx.wrap_socket(c, server_side=True)
                f = c.makefile("rb")
                self.tls.append(c.version())
                self.peers.append(c.getpeercert() is not None)
            elif verb == "AUTH":
                self.logins.append(base64.b64decode(cmd.split(" ")[2]).split(b"\0")[1:])
                c.sendall(b"235 2.7.0 Authentication successful\r\n")
            elif verb == "RCPT":
                rcpts += 1
                c.sendall(b"250 2.1.5 Ok\r\n")
            elif verb == "DATA":
                c.sendall(b"354 go ahead\r\n")
                while f.readline() not in (b".\r\n", b""):
                    pass
                c.sendall(b"250 2.0.0 Saved\r\n" * rcpts)
                rcpts = 0
            elif verb == "QUIT":
                c.sendall(b"221 2.0.0 Bye\r\n")
                return
            else:
                c.sendall(b"250 2.0.0 Ok\r\n")

    def stop(self):
        self.sock.close()
