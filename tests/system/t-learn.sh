#!/bin/bash
# zjail learn on Debian's own daemons, under systemd: for each daemon, a
# drop-in runs the unit's command through `zjail learn` (the unit's real
# user, notify type and sandbox relaxations stay), the daemon test's client
# workload runs, `systemctl stop` ends learning (SIGTERM: zjail writes the
# profile and a drop-in). Then the drop-in learning wrote runs the daemon
# under the learned profile, the same workload must pass, and what the
# workload never did is denied in that profile's jail: reading /etc/shadow,
# executing a shell, a TCP connection to a host service (sshd on
# 127.0.0.1:22). `zjail --analyze` must score the learned profile no worse
# than the shipped one plus 0.3. The test fails if any daemon fails.
# timeout: 900
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=daemon.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/daemon.sh"

readonly learn_dir=/var/lib/zjail-learn
readonly probe=$ZJAIL_GUEST_DIR/build/tests/root/zjail_probe
# A host service no daemon here ever talks to: the VM's sshd.
readonly probe_port=22

# NAME|UNIT|COMMAND: COMMAND is the unit's own command line in the
# foreground, as systemd words it. Where Debian's unit forks or wraps the
# daemon, it is the command the shipped drop-in runs instead (zjail's init
# follows the payload: a daemon that forks away and exits ends the jail).
# sftp-server, no unit, has its own cycle (learn_sftp).
daemons=(
  # Debian's wrapper is a Perl script that refuses to run unless root, which
  # the learned profile (User=memcache) is not: its memcached command line.
  "memcached|memcached.service|/usr/bin/memcached -m 64 -p 11211 -u memcache -l 127.0.0.1"
  "mosquitto|mosquitto.service|/usr/sbin/mosquitto -c /etc/mosquitto/mosquitto.conf"
  # Debian's configs, as they are: the ports below 1024 they bind become
  # Listen lines that ListenViaBind= hands to their own bind().
  "nginx|nginx.service|/usr/sbin/nginx -g 'daemon off; master_process on;'"
  "lighttpd|lighttpd.service|/usr/sbin/lighttpd -D -f /etc/lighttpd/lighttpd.conf"
  "unbound|unbound.service|/usr/sbin/unbound -d -p"
  "chrony|chrony.service|/usr/sbin/chronyd -d -x -U"
  # Debian's unit runs it as redis; the shipped drop-in starts zjail as
  # root. Learned so, Redis never switches user, and runs as the owner of
  # what it wrote.
  "redis-server|redis-server.service|/usr/bin/redis-server /etc/redis/redis.conf --supervised systemd --daemonize no"
  "postgresql|postgresql@15-main.service|/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main -c config_file=/etc/postgresql/15/main/postgresql.conf"
  "haproxy|haproxy.service|/usr/sbin/haproxy -db -f \$CONFIG -p /run/haproxy/haproxy.pid"
)

# Who the daemon runs as while learning, where the shipped drop-in makes
# its unit start zjail as root: Debian runs these as their own users (and
# the postmaster refuses root), so an admin learns them so
# (`zjail learn --user`). learn_lines restores what else of Debian's unit
# the shipped drop-in resets.
declare -A learn_user=([postgresql]=postgres [redis-server]=redis)
declare -A learn_lines=([redis-server]="RuntimeDirectory=redis")

# The shipped drop-in's lines but its ExecStart=: the unit's own sandboxing
# relaxed so that zjail can build a jail, Delegate=yes, the pid file and
# reload lines. Both runs keep them; only ExecStart= changes.
unit_lines() {
  local unit=$1
  sed -e "s|@ZJAIL_BIN@|$ZJAIL_GUEST_BIN|g" -e "s|@ZJAIL_CONF_DIR@|$guest_conf_dir|g" \
    -- "$source_dir/units/dropins/$unit.d/zjail.conf.in" | grep -Ev "^ExecStart(Pre)?="
}

cleanup_unit() {
  local unit=$1
  vm "systemctl stop $unit; systemctl reset-failed $unit; rm -rf /etc/systemd/system/$unit.d" >/dev/null 2>&1 || true
}

