#include "zjail/notify.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <random>

namespace zjail {
namespace {

bool make_address(const std::string& path, sockaddr_un& sa, socklen_t& len) {
  sa = {};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path || path.empty()) return false;
  std::memcpy(sa.sun_path, path.data(), path.size());
  if (sa.sun_path[0] == '@') sa.sun_path[0] = '\0';  // abstract namespace
  len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (path[0] == '@' ? 0 : 1));
  return true;
}

}  // namespace

Result<NotifyRelay> NotifyRelay::create(const std::string& run_dir, const std::string& upstream) {
  NotifyRelay r;
  r.upstream_ = upstream;
  mkdir(run_dir.c_str(), 0755);
  std::random_device rd;
  for (int attempt = 0; attempt < 16 && r.dir_.empty(); ++attempt) {
    std::string dir = run_dir + "/notify-" + std::to_string(getpid()) + "-" + std::to_string(rd());
    if (mkdir(dir.c_str(), 0700) == 0) r.dir_ = dir;
    else if (errno != EEXIST) return make_error(Step::Plan, errno, "notify directory " + dir);
  }
  if (r.dir_.empty()) return make_error(Step::Plan, EEXIST, "notify directory in " + run_dir);
  r.path_ = r.dir_ + "/notify";
  r.fd_.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  r.out_.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!r.fd_ || !r.out_) return make_error(Step::Plan, errno, "notify socket");
  sockaddr_un sa;
  socklen_t len;
  if (!make_address(r.path_, sa, len)) return make_error(Step::Plan, ENAMETOOLONG, r.path_);
  if (bind(r.fd_.get(), reinterpret_cast<sockaddr*>(&sa), len) < 0)
    return make_error(Step::Plan, errno, "bind " + r.path_);
  // Whoever the payload runs as may send; only the jail can see the socket.
  if (chmod(r.path_.c_str(), 0666) < 0) return make_error(Step::Plan, errno, "chmod " + r.path_);
  return r;
}

NotifyRelay::NotifyRelay(NotifyRelay&& o) noexcept
    : fd_(std::move(o.fd_)), out_(std::move(o.out_)), path_(std::move(o.path_)),
      dir_(std::move(o.dir_)), upstream_(std::move(o.upstream_)) {
  o.path_.clear();
  o.dir_.clear();
}

NotifyRelay& NotifyRelay::operator=(NotifyRelay&& o) noexcept {
  if (this != &o) {
    cleanup();
    fd_ = std::move(o.fd_);
    out_ = std::move(o.out_);
    path_ = std::move(o.path_);
    dir_ = std::move(o.dir_);
    upstream_ = std::move(o.upstream_);
    o.path_.clear();
    o.dir_.clear();
  }
  return *this;
}

NotifyRelay::~NotifyRelay() { cleanup(); }

void NotifyRelay::cleanup() noexcept {
  if (!path_.empty()) unlink(path_.c_str());
  if (!dir_.empty()) rmdir(dir_.c_str());
  path_.clear();
  dir_.clear();
}

std::string NotifyRelay::filter(std::string_view msg) {
  std::string out;
  while (!msg.empty()) {
    size_t nl = msg.find('\n');
    std::string_view line = msg.substr(0, nl);
    msg = nl == std::string_view::npos ? std::string_view() : msg.substr(nl + 1);
    if (line.empty() || line.starts_with("MAINPID=") || line.starts_with("FDSTORE=") ||
        line.starts_with("FDSTOREREMOVE=") || line.starts_with("FDNAME="))
      continue;
    out += line;
    out += '\n';
  }
  return out;
}

void NotifyRelay::relay() {
  char buf[4096];
  for (;;) {
    // Without a control buffer the kernel discards any fds sent along, so
    // nothing from the jail can reach the file-descriptor store.
    ssize_t n = recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) return;
    std::string msg = filter(std::string_view(buf, static_cast<size_t>(n)));
    if (msg.empty()) continue;
    sockaddr_un sa;
    socklen_t len;
    if (!make_address(upstream_, sa, len)) return;
    sendto(out_.get(), msg.data(), msg.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sa), len);
  }
}

}  // namespace zjail
