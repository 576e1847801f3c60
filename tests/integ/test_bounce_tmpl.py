#!/usr/bin/env python3
"""test_bounce_tmpl.py - bounce_template_file: the bounce daemon writes its notices from the
file's templates (From:, Subject:, the text with $names expanded, the defaults for the
templates the file leaves out); a malformed file stops the bounce daemon with Postfix 3.7's
message and `postfix check` reports it with the file's name and line."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402

R = pkit.Results("bounce_tmpl")
SENDER = "nobody@mail.example.com"
MSG = "Subject: tmpl test\nFrom: nobody@mail.example.com\n\nbody line\n"

TEMPLATES = """\
# the failure notice only; the others stay the built-in ones
failure_template = <<EOF
Charset: iso-8859-1
From: Bounce Robot <robot>
Subject: Custom bounce from $myhostname (headers are not expanded)
Postmaster-Subject: Custom postmaster copy

Greetings from $myhostname: $$5 says your mail did not make it, caf\xe9.
We would have kept it for $maximal_queue_lifetime_days day(s).
EOF
"""


def notice(inst, subject, user="nobody"):
    """The first message with this subject in user's mailbox, or ""."""
    for m in re.split(r"\n(?=From \S+  )", "\n" + inst.mailbox(user)):
        if "\nSubject: %s\n" % subject in m:
            return m
    return ""


def custom_notice():
    """A bounce uses the file's failure template: From, Subject and the expanded text."""
    inst = pkit.Instance(main_extra="bounce_template_file = $config_directory/bounce.cf\n"
                         "maximal_queue_lifetime = 3d\n")
    with open(inst.path("bounce.cf"), "wb") as f:
        f.write(TEMPLATES.encode("latin-1"))
    try:
        r = inst.postfix("check")
        R.true("postfix check accepts the template file", "bounce.cf" not in r.stderr
               and "bounce_template_file" not in r.stderr, r.stderr)
        inst.start()
        inst.sendmail(["-f", SENDER, "nosuchuser@mail.example.com"], MSG)
        subject = "Custom bounce from $myhostname (headers are not expanded)"
        R.true("bounce delivered", inst.wait_mailbox("nobody", "Subject: %s\n" % subject, timeout=20),
               inst.log() + inst.mailbox("nobody"))
        m = notice(inst, subject)
        # what Postfix 3.7.11 wrote for the same template: the address qualified, the charset
        R.true("From: of the template", "\nFrom: Bounce Robot <robot@mail.example.com>\n" in m, m)
        R.true("Charset: of the template", "\nContent-Type: text/plain; charset=iso-8859-1\n" in m, m)
        R.true("text of the template, expanded",
               "\nGreetings from mail.example.com: $5 says your mail did not make it, caf\xe9.\n"
               "We would have kept it for 3 day(s).\n\n<nosuchuser@mail.example.com>" in m, m)
        R.true("not the built-in text", "I'm sorry to have to inform you" not in m, m)
        R.true("the report and the returned message follow",
               "\nFinal-Recipient: rfc822; nosuchuser@mail.example.com\n" in m
               and "\nbody line\n" in m, m)
    finally:
        inst.cleanup()


def bad_file():
    """A file Postfix cannot read: postfix check names file and line; the bounce daemon stops
    with Postfix's fatal message and the bounce is not sent."""
    inst = pkit.Instance(main_extra="bounce_template_file = $config_directory/bounce.cf\n")
    inst.write("bounce.cf", "# broken\nfailure_template <<EOF\ntext\nEOF\n")
    try:
        r = inst.postfix("check")
        path = inst.path("bounce.cf")
        R.true("postfix check reports file:line",
               "%s:2: error: missing '=' after attribute name: \"failure_template <<EOF\"" % path
               in r.stderr, r.stderr)
        R.check("postfix check fails", r.returncode, 1)
        inst.write("bounce.cf", "failure_template = <<EOF\nSubject:\n\ntext\nEOF\n"
                   "delay_template = <<EOF\n$no_such_parameter\nEOF\n")
        r = inst.postfix("check")
        R.true("postfix check: an undefined $name is an error",
               "%s: error: undefined $name in delay template: $no_such_parameter" % path in r.stderr,
               r.stderr)
        R.true("postfix check: an ignored template is a warning",
               "%s: warning: empty \"Subject\" header value in failure template -- ignoring this "
               "template" % path in r.stderr, r.stderr)
        # postfix start refuses such files (postfix check runs first): break it once running.
        # An undefined $name stops the bounce daemon when it writes the notice (Postfix 3.7.11:
        # "postfix/bounce[PID]: fatal: FILE: undefined $name in failure template: LINE", then
        # "qmgr: QID: status=deferred (bounce failed)"): the mail waits, no notice goes out.
        inst.write("bounce.cf", "failure_template = fine\n")
        inst.start()
        inst.write("bounce.cf", "failure_template = <<EOF\n$no_such_parameter here\nEOF\n")
        inst.sendmail(["-f", SENDER, "nosuchuser@mail.example.com"], MSG)
        R.true("bounce daemon: undefined $name is fatal", inst.wait_log(
            r"postfix/bounce\[\d+\]: fatal: %s: undefined \$name in failure template: "
            r"\$no_such_parameter here" % re.escape(path)), inst.log())
        R.true("the bounced mail is deferred", inst.wait_log(r"status=deferred \(bounce failed\)"),
               inst.log())
        R.check("no notice sent", "non-delivery notification" in inst.log(), False)
        # a file that does not parse stops it as it starts
        inst.write("bounce.cf", "# broken\nfailure_template <<EOF\ntext\nEOF\n")
        inst.sendmail(["-f", SENDER, "nosuchuser2@mail.example.com"], MSG)
        R.true("bounce daemon: Postfix's fatal message", inst.wait_log(
            r"postfix/bounce\[\d+\]: fatal: %s, line 3: missing '=' after attribute name: "
            r"\"failure_template <<EOF\"" % re.escape(path)), inst.log())
    finally:
        inst.cleanup()


def main():
    pkit.require_binaries()
    custom_notice()
    bad_file()
    R.finish()


if __name__ == "__main__":
    main()
