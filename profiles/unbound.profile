# unbound: Debian's unbound.service under zjail
# (units/dropins/unbound.service.d/zjail.conf).
#
# Port 53 is bound by zjail on the host, for 127.0.0.1 and ::1 (unbound's
# default interfaces), UDP and TCP, and unbound takes the sockets with
# use-systemd: yes, set by the drop-in's config (units/conf/unbound-zjail.conf)
# along with username: "" (the jail already made it the unbound user).

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
# remote-control's socket (/run/unbound.ctl) goes to a private /run.
TemporaryFileSystem=/run:mode=1777,size=1m

TasksMax=16
LimitNOFILE=8192
MemoryMax=512M
