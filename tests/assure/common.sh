# Shared by the assurance tests: host-side snapshots of everything a jail
# could leave behind. zjail's own fds cannot be seen after it exits, so these
# look at what outlives it: mounts, processes, /run/zjail, cgroups.
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || skip "needs root"
# The shipped profiles, from the tree (not what may be installed).
export ZJAIL_PROFILE_PATH=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)/profiles

# Every process started by a test carries this in its environment, and so do
# the jail inits (clones of zjail); the payloads' environments are the plan's.
export ZJAIL_ASSURE_TAG=assure-$$-$RANDOM

tagged_pids() {
  local p
  for p in /proc/[0-9]*; do
    [[ ${p#/proc/} == "$$" || ${p#/proc/} == "$BASHPID" ]] && continue
    grep -qs -z "^ZJAIL_ASSURE_TAG=$ZJAIL_ASSURE_TAG\$" "$p/environ" && echo "${p#/proc/} $(cat "$p/comm" 2>/dev/null)"
  done
  return 0
}

# Mount points only (ids change nothing a test cares about).
host_mounts() { awk '{print $5, $9, $10}' /proc/self/mountinfo | sort; }
run_zjail_files() { find /run/zjail -mindepth 1 -not -path '/run/zjail/seccomp*' 2>/dev/null | sort; }
zjail_cgroups() { find /sys/fs/cgroup -name '*zjail*' 2>/dev/null | sort; }

snapshot() {
  host_mounts >"$1.mounts"
  run_zjail_files >"$1.run"
  zjail_cgroups >"$1.cgroups"
}

# Compares a snapshot with now; prints what appeared and fails. Only what
# appeared counts: peers on a shared host may unmount their own things.
check_clean() {
  local what=$1 before=$2 now=$tmp/now
  snapshot "$now"
  local k added
  for k in mounts run cgroups; do
    added=$(comm -13 "$before.$k" "$now.$k")
    [[ -z $added ]] || fail "$what: leftover $k: $added"
  done
  local left
  left=$(tagged_pids)
  [[ -z $left ]] || fail "$what: leftover processes: $left"
  # Into a file: ps is then a direct child of ours, and no subshell is.
  ps -o pid=,comm= --ppid $$ >"$tmp/children"
  left=$(grep -v ' ps$' "$tmp/children")
  [[ -z $left ]] || fail "$what: leftover children: $left"
}
