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
cfg=/etc/haproxy/haproxy.cfg
cleanup() {
  remove_dropin $unit
  vm "[ -f /root/haproxy.cfg.zjail-test ] && mv /root/haproxy.cfg.zjail-test $cfg; true" || true
}
trap cleanup EXIT
vm "cp -p $cfg /root/haproxy.cfg.zjail-test && cat >>$cfg" <<'CFG'

frontend zjail_test
	bind 127.0.0.1:8080
	default_backend zjail_backend

backend zjail_backend
	server local 127.0.0.1:8081

listen zjail_origin
	bind 127.0.0.1:8081
	http-request return status 200 content-type text/plain string "hello through haproxy"
CFG
install_dropin $unit
start_unit $unit
pid=$(daemon_pid $unit)

# --- The real client ---------------------------------------------------------------------
# shellcheck disable=SC2016  # expanded in the VM
out=$(vm 'for i in $(seq 1 50); do curl -fsS -D - http://127.0.0.1:8080/ 2>/dev/null && break; sleep 0.2; done')
printf '%s\n' "$out"
assert_match "curl through the frontend to the backend" '^hello through haproxy$' "$out"
assert_match "the stats socket in /run/haproxy answers" '^Name: HAProxy' \
  "$(vm "echo 'show info' | nc -U -N /run/haproxy/admin.sock | head -n 3")"

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
