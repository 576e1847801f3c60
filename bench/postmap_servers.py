#!/usr/bin/env python3
"""postmap_servers.py - the per-backend rows of bench/postmap.sh: lmdb:, pgsql:, mysql:,
ldap: and memcache: lookups through `postmap -q -` (and memcache-set: memcache misses filled
from a texthash: backup, each answer stored with a set), postkit's and Postfix's, same table,
same keys, same run.

usage: postmap_servers.py POSTKIT_POSTMAP WORKDIR ENTRIES RUNS [TYPE,...]

Loads ENTRIES records ("keyNNNNNNN.example.com" -> "value-N smtp:[relayM.example.net]")
into each backend that can run here, then times ENTRIES lookups (about half of them
hits) with each postmap, best of RUNS (only the TYPEs listed, when given).  The servers are the throwaway ones of the
integration tests (tests/integ/tables_servers.py, and test_tables_kv.py's memcached), in
WORKDIR, stopped at exit.  Prints one line per program and backend:
  TYPE PROGRAM MILLISECONDS
and "skip TYPE REASON" for a backend that cannot run; warns on stderr when the two
programs' answers differ.
"""
import os
import random
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integ"))
import tables_servers as ts  # noqa: E402
import test_tables_kv as kv  # noqa: E402  (its Memcached)

ORACLE = "/usr/sbin/postmap"


def records(n):
    return [("key%07d.example.com" % i, "value-%d smtp:[relay%d.example.net]" % (i, i % 97))
            for i in range(n)]


def keys_text(n):
    rnd = random.Random(1)
    return "".join("key%07d.example.com\n" % rnd.randrange(2 * n) for _ in range(n)).encode()


def best(argv, stdin, runs, before=None):
    """The best wall-clock time in ms of runs runs, and the output of the last; before() is
    called ahead of each run."""
    b, out = None, b""
    for _ in range(runs):
        if before:
            before()
        t0 = time.monotonic()
        r = subprocess.run(argv, input=stdin, capture_output=True, timeout=600)
        t = int((time.monotonic() - t0) * 1000)
        if r.returncode != 0:
            sys.stderr.write("%s failed: %s\n" % (" ".join(argv), r.stderr.decode()[-300:]))
            return None, b""
        out = r.stdout
        b = t if b is None or t < b else b
    return b, out


def oracle_types(work):
    if not os.access(ORACLE, os.X_OK):
        return []
    r = subprocess.run(["/usr/sbin/postconf", "-c", work, "-m"], capture_output=True, text=True)
    return r.stdout.split()


def load_lmdb(postkit, work, recs):
    with open(os.path.join(work, "t.src"), "w") as f:
        f.writelines("%s %s\n" % kv_ for kv_ in recs)
    subprocess.run([postkit, "-c", work, "lmdb:" + os.path.join(work, "t.src")], check=True)
    return "lmdb:" + os.path.join(work, "t.src")


def sql_rows(recs):
    return "".join("('%s','%s')," % r for r in recs)[:-1]


