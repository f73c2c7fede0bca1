#!/bin/bash
# Helpers for the t-daemon-*.sh tests, sourced after lib.sh: a Debian
# daemon started through its distro unit with the repo's drop-in
# (units/dropins/) installed, and facts about the jailed process read from
# the host.
#
#   install_dropin UNIT [DIR]   units/dropins/UNIT.d/zjail.conf.in into
#                               /etc/systemd/system/UNIT.d/ (or DIR), with
#                               the guest's paths; units/conf/ into
#                               /usr/share/zjail/conf
#   remove_dropin UNIT          stop UNIT and remove its drop-in
#   start_unit UNIT             start it, or fail with its journal
#   daemon_pid UNIT             the pid of the jailed daemon (the jail's
#                               PID 2) in UNIT's cgroup
#   jail_status PID             /proc/PID/status of the jailed process
#   assert_confined PID USER    runs as USER, no capabilities, no_new_privs,
#                               a seccomp filter, a root of its own
#   assert_jail_lacks PID PATH...      none of PATH exists in its root
#   assert_jail_read_only PID PATH     PATH is on a read-only mount there
#   assert_service_dir PATH USER MODE  the profile's StateDirectory= (...)
#                               made PATH on the host for USER with MODE

source_dir=${ZJAIL_SOURCE_DIR:-$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)}
readonly guest_conf_dir=/usr/share/zjail/conf

install_dropin() {
  local unit=$1 src=$source_dir/units/dropins/$1.d/zjail.conf.in
  [[ -f $src ]] || fail "no drop-in $src"
  tar -C "$source_dir/units" -cf - conf | vm "mkdir -p $guest_conf_dir && tar -C $guest_conf_dir --strip-components=1 -xf - --no-same-owner"
  sed -e "s|@ZJAIL_BIN@|$ZJAIL_GUEST_BIN|g" -e "s|@ZJAIL_CONF_DIR@|$guest_conf_dir|g" -- "$src" |
    vm "mkdir -p /etc/systemd/system/$unit.d && cat >/etc/systemd/system/$unit.d/zjail.conf"
  # A unit systemd has not loaded yet picks the drop-in up when it is first
  # used; daemon-reload (seconds under TCG) only when it is already loaded
  # without it, or with an older copy.
  local state
  state=$(vm systemctl show -p DropInPaths -p NeedDaemonReload "$unit")
  if ! grep -q "/etc/systemd/system/$unit.d/zjail.conf" <<<"$state" ||
      grep -qx NeedDaemonReload=yes <<<"$state"; then
    vm systemctl daemon-reload
  fi
  vm systemctl show -p DropInPaths --value "$unit" | grep -q "$unit.d/zjail.conf" ||
    fail "systemd did not load the drop-in for $unit"
  echo "ok: drop-in installed for $unit"
}

remove_dropin() {
  local unit=$1
  vm "systemctl stop $unit; systemctl reset-failed $unit; rm -rf /etc/systemd/system/$unit.d" \
    >/dev/null 2>&1 || true
}

start_unit() {
  local unit=$1
  if ! vm timeout 120 systemctl start "$unit"; then
    vm "systemctl status --no-pager --full --lines=40 $unit" || true
    fail "systemctl start $unit failed: $(vm journalctl -q --no-pager -o cat -u "$unit" -n 3 | tr '\n' ' ')"
  fi
  local exe
  # shellcheck disable=SC2016  # expanded in the VM
  # Right after the fork the main process is still systemd's child on its
  # way to exec: poll.
  exe=$(vm "for i in \$(seq 1 50); do
      pid=\$(systemctl show -p MainPID --value $unit)
      exe=\$([ \"\$pid\" != 0 ] && readlink /proc/\$pid/exe)
      [ \"\$exe\" = '$ZJAIL_GUEST_BIN' ] && break
      sleep 0.2
    done; echo \$exe")
  if [[ $exe != "$ZJAIL_GUEST_BIN" ]]; then
    vm "systemctl status --no-pager --full --lines=0 $unit; journalctl -q --no-pager -o cat -u $unit -n 30" || true
    fail "$unit: the main process is '${exe:-none}', not zjail"
  fi
  echo "ok: $unit runs, its main process is zjail"
}

daemon_pid() {
  local unit=$1 pid
  # The payload is PID 2 of the jail: the one child of zjail's init
  # (comm zjail-init). Its own comm may be anything (redis-server's is
  # redis-check-rdb, the name the binary has on disk).
  # shellcheck disable=SC2016  # expanded in the VM
  pid=$(vm "cg=/sys/fs/cgroup\$(systemctl show -p ControlGroup --value $unit)
    for i in \$(seq 1 100); do
      for p in \$(cat \$(find \$cg -name cgroup.procs) | sort -n); do
        pp=\$(awk '\$1 == \"PPid:\" { print \$2 }' /proc/\$p/status 2>/dev/null)
        [ -n \"\$pp\" ] && [ \"\$(cat /proc/\$pp/comm 2>/dev/null)\" = zjail-init ] && { echo \$p; exit 0; }
      done
      sleep 0.2
    done")
  [[ -n $pid ]] || fail "no jailed process in $unit's cgroup"
  printf '%s\n' "$pid"
}

jail_status() { vm cat "/proc/$1/status"; }

assert_confined() {
  local pid=$1 user=$2 status uid
  status=$(jail_status "$pid")
  uid=$(vm id -u "$user")
  assert_eq "pid $pid runs as $user (real effective saved fs)" "$uid $uid $uid $uid" \
    "$(status_field Uid "$status" | tr -s '[:space:]' ' ' | sed 's/ $//')"
  assert_eq "pid $pid NoNewPrivs" 1 "$(status_field NoNewPrivs "$status")"
  assert_eq "pid $pid Seccomp (2 = filter)" 2 "$(status_field Seccomp "$status")"
  # A root of its own: the host's / and the jail's / are different mounts.
  [[ $(vm "stat -L -c %d:%i /proc/$pid/root/") != $(vm "stat -c %d:%i /") ]] ||
    fail "pid $pid sees the host's root"
  echo "ok: pid $pid has a root of its own"
}

assert_no_caps() {
  local pid=$1 status cap
  status=$(jail_status "$pid")
  for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
    assert_eq "pid $pid $cap" 0000000000000000 "$(status_field "$cap" "$status")"
  done
}

assert_jail_lacks() {
  local pid=$1 path
  shift
  for path in "$@"; do
    if vm "test -e /proc/$pid/root$path || test -L /proc/$pid/root$path"; then
      fail "$path exists in the jail of pid $pid"
    fi
    echo "ok: no $path in the jail of pid $pid"
  done
}

assert_jail_read_only() {
  local pid=$1 path=$2 err
  # Even root gets EROFS from a read-only mount, whatever the permissions.
  err=$(vm "touch /proc/$pid/root$path/.zjail-ro-probe 2>&1; rm -f /proc/$pid/root$path/.zjail-ro-probe 2>/dev/null; true")
  assert_match "$path is read-only in the jail of pid $pid" 'Read-only file system' "$err"
}

assert_service_dir() {
  local path=$1 user=$2 mode=$3
  assert_match "$path is $user's, mode $mode" "^$user $user $mode\$" "$(vm "stat -c '%U %G %a' $path")"
}
