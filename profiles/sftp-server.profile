# sftp-server: OpenSSH's sftp-server for the users sshd forces into it
# (units/dropins/ssh/zjail-sftp.conf, a ForceCommand in sshd_config.d).
#
# sshd runs the forced command as the logged-in user, so zjail runs
# unprivileged: the payload is that user, mapped to itself, in a user
# namespace of its own. What the user sees over SFTP is /home and nothing
# else: not /etc, not other users' processes, no tools.

[Jail]
Include=base-service
Description=sftp-server: the logged-in user, /home only, no network, no tools

# The caller, whoever logged in: an unprivileged zjail can run nobody else.
User=
Group=

# SFTP travels over stdin and stdout; the server opens no socket.
PrivateNetwork=yes
Hostname=sftp

# The user's files. Other users' homes are behind their own permissions.
BindPaths=/home
# Names for ls -l, and the home directory for `-d %d`.
BindReadOnlyPaths=/etc/passwd /etc/group
WorkingDirectory=/home
# No tools to run, and zjail runs sftp-server through a descriptor.
TemporaryFileSystem=/usr/bin:mode=0755 /usr/sbin:mode=0755 /usr/local:mode=0755
TemporaryFileSystem=/bin:mode=0755 /sbin:mode=0755
# The rest of the host's /usr/lib/openssh is not needed either.

# sftp-server creates no sockets.
SystemCallFilter=~@network-io
LimitNOFILE=1024
LimitNPROC=64
