"""tables_servers.py - real database servers for the lookup-table tests, in a temporary directory.

Each start_* function starts one server on a unix socket in DIR (and, where
the test needs it, on 127.0.0.1 and a free high port), loads the virtual
domain data set of DATA and returns a Server, or None with the reason in
Server.why when the server cannot be started here (the test then skips that
backend and says why).  Servers run as an unprivileged user when the test
runs as root.  stop() stops it; stop_all() runs at exit.
"""
import atexit
import base64
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time

# The data set every backend is loaded with: virtual_alias_maps entries.
DATA = [
    ("joe@example.com", "joe@real.example"),
    ("sales@example.com", "ann@real.example"),
    ("o'brien@example.com", "pat@real.example"),
    ("@example.org", "catchall@real.example"),
    ("example.net", "OK"),
    ("multi@example.com", "a@real.example"),
    ("multi@example.com", "b@real.example"),
    ("utf8@example.com", "j\u00fcrgen@real.example"),
]
# The queries every backend answers, with what is absent or special.
KEYS = ["joe@example.com", "JOE@Example.COM", "sales@example.com", "o'brien@example.com",
        "@example.org", "example.net", "multi@example.com", "nobody@example.com",
        "x'; drop table virtual; --@example.com", "utf8@example.com", "%s@example.com"]

_servers = []
why = ""


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _user():
    """The unprivileged user servers run as when we are root."""
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    return None


def _as_user(argv):
    """argv run as the unprivileged user when we are root."""
    if os.geteuid() != 0:
        return argv
    u = _user()
    return ["setpriv", "--reuid=%d" % u.pw_uid, "--regid=%d" % u.pw_gid, "--clear-groups"] + argv


def _chown(path):
    if os.geteuid() == 0:
        u = _user()
        for root, dirs, files in os.walk(path):
            os.chown(root, u.pw_uid, u.pw_gid)
            for f in files:
                os.chown(os.path.join(root, f), u.pw_uid, u.pw_gid)


def _wait(cond, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.1)
    return False


class Server:
    def __init__(self, kind, proc=None, stop_cmd=None):
        self.kind = kind
        self.proc = proc
        self.stop_cmd = stop_cmd
        self.socket = None
        self.port = None
        self.info = {}
        _servers.append(self)

    def stop(self):
        if self.stop_cmd:
            subprocess.run(self.stop_cmd, capture_output=True, timeout=60)
            self.stop_cmd = None
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def _fail(text):
    global why
    why = text
    return None


def _sql_value(v):
    return "'" + v.replace("'", "''") + "'"


def sql_script():
    """CREATE + INSERT statements of the data set."""
    rows = ",".join("(%s,%s)" % (_sql_value(k), _sql_value(v)) for k, v in DATA)
    return ("CREATE TABLE virtual (address VARCHAR(200), goto VARCHAR(200));\n"
            "INSERT INTO virtual VALUES %s;\n" % rows)


