#!/bin/bash
# zjail as the main process of a service with Delegate=yes and limits in its
# profile: zjail moves to <unit cgroup>/supervisor, the jail runs in
# <unit cgroup>/jail-<zjail pid> with memory.max/pids.max/cpu.max set, the
# unit's accounting and `systemctl status` include the jail, the payload
# cannot reach or write its limits, and `systemctl stop` sends it SIGTERM and
# leaves nothing behind. Without Delegate=yes the same profile is refused
# (125, a journal message naming Delegate=yes), unless it says
# EnforceLimits=best-effort, which runs with a loud warning.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

unit=zjail-systest-svc.service
profile_dir=/etc/zjail/profiles

cleanup() {
  vm "systemctl stop $unit 2>/dev/null; systemctl reset-failed $unit 2>/dev/null
      pkill -f '^sleep 4545\$'
      rm -f $profile_dir/systest-svc.profile $profile_dir/systest-svc-besteffort.profile" \
    >/dev/null 2>&1 || true
}
trap cleanup EXIT

fact() { sed -n "s/^$1=//p" <<<"$2" | head -n 1; }

vm "cat >$profile_dir/systest-svc.profile" <<'EOF'
[Jail]
Include=base-service
MemoryMax=64M
TasksMax=16
CPUQuota=50%
EOF
vm "cat >$profile_dir/systest-svc-besteffort.profile" <<'EOF'
[Jail]
Include=systest-svc
EnforceLimits=best-effort
EOF

# --- The jail's leaf in the delegated unit cgroup -------------------------------
# The payload reports what it can see of cgroups, tries to mount cgroupfs, and
# says whether SIGTERM reached it when the unit stops.
# One line, so that `systemctl status` stays readable.
# shellcheck disable=SC2016  # expanded by the payload's shell
{
  payload='trap "echo payload-got-TERM; exit 0" TERM; echo "cgroup: $(cat /proc/self/cgroup)";'
  payload+=' echo "cgroup mounts: $(grep -cE " - cgroup2? " /proc/self/mountinfo)";'
  payload+=' ls /sys/fs/cgroup >/dev/null 2>&1; echo "ls /sys/fs/cgroup: $?";'
  payload+=' mkdir -p /tmp/cg; mount -t cgroup2 none /tmp/cg 2>/dev/null; echo "mount cgroup2: $?";'
  payload+=' sleep 4545 & wait'
}
vm "systemctl stop $unit 2>/dev/null; systemctl reset-failed $unit 2>/dev/null; true"
cursor=$(journal_cursor)
vm systemd-run --unit "$unit" -p Delegate=yes \
  -p StandardOutput=journal -p StandardError=journal \
  "$ZJAIL_GUEST_BIN" --profile systest-svc -- /bin/sh -c "$payload"

