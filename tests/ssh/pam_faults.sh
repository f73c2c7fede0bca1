#!/bin/bash
# Every step of a login session's set-up, made to fail in the test-only
# pam_zjail_faultinject.so (module argument fault=STEP:ERRNO): the session is
# refused, the refusal is logged through pam_syslog naming the step and the
# errno, and nothing is left behind: no jail init, no mounts on the host.
#
#   pam_faults.sh FAULT_MODULE HELPER PROFILES_DIR ZJAIL_FAULTINJECT
set -euo pipefail
module=$1 helper=$2 profiles=$3 faultinject=$4
((EUID == 0)) || { echo "needs root" >&2; exit 2; }
command -v pamtester >/dev/null || { echo "SKIP: pamtester is missing (tests/setup.sh installs it)"; exit 77; }

state=/run/zjail-pam-faults
service=zjail-pam-faults
rm -rf -- "$state"
install -d -m 0755 -- "$state" "$state/profiles"
cp -- "$profiles"/*.profile "$state/profiles/"
# No systemd here, so no limits; the cgroup step is the VM's to test.
printf '[Jail]\nInclude=ssh-restricted\nTasksMax=\nMemoryMax=\n' >"$state/profiles/nolimits.profile"
chmod 0644 "$state"/profiles/*
printf 'zjf %s\n' "$state/profiles/nolimits.profile" >"$state/pam.conf"
chmod 0644 "$state/pam.conf"
id zjf >/dev/null 2>&1 || useradd -m -s /bin/bash zjf
chmod 0750 "$(getent passwd zjf | cut -d: -f6)"

# pam_syslog's messages: a syslog socket of our own where the machine has
# none, else the step names cannot be checked.
own_log=0
if [[ ! -e /dev/log ]]; then
  "$helper" syslog /dev/log "$state/syslog" &
  sink=$!
  own_log=1
fi
cleanup() {
  ((own_log)) && { kill "$sink" 2>/dev/null; rm -f /dev/log; }
  rm -f "/etc/pam.d/$service"
  rm -rf -- "$state"
}
trap cleanup EXIT

ok() { printf 'ok: %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
stack() { printf 'session required %s config=%s %s\n' "$module" "$state/pam.conf" "$*" >"/etc/pam.d/$service"; }
session() { "$helper" reap "$(command -v pamtester)" "$service" zjf open_session close_session 2>&1; }
mounts() { wc -l </proc/self/mountinfo; }

stack
out=$(session) || fail "no fault: the session does not open: $out"
ok "without a fault the session opens and closes"

# The session's steps in order, from the same core the module is built from
# (step.hpp), so the test keeps no list of its own.
mapfile -t steps < <(ZJAIL_FAULT_STEP=list:session "$faultinject")
((${#steps[@]} > 20)) && [[ ${steps[0]} == pam-config && ${steps[-1]} == seccomp ]] ||
  fail "ZJAIL_FAULT_STEP=list:session gave no plausible step list: ${steps[*]}"
before=$(mounts)
for step in "${steps[@]}"; do
  : >"$state/syslog" 2>/dev/null || true
  stack "fault=$step:5"
  if out=$(session); then fail "$step: the session opened"; fi
  if pgrep -f '^zjail-init --session zjf ' >/dev/null; then
    pgrep -af '^zjail-init --session zjf ' >&2
    fail "$step: a jail init is left running"
  fi
  [[ $(mounts) == "$before" ]] || fail "$step: the host's mount table changed"
  if ((own_log)); then
    for _ in $(seq 20); do grep -q 'session refused' "$state/syslog" && break; sleep 0.05; done
    # Profile errors read "file:line: message" and carry no step suffix.
    want="session refused: .*Input/output error \\(step: $step\\)"
    [[ $step == profile ]] && want="session refused: injected fault: Input/output error\$"
    grep -qE "$want" "$state/syslog" || {
      cat "$state/syslog" >&2
      fail "$step: no 'session refused: ...: Input/output error (step: $step)' logged"
    }
  fi
  ok "$step: refused${own_log:+, logged with its step}, nothing left behind"
done
((own_log)) || echo "NOTE: this machine has its own /dev/log; the logged step names were not checked"
echo "pam faults: ${#steps[@]} steps, all refused cleanly"
