#!/usr/bin/env bash
# Launch-time benchmark: zjail against /bin/true, unshare, bubblewrap and
# firejail, all in ONE hyperfine run so that the ratios are comparable, and
# against the floor (bench/floor.c): the same jail's kernel work alone.
# Writes the "Launch time" section and its plot for bench/run, which puts
# together docs/performance.md.
#
#   bash bench/launch.sh            # needs root (namespaces, firejail)
#
# BENCH_WARMUP and BENCH_MIN_RUNS tune hyperfine (defaults 20 and 300).
# BENCH_ZJAIL_BEFORE=PATH adds a line for another zjail binary (say, a build
# of an older commit), so a before/after comparison comes from the same run.
# ZJAIL_BUILD_DIR chooses the build directory (default: <repo>/build). The raw
# results go to <build>/bench/launch.{json,md,csv}, the section to
# <build>/bench/sections/launch.md, the plot to docs/performance/launch.png.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
build=${ZJAIL_BUILD_DIR:-$repo/build}
zjail=$build/jail/zjail
floor=$build/bench/zjail_launch_floor
before=${BENCH_ZJAIL_BEFORE:-}
profile=$repo/bench/launch.profile
out=$build/bench
section=$out/sections/launch.md
png=$repo/docs/performance/launch.png
warmup=${BENCH_WARMUP:-20}
min_runs=${BENCH_MIN_RUNS:-300}

die() {
  echo "bench: $1" >&2
  exit 1
}

((EUID == 0)) || die "run as root: the unshare and firejail lines need it"
[[ -x $zjail ]] || die "$zjail was not built (bash tests/setup.sh)"
[[ -x $floor ]] || die "$floor was not built (cmake --build $build --target zjail_launch_floor)"
# Fail early and clearly rather than timing an error path.
"$zjail" --profile "$profile" /bin/true || die "zjail --profile $profile /bin/true failed"

names=(true zjail floor unshare bwrap firejail)
commands=(
  "/bin/true"
  "$(printf '%q --profile %q /bin/true' "$zjail" "$profile")"
  "$(printf '%q /bin/true' "$floor")"
  "unshare --fork --pid --mount --uts --ipc --net --mount-proc /bin/true"
  "bwrap --unshare-all --die-with-parent --ro-bind / / --proc /proc --dev /dev /bin/true"
  "firejail --quiet --noprofile --net=none /bin/true"
)
if [[ -n $before ]]; then
  names+=(zjail-before)
  commands+=("$(printf '%q --profile %q /bin/true' "$before" "$profile")")
fi
for c in "${commands[@]}"; do
  eval "$c" || die "this command fails, so it cannot be timed: $c"
done

args=()
for i in "${!names[@]}"; do
  args+=(-n "${names[i]}" "${commands[i]}")
done
mkdir -p -- "$out/sections" "$(dirname -- "$png")"
load=$(cut -d' ' -f1-3 /proc/loadavg)
# -N: no intermediate shell, so the shell's start-up is not in the numbers.
hyperfine -N --style basic --warmup "$warmup" --min-runs "$min_runs" \
  --export-json "$out/launch.json" --export-markdown "$out/launch.md" \
  --export-csv "$out/launch.csv" "${args[@]}" >&2

# One statistic (CSV column 2 = mean, 3 = stddev, 4 = median) of one named
# line, in seconds, from the CSV export.
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
vs_floor=$(ratio zjail floor)
floor_vs_unshare=$(ratio floor unshare)
floor_vs_bwrap=$(ratio floor bwrap)

# CPU time per launch, every process of it counted (perf stat follows
# children): unlike the wall-clock time it hardly moves with the machine's
# load, so it shows what a change saves even on a busy shared host.
cpu_runs=${BENCH_CPU_RUNS:-100}
: >"$out/launch.cpu"
if command -v perf >/dev/null; then
  for i in "${!names[@]}"; do
    [[ ${names[i]} == firejail ]] && continue  # 40 ms a run; not the point here
    eval "set -- ${commands[i]}"
    ms=$(perf stat -x, -r "$cpu_runs" -e task-clock -- "$@" 2>&1 >/dev/null | awk -F, '/task-clock/ { printf "%.2f", $1 }')
    [[ -n $ms ]] && printf '%s\t%s\n' "${names[i]}" "$ms" >>"$out/launch.cpu"
  done
fi

# zjail against zjail-before once more, taking turns launch by launch: a
# change smaller than this host's drift during the hyperfine run shows here.
: >"$out/launch.interleaved"
if [[ -n $before ]]; then
  python3 "$repo/bench/interleave.py" "${BENCH_INTERLEAVED_RUNS:-300}" \
    -- "$before" --profile "$profile" /bin/true -- "$zjail" --profile "$profile" /bin/true \
    >"$out/launch.interleaved" || die "the interleaved run failed"
fi

# The plot: mean and median of each line, in ms.
awk -F, 'NR > 1 { printf "%s %.3f %.3f %.3f\n", $1, $2 * 1000, $3 * 1000, $4 * 1000 }' \
  "$out/launch.csv" >"$out/launch.dat"
gnuplot <<GP
load "$repo/bench/plot.gp"
set output "$png"
set title "Starting /bin/true in a sandbox (one hyperfine run, lower is better)"
set style histogram clustered gap 1
set boxwidth 0.8
set ylabel "ms"
set key top left
plot "$out/launch.dat" using 2:xtic(1) title "mean" lc rgb "#4477aa", \
     "" using 4 title "median" lc rgb "#88ccee", \
     "" using (\$0 - 0.2):(\$2):(sprintf("%.1f", \$2)) with labels offset 0,0.8 notitle
