# network-service: the base for a daemon from a distro package that serves
# the network itself.
#
# base-service assumes the payload can take its sockets from ListenStream=.
# Most daemons cannot: they bind their own addresses from their own config.
# This profile gives them the host's network and what resolving names and
# talking TLS need, and nothing else of /etc. Each daemon's profile includes
# this one, then names its user, its files and its limits.
#
# About ports below 1024: the payload lives in zjail's user namespace, so a
# capability it holds counts only for namespaces that user namespace owns.
# The host's network namespace is not one of them, and
# AmbientCapabilities=CAP_NET_BIND_SERVICE does not let it bind port 80
# there. A privileged port is bound by zjail instead (ListenStream=, as root,
# before anything is dropped) and inherited by daemons that can take a
# socket: nginx (NGINX=3;), haproxy (bind fd@3), unbound (use-systemd),
# lighttpd (server.systemd-socket-activation).

[Jail]
Include=base-service
Description=Base for network daemons: host network, name resolution, TLS roots, no capabilities

# --- Network -------------------------------------------------------------------
# The daemon binds and connects on the host's network itself.
PrivateNetwork=no

# --- File system ---------------------------------------------------------------
# Name resolution for upstreams, pools and access lists. Optional, since a
# host may lack any of them (gai.conf and host.conf often do).
BindReadOnlyPaths=-/etc/hosts -/etc/host.conf -/etc/nsswitch.conf -/etc/resolv.conf -/etc/gai.conf
# Certificate roots for TLS clients (OCSP, upstream TLS), and the local time
# zone for log time stamps.
BindReadOnlyPaths=-/etc/ssl/certs -/usr/share/ca-certificates -/etc/localtime
# No host tools: a daemon execs nothing, and an attacker who gets code
# execution finds no shell, no interpreter, no curl. zjail executes the
# daemon through a descriptor, so its own binary need not be visible either.
# Shared libraries and data under /usr stay. The empty directories are
# root's, mode 0755: nothing the daemon can write to. A daemon that runs helpers
# (lighttpd's include_shell) resets this with TemporaryFileSystem=.
# On a merged-/usr system base-service's /bin and /sbin are the same
# directories again, so they are emptied too.
TemporaryFileSystem=/usr/bin:mode=0755 /usr/sbin:mode=0755 /usr/local:mode=0755
TemporaryFileSystem=/bin:mode=0755 /sbin:mode=0755

# --- System calls ---------------------------------------------------------------
# @system-service minus @privileged and @resources, from base-service. On top
# of that, no daemon here needs SysV message queues or POSIX message queues.
SystemCallFilter=~mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedsend mq_unlink msgctl msgget msgrcv msgsnd

# --- Limits ------------------------------------------------------------------------
# Enough descriptors for busy servers; each profile lowers or raises this.
LimitNOFILE=16384
# No core dumps (base-service), and no daemon may fill a disk with one file
# larger than 4 GiB.
LimitFSIZE=4G
