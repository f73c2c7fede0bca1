#!/usr/bin/env bash
# Memory per jail: the PSS (/proc/PID/smaps_rollup) of what zjail keeps alive
# beside each payload, the zjail supervisor plus the jail's init, measured
# with 1 and with BENCH_JAILS (default 10) jails of `sleep` running at once
# (PSS splits shared pages among their users, so more jails cost less each).
# Prints the figures and rewrites the "## Memory per jail" section of
# docs/performance.md in place (bench/launch.sh keeps it: it only rewrites
# the head, before "## Where the time goes").
#
#   bash bench/memory.sh            # needs root; ZJAIL_BUILD_DIR as launch.sh
set -euo pipefail
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
build=${ZJAIL_BUILD_DIR:-$repo/build}
zjail=${ZJAIL_BIN:-$build/jail/zjail}
doc=$repo/docs/performance.md
many=${BENCH_JAILS:-10}
target_kib=300
shed_ms=$(sed -n 's/.*kShedAfterMs = \([0-9]*\);.*/\1/p' "$repo/jail/include/zjail/memory.hpp")

export ZJAIL_PROFILE_PATH=$repo/profiles
((EUID == 0)) || { echo "bench: run as root" >&2; exit 1; }
[[ -x $zjail ]] || { echo "bench: $zjail was not built" >&2; exit 1; }

pss() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }
rss() { awk '/^Rss:/ {print $2}' "/proc/$1/smaps_rollup"; }

# Starts $1 jails, waits until each has its init and payload, prints
# "total_pss_kib supervisor_pss init_pss supervisor_rss init_rss" summed.
measure() {
  local n=$1 pids=() i sup init tries
  for ((i = 0; i < n; i++)); do
    "$zjail" --profile base-service /bin/sleep 30 &
    pids+=($!)
  done
  local s_pss=0 i_pss=0 s_rss=0 i_rss=0
  for sup in "${pids[@]}"; do
    # The init is zjail's child; it is ready once the payload (its child) exists.
    for ((tries = 0; tries < 200; tries++)); do
      init=$(cat "/proc/$sup/task/$sup/children" 2>/dev/null | awk '{print $1}')
      [[ -n $init && -n $(cat "/proc/$init/task/$init/children" 2>/dev/null) ]] && break
      sleep 0.05
    done
    [[ -n $init ]] || { echo "bench: jail $sup did not start" >&2; exit 1; }
    # Past the shedding delay (kShedAfterMs), so both are measured as they stay.
    sleep 0.5
    s_pss=$((s_pss + $(pss "$sup"))) i_pss=$((i_pss + $(pss "$init")))
    s_rss=$((s_rss + $(rss "$sup"))) i_rss=$((i_rss + $(rss "$init")))
  done
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  echo "$(( (s_pss + i_pss) / n )) $((s_pss / n)) $((i_pss / n)) $((s_rss / n)) $((i_rss / n))"
}

read -r one one_s one_i one_sr one_ir < <(measure 1)
read -r per per_s per_i per_sr per_ir < <(measure "$many")
verdict=$([[ $per -le $target_kib ]] && echo "met" || echo "NOT met")
echo "memory: 1 jail: ${one} KiB PSS (supervisor ${one_s}, init ${one_i}; RSS ${one_sr} + ${one_ir})"
echo "memory: ${many} jails: ${per} KiB PSS per jail (supervisor ${per_s}, init ${per_i}; RSS ${per_sr} + ${per_ir}); target ${target_kib} KiB: ${verdict}"
# bench/run's summary row.
mkdir -p -- "$build/bench"
printf 'memory\tPSS per jail with %s jails: %s KiB (supervisor %s + init %s)\t≤ %s KiB\t%s\n' \
  "$many" "$per" "$per_s" "$per_i" "$target_kib" "$verdict" >"$build/bench/memory.summary"

section=$(cat <<MD
## Memory per jail

What zjail keeps alive beside each payload is two processes: the zjail
supervisor (it forwards signals and reports the exit status) and the jail's
init (PID 1 of the jail). Their PSS from \`/proc/PID/smaps_rollup\`, measured by
\`bench/memory.sh\` with \`--profile base-service /bin/sleep 30\` on $(date -u +%Y-%m-%d)
($(uname -r), $(nproc) CPUs):

| jails running | PSS per jail | supervisor | init | RSS supervisor + init |
|---|---|---|---|---|
| 1 | ${one} KiB | ${one_s} KiB | ${one_i} KiB | ${one_sr} + ${one_ir} KiB |
| ${many} | ${per} KiB | ${per_s} KiB | ${per_i} KiB | ${per_sr} + ${per_ir} KiB |

Target: at most ${target_kib} KiB per jail with ${many} jails: **${verdict}**. PSS divides
shared pages among the processes mapping them: the init is a clone of the
supervisor and shares its unmodified pages, and the binary's text is shared by
every jail, so the per-jail cost falls as jails are added; RSS is what one jail
would cost alone with nothing shared.

Where it goes, and what zjail already gives back: starting a jail runs most
of zjail's 3.4 MiB static binary (CLI11, the profile parser, libseccomp) and
a deep stack, and the init, a clone of the supervisor, runs the mount and
credential steps. None of that is needed once the payload runs. So after
${shed_ms} ms without events, both processes drop their mappings of every
read-only and executable segment (clean page cache: what they still run
faults back in) and of their dead stack, and the supervisor trims its heap
(\`shed_startup_memory()\`, jail/src/memory.cpp; a short-lived payload is gone
before then and pays nothing). With 10 jails that took the cost from about
560 to about 400 KiB each. What is left is anonymous memory that must stay:
the heap holding the plan, shared copy-on-write between the two and split
as each writes (about 110 KiB a jail), the binary's relocated data (a PIE's
RELRO, about 50 KiB, per jail since each is relocated to its own address),
libc's and the loader's data and TLS (about 40 KiB), the live stack (about
30 KiB), and the few code pages the wait loops run. Reaching 300 KiB needs a
different shape, not more trimming: a small separate supervisor and init
binary, exec'd once the jail is up, which would own a few pages instead of a
copy of the launcher's address space, at the price of an exec per jail.
MD
)
python3 "$repo/bench/replace-section.py" "$doc" "$section"
echo "bench: wrote the memory section of $doc"
