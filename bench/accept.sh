#!/usr/bin/env bash
# Per-connection services (Accept=yes) on a real systemd: in the system-test
# VM, socket units with Accept=yes whose instances run examples/echo
#   plain             the echo server itself
#   zjail             zjail --profile echo-activated echo, with Delegate=yes
#                     as units/zjail-echo-activated.service has it
#   zjail-nodelegate  the same without Delegate=yes (what delegation costs)
# and, as the floor, one echo server that stays up (no process per
# connection). bench/conn_rate.c connects, sends a line, reads the echo and
# closes, in one loop, the lines taking turns in blocks of
# BENCH_ACCEPT_SECONDS (5) for BENCH_ACCEPT_ROUNDS (6) rounds. hyperfine then
# times zjail --profile echo-activated /bin/true alone, for the breakdown.
# Writes the "Per-connection services" section and the summary row for
# bench/run (<build>/bench/sections/accept.md, <build>/bench/accept.summary).
#
#   bash bench/accept.sh       # root; ZJAIL_BUILD_DIR; the VM: bench/vm-lib.sh
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
build=${ZJAIL_BUILD_DIR:-$repo/build}
out=$build/bench
block=${BENCH_ACCEPT_SECONDS:-5}
rounds=${BENCH_ACCEPT_ROUNDS:-6}
target=0.8

((EUID == 0)) || { echo "bench: run as root" >&2; exit 1; }
for f in jail/zjail examples/echo/echo bench/zjail_conn_rate; do
  [[ -x $build/$f ]] || { echo "bench: $build/$f was not built (cmake --build $build --target zjail echo zjail_conn_rate)" >&2; exit 1; }
done
# shellcheck source-path=SCRIPTDIR source=vm-lib.sh
source "$repo/bench/vm-lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/zjail-accept-bench.XXXXXX")
sockets="zjail-bench-plain.socket zjail-bench-zjail.socket zjail-bench-zjail-nodelegate.socket"
cleanup() {
  bench_vm "systemctl stop $sockets zjail-bench-floor.service; systemctl reset-failed 'zjail-bench-*'
    rm -f /etc/systemd/system/zjail-bench-*" >/dev/null 2>&1 || true
  bench_vm_down
  rm -rf -- "$work"
}
trap cleanup EXIT
bench_vm_up

# unit NAME PORT EXEC [MORE]: a socket unit with Accept=yes and its template.
# Output goes nowhere for every line alike: the journal would time the
# server's start-up report, not the launch. TriggerLimitIntervalSec=0: a fast
# machine could pass systemd's 200 connections in 2 s and stop the socket.
unit() {
  printf '[Socket]\nListenStream=127.0.0.1:%s\nAccept=yes\nTriggerLimitIntervalSec=0\n' "$2" \
    >"$work/zjail-bench-$1.socket"
  printf '[Service]\nExecStart=%s\nStandardOutput=null\n%b' "$3" "${4:-}" >"$work/zjail-bench-$1@.service"
}
unit plain 7101 /opt/zjail/bench/echo
unit zjail 7102 "/usr/local/bin/zjail --profile echo-activated /opt/zjail/bench/echo" 'Delegate=yes\n'
unit zjail-nodelegate 7103 "/usr/local/bin/zjail --profile echo-activated /opt/zjail/bench/echo"
tar -C "$work" -cf - . | bench_vm "tar -C /etc/systemd/system -xf - --no-same-owner && systemctl daemon-reload &&
  systemctl start $sockets &&
  systemd-run --quiet --unit=zjail-bench-floor -p StandardOutput=null /opt/zjail/bench/echo 7100"

bench_vm "/opt/zjail/bench/zjail_conn_rate $block $rounds floor=7100 plain=7101 zjail=7102 zjail-nodelegate=7103" \
  >"$work/rate.tsv"
bench_vm "systemctl show -p NAccepted --value $sockets; systemctl list-units --all --state=failed --no-legend 'zjail-bench-*' | wc -l" >"$work/after"
failed=$(tail -n 1 "$work/after")
((failed == 0)) || { echo "bench: $failed zjail-bench units failed in the VM" >&2; exit 1; }
bench_vm "cd /root && hyperfine -N --style basic --warmup 10 --min-runs 100 --export-csv accept-launch.csv \
  -n true /bin/true -n zjail 'zjail --profile echo-activated /bin/true'" >&2
