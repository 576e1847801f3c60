# bench/lib.sh - shared by the benchmarks (sourced): the configurations they run on
# (Debian's master.cf, a realistic main.cf, generated main.cf files of N parameters),
# and timing helpers (hyperfine when installed, else a loop; results in milliseconds).
# The caller sets $here (this directory) and calls bench_init.

# bench_init NAME ARGS... - the options every postconf benchmark takes (--quick, --builddir
# DIR, --postfix PATH, --params N), then $ours (postkit's postconf), $probe (a scratch
# directory removed at exit), $runs, $params and $have_postfix (1 when $postfix is 3.7's)
bench_init() {
	name=$1
	shift
	builddir=${top_builddir:-$here/..}
	postfix=/usr/sbin/postconf
	runs=10
	params=10000
	while [ $# -gt 0 ]; do
		case $1 in
		--quick) runs=3 ;;
		--builddir) builddir=$2; shift ;;
		--builddir=*) builddir=${1#--builddir=} ;;
		--postfix) postfix=$2; shift ;;
		--params) params=$2; shift ;;
		*) echo "usage: $name [--quick] [--builddir DIR] [--postfix PATH] [--params N]" >&2
			exit 2 ;;
		esac
		shift
	done
	ours=$(cd "$builddir" && pwd)/tools/postconf/postconf
	if [ ! -x "$ours" ]; then
		echo "$name: $ours not built" >&2
		exit 2
	fi
	probe=$(mktemp -d "${TMPDIR:-/tmp}/pcbench.XXXXXX") || exit 2
	trap 'rm -rf "$probe"' EXIT
	: >"$probe/main.cf"
	if [ -x "$postfix" ] && "$postfix" -c "$probe" -dh mail_version 2>/dev/null |
		grep -q '^3\.7\.'; then
		have_postfix=1
	else
		have_postfix=0
		echo "(Postfix 3.7's postconf not found: timing postkit only)"
	fi
}

# master.cf: the one Debian ships, as services matter for the parameter universe.
master() {
	cat <<'EOF'
smtp      inet  n       -       y       -       -       smtpd
pickup    unix  n       -       y       60      1       pickup
cleanup   unix  n       -       y       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       y       1000?   1       tlsmgr
rewrite   unix  -       -       y       -       -       trivial-rewrite
bounce    unix  -       -       y       -       0       bounce
defer     unix  -       -       y       -       0       bounce
trace     unix  -       -       y       -       0       bounce
verify    unix  -       -       y       -       1       verify
flush     unix  n       -       y       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       y       -       -       smtp
relay     unix  -       -       y       -       -       smtp
        -o syslog_name=postfix/$service_name
showq     unix  n       -       y       -       -       showq
error     unix  -       -       y       -       -       error
retry     unix  -       -       y       -       -       error
discard   unix  -       -       y       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       y       -       -       lmtp
anvil     unix  -       -       y       -       1       anvil
scache    unix  -       -       y       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
maildrop  unix  -       n       n       -       -       pipe
  flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient}
uucp      unix  -       n       n       -       -       pipe
  flags=Fqhu user=uucp argv=uux -r -n -z -a$sender - $nexthop!rmail ($recipient)
EOF
}

# realistic - a standalone server's main.cf
realistic() {
	cat <<'EOF'
# A standalone mail server.
compatibility_level = 3.6
myhostname = mail.example.com
mydomain = example.com
myorigin = $mydomain
inet_interfaces = all
inet_protocols = ipv4
mydestination = $myhostname, localhost.$mydomain, localhost, $mydomain
mynetworks = 127.0.0.0/8 [::1]/128 192.0.2.0/24
relay_domains = $mydestination
relayhost =
alias_maps = hash:/etc/aliases
alias_database = hash:/etc/aliases
home_mailbox = Maildir/
mailbox_size_limit = 0
message_size_limit = 52428800
recipient_delimiter = +
smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)
biff = no
append_dot_mydomain = no
readme_directory = no
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
smtpd_tls_security_level = may
smtp_tls_CApath = /etc/ssl/certs
smtp_tls_security_level = may
smtp_tls_session_cache_database = btree:${data_directory}/smtp_scache
smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated
    defer_unauth_destination
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination,
    reject_unknown_recipient_domain, reject_rbl_client zen.spamhaus.org
