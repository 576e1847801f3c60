#!/usr/bin/env python3
"""test_unsupported.py - fail closed: every row schemas/ marks "not implemented" is refused.

The rows come from tests/lint/tables_dump, the tables as libcfg builds them,
so a row added to schemas/ is tested without a change here.  For each row a
small configuration uses it (a parameter set to a valid value other than its
default, a restriction in smtpd_recipient_restrictions, a table type in
virtual_alias_maps, a daemon on an inet listener, a service type)
and the test checks that

  - `postfix check` names it, at its file and line, with "not implemented by
    postkit" and exits 1, and
  - `postfix start` refuses that configuration ("Postfix integrity check
    failed!", exit 1) without starting a master;

parameters that are only performance tuning get a warning and do not stop
`postfix check`.  `postfix check --unsupported` (text and --json) must list
exactly these rows.
"""
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("unsupported")
DUMP = os.path.join(pkit.TOP_BUILDDIR, "tests", "lint", "tables_dump")
POSTCONF = os.path.join(pkit.TOP_BUILDDIR, "tools", "postconf", "postconf")

MASTER = """\
{listen} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
postlog   unix-dgram n  -       n       -       1       postlogd
"""

# an argument of the right kind for restrictions that take one
RESTRICTION_ARG = {"table": "static:OK", "policy": "inet:127.0.0.1:9", "domain": "zen.example.org",
                   "number": "1"}


