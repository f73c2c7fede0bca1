#!/bin/bash
# The system-test tier (ctest label `system`): boots a Debian 12 VM with a
# real systemd, installs the freshly built zjail into it and runs every
# tests/system/t-*.sh against it.
#
#   run.sh --zjail PATH [--source DIR] [--build-dir DIR] [NAME_GLOB...]
#
#   --zjail PATH      the zjail binary (or $ZJAIL_BIN)
#   --source DIR      the source tree, for profiles/ and examples/
#                     (default: two levels above this script)
#   --build-dir DIR   the CMake build dir; its examples/ go in too (optional)
#   NAME_GLOB         run only tests whose name (t-foo) matches, e.g. 't-zjail-*'
#
# In the VM: the binary is /usr/local/bin/zjail, the profiles are in
# /usr/share/zjail/profiles, and /opt/zjail holds bin/, profiles/,
# examples/ (sources), tests/ssh/, and build/examples/, build/pam_module/,
# build/tests/ssh/, build/tests/root/zjail_probe and build/tests/parity/observe
# (built). Tests get the build dir as $ZJAIL_BUILD_DIR (host tools such as
# parity_compare).
#
# Each test prints PASS/FAIL/SKIP; the run ends with "N passed, N failed" and
# exits 1 on any failure. Exits 77 (skip), loudly, if this machine cannot
# run VMs: no qemu/debootstrap and no way to install them, or not root.
#
# Environment: ZJAIL_BIN, ZJAIL_SYSTEM_TEST_TIMEOUT (per test, default 300 s;
# a test may ask for more with a "# timeout: SECONDS" line),
# ZJAIL_SYSTEM_NO_INSTALL=1 (never apt-get the tools), ZJAIL_SYSTEM_KEEP=1
# (keep the run dir with logs even on success), and vm.sh's and image.sh's
# variables (ZJAIL_VM_CACHE, ZJAIL_VM_MIRROR, ZJAIL_VM_ACCEL, ...).
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
readonly here
readonly vm=$here/vm.sh
readonly guest_dir=/opt/zjail
readonly guest_bin=/usr/local/bin/zjail

zjail_bin=${ZJAIL_BIN:-}
source_dir=$(cd -- "$here/../.." && pwd)
build_dir=""
filters=()

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
log() { printf 'run.sh: %s\n' "$*"; }
die() { printf 'run.sh: error: %s\n' "$*" >&2; exit 1; }

skip_tier() {
  printf '\n'
  printf '************************************************************\n'
  printf '*** SKIPPED: system-test tier (tests/system)\n'
  printf '*** %s\n' "$@"
  printf '************************************************************\n'
  exit 77
}

while (($# > 0)); do
  case $1 in
    --zjail) zjail_bin=${2:?--zjail needs a path}; shift 2 ;;
    --source) source_dir=${2:?--source needs a dir}; shift 2 ;;
    --build-dir) build_dir=${2:?--build-dir needs a dir}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; filters+=("$@"); break ;;
    -*) die "unknown option $1 (run.sh --help)" ;;
    *) filters+=("$1"); shift ;;
  esac
done

[[ -n $zjail_bin ]] || die "no zjail binary: pass --zjail PATH or set ZJAIL_BIN"
[[ -x $zjail_bin ]] || die "zjail binary $zjail_bin is missing or not executable"
[[ -d $source_dir/profiles ]] || die "$source_dir has no profiles/ (--source)"

# --- Can this machine run the tier at all? --------------------------------
missing_tools() {
  local tool
  for tool in qemu-system-x86_64 qemu-img debootstrap mkfs.ext4 ssh ssh-keygen ss; do
    command -v "$tool" >/dev/null || printf '%s\n' "$tool"
  done
}

[[ $(id -u) == 0 ]] || skip_tier "needs root: debootstrap builds the VM image (chroot, device nodes)." \
  "Run ctest -L system as root."
if [[ -n $(missing_tools) && ${ZJAIL_SYSTEM_NO_INSTALL:-0} != 1 ]] && command -v apt-get >/dev/null; then
  log "installing the VM tools: $(missing_tools | paste -sd' ' -)"
  vm_tools=(qemu-system-x86 qemu-utils debootstrap e2fsprogs openssh-client iproute2)
  apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      "${vm_tools[@]}" >/dev/null 2>&1
  }
  # A fresh CI machine may have no package lists yet.
  apt_install || { apt-get update -q >/dev/null 2>&1 && apt_install; } ||
    log "apt-get install ${vm_tools[*]} failed"
