#!/usr/bin/env python3
"""test_pg_fleet.py - two postkit hosts serve one virtual-hosting database.

Issue #19's "done": a virtual-hosting main.cf whose domains, mailboxes and
aliases live in PostgreSQL runs unchanged on two postkit instances that share
the database, and a database outage defers mail without losing any.  A
PostgreSQL server (tables_servers.py) holds three tables; two instances with
the same main.cf lines (pgsql: tables, one shared virtual_mailbox_base)
accept mail for the database's users and aliases, refuse unknown ones, and
deliver into the same Maildirs.  With the database stopped smtpd answers
4xx and a message submitted with sendmail waits in the maildrop queue; once
the database is back it is delivered.  Skips (77) when PostgreSQL cannot
start here.
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402
import tables_servers as ts  # noqa: E402

R = pkit.Results("pg_fleet")
UID = 47201

SCHEMA = """
CREATE TABLE domains (domain VARCHAR(200));
CREATE TABLE mailboxes (address VARCHAR(200), maildir VARCHAR(200));
CREATE TABLE aliases (address VARCHAR(200), goto VARCHAR(200));
INSERT INTO domains VALUES ('fleet.example');
INSERT INTO mailboxes VALUES ('ann@fleet.example', 'fleet.example/ann/'),
                             ('bob@fleet.example', 'fleet.example/bob/');
INSERT INTO aliases VALUES ('info@fleet.example', 'ann@fleet.example, bob@fleet.example');
"""

# what a Postfix virtual-hosting howto puts in main.cf, the same on both hosts
MAIN = """virtual_mailbox_domains = pgsql:$config_directory/domains.cf
virtual_mailbox_maps = pgsql:$config_directory/mailboxes.cf
virtual_alias_maps = pgsql:$config_directory/aliases.cf
virtual_mailbox_base = %s
virtual_uid_maps = static:%d
virtual_gid_maps = static:%d
virtual_minimum_uid = 100
"""

QUERIES = {
    "domains.cf": "SELECT 'OK' FROM domains WHERE domain='%s'",
    "mailboxes.cf": "SELECT maildir FROM mailboxes WHERE address='%s'",
    "aliases.cf": "SELECT goto FROM aliases WHERE address='%s'",
}


def psql(pg, sql):
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))
    exe = shutil.which("psql") or (bins[-1] if bins else "psql")
    return subprocess.run([exe, "-h", pg.socket, "-p", str(pg.port), "-U", "postfix", "-d", "mail",
                           "-v", "ON_ERROR_STOP=1", "-q"], input=sql, capture_output=True, text=True,
                          timeout=60)


def pg_ctl(pg, *args):
    """pg_ctl on the test's own cluster, as the user that owns it."""
    bindir = os.path.dirname(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1])
    return subprocess.run(ts._as_user([os.path.join(bindir, "pg_ctl"), "-D", pg.socket] + list(args)),
                          capture_output=True, text=True, timeout=90)


def host(pg, vmail):
    inst = pkit.Instance(main_extra=MAIN % (vmail, UID, UID))
    for name, query in QUERIES.items():
        inst.write(name, "hosts = inet:127.0.0.1:%d\nuser = postfix\ndbname = mail\nquery = %s\n"
                   % (pg.port, query))
    return inst


def delivered(vmail, user, subject, count=1, timeout=30):
    """Wait until count messages with subject are in user's Maildir new/."""
    d = os.path.join(vmail, "fleet.example", user, "new")
    deadline = time.time() + timeout
    while time.time() < deadline:
        n = 0
        for f in os.listdir(d) if os.path.isdir(d) else []:
            with open(os.path.join(d, f), encoding="latin-1") as fh:
                n += ("Subject: %s\n" % subject) in fh.read()
        if n >= count:
            return True
        time.sleep(0.1)
    return False


def smtp(inst, rcpt, subject):
    s = inst.session()
    s.cmd("EHLO client.example")
    s.cmd("MAIL FROM:<sender@client.example>")
    r = s.cmd("RCPT TO:<%s>" % rcpt)
    if r.startswith("250"):
        r = s.data("Subject: %s\n\nbody\n" % subject)
    s.cmd("QUIT")
    s.close()
    return r


def main():
    pkit.require_binaries()
    if not pkit.IS_ROOT:
        print("needs root (virtual delivery with another uid): skipping")
        sys.exit(77)
    d = tempfile.mkdtemp(prefix="postkit-fleet-")
    pg = None
    hosts = []
    try:
        pg = ts.start_pgsql(d)
        if pg is None:
            print("skipping: %s" % ts.why)
            sys.exit(77)
        r = psql(pg, SCHEMA)
        R.check("schema loaded", (r.returncode, r.stderr), (0, ""))
        vmail = os.path.join(d, "vmail")
        os.makedirs(vmail)
        os.chown(vmail, UID, UID)
        hosts = [host(pg, vmail), host(pg, vmail)]
        for h in hosts:
            h.start()
        a, b = hosts
        R.check("host A: a mailbox", smtp(a, "ann@fleet.example", "via A")[:3], "250")
        R.check("host B: an alias", smtp(b, "info@fleet.example", "via B")[:3], "250")
        R.true("A's mail in ann's Maildir", delivered(vmail, "ann", "via A"))
        R.true("B's alias reached ann and bob",
               delivered(vmail, "ann", "via B") and delivered(vmail, "bob", "via B"))
        for h, name in ((a, "A"), (b, "B")):
            R.check("host %s: unknown user" % name, smtp(h, "nosuch@fleet.example", "x"),
                    "550 5.1.1 <nosuch@fleet.example>: Recipient address rejected: "
                    "User unknown in virtual mailbox table")

        # the database goes away: nothing is refused for good, nothing is lost
        r = pg_ctl(pg, "-m", "immediate", "-w", "stop")
        R.check("database stopped", r.returncode, 0)
        R.true("outage: smtpd answers 4xx", smtp(a, "bob@fleet.example", "during outage")[:1] == "4")
        r = b.sendmail(["-f", "sender@client.example", "bob@fleet.example"],
                       "Subject: queued in outage\n\nbody\n")
        R.check("outage: sendmail takes the message", r.returncode, 0)
        R.true("outage: nothing delivered", not delivered(vmail, "bob", "queued in outage", timeout=3))
        R.true("outage: nothing bounced", "status=bounced" not in b.log(), b.log())
        r = pg_ctl(pg, "-o", "-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off" % (pg.port, pg.socket),
                   "-l", os.path.join(d, "pg2.log"), "-w", "-t", "60", "start")
        R.check("database back", r.returncode, 0)
        # a process that saw the server fail leaves it alone for 60 seconds, as Postfix's
        # pgsql client does; new processes (a reload) use it at once
        for h in hosts:
            h.reload()
        b.postfix("flush")
        R.true("after the outage: the message is delivered",
               delivered(vmail, "bob", "queued in outage", timeout=60), b.log())
        R.check("after the outage: smtpd accepts again", smtp(a, "bob@fleet.example", "after outage")[:3],
                "250")
        R.true("after the outage: and delivers", delivered(vmail, "bob", "after outage"))
        R.true("no message was bounced", all("status=bounced" not in h.log() for h in hosts))
    finally:
        for h in hosts:
            h.cleanup()
        if pg is not None:
            pg.stop()
        ts.stop_all()
        shutil.rmtree(d, ignore_errors=True)
    R.finish()


if __name__ == "__main__":
    main()
