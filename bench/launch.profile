# The jail that bench/launch.sh times: every namespace zjail creates (user,
# pid, mount, net, uts, ipc, cgroup), a fresh tmpfs root entered
# with pivot_root, nobody with no capabilities, and a @system-service filter.
# Self-contained on purpose, so that the numbers do not move when
# base-service.profile changes.

[Jail]
Description=Launch benchmark: all namespaces, pivot_root, no capabilities, @system-service
# Just enough of the host for a dynamically linked /bin/true.
BindReadOnlyPaths=/usr
BindReadOnlyPaths=-/bin -/sbin -/lib -/lib64
BindReadOnlyPaths=-/etc/ld.so.cache
PrivateTmp=yes
PrivateNetwork=yes
Hostname=bench
User=nobody
Group=nogroup
CapabilityBoundingSet=
AmbientCapabilities=
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
SystemCallArchitectures=native
