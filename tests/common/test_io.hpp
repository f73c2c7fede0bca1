// Small I/O helpers the test binaries share. Header-only: the probes are
// linked statically and carry no library of their own.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

namespace zjail_test_io {

// Everything left to read on `fd` (retrying EINTR), which it then closes.
inline std::string read_to_eof(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

// 127.0.0.1:port.
inline sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// close() that leaves errno as the call before it set it.
inline void close_keeping_errno(int fd) {
  int e = errno;
  close(fd);
  errno = e;
}

}  // namespace zjail_test_io