def sql_table(kind, argv, create, recs, work, client_cf):
    """Load recs into table t with the server's client argv; the spec of kind's client file."""
    r = subprocess.run(argv, input="%s\nINSERT INTO t VALUES %s;\n" % (create, sql_rows(recs)),
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        ts.why = "loading %s failed: %s" % (kind, r.stderr[-200:])
        return None
    cf = os.path.join(work, kind + ".cf")
    with open(cf, "w") as f:
        f.write(client_cf + "dbname = mail\nquery = SELECT v FROM t WHERE k='%s'\n")
    return kind + ":" + cf


def load_pgsql(work, recs):
    pg = ts.start_pgsql(os.path.join(work, "pgsql"))
    if pg is None:
        return None
    return sql_table("pgsql", [shutil.which("psql"), "-h", pg.socket, "-p", str(pg.port), "-U",
                               "postfix", "-d", "mail", "-q", "-v", "ON_ERROR_STOP=1"],
                     "CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT);", recs, work,
                     "hosts = inet:127.0.0.1:%d\nuser = postfix\n" % pg.port)


def load_mysql(work, recs):
    my = ts.start_mysql(os.path.join(work, "mysql"))
    if my is None:
        return None
    client = shutil.which("mariadb") or shutil.which("mysql")
    return sql_table("mysql", [client, "--no-defaults", "-S", my.socket, "-u", "root", "mail"],
                     "CREATE TABLE t (k VARCHAR(64) PRIMARY KEY, v TEXT);", recs, work,
                     "hosts = unix:%s\nuser = postfix\npassword = secret\n" % my.socket)


def load_ldap(work, recs):
    ldif = "".join("\ndn: cn=b%d,ou=virtual,%s\nobjectClass: device\nobjectClass: postfixUser\n"
                   "cn: b%d\nmailacceptinggeneralid: %s\nmaildrop: %s\n"
                   % (i, ts.LDAP_BASE, i, k, v) for i, (k, v) in enumerate(recs))
    srv = ts.start_ldap(os.path.join(work, "ldap"), extra_ldif=ldif)
    if srv is None:
        return None
    cf = os.path.join(work, "ldap.cf")
    with open(cf, "w") as f:
        f.write("server_host = %s\nsearch_base = ou=virtual,%s\nversion = 3\n"
                "query_filter = mailacceptinggeneralid=%%s\nresult_attribute = maildrop\n"
                % (srv.info["url"], ts.LDAP_BASE))
    return "ldap:" + cf


def load_memcache(work, recs):
    if shutil.which("memcached") is None:
        ts.why = "memcached (Debian package memcached) not installed"
        return None
    m = kv.Memcached()
    ts._servers.append(m)  # stopped with the others at exit
    m.ask("".join("set %s 0 0 %d\r\n%s\r\n" % (k, len(v), v) for k, v in recs))
    cf = os.path.join(work, "memcache.cf")
    with open(cf, "w") as f:
        f.write("memcache = inet:127.0.0.1:%d\n" % m.port)
    return "memcache:" + cf


def load_memcache_set(work, recs):
    """memcache-set: an empty memcached in front of a texthash: backup, so that each hit is a
    get, a backup lookup and a set; each run uses fresh keys (key_format r<N>-%s)."""
    if shutil.which("memcached") is None:
        ts.why = "memcached (Debian package memcached) not installed"
        return None, None
    m = kv.Memcached()
    ts._servers.append(m)
    src = os.path.join(work, "mcset.txt")
    with open(src, "w") as f:
        f.write("".join("%s %s\n" % r for r in recs))
    cf = os.path.join(work, "mcset.cf")
    count = [0]

    def fresh_keys():
        count[0] += 1
        with open(cf, "w") as f:
            f.write("memcache = inet:127.0.0.1:%d\nbackup = texthash:%s\nkey_format = r%d-%%s\n"
                    % (m.port, src, count[0]))
    fresh_keys()
    return "memcache:" + cf, fresh_keys


def main():
    postkit, work, n, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    os.chmod(work, 0o755)  # the servers run as an unprivileged user when we are root
    recs = records(n)
    keys = keys_text(n)
    have = oracle_types(work)
    loaders = [("lmdb", lambda: load_lmdb(postkit, work, recs)),
               ("pgsql", lambda: load_pgsql(work, recs)),
               ("mysql", lambda: load_mysql(work, recs)),
               ("ldap", lambda: load_ldap(work, recs)),
               ("memcache", lambda: load_memcache(work, recs)),
               ("memcache-set", lambda: load_memcache_set(work, recs))]
    if len(sys.argv) > 5:
        loaders = [(k, f) for k, f in loaders if k in sys.argv[5].split(",")]
    try:
        for kind, load in loaders:
            ts.why = ""
            before = None
            try:
                spec = load()
                if isinstance(spec, tuple):
                    spec, before = spec
            except (OSError, subprocess.SubprocessError, RuntimeError) as e:
                spec, ts.why = None, str(e)
            if spec is None:
                print("skip %s %s" % (kind, ts.why.replace("\n", " ")[:120]))
                sys.stdout.flush()
                continue
            pk, pk_out = best([postkit, "-c", work, "-q", "-", spec], keys, runs, before)
            print("%s postkit %s" % (kind, pk if pk is not None else ""))
            if kind.split("-")[0] in have:
                pf, pf_out = best([ORACLE, "-c", work, "-q", "-", spec], keys, runs, before)
                print("%s Postfix %s" % (kind, pf if pf is not None else ""))
                if pk is not None and pf is not None and pk_out != pf_out:
                    sys.stderr.write("warning: %s: postkit and Postfix answers differ\n" % kind)
            sys.stdout.flush()
    finally:
        ts.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
