#!/bin/bash
# Helpers for the system tests (tests/system/t-*.sh), sourced after
# `set -euo pipefail`. A test runs on the host and drives the VM over ssh:
#
#   vm CMD...            run CMD in the VM (vm.sh ssh semantics)
#   fail REASON          end the test as failed with a one-line reason
#   skip REASON          end the test as skipped (exit 77)
#   assert_eq WHAT EXPECTED ACTUAL
#   assert_match WHAT ERE TEXT       TEXT has a line matching ERE
#   assert_no_match WHAT ERE TEXT
#   status_field NAME TEXT           the value of "NAME:" in /proc/PID/status text
#   journal_cursor                   the journal's current position
#   unit_output UNIT CURSOR [WAIT_ERE]  what UNIT's processes logged after CURSOR
#
# run.sh sets the variables below; a test can also be run by hand against a
# VM started with `vm.sh start` (then the defaults apply).

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
: "${ZJAIL_VM:=$here/vm.sh}"
: "${ZJAIL_VM_RUN_DIR:=/run/zjail-vm}"
: "${ZJAIL_TEST_REASON_FILE:=/dev/null}"
# Where run.sh installs zjail in the VM.
: "${ZJAIL_GUEST_BIN:=/usr/local/bin/zjail}"
: "${ZJAIL_GUEST_DIR:=/opt/zjail}"
export ZJAIL_VM ZJAIL_VM_RUN_DIR ZJAIL_TEST_REASON_FILE ZJAIL_GUEST_BIN ZJAIL_GUEST_DIR

vm() { "$ZJAIL_VM" ssh "$@"; }

fail() {
  printf '%s\n' "$*" >"$ZJAIL_TEST_REASON_FILE"
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

skip() {
  printf '%s\n' "$*" >"$ZJAIL_TEST_REASON_FILE"
  printf 'SKIP: %s\n' "$*" >&2
  exit 77
}

assert_eq() {
  local what=$1 expected=$2 actual=$3
  [[ $actual == "$expected" ]] || fail "$what: expected '$expected', got '$actual'"
  printf 'ok: %s = %s\n' "$what" "$actual"
}

# zjail's own process: BIN itself, or SMALL (zjail-init) once the idle
# jail's supervisor has handed over to it in the same process
# (include/zjail/handover.hpp).
assert_zjail_process() {
  local what=$1 bin=$2 small=$3 exe=$4
  [[ $exe == "$bin" || $exe == "$small" ]] || fail "$what: expected '$bin' (or '$small' after the handover), got '$exe'"
  printf 'ok: %s = %s\n' "$what" "$exe"
}

assert_match() {
  local what=$1 re=$2 text=$3
  grep -qE -- "$re" <<<"$text" || {
    printf '%s\n' "$text" | sed 's/^/  | /' >&2
    fail "$what: no line matches /$re/"
  }
  printf 'ok: %s\n' "$what"
}

assert_no_match() {
  local what=$1 re=$2 text=$3
  if grep -qE -- "$re" <<<"$text"; then
    grep -E -- "$re" <<<"$text" | sed 's/^/  | /' >&2
    fail "$what: a line matches /$re/"
  fi
  printf 'ok: %s\n' "$what"
}

status_field() {
  local name=$1 text=$2
  awk -v k="$name:" '$1 == k { $1 = ""; sub(/^[[:space:]]+/, ""); print; exit }' <<<"$text"
}

# The journal's current position: pass it to unit_output to see only what
# came after (a VM may run several tests, or one unit several times).
journal_cursor() {
  vm journalctl -q -n 0 --show-cursor | sed -n 's/^-- cursor: //p'
}

# What UNIT's processes wrote to the journal after CURSOR (-o cat). journald
# reads service output asynchronously: if WAIT_ERE is given, poll (up to
# 10 s) until a line matches it, e.g. the payload's last line.
unit_output() {
  local unit=$1 cursor=$2 wait_re=${3:-} out i
  [[ $unit == *.* ]] || unit+=.service
  for ((i = 0; i < 20; i++)); do
    # --cursor, not --after-cursor: systemd 252's --after-cursor with a match
    # skips the first matching entry. The cursor entry itself was logged
    # before the unit started, so it never matches.
    out=$(vm journalctl -q --no-pager -o cat --cursor="$cursor" "_SYSTEMD_UNIT=$unit")
    [[ -z $wait_re ]] && break
    grep -qE -- "$wait_re" <<<"$out" && break
    sleep 0.5
  done
  printf '%s\n' "$out"
}

# Reload the guest's sshd and wait until it listens again. sshd re-executes
# itself on SIGHUP and reopens its sockets, so a client started right after
# `systemctl reload ssh` can meet a closed port: wait until every listening
# socket on :22 is a new one (the harness's own connection is multiplexed
# over a master that outlives the reload).
sshd_reload() {
  # shellcheck disable=SC2016  # expanded in the VM
  vm 'inos() { ss -Hltne "sport = :22" | grep -o "ino:[0-9]*" | sort; }
    old=$(inos); systemctl reload ssh
    for i in $(seq 100); do
      new=$(inos)
      if [ -n "$new" ] && [ "$(printf "%s\n" "$new" | wc -l)" = "$(printf "%s\n" "$old" | wc -l)" ] &&
        [ -z "$(printf "%s\n%s\n" "$old" "$new" | sort | uniq -d)" ]; then exit 0; fi
      sleep 0.1
    done
    echo "sshd_reload: sshd did not listen on :22 again within 10 s" >&2; exit 1'
}
