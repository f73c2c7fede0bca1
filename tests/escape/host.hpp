// battery host-setup (host.cpp): the host side of a battery run by hand.
#pragma once

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

namespace zjail_escape {

int host_setup(int argc, char** argv);

// Where a stand-in listener is wanted at `path` (the D-Bus sockets): true if
// nothing is there any more, either because nothing was or because what was
// there is a socket nobody listens on (left by a killed run), now removed.
// False when a live listener, the real one, owns the path.
inline bool clear_stale_socket(const std::string& path) {
  struct stat st{};
  if (lstat(path.c_str(), &st) != 0) return errno == ENOENT;
  if (!S_ISSOCK(st.st_mode)) return false;
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  bool refused = s >= 0 && connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 && errno == ECONNREFUSED;
  if (s >= 0) close(s);
  return refused && unlink(path.c_str()) == 0;
}

}  // namespace zjail_escape
