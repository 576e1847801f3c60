"""milterpy.py - a small mail filter speaking the Sendmail milter protocol (version 6).

Used by test_milter.py (and by hand against the Postfix oracle): it records
every command and macro it receives and answers each stage with a scripted
reply.  Replies are tuples: ("c",) continue, ("a",) accept, ("r",) reject,
("t",) tempfail, ("d",) discard, ("y", "550 5.7.0 text") replycode,
("close",) drop the connection, ("sleep", N) answer after N seconds.  At end of message, `mods` are sent first:
("h", name, value) add header, ("i", index, name, value) insert header,
("m", index, name, value) change header, ("+", rcpt) add recipient,
("2", rcpt, args) add recipient with ESMTP args, ("-", rcpt) delete
recipient, ("e", sender) change sender, ("b", text) replace body,
("q", reason) quarantine.
"""
import socket
import struct
import threading
import time

# protocol steps Postfix may skip (no-reply flags are not requested: every reply is checked)
ACTIONS = 0x1FF
PROTO_ALL = 0


class Milter:
    """A scripted milter on 127.0.0.1 and a free port."""

    def __init__(self, replies=None, mods=(), protocol=PROTO_ALL, symlist=None):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(16)
        self.replies = dict(replies or {})
        self.mods = list(mods)
        self.protocol = protocol
        self.symlist = symlist
        self.events = []  # (command letter, decoded fields)
        self.macros = {}  # command letter -> dict
        self.headers = []
        self.body = b""
        self.optneg = None
        threading.Thread(target=self.loop, daemon=True).start()

    def spec(self):
        return "inet:127.0.0.1:%d" % self.port

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def loop(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    @staticmethod
    def _recv(c, n):
        data = b""
        while len(data) < n:
            got = c.recv(n - len(data))
            if not got:
                raise EOFError
            data += got
        return data

    @staticmethod
    def _send(c, cmd, data=b""):
        c.sendall(struct.pack(">I", len(data) + 1) + cmd.encode() + data)

    def answer(self, c, stage):
        r = self.replies.get(stage, ("c",))
        if r[0] == "close":
            raise EOFError
        if r[0] == "sleep":  # no answer in time: the MTA gives up first
            time.sleep(r[1])
            r = ("c",)
        if r[0] == "y":
            self._send(c, "y", r[1].encode() + b"\0")
        else:
            self._send(c, r[0])

    def send_mods(self, c):
        for m in self.mods:
            z = [x.encode() + b"\0" if isinstance(x, str) else x for x in m[1:]]
            if m[0] in ("i", "m"):
                self._send(c, m[0], struct.pack(">I", m[1]) + b"".join(z[1:]))
            elif m[0] == "b":
                self._send(c, "b", m[1].encode())
            else:
                self._send(c, m[0], b"".join(z))

    def serve(self, c):
        try:
            while True:
                n = struct.unpack(">I", self._recv(c, 4))[0]
                pkt = self._recv(c, n)
                cmd, data = chr(pkt[0]), pkt[1:]
                if cmd == "O":
                    self.optneg = struct.unpack(">III", data[:12])
                    extra = b""
                    if self.symlist:
                        for stage, names in self.symlist:
                            extra += struct.pack(">I", stage) + names.encode() + b"\0"
                    ver = min(6, self.optneg[0])
                    self._send(c, "O", struct.pack(">III", ver, ACTIONS & self.optneg[1],
                                                   self.protocol) + extra)
                    continue
                fields = [f.decode("latin-1") for f in data.split(b"\0")]
                if cmd == "D":
                    kv = data[1:].split(b"\0")
                    self.macros[chr(data[0])] = {
                        kv[i].decode(): kv[i + 1].decode() for i in range(0, len(kv) - 1, 2)}
                    continue
                if cmd == "B":
                    self.body += data
                    self.events.append((cmd, None))
                    self.answer(c, cmd)
                    continue
                self.events.append((cmd, fields[:-1]))
                if cmd == "L":
                    self.headers.append((fields[0], fields[1]))
                if cmd in ("Q", "A", "K"):
                    if cmd == "Q":
                        return
                    continue
                if cmd == "E":
                    self.send_mods(c)
                self.answer(c, cmd)
        except (EOFError, OSError):
            pass
        finally:
            c.close()
