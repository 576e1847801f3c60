#!/usr/bin/env python3
"""test_tables_ldap.py - ldap: tables against a real slapd, and proxy: approval.

slapd (Debian's) is started here with an mdb database in a temporary
directory on 127.0.0.1 and a free port, loaded with the virtual-domain data
set of tables_servers.py (one entry per key, its values as maildrop values)
plus two group entries for the special/terminal/leaf result attributes.
`postmap -q -` must answer the same keys as a hash: table of the same data
and exactly what Postfix 3.7 answered with the same configuration files;
the variants (result_format, domain, scope, search_base templates, DN
recursion, limits, errors) are compared with what Postfix printed
(tests/integ/tables-expected/ldap and ldap-variants, written by
`test_tables_ldap.py --regen` on a machine with postfix-ldap).  Then
postfix check, smtpd with virtual_mailbox_maps = ldap:... (slapd stopped:
4xx, never 5xx), and proxy:TYPE:NAME refused unless listed in
proxy_read_maps, with Postfix's words.  Skips (77) when slapd cannot start.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkit  # noqa: E402
import tables_servers as ts  # noqa: E402
import tls_setup  # noqa: E402

R = pkit.Results("tables_ldap")
POSTMAP = os.path.join(pkit.TOP_BUILDDIR, "tools", "postmap", "postmap")
EXPECTED = os.path.join(pkit.TOP_SRCDIR, "tests", "integ", "tables-expected")
BASE = ts.LDAP_BASE
# keys that only LDAP quoting makes interesting (RFC 4515 metacharacters)
EXTRA_KEYS = ["*@example.com", "*", "j(oe)@example.com", "joe\\@example.com", "joe*",
              "group@example.com", "group2@example.com"]

GROUPS = """dn: cn=group,ou=virtual,{b}
objectClass: device
objectClass: postfixUser
cn: group
mailacceptinggeneralid: group@example.com
maildrop: groupdrop@real.example
memberdn: cn=e0,ou=virtual,{b}
memberdn: cn=e1,ou=virtual,{b}
memberdn: cn=gone,ou=virtual,{b}

