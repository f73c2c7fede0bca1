# nginx: Debian's nginx.service under zjail
# (units/dropins/nginx.service.d/zjail.conf).
#
# nginx as www-data, master and workers alike, with no capability. Port 80
# is bound by zjail on the host and inherited through nginx's own mechanism
# for sockets passed across a binary upgrade: NGINX=3;4; names fd 3 and 4,
# and Debian's default site (`listen 80` and `listen [::]:80`) takes them
# instead of binding. The IPv6 one is IPv6-only, as nginx itself binds it,
# so that it stands beside the IPv4 wildcard.

[Jail]
Include=network-service
Description=nginx: www-data, port 80 bound by zjail, content read-only, no shell, no capabilities
Hostname=nginx

User=www-data
Group=www-data

ListenStream=0.0.0.0:80
ListenStream=[::]:80
BindIPv6Only=ipv6-only
Environment=NGINX=3;4;

# Config and content, read-only. Modules are under /usr.
BindReadOnlyPaths=/etc/nginx /var/www
# The log files exist (owned by www-data); the directory stays root's.
BindPaths=/var/log/nginx
# Request bodies and proxy buffers: private scratch space for www-data (uid
# 33 on every Debian system), not the host's /var/lib/nginx, which is root's.
TemporaryFileSystem=/var/lib/nginx:mode=0700,uid=33,gid=33,size=256m
# The pid file (/run/nginx.pid) is written by the unprivileged master.
TemporaryFileSystem=/run:mode=0755,uid=33,gid=33,size=1m

# A master and worker_processes auto (one per CPU).
TasksMax=64
# worker_connections 768 per worker, twice for proxied requests.
LimitNOFILE=8192
MemoryMax=512M
