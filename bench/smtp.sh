#!/bin/sh
# bench/smtp.sh - postkit's MTA against Postfix 3.7 on the same machine, in the same run.
#
#   bench/smtp.sh [-n MESSAGES] [-s SESSIONS] [-b BUILDDIR] [-k plain|milter|policy|pgsql|proxypgsql]
#
# Each side is a private instance in a temporary directory on 127.0.0.1
# and a free port.  smtp-source (Debian's postfix package) sends MESSAGES
# messages over SESSIONS parallel sessions, twice:
#   local    to one local user: every message ends in one mbox;
#   relay    to a foreign domain: the smtp client relays every message to
#            smtp-sink on 127.0.0.2 (relayhost = [127.0.0.2]:PORT), so the
#            run measures smtpd -> queue -> smtp client -> remote server.
# Measured per side and run:
#   accept   messages/second until smtp-source has its last 250 (fsync'd queue)
#   e2e      messages/second until the last message is delivered (in the mbox,
#            or logged "status=sent" by the smtp client)
#   cpu/msg  CPU milliseconds per message, all processes of the instance
#            (master's own time, the time of the children it reaped, and of
#            those still running)
#   rss      peak total resident memory of the instance's processes, in MB
# and the ratio postkit/Postfix for each (for cpu and rss lower is better).
# With -k milter both sides run smtpd_milters = Debian's opendkim, signing
# every message (the local run only; "signed" counts DKIM-Signature headers
# in the mbox); with -k policy smtpd_recipient_restrictions starts with
# check_policy_service to a small Python policy server that answers DUNNO.
# With -k pgsql smtpd_recipient_restrictions starts with check_recipient_access
# on a pgsql: table in a PostgreSQL started here (initdb + pg_ctl, as
# postgres or nobody; stopped after): one query per RCPT in every smtpd;
# -k proxypgsql asks the same table through proxy:, so the smtpd processes
# share proxymap's connection (issue #19's "through the daemons" row).
# The Postfix side needs root and /usr/sbin/postfix; without them only
# postkit is measured.
set -u

N=2000
S=20
BUILD=""
KIND=plain
while getopts n:s:b:k: opt; do
	case $opt in
	n) N=$OPTARG ;;
	s) S=$OPTARG ;;
	b) BUILD=$OPTARG ;;
	k) KIND=$OPTARG ;;
	*) echo "usage: $0 [-n messages] [-s sessions] [-b builddir] [-k plain|milter|policy|pgsql|proxypgsql]" >&2
		exit 2 ;;
	esac
done
here=$(cd "$(dirname "$0")/.." && pwd)
[ -n "$BUILD" ] || BUILD=${top_builddir:-$here}
POSTFIX_PK=$BUILD/tools/postfix/postfix
if [ ! -x "$POSTFIX_PK" ]; then
	echo "no postkit build in $BUILD (use -b BUILDDIR)" >&2
	exit 2
fi
if ! command -v smtp-source >/dev/null 2>&1 || ! command -v smtp-sink >/dev/null 2>&1; then
	echo "smtp-source/smtp-sink not found: install the Debian package postfix" >&2
	exit 77
