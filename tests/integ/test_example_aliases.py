#!/usr/bin/env python3
"""test_example_aliases.py - examples/aliases in aliases(5) form, built by newaliases.

A fresh copy of examples/ (main.cf: alias_maps and alias_database =
hash:$config_directory/aliases) passes postfix check with a note naming
newaliases; postfix test reads the aliases source while aliases.db is missing;
postfix start refuses to run without aliases.db; newaliases (sendmail under that
name) fails like Postfix's while the queue directory does not exist, then builds
aliases.db; mail to an alias of the file (a list continued on a second line) is
delivered once to its final target; postalias -q and -s answer as Postfix 3.7's
on the same file; postfix route reads an aliases file newer than aliases.db.  The postalias
and newaliases texts are what Postfix 3.7.11 printed; the notes and refusals of postfix
check, test, start and route about aliases.db are postkit's own (Postfix has none).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("example_aliases")
EXAMPLES = os.path.join(pkit.TOP_SRCDIR, "examples")
POSTALIAS = os.path.join(pkit.TOP_BUILDDIR, "tools", "postalias", "postalias")

# postalias -q KEY hash:aliases with Postfix 3.7.11 on examples/aliases (exit 0; 1 = not found)
ORACLE_Q = {"postmaster": "root", "abuse": "postmaster", "hostmaster": "postmaster, abuse",
            "HostMaster": "postmaster, abuse", "root": None}
# postalias -s: the entries (database order aside; YP_LAST_MODIFIED is the build time)
ORACLE_S = ["@:\t@", "YP_MASTER_NAME:\tmail.example.com", "abuse:\tpostmaster",
            "hostmaster:\tpostmaster, abuse", "postmaster:\troot"]


def fresh_copy():
    """examples/ as a new instance on a free port (its aliases too)."""
    master = open(os.path.join(EXAMPLES, "master.cf")).read().replace("127.0.0.1:2525 ", "{listen} ")
    inst = pkit.Instance(main_cf=open(os.path.join(EXAMPLES, "main.cf")).read(), master_cf=master)
    inst.write("aliases", open(os.path.join(EXAMPLES, "aliases")).read())
    inst.write("postfix-tests.yaml", open(os.path.join(EXAMPLES, "postfix-tests.yaml")).read())
    return inst


def line_of(inst, name):
    lines = open(inst.path("main.cf")).read().splitlines()
    return next(i + 1 for i, l in enumerate(lines) if l.startswith(name + " ="))


def run(args, env, **kw):
    return pkit.subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, **kw)


def before_newaliases(inst):
    d = inst.dir
    r = inst.postfix("check")
    R.check("fresh copy: check passes", r.returncode, 0)
    R.true("fresh copy: check notes the missing aliases.db",
           "%s/main.cf:%d: note: parameter alias_maps: database %s/aliases.db does not exist yet: "
           "\"MAIL_CONFIG=%s newaliases\" builds it from %s/aliases (before the queue directory exists: "
           "\"postalias -c %s hash:%s/aliases\"); postfix start refuses to run without it\n"
           % (d, line_of(inst, "alias_maps"), d, d, d, d, d) in r.stderr, r.stderr)
    R.true("fresh copy: said once, not again for local_recipient_maps",
           "local_recipient_maps" not in r.stderr and "error" not in r.stderr, r.stderr)
    r = inst.postfix("test", inst.path("postfix-tests.yaml"), timeout=120)
    R.check("fresh copy: postfix test passes", (r.returncode, "not ok" in r.stdout), (0, False))
    R.check("fresh copy: postfix test says it reads the source", r.stderr,
            "postfix: note: hash:%s/aliases: database %s/aliases.db does not exist yet: reading the "
            "source file %s/aliases, as \"newaliases\" will build it\n" % (d, d, d))
    r = inst.postfix("route", "hostmaster@mail.example.com")
    R.true("fresh copy: route shows the alias", "local alias hostmaster -> postmaster, abuse: "
           "alias_maps (%s/main.cf:%d)" % (d, line_of(inst, "alias_maps")) in r.stdout, r.stdout)
    R.check("postfix test leaves no aliases.db", os.path.exists(inst.path("aliases.db")), False)

    # newaliases is sendmail under that name: like Postfix's it needs the queue directory
    newaliases = inst.path("newaliases")
    os.symlink(pkit.SENDMAIL, newaliases)
    env = inst.env()
    env["MAIL_CONFIG"] = d
    r = run([newaliases], env)
    R.check("newaliases without a queue directory: as Postfix's",
            (r.returncode, r.stderr), (75, "newaliases: fatal: chdir %s/queue: No such file or "
                                            "directory\n" % d))
    r = inst.postfix("start")
    inst.started = inst.master_pid() > 0  # a start that should have failed is stopped at cleanup
    R.check("start without aliases.db: refused", r.returncode, 1)
    R.true("start without aliases.db: says to run newaliases",
           "%s/main.cf:%d: error: parameter alias_maps: open database %s/aliases.db: No such file "
           "or directory: \"MAIL_CONFIG=%s newaliases\" builds it from %s/aliases (without it local "
           "delivery defers every message: \"alias database unavailable\")\n"
           % (d, line_of(inst, "alias_maps"), d, d, d) in r.stderr, r.stderr)
    R.check("start without aliases.db: no master", inst.master_pid() > 0, False)
    # the queue directory exists now (start creates it before the check, as Postfix's does)
    r = run([newaliases], env)
    R.check("newaliases: exit and output as Postfix's", (r.returncode, r.stdout, r.stderr),
            (0, "", ""))
    R.check("newaliases: aliases.db built", os.path.exists(inst.path("aliases.db")), True)
    r = inst.postfix("check")
    R.check("after newaliases: check passes without the note",
            (r.returncode, "aliases.db" in r.stderr), (0, False))


def postalias_answers(inst):
    for key, want in ORACLE_Q.items():
        r = run([POSTALIAS, "-c", inst.dir, "-q", key, "hash:" + inst.path("aliases")], inst.env())
        R.check("postalias -q %s" % key, (r.returncode, r.stdout, r.stderr),
                (0, want + "\n", "") if want else (1, "", ""))
    r = run([POSTALIAS, "-c", inst.dir, "-s", "hash:" + inst.path("aliases")], inst.env())
    got = sorted(l for l in r.stdout.splitlines() if not l.startswith("YP_LAST_MODIFIED:\t"))
    R.check("postalias -s", (r.returncode, got), (0, sorted(ORACLE_S)))
    r = run([POSTALIAS, "-c", inst.dir, "-q", "-", "hash:" + inst.path("aliases")], inst.env(),
            input="postmaster\nhostmaster\nnosuch\nabuse\n")
    R.check("postalias -q -", r.stdout,
            "postmaster:\troot\nhostmaster:\tpostmaster, abuse\nabuse:\tpostmaster\n")


def delivery(inst):
    inst.start()
    r = inst.sendmail(["hostmaster@mail.example.com"], "Subject: to hostmaster\n\nthe list\n")
    R.check("sendmail to hostmaster", r.returncode, 0)
    inst.wait_log(r"orig_to=<hostmaster@mail\.example\.com>.*status=sent")
    R.true("hostmaster (postmaster, abuse -> root): delivered to root once, as Postfix",
           inst.mailbox("root").count("Subject: to hostmaster\n") == 1, inst.log())
    R.true("log line as Postfix's", "to=<root@mail.example.com>, orig_to=<hostmaster@mail.example.com>, "
           "relay=local, " in inst.log(), inst.log())


def stale_source(inst):
    """An aliases file changed after newaliases: postfix route reads the source, with a note."""
    d = inst.dir
    inst.write("aliases", open(inst.path("aliases")).read() + "webmaster: postmaster\n")
    t = os.stat(inst.path("aliases.db")).st_mtime + 10
    os.utime(inst.path("aliases"), (t, t))
    r = inst.postfix("route", "webmaster@mail.example.com")
    R.check("changed source: route says it reads the source", r.stderr,
            "postfix: note: hash:%s/aliases: database %s/aliases.db is older than source file "
            "%s/aliases: reading the source file %s/aliases, as \"newaliases\" will build it\n"
            % (d, d, d, d))
    R.true("changed source: route shows the new alias", "local alias webmaster -> postmaster: "
           in r.stdout, r.stdout)


def main():
    if not pkit.IS_ROOT:
        print("SKIP: the example delivers to root's mailbox: needs root")
        sys.exit(77)
    pkit.require_binaries()
    inst = fresh_copy()
    try:
        before_newaliases(inst)
        postalias_answers(inst)
        delivery(inst)
        stale_source(inst)
    finally:
        inst.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
