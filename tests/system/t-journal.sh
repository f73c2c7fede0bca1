#!/bin/bash
# zjail under systemd logs native journal entries: a start that fails (a
# profile binding a path that does not exist) leaves an entry with
# PRIORITY=3, ZJAIL_STEP=open-sources, ERRNO=2, ZJAIL_PROFILE and ZJAIL_UNIT,
# that `journalctl ZJAIL_STEP=open-sources` finds. Outside the journal the same
# failure is one plain line on stderr.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

unit=zjail-systest-journal.service
profile=/etc/zjail/profiles/systest-badbind.profile
missing=/nonexistent-systest

cleanup() {
  vm "systemctl reset-failed $unit 2>/dev/null; rm -f $profile" >/dev/null 2>&1 || true
}
trap cleanup EXIT

vm "cat >$profile" <<EOF
[Jail]
Include=base-service
BindReadOnlyPaths=$missing
EOF

# --- Under systemd: a native journal entry with zjail's fields --------------------
cursor=$(journal_cursor)
run_out=$(vm systemd-run --unit "$unit" --wait --collect \
  -p StandardOutput=journal -p StandardError=journal \
  "$ZJAIL_GUEST_BIN" --profile systest-badbind -- /bin/true 2>&1) || true
printf '%s\n' "$run_out"
assert_match "zjail exits 125" 'code=exited/status=125$' "$run_out"

# The entry in journalctl's export format (KEY=value lines; no jq needed on
# the host), found through zjail's own field. journald writes native entries
# asynchronously, so poll briefly.
entry=""
for _ in $(seq 1 20); do
  entry=$(vm journalctl -q --no-pager -o export --cursor="$cursor" \
    --output-fields=MESSAGE,PRIORITY,ZJAIL_STEP,ZJAIL_UNIT,ZJAIL_PROFILE,ERRNO,SYSLOG_IDENTIFIER,_TRANSPORT \
    ZJAIL_STEP=open-sources "_SYSTEMD_UNIT=$unit")
  [[ -n $entry ]] && break
  sleep 0.5
done
[[ -n $entry ]] || fail "journalctl ZJAIL_STEP=open-sources _SYSTEMD_UNIT=$unit found nothing: $(unit_output "$unit" "$cursor")"
printf 'entry:\n%s\n' "$(grep -v '^__' <<<"$entry" | sed 's/^/  | /')"
field() { sed -n "s/^$1=//p" <<<"$entry" | head -n 1; }
assert_eq "entries found" 1 "$(grep -c '^__CURSOR=' <<<"$entry")"
assert_eq PRIORITY 3 "$(field PRIORITY)"
assert_eq ZJAIL_STEP open-sources "$(field ZJAIL_STEP)"
assert_eq ERRNO 2 "$(field ERRNO)"
assert_eq ZJAIL_UNIT "$unit" "$(field ZJAIL_UNIT)"
assert_eq ZJAIL_PROFILE systest-badbind "$(field ZJAIL_PROFILE)"
assert_eq SYSLOG_IDENTIFIER zjail "$(field SYSLOG_IDENTIFIER)"
assert_eq "_TRANSPORT (native, not the stderr stream)" journal "$(field _TRANSPORT)"
message=$(field MESSAGE)
assert_match "MESSAGE names the path, the error and the step" \
  "$missing.*No such file or directory \(step: open-sources\)" "$message"

# --- Outside the journal: one plain line on stderr --------------------------------
rc=0
plain=$(vm "$ZJAIL_GUEST_BIN" --profile systest-badbind -- /bin/true 2>&1) || rc=$?
printf '%s\n' "$plain"
assert_eq "exit status over ssh" 125 "$rc"
assert_eq "stderr lines" 1 "$(wc -l <<<"$plain")"
assert_match "plain stderr line" "^zjail: .*$missing.*No such file or directory \(step: open-sources\)$" "$plain"
