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
png=$repo/docs/performance/memory.png
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
# init_exe sup_exe state" in KiB per jail (*_exe: what the inits and the
# supervisors run by then; state: the memfd a supervisor that handed over
# keeps its state in, counted in the supervisor's figure though no process
# maps it).
measure() {
  local bin=$1 n=$2 pids=() i sup init payload tries p
  for ((i = 0; i < n; i++)); do
    "$bin" --profile base-service /bin/sleep 120 2>/dev/null &
    pids+=($!)
  done
  local s_pss=0 i_pss=0 o_pss=0 s_rss=0 i_rss=0 m_kib=0 exe="" sexe="" fd
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
    for fd in /proc/"$sup"/fd/*; do
      [[ $(readlink "$fd") == /memfd:zjail-supervision* ]] && m_kib=$((m_kib + ($(stat -L -c %s "$fd") + 4095) / 4096 * 4))
    done
    exe=$(basename "$(readlink "/proc/$init/exe")")
    sexe=$(basename "$(readlink "/proc/$sup/exe")")
  done
  s_pss=$((s_pss + m_kib))
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  echo "$(((s_pss + i_pss + o_pss) / n)) $((s_pss / n)) $((i_pss / n)) $((s_rss / n)) $((i_rss / n)) $exe $sexe $((m_kib / n))"
}

# What the handover costs instead: the CPU time (µs, /proc/PID/schedstat)
# of the supervisor per denied call that wakes it after it has handed over,
# zjail exec'd back and handing over again. A shell payload makes one
# denied call (unshare, not in base-service's @system-service) per SIGUSR1.
# A zjail without the handover answers the same calls in its own process.
wakeup_cost() {
  local bin=$1 rounds=6 z i w t0 t1 handing
  # shellcheck disable=SC2016  # the payload's own shell expands it
  "$bin" --profile base-service -- /bin/sh -c 'trap "/usr/bin/unshare -U /bin/true" USR1; while :; do sleep 1 & wait; done' \
    2>/dev/null &
  z=$!
  sleep 1
  handing=0
  [[ $(readlink "/proc/$z/exe") == */zjail-init ]] && handing=1
  idle() {
    for ((w = 0; handing && w < 200; w++)); do
      [[ $(readlink "/proc/$z/exe") == */zjail-init ]] && return
      sleep 0.05
    done
  }
  t0=$(cut -d' ' -f1 "/proc/$z/schedstat")
  for ((i = 0; i < rounds; i++)); do
    idle
    kill -USR1 "$z"
    sleep 0.3
  done
  idle
  t1=$(cut -d' ' -f1 "/proc/$z/schedstat")
  kill -TERM "$z" 2>/dev/null || true
  wait "$z" 2>/dev/null || true
  echo $(((t1 - t0) / rounds / 1000))
}
wake=$(wakeup_cost "$zjail")
wake_before=""
[[ -n $before ]] && wake_before=$(wakeup_cost "$before")
echo "memory: CPU per denial that wakes an idle supervisor: ${wake} µs${wake_before:+ (before: ${wake_before} µs)}"

read -r one one_s one_i one_sr one_ir one_exe one_sexe one_m < <(measure "$zjail" 1)
read -r p20 p20_s p20_i p20_sr p20_ir p20_exe p20_sexe p20_m < <(measure "$zjail" 20)
read -r p100 p100_s p100_i p100_sr p100_ir p100_exe p100_sexe p100_m < <(measure "$zjail" 100)
before_row=""
if [[ -n $before ]]; then
  read -r b20 b20_s b20_i b20_sr b20_ir b20_exe b20_sexe b20_m < <(measure "$before" 20)
  before_row="| 20, before (\`${BENCH_ZJAIL_BEFORE_LABEL:-$before}\`) | ${b20} KiB | ${b20_s} KiB (${b20_sexe}; ${b20_m} KiB state) | ${b20_i} KiB (${b20_exe}) | ${b20_sr} + ${b20_ir} KiB |"
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

# The plot: what each jail keeps beside its payload, stacked.
mkdir -p -- "$(dirname -- "$png")"
printf '"%s" %s %s %s\n' 1 "$one_s" "$one_i" "$one" 20 "$p20_s" "$p20_i" "$p20" 100 "$p100_s" "$p100_i" "$p100" \
  >"$build/bench/memory.dat"
