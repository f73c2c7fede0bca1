#!/bin/bash
# Type=notify through the jail, with the default NotifyAccess=main: the
# payload's READY=1 and STATUS= (sent from inside its own pid and mount
# namespaces to NOTIFY_SOCKET=/run/host/notify) reach systemd through zjail,
# the unit's MainPID. `systemctl start` returns only after READY=1. With
# WatchdogSec= the payload gets WATCHDOG_USEC and WATCHDOG_PID=2 (its own pid
# in the jail), its WATCHDOG=1 pings keep the unit alive, and a payload that
# never pings is killed by the watchdog. Last, a payload forges MAINPID= of a
# host process every way we know ('\r', NUL, blanks, duplicates, over 4 KiB):
# zjail relays as root, whom systemd would believe, yet the unit's MainPID
# stays zjail and the victim outlives `systemctl stop`.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

unit=zjail-systest-notify.service
wd_ok=zjail-systest-wd-ok.service
wd_silent=zjail-systest-wd-silent.service
forge=zjail-systest-forge.service
victim=zjail-systest-victim.service
forge_dir=/var/lib/zjail-systest-forge

cleanup() {
  vm "systemctl stop $unit $wd_ok $wd_silent $forge $victim 2>/dev/null
      systemctl reset-failed $unit $wd_ok $wd_silent $forge $victim 2>/dev/null; rm -rf $forge_dir; true" \
    >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

fact() { sed -n "s/^$1=//p" <<<"$2" | head -n 1; }

# --- READY=1 and STATUS= ----------------------------------------------------------
# The payload waits 3 s before READY=1: systemd-run (which waits for the start
# job) must take at least that long. Timed inside the VM, without ssh's cost.
cursor=$(journal_cursor)
facts=$(vm bash -s -- "$unit" "$ZJAIL_GUEST_BIN" <<'EOF'
unit=$1 zjail=$2
t0=$(date +%s%N)
timeout 120 systemd-run --unit "$unit" -p Type=notify \
  -p StandardOutput=journal -p StandardError=journal \
  "$zjail" --profile base-service -- /bin/sh -c '
    echo "payload: NOTIFY_SOCKET=$NOTIFY_SOCKET"
    sleep 3
    systemd-notify --ready --status=jailed
    exec sleep 4646' 2>&1 | sed 's/^/systemd-run: /'
echo start_status=${PIPESTATUS[0]}
echo start_ms=$((($(date +%s%N) - t0) / 1000000))
main=$(systemctl show -p MainPID --value "$unit")
echo main_pid=$main
echo main_exe=$(readlink /proc/$main/exe)
echo payload_pid=$(pgrep -f '^sleep 4646$')
systemctl show -p ActiveState -p SubState -p StatusText -p NotifyAccess -p Type "$unit"
systemctl status --no-pager --full --lines=0 "$unit" | sed 's/^/status| /'
EOF
)
printf '%s\n' "$facts"
assert_eq "systemd-run (waits for READY=1)" 0 "$(fact start_status "$facts")"
start_ms=$(fact start_ms "$facts")
((start_ms >= 3000)) || fail "systemctl start returned after ${start_ms} ms, before the payload's READY=1 (sent after 3 s)"
echo "ok: the start job finished after ${start_ms} ms, i.e. after READY=1"
assert_eq "Type" notify "$(fact Type "$facts")"
assert_eq "NotifyAccess (the default)" main "$(fact NotifyAccess "$facts")"
assert_eq "ActiveState" active "$(fact ActiveState "$facts")"
assert_eq "SubState" running "$(fact SubState "$facts")"
assert_eq "StatusText" jailed "$(fact StatusText "$facts")"
assert_zjail_process "MainPID is zjail" "$ZJAIL_GUEST_BIN" "${ZJAIL_GUEST_BIN%/*}/zjail-init" "$(fact main_exe "$facts")"
spid=$(fact payload_pid "$facts")
[[ -n $spid && $spid != "$(fact main_pid "$facts")" ]] || fail "payload pid '$spid' vs MainPID"
assert_match "systemctl status shows the STATUS= text" '^status\|[[:space:]]+Status: "jailed"$' "$facts"
out=$(unit_output "$unit" "$cursor" '^payload: ')
assert_match "the payload's NOTIFY_SOCKET" '^payload: NOTIFY_SOCKET=/run/host/notify$' "$out"
vm systemctl stop "$unit"

# --- WatchdogSec=3: pings keep it alive, silence kills it --------------------------
cursor=$(journal_cursor)
vm bash -s -- "$ZJAIL_GUEST_BIN" "$wd_ok" "$wd_silent" <<'EOF'
zjail=$1 ok=$2 silent=$3
timeout 120 systemd-run --unit "$ok" -p Type=notify -p WatchdogSec=3 \
  -p StandardOutput=journal -p StandardError=journal \
  "$zjail" --profile base-service -- /bin/sh -c '
    # Its pid without "$$", which systemd turns into "$" in ExecStart=.
    read -r pid rest </proc/self/stat
    echo "payload: WATCHDOG_USEC=$WATCHDOG_USEC WATCHDOG_PID=$WATCHDOG_PID pid=$pid"
    systemd-notify --ready
    while :; do systemd-notify WATCHDOG=1; sleep 1; done'
timeout 120 systemd-run --unit "$silent" -p Type=notify -p WatchdogSec=3 \
  -p StandardOutput=journal -p StandardError=journal \
  "$zjail" --profile base-service -- /bin/sh -c 'systemd-notify --ready; exec sleep 4747'
EOF
ts() { vm systemctl show -p WatchdogTimestampMonotonic --value "$wd_ok"; }
ts1=$(ts)
# Three watchdog intervals.
sleep 9
ts2=$(ts)
facts=$(vm "for u in $wd_ok $wd_silent; do
  systemctl show -p ActiveState -p Result -p NRestarts \$u | sed \"s/^/\$u:/\"; done")
printf '%s\n' "$facts"
assert_eq "$wd_ok ActiveState after 9 s of WatchdogSec=3" active "$(fact "$wd_ok:ActiveState" "$facts")"
assert_eq "$wd_ok Result" success "$(fact "$wd_ok:Result" "$facts")"
if ! [[ $ts1 =~ ^[0-9]+$ && $ts2 =~ ^[0-9]+$ ]] || ((ts2 <= ts1)); then
  fail "WatchdogTimestampMonotonic did not advance ($ts1 -> $ts2): no WATCHDOG=1 got through"
fi
echo "ok: WATCHDOG=1 pings arrived (last-ping timestamp $ts1 -> $ts2)"
out=$(unit_output "$wd_ok" "$cursor" '^payload: ')
assert_match "the payload's WATCHDOG_USEC and WATCHDOG_PID" \
  '^payload: WATCHDOG_USEC=3000000 WATCHDOG_PID=2 pid=2$' "$out"
# The control: the same unit whose payload never pings is killed.
assert_eq "$wd_silent Result" watchdog "$(fact "$wd_silent:Result" "$facts")"
assert_eq "$wd_silent ActiveState" failed "$(fact "$wd_silent:ActiveState" "$facts")"
assert_eq "processes left of $wd_silent" "" "$(vm "pgrep -af '[s]leep 4747' || true")"

# --- Forged MAINPID=: the unit's MainPID stays zjail, the victim lives -------------
# The payload is the root tier's static probe (`notify` sends each argument,
# with \r \n \t \0 decoded, as one datagram to $NOTIFY_SOCKET), bound into the
# jail with its script. The victim is a host process in a unit of its own:
# had systemd taken it as MainPID=, `systemctl stop` would SIGTERM it.
probe=$ZJAIL_GUEST_DIR/build/tests/root/zjail_probe
vm "[ -x $probe ]" || skip "no $probe in the VM (run.sh installs it from --build-dir)"
vm "systemd-run --unit $victim /bin/sleep 5151 >/dev/null 2>&1"
vpid=$(vm systemctl show -p MainPID --value "$victim")
[[ $vpid =~ ^[1-9][0-9]*$ ]] || fail "the victim did not start (MainPID '$vpid')"
vm "mkdir -p $forge_dir && cp $probe $forge_dir/ && cat >$forge_dir/forge.sh" <<'EOF'
#!/bin/sh
# $1: the victim's host pid. Before READY=1 (the unit is starting) ...
v=$1 p=/forge/zjail_probe
big=$(printf '%05000d' 0)
$p notify "MAINPID=$v" "READY=1\rMAINPID=$v\n" "STATUS=x\rMAINPID=$v" "\rMAINPID=$v" \
  "\n\rMAINPID=$v\r\n" " MAINPID=$v\n\tMAINPID=$v" "STATUS=a\0\nMAINPID=$v" \
  "STATUS=$big\nMAINPID=$v" "MAINPID=$v\nSTATUS=$big" "READY=1\nREADY=1\nMAINPID=$v\nREADY=1"
# ... and once it runs.
$p notify "MAINPID=$v\rSTATUS=after" "READY=1\r\nMAINPID=$v" "FDSTORE=1\nMAINPID=$v" \
  "STATUS=forged-done"
echo forge-done
exec sleep 5252
EOF
cursor=$(journal_cursor)
facts=$(vm bash -s -- "$forge" "$ZJAIL_GUEST_BIN" "$forge_dir" "$vpid" "$victim" <<'EOF'
unit=$1 zjail=$2 dir=$3 vpid=$4 victim=$5
timeout 120 systemd-run --unit "$unit" -p Type=notify \
  -p StandardOutput=journal -p StandardError=journal \
  "$zjail" --profile base-service --ro-bind "$dir:/forge" -- /bin/sh /forge/forge.sh "$vpid" 2>&1 |
  sed 's/^/systemd-run: /'
echo start_status=${PIPESTATUS[0]}
# systemd handles the messages in order: the last one's STATUS= means it has
# seen every forgery.
for _ in $(seq 1 100); do
  [ "$(systemctl show -p StatusText --value "$unit")" = forged-done ] && break
  sleep 0.2
done
main=$(systemctl show -p MainPID --value "$unit")
echo main_pid=$main
echo main_exe=$(readlink /proc/$main/exe)
systemctl show -p ActiveState -p StatusText "$unit"
t0=$(date +%s)
timeout 90 systemctl stop "$unit"
echo stop_status=$?
echo stop_s=$(($(date +%s) - t0))
echo victim_alive=$(kill -0 "$vpid" 2>/dev/null && echo yes || echo no)
echo victim_state=$(systemctl show -p ActiveState --value "$victim")
echo left=$(pgrep -f '^sleep 5252$' | tr '\n' ' ')
EOF
)
printf '%s\n' "$facts"
assert_eq "systemd-run of the forging unit" 0 "$(fact start_status "$facts")"
out=$(unit_output "$forge" "$cursor" '^forge-done$')
sent=$(grep -c '^SENT ' <<<"$out" || true)
assert_eq "forged messages the payload sent" 14 "$sent"
[[ $(fact main_pid "$facts") != "$vpid" ]] || fail "MainPID became the victim $vpid ($(fact main_exe "$facts"))"
assert_zjail_process "MainPID is still zjail" "$ZJAIL_GUEST_BIN" "${ZJAIL_GUEST_BIN%/*}/zjail-init" "$(fact main_exe "$facts")"
assert_eq "systemctl stop" 0 "$(fact stop_status "$facts")"
assert_eq "the victim outlives systemctl stop" yes "$(fact victim_alive "$facts")"
assert_eq "the victim's unit" active "$(fact victim_state "$facts")"
# Under NotifyAccess=main, only messages from the MainPID count: the honest
# last one arriving shows the relay kept working through the forgeries.
assert_eq "StatusText (the last, honest, message)" forged-done "$(fact StatusText "$facts")"
assert_eq "ActiveState" active "$(fact ActiveState "$facts")"
assert_eq "processes left of $forge" "" "$(fact left "$facts")"
