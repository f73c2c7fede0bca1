# The jail of bench/scope.sh: bench/launch.profile plus limits, so that zjail
# asks systemd for a transient scope (StartTransientUnit, Delegate=yes).
[Jail]
Include=/opt/zjail/bench/launch.profile
TasksMax=100