def rows():
    out = subprocess.run([DUMP], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        yield line.split("\t")


def expanded_defaults():
    """Every parameter's value, expanded, in the configuration the cases start from."""
    d = tempfile.mkdtemp(prefix="postkit-unsup-")
    try:
        with open(os.path.join(d, "main.cf"), "w") as f:
            # what the cases' main.cf holds, but for the parameters they test (biff)
            f.write("".join(l + "\n" for l in pkit.BASE_MAIN_CF.splitlines()
                            if not l.startswith("biff")))
        open(os.path.join(d, "master.cf"), "w").close()
        env = dict(os.environ, POSTKIT_HOSTNAME="mail.example.com")
        out = subprocess.run([POSTCONF, "-c", d, "-x"], capture_output=True, text=True,
                             env=env).stdout
    finally:
        shutil.rmtree(d, ignore_errors=True)
    vals = {}
    for line in out.splitlines():
        name, _, value = line.partition(" = ")
        vals[name] = value
    return vals


def other_value(ptype, dflt, lo, hi, unit, choices):
    """A value of the type that differs from the default (None: cannot make one)."""
    if ptype == "boolean":
        return "no" if dflt.lower() in ("yes", "true") else "yes"
    if ptype in ("integer", "size"):
        n = int(dflt) if dflt.lstrip("-").isdigit() else 0
        cand = n + 1 if hi == "9223372036854775807" or n + 1 <= int(hi) else n - 1
        return str(max(cand, int(lo)) if lo != "-9223372036854775808" else cand)
    if ptype == "time":
        mult = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
        n = 0
        if dflt and dflt[:-1].isdigit() and dflt[-1] in mult:
            n = int(dflt[:-1]) * mult[dflt[-1]]
        elif dflt.isdigit():
            n = int(dflt) * mult.get(unit, 1)
        return "%ds" % max(n + 1, int(lo) if lo.lstrip("-").isdigit() and int(lo) > 0 else 0)
    if ptype == "enum":
        for c in choices.split("|"):
            if c.lower() != dflt.lower() and c != "-":
                return c or None
        return None
    if ptype == "maps":
        return "static:postkit-test"
    if ptype == "networks":
        return "198.51.100.0/24" if dflt == "192.0.2.0/24" else "192.0.2.0/24"
    if ptype == "restrictions":
        return "permit_mynetworks" if dflt != "permit_mynetworks" else "permit_sasl_authenticated"
    if ptype == "path":
        return "/var/empty/postkit-test"
    if ptype == "list":
        return "postkit-test"
    return "postkit-test"


class Case:
    def __init__(self, kind, name, main="", master="", want_line=None, tuning=False):
        self.kind, self.name, self.main, self.master = kind, name, main, master
        self.want_line = want_line
        self.tuning = tuning


def cases():
    defaults = expanded_defaults()
    for r in rows():
        kind, name, impl = r[0], r[1], r[2]
        if kind == "parameter":
            support, ptype, lo, hi, unit, choices, behaves_as = r[3:10]
            if support not in ("no", "tuning"):
                continue
            v = other_value(ptype, defaults.get(name, ""), lo, hi, unit, choices)
            if v is None or v == behaves_as:
                continue  # every value it can take is one postkit honours (biff)
            yield Case(kind, name, main="%s = %s\n" % (name, v), tuning=support == "tuning")
        elif impl == "1":
            continue
        elif kind == "restriction":
            arg = ""
            if name in ("check_address_map",):
                # only that parameter takes it, and postkit refuses the parameter itself
                yield Case(kind, name, main="local_header_rewrite_clients = %s static:OK\n" % name,
                           want_line="local_header_rewrite_clients")
                continue
            if name.startswith(("reject_rbl", "reject_rhsbl", "permit_dnswl", "permit_rhswl")):
                arg = " " + RESTRICTION_ARG["domain"]
            elif name == "check_policy_service":
                arg = " " + RESTRICTION_ARG["policy"]
            elif name.startswith("check_") and name.endswith("_access"):
                arg = " " + RESTRICTION_ARG["table"]
            yield Case(kind, name, main="smtpd_recipient_restrictions = permit_mynetworks, %s%s, "
                                        "reject_unauth_destination\n" % (name, arg))
        elif kind == "table":
            yield Case(kind, name, main="virtual_alias_maps = %s:/etc/postkit-test\n" % name)
        elif kind == "daemon":
            yield Case(kind, name, master="2526      inet  n       -       n       -       -       %s\n"
                       % name)
        elif kind == "type":
            yield Case(kind, name, master="postkit-test %s n - n - - smtpd\n" % name)
    # no master.cf column value is refused any more: chroot = y runs (test_chroot.py)


def run(case):
    """One configuration: (case, check result, start result)."""
    inst = pkit.Instance(main_extra=case.main, master_cf=MASTER + case.master)
    for d in ("active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming",
              "maildrop", "pid", "private", "public", "saved", "trace"):
        os.makedirs(inst.path("queue", d))
    try:
        chk = inst.postfix("check")
        start = None if case.tuning else inst.postfix("start")
        # postfix-script messages go to the log (and to stderr only on a terminal)
        return case, chk, start, inst.master_pid(), inst.log()
    finally:
        inst.cleanup()


def judge(case, chk, start, master_pid, log):
    what = "%s %s" % (case.kind, case.name)
    if case.tuning:
        R.true("%s: a warning, no error" % what,
               chk.returncode == 0 and "parameter %s is ignored by postkit" % case.name in chk.stderr,
               chk.stderr)
        return
    lines = [l for l in chk.stderr.splitlines() if "not implemented by postkit" in l]
    named = [l for l in lines if (case.want_line or case.name) in l]
    where = "/main.cf:" if case.main else "/master.cf:"
    R.true("%s: postfix check names it at its file and line" % what,
           chk.returncode == 1 and any(where in l and ": error: " in l for l in named), chk.stderr)
    R.true("%s: postfix start refuses" % what,
           start.returncode == 1 and "fatal: Postfix integrity check failed!" in log
           and "starting the Postfix mail system" not in log and master_pid == 0,
           start.stdout + start.stderr + log)


def check_listing(all_cases):
    out = subprocess.run([pkit.POSTFIX, "check", "--unsupported"], capture_output=True, text=True)
    js = subprocess.run([pkit.POSTFIX, "check", "--unsupported", "--json"], capture_output=True,
                        text=True)
    R.check("--unsupported exit", (out.returncode, js.returncode), (0, 0))
    listed = json.loads(js.stdout)
    R.check("text and JSON list the same rows", len(out.stdout.splitlines()), len(listed))
    names = {(x["kind"], x["name"]) for x in listed}
    kinds = {"restriction": "restriction", "table": "table type", "daemon": "master.cf command",
             "type": "master.cf service type", "column": "master.cf column",
             "parameter": "parameter"}
    missing = [c for c in all_cases if (kinds[c.kind], c.name) not in names]
    R.check("every refused or ignored row is listed", [c.name for c in missing], [])


def main():
    pkit.require_binaries()
    if not os.access(DUMP, os.X_OK):
        print("missing %s: skipping" % DUMP)
        sys.exit(77)
    all_cases = list(cases())
    kinds = {}
    for c in all_cases:
        kinds[c.kind] = kinds.get(c.kind, 0) + 1
    print("rows: %s" % ", ".join("%s %d" % kv for kv in sorted(kinds.items())))
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
        for case, chk, start, pid, log in ex.map(run, all_cases):
            judge(case, chk, start, pid, log)
    check_listing(all_cases)
    R.finish()


if __name__ == "__main__":
    main()
