#!/bin/bash
# timeout: 900
# zjail export --format systemd (docs/fleet-systemd.md), enforced by the
# VM's systemd 252 without zjail: each daemon profile is exported from its
# unit as zjail's drop-in runs it (--unit: the profile and the command of
# its ExecStart=), the export replaces zjail's drop-in, and the daemon,
# started by systemd alone, serves its real client (daemon.sh's workload_*)
# while it runs as its user without capabilities, with no_new_privs and a
# seccomp filter, on a root of its own without /etc/shadow or a shell.
# Prints `systemd-analyze security` of each unit next to zjail's --analyze.
#
# Two daemon-reloads in all (seconds each under TCG): one with every zjail
# drop-in in place to export from, one with every export in place.
#
# Only zjail's drop-in's process-management lines stay beside the export
# (Type=, PIDFile=, ExecStartPre=, ...): the command runs in the foreground,
# as under zjail. A profile's ListenStream=/ListenDatagram= become the socket
# unit the export's comment block spells out.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=daemon.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/daemon.sh"

# NAME|UNIT|USER|a shell in its root (lighttpd's include_shell keeps /usr/bin)
daemons=(
  "memcached|memcached.service|memcache|no"
  "mosquitto|mosquitto.service|mosquitto|no"
  "nginx|nginx.service|www-data|no"
  "lighttpd|lighttpd.service|www-data|yes"
  "unbound|unbound.service|unbound|no"
  "chrony|chrony.service|_chrony|no"
  "redis-server|redis-server.service|redis|no"
  "postgresql|postgresql@15-main.service|postgres|no"
  "haproxy|haproxy.service|haproxy|no"
)
filter=${ZJAIL_EXPORT_DAEMONS:-}
selected=()
for d in "${daemons[@]}"; do
  [[ -z $filter || " $filter " == *" ${d%%|*} "* ]] && selected+=("$d")
done

readonly sd=/etc/systemd/system
readonly glue_keys='Type|PIDFile|ExecStartPre|ExecReload|ExecStop|KillSignal|KillMode|TimeoutStopSec'
cleanup() {
  local d name unit
  for d in "${selected[@]}"; do
    IFS='|' read -r name unit _ <<<"$d"
    unfixture_"$name" >/dev/null 2>&1 || true
    vm "systemctl stop $unit ${unit%%.service}.socket ${unit%%@*}.socket; rm -rf $sd/$unit.d
      rm -f $sd/${unit%%.service}.socket; systemctl reset-failed $unit" >/dev/null 2>&1 || true
  done
  vm systemctl daemon-reload >/dev/null 2>&1 || true
}
trap cleanup EXIT

# --- 1. zjail's drop-ins, the exports, zjail's own scores ------------------------------------
tar -C "$source_dir/units" -cf - conf | vm "mkdir -p $guest_conf_dir && tar -C $guest_conf_dir --strip-components=1 -xf - --no-same-owner"
for d in "${selected[@]}"; do
  IFS='|' read -r name unit _ <<<"$d"
  fixture_"$name"
  sed -e "s|@ZJAIL_BIN@|$ZJAIL_GUEST_BIN|g" -e "s|@ZJAIL_CONF_DIR@|$guest_conf_dir|g" \
    -- "$source_dir/units/dropins/$unit.d/zjail.conf.in" |
    vm "mkdir -p $sd/$unit.d && cat >$sd/$unit.d/zjail.conf"
done
vm systemctl daemon-reload
declare -A zscore
for d in "${selected[@]}"; do
  IFS='|' read -r name unit _ <<<"$d"
  zscore[$name]=$(vm "$ZJAIL_GUEST_BIN --analyze --unit $unit" | sed -n 's/^Overall exposure level[^0-9]*\([0-9.]*\).*/\1/p')
  vm "set -e; cd $sd/$unit.d
    $ZJAIL_GUEST_BIN export --format systemd --unit $unit --output /root/export-$unit.conf
    $ZJAIL_GUEST_BIN export --format systemd --unit $unit | cmp - /root/export-$unit.conf
    { echo '[Service]'; grep -E '^($glue_keys)=' zjail.conf || true; } >10-process.conf
    rm zjail.conf && cp /root/export-$unit.conf zjail-export.conf" ||
    fail "$name: zjail export --unit $unit failed (or gave other bytes the second time)"
  # The socket unit its comment block spells out.
  # shellcheck disable=SC2016  # expanded in the VM
  vm "sed -n '/^#   \\[Socket\\]\$/,/^#\$/{/^#\$/d;s/^#   //;p}' /root/export-$unit.conf >/tmp/sock
    if [ -s /tmp/sock ]; then mv /tmp/sock $sd/${unit%%.service}.socket; fi; rm -f /tmp/sock"
  echo "ok: $name: exported ($(vm "grep -c '^#   - ' /root/export-$unit.conf") losses listed)"
done
vm systemctl daemon-reload

# --- 2. Each daemon under its export, without zjail ------------------------------------------
failed=()
declare -A sscore
for d in "${selected[@]}"; do
  IFS='|' read -r name unit user shell <<<"$d"
  t0=$SECONDS
  if ! out=$(
    set -e
    vm "systemctl show -p DropInPaths --value $unit" | grep -q zjail-export.conf ||
      fail "systemd did not load the export for $unit"
    if vm "test -e $sd/${unit%%.service}.socket"; then vm "systemctl start ${unit%%.service}.socket"; fi
    if ! vm timeout 120 systemctl start "$unit"; then
      vm "systemctl status --no-pager --full --lines=0 $unit; journalctl -q --no-pager -o cat -u $unit -n 20" || true
      fail "$name: systemctl start $unit failed under the export"
    fi
    pid=$(vm "systemctl show -p MainPID --value $unit")
    [[ $pid != 0 ]] || fail "$name: no main process"
    [[ $(vm "readlink /proc/$pid/exe") != "$ZJAIL_GUEST_BIN" ]] || fail "$name: zjail runs it"
    workload_"$name"
    assert_confined "$pid" "$user"
    if [[ $name == haproxy ]]; then
      # Its one capability, CAP_SYS_CHROOT (18), for its chroot; nothing else.
      for cap in CapBnd CapAmb; do
        assert_eq "pid $pid $cap" 0000000000040000 "$(status_field "$cap" "$(jail_status "$pid")")"
      done
    else
      assert_no_caps "$pid"
    fi
    assert_jail_lacks "$pid" /etc/shadow /root /home /var/spool /etc/ssh
    [[ $shell == yes ]] || assert_jail_lacks "$pid" /bin/sh /usr/bin/sh /usr/bin/bash
    assert_jail_read_only "$pid" /usr
    assert_eq "$name: its root is a tmpfs" tmpfs "$(vm "stat -f -c %T /proc/$pid/root/")"
    vm "systemd-analyze security --no-pager $unit" | tail -n 1
  2>&1); then
    failed+=("$name")
  fi
  printf '%s\n' "$out" | sed "s/^/[$name] /"
  sscore[$name]=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out" | tail -n 1)
  vm "systemctl stop $unit; systemctl stop ${unit%%.service}.socket" >/dev/null 2>&1 || true
  echo "[$name] $((SECONDS - t0)) s"
done

printf '\n| daemon | systemd-analyze security (export) | zjail --analyze (zjail drop-in) |\n|---|---|---|\n'
for d in "${selected[@]}"; do
  name=${d%%|*}
  printf '| %s | %s | %s |\n' "$name" "${sscore[$name]:-?}" "${zscore[$name]:-?}"
done
((${#failed[@]} == 0)) || fail "under the export: ${failed[*]}"
