#!/bin/sh
# The test suite runs every ledger test on SQLite and on a real PostgreSQL server, which
# tests/pgserver.py starts from the server binaries (initdb, pg_ctl). Make sure they are there:
# as root, install Debian's postgresql package; otherwise say what is missing and stop.
set -eu

have_server() {
    bindir=$(pg_config --bindir 2>/dev/null || true)
    if [ -n "$bindir" ] && [ -x "$bindir/initdb" ] && [ -x "$bindir/pg_ctl" ]; then
        return 0
    fi
    for bindir in /usr/lib/postgresql/*/bin; do
        if [ -x "$bindir/initdb" ] && [ -x "$bindir/pg_ctl" ]; then
            return 0
        fi
    done
    return 1
}

have_server && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL server binaries (initdb, pg_ctl) are missing and the tests need them." >&2
    echo "Install them as root: apt-get install -y postgresql" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL server binaries are missing and there is no apt-get to install them;" \
         "install PostgreSQL (initdb, pg_ctl) with this system's package manager." >&2
    exit 1
fi

echo "installing PostgreSQL for the tests: apt-get install -y postgresql" >&2
export DEBIAN_FRONTEND=noninteractive
apt_install() {
    apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        postgresql
}
if ! apt_install; then
    apt-get update -q
    apt_install
fi
have_server || { echo "apt-get installed postgresql, but initdb and pg_ctl are not found" >&2
                 exit 1; }
