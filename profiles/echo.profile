# echo: the demo echo server (examples/echo), socket-activated.
#
#   zjail --profile echo build/examples/echo/echo
#
# zjail binds port 7 as root on the host before it drops anything and passes
# the socket as fd 3 (LISTEN_FDS=1, LISTEN_PID=<payload pid>), so the server
# itself needs no capability at all and lives in a private network namespace.

[Jail]
# Read-only /usr, nobody/nogroup, private /tmp, @system-service minus the
# privileged groups, EPERM for anything else. Included first, so that what
# follows overrides it.
Include=base-service
Description=TCP echo server on port 7, socket-activated, nobody, no capabilities

# The listening socket, bound in the host's network namespace.
ListenStream=7
# The server itself sees only loopback: it cannot connect anywhere.
PrivateNetwork=yes
Hostname=echo

# Binding port 7 happens in zjail, not in the payload: no capabilities.
CapabilityBoundingSet=
AmbientCapabilities=
