# base-service: the common floor for a long-running network service.
#
# Other profiles start with Include=base-service and add what their program
# needs. The payload runs as nobody with no capabilities, in a private network
# namespace, on a read-only view of /usr, under @system-service.

[Jail]
Description=Base for network services: read-only /usr, nobody, no capabilities, @system-service

# --- File system -------------------------------------------------------------
# The jail root is an empty read-only tmpfs; add only the program's runtime.
# /usr holds the binaries and shared libraries.
BindReadOnlyPaths=/usr
# On merged-/usr systems these are symlinks into /usr, on older ones real
# directories; bind them optionally ('-') so that either layout works and the
# ELF interpreter path (/lib64/ld-linux-x86-64.so.2) resolves.
BindReadOnlyPaths=-/bin -/sbin -/lib -/lib64
# The dynamic linker's cache: without it, libraries are still found in the
# default directories, only slower. Nothing else of the host's /etc is needed.
BindReadOnlyPaths=-/etc/ld.so.cache
# A fresh, empty /tmp for the service alone.
PrivateTmp=yes
# Other users' processes are invisible in /proc, and /proc shows only process
# directories: a service has no business reading /proc/sys or /proc/kcore.
# A profile for a program that reads /proc/meminfo or the like sets
# ProcSubset=all.
ProtectProc=invisible
ProcSubset=pid

# --- Identity and network ------------------------------------------------------
# Never root. Services that need their own files set a dedicated User=.
User=nobody
Group=nogroup
# Only loopback. Sockets the service must serve are bound by zjail on the host
# side with ListenStream= and passed in, so it needs neither the host network
# nor CAP_NET_BIND_SERVICE.
PrivateNetwork=yes

# --- Privileges ------------------------------------------------------------
# No capabilities in any set (the empty assignment means "none").
CapabilityBoundingSet=
AmbientCapabilities=
# What an ordinary daemon uses ...
SystemCallFilter=@system-service
# ... minus what a service running as nobody without capabilities has no use
# for: changing ids or file ownership (@setuid and @chown, both part of
# @privileged) and changing priorities, affinity, NUMA policy or rlimits
# (@resources). @mount, @module, @reboot, @swap, @raw-io, @clock, @debug,
# @obsolete, @keyring and @cpu-emulation are not in @system-service in the
# first place, so they are denied already.
SystemCallFilter=~@privileged @resources
# A denied call fails with EPERM instead of killing the process, so a program
# that probes for a feature falls back instead of crashing.
SystemCallErrorNumber=EPERM
# Only the native ABI: no i386 (int 0x80) or x32 entry around the filter.
SystemCallArchitectures=native

# --- Limits --------------------------------------------------------------------
# No core dumps: they would be written inside the jail and can hold secrets.
LimitCORE=0
# Enough descriptors for a few thousand clients, and a hard cap on leaks.
LimitNOFILE=4096
