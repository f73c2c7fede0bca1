#!/usr/bin/env bash
# Memory per jail: the PSS (/proc/PID/smaps_rollup) of what zjail keeps alive
# beside each payload, every process of the jail's tree but the payload and
# its children (the zjail supervisor and the jail's init; pasta where a
# profile has it), with 1, 20 and 100 jails of `sleep` running at once (PSS
# splits shared pages among their users, so more jails cost less each).
# Prints the figures and rewrites the "## Memory per jail" section of
# docs/performance.md in place (bench/launch.sh keeps it: it only rewrites
# the head, before "## Where the time goes").
#
#   bash bench/memory.sh            # needs root; ZJAIL_BUILD_DIR as launch.sh
#
# BENCH_ZJAIL_BEFORE=PATH measures another zjail binary (say, a build of the
# previous commit) with 20 jails too, for a "before" row in the same run.
set -euo pipefail
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
build=${ZJAIL_BUILD_DIR:-$repo/build}
zjail=${ZJAIL_BIN:-$build/jail/zjail}
before=${BENCH_ZJAIL_BEFORE:-}
doc=$repo/docs/performance.md
target20_kib=150
target100_kib=120
shed_ms=$(sed -n 's/.*kShedAfterMs = \([0-9]*\);.*/\1/p' "$repo/jail/include/zjail/memory.hpp")

export ZJAIL_PROFILE_PATH=$repo/profiles
((EUID == 0)) || { echo "bench: run as root" >&2; exit 1; }
[[ -x $zjail ]] || { echo "bench: $zjail was not built" >&2; exit 1; }

pss() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }
rss() { awk '/^Rss:/ {print $2}' "/proc/$1/smaps_rollup"; }

