#!/bin/bash
# Who pam_zjail confines is what NSS says, never what was typed, and a line
# NSS cannot answer for refuses the login (tests/escape/README.md, classes
# pam-group-lookup and pam-user-canonical). Under pamtester, with pam_exec
# after pam_zjail printing the mount namespace of the session's children: a
# confined session shows the jail's, an unconfined one the host's.
#
#   pam_subjects.sh MODULE HELPER PROFILES_DIR NSS_FAIL_DIR
#
# NSS_FAIL_DIR holds libnss_zjailfail.so.2 (nss_fail.cpp), a group backend
# that is down the way sssd or LDAP is when its server is unreachable.
set -euo pipefail
module=$1 helper=$2 profiles=$3 nss_fail=$4
((EUID == 0)) || { echo "needs root" >&2; exit 2; }
command -v pamtester >/dev/null || { echo "pamtester is missing (tests/setup.sh installs it)" >&2; exit 1; }
command -v unshare >/dev/null || { echo "unshare is missing" >&2; exit 1; }

state=/run/zjail-pam-subjects
service=zjail-pam-subjects
big=zjbig        # a group too big for a 16 KiB getgrgid_r buffer
alias=zjpalias   # a second passwd entry with zjp's uid
gone=zjgone      # a group no database knows
merged=zjmerged  # a group the files backend knows without members
rm -rf -- "$state"
install -d -m 0755 -- "$state" "$state/profiles"
cp -- "$profiles"/*.profile "$state/profiles/"
printf '[Jail]\nInclude=ssh-restricted\nTasksMax=\nMemoryMax=\n' >"$state/profiles/nolimits.profile"
chmod 0644 "$state"/profiles/*
for u in zjp zjq; do
  id "$u" >/dev/null 2>&1 || useradd -m -s /bin/bash "$u"
  chmod 0750 "$(getent passwd "$u" | cut -d: -f6)"
done
! getent group "$big" "$gone" "$merged" >/dev/null || { echo "groups $big/$gone exist already: left from a killed run? remove them" >&2; exit 1; }
! getent passwd "$alias" >/dev/null || { echo "user $alias exists already: left from a killed run? remove it" >&2; exit 1; }

# pam_syslog's messages: a syslog socket of our own where the machine has
# none, else the reasons for refusals are not checked.
own_log=0
if [[ ! -e /dev/log ]]; then
  "$helper" syslog /dev/log "$state/syslog" &
  sink=$!
  own_log=1
fi
made_big=0 made_alias=0 made_merged=0
cleanup() {
  set +e
  ((own_log)) && { kill "$sink" 2>/dev/null; rm -f /dev/log; }
  ((made_alias)) && userdel "$alias"
  ((made_big)) && groupdel "$big"
  ((made_merged)) && groupdel "$merged"
  rm -f "/etc/pam.d/$service"
  rm -rf -- "$state"
}
trap cleanup EXIT

ok() { printf 'ok: %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

printf '%s\n' "session required $module config=$state/pam.conf debug" \
  "session required pam_exec.so stdout type=open_session /usr/bin/readlink /proc/self/ns/mnt" \
  >"/etc/pam.d/$service"
conf() {
  printf '%s\n' "$@" >"$state/pam.conf"
  chmod 0644 "$state/pam.conf"
}
host_mnt=$(readlink /proc/self/ns/mnt)
# pamtester [ENV...] USER: the session's output; fails when it does.
session() {
  local user=$1
  shift
  env "$@" "$helper" reap "$(command -v pamtester)" -v "$service" "$user" open_session close_session 2>&1
}
no_leftovers() {
  if pgrep -f '^zjail-init --session ' >/dev/null; then
    pgrep -af '^zjail-init --session ' >&2
    fail "$1: a jail init is still running"
  fi
}
logged() {  # PATTERN: pam_zjail logged it (when the log is ours)
  ((own_log)) || return 0
  for _ in $(seq 20); do grep -qE "$1" "$state/syslog" && return 0; sleep 0.05; done
  cat "$state/syslog" >&2
  return 1
}
clear_log() { ((own_log)) && : >"$state/syslog"; return 0; }
confined() {  # USER WHAT
  local out mnt
  clear_log
  out=$(session "$1") || fail "$2: the session did not open: $out"
  mnt=$(grep -o 'mnt:\[[0-9]*\]' <<<"$out" | head -n1)
  [[ -n $mnt ]] || fail "$2: pam_exec printed no namespace: $out"
  [[ $mnt != "$host_mnt" ]] || fail "$2: $1's session runs in the host's mount namespace (not confined): $out"
  no_leftovers "$2"
  logged "$1: confined, jail init pid" || fail "$2: no 'confined' line logged"
  ok "$2: confined"
}
unconfined() {  # USER WHAT
  local out
  out=$(session "$1") || fail "$2: the session did not open: $out"
  grep -qF "$host_mnt" <<<"$out" || fail "$2: $1 was confined: $out"
  ok "$2: left alone"
}
refused() {  # USER WHAT LOG_PATTERN [ENV...]
  local user=$1 what=$2 pattern=$3 out
  shift 3
  clear_log
  if out=$(session "$user" "$@"); then fail "$what: the session opened: $out"; fi
  no_leftovers "$what"
  logged "$pattern" || fail "$what: no '$pattern' logged"
  ok "$what: refused"
}

conf "zjp $state/profiles/nolimits.profile" "* -"
confined zjp "control: a user line"
unconfined zjq "control: a user on no confining line"

# --- pam-group-lookup -----------------------------------------------------------
# A real group, with zjp among 2,000 members: its entry no longer fits the
# 16 KiB buffer getgrgid_r was given, which once made its members unconfined.
# The members are set on the group's own line (groupmod wants every member
# to exist); groupdel removes the line on exit.
groupadd "$big"
made_big=1
gid=$(getent group "$big" | cut -d: -f3)
members=zjp
for i in $(seq -w 1 2000); do members+=",zjbig-member-$i"; done
sed -i "s/^$big:x:$gid:.*\$/$big:x:$gid:$members/" /etc/group
size=$(getent group "$big" | wc -c)
((size > 16384)) || fail "the $big entry is only $size bytes"
id -nG zjp | grep -qw "$big" || fail "zjp is not in $big: $(id -nG zjp)"
conf "@$big $state/profiles/nolimits.profile" "* -"
confined zjp "a member of a $size-byte group"
unconfined zjq "a non-member, same configuration"

# A group the configuration names but no database knows: the line may mean
# this login (its backend may be the one that is down), so whoever reaches
# it is refused; a line before it still decides.
conf "zjq -" "@$gone $state/profiles/nolimits.profile" "* -"
refused zjp "a group no database knows" "no group '$gone' is known"
unconfined zjq "decided by a line before the unknown group"

# The group backend is down (a private mount namespace sees an nsswitch.conf
# with libnss_zjailfail.so.2 after files): looking up a group it should have
# answered for fails with EIO, and the login is refused, not waved through.
sed 's/^group:.*/group: files zjailfail/' /etc/nsswitch.conf >"$state/nsswitch.conf"
grep -q '^group: files zjailfail' "$state/nsswitch.conf" || fail "no group line in /etc/nsswitch.conf"
outage() {  # USER [NSSWITCH]: the session with the group backend down
  unshare -m bash -c 'mount --bind "$1" /etc/nsswitch.conf && shift && exec "$@"' _ \
    "${2:-$state/nsswitch.conf}" env LD_LIBRARY_PATH="$nss_fail" \
    "$helper" reap "$(command -v pamtester)" -v "$service" "$1" open_session close_session 2>&1
}
conf "zjq -" "@$gone $state/profiles/nolimits.profile" "* -"
clear_log
if out=$(outage zjp); then fail "group backend down: the session opened: $out"; fi
no_leftovers "group backend down"
logged "looking up group '$gone': Input/output error" || fail "group backend down: no lookup error logged"
ok "group backend down: refused"
out=$(outage zjq) || fail "group backend down: zjq, decided before the group line, was refused: $out"
ok "group backend down: a login decided before the group line still opens"

