#!/usr/bin/env python3
"""pforacle.py - the Postfix 3.7 oracle for the policy, DNS list and anvil tests (by hand).

Not run by `make check`: it is how the expected replies and log lines of
test_policy.py, test_rbl.py and test_anvil.py were taken from the real
Postfix.  PfInstance is pkit.Instance's twin for Debian's Postfix: the same
main.cf base, Debian's master.cf without chroot and with smtpd on
127.0.0.1 and a free port, its own queue, data directory and maillog under
a temporary directory, stopped afterwards.

Postfix asks the resolver of /etc/resolv.conf; to give it a test DNS server
the script runs itself again in private mount and network namespaces
(`unshare -mn`, root only) with a resolv.conf that names 127.0.0.1, where
dnsserver.py answers on port 53.  postkit in the same namespace is pointed at
the same server with POSTKIT_DNS_SERVER=127.0.0.1:53, so one script can send
the same traffic to both:

    python3 tests/integ/pforacle.py --dns ZONEFILE SCRIPT.py [ARGS...]

runs SCRIPT.py inside the namespaces with the DNS server up; the script
imports pforacle and pkit as usual.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402


class PfInstance(pkit.Instance):
    """A private Postfix 3.7 instance, driven like pkit.Instance."""

    def __init__(self, main_extra="", master_extra=""):
        super().__init__(main_extra=main_extra, master_extra="")
        main = self.read("main.cf").replace("mail_owner = %s\n" % pkit.mail_owner(), "")
        self.write("main.cf", main)
        lines = []
        with open("/etc/postfix/master.cf") as f:
            for line in f:
                w = line.split()
                if line.startswith("smtp ") and len(w) > 1 and w[1] == "inet":
                    line = "127.0.0.1:%d inet n - n - - smtpd\n" % self.port
                elif len(w) >= 8 and not line[0].isspace() and w[4] == "y":
                    w[4] = "n"
                    line = " ".join(w) + "\n"
                lines.append(line)
        self.write("master.cf", "".join(lines) + master_extra)
        os.makedirs(self.path("data"), exist_ok=True)
        shutil.chown(self.path("data"), "postfix")

    def postfix(self, *args, timeout=30):
        return subprocess.run(["/usr/sbin/postfix", "-c", self.dir] + list(args),
                              capture_output=True, text=True, timeout=timeout)

    def start(self):
        os.makedirs(self.path("queue"), exist_ok=True)
        r = self.postfix("start")
        self.started = True
        if r.returncode != 0:
            raise RuntimeError("Postfix start failed: %s%s\n%s" % (r.stdout, r.stderr, self.log()))
        self.wait_log("daemon started", timeout=10)
        return r


def in_namespace(zonefile, argv):
    """Run argv in new mount and network namespaces with DNS on 127.0.0.1:53."""
    tmp = tempfile.mkdtemp(prefix="pforacle-")
    try:
        conf = os.path.join(tmp, "resolv.conf")
        with open(conf, "w") as f:
            f.write("nameserver 127.0.0.1\noptions attempts:1 timeout:2\n")
        here = os.path.dirname(os.path.abspath(__file__))
        inner = ("ip link set lo up && mount --bind %s /etc/resolv.conf && "
                 "(python3 %s/dnsserver.py --port 53 %s >/dev/null & echo $! > %s/dns.pid) && "
                 "sleep 0.5 && POSTKIT_DNS_SERVER=127.0.0.1:53 \"$@\"; rc=$?; "
                 "kill $(cat %s/dns.pid); exit $rc") % (conf, here, zonefile, tmp, tmp)
        return subprocess.run(["unshare", "-mn", "sh", "-c", inner, "sh"] + argv).returncode
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--dns":
        sys.exit(in_namespace(os.path.abspath(sys.argv[2]), [sys.executable] + sys.argv[3:]))
    print("usage: pforacle.py --dns ZONEFILE SCRIPT.py [ARGS...]", file=sys.stderr)
    sys.exit(2)
