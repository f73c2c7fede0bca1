#!/bin/bash
# The echo server of units/ in both of its socket forms, installed from the
# repo's unit templates: zjail-echo-activated.socket (systemd binds port 7,
# starts the service on the first connection, zjail passes the socket in as
# fd 3) and zjail-echo.service (zjail binds port 7 itself, ListenStream=7 in
# the echo profile). Each time a line comes back over TCP, the server reports
# uid 65534, no capabilities and one passed socket, and stopping the units
# leaves no process behind. Then a socket with Accept=yes: one jailed
# instance per connection, each handed its connection as fd 3, and none left
# once the client is done (bench/accept.sh times this form).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

source_dir=${ZJAIL_SOURCE_DIR:-$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)}
units_dir=$source_dir/units
echo_bin=$ZJAIL_GUEST_DIR/build/examples/echo/echo
sysdir=/etc/systemd/system
all_units=(zjail-echo-activated.socket zjail-echo-activated.service zjail-echo.service
  zjail-echo-accept.socket zjail-echo-accept@.service)

[[ -f $units_dir/zjail-echo.service.in ]] || fail "no unit templates in $units_dir"
vm "test -x $echo_bin" ||
  skip "the echo example is not in the VM ($echo_bin): run.sh needs --build-dir with examples/echo built"

