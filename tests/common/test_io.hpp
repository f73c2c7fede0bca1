// Small I/O helpers the test binaries share. Header-only: the probes are
// linked statically and carry no library of their own.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
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

// A one-byte message with room for one fd (SCM_RIGHTS), for send_fd() and
// recv_fd(). Not to be copied: `m` points into it.
struct FdMessage {
  char byte = 'x';
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  iovec iov{&byte, 1};
  msghdr m{};
  FdMessage() {
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
  }
  FdMessage(const FdMessage&) = delete;
  FdMessage& operator=(const FdMessage&) = delete;
};

// One fd over a unix socket, with one byte of data.
inline bool send_fd(int sock, int fd) {
  FdMessage msg;
  cmsghdr* c = CMSG_FIRSTHDR(&msg.m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  return sendmsg(sock, &msg.m, MSG_NOSIGNAL) == 1;
}

// The fd send_fd() sent, or -1 with errno (EPROTO: a message without one).
inline int recv_fd(int sock) {
  FdMessage msg;
  if (recvmsg(sock, &msg.m, MSG_CMSG_CLOEXEC) <= 0) return -1;
  cmsghdr* c = CMSG_FIRSTHDR(&msg.m);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
    errno = EPROTO;
    return -1;
  }
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

}  // namespace zjail_test_io