def start_pgsql(d):
    """PostgreSQL from Debian's postgresql (initdb + pg_ctl) on DIR/pg (socket) and a TCP port."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        return _fail("PostgreSQL server not installed (Debian package postgresql)")
    bindir = os.path.dirname(bins[-1])
    data = os.path.join(d, "pg")
    os.makedirs(data)
    _chown(d)
    os.chmod(d, 0o755)
    r = subprocess.run(_as_user([os.path.join(bindir, "initdb"), "-D", data, "-U", "postfix",
                                 "--auth=trust", "-E", "UTF8", "--locale=C"]),
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        return _fail("initdb failed: " + r.stderr.strip()[-300:])
    port = free_port()
    opts = "-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off" % (port, data)
    r = subprocess.run(_as_user([os.path.join(bindir, "pg_ctl"), "-D", data, "-o", opts,
                                 "-l", os.path.join(d, "pg.log"), "-w", "-t", "60", "start"]),
                       capture_output=True, text=True, timeout=90)
    if r.returncode != 0:
        return _fail("pg_ctl start failed: " + r.stderr.strip()[-300:])
    s = Server("pgsql", stop_cmd=_as_user([os.path.join(bindir, "pg_ctl"), "-D", data, "-m",
                                           "immediate", "-w", "stop"]))
    s.socket, s.port = data, port
    psql = shutil.which("psql") or os.path.join(bindir, "psql")
    r = subprocess.run([psql, "-h", data, "-p", str(port), "-U", "postfix", "-d", "postgres",
                        "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE DATABASE mail"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode == 0:
        r = subprocess.run([psql, "-h", data, "-p", str(port), "-U", "postfix", "-d", "mail",
                            "-v", "ON_ERROR_STOP=1", "-q"], input=sql_script(),
                           capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        s.stop()
        return _fail("loading PostgreSQL failed: " + r.stderr.strip()[-300:])
    return s


def start_mysql(d):
    """MariaDB (mariadb-install-db + mariadbd) on DIR/my.sock and a TCP port."""
    server = shutil.which("mariadbd") or shutil.which("mysqld") or "/usr/sbin/mariadbd"
    install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    client = shutil.which("mariadb") or shutil.which("mysql")
    if not os.path.exists(server) or not install or not client:
        return _fail("MariaDB server not installed (Debian package mariadb-server)")
    data = os.path.join(d, "my")
    os.makedirs(data)
    sock = os.path.join(d, "my.sock")
    user = []
    if os.geteuid() == 0:
        user = ["--user=" + _user().pw_name]
        _chown(d)
    r = subprocess.run([install, "--no-defaults", "--datadir=" + data,
                        "--auth-root-authentication-method=normal",
                        "--skip-test-db"] + user, capture_output=True, text=True, timeout=180)
    if r.returncode != 0:
        return _fail("mariadb-install-db failed: " + (r.stderr or r.stdout).strip()[-300:])
    port = free_port()
    log = open(os.path.join(d, "my.log"), "w")
    proc = subprocess.Popen([server, "--no-defaults", "--datadir=" + data, "--socket=" + sock,
                             "--port=%d" % port, "--bind-address=127.0.0.1",
                             "--pid-file=" + os.path.join(d, "my.pid"),
                             "--skip-grant-tables=0", "--innodb-buffer-pool-size=16M",
                             "--log-error=" + os.path.join(d, "my.err")] + user,
                            stdout=log, stderr=log)
    s = Server("mysql", proc=proc)
    s.socket, s.port = sock, port
    if not _wait(lambda: os.path.exists(sock) or proc.poll() is not None, 60) or proc.poll():
        s.stop()
        return _fail("mariadbd did not start")
    script = ("CREATE DATABASE mail; USE mail; " + sql_script() +
              "CREATE USER 'postfix'@'localhost' IDENTIFIED BY 'secret';"
              "CREATE USER 'postfix'@'127.0.0.1' IDENTIFIED BY 'secret';"
              "GRANT SELECT ON mail.* TO 'postfix'@'localhost';"
              "GRANT SELECT ON mail.* TO 'postfix'@'127.0.0.1';")
    r = subprocess.run([client, "--no-defaults", "-S", sock, "-u", "root"], input=script,
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        s.stop()
        return _fail("loading MariaDB failed: " + r.stderr.strip()[-300:])
    return s


LDAP_BASE = "dc=example,dc=test"
LDAP_SCHEMA = """attributetype ( 1.3.6.1.4.1.99999.1.1 NAME 'mailacceptinggeneralid'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.3.6.1.4.1.99999.1.2 NAME 'maildrop'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.3.6.1.4.1.99999.1.3 NAME 'memberdn'
  SUP distinguishedName )
objectclass ( 1.3.6.1.4.1.99999.2.1 NAME 'postfixUser' SUP top AUXILIARY
  MAY ( mailacceptinggeneralid $ maildrop $ memberdn ) )
