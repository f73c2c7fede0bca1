// A host process that hands a directory fd to whoever connects to a unix
// socket (SCM_RIGHTS): the attack Landlock's path rules answer, where a
// mount namespace cannot, since the fd comes from outside the jail.
#pragma once

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

#include "test_io.hpp"

namespace zjail_test_io {

class DirFdHandout {
 public:
  // Listens at `socket_path` (mode 0666) and sends an fd of directory `dir`
  // to every connection until destroyed.
  DirFdHandout(const std::string& socket_path, const std::string& dir) : path_(socket_path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (fd_ < 0 || path_.size() >= sizeof a.sun_path) {
      close_listener();
      return;
    }
    std::memcpy(a.sun_path, path_.data(), path_.size());
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (!bound_ || listen(fd_, 8) < 0) {
      close_listener();
      return;
    }
    chmod(path_.c_str(), 0666);
    thread_ = std::thread([fd = fd_, dir] {
      for (int c; (c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0; close(c)) {
        int d = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d >= 0) send_fd(c, d);
        if (d >= 0) close(d);
      }
    });
  }
  ~DirFdHandout() {
    if (fd_ >= 0) shutdown(fd_, SHUT_RDWR);  // ends the accept loop
    if (thread_.joinable()) thread_.join();
    close_listener();
    if (bound_) unlink(path_.c_str());
  }
  DirFdHandout(const DirFdHandout&) = delete;
  DirFdHandout& operator=(const DirFdHandout&) = delete;
  bool ok() const { return fd_ >= 0; }

 private:
  void close_listener() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;  // the socket file is ours to remove
  std::thread thread_;
};

}  // namespace zjail_test_io