exposure() {
  vm "$ZJAIL_GUEST_BIN" --analyze --profile "$1" --json | sed -n 's/^  "exposure": \([0-9.]*\),$/\1/p'
}

# What a probe run in the learned profile's jail says: "denied (ERRNO)" or
# "ALLOWED".
probe_in() {
  local profile=$1 out
  shift
  out=$(vm "$ZJAIL_GUEST_BIN" --profile "$profile" -- "$probe" "$@" 2>&1 || true)
  printf '%s\n' "$out" >&2
  if grep -q '^PASS ' <<<"$out"; then
    echo ALLOWED
  elif grep -q '^FAIL ' <<<"$out"; then
    echo "denied ($(sed -n 's/^FAIL [^ ]* errno=\([A-Z0-9]*\).*/\1/p' <<<"$out" | head -n 1))"
  else
    fail "probe $* did not run in $profile: $(tail -n 1 <<<"$out")"
  fi
}

# What a failed cycle leaves to read: the unit's last journal lines and the
# learned profile's directives.
diagnose() {
  vm "journalctl -q --no-pager -o cat -u $1 -n 25; grep -v '^#' $2 2>/dev/null | grep ." 2>&1 | sed 's/^/  | /' || true
}

# judge NAME PROFILE LINES: what the workload never did is refused in the
# learned profile's jail, and the profile scores within 0.3 of the shipped
# one; prints the RESULT line.
judge() {
  local name=$1 profile=$2 lines=$3
  # --- What the workload never did ---------------------------------------------------------
  local shadow sh usrsh conn
  shadow=$(probe_in "$profile" read /etc/shadow)
  # Every shell of the host the workload never ran must be refused; one
  # it ran (lighttpd's include_shell runs /bin/sh) is in ExecPaths=.
  local shell shells=() ran=()
  for shell in /bin/sh /usr/bin/sh /usr/bin/bash; do
    if vm "grep -qxF -e \"ExecPaths=-\$(readlink -f $shell)\" -e 'ExecPaths=-$shell' $profile"; then
      ran+=("$shell")
    else
      shells+=("$shell $(probe_in "$profile" execve "$shell")")
    fi
  done
  sh="${shells[*]}"
  usrsh="ran by the workload: ${ran[*]:-none}"
  conn=$(probe_in "$profile" tcp-connect "$probe_port")
  [[ $shadow == denied* ]] || fail "$name: the learned jail reads /etc/shadow"
  ((${#shells[@]} > 0)) || fail "$name: the workload ran every shell probed: ${ran[*]}"
  [[ $sh != *ALLOWED* ]] || fail "$name: the learned jail executes a shell the workload never ran: $sh"
  if [[ $conn == ALLOWED ]]; then
    # Only Landlock's TCP rules (ABI 4) or a private network can refuse it
    # on the host's network; say which this kernel and profile lack.
    if vm "grep -qx 'PrivateNetwork=yes' $profile" || vm "grep -q '^SocketConnectDeny=' $profile"; then
      fail "$name: the learned jail connects to 127.0.0.1:$probe_port"
    fi
    conn="ALLOWED (host network, and this kernel has no Landlock TCP rules: SocketConnectDeny= stays a comment)"
  fi

  # --- The score -----------------------------------------------------------------------------
  local learned shipped
  learned=$(exposure "$profile")
  shipped=$(exposure "$name")
  [[ $learned =~ ^[0-9.]+$ && $shipped =~ ^[0-9.]+$ ]] || fail "$name: no --analyze figure ($learned, $shipped)"
  awk -v l="$learned" -v s="$shipped" 'BEGIN { exit !(l <= s + 0.3 + 1e-9) }' ||
    fail "$name: the learned profile scores $learned, worse than the shipped $shipped + 0.3"
  printf 'RESULT %s: lines %s, --analyze learned %s shipped %s; /etc/shadow %s, shells %s (%s), connect :%s %s\n' \
    "$name" "$lines" "$learned" "$shipped" "$shadow" "$sh" "$usrsh" "$probe_port" "$conn"
}

# learn_one NAME UNIT COMMAND: the whole cycle for one daemon, in a subshell
# (fail ends it); prints a RESULT line.
learn_one() {
  local name=$1 unit=$2 command=$3
  local profile=$learn_dir/$name.profile dropin=$learn_dir/$name.conf dir=/etc/systemd/system/$unit.d
  trap 'rc=$?; ((rc == 0)) || diagnose '"$unit $profile"'; cleanup_unit '"$unit"'; unfixture_'"$name" EXIT
  fixture_"$name"
  vm "rm -f $profile $dropin; mkdir -p $learn_dir $dir"
  unit_lines "$unit" | vm "cat >$dir/10-zjail-unit.conf"
  local as=${learn_user[$name]:-}
  vm "cat >$dir/50-zjail-learn.conf" <<EOF
[Service]
ExecStart=
ExecStart=$ZJAIL_GUEST_BIN learn ${as:+--user $as }--output $profile --dropin $dropin -- $command
${learn_lines[$name]:-}
EOF
  vm systemctl daemon-reload

  # --- 1. Learn ---------------------------------------------------------------------------
  start_unit "$unit"
  workload_"$name"
  vm timeout 60 systemctl stop "$unit"
  vm "test -s $profile && test -s $dropin" ||
    fail "$name: zjail learn wrote no profile: $(vm journalctl -q --no-pager -o cat -u "$unit" -n 5 | tr '\n' ' ')"
  local lines
  lines=$(vm "grep -cv '^#\\|^\$' $profile")
  echo "ok: $name: learned $profile ($lines directive lines)"
  vm "$ZJAIL_GUEST_BIN" --check --profile "$profile" >/dev/null || fail "$name: the learned profile fails --check"
  # As the profile tells an admin: what learning as root left as root's
  # (HAProxy's stats socket) goes before the first run as the daemon's user.
  vm "sed -n 's/^# left by learning as root: \(.*\) is root.s, and .*/\1/p' $profile | xargs -r -d '\n' rm -fv --"

  # --- 2. Run it under the learned profile, with the drop-in learning wrote -----------------
  vm "rm $dir/50-zjail-learn.conf && cp $dropin $dir/50-zjail.conf && systemctl daemon-reload"
  start_unit "$unit"
  workload_"$name"
  echo "ok: $name: the workload passes under the learned profile"
  local pid
  pid=$(daemon_pid "$unit")
  assert_jail_lacks "$pid" /etc/shadow
  # The probes run in a jail of the same profile, which binds its Listen
  # ports itself: the daemon gives them up first.
  vm timeout 60 systemctl stop "$unit"

  judge "$name" "$profile" "$lines"
}

# sftp-server is no unit: sshd's ForceCommand runs it per session as the
# user. Learned so, unprivileged (the output in a directory of the user's,
# then installed root's, as an admin would), with the daemon test's real
# client; then served under the learned profile.
readonly sftp_user=zjail-sftp-learn
readonly sftp_snippet=/etc/ssh/sshd_config.d/zjail-sftp-learn.conf
sftp_force() {
  printf 'Match User %s\n\tForceCommand %s\n\tAllowTcpForwarding no\n\tX11Forwarding no\n' "$sftp_user" "$1" |
    vm "cat >$sftp_snippet"
  sshd_reload
}
workload_sftp() {
  local out
  out=$(vm "cd /root && rm -f /root/zjail-sftp-learn-down.txt && sftp -b - -i /root/zjail-sftp-learn-key \
    -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null $sftp_user@127.0.0.1 2>&1" <<'BATCH' || true
pwd
put /root/zjail-sftp-learn-up.txt up.txt
get up.txt /root/zjail-sftp-learn-down.txt
ls -l
BATCH
)
  printf '%s\n' "$out"
  assert_match "sftp starts in the user's home" "^Remote working directory: /home/$sftp_user\$" "$out"
  assert_eq "the file up and down again" "hello from the host" "$(vm cat /root/zjail-sftp-learn-down.txt)"
}
learn_sftp() {
  local name=sftp-server profile=$learn_dir/sftp-server.profile out=/var/tmp/zjail-learn-sftp
  trap 'rc=$?; ((rc == 0)) || vm "journalctl -q --no-pager -o cat -n 15 _COMM=zjail; grep -v ^# '"$profile"'" 2>&1 | sed "s/^/  | /"
    vm "rm -f '"$sftp_snippet"'"; sshd_reload; vm "pkill -u '"$sftp_user"'; userdel -r '"$sftp_user"'; rm -rf '"$out"'"' EXIT
  # shellcheck disable=SC2016  # expanded in the VM
  vm "set -e; rm -f $profile; mkdir -p $learn_dir
    id $sftp_user >/dev/null 2>&1 || useradd -m -s /bin/bash $sftp_user
    rm -f /root/zjail-sftp-learn-key /root/zjail-sftp-learn-key.pub
    ssh-keygen -q -t ed25519 -N '' -f /root/zjail-sftp-learn-key
    install -d -m 700 -o $sftp_user -g $sftp_user /home/$sftp_user/.ssh
    install -m 600 -o $sftp_user -g $sftp_user /root/zjail-sftp-learn-key.pub /home/$sftp_user/.ssh/authorized_keys
    echo 'hello from the host' >/root/zjail-sftp-learn-up.txt
    rm -rf $out && install -d -m 700 -o $sftp_user -g $sftp_user $out"
  sftp_force "$ZJAIL_GUEST_BIN learn --output $out/sftp-server.profile -- /usr/lib/openssh/sftp-server -d %d"
  workload_sftp
  # Learning ends with the session's sftp-server.
  vm "for i in \$(seq 1 50); do test -s $out/sftp-server.profile && break; sleep 0.2; done
    install -m 0644 -o root -g root $out/sftp-server.profile $profile" || fail "$name: zjail learn wrote no profile"
  local lines
  lines=$(vm "grep -cv '^#\\|^\$' $profile")
  echo "ok: $name: learned $profile ($lines directive lines)"
  vm "$ZJAIL_GUEST_BIN" --check --profile "$profile" >/dev/null || fail "$name: the learned profile fails --check"
  sftp_force "$ZJAIL_GUEST_BIN --profile $profile -- /usr/lib/openssh/sftp-server -d %d"
  workload_sftp
  echo "ok: $name: the workload passes under the learned profile"
  judge "$name" "$profile" "$lines"
}

vm "test -x $probe" || skip "no $probe in the VM (run.sh --build-dir with tests/root built)"
vm "ss -Htln 'sport = :$probe_port' | grep -q LISTEN" || skip "nothing listens on 127.0.0.1:$probe_port in the VM to connect to"
# Natively the probes succeed: the learned jail is what refuses them.
for p in "read /etc/shadow" "execve /bin/sh" "tcp-connect $probe_port"; do
  # shellcheck disable=SC2086  # the probe and its argument
  vm "$probe" $p | grep -q '^PASS ' || fail "unjailed, $p does not succeed: the probe proves nothing"
done

filter=${ZJAIL_LEARN_DAEMONS:-}
failed=() passed=()
for d in "${daemons[@]}"; do
  IFS='|' read -r name unit command <<<"$d"
  [[ -z $filter || " $filter " == *" $name "* ]] || continue
  t0=$SECONDS
  if out=$(learn_one "$name" "$unit" "$command" 2>&1); then
    passed+=("$name")
  else
    failed+=("$name")
  fi
  printf '%s\n' "$out" | sed "s/^/[$name] /"
  echo "[$name] $((SECONDS - t0)) s"
done
if [[ -z $filter || " $filter " == *" sftp-server "* ]]; then
  t0=$SECONDS
  if out=$(learn_sftp 2>&1); then passed+=(sftp-server); else failed+=(sftp-server); fi
  printf '%s\n' "$out" | sed "s/^/[sftp-server] /"
  echo "[sftp-server] $((SECONDS - t0)) s"
fi
echo "passed: ${passed[*]:-none}; failed: ${failed[*]:-none}"
((${#failed[@]} == 0)) || fail "learning failed for: ${failed[*]}"