fi
HZ=$(getconf CLK_TCK)
TMP=$(mktemp -d /tmp/postkit-bench.XXXXXX)
chmod 755 "$TMP"
PIDS=""
SINK=""
HELPER=""
PGSTOP=""
cleanup() {
	[ -n "$SINK" ] && kill "$SINK" 2>/dev/null
	[ -n "$HELPER" ] && kill "$HELPER" 2>/dev/null
	[ -d "$TMP/pk" ] && POSTKIT_DAEMON_DIR=$BUILD/mta "$POSTFIX_PK" -c "$TMP/pk" stop >/dev/null 2>&1
	[ -d "$TMP/pf" ] && postfix -c "$TMP/pf" stop >/dev/null 2>&1
	[ -n "$PGSTOP" ] && $PGSTOP >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# main_cf DIR SINKPORT - the settings both sides share
main_cf() {
	cat <<EOF
compatibility_level = 3.6
myhostname = mail.example.com
mydomain = example.com
mydestination = \$myhostname, localhost.\$mydomain, localhost, \$mydomain
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
queue_directory = $1/queue
data_directory = $1/data
mail_spool_directory = $1/mail
maillog_file = $1/maillog
maillog_file_prefixes = $1
alias_maps =
alias_database =
biff = no
relayhost = [127.0.0.2]:$2
EOF
	[ -n "$EXTRA" ] && printf '%s\n' "$EXTRA"
}

# pgsql_start PORT - a PostgreSQL on 127.0.0.1:PORT with table rcpt(address, action) in database mail
pgsql_start() {
	initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -1)
	[ -n "$initdb" ] || { echo "PostgreSQL server not installed" >&2; return 1; }
	pgbin=$(dirname "$initdb")
	pgrun=""
	if [ "$(id -u)" -eq 0 ]; then
		pguser=postgres
		id postgres >/dev/null 2>&1 || pguser=nobody
		pgrun="setpriv --reuid=$(id -u $pguser) --regid=$(id -g $pguser) --clear-groups"
	fi
	mkdir -p "$TMP/pg" && chmod 755 "$TMP" && chmod 700 "$TMP/pg"
	[ -n "$pgrun" ] && chown "$pguser" "$TMP/pg"
	$pgrun "$pgbin/initdb" -D "$TMP/pg" -U postfix --auth=trust -E UTF8 --locale=C >/dev/null || return 1
	$pgrun "$pgbin/pg_ctl" -D "$TMP/pg" -o "-c listen_addresses=127.0.0.1 -p $1 -k $TMP/pg -c fsync=off" \
		-l "$TMP/pg/server.log" -w -t 60 start >/dev/null || return 1
	PGSTOP="$pgrun $pgbin/pg_ctl -D $TMP/pg -m immediate -w stop"
	printf 'CREATE DATABASE mail;\n' | psql -h "$TMP/pg" -p "$1" -U postfix -d postgres -q -v ON_ERROR_STOP=1 ||
		return 1
	printf "CREATE TABLE rcpt (address VARCHAR(200), action VARCHAR(20));
INSERT INTO rcpt VALUES ('nobody@example.com', 'DUNNO');\n" |
		psql -h "$TMP/pg" -p "$1" -U postfix -d mail -q -v ON_ERROR_STOP=1
}

