#!/usr/bin/env python3
"""test_tables_kv.py - lmdb:, socketmap: and memcache: tables (issue 19).

lmdb: files built by postkit's postmap are read by Postfix 3.7's postmap
(Debian's postfix-lmdb) and the other way round, with and without the
trailing NUL (-n), after -d and -i, and past the initial 16 MiB map; the
messages are the ones Postfix printed.  socketmap: a small server written
here (127.0.0.1 and a UNIX-domain socket in the temporary directory) gives
every kind of reply; postkit's postmap -q must print exactly what Postfix's
does, and reuse its connection.  memcache: a real memcached (Debian's,
127.0.0.1 and a free port) in front of a hash: backup table.  In smtpd the
three kinds of table decide as a hash: table would.  Cases that need the
Postfix oracle are skipped (and say so) where it is not installed.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("tables_kv")
POSTMAP = os.path.join(pkit.TOP_BUILDDIR, "tools", "postmap", "postmap")
POSTCONF = os.path.join(pkit.TOP_BUILDDIR, "tools", "postconf", "postconf")
ORACLE = "/usr/sbin/postmap"


def postmap(d, args, stdin=None, prog=POSTMAP):
    r = subprocess.run([prog, "-c", d] + args, input=stdin, capture_output=True, timeout=120)
    return r.returncode, r.stdout.decode("latin-1"), r.stderr.decode("latin-1")


def oracle_has(d, kind):
    """Postfix's postmap is installed with the plug-in for kind."""
    if not os.access(ORACLE, os.X_OK):
        return False
    r = subprocess.run(["/usr/sbin/postconf", "-c", d, "-m"], capture_output=True, text=True)
    return kind in r.stdout.split()


SOURCE = ("foo bar\nBaz qux\nuser@example.com x, y\n@example.org catchall\n"
          "a first\na second\nlong-value " + "v" * 3000 + "\n")
KEYS = "foo\nbaz\nBaz\nuser@example.com\n@example.org\na\nlong-value\nnothere\n"


def check_lmdb_files(d, oracle):
    """Files either side built are read the same by both."""
    src = os.path.join(d, "t")
    with open(src, "w") as f:
        f.write(SOURCE)
    rc, out, err = postmap(d, ["lmdb:" + src])
    R.check("lmdb build: status", rc, 0)
    R.check("lmdb build: Postfix's duplicate warning",
            err, 'postmap: warning: lmdb:%s: duplicate entry: "a"\n' % src)
    R.true("lmdb build: the file is NAME.lmdb, no temporary or lock file left",
           sorted(os.listdir(d)) == ["main.cf", "t", "t.lmdb"], str(os.listdir(d)))
    mine = postmap(d, ["-q", "-", "lmdb:" + src], KEYS.encode())
    R.check("lmdb -q -: answers", mine[1],
            "foo\tbar\nbaz\tqux\nBaz\tqux\nuser@example.com\tx, y\n@example.org\tcatchall\n"
            "a\tfirst\nlong-value\t" + "v" * 3000 + "\n")
    myseq = postmap(d, ["-s", "lmdb:" + src])
    R.check("lmdb -s: every entry in key order", myseq[1].splitlines()[:3],
            ["@example.org\tcatchall", "a\tfirst", "baz\tqux"])
    if not oracle:
        print("SKIP lmdb against Postfix: /usr/sbin/postmap with postfix-lmdb not installed")
        return
    R.check("lmdb: Postfix reads postkit's file (-q -)",
            postmap(d, ["-q", "-", "lmdb:" + src], KEYS.encode(), ORACLE), mine)
    R.check("lmdb: Postfix reads postkit's file (-s)",
            postmap(d, ["-s", "lmdb:" + src], None, ORACLE), myseq)
    pf = os.path.join(d, "pf")
    shutil.copy(src, pf)
    postmap(d, ["lmdb:" + pf], None, ORACLE)
    R.check("lmdb: postkit reads Postfix's file (-q -)",
            postmap(d, ["-q", "-", "lmdb:" + pf], KEYS.encode()),
            postmap(d, ["-q", "-", "lmdb:" + pf], KEYS.encode(), ORACLE))
    R.check("lmdb: postkit reads Postfix's file (-s)", postmap(d, ["-s", "lmdb:" + pf]),
            postmap(d, ["-s", "lmdb:" + pf], None, ORACLE))
    # -n: keys and values without the trailing NUL, either side
    for who, prog, other in (("postkit", POSTMAP, ORACLE), ("Postfix", ORACLE, POSTMAP)):
        postmap(d, ["-n", "lmdb:" + pf], None, prog)
        R.check("lmdb -n: %s's file read by the other" % who,
                postmap(d, ["-q", "-", "lmdb:" + pf], KEYS.encode(), other),
                postmap(d, ["-q", "-", "lmdb:" + pf], KEYS.encode(), prog))
    # -d and -i change the file in a way Postfix sees
    rc, out, err = postmap(d, ["-d", "foo", "lmdb:" + src])
    R.check("lmdb -d: status", (rc, err), (0, ""))
    R.check("lmdb -d: a missing key is status 1", postmap(d, ["-d", "foo", "lmdb:" + src])[0], 1)
    R.check("lmdb -i: an existing key is kept, with Postfix's warning",
            postmap(d, ["-i", "lmdb:" + src], b"new value\nbaz replaced\n")[2],
            'postmap: warning: lmdb:%s: duplicate entry: "baz"\n' % src)
    R.check("lmdb -d/-i: what Postfix reads after", postmap(d, ["-s", "lmdb:" + src], None, ORACLE)[1],
            postmap(d, ["-s", "lmdb:" + src])[1])
    R.check("lmdb -d/-i: the entries", postmap(d, ["-q", "-", "lmdb:" + src], b"foo\nnew\nbaz\n",
                                               ORACLE)[1], "new\tvalue\nbaz\tqux\n")
    postmap(d, ["-d", "new", "lmdb:" + pf], None, ORACLE)
    postmap(d, ["-i", "lmdb:" + pf], b"new value\n", ORACLE)
    R.check("lmdb: postkit's -d on a file Postfix changed", postmap(d, ["-d", "new", "lmdb:" + pf])[0], 0)


