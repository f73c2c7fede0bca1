# ssh-restricted: a login shell for a restricted SSH user (pam_zjail).
#
# Used through /etc/zjail/pam.conf, never with a command line: pam_zjail sets
# User= to the login user and binds the user's home read-write at its own
# path. sshd's session process joins the jail and then drops to the user, so
# the shell, commands, scp/sftp and port forwarding all run in here.

[Jail]
Description=Restricted SSH login: small read-only /usr, own home, loopback only, no privileges

# --- File system -------------------------------------------------------------
# The programs and their libraries, not all of /usr: no /usr/sbin,
# /usr/local, /usr/share or /usr/include. sudo and su are still there and
# gain nothing (see Privileges); hiding them would only hide that proof.
BindReadOnlyPaths=/usr/bin /usr/lib
BindReadOnlyPaths=-/usr/lib64 -/usr/libexec
BindReadOnlyPaths=-/usr/share/terminfo -/usr/share/zoneinfo
# Merged-/usr symlinks or, on older layouts, the real directories.
BindReadOnlyPaths=-/bin -/lib -/lib64
# What a shell and `id` read: names for uids and gids, the linker cache, the
# shell's system-wide start-up files.
BindReadOnlyPaths=/etc/passwd /etc/group -/etc/nsswitch.conf -/etc/ld.so.cache
BindReadOnlyPaths=-/etc/profile -/etc/bash.bashrc -/etc/inputrc -/etc/localtime
# A private, empty /tmp.
PrivateTmp=yes
# The pid namespace holds only this session; processes need not be hidden
# from each other, and `ps` and /proc/1/cmdline should show the jail.
ProtectProc=default
ProcSubset=all
Hostname=jail

# --- Network -------------------------------------------------------------------
# Loopback only: -L, -R and -D forwarding reach nothing but the jail's own lo.
PrivateNetwork=yes

# --- Privileges ----------------------------------------------------------------
# sshd's session process keeps its effective capabilities to set up the pty
# and drop to the user; the empty bounding set and NO_NEW_PRIVS mean that
# nothing executed afterwards (su, sudo, any setuid or file-capability
# binary) gains any.
CapabilityBoundingSet=
AmbientCapabilities=
# sshd still changes ids and chowns the tty after joining: @setuid and
# @chown stay, as in @system-service.
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
SystemCallArchitectures=native

# --- Limits --------------------------------------------------------------------
# Carried by a systemd scope under the user's slice (user-UID.slice).
TasksMax=256
MemoryMax=1G
LimitCORE=0
LimitNOFILE=1024