gnuplot <<GP
load "$repo/bench/plot.gp"
set output "$png"
set title "PSS per jail beside its payload (targets: ${target20_kib} KiB with 20 jails, ${target100_kib} KiB with 100)"
set style histogram rowstacked
set boxwidth 0.5
set xlabel "jails running at once"
set ylabel "KiB per jail"
set offsets 0, 0, 2, 0
set key top right
plot "$build/bench/memory.dat" using 2:xtic(1) title "supervisor" lc rgb "#4477aa", \
     "" using 3 title "init" lc rgb "#88ccee", \
     "" using (\$0):(\$4):(sprintf("%d", \$4)) with labels offset 0,0.8 notitle
GP

section=$(cat <<MD
## Memory per jail

![PSS per jail](performance/memory.png)

What zjail keeps alive beside each payload is two processes: the zjail
supervisor (it forwards signals and reports the exit status) and the jail's
init (PID 1 of the jail). Their PSS from \`/proc/PID/smaps_rollup\`, measured by
\`bench/memory.sh\` with \`--profile base-service /bin/sleep 120\` on $(date -u +%Y-%m-%d)
($(uname -r), $(nproc) CPUs):

| jails running | PSS per jail | supervisor (what it runs; its state memfd, counted in) | init (what it runs) | RSS supervisor + init |
|---|---|---|---|---|
| 1 | ${one} KiB | ${one_s} KiB (${one_sexe}; ${one_m} KiB state) | ${one_i} KiB (${one_exe}) | ${one_sr} + ${one_ir} KiB |
| 20 | ${p20} KiB | ${p20_s} KiB (${p20_sexe}; ${p20_m} KiB state) | ${p20_i} KiB (${p20_exe}) | ${p20_sr} + ${p20_ir} KiB |
| 100 | ${p100} KiB | ${p100_s} KiB (${p100_sexe}; ${p100_m} KiB state) | ${p100_i} KiB (${p100_exe}) | ${p100_sr} + ${p100_ir} KiB |
${before_row}

Targets: at most ${target20_kib} KiB per jail with 20 jails (**${v20}**) and
${target100_kib} KiB with 100 (**${v100}**). PSS divides shared pages among the
processes mapping them: the binaries' text is shared by every jail, so the
per-jail cost falls as jails are added; RSS is what one jail would cost alone
with nothing shared.

What zjail gives back once the payload runs (after ${shed_ms} ms without
events; a short-lived payload is gone before then and pays nothing):

- **The supervisor hands over to \`zjail-init\`** (include/zjail/handover.hpp,
  jail/init/supervise.cpp): zjail's own process, the unit's main process,
  execs the small supervisor, which keeps the pid and needs a few pages. It
  passes the forwarded signals on and exits with a normal status itself.
  Everything else execs zjail again with the same fds and, in a sealed
  memfd (the "state" above, counted in), what only zjail reads: the filters
  and what explains their denials, the denial counts, the notify relay's
  paths. zjail answers a denied call or relays a notify message, reports a
  payload killed by a signal, removes what the end must remove, and hands
  over again once idle. Not in learn or explain mode, nor with
  ListenViaBind=, a network that holds anything on the host, or
  DynamicUser=/service directories: those jails keep zjail, which sheds.
- **The init hands over to \`zjail-init\`** too (include/zjail/memory.hpp): the
  init zjail clones is a copy of zjail's whole address space; it execs the
  same small binary, which serves the payload with the init's loop
  (jail/src/child/init_serve.cpp). The blocked signals, the pending ones and
  the status pipe carry over. Not for a payload that may hold
  \`CAP_SYS_PTRACE\`: an exec'd init's memory belongs to the jail's user
  namespace, where that capability would reach it (the cloned init's belongs
  to the host's); such a jail keeps the cloned init, which sheds.
- **A supervisor that cannot hand over keeps only what supervising reads**
  (\`keep_for_supervision()\`, launch.hpp) and sheds its start-up memory
  (\`shed_startup_memory()\`): about 340 KiB per jail with 20 jails, most of it
  anonymous memory of a dynamically linked C++ program (heap, relocated
  data, libc's state) that no trimming gives back.

What the handover costs: each wake-up of a supervisor that handed over is an
exec of zjail and one of zjail-init. A denied call that wakes an idle
supervisor took ${wake} µs of its CPU time${wake_before:+, against ${wake_before} µs for a zjail that never hands over}
(\`wakeup_cost\` in bench/memory.sh, 6 wake-ups, each once the supervisor had handed
over). A jail that wakes its supervisor again soon after each handover is
handed over after ever longer idle times (doubling up to 12.8 s; a minute of
quiet starts over), so a chatty payload keeps zjail and pays nothing.
MD
)
python3 "$repo/bench/replace-section.py" "$doc" "$section"
echo "bench: wrote the memory section of $doc"
