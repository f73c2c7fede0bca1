#!/bin/bash
# Debian's unbound.service with the unbound drop-in: dig asks the jailed
# resolver on 127.0.0.1:53 and ::1:53, UDP and TCP, sockets zjail bound
# and unbound took with use-systemd. Unbound runs as unbound without
# capabilities; its jail has no shell and cannot change its own config.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=daemon.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/daemon.sh"

unit=unbound.service
cleanup() {
  remove_dropin $unit
  unfixture_unbound
}
trap cleanup EXIT
fixture_unbound
install_dropin $unit
# Type=notify: READY=1 once it serves, relayed by zjail.
start_unit $unit
pid=$(daemon_pid $unit)

# --- The real client -------------------------------------------------------------------
workload_unbound
# Port 53 belongs to sockets zjail bound, which unbound took over.
assert_match "unbound is using the sockets from zjail" 'LISTEN.*127\.0\.0\.1:53 ' "$(vm ss -Htln 'sport = :53')"

# --- Confinement ---------------------------------------------------------------------------
assert_confined "$pid" unbound
assert_no_caps "$pid"
assert_jail_read_only "$pid" /etc/unbound
assert_jail_lacks "$pid" /etc/shadow /bin/sh /usr/bin/sh /root /etc/ssh
