#!/bin/bash
# pam_zjail under pamtester (no sshd): a mapped user's session opens and
# closes and leaves nothing behind, an unmapped user passes untouched, and
# every broken configuration refuses the session.
#
#   pamtester.sh MODULE HELPER PROFILES_DIR
set -euo pipefail
module=$1 helper=$2 profiles=$3
((EUID == 0)) || { echo "needs root" >&2; exit 2; }
command -v pamtester >/dev/null || { echo "SKIP: pamtester is missing (tests/setup.sh installs it)"; exit 77; }

state=/run/zjail-pamtester
service=zjail-pamtester
rm -rf -- "$state"
install -d -m 0755 -- "$state" "$state/profiles"
cp -- "$profiles"/*.profile "$state/profiles/"
printf '[Jail]\nInclude=ssh-restricted\nTasksMax=\nMemoryMax=\n' >"$state/profiles/nolimits.profile"
chmod 0644 "$state"/profiles/*
for u in zjp zjq; do
  id "$u" >/dev/null 2>&1 || useradd -m -s /bin/bash "$u"
  chmod 0750 "$(getent passwd "$u" | cut -d: -f6)"
done
trap 'rm -f /etc/pam.d/$service; rm -rf -- "$state"' EXIT

ok() { printf 'ok: %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# The PAM service, with these module arguments.
stack() { printf 'session required %s %s\n' "$module" "$*" >"/etc/pam.d/$service"; }
# pam.conf from the arguments, one line each.
conf() {
  printf '%s\n' "$@" >"$state/pam.conf"
  chmod 0644 "$state/pam.conf"
}
session() { "$helper" reap "$(command -v pamtester)" -v "$service" "$1" open_session close_session 2>&1; }
no_leftovers() {
  if pgrep -f '^zjail-init --session zjp ' >/dev/null; then
    pgrep -af '^zjail-init --session zjp ' >&2
    fail "$1: a jail init is still running"
  fi
  if grep -qE " (/run/zjail-pamtester|/home/zjp)[ /]" /proc/self/mountinfo; then
    fail "$1: mounts leaked into the host"
  fi
}

stack "config=$state/pam.conf"
conf "zjp $state/profiles/nolimits.profile" "* -"
out=$(session zjp) || fail "mapped user: session did not open and close: $out"
grep -q 'successfully opened' <<<"$out" && grep -q 'successfully been closed' <<<"$out" || fail "pamtester: $out"
no_leftovers "mapped user"
ok "mapped user: session opens and closes, nothing left behind"
out=$(session zjq) || fail "user mapped to '-' was refused: $out"
ok "user mapped to '-' passes through"
conf "zjp $state/profiles/nolimits.profile"
out=$(session zjq) || fail "user matching no line was refused: $out"
ok "user matching no line passes through"

refused() {  # WHAT: the next session of zjp must fail and leave nothing
  local out
  if out=$(session zjp); then fail "$1: session opened: $out"; fi
  no_leftovers "$1"
  ok "$1: refused"
}
conf "zjp $state/profiles/nolimits.profile extra-field"
refused "pam.conf syntax error"
conf "zjp $state/profiles/does-not-exist.profile"
refused "missing profile"
conf "zjp ssh-restricted-typo"
refused "unknown profile name"
# Fail closed where nothing can enforce the limits: a host without systemd
# (pam_zjail's scope comes from systemd; the VM tier covers the other case).
if [[ -d /run/systemd/system ]]; then
  echo "NOTE: systemd runs here, so a profile with limits gets its scope: the fail-closed check did not run"
else
  conf "zjp $state/profiles/ssh-restricted.profile"
  refused "profile asking for limits without systemd"
fi
conf "zjp $state/profiles/nolimits.profile"
chmod 0666 "$state/pam.conf"
refused "world-writable pam.conf"
chmod 0644 "$state/pam.conf"
chown zjp "$state/pam.conf"
refused "pam.conf owned by a user"
chown root "$state/pam.conf"
chmod 0666 "$state/profiles/nolimits.profile"
refused "world-writable profile"
chmod 0644 "$state/profiles/nolimits.profile"
# profile-trust: what the profile pulls in must be root's alone as well. A
# drop-in directory writable by a group would let its members add
# BindPaths=/:/host to every session of the profile.
dropins=$state/profiles/nolimits.profile.d
install -d -m 0775 -- "$dropins"
printf '[Jail]\nBindPaths=/:/host\nPrivateNetwork=no\n' >"$dropins/50-escape.conf"
chmod 0644 "$dropins/50-escape.conf"
refused "group-writable drop-in directory"
chmod 0755 "$dropins"
chown zjp "$dropins/50-escape.conf"
refused "drop-in owned by a user"
rm -f -- "$dropins/50-escape.conf"
# A FIFO named *.conf: refused at once, not read (which would hang the login).
mkfifo -m 0644 "$dropins/60-fifo.conf"
rc=0
out=$(timeout 60 "$helper" reap "$(command -v pamtester)" -v "$service" zjp open_session close_session 2>&1) || rc=$?
((rc != 124)) || fail "FIFO drop-in: the session hung on it"
((rc != 0)) || fail "FIFO drop-in: session opened: $out"
no_leftovers "FIFO drop-in"
ok "FIFO drop-in: refused"
rm -f -- "$dropins/60-fifo.conf"
# nolimits.profile includes its sibling ssh-restricted.profile.
chmod 0664 "$state/profiles/ssh-restricted.profile"
refused "group-writable included profile"
chmod 0644 "$state/profiles/ssh-restricted.profile"
session zjp >/dev/null || fail "the session does not open once the drop-ins and includes are fixed"
install -d -m 0755 -o zjp "$state/badroot"
printf '[Jail]\nInclude=nolimits\nRootDirectory=%s\n' "$state/badroot" >"$state/profiles/badroot.profile"
chmod 0644 "$state/profiles/badroot.profile"
conf "zjp $state/profiles/badroot.profile"
refused "jail root owned by the user"
install -d -m 0777 "$state/open"
printf '[Jail]\nInclude=nolimits\nBindReadOnlyPaths=%s\n' "$state/open" >"$state/profiles/open.profile"
chmod 0644 "$state/profiles/open.profile"
conf "zjp $state/profiles/open.profile"
refused "world-writable bind source"
conf "zjp $state/profiles/nolimits.profile"
stack "config=$state/pam.conf bogus-option"
refused "unknown module argument"
stack "config=$state/missing.conf"
refused "missing pam.conf"
stack "config=$state/pam.conf"
session zjp >/dev/null || fail "the session does not open again once everything is fixed"
ok "fixed configuration works again"
echo "pamtester: all passed"
