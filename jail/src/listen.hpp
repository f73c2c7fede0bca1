// The address syntax of ListenStream=/ListenDatagram=, shared by the
// directive parser (validation) and the planner (binding).
#pragma once

#include <sys/socket.h>

#include <string>

namespace zjail {

struct ListenAddress {
  sockaddr_storage ss{};
  socklen_t len = 0;
  bool dual_stack = false;  // bare port: [::] accepting IPv4 too, as systemd does
};

// "PORT", "ADDR:PORT", "[ADDR6]:PORT" or an absolute unix socket path.
bool parse_listen_address(const std::string& spec, ListenAddress& out);

}  // namespace zjail
