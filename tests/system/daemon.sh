#!/bin/bash
# Helpers for the t-daemon-*.sh tests, sourced after lib.sh: a Debian
# daemon started through its distro unit with the repo's drop-in
# (units/dropins/) installed, and facts about the jailed process read from
# the host.
#
#   install_dropin UNIT [DIR]   units/dropins/UNIT.d/zjail.conf.in into
#                               /etc/systemd/system/UNIT.d/ (or DIR), with
#                               the guest's paths; units/conf/ into
#                               /usr/share/zjail/conf
#   remove_dropin UNIT          stop UNIT and remove its drop-in
#   start_unit UNIT             start it, or fail with its journal
#   daemon_pid UNIT             the pid of the jailed daemon (the jail's
#                               PID 2) in UNIT's cgroup
#   jail_status PID             /proc/PID/status of the jailed process
#   assert_confined PID USER    runs as USER, no capabilities, no_new_privs,
#                               a seccomp filter, a root of its own
#   assert_jail_lacks PID PATH...      none of PATH exists in its root
#   assert_jail_read_only PID PATH     PATH is on a read-only mount there
#   assert_service_dir PATH USER MODE  the profile's StateDirectory= (...)
#                               made PATH on the host for USER with MODE

source_dir=${ZJAIL_SOURCE_DIR:-$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)}
readonly guest_conf_dir=/usr/share/zjail/conf

install_dropin() {
  local unit=$1 src=$source_dir/units/dropins/$1.d/zjail.conf.in
  [[ -f $src ]] || fail "no drop-in $src"
  tar -C "$source_dir/units" -cf - conf | vm "mkdir -p $guest_conf_dir && tar -C $guest_conf_dir --strip-components=1 -xf - --no-same-owner"
  sed -e "s|@ZJAIL_BIN@|$ZJAIL_GUEST_BIN|g" -e "s|@ZJAIL_CONF_DIR@|$guest_conf_dir|g" -- "$src" |
    vm "mkdir -p /etc/systemd/system/$unit.d && cat >/etc/systemd/system/$unit.d/zjail.conf"
  # A unit systemd has not loaded yet picks the drop-in up when it is first
  # used; daemon-reload (seconds under TCG) only when it is already loaded
  # without it, or with an older copy.
  local state
  state=$(vm systemctl show -p DropInPaths -p NeedDaemonReload "$unit")
  if ! grep -q "/etc/systemd/system/$unit.d/zjail.conf" <<<"$state" ||
      grep -qx NeedDaemonReload=yes <<<"$state"; then
    vm systemctl daemon-reload
  fi
  vm systemctl show -p DropInPaths --value "$unit" | grep -q "$unit.d/zjail.conf" ||
    fail "systemd did not load the drop-in for $unit"
  echo "ok: drop-in installed for $unit"
}

remove_dropin() {
  local unit=$1
  vm "systemctl stop $unit; systemctl reset-failed $unit; rm -rf /etc/systemd/system/$unit.d" \
    >/dev/null 2>&1 || true
}