def check_lmdb_errors(d):
    """Postfix's messages for a missing and a foreign .lmdb file."""
    missing = os.path.join(d, "nosuch")
    R.check("lmdb: missing file", postmap(d, ["-q", "k", "lmdb:" + missing]),
            (1, "", "postmap: fatal: open database %s.lmdb: No such file or directory\n" % missing))
    bad = os.path.join(d, "bad")
    with open(bad + ".lmdb", "w") as f:
        f.write("junk\n")
    R.check("lmdb: not an LMDB file", postmap(d, ["-q", "k", "lmdb:" + bad]),
            (1, "", "postmap: fatal: open database %s.lmdb: MDB_INVALID: File is not an LMDB "
             "file\n" % bad))
    R.check("lmdb: a foreign file is not copied by -i", postmap(d, ["-i", "lmdb:" + bad], b"k v\n")[0], 1)
    with open(bad + ".lmdb") as f:
        R.check("lmdb: the foreign file is left alone", f.read(), "junk\n")
    os.unlink(bad + ".lmdb")


def check_lmdb_big(d, oracle):
    """A table larger than the initial 16 MiB map: the map grows."""
    big = os.path.join(d, "big")
    n = 120000
    with open(big, "w") as f:
        for i in range(n):
            f.write("key%06d %s\n" % (i, "x" * 200 + str(i)))
    rc, out, err = postmap(d, ["lmdb:" + big])
    R.check("lmdb big: status", (rc, err), (0, ""))
    R.true("lmdb big: larger than 16 MiB", os.path.getsize(big + ".lmdb") > 16 * 1024 * 1024,
           str(os.path.getsize(big + ".lmdb")))
    keys = b"key000000\nkey059999\nkey119999\nkey120000\n"
    want = "".join("%s\t%s\n" % (k, "x" * 200 + str(int(k[3:])))
                   for k in ("key000000", "key059999", "key119999"))
    R.check("lmdb big: postkit reads it", postmap(d, ["-q", "-", "lmdb:" + big], keys)[1], want)
    if oracle:
        R.check("lmdb big: Postfix reads it", postmap(d, ["-q", "-", "lmdb:" + big], keys, ORACLE)[1],
                want)
    R.check("lmdb big: -s sees every entry", len(postmap(d, ["-s", "lmdb:" + big])[1].splitlines()),
            n)
    os.unlink(big)
    os.unlink(big + ".lmdb")


