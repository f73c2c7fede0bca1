#!/bin/bash
# Debian's memcached.service with the memcached drop-in: a set/get exchange
# in memcached's text protocol over nc; memcached runs as memcache without
# capabilities, with no host file but its libraries in its jail, and under
# the profile's memory and task limits in its cgroup leaf.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=daemon.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/daemon.sh"

unit=memcached.service
trap 'remove_dropin $unit' EXIT
install_dropin $unit
start_unit $unit
pid=$(daemon_pid $unit)

# --- The real protocol -----------------------------------------------------------
workload_memcached

# --- Confinement -------------------------------------------------------------------
assert_confined "$pid" memcache
assert_no_caps "$pid"
# Nothing of the host's /etc but the loader cache and name resolution: no
# passwd, no shadow, no ssh keys; no shell.
assert_jail_lacks "$pid" /etc/passwd /etc/shadow /etc/ssh /etc/memcached.conf /bin/sh /usr/bin/perl
# The profile's limits on the jail's leaf of the unit's cgroup.
# shellcheck disable=SC2016  # expanded in the VM
limits=$(vm "cg=/sys/fs/cgroup\$(systemctl show -p ControlGroup --value $unit)
  leaf=\$(dirname \$(grep -l '^$pid\$' \$cg/*/cgroup.procs))
  echo memory.max=\$(cat \$leaf/memory.max) pids.max=\$(cat \$leaf/pids.max)")
assert_eq "the jail's cgroup limits (MemoryMax=256M TasksMax=32)" "memory.max=268435456 pids.max=32" "$limits"