facts=$(vm bash -s -- "$unit" <<'EOF'
unit=$1
spid=""
for _ in $(seq 1 150); do
  spid=$(pgrep -f '^sleep 4545$' | head -n 1)
  [ -n "$spid" ] && break
  sleep 0.2
done
main=$(systemctl show -p MainPID --value "$unit")
cg=$(systemctl show -p ControlGroup --value "$unit")
dir=/sys/fs/cgroup$cg
leaf=$dir/jail-$main
echo main_pid=$main
echo main_exe=$(readlink /proc/$main/exe)
echo payload_pid=$spid
echo control_group=$cg
echo leaf_exists=$([ -d "$leaf" ] && echo yes || echo no)
echo memory_max=$(cat "$leaf/memory.max")
echo pids_max=$(cat "$leaf/pids.max")
echo cpu_max=$(cat "$leaf/cpu.max")
echo leaf_procs=$(cat "$leaf/cgroup.procs" | tr '\n' ' ')
echo supervisor_procs=$(cat "$dir/supervisor/cgroup.procs" | tr '\n' ' ')
echo unit_procs=$(cat "$dir/cgroup.procs" | tr '\n' ' ')
echo subtree_control=$(cat "$dir/cgroup.subtree_control")
echo payload_cgroup=$(sed -n 's/^0:://p' /proc/$spid/cgroup)
echo payload_uid=$(awk '$1 == "Uid:" { print $2 }' /proc/$spid/status)
echo leaf_files=$(stat -c '%n:%U:%a' "$leaf"/memory.max "$leaf"/pids.max "$leaf"/cpu.max \
  "$leaf"/cgroup.procs "$leaf"/cgroup.subtree_control | sed "s|$leaf/||g" | tr '\n' ' ')
# The payload's host uid against its own limits and the unit's cgroup above it.
for f in "$leaf/memory.max" "$leaf/pids.max" "$leaf/cgroup.procs" "$dir/cgroup.procs" \
    "$dir/cgroup.subtree_control" "$dir/supervisor/cgroup.procs"; do
  err=$(setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "echo max >'$f'" 2>&1) &&
    err=written
  echo "uid65534_write=${f#$dir/}: ${err##*: }"
done
echo tasks_current=$(systemctl show -p TasksCurrent --value "$unit")
echo memory_current=$(systemctl show -p MemoryCurrent --value "$unit")
systemctl status --no-pager --full --lines=0 "$unit" | sed 's/^/status| /'
EOF
)
printf '%s\n' "$facts"
main=$(fact main_pid "$facts")
spid=$(fact payload_pid "$facts")
[[ -n $spid ]] || fail "the payload (sleep 4545) never ran: $(unit_output "$unit" "$cursor" | tail -n 3)"
assert_zjail_process "MainPID is zjail" "$ZJAIL_GUEST_BIN" "${ZJAIL_GUEST_BIN%/*}/zjail-init" "$(fact main_exe "$facts")"
cg=$(fact control_group "$facts")
assert_eq "unit cgroup" "/system.slice/$unit" "$cg"
assert_eq "leaf jail-<zjail pid> exists" yes "$(fact leaf_exists "$facts")"
assert_eq "leaf memory.max (MemoryMax=64M)" 67108864 "$(fact memory_max "$facts")"
assert_eq "leaf pids.max (TasksMax=16)" 16 "$(fact pids_max "$facts")"
assert_eq "leaf cpu.max (CPUQuota=50%)" "50000 100000" "$(fact cpu_max "$facts")"
assert_eq "supervisor/cgroup.procs (zjail alone)" "$main" "$(fact supervisor_procs "$facts")"
assert_eq "the unit cgroup itself holds no process" "" "$(fact unit_procs "$facts")"
assert_eq "the payload's cgroup" "$cg/jail-$main" "$(fact payload_cgroup "$facts")"
[[ " $(fact leaf_procs "$facts") " == *" $spid "* ]] || fail "payload $spid not in the leaf's cgroup.procs"
echo "ok: the leaf's cgroup.procs holds the payload $spid"
for c in memory pids cpu; do
  assert_match "controller $c enabled for the leaf" "(^| )$c( |$)" "$(fact subtree_control "$facts")"
done
assert_eq "payload uid on the host" 65534 "$(fact payload_uid "$facts")"
assert_eq "leaf files: owner and mode" \
  "memory.max:root:644 pids.max:root:644 cpu.max:root:644 cgroup.procs:root:644 cgroup.subtree_control:root:644" \
  "$(fact leaf_files "$facts")"
writes=$(sed -n 's/^uid65534_write=//p' <<<"$facts")
assert_eq "uid 65534 writing the leaf's and the unit's cgroup files" 6 \
  "$(grep -c ': Permission denied$' <<<"$writes")"
# The unit's accounting includes the jail: zjail, the init, sh and sleep.
tasks=$(fact tasks_current "$facts")
if ! [[ $tasks =~ ^[0-9]+$ ]] || ((tasks < 4)); then
  fail "the unit's TasksCurrent is '$tasks': the jail escaped its accounting"
