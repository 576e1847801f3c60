#!/usr/bin/env python3
"""test_proxymap.py - the proxymap service: proxy:pgsql: tables shared by the daemons.

A PostgreSQL server (tables_servers.py) holds the virtual-domain data set; a
postkit instance with proxymap and proxywrite in master.cf has
virtual_mailbox_maps = proxy:pgsql:... .  Checked: smtpd accepts and rejects
recipients by the table through proxymap; while several smtpd sessions are
open the database sees one connection (proxymap's), not one per smtpd;
postmap -q proxy:... answers through the running proxymap and, with the mail
system stopped, fails with Postfix's connect message; a table that
proxy_read_maps does not list is refused with Postfix's words (proxymap's
warnings, smtpd's fatal); proxymap killed: master starts a new one and mail
goes on; the database down: 451 4.3.0, nothing bounced.  Skips (77) when
PostgreSQL cannot start here.
"""
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402
import tables_servers as ts  # noqa: E402

R = pkit.Results("proxymap")
POSTMAP = os.path.join(pkit.TOP_BUILDDIR, "tools", "postmap", "postmap")
QUERY = "SELECT goto FROM virtual WHERE address='%s'"
MASTER_EXTRA = ("proxymap  unix  -       -       n       -       -       proxymap\n"
                "proxywrite unix -       -       n       -       1       proxymap\n")


def postmap(d, args):
    r = subprocess.run([POSTMAP, "-c", d] + args, capture_output=True, timeout=60)
    return r.returncode, r.stdout.decode("latin-1"), r.stderr.decode("latin-1")


