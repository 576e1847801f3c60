#!/usr/bin/env python3
"""bench/tls.py - STARTTLS: postkit against Postfix 3.7 on the same machine, in the same run.

    bench/tls.py [-b BUILDDIR] [-t SECONDS] [-c CLIENTS] [-n MESSAGES] [-s SESSIONS]

Each side is a private instance in a temporary directory, smtpd on 127.0.0.1
and a free port, smtpd_tls_security_level = may with the same RSA
certificate (made here with openssl).  Measured per side:
  handshakes/s  full TLS handshakes (EHLO, STARTTLS, handshake, QUIT, no
                resumption) by CLIENTS parallel clients for SECONDS
  resumed/s     the same with the first session's ticket offered again
  msgs/s        MESSAGES messages accepted (250 after DATA, queue file
                fsync'd) over SESSIONS parallel STARTTLS sessions
  KB/session    resident memory the instance's processes gain for each
                idle TLS session held open, over the same number of idle
                plaintext sessions (CLIENTS of each)
and the ratio postkit/Postfix.  The Postfix side needs root and
/usr/sbin/postfix; without them only postkit is measured.
"""
import argparse
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))

MAIN = """\
compatibility_level = 3.6
myhostname = mail.example.com
mydomain = example.com
mydestination = $myhostname, localhost.$mydomain, localhost, $mydomain
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
queue_directory = {d}/queue
data_directory = {d}/data
mail_spool_directory = {d}/mail
maillog_file = {d}/maillog
maillog_file_prefixes = {d}
alias_maps =
alias_database =
biff = no
smtpd_tls_security_level = may
smtpd_tls_cert_file = {certs}/rsa.pem
smtpd_tls_key_file = {certs}/rsa.key
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_certs(d):
    def run(*a):
        subprocess.run(a, cwd=d, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
        "ca.pem", "-days", "2", "-subj", "/CN=Bench CA")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa.key", "-out", "rsa.csr",
        "-subj", "/CN=mail.example.com")
    run("openssl", "x509", "-req", "-in", "rsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "rsa.pem", "-days", "2")
    os.chmod(d, 0o755)
    os.chmod(os.path.join(d, "rsa.pem"), 0o644)


class Side:
    def __init__(self, name, top, certs, postfix_cmd, env, master_cf):
        self.name = name
        self.dir = os.path.join(top, name)
        self.port = free_port()
        self.cmd = postfix_cmd
        self.env = env
        os.makedirs(os.path.join(self.dir, "mail"))
        os.chmod(os.path.join(self.dir, "mail"), 0o1777)
        main = MAIN.format(d=self.dir, certs=certs)
        if os.geteuid() == 0:
            main += "mail_owner = postfix\n"
        with open(os.path.join(self.dir, "main.cf"), "w") as f:
            f.write(main)
        with open(os.path.join(self.dir, "master.cf"), "w") as f:
            f.write(master_cf(self.port))

    def start(self):
        r = subprocess.run([self.cmd, "-c", self.dir, "start"], env=self.env, capture_output=True,
                           text=True)
        if r.returncode:
            try:
                with open(os.path.join(self.dir, "maillog")) as f:
                    log = f.read()
            except OSError:
                log = ""
            raise RuntimeError("%s did not start (status %d): %s%s%s" % (
                self.name, r.returncode, r.stdout, r.stderr, log))
        time.sleep(1.5)

    def stop(self):
        subprocess.run([self.cmd, "-c", self.dir, "stop"], env=self.env, capture_output=True)

    def rss_kb(self):
        """Resident memory of master and its children."""
        try:
            with open(os.path.join(self.dir, "queue", "pid", "master.pid")) as f:
                master = int(f.read().strip())
        except (OSError, ValueError):
            return 0
        out = subprocess.run(["ps", "-eo", "pid=,ppid=,rss="], capture_output=True,
                             text=True).stdout
        return sum(int(r) for p, pp, r in (l.split() for l in out.splitlines())
                   if int(p) == master or int(pp) == master)


def reply(f):
    line = f.readline()
    while line[3:4] == b"-":
        line = f.readline()
    return line


def tls_session(port, ctx, session=None):
    """EHLO, STARTTLS, handshake; the TLS socket and its reader."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    f = s.makefile("rb")
    reply(f)
    s.sendall(b"EHLO bench\r\n")
    reply(f)
    s.sendall(b"STARTTLS\r\n")
    reply(f)
    t = ctx.wrap_socket(s, session=session)
    return t, t.makefile("rb")


def handshakes(port, clients, seconds, resume):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    counts = [0] * clients
    stop = time.time() + seconds

    def worker(k):
        session = None
        while time.time() < stop:
            t, f = tls_session(port, ctx, session if resume else None)
            t.sendall(b"QUIT\r\n")
            reply(f)  # reads the tickets too
            if resume:
                session = t.session
            t.close()
            counts[k] += 1
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    t0 = time.time()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return sum(counts) / (time.time() - t0)