dn: cn=group2,ou=virtual,{b}
objectClass: device
objectClass: postfixUser
cn: group2
mailacceptinggeneralid: group2@example.com
description: terminal@real.example
memberdn: cn=e0,ou=virtual,{b}
""".format(b=BASE)

# name, settings added to the base file, keys
VARIANTS = [
    ("result-format", "result_format = <%s|%u|%d|%S|%U|%D|%1|%2>\n",
     ["joe@example.com", "example.net", "@example.org"]),
    ("result-format-key-domain", "result_format = %s@%D\n", ["joe@example.com", "example.net"]),
    ("domain", "domain = example.com\n",
     ["joe@example.com", "example.net", "@example.org", "joe@EXAMPLE.com"]),
    ("filter-parts", "query_filter = (mailacceptinggeneralid=%u@%2.%1)\n",
     ["joe@example.com", "joe@x.example.com", "example.net", "joe"]),
    ("filter-user", "query_filter = (|(mailacceptinggeneralid=%u@example.com)(cn=%u))\n",
     ["joe@elsewhere.example", "@example.org", "e3"]),
    ("search-base-template", "search_base = cn=%u,ou=virtual," + BASE + "\nscope = base\n"
     "query_filter = (objectClass=*)\n",
     ["e0", "e1@x.example", "a,b=c", "nothere"]),
    ("scope-one", "scope = one\n", ["joe@example.com"]),
    ("scope-one-too-high", "search_base = %s\nscope = one\n" % BASE, ["joe@example.com"]),
    ("special", "special_result_attribute = memberdn\n", ["group@example.com", "joe@example.com"]),
    ("leaf", "result_attribute =\nspecial_result_attribute = memberdn\n"
     "leaf_result_attribute = maildrop\n", ["group@example.com", "joe@example.com"]),
    ("terminal", "special_result_attribute = memberdn\nterminal_result_attribute = description\n",
     ["group2@example.com", "group@example.com"]),
    ("expansion-limit", "expansion_limit = 1\n", ["multi@example.com", "joe@example.com"]),
    ("size-limit", "size_limit = 1\nquery_filter = (mailacceptinggeneralid=*@%d)\n",
     ["x@example.com", "x@example.org"]),
    ("server-port", "server_host = 127.0.0.1\nserver_port = @PORT@\ntimeout = 5\nversion = 3\n"
     "dereference = 3\n", ["joe@example.com"]),
    ("bad-base", "search_base = dc=nowhere\n", ["joe@example.com"]),
    ("bad-filter", "query_filter = (mailacceptinggeneralid=%s\n", ["joe@example.com"]),
    ("bind-simple", "bind = yes\nbind_dn = cn=admin,%s\nbind_pw = secret\n" % BASE,
     ["joe@example.com"]),
    ("bind-wrong-password", "bind = simple\nbind_dn = cn=admin,%s\nbind_pw = pw-never-shown\n"
     % BASE, ["joe@example.com"]),
    ("bind-bogus", "bind = maybe\n", ["joe@example.com"]),
    ("scope-bogus", "scope = everything\n", ["joe@example.com"]),
    ("recursion-limit", "special_result_attribute = memberdn\nrecursion_limit = 1\n",
     ["group@example.com"]),
    ("version-unknown", "version = 4\n", ["joe@example.com"]),
    ("timeout-zero", "timeout = 0\n", ["joe@example.com"]),
]


def postmap(d, args, stdin=None, prog=POSTMAP):
    r = subprocess.run([prog, "-c", d] + args, input=stdin, capture_output=True, timeout=60)
    return r.returncode, r.stdout.decode("latin-1"), r.stderr.decode("latin-1")


def base_cf(url, extra=""):
    """The client file: the base settings, each line of extra replacing or adding one."""
    settings = {"server_host": url, "search_base": "ou=virtual," + BASE,
                "query_filter": "(mailacceptinggeneralid=%s)", "result_attribute": "maildrop",
                "bind": "no"}
    for line in extra.splitlines():
        k, v = line.split("=", 1)
        settings[k.strip()] = v.strip()
    return "".join("%s = %s\n" % kv for kv in settings.items())


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def hash_answers(d):
    """postkit's hash: table of the data set: the reference answers."""
    merged = {}
    for k, v in ts.DATA:
        merged[k] = merged[k] + "," + v if k in merged else v
    write(os.path.join(d, "virtual"), "".join("%s %s\n" % kv for kv in merged.items()))
    postmap(d, ["hash:" + os.path.join(d, "virtual")])
    keys = "".join(k + "\n" for k in ts.KEYS).encode()
    return postmap(d, ["-q", "-", "hash:" + os.path.join(d, "virtual")], keys)[1]


def variants_text(d, url, prog):
    """Every variant's answers, status and messages, with the paths made neutral."""
    out = []
    for name, extra, keys in VARIANTS:
        cf = os.path.join(d, name + ".cf")
        port = url.rsplit(":", 1)[1].strip("/")
        write(cf, base_cf(url, extra.replace("@PORT@", port)))
        rc, o, e = postmap(d, ["-q", "-", "ldap:" + cf], "".join(k + "\n" for k in keys).encode(),
                           prog=prog)
        # the reason after "query error: " is errno's last value in Postfix: not compared
        e = re.sub(r"(query error: ).*", r"\1...", e)
        text = "== %s (status %d)\n%s%s" % (name, rc, o, e)
        out.append(text.replace(d, "@DIR@").replace(url, "@URL@").replace(prog, "postmap")
                   .replace("/usr/sbin/postmap", "postmap"))
    return "".join(out)