# --- pam-user-canonical ---------------------------------------------------------
# Another name for zjp's uid: the line for zjp confines it too. (NSS
# backends that ignore case, such as sssd for AD, give "ZJP" the same way.)
read -r zuid zgid zhome < <(getent passwd zjp | awk -F: '{print $3, $4, $6}')
useradd -o -u "$zuid" -g "$zgid" -M -d "$zhome" -s /bin/bash "$alias"
made_alias=1
conf "zjp $state/profiles/nolimits.profile" "* -"
confined "$alias" "another name for a confined uid"
# A user line that names no known user confines no one it cannot tell apart:
# it refuses whoever reaches it.
conf "zjq -" "zjnosuchuser $state/profiles/nolimits.profile" "* -"
refused zjp "a confining line naming an unknown user" "no user 'zjnosuchuser' is known"
unconfined zjq "decided by a line before the unknown user"
# --- Red team: a group line the down backend decides, behind a merge ------------
# nsswitch.conf merges the files entry of a group with the directory's
# ("group: files [SUCCESS=merge] sss"): /etc/group names the group, the
# directory lists its members. With the directory down, getgrnam_r() still
# succeeds (the files half, no members) and getgrouplist() leaves the
# directory's groups out without an error, so pam_zjail sees a known group
# that zjp is not in, and the login passes the confining line unconfined.
# Whether zjp is a member cannot be told: the line could match, so the
# login must be refused, as it is for the group that no database knows.
groupadd "$merged"
made_merged=1
sed 's/^group:.*/group: files [SUCCESS=merge] zjailfail/' /etc/nsswitch.conf >"$state/nsswitch-merge.conf"
conf "@$merged $state/profiles/nolimits.profile" "* -"
clear_log
if out=$(outage zjp "$state/nsswitch-merge.conf"); then
  # outage() runs in a mount namespace of its own: unconfined, pam_exec
  # prints that one; confined, the jail's.
  logged "zjp: not confined" && ((own_log)) &&
    fail "merged group, its member backend down: zjp passed the confining line unconfined: $out"
  fail "merged group, its member backend down: the session opened: $out"
fi
no_leftovers "merged group, member backend down"
ok "merged group, member backend down: refused"
echo "pam subjects: all passed"