# policy_server PORT - answers DUNNO to every request (one thread per connection)
policy_server() {
	python3 -c '
import socketserver, sys
class H(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            if line in (b"\n", b"\r\n"):
                self.wfile.write(b"action=DUNNO\n\n")
                self.wfile.flush()
class S(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()' "$1"
}

# opendkim_start PORT - Debian's opendkim, signing for example.com on 127.0.0.1:PORT
opendkim_start() {
	opendkim-genkey -b 1024 -D "$TMP" -d example.com -s sel || return 1
	cat >"$TMP/opendkim.conf" <<EOF
Syslog no
Socket inet:$1@127.0.0.1
Mode s
Domain example.com
KeyFile $TMP/sel.private
Selector sel
InternalHosts 127.0.0.1
PidFile $TMP/opendkim.pid
RequireSafeKeys no
EOF
	opendkim -x "$TMP/opendkim.conf" -f 2>/dev/null &
	HELPER=$!
	sleep 1
}

# cpu_ticks PID - master's own + reaped children's + living children's CPU ticks
cpu_ticks() {
	for f in /proc/[0-9]*/stat; do cat "$f" 2>/dev/null; echo; done | awk -v m="$1" '
	NF > 20 {
		pid = $1
		# fields after "(comm)": state ppid ... utime(12) stime(13) cutime(14) cstime(15)
		sub(/^.*\) /, "")
		split($0, f, " ")
		if (pid == m) t += f[12] + f[13] + f[14] + f[15]
		else if (f[2] == m) t += f[12] + f[13]
	}
	END { print t + 0 }'
}

# rss_kb PID - resident memory of master and its children
rss_kb() {
	ps -eo pid=,ppid=,rss= | awk -v m="$1" '$1 == m || $2 == m { t += $3 } END { print t + 0 }'
}

# delivered DIR MODE USER - messages delivered so far: in USER's mbox, or relayed
delivered() {
	if [ "$2" = local ]; then
		grep -c '^From ' "$1/mail/$3" 2>/dev/null || echo 0
	else
		grep -c 'to=<[^>]*@example\.net>, relay=127\.0\.0\.2.*status=sent' "$1/maillog" 2>/dev/null ||
			echo 0
	fi
}

# run NAME DIR PORT USER MODE - one measured run; prints "accept e2e cpu rss"
run() {
	name=$1 dir=$2 port=$3 user=$4 mode=$5
	rcpt=$user@example.com
	[ "$mode" = relay ] && rcpt=$user@example.net
	mpid=$(tr -d ' \n' <"$dir/queue/pid/master.pid")
	c0=$(cpu_ticks "$mpid")
	peak=0
	t0=$(date +%s.%N)
	smtp-source -s "$S" -m "$N" -l 1000 -f sender@example.com -t "$rcpt" "127.0.0.1:$port" &
	src=$!
	while kill -0 "$src" 2>/dev/null; do
		r=$(rss_kb "$mpid"); [ "$r" -gt "$peak" ] && peak=$r
		sleep 0.2
	done
	wait "$src"
	t1=$(date +%s.%N)
	deadline=$(( $(date +%s) + 600 ))
	while [ "$(delivered "$dir" "$mode" "$user")" -lt "$N" ]; do
		r=$(rss_kb "$mpid"); [ "$r" -gt "$peak" ] && peak=$r
		[ "$(date +%s)" -gt "$deadline" ] && { echo "$name: delivery timed out" >&2; break; }
		sleep 0.1
	done
	t2=$(date +%s.%N)
	c1=$(cpu_ticks "$mpid")
	awk -v n="$N" -v a="$t0" -v b="$t1" -v c="$t2" -v c0="$c0" -v c1="$c1" -v hz="$HZ" \
		-v peak="$peak" 'BEGIN { printf "%.1f %.1f %.3f %.1f\n", n / (b - a), n / (c - a),
			(c1 - c0) * 1000 / hz / n, peak / 1024 }'
}

# the remote server of the relay runs
sinkport=$(free_port)
if [ "$(id -u)" -eq 0 ]; then
	smtp-sink -u nobody "127.0.0.2:$sinkport" 256 &
else
	smtp-sink "127.0.0.2:$sinkport" 256 &
fi
SINK=$!

EXTRA=""
modes="local relay"
case $KIND in
plain) ;;
milter)
	command -v opendkim >/dev/null 2>&1 || { echo "opendkim not found" >&2; exit 77; }
	hport=$(free_port)
	opendkim_start "$hport" || exit 1
	EXTRA="smtpd_milters = inet:127.0.0.1:$hport
milter_default_action = tempfail"
	modes=local ;;
policy)
	hport=$(free_port)
	policy_server "$hport" &
	HELPER=$!
	EXTRA="smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:$hport,
	permit_mynetworks, reject_unauth_destination"
	modes=local ;;
pgsql | proxypgsql)
	hport=$(free_port)
	pgsql_start "$hport" || { echo "PostgreSQL did not start" >&2; exit 77; }
	printf 'hosts = inet:127.0.0.1:%s\nuser = postfix\ndbname = mail\nquery = SELECT action FROM rcpt WHERE address = '"'"'%%s'"'"'\n' \
		"$hport" >"$TMP/rcpt.cf"
	chmod 644 "$TMP/rcpt.cf"
	proxy=""
	[ "$KIND" = proxypgsql ] && proxy=proxy:
	EXTRA="smtpd_recipient_restrictions = check_recipient_access ${proxy}pgsql:$TMP/rcpt.cf,
	permit_mynetworks, reject_unauth_destination"
	modes=local ;;
