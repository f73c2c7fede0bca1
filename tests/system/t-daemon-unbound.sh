#!/bin/bash
# Debian's unbound.service with the unbound drop-in: dig asks the jailed
# resolver on 127.0.0.1:53 and ::1:53, UDP and TCP, sockets zjail bound
# and unbound took with use-systemd. Unbound runs as unbound without
# capabilities; its jail has no shell and cannot change its own config.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=daemon.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/daemon.sh"

unit=unbound.service
key=/var/lib/unbound/root.key
cleanup() {
  remove_dropin $unit
  vm "[ -f $key.zjail-test ] && rm -f $key $key.zjail-test; true" || true
}
trap cleanup EXIT
# The image has unbound without its Recommends, so without dns-root-data,
# whose root.key Debian's helper would copy here: without a trust anchor
# unbound does not start, jailed or not. Seed it with the root zone's
# KSK-2017 DS record, as dns-root-data would.
if ! vm "test -s $key"; then
  vm "echo '. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D' >$key &&
      chown unbound:unbound $key && touch $key.zjail-test"
fi
install_dropin $unit
# Type=notify: READY=1 once it serves, relayed by zjail.
start_unit $unit
pid=$(daemon_pid $unit)

# --- The real client -------------------------------------------------------------------
# Answered from unbound's built-in local zones: no upstream needed.
for server in 127.0.0.1 ::1; do
  for proto in +notcp +tcp; do
    out=$(vm "dig @$server $proto +time=5 +tries=3 localhost A")
    assert_match "dig @$server $proto localhost" $'^localhost\\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+127\\.0\\.0\\.1$' "$out"
  done
done
out=$(vm "dig @127.0.0.1 +time=5 -x 127.0.0.1")
assert_match "reverse lookup of 127.0.0.1" 'PTR[[:space:]]+localhost\.$' "$out"
# Port 53 belongs to sockets zjail bound, which unbound took over.
assert_match "unbound is using the sockets from zjail" 'LISTEN.*127\.0\.0\.1:53 ' "$(vm ss -Htln 'sport = :53')"

# --- Confinement ---------------------------------------------------------------------------
assert_confined "$pid" unbound
assert_no_caps "$pid"
assert_jail_read_only "$pid" /etc/unbound
assert_jail_lacks "$pid" /etc/shadow /bin/sh /usr/bin/sh /root /etc/ssh