def check_answers(d, url, regen):
    cf = os.path.join(d, "ldap.cf")
    write(cf, base_cf(url))
    keys = "".join(k + "\n" for k in ts.KEYS + EXTRA_KEYS).encode()
    main_exp = os.path.join(EXPECTED, "ldap")
    var_exp = os.path.join(EXPECTED, "ldap-variants")
    if regen:
        rc, out, err = postmap(d, ["-q", "-", "ldap:" + cf], keys, prog="/usr/sbin/postmap")
        with open(main_exp, "w", encoding="latin-1") as f:
            f.write(out)
        with open(var_exp, "w", encoding="latin-1") as f:
            f.write(variants_text(d, url, "/usr/sbin/postmap"))
        print("wrote %s (status %d) %s and %s" % (main_exp, rc, err, var_exp))
        return
    rc, out, err = postmap(d, ["-q", "-", "ldap:" + cf], keys)
    R.check("ldap: postmap -q - status", rc, 0)
    R.check("ldap: no warnings", err, "")
    with open(main_exp, encoding="latin-1") as f:
        R.check("ldap: the answers of Postfix 3.7", out, f.read())
    n = len(hash_answers(d).splitlines())
    R.check("ldap: the answers of hash: for the shared keys",
            "".join(out.splitlines(True)[:n]), hash_answers(d))
    with open(var_exp, encoding="latin-1") as f:
        got = variants_text(d, url, POSTMAP)
        want = f.read()
        for g, w in zip(got.split("== ")[1:], want.split("== ")[1:]):
            R.check("ldap variant %s" % w.split(" ", 1)[0], g, w)
        R.check("ldap: every variant", len(got.split("== ")), len(want.split("== ")))
    R.true("ldap: bind_pw is never printed", "pw-never-shown" not in got, got)


def check_tls(d, server, certs):
    """STARTTLS and ldaps://: the server's certificate checked with tls_require_cert = yes."""
    url, ldaps = server.info["url"], server.info["ldaps"]
    ca, wrong = certs.path("ca.pem"), certs.path("selfsigned.pem")
    cases = [
        ("starttls", "server_host = %s\nstart_tls = yes\ntls_require_cert = yes\n"
         "tls_ca_cert_file = %s\n" % (url, ca), 0, ""),
        ("starttls with a CA that did not sign the server's certificate",
         "server_host = %s\nstart_tls = yes\ntls_require_cert = yes\ntls_ca_cert_file = %s\n"
         % (url, wrong), 1, "dict_ldap_connect: Unable to set STARTTLS: -11: Connect error"),
        ("starttls, tls_require_cert = no: not checked",
         "server_host = %s\nstart_tls = yes\ntls_ca_cert_file = %s\n" % (url, wrong), 0, ""),
        ("ldaps", "server_host = %s\ntls_require_cert = yes\ntls_ca_cert_file = %s\n"
         % (ldaps, ca), 0, ""),
        ("ldaps with a CA that did not sign the server's certificate",
         "server_host = %s\ntls_require_cert = yes\ntls_ca_cert_file = %s\n" % (ldaps, wrong), 1,
         "postmap: warning: dict_ldap_lookup: Search error -1: Can't contact LDAP server \n"),
    ]
    for name, text, status, msg in cases:
        cf = os.path.join(d, "tls.cf")
        write(cf, base_cf(url, text))
        rc, out, err = postmap(d, ["-q", "joe@example.com", "ldap:" + cf])
        R.check("ldap %s: status and answer" % name, (rc, out),
                (status, "joe@real.example\n" if status == 0 else ""))
        # Postfix says "error:" for STARTTLS; postkit's lookup messages are warnings
        R.true("ldap %s: Postfix's message" % name, msg in err and (status or not err), err)


def check_down(d):
    """No server: a query error (exit 1), never "not found"."""
    port = ts.free_port()
    cf = os.path.join(d, "down.cf")
    write(cf, "server_host = 127.0.0.1:%d\nsearch_base = %s\n" % (port, BASE))
    rc, out, err = postmap(d, ["-q", "joe@example.com", "ldap:" + cf])
    R.check("ldap down: exit status", rc, 1)
    R.check("ldap down: Postfix's messages", err,
            "postmap: warning: dict_ldap_connect: Unable to bind to server ldap://127.0.0.1:%d "
            "with dn empty or implicit: -1 (Can't contact LDAP server)\n"
            "postmap: fatal: table ldap:%s: query error: Transport endpoint is not connected\n"
            % (port, cf))