*) echo "unknown kind $KIND" >&2; exit 2 ;;
esac

user=nobody
[ "$(id -u)" -eq 0 ] || user=$(id -un)

# --- postkit
pk=$TMP/pk
mkdir -p "$pk/mail"
chmod 1777 "$pk/mail"
pkport=$(free_port)
main_cf "$pk" "$sinkport" >"$pk/main.cf"
[ "$(id -u)" -eq 0 ] && echo "mail_owner = postfix" >>"$pk/main.cf"
sed "s/^127.0.0.1:2525 /127.0.0.1:$pkport /" "$here/examples/master.cf" >"$pk/master.cf"
POSTKIT_DAEMON_DIR=$BUILD/mta "$POSTFIX_PK" -c "$pk" start >/dev/null 2>&1 || {
	echo "postkit did not start" >&2; cat "$pk/maillog" >&2; exit 1; }
sleep 1
pkres=$(run postkit "$pk" "$pkport" "$user" local)
pkrel=""
[ "$modes" = local ] || pkrel=$(run postkit "$pk" "$pkport" "$user" relay)

# --- Postfix
pfres=""
pfrel=""
if [ "$(id -u)" -eq 0 ] && [ -x /usr/sbin/postfix ] && [ -d /usr/lib/postfix/sbin ]; then
	pf=$TMP/pf
	mkdir -p "$pf/mail" "$pf/data" "$pf/queue"
	chmod 1777 "$pf/mail"
	chown postfix "$pf/data"
	pfport=$(free_port)
	main_cf "$pf" "$sinkport" >"$pf/main.cf"
	# Debian's master.cf, unchrooted, smtpd on our port
	sed -e "s/^smtp      inet  n       -       y/127.0.0.1:$pfport inet n - n/" \
		-e 's/^\([a-z0-9]* *unix *[-ny] *[-ny] *\)y/\1n/' /etc/postfix/master.cf >"$pf/master.cf"
	if postfix -c "$pf" start >"$TMP/pf.out" 2>&1; then
		sleep 1
		pfres=$(run Postfix "$pf" "$pfport" nobody local)
		[ "$modes" = local ] || pfrel=$(run Postfix "$pf" "$pfport" nobody relay)
	else
		echo "Postfix did not start: postkit only" >&2
		cat "$TMP/pf.out" "$pf/maillog" >&2
	fi
fi

# table MODE PKRES PFRES - one block of results
table() {
	printf '%-8s %10s %10s %10s %8s   (%s: %d messages, %d sessions)\n' "" "accept/s" "e2e/s" \
		"cpu ms/msg" "rss MB" "$1" "$N" "$S"
	echo "$2" | awk '{ printf "%-8s %10s %10s %10s %8s\n", "postkit", $1, $2, $3, $4 }'
	if [ -n "$3" ]; then
		echo "$3" | awk '{ printf "%-8s %10s %10s %10s %8s\n", "Postfix", $1, $2, $3, $4 }'
		printf '%s %s\n' "$2" "$3" | awk '{ printf "%-8s %9.2fx %9.2fx %9.2fx %7.2fx\n", "ratio",
			$1 / $5, $2 / $6, ($7 > 0 ? $3 / $7 : 0), ($8 > 0 ? $4 / $8 : 0) }'
	fi
}

table "local, $KIND" "$pkres" "$pfres"
[ "$modes" = local ] || table relay "$pkrel" "$pfrel"
if [ "$KIND" = milter ]; then
	echo "signed: postkit $(grep -c '^DKIM-Signature:' "$TMP/pk/mail/$user" 2>/dev/null),"\
		"Postfix $(grep -c '^DKIM-Signature:' "$TMP/pf/mail/nobody" 2>/dev/null) of $N"
fi
