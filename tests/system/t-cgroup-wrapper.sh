#!/bin/bash
# A unit with Delegate=yes whose main process is a wrapper script that runs
# zjail as a child, as many distro units do. cgroup v2 allows no controllers
# beside processes, and the wrapper is still in the unit's cgroup: zjail moves
# every process of the unit into <unit>/supervisor before it enables the
# controllers for its jail's leaf. The limits then really apply to the
# payload (TasksMax=16 stops a fork bomb with "Cannot fork"; memory.max and
# pids.max are set in the payload's own cgroup), the wrapper and its
# background job keep running, a second zjail started by the same wrapper
# (now in supervisor/) finds the unit's cgroup again, and `systemctl stop`
# leaves nothing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

unit=zjail-systest-wrap.service
dir=/var/lib/zjail-systest-wrap
profile=/etc/zjail/profiles/systest-wrap.profile

cleanup() {
  vm "systemctl stop $unit 2>/dev/null; systemctl reset-failed $unit 2>/dev/null
      pkill -f '^sleep (4747|4848|4949)\$'; rm -rf $dir $profile; true" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

fact() { sed -n "s/^$1=//p" <<<"$2" | head -n 1; }

vm "cat >$profile" <<'EOF'
[Jail]
Include=base-service
MemoryMax=64M
TasksMax=16
EOF
vm "mkdir -p $dir && cat >$dir/wrapper.sh" <<'EOF'
#!/bin/sh
# A distro-style wrapper: a job of its own in the background, then the
# daemon in the foreground, then more work once it is gone.
zjail=$1
echo "wrapper: start"
sleep 4949 &
# 40 processes under TasksMax=16.
"$zjail" --profile systest-wrap -- /bin/sh -c '
  i=0; while [ $i -lt 40 ]; do sleep 4848 & i=$((i+1)); done; echo "payload-one: started all 40"'
echo "wrapper: first zjail exited $?"
"$zjail" --profile systest-wrap -- /bin/sh -c 'echo payload-two; exec sleep 4747'
echo "wrapper: second zjail exited $?"
EOF

cursor=$(journal_cursor)
vm systemd-run --unit "$unit" -p Delegate=yes -p StandardOutput=journal -p StandardError=journal \
  /bin/sh "$dir/wrapper.sh" "$ZJAIL_GUEST_BIN"

facts=$(vm bash -s -- "$unit" <<'EOF'
unit=$1
spid=""
for _ in $(seq 1 150); do
  spid=$(pgrep -f '^sleep 4747$' | head -n 1)
  [ -n "$spid" ] && break
  sleep 0.2
done
cgof() { sed -n 's/^0:://p' "/proc/$1/cgroup"; }
main=$(systemctl show -p MainPID --value "$unit")
cg=$(systemctl show -p ControlGroup --value "$unit")
# The payload's parent is the jail's init, whose parent is zjail.
init=$(ps -o ppid= -p "$spid" | tr -d ' ')
zj=$(ps -o ppid= -p "$init" | tr -d ' ')
bg=$(pgrep -f '^sleep 4949$' | head -n 1)
echo payload_pid=$spid
echo control_group=$cg
echo main_exe=$(readlink /proc/$main/exe)
echo main_cgroup=$(cgof "$main")
echo background_cgroup=$(cgof "$bg")
echo zjail_cgroup=$(cgof "$zj")
echo zjail_pid=$zj
leaf=$(cgof "$spid")
echo payload_cgroup=$leaf
echo memory_max=$(cat "/sys/fs/cgroup$leaf/memory.max")
echo pids_max=$(cat "/sys/fs/cgroup$leaf/pids.max")
echo unit_procs=$(cat "/sys/fs/cgroup$cg/cgroup.procs" | tr '\n' ' ')
echo subtree_control=$(cat "/sys/fs/cgroup$cg/cgroup.subtree_control")
echo children=$(cd "/sys/fs/cgroup$cg" && find . -mindepth 1 -maxdepth 1 -type d -printf '%f ' | tr ' ' '\n' | sort | tr '\n' ' ')
echo active=$(systemctl show -p ActiveState --value "$unit")
EOF
)
printf '%s\n' "$facts"
out=$(unit_output "$unit" "$cursor" '^payload-two$')
printf 'journal of %s:\n%s\n' "$unit" "$(sed 's/^/  | /' <<<"$out")"
[[ -n $(fact payload_pid "$facts") ]] || fail "the second payload never ran: $(tail -n 3 <<<"$out")"
cg=$(fact control_group "$facts")
zj=$(fact zjail_pid "$facts")
assert_eq "unit cgroup" "/system.slice/$unit" "$cg"
assert_eq "ActiveState" active "$(fact active "$facts")"
assert_match "the main process is the wrapper shell" '/(dash|bash|sh)$' "$(fact main_exe "$facts")"
assert_eq "the wrapper moved into supervisor/" "$cg/supervisor" "$(fact main_cgroup "$facts")"
assert_eq "the wrapper's background job too" "$cg/supervisor" "$(fact background_cgroup "$facts")"
assert_eq "the second zjail (started from supervisor/)" "$cg/supervisor" "$(fact zjail_cgroup "$facts")"
assert_eq "the unit's own cgroup holds no process" "" "$(fact unit_procs "$facts")"
assert_eq "the payload's cgroup: the second zjail's leaf" "$cg/jail-$zj" "$(fact payload_cgroup "$facts")"
assert_eq "memory.max of the payload's cgroup (MemoryMax=64M)" 67108864 "$(fact memory_max "$facts")"
assert_eq "pids.max of the payload's cgroup (TasksMax=16)" 16 "$(fact pids_max "$facts")"
for c in memory pids; do
  assert_match "controller $c enabled below the unit" "(^| )$c( |$)" "$(fact subtree_control "$facts")"
done
assert_eq "the unit's children: the live jail's leaf and supervisor (the first leaf is gone)" \
  "jail-$zj supervisor" "$(fact children "$facts")"
# The first jail's fork bomb met TasksMax=16; the wrapper went on.
assert_match "TasksMax=16 refused the first payload's forks" 'Cannot fork|Resource temporarily unavailable' "$out"
assert_no_match "the first payload did not start 40 processes" '^payload-one: started all 40$' "$out"
assert_match "the wrapper went on after the first zjail" '^wrapper: first zjail exited [1-9][0-9]*$' "$out"
assert_no_match "no zjail failure" 'subtree_control|step: cgroup' "$out"

# --- systemctl stop: the wrapper, its job and the jail all end ---------------------
vm timeout 90 systemctl stop "$unit" || fail "systemctl stop $unit failed"
left=$(vm "pgrep -af '[s]leep (4747|4848|4949)|[s]ystest-wrap' || true")
assert_eq "processes left after systemctl stop" "" "$left"
assert_eq "unit cgroup after stop" no "$(vm "[ -d /sys/fs/cgroup$cg ] && echo yes || echo no")"
