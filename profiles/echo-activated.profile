# echo-activated: the echo profile for units/zjail-echo-activated.socket.
# systemd binds port 7 and zjail passes the socket through, so this profile
# binds nothing itself.

[Jail]
Include=echo
Description=TCP echo server, socket-activated by systemd, nobody, no capabilities
ListenStream=
