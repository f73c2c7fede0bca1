#!/bin/bash
# zjail as the main process of a transient systemd service: the payload runs
# as nobody with no capabilities, no_new_privs and a seccomp filter, and its
# output reaches the journal.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

unit=zjail-smoke
vm "systemctl reset-failed $unit.service 2>/dev/null; true"
run_out=$(vm systemd-run --unit "$unit" --wait --quiet \
  -p StandardOutput=journal -p StandardError=journal \
  "$ZJAIL_GUEST_BIN" --ro-bind /usr --ro-bind /lib --ro-bind /lib64 --ro-bind /bin \
  -- /bin/sh -c 'id; cat /proc/self/status' 2>&1) || {
  printf '%s\n' "$run_out" >&2
  vm journalctl --no-pager -n 30 -u "$unit" >&2 || true
  fail "systemd-run $unit failed: $(tail -n 1 <<<"$run_out")"
}
assert_eq "service result" success "$(vm systemctl show -P Result "$unit")"
assert_eq "service exit status" 0 "$(vm systemctl show -P ExecMainStatus "$unit")"

out=$(unit_output "$unit" '^Seccomp:')
printf '%s\n' "$out" | sed 's/^/  | /'
assert_match "id runs as nobody" '^uid=65534(\(nobody\))? gid=65534' "$out"
uid=$(status_field Uid "$out")
assert_eq "Uid (real effective saved fs)" "65534 65534 65534 65534" "$(tr -s '[:space:]' ' ' <<<"$uid")"
for cap in CapInh CapPrm CapEff CapAmb; do
  assert_eq "$cap" 0000000000000000 "$(status_field "$cap" "$out")"
done
assert_eq NoNewPrivs 1 "$(status_field NoNewPrivs "$out")"
assert_eq "Seccomp (2 = filter)" 2 "$(status_field Seccomp "$out")"
