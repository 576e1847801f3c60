#!/bin/sh
# bench/check.sh - time `postfix check` on a generated 10,000-line main.cf
#
# usage: bench/check.sh [BUILDDIR [RUNS]]
#
# The configuration is realistic in shape, only large: a few hundred ordinary
# settings, restriction classes with access tables, user-defined parameters
# referenced with $name, and long continuation lists (mynetworks,
# virtual_alias_domains, relay_domains).  It is written to a temporary
# directory (removed at exit) with a standard master.cf, a queue directory
# and the tables it names.  Prints the line count and the mean wall time of
# RUNS (default 5) runs of postkit's check, and for comparison the time of
# `postconf -n` on the same directory with postkit's postconf and, when it is
# installed, Postfix 3.7's (Postfix's own `postfix check` needs root and a
# real instance, so it is not run).
set -eu
builddir=${1:-.}
runs=${2:-5}
postfix=$builddir/tools/postfix/postfix
[ -x "$postfix" ] || { echo "bench/check.sh: $postfix is not built" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/postkit-bench-check.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT INT TERM

for d in active bounce corrupt defer deferred flush hold incoming maildrop pid private \
	public saved trace; do
	mkdir -p "$dir/spool/$d"
done
printf 'postmaster root\n' >"$dir/aliases"
printf '192.0.2.0/24 OK\n' >"$dir/clients.cidr"
printf 'spammer.example REJECT\n' >"$dir/senders"
cat >"$dir/master.cf" <<'MASTER'
smtp      inet  n       -       n       -       -       smtpd
submission inet n       -       n       -       -       smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
MASTER

awk -v dir="$dir" 'BEGIN {
	print "compatibility_level = 3.6"
	print "myhostname = mail.example.com"
	print "mydomain = example.com"
	print "myorigin = $mydomain"
	print "mydestination = $myhostname, localhost.$mydomain, localhost, $mydomain"
	print "queue_directory = " dir "/spool"
	print "alias_maps = texthash:$config_directory/aliases"
	print "alias_database = texthash:$config_directory/aliases"
	print "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated,"
	print "    defer_unauth_destination"
	n = 10
	# ordinary settings, each once
	split("smtpd_timeout=300s smtpd_recipient_limit=1000 disable_vrfy_command=yes " \
	    "smtpd_helo_required=yes message_size_limit=52428800 mailbox_size_limit=0 " \
	    "maximal_queue_lifetime=5d bounce_queue_lifetime=5d minimal_backoff_time=300s " \
	    "maximal_backoff_time=4000s queue_run_delay=300s default_process_limit=100 " \
	    "smtpd_client_connection_count_limit=50 smtpd_client_connection_rate_limit=0 " \
	    "smtpd_error_sleep_time=1s smtpd_soft_error_limit=10 smtpd_hard_error_limit=20 " \
	    "smtpd_tls_security_level=may smtp_tls_security_level=may smtputf8_enable=yes " \
	    "inet_protocols=all inet_interfaces=all biff=no append_dot_mydomain=no " \
	    "recipient_delimiter=+ home_mailbox=Maildir/ delay_warning_time=4h " \
	    "smtpd_sasl_auth_enable=yes smtpd_sasl_type=dovecot smtpd_sasl_path=private/auth", kv, " ")
	for (i = 1; i in kv; i++) { sub(/=/, " = ", kv[i]); print kv[i]; n++ }
	# 500 restriction classes, each used by smtpd_recipient_restrictions
	printf "smtpd_restriction_classes ="; n++
	for (i = 0; i < 500; i++) { printf "\n    class_%d", i; n++ }
	print ""
	for (i = 0; i < 500; i++) {
		print "class_" i " = check_client_access cidr:$config_directory/clients.cidr,"; n++
		print "    check_sender_access texthash:$config_directory/senders, reject_non_fqdn_sender"; n++
	}
	printf "smtpd_recipient_restrictions = reject_non_fqdn_recipient"; n++
	for (i = 0; i < 500; i++) { printf ",\n    class_%d", i; n++ }
	print ""
	# 1000 user-defined parameters referenced from smtpd_banner-like texts
	for (i = 0; i < 1000; i++) { print "site_note_" i " = note " i; n++ }
	printf "smtpd_banner = $myhostname ESMTP"; n++
	for (i = 0; i < 1000; i++) { printf " $site_note_%d", i }
	print ""
	# long lists, one element per continuation line, up to 10,000 lines in all
	printf "mynetworks = 127.0.0.0/8"; n++
	for (i = 0; i < 2000; i++) { printf "\n    10.%d.%d.0/24", int(i / 256), i % 256; n++ }
	print ""
	printf "relay_domains ="; n++
	for (i = 0; i < 2000; i++) { printf "\n    relay%d.example.net", i; n++ }
	print ""
	printf "virtual_alias_domains ="; n++
	while (n < 10000) { printf "\n    virtual%d.example.org", n; n++ }
	print ""
}' >"$dir/main.cf"

lines=$(wc -l <"$dir/main.cf")
# mean - mean wall time in ms of RUNS runs of the command
mean() {
	start=$(date +%s%N)
	i=0
	while [ $i -lt "$runs" ]; do
		"$@" >/dev/null 2>&1 || true
		i=$((i + 1))
	done
	end=$(date +%s%N)
	echo $(((end - start) / runs / 1000000))
}
echo "main.cf: $lines lines, $runs runs each"
"$postfix" -c "$dir" check --unprivileged >"$dir/out" 2>&1 && status=0 || status=$?
echo "postkit postfix check: $(mean "$postfix" -c "$dir" check --unprivileged) ms" \
	"(exit $status, $(wc -l <"$dir/out") diagnostics)"
if [ -x "$builddir/tools/postconf/postconf" ]; then
	echo "postkit postconf -n:   $(mean "$builddir/tools/postconf/postconf" -c "$dir" -n) ms"
fi
if [ -x /usr/sbin/postconf ] && /usr/sbin/postconf -d mail_version 2>/dev/null | grep -q '= 3\.7'; then
	echo "Postfix 3.7 postconf -n: $(mean /usr/sbin/postconf -c "$dir" -n) ms"
fi