def check_postfix_check(d, url):
    """postfix check: a good file passes; what postkit lacks or what cannot work is an error."""
    files = {
        "good.cf": base_cf(url),
        "nobase.cf": "server_host = %s\nserch_base = %s\n" % (url, BASE),
        "sasl.cf": base_cf(url, "bind = sasl\nbind_pw = pw-never-shown\n"),
        "sasl2.cf": base_cf(url, "sasl_mechs = GSSAPI\n"),
    }
    inst = pkit.Instance(main_extra="virtual_alias_maps = ldap:$config_directory/good.cf\n")
    try:
        for name, text in files.items():
            inst.write(name, text)
        r = inst.postfix("check")
        R.true("postfix check: a good ldap: file passes",
               r.returncode == 0 and "ldap" not in r.stderr, r.stderr)
        want = {
            "nobase.cf": ["nobase.cf:2: warning: ldap:%s: unused parameter: serch_base=%s"
                          % (inst.path("nobase.cf"), BASE),
                          "error: parameter virtual_alias_maps: ldap:%s: search_base is not set (ldap_table(5): no default; "
                          "you must configure this)" % inst.path("nobase.cf")],
            "sasl.cf": ["error: parameter virtual_alias_maps: ldap:%s: bind = sasl is not implemented by postkit"
                        % inst.path("sasl.cf")],
            "sasl2.cf": ["error: parameter virtual_alias_maps: ldap:%s: the sasl_mechs setting is not implemented by postkit"
                         % inst.path("sasl2.cf")],
            "missing.cf": ["error: parameter virtual_alias_maps: open %s: No such file or directory" % inst.path("missing.cf")],
        }
        for name, lines in want.items():
            main = inst.read("main.cf")
            inst.write("main.cf", main + "virtual_alias_maps = ldap:$config_directory/%s\n" % name)
            r = inst.postfix("check")
            inst.write("main.cf", main)
            R.check("postfix check %s: status" % name, r.returncode, 1)
            for line in lines:
                R.true("postfix check %s: %s" % (name, line), line in r.stderr, r.stderr)
            R.true("postfix check %s: bind_pw never printed" % name,
                   "pw-never-shown" not in r.stderr, r.stderr)
    finally:
        inst.cleanup()


def instance(main_extra):
    """A postkit instance where example.com is a virtual domain, not a local one."""
    inst = pkit.Instance(main_extra=main_extra)
    main = inst.read("main.cf")
    inst.write("main.cf", main.replace(
        "mydestination = $myhostname, localhost.$mydomain, localhost, $mydomain\n",
        "mydestination = localhost\n"))
    return inst


def check_smtpd(d, server, url):
    """smtpd: virtual_mailbox_maps = ldap: accepts and rejects; slapd stopped: 4xx."""
    inst = instance(main_extra=(
        "virtual_mailbox_domains = example.com\n"
        "virtual_mailbox_maps = ldap:$config_directory/v.cf\n"
        "virtual_alias_maps = proxy:ldap:$config_directory/v.cf\n"))
    try:
        inst.write("v.cf", base_cf(url))
        inst.start()
        s = inst.session()
        s.cmd("EHLO client.example")
        s.cmd("MAIL FROM:<a@client.example>")
        text = s.cmd("RCPT TO:<joe@example.com>")
        R.true("smtpd: an address the directory has is accepted", text.startswith("250 "), text)
        text = s.cmd("RCPT TO:<nobody@example.com>")
        R.true("smtpd: an address the directory lacks is rejected (5xx)",
               text.startswith("550 5.1.1 ") and "User unknown in virtual" in text, text)
        s.close()
        server.stop()
        s = inst.session()
        s.cmd("EHLO client.example")
        s.cmd("MAIL FROM:<a@client.example>")
        text = s.cmd("RCPT TO:<joe@example.com>")
        R.true("smtpd: slapd stopped: 4xx, never 5xx", text.startswith("451 4.3.0 "), text)
        s.close()
        R.true("smtpd: the lookup error is logged",
               inst.wait_log(r"warning: dict_ldap_(lookup|connect): "), inst.log())
    except Exception:
        print(inst.log())
        raise
    finally:
        inst.cleanup()