cleanup() {
  vm "systemctl stop ${all_units[*]} 2>/dev/null; systemctl reset-failed ${all_units[*]} 2>/dev/null
      systemctl reset-failed 'zjail-echo-accept@*' 2>/dev/null
      cd $sysdir && rm -f ${all_units[*]}" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# The templates with the paths run.sh installs to, as `cmake --install` would.
install_unit() {
  local src=$1 name
  name=$(basename -- "$src" .in)
  sed -e "s|@ZJAIL_BIN@|$ZJAIL_GUEST_BIN|g" -e "s|@ZJAIL_ECHO@|$echo_bin|g" -- "$src" |
    vm "cat >$sysdir/$name"
}
install_unit "$units_dir/zjail-echo-activated.socket"
install_unit "$units_dir/zjail-echo-activated.service.in"
install_unit "$units_dir/zjail-echo.service.in"
# systemd loads a unit file it has not seen on first use; a daemon-reload
# (6 s under TCG) is needed only if an earlier run left these units loaded.
if vm systemctl show -p LoadState --value "${all_units[@]}" | grep -qx loaded; then
  vm systemctl daemon-reload
fi

# One line to 127.0.0.1:PORT (default 7) and what came back; retried while
# nothing listens yet (zjail-echo.service is Type=simple: started is not yet
# listening).
round_trip() {
  vm bash -s -- "$1" "${2:-7}" <<'EOF'
line=$1
for _ in $(seq 1 60); do
  reply=$(printf '%s\n' "$line" | timeout 20 nc -N 127.0.0.1 "$2" 2>/dev/null) && [ -n "$reply" ] && break
  sleep 0.5
done
printf '%s\n' "$reply"
EOF
}

# What the server says about itself at start (examples/echo/echo.cpp).
check_self_report() {
  local unit=$1 out=$2
  assert_match "$unit: server is PID 2 of its namespace" '^pid: 2$' "$out"
  assert_match "$unit: server runs as nobody" '^uid: 65534$' "$out"
  assert_match "$unit: CapEff" '^CapEff: 0000000000000000$' "$out"
  assert_match "$unit: CapPrm" '^CapPrm: 0000000000000000$' "$out"
  assert_match "$unit: Seccomp filter" '^Seccomp: 2$' "$out"
  assert_match "$unit: hostname from the echo profile" '^hostname: echo$' "$out"
  assert_match "$unit: one socket passed" '^listening: 1 socket\(s\) passed from fd 3$' "$out"
}

no_process_left() {
  local left
  left=$(vm "pgrep -af '[e]xamples/echo/echo' || true")
  assert_eq "processes left after stopping $1" "" "$left"
}

# --- systemd binds port 7: socket activation -------------------------------------
cursor=$(journal_cursor)
vm systemctl start zjail-echo-activated.socket
assert_eq "zjail-echo-activated.service before the first connection" inactive \
  "$(vm systemctl is-active zjail-echo-activated.service || true)"
t0=$SECONDS
reply=$(round_trip "hello through the socket unit")
echo "round trip (activation included) took $((SECONDS - t0)) s"
assert_eq "echo through zjail-echo-activated.socket" "hello through the socket unit" "$reply"
assert_eq "zjail-echo-activated.service after the connection" active \
  "$(vm systemctl is-active zjail-echo-activated.service)"
out=$(unit_output zjail-echo-activated.service "$cursor" '^listening: ')
printf 'journal of zjail-echo-activated.service:\n%s\n' "$(sed 's/^/  | /' <<<"$out")"
check_self_report zjail-echo-activated.service "$out"
assert_eq "a second connection to the running service" "again" "$(round_trip again)"
vm systemctl stop zjail-echo-activated.socket zjail-echo-activated.service
no_process_left zjail-echo-activated.service

# --- zjail binds port 7: ListenStream=7 in the echo profile -------------------------
cursor=$(journal_cursor)
vm systemctl start zjail-echo.service
t0=$SECONDS
reply=$(round_trip "hello through ListenStream=")
echo "round trip (start included) took $((SECONDS - t0)) s"
assert_eq "echo through zjail-echo.service" "hello through ListenStream=" "$reply"
out=$(unit_output zjail-echo.service "$cursor" '^listening: ')
printf 'journal of zjail-echo.service:\n%s\n' "$(sed 's/^/  | /' <<<"$out")"
check_self_report zjail-echo.service "$out"
# The listening socket lives in the host's network namespace, not the jail's.
assert_match "port 7 is listening on the host" 'LISTEN.*:7 ' "$(vm ss -Htln 'sport = :7')"
vm systemctl stop zjail-echo.service
no_process_left zjail-echo.service
assert_eq "port 7 after stop" "" "$(vm ss -Htln 'sport = :7')"

# --- Accept=yes: a jailed instance per connection ------------------------------------
printf '[Socket]\nListenStream=127.0.0.1:7007\nAccept=yes\n' | vm "cat >$sysdir/zjail-echo-accept.socket"
printf '[Service]\nExecStart=%s --profile echo-activated %s\n' "$ZJAIL_GUEST_BIN" "$echo_bin" |
  vm "cat >$sysdir/zjail-echo-accept@.service"
cursor=$(journal_cursor)
vm systemctl start zjail-echo-accept.socket
assert_eq "echo through an Accept=yes instance" "first" "$(round_trip first 7007)"
assert_eq "echo through a second instance" "second" "$(round_trip second 7007)"
assert_eq "connections accepted by zjail-echo-accept.socket" 2 \
  "$(vm systemctl show -p NAccepted --value zjail-echo-accept.socket)"
# journald reads the instances' output asynchronously.
for _ in $(seq 1 20); do
  out=$(vm "journalctl -q --no-pager -o cat --cursor='$cursor' -u 'zjail-echo-accept@*'")
  grep -q '^serving: ' <<<"$out" && break
  sleep 0.5
done
assert_match "an instance serves the connection it was passed" '^serving: 1 connection\(s\) passed from fd 3$' "$out"
assert_match "an instance runs as nobody" '^uid: 65534$' "$out"
assert_match "an instance is under seccomp" '^Seccomp: 2$' "$out"
# Each instance ends with its client: echo exits, then zjail.
left=""
for _ in $(seq 1 40); do
  left=$(vm "systemctl list-units --no-legend --state=active,activating,deactivating 'zjail-echo-accept@*' | wc -l")
  [[ $left == 0 ]] && break
  sleep 0.5
done
assert_eq "instances running after both clients are done" 0 "$left"
assert_eq "failed instances" 0 \
  "$(vm "systemctl list-units --all --no-legend --state=failed 'zjail-echo-accept@*' | wc -l")"
vm systemctl stop zjail-echo-accept.socket
no_process_left zjail-echo-accept
