# haproxy: Debian's haproxy.service under zjail
# (units/dropins/haproxy.service.d/zjail.conf).
#
# Debian's haproxy.cfg says `chroot /var/lib/haproxy`, `user haproxy` and
# `group haproxy`. Inside the jail the process already is haproxy, so
# setuid()/setgid() to itself are no-ops the filter lets through (without
# CAP_SETUID they cannot change anything), and the chroot is granted with
# CAP_SYS_CHROOT: a capability in the jail's user namespace, good for
# chroot() inside the jail and nothing on the host. Frontends on ports below
# 1024 take a socket from zjail: ListenStream=80 in a drop-in and
# `bind fd@3` in the config.

[Jail]
Include=network-service
Description=HAProxy: haproxy user, chroot inside the jail, config read-only, no other capability
Hostname=haproxy

User=haproxy
Group=haproxy
AmbientCapabilities=CAP_SYS_CHROOT
SystemCallFilter=chroot setgid setuid setgroups

BindReadOnlyPaths=/etc/haproxy
# `user haproxy` and `group haproxy` are looked up by name.
BindReadOnlyPaths=/etc/passwd /etc/group
# The chroot directory, empty and root's.
BindReadOnlyPaths=/var/lib/haproxy
# The stats socket, and (see the drop-in) the pid file and master socket.
BindPaths=/run/haproxy

TasksMax=64
LimitNOFILE=65536
MemoryMax=1G
