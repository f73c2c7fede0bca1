#!/bin/bash
# Boots, drives and stops the system-test VM.
#
#   vm.sh start              boot a throw-away copy of the cached image and
#                            wait until ssh answers and systemd has booted
#   vm.sh ssh CMD...         run a command in the VM as root. One argument is
#                            a shell snippet ('a | b'); several are quoted
#                            one by one (vm.sh ssh sh -c 'id; ls')
#   vm.sh push SRC... DIR    copy host files or directories into DIR in the VM
#   vm.sh pull SRC DIR       copy a file or directory from the VM into DIR
#   vm.sh status             "running PORT" or "stopped" (exit 1)
#   vm.sh serial [N]         the last N (40) lines of the serial console
#   vm.sh stop               power the VM off, kill qemu, delete the overlay
#
# State lives in $ZJAIL_VM_RUN_DIR (default /run/zjail-vm): qemu.pid, port,
# ssh_config, the qcow2 overlay and serial.log. The cached image is never
# written: the VM runs on a qcow2 overlay backed by it.
#
# Environment:
#   ZJAIL_VM_RUN_DIR       state directory (default /run/zjail-vm)
#   ZJAIL_VM_IMAGE_DIR     image directory (default: `image.sh build`)
#   ZJAIL_VM_OWNER_PID     a watchdog kills qemu when this process is gone
#   ZJAIL_VM_ACCEL         tcg (default) or kvm
#   ZJAIL_VM_MEM           MiB of RAM (default 2048)
#   ZJAIL_VM_SMP           vCPUs (default 2)
#   ZJAIL_VM_BOOT_TIMEOUT  seconds to wait for ssh and boot (default 480; a
#                          loaded 2-core host was seen taking 160)
#   ZJAIL_VM_STUCK_AFTER   seconds of silence on the serial console, before
#                          ssh answers, after which the guest counts as stuck
#                          and is booted once more (default 150; TCG was seen
#                          hanging for good early in the kernel's boot)
#   ZJAIL_VM_APPEND        more kernel command line
#   ZJAIL_VM_QEMU_ARGS     more qemu options (split at spaces)
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
readonly here
readonly run_dir=${ZJAIL_VM_RUN_DIR:-/run/zjail-vm}
readonly host_alias=zjail-vm