def check_proxy(d):
    """proxy:TYPE:NAME outside proxy_read_maps: Postfix's refusal, in postmap and in smtpd."""
    inst = instance(main_extra=(
        "virtual_mailbox_domains = example.com\n"
        "virtual_mailbox_maps = proxy:texthash:$config_directory/vmb\n"))
    try:
        inst.write("vmb", "joe@example.com x\n")
        spec = "proxy:texthash:" + inst.path("vmb")
        rc, out, err = postmap(inst.dir, ["-q", "joe@example.com", spec])
        R.check("proxy: listed by default ($virtual_mailbox_maps): asks proxymap, which is not "
                "running", (rc, err),
                (1, "postmap: fatal: connect #1 to subsystem %s: No such file or directory\n"
                 % inst.path("queue", "private", "proxymap")))
        main = inst.read("main.cf")
        inst.write("main.cf", main + "proxy_read_maps = proxy:hash:/nonexistent\n")
        rc, out, err = postmap(inst.dir, ["-q", "joe@example.com", spec])
        R.check("proxy: not in proxy_read_maps: postmap status", rc, 1)
        R.check("proxy: not in proxy_read_maps: Postfix's words", err,
                "postmap: fatal: proxymap service is not configured for table "
                "\"texthash:%s\"\n" % inst.path("vmb"))
        r = inst.postfix("check")
        R.true("proxy: postfix check refuses a table proxy_read_maps does not list",
               r.returncode == 1 and ("error: proxymap service is not configured for table "
                                      "\"texthash:%s\" (list %s in proxy_read_maps)"
                                      % (inst.path("vmb"), spec)) in r.stderr, r.stderr)
        rc, out, err = postmap(inst.dir, ["-d", "joe@example.com", spec])
        R.check("proxy: a write (postmap -d) not in proxy_write_maps: Postfix's words",
                (rc, err), (1, "postmap: fatal: proxywrite service is not configured for table "
                            "\"texthash:%s\"\n" % inst.path("vmb")))
        rc, out, err = postmap(inst.dir, ["-q", "joe@example.com", "texthash:" + inst.path("vmb")])
        R.check("proxy: the same table without proxy: is still read directly", (rc, out),
                (0, "x\n"))
        # postfix start refuses it too: start the daemons as if check had not been asked
        inst.write("main.cf", main)
        inst.start()
        inst.write("main.cf", main + "proxy_read_maps = proxy:hash:/nonexistent\n")
        inst.postfix("reload")
        inst.wait_log(r"reload -- version")
        s = inst.session()
        s.cmd("EHLO client.example")
        s.cmd("MAIL FROM:<a@client.example>")
        try:
            text = s.cmd("RCPT TO:<joe@example.com>")
        except (OSError, EOFError) as e:
            text = "connection lost: %s" % e
        # Postfix's smtpd dies at start-up; postkit's when it first needs the table
        R.true("proxy: smtpd with an unapproved table never accepts (4xx or gone)",
               text.startswith("4") or text.startswith("connection lost") or text == "", text)
        s.close()
        for line in (r"smtpd\[\d+\]: warning: request for unapproved table: \"texthash:",
                     r"smtpd\[\d+\]: warning: to approve this table for read-only access, "
                     r"list proxy:texthash:\S+ in main.cf:proxy_read_maps",
                     r"smtpd\[\d+\]: fatal: proxymap service is not configured for table "
                     r"\"texthash:"):
            R.true("proxy: smtpd logs %s" % line, inst.wait_log(line), inst.log())
    except Exception:
        print(inst.log())
        raise
    finally:
        inst.cleanup()


def main():
    regen = "--regen" in sys.argv
    if not regen:
        pkit.require_binaries()
    d = tempfile.mkdtemp(prefix="postkit-ldap-")
    os.chmod(d, 0o755)
    try:
        open(os.path.join(d, "main.cf"), "w").close()
        certs = tls_setup.Certs() if tls_setup.have("openssl") else None
        server = ts.start_ldap(os.path.join(d, "ldap"), GROUPS, certs)
        if server is None:
            print("SKIP: %s" % ts.why)
            return 77
        url = server.info["url"]
        check_answers(d, url, regen)
        if regen:
            return 0
        if certs:
            check_tls(d, server, certs)
        else:
            print("SKIP TLS cases: openssl not installed")
        check_down(d)
        check_postfix_check(d, url)
        check_proxy(d)
        check_smtpd(d, server, url)
    finally:
        ts.stop_all()
        shutil.rmtree(d, ignore_errors=True)
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
