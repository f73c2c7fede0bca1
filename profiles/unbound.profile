# unbound: Debian's unbound.service under zjail
# (units/dropins/unbound.service.d/zjail.conf).
#
# Port 53 (UDP and TCP, on 127.0.0.1 and ::1, unbound's default interfaces)
# and the remote-control socket are bound by zjail on the host. Unbound
# takes them with use-systemd: yes, set by the config the drop-in passes
# with -c (units/conf/unbound.conf), along with username: "" (the jail
# already made it the unbound user).

[Jail]
Include=network-service
Description=Unbound: unbound user, port 53 bound by zjail, config read-only, no shell, no capabilities
Hostname=unbound

User=unbound
Group=unbound

ListenDatagram=127.0.0.1:53
ListenDatagram=[::1]:53
ListenStream=127.0.0.1:53
ListenStream=[::1]:53

BindReadOnlyPaths=/etc/unbound
# The trust anchor, updated by RFC 5011 rollover: writable.
BindPaths=/var/lib/unbound
# remote-control's socket (Debian's control-interface: /run/unbound.ctl):
# with use-systemd unbound takes every listening socket from zjail, so zjail
# binds this one too, on the host, where unbound-control finds it.
ListenStream=/run/unbound.ctl
# Unbound takes inherited sockets only where sd_booted() says systemd runs,
# that is where /run/systemd/system is a directory: an empty one will do.
TemporaryFileSystem=/run/systemd/system:mode=0755,size=4k

TasksMax=16
LimitNOFILE=8192
MemoryMax=512M
