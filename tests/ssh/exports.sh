#!/bin/bash
# pam_zjail.so exports the PAM session interface and nothing else (the core
# is linked in statically and must not clash with what else sshd loads), and
# it cannot start threads: neither pthread_create nor thrd_create is even
# imported (the core clones processes, never with CLONE_THREAD).
set -euo pipefail
so=$1
defined=$(nm -D --defined-only "$so" | awk '{print $3}' | sort | tr '\n' ' ')
[[ $defined == "pam_sm_close_session pam_sm_open_session " ]] || {
  echo "FAIL: exported symbols: $defined" >&2
  exit 1
}
echo "ok: exports only pam_sm_open_session and pam_sm_close_session"
threads=$(nm -D --undefined-only "$so" | awk '{print $2}' | grep -E '^(pthread_create|thrd_create)(@|$)' || true)
[[ -z $threads ]] || { echo "FAIL: imports $threads" >&2; exit 1; }
echo "ok: imports no thread-creating function"
needed=$(objdump -p "$so" | awk '/NEEDED/ {print $2}' | sort | tr '\n' ' ')
case $needed in
  *libstdc++*|*libseccomp*|*libcap.so*) echo "FAIL: links dynamically against $needed" >&2; exit 1 ;;
esac
echo "ok: needs only $needed"
