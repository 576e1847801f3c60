#!/usr/bin/env python3
"""test_tables_kv.py - lmdb:, socketmap: and memcache: tables (issue 19).

lmdb: files built by postkit's postmap are read by Postfix 3.7's postmap
(Debian's postfix-lmdb) and the other way round, with and without the
trailing NUL (-n), after -d and -i, and past the initial 16 MiB map; the
messages are the ones Postfix printed.  socketmap: a small server written
here (127.0.0.1 and a UNIX-domain socket in the temporary directory) gives
every kind of reply; postkit's postmap -q must print exactly what Postfix's
does, and reuse its connection.  memcache: a real memcached (Debian's,
127.0.0.1 and a free port) in front of a hash: backup table, and a fake
server on 127.0.0.1 that sends garbage, short or no replies.  In smtpd the
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
                # smtpd's map "access" answers addresses by local part; the rest is NOTFOUND
                if name == "access":
                    reply = replies.get(key.split("@")[0] if "@" in key else "", b"NOTFOUND ")
                else:
                    reply = replies.get(key, ("OK %s=%s" % (name, key)).encode())
                c.sendall(self.netstring(reply))
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


class Memcached:
    """Debian's memcached on 127.0.0.1 and a free port, stopped by stop()."""

    def __init__(self):
        self.port = pkit.free_port()
        argv = ["memcached", "-l", "127.0.0.1", "-p", str(self.port), "-U", "0"]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.time() + 10
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("memcached did not start")

    def ask(self, text):
        """Send raw protocol text, return everything memcached answered."""
        s = socket.create_connection(("127.0.0.1", self.port), 5)
        s.sendall(text.encode() + b"quit\r\n")
        out = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            out += d
        s.close()
        return out.decode("latin-1")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_memcached():
    if shutil.which("memcached") is None:
        print("SKIP memcache: memcached (Debian package memcached) is not installed")
        return None
    return Memcached()


def check_memcache_postfix_check(d, mcd):
    """postfix check: the client file's settings, with its file and line."""
    cfdir = os.path.join(d, "chk")
    os.mkdir(cfdir)
    good = os.path.join(d, "good.cf")
    with open(good, "w") as f:
        f.write("memcache = inet:127.0.0.1:%d\n# comment\nbogus = 1\n" % mcd.port)
    noserver = os.path.join(d, "noserver.cf")
    with open(noserver, "w") as f:
        f.write("ttl = 10\n")
    bad = os.path.join(d, "bad.cf")
    with open(bad, "w") as f:
        f.write("ttl = 10\nmemcache = bogus\n")
    with open(os.path.join(cfdir, "main.cf"), "w") as f:
        f.write("compatibility_level = 3.6\nvirtual_alias_maps = memcache:%s, memcache:%s,"
                " memcache:%s\n" % (good, noserver, bad))
    r = subprocess.run([os.path.join(pkit.TOP_BUILDDIR, "tools", "postfix", "postfix"), "-c",
                        cfdir, "check"], capture_output=True, text=True, timeout=60)
    out = r.stdout + r.stderr
    R.check("postfix check: a bad memcache server is an error", r.returncode, 1)
    for want in ("%s:3: warning: memcache:%s: unused parameter: bogus=1" % (good, good),
                 "%s:2: error: need service transport:endpoint instead of \"bogus\"" % bad,
                 "warning: parameter virtual_alias_maps: %s: no \"memcache\" server setting: Postfix uses "
                 "inet:localhost:11211" % noserver):
        R.true("postfix check: %s" % want, want in out, out)


def mc_file(d, name, text):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return "memcache:" + path


