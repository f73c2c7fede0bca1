#!/bin/bash
# zjail against a real systemd (tests/parity/README.md): every case of
# tests/parity/cases and every unit of the image with sandboxing lines runs
# the observe probe as a native service and, where zjail supports the lines,
# under zjail with RootDirectory=/ plus the same lines. zjail must be equal
# or tighter on every key, except the differences listed in
# tests/parity/deliberate.txt (and, loudly, known-gaps.txt). The native
# reports must also match the expectations recorded in tests/parity/expected
# on the keys that are the same on every machine (parity_host compares this
# host's jails with them); ZJAIL_PARITY_RECORD=1 rewrites them instead.
# Reports and comparisons are kept in $ZJAIL_VM_RUN_DIR/parity.
# timeout: 600
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

src=${ZJAIL_SOURCE_DIR:-$(cd -- "$here/../.." && pwd)}
parity=$src/tests/parity
compare=${ZJAIL_BUILD_DIR:+$ZJAIL_BUILD_DIR/tests/parity/parity_compare}
observe=$ZJAIL_GUEST_DIR/build/tests/parity/observe
# shellcheck source=../parity/lib.sh
source "$parity/lib.sh"
host_zjail=${ZJAIL_BUILD_DIR:+$ZJAIL_BUILD_DIR/jail/zjail}
[[ -n $compare && -x $compare ]] || skip "no parity_compare: run.sh needs --build-dir with tests/parity built"
vm "test -x $observe" || skip "$observe is not in the VM: run.sh installs it from --build-dir"

keep=$ZJAIL_VM_RUN_DIR/parity
rm -rf -- "$keep"
mkdir -p -- "$keep/reports" "$keep/profiles"
chmod 0700 "$keep/profiles"
out=$keep/reports

# What zjail says about a case marked '# zjail: no': the first line it lacks
# (parsing only: --show), or nothing if it accepts them all.
unsupported() {
  local name=$1 p=$keep/profiles/parity-$1.profile
  parity_profile "$name" "$(<"$out/$name.lines")"$'\n' "" >"$p"
  chmod 0600 "$p"
  [[ -x $host_zjail ]] || { echo "(no zjail on the host to ask)"; return; }
  # --check plans the launch, so a value only the launch refuses counts;
  # its warnings do not.
  local err
  err=$("$host_zjail" --check --profile "$p" 2>&1 >/dev/null) && return
  grep -m1 -v '^warning' <<<"$err" | sed "s|$keep/profiles/||" || true
}

# One ssh round trip: the cases in, the reports out (a tar on stdout; the
# runner's progress on stderr).
t0=$SECONDS
tar -C "$parity" -cf - cases directives.txt guest.sh lib.sh fixture.sh |
  vm "set -e; rm -rf /run/zjail-parity; mkdir -p /run/zjail-parity/in
      tar -C /run/zjail-parity/in -xf -
      bash /run/zjail-parity/in/guest.sh /run/zjail-parity/in /run/zjail-parity/out $ZJAIL_GUEST_BIN $observe >&2
      tar -C /run/zjail-parity/out -cf - .
      rm -rf /run/zjail-parity" >"$keep/reports.tar"
tar -C "$out" -xf "$keep/reports.tar"
rm -f -- "$keep/reports.tar"
vm_s=$((SECONDS - t0))

# Keys whose native value differs from the baseline for reasons of the run,
# not of the directive (the unit's cgroup, which pass ran first).
effect_noise='^cgroup\.path:'

failures=() skips=0 jailed=0 natives=0 ignored=0 noeffect=0 stale=0 gap_cases=0
fail_case() { failures+=("$1: $2"); printf 'FAIL %s: %s\n' "$1" "$2"; }

