#!/usr/bin/env python3
"""test_smtp_cache.py - smtp_connection_cache_on_demand across deliveries.

A lone message gets its own connection, closed with QUIT right after it.
Once mail to a next hop flows (a delivery starts less than a second after
the previous one ended), the smtp client keeps the connection open after a
delivery and the next one reuses it ("conn_use=2" in the status line, as
Postfix logs it), until smtp_connection_cache_time_limit (2s) passes
without another message: then it says QUIT.
"""
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("smtp_cache")


class Server:
    """An SMTP server on 127.0.0.2: the commands and the QUIT time of each connection."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.2", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(16)
        self.lock = threading.Lock()
        self.conns = []  # per connection: {"cmds": [...], "quit": time or None}
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            rec = {"cmds": [], "quit": None}
            with self.lock:
                self.conns.append(rec)
            threading.Thread(target=self._talk, args=(c, rec), daemon=True).start()

    def _talk(self, c, rec):
        c.settimeout(60)
        f = c.makefile("rb")
        try:
            c.sendall(b"220 fake.example ESMTP\r\n")
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.decode("latin-1").strip()
                verb = cmd.split(" ")[0].upper()
                with self.lock:
                    rec["cmds"].append(verb)
                if verb == "EHLO":
                    c.sendall(b"250-fake.example\r\n250 PIPELINING\r\n")
                elif verb == "DATA":
                    c.sendall(b"354 go ahead\r\n")
                    while f.readline() not in (b".\r\n", b""):
                        pass
                    c.sendall(b"250 2.0.0 Ok: queued\r\n")
                elif verb == "QUIT":
                    with self.lock:
                        rec["quit"] = time.time()
                    c.sendall(b"221 2.0.0 Bye\r\n")
                    return
                else:
                    c.sendall(b"250 2.0.0 Ok\r\n")
        except OSError:
            pass
        finally:
            c.close()

    def snapshot(self):
        with self.lock:
            return [dict(r, cmds=list(r["cmds"])) for r in self.conns]

    def stop(self):
        try:
            self.sock.close()
        except OSError:
            pass


def wait_for(pred, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def main():
    pkit.require_binaries()
    try:
        srv = Server()
    except OSError as e:
        print("cannot listen on 127.0.0.2: %s: skipping" % e)
        sys.exit(77)
    inst = pkit.Instance(main_extra="relayhost = [127.0.0.2]:%d\n" % srv.port)
    sent = r"status=sent \(250 2\.0\.0 Ok: queued\)"
    try:
        inst.start()
        # a lone message: its own connection, QUIT right after the delivery
        inst.sendmail(["-f", "nobody@example.com", "a@example.org"], "Subject: 1\n\n1\n")
        R.true("first message sent", inst.wait_log(sent, count=1))
        R.true("lone message: QUIT at once",
               wait_for(lambda: srv.snapshot()[0]["quit"] is not None, 1.5), repr(srv.snapshot()))
        # back to back: the next deliveries reuse one connection
        n = 1
        while n < 8 and "conn_use=" not in inst.log():
            n += 1
            inst.sendmail(["-f", "nobody@example.com", "a@example.org"],
                          "Subject: %d\n\n%d\n" % (n, n))
            R.true("message %d sent" % n, inst.wait_log(sent, count=n))
        line = [ln for ln in inst.log().splitlines() if "conn_use=" in ln]
        R.true("a delivery over a kept connection", len(line) > 0, inst.log())
        if line:
            R.true("status line", re.search(
                r"smtp\[\d+\]: [0-9A-F]+: to=<a@example\.org>, relay=127\.0\.0\.2\[127\.0\.0\.2\]:%d, "
                r"conn_use=2, delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=2\.0\.0, "
                r"status=sent \(250 2\.0\.0 Ok: queued\)$" % srv.port, line[0]) is not None, line[0])
        last = time.time()
        conns = srv.snapshot()
        R.check("connections for %d messages" % n, len(conns), n - 1)
        # nothing more comes: the kept connection ends within the time limit
        R.true("kept connection closed with QUIT",
               wait_for(lambda: all(c["quit"] for c in srv.snapshot()), 10), repr(srv.snapshot()))
        quit_at = max(c["quit"] for c in srv.snapshot() if c["quit"])
        R.true("kept for the time limit, not much longer", quit_at - last < 8,
               "%.1f s" % (quit_at - last))
        R.check("commands of the reused connection", srv.snapshot()[-1]["cmds"],
                ["EHLO", "MAIL", "RCPT", "DATA", "RSET", "MAIL", "RCPT", "DATA", "QUIT"])
    finally:
        inst.cleanup()
        srv.stop()
    R.finish()


if __name__ == "__main__":
    main()
