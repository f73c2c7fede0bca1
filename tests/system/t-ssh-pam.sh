#!/bin/bash
# pam_zjail under a real systemd with logind: the system's own sshd
# (ssh.service) with pam_zjail appended to /etc/pam.d/sshd and the shipped
# ssh-restricted and sftp-only profiles, limits and scope included. The same
# end-to-end script as on the host (tests/ssh/e2e.sh), run inside the VM,
# plus what the host cannot show: with D-Bus down a login still gets its
# scope and limits over systemd's private socket, with that socket hidden too
# there is no session at all, and the escape battery inside a restricted
# login.
# timeout: 900
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

g=$ZJAIL_GUEST_DIR
vm "test -f $g/build/pam_module/pam_zjail.so && test -x $g/build/tests/ssh/ssh_helper && test -f $g/tests/ssh/e2e.sh" ||
  fail "pam_zjail.so, ssh_helper or tests/ssh/e2e.sh were not installed into the VM (run.sh --build-dir)"
# Streamed, so that a timeout still shows how far it got.
battery=""
vm "test -x $g/build/tests/escape/battery" && battery="--battery $g/build/tests/escape/battery"
vm "bash $g/tests/ssh/e2e.sh --mode system --module $g/build/pam_module/pam_zjail.so \
  --helper $g/build/tests/ssh/ssh_helper $battery 2>&1" | tee "${TMPDIR:-/tmp}/t-ssh-pam.$$.out" || {
  reason=$(grep -m1 '^FAIL' "${TMPDIR:-/tmp}/t-ssh-pam.$$.out" || echo 'e2e.sh failed')
  rm -f "${TMPDIR:-/tmp}/t-ssh-pam.$$.out"
  fail "$reason"
}
rm -f "${TMPDIR:-/tmp}/t-ssh-pam.$$.out"
