#!/bin/bash
# Debian's chrony.service with the chrony drop-in: chronyd -x in the jail
# answers chronyc over its unix socket in /run/chrony (tracking, sources);
# it runs as _chrony with no capability at all, so it cannot set the clock
# (CAP_SYS_TIME is not even in its bounding set), and its jail has no shell.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=daemon.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/daemon.sh"

unit=chrony.service
trap 'remove_dropin $unit' EXIT
install_dropin $unit
start_unit $unit
pid=$(daemon_pid $unit)

# --- The real client ----------------------------------------------------------------------
workload_chrony
assert_match "chronyd says it does not control the clock" 'Disabled control of system clock' \
  "$(vm journalctl -q --no-pager -o cat -u $unit)"

# --- Confinement --------------------------------------------------------------------------
assert_confined "$pid" _chrony
assert_no_caps "$pid"
assert_jail_lacks "$pid" /etc/shadow /bin/sh /usr/bin/sh /root /etc/ssh
assert_jail_read_only "$pid" /etc/chrony
# The profile's StateDirectory=, LogsDirectory= and RuntimeDirectory= made
# the directories for _chrony, with the modes of Debian's unit.
assert_service_dir /var/lib/chrony _chrony 750
assert_service_dir /var/log/chrony _chrony 750
assert_service_dir /run/chrony _chrony 700
