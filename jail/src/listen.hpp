// The address syntax of ListenStream=/ListenDatagram=, shared by the
// directive parser (validation) and the planner (binding).
#pragma once

#include <sys/socket.h>

#include <string>

#include "zjail/profile.hpp"

namespace zjail {

struct ListenAddress {
  sockaddr_storage ss{};
  socklen_t len = 0;
  bool dual_stack = false;  // bare port: [::] accepting IPv4 too, as systemd does
};

// "PORT", "ADDR:PORT", "[ADDR6]:PORT" or an absolute unix socket path.
bool parse_listen_address(const std::string& spec, ListenAddress& out);

// ListenViaBind=yes and `spec` an IPv4 or IPv6 address: the socket goes to
// the payload's bind() (Plan::bind_sockets), not to LISTEN_FDS. Unix
// sockets are always passed.
bool via_bind(const Profile& p, const std::string& spec);

}  // namespace zjail
