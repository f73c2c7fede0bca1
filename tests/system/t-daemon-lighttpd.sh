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
cleanup() {
  remove_dropin $unit
  unfixture_lighttpd
}
trap cleanup EXIT
fixture_lighttpd
install_dropin $unit
start_unit $unit
pid=$(daemon_pid $unit)

# --- The real client -----------------------------------------------------------------------
workload_lighttpd

# --- Confinement ----------------------------------------------------------------------------
assert_confined "$pid" www-data
assert_no_caps "$pid"
assert_jail_lacks "$pid" /etc/shadow /etc/ssh /root /etc/ssl/private
assert_jail_read_only "$pid" /var/www/html
assert_jail_read_only "$pid" /etc/lighttpd
