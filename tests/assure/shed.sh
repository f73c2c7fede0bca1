#!/usr/bin/env bash
# What zjail keeps alive beside a running payload gives back its start-up
# memory (jail/src/memory.cpp): once the jail has run for a while, the
# supervisor and the jail's init map little of zjail's code, and both still
# work afterwards: a SIGTERM sent to zjail reaches the payload through the
# init, and zjail exits with the payload's status (143).
#
#   shed.sh ZJAIL
set -uo pipefail
zjail=$1
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"
tmp=$(mktemp -d)
trap 'kill -KILL "$sup" 2>/dev/null; rm -rf "$tmp"' EXIT

# KiB resident in process $1 of zjail's own read-only mappings (code and
# constants; RELRO, relocated and so anonymous, is not one of them).
readonly_kib() {
  awk -v bin="$(readlink -f -- "$zjail")" '
    function add() { if (inside && anon == 0) kib += rss }
    /^[0-9a-f]+-[0-9a-f]+ / { add(); inside = ($2 !~ /w/ && $6 == bin); rss = 0; anon = 0 }
    /^Rss:/ { rss = $2 }
    /^Anonymous:/ { anon = $2 }
    END { add(); print kib + 0 }' "/proc/$1/smaps" 2>/dev/null
}

# A launch runs most of the binary; each process, unshed, keeps 430 to 520
# KiB of it resident (measured before the shedding existed), shed about 200
# to 260: what its wait loop runs, faulted back 64 KiB at a time. A process
# that handed over to zjail-init maps none of it.
limit=384
# check WHAT ZJAIL-ARGS...: one jail of sleep, measured once idle, then
# stopped with SIGTERM.
check() {
  local what=$1 s i code
  shift
  "$zjail" "$@" --profile base-service /bin/sleep 600 2>"$tmp/err" &
  sup=$!
  init=""
  for _ in $(seq 100); do
    init=$(awk '{print $1}' "/proc/$sup/task/$sup/children" 2>/dev/null)
    [[ -n $init && -n $(cat "/proc/$init/task/$init/children" 2>/dev/null) ]] && break
    sleep 0.05
  done
  [[ -n $init ]] || { cat "$tmp/err"; fail "$what: the jail did not start"; }
  for _ in $(seq 100); do
    s=$(readonly_kib "$sup") i=$(readonly_kib "$init")
    ((s <= limit && i <= limit)) && break
    sleep 0.1
  done
  echo "$what: resident zjail code and constants: supervisor ${s} KiB ($(basename "$(readlink "/proc/$sup/exe")")), init ${i} KiB (limit ${limit})"
  ((s <= limit)) || fail "$what: the supervisor still maps ${s} KiB of zjail's code after 10 s"
  ((i <= limit)) || fail "$what: the jail's init still maps ${i} KiB of zjail's code after 10 s"
  kill -TERM "$sup"
  wait "$sup"
  code=$?
  [[ $code == 143 ]] || { cat "$tmp/err"; fail "$what: zjail exited $code after SIGTERM, want 143 (the payload's)"; }
}
# A plain jail's supervisor hands over (include/zjail/handover.hpp); with
# --explain it keeps zjail, and sheds.
check "plain"
check "--explain" --explain
echo "shed: every process gave back its start-up code and still forwards and reports"
