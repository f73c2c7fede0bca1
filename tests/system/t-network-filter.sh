#!/bin/bash
# IPAddressAllow=/IPAddressDeny= and RestrictNetworkInterfaces= on the host's
# network (docs/network.md), with systemd as the oracle: each case runs once
# as a transient service with the same properties (systemd-run) and once
# under zjail, whose scope carries them; nc's verdicts must agree, both ways
# (a jailed client connecting to an allowed and to a denied address; a
# jailed listener that clients reach from an allowed and a denied source).
# zjail reads what systemd attached to the scope before the payload may
# run: where systemd runs a unit without a
# filter (RestrictNetworkInterfaces= in a systemd built without
# BPF_FRAMEWORK, Debian 12's), zjail refuses with exit 125 and the payload
# never runs. IPAddressDeny=any alone, which systemd enforces without an
# address map, runs and denies; an IP socket inherited as LISTEN_FDS (made
# outside the scope, by systemd-socket-activate here) is refused, as it
# would carry the payload's traffic past the filters, and so is a jail that
# would leave the filters of the scope zjail was started in. Only loopback
# addresses are used.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

readonly profile_dir=/etc/zjail/profiles
cleanup() {
  vm "pkill -f '^nc.openbsd -lk 18090\$'; rm -f $profile_dir/systest-filter*.profile /tmp/systest-filter.*" \
    >/dev/null 2>&1 || true
}
trap cleanup EXIT

vm "cat >$profile_dir/systest-filter.profile" <<EOF
[Jail]
Include=base-service
PrivateNetwork=no
IPAddressDeny=any
IPAddressAllow=127.0.0.1
EOF
vm "cat >$profile_dir/systest-filter-denyall.profile" <<EOF
[Jail]
Include=base-service
PrivateNetwork=no
IPAddressDeny=any
EOF
vm "cat >$profile_dir/systest-filter-ifaces.profile" <<EOF
[Jail]
Include=base-service
PrivateNetwork=no
RestrictNetworkInterfaces=~lo
EOF

# One round trip: every verdict, native and jailed, as NAME=exit-status.
facts=$(vm bash -s -- "$ZJAIL_GUEST_BIN" <<'EOF'
zjail=$1
# The alternative's name: /etc/alternatives is not in the jail.
nc() { nc.openbsd "$@"; }
props=(-p IPAddressDeny=any -p IPAddressAllow=127.0.0.1)
native() { systemd-run --quiet --wait --pipe --collect "${props[@]}" "$@" </dev/null >/dev/null 2>&1; echo $?; }
jailed() { "$zjail" --profile systest-filter -- "$@" </dev/null >/tmp/systest-filter.out 2>&1; echo $?; }
nc -lk 18090 >/dev/null 2>&1 &
for _ in $(seq 1 50); do nc -z 127.0.0.1 18090 && break; sleep 0.1; done
echo control_unfiltered=$(nc -z -w 2 127.0.0.2 18090; echo $?)
for way in native jailed; do
  echo ${way}_allowed=$($way nc.openbsd -z -w 2 127.0.0.1 18090)
  echo ${way}_denied=$($way nc.openbsd -z -w 2 127.0.0.2 18090)
done
# Inbound: a listener under the filters; the client outside them.
listen() {
  local way=$1 port=$2
  if [ "$way" = native ]; then
    systemd-run --quiet --collect --unit "systest-filter-$port" "${props[@]}" nc.openbsd -l 127.0.0.1 "$port"
  else
    "$zjail" --profile systest-filter -- nc.openbsd -l 127.0.0.1 "$port" </dev/null >/tmp/systest-filter.listen 2>&1 &
  fi
  for _ in $(seq 1 100); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
}
port=18091
for way in native jailed; do
  listen $way $port
  echo ${way}_inbound_denied=$(nc -z -w 2 -s 127.0.0.2 127.0.0.1 $port; echo $?)
  echo ${way}_inbound_allowed=$(nc -z -w 2 -s 127.0.0.1 127.0.0.1 $port; echo $?)
  port=$((port + 1))
done
pkill -f '^nc.openbsd -l 127.0.0.1 1809[12]$' || true
echo listen_output=$(tr '\n' ' ' </tmp/systest-filter.listen)
systemctl stop systest-filter-18091 >/dev/null 2>&1 || true
echo bpf_framework=$(systemctl --version | grep -q '+BPF_FRAMEWORK' && echo yes || echo no)
echo ifaces_native=$(systemd-run --quiet --wait --pipe --collect -p 'RestrictNetworkInterfaces=~lo' \
  nc.openbsd -z -w 2 127.0.0.1 18090 </dev/null >/dev/null 2>&1; echo $?)
"$zjail" --profile systest-filter-ifaces -- /bin/sh -c 'echo payload-ran; nc.openbsd -z -w 2 127.0.0.1 18090' \
  </dev/null >/tmp/systest-filter.ifaces 2>&1
echo ifaces_jailed=$?
echo ifaces_output=$(tr '\n' ' ' </tmp/systest-filter.ifaces)
echo denyall_native=$(systemd-run --quiet --wait --pipe --collect -p IPAddressDeny=any \
  nc.openbsd -z -w 2 127.0.0.1 18090 </dev/null >/dev/null 2>&1; echo $?)
"$zjail" --profile systest-filter-denyall -- nc.openbsd -z -w 2 127.0.0.1 18090 \
  </dev/null >/tmp/systest-filter.denyall 2>&1
echo denyall_jailed=$?
echo denyall_output=$(tr '\n' ' ' </tmp/systest-filter.denyall)
# A socket zjail inherits (LISTEN_FDS) was made outside the scope.
# (The activator logs the command line: the payload's word is computed.)
systemd-socket-activate -l 127.0.0.1:18093 "$zjail" --profile systest-filter -- /bin/sh -c 'echo ran-$((6 * 7))' \
  </dev/null >/tmp/systest-filter.activated 2>&1 &
activator=$!
for _ in $(seq 1 50); do ss -Hltn "sport = :18093" | grep -q . && break; sleep 0.1; done
nc -z -w 2 127.0.0.1 18093
wait $activator
echo activated_jailed=$?
echo activated_output=$(tr '\n' ' ' </tmp/systest-filter.activated)
# A caller's own filters: the jail's scope is not under the caller's scope.
systemd-run --scope --quiet -p IPAddressDeny=any "$zjail" --profile systest-filter -- \
  /bin/sh -c 'echo ran-$((6 * 7))' </dev/null >/tmp/systest-filter.caller 2>&1
echo caller_jailed=$?
echo caller_output=$(tr '\n' ' ' </tmp/systest-filter.caller)
echo scopes_left=$(systemctl list-units --all --plain --no-legend 'zjail-systest-filter*' | awk '{ print $1 }')
EOF
)
printf '%s\n' "$facts"
fact() { sed -n "s/^$1=//p" <<<"$facts" | head -n 1; }

