# sys-visible: base-service with the host's /sys bound read-only. The escape
# battery runs under it too, so that its sysfs and cgroup probes (uevent
# helper, release_agent, the jail's own limits, an ancestor's cgroup.procs)
# meet the real files instead of an absent /sys.

[Jail]
Include=base-service
Description=Escape battery: base-service with /sys visible, read-only
BindReadOnlyPaths=/sys
