#!/usr/bin/env bash
# Launch-time benchmark: zjail against /bin/true, unshare, bubblewrap and
# firejail, all in ONE hyperfine run so that the ratios are comparable, then
# writes docs/performance.md from the measured numbers.
#
#   bash bench/launch.sh            # needs root (namespaces, firejail)
#
# BENCH_WARMUP and BENCH_MIN_RUNS tune hyperfine (defaults 20 and 300).
# ZJAIL_BUILD_DIR chooses the build directory (default: <repo>/build). The raw
# results go to <build>/bench/launch.{json,md,csv}.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
build=${ZJAIL_BUILD_DIR:-$repo/build}
zjail=$build/jail/zjail
profile=$repo/bench/launch.profile
out=$build/bench
doc=$repo/docs/performance.md
warmup=${BENCH_WARMUP:-20}
min_runs=${BENCH_MIN_RUNS:-300}

die() {
  echo "bench: $1" >&2
  exit 1
}

((EUID == 0)) || die "run as root: the unshare and firejail lines need it"
bash "$repo/tests/setup.sh"
[[ -x $zjail ]] || die "$zjail was not built"
# Fail early and clearly rather than timing an error path.
"$zjail" --profile "$profile" /bin/true || die "zjail --profile $profile /bin/true failed"

names=(true zjail unshare bwrap firejail)
commands=(
  "/bin/true"
  "$(printf '%q --profile %q /bin/true' "$zjail" "$profile")"
  "unshare --fork --pid --mount --uts --ipc --net --mount-proc /bin/true"
  "bwrap --unshare-all --die-with-parent --ro-bind / / --proc /proc --dev /dev /bin/true"
  "firejail --quiet --noprofile --net=none /bin/true"
)
for c in "${commands[@]}"; do
  eval "$c" || die "this command fails, so it cannot be timed: $c"
done

args=()
for i in "${!names[@]}"; do
  args+=(-n "${names[i]}" "${commands[i]}")
done
mkdir -p -- "$out"
load=$(cut -d' ' -f1-3 /proc/loadavg)
# -N: no intermediate shell, so the shell's start-up is not in the numbers.
hyperfine -N --style basic --warmup "$warmup" --min-runs "$min_runs" \
  --export-json "$out/launch.json" --export-markdown "$out/launch.md" \
  --export-csv "$out/launch.csv" "${args[@]}"

# One statistic (CSV column 2 = mean, 4 = median) of one named line, in
# seconds, from the CSV export.
stat() {
  awk -F, -v name="$1" -v col="$2" 'NR > 1 && $1 == name { print $col }' "$out/launch.csv"
}
# ratio A B [COLUMN]: A's time over B's, by mean unless told otherwise.
ratio() {
  awk -v a="$(stat "$1" "${3:-2}")" -v b="$(stat "$2" "${3:-2}")" \
    'BEGIN { printf "%.2f", a / b }'
}
verdict() {
  awk -v r="$1" -v t="$2" 'BEGIN { print (r <= t ? "met" : "NOT met") }'
}
vs_unshare=$(ratio zjail unshare)
vs_bwrap=$(ratio zjail bwrap)
vs_unshare_median=$(ratio zjail unshare 4)
vs_bwrap_median=$(ratio zjail bwrap 4)

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem=$(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
debian=$(cat /etc/debian_version 2>/dev/null || echo unknown)

mkdir -p -- "$(dirname -- "$doc")"
{
  cat <<HEAD
# Launch performance

How long it takes to start \`/bin/true\` in a jail, measured by
\`bench/launch.sh\` with hyperfine in one run (so the lines are comparable
with each other; absolute numbers depend on the machine). Every line runs as
root.

- **Date:** $(date -u '+%Y-%m-%d %H:%M UTC')
- **Machine:** ${cpu:-unknown CPU}, $(nproc) CPUs, ${mem}
- **System:** Debian ${debian}, kernel $(uname -r)
- **Tools:** $(hyperfine --version), $(bwrap --version), $(firejail --version | head -n 1), $(unshare --version)
- **Load average at start:** ${load}
- **hyperfine:** \`-N --warmup ${warmup} --min-runs ${min_runs}\`

## What is compared

| name | command |
|---|---|
HEAD
  for i in "${!names[@]}"; do
    cmd=${commands[i]//"$zjail"/zjail}
    cmd=${cmd//"$profile"/bench/launch.profile}
    # shellcheck disable=SC2016 # the backquotes are markdown
    printf '| %s | `%s` |\n' "${names[i]}" "$cmd"
  done
  cat <<BODY

The zjail line builds the jail of [bench/launch.profile](../bench/launch.profile):
its own user, pid, mount, network (with \`lo\` up), uts, ipc and cgroup namespaces, a
fresh tmpfs root entered with pivot_root, read-only binds of /usr, /etc/ld.so.cache
and the compat paths, a private /tmp, /proc and /dev, nobody with no
capabilities, NO_NEW_PRIVS and a \`@system-service\` seccomp filter.

## Results

$(cat "$out/launch.md")

## Ratios and targets

| ratio | by mean | by median | target | |
|---|---|---|---|---|
| zjail / unshare | ${vs_unshare}× | ${vs_unshare_median}× | ≤ 1.0× | $(verdict "$vs_unshare" 1.0) |
| zjail / bwrap | ${vs_bwrap}× | ${vs_bwrap_median}× | ≤ 0.5× | $(verdict "$vs_bwrap" 0.5) |

The targets are judged by mean.

Reproduce with \`bash bench/launch.sh\` (as root); it rewrites the sections
above. The sections from "Where the time goes" on are kept: they are written
by hand and by \`bench/scope.sh\`.
BODY
  # Keep the hand-written analysis and bench/scope.sh's section.
  if [[ -f $doc ]]; then
    sed -n '/^## Where the time goes/,$p' -- "$doc" | sed '1{/^$/d}' | { read -r first && printf '\n%s\n' "$first" && cat; } || true
  fi
} >"$doc.tmp"
mv -- "$doc.tmp" "$doc"
echo "bench: zjail/unshare ${vs_unshare}x (target <= 1.0x), zjail/bwrap ${vs_bwrap}x (target <= 0.5x)"
echo "bench: wrote $doc"
