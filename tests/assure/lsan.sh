#!/usr/bin/env bash
# LeakSanitizer on a full launch and a check, with the ASan build of zjail:
# any leak makes zjail exit non-zero with a report on stderr.
#
#   lsan.sh ZJAIL_ASAN
set -uo pipefail
zjail=$1
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"
export ASAN_OPTIONS=detect_leaks=1:exitcode=99
for args in "--check --profile base-service" "--profile base-service /bin/true"; do
  # shellcheck disable=SC2086
  "$zjail" $args 2>/tmp/lsan.$$.err
  code=$?
  if [[ $code != 0 ]] || grep -q -e LeakSanitizer -e "runtime error" /tmp/lsan.$$.err; then
    cat /tmp/lsan.$$.err >&2; rm -f /tmp/lsan.$$.err
    fail "zjail $args: exit $code"
  fi
  echo "ok zjail $args: no leak, no sanitizer report"
done
rm -f /tmp/lsan.$$.err
