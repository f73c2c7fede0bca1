# lighttpd: Debian's lighttpd.service under zjail
# (units/dropins/lighttpd.service.d/zjail.conf).
#
# Port 80 is bound by zjail and taken by lighttpd's socket activation
# (server.systemd-socket-activation = "enable", set by the config the
# drop-in passes with -f, units/conf/lighttpd.conf). Debian's lighttpd.conf
# builds part of itself with include_shell (Perl scripts run through
# /bin/sh), so unlike the other daemons lighttpd keeps /usr/bin.

[Jail]
Include=network-service
Description=lighttpd: www-data, port 80 bound by zjail, content read-only, no capabilities
Hostname=lighttpd

User=www-data
Group=www-data

ListenStream=80

# Keep the shell and Perl for include_shell; nothing else is hidden then.
TemporaryFileSystem=

BindReadOnlyPaths=/etc/lighttpd /var/www
# create-mime.conf.pl builds the MIME map from it.
BindReadOnlyPaths=/etc/mime.types
# include_shell runs $SHELL -c, and zjail sets SHELL to the user's login
# shell: www-data's is nologin, which refuses.
Environment=SHELL=/bin/sh
BindPaths=/var/log/lighttpd /var/cache/lighttpd
# The pid file (/run/lighttpd.pid), written by the unprivileged server.
TemporaryFileSystem=/run:mode=0755,uid=33,gid=33,size=1m

TasksMax=32
LimitNOFILE=8192
MemoryMax=512M
