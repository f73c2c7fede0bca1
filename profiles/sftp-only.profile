# sftp-only: file transfer into the user's home and nothing else (pam_zjail).
#
# Pair with `ForceCommand internal-sftp` in an sshd_config Match block (see
# docs/ssh.md): sshd then serves sftp from its own process. The jail holds
# only the home directory (pam_zjail binds it), /proc and a minimal /dev: no
# /usr, no shell, no binaries, so no command can run at all.

[Jail]
Description=SFTP only: the home directory alone, no programs, loopback only, no privileges

PrivateTmp=no
ProtectProc=invisible
ProcSubset=pid
Hostname=sftp
PrivateNetwork=yes

CapabilityBoundingSet=
AmbientCapabilities=
# sshd drops to the user after joining (@setuid) and sets up the session.
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
SystemCallArchitectures=native

TasksMax=32
MemoryMax=256M
LimitCORE=0
LimitNOFILE=256
