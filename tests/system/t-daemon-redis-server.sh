#!/bin/bash
# Debian's redis-server.service with the redis-server drop-in: redis-cli
# stores and reads a key and a BGSAVE writes /var/lib/redis; Redis runs as
# redis without capabilities, and its jail has no shell and no /etc beyond
# its config, so the classic CONFIG SET dir + SAVE attack has nothing to
# write to.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=daemon.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/daemon.sh"

unit=redis-server.service
trap 'remove_dropin $unit' EXIT
install_dropin $unit
start_unit $unit
pid=$(daemon_pid $unit)

# --- The real client --------------------------------------------------------------
workload_redis-server

# --- Confinement -------------------------------------------------------------------
assert_confined "$pid" redis
assert_no_caps "$pid"
# No shell or tool to run after a compromise, no host secrets.
assert_jail_lacks "$pid" /bin/sh /usr/bin/sh /usr/bin/bash /usr/bin/perl /etc/shadow /etc/crontab /root
# Where the attack writes (CONFIG SET dir, then SAVE; Debian's Redis 7 also
# refuses to change `dir` at run time): the config is read-only, and there is
# no crontab or ssh directory to write to.
assert_jail_read_only "$pid" /etc/redis
# The profile's StateDirectory= and RuntimeDirectory=, with Debian's modes;
# the drop-in needs no chown of its own.
assert_service_dir /var/lib/redis redis 750
assert_service_dir /run/redis redis 2755
assert_jail_lacks "$pid" /var/spool/cron /var/lib/redis/../../../root/.ssh
