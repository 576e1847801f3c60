#!/bin/sh
# bench/postconf.sh - time postkit's postconf side by side with Postfix's.
#
# usage: bench/postconf.sh [--quick] [--builddir DIR] [--postfix PATH]
#
# Rows: `postconf -d`, `postconf -n` on a realistic main.cf (a standalone
# server's settings, Debian's master.cf), and `postconf -n` on generated
# main.cf files of 10,000 and 100,000 parameters that reference each other
# (p0 references p1 and p2, p1 references p3 and p4, ..., and mydestination
# references p0, so every one is used and -n has to scan them all).
# Each row checks first that both programs print the same thing, then times
# them with hyperfine when it is installed (else a loop over `date +%s%N`)
# and prints mean wall-clock and CPU (user + system) times and the ratios
# Postfix/postkit (> 1: postkit faster).  On a busy or virtualised machine
# the wall-clock numbers are noisy; the CPU column is the steadier one.
# Postfix's postconf is used when it exists and says mail_version 3.7.x;
# otherwise only postkit is timed.  --quick runs fewer iterations.

LC_ALL=C
export LC_ALL
here=$(cd "$(dirname "$0")" && pwd)
builddir=${top_builddir:-$here/..}
postfix=/usr/sbin/postconf
runs=10
while [ $# -gt 0 ]; do
	case $1 in
	--quick) runs=3 ;;
	--builddir) builddir=$2; shift ;;
	--builddir=*) builddir=${1#--builddir=} ;;
	--postfix) postfix=$2; shift ;;
	*) echo "usage: $0 [--quick] [--builddir DIR] [--postfix PATH]" >&2; exit 2 ;;
	esac
	shift
done
ours=$(cd "$builddir" && pwd)/tools/postconf/postconf
if [ ! -x "$ours" ]; then
	echo "postconf.sh: $ours not built" >&2
	exit 2
fi
probe=$(mktemp -d "${TMPDIR:-/tmp}/pcbench.XXXXXX") || exit 2
trap 'rm -rf "$probe"' EXIT
: >"$probe/main.cf"
if [ -x "$postfix" ] && "$postfix" -c "$probe" -dh mail_version 2>/dev/null | grep -q '^3\.7\.'; then
	have_postfix=1
else
	have_postfix=0
	echo "(Postfix 3.7's postconf not found: timing postkit only)"
fi

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
	else
		mean_ms "$@"
	fi
}

# ratio A B - A/B with two decimals, "-" when either is not a number
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'
}

printf '%-34s %10s %10s %6s   %10s %10s %6s\n' "case (mean ms)" "Postfix" "postkit" "ratio" \
	"Postfix" "postkit" "ratio"
printf '%-34s %10s %10s %6s   %10s %10s %6s\n' "" "wall" "wall" "" "cpu" "cpu" ""
row() { # label dir args...
	label=$1
	dir=$2
	shift 2
	if [ $have_postfix = 1 ]; then
		"$postfix" -c "$dir" "$@" 2>/dev/null | grep -v '^process_id = ' >"$probe/a"
		"$ours" -c "$dir" "$@" 2>/dev/null | grep -v '^process_id = ' >"$probe/b"
		cmp -s "$probe/a" "$probe/b" || label="$label (OUTPUT DIFFERS)"
		set -- $(measure "$postfix" -c "$dir" "$@") "$@"
		pf_wall=$1 pf_cpu=$2
		shift 2
	else
		pf_wall=- pf_cpu=-
	fi
	set -- $(measure "$ours" -c "$dir" "$@")
	printf '%-34s %10s %10s %6s   %10s %10s %6s\n' "$label" "$pf_wall" "$1" "$(ratio "$pf_wall" "$1")" \
		"$pf_cpu" "$2" "$(ratio "$pf_cpu" "$2")"
}

setup "$probe/empty" empty
setup "$probe/real" realistic
setup "$probe/g10k" 10000
setup "$probe/g100k" 100000
row "postconf -d" "$probe/empty" -d
row "postconf -n (realistic main.cf)" "$probe/real" -n
row "postconf -n (10,000 parameters)" "$probe/g10k" -n
row "postconf -n (100,000 parameters)" "$probe/g100k" -n
