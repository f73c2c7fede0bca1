#!/bin/bash
# timeout: 900
# zjail export --format systemd (docs/fleet.md), enforced by the
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
failed=() names=()
declare -A sscore
for d in "${selected[@]}"; do
  IFS='|' read -r name unit user shell <<<"$d"
  names+=("$name")
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
    # haproxy chroots into /var/lib/haproxy: its /proc/PID/root is that.
    if [[ $name != haproxy ]]; then
      assert_jail_read_only "$pid" /usr
      assert_eq "$name: its root is a tmpfs" tmpfs "$(vm "stat -f -c %T /proc/$pid/root/")"
    fi
    vm "systemd-analyze security --no-pager $unit" | tail -n 1
  2>&1); then
    failed+=("$name")
  fi
  printf '%s\n' "$out" | sed "s/^/[$name] /"
  sscore[$name]=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out" | tail -n 1)
  vm "systemctl stop $unit; systemctl stop ${unit%%.service}.socket" >/dev/null 2>&1 || true
  echo "[$name] $((SECONDS - t0)) s"
done

# --- 3. sftp-server, forced by sshd, under its export --------------------------------------
# sshd runs a forced command as the user, so no unit of the user's own can
# carry a drop-in: the export goes on a socket-activated template unit
# instead, one instance per session, and sshd's forced command is a relay to
# its socket. The user is the profile's (User= reset there) given with --user.
sftp_user=zjail-export-sftp
sftp_unit=zjail-export-sftp
sftp_snippet=/etc/ssh/sshd_config.d/zjail-export-sftp.conf
sftp_cleanup() {
  vm "rm -f $sftp_snippet; systemctl stop $sftp_unit.socket; rm -rf $sd/$sftp_unit.socket $sd/$sftp_unit@.service $sd/$sftp_unit@.service.d
    systemctl daemon-reload; pkill -u $sftp_user; userdel -r $sftp_user" >/dev/null 2>&1 || true
  sshd_reload >/dev/null 2>&1 || true
}
if [[ -z $filter || " $filter " == *" sftp-server "* ]]; then
  t0=$SECONDS
  if ! out=$(
    set -e
    trap sftp_cleanup EXIT
    # shellcheck disable=SC2016  # expanded in the VM
    vm "set -e
      id $sftp_user >/dev/null 2>&1 || useradd -m -s /bin/bash $sftp_user
      rm -f /root/$sftp_user-key /root/$sftp_user-key.pub
      ssh-keygen -q -t ed25519 -N '' -f /root/$sftp_user-key
      install -d -m 700 -o $sftp_user -g $sftp_user /home/$sftp_user/.ssh
      install -m 600 -o $sftp_user -g $sftp_user /root/$sftp_user-key.pub /home/$sftp_user/.ssh/authorized_keys
      echo 'hello from the host' >/root/$sftp_user-up.txt
      printf '[Socket]\nListenStream=/run/$sftp_unit.sock\nAccept=yes\nSocketMode=0666\n' >$sd/$sftp_unit.socket
      printf '[Service]\nStandardInput=socket\nStandardOutput=socket\nStandardError=journal\nExecStart=/bin/false\n' >$sd/$sftp_unit@.service
      mkdir -p $sd/$sftp_unit@.service.d
      $ZJAIL_GUEST_BIN export --format systemd --profile sftp-server --user $sftp_user \
        --output $sd/$sftp_unit@.service.d/zjail-export.conf -- /usr/lib/openssh/sftp-server -d /home/$sftp_user
      printf 'Match User %s\n\tForceCommand nc -UN /run/$sftp_unit.sock\n\tAllowTcpForwarding no\n' $sftp_user >$sftp_snippet
      systemctl daemon-reload && systemctl start $sftp_unit.socket"
    sshd_reload
    got=$(vm "cd /root && rm -f /root/$sftp_user-down.txt && sftp -b - -i /root/$sftp_user-key -o BatchMode=yes \
      -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null $sftp_user@127.0.0.1 2>&1" <<'BATCH' || true
pwd
put /root/zjail-export-sftp-up.txt up.txt
get up.txt /root/zjail-export-sftp-down.txt
-ls /etc/ssh
-ls /usr/bin/sh
ls -1 /
BATCH
)
    printf '%s\n' "$got"
    assert_match "sftp starts in the user's home (-d)" "^Remote working directory: /home/$sftp_user\$" "$got"
    assert_eq "the file up and down again" "hello from the host" "$(vm cat /root/$sftp_user-down.txt)"
    assert_match "/etc/ssh is not there" '(Can.t ls|stat).*/etc/ssh.*(not found|No such file)' "$got"
    assert_match "no shell" '/usr/bin/sh.*not found|No such file' "$(grep -A1 'ls /usr/bin/sh' <<<"$got")"
    # A session held open: its sftp-server, as systemd runs it.
    # shellcheck disable=SC2016  # expanded in the VM
    pid=$(vm "(sleep 15 </dev/null 2>/dev/null | nc -U /run/$sftp_unit.sock >/dev/null 2>&1 &)
      for i in \$(seq 1 50); do p=\$(pgrep -u $sftp_user -x sftp-server | head -n 1); [ -n \"\$p\" ] && break; sleep 0.2; done; echo \$p")
    [[ -n $pid ]] || fail "sftp-server: no process of a held session"
    assert_confined "$pid" "$sftp_user"
    assert_no_caps "$pid"
    assert_jail_lacks "$pid" /etc/shadow /etc/ssh /root /bin/sh /usr/bin/sh
    assert_eq "sftp-server: its root is a tmpfs" tmpfs "$(vm "stat -f -c %T /proc/$pid/root/")"
    assert_eq "sftp-server: no network but loopback" lo \
      "$(vm "nsenter -t $pid -n ip -o link" | awk -F': ' '{ print $2 }' | paste -sd' ')"
    vm "systemd-analyze security --no-pager $sftp_unit@x.service" | tail -n 1
  2>&1); then
    failed+=(sftp-server)
  fi
  printf '%s\n' "$out" | sed "s/^/[sftp-server] /"
  sscore[sftp-server]=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out" | tail -n 1)
  zscore[sftp-server]=$(vm "$ZJAIL_GUEST_BIN --analyze --profile sftp-server" | sed -n 's/^Overall exposure level[^0-9]*\([0-9.]*\).*/\1/p')
  names+=(sftp-server)
  echo "[sftp-server] $((SECONDS - t0)) s"
fi

# --- 4. The differential probe (tests/parity/README.md) -----------------------------------
# observe, the parity probe, as the command of redis-server's profile: once
# under the profile's export, run by systemd, once under zjail, from a unit
# likewise; the keys whose values differ are printed (docs/fleet.md
# lists them with their reasons).
compare=${ZJAIL_BUILD_DIR:+$ZJAIL_BUILD_DIR/tests/parity/parity_compare}
observe=$ZJAIL_GUEST_DIR/build/tests/parity/observe
probe=zjail-export-probe
if [[ -z $filter || " $filter " == *" probe "* ]]; then
  if [[ -n $compare && -x $compare ]] && vm "test -x $observe"; then
    # shellcheck disable=SC2016  # expanded in the VM
    vm "set -e
      install -D -m 0755 $observe /usr/lib/zjail-parity/observe
      printf '[Service]\nType=oneshot\nStandardOutput=truncate:/root/$probe.native\nStandardError=journal\nExecStart=/bin/false\n' >$sd/$probe.service
      mkdir -p $sd/$probe.service.d
      $ZJAIL_GUEST_BIN export --format systemd --profile redis-server --output $sd/$probe.service.d/zjail-export.conf \
        -- /usr/lib/zjail-parity/observe
      printf '[Service]\nType=oneshot\nDelegate=yes\nStandardOutput=truncate:/root/$probe.zjail\nStandardError=journal\nExecStart=%s --profile redis-server -- /usr/lib/zjail-parity/observe\n' \
        $ZJAIL_GUEST_BIN >$sd/$probe-zjail.service
      systemctl daemon-reload
      systemctl start $probe.service && systemctl start $probe-zjail.service" ||
      failed+=(probe)
    tmp=$(mktemp -d)
    vm "cat /root/$probe.native" >"$tmp/native"
    vm "cat /root/$probe.zjail" >"$tmp/zjail"
    vm "rm -rf $sd/$probe.service $sd/$probe.service.d $sd/$probe-zjail.service /root/$probe.* /usr/lib/zjail-parity
      systemctl daemon-reload" || true
    if [[ -s $tmp/native && -s $tmp/zjail ]]; then
      echo "[probe] redis-server's profile: $(wc -l <"$tmp/native") keys under its export, $(wc -l <"$tmp/zjail") under zjail; the keys that differ (export, then zjail):"
      "$compare" --diff "$tmp/native" "$tmp/zjail" | sed 's/^/[probe] /' || true
    else
      failed+=(probe)
    fi
    rm -rf -- "$tmp"
  else
    echo "SKIP: the differential probe: no parity_compare or observe (run.sh --build-dir with tests/parity built)"
  fi
fi

printf '\n| daemon | systemd-analyze security (export) | zjail --analyze (zjail drop-in) |\n|---|---|---|\n'
for name in "${names[@]}"; do
  printf '| %s | %s | %s |\n' "$name" "${sscore[$name]:-?}" "${zscore[$name]:-?}"
done
((${#failed[@]} == 0)) || fail "under the export: ${failed[*]}"
