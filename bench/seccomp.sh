#!/usr/bin/env bash
# Per-call cost of zjail's seccomp filters (bench/seccomp_bench.cpp), with a
# section and a plot for bench/run.
#
#   bash bench/seccomp.sh     # BENCH_SECCOMP_CALLS (per round, default 2000000),
#                             # BENCH_SECCOMP_ROUNDS (default 5), ZJAIL_BUILD_DIR
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
build=${ZJAIL_BUILD_DIR:-$repo/build}
prog=$build/bench/zjail_seccomp_bench
out=$build/bench
png=$repo/docs/performance/seccomp.png
calls=${BENCH_SECCOMP_CALLS:-2000000}
rounds=${BENCH_SECCOMP_ROUNDS:-5}

[[ -x $prog ]] || { echo "bench: $prog was not built" >&2; exit 1; }
mkdir -p -- "$out/sections" "$(dirname -- "$png")"
load=$(cut -d' ' -f1-3 /proc/loadavg)
"$prog" "$repo/profiles" "$calls" "$rounds" >"$out/seccomp.tsv"

get() { awk -F'\t' -v v="$1" -v k="$2" '$1 == v && $2 == k { print $3 }' "$out/seccomp.tsv"; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", (a / b - 1) * 100 }'; }
# The target: zjail's filter costs at most 5% more than the allow-all floor,
# on the plain calls the kernel's action cache answers.
worst=0
for c in getppid read0; do
  worst=$(awk -v w="$worst" -v a="$(get zjail "$c")" -v b="$(get allow-all "$c")" \
    'BEGIN { r = (a / b - 1) * 100; print (r > w ? r : w) }')
done
met=$(awk -v w="$worst" 'BEGIN { print (w <= 5 ? "met" : "NOT met") }')
printf 'seccomp\tzjail filter vs allow-all floor, worst of getppid/read: %+.1f%%\t≤ +5%%\t%s\n' "$worst" "$met" \
  >"$out/seccomp.summary"

for v in none allow-all zjail zjail-notify libseccomp; do
  printf '%s %s %s %s\n' "$v" "$(get "$v" getppid)" "$(get "$v" read0)" "$(get "$v" ioctl)"
done >"$out/seccomp.dat"
gnuplot <<GP
load "$repo/bench/plot.gp"
set output "$png"
set title "Cost of one system call under each filter (best of $rounds rounds of $calls calls)"
set style histogram clustered gap 1
set ylabel "ns per call"
set key top left
plot "$out/seccomp.dat" using 2:xtic(1) title "getppid()" lc rgb "#4477aa", \
     "" using 3 title "read(fd, buf, 0)" lc rgb "#88ccee", \
     "" using 4 title "ioctl(FIONREAD) (argument rules)" lc rgb "#cc6677"
GP

{
  cat <<HEAD
## Seccomp: cost per system call

\`bench/seccomp.sh\` runs \`zjail_seccomp_bench\` (bench/seccomp_bench.cpp):
each filter is attached in a fresh forked child, which then times
${calls} calls of each kind; ${rounds} rounds, interleaved, the fastest
reported. Load average at start: ${load}.

![seccomp cost per call](performance/seccomp.png)

| filter | getppid() | read(fd, buf, 0) | ioctl(FIONREAD) | attaching it |
|---|---|---|---|---|
HEAD
  for v in none allow-all zjail zjail-notify libseccomp; do
    printf '| %s | %s ns | %s ns | %s ns | %s µs |\n' "$v" "$(get "$v" getppid)" "$(get "$v" read0)" \
      "$(get "$v" ioctl)" "$(get "$v" attach_us)"
  done
  cat <<BODY

- **none**: no filter. **allow-all**: a one-instruction filter that allows
  everything, the kernel's floor for any filter. **zjail**: what zjail attaches
  for \`base-service\`: its always-on base filter and the \`@system-service\`
  allow list ($(get zjail instructions) BPF instructions in all), precompiled.
  **zjail-notify**: the same filters merged into the one filter a jail's
  payload attaches with a seccomp listener, so that its denials are
  explained (docs/denials.md); allowed calls never reach the listener.
  **libseccomp**: the same rules built with libseccomp's defaults and attached
  with \`seccomp_load()\`, which also generates the BPF in the process.
- zjail-notify against zjail: getppid $(pct "$(get zjail-notify getppid)" "$(get zjail getppid)"),
  read $(pct "$(get zjail-notify read0)" "$(get zjail read0)"), ioctl $(pct "$(get zjail-notify ioctl)" "$(get zjail ioctl)").
- zjail against the floor: getppid $(pct "$(get zjail getppid)" "$(get allow-all getppid)"),
  read $(pct "$(get zjail read0)" "$(get allow-all read0)"), ioctl $(pct "$(get zjail ioctl)" "$(get allow-all ioctl)").
  **Target ≤ +5% on the plain calls: ${met}.**
- Plain allowed calls cost the same under any filter: the kernel decides them
  from its per-syscall action cache, filled when the filter is attached,
  without running BPF. ioctl cannot be cached, since the base filter looks at
  its request argument (TIOCSTI and TIOCLINUX fail), so every ioctl runs the
  filters; zjail compiles them as a binary search on the syscall number, which
  keeps that walk short and makes attaching them cheap (the kernel runs the
  filter for every syscall number to fill the cache).
- Attaching: zjail's precompiled filters against libseccomp generating the
  same rules in the process; that difference is part of every launch.

### The worst case: every argument rule a directive can add

**hardened** is zjail's filter for \`base-service\` plus the rules of
\`RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\`, \`MemoryDenyWriteExecute=\`
as a kernel without \`PR_SET_MDWE\` gets it (rules on mmap, mprotect,
pkey_mprotect and shmat), \`RestrictSUIDSGID=\` (open, openat, chmod,
mkdir, ...), \`RestrictRealtime=\` and \`LockPersonality=\`
($(get hardened instructions) BPF instructions). **mdwe-prctl** is zjail's
filter plus \`PR_SET_MDWE\`, what \`MemoryDenyWriteExecute=\` is on this
kernel$(get mdwe-prctl mmap >/dev/null; [[ -n $(get mdwe-prctl mmap) ]] || echo " (not measured: this kernel has no PR_SET_MDWE)").
**landlock** is zjail's filter plus the Landlock rules \`base-service\`'s jail
lays on itself (its mount table as path rules, the scopes), on the host's
same paths: every open is judged by them$([[ -n $(get landlock openat) ]] || echo " (not measured: this kernel has no Landlock path rules)").

| filter | mmap + munmap | mprotect | openat + close | socket + close |
|---|---|---|---|---|
BODY
  for v in none allow-all zjail hardened mdwe-prctl landlock; do
    [[ -n $(get "$v" mmap) ]] || continue
    printf '| %s | %s ns | %s ns | %s ns | %s ns |\n' "$v" "$(get "$v" mmap)" "$(get "$v" mprotect)" \
      "$(get "$v" openat)" "$(get "$v" socket)"
  done
  cat <<TAIL

- hardened against zjail: mmap $(pct "$(get hardened mmap)" "$(get zjail mmap)"),
  mprotect $(pct "$(get hardened mprotect)" "$(get zjail mprotect)"),
  openat $(pct "$(get hardened openat)" "$(get zjail openat)"),
  socket $(pct "$(get hardened socket)" "$(get zjail socket)"). These calls
  can no longer be answered from the action cache, so each runs the filter
  (a binary search to the call, then its argument compares); getppid and
  read are untouched ($(get hardened getppid) ns, $(get hardened read0) ns).
  A profile pays this only for the directives it names.
- landlock against zjail: openat $(pct "$(get landlock openat)" "$(get zjail openat)")
  per open; attaching the ruleset and the filter takes $(get landlock attach_us) µs
  against $(get zjail attach_us) µs for the filter alone.
TAIL
} >"$out/sections/seccomp.md"
echo "bench: seccomp, zjail vs allow-all: worst ${worst}% (target <= 5%: ${met})" >&2
