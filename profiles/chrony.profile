# chrony: Debian's chrony.service under zjail
# (units/dropins/chrony.service.d/zjail.conf).
#
# Setting the clock needs CAP_SYS_TIME in the host's user namespace, which no
# process in a zjail user namespace can hold. So chronyd runs with -x: it
# measures and tracks the time without steering the system clock (the mode
# for containers), and answers chronyc on its unix socket in /run/chrony. A
# host that needs its clock disciplined keeps chrony unjailed.

[Jail]
Include=network-service
Description=chrony with -x: _chrony user, no clock control, no capabilities, no shell
Hostname=chrony

User=_chrony
Group=_chrony

BindReadOnlyPaths=/etc/chrony
# chronyd looks its user up by name at start (-u, default _chrony).
BindReadOnlyPaths=/etc/passwd /etc/group
# Sources from DHCP, if any.
BindReadOnlyPaths=-/run/chrony-dhcp
# Drift and NTS files, statistics logs, and the command socket for chronyc,
# with the modes of Debian's chrony.service.
StateDirectory=chrony
StateDirectoryMode=0750
LogsDirectory=chrony
LogsDirectoryMode=0750
RuntimeDirectory=chrony
RuntimeDirectoryMode=0700

TasksMax=8
LimitNOFILE=1024
MemoryMax=128M