GP

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
debian=$(cat /etc/debian_version 2>/dev/null || echo unknown)
ms() { awk -v s="$(stat "$1" 2)" 'BEGIN { printf "%.1f", s * 1000 }'; }
printf 'launch\tzjail / unshare %s× (%s ms / %s ms; the jail'"'"'s floor %s×)\t≤ 1.0×\t%s\n' "$vs_unshare" "$(ms zjail)" \
  "$(ms unshare)" "$floor_vs_unshare" "$(verdict "$vs_unshare" 1.0)" >"$out/launch.summary"
printf 'launch\tzjail / bwrap %s× (%s ms / %s ms; the jail'"'"'s floor %s×)\t≤ 0.5×\t%s\n' "$vs_bwrap" "$(ms zjail)" \
  "$(ms bwrap)" "$floor_vs_bwrap" "$(verdict "$vs_bwrap" 0.5)" >>"$out/launch.summary"

{
  cat <<HEAD
## Launch time

How long it takes to start \`/bin/true\` in a jail: all lines in one
hyperfine run (\`-N --warmup ${warmup} --min-runs ${min_runs}\`), so they are
comparable with each other; absolute numbers depend on the machine and its
load. Every line runs as root. ${cpu:-unknown CPU}, $(nproc) CPUs, Debian
${debian}, kernel $(uname -r); load average at start ${load}; $(hyperfine --version),
$(bwrap --version), $(firejail --version | head -n 1), $(unshare --version).

![launch times](performance/launch.png)

| ratio | by mean | by median | target | |
|---|---|---|---|---|
| zjail / unshare | ${vs_unshare}× | ${vs_unshare_median}× | ≤ 1.0× | $(verdict "$vs_unshare" 1.0) |
| zjail / bwrap | ${vs_bwrap}× | ${vs_bwrap_median}× | ≤ 0.5× | $(verdict "$vs_bwrap" 0.5) |
| zjail / floor | ${vs_floor}× | $(ratio zjail floor 4)× | | |
| floor / unshare | ${floor_vs_unshare}× | $(ratio floor unshare 4)× | | the best zjail could reach |
| floor / bwrap | ${floor_vs_bwrap}× | $(ratio floor bwrap 4)× | | the best zjail could reach |
HEAD
  if [[ -n $before ]]; then
    echo "| zjail / zjail-before | $(ratio zjail zjail-before)× | $(ratio zjail zjail-before 4)× | | |"
    awk 'NR == 1 { bm = $1; ba = $2 } NR == 2 { printf "| zjail / zjail-before, taking turns (%d launches each) | %.2f× | %.2f× | | %.2f → %.2f ms by median |\n", runs, $2 / ba, $1 / bm, bm, $1 }' \
      runs="${BENCH_INTERLEAVED_RUNS:-300}" "$out/launch.interleaved"
  fi
  cat <<BODY

The targets are judged by mean.
$(if [[ -s $out/launch.cpu ]]; then
  echo
  echo "CPU time per launch, all its processes together (\`perf stat -r ${cpu_runs} -e task-clock\`, which the load moves much less than the wall clock):"
  echo
  echo "| name | CPU ms |"
  echo "|---|---|"
  awk -F'\t' '{ printf "| %s | %s |\n", $1, $2 }' "$out/launch.cpu"
fi)

$(cat "$out/launch.md")

| name | command |
|---|---|
BODY
  for i in "${!names[@]}"; do
    cmd=${commands[i]//"$zjail"/zjail}
    cmd=${cmd//"$floor"/floor}
    cmd=${cmd//"$profile"/bench/launch.profile}
    [[ -n $before ]] && cmd=${cmd//"$before"/zjail-before}
    # shellcheck disable=SC2016 # the backquotes are markdown
    printf '| %s | `%s` |\n' "${names[i]}" "$cmd"
  done
  cat <<TAIL

The zjail line builds the jail of [bench/launch.profile](../bench/launch.profile):
its own user, pid, mount, network (with \`lo\` up), uts, ipc, cgroup and time
namespaces, a fresh tmpfs root entered with pivot_root, read-only binds of
/usr, /etc/ld.so.cache and the compat paths, a private /tmp, /proc (with its
masks) and /dev, nobody with no capabilities, NO_NEW_PRIVS and a
\`@system-service\` seccomp filter. unshare builds none of the root file
system, user namespace, seccomp filter or /dev; bwrap builds a user
namespace, /proc and /dev but binds the whole host root.

The floor line ([bench/floor.c](../bench/floor.c)) is the kernel work of the
zjail line and nothing else: the same namespaces (clone3), id maps, tmpfs
root, binds, /proc masks and /dev, pivot_root, hostname and \`lo\`, the
payload started vfork-style under its own init with the same credentials
and Landlock rules, written out by hand for this one profile, with no
parsing, plan or checks. It attaches no seccomp filter (bench/seccomp.sh
times that, "attaching it") and hands no denial listener to its parent, so
it is a little below what the same jail can ever cost: floor / unshare is
the best ratio against unshare that this jail can reach, and zjail / floor
what zjail's own work costs on top.
TAIL
  if [[ -n $before ]]; then
    echo
    echo "zjail-before is \`${BENCH_ZJAIL_BEFORE_LABEL:-$before}\`, timed in the same run."
    echo "hyperfine times all of one line's runs before the next line's, so a host whose"
    echo "speed drifts moves the lines apart; the row \"taking turns\" times the two"
    echo "zjail builds launch by launch instead (bench/interleave.py), and is the one"
    echo "to go by for a change smaller than the drift."
  fi
} >"$section"
echo "bench: zjail/unshare ${vs_unshare}x (target <= 1.0x), zjail/bwrap ${vs_bwrap}x (target <= 0.5x)" >&2