smtpd_helo_required = yes
smtpd_helo_restrictions = permit_mynetworks, reject_invalid_helo_hostname
smtpd_sender_restrictions = reject_unknown_sender_domain
disable_vrfy_command = yes
virtual_alias_domains = example.net
virtual_alias_maps = hash:/etc/postfix/virtual
transport_maps = hash:/etc/postfix/transport
header_checks = regexp:/etc/postfix/header_checks
maximal_queue_lifetime = 3d
bounce_queue_lifetime = 1d
smtpd_client_connection_count_limit = 20
anvil_rate_time_unit = 60s
EOF
}

# generated N - N parameters in a binary tree of references
generated() {
	awk -v n="$1" 'BEGIN {
		print "compatibility_level = 3.6"
		print "mydestination = $myhostname, localhost, $p0"
		for (i = 0; i < n; i++) {
			l = 2 * i + 1; r = 2 * i + 2
			s = "p" i " = item" i
			if (l < n) s = s " $p" l
			if (r < n) s = s " ${p" r "}"
			print s
		}
	}'
}

setup() { # dir kind
	mkdir -p "$1"
	master >"$1/master.cf"
	case $2 in
	empty) : >"$1/main.cf" ;;
	realistic) realistic >"$1/main.cf" ;;
	*) generated "$2" >"$1/main.cf" ;;
	esac
	# Postfix reads a main.cf changed within the last second again and again
	# until it is older (300 ms naps): age the files so that is not timed.
	touch -d '1 minute ago' "$1/main.cf" "$1/master.cf"
}

# now_ns - nanoseconds
now_ns() {
	date +%s%N
}

# mean_ms PROG ARGS... - "WALL CPU" mean milliseconds over $runs runs (no hyperfine: CPU "-")
mean_ms() {
	"$@" >/dev/null 2>&1 # warm-up
	start=$(now_ns)
	i=0
	while [ $i -lt $runs ]; do
		"$@" >/dev/null 2>&1
		i=$((i + 1))
	done
	end=$(now_ns)
	echo $(((end - start) / runs / 1000)) | awk '{ printf "%.1f -", $1 / 1000 }'
}

# py_ms PROG ARGS... - "WALL CPU" mean milliseconds over $runs runs, CPU (user + system) from
# the children's rusage (microseconds, where the shell's `times` has 10 ms ticks)
py_ms() {
	python3 - "$runs" "$@" <<'EOF'
import resource, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
subprocess.run(cmd, **quiet)  # warm-up
r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
for _ in range(runs):
    subprocess.run(cmd, **quiet)
t1, r1 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print("%.2f %.2f" % ((t1 - t0) * 1000 / runs, cpu * 1000 / runs))
EOF
}

# interleaved_ms CMD... - like py_ms for several commands, each CMD one string split on
# spaces: $runs rounds that run every command once in turn, so that a change in the
# machine's load falls on all of them alike; one "WALL CPU" line per command, in order
interleaved_ms() {
	python3 - "$runs" "$@" <<'EOF'
import os, sys, time
runs, cmds = int(sys.argv[1]), [c.split() for c in sys.argv[2:]]
null = os.open(os.devnull, os.O_RDWR)
acts = [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
wall, cpu = [0.0] * len(cmds), [0.0] * len(cmds)
for r in range(runs + 1):  # round 0 warms up
    for i, c in enumerate(cmds):
        t0 = time.perf_counter()
        pid = os.posix_spawn(c[0], c, os.environ, file_actions=acts)
        ru = os.wait4(pid, 0)[2]
        if r:
            wall[i] += time.perf_counter() - t0
            cpu[i] += ru.ru_utime + ru.ru_stime
for w, c in zip(wall, cpu):
    print("%.2f %.2f" % (w * 1000 / runs, c * 1000 / runs))
EOF
}

# hf_ms PROG ARGS... - "WALL CPU" mean milliseconds measured by hyperfine (CPU = user + system)
hf_ms() {
	json=$probe/hf.json
	cmd=$(printf '%s ' "$@")
	hyperfine -N --style none --warmup 1 --runs "$runs" --export-json "$json" "$cmd" \
		>/dev/null 2>&1 || { echo "? ?"; return; }
	awk -F: '
		/"mean"/ && !m { gsub(/[ ,]/, "", $2); m = $2 }
		/"user"/ && !u { gsub(/[ ,]/, "", $2); u = $2 }
		/"system"/ && !s { gsub(/[ ,]/, "", $2); s = $2 }
		END { printf "%.1f %.1f", m * 1000, (u + s) * 1000 }' "$json"
}

measure() {
	if command -v hyperfine >/dev/null 2>&1; then
		hf_ms "$@"
	elif command -v python3 >/dev/null 2>&1; then
		py_ms "$@"
	else
		mean_ms "$@"
	fi
}

# ratio A B - A/B with two decimals, "-" when either is not a number
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'
}

