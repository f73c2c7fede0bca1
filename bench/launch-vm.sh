#!/usr/bin/env bash
# Launch time on the system-test VM's kernel: the comparison bench/launch.sh
# makes on the host (zjail --profile bench/launch.profile /bin/true against
# unshare and bubblewrap), all lines in one hyperfine run inside the Debian 12
# VM (kernel 6.1, qemu TCG). Writes the "Launch time in the VM" section and
# the summary rows for bench/run (<build>/bench/sections/launch-vm.md,
# <build>/bench/launch-vm.summary). Needs root, qemu and debootstrap; the VM
# comes from bench/vm-lib.sh (bench/run boots one for all the VM benchmarks).
#
#   bash bench/launch-vm.sh    # ZJAIL_BUILD_DIR, BENCH_MIN_RUNS (default 100)
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
build=${ZJAIL_BUILD_DIR:-$repo/build}
# shellcheck source-path=SCRIPTDIR source=vm-lib.sh
source "$repo/bench/vm-lib.sh"
[[ -x $build/bench/zjail_launch_floor ]] ||
  { echo "bench: the floor was not built (cmake --build $build --target zjail_launch_floor)" >&2; exit 1; }
bench_vm_hyperfine_script launch-vm

# zjail-no-aslr is not judged: it shows what TCG's translation adds (below).
# The floor (bench/floor.c) is the same jail's kernel work alone, as on the
# host: floor/unshare is the best ratio this jail can reach on this kernel.
names=(true zjail floor unshare bwrap zjail-no-aslr)
commands=(
  "/bin/true"
  "zjail --profile /opt/zjail/bench/launch.profile /bin/true"
  "/opt/zjail/bench/floor /bin/true"
  "unshare --fork --pid --mount --uts --ipc --net --mount-proc /bin/true"
  "bwrap --unshare-all --die-with-parent --ro-bind / / --proc /proc --dev /dev /bin/true"
  "setarch -R zjail --profile /opt/zjail/bench/launch.profile /bin/true"
)
args=""
for i in "${!names[@]}"; do
  # Fail early and clearly rather than time an error path.
  bench_vm "${commands[i]}" || { echo "bench: this fails in the VM, so it cannot be timed: ${commands[i]}" >&2; exit 1; }
  args+=" -n ${names[i]} '${commands[i]}'"
done
# -N: no intermediate shell, whose start-up under TCG would swamp the lines.
bench_vm "cd /root && hyperfine -N --style basic --warmup 10 --min-runs $runs \
  --export-markdown launch-vm.md --export-csv launch-vm.csv $args" >&2
bench_vm "cat /root/launch-vm.md" >"$work/launch.md"
bench_vm "cat /root/launch-vm.csv" >"$work/launch.csv"
bench_vm "uname -r; systemctl --version | head -n 1; hyperfine --version; bwrap --version; unshare --version" >"$work/system"

# stat NAME COLUMN: CSV column 2 = mean, 4 = median, in seconds.
stat() { awk -F, -v n="$1" -v c="$2" 'NR > 1 && $1 == n { print $c }' "$work/launch.csv"; }
ratio() { awk -v a="$(stat "$1" "${3:-2}")" -v b="$(stat "$2" "${3:-2}")" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r <= t ? "met" : "NOT met") }'; }
ms() { awk -v s="$(stat "$1" 2)" 'BEGIN { printf "%.1f", s * 1000 }'; }
vs_unshare=$(ratio zjail unshare)
vs_bwrap=$(ratio zjail bwrap)
floor_vs_unshare=$(ratio floor unshare)
floor_vs_bwrap=$(ratio floor bwrap)

mkdir -p -- "$out/sections"
{
  printf 'launch-vm\tzjail / unshare %s× (%s ms / %s ms; the jail'"'"'s floor %s×), VM kernel\t≤ 1.0×\t%s\n' \
    "$vs_unshare" "$(ms zjail)" "$(ms unshare)" "$floor_vs_unshare" "$(verdict "$vs_unshare" 1.0)"
  printf 'launch-vm\tzjail / bwrap %s× (%s ms / %s ms; the jail'"'"'s floor %s×), VM kernel\t≤ 0.5×\t%s\n' \
    "$vs_bwrap" "$(ms zjail)" "$(ms bwrap)" "$floor_vs_bwrap" "$(verdict "$vs_bwrap" 0.5)"
} >"$out/launch-vm.summary"
{
  cat <<HEAD
## Launch time in the VM (kernel $(sed -n 1p "$work/system"))

The comparison of "Launch time" above, made by \`bench/launch-vm.sh\` inside
the system-test VM: Debian 12, kernel $(sed -n 1p "$work/system"), $(sed -n 2p "$work/system"), qemu TCG with
2 vCPUs, $(date -u '+%Y-%m-%d %H:%M UTC'). All lines in one hyperfine run
(\`-N --warmup 10 --min-runs ${runs}\`), every one as root; $(sed -n 3p "$work/system"),
$(sed -n 4p "$work/system"), $(sed -n 5p "$work/system"). Under TCG every instruction is
emulated, so the times are many times the host's; the ratios are the point.

| ratio | by mean | by median | target | |
|---|---|---|---|---|
| zjail / unshare | ${vs_unshare}× | $(ratio zjail unshare 4)× | ≤ 1.0× | $(verdict "$vs_unshare" 1.0) |
| zjail / bwrap | ${vs_bwrap}× | $(ratio zjail bwrap 4)× | ≤ 0.5× | $(verdict "$vs_bwrap" 0.5) |
| zjail / floor | $(ratio zjail floor)× | $(ratio zjail floor 4)× | | |
| floor / unshare | ${floor_vs_unshare}× | $(ratio floor unshare 4)× | | the best zjail could reach |
| floor / bwrap | ${floor_vs_bwrap}× | $(ratio floor bwrap 4)× | | the best zjail could reach |

The targets are judged by mean.

HEAD
  cat "$work/launch.md"
  echo
  echo "| name | command |"
  echo "|---|---|"
  for i in "${!names[@]}"; do
    # shellcheck disable=SC2016 # the backquotes are markdown
    printf '| %s | `%s` |\n' "${names[i]}" "${commands[i]/\/opt\/zjail\//}"
  done
  cat <<'TAIL'

The zjail line builds the same jail as on the host (bench/launch.profile,
see "Launch time"), and the floor line does that jail's kernel work and
nothing else (bench/floor.c: no parsing, no plan, no seccomp filter); unshare
builds no root file system, user namespace, seccomp filter or /dev, and
bwrap binds the whole root.

Why zjail fares worse here than on the host: qemu's TCG translates guest
code into host code and keys the translations by virtual address. With
ASLR each launch puts zjail's 6 MiB binary at new addresses, so each
launch translates all the code it runs again; unshare and bwrap run far
less code and pay little of it. zjail-no-aslr, the zjail line under
`setarch -R` (one exec more), shows that share. Hardware and KVM have no
such cost, so these ratios understate zjail against the host's. The
floor, a small C program, pays little of it too.
TAIL
} >"$out/sections/launch-vm.md"
echo "bench: in the VM, zjail/unshare ${vs_unshare}x (target <= 1.0x), zjail/bwrap ${vs_bwrap}x (target <= 0.5x)" >&2
