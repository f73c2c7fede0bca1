#!/usr/bin/env bash
# Scale: BENCH_SCALE_JAILS (default 1000) jails of the demo's echo server
# (--profile echo) at once, each on its own port of 127.0.0.1 (ListenStream=
# replaced by a one-line profile layered on echo), started together. Measures
# the time until every one has answered a client, the memory they hold (PSS
# of every process of every jail tree from /proc/PID/smaps_rollup, zjail's
# own share, MemAvailable before and after), the time from SIGTERM until
# every zjail has exited; then checks that nothing is left: mounts, cgroups,
# /run/zjail, the script's fds, processes, network namespaces, the ports.
# Works out, from what a jail took, how many jails each host limit allows
# (the first to break is named), prints that, rewrites the "## Scale" section of docs/performance.md in place and
# leaves bench/run's summary row in <build>/bench/scale.summary.
#
#   bash bench/scale.sh             # needs root; ZJAIL_BUILD_DIR as launch.sh
#
# BENCH_SCALE_PORT is the first port (default 20000; the range must lie
# below net.ipv4.ip_local_port_range so that clients never take one).
set -euo pipefail
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
build=${ZJAIL_BUILD_DIR:-$repo/build}
zjail=${ZJAIL_BIN:-$build/jail/zjail}
server=$build/examples/echo/echo
doc=$repo/docs/performance.md
png=$repo/docs/performance/scale.png
n=${BENCH_SCALE_JAILS:-1000}
port0=${BENCH_SCALE_PORT:-20000}
start_timeout=${BENCH_SCALE_TIMEOUT:-300}
shed_ms=$(sed -n 's/.*kShedAfterMs = \([0-9]*\);.*/\1/p' "$repo/jail/include/zjail/memory.hpp")

export ZJAIL_PROFILE_PATH=$repo/profiles
die() {
  say "$1"
  exit 1
}
# Progress, with the seconds since the script started.
say() { echo "bench: [${SECONDS}s] $1" >&2; }
((EUID == 0)) || die "run as root"
[[ -x $zjail ]] || die "$zjail was not built"
[[ -x $server ]] || die "$server was not built (cmake --build $build --target echo)"
"$zjail" --profile base-service /bin/true || die "zjail --profile base-service /bin/true failed"
read -r ephemeral _ </proc/sys/net/ipv4/ip_local_port_range
((port0 + n <= ephemeral)) || die "ports $port0-$((port0 + n - 1)) reach the ephemeral range from $ephemeral"
busy=$(ss -Htln | awk -v lo="$port0" -v hi="$((port0 + n))" \
  '{ p = $4; sub(/.*:/, "", p); p += 0 } p >= lo && p < hi { print p }')
[[ -z $busy ]] || die "ports already in use in $port0-$((port0 + n - 1)): $(echo $busy)"

