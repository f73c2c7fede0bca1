#!/usr/bin/env bash
# Every setup step of a launch, made to fail by zjail-faultinject
# (ZJAIL_FAULT_STEP=step:errno): the payload never runs, zjail exits 125
# (126 for the payload's own steps, as env(1)) with one line naming the step,
# and nothing is left behind on the host.
#
#   fault_injection.sh ZJAIL_FAULTINJECT
set -uo pipefail
zjail=$1
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/mark" && chmod 1777 "$tmp/mark"

# The launch path's steps in order, as the binary runs them (step.hpp): the
# test keeps no list of its own, so a new step is tested from the day it lands.
mapfile -t steps < <(ZJAIL_FAULT_STEP=list "$zjail")
((${#steps[@]} > 30)) && [[ ${steps[0]} == profile && ${steps[-1]} == exec ]] ||
  fail "ZJAIL_FAULT_STEP=list gave no plausible step list: ${steps[*]}"

launch() {
  "$zjail" --profile base-service --bind "$tmp/mark:/mark" -- /bin/sh -c 'echo ran >/mark/ran' \
    >"$tmp/out" 2>"$tmp/err"
}

# A clean launch first: it proves the marker works and fills the seccomp cache.
launch || { cat "$tmp/err"; fail "a launch without a fault failed"; }
[[ -e $tmp/mark/ran ]] || fail "the payload did not leave its marker"
rm -f "$tmp/mark/ran"

snapshot "$tmp/before"
for step in "${steps[@]}"; do
  ZJAIL_FAULT_STEP=$step:5 launch
  code=$?
  want=125
  [[ $step == exec || $step == resolve-command || $step == jail-command ]] && want=126
  [[ $code == "$want" ]] || { cat "$tmp/err"; fail "$step: exit $code, want $want"; }
  [[ ! -e $tmp/mark/ran ]] || fail "$step: the payload ran"
  [[ ! -s $tmp/out ]] || fail "$step: zjail wrote to stdout"
  [[ $(wc -l <"$tmp/err") == 1 ]] || { cat "$tmp/err"; fail "$step: want one line of error"; }
  # Profile errors read "file:line: message", without a step (result.cpp).
  pattern="Input/output error (step: $step)"
  [[ $step == profile ]] && pattern="injected fault: Input/output error\$"
  grep -q "$pattern" "$tmp/err" ||
    { cat "$tmp/err"; fail "$step: the error does not name the step and errno"; }
  check_clean "$step" "$tmp/before"
  echo "ok $step: $(cat "$tmp/err")"
done

# A bad spec is refused, not ignored.
ZJAIL_FAULT_STEP=no-such-step launch && fail "an unknown step was accepted"
grep -q "unknown step" "$tmp/err" || { cat "$tmp/err"; fail "unknown step: wrong message"; }
echo "fault injection: ${#steps[@]} steps, all clean"
