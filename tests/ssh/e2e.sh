#!/bin/bash
# pam_zjail end to end with a real sshd and a real PAM stack: restricted,
# sftp-only and unrestricted users log in with keys, and every way out the
# jail is meant to close is tried.
#
#   e2e.sh --mode host   --module SO --helper BIN --profiles DIR [--battery BIN]
#   e2e.sh --mode system --module SO --helper BIN [--battery BIN]
#
# host:   a private sshd on a loopback port, with its own config and its own
#         PAM service, run under a subreaper (ssh_helper reap). The host has
#         no systemd, so the restricted profiles are used with their limits
#         reset (a profile that asks for limits fails closed here).
# system: the machine's own sshd (ssh.service) under systemd and logind, the
#         line appended to /etc/pam.d/sshd and the shipped profiles used as
#         they are, limits and scope included; restored on exit.
#
# With --battery (tests/escape's static `battery`), the escape battery also
# runs inside a restricted login, against targets `battery host-setup` puts
# on this machine, and the host is checked afterwards.
#
# Prints "ok: ..." per check and exits 1 at the first failure. Needs root;
# exits 77 (skipped), saying why, where a program it drives is missing.
set -euo pipefail

mode="" module="" helper="" profiles="" battery=""
while (($#)); do
  case $1 in
    --mode) mode=$2; shift 2 ;;
    --module) module=$2; shift 2 ;;
    --helper) helper=$2; shift 2 ;;
    --profiles) profiles=$2; shift 2 ;;
    --battery) battery=$2; shift 2 ;;
    *) echo "e2e.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $mode == host || $mode == system ]] || { echo "e2e.sh: --mode host|system" >&2; exit 2; }
[[ -f $module && -x $helper ]] || { echo "e2e.sh: --module and --helper are required" >&2; exit 2; }
[[ $mode == system || -d $profiles ]] || { echo "e2e.sh: --profiles DIR is required in host mode" >&2; exit 2; }
((EUID == 0)) || { echo "e2e.sh: needs root" >&2; exit 2; }
# What the test drives: without it there is nothing to test, which is no
# failure of pam_zjail (tests/setup.sh installs them all).
need=(ssh scp sftp ssh-keygen useradd groupadd usermod ss pgrep mkfifo)
[[ $mode == host ]] && need+=(/usr/sbin/sshd /usr/lib/openssh/sftp-server)
for p in "${need[@]}"; do
  command -v "$p" >/dev/null ||
    { echo "SKIP: e2e.sh: $p is missing (openssh-server, openssh-sftp-server, openssh-client, iproute2)"; exit 77; }
done

# A root-owned state directory: pam_zjail trusts nothing a user could change.
state=/run/zjail-ssh-e2e
secret=/var/lib/zjail-e2e-secret
suid=/usr/lib/zjail-e2e-suid-id
escape_dir=/usr/lib/zjail-e2e-escape   # visible in ssh-restricted (/usr/lib)
fcap=/usr/lib/zjail-e2e-fcap-grep
pamd_backup=""
sshd_pid=""
serve_pid=""

log() { printf '%s\n' "$*"; }
# A TCP port in [$1, $1 + $2) that nothing on this host is using.
free_port() {
  local p _
  for _ in $(seq 200); do
    p=$(($1 + RANDOM % $2))
    [[ -z $(ss -Htan "sport = :$p") ]] && { echo "$p"; return 0; }
  done
  echo "e2e.sh: no free TCP port in $1..$(($1 + $2 - 1))" >&2
  return 1
}
ok() { printf 'ok: %s [%ds]\n' "$*" "$SECONDS"; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  if [[ $mode == host && -f $state/sshd.log ]]; then
    echo "--- last lines of the test sshd's log ---" >&2
    tail -n 25 "$state/sshd.log" >&2
  elif [[ $mode == system ]]; then
    echo "--- last journal lines of ssh.service ---" >&2
    journalctl -u ssh.service -n 25 --no-pager >&2 || true
  fi
  exit 1
}

