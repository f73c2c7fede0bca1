#!/bin/bash
# `zjail --check` on every shipped profile (ctest label `root`).
#
#   check-all.sh ZJAIL PROFILE_DIR
#
# --check resolves User=, Group= and SupplementaryGroups= as a real launch
# would, and the daemon profiles name the users their Debian packages create
# (redis, memcache, _chrony, ...), which a build host usually lacks. So the
# check runs in a private mount namespace whose /etc/passwd and /etc/group
# are the host's plus the missing ones from daemon-users; nothing on the
# host changes. A user the profiles name that is neither on the host nor in
# daemon-users still fails the check, as it should.
set -euo pipefail

zjail=${1:?usage: check-all.sh ZJAIL PROFILE_DIR}
profiles=${2:?usage: check-all.sh ZJAIL PROFILE_DIR}
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)

if [[ $(id -u) != 0 ]]; then
  echo "SKIP: needs root (the daemon profiles name other users, and a private mount namespace fakes them)"
  exit 77
fi

if [[ ${ZJAIL_CHECK_IN_NS:-} != 1 ]]; then
  exec env ZJAIL_CHECK_IN_NS=1 unshare --mount --propagation private -- bash "$0" "$@"
fi

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
cp /etc/passwd "$tmp/passwd"
cp /etc/group "$tmp/group"
# daemon-users: "name uid gid" (uid - for a group only), the accounts of
# Debian 12's packages.
while read -r name uid gid; do
  [[ -z $name || $name == \#* ]] && continue
  getent group "$name" >/dev/null || printf '%s:x:%s:\n' "$name" "$gid" >>"$tmp/group"
  [[ $uid == - ]] || getent passwd "$name" >/dev/null ||
    printf '%s:x:%s:%s::/nonexistent:/usr/sbin/nologin\n' "$name" "$uid" "$gid" >>"$tmp/passwd"
done <"$here/daemon-users"
mount --bind "$tmp/passwd" /etc/passwd
mount --bind "$tmp/group" /etc/group

# --check also reports what this host lacks. The daemons' own directories
# (/etc/nginx, /var/lib/redis, ...) exist only where their packages are
# installed, and a build host without systemd or cgroup v2 controllers can
# enforce no limits: such a line (for a path really missing here) is the
# host's state, not the profile's fault. Any other line fails.
host_state_only() {
  local line path
  while IFS= read -r line; do
    [[ $line == *"resource limits cannot be enforced here: "* ]] && continue
    [[ $line =~ bind\ source\ (/[^:]+):\ No\ such\ file\ or\ directory ]] || return 1
    path=${BASH_REMATCH[1]}
    [[ ! -e $path ]] || return 1
  done <<<"$1"
}

failed=0 n=0
for f in "$profiles"/*.profile; do
  n=$((n + 1))
  if out=$("$zjail" --check --profile "$f" 2>&1); then
    printf 'ok   %s\n' "$(basename -- "$f")"
  elif host_state_only "$out"; then
    printf 'ok   %s (this host lacks: %s)\n' "$(basename -- "$f")" \
      "$(grep -o 'bind source [^:]*\|resource limits' <<<"$out" | sed 's/bind source //' | paste -sd, -)"
  else
    printf 'FAIL %s: %s\n' "$(basename -- "$f")" "$out"
    failed=$((failed + 1))
  fi
done
((n > 0)) || { echo "FAIL: no profiles in $profiles"; exit 1; }
echo "$((n - failed)) of $n profiles pass zjail --check"
((failed == 0))
