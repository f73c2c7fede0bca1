#!/usr/bin/env bash
# Churn and scale: ZJAIL_CHURN_CYCLES (1000) sequential launches of a jailed
# /bin/true, then ZJAIL_CHURN_PARALLEL (200) jails running `sleep 2` at once,
# all of which must succeed. Afterwards nothing is left: no mounts in the
# host's mountinfo, no processes, no cgroups, no /run/zjail files, and this
# script holds no more fds than before.
#
#   churn.sh ZJAIL
set -uo pipefail
zjail=$1
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"
cycles=${ZJAIL_CHURN_CYCLES:-1000}
parallel=${ZJAIL_CHURN_PARALLEL:-200}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$zjail" --profile base-service /bin/true || fail "a single launch failed"
snapshot "$tmp/before"
fds_before=$(ls /proc/$$/fd | wc -l)

start=$(date +%s%N)
for ((i = 0; i < cycles; i++)); do
  "$zjail" --profile base-service /bin/true 2>"$tmp/err" || { cat "$tmp/err"; fail "cycle $i failed"; }
done
end=$(date +%s%N)
echo "churn: $cycles launches in $(( (end - start) / 1000000 )) ms, $(( (end - start) / cycles / 1000 )) us each"
check_clean "after $cycles cycles" "$tmp/before"

start=$(date +%s%N)
pids=()
for ((i = 0; i < parallel; i++)); do
  "$zjail" --profile base-service /bin/sleep 2 2>"$tmp/err.$i" &
  pids+=($!)
done
# How many were still up 1 s after the last start (under load, starting 200
# takes longer than their sleep).
sleep 1
running=$(tagged_pids | wc -l)
failed=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || { failed=$((failed + 1)); cat "$tmp/err.$i" >&2; }
done
end=$(date +%s%N)
((failed == 0)) || fail "$failed of $parallel concurrent jails failed"
echo "scale: $parallel concurrent jails (sleep 2) done in $(( (end - start) / 1000000 )) ms; $running zjail processes alive 1 s after the last start"
check_clean "after $parallel concurrent jails" "$tmp/before"

fds_after=$(ls /proc/$$/fd | wc -l)
((fds_after == fds_before)) || fail "fds of the test: $fds_before before, $fds_after after"
echo "churn: clean"
