# redis-server: Debian's redis-server.service under zjail
# (units/dropins/redis-server.service.d/zjail.conf).
#
# Redis binds 127.0.0.1:6379 and ::1:6379 itself (unprivileged ports), keeps
# its data in /var/lib/redis and needs nothing else of the host: no shell
# (Redis' classic compromise is CONFIG SET dir + SAVE to write a crontab or an
# authorized_keys file, then a shell), no /etc beyond its own config.

[Jail]
Include=network-service
Description=Redis: own user, /var/lib/redis writable, no shell, no capabilities
Hostname=redis

User=redis
Group=redis

# The config, read-only: CONFIG REWRITE fails instead of persisting what an
# attacker set with CONFIG SET.
BindReadOnlyPaths=/etc/redis
# The dump and AOF files, and the pid file (and a unix socket, if the admin
# enables one), with Debian's modes; zjail makes them and hands them to redis.
StateDirectory=redis
StateDirectoryMode=0750
RuntimeDirectory=redis
RuntimeDirectoryMode=2755
# The log file. Debian's log directory belongs to group adm, and
# LogsDirectory= would give it to redis's group, as systemd does.
BindPaths=/var/log/redis

# Redis forks for BGSAVE and runs a few I/O threads: nothing else.
TasksMax=64
# maxclients 10000 needs 10032 descriptors; more is never used.
LimitNOFILE=10240
# Leave room for the copy-on-write of a BGSAVE of a modest data set; admins
# with larger data sets raise it in a drop-in (redis-server.profile.d/).
MemoryMax=1G
