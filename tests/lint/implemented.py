#!/usr/bin/env python3
"""implemented.py - every row that schemas/ marks implemented has a test that exercises it.

The rows come from tests/lint/tables_dump (the tables as libcfg builds
them).  A restriction, table type, daemon or service type counts as
exercised when an integration test (tests/integ/*.py) or a golden case input
(tests/data/*/*/main.cf, master.cf, cmd, stdin) uses it as a word; a
parameter when an integration test or golden case input sets or names it.
A row marked implemented that no test uses fails this test: flipping a row
to "implemented" comes with the test that proves it.
"""
import os
import re
import subprocess
import sys

top = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(__file__), "..", "..")
build = os.environ.get("top_builddir") or top
dump = os.path.join(build, "tests", "lint", "tables_dump")

# Rows implemented on purpose without a test of their own, with the reason.
EXEMPT = {
    ("parameter", "process_id"): "read-only, computed",
    ("parameter", "process_name"): "read-only, computed",
    ("parameter", "service_name"): "read-only, set by master",
    # honoured, but only visible as timing or process turnover, not in replies, logs or mail
    ("parameter", "ipc_timeout"): "performance: bounds a stuck internal IPC exchange",
    ("parameter", "max_use"): "performance: a daemon process exits after that many requests",
    ("parameter", "qmgr_message_active_limit"): "performance: caps the active queue size",
    ("parameter", "service_throttle_time"): "timing: master's pause before restarting a failing service",
    ("parameter", "syslog_facility"): "reaches only the host's syslog; tests log to maillog_file",
}


def corpus():
    """The text of every integration test and golden case input."""
    texts = []
    integ = os.path.join(top, "tests", "integ")
    for f in os.listdir(integ):
        if f.endswith(".py") or f.endswith(".sh"):
            with open(os.path.join(integ, f), encoding="latin-1") as fh:
                texts.append(fh.read())
    data = os.path.join(top, "tests", "data")
    for root, _dirs, files in os.walk(data):
        for f in files:
            if f in ("main.cf", "master.cf", "cmd", "stdin") or f.endswith(".cf"):
                with open(os.path.join(root, f), encoding="latin-1") as fh:
                    texts.append(fh.read())
    return "\n".join(texts)


def main():
    if not os.access(dump, os.X_OK):
        print("missing %s: skipping" % dump)
        return 77
    rows = subprocess.run([dump], capture_output=True, text=True, check=True).stdout
    blob = corpus()
    words = set(re.findall(r"[A-Za-z0-9_.+-]+", blob))
    missing = []
    total = 0
    for line in rows.splitlines():
        kind, name, impl = line.split("\t")[:3]
        if impl != "1" or (kind, name) in EXEMPT:
            continue
        total += 1
        if kind == "table":
            ok = (name + ":") in blob
        else:
            ok = name in words
        if not ok:
            missing.append("%s %s" % (kind, name))
    for m in missing:
        print("FAIL implemented: %s is marked implemented but no test uses it" % m)
    print("%d passed, %d failed" % (total - len(missing), len(missing)))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