class SocketmapServer:
    """A socketmap server on a listening socket; counts connections."""

    def __init__(self, sock):
        self.sock = sock
        self.connections = 0
        self.requests = []
        self.stopped = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        self.sock.settimeout(0.2)
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    @staticmethod
    def netstring(b):
        return str(len(b)).encode() + b":" + b + b","

    def read(self, f):
        n = b""
        while True:
            c = f.read(1)
            if not c:
                return None
            if c == b":":
                break
            n += c
        data = f.read(int(n))
        f.read(1)
        return data

    def serve(self, c):
        c.settimeout(10)
        f = c.makefile("rb")
        replies = {"missing": b"NOTFOUND ", "temp": b"TEMP try later",
                   "timeout": b"TIMEOUT too slow", "perm": b"PERM no way", "bad": b"WHAT x",
                   "empty": b"OK ", "okonly": b"OK"}
        try:
            while True:
                r = self.read(f)
                if r is None:
                    break
                self.requests.append(r)
                name, key = r.decode().split(" ", 1)
                if key == "close":
                    break
                if key == "badns":
                    c.sendall(b"xx")
                    break
                if key == "huge":
                    c.sendall(self.netstring(b"OK " + b"y" * 100001))
                    continue
                c.sendall(self.netstring(replies.get(key, ("OK %s=%s" % (name, key)).encode())))
        except OSError:
            pass
        c.close()

    def stop(self):
        self.stopped = True
        self.thread.join(5)
        self.sock.close()


SM_KEYS = ["foo", "missing", "temp", "timeout", "perm", "bad", "close", "badns", "empty",
           "okonly", "huge"]


def check_socketmap(d, oracle):
    port = pkit.free_port()
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", port))
    tcp.listen(16)
    path = os.path.join(d, "sm.sock")
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(path)
    unix.listen(16)
    servers = [SocketmapServer(tcp), SocketmapServer(unix)]
    try:
        specs = ["socketmap:inet:127.0.0.1:%d:mymap" % port, "socketmap:unix:%s:um" % path]
        for spec in specs:
            rc, out, err = postmap(d, ["-q", "foo", spec])
            R.check("socketmap %s: OK" % spec, (rc, out, err), (0, spec.split(":")[-1] + "=foo\n", ""))
            R.check("socketmap %s: NOTFOUND" % spec, postmap(d, ["-q", "missing", spec]), (1, "", ""))
            R.check("socketmap %s: TEMP" % spec, postmap(d, ["-q", "temp", spec])[2],
                    "postmap: warning: %s socketmap server temporary error: try later\n"
                    "postmap: fatal: table %s: query error: %s\n"
                    % (spec, spec, "Application error" if "unix" in spec else
                       "Operation now in progress"))
            R.check("socketmap %s: PERM" % spec, postmap(d, ["-q", "perm", spec])[2],
                    "postmap: warning: %s socketmap server permanent error: no way\n"
                    "postmap: fatal: table %s: query error\n" % (spec, spec))
            if oracle:
                for k in SM_KEYS:
                    R.check("socketmap %s: key %s as Postfix" % (spec, k), postmap(d, ["-q", k, spec]),
                            postmap(d, ["-q", k, spec], None, ORACLE))
        before = servers[0].connections
        n = len(servers[0].requests)
        rc, out, err = postmap(d, ["-q", "-", specs[0]], b"a\nb\nmissing\nc\n")
        R.check("socketmap -q -: answers", out, "a\tmymap=a\nb\tmymap=b\nc\tmymap=c\n")
        R.check("socketmap: one connection for four lookups", servers[0].connections - before, 1)
        R.check("socketmap: the requests", servers[0].requests[n:],
                [b"mymap a", b"mymap b", b"mymap missing", b"mymap c"])
        R.check("socketmap: a hang-up is retried once, then Postfix's warning",
                postmap(d, ["-q", "close", specs[0]])[2].splitlines()[0],
                "postmap: warning: table %s lookup error: unexpected disconnect" % specs[0])
        down = "socketmap:inet:127.0.0.1:%d:x" % pkit.free_port()
        R.check("socketmap: no server", postmap(d, ["-q", "k", down])[2],
                "postmap: warning: connect to %s: Connection refused\n"
                "postmap: warning: table %s lookup error: Connection refused\n"
                "postmap: fatal: table %s: query error: Connection refused\n"
                % (down.split(":", 2)[2].rsplit(":", 1)[0], down, down))
        for name, msg in (("foo", "socketmap requires server:socketmap argument"),
                          ("tcp:1.2.3.4:5:x", "invalid transport name: tcp in service: tcp:1.2.3.4:5"),
                          ("unix::x", 'need service transport:endpoint instead of "unix:"')):
            R.check("socketmap:%s: Postfix's error" % name,
                    postmap(d, ["-q", "k", "socketmap:" + name]), (1, "", "postmap: fatal: %s\n" % msg))
        return port, path
    finally:
        for s in servers:
            s.stop()


