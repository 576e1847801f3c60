#!/usr/bin/env python3
"""test_master.py - master.cf handling: maxproc, listen addresses, -o overrides, skipped services."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("master")


def greeting(port, family=socket.AF_INET, host="127.0.0.1", timeout=10.0):
    """The first line the server sends, or None when it says nothing in time."""
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
        data = s.recv(200)
        return s, data.decode("latin-1").strip()
    except socket.timeout:
        return s, None


def main():
    pkit.require_binaries()
    v6 = pkit.free_port()
    extra = (
        "[::1]:%d inet n - n - - smtpd\n"
        "  -o { smtpd_banner = $myhostname ESMTP over IPv6 }\n"
        "verify    unix  -       -       n       -       1       verify\n" % v6)
    master = pkit.BASE_MASTER_CF.replace("{listen} inet n   -       n       -       -       smtpd",
                                         "{listen} inet n   -       n       -       1       smtpd")
    inst = pkit.Instance(master_cf=master, master_extra=extra,
                         main_extra="inet_protocols = all\n")
    try:
        inst.start()
        # maxproc 1: a second client waits until the first is done
        a, ga = greeting(inst.port)
        R.check("first client served", ga, "220 mail.example.com ESMTP Postfix")
        b, gb = greeting(inst.port, timeout=1.5)
        R.check("second client waits (maxproc 1)", gb, None)
        a.sendall(b"QUIT\r\n")
        a.recv(100)
        a.close()
        b.settimeout(5)
        try:
            gb = b.recv(200).decode("latin-1").strip()
        except socket.timeout:
            gb = None
        R.check("second client served when the first left", gb, "220 mail.example.com ESMTP Postfix")
        b.close()
        # an inet entry on [::1] with its own -o override
        c, gc = greeting(v6, socket.AF_INET6, "::1")
        R.check("IPv6 listener with -o override", gc, "220 mail.example.com ESMTP over IPv6")
        c.close()
        # a stock entry for a daemon postkit lacks, that nothing uses: no noise (issue 12)
        inst.postfix("reload")
        inst.wait_log("reload -- version", timeout=10)
        time.sleep(0.5)
        R.check("unused unimplemented service left alone silently",
                inst.log().count("not implemented"), 0)
        # the IPv6 entry removed by a reload: its listener goes away, the rest stays
        inst.write("master.cf", master.format(listen="127.0.0.1:%d" % inst.port))
        inst.postfix("reload")
        # master closes the listener when it has read the new master.cf: poll, bounded
        deadline, gone = time.time() + 20, False
        while not gone and time.time() < deadline:
            try:
                socket.create_connection(("::1", v6), timeout=1).close()
                time.sleep(0.1)
            except OSError:
                gone = True
        R.true("removed service stops listening", gone)
        s, g = greeting(inst.port)
        R.check("kept service still serves", g, "220 mail.example.com ESMTP Postfix")
        s.close()
    finally:
        inst.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
