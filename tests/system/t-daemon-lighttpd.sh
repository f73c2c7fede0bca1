#!/bin/bash
# Debian's lighttpd.service with the lighttpd drop-in: curl gets a page
# over port 80, which zjail binds and lighttpd takes by socket activation;
# lighttpd runs as www-data without capabilities, its jail has no
# /etc/shadow and the content and config are read-only.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=daemon.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/daemon.sh"

unit=lighttpd.service
page=/var/www/html/zjail-lighttpd.txt
cleanup() {
  remove_dropin $unit
  vm "rm -f $page" || true
}
trap cleanup EXIT
vm "echo 'served by jailed lighttpd' >$page"
install_dropin $unit
start_unit $unit
pid=$(daemon_pid $unit)

# --- The real client -----------------------------------------------------------------------
# shellcheck disable=SC2016  # expanded in the VM
out=$(vm "for i in \$(seq 1 75); do curl -fsS http://127.0.0.1/zjail-lighttpd.txt 2>/dev/null && break; sleep 0.2; done")
assert_eq "curl http://127.0.0.1/zjail-lighttpd.txt" "served by jailed lighttpd" "$out"
# shellcheck disable=SC2016
out=$(vm 'curl -fsS -g "http://[::1]/zjail-lighttpd.txt"')
assert_eq "the same over IPv6 (the socket zjail bound is dual-stack)" "served by jailed lighttpd" "$out"

# --- Confinement ----------------------------------------------------------------------------
assert_confined "$pid" www-data
assert_no_caps "$pid"
assert_jail_lacks "$pid" /etc/shadow /etc/ssh /root /etc/ssl/private
assert_jail_read_only "$pid" /var/www/html
assert_jail_read_only "$pid" /etc/lighttpd
