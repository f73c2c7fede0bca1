#!/bin/bash
# The VM is the real systemd host the other system tests rely on: systemd is
# PID 1 on the unified cgroup hierarchy with the controllers zjail's limits
# need, and logind, the system bus and sshd are up.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

assert_eq "PID 1" systemd "$(vm cat /proc/1/comm)"
assert_eq "PID 1 binary" /usr/lib/systemd/systemd "$(vm readlink /proc/1/exe)"
assert_match "systemd version" '^systemd 25[0-9]' "$(vm systemctl --version)"

assert_eq "/sys/fs/cgroup type" cgroup2fs "$(vm stat -f -c %T /sys/fs/cgroup)"
assert_eq "cgroup v1 hierarchies" "" "$(vm "awk '\$3 == \"cgroup\"' /proc/self/mounts")"
controllers=$(vm cat /sys/fs/cgroup/cgroup.controllers)
for c in memory pids cpu io; do
  assert_match "controller $c available" "(^| )$c( |$)" "$controllers"
done
# systemd enables them for its slices, where units and zjail's scopes live.
subtree=$(vm cat /sys/fs/cgroup/system.slice/cgroup.subtree_control)
for c in memory pids; do
  assert_match "controller $c enabled in system.slice" "(^| )$c( |$)" "$subtree"
done

for unit in systemd-logind.service dbus.service ssh.service systemd-journald.service; do
  assert_eq "$unit" active "$(vm systemctl is-active "$unit")"
done
# logind is not just running: this very ssh login is a session of it.
assert_match "logind session of this ssh login" '^[0-9]+ +0 +root' \
  "$(vm loginctl list-sessions --no-legend)"
# The manager answers on the system bus, where zjail asks for its scopes.
assert_match "systemd on the system bus" '^s "25[0-9]' \
  "$(vm busctl get-property org.freedesktop.systemd1 /org/freedesktop/systemd1 \
      org.freedesktop.systemd1.Manager Version)"
assert_eq "system state" running "$(vm systemctl is-system-running || true)"