def check_memcache(d, mcd, oracle):
    backup = os.path.join(d, "backup")
    with open(backup, "w") as f:
        f.write("foo bar\nuser@example.com x\n")
    postmap(d, ["lmdb:" + backup])
    server = "memcache = inet:127.0.0.1:%d\n" % mcd.port
    mc = mc_file(d, "mc.cf", server + "backup = lmdb:%s\nkey_format = t:%%s\nflags = 7\n" % backup)
    rc, out, err = postmap(d, ["-q", "-", mc], b"FOO\nuser@example.com\nnothere\na b\n")
    R.check("memcache: answers of the backup table", (rc, out, err),
            (0, "FOO\tbar\nuser@example.com\tx\n", ""))
    R.check("memcache: the backup's answers are stored (key_format, flags)",
            mcd.ask("get t:foo\r\nget t:user@example.com\r\nget t:nothere\r\n"),
            "VALUE t:foo 7 3\r\nbar\r\nEND\r\nVALUE t:user@example.com 7 1\r\nx\r\nEND\r\n"
            "END\r\n")
    mcd.ask("set t:only 0 0 4\r\nmemv\r\n")
    R.check("memcache: a value only memcached has", postmap(d, ["-q", "only", mc])[1], "memv\n")
    R.check("memcache -s: the backup's entries", postmap(d, ["-s", mc])[1],
            "foo\tbar\nuser@example.com\tx\n")
    nob = mc_file(d, "nob.cf", server)
    R.check("memcache -s without backup: Postfix's warning", postmap(d, ["-s", nob]),
            (0, "", "postmap: warning: database %s: first/next support requires backup "
             "database\n" % nob))
    mcd.ask("set only 0 0 4\r\nmemv\r\n")
    R.check("memcache -d: from memcached", postmap(d, ["-d", "only", nob])[0], 0)
    R.check("memcache -d: gone", (postmap(d, ["-d", "only", nob])[0], mcd.ask("get only\r\n")),
            (1, "END\r\n"))
    dom = mc_file(d, "dom.cf", server + "domain = example.com\nkey_format = %u-%d\n")
    mcd.ask("set joe-example.com 0 0 3\r\nabc\r\nset joe-other.com 0 0 3\r\nabc\r\n")
    R.check("memcache: domain and key_format %u-%d", postmap(d, ["-q", "-", dom],
                                                          b"joe@example.com\njoe@other.com\n")[1],
            "joe@example.com\tabc\n")
    check_memcache_errors(d, mcd, server, backup, oracle)


def check_memcache_errors(d, mcd, server, backup, oracle):
    down = "memcache = inet:127.0.0.1:%d\n" % pkit.free_port()
    cases = {
        "down-backup.cf": down + "backup = lmdb:%s\n" % backup,
        "down.cf": down,
        "small.cf": server + "data_size_limit = 5\n",
        "line.cf": server + "line_size_limit = 10\nmax_try = 1\n",
        "line2.cf": server + "line_size_limit = 10\nretry_pause = 1\n",
        "maxtry.cf": server + "max_try = 0\n",
        "ttl.cf": server + "ttl = x\n",
        "bogus.cf": "memcache = bogus\n",
        "tcp.cf": "memcache = tcp:1.2.3.4:5\n",
    }
    mcd.ask("set big 0 0 20\r\n01234567890123456789\r\n")
    for name, text in sorted(cases.items()):
        spec = mc_file(d, name, text)
        got = postmap(d, ["-q", "foo" if "backup" in name else "big", spec])
        if oracle:
            mcd.ask("set big 0 0 20\r\n01234567890123456789\r\n")
            R.check("memcache %s: as Postfix" % name, got,
                    postmap(d, ["-q", "foo" if "backup" in name else "big", spec], None, ORACLE))
        R.true("memcache %s: a message" % name, got[2].startswith("postmap: "), str(got))
    port = down.split(":")[-1].strip()
    R.check("memcache: a down server without backup is a query error",
            postmap(d, ["-q", "k", "memcache:" + os.path.join(d, "down.cf")])[2],
            "postmap: warning: connect to 127.0.0.1:%s: Connection refused\n"
            "postmap: fatal: table memcache:%s: query error: Connection refused\n"
            % (port, os.path.join(d, "down.cf")))
    R.check("memcache: a down server with backup: the backup answers",
            postmap(d, ["-q", "foo", "memcache:" + os.path.join(d, "down-backup.cf")])[:2],
            (0, "bar\n"))


