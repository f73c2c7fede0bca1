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
# An allow list, not @system-service: no sockets, no ids, no namespaces, no
# ptrace, no keyring, no timers beyond sleeping. The groups are:
#   @default      what every program calls (exit, mmap, futex, getpid, ...)
#   @basic-io     read, write, lseek, close, dup, ...
#   @file-system  open, stat, getdents, mkdir, unlink, chmod, ...
#   @io-event     poll, select, epoll
#   @signal       sigaction, sigprocmask, sigaltstack, ...
SystemCallFilter=@default @basic-io @file-system @io-event @signal
# /bin/sh and the programs it starts: fork and exec, wait, kill (inside the
# jail's own PID namespace), pipes, terminal ioctls (TIOCSTI stays blocked),
# the uname() of `uname -a` and the info calls that libc makes at start.
SystemCallFilter=clone clone3 fork vfork execve execveat wait4 waitid kill tgkill
SystemCallFilter=pipe pipe2 ioctl fcntl uname getrusage times sysinfo umask
SystemCallFilter=sched_getaffinity sched_yield madvise mremap prctl
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
