#!/usr/bin/env bash
# Networking benchmark: what each of zjail's network modes costs.
#
# 1. TCP throughput (iperf3) and round-trip latency (bench/net_rr.c, 1-byte
#    ping-pong, p50/p99) between a "host" and a server, over
#      loopback  both ends in the host namespace, no zjail (the baseline)
#      veth      VirtualEthernet=yes, the client dialling the jail's address
#      pasta     UserModeNetworking=yes, the client dialling 127.0.0.1:Port=
#    The "host" is a network namespace this script makes: nothing leaves it.
#    pasta needs a default route there; a veth pair with an address and a
#    route through a gateway nobody holds gives it one (no dummy module here).
# 2. Launch time of `zjail --profile bench/launch.profile /bin/true` with each
#    mode added, against PrivateNetwork=yes, in one hyperfine run; and the
#    system calls of one launch per mode (strace -f -c, pasta included).
# Everything is repeated BENCH_REPEAT times (default 3), the modes interleaved
# within each repetition, and the spread is reported: the host is shared.
# Rewrites the "## Networking" section of docs/performance.md in place
# (bench/run keeps it, as it does memory.sh's).
#
#   bash bench/network.sh          # as root; ZJAIL_BUILD_DIR as launch.sh
#
# BENCH_REPEAT, BENCH_IPERF_SECONDS (default 5), BENCH_RR (round trips per
# measurement, default 20000), BENCH_MIN_RUNS (hyperfine, default 30).
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
build=${ZJAIL_BUILD_DIR:-$repo/build}
zjail=$build/jail/zjail
out=$build/bench/net
doc=$repo/docs/performance.md
repeat=${BENCH_REPEAT:-3}
secs=${BENCH_IPERF_SECONDS:-5}
rr_n=${BENCH_RR:-20000}
min_runs=${BENCH_MIN_RUNS:-30}
ns=zjbench-$$

die() {
  echo "bench: $1" >&2
  exit 1
}
((EUID == 0)) || die "run as root: network namespaces and veth need it"
[[ -x $zjail ]] || die "$zjail was not built"
for tool in iperf3 hyperfine pasta strace cc ip python3; do
  command -v "$tool" >/dev/null || die "$tool is missing"
done
mkdir -p -- "$out"
cc -O2 -Wall -Wextra -o "$out/net_rr" "$repo/bench/net_rr.c" || die "cannot compile bench/net_rr.c"

# The profiles: bench/launch.profile plus one mode each. The server jails
# also see net_rr; they run as nobody, so the ports are above 1024.
profile() {
  { cat -- "$repo/bench/launch.profile"; printf '%s\n' "${@:2}"; } >"$out/$1.profile"
}
profile private
profile veth VirtualEthernet=yes
profile veth-port VirtualEthernet=yes Port=tcp:18080:80
profile pasta UserModeNetworking=yes
profile filter IPAddressDeny=any
profile serve-veth VirtualEthernet=yes Address=10.77.0.2/30 HostAddress=10.77.0.1/30 \
  "BindReadOnlyPaths=$out"
profile serve-pasta UserModeNetworking=yes Port=tcp:15201:5201 Port=tcp:15202:5202 \
  "BindReadOnlyPaths=$out"

pids=()
kill_ns() {
  local p
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || :; done
}
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || :; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || :; done
  kill_ns
  ip netns del "$ns" 2>/dev/null || :
}
trap cleanup EXIT
ip netns add "$ns"
inns() { ip netns exec "$ns" "$@"; }
inns ip link set lo up
inns ip link add nbh0 type veth peer name nbh1
inns ip addr add 192.0.2.1/24 dev nbh0
inns ip link set nbh0 up
inns ip link set nbh1 up
inns ip route add default via 192.0.2.254 dev nbh0

# The servers: iperf3 and net_rr on the host's loopback, in a veth jail and
# in a pasta jail, all up at once; only one is measured at a time.
serve='iperf3 -s -p 5201 & exec '$out'/net_rr server 5202'
inns bash -c "$serve" >/dev/null 2>&1 &
pids+=($!)
for mode in veth pasta; do
  inns env ZJAIL_PROFILE_PATH="$repo/profiles" "$zjail" --profile "$out/serve-$mode.profile" \
    -- /bin/sh -c "$serve" >"$out/serve-$mode.log" 2>&1 &
  pids+=($!)