work=$(mktemp -d)
sups=()
cleanup() {
  ((${#sups[@]})) && kill -KILL "${sups[@]}" 2>/dev/null
  wait 2>/dev/null
  rm -rf -- "$work"
}
trap cleanup EXIT

# ---- What the host has before ------------------------------------------------
# Only what appears counts as left behind: peers on a shared host come and go.
host_mounts() { awk '{print $5, $9, $10}' /proc/self/mountinfo | sort; }
run_zjail_files() { find /run/zjail -mindepth 1 -not -path '/run/zjail/seccomp*' 2>/dev/null | sort; }
zjail_cgroups() { find /sys/fs/cgroup -name '*zjail*' 2>/dev/null | sort; }
net_namespaces() { { ip netns list 2>/dev/null; find /proc/[0-9]*/ns/net -maxdepth 0 -printf '%l\n' 2>/dev/null || :; } | sort -u; }
snapshot() {
  host_mounts >"$1.mounts"
  run_zjail_files >"$1.run"
  zjail_cgroups >"$1.cgroups"
  net_namespaces >"$1.netns"
}
mem_available() { awk '/^MemAvailable:/ {print $2}' /proc/meminfo; }
root_keys() { awk '$1 == "0:" { split($4, q, "/"); print q[1] }' /proc/key-users; }
open_files() { cut -f1 /proc/sys/fs/file-nr; }
# The median wall time in ms of 11 launches of a jailed /bin/true (the echo
# jails' base profile), one at a time: what starting one more jail costs
# with what runs now.
launch_ms() {
  local i t
  for ((i = 0; i < 11; i++)); do
    t=$(date +%s%N)
    "$zjail" --profile base-service /bin/true
    echo $((($(date +%s%N) - t) / 1000))
  done | sort -n | awk 'NR == 6 { printf "%.1f", $1 / 1000 }'
}

for ((i = 0; i < n; i++)); do
  printf '[Jail]\nListenStream=\nListenStream=127.0.0.1:%d\n' $((port0 + i)) >"$work/$i.profile"
done
snapshot "$work/before"
fds_before=$(ls /proc/$$/fd | wc -l)
avail_before=$(mem_available) keys_before=$(root_keys) files_before=$(open_files)
launch_before=$(launch_ms)

# ---- Start all, until every one answers --------------------------------------
# answer I: one round trip with jail I; fails if it refuses or does not echo.
answer() {
  local c reply
  exec {c}<>"/dev/tcp/127.0.0.1/$((port0 + $1))" || return 1
  printf 'jail %d\n' "$1" >&"$c"
  read -r -t 10 -u "$c" reply || reply=
  exec {c}>&-
  [[ $reply == "jail $1" ]]
}
say "starting $n echo jails on 127.0.0.1:$port0-$((port0 + n - 1))"
t0=$(date +%s%N)
t0_us=${EPOCHREALTIME/[.,]/}
for ((i = 0; i < n; i++)); do
  "$zjail" --profile echo --profile "$work/$i.profile" "$server" >/dev/null 2>"$work/$i.err" </dev/null &
  sups+=($!)
done
t_spawned=$(date +%s%N)
# zjail binds its port before it builds the jail, and the server answers once
# it runs; a refused connection only means zjail has not bound it yet.
for ((i = 0; i < n; i++)); do
  until answer "$i" 2>/dev/null; do
    kill -0 "${sups[i]}" 2>/dev/null || die "jail $i exited before it answered: $(head -c 300 "$work/$i.err")"
    (($(date +%s%N) - t0 < start_timeout * 1000000000)) || die "jail $i did not answer within ${start_timeout} s"
    sleep 0.05
  done
  # For the plot (no fork: the clock of bash itself). Jails are asked in
  # turn, so this is when each was seen answering, not when it could first.
  echo "up $((${EPOCHREALTIME/[.,]/} - t0_us))" >>"$work/times"
done
t_up=$(date +%s%N)
start_ms=$(((t_up - t0) / 1000000)) spawn_ms=$(((t_spawned - t0) / 1000000))
per_start=$(awk -v ms="$start_ms" -v n="$n" 'BEGIN { printf "%.1f", ms / n }')
say "$n jails answered $start_ms ms after the first start (the starts themselves took $spawn_ms ms)"

# ---- Memory ------------------------------------------------------------------
# Past the shedding delay (kShedAfterMs), so zjail is measured as it stays.
sleep "$(awk -v ms="$shed_ms" 'BEGIN { print (ms * 10 > 2000 ? ms * 10 : 2000) / 1000 }')"
printf '%s\n' "${sups[@]}" >"$work/sups"
ps -e -o pid=,ppid= >"$work/ps"
# Every process of every jail tree, as "PID ROLE": the supervisor (zjail,
# started here), its init (its one child), and the payload (every
# descendant of the init).
awk 'NR == FNR { sup[$1] = 1; next }
     { parent[$1] = $2 }
     END {
       for (p in parent) {
         role = ""
         for (q = p; q in parent; q = parent[q]) {
           if (q in sup) { role = (q == p ? "supervisor" : (parent[p] == q ? "init" : "payload")); break }
         }
         if (role != "") print p, role
       }
     }' "$work/sups" "$work/ps" >"$work/tree"
# "ROLE PSS_KIB" for each of them.
awk '{
  f = "/proc/" $1 "/smaps_rollup"; pss = 0
  while ((getline line < f) > 0) if (line ~ /^Pss:/) { split(line, a, " "); pss = a[2] }
  close(f)
  print $2, pss
}' "$work/tree" >"$work/pss"
avail_up=$(mem_available) keys_up=$(root_keys) files_up=$(open_files)
launch_up=$(launch_ms)
read -r n_sup n_init n_payload total_kib own_kib sup_kib init_kib payload_kib < <(awk '
  { count[$1]++; pss[$1] += $2 }
  END {
    printf "%d %d %d %d %d %d %d %d\n", count["supervisor"], count["init"], count["payload"],
      pss["supervisor"] + pss["init"] + pss["payload"], pss["supervisor"] + pss["init"],
      pss["supervisor"], pss["init"], pss["payload"]
  }' "$work/pss")
((n_sup == n && n_init == n && n_payload >= n)) ||
  die "the jail trees hold $n_sup supervisors, $n_init inits and $n_payload payload processes, not $n of each"
own_per=$((own_kib / n)) total_per=$((total_kib / n))
kernel_per=$(((avail_before - avail_up) / n))
say "one launch: $launch_before ms alone, $launch_up ms beside $n jails"
say "PSS of all $((n_sup + n_init + n_payload)) processes: $((total_kib / 1024)) MiB; zjail's own per jail: $own_per KiB (supervisor $((sup_kib / n)) + init $((init_kib / n))), payload $((payload_kib / n)) KiB; MemAvailable fell by $(((avail_before - avail_up) / 1024)) MiB ($kernel_per KiB a jail)"

# ---- Stop all with SIGTERM ---------------------------------------------------
t0=$(date +%s%N)
t0_us=${EPOCHREALTIME/[.,]/}
kill -TERM "${sups[@]}"
bad=0
for i in "${!sups[@]}"; do
  status=0
  wait "${sups[i]}" || status=$?
  echo "down $((${EPOCHREALTIME/[.,]/} - t0_us))" >>"$work/times"
  ((status == 0)) || { bad=$((bad + 1)); echo "bench: jail $i exited $status after SIGTERM: $(head -c 300 "$work/$i.err")" >&2; }
done
t_down=$(date +%s%N)
stop_ms=$(((t_down - t0) / 1000000))
say "$n jails exited $stop_ms ms after SIGTERM; $bad with a status other than 0"

# ---- Nothing is left ---------------------------------------------------------
leftovers=()
left=$(while read -r pid role; do [[ ! -d /proc/$pid ]] || echo "$pid($(cat "/proc/$pid/comm" 2>/dev/null))"; done <"$work/tree")
[[ -z $left ]] || leftovers+=("processes: $(echo $left)")
sups=()
left=$(ss -Htln | awk -v lo="$port0" -v hi="$((port0 + n))" '{ p = $4; sub(/.*:/, "", p); p += 0 } p >= lo && p < hi')
[[ -z $left ]] || leftovers+=("listening ports: $(echo "$left" | wc -l)")
# A network namespace outlives its last process briefly (the kernel frees it
# from a workqueue), and so may a mount; give them a few seconds.
for ((tries = 0; tries < 50; tries++)); do
  snapshot "$work/after"
  settled=1
  for k in mounts run cgroups netns; do
    [[ -z $(comm -13 "$work/before.$k" "$work/after.$k") ]] || settled=0
  done
  ((settled)) && break
  sleep 0.1
done
for k in mounts run cgroups netns; do
  added=$(comm -13 "$work/before.$k" "$work/after.$k")
  [[ -z $added ]] || leftovers+=("$k: $(echo "$added" | wc -l) new, first $(head -n 1 <<<"$added")")
done
fds_after=$(ls /proc/$$/fd | wc -l)
((fds_after == fds_before)) || leftovers+=("fds of the script: $fds_before before, $fds_after after")
avail_after=$(mem_available) keys_after=$(root_keys)
((${#leftovers[@]} == 0)) || printf 'bench: LEFT BEHIND: %s\n' "${leftovers[@]}" >&2
say "checked what is left"
verdict=$([[ $bad == 0 && ${#leftovers[@]} == 0 ]] && echo "met" || echo "NOT met")

# ---- The host's limits -------------------------------------------------------
# limit NAME VALUE PER_JAIL IN_USE: a table row; the jails it allows.
limit() {
  awk -v name="$1" -v value="$2" -v per="$3" -v used="$4" 'BEGIN {
    key = (value == "max" || per == 0) ? 1e18 : int((value - used) / per)
    printf "%d\t| %s | %s | %s | %s | %s |\n", key, name, value, per, used, key == 1e18 ? "no limit" : key
  }'
}
sysctl_value() { tr -s ' \t' ' ' <"/proc/sys/${1//.//}"; }
cg=$(awk -F: '$2 == "pids" || $2 == "" { print $3; exit }' /proc/self/cgroup)
pids_max=$(cat "/sys/fs/cgroup/pids$cg/pids.max" "/sys/fs/cgroup$cg/pids.max" 2>/dev/null | head -n 1 || :)
tasks=$(cut -d' ' -f4 /proc/loadavg | cut -d/ -f2)
per_task=$(awk -v a="$((n_sup + n_init + n_payload))" -v n="$n" 'BEGIN { print a / n }')
per_file=$(awk -v a="$((files_up - files_before))" -v n="$n" 'BEGIN { printf "%.1f", a / n }')
# A jail's memory as MemAvailable saw it; with fewer than 100 jails the rest
# of a shared host moves it more than they do, and the PSS stands in.
mem_per=$total_per
((n < 100 || kernel_per < total_per)) || mem_per=$kernel_per
ns_min=user.max_user_namespaces
for t in pid mnt net uts ipc cgroup time; do
  (($(sysctl_value "user.max_${t}_namespaces") < $(sysctl_value "$ns_min"))) && ns_min=user.max_${t}_namespaces
done
limits_table=$(
  echo "| limit | this host | a jail takes | in use before | jails it allows |"
  echo "|---|---|---|---|---|"
  {
    limit "kernel.pid_max (the host's PIDs; the 300 lowest are never reused)" "$(sysctl_value kernel.pid_max)" "$per_task" $((tasks + 300))
    limit "kernel.threads-max" "$(sysctl_value kernel.threads-max)" "$per_task" "$tasks"
    limit "pids.max of the starter's cgroup (TasksMax= under systemd)" "${pids_max:-max}" "$per_task" "$tasks"
    limit "$ns_min (the lowest of the 8 kinds)" "$(sysctl_value "$ns_min")" 1 0
    limit "fs.file-max (open files)" "$(sysctl_value fs.file-max)" "$per_file" "$files_before"
    limit "MemAvailable (KiB)" "$avail_before" "$mem_per" 0
    limit "ports of 127.0.0.1 below net.ipv4.ip_local_port_range (this benchmark's)" $((ephemeral - 1024)) 1 0
  } | sort -n | cut -f2-
)
# The first data row: the limit that breaks first, and at how many jails.
first=$(sed -n 3p <<<"$limits_table" | awk -F' [|] ' '{ print $1 }' | sed 's/^| //')
first_at=$(sed -n 3p <<<"$limits_table" | awk -F' [|] ' '{ print $5 }' | sed 's/ |$//')
echo "$limits_table" >&2
say "the first limit to break: $first, at about $first_at jails"

# bench/run's summary row.
mkdir -p -- "$build/bench"
printf 'scale\t%s echo jails: all answered %.1f s after the start, all exited %.1f s after SIGTERM; %s MiB PSS, zjail %s KiB a jail\tevery jail answers and exits 0, nothing left\t%s\n' \
  "$n" "$(awk -v ms="$start_ms" 'BEGIN { print ms / 1000 }')" "$(awk -v ms="$stop_ms" 'BEGIN { print ms / 1000 }')" \
  "$((total_kib / 1024))" "$own_per" \
  "$verdict" >"$build/bench/scale.summary"

# The plot: how many jails had answered by each second after the start,
# and how many had exited by each second after SIGTERM.
mkdir -p -- "$(dirname -- "$png")"
for what in up down; do
  awk -v w="$what" '$1 == w { print $2 / 1e6 }' "$work/times" | sort -n | awk '{ print $1, NR }' >"$build/bench/scale-$what.dat"
done
gnuplot <<GP
load "$repo/bench/plot.gp"
set output "$png"
set title "${n} echo jails: answered after the start, exited after SIGTERM"
set xlabel "seconds since the start, or since SIGTERM"
set ylabel "jails"
set yrange [0:$((n + n / 10))]
set xrange [0:*]
set grid
set key bottom right
plot "$build/bench/scale-up.dat" using 1:2 with lines lw 2 lc rgb "#4477aa" title "answered a client", \
     "$build/bench/scale-down.dat" using 1:2 with lines lw 2 lc rgb "#cc6677" title "exited after SIGTERM"
GP

section=$(cat <<MD
## Scale: 1,000 jails

![1,000 jails starting and stopping](performance/scale.png)

The curves count the jails seen answering, and seen exited, by each
moment. They are asked in turn, in the order they were started, so one
jail slower than those after it holds a curve flat until it answers.

\`bench/scale.sh\` starts ${n} jails of the demo's echo server at once
(\`zjail --profile echo\` with \`ListenStream=\` replaced by its own port of
127.0.0.1, so ${n} supervisors, ${n} inits, ${n} servers, ${n} network, pid, mount
and user namespaces), waits until every one has echoed a client's line,
measures them, stops them all with SIGTERM and checks what is left. Measured
on $(date -u +%Y-%m-%d) ($(uname -r), $(nproc) CPUs, $(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1048576)) GiB; a shared host, load
average $(cut -d' ' -f1-3 /proc/loadavg) at the end):

| | ${n} jails |
|---|---|
| start, until every one has answered | ${start_ms} ms, ${per_start} ms a jail (the ${n} \`zjail\` commands themselves were started in ${spawn_ms} ms) |
| one launch of \`--profile base-service /bin/true\` (median of 11), alone → beside the ${n} | ${launch_before} ms → ${launch_up} ms |
| stop, SIGTERM until every zjail has exited | ${stop_ms} ms, $((n - bad)) of ${n} with status 0 |
| PSS of every process of every jail | $((total_kib / 1024)) MiB, ${total_per} KiB a jail |
| zjail's own (supervisor + init) per jail | ${own_per} KiB ($((sup_kib / n)) + $((init_kib / n))); the echo server $((payload_kib / n)) KiB |
| MemAvailable, before → all running → all stopped | $((avail_before / 1024)) → $((avail_up / 1024)) → $((avail_after / 1024)) MiB: ${kernel_per} KiB a jail |
| open files (fs.file-nr), before → running | ${files_before} → ${files_up} |
| root's keys (/proc/key-users), before → running → stopped | ${keys_before} → ${keys_up} → ${keys_after} |
| left behind (mounts, cgroups, /run/zjail, fds, processes, network namespaces, ports) | $( ((${#leftovers[@]} == 0)) && echo "nothing" || printf '%s; ' "${leftovers[@]}") |

Target: every jail answers and exits 0 on SIGTERM, and nothing is left: **${verdict}**.

The start is the ${n} launches one after another, each about as long as
one launch takes on this host at that moment: ${per_start} ms a jail, against
${launch_before} ms for one launch alone and ${launch_up} ms for one beside
the ${n} running jails (what they add to a launch). Both are far above the
launch section's figure because of the shared host's load at the time (a
peer's emulated VM and compilers on both CPUs), not because of the jails.
The stop is SIGTERM to every supervisor at once; each init passes it to
its server, which exits 0, and zjail reports that status.

MemAvailable counts what PSS does not see: each jail's network namespace
(loopback, its sysctl tables, the socket and routing state), the kernel
stacks and page tables of three processes, and the mount table of its
root; that is most of the cost of a jail at this scale. It moves with
everything else on a shared host, and the kernel frees a network namespace
from a workqueue well after its last process has gone, so the figure "all
stopped" is still below "before"; the PSS is the exact one.

### Which host limit breaks first

What one more jail of this kind takes from the host, against this host's
limits (the figure at which each would stop a launch is the limit divided
by what a jail takes, less what the host already uses):

${limits_table}

The first to break on this host is **${first}**, at about ${first_at} jails.

- **PIDs.** A jail is three processes of the host's PID namespace (the
  supervisor, the init, the server; their PIDs inside the jail's own
  namespace come on top and cost the host nothing). \`kernel.pid_max\` of
  32768 is the kernel's default where nothing raises it (systemd raises it
  to 4194304 at boot): then about 10,800 jails. The next launch fails with
  one line that names the limits: \`zjail: clone3 with new namespaces
  (limits: kernel.pid_max=32768, kernel.threads-max=..., the cgroup's
  pids.max): Resource temporarily unavailable (step: clone)\` (or at
  \`fork-payload\`, when the init got the last PID). The fix is
  \`sysctl -w kernel.pid_max=4194304\`; memory comes next.
- **The starter's cgroup.** Under systemd, a service's \`TasksMax=\` is
  \`DefaultTasksMax=\`, 15% of the smallest of \`kernel.pid_max\`,
  \`kernel.threads-max\` and the root cgroup's \`pids.max\`: 4915 tasks
  with a \`kernel.pid_max\` of 32768, so about 1,600 jails started by one
  unit. A unit that starts many jails sets \`TasksMax=\` (the same error
  names it as "the cgroup's pids.max").
- **Keys.** Each jail's private session keyring (\`KeyringMode=private\`, the
  default) is one key charged to the jail's root: to host root when root
  starts it (\`kernel.keys.root_maxkeys\`, 1,000,000 here: root's keys went
  ${keys_before} → ${keys_up} → ${keys_after}), to the caller when a user
  starts it (\`kernel.keys.maxkeys\`, 200, and 5 of the 20000 bytes of
  \`kernel.keys.maxbytes\`). The kernel lets a session keyring exceed the quota, so no
  launch fails: 205 jails of one non-root user all ran, with 205 of its
  200 keys. But while that many run, the user can add no key of its own:
  \`add_key()\` fails with EDQUOT (measured with 197 jails running). A user
  who runs hundreds of jails needs \`kernel.keys.maxkeys\` raised.
- **Not limits here.** The 8 namespaces a jail makes, one of each kind,
  against \`user.max_*_namespaces\` (an exceeded one fails at \`clone\`
  with "limits: user.max_*_namespaces"); \`fs.mount-max\`, which counts
  per mount namespace (a jail's table has about 30 mounts); inotify, which
  a launch does not use; the starter's \`ulimit -n\`, since this script and
  the root test hold no fd per jail (a starter that keeps a pipe or a
  pidfd per jail needs one or two each, past a soft limit of 1024 at about
  500 jails). The ports are this benchmark's own: one port of 127.0.0.1 per
  jail, below the ephemeral range; other loopback addresses or
  \`ListenStream=/path\` sockets lift it.
MD
)
python3 "$repo/bench/replace-section.py" "$doc" "$section"
echo "bench: wrote the scale section of $doc" >&2
[[ $verdict == met ]]
