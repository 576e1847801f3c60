#!/bin/sh
# startup-nets.sh - postmap -q does not read the interface list unless it needs mynetworks
# (issue #18: getifaddrs() was a dozen system calls and a netlink dump at every start), and
# still stops as Postfix's postmap does on a bad mynetworks_style, inet_protocols or
# inet_interfaces (texts from Postfix 3.7.11's postmap).  The first check needs strace.
build=${top_builddir:-.}
postmap=$build/tools/postmap/postmap
[ -x "$postmap" ] || { echo "FAIL: postmap not built"; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/startup-nets.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
printf 'key value\n' >"$dir/t"
: >"$dir/main.cf"
touch -d '1 minute ago' "$dir/main.cf"
fail=0
if command -v strace >/dev/null 2>&1 && strace -o /dev/null true 2>/dev/null; then
	# LeakSanitizer cannot run under ptrace (sanitizer builds)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -e trace=socket -o "$dir/trace" "$postmap" -c "$dir" -q key "texthash:$dir/t" >"$dir/out"
	if grep -q AF_NETLINK "$dir/trace"; then
		echo "FAIL: postmap -q reads the interface list:"; cat "$dir/trace"
		fail=1
	elif [ "$(cat "$dir/out")" != value ]; then
		echo "FAIL: postmap -q key gave '$(cat "$dir/out")'"
		fail=1
	else
		echo "PASS: postmap -q opens no netlink socket"
	fi
else
	echo "SKIP: no strace (the netlink check)"
fi
# check SETTING EXPECTED - postmap -q stops with Postfix's text for a bad SETTING
check() {
	printf '%s\n' "$1" >"$dir/main.cf"
	touch -d '1 minute ago' "$dir/main.cf"
	"$postmap" -c "$dir" -q key "texthash:$dir/t" >"$dir/out" 2>"$dir/err"
	rc=$?
	if [ $rc -ne 1 ] || [ "$(cat "$dir/err")" != "$2" ] || [ -s "$dir/out" ]; then
		echo "FAIL: $1: rc $rc, stderr '$(cat "$dir/err")', want 1 and '$2'"
		fail=1
	else
		echo "PASS: $1"
	fi
}
check 'mynetworks_style = bogus' 'postmap: fatal: unknown mynetworks mask style value "bogus" in "bogus"'
check 'inet_protocols = bogus' 'postmap: fatal: unknown inet_protocols value "bogus" in "bogus"'
check 'inet_interfaces = nosuchhost.invalid' \
	'postmap: fatal: config variable inet_interfaces: host not found: nosuchhost.invalid'
exit $fail