[[ -s $out/baseline.native ]] || fail "the native baseline did not run: $(cat "$out/baseline.native.err" 2>/dev/null)"
for lines in "$out"/*.lines; do
  name=$(basename -- "$lines" .lines)
  kind=$(<"$out/$name.kind")
  status=$(cat "$out/$name.native.status" 2>/dev/null || echo "not run")
  printf '== %s (%s)\n' "$name" "$kind"
  sed 's/^/   | /' -- "$lines"
  if [[ $status != "success 0" || ! -s $out/$name.native ]]; then
    fail_case "$name" "the native service did not run: $status: $(head -c 300 "$out/$name.native.err" 2>/dev/null)"
    continue
  fi
  natives=$((natives + 1))
  if [[ -s $out/$name.ignored ]]; then
    ignored=$((ignored + 1))
    sed 's/^/   NATIVE IGNORES: systemd /' -- "$out/$name.ignored"
  fi
  # A case must change what the probe sees natively, unless it says it
  # states systemd's default ("# native-effect: none") or this systemd
  # ignored its lines: otherwise the probe is blind to it.
  if [[ $name != baseline ]]; then
    effect=$("$compare" --diff "$out/baseline.native" "$out/$name.native" | grep -vE "$effect_noise" || true)
    neffect=$(grep -c . <<<"$effect" || true)
    printf '   native effect: %s keys differ from the baseline\n' "$neffect"
    if [[ $kind == case ]]; then
      if grep -q '^# native-effect: none' "$parity/cases/$name.conf"; then
        ((neffect == 0)) || fail_case "$name" "says '# native-effect: none', yet $neffect keys differ from the baseline"
      elif ((neffect == 0)); then
        noeffect=$((noeffect + 1))
        if [[ -s $out/$name.ignored ]]; then
          printf '   NO VISIBLE EFFECT: this systemd ignores the case'"'"'s lines\n'
        else
          fail_case "$name" "no visible effect: the native report equals the baseline's, so the probe cannot see this case"
        fi
      fi
    fi
  fi
  # The recorded expectation of this case (stable keys only).
  if [[ $kind == case ]]; then
    stable=$("$compare" --filter "$parity/host-keys.txt" "$out/$name.native")
    if [[ ${ZJAIL_PARITY_RECORD:-0} == 1 ]]; then
      printf '%s\n' "$stable" >"$parity/expected/$name.native"
    elif ! diff -u --label "expected/$name.native" --label "native now" "$parity/expected/$name.native" - \
        <<<"$stable" >"$keep/$name.expected.diff" 2>&1; then
      stale=$((stale + 1))
      sed 's/^/   /' -- "$keep/$name.expected.diff" | head -n 20
      fail_case "$name" "the native report no longer matches tests/parity/expected/$name.native (ZJAIL_PARITY_RECORD=1 rewrites it)"
    fi
  fi
  if [[ -f $out/$name.skip ]]; then
    skips=$((skips + 1))
    reason=$(<"$out/$name.skip")
    if [[ $reason == "marked '# zjail: no'" ]]; then
      why=$(unsupported "$name")
      if [[ -z $why ]]; then
        fail_case "$name" "marked '# zjail: no', yet zjail accepts every line: flip the mark to yes"
        continue
      fi
      reason+=": $why"
    fi
    printf '   SKIP zjail side: %s\n' "$reason"
    continue
  fi
  zstatus=$(cat "$out/$name.zjail.status" 2>/dev/null || echo "not run")
  mark=$(<"$out/$name.mark")
  # Units have no case file.
  gap_reason=$(sed -n 's/^# zjail: gap *//p' "$parity/cases/$name.conf" 2>/dev/null | head -n 1 || true)
  if [[ $zstatus != "success 0" || ! -s $out/$name.zjail ]]; then
    why="the zjail side did not run: $zstatus: $(head -c 300 "$out/$name.zjail.err" 2>/dev/null)"
    if [[ $mark == gap ]]; then
      gap_cases=$((gap_cases + 1))
      printf '   KNOWN-GAP case: %s (%s)\n' "$gap_reason" "$why"
    else
      fail_case "$name" "$why"
    fi
    continue
  fi
  jailed=$((jailed + 1))
  rc=0
  "$compare" --case "$name" --gaps "$parity/known-gaps.txt" "$out/$name.native" "$out/$name.zjail" \
    "$parity/deliberate.txt" >"$keep/$name.compare" || rc=$?
  grep -E '^(LOOSER|DIFFERS|KNOWN-GAP) ' "$keep/$name.compare" | sed 's/^/   /' || true
  printf '   %s\n' "$(tail -n 1 "$keep/$name.compare")"
  if [[ $mark == gap ]]; then
    if ((rc == 0)); then
      fail_case "$name" "marked '# zjail: gap', yet zjail now matches systemd: mark it yes"
    else
      gap_cases=$((gap_cases + 1))
      printf '   KNOWN-GAP case: %s\n' "$gap_reason"
    fi
    continue
  fi
  ((rc == 0)) || fail_case "$name" "zjail is looser than systemd or differs (see $keep/$name.compare)"
done

printf '\nparity: %d cases ran natively (%d with lines this systemd ignores, %d without a visible effect),' \
  "$natives" "$ignored" "$noeffect"
printf ' %d compared with zjail (%d of them known gaps), %d zjail sides skipped; %s s in the VM (%s)\n' \
  "$jailed" "$gap_cases" "$skips" "$vm_s" \
  "$(cat "$out/times.txt" 2>/dev/null)"
[[ ${ZJAIL_PARITY_RECORD:-0} == 1 ]] && printf 'parity: expectations recorded in %s/expected\n' "$parity"
if ((${#failures[@]} > 0)); then
  fail "${#failures[@]} parity cases failed: ${failures[0]}$( ((${#failures[@]} > 1)) && printf ' (and %d more)' $((${#failures[@]} - 1)))"
fi