# Unfiltered, the second source reaches the listener: what fails below is
# the filter's doing.
assert_eq "an unfiltered connection from 127.0.0.2" 0 "$(fact control_unfiltered)"
for verdict in allowed denied inbound_allowed inbound_denied; do
  assert_eq "zjail agrees with systemd: $verdict" "$(fact native_$verdict)" "$(fact jailed_$verdict)"
done
assert_eq "systemd lets 127.0.0.1 through" 0 "$(fact native_allowed)"
[[ $(fact native_denied) != 0 ]] || fail "systemd's own filter let 127.0.0.2 through"
[[ $(fact native_inbound_denied) != 0 ]] || fail "systemd's own filter let 127.0.0.2 in"

if [[ $(fact bpf_framework) == yes ]]; then
  assert_eq "RestrictNetworkInterfaces=~lo: zjail agrees with systemd" "$(fact ifaces_native)" "$(fact ifaces_jailed)"
  [[ $(fact ifaces_jailed) != 0 ]] || fail "RestrictNetworkInterfaces=~lo let a loopback connection through"
else
  # systemd runs the unit without the filter (and logs it); zjail does not
  # run the payload at all.
  assert_eq "systemd without BPF_FRAMEWORK runs RestrictNetworkInterfaces=~lo unfiltered" 0 "$(fact ifaces_native)"
  assert_eq "zjail's exit without the interface filter" 125 "$(fact ifaces_jailed)"
  assert_no_match "the payload never ran" payload-ran "$(fact ifaces_output)"
  assert_match "the one line names the directive" 'systemd did not attach RestrictNetworkInterfaces=.*BPF_FRAMEWORK' \
    "$(fact ifaces_output)"
fi
assert_eq "IPAddressDeny=any alone: zjail agrees with systemd" "$(fact denyall_native)" "$(fact denyall_jailed)"
[[ $(fact denyall_native) != 0 ]] || fail "systemd's own IPAddressDeny=any let 127.0.0.1 through"
assert_eq "zjail's exit with an inherited IP socket" 125 "$(fact activated_jailed)"
assert_no_match "the payload with an inherited IP socket never ran" ran-42 "$(fact activated_output)"
assert_match "the one line names the inherited socket" 'LISTEN_FDS fd 3 is an IP socket' "$(fact activated_output)"
assert_eq "zjail's exit in a caller with IPAddressDeny=any" 125 "$(fact caller_jailed)"
assert_no_match "the payload that would leave its caller's filter never ran" ran-42 "$(fact caller_output)"
assert_match "the one line names the caller's filter" 'zjail runs in run-.*\.scope, whose IPAddressDeny= the jail would leave' \
  "$(fact caller_output)"
assert_eq "zjail-systest-filter scopes left" "" "$(fact scopes_left)"
