# mosquitto: Debian's mosquitto.service under zjail
# (units/dropins/mosquitto.service.d/zjail.conf).
#
# The broker listens on localhost:1883 (Mosquitto 2's default without a
# listener line, an unprivileged port), persists to /var/lib/mosquitto and
# logs to /var/log/mosquitto.

[Jail]
Include=network-service
Description=Mosquitto MQTT broker: own user, config read-only, no shell, no capabilities
Hostname=mosquitto

User=mosquitto
Group=mosquitto

# Config, password and ACL files, read-only.
BindReadOnlyPaths=/etc/mosquitto
# Persistence, the log file, the pid file: zjail makes them for the
# mosquitto user (the distro unit's ExecStartPre= lines did).
StateDirectory=mosquitto
LogsDirectory=mosquitto
LogsDirectoryMode=0750
RuntimeDirectory=mosquitto
RuntimeDirectoryMode=0750

# One thread; a few for bridges and plugins.
TasksMax=16
# One descriptor per client.
LimitNOFILE=16384
MemoryMax=512M