"""


def ldif():
    """The data set as LDIF: one entry per key, its values as maildrop values."""
    merged = {}
    for k, v in DATA:
        merged.setdefault(k, []).append(v)
    out = ["dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: test\ndc: example\n"
           % LDAP_BASE,
           "dn: ou=virtual,%s\nobjectClass: organizationalUnit\nou: virtual\n" % LDAP_BASE]
    for i, (k, vals) in enumerate(merged.items()):
        e = "dn: cn=e%d,ou=virtual,%s\nobjectClass: device\nobjectClass: postfixUser\n" \
            "cn: e%d\nmailacceptinggeneralid: %s\n" % (i, LDAP_BASE, i, k)
        out.append(e + "".join("maildrop:: %s\n" % base64.b64encode(v.encode()).decode()
                               for v in vals))
    return "\n".join(out)


def start_ldap(d, extra_ldif="", certs=None):
    """slapd (Debian's) with an mdb database under DIR, on 127.0.0.1 and a free port.

    With certs (tls_setup.Certs), slapd also offers STARTTLS and listens for
    ldaps:// on a second port (info["ldaps"]) with the rsa certificate.
    """
    slapd = shutil.which("slapd") or "/usr/sbin/slapd"
    ldapadd = shutil.which("ldapadd")
    if not os.path.exists(slapd) or not ldapadd:
        return _fail("slapd or ldapadd not installed (Debian packages slapd, ldap-utils)")
    modpath = "/usr/lib/ldap"
    data = os.path.join(d, "db")
    os.makedirs(data)
    with open(os.path.join(d, "local.schema"), "w") as f:
        f.write(LDAP_SCHEMA)
    conf = os.path.join(d, "slapd.conf")
    tls = ""
    if certs:
        for name in ("ca.pem", "rsa.pem", "rsa.key"):
            shutil.copy(certs.path(name), os.path.join(d, name))
        tls = ("TLSCACertificateFile %s/ca.pem\nTLSCertificateFile %s/rsa.pem\n"
               "TLSCertificateKeyFile %s/rsa.key\n" % (d, d, d))
    with open(conf, "w") as f:
        f.write(tls + "include /etc/ldap/schema/core.schema\n"
                "include %s/local.schema\n"
                "pidfile %s/slapd.pid\n"
                "modulepath %s\nmoduleload back_mdb\n"
                "database mdb\nmaxsize 10485760\nsuffix \"%s\"\n"
                "rootdn \"cn=admin,%s\"\nrootpw secret\ndirectory %s\n"
                "index mailacceptinggeneralid eq\n" % (d, d, modpath, LDAP_BASE, LDAP_BASE, data))
    _chown(d)
    os.chmod(d, 0o755)
    port = free_port()
    url = "ldap://127.0.0.1:%d/" % port
    log = open(os.path.join(d, "slapd.log"), "w")
    urls = url
    if certs:
        s_port = free_port()
        urls += " ldaps://127.0.0.1:%d/" % s_port
    proc = subprocess.Popen(_as_user([slapd, "-d", "0", "-h", urls, "-f", conf]),
                            stdout=log, stderr=log)
    s = Server("ldap", proc=proc)
    s.port = port
    s.info["url"] = url
    if certs:
        s.info["ldaps"] = "ldaps://127.0.0.1:%d/" % s_port

    def up():
        if proc.poll() is not None:
            return True
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False
    if not _wait(up, 30) or proc.poll() is not None:
        s.stop()
        with open(os.path.join(d, "slapd.log")) as f:
            return _fail("slapd did not start: " + f.read().strip()[-300:])
    r = subprocess.run([ldapadd, "-x", "-H", url, "-D", "cn=admin," + LDAP_BASE, "-w", "secret"],
                       input=ldif() + ("\n" + extra_ldif if extra_ldif else ""),
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        s.stop()
        return _fail("ldapadd failed: " + r.stderr.strip()[-300:])
    return s


def stop_all():
    for s in _servers:
        try:
            s.stop()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


atexit.register(stop_all)
