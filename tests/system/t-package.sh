#!/bin/bash
# The Debian package (packaging/build-deb.sh) in a clean system: dpkg -i
# installs zjail with its conffiles, man pages and units; the socket-activated
# echo example works with the packaged binary (run.sh's /usr/local/bin/zjail
# and profiles are set aside first, so nothing else could answer); and
# `apt-get purge` leaves nothing of zjail behind.
#
# Uses $ZJAIL_DEB, else the newest zjail_*.deb in $ZJAIL_DEB_DIR (ctest sets
# it to <build>/deb, where ctest package_deb builds it), else in the source
# tree's build/deb; skips if there is none.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

source_dir=${ZJAIL_SOURCE_DIR:-$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)}
deb_dir=${ZJAIL_DEB_DIR:-$source_dir/build/deb}
deb=${ZJAIL_DEB:-$(ls -t -- "$deb_dir"/zjail_*_amd64.deb 2>/dev/null | head -n 1 || true)}
[[ -n $deb && -f $deb ]] || skip "no zjail .deb: run packaging/build-deb.sh (ctest -R package_deb) first"
echo "package: $deb"

saved=/root/t-package-saved
# What run.sh installed goes back whatever happens; the package goes away.
restore() {
  vm "systemctl stop zjail-echo-activated.socket zjail-echo-activated.service 2>/dev/null
      dpkg -s zjail >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get purge -y -q zjail >/dev/null 2>&1
      for p in usr/local/bin/zjail usr/share/zjail etc/zjail; do
        [ -e $saved/\$p ] && { mkdir -p \$(dirname /\$p); rm -rf /\$p; mv $saved/\$p /\$p; }
      done
      rm -rf $saved; systemctl reset-failed 2>/dev/null; true" || true
}
trap restore EXIT
vm "set -e; rm -rf $saved; for p in usr/local/bin/zjail usr/share/zjail etc/zjail; do
      if [ -e /\$p ]; then mkdir -p $saved/\$(dirname \$p); mv /\$p $saved/\$p; fi; done"
assert_eq "no zjail on PATH before the install" "" "$(vm 'command -v zjail || true')"
assert_eq "the image has no zjail package" "" "$(vm "dpkg-query -W -f='\${Status}' zjail 2>/dev/null || true")"
# The image's own files named after zjail (its network and sshd settings) are
# the baseline: after the purge exactly these may remain.
find_zjail="find /usr /etc /var -path $saved -prune -o -iname '*zjail*' -print 2>/dev/null | sort || true"
before=$(vm "$find_zjail")

# --- Install ---------------------------------------------------------------------
"$ZJAIL_VM" push "$deb" /tmp >/dev/null
vm "DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/$(basename -- "$deb")" || fail "dpkg -i failed"
assert_eq "zjail on PATH is the package's" /usr/bin/zjail "$(vm 'command -v zjail')"
assert_eq "/usr/bin/zjail belongs to the package" "zjail: /usr/bin/zjail" "$(vm dpkg -S /usr/bin/zjail)"
vm dpkg --verify zjail || fail "dpkg --verify zjail reports changed files"
files=$(vm dpkg -L zjail)
for f in /usr/bin/zjail /usr/share/zjail/profiles/base-service.profile /usr/share/zjail/profiles/echo.profile \
         /usr/lib/systemd/system/zjail-echo-activated.socket /usr/lib/systemd/system/zjail-echo.service \
         /usr/share/man/man1/zjail.1.gz /usr/share/man/man5/zjail.profile.5.gz /usr/share/man/man8/pam_zjail.8.gz \
         /usr/share/bash-completion/completions/zjail /etc/zjail/pam.conf /etc/zjail/profiles; do
  assert_match "package ships $f" "^$f\$" "$files"
done
assert_match "the echo example is packaged" '^/usr/lib/[^/]+/zjail/echo$' "$files"
if [[ -d $source_dir/pam_module ]] && grep -qs pam_module "$source_dir/CMakeLists.txt"; then
  assert_match "the PAM module is packaged" '^/usr/lib/x86_64-linux-gnu/security/pam_zjail.so$' "$files"
fi
conffiles=$(vm "dpkg-query -W -f='\${Conffiles}\n' zjail")
assert_match "/etc/zjail/pam.conf is a conffile" '^ /etc/zjail/pam.conf [0-9a-f]+' "$conffiles"
assert_eq "installing does not enable the example" disabled "$(vm systemctl is-enabled zjail-echo-activated.socket || true)"
vm /usr/bin/zjail --analyze --profile base-service --threshold 3 >/dev/null || fail "the packaged zjail --analyze failed"

# --- The socket-activated echo server ------------------------------------------------
vm systemctl start zjail-echo-activated.socket
reply=$(vm "printf 'round trip via the package\n' | timeout 60 nc -N 127.0.0.1 7")
assert_eq "echo round trip" "round trip via the package" "$reply"
main=$(vm systemctl show -p MainPID --value zjail-echo-activated.service)
[[ $main =~ ^[1-9][0-9]*$ ]] && assert_zjail_process "the service's main process runs /usr/bin/zjail" /usr/bin/zjail \
  /usr/libexec/zjail/zjail-init "$(vm readlink "/proc/$main/exe")"
vm systemctl stop zjail-echo-activated.socket zjail-echo-activated.service

# --- Purge ---------------------------------------------------------------------------
vm "DEBIAN_FRONTEND=noninteractive apt-get purge -y -q zjail" >/dev/null || fail "apt-get purge zjail failed"
assert_eq "dpkg knows no zjail package" "" "$(vm "dpkg-query -W -f='\${Status}' zjail 2>/dev/null || true")"
assert_eq "dpkg -S finds no zjail path" "" "$(vm 'dpkg -S zjail 2>/dev/null || true')"
left=$(comm -13 <(printf '%s\n' "$before") <(vm "$find_zjail") | sed '/^$/d')
assert_eq "no zjail files left in /usr /etc /var" "" "$left"
assert_eq "no zjail units left" "" "$(vm "systemctl list-unit-files --no-legend 'zjail*' || true")"