fi
if [[ -n $(missing_tools) ]]; then
  skip_tier "missing tools that could not be installed: $(missing_tools | paste -sd' ' -)" \
    "(Debian: apt-get install qemu-system-x86 qemu-utils debootstrap openssh-client)"
fi

# --- Run dir, and qemu dies with us whatever happens ----------------------
run_dir=$(mktemp -d /tmp/zjail-system.XXXXXX)
export ZJAIL_VM_RUN_DIR=$run_dir
# vm.sh's watchdog kills qemu once this shell is gone, even after SIGKILL.
export ZJAIL_VM_OWNER_PID=$$
failed=0
# Long steps run in the background and are waited for: bash runs a trap only
# between commands, and `wait` is one it can interrupt. So a TERM from CI
# stops the run at once, and cleanup stops the step too.
child=""
in_bg() {
  "$@" &
  child=$!
  local rc=0
  wait "$child" || rc=$?
  child=""
  return "$rc"
}
cleanup() {
  local rc=$?
  if [[ -n $child ]]; then
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  "$vm" stop >/dev/null 2>&1 || true
  if ((rc != 0 || failed > 0)) || [[ ${ZJAIL_SYSTEM_KEEP:-0} == 1 ]]; then
    log "logs kept in $run_dir (serial.log, <test>.log)"
  else
    rm -rf -- "$run_dir"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

tier_start=$SECONDS

# --- Image -----------------------------------------------------------------
t0=$SECONDS
in_bg "$here/image.sh" build >"$run_dir/image_dir" || die "building the VM image failed"
image_dir=$(<"$run_dir/image_dir")
export ZJAIL_VM_IMAGE_DIR=$image_dir
image_s=$((SECONDS - t0))
log "image $image_dir ready after ${image_s} s"

# --- Boot ------------------------------------------------------------------
t0=$SECONDS
in_bg "$vm" start 2>&1 || die "the VM did not boot"
boot_s=$((SECONDS - t0))
log "VM booted in ${boot_s} s"

# --- Install zjail ---------------------------------------------------------
t0=$SECONDS
# Everything goes in as one tar stream over one ssh command: under TCG each
# round trip costs.
stage=$run_dir/stage
mkdir -p -- "$stage/bin" "$stage/build"
# Without its debug info the binary is a tenth of the size.
if ! objcopy --strip-debug -- "$zjail_bin" "$stage/bin/zjail" 2>/dev/null; then
  cp -- "$zjail_bin" "$stage/bin/zjail"
fi
# The small init an idle jail's init hands over to, found next to zjail.
if [[ -x $(dirname -- "$zjail_bin")/zjail-init ]]; then
  cp -- "$(dirname -- "$zjail_bin")/zjail-init" "$stage/bin/zjail-init"
fi
cp -a -- "$source_dir/profiles" "$stage/profiles"
if [[ -d $source_dir/examples ]]; then
  cp -a -- "$source_dir/examples" "$stage/examples"
fi
if [[ -n $build_dir && -d $build_dir/examples ]]; then
  tar -C "$build_dir" -cf - --exclude=CMakeFiles --exclude='*.cmake' \
    --exclude=Makefile --exclude='*.ninja' examples | tar -C "$stage/build" -xf -
fi
# pam_zjail, and what its end-to-end test runs (tests/system/t-ssh-pam.sh).
if [[ -n $build_dir && -f $build_dir/pam_module/pam_zjail.so ]]; then
  install -D -m 0644 -- "$build_dir/pam_module/pam_zjail.so" "$stage/build/pam_module/pam_zjail.so"
fi
if [[ -n $build_dir && -x $build_dir/tests/ssh/ssh_helper ]]; then
  install -D -m 0755 -- "$build_dir/tests/ssh/ssh_helper" "$stage/build/tests/ssh/ssh_helper"
fi
if [[ -n $build_dir && -x $build_dir/tests/escape/battery ]]; then
  install -D -m 0755 -- "$build_dir/tests/escape/battery" "$stage/build/tests/escape/battery"
fi
# The root tier's static probe: t-notify's jailed payload forges messages with it.
if [[ -n $build_dir && -x $build_dir/tests/root/zjail_probe ]]; then
  install -D -m 0755 -- "$build_dir/tests/root/zjail_probe" "$stage/build/tests/root/zjail_probe"
fi
# The parity probe: t-parity runs it natively and jailed (tests/parity).
if [[ -n $build_dir && -x $build_dir/tests/parity/observe ]]; then
  install -D -m 0755 -- "$build_dir/tests/parity/observe" "$stage/build/tests/parity/observe"
fi
if [[ -d $source_dir/tests/ssh ]]; then
  mkdir -p -- "$stage/tests"
  cp -a -- "$source_dir/tests/ssh" "$stage/tests/ssh"
fi
ldd_out=$(tar -C "$stage" -cf - . | "$vm" ssh "
  set -e
  rm -rf $guest_dir && mkdir -p $guest_dir /usr/share/zjail/profiles /etc/zjail/profiles
  tar -C $guest_dir -xf - --no-same-owner --warning=no-timestamp
  install -m 0755 $guest_dir/bin/zjail $guest_bin
  if [ -f $guest_dir/bin/zjail-init ]; then install -m 0755 $guest_dir/bin/zjail-init \$(dirname $guest_bin)/zjail-init; fi
  cp -a $guest_dir/profiles/. /usr/share/zjail/profiles/
  echo installed: \$(cd $guest_dir && find . -type f | wc -l) files, \$(ls /usr/share/zjail/profiles | wc -l) profiles
  ldd $guest_bin || true  # a static binary is fine too") || die "installing zjail into the VM failed"
if grep -q 'not found' <<<"$ldd_out"; then
  printf '%s\n' "$ldd_out"
  die "zjail needs libraries the image lacks: add them to tests/system/image.packages"
fi
rm -rf -- "$stage"
install_s=$((SECONDS - t0))
log "zjail installed as $guest_bin in ${install_s} s ($(grep -m1 '^installed:' <<<"$ldd_out" | cut -d' ' -f2-))"

# --- Tests -----------------------------------------------------------------
selected() {
  local name=$1 f
  ((${#filters[@]} == 0)) && return 0
  for f in "${filters[@]}"; do
    # shellcheck disable=SC2053  # the filter is a glob
    [[ $name == $f ]] && return 0
  done
  return 1
}

passed=0 skipped=0
timings=()
test_timeout=${ZJAIL_SYSTEM_TEST_TIMEOUT:-300}
shopt -s nullglob
for test in "$here"/t-*.sh; do
  name=$(basename -- "$test" .sh)
  selected "$name" || continue
  test_log=$run_dir/$name.log
  reason_file=$run_dir/$name.reason
  : >"$reason_file"
  if ! "$vm" status >/dev/null 2>&1; then
    printf 'FAIL %s: the VM is not running any more\n' "$name"
    failed=$((failed + 1))
    continue
  fi
  t0=$SECONDS
  rc=0
  # A test that needs longer says so in a "# timeout: SECONDS" line.
  this_timeout=$(sed -n 's/^# timeout: \([0-9]\+\)$/\1/p' "$test" | head -n 1)
  this_timeout=${this_timeout:-$test_timeout}
  ((this_timeout >= test_timeout)) || this_timeout=$test_timeout
  ZJAIL_VM=$vm ZJAIL_TEST_REASON_FILE=$reason_file ZJAIL_GUEST_BIN=$guest_bin \
    ZJAIL_GUEST_DIR=$guest_dir ZJAIL_SOURCE_DIR=$source_dir ZJAIL_BUILD_DIR=$build_dir \
    in_bg timeout -k 10 "$this_timeout" bash "$test" </dev/null >"$test_log" 2>&1 || rc=$?
  secs=$((SECONDS - t0))
  timings+=("$name ${secs}s")
  reason=$(head -n 1 -- "$reason_file")
  case $rc in
    0)
      printf 'PASS %s (%d s)\n' "$name" "$secs"
      passed=$((passed + 1)) ;;
    77)
      printf 'SKIP %s: %s\n' "$name" "${reason:-skipped}"
      skipped=$((skipped + 1)) ;;
    *)
      if ((rc == 124 || rc == 137)); then
        reason="timed out after ${this_timeout} s"
      fi
      [[ -n $reason ]] || reason="exit status $rc: $(tail -n 1 -- "$test_log")"
      printf 'FAIL %s: %s\n' "$name" "$reason"
      printf -- '--- output of %s ---\n' "$name"
      sed 's/^/  /' -- "$test_log"
      printf -- '--- end of %s ---\n' "$name"
      failed=$((failed + 1)) ;;
  esac
done

# A dead VM explains failures: show how the guest ended.
if ((failed > 0)) && ! "$vm" status >/dev/null 2>&1; then
  "$vm" serial 40 || true
fi
log "times: image ${image_s}s, boot ${boot_s}s, install ${install_s}s, ${timings[*]:-no tests}," \
  "total $((SECONDS - tier_start))s"
printf '%d passed, %d failed' "$passed" "$failed"
((skipped > 0)) && printf ' (%d skipped)' "$skipped"
printf '\n'
((failed == 0))
