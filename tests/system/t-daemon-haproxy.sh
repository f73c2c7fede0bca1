#!/bin/bash
# Debian's haproxy.service with the haproxy drop-in and Debian's haproxy.cfg
# (chroot, user, group, stats socket) plus a frontend on 127.0.0.1:8080 that
# proxies to a backend on 127.0.0.1:8081: curl goes through both. HAProxy
# (one process, see the drop-in) is chrooted inside the jail, where it sees
# neither /etc nor /usr, and holds CAP_SYS_CHROOT, in the jail's user
# namespace only, and nothing else.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=daemon.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/daemon.sh"

unit=haproxy.service
cleanup() {
  remove_dropin $unit
  unfixture_haproxy
}
trap cleanup EXIT
fixture_haproxy
install_dropin $unit
start_unit $unit
pid=$(daemon_pid $unit)

# --- The real client ---------------------------------------------------------------------
workload_haproxy

# --- Confinement ----------------------------------------------------------------------------
assert_confined "$pid" haproxy
status=$(jail_status "$pid")
# CAP_SYS_CHROOT (bit 18) and nothing else, in every set it is in.
for cap in CapPrm CapEff CapBnd CapAmb; do
  assert_eq "$cap (CAP_SYS_CHROOT only)" 0000000000040000 "$(status_field "$cap" "$status")"
done
# It chrooted to /var/lib/haproxy inside the jail: its root holds only the
# chroot's empty dev/, not even the jail's /etc.
assert_eq "haproxy's root (a chroot inside the jail)" "dev" "$(vm "ls /proc/$pid/root/")"
assert_jail_lacks "$pid" /etc /bin/sh /usr /root
