#!/usr/bin/env bash
# What learning costs a real daemon: redis-server's requests per second,
# measured by redis-benchmark, run plainly, under `zjail learn`, and under
# the profile that learning wrote, in alternating rounds of one run so the
# ratios are comparable. Rewrites the "## What learning costs" section of
# docs/performance.md.
#
#   bash bench/learn.sh            # as root; installs redis-server if missing
#
# BENCH_ROUNDS (default 3) alternating rounds; BENCH_REQUESTS (default
# 100000) per redis-benchmark run. Loopback only.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
build=${ZJAIL_BUILD_DIR:-$repo/build}
zjail=$build/jail/zjail
doc=$repo/docs/performance.md
rounds=${BENCH_ROUNDS:-3}
requests=${BENCH_REQUESTS:-100000}
port=16379
work=$(mktemp -d /tmp/zjail-bench-learn.XXXXXX)
pid=""

die() {
  echo "bench: $1" >&2
  exit 1
}
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf -- "$work"
}
trap cleanup EXIT

((EUID == 0)) || die "run as root"
[[ -x $zjail ]] || die "$zjail was not built"
if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
  # Without systemd as PID 1 the package would start a server of its own.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null || die "cannot install redis-server"
  rm -f /usr/sbin/policy-rc.d
fi

server=(/usr/bin/redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no
        --daemonize no --dir "$work" --logfile "")

# start LABEL PREFIX...: the server under PREFIX, then wait for its port.
start() {
  "$@" "${server[@]}" >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.05
  done
  cat "$work/server.log" >&2
  die "redis-server did not answer under: $*"
}
stop() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
}
# requests per second of SET and GET, summed.
measure() {
  redis-benchmark -p "$port" -q -n "$requests" -c 10 -t set,get 2>/dev/null |
    tr '\r' '\n' | awk '/requests per second/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) { s += $i; break } } END { printf "%.0f", s / 2 }'
}

declare -a plain learning learned
for r in $(seq "$rounds"); do
  start env
  plain+=("$(measure)")
  stop
  start "$zjail" learn --output "$work/redis.profile" --
  learning+=("$(measure)")
  stop
  [[ -s $work/redis.profile ]] || die "zjail learn wrote no profile"
  start "$zjail" --profile "$work/redis.profile" --
  learned+=("$(measure)")
  stop
  echo "bench: round $r: plain ${plain[-1]}, learning ${learning[-1]}, learned profile ${learned[-1]} requests/s" >&2
done

median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
p=$(median "${plain[@]}")
l=$(median "${learning[@]}")
e=$(median "${learned[@]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
lines=$(grep -c . "$work/redis.profile" || true)

section=$(cat <<MD
## What learning costs

\`bash bench/learn.sh\`, $(date -u +%Y-%m-%d), kernel $(uname -r), $(nproc) CPUs: redis-server on
loopback, \`redis-benchmark -n $requests -c 10 -t set,get\` (mean of SET and GET
requests per second), median of $rounds alternating rounds.

| redis-server | requests/s | against plain |
|---|---|---|
| plain | $p | 1.00 |
| under \`zjail learn\` | $l | $(ratio "$l" "$p") |
| under the learned profile ($lines lines) | $e | $(ratio "$e" "$p") |

Each round (requests/s): plain ${plain[*]}; learning ${learning[*]}; learned
profile ${learned[*]}. Ratios within the rounds' spread are no difference.

Learning watches only the calls it needs (opens, sockets, execs, ...): a
request that makes none of them (redis's read, write, epoll) runs at full
speed; each watched call costs a round trip to zjail (docs/learn.md).
MD
)
python3 "$repo/bench/replace-section.py" "$doc" "$section"
echo "bench: wrote the learning section of $doc"
