#!/bin/bash
# Debian's mosquitto.service with the mosquitto drop-in: mosquitto_sub
# receives what mosquitto_pub publishes through the jailed broker; the broker
# runs as mosquitto without capabilities, cannot change its own config and
# has no shell or host secrets in its jail.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=daemon.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/daemon.sh"

unit=mosquitto.service
trap 'remove_dropin $unit' EXIT
install_dropin $unit
# Type=notify: started means the broker said READY=1 through zjail.
start_unit $unit
pid=$(daemon_pid $unit)

# --- The real clients -------------------------------------------------------------
workload_mosquitto

# --- Confinement -------------------------------------------------------------------
assert_confined "$pid" mosquitto
assert_no_caps "$pid"
# The config (password files, ACLs) cannot be rewritten from the broker ...
assert_jail_read_only "$pid" /etc/mosquitto
# ... and there is no shell and nothing else of the host's /etc.
assert_jail_lacks "$pid" /bin/sh /usr/bin/sh /etc/shadow /etc/passwd /etc/ssh /root
# The profile made the persistence, log and pid directories for mosquitto
# (the distro unit's ExecStartPre= lines are reset).
assert_service_dir /var/lib/mosquitto mosquitto 755
assert_service_dir /var/log/mosquitto mosquitto 750
assert_service_dir /run/mosquitto mosquitto 750
