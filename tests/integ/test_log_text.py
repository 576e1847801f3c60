#!/usr/bin/env python3
"""test_log_text.py - what reaches the maillog of text that came from outside.

Postfix 3.7.11 passes every log line through one filter: printable ASCII stays,
a byte from 0xc2 to 0xfe followed by continuation bytes stays with them (no
further UTF-8 validation) while smtputf8_enable = yes, and every other byte
becomes '?': a newline, a tab, a control, a stray 8-bit byte, and with
smtputf8_enable = no every 8-bit byte.  The expected texts are what Postfix
3.7.11 logged for the same sessions:
  warning: header Subject: first??second?with tab caf\xc3\xa9 ? from localhost[127.0.0.1]; ...
  warning: header Subject: A\xc3\xa9\xa9B \xe0\x80\x80C \xed\xa0\x80D \xf5\x80\x80\x80E ?F from ...
  (smtputf8_enable = no) ... Access denied; from=<u8-caf??@sender.example> to=<block@...>
  (smtputf8_enable = no) ... Access denied; from=<l1-caf?@sender.example> to=<block@...>
"""
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("log_text")

CHECKS = ("header_checks = regexp:$config_directory/hc\nmynetworks = 127.0.0.0/8\n"
          "smtpd_relay_restrictions = permit_mynetworks, reject\n"
          "smtpd_recipient_restrictions = check_recipient_access inline:{block@remote.example=REJECT}\n")


def session(inst, lines):
    """Send raw command lines (bytes), each answered before the next."""
    with socket.create_connection(("127.0.0.1", inst.port), timeout=30) as s:
        return talk(s, lines)


def talk(s, lines):
    f = s.makefile("rb")
    replies = []

    def reply():
        while True:
            line = f.readline()
            if line[3:4] != b"-":
                return line.decode("latin-1").rstrip("\r\n")

    reply()
    for line in lines:
        s.sendall(line + b"\r\n")
        replies.append(reply())
        if line == b"DATA" and replies[-1].startswith("354"):
            replies.append(None)  # the content goes as the next "line"
    return replies


def message(inst, subject_lines):
    """One message whose header block is subject_lines (raw bytes, CRLF-separated)."""
    session(inst, [b"EHLO c", b"MAIL FROM:<a@b.example>", b"RCPT TO:<root@mail.example.com>", b"DATA",
                   subject_lines + b"\r\n\r\nplain\r\n.", b"QUIT"])


def log_bytes(inst):
    return inst.log().encode("latin-1")


def first_unprintable(log, utf8):
    """The offset of the first byte Postfix's filter would have replaced, or None: outside
    printable ASCII and newline, only a lead byte 0xc2-0xfe followed by continuation bytes."""
    i = 0
    while i < len(log):
        b = log[i]
        if 32 <= b < 127 or b == 10:
            i += 1
        elif utf8 and 0xc2 <= b <= 0xfe and i + 1 < len(log) and log[i + 1] & 0xc0 == 0x80:
            i += 2
            while i < len(log) and log[i] & 0xc0 == 0x80:
                i += 1
        else:
            return i
    return None


def run(smtputf8):
    inst = pkit.Instance(main_extra=CHECKS + ("smtputf8_enable = no\n" if not smtputf8 else ""))
    inst.write("hc", "/^Subject:/ WARN\n")
    tag = "smtputf8_enable = %s" % ("yes" if smtputf8 else "no")
    try:
        inst.start()
        message(inst, b"Subject: first\r\n\tsecond\twith tab caf\xc3\xa9 \xe9")
        message(inst, b"Subject: A\xc3\xa9\xa9B \xe0\x80\x80C \xed\xa0\x80D \xf5\x80\x80\x80E \xc3F")
        session(inst, [b"EHLO c", b"MAIL FROM:<u8-caf\xc3\xa9@sender.example>", b"RCPT TO:<block@remote.example>",
                       b"RSET", b"MAIL FROM:<l1-caf\xe9@sender.example>", b"RCPT TO:<block@remote.example>",
                       b"QUIT"])
        R.true("%s: header lines logged" % tag, inst.wait_log(r"warning: header Subject: ", count=2))
        R.true("%s: reject lines logged" % tag,
               inst.wait_log(r"from=<l1-caf" if not smtputf8 else r"from=<u8-caf"))
        log = log_bytes(inst)
        if smtputf8:
            want = [b"warning: header Subject: first??second?with tab caf\xc3\xa9 ? from localhost[127.0.0.1];",
                    b"warning: header Subject: A\xc3\xa9\xa9B \xe0\x80\x80C \xed\xa0\x80D \xf5\x80\x80\x80E ?F "
                    b"from localhost[127.0.0.1];",
                    b"Access denied; from=<u8-caf\xc3\xa9@sender.example> to=<block@remote.example>"]
        else:
            want = [b"warning: header Subject: first??second?with tab caf?? ? from localhost[127.0.0.1];",
                    b"warning: header Subject: A???B ???C ???D ????E ?F from localhost[127.0.0.1];",
                    b"Access denied; from=<u8-caf??@sender.example> to=<block@remote.example>",
                    b"Access denied; from=<l1-caf?@sender.example> to=<block@remote.example>"]
        for w in want:
            R.true("%s: %r" % (tag, w[:60]), w in log, repr(log[-1500:]))
        bad = first_unprintable(log, smtputf8)
        R.true("%s: nothing but printable ASCII%s" % (tag, " and UTF-8 sequences" if smtputf8 else ""),
               bad is None, "at byte %s: %r" % (bad, log[bad - 20:bad + 20] if bad else b""))
    finally:
        inst.cleanup()


def main():
    pkit.require_binaries()
    run(True)
    run(False)
    R.finish()


if __name__ == "__main__":
    main()