done
declare -A addr=([loopback]=127.0.0.1 [veth]=10.77.0.2 [pasta]=127.0.0.1)
declare -A port=([loopback]=5201 [veth]=5201 [pasta]=15201)
for mode in loopback veth pasta; do
  up=0
  for _ in $(seq 100); do
    if inns "$out/net_rr" client "${addr[$mode]}" $((port[$mode] + 1)) 1 >/dev/null 2>&1; then up=1; break; fi
    sleep 0.1
  done
  ((up)) || die "the $mode server did not come up (see $out/serve-*.log)"
done

mtu_lo=$(inns cat /sys/class/net/lo/mtu)
mtu_veth=$(inns ip -o link show | awk '$2 ~ /^ve-/ { for (i = 1; i < NF; i++) if ($i == "mtu") print $(i + 1); exit }')

# iperf3 MODE: received Gbit/s. A first try may meet an iperf3 that is not
# listening yet (net_rr was the readiness probe), hence the retries.
iperf() {
  local j
  for _ in 1 2 3; do
    if j=$(inns iperf3 -c "${addr[$1]}" -p "${port[$1]}" -t "$secs" -J 2>/dev/null); then
      python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))' <<<"$j"
      return
    fi
    sleep 1
  done
  die "iperf3 over $1 failed"
}
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$out/traffic.tsv"
for r in $(seq "$repeat"); do
  for mode in loopback veth pasta; do
    gbps=$(iperf "$mode")
    read -r p50 p99 mean < <(inns "$out/net_rr" client "${addr[$mode]}" $((port[$mode] + 1)) "$rr_n")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$mode" "$gbps" "$p50" "$p99" "$mean" | tee -a "$out/traffic.tsv" >&2
  done
done
cleanup_servers() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || :; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || :; done
  pids=()
}
cleanup_servers
# The loopback server's iperf3 was the shell's background child, not killed
# with it: end whatever still runs in the namespace (only this script's own).
kill_ns

# Launch time, side by side.
names=(private veth veth-port pasta filter)
args=()
for n in "${names[@]}"; do
  cmd=$(printf 'env ZJAIL_PROFILE_PATH=%q %q --profile %q /bin/true' "$repo/profiles" "$zjail" "$out/$n.profile")
  inns sh -c "$cmd" || die "this fails, so it cannot be timed: $cmd"
  args+=(-n "$n" "$cmd")
done
: >"$out/launch.tsv"
for r in $(seq "$repeat"); do
  inns hyperfine -N --style basic --warmup 3 --min-runs "$min_runs" \
    --export-csv "$out/launch-$r.csv" "${args[@]}" >&2
  awk -F, -v r="$r" 'NR > 1 { printf "%s\t%s\t%.3f\t%.3f\n", r, $1, $2 * 1000, $4 * 1000 }' \
    "$out/launch-$r.csv" >>"$out/launch.tsv"
done
: >"$out/syscalls.tsv"
for n in "${names[@]}"; do
  inns env ZJAIL_PROFILE_PATH="$repo/profiles" strace -f -c -o "$out/strace-$n.txt" \
    "$zjail" --profile "$out/$n.profile" /bin/true
  printf '%s\t%s\n' "$n" "$(awk '$NF == "total" { print $4 }' "$out/strace-$n.txt")" >>"$out/syscalls.tsv"
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

section=$(python3 "$repo/bench/network_report.py" "$out" "$repeat" "$secs" "$rr_n" "$min_runs" \
  "$(uname -r)" "$(cat /sys/devices/system/cpu/vulnerabilities/meltdown 2>/dev/null || echo unknown)" \
  "$(nproc)" "$load_start" "$load_end" "$(iperf3 --version | head -1)" \
  "$(dpkg-query -W -f '${Version}' passt 2>/dev/null || echo unknown)" "$(hyperfine --version)" \
  "$(git -C "$repo" rev-parse --short HEAD)" "$mtu_lo" "$mtu_veth")
python3 "$repo/bench/replace-section.py" "$doc" "$section"
echo "bench: wrote the networking section of $doc" >&2
