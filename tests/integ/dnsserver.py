#!/usr/bin/env python3
"""dnsserver.py - a small authoritative DNS server for postkit's tests (python3-dnslib).

The SMTP client tests must never ask the host's resolver or the network:
they start this server on 127.0.0.1 and a free port and point postkit at it
with POSTKIT_DNS_SERVER=127.0.0.1:PORT (mta/common/dns.h).  Records come in
zone-file syntax, one per line:

    example.org. 60 IN MX 10 mx1.example.org.
    mx1.example.org. 60 IN A 127.0.0.2

A name with records answers them (NODATA for other types), a name without
any answers NXDOMAIN, and a line "NAME SERVFAIL" makes every query for NAME
fail with SERVFAIL (a temporary error).  UDP and TCP are both served; the
answer to a query is the same on both.

A line "ZONE SECURE" marks the names at and under ZONE as DNSSEC-signed:
their answers (NXDOMAIN and NODATA too) carry the AD bit, as a validating
resolver's would, so DANE can be tested (TLSA records are written as
"_25._tcp.mx.example.org. 60 IN TLSA 3 1 1 HEX").  Nothing is signed: the
client trusts the AD bit of this server as it would a local validating
resolver's (glibc's "options trust-ad").

As a module: DnsServer(records).start() -> port; .stop().  As a program:
dnsserver.py [--addr A] [--port P] ZONEFILE (serves until killed; for
observing the Postfix oracle by hand).
"""
import argparse
import socket
import sys
import threading

try:
    import dnslib
    import dnslib.server
except ImportError:  # a Python outside Debian's (pyenv) still finds the package
    sys.path.append("/usr/lib/python3/dist-packages")
    import dnslib
    import dnslib.server


def _key(name):
    return str(name).lower().rstrip(".") + "."


class _Resolver:
    """Answers from the records; counts queries per (name, type) for the tests."""

    def __init__(self, text):
        self.rrs = {}
        self.servfail = set()
        self.secure = set()
        self.queries = []
        self.lock = threading.Lock()
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith(";") or line.startswith("#"):
                continue
            words = line.split()
            if len(words) == 2 and words[1].upper() == "SERVFAIL":
                self.servfail.add(_key(words[0]))
                continue
            if len(words) == 2 and words[1].upper() == "SECURE":
                self.secure.add(_key(words[0]))
                continue
            for rr in dnslib.RR.fromZone(line):
                self.rrs.setdefault(_key(rr.rname), []).append(rr)

    def resolve(self, request, handler):
        reply = request.reply()
        q = request.q
        name = _key(q.qname)
        qtype = dnslib.QTYPE[q.qtype]
        with self.lock:
            self.queries.append((name.rstrip("."), qtype))
        reply.header.aa = 1
        # the AD bit is ours to say (dnslib's reply copies the query's flags)
        reply.header.ad = int(any(name == z or name.endswith("." + z) for z in self.secure))
        if name in self.servfail:
            reply.header.rcode = dnslib.RCODE.SERVFAIL
            return reply
        rrs = self.rrs.get(name)
        if rrs is None:
            reply.header.rcode = dnslib.RCODE.NXDOMAIN
            return reply
        for rr in rrs:
            if rr.rtype == q.qtype or (rr.rtype == dnslib.QTYPE.CNAME and q.qtype != rr.rtype):
                reply.add_answer(rr)
        return reply


class _QuietLogger:
    def __getattr__(self, name):
        return lambda *a, **k: None


class DnsServer:
    """UDP and TCP on addr and one port; records as zone-file text."""

    def __init__(self, records, addr="127.0.0.1", port=0):
        self.resolver = _Resolver(records)
        self.addr = addr
        self.port = port
        self.servers = []

    def start(self):
        port = self.port
        for _ in range(20):
            if port == 0:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind((self.addr, 0))
                try_port = s.getsockname()[1]
                s.close()
            else:
                try_port = port
            try:
                udp = dnslib.server.DNSServer(self.resolver, address=self.addr, port=try_port,
                                              logger=_QuietLogger())
                tcp = dnslib.server.DNSServer(self.resolver, address=self.addr, port=try_port,
                                              tcp=True, logger=_QuietLogger())
            except OSError:
                if port:
                    raise
                continue
            self.servers = [udp, tcp]
            for s in self.servers:
                s.start_thread()
            self.port = try_port
            return try_port
        raise RuntimeError("no free port for the DNS server")

    def stop(self):
        for s in self.servers:
            try:
                s.stop()
                s.server.server_close()
            except Exception:
                pass
        self.servers = []

    def queries(self):
        with self.resolver.lock:
            return list(self.resolver.queries)

    def env_value(self):
        return "%s:%d" % (self.addr, self.port)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--addr", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("zonefile")
    a = p.parse_args()
    with open(a.zonefile) as f:
        srv = DnsServer(f.read(), a.addr, a.port)
    print(srv.start(), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    srv.stop()


if __name__ == "__main__":
    main()