fi
echo "ok: the unit's TasksCurrent ($tasks) counts the jail"
status=$(sed -n 's/^status| //p' <<<"$facts")
assert_match "systemctl status lists the leaf" "jail-$main" "$status"
assert_match "systemctl status lists the supervisor" 'supervisor$' "$status"
assert_match "systemctl status lists the payload" "[^0-9]$spid sleep 4545\$" "$status"

# --- What the payload saw --------------------------------------------------------
out=$(unit_output "$unit" "$cursor" '^mount cgroup2: ')
printf 'journal of %s:\n%s\n' "$unit" "$(sed 's/^/  | /' <<<"$out")"
assert_match "payload at the root of its cgroup namespace" '^cgroup: 0::/$' "$out"
assert_match "no cgroupfs in the jail" '^cgroup mounts: 0$' "$out"
assert_match "no /sys/fs/cgroup in the jail" '^ls /sys/fs/cgroup: [1-9][0-9]*$' "$out"
assert_match "the payload cannot mount cgroupfs" '^mount cgroup2: [1-9][0-9]*$' "$out"

# --- systemctl stop: SIGTERM reaches the payload, nothing is left ----------------
t0=$SECONDS
vm timeout 90 systemctl stop "$unit" || fail "systemctl stop $unit failed"
echo "systemctl stop took $((SECONDS - t0)) s"
# The brackets keep the ssh shell's own command line from matching.
left=$(vm "pgrep -af '[s]leep 4545|[s]ystest-svc' || true")
assert_eq "processes left after systemctl stop" "" "$left"
assert_eq "unit cgroup after stop" no "$(vm "[ -d /sys/fs/cgroup$cg ] && echo yes || echo no")"
out=$(unit_output "$unit" "$cursor" '^payload-got-TERM$')
assert_match "SIGTERM reached the payload" '^payload-got-TERM$' "$out"

# --- No Delegate=yes: refused, and the journal says why --------------------------
nodeleg=zjail-systest-nodeleg.service
cursor=$(journal_cursor)
run_out=$(vm systemd-run --unit "$nodeleg" --wait --collect \
  -p StandardOutput=journal -p StandardError=journal \
  "$ZJAIL_GUEST_BIN" --profile systest-svc -- /bin/sh -c 'echo payload-ran' 2>&1) || true
printf '%s\n' "$run_out"
out=$(unit_output "$nodeleg" "$cursor" 'Delegate=yes')
printf 'journal of %s:\n%s\n' "$nodeleg" "$(sed 's/^/  | /' <<<"$out")"
assert_match "exit status 125 without Delegate=yes" 'code=exited/status=125$' "$run_out"
assert_match "the message names Delegate=yes" 'Delegate=yes' "$out"
assert_no_match "the payload did not run" '^payload-ran$' "$out"

# --- EnforceLimits=best-effort: runs without limits, and says so loudly -----------
cursor=$(journal_cursor)
run_out=$(vm systemd-run --unit "$nodeleg" --wait --collect \
  -p StandardOutput=journal -p StandardError=journal \
  "$ZJAIL_GUEST_BIN" --profile systest-svc-besteffort -- /bin/sh -c 'echo payload-ran' 2>&1) || true
printf '%s\n' "$run_out"
out=$(unit_output "$nodeleg" "$cursor" '^payload-ran$')
printf 'journal of %s:\n%s\n' "$nodeleg" "$(sed 's/^/  | /' <<<"$out")"
assert_match "best-effort: exit status 0" 'code=exited/status=0$' "$run_out"
assert_match "best-effort: the payload ran" '^payload-ran$' "$out"
warning=$(vm journalctl -q --no-pager -o cat --cursor="$cursor" "_SYSTEMD_UNIT=$nodeleg" PRIORITY=4)
assert_match "best-effort: a warning (PRIORITY=4) that names the missing limits" \
  'RUNNING WITHOUT RESOURCE LIMITS.*Delegate=yes' "$warning"
