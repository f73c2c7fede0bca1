#!/bin/bash
# OpenSSH's sftp-server in the sftp-server profile, forced by the
# units/dropins/ssh/zjail-sftp.conf snippet on the members of group
# sftponly under Debian's ssh.service. The real sftp client logs in with a
# key, uploads and downloads a file in its home; over the same session it
# finds no /etc/ssh (world-readable on the host) and no shell, and a file it
# writes to /tmp lands in the jail's private /tmp, not the host's.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

source_dir=${ZJAIL_SOURCE_DIR:-$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)}
user=zjail-sftp
snippet=/etc/ssh/sshd_config.d/zjail-sftp.conf
cleanup() {
  vm "rm -f $snippet" >/dev/null 2>&1 || true
  sshd_reload >/dev/null 2>&1 || true
  vm "pkill -u $user; userdel -r $user; groupdel sftponly; rm -f /tmp/zjail-sftp-probe" >/dev/null 2>&1 || true
}
trap cleanup EXIT

sed -e "s|@ZJAIL_BIN@|$ZJAIL_GUEST_BIN|g" -- "$source_dir/units/dropins/ssh/zjail-sftp.conf.in" |
  vm "cat >$snippet"
# shellcheck disable=SC2016  # expanded in the VM
vm "set -e
  getent group sftponly >/dev/null || groupadd sftponly
  id $user >/dev/null 2>&1 || useradd -m -s /bin/bash -G sftponly $user
  rm -f /root/zjail-sftp-key /root/zjail-sftp-key.pub
  ssh-keygen -q -t ed25519 -N '' -f /root/zjail-sftp-key
  install -d -m 700 -o $user -g $user /home/$user/.ssh
  install -m 600 -o $user -g $user /root/zjail-sftp-key.pub /home/$user/.ssh/authorized_keys
  echo 'hello from the host' >/root/zjail-sftp-up.txt
  sshd -t"
sshd_reload

# One sftp session, a batch of commands; a leading '-' lets a command fail
# without ending the batch, so the failures are in the transcript.
out=$(vm "cd /root && sftp -b - -i /root/zjail-sftp-key -o BatchMode=yes -o StrictHostKeyChecking=no \
  -o UserKnownHostsFile=/dev/null $user@127.0.0.1 2>&1" <<'BATCH' || true
pwd
put /root/zjail-sftp-up.txt up.txt
get up.txt /root/zjail-sftp-down.txt
ls -1 /
-ls /etc/ssh
-get /etc/ssh/sshd_config /root/zjail-sftp-leak
-ls /usr/bin/sh
put /root/zjail-sftp-up.txt /tmp/zjail-sftp-probe
-put /root/zjail-sftp-up.txt /usr/zjail-sftp-probe
BATCH
)
printf '%s\n' "$out"

# --- The real client --------------------------------------------------------------------------
assert_match "sftp starts in the user's home (-d %d)" "^Remote working directory: /home/$user\$" "$out"
assert_eq "the uploaded file on the host, owned by the user" "$user hello from the host" \
  "$(vm "stat -c %U /home/$user/up.txt; cat /home/$user/up.txt" | paste -sd' ')"
assert_eq "the downloaded copy" "hello from the host" "$(vm cat /root/zjail-sftp-down.txt)"

# --- Confinement, seen through the session ------------------------------------------------------
assert_match "/etc/ssh is not there" '(Can.t ls|stat).*/etc/ssh.*(not found|No such file)' "$out"
assert_no_match "sshd_config was not downloaded" '^Fetching /etc/ssh/sshd_config' "$out"
vm "test ! -e /root/zjail-sftp-leak" || fail "/etc/ssh/sshd_config was downloaded"
assert_match "no shell in the jail" '/usr/bin/sh.*not found|No such file' "$(grep -A1 'ls /usr/bin/sh' <<<"$out")"
assert_match "/usr is read-only" 'Permission denied|Failure|read-only' "$(grep -A1 'usr/zjail-sftp-probe' <<<"$out")"
vm "test ! -e /tmp/zjail-sftp-probe" || fail "a file written to /tmp over sftp reached the host's /tmp"
echo "ok: /tmp over sftp is the jail's own"
assert_eq "/ as the user sees it" "bin dev etc home lib lib64 proc sbin tmp usr" \
  "$(sed -n '/^sftp> ls -1 \/$/,/^sftp>/{/^sftp>/d;p}' <<<"$out" | sed 's|^/||' | sort | paste -sd' ')"
