#!/bin/bash
# Denial explanations on Debian 12's kernel, whose Yama (ptrace_scope) this
# host lacks: zjail copies the payload's seccomp listener with pidfd_getfd(),
# which needs ptrace attach rights. Under scopes 0, 1 and 2, as root and as
# an ordinary user, a denied call is explained. (Scope 3 cannot be undone
# without a reboot, so it is left to the plan's unit test: filters attached
# as they are, Plan.ListenerHandoffRefusedAttachesTheFiltersAsTheyAre.)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

z=$ZJAIL_GUEST_BIN
scope_file=/proc/sys/kernel/yama/ptrace_scope
scopes=0
if vm "test -e $scope_file"; then
  was=$(vm "cat $scope_file")
  trap 'vm "echo $was >$scope_file" >/dev/null 2>&1 || true' EXIT
  scopes="0 1 2"
else
  echo "no Yama in this kernel: only the default checked"
fi

# base-service's allow list and the built-in rule both deny it, with the
# same errno: the later filter, the profile's, names itself.
line='zjail: denied unshare\(CLONE_NEWUSER\) in pid [0-9]+ \(unshare\): (not in SystemCallFilter= \(/usr/share/zjail/profiles/base-service.profile:[0-9]+\)|built-in: no namespaces from inside the jail)'
for scope in $scopes; do
  [[ $scopes == 0 ]] || vm "echo $scope >$scope_file"
  for who in root nobody; do
    rc=0
    out=$(vm "cd / && runuser -u $who -- $z --profile base-service -- /usr/bin/unshare -U /bin/true 2>&1") || rc=$?
    assert_eq "ptrace_scope=$scope, zjail as $who: the denied call fails, the payload exits 1" 1 "$rc"
    assert_match "ptrace_scope=$scope, zjail as $who: the denial is explained" "$line" "$out"
  done
done