def psql_count(pg, d):
    """Connections to database "mail", other than this query's own."""
    psql = shutil.which("psql")
    r = subprocess.run([psql, "-h", pg.socket, "-p", str(pg.port), "-U", "postfix", "-d",
                        "postgres", "-At", "-c",
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'mail'"],
                       capture_output=True, text=True, timeout=30)
    return int(r.stdout.strip()) if r.returncode == 0 else -1


def children(pid, name):
    """The pids of pid's children called name (the instance's own daemons)."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                st = f.read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        if ppid == pid and comm == name:
            out.append(int(p))
    return out


def instance(pg, master_extra, main_extra=""):
    """An instance whose virtual mailboxes are in proxy:pgsql:$config_directory/vmb.cf."""
    inst = pkit.Instance(master_extra=master_extra, main_extra=(
        "virtual_mailbox_domains = example.com\n"
        "virtual_mailbox_maps = proxy:pgsql:$config_directory/vmb.cf\n" + main_extra))
    # example.com is a virtual mailbox domain here, not $mydomain of mydestination
    inst.write("main.cf", re.sub(r"(?m)^mydestination = .*$", "mydestination = localhost",
                                 inst.read("main.cf")))
    inst.write("vmb.cf", "hosts = inet:127.0.0.1:%d\nuser = postfix\ndbname = mail\n"
               "query = %s\n" % (pg.port, QUERY))
    return inst


def open_rcpt(port, addr, helo="client.example"):
    """A session left open after RCPT TO:<addr>, and the reply."""
    s = pkit.Session(port, timeout=30)
    s.cmd("EHLO " + helo)
    s.cmd("MAIL FROM:<a@client.example>")
    return s, s.cmd("RCPT TO:<%s>" % addr)


def rcpt(inst, addr, port=None):
    s, text = open_rcpt(port or inst.port, addr)
    s.close()
    return text


def check_lookups(inst, pg, cf):
    text = rcpt(inst, "joe@example.com")
    R.true("smtpd: an address the table has is accepted", text.startswith("250 "), text)
    text = rcpt(inst, "nobody@example.com")
    R.true("smtpd: an address the table lacks is rejected",
           text.startswith("550 5.1.1 ") and "User unknown in virtual mailbox table" in text,
           text)
    # several smtpd processes at once: the database sees proxymap's one connection
    sessions = []
    for i in range(4):
        s, text = open_rcpt(inst.port, "sales@example.com", "client%d.example" % i)
        R.true("session %d: accepted through proxymap" % i, text.startswith("250 "), text)
        sessions.append(s)
    R.true("four smtpd processes are running",
           len(children(inst.master_pid(), "smtpd")) >= 4,
           str(children(inst.master_pid(), "smtpd")))
    R.check("the database sees one connection (proxymap's)", psql_count(pg, inst.dir), 1)
    R.check("one proxymap process", len(children(inst.master_pid(), "proxymap")), 1)
    for s in sessions:
        s.close()
    rc, out, err = postmap(inst.dir, ["-q", "joe@example.com", "proxy:pgsql:" + cf])
    R.check("postmap -q proxy:pgsql: through the running proxymap", (rc, out, err),
            (0, "joe@real.example\n", ""))
    # postmap asks for smtputf8 checks (a table instance of its own in proxymap, as in
    # Postfix); a second postmap reuses it
    n = psql_count(pg, inst.dir)
    rc, out, err = postmap(inst.dir, ["-q", "sales@example.com", "proxy:pgsql:" + cf])
    R.check("a second postmap -q: answered", (rc, out), (0, "ann@real.example\n"))
    R.check("a second postmap -q: no new database connection", psql_count(pg, inst.dir), n)


def check_restart(inst):
    pids = children(inst.master_pid(), "proxymap")
    for p in pids:
        os.kill(p, signal.SIGKILL)
    text = rcpt(inst, "joe@example.com")
    R.true("proxymap killed: master starts another, mail goes on", text.startswith("250 "),
           text)
    new = children(inst.master_pid(), "proxymap")
    R.true("a new proxymap process", new and not set(new) & set(pids), "%s %s" % (pids, new))


def check_unapproved(inst, cf, port2):
    """proxy_read_maps without the table: postfix check refuses it, so it reaches proxymap only
    when main.cf changes under running daemons: a new proxymap refuses it, and an smtpd started
    afterwards (the second listener's first) gives up."""
    main = inst.read("main.cf")
    inst.write("main.cf", main + "proxy_read_maps = proxy:hash:/nonexistent\n")
    for p in children(inst.master_pid(), "proxymap"):
        os.kill(p, signal.SIGTERM)
    try:
        text = rcpt(inst, "joe@example.com", port2)
    except (OSError, EOFError) as e:
        text = str(e)
    R.true("unapproved: no 250", not text.startswith("250"), text)
    table = "pgsql:" + cf
    R.true("unapproved: proxymap's warning",
           inst.wait_log(r"postfix/proxymap\[\d+\]: warning: request for unapproved table: "
                         + re.escape('"%s"' % table)), inst.log())
    R.true("unapproved: proxymap's hint",
           inst.wait_log(r"postfix/proxymap\[\d+\]: warning: to approve this table for "
                         r"read-only access, list " + re.escape("proxy:" + table)
                         + r" in main.cf:proxy_read_maps"), inst.log())
    R.true("unapproved: smtpd's fatal",
           inst.wait_log(r"postfix/smtpd\[\d+\]: fatal: proxymap service is not configured "
                         r"for table " + re.escape('"%s"' % table)), inst.log())
    inst.write("main.cf", main)


def check_write(inst):
    """postmap -d through proxywrite, for a table that proxy_write_maps lists."""
    wdir = inst.path("w")
    rc, out, err = postmap(inst.dir, ["-d", "a@example.com", "proxy:hash:%s/t" % wdir])
    R.check("postmap -d proxy:hash: through proxywrite: removed", (rc, err), (0, ""))
    rc, out, err = postmap(inst.dir, ["-q", "a@example.com", "hash:%s/t" % wdir])
    R.check("the key is gone from the table", (rc, out), (1, ""))
    rc, out, err = postmap(inst.dir, ["-q", "b@example.com", "hash:%s/t" % wdir])
    R.check("the other key is still there", (rc, out), (0, "2\n"))
    R.check("proxywrite served it: a second proxymap process",
            len(children(inst.master_pid(), "proxymap")), 2)


def check_down(inst, pg):
    pg.stop()
    text = rcpt(inst, "joe@example.com")
    R.true("database down: 451 4.3.0 (try again later)", text.startswith("451 4.3.0 "), text)
    R.true("database down: proxymap logs the table's warning",
           inst.wait_log(r"postfix/proxymap\[\d+\]: warning: "), inst.log())
    R.check("database down: nothing bounced or queued", inst.queue_files("deferred")
            + inst.queue_files("active") + inst.queue_files("incoming"), [])


def check_max_use(pg):
    """proxymap -o max_use=2: the third client is served by a fresh proxymap while the first
    one still has its two."""
    inst = instance(pg, MASTER_EXTRA.replace("-       proxymap\n",
                                             "-       proxymap -o max_use=2\n", 1))
    try:
        inst.start()
        sessions = []
        for i in range(3):
            s, text = open_rcpt(inst.port, "joe@example.com", "client%d.example" % i)
            R.true("max_use=2: client %d served" % i, text.startswith("250 "), text)
            sessions.append(s)
        R.check("max_use=2: a second proxymap for the third client",
                len(children(inst.master_pid(), "proxymap")), 2)
        for s in sessions:
            s.close()
    except Exception:
        print(inst.log())
        raise
    finally:
        inst.cleanup()


def main():
    pkit.require_binaries()
    d = tempfile.mkdtemp(prefix="postkit-proxymap-")
    os.chmod(d, 0o755)
    pg = ts.start_pgsql(os.path.join(d, "pgsql"))
    if pg is None:
        print("SKIP: %s" % ts.why)
        shutil.rmtree(d, ignore_errors=True)
        return 77
    port2 = pkit.free_port()
    inst = instance(pg, MASTER_EXTRA + (
        "127.0.0.1:%d inet n   -       n       -       -       smtpd\n" % port2),
        "proxy_write_maps = proxy:hash:$config_directory/w/t\n")
    cf = inst.path("vmb.cf")
    try:
        # proxywrite runs as mail_owner: the table's directory is its own
        os.mkdir(inst.path("w"))
        inst.write("w/t", "a@example.com 1\nb@example.com 2\n")
        postmap(inst.dir, ["hash:" + inst.path("w", "t")])
        if pkit.IS_ROOT:
            pw = pwd.getpwnam(pkit.mail_owner())
            for f in ("w", "w/t", "w/t.db"):
                os.chown(inst.path(f), pw.pw_uid, pw.pw_gid)
        inst.start()
        check_max_use(pg)
        check_lookups(inst, pg, cf)
        check_restart(inst)
        check_write(inst)
        check_down(inst, pg)
        check_unapproved(inst, cf, port2)
        inst.stop()
        rc, out, err = postmap(inst.dir, ["-q", "joe@example.com", "proxy:pgsql:" + cf])
        R.true("postmap -q proxy: with the mail system stopped: Postfix's message",
               rc == 1 and re.fullmatch(r"postmap: fatal: connect #1 to subsystem %s: "
                                        r"(No such file or directory|Connection refused)\n"
                                        % re.escape(inst.path("queue", "private", "proxymap")),
                                        err), (rc, err))
    except Exception:
        print(inst.log())
        raise
    finally:
        inst.cleanup()
        ts.stop_all()
        shutil.rmtree(d, ignore_errors=True)
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