bench_vm "cat /root/accept-launch.csv" >"$work/launch.csv"
bench_vm "uname -r; systemctl --version | head -n 1" >"$work/system"

# col LINE N: column N of conn_rate's row for LINE (see bench/conn_rate.c).
col() { awk -F'\t' -v n="$1" -v c="$2" '$1 == n { print $c }' "$work/rate.tsv"; }
launch_ms() { awk -F, -v n="$1" 'NR > 1 && $1 == n { printf "%.1f", $2 * 1000 }' "$work/launch.csv"; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
ratio=$(calc %.2f "$(col zjail 4) / $(col plain 4)")
met=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r >= t) ? "met" : "NOT met" }')

mkdir -p -- "$out/sections"
printf 'accept\tAccept=yes, jailed / unjailed %s× (%s / %s connections/s), VM\t≥ %s×\t%s\n' "$ratio" \
  "$(calc %.1f "$(col zjail 4)")" "$(calc %.1f "$(col plain 4)")" "$target" "$met" >"$out/accept.summary"
{
  cat <<HEAD
## Per-connection services (Accept=yes)

A socket unit with \`Accept=yes\` starts one service instance per
connection. Measured by \`bench/accept.sh\` in the system-test VM (qemu TCG,
2 vCPUs; kernel $(sed -n 1p "$work/system"), $(sed -n 2p "$work/system")), $(date -u '+%Y-%m-%d %H:%M UTC'):
one client loop (\`bench/conn_rate.c\`) connects to 127.0.0.1, sends a line,
reads the echo and closes, for ${block} s on each line in turn, ${rounds} rounds with
the order rotated, so every line sees the same drift in load. Every line
serves the same \`examples/echo\` binary, with \`StandardOutput=null\`.

| line | instance runs | connections | per second | median ms | p90 ms | CPU ms per connection | of which PID 1 |
|---|---|---|---|---|---|---|---|
HEAD
  for l in floor plain zjail zjail-nodelegate; do
    case $l in
      floor) what="nothing: one echo server stays up" ;;
      plain) what="\`echo\`" ;;
      zjail) what="\`zjail --profile echo-activated echo\`, \`Delegate=yes\`" ;;
      zjail-nodelegate) what="the same without \`Delegate=yes\`" ;;
    esac
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$l" "$what" "$(col "$l" 2)" \
      "$(calc %.1f "$(col "$l" 4)")" "$(calc %.1f "$(col "$l" 5)")" "$(calc %.1f "$(col "$l" 6)")" \
      "$(calc %.1f "$(col "$l" 7)")" "$(calc %.1f "$(col "$l" 8)")"
  done
  cat <<BODY

Jailed / unjailed connections per second: **${ratio}×** (target ≥ ${target}×: ${met}).
CPU per connection is the whole VM's busy time (\`/proc/stat\`, both vCPUs)
over a line's blocks divided by its connections, and the share of systemd's
PID 1 (\`/proc/1/stat\`); both count in 10 ms ticks, so they are rough.

Where a connection's time goes, by median:

| part | ms |
|---|---|
| the connection itself (floor) | $(calc %.1f "$(col floor 5)") |
| systemd's instance: accept, unit, cgroup, fork, exec, and the echo server's start-up (plain − floor) | $(calc %.1f "$(col plain 5) - $(col floor 5)") |
| zjail (zjail − plain) | $(calc %.1f "$(col zjail 5) - $(col plain 5)") |
| of which \`Delegate=yes\` (zjail − zjail-nodelegate) | $(calc %.1f "$(col zjail 5) - $(col zjail-nodelegate 5)") |
| zjail --profile echo-activated /bin/true alone, minus /bin/true (hyperfine, mean of $(launch_ms zjail) − $(launch_ms true)) | $(calc %.1f "$(launch_ms zjail) - $(launch_ms true)") |
BODY
} >"$out/sections/accept.md"
cat "$work/rate.tsv" >&2
echo "bench: Accept=yes jailed / unjailed = ${ratio}× (target ≥ ${target}×: ${met})" >&2
