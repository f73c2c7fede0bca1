# Sourced by the benchmarks that run in the system-test VM (bench/scope.sh,
# bench/launch-vm.sh, bench/accept.sh) and by bench/run, which boots the VM
# once for all three. Expects $repo and $build.
#
# The image is the system-test image (tests/system/image.sh) with hyperfine
# and bubblewrap on top, cached like it; the first build takes about 20 min.
#
#   bench_vm_up     with BENCH_VM_SHARED=1 and a VM running in
#                   $ZJAIL_VM_RUN_DIR: use it as it is (bench/run booted and
#                   staged it). Otherwise boot one of this process's own in a
#                   fresh run dir, and stage the build into it:
#                   /usr/local/bin/zjail, the repo's profiles in
#                   /usr/share/zjail/profiles, and in /opt/zjail/bench the
#                   bench profiles, examples/echo's server,
#                   zjail_conn_rate and the floor (when built)
#   bench_vm_down   stop the VM if this process booted it
#   bench_vm CMD    run a shell snippet in the VM as root
# shellcheck shell=bash disable=SC2154,SC2034  # $repo and $build are the sourcing script's; $out, $runs and $work are for it

bench_vm_tool=$repo/tests/system/vm.sh
# The recipe hash of the image covers this string as it is: keep its form.
if [[ ${BENCH_VM_PACKAGES_ADDED:-} != 1 ]]; then
  export ZJAIL_VM_EXTRA_PACKAGES="hyperfine bubblewrap ${ZJAIL_VM_EXTRA_PACKAGES:-}"
  export BENCH_VM_PACKAGES_ADDED=1
fi
bench_vm_owned=0

bench_vm() { "$bench_vm_tool" ssh "$1"; }

# bench_vm_hyperfine_script NAME: the start of a script that times lines in
# the VM with hyperfine (scope.sh, launch-vm.sh): root and a built zjail
# checked, $out and $runs (BENCH_MIN_RUNS, default 100) set, a scratch $work
# removed on exit with the VM (if this process booted it), and the VM up.
bench_vm_hyperfine_script() {
  out=$build/bench
  runs=${BENCH_MIN_RUNS:-100}
  ((EUID == 0)) || { echo "bench: run as root" >&2; exit 1; }
  [[ -x $build/jail/zjail ]] || { echo "bench: $build/jail/zjail was not built" >&2; exit 1; }
  work=$(mktemp -d "${TMPDIR:-/tmp}/zjail-$1.XXXXXX")
  trap 'bench_vm_down; rm -rf -- "$work"' EXIT
  bench_vm_up
}

bench_vm_up() {
  if [[ ${BENCH_VM_SHARED:-} == 1 ]] && "$bench_vm_tool" status >/dev/null 2>&1; then
    return 0
  fi
  local image
  image=$("$repo/tests/system/image.sh" build) || { echo "bench: building the VM image failed" >&2; return 1; }
  export ZJAIL_VM_IMAGE_DIR=$image
  # A run dir of our own: another bench run on this host may have its VM in
  # a fixed one. The watchdog stops qemu if this process dies.
  ZJAIL_VM_RUN_DIR=$(mktemp -d /tmp/zjail-bench-vm.XXXXXX) || return 1
  export ZJAIL_VM_RUN_DIR
  export ZJAIL_VM_OWNER_PID=$$
  bench_vm_owned=1
  "$bench_vm_tool" start || { echo "bench: the VM did not boot" >&2; return 1; }
  bench_vm_stage
}

bench_vm_down() {
  ((bench_vm_owned)) || return 0
  "$bench_vm_tool" stop >/dev/null 2>&1 || true
  rm -rf -- "$ZJAIL_VM_RUN_DIR"
  bench_vm_owned=0
}

bench_vm_stage() {
  local stage rc=0
  stage=$(mktemp -d "${TMPDIR:-/tmp}/zjail-bench-stage.XXXXXX") || return 1
  mkdir -p -- "$stage/bench" "$stage/profiles"
  objcopy --strip-debug -- "$build/jail/zjail" "$stage/zjail" || rc=1
  cp -- "$repo"/bench/*.profile "$stage/bench/" || rc=1
  cp -- "$repo"/profiles/*.profile "$stage/profiles/" || rc=1
  [[ -x $build/examples/echo/echo ]] && cp -- "$build/examples/echo/echo" "$stage/bench/"
  [[ -x $build/bench/zjail_conn_rate ]] && cp -- "$build/bench/zjail_conn_rate" "$stage/bench/"
  [[ -x $build/bench/zjail_launch_floor ]] && cp -- "$build/bench/zjail_launch_floor" "$stage/bench/floor"
  if ((rc == 0)); then
    tar -C "$stage" -cf - . | bench_vm "set -e; rm -rf /opt/zjail; mkdir -p /opt/zjail /usr/share/zjail/profiles
      tar -C /opt/zjail -xf - --no-same-owner --warning=no-timestamp
      install -m 0755 /opt/zjail/zjail /usr/local/bin/zjail
      cp /opt/zjail/profiles/*.profile /usr/share/zjail/profiles/" || rc=1
  fi
  rm -rf -- "$stage"
  ((rc == 0)) || echo "bench: staging the build into the VM failed" >&2
  return "$rc"
}