log() { printf 'vm.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The pid of our qemu, or nothing: a pid is trusted only while its command
# line still names our overlay (pids get reused).
qemu_pid() {
  local pid
  [[ -f $run_dir/qemu.pid ]] || return 0
  pid=$(<"$run_dir/qemu.pid")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  if [[ -r /proc/$pid/cmdline ]] &&
      tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$run_dir/overlay.qcow2"; then
    printf '%s\n' "$pid"
  fi
}

ssh_vm() {
  ssh -F "$run_dir/ssh_config" "$host_alias" "$@"
}

serial_tail() {
  local n=${1:-40}
  if [[ -f $run_dir/serial.log ]]; then
    printf -- '--- last %s lines of %s ---\n' "$n" "$run_dir/serial.log"
    tail -n "$n" -- "$run_dir/serial.log" | tr -d '\r'
    printf -- '--- end of serial log ---\n'
  fi
}

# A loopback TCP port nobody listens on. qemu may still lose a race for it;
# start() retries with another one.
pick_port() {
  local port used
  used=$(ss -Htln 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }')
  while :; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    grep -qx -- "$port" <<<"$used" || break
  done
  printf '%s\n' "$port"
}

# The first bytes sshd sends on 127.0.0.1:$1, or nothing within a second.
banner() {
  # shellcheck disable=SC2016  # bash -c expands its own $1
  timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && head -c 4 <&3' _ "$1" 2>/dev/null || true
}

write_ssh_config() {
  local port=$1 key=$2
  cat >"$run_dir/ssh_config" <<EOF
Host $host_alias
  HostName 127.0.0.1
  Port $port
  User root
  IdentityFile $key
  IdentitiesOnly yes
  BatchMode yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  GlobalKnownHostsFile /dev/null
  LogLevel ERROR
  ConnectTimeout 10
  ServerAliveInterval 15
  ServerAliveCountMax 8
  ControlMaster auto
  ControlPath $run_dir/ssh-%C
  ControlPersist 120
EOF
}

start_watchdog() {
  local owner=$1 qpid=$2
  # Detached and with no inherited stdio: ctest waits for its output pipe.
  # shellcheck disable=SC2016  # the script expands its own arguments
  setsid bash -c '
    owner=$1 qpid=$2 overlay=$3
    ours() { tr "\0" "\n" <"/proc/$qpid/cmdline" 2>/dev/null | grep -qF -- "$overlay"; }
    while kill -0 "$owner" 2>/dev/null && ours; do sleep 2; done
    if ours; then
      kill -TERM "$qpid" 2>/dev/null
      for _ in 1 2 3 4 5; do sleep 1; ours || exit 0; done
      kill -KILL "$qpid" 2>/dev/null
    fi' zjail-vm-watchdog "$owner" "$qpid" "$run_dir/overlay.qcow2" \
    </dev/null >/dev/null 2>&1 &
  printf '%s\n' "$!" >"$run_dir/watchdog.pid"
}

cmd_start() {
  local boot rc
  for boot in 1 2; do
    rc=0
    boot_once || rc=$?
    ((rc == 0)) && return 0
    ((rc == 2 && boot == 1)) || die "the VM did not boot"
    log "the guest is stuck (serial console silent for ${ZJAIL_VM_STUCK_AFTER:-150} s before ssh); booting it again"
  done
}

# One boot. Returns 2 if the guest got stuck before ssh answered; dies on
# anything else that goes wrong.
boot_once() {
  [[ -z $(qemu_pid) ]] || die "a VM is already running from $run_dir (vm.sh stop first)"
  command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found"
  command -v qemu-img >/dev/null || die "qemu-img not found"

  local image_dir=${ZJAIL_VM_IMAGE_DIR:-}
  if [[ -z $image_dir ]]; then
    image_dir=$("$here/image.sh" build)
  fi
  local f
  for f in rootfs.img vmlinuz initrd.img id_ed25519; do
    [[ -f $image_dir/$f ]] || die "$image_dir/$f missing (run image.sh)"
  done

  mkdir -p -- "$run_dir"
  chmod 0700 -- "$run_dir"
  rm -f -- "$run_dir"/{overlay.qcow2,serial.log,qemu.pid,port,ssh_config,qemu.err,watchdog.pid}
  qemu-img create -q -f qcow2 -F raw -b "$image_dir/rootfs.img" "$run_dir/overlay.qcow2"
  # ssh refuses a private key that others can read; keep a copy in the run dir.
  install -m 0600 -- "$image_dir/id_ed25519" "$run_dir/id_ed25519"

  local accel=${ZJAIL_VM_ACCEL:-tcg} cpu=max
  [[ $accel == kvm ]] && cpu=host
  local append="root=/dev/vda rw console=ttyS0,115200 panic=-1 systemd.unified_cgroup_hierarchy=1"
  append+=${ZJAIL_VM_APPEND:+ $ZJAIL_VM_APPEND}

  local extra_args=()
  # Word splitting is the point: extra qemu options, e.g. a 9p share.
  # shellcheck disable=SC2206
  [[ -n ${ZJAIL_VM_QEMU_ARGS:-} ]] && extra_args=($ZJAIL_VM_QEMU_ARGS)

  local port attempt started=$SECONDS
  for attempt in 1 2 3 4 5; do
    port=$(pick_port)
    # -nographic cannot be combined with -daemonize; -display none plus a
    # serial log file is its equivalent for a background VM.
    if qemu-system-x86_64 \
        -name zjail-system-test -accel "$accel" -cpu "$cpu" \
        -m "${ZJAIL_VM_MEM:-2048}" -smp "${ZJAIL_VM_SMP:-2}" \
        -nodefaults -display none -vga none -monitor none \
        -serial "file:$run_dir/serial.log" -no-reboot \
        -kernel "$image_dir/vmlinuz" -initrd "$image_dir/initrd.img" \
        -append "$append" \
        -drive "file=$run_dir/overlay.qcow2,if=virtio,format=qcow2,discard=unmap" \
        -netdev "user,id=net0,hostfwd=tcp:127.0.0.1:$port-:22" \
        -device virtio-net-pci,netdev=net0 \
        -device virtio-rng-pci \
        "${extra_args[@]}" \
        -daemonize -pidfile "$run_dir/qemu.pid" \
        </dev/null >/dev/null 2>"$run_dir/qemu.err"; then
      break
    fi
    if grep -q 'host forwarding' "$run_dir/qemu.err" && ((attempt < 5)); then
      log "port $port taken, retrying"
      continue
    fi
    cat -- "$run_dir/qemu.err" >&2
    die "qemu failed to start"
  done
  printf '%s\n' "$port" >"$run_dir/port"
  local qpid
  qpid=$(qemu_pid)
  [[ -n $qpid ]] || { cat -- "$run_dir/qemu.err" >&2; die "qemu exited at once"; }
  if [[ -n ${ZJAIL_VM_OWNER_PID:-} ]]; then
    start_watchdog "$ZJAIL_VM_OWNER_PID" "$qpid"
  fi
  write_ssh_config "$port" "$run_dir/id_ed25519"
  log "qemu $qpid ($accel) booting, ssh on 127.0.0.1:$port, serial log $run_dir/serial.log"

  local timeout=${ZJAIL_VM_BOOT_TIMEOUT:-480} stuck_after=${ZJAIL_VM_STUCK_AFTER:-150}
  local console_size=-1 console_changed=$SECONDS size
  # Probes skip the connection master: a half-open probe must not leave one.
  # Poll for sshd's banner with a plain TCP read, which is cheap: until the
  # guest has an address, slirp accepts the connection and then never answers.
  # Then one real login (the first one also starts root's user manager).
  until [[ $(banner "$port") == SSH-* ]] &&
      timeout 60 ssh -F "$run_dir/ssh_config" -o ControlMaster=no -o ControlPath=none \
        "$host_alias" true 2>/dev/null; do
    if [[ -z $(qemu_pid) ]]; then
      serial_tail 60 >&2
      die "qemu exited during boot"
    fi
    size=$(stat -c %s -- "$run_dir/serial.log" 2>/dev/null || echo 0)
    if ((size != console_size)); then
      console_size=$size console_changed=$SECONDS
    elif ((SECONDS - console_changed > stuck_after)); then
      serial_tail 20 >&2
      cmd_stop >/dev/null 2>&1 || true
      return 2
    fi
    if ((SECONDS - started > timeout)); then
      serial_tail 60 >&2
      cmd_stop >/dev/null 2>&1 || true
      die "no ssh after ${timeout} s"
    fi
    sleep 0.5
  done
  local ssh_s=$((SECONDS - started))
  # Tests start on a settled system: every start-up job is done.
  local state
  state=$(timeout "$timeout" ssh -F "$run_dir/ssh_config" "$host_alias" \
    systemctl is-system-running --wait 2>/dev/null) || true
  case $state in
    running) ;;
    degraded)
      log "systemd is degraded; failed units:"
      ssh_vm systemctl --failed --no-legend --plain >&2 || true ;;
    *)
      serial_tail 60 >&2
      cmd_stop >/dev/null 2>&1 || true
      die "systemd did not finish booting (state '${state:-unknown}')" ;;
  esac
  log "VM up: ssh after ${ssh_s} s, boot finished after $((SECONDS - started)) s"
}

