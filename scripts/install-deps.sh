#!/bin/sh
# install-deps.sh - install what postkit needs to build and test on Debian 12 (run as root).
# The real Postfix is installed as a test oracle and for smtp-source; it is
# preseeded so it neither configures nor starts itself and never writes
# /etc/postfix/main.cf.
set -e
export DEBIAN_FRONTEND=noninteractive
apt-get update
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get install -y --no-install-recommends \
	build-essential autoconf automake pkg-config git ca-certificates \
	libyaml-dev libjansson-dev libgdbm-dev libreadline-dev check libicu-dev \
	python3 python3-jsonschema python3-yaml python3-dnslib clang-format clang \
	util-linux procps iproute2 \
	libpcre2-dev libpq-dev libmariadb-dev libsqlite3-dev liblmdb-dev libldap-dev \
	sqlite3 postgresql mariadb-server mariadb-client \
	postfix postfix-pcre postfix-pgsql postfix-mysql postfix-sqlite postfix-ldap postfix-lmdb \
	libssl-dev openssl dovecot-core swaks postgrey
