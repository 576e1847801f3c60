#!/bin/sh
# check-package.sh DEB - check a built postkit .deb without installing it: the
# files are where Postfix's package puts them (dpkg -c), the control fields and
# maintainer scripts are there, and the unpacked postconf runs (dpkg -x into a
# temporary directory).  .ci/run calls it after dpkg-buildpackage.
set -eu
deb=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/postkit-deb-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0

dpkg -c "$deb" >"$tmp/list"
for f in usr/sbin/postconf usr/sbin/postfix usr/sbin/postmap usr/sbin/postalias \
	usr/sbin/sendmail usr/sbin/postdrop usr/sbin/postqueue usr/sbin/postsuper \
	usr/sbin/postcat usr/bin/mailq usr/bin/newaliases usr/lib/postkit/postkit-daemon \
	etc/postkit/main.cf etc/postkit/master.cf etc/postkit/aliases \
	usr/share/man/man1/postconf.1.gz usr/share/man/man1/mailq.1.gz \
	usr/share/man/man5/postkit-params.5.gz usr/share/man/man8/postkit-daemon.8.gz \
	usr/share/postkit/params.def postkit.service; do
	grep -q " \./[^ ]*$f\( ->.*\)\{0,1\}$" "$tmp/list" || { echo "FAIL: $deb has no $f"; fail=1; }
done
if grep -q ' \./usr/include/\| \./usr/lib/.*\.a$' "$tmp/list"; then
	echo "FAIL: $deb ships the static library or its headers"
	fail=1
fi

dpkg-deb -f "$deb" Conflicts | grep -qw postfix || { echo "FAIL: no Conflicts: postfix"; fail=1; }
dpkg-deb -f "$deb" Provides | grep -qw mail-transport-agent ||
	{ echo "FAIL: no Provides: mail-transport-agent"; fail=1; }
dpkg-deb -e "$deb" "$tmp/ctl"
grep -qx /etc/postkit/main.cf "$tmp/ctl/conffiles" || { echo "FAIL: main.cf is no conffile"; fail=1; }
grep -q 'addgroup --system postdrop' "$tmp/ctl/postinst" &&
	grep -q 'dpkg-statoverride --update --add root postdrop 2555' "$tmp/ctl/postinst" ||
	{ echo "FAIL: postinst does not create postdrop or set postdrop set-gid"; fail=1; }

dpkg -x "$deb" "$tmp/root"
out=$("$tmp/root/usr/sbin/postconf" -c "$tmp/root/etc/postkit" -d mail_version) || fail=1
case $out in
"mail_version = "*) echo "unpacked postconf: $out" ;;
*) echo "FAIL: unpacked postconf -d mail_version printed: $out"; fail=1 ;;
esac
[ $fail -eq 0 ] && echo "$deb: contents checked"
exit $fail