cmd_ssh() {
  (($# > 0)) || die "usage: vm.sh ssh CMD..."
  [[ -f $run_dir/ssh_config ]] || die "no VM state in $run_dir (vm.sh start)"
  if (($# == 1)); then
    ssh_vm -- "$1"
  else
    local quoted
    printf -v quoted '%q ' "$@"
    ssh_vm -- "$quoted"
  fi
}

# tar over the ssh connection: keeps modes and symlinks, needs nothing in the
# image beyond tar.
cmd_push() {
  (($# >= 2)) || die "usage: vm.sh push SRC... DIR"
  local dest=${!#} src quoted_dest
  printf -v quoted_dest '%q' "$dest"
  for src in "${@:1:$#-1}"; do
    [[ -e $src ]] || die "no such file: $src"
    tar -C "$(dirname -- "$src")" -cf - -- "$(basename -- "$src")" |
      ssh_vm -- "mkdir -p $quoted_dest && tar -C $quoted_dest -xf - --no-same-owner"
  done
}

cmd_pull() {
  (($# == 2)) || die "usage: vm.sh pull SRC DIR"
  local src=$1 dest=$2 qdir qbase
  printf -v qdir '%q' "$(dirname -- "$src")"
  printf -v qbase '%q' "$(basename -- "$src")"
  mkdir -p -- "$dest"
  ssh_vm -- "tar -C $qdir -cf - -- $qbase" | tar -C "$dest" -xf -
}

cmd_status() {
  local pid
  pid=$(qemu_pid)
  if [[ -n $pid ]]; then
    printf 'running %s\n' "$(<"$run_dir/port")"
  else
    printf 'stopped\n'
    return 1
  fi
}

cmd_stop() {
  local pid i
  pid=$(qemu_pid)
  if [[ -n $pid ]]; then
    # A clean power-off is quick; the overlay is discarded either way, so do
    # not wait long for it.
    if timeout 10 ssh -F "$run_dir/ssh_config" -o ControlMaster=no -o ControlPath=none \
        -o ConnectTimeout=3 "$host_alias" 'systemctl --no-block poweroff' >/dev/null 2>&1; then
      for ((i = 0; i < 100; i++)); do
        [[ -n $(qemu_pid) ]] || break
        sleep 0.2
      done
    fi
    if [[ -n $(qemu_pid) ]]; then
      kill -TERM "$pid" 2>/dev/null || true
      for ((i = 0; i < 25; i++)); do
        [[ -n $(qemu_pid) ]] || break
        sleep 0.2
      done
    fi
    if [[ -n $(qemu_pid) ]]; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  if [[ -f $run_dir/ssh_config ]]; then
    ssh -F "$run_dir/ssh_config" -O exit "$host_alias" >/dev/null 2>&1 || true
  fi
  if [[ -f $run_dir/watchdog.pid ]]; then
    local wpid
    wpid=$(<"$run_dir/watchdog.pid")
    if [[ $wpid =~ ^[0-9]+$ ]] &&
        tr '\0' '\n' <"/proc/$wpid/cmdline" 2>/dev/null | grep -qx zjail-vm-watchdog; then
      kill "$wpid" 2>/dev/null || true
    fi
  fi
  rm -f -- "$run_dir"/{overlay.qcow2,qemu.pid,port,ssh_config,qemu.err,watchdog.pid,id_ed25519}
  rm -f -- "$run_dir"/ssh-*
}

main() {
  local cmd=${1:-}
  (($# > 0)) && shift
  case $cmd in
    start) cmd_start "$@" ;;
    ssh) cmd_ssh "$@" ;;
    push) cmd_push "$@" ;;
    pull) cmd_pull "$@" ;;
    status) cmd_status ;;
    serial) serial_tail "${1:-40}" ;;
    stop) cmd_stop ;;
    -h|--help|help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" ;;
    *) die "usage: vm.sh start|ssh|push|pull|status|serial|stop (vm.sh --help)" ;;
  esac
}

main "$@"
