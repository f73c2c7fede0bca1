# untrusted: code nobody vouches for, such as a contest judge's submissions
# or a CI job's build scripts.
#
#   zjail --profile untrusted --bind ./work:/tmp/work -- /bin/sh -c './solution < input'
#
# No network, nobody, no capabilities, a small syscall allow list that is
# enough for /bin/sh and dynamically linked programs, and low resource limits
# so that a fork bomb, a runaway loop or a disk filler stays harmless.

[Jail]
Description=Untrusted code: no network, nobody, tight syscall allow list, low limits

# --- File system -------------------------------------------------------------
# Programs and their libraries, read-only; nothing else of the host.
BindReadOnlyPaths=/usr
BindReadOnlyPaths=-/bin -/sbin -/lib -/lib64
BindReadOnlyPaths=-/etc/ld.so.cache
# The only writable place: a small /tmp of its own, capped in total size
# (LimitFSIZE= below caps each file).
PrivateTmp=no
TemporaryFileSystem=/tmp:mode=1777,size=64m
WorkingDirectory=/tmp
# Only its own processes, and only their directories, in /proc.
ProtectProc=invisible
ProcSubset=pid

# --- Identity and network ------------------------------------------------------
User=nobody
Group=nogroup
# Loopback only: nothing to exfiltrate to, nothing to attack.
PrivateNetwork=yes
Hostname=untrusted
CapabilityBoundingSet=
AmbientCapabilities=

# --- System calls --------------------------------------------------------------
# An allow list, not @system-service: no sockets, no id changes, no ptrace, no
# keyring, no SysV IPC, no timers beyond sleeping, no io_uring. The groups:
#   @default      what every program calls (mmap, futex, execve, ...)
#   @basic-io     read, write, lseek, close, dup, ...
#   @file-system  open, stat, getdents, mkdir, unlink, chmod, fcntl, ...
#   @io-event     poll, select, epoll
#   @signal       sigaction, sigprocmask, sigaltstack, ...
#   @process      fork, clone, wait, kill (inside its own PID namespace)
SystemCallFilter=@default @basic-io @file-system @io-event @signal @process
# What /bin/sh and coreutils call beyond those: pipes, terminal ioctls
# (TIOCSTI stays blocked by zjail's base filter), cat's fadvise, `free`'s
# sysinfo, umask, uname.
SystemCallFilter=pipe pipe2 ioctl fadvise64 sysinfo umask uname
# A denied call fails with EPERM instead of killing the program: judges get a
# normal error exit to report, not a SIGSYS.
SystemCallErrorNumber=EPERM
SystemCallArchitectures=native

# --- Limits --------------------------------------------------------------------
# Processes of this uid, threads included: stops fork bombs.
LimitNPROC=32
# Open files per process.
LimitNOFILE=64
# Largest file it may write (SIGXFSZ beyond).
LimitFSIZE=16M
# CPU seconds: SIGXCPU at the soft limit, SIGKILL one second later.
LimitCPU=10:11
# Address space: 1 GiB covers a dynamically linked program's mappings and
# glibc's malloc arenas with room to spare, and stops memory exhaustion.
LimitAS=1G
# No core dumps.
LimitCORE=0
