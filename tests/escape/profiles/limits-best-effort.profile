# limits-best-effort: layered under each daemon profile for the escape
# battery (--profile limits-best-effort --profile NAME). This host's cgroup v2
# has no pids controller, so TasksMax= would stop the launch at step cgroup;
# limits are not what the battery attacks, and the VM enforces them.

[Jail]
Description=Escape battery: resource limits best-effort
EnforceLimits=best-effort
