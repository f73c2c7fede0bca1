#!/usr/bin/env bash
# Valgrind memcheck on `zjail --check` and on a launch: no errors and nothing
# definitely (or indirectly) lost. Valgrind 3.19 (Debian 12) has no clone3,
# so under it a launch stops at the clone step (ENOSYS) after building the
# whole plan; the full launch is leak-checked by LSan in the ASan build
# (lsan.sh, run by run-all.sh's sanitizer tier).
#
#   leaks.sh ZJAIL
set -uo pipefail
zjail=$1
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"
command -v valgrind >/dev/null || skip "valgrind missing (apt-get install valgrind)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

memcheck() {
  local name=$1; shift
  valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=99 --log-file="$tmp/$name.%p.log" "$zjail" "$@" >/dev/null 2>"$tmp/$name.err"
  local code=$?
  if [[ $code == 125 ]] && grep -q "Function not implemented (step: clone)" "$tmp/$name.err"; then
    echo "note $name: valgrind has no clone3; checked up to the clone step"
    code=0
  fi
  [[ $code == 0 ]] || { cat "$tmp/$name".*.log "$tmp/$name.err" >&2; fail "$name: exit $code"; }
  local log
  for log in "$tmp/$name".*.log; do
    grep -q "ERROR SUMMARY: 0 errors" "$log" || { cat "$log" >&2; fail "$name: memcheck errors"; }
    if grep -E "definitely lost: [1-9]|indirectly lost: [1-9]" "$log"; then
      cat "$log" >&2; fail "$name: leaks"
    fi
  done
  echo "ok $name: $(grep -h -E 'ERROR SUMMARY|definitely lost|in use at exit' "$tmp/$name".*.log | sed 's/^==[0-9]*== *//' | tr '\n' ' ')"
}

memcheck check --check --profile base-service
memcheck launch --profile base-service /bin/true
