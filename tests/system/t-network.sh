#!/bin/bash
# VirtualEthernet= and Port= under a real systemd (docs/network.md): Debian's
# redis-server.service with zjail's drop-in, and a profile drop-in that puts
# Redis on a veth of its own with Port=tcp:16379:6379. redis-cli in the VM,
# outside the jail, stores and reads a key through the VM's own non-loopback
# address; Redis sits in a network namespace of its own and sees the client's
# own address (DNAT, no masquerade); the host's loopback is not forwarded.
# The zj-* link and the nftables owner table exist while the unit runs, and
# are gone after `systemctl stop` and after `systemctl kill -s KILL`.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=daemon.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/daemon.sh"

unit=redis-server.service
readonly host_port=16379
readonly unit_dropin=/etc/systemd/system/$unit.d/zz-network.conf
readonly profile_dropin_dir=/etc/zjail/profiles/redis-server.profile.d
cleanup() {
  remove_dropin $unit
  vm "rm -rf $profile_dropin_dir" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# zjail loads these when a profile builds a network (image.packages).
pkgs=$(vm "dpkg-query -W -f '\${Package} \${Status}\n' libmnl0 libnftnl11 nftables 2>&1" || true)
assert_eq "libmnl0, libnftnl11 and nftables installed in the image" 3 \
  "$(grep -c ' install ok installed$' <<<"$pkgs" || true)"

# The profile's network, replaced: a veth pair and the forward. The host
# port differs from Redis's so that only the forward can answer on it.
vm "mkdir -p $profile_dropin_dir && cat >$profile_dropin_dir/50-network.conf" <<EOF
[Jail]
PrivateNetwork=yes
VirtualEthernet=yes
Port=tcp:$host_port:6379
EOF
# Debian's redis.conf binds 127.0.0.1 and ::1, which in the jail's namespace
# no forward reaches. Protected mode refuses non-loopback clients of a
# password-less Redis: here the jail's network holds only what Port= lets in.
# No restart after the SIGKILL below: the test checks that nothing is left.
vm "mkdir -p ${unit_dropin%/*} && cat >$unit_dropin" <<EOF
[Service]
ExecStart=
ExecStart=$ZJAIL_GUEST_BIN --profile redis-server -- /usr/bin/redis-server /etc/redis/redis.conf --supervised systemd --daemonize no --bind 0.0.0.0 :: --protected-mode no
Restart=no
EOF
install_dropin $unit
vm systemctl show -p DropInPaths --value $unit | grep -q "$unit_dropin" ||
  fail "systemd did not load $unit_dropin"

# The VM's own address: the one its default route leaves from.
vm_addr=$(vm "ip -4 -o addr show dev \$(ip -4 route show default | awk '{ print \$5; exit }') scope global" |
  awk '{ sub(/\/.*/, "", $4); print $4; exit }')
[[ $vm_addr =~ ^[0-9.]+$ && $vm_addr != 127.* ]] || fail "no non-loopback IPv4 address in the VM: '$vm_addr'"
echo "ok: the VM's address is $vm_addr"

veth_links() { vm "ip -o link show type veth" | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep '^zj-' || true; }
zjail_tables() { vm "nft list tables" | awk '$1 == "table" && $2 == "inet" && $3 ~ /^zjail_/ { print $3 }' || true; }
# Poll up to 20 s: the kernel dismantles a dead namespace (and the veth in
# it) from a work queue, after the last process in it is gone.
wait_gone() {
  local what=$1 link=$2 table=$3 i
  for ((i = 0; i < 100; i++)); do
    ! veth_links | grep -qx -- "$link" && ! zjail_tables | grep -qx -- "$table" && break
    sleep 0.2
  done
  assert_eq "zj-* links after $what" "" "$(veth_links | paste -sd' ')"
  assert_eq "zjail tables after $what" "" "$(zjail_tables | paste -sd' ')"
}
# Start the unit and print "PID LINK TABLE" of the running jail.
start_jail() {
  start_unit $unit >&2
  local pid links tables
  pid=$(daemon_pid $unit)
  links=$(veth_links)
  tables=$(zjail_tables)
  [[ $(wc -l <<<"$links") == 1 && -n $links ]] || fail "expected one zj-* link while $unit runs, got '$links'"
  [[ $(wc -l <<<"$tables") == 1 && -n $tables ]] || fail "expected one zjail table while $unit runs, got '$tables'"
  printf '%s %s %s\n' "$pid" "$links" "$tables"
}

assert_eq "zj-* links before the start" "" "$(veth_links | paste -sd' ')"
assert_eq "zjail tables before the start" "" "$(zjail_tables | paste -sd' ')"

# --- Running: its own namespace, a veth, a forward -------------------------------------------
jail=$(start_jail)
read -r pid link table <<<"$jail"
assert_match "the host's link is zj-NAME-XXXX" '^zj-rediss-[0-9a-f]{4}$' "$link"
suffix=${link#zj-}
assert_eq "the owner table is named after the link" "zjail_${suffix//-/_}" "$table"
table_rules=$(vm nft list table inet "$table")
printf '%s\n' "$table_rules" | sed 's/^/  | /'
assert_match "the table has the owner flag" '^[[:space:]]*flags owner$' "$table_rules"

host_ns=$(vm readlink /proc/1/ns/net)
jail_ns=$(vm readlink "/proc/$pid/ns/net")
[[ $jail_ns != "$host_ns" ]] || fail "Redis (pid $pid) is in the host's network namespace $host_ns"
echo "ok: Redis (pid $pid) is in $jail_ns, the host in $host_ns"
jail_addr=$(vm "nsenter -t $pid -n ip -4 -o addr show dev host0" | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
[[ -n $jail_addr ]] || fail "no IPv4 address on host0 in the jail of pid $pid"
assert_match "the forward goes to the jail's $jail_addr:6379" \
  "tcp dport $host_port fib daddr type local dnat ip to $jail_addr:6379" "$table_rules"
# The jail's address must be routed through the veth: if anything took the
# host's side of it (systemd-networkd's stock 80-container-ve.network matches
# ve-*, replaces the address and adds a NAT of its own), the forwarded
# connection would leave through the default route instead.
route=$(vm ip -4 -o route get "$jail_addr")
printf '%s\n' "$(vm ip -4 -o addr show dev "$link")" | sed 's/^/  | /'
assert_match "the route to the jail's $jail_addr leaves through $link" "^$jail_addr dev $link " "$route"
# Nothing on the host listens on either port: only the forward answers.
assert_no_match "no listener on :$host_port or :6379 in the host's namespace" \
  ":($host_port|6379)\$" "$(vm "ss -Hltn" | awk '{ print $4 }')"

reply=$(vm "for i in \$(seq 1 50); do redis-cli -h $vm_addr -p $host_port ping 2>/dev/null | grep -qx PONG && break; sleep 0.2; done
  redis-cli -h $vm_addr -p $host_port set zjail-net-key 'through the veth' &&
  redis-cli -h $vm_addr -p $host_port get zjail-net-key &&
  redis-cli -h $vm_addr -p $host_port client info")
assert_match "redis-cli -h $vm_addr -p $host_port SET" '^OK$' "$reply"
assert_match "redis-cli -h $vm_addr -p $host_port GET" '^through the veth$' "$reply"
# DNAT keeps the source: Redis sees the VM's address, not the veth's.
assert_match "Redis sees the client as $vm_addr" "(^| )addr=$vm_addr:[0-9]+ laddr=$jail_addr:6379( |\$)" "$reply"
# Loopback stays the host's (as in systemd-nspawn): not forwarded.
out=$(vm "redis-cli -h 127.0.0.1 -p $host_port ping 2>&1" || true)
assert_match "127.0.0.1:$host_port is not forwarded" 'Connection refused' "$out"

# --- Stopped ---------------------------------------------------------------------------------
vm systemctl stop $unit
wait_gone "systemctl stop" "$link" "$table"

# --- Killed: zjail gets no chance to tidy up -------------------------------------------------
jail=$(start_jail)
read -r pid link table <<<"$jail"
echo "ok: running again as pid $pid with $link and $table"
vm systemctl kill -s KILL $unit
vm "for i in \$(seq 1 50); do systemctl is-active -q $unit || exit 0; sleep 0.2; done; exit 1" ||
  fail "$unit still active 10 s after SIGKILL"
wait_gone "systemctl kill -s KILL" "$link" "$table"