start_unit() {
  local unit=$1
  if ! vm timeout 120 systemctl start "$unit"; then
    vm "systemctl status --no-pager --full --lines=40 $unit" || true
    fail "systemctl start $unit failed: $(vm journalctl -q --no-pager -o cat -u "$unit" -n 3 | tr '\n' ' ')"
  fi
  local exe
  # shellcheck disable=SC2016  # expanded in the VM
  # Right after the fork the main process is still systemd's child on its
  # way to exec: poll.
  exe=$(vm "for i in \$(seq 1 50); do
      pid=\$(systemctl show -p MainPID --value $unit)
      exe=\$([ \"\$pid\" != 0 ] && readlink /proc/\$pid/exe)
      [ \"\$exe\" = '$ZJAIL_GUEST_BIN' ] || [ \"\$exe\" = '${ZJAIL_GUEST_BIN%/*}/zjail-init' ] && break
      sleep 0.2
    done; echo \$exe")
  # zjail-init: an idle jail's supervisor has handed over (handover.hpp).
  if [[ $exe != "$ZJAIL_GUEST_BIN" && $exe != "${ZJAIL_GUEST_BIN%/*}/zjail-init" ]]; then
    vm "systemctl status --no-pager --full --lines=0 $unit; journalctl -q --no-pager -o cat -u $unit -n 30" || true
    fail "$unit: the main process is '${exe:-none}', not zjail"
  fi
  echo "ok: $unit runs, its main process is zjail"
}

daemon_pid() {
  local unit=$1 pid
  # The payload is PID 2 of the jail: the one child of zjail's init
  # (comm zjail-init). Its own comm may be anything (redis-server's is
  # redis-check-rdb, the name the binary has on disk).
  # shellcheck disable=SC2016  # expanded in the VM
  pid=$(vm "cg=/sys/fs/cgroup\$(systemctl show -p ControlGroup --value $unit)
    for i in \$(seq 1 100); do
      for p in \$(cat \$(find \$cg -name cgroup.procs) | sort -n); do
        pp=\$(awk '\$1 == \"PPid:\" { print \$2 }' /proc/\$p/status 2>/dev/null)
        [ -n \"\$pp\" ] && [ \"\$(cat /proc/\$pp/comm 2>/dev/null)\" = zjail-init ] && { echo \$p; exit 0; }
      done
      sleep 0.2
    done")
  [[ -n $pid ]] || fail "no jailed process in $unit's cgroup"
  printf '%s\n' "$pid"
}

jail_status() { vm cat "/proc/$1/status"; }

assert_confined() {
  local pid=$1 user=$2 status uid
  status=$(jail_status "$pid")
  uid=$(vm id -u "$user")
  assert_eq "pid $pid runs as $user (real effective saved fs)" "$uid $uid $uid $uid" \
    "$(status_field Uid "$status" | tr -s '[:space:]' ' ' | sed 's/ $//')"
  assert_eq "pid $pid NoNewPrivs" 1 "$(status_field NoNewPrivs "$status")"
  assert_eq "pid $pid Seccomp (2 = filter)" 2 "$(status_field Seccomp "$status")"
  # A root of its own: the host's / and the jail's / are different mounts.
  [[ $(vm "stat -L -c %d:%i /proc/$pid/root/") != $(vm "stat -c %d:%i /") ]] ||
    fail "pid $pid sees the host's root"
  echo "ok: pid $pid has a root of its own"
}

assert_no_caps() {
  local pid=$1 status cap
  status=$(jail_status "$pid")
  for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
    assert_eq "pid $pid $cap" 0000000000000000 "$(status_field "$cap" "$status")"
  done
}

assert_jail_lacks() {
  local pid=$1 path
  shift
  for path in "$@"; do
    if vm "test -e /proc/$pid/root$path || test -L /proc/$pid/root$path"; then
      fail "$path exists in the jail of pid $pid"
    fi
    echo "ok: no $path in the jail of pid $pid"
  done
}

assert_jail_read_only() {
  local pid=$1 path=$2 err
  # Even root gets EROFS from a read-only mount, whatever the permissions.
  err=$(vm "touch /proc/$pid/root$path/.zjail-ro-probe 2>&1; rm -f /proc/$pid/root$path/.zjail-ro-probe 2>/dev/null; true")
  assert_match "$path is read-only in the jail of pid $pid" 'Read-only file system' "$err"
}

assert_service_dir() {
  local path=$1 user=$2 mode=$3
  assert_match "$path is $user's, mode $mode" "^$user $user $mode\$" "$(vm "stat -c '%U %G %a' $path")"
}

# --- The daemons' client workloads ---------------------------------------------------------
# One copy of each daemon's real client exchange, run by its t-daemon-NAME.sh
# under the shipped profile and by t-learn.sh while learning and under the
# learned profile. fixture_NAME puts in place what the workload needs,
# unfixture_NAME takes it away; workload_NAME drives the daemon and asserts
# (it fails the test, or the subshell it runs in).

fixture_memcached() { :; }
unfixture_memcached() { :; }
workload_memcached() {
  local reply
  # shellcheck disable=SC2016  # expanded in the VM
  reply=$(vm 'for i in $(seq 1 50); do printf "version\r\n" | nc -N 127.0.0.1 11211 2>/dev/null | grep -q ^VERSION && break; sleep 0.2; done
    printf "set zjail 0 0 9\r\nconfined!\r\nget zjail\r\nquit\r\n" | nc -N 127.0.0.1 11211')
  printf '%s\n' "$reply"
  assert_match "set answers STORED" $'^STORED\r?$' "$reply"
  assert_match "get returns the value" $'^confined!\r?$' "$reply"
}

fixture_nginx() { :; }
unfixture_nginx() { :; }
workload_nginx() {
  local page
  # shellcheck disable=SC2016  # expanded in the VM
  page=$(vm 'for i in $(seq 1 50); do curl -fsS http://127.0.0.1/ 2>/dev/null && break; sleep 0.2; done')
  assert_match "curl http://127.0.0.1/ gets nginx's default page" 'Welcome to nginx' "$page"
  assert_match "curl http://[::1]/ gets it too" 'Welcome to nginx' "$(vm curl -fsS 'http://[::1]/')"
}

fixture_redis-server() { :; }
unfixture_redis-server() { :; }
workload_redis-server() {
  local reply
  reply=$(vm "for i in \$(seq 1 50); do redis-cli ping 2>/dev/null | grep -qx PONG && break; sleep 0.2; done
    redis-cli set zjail-key 'from the jail' && redis-cli get zjail-key")
  assert_match "redis-cli SET" '^OK$' "$reply"
  assert_match "redis-cli GET" '^from the jail$' "$reply"
  vm "rm -f /var/lib/redis/dump.rdb; redis-cli save" >/dev/null
  assert_match "SAVE wrote /var/lib/redis/dump.rdb, owned by redis" '^redis [1-9]' \
    "$(vm stat -c '%U %s' /var/lib/redis/dump.rdb)"
}

readonly lighttpd_page=/var/www/html/zjail-lighttpd.txt
fixture_lighttpd() { vm "echo 'served by jailed lighttpd' >$lighttpd_page"; }
unfixture_lighttpd() { vm "rm -f $lighttpd_page" || true; }
workload_lighttpd() {
  local out
  out=$(vm "for i in \$(seq 1 75); do curl -fsS http://127.0.0.1/zjail-lighttpd.txt 2>/dev/null && break; sleep 0.2; done")
  assert_eq "curl http://127.0.0.1/zjail-lighttpd.txt" "served by jailed lighttpd" "$out"
  out=$(vm 'curl -fsS -g "http://[::1]/zjail-lighttpd.txt"')
  assert_eq "the same over IPv6" "served by jailed lighttpd" "$out"
}

fixture_mosquitto() { :; }
unfixture_mosquitto() { :; }
workload_mosquitto() {
  local got
  # shellcheck disable=SC2016  # expanded in the VM
  got=$(vm 'timeout 30 mosquitto_sub -h 127.0.0.1 -t zjail/test -C 1 -W 25 >/tmp/zjail-mqtt.out 2>&1 &
    sub=$!
    for i in $(seq 1 50); do
      sleep 0.3
      mosquitto_pub -h 127.0.0.1 -t zjail/test -m "hello from the jail" || continue
      grep -q . /tmp/zjail-mqtt.out && break
    done
    wait $sub; cat /tmp/zjail-mqtt.out; rm -f /tmp/zjail-mqtt.out')
  assert_match "mosquitto_sub got the message" '^hello from the jail$' "$got"
}

readonly unbound_key=/var/lib/unbound/root.key
# The image has unbound without its Recommends, so without dns-root-data,
# whose root.key Debian's helper would copy here: without a trust anchor
# unbound does not start, jailed or not. Seed it with the root zone's
# KSK-2017 DS record, as dns-root-data would.
fixture_unbound() {
  vm "test -s $unbound_key" && return 0
  vm "echo '. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D' >$unbound_key &&
      chown unbound:unbound $unbound_key && touch $unbound_key.zjail-test"
}
unfixture_unbound() {
  vm "[ -f $unbound_key.zjail-test ] && rm -f $unbound_key $unbound_key.zjail-test; true" || true
}
workload_unbound() {
  local server proto out
  # Answered from unbound's built-in local zones: no upstream needed.
  for server in 127.0.0.1 ::1; do
    for proto in +notcp +tcp; do
      out=$(vm "dig @$server $proto +time=5 +tries=3 localhost A")
      assert_match "dig @$server $proto localhost" $'^localhost\\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+127\\.0\\.0\\.1$' "$out"
    done
  done
  out=$(vm "dig @127.0.0.1 +time=5 -x 127.0.0.1")
  assert_match "reverse lookup of 127.0.0.1" 'PTR[[:space:]]+localhost\.$' "$out"
}

readonly haproxy_cfg=/etc/haproxy/haproxy.cfg
# Debian's haproxy.cfg (chroot, user, group, stats socket) plus a frontend on
# 127.0.0.1:8080 that proxies to a backend on 127.0.0.1:8081.
fixture_haproxy() {
  # The stats socket's directory: Debian's init script makes it; its unit
  # leaves it to the package's install, which a booted image has lost (/run
  # is a tmpfs). zjail learn runs the unit as it is, so it must be there.
  vm "install -d -m 2775 -o haproxy -g haproxy /run/haproxy"
  vm "cp -p $haproxy_cfg /root/haproxy.cfg.zjail-test && cat >>$haproxy_cfg" <<'CFG'

frontend zjail_test
	bind 127.0.0.1:8080
	default_backend zjail_backend

backend zjail_backend
	server local 127.0.0.1:8081

listen zjail_origin
	bind 127.0.0.1:8081
	http-request return status 200 content-type text/plain string "hello through haproxy"
CFG
}
unfixture_haproxy() {
  vm "[ -f /root/haproxy.cfg.zjail-test ] && mv /root/haproxy.cfg.zjail-test $haproxy_cfg; true" || true
}
workload_haproxy() {
  local out
  # shellcheck disable=SC2016  # expanded in the VM
  out=$(vm 'for i in $(seq 1 50); do curl -fsS -D - http://127.0.0.1:8080/ 2>/dev/null && break; sleep 0.2; done')
  printf '%s\n' "$out"
  assert_match "curl through the frontend to the backend" '^hello through haproxy$' "$out"
  assert_match "the stats socket in /run/haproxy answers" '^Name: HAProxy' \
    "$(vm "echo 'show info' | nc -U -N /run/haproxy/admin.sock | head -n 3")"
}

fixture_chrony() { :; }
unfixture_chrony() { :; }
workload_chrony() {
  local out
  # chronyc as root talks to the unix socket chronyd made in /run/chrony.
  # shellcheck disable=SC2016  # expanded in the VM
  out=$(vm 'for i in $(seq 1 50); do chronyc -n tracking 2>/dev/null | grep -q "^Reference ID" && break; sleep 0.2; done
    chronyc -n tracking; chronyc -n sources; chronyc -n serverstats 2>&1 | head -n 3')
  printf '%s\n' "$out"
  assert_match "chronyc tracking answers" '^Reference ID +:' "$out"
  assert_match "chronyc sources answers" '^MS Name/IP address' "$out"
  assert_match "chronyd made its socket in /run/chrony" 'chronyd\.sock' "$(vm ls /run/chrony)"
}

# SQL on stdin, as the postgres user over the unix socket (peer auth).
psql_as_postgres() { vm "cd / && runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=0 2>&1" <<<"$1" || true; }
fixture_postgresql() { :; }
unfixture_postgresql() { :; }
workload_postgresql() {
  local out
  out=$(psql_as_postgres "DROP TABLE IF EXISTS zjail_t; CREATE TABLE zjail_t (v text);
    INSERT INTO zjail_t VALUES ('from the jail'); SELECT v FROM zjail_t;
    SELECT 'datadir=' || current_setting('data_directory');")
  printf '%s\n' "$out"
  assert_match "psql over the unix socket in /run/postgresql" '^from the jail$' "$out"
  assert_match "the server's data directory" '^datadir=/var/lib/postgresql/15/main$' "$out"
}