cleanup() {
  set +e
  [[ -n $serve_pid ]] && kill "$serve_pid" 2>/dev/null
  # The reaper passes SIGTERM on to the test sshd's listener.
  [[ -n $sshd_pid ]] && kill "$sshd_pid" 2>/dev/null
  jobs -p | xargs -r kill 2>/dev/null
  if [[ $mode == system ]]; then
    [[ -n $pamd_backup && -f $pamd_backup ]] && cp -- "$pamd_backup" /etc/pam.d/sshd
    rm -f /etc/ssh/sshd_config.d/zjail-e2e.conf /etc/zjail/pam.conf
    # The D-Bus fault below hides systemd's private socket with a bind mount.
    mountpoint -q /run/systemd/private && umount /run/systemd/private
    systemctl start dbus.socket dbus.service >/dev/null 2>&1
    # logind does not survive a bus restart on its own.
    systemctl restart systemd-logind.service >/dev/null 2>&1
    systemctl restart ssh.service >/dev/null 2>&1
  else
    rm -f /etc/pam.d/zjail-e2e-sshd
  fi
  rm -f -- "$secret" "$suid" "$fcap" /tmp/zjail-e2e-rc-marker
  rm -rf -- "$escape_dir"
  wait 2>/dev/null
}
trap cleanup EXIT

# --- Users, keys, files -------------------------------------------------------
rm -rf -- "$state"
install -d -m 0755 -- "$state"
getent group zjailed >/dev/null || groupadd zjailed
for u in zjr zju zjs zjn; do
  id "$u" >/dev/null 2>&1 || useradd -m -s /bin/bash "$u"
  home=$(getent passwd "$u" | cut -d: -f6)
  chmod 0750 -- "$home"
  install -d -m 0700 -o "$u" -g "$u" -- "$home/.ssh"
done
usermod -a -G zjailed zjr
ssh-keygen -q -t ed25519 -N '' -C zjail-e2e -f "$state/key"
for u in zjr zju zjs zjn; do
  home=$(getent passwd "$u" | cut -d: -f6)
  install -m 0600 -o "$u" -g "$u" -- "$state/key.pub" "$home/.ssh/authorized_keys"
  rm -f -- "$home/.ssh/rc" "$home"/up-*.txt
done
# ~/.ssh/rc runs inside the session, before the command: its marker must land
# in the jail's private /tmp.
printf 'echo rc-ran > /tmp/zjail-e2e-rc-marker\n' >"$(getent passwd zjr | cut -d: -f6)/.ssh/rc"
chown zjr:zjr "$(getent passwd zjr | cut -d: -f6)/.ssh/rc"
rm -f /tmp/zjail-e2e-rc-marker

# Host-only things the jail must not reach: a readable file outside every
# bound path, and a service on the host's loopback.
install -m 0644 /dev/null "$secret"
echo "host-secret-$$" >"$secret"
# A working setuid-root binary and a file-capability binary where the jail
# sees them (/usr/lib is bound): proof that they gain nothing inside.
install -m 4755 -o root -g root /usr/bin/id "$suid"
if command -v setcap >/dev/null; then
  install -m 0755 /usr/bin/grep "$fcap"
  setcap cap_dac_read_search+ep "$fcap"
fi

host_port=$(free_port 30000 2000) || exit 1
"$helper" serve "$host_port" HOST-ONLY-SERVICE >/dev/null 2>&1 &
serve_pid=$!
for _ in $(seq 100); do ss -Htln "sport = :$host_port" | grep -q . && break; sleep 0.05; done
ss -Htln "sport = :$host_port" | grep -q . || fail "the host-only service did not listen on 127.0.0.1:$host_port"

