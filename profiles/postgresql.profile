# postgresql: Debian's postgresql@15-main.service under zjail
# (units/dropins/postgresql@15-main.service.d/zjail.conf), the postmaster
# started directly rather than through pg_ctlcluster.
#
# PostgreSQL listens on localhost:5432 (unprivileged) and on its unix socket
# in /run/postgresql, where psql on the host finds it.

[Jail]
Include=network-service
Description=PostgreSQL 15: postgres user, own data and socket dir, no shell (no COPY TO PROGRAM), no capabilities
Hostname=postgresql

User=postgres
Group=postgres
# Debian's config turns SSL on with the snakeoil key, readable through
# ssl-cert membership.
SupplementaryGroups=ssl-cert

# Config, read-only (ALTER SYSTEM writes postgresql.auto.conf in the data
# directory instead).
BindReadOnlyPaths=/etc/postgresql /etc/postgresql-common
BindReadOnlyPaths=-/etc/ssl/private/ssl-cert-snakeoil.key
# Peer authentication (Debian's default for local connections) maps the
# client's uid to a name with getpwuid(): the user list, not the hashes.
BindReadOnlyPaths=/etc/passwd /etc/group
# Clusters' data, and the socket directory the clients use, with Debian's
# modes. The socket directory outlives the jail: it holds other clusters'
# sockets, and Debian's tmpfiles.d makes it at boot.
StateDirectory=postgresql
RuntimeDirectory=postgresql
RuntimeDirectoryMode=2775
RuntimeDirectoryPreserve=yes
# Debian's config names it by its old path, a symlink on the host that the
# jail does not have.
BindPaths=/run/postgresql:/var/run/postgresql

# max_connections 100 backends plus the background processes.
TasksMax=160
LimitNOFILE=8192
# shared_buffers 128MB plus work_mem per backend.
MemoryMax=1G
