# memcached: Debian's memcached.service under zjail
# (units/dropins/memcached.service.d/zjail.conf).
#
# memcached keeps everything in memory: it needs no file of the host at all,
# only its listening socket on 127.0.0.1:11211 (an unprivileged port).

[Jail]
Include=network-service
Description=memcached: own user, no files, no capabilities, memory capped
Hostname=memcached

User=memcache
Group=memcache

# No host files beyond the libraries: not even its config, which the drop-in
# turns into command-line options.

# memcached lowers RLIMIT_NOFILE to its connection limit (-c, 1024 by default)
# itself; this is the ceiling.
LimitNOFILE=4096
# Worker threads (4), the LRU crawler and maintainer, the hash expander.
TasksMax=32
# -m 64 (MiB of cache) plus connection buffers and the hash table.
MemoryMax=256M