# --- pam.conf, profiles, sshd --------------------------------------------------
if [[ $mode == host ]]; then
  install -d -m 0755 -- "$state/profiles"
  cp -- "$profiles"/*.profile "$state/profiles/"
  # No systemd here: the same profiles without their cgroup limits.
  for p in ssh-restricted sftp-only; do
    printf '[Jail]\nInclude=%s\nTasksMax=\nMemoryMax=\n' "$p" >"$state/profiles/$p-nolimits.profile"
  done
  chmod 0644 "$state"/profiles/*
  r_profile=$state/profiles/ssh-restricted-nolimits.profile
  s_profile=$state/profiles/sftp-only-nolimits.profile
  pam_conf=$state/pam.conf
else
  r_profile=ssh-restricted
  s_profile=sftp-only
  install -d -m 0755 /etc/zjail
  pam_conf=/etc/zjail/pam.conf
fi
write_pam_conf() {
  cat >"$pam_conf" <<EOF
# pam_zjail end-to-end test
@zjailed  ${1:-$r_profile}
zjs       $s_profile
zjn       $s_profile
*         -
EOF
  chmod 0644 "$pam_conf"
}
write_pam_conf

sshd_match='
Match User zjs
    ForceCommand internal-sftp
'
if [[ $mode == host ]]; then
  ssh-keygen -q -t ed25519 -N '' -f "$state/hostkey"
  port=$(free_port 40000 2000) || exit 1
  ln -sf /usr/sbin/sshd "$state/zjail-e2e-sshd"   # its name is the PAM service
  cat >"$state/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $state/hostkey
PidFile $state/sshd.pid
UsePAM yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile .ssh/authorized_keys
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel VERBOSE
$sshd_match
EOF
  cat >/etc/pam.d/zjail-e2e-sshd <<EOF
account  required pam_unix.so
session  required pam_unix.so
session  required $module config=$pam_conf debug
EOF
  install -d -m 0755 /run/sshd
  "$helper" reap "$state/zjail-e2e-sshd" -D -e -f "$state/sshd_config" >"$state/sshd.log" 2>&1 &
  sshd_pid=$!
  for _ in $(seq 50); do
    grep -q "Server listening" "$state/sshd.log" 2>/dev/null && break
    sleep 0.1
  done
  grep -q "Server listening" "$state/sshd.log" || fail "test sshd did not start"
else
  port=22
  install -m 0644 -- "$module" /usr/lib/x86_64-linux-gnu/security/pam_zjail.so
  pamd_backup=$state/pam.d-sshd.orig
  cp -- /etc/pam.d/sshd "$pamd_backup"
  printf 'session  required pam_zjail.so debug\n' >>/etc/pam.d/sshd
  printf '%s\n' "$sshd_match" >/etc/ssh/sshd_config.d/zjail-e2e.conf
  systemctl restart ssh.service
fi
ok "sshd with pam_zjail on port $port ($mode)"

ssh_opts=(-i "$state/key" -o BatchMode=yes -o StrictHostKeyChecking=no
          -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=20)
run_ssh() { local u=$1; shift; ssh "${ssh_opts[@]}" -p "$port" "$u@127.0.0.1" "$@"; }
run_sftp() { local u=$1; shift; sftp "${ssh_opts[@]}" -P "$port" -b - "$u@127.0.0.1"; }

# --- The restricted user ---------------------------------------------------------
out=$(run_ssh zjr 'id -un; echo; tr "\0" " " </proc/1/cmdline; echo; ls /; echo;
  grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status; hostname;
  cat /tmp/zjail-e2e-rc-marker') || fail "restricted login failed"
netdev=$(run_ssh zjr 'cat /proc/net/dev') || fail "restricted login failed"
[[ $(sed -n 1p <<<"$out") == zjr ]] || fail "id: not zjr: $out"
ok "restricted user logs in with a key, id says zjr"
grep -q '^zjail-init --session zjr' <<<"$out" || fail "/proc/1/cmdline is not zjail's init: $out"
ok "/proc/1/cmdline is zjail-init"
for d in root var boot srv opt sbin; do
  grep -qx "$d" <<<"$out" && fail "ls / shows /$d: the host's root is visible"
done
grep -qx usr <<<"$out" && grep -qx home <<<"$out" || fail "ls / lacks usr or home: $out"
ok "ls / shows the jail root only"
ifaces=$(awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' <<<"$netdev" | sort | tr '\n' ' ')
[[ $ifaces == "lo " ]] || fail "interfaces inside: '$ifaces', expected only lo"
ok "only lo in the interface list"
for f in CapInh CapPrm CapEff CapBnd CapAmb; do
  grep -qE "^$f:\s+0000000000000000$" <<<"$out" || fail "$f not empty: $(grep "^$f" <<<"$out")"
done
grep -qE '^NoNewPrivs:\s+1$' <<<"$out" || fail "NoNewPrivs is not 1"
grep -qE '^Seccomp:\s+2$' <<<"$out" || fail "Seccomp is not 2 (filter)"
ok "no capabilities in any set, NoNewPrivs 1, Seccomp 2"
grep -qx jail <<<"$out" || fail "hostname is not the jail's"
grep -qx rc-ran <<<"$out" || fail "~/.ssh/rc did not run inside the session"
[[ ! -e /tmp/zjail-e2e-rc-marker ]] || fail "~/.ssh/rc wrote its marker on the host"
ok "~/.ssh/rc ran inside the jail; its marker is not on the host"

out=$(run_ssh zjr "cat $secret 2>&1; sudo -n id -u 2>&1; echo sudo=\$?; su -c 'id -u' root </dev/null 2>&1; echo su=\$?;
  $suid -u; test -x $fcap && $fcap -E '^CapEff' /proc/self/status; echo end" 2>&1) || true
grep -q "host-secret" <<<"$out" && fail "the host-only file is readable inside: $out"
grep -qE '^sudo=[1-9]' <<<"$out" || fail "sudo did not fail: $out"
grep -qE '^su=[1-9]' <<<"$out" || fail "su did not fail: $out"
grep -qx "$(id -u zjr)" <<<"$out" || fail "setuid-root id changed the euid: $out"
ok "host file invisible; sudo, su and a setuid-root binary gain nothing"
if [[ -e $fcap ]]; then
  grep -qE '^CapEff:\s+0000000000000000$' <<<"$out" || fail "file-capability binary gained capabilities: $out"
  ok "a file-capability binary (cap_dac_read_search+ep) gains nothing"
else
  echo "NOTE: setcap is missing here; the file-capability check did not run"
fi

# Controls: the same binaries do work outside the jail, so the checks above
# mean something.
out=$(run_ssh zju "tr '\0' ' ' </proc/1/cmdline; echo; ls /; $suid -u; grep NoNewPrivs /proc/self/status; cat $secret") ||
  fail "unrestricted login failed"
grep -q zjail-init <<<"$out" && fail "the unrestricted user is in a jail"
grep -qx var <<<"$out" || fail "the unrestricted user does not see the host's /"
grep -qx 0 <<<"$out" || fail "control: the setuid-root binary does not work outside the jail"
grep -q host-secret <<<"$out" || fail "control: the unrestricted user cannot read the host file"
ok "unrestricted user is untouched (host /, working setuid binary)"

# --- scp and sftp --------------------------------------------------------------------
out=$(printf 'ls /\nput /etc/hostname up-sftp.txt\nget %s %s/got-secret\n' "$secret" "$state" | run_sftp zjr 2>&1) || true
listing=$(awk '/^sftp> ls \/$/ { getline; print; exit }' <<<"$out")
grep -q '/usr' <<<"$listing" && ! grep -qE '/(var|root|srv|boot)' <<<"$listing" || fail "sftp sees more than the jail: $out"
[[ -f $(getent passwd zjr | cut -d: -f6)/up-sftp.txt ]] || fail "sftp upload into the home failed: $out"
[[ ! -e $state/got-secret ]] || fail "sftp fetched the host-only file"
ok "sftp (restricted) sees the jail, writes the home, cannot fetch host files"
if scp "${ssh_opts[@]}" -P "$port" "zjr@127.0.0.1:$secret" "$state/scp-secret" 2>/dev/null; then
  fail "scp fetched the host-only file"
fi
scp "${ssh_opts[@]}" -P "$port" /etc/hostname "zjr@127.0.0.1:up-scp.txt" || fail "scp upload failed"
ok "scp writes the home and cannot fetch host files"

out=$(printf 'ls /\nput /etc/hostname up-sftp.txt\nget %s %s/got-secret2\n' "$secret" "$state" | run_sftp zjs 2>&1) || true
listing=$(awk '/^sftp> ls \/$/ { getline; print; exit }' <<<"$out")
for d in usr etc bin var; do grep -q "/$d\b" <<<"$listing" && fail "sftp-only sees /$d: $out"; done
grep -q '/home' <<<"$listing" || fail "sftp-only does not see /home: $out"
[[ -f $(getent passwd zjs | cut -d: -f6)/up-sftp.txt ]] || fail "sftp-only upload failed: $out"
[[ ! -e $state/got-secret2 ]] || fail "sftp-only fetched the host-only file"
ok "sftp-only: only the home directory is visible, upload works"
if out=$(run_ssh zjn 'id' 2>&1); then fail "a shell ran for an sftp-only user: $out"; fi
ok "sftp-only without ForceCommand: no shell runs ($(tail -n 1 <<<"$out"))"

# --- Forwarding ------------------------------------------------------------------
forward_test() {  # USER -> prints what came back through -L and -D
  local u=$1 lport dport
  lport=$(free_port 20000 4000) && dport=$(free_port 24000 4000) || fail "no free ports for -L and -D"
  ssh "${ssh_opts[@]}" -p "$port" -N -o ExitOnForwardFailure=yes \
    -L "$lport:127.0.0.1:$host_port" -D "$dport" "$u@127.0.0.1" &
  local pid=$!
  for _ in $(seq 600); do
    ss -Htln "sport = :$lport" | grep -q . && ss -Htln "sport = :$dport" | grep -q . && break
    sleep 0.1
  done
  printf 'L:%s\n' "$("$helper" connect "$lport" 2>&1)"
  printf 'D:%s\n' "$("$helper" socks "$dport" "$host_port" 2>&1)"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
}
out=$(forward_test zju)
grep -q '^L:HOST-ONLY-SERVICE' <<<"$out" && grep -q '^D:HOST-ONLY-SERVICE' <<<"$out" ||
  fail "control: forwarding does not reach the host service for the unrestricted user: $out"
out=$(forward_test zjr)
grep -q HOST-ONLY-SERVICE <<<"$out" && fail "forwarding from the jail reached the host service: $out"
ok "-L and -D from the jail reach nothing on the host (control user: both do)"

# --- Limits and scope (systemd) ----------------------------------------------------
if [[ $mode == system ]]; then
  run_ssh zjr 'sleep 30' &
  bg=$!
  scope=""
  for _ in $(seq 100); do
    scope=$(systemctl list-units --plain --no-legend 'zjail-ssh-zjr-*.scope' | awk '{print $1}' | head -n 1)
    [[ -n $scope ]] && break
    sleep 0.1
  done
  [[ -n $scope ]] || fail "no zjail-ssh-zjr-*.scope while the session runs"
  props=$(systemctl show -p Slice -p MemoryMax -p TasksMax "$scope")
  grep -qx "Slice=user-$(id -u zjr).slice" <<<"$props" || fail "scope not under the user's slice: $props"
  grep -qx 'MemoryMax=1073741824' <<<"$props" && grep -qx 'TasksMax=256' <<<"$props" ||
    fail "scope lacks the profile's limits: $props"
  ok "$scope under user-$(id -u zjr).slice with MemoryMax=1G TasksMax=256"
  log "logind's sessions of zjr while jailed: $(loginctl list-sessions --no-legend 2>/dev/null | awk '$3 == "zjr"' | tr '\n' ';')"
  # $bg is the subshell that runs run_ssh: the ssh client is its child, and
  # killing the subshell alone would leave the client, and so the session,
  # for the rest of its 30 s, past the leftover check after the battery.
  pkill -TERM -P "$bg" 2>/dev/null || true
  kill "$bg" 2>/dev/null || true
  wait "$bg" 2>/dev/null || true
fi

# --- The escape battery inside a restricted login ----------------------------------
if [[ -n $battery ]]; then
  rm -rf -- "$escape_dir"
  install -d -m 0755 -- "$escape_dir"
  install -m 0755 -- "$battery" "$escape_dir/battery"
  # Where this kernel has /proc/sysrq-trigger, the jail masks it with a
  # read-only, nodev /dev/null, and a write open gets EACCES; the catalog's
  # ENOENT is for kernels without it. Blocked either way.
  : >"$escape_dir/expect"
  [[ -e /proc/sysrq-trigger ]] && printf 'sysrq-trigger EACCES\n' >"$escape_dir/expect"
  chmod 0644 "$escape_dir/expect"
  # The jail's init is a fork of sshd: sshd is the launcher binary whose
  # bytes must survive attempts through /proc/1/exe.
  # host-setup holds its targets until its stdin ends: a fifo we close later.
  rm -f -- "$state/setup.fifo"
  mkfifo -m 0600 -- "$state/setup.fifo"
  "$escape_dir/battery" host-setup --uid "$(id -u zjr)" --zjail /usr/sbin/sshd --dir "$escape_dir" \
    <"$state/setup.fifo" >"$state/host-setup.out" 2>&1 &
  setup_pid=$!
  exec 9>"$state/setup.fifo"
  for _ in $(seq 300); do grep -qs '^ARGS ' "$state/host-setup.out" && break; sleep 0.1; done
  args=$(sed -n 's/^ARGS //p' "$state/host-setup.out" 2>/dev/null || true)
  [[ -n $args ]] || { cat "$state/host-setup.out" >&2; fail "battery host-setup did not start"; }
  # What host-setup found this kernel closing by itself (int $0x80 without
  # IA32 emulation): passed on in $args, said here.
  grep '^# NOTE: ' "$state/host-setup.out" | sed 's/^# //' || true
  rc=0
  # -tt: the terminal probes need the session's own tty.
  out=$(run_ssh zjr -tt "$escape_dir/battery --profile-expect ssh-restricted --expect-file $escape_dir/expect $args" 2>&1) || rc=$?
  exec 9>&-
  wait "$setup_pid" || true
  printf '%s\n' "$out" | tr -d '\r' | grep -E '^(probe|summary)=' | sed 's/^/  /'
  grep -E '^host-' "$state/host-setup.out" | sed 's/^/  /'
  summary=$(tr -d '\r' <<<"$out" | grep '^summary ' || true)
  ((rc == 0)) && [[ -n $summary ]] || fail "escape battery in ssh-restricted: exit $rc, ${summary:-no summary}"
  grep -qx 'host-summary failed=0' "$state/host-setup.out" || fail "escape battery: the host checks failed"
  ok "escape battery inside a restricted login: ${summary#summary }; host checks passed"
fi

# --- Logout leaves nothing ------------------------------------------------------------
no_leftovers() {
  local what=$1 _
  for _ in $(seq 100); do
    if ! pgrep -f '^zjail-init --session (zjr|zju|zjs|zjn) ' >/dev/null &&
       { [[ $mode == host ]] || [[ -z $(systemctl list-units --all --plain --no-legend 'zjail-ssh-*' 2>/dev/null) ]]; }; then
      ok "$what: no jail process or zjail scope left"
      return 0
    fi
    sleep 0.1
  done
  pgrep -af '^zjail-init --session (zjr|zju|zjs|zjn) ' >&2 || true
  [[ $mode == system ]] && systemctl list-units --all --plain --no-legend 'zjail-ssh-*' >&2
  fail "$what: jail processes or scopes are left behind"
}
no_leftovers "after logout"

# --- Faults: no session at all, nothing left behind ------------------------------
expect_no_session() {
  local what=$1 out rc=0
  out=$(run_ssh zjr 'echo SHELL-RAN; id' 2>&1) || rc=$?
  grep -q SHELL-RAN <<<"$out" && fail "$what: a command ran: $out"
  ((rc != 0)) || fail "$what: ssh succeeded"
  out=$(printf 'ls /\n' | run_sftp zjr 2>&1) && fail "$what: sftp worked: $out"
  out=$(forward_test zjr)
  grep -q HOST-ONLY-SERVICE <<<"$out" && fail "$what: forwarding worked: $out"
  ok "$what: no shell, command, sftp or forwarding (ssh exit $rc)"
  no_leftovers "$what"
}

write_pam_conf /nonexistent/zjail-e2e-missing.profile
expect_no_session "missing profile"

install -d -m 0755 -o zjr -g zjr "$state/badroot"
if [[ $mode == host ]]; then
  printf '[Jail]\nInclude=ssh-restricted-nolimits\nRootDirectory=%s\n' "$state/badroot" >"$state/profiles/badroot.profile"
  chmod 0644 "$state/profiles/badroot.profile"
  write_pam_conf "$state/profiles/badroot.profile"
else
  install -d -m 0755 /etc/zjail/profiles
  printf '[Jail]\nInclude=ssh-restricted\nRootDirectory=%s\n' "$state/badroot" >/etc/zjail/profiles/zjail-e2e-badroot.profile
  write_pam_conf zjail-e2e-badroot
fi
expect_no_session "jail root owned by the user"
rm -f /etc/zjail/profiles/zjail-e2e-badroot.profile

if [[ $mode == system ]]; then
  write_pam_conf
  systemctl stop dbus.socket dbus.service
  # pam_zjail runs as root inside sshd and asks systemd for the session's scope
  # on its private socket: a dead bus daemon does not cost the limits.
  # The session lasts as long as its command: long enough to be looked at.
  run_ssh zjr 'sleep 8' >/dev/null 2>&1 &
  bg=$!
  scope=""
  for _ in $(seq 150); do
    scope=$(systemctl list-units --plain --no-legend 'zjail-ssh-*.scope' 2>/dev/null | awk '{ print $1; exit }')
    [[ -n $scope ]] && break
    kill -0 "$bg" 2>/dev/null || break
    sleep 0.2
  done
  [[ -n $scope ]] || fail "D-Bus down: the login got no zjail scope from systemd's private socket"
  # ssh-restricted's TasksMax=.
  [[ $(systemctl show -p TasksMax --value "$scope") == 256 ]] ||
    fail "D-Bus down: scope $scope has TasksMax=$(systemctl show -p TasksMax --value "$scope"), want 256"
  ok "D-Bus down: the login still gets its scope ($scope) and limits, over systemd's private socket"
  wait "$bg" || fail "D-Bus down: the login failed (ssh exit $?)"
  no_leftovers "D-Bus down, after logout"
  # With that socket hidden too, systemd is out of reach: no session.
  mount --bind /dev/null /run/systemd/private
  expect_no_session "D-Bus and systemd's private socket down, profile with limits"
  umount /run/systemd/private
  no_leftovers "D-Bus and the private socket down, checked with systemd back"
  systemctl start dbus.socket dbus.service
  # logind does not survive a bus restart on its own.
  systemctl restart systemd-logind.service
  journalctl -q --since=-2min --no-pager | grep -E 'pam_zjail.*session refused: .*\(step: [a-z-]+\)' >/dev/null ||
    fail "no 'session refused ... (step: ...)' line from pam_zjail in the journal"
  ok "every refusal is logged through pam_syslog with its step"
fi

write_pam_conf
run_ssh zjr true || fail "login does not work again after the faults"
ok "login works again with the configuration restored"
no_leftovers "at the end"
echo "e2e ($mode): all passed"
