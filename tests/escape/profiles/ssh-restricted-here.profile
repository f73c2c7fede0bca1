# ssh-restricted-here: ssh-restricted as pam_zjail sets it up, for the escape
# battery on the CI host. pam_zjail sets User= to the login user (here:
# nobody), and this host's cgroup v2 has no pids controller, so the limits
# are best-effort here; the VM run (README.md) has them enforced.

[Jail]
Include=ssh-restricted
Description=Escape battery: ssh-restricted for nobody, limits best-effort
User=nobody
Group=nogroup
EnforceLimits=best-effort
