#!/usr/bin/env python3
"""test_tables_sql.py - sqlite:, pgsql: and mysql: tables against real servers.

The virtual-domain data set of tables_servers.py is loaded into SQLite, a
PostgreSQL and a MariaDB server started here (unix sockets and 127.0.0.1 in a
temporary directory, stopped after; a server that cannot start skips its
cases with the reason).  For each backend `postmap -q -` answers the same
keys as a hash: table built from the same data, and exactly what Postfix 3.7
answered with the same configuration (tests/integ/tables-expected/BACKEND,
written by `test_tables_sql.py --regen` on a machine with Postfix's table
plug-ins).  Then: fail-over to a second server, a down database is a query
error (postmap exits 1, smtpd answers 4xx so the client retries), and a
working table decides in smtpd as a hash: table would.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402
import tables_servers as ts  # noqa: E402

R = pkit.Results("tables_sql")
POSTMAP = os.path.join(pkit.TOP_BUILDDIR, "tools", "postmap", "postmap")
EXPECTED = os.path.join(pkit.TOP_SRCDIR, "tests", "integ", "tables-expected")
QUERY = "SELECT goto FROM virtual WHERE address='%s'"


def postmap(d, args, stdin=None, prog=POSTMAP, env=None):
    r = subprocess.run([prog, "-c", d] + args, input=stdin, capture_output=True, timeout=60,
                       env=env)
    return r.returncode, r.stdout.decode("latin-1"), r.stderr.decode("latin-1")


def keys_text():
    return "".join(k + "\n" for k in ts.KEYS).encode()


def hash_answers(d):
    """postkit's hash: table of the data set: the reference answers."""
    merged = {}
    for k, v in ts.DATA:
        merged[k] = merged[k] + "," + v if k in merged else v
    with open(os.path.join(d, "virtual"), "w") as f:
        for k, v in merged.items():
            f.write("%s %s\n" % (k, v))
    postmap(d, ["hash:" + os.path.join(d, "virtual")])
    return postmap(d, ["-q", "-", "hash:" + os.path.join(d, "virtual")], keys_text())[1]


def client_files(d, servers):
    """One client configuration file per backend that runs."""
    files = {}
    db = os.path.join(d, "virtual.sqlite")
    r = subprocess.run(["sqlite3", db], input=ts.sql_script(), capture_output=True, text=True)
    if r.returncode == 0:
        files["sqlite"] = "dbpath = %s\nquery = %s\n" % (db, QUERY)
    else:
        print("SKIP sqlite: sqlite3 (Debian package sqlite3) failed: %s" % r.stderr.strip())
    pg = servers.get("pgsql")
    if pg:
        files["pgsql"] = ("hosts = inet:127.0.0.1:%d\nuser = postfix\ndbname = mail\n"
                          "query = %s\n" % (pg.port, QUERY))
    my = servers.get("mysql")
    if my:
        files["mysql"] = ("hosts = unix:%s\nuser = postfix\npassword = secret\ndbname = mail\n"
                          "query = %s\n" % (my.socket, QUERY))
    for kind, text in files.items():
        with open(os.path.join(d, kind + ".cf"), "w") as f:
            f.write(text)
    return files


def start_servers(d):
    servers = {}
    for kind, start in (("pgsql", ts.start_pgsql), ("mysql", ts.start_mysql)):
        s = start(os.path.join(d, kind))
        if s is None:
            print("SKIP %s: %s" % (kind, ts.why))
        else:
            servers[kind] = s
    return servers


def check_answers(d, files, ref, regen):
    for kind in sorted(files):
        spec = "%s:%s" % (kind, os.path.join(d, kind + ".cf"))
        expfile = os.path.join(EXPECTED, kind)
        if regen:
            rc, out, err = postmap(d, ["-q", "-", spec], keys_text(), prog="/usr/sbin/postmap")
            with open(expfile, "w", encoding="latin-1") as f:
                f.write(out)
            print("wrote %s (status %d) %s" % (expfile, rc, err))
            continue
        rc, out, err = postmap(d, ["-q", "-", spec], keys_text())
        R.check("%s: postmap -q - status" % kind, rc, 0)
        R.check("%s: no warnings" % kind, err, "")
        with open(expfile, encoding="latin-1") as f:
            R.check("%s: the answers of Postfix 3.7" % kind, out, f.read())
        # PostgreSQL answers in LATIN1, as Postfix 3.7 asks it to
        want = ref if kind != "pgsql" else ref.replace("j\u00c3\u00bcrgen", "j\u00fcrgen")
        R.check("%s: the answers of hash:" % kind, out, want)