class FakeMemcache(SocketmapServer):
    """(SocketmapServer's accept loop) A memcache server on 127.0.0.1 that answers "get KEY" with BAD_REPLIES[KEY] (then hangs
    up or not), "END" otherwise; stores nothing ("NOT_STORED" for the key nostore, "STORED"
    otherwise), answers deletes with "END"; keeps each chunk it received."""

    BAD_REPLIES = {
        "garbage": (b"SERVER_ERROR this is a very long complaint from the server\r\n", False),
        "neglen": (b"VALUE neglen 0 -1\r\n", False),
        "short": (b"VALUE short 0 10\r\nabc", True),
        "badterm": (b"VALUE badterm 0 3\r\nabcde\r\nEND\r\n", False),
        "stall": (b"VALUE stall 0 5\r\nab", False),
        "silent": (b"", False),
        "longline": (b"x" * 3000, False),
        "hangup": (b"", True),
        "noend": (b"VALUE noend 0 3\r\nabc\r\nXYZ\r\n", False),
    }

    def __init__(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        self.port = sock.getsockname()[1]
        self.chunks = []
        super().__init__(sock)

    def serve(self, c):
        c.settimeout(10)
        buf = b""
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                self.chunks.append(data)
                buf += data
                while b"\r\n" in buf:
                    line, buf = buf.split(b"\r\n", 1)
                    w = line.split()
                    if w[0] == b"set":
                        while len(buf) < int(w[4]) + 2:
                            buf += c.recv(65536)
                        buf = buf[int(w[4]) + 2:]
                        c.sendall(b"NOT_STORED\r\n" if w[1] == b"nostore" else b"STORED\r\n")
                        continue
                    reply, hangup = self.BAD_REPLIES.get(w[1].decode(), (b"END\r\n", False))
                    c.sendall(reply)
                    if hangup:
                        c.close()
                        return
        except (OSError, IndexError, ValueError):
            pass
        c.close()


# What Postfix 3.7.11's postmap -q KEY printed (@F@ is the client file) with timeout = 1 and
# two tries: each failed try after the first is warned about; the reason is its errno.
INPROGRESS = "postmap: fatal: table memcache:@F@: query error: Operation now in progress\n"
BAD_SERVER_CASES = [
    ("garbage", 1, "postmap: warning: @F@: unexpected memcache server reply: "
     "SERVER_ERROR this is a very lo\n" + INPROGRESS),
    ("neglen", 1, "postmap: warning: @F@: unexpected memcache server reply: VALUE neglen 0 -1\n"
     + INPROGRESS),
    ("short", 1, "postmap: warning: @F@: EOF receiving memcache server reply\n" + INPROGRESS),
    ("badterm", 1, "postmap: warning: @F@: EOF receiving memcache server reply\n" + INPROGRESS),
    ("stall", 1, "postmap: warning: @F@: EOF receiving memcache server reply\n"
     "postmap: fatal: table memcache:@F@: query error: Connection timed out\n"),
    ("silent", 1, "postmap: warning: database memcache:@F@: I/O error: Connection timed out\n"
     "postmap: fatal: table memcache:@F@: query error: Connection timed out\n"),
    ("longline", 1, "postmap: warning: database memcache:@F@: I/O error: "
     "Operation now in progress\n" + INPROGRESS),
    ("hangup", 1, "postmap: warning: database memcache:@F@: I/O error: "
     "Operation now in progress\n" + INPROGRESS),
    ("noend", 0, ""),
]


def check_memcache_bad_server(d, oracle):
    """A server that answers garbage, too little, too much or nothing: Postfix's warnings and
    errors within the timeout, never a hang; a set goes out in one write."""
    fake = FakeMemcache()
    try:
        with open(os.path.join(d, "bk"), "w") as f:
            f.write("nostore v1\nbig 0123456789abc\nfine v2\n")
        server = "memcache = inet:127.0.0.1:%d\ntimeout = 1\n" % fake.port
        mc = mc_file(d, "fake.cf", server)
        cf = mc.split(":", 1)[1]
        for key, rc, err in BAD_SERVER_CASES:
            got = postmap(d, ["-q", key, mc])
            R.check("memcache bad server: %s as Postfix" % key, got,
                    (rc, "abc\n" if rc == 0 else "", err.replace("@F@", cf)))
            if oracle:
                R.check("memcache bad server: %s: the oracle agrees" % key, got,
                        postmap(d, ["-q", key, mc], None, ORACLE))
        one = mc_file(d, "fake1.cf", "memcache = inet:127.0.0.1:%d\ntimeout = 1\nmax_try = 1\n"
                      % fake.port)
        R.check("memcache bad server: one try, no warning", postmap(d, ["-q", "garbage", one]),
                (1, "", INPROGRESS.replace("@F@", one.split(":", 1)[1])))
        bk = mc_file(d, "fakebk.cf", server + "data_size_limit = 8\nbackup = texthash:%s\n"
                     % os.path.join(d, "bk"))
        del fake.chunks[:]
        R.check("memcache bad server: set failures as Postfix",
                postmap(d, ["-q", "-", bk], b"nostore\nbig\nfine\n"),
                (0, "nostore\tv1\nbig\t0123456789abc\nfine\tv2\n",
                 "postmap: warning: database %s: update failed: NOT_STORED\n"
                 "postmap: warning: database %s: data for key big is too long "
                 "(data_size_limit=8) -- not stored\n" % (bk, bk)))
        R.true("memcache: a set and its data go out in one write",
               b"set fine 0 3600 2\r\nv2\r\n" in fake.chunks, str(fake.chunks))
        R.check("memcache bad server: delete failed as Postfix", postmap(d, ["-d", "k", mc]),
                (1, "", "postmap: warning: database %s: delete failed: END\n"
                 "postmap: fatal: table %s: delete error: Operation now in progress\n" % (mc, mc)))
    finally:
        fake.stop()


def check_postconf_m(d):
    r = subprocess.run([POSTCONF, "-c", d, "-m"], capture_output=True, text=True)
    for kind in ("lmdb", "memcache", "socketmap"):
        R.true("postconf -m lists %s" % kind, kind in r.stdout.split(), r.stdout)


def check_smtpd(d, mcd):
    """smtpd decides with lmdb:, socketmap: and memcache: access tables; a stale .lmdb is seen."""
    port = pkit.free_port()
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", port))
    tcp.listen(16)
    server = SocketmapServer(tcp)
    inst = pkit.Instance(main_extra=(
        "smtpd_recipient_restrictions = check_recipient_access lmdb:$config_directory/access,"
        " check_recipient_access socketmap:inet:127.0.0.1:%d:access,%s permit_mynetworks,"
        " reject_unauth_destination\n"
        % (port, " check_recipient_access memcache:$config_directory/mc.cf," if mcd else "")))
    try:
        inst.write("access", "bad@example.com REJECT no such user\n")
        rc, out, err = postmap(inst.path(), ["lmdb:" + inst.path("access")])
        R.check("smtpd: postmap lmdb:", (rc, err), (0, ""))
        if mcd:
            inst.write("mcbackup", "memc@example.com REJECT from the memcache backup\n")
            postmap(inst.path(), ["lmdb:" + inst.path("mcbackup")])
            inst.write("mc.cf", "memcache = inet:127.0.0.1:%d\nbackup = lmdb:%s\n"
                       "key_format = smtpd:%%s\n" % (mcd.port, inst.path("mcbackup")))
        r = inst.postfix("check")
        R.true("postfix check accepts lmdb:, socketmap: and memcache: tables",
               r.returncode == 0 and "lmdb" not in r.stderr and "socketmap" not in r.stderr
               and "memcache" not in r.stderr, r.stderr)
        inst.start()
        s = inst.session()
        s.cmd("EHLO client.example")
        s.cmd("MAIL FROM:<a@example.com>")
        text = s.cmd("RCPT TO:<bad@example.com>")
        R.true("smtpd: lmdb: REJECT", text.startswith("554 ") and "no such user" in text, text)
        text = s.cmd("RCPT TO:<temp@example.com>")
        R.true("smtpd: a socketmap: TEMP reply defers (4xx)", text.startswith("451 "), text)
        if mcd:
            text = s.cmd("RCPT TO:<memc@example.com>")
            R.true("smtpd: memcache: REJECT from the backup",
                   text.startswith("554 ") and "memcache backup" in text,
                   text)
            R.check("smtpd: the answer is now in memcached", mcd.ask("get smtpd:memc@example.com\r\n"),
                    "VALUE smtpd:memc@example.com 0 31\r\nREJECT from the memcache backup\r\n"
                    "END\r\n")
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
    mcd = None
    os.chmod(d, 0o755)
    try:
        open(os.path.join(d, "main.cf"), "w").close()
        check_lmdb_files(d, oracle_has(d, "lmdb"))
        check_lmdb_errors(d)
        check_lmdb_big(d, oracle_has(d, "lmdb"))
        check_socketmap(d, oracle_has(d, "socketmap"))
        mcd = start_memcached()
        if mcd:
            check_memcache(d, mcd, oracle_has(d, "memcache"))
            check_memcache_postfix_check(d, mcd)
        check_memcache_bad_server(d, oracle_has(d, "memcache"))
        check_postconf_m(d)
        check_smtpd(d, mcd)
    finally:
        if mcd:
            mcd.stop()
        shutil.rmtree(d, ignore_errors=True)
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
