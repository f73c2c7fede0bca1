#!/bin/bash
# zjail run by root outside any service (here: an ssh login) with limits in its
# profile gets a transient zjail-<profile>-<pid>.scope from systemd: under the
# profile's Slice=, Delegate=yes, memory.max/pids.max/cpu.max as asked, the
# jail in it and zjail itself not. The limits bite: TasksMax=16 stops forks
# with EAGAIN, MemoryMax=64M OOM-kills a 256 MiB allocation (memory.events
# counts it), CPUQuota=20% holds a busy loop near a fifth of a CPU (measured
# from cpu.stat). The scope is gone once the payload exits. zjail asks for it
# on systemd's private socket, so a dead bus daemon does not stop it; without
# that socket it falls back to the system bus; with neither it refuses to run
# the payload (125).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

slice=zjailtest.slice
profile_dir=/etc/zjail/profiles

cleanup() {
  # Any payload of ours still running (its marker is a sleep length no one
  # else uses), then our profiles.
  vm "pkill -f '^sleep (4242|4343|4444)\$'; pkill -f '^/bin/sh -c while :; do :; done\$';
      rm -f $profile_dir/systest-scope.profile $profile_dir/systest-cpu.profile
      rm -f $profile_dir/systest-direct.profile $profile_dir/systest-viabus.profile
      rm -f /tmp/systest-scope.*" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# The value of KEY=VALUE in the facts a VM script printed.
fact() { sed -n "s/^$1=//p" <<<"$2" | head -n 1; }

vm "cat >$profile_dir/systest-scope.profile" <<EOF
[Jail]
Include=base-service
MemoryMax=64M
TasksMax=16
CPUQuota=50%
Slice=$slice
EOF
vm "cat >$profile_dir/systest-cpu.profile" <<EOF
[Jail]
Include=base-service
CPUQuota=20%
Slice=$slice
EOF

# --- The scope and its limits, seen from the host -----------------------------
# zjail runs in the background of this ssh login; the payload sleeps until the
# test kills it. Everything is read in one round trip (ssh is slow under TCG).
facts=$(vm bash -s -- "$ZJAIL_GUEST_BIN" <<'EOF'
zjail=$1
"$zjail" --profile systest-scope -- /bin/sh -c 'echo "payload-up $(cat /proc/self/cgroup)"; exec sleep 4242' \
  >/tmp/systest-scope.out 2>&1 </dev/null &
zpid=$!
echo zjail_pid=$zpid
unit="" spid=""
for _ in $(seq 1 150); do
  unit=$(systemctl list-units --plain --no-legend 'zjail-systest-scope-*.scope' | awk '{ print $1; exit }')
  spid=$(pgrep -f '^sleep 4242$' | head -n 1)
  [ -n "$unit" ] && [ -n "$spid" ] && break
  kill -0 "$zpid" 2>/dev/null || break
  sleep 0.2
done
echo unit=$unit
echo payload_pid=$spid
[ -n "$unit" ] || { echo "zjail output:"; cat /tmp/systest-scope.out; exit 0; }
cg=$(systemctl show -p ControlGroup --value "$unit")
dir=/sys/fs/cgroup$cg
echo control_group=$cg
echo delegate=$(systemctl show -p Delegate --value "$unit")
echo slice=$(systemctl show -p Slice --value "$unit")
echo memory_max=$(cat "$dir/memory.max")
echo pids_max=$(cat "$dir/pids.max")
echo cpu_max=$(cat "$dir/cpu.max")
echo procs=$(cat "$dir/cgroup.procs" | tr '\n' ' ')
echo zjail_cgroup=$(sed -n 's/^0:://p' /proc/$zpid/cgroup)
echo payload_cgroup=$(sed -n 's/^0:://p' /proc/$spid/cgroup)
echo payload_uid=$(awk '$1 == "Uid:" { print $2 }' /proc/$spid/status)
echo payload_cgroup_mounts=$(grep -cE ' - cgroup2? ' /proc/$spid/mountinfo)
EOF
)
printf '%s\n' "$facts"
unit=$(fact unit "$facts")
zpid=$(fact zjail_pid "$facts")
spid=$(fact payload_pid "$facts")
[[ -n $unit ]] || fail "no zjail-systest-scope-*.scope appeared within 30 s"
[[ -n $spid ]] || fail "the payload (sleep 4242) never ran"

# The scope is named after the profile and the jail's init, which is in it.
[[ $unit =~ ^zjail-systest-scope-([0-9]+)\.scope$ ]] || fail "scope name '$unit' is not zjail-systest-scope-<pid>.scope"
init_pid=${BASH_REMATCH[1]}
assert_eq "scope Delegate=" yes "$(fact delegate "$facts")"
assert_eq "scope Slice=" "$slice" "$(fact slice "$facts")"
assert_eq "scope cgroup" "/$slice/$unit" "$(fact control_group "$facts")"
assert_eq "memory.max (MemoryMax=64M)" 67108864 "$(fact memory_max "$facts")"
assert_eq "pids.max (TasksMax=16)" 16 "$(fact pids_max "$facts")"
assert_eq "cpu.max (CPUQuota=50%)" "50000 100000" "$(fact cpu_max "$facts")"
procs=" $(fact procs "$facts") "
[[ $procs == *" $init_pid "* ]] || fail "the jail's init $init_pid is not in the scope's cgroup.procs:$procs"
[[ $procs == *" $spid "* ]] || fail "the payload $spid is not in the scope's cgroup.procs:$procs"
[[ $procs != *" $zpid "* ]] || fail "zjail itself ($zpid) is inside the jail's scope"
echo "ok: scope cgroup.procs holds the init ($init_pid) and the payload ($spid), not zjail ($zpid)"
assert_eq "payload's cgroup" "/$slice/$unit" "$(fact payload_cgroup "$facts")"
assert_no_match "zjail's own cgroup is not the scope" "$unit" "$(fact zjail_cgroup "$facts")"
assert_eq "payload uid" 65534 "$(fact payload_uid "$facts")"
# Its own cgroup namespace: the payload sees itself at the root, and it has no
# cgroupfs through which to reach its limits.
assert_eq "cgroup mounts in the jail" 0 "$(fact payload_cgroup_mounts "$facts")"

# --- The payload exits: zjail returns its status, the scope goes ---------------
gone=$(vm bash -s -- "$zpid" "$spid" "$unit" <<'EOF'
zpid=$1 spid=$2 unit=$3
kill -TERM "$spid"
for _ in $(seq 1 100); do kill -0 "$zpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$zpid" 2>/dev/null && echo zjail_running=yes
for _ in $(seq 1 100); do
  [ -z "$(systemctl list-units --all --plain --no-legend "$unit")" ] && break
  sleep 0.1
done
echo units_left=$(systemctl list-units --all --plain --no-legend 'zjail-systest-scope-*' | awk '{ print $1 }')
echo dirs_left=$(ls -d /sys/fs/cgroup/zjailtest.slice/zjail-systest-scope-* 2>/dev/null)
echo output=$(cat /tmp/systest-scope.out)
EOF
)
printf '%s\n' "$gone"
[[ -z $(fact zjail_running "$gone") ]] || fail "zjail still runs 10 s after its payload exited"
payload_view=$(fact output "$gone")
assert_eq "zjail-systest-scope-* units after the payload exited" "" "$(fact units_left "$gone")"
assert_eq "zjail-systest-scope-* cgroups after the payload exited" "" "$(fact dirs_left "$gone")"

# --- TasksMax=16 stops forks -------------------------------------------------
# The scope counts the init, perl and its children: 14 children at most.
rc=0
# shellcheck disable=SC2016  # perl's variables
forks=$(vm "$ZJAIL_GUEST_BIN" --profile systest-scope -- /usr/bin/perl -e '
  $| = 1;
  for my $i (1 .. 50) {
    my $p = fork;
    if (!defined $p) { printf "fork %d failed: errno %d (%s)\n", $i, $!, $!; last }
    if ($p == 0) { sleep 60; exit 0 }
    print "started $i\n";
  }' 2>&1) || rc=$?
printf '%s\n' "$forks" | sed 's/^/  | /'
assert_eq "zjail's exit status (perl's)" 0 "$rc"
assert_match "a fork failed with EAGAIN" '^fork [0-9]+ failed: errno 11 \(Resource temporarily unavailable\)$' "$forks"
started=$(grep -c '^started ' <<<"$forks" || true)
((started <= 14)) || fail "TasksMax=16 let $started children start (at most 14 fit beside the init and perl)"
((started >= 8)) || fail "only $started children started under TasksMax=16"
echo "ok: $started of 50 children started under TasksMax=16, then EAGAIN"

# --- MemoryMax=64M OOM-kills a 256 MiB allocation ------------------------------
mem=$(vm bash -s -- "$ZJAIL_GUEST_BIN" <<'EOF'
zjail=$1
"$zjail" --profile systest-scope -- /bin/sh -c '
  /usr/bin/perl -e "\$x = q(a) x (256 * 1024 * 1024); print qq(survived\n)"
  echo perl-status=$?
  exec sleep 4343' >/tmp/systest-scope.mem 2>&1 </dev/null &
zpid=$!
spid=""
for _ in $(seq 1 300); do
  spid=$(pgrep -f '^sleep 4343$' | head -n 1)
  [ -n "$spid" ] && break
  kill -0 "$zpid" 2>/dev/null || break
  sleep 0.1
done
if [ -n "$spid" ]; then
  dir=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/$spid/cgroup)
  echo cgroup=$dir
  sed 's/^/memory.events: /' "$dir/memory.events"
  kill -TERM "$spid"
fi
wait "$zpid"
echo zjail_status=$?
sed 's/^/out: /' /tmp/systest-scope.mem
EOF
)
printf '%s\n' "$mem"
assert_match "perl was killed (SIGKILL)" '^out: perl-status=137$' "$mem"
assert_no_match "the 256 MiB string was never built" '^out: survived' "$mem"
oom_kills=$(sed -n 's/^memory.events: oom_kill //p' <<<"$mem")
[[ $oom_kills =~ ^[0-9]+$ ]] || fail "no oom_kill line in the scope's memory.events"
((oom_kills >= 1)) || fail "memory.events oom_kill is $oom_kills under MemoryMax=64M"
echo "ok: memory.events oom_kill $oom_kills"

# --- CPUQuota=20% holds a busy loop near 20% of one CPU --------------------------
cpu=$(vm bash -s -- "$ZJAIL_GUEST_BIN" <<'EOF'
zjail=$1
"$zjail" --profile systest-cpu -- /bin/sh -c 'while :; do :; done' \
  >/tmp/systest-scope.cpu 2>&1 </dev/null &
zpid=$!
unit=""
for _ in $(seq 1 150); do
  unit=$(systemctl list-units --plain --no-legend 'zjail-systest-cpu-*.scope' | awk '{ print $1; exit }')
  [ -n "$unit" ] && break
  sleep 0.2
done
[ -n "$unit" ] || { echo "no scope"; kill "$zpid"; cat /tmp/systest-scope.cpu; exit 0; }
dir=/sys/fs/cgroup$(systemctl show -p ControlGroup --value "$unit")
echo cpu_max=$(cat "$dir/cpu.max")
sleep 1  # the loop is running
u0=$(awk '$1 == "usage_usec" { print $2 }' "$dir/cpu.stat"); t0=$(date +%s%N)
sleep 5
u1=$(awk '$1 == "usage_usec" { print $2 }' "$dir/cpu.stat"); t1=$(date +%s%N)
echo used_usec=$((u1 - u0))
echo wall_usec=$(((t1 - t0) / 1000))
echo nr_throttled=$(awk '$1 == "nr_throttled" { print $2 }' "$dir/cpu.stat")
kill -TERM "$zpid"   # forwarded to the payload
wait "$zpid"
echo zjail_status=$?
EOF
)
printf '%s\n' "$cpu"
assert_eq "cpu.max (CPUQuota=20%)" "20000 100000" "$(fact cpu_max "$cpu")"
used=$(fact used_usec "$cpu")
wall=$(fact wall_usec "$cpu")
[[ $used =~ ^[0-9]+$ && $wall =~ ^[0-9]+$ ]] || fail "no CPU measurement"
pct=$((used * 100 / wall))
echo "busy loop under CPUQuota=20%: ${used} us of CPU in ${wall} us = ${pct}%"
((pct <= 25)) || fail "CPUQuota=20%: the busy loop got ${pct}% of a CPU"
((pct >= 5)) || fail "CPUQuota=20%: the busy loop got only ${pct}% of a CPU (did it run?)"
(($(fact nr_throttled "$cpu") > 0)) || fail "cpu.stat nr_throttled is 0: the quota never throttled"
echo "ok: CPUQuota=20% held a busy loop at ${pct}%, throttled $(fact nr_throttled "$cpu") times"
assert_eq "zjail's status after SIGTERM (forwarded to the payload)" 143 "$(fact zjail_status "$cpu")"

# --- Which way zjail reaches systemd ----------------------------------------------
# The bus pointed nowhere for zjail alone is what it meets when dbus-daemon is
# down (without taking logind and sshd of the shared VM with it): root asks on
# /run/systemd/private and gets its scope all the same. With that socket
# hidden (a bind of /dev/null over it, in a mount namespace of zjail's own),
# it falls back to the system bus. Each run uses its own profile name, so the
# scope that appears is that run's.
ways=$(vm bash -s -- "$ZJAIL_GUEST_BIN" "$profile_dir" <<'EOF'
zjail=$1 dir=$2
cp "$dir/systest-scope.profile" "$dir/systest-direct.profile"
cp "$dir/systest-scope.profile" "$dir/systest-viabus.profile"
# scope_of NAME COMMAND...: runs COMMAND --profile systest-NAME with a
# sleeping payload and prints the scope it got ("" if none).
scope_of() {
  name=$1
  shift
  "$@" --profile "systest-$name" -- /bin/sh -c 'exec sleep 4444' >/dev/null 2>&1 </dev/null &
  z=$! u=""
  for _ in $(seq 1 150); do
    u=$(systemctl list-units --plain --no-legend "zjail-systest-$name-*.scope" | awk '{ print $1; exit }')
    [ -n "$u" ] && pgrep -f '^sleep 4444$' >/dev/null && break
    kill -0 "$z" 2>/dev/null || break
    sleep 0.2
  done
  kill -TERM "$z" 2>/dev/null
  wait "$z"
  echo "$u"
}
echo direct=$(scope_of direct env DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/systest-no-bus "$zjail")
echo viabus=$(scope_of viabus unshare -m sh -c 'mount --bind /dev/null /run/systemd/private && exec "$@"' sh "$zjail")
EOF
)
printf '%s\n' "$ways"
assert_match "the scope with the bus pointed nowhere (systemd's private socket)" \
  '^zjail-systest-direct-[0-9]+\.scope$' "$(fact direct "$ways")"
assert_match "the scope with the private socket hidden (the system bus)" \
  '^zjail-systest-viabus-[0-9]+\.scope$' "$(fact viabus "$ways")"

# --- Neither: fail closed ----------------------------------------------------------
rc=0
nobus=$(vm "unshare -m sh -c 'mount --bind /dev/null /run/systemd/private &&
  DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/systest-no-bus exec $ZJAIL_GUEST_BIN \
  --profile systest-scope -- /bin/sh -c \"echo payload-ran\"'" 2>&1) || rc=$?
printf '%s\n' "$nobus" | sed 's/^/  | /'
assert_eq "zjail's exit status without a system bus" 125 "$rc"
assert_no_match "the payload did not run without a scope" '^payload-ran$' "$nobus"
assert_match "the error names the bus and the step" '^zjail: .*system bus.*\(step: cgroup\)$' "$nobus"
assert_eq "processes or scopes left" "" \
  "$(vm "pgrep -af '[p]ayload-ran'; systemctl list-units --all --plain --no-legend 'zjail-systest-scope-*'")"

# Last, so that a failure here does not hide the checks above: the jail's
# cgroup namespace is rooted at its own scope, so the payload sees itself at
# "/" and nothing of the host's cgroup tree (the path names a slice and unit).
# zjail then reports the signal that ended the payload (the test's SIGTERM).
assert_eq "the payload's /proc/self/cgroup, printed by zjail's output, and the signal that ended it" \
  "payload-up 0::/ zjail: payload killed by SIGTERM" "$payload_view"