def check_failover(d, servers):
    pg = servers.get("pgsql")
    if not pg:
        return
    cf = os.path.join(d, "failover.cf")
    with open(cf, "w") as f:
        f.write("hosts = inet:127.0.0.1:%d inet:127.0.0.1:%d\nuser = postfix\ndbname = mail\n"
                "query = %s\n" % (ts.free_port(), pg.port, QUERY))
    rc, out, err = postmap(d, ["-q", "joe@example.com", "pgsql:" + cf])
    R.check("pgsql fail-over: answer from the second server", out, "joe@real.example\n")
    R.true("pgsql fail-over: the first server's failure is a warning",
           "postmap: warning: connect to pgsql server inet:127.0.0.1:" in err, err)


def check_down(d):
    """No server: a query error (exit 1), never "not found"."""
    for kind in ("pgsql", "mysql"):
        cf = os.path.join(d, "down-%s.cf" % kind)
        with open(cf, "w") as f:
            f.write("hosts = unix:%s/nothere\nuser = postfix\npassword = pw-never-shown\n"
                    "dbname = mail\nquery = %s\n" % (d, QUERY))
        rc, out, err = postmap(d, ["-q", "joe@example.com", "%s:%s" % (kind, cf)])
        R.check("%s down: exit status" % kind, rc, 1)
        R.true("%s down: connect warning" % kind,
               ("postmap: warning: connect to %s server unix:%s/nothere:" % (kind, d)) in err, err)
        R.true("%s down: query error" % kind,
               ("postmap: fatal: table %s:%s: query error" % (kind, cf)) in err, err)
        R.true("%s down: the password is never printed" % kind, "pw-never-shown" not in err, err)


def check_smtpd(d):
    """In smtpd: a sqlite: access table rejects, a down pgsql: table defers."""
    db = os.path.join(d, "access.sqlite")
    subprocess.run(["sqlite3", db], input="CREATE TABLE access (k TEXT, v TEXT);"
                   "INSERT INTO access VALUES ('bad@example.com', 'REJECT no such user');",
                   capture_output=True, text=True, check=True)
    os.chmod(d, 0o755)
    os.chmod(db, 0o644)
    inst = pkit.Instance(main_extra=(
        "smtpd_recipient_restrictions = check_recipient_access sqlite:$config_directory/a.cf,"
        " check_recipient_access pgsql:$config_directory/down.cf, permit_mynetworks,"
        " reject_unauth_destination\n"))
    try:
        inst.write("a.cf", "dbpath = %s\nquery = SELECT v FROM access WHERE k='%%s'\n" % db)
        inst.write("down.cf", "hosts = unix:%s/nothere\ndbname = mail\n"
                   "query = SELECT v FROM access WHERE k='%%s'\n" % d)
        inst.start()
        r = inst.postfix("check")
        R.true("postfix check accepts the sqlite: and pgsql: tables", r.returncode == 0,
               r.stdout + r.stderr)
        s = inst.session()
        s.cmd("EHLO client.example")
        s.cmd("MAIL FROM:<a@example.com>")
        text = s.cmd("RCPT TO:<bad@example.com>")
        R.true("smtpd: sqlite: REJECT", text.startswith("554 ") and "no such user" in text, text)
        text = s.cmd("RCPT TO:<other@example.com>")
        R.true("smtpd: a down pgsql: table defers (4xx)", text.startswith("4"), text)
        s.close()
    except Exception:
        print(inst.log())
        raise
    finally:
        inst.cleanup()


def main():
    regen = "--regen" in sys.argv
    if not regen:
        pkit.require_binaries()
    d = tempfile.mkdtemp(prefix="postkit-tables-")
    os.chmod(d, 0o755)
    try:
        open(os.path.join(d, "main.cf"), "w").close()
        servers = start_servers(d)
        files = client_files(d, servers)
        ref = hash_answers(d)
        check_answers(d, files, ref, regen)
        if not regen:
            check_failover(d, servers)
            check_down(d)
            check_smtpd(d)
    finally:
        ts.stop_all()
        shutil.rmtree(d, ignore_errors=True)
    return 0 if regen else R.finish()


if __name__ == "__main__":
    sys.exit(main())
