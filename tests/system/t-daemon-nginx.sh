#!/bin/bash
# Debian's nginx.service with the nginx drop-in, and Debian's default site as
# it comes (listen 80 and listen [::]:80): curl gets the default page over
# IPv4 and IPv6 port 80, which zjail binds and nginx inherits (NGINX=3;4;); master and
# workers run as www-data without any capability, cannot read /etc/shadow
# (not in the jail) and cannot change the content they serve.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=daemon.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/daemon.sh"

unit=nginx.service
cleanup() {
  remove_dropin $unit
}
trap cleanup EXIT
install_dropin $unit
start_unit $unit
pid=$(daemon_pid $unit)

# --- The real client ----------------------------------------------------------------
workload_nginx
assert_match "nginx took both sockets from zjail" 'using inherited sockets from "3;4;"' \
  "$(vm journalctl -q --no-pager -o cat -u $unit)"
# Port 80 is owned by zjail's socket on the host, bound before the jail.
assert_match "port 80 listens on the host" 'LISTEN' "$(vm ss -Htln 'sport = :80')"

# --- Confinement -------------------------------------------------------------------
assert_confined "$pid" www-data
assert_no_caps "$pid"
# Workers too: the same user, no capabilities.
worker=$(vm "pgrep -P $pid | head -n 1")
[[ -n $worker ]] || fail "nginx has no worker process"
assert_confined "$worker" www-data
assert_no_caps "$worker"
assert_match "nginx worker process" '^nginx: worker process' "$(vm "tr '\\0' ' ' </proc/$worker/cmdline")"
# What a path traversal or an RCE would go for.
assert_jail_lacks "$pid" /etc/shadow /etc/ssh /root /bin/sh /usr/bin/sh
assert_jail_read_only "$pid" /var/www/html
assert_jail_read_only "$pid" /etc/nginx
