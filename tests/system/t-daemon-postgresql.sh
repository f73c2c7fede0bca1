#!/bin/bash
# Debian's postgresql@15-main.service with the postgresql drop-in: psql
# creates, fills and queries a table over the unix socket and over TCP; the
# postmaster runs as postgres without capabilities, and as the database
# superuser cannot read /etc/shadow (pg_read_file) or run a program (COPY TO
# PROGRAM): the jail has neither.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=daemon.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/daemon.sh"

unit=postgresql@15-main.service
trap 'remove_dropin $unit' EXIT
install_dropin $unit
# Type=notify: started means the postmaster accepts connections.
start_unit $unit
pid=$(daemon_pid $unit)

# --- The real client ------------------------------------------------------------------
workload_postgresql

# --- Confinement: what the database superuser can reach ----------------------------
out=$(psql_as_postgres "SELECT pg_read_file('/etc/shadow');")
printf '%s\n' "$out"
assert_match "pg_read_file('/etc/shadow') finds no such file" 'could not open file "/etc/shadow".*No such file' "$out"
out=$(psql_as_postgres "COPY (SELECT 1) TO PROGRAM 'id';")
printf '%s\n' "$out"
assert_match "COPY TO PROGRAM cannot start a shell" 'could not execute command "id"' "$out"
assert_confined "$pid" postgres
assert_no_caps "$pid"
assert_jail_lacks "$pid" /etc/shadow /bin/sh /usr/bin/sh /root
assert_jail_read_only "$pid" /etc/postgresql
assert_service_dir /var/lib/postgresql postgres 755
assert_service_dir /run/postgresql postgres 2775
# RuntimeDirectoryPreserve=yes: the socket directory (tmpfiles.d's, shared
# with other clusters) outlives the jail.
vm systemctl stop $unit
assert_service_dir /run/postgresql postgres 2775
