#!/bin/bash
# zjail as the main process of a transient systemd service: the payload runs
# as nobody with no capabilities, no_new_privs and a seccomp filter, and its
# output reaches the journal.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

unit=zjail-smoke
vm "systemctl reset-failed $unit.service 2>/dev/null; true"
cursor=$(journal_cursor)
# --wait returns the service's exit status and prints systemd's summary.
rc=0
run_out=$(vm systemd-run --unit "$unit" --wait \
  -p StandardOutput=journal -p StandardError=journal \
  "$ZJAIL_GUEST_BIN" --ro-bind /usr --ro-bind /lib --ro-bind /lib64 --ro-bind /bin \
  -- /bin/sh -c 'id; cat /proc/self/status' 2>&1) || rc=$?
printf '%s\n' "$run_out"
out=$(unit_output "$unit" "$cursor" '^Seccomp:')
printf 'journal of %s:\n' "$unit"
printf '%s\n' "$out" | sed 's/^/  | /'
((rc == 0)) || fail "systemd-run $unit exited $rc: $(grep -m1 -E '^zjail' <<<"$out" || tail -n 1 <<<"$run_out")"
assert_match "service result" '^Finished with result: success$' "$run_out"
assert_match "main process exit status" 'code=exited/status=0$' "$run_out"

assert_match "id runs as nobody" '^uid=65534(\(nobody\))? gid=65534' "$out"
uid=$(status_field Uid "$out")
assert_eq "Uid (real effective saved fs)" "65534 65534 65534 65534" "$(tr -s '[:space:]' ' ' <<<"$uid" | sed 's/ $//')"
for cap in CapInh CapPrm CapEff CapAmb; do
  assert_eq "$cap" 0000000000000000 "$(status_field "$cap" "$out")"
done
assert_eq NoNewPrivs 1 "$(status_field NoNewPrivs "$out")"
assert_eq "Seccomp (2 = filter)" 2 "$(status_field Seccomp "$out")"

# An idle jail's init hands over to zjail-init (include/zjail/memory.hpp),
# installed next to zjail, and so does its supervisor, the unit's main
# process (include/zjail/handover.hpp); stopping the service still ends the
# whole jail.
unit=zjail-handover
vm "systemctl reset-failed $unit.service 2>/dev/null; true"
vm systemd-run --unit "$unit" "$ZJAIL_GUEST_BIN" --ro-bind /usr --ro-bind /lib --ro-bind /lib64 --ro-bind /bin \
  -- /bin/sleep 300 >/dev/null 2>&1
init_exe=$(vm "for i in \$(seq 100); do
  main=\$(systemctl show -p MainPID --value $unit.service)
  init=\$(cat /proc/\$main/task/\$main/children 2>/dev/null | cut -d' ' -f1)
  exe=\$(readlink /proc/\$init/exe 2>/dev/null || true)
  case \$exe in */zjail-init) echo \$init \$exe; exit 0;; esac
  sleep 0.2
done; echo none")
printf 'the jail'"'"'s init: %s\n' "$init_exe"
assert_match "the idle jail's init runs zjail-init" '^[0-9]+ /usr/local/bin/zjail-init$' "$init_exe"
main=$(vm systemctl show -p MainPID --value "$unit.service")
assert_eq "the idle jail's supervisor (MainPID) runs zjail-init" /usr/local/bin/zjail-init \
  "$(vm "for i in \$(seq 50); do e=\$(readlink /proc/$main/exe); [ \"\$e\" = /usr/local/bin/zjail-init ] && break; sleep 0.2; done; echo \$e")"
assert_eq "its name stays zjail" zjail "$(vm cat "/proc/$main/comm")"
vm systemctl stop "$unit.service"
left=$(vm "sleep 1; test -e /proc/${init_exe%% *} && echo left || echo gone")
assert_eq "the jail's init after stop" gone "$left"
vm "systemctl reset-failed $unit.service 2>/dev/null; true"