def messages(port, total, sessions):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    body = b"Subject: bench\r\n\r\n" + b"x" * 1000 + b"\r\n.\r\n"

    def worker(n):
        t, f = tls_session(port, ctx)
        t.sendall(b"EHLO bench\r\n")
        reply(f)
        for _ in range(n):
            t.sendall(b"MAIL FROM:<sender@example.com>\r\nRCPT TO:<nobody@example.com>\r\n"
                      b"DATA\r\n")
            for _ in range(3):
                reply(f)
            t.sendall(body)
            if not reply(f).startswith(b"250"):
                raise RuntimeError("message refused")
        t.sendall(b"QUIT\r\n")
        t.close()
    per = total // sessions
    threads = [threading.Thread(target=worker, args=(per,)) for _ in range(sessions)]
    t0 = time.time()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return per * sessions / (time.time() - t0)


def memory(side, clients):
    """KB each idle TLS session costs over an idle plaintext one."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE

    def hold(tls):
        socks = []
        for _ in range(clients):
            if tls:
                socks.append(tls_session(side.port, ctx)[0])
            else:
                s = socket.create_connection(("127.0.0.1", side.port), timeout=30)
                f = s.makefile("rb")
                reply(f)
                s.sendall(b"EHLO bench\r\n")
                reply(f)
                socks.append(s)
        time.sleep(1.5)
        kb = side.rss_kb()
        for s in socks:
            s.close()
        time.sleep(1.5)
        return kb
    plain = hold(False)
    tls = hold(True)
    return (tls - plain) / clients


def measure(side, a):
    side.start()
    try:
        return (handshakes(side.port, a.c, a.t, False), handshakes(side.port, a.c, a.t, True),
                messages(side.port, a.n, a.s), memory(side, a.c))
    finally:
        side.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-b", default=os.environ.get("top_builddir") or os.path.join(HERE, ".."))
    ap.add_argument("-t", type=float, default=5)
    ap.add_argument("-c", type=int, default=8)
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("-s", type=int, default=10)
    a = ap.parse_args()
    a.b = os.path.abspath(a.b)  # master and the daemons run from other directories
    pk_cmd = os.path.join(a.b, "tools", "postfix", "postfix")
    if not os.access(pk_cmd, os.X_OK) or not shutil.which("openssl"):
        print("no postkit build in %s (use -b BUILDDIR), or no openssl" % a.b, file=sys.stderr)
        return 2
    top = tempfile.mkdtemp(prefix="postkit-bench-tls-")
    os.chmod(top, 0o755)
    certs = os.path.join(top, "certs")
    os.makedirs(certs)
    make_certs(certs)
    src = os.path.join(HERE, "..")
    with open(os.path.join(src, "examples", "master.cf")) as f:
        pk_master = f.read()
    env = dict(os.environ, POSTKIT_DAEMON_DIR=os.path.join(a.b, "mta"))
    results = []
    try:
        pk = Side("postkit", top, certs, pk_cmd, env,
                  lambda port: re.sub(r"^127\.0\.0\.1:2525 ", "127.0.0.1:%d " % port, pk_master,
                                      flags=re.M))
        results.append(("postkit", measure(pk, a)))
        if os.geteuid() == 0 and os.access("/usr/sbin/postfix", os.X_OK):
            def pf_master(port):
                with open("/etc/postfix/master.cf") as f:
                    m = f.read()
                m = re.sub(r"^smtp      inet  n       -       y", "127.0.0.1:%d inet n - n" % port,
                           m, flags=re.M)
                return re.sub(r"^([a-z0-9]+ +(unix|unix-dgram|fifo) +[-ny] +[-ny] +)y", r"\1n",
                              m, flags=re.M)
            pf = Side("postfix", top, certs, "/usr/sbin/postfix", dict(os.environ), pf_master)
            for sub in ("data", "queue"):
                os.makedirs(os.path.join(pf.dir, sub), exist_ok=True)
            subprocess.run(["chown", "postfix", os.path.join(pf.dir, "data")])
            results.append(("Postfix", measure(pf, a)))
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print("%-8s %12s %12s %10s %12s   (%d clients x %gs, %d messages over %d sessions)"
          % ("", "handshakes/s", "resumed/s", "msgs/s", "KB/session", a.c, a.t, a.n, a.s))
    for name, r in results:
        print("%-8s %12.1f %12.1f %10.1f %12.0f" % ((name,) + r))
    if len(results) == 2:
        p, f = results[0][1], results[1][1]
        print("%-8s %11.2fx %11.2fx %9.2fx %11.2fx" % ("ratio", p[0] / f[0], p[1] / f[1],
                                                     p[2] / f[2], p[3] / f[3] if f[3] else 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