# The children of a pid.
kids() { cat /proc/"$1"/task/*/children 2>/dev/null || true; }

# Starts $2 jails of zjail binary $1, waits until each has its payload, and
# past the shedding delay; prints "per_jail supervisor init rss_sup rss_init
# init_exe" in KiB per jail (init_exe: what the inits run by then).
measure() {
  local bin=$1 n=$2 pids=() i sup init payload tries p
  for ((i = 0; i < n; i++)); do
    "$bin" --profile base-service /bin/sleep 120 2>/dev/null &
    pids+=($!)
  done
  local s_pss=0 i_pss=0 o_pss=0 s_rss=0 i_rss=0 exe=""
  for sup in "${pids[@]}"; do
    # The init is zjail's child; it is ready once the payload (its child) exists.
    for ((tries = 0; tries < 400; tries++)); do
      init=$(kids "$sup" | awk '{print $1}')
      payload=$(kids "${init:-0}" | awk '{print $1}')
      [[ -n $init && -n $payload ]] && break
      sleep 0.05
    done
    [[ -n $payload ]] || { echo "bench: jail $sup did not start" >&2; exit 1; }
  done
  # Past the shedding delay (kShedAfterMs) and the init's handover, so that
  # every jail is measured as it stays.
  sleep 1
  for sup in "${pids[@]}"; do
    init=$(kids "$sup" | awk '{print $1}')
    payload=$(kids "$init" | awk '{print $1}')
    s_pss=$((s_pss + $(pss "$sup"))) i_pss=$((i_pss + $(pss "$init")))
    s_rss=$((s_rss + $(rss "$sup"))) i_rss=$((i_rss + $(rss "$init")))
    # Anything else of the tree (pasta, a second child of the supervisor).
    for p in $(kids "$sup") $(kids "$init"); do
      [[ $p == "$init" || $p == "$payload" ]] || o_pss=$((o_pss + $(pss "$p")))
    done
    exe=$(basename "$(readlink "/proc/$init/exe")")
  done
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  echo "$(((s_pss + i_pss + o_pss) / n)) $((s_pss / n)) $((i_pss / n)) $((s_rss / n)) $((i_rss / n)) $exe"
}

read -r one one_s one_i one_sr one_ir one_exe < <(measure "$zjail" 1)
read -r p20 p20_s p20_i p20_sr p20_ir p20_exe < <(measure "$zjail" 20)
read -r p100 p100_s p100_i p100_sr p100_ir p100_exe < <(measure "$zjail" 100)
before_row=""
if [[ -n $before ]]; then
  read -r b20 b20_s b20_i b20_sr b20_ir b20_exe < <(measure "$before" 20)
  before_row="| 20, before (\`${BENCH_ZJAIL_BEFORE_LABEL:-$before}\`) | ${b20} KiB | ${b20_s} KiB | ${b20_i} KiB (${b20_exe}) | ${b20_sr} + ${b20_ir} KiB |"
  echo "memory: before, 20 jails: ${b20} KiB PSS per jail"
fi
v20=$([[ $p20 -le $target20_kib ]] && echo "met" || echo "NOT met")
v100=$([[ $p100 -le $target100_kib ]] && echo "met" || echo "NOT met")
echo "memory: 1 jail: ${one} KiB PSS (supervisor ${one_s}, init ${one_i}; RSS ${one_sr} + ${one_ir})"
echo "memory: 20 jails: ${p20} KiB PSS per jail (supervisor ${p20_s}, init ${p20_i}); target ${target20_kib} KiB: ${v20}"
echo "memory: 100 jails: ${p100} KiB PSS per jail (supervisor ${p100_s}, init ${p100_i}); target ${target100_kib} KiB: ${v100}"
# bench/run's summary rows.
mkdir -p -- "$build/bench"
{
  printf 'memory\tPSS per jail with 20 jails: %s KiB (supervisor %s + init %s)\t≤ %s KiB\t%s\n' \
    "$p20" "$p20_s" "$p20_i" "$target20_kib" "$v20"
  printf 'memory\tPSS per jail with 100 jails: %s KiB (supervisor %s + init %s)\t≤ %s KiB\t%s\n' \
    "$p100" "$p100_s" "$p100_i" "$target100_kib" "$v100"
} >"$build/bench/memory.summary"

section=$(cat <<MD
## Memory per jail

What zjail keeps alive beside each payload is two processes: the zjail
supervisor (it forwards signals and reports the exit status) and the jail's
init (PID 1 of the jail). Their PSS from \`/proc/PID/smaps_rollup\`, measured by
\`bench/memory.sh\` with \`--profile base-service /bin/sleep 120\` on $(date -u +%Y-%m-%d)
($(uname -r), $(nproc) CPUs):

| jails running | PSS per jail | supervisor | init (what it runs) | RSS supervisor + init |
|---|---|---|---|---|
| 1 | ${one} KiB | ${one_s} KiB | ${one_i} KiB (${one_exe}) | ${one_sr} + ${one_ir} KiB |
| 20 | ${p20} KiB | ${p20_s} KiB | ${p20_i} KiB (${p20_exe}) | ${p20_sr} + ${p20_ir} KiB |
| 100 | ${p100} KiB | ${p100_s} KiB | ${p100_i} KiB (${p100_exe}) | ${p100_sr} + ${p100_ir} KiB |
${before_row}

Targets: at most ${target20_kib} KiB per jail with 20 jails (**${v20}**) and
${target100_kib} KiB with 100 (**${v100}**). PSS divides shared pages among the
processes mapping them: the binaries' text is shared by every jail, so the
per-jail cost falls as jails are added; RSS is what one jail would cost alone
with nothing shared.

What zjail gives back once the payload runs (after ${shed_ms} ms without
events; a short-lived payload is gone before then and pays nothing):

- **The init hands over to \`zjail-init\`** (jail/init/, include/zjail/memory.hpp):
  the init zjail clones is a copy of zjail's whole address space; it execs a
  small static binary that serves the payload with the same loop
  (jail/src/child/init_serve.cpp) in a few pages. The blocked signals, the
  pending ones and the status pipe carry over. Not for a payload that may
  hold \`CAP_SYS_PTRACE\`: an exec'd init's memory belongs to the jail's user
  namespace, where that capability would reach it (the cloned init's belongs
  to the host's); such a jail keeps the cloned init, which sheds.
- **The supervisor keeps only what supervising reads**
  (\`keep_for_supervision()\`, launch.hpp): once the payload runs, the plan is
  cut down to the filters, what explains their denials and ListenViaBind='s
  sockets; the mount table, the environment, the argv and the payload's
  binary, mount sources and passed sockets (fds the supervisor held for the
  jail's life) go.
- **The supervisor sheds**: it drops its mappings of every read-only and
  executable segment (clean page cache; what it still runs faults back in)
  and of its dead stack, and trims its heap (\`shed_startup_memory()\`).

Why the targets are still missed: the supervisor. It is zjail itself, a
dynamically linked PIE, and what it keeps is anonymous memory no trimming can
give back: the heap (about 100 KiB resident: what answering denials needs,
the logger, and pages that launch-time allocations left partly used), the
binary's relocated data (RELRO, 64 KiB, private to each process since each
is relocated to its own address), libc's and the loader's data, TLS and bss
(about 50 KiB), zjail's own data and bss (about 30 KiB) and its live stack
(about 25 KiB). Freeing the profile as well was measured and gave nothing
(the pages stay resident for what is left on them). Reaching 150 KiB needs
the supervisor to hand over the way the init does, to a small binary that
carries the pidfd, the signal forwarding and the status across an exec. The
part it cannot carry in a few pages is the seccomp listener: each denial is
answered as the original filters decide and explained from the profile, which
takes libseccomp and the explanation tables. The shape that keeps both: the
small supervisor holds the listener and, on a notification (rare once a
service is past its start), execs zjail again with the fds and the filters
and their sources in a sealed memfd; zjail answers, explains, and hands back
once idle. That, with the notify relay, is the next step.
MD
)
python3 "$repo/bench/replace-section.py" "$doc" "$section"
echo "bench: wrote the memory section of $doc"
