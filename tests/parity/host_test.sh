#!/bin/bash
# parity_host (ctest, label root): the parity probe on this host, which has
# no systemd. Each case zjail supports runs under zjail (RootDirectory=/ plus
# the case's lines, as nobody unless the case names its user) and its report
# is compared, on the keys that are the same on every machine
# (host-keys.txt), with the native systemd report recorded in the VM
# (expected/NAME.native): zjail must be equal or tighter, as in the VM.
# Also checks the cases themselves: every line's directive is in
# directives.txt, every case has its expectation, and a case marked
# '# zjail: no' has a line zjail does not accept (else the mark is stale).
#
#   host_test.sh ZJAIL OBSERVE PARITY_COMPARE
#
# Exit 0 pass, 1 fail, 77 skip (not root, no nobody user).
set -euo pipefail

zjail=$(readlink -f -- "$1") observe=$(readlink -f -- "$2") compare=$(readlink -f -- "$3")
parity=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
readonly zjail compare parity
# shellcheck source=lib.sh
source "$parity/lib.sh"

skip() {
  printf 'SKIP parity_host: %s\n' "$*"
  exit 77
}
[[ $(id -u) == 0 ]] || skip "needs root: zjail builds RootDirectory=/ jails as root"
id nobody >/dev/null 2>&1 || skip "this host has no user nobody, which the cases run as"

work=$(mktemp -d /tmp/zjail-parity-host.XXXXXX)
chmod 0700 "$work"
made=()  # mount points zjail creates in the host's tree for bind targets
cleanup() {
  local d
  for d in "${made[@]}"; do rmdir -- "$d" 2>/dev/null || true; done
  bash "$parity/fixture.sh" remove || true
  rm -rf -- "$work" /usr/lib/zjail-parity
}
trap cleanup EXIT
# The sealed credential's host key is the fixture's, not this host's
# (systemd-creds would make /var/lib/systemd/credential.secret); zjail
# inherits the variable and opens it with the same key.
export SYSTEMD_CREDENTIAL_SECRET=/srv/zjail-parity/credential.secret
bash "$parity/fixture.sh" create
# The probe runs from where the VM has it, under /usr, which the exec cases
# keep executable (zjail, like systemd, refuses a command from a noexec path).
install -D -m 0755 -- "$observe" /usr/lib/zjail-parity/observe
observe=/usr/lib/zjail-parity/observe

declare -A kind_of
while read -r name kind _; do
  [[ -z $name || $name == \#* ]] && continue
  kind_of[$name]=$kind
done <"$parity/directives.txt"

failures=() ran=0 gaps=0 skipped=0
# CAP_SYS_RESOURCE (bit 24) in this shell's effective set: what zjail needs
# to raise a hard limit above its own, as systemd does for a unit.
host_can_raise_limits() {
  local eff
  eff=$(sed -n 's/^CapEff:\t*//p' /proc/self/status)
  (((0x$eff >> 24) & 1))
}
fail_case() { failures+=("$1: $2"); printf 'FAIL %s: %s\n' "$1" "$2"; }

for f in "$parity"/cases/*.conf; do
  name=${f##*/}
  name=${name%.conf}
  parity_read_case "$f"
  lines=$CASE_LINES mark=$CASE_MARK
  # The cases' own hygiene.
  while IFS= read -r line; do
    [[ -z $line ]] && continue
    key=${line%%=*}
    [[ -v kind_of[$key] ]] || fail_case "$name" "$key= is not in directives.txt"
    if [[ $line =~ ^(State|Runtime|Cache|Logs|Configuration)Directory=(.*)$ ]]; then
      for w in ${BASH_REMATCH[2]}; do
        [[ $w == parity-* ]] || fail_case "$name" "$line: the runner cleans only directories named parity-*"
      done
    fi
  done <<<"$lines"
  expected=$parity/expected/$name.native
  if [[ ! -s $expected ]]; then
    fail_case "$name" "no expected/$name.native: record it in the VM (ZJAIL_PARITY_RECORD=1, tests/parity/README.md)"
    continue
  fi
  user=""
  parity_names_user "$lines" || user=nobody
  profile=$work/parity-$name.profile
  parity_profile "$name" "$lines" "$user" >"$profile"
  chmod 0600 "$profile"
  case $mark in
    yes | gap) ;;
    *)
      # --check plans the launch, so a value only the launch refuses counts.
      if "$zjail" --check --profile "$profile" >/dev/null 2>&1; then
        fail_case "$name" "marked '# zjail: no', yet zjail accepts every line: flip the mark to yes"
      fi
      skipped=$((skipped + 1))
      continue ;;
  esac
  paths=$(parity_paths "$lines")
  for p in $paths; do
    [[ -e $p ]] || made+=("$p")
  done
  ran=$((ran + 1))
  rc=0
  ( cd / && "$zjail" --profile "$profile" -- "$observe" $paths ) >"$work/$name.zjail" 2>"$work/$name.err" || rc=$?
  if ((rc != 0)) || [[ ! -s $work/$name.zjail ]]; then
    why="zjail exited $rc: $(head -c 300 "$work/$name.err")"
    if [[ $mark == gap ]]; then
      gaps=$((gaps + 1))
      printf 'KNOWN-GAP %s: %s (%s)\n' "$name" "$(sed -n 's/^# zjail: gap *//p' "$f")" "$why"
    elif ! host_can_raise_limits && grep -q '(step: rlimits)' "$work/$name.err"; then
      skipped=$((skipped + 1))
      printf 'SKIP %s: this host withholds CAP_SYS_RESOURCE even from root, so no hard limit can be raised here (%s)\n' \
        "$name" "$why"
    else
      fail_case "$name" "$why"
    fi
    continue
  fi
  rc=0
  "$compare" --quiet --case "$name" --keys "$parity/host-keys.txt" --gaps "$parity/known-gaps.txt" \
    "$expected" "$work/$name.zjail" "$parity/deliberate.txt" >"$work/$name.compare" || rc=$?
  sed 's/^/  /' "$work/$name.compare"
  if ((rc != 0)); then
    if [[ $mark == gap ]]; then
      gaps=$((gaps + 1))
    else
      fail_case "$name" "zjail is looser than the recorded systemd report"
    fi
  fi
done

printf 'parity_host: %d cases compared with the recorded systemd reports (%d known gaps), %d not supported by zjail yet\n' \
  "$ran" "$gaps" "$skipped"
if ((${#failures[@]} > 0)); then
  printf 'parity_host: %d failed\n' "${#failures[@]}"
  exit 1
fi
