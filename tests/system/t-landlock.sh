#!/bin/bash
# Landlock on Debian 12's own kernel (6.1), whatever ABI it offers: what
# applies is applied, what does not is said by -v and not credited by
# --analyze, and rules that need more are refused. Where the kernel has no
# scopes (ABI < 6), a jail on the host's network still reaches the host's
# abstract unix sockets: shown here, and documented with PrivateNetwork=yes
# as the fix (docs/profile.md).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

z=$ZJAIL_GUEST_BIN
name=zjail-t-landlock-$$
cleanup() { vm "pkill -f '$name' || true" >/dev/null 2>&1 || true; }
trap cleanup EXIT

verbose=$(vm "$z -v --profile network-service -- /bin/true 2>&1")
abi=$(sed -n 's/.*Landlock ABI \([0-9]*\):.*/\1/p' <<<"$verbose" | head -n 1)
[[ $abi =~ ^[0-9]+$ ]] || fail "zjail -v names no Landlock ABI: $verbose"
echo "kernel $(vm uname -r), Landlock ABI $abi"

# The host's abstract socket, answering every connection with a secret.
vm "nohup sh -c 'while :; do echo host-secret | nc.openbsd -lU @$name; done' >/dev/null 2>&1 &"
for _ in $(seq 50); do vm "grep -q ' @$name\$' /proc/net/unix" && break; sleep 0.1; done
vm "grep -q ' @$name\$' /proc/net/unix" || fail "the VM's abstract listener did not start"
got=$(vm "timeout 5 $z --profile network-service -- /usr/bin/nc.openbsd -U -N @$name </dev/null 2>&1" || true)
private=$(vm "timeout 5 $z --profile network-service --network private -- /usr/bin/nc.openbsd -U -N @$name </dev/null 2>&1" || true)
assert_eq "PrivateNetwork=yes keeps the host's abstract sockets away on every kernel" "" "$(grep host-secret <<<"$private" || true)"
analysis=$(vm "$z --analyze --profile network-service")
if ((abi >= 6)); then
  assert_eq "the scope keeps the host's abstract socket out of reach" "" "$(grep host-secret <<<"$got" || true)"
  assert_match "--analyze credits the scope" 'RestrictAbstractUnixSockets= +yes ' "$analysis"
else
  assert_match "without scopes (ABI $abi), the host's abstract socket is reachable, as documented" 'host-secret' "$got"
  assert_match "-v says the scopes are not applied" 'not applied, this kernel lacks the scopes' "$verbose"
  assert_match "--analyze does not credit them" 'RestrictAbstractUnixSockets= +yes \(not applied\)' "$analysis"
fi

# Port rules need ABI 4; without it the launch is refused, the payload never runs.
rules='[Jail]\nInclude=network-service\nSocketBindDeny=tcp:any\nSocketBindAllow=tcp:8080\n'
# In a directory root alone writes: zjail as root reads no other profile.
vm "install -d -m 0755 /run/t-landlock && printf '$rules' >/run/t-landlock/rules.profile"
rc=0
out=$(vm "$z --profile /run/t-landlock/rules.profile -- /bin/echo payload-ran 2>&1") || rc=$?
vm "rm -rf /run/t-landlock"
if ((abi >= 4)); then
  assert_eq "SocketBind*= runs where the kernel holds it" 0 "$rc"
else
  assert_eq "SocketBind*= without Landlock network rules: exit 125" 125 "$rc"
  assert_match "and says why" 'need Landlock.s network rules \(ABI 4, Linux 6.7\), and this kernel has ABI' "$out"
  assert_eq "the payload never ran" "" "$(grep payload-ran <<<"$out" || true)"
fi