def check_postconf_m(d):
    r = subprocess.run([POSTCONF, "-c", d, "-m"], capture_output=True, text=True)
    for kind in ("lmdb", "socketmap"):
        R.true("postconf -m lists %s" % kind, kind in r.stdout.split(), r.stdout)


def check_smtpd(d):
    """smtpd decides with an lmdb: and a socketmap: access table; postfix check sees staleness."""
    port = pkit.free_port()
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", port))
    tcp.listen(16)
    server = SocketmapServer(tcp)
    inst = pkit.Instance(main_extra=(
        "smtpd_recipient_restrictions = check_recipient_access lmdb:$config_directory/access,"
        " check_recipient_access socketmap:inet:127.0.0.1:%d:access, permit_mynetworks,"
        " reject_unauth_destination\n" % port))
    try:
        inst.write("access", "bad@example.com REJECT no such user\n")
        rc, out, err = postmap(inst.path(), ["lmdb:" + inst.path("access")])
        R.check("smtpd: postmap lmdb:", (rc, err), (0, ""))
        r = inst.postfix("check")
        R.true("postfix check accepts lmdb: and socketmap: tables",
               r.returncode == 0 and "lmdb" not in r.stderr and "socketmap" not in r.stderr,
               r.stderr)
        inst.start()
        s = inst.session()
        s.cmd("EHLO client.example")
        s.cmd("MAIL FROM:<a@example.com>")
        text = s.cmd("RCPT TO:<bad@example.com>")
        R.true("smtpd: lmdb: REJECT", text.startswith("554 ") and "no such user" in text, text)
        text = s.cmd("RCPT TO:<temp@example.com>")
        R.true("smtpd: a socketmap: TEMP reply defers (4xx)", text.startswith("4"), text)
        s.close()
        R.true("smtpd asked the socketmap server", b"access temp@example.com" in server.requests,
               str(server.requests))
        inst.stop()
        later = time.time() + 10
        os.utime(inst.path("access"), (later, later))
        r = inst.postfix("check")
        R.true("postfix check: a stale .lmdb is reported as for hash:",
               "database %s.lmdb is older than source file %s" % (inst.path("access"),
                                                                 inst.path("access"))
               in r.stdout + r.stderr, r.stdout + r.stderr)
    except Exception:
        print(inst.log())
        raise
    finally:
        inst.cleanup()
        server.stop()


def main():
    pkit.require_binaries()
    d = tempfile.mkdtemp(prefix="postkit-tables-kv-")
    os.chmod(d, 0o755)
    try:
        open(os.path.join(d, "main.cf"), "w").close()
        check_lmdb_files(d, oracle_has(d, "lmdb"))
        check_lmdb_errors(d)
        check_lmdb_big(d, oracle_has(d, "lmdb"))
        check_socketmap(d, oracle_has(d, "socketmap"))
        check_postconf_m(d)
        check_smtpd(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
