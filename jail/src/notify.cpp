#include "zjail/notify.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstddef>
#include <cstdint>
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

// --- The allow-list --------------------------------------------------------------

bool is_decimal(std::string_view v, uint64_t max) {
  if (v.empty() || v.size() > 20) return false;
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  return ec == std::errc() && end == v.data() + v.size() && n <= max;
}

// No C0 or C1 control character (UTF-8 U+0080..U+009F is C2 80..C2 9F):
// `systemctl status` prints the text to an admin's terminal as it is.
bool is_status_text(std::string_view v) {
  for (size_t i = 0; i < v.size(); ++i) {
    auto c = static_cast<unsigned char>(v[i]);
    if (c < 0x20 || c == 0x7f) return false;
    if (c == 0xc2 && i + 1 < v.size() && static_cast<unsigned char>(v[i + 1]) < 0xa0) return false;
  }
  return true;
}

// A D-Bus error name's characters ("org.example.Error.Failed").
bool is_bus_error(std::string_view v) {
  if (v.empty() || v.size() > 255) return false;
  for (char c : v)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return false;
  return true;
}

bool allowed(std::string_view line) {
  for (std::string_view exact : {"READY=1", "RELOADING=1", "STOPPING=1", "WATCHDOG=1", "WATCHDOG=trigger"})
    if (line == exact) return true;
  struct Valued {
    std::string_view key;
    bool (*ok)(std::string_view);
  };
  static constexpr Valued kValued[] = {
      {"STATUS=", is_status_text},
      {"ERRNO=", [](std::string_view v) { return is_decimal(v, 4095); }},  // systemd's ERRNO_MAX
      {"BUSERROR=", is_bus_error},
      {"WATCHDOG_USEC=", [](std::string_view v) { return is_decimal(v, UINT64_MAX); }},
      {"EXTEND_TIMEOUT_USEC=", [](std::string_view v) { return is_decimal(v, UINT64_MAX); }},
      {"MONOTONIC_USEC=", [](std::string_view v) { return is_decimal(v, UINT64_MAX); }},
  };
  for (const auto& k : kValued)
    if (line.starts_with(k.key)) return k.ok(line.substr(k.key.size()));
  return false;
}

// --- Run-directory entries -----------------------------------------------------------

// "notify-<pid>-<n>" -> pid; 0 if the name is not one of ours.
pid_t entry_pid(std::string_view name) {
  if (!name.starts_with("notify-")) return 0;
  name.remove_prefix(7);
  size_t dash = name.find('-');
  if (dash == std::string_view::npos || !is_decimal(name.substr(dash + 1), UINT32_MAX)) return 0;
  int pid = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + dash, pid);
  return ec == std::errc() && end == name.data() + dash && pid > 0 ? pid : 0;
}

// The directory's lock, held by its zjail (and the jail's init, which shares
// the open file) until both are gone, whatever pid namespace they are in.
UniqueFd lock_dir(int at, const char* name) {
  UniqueFd fd(openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd && flock(fd.get(), LOCK_EX | LOCK_NB) < 0) fd.reset();
  return fd;
}

}  // namespace

void NotifyRelay::remove_stale(const std::string& run_dir) {
  UniqueFd dir(open(run_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) return;
  int scan_fd = dup(dir.get());
  DIR* scan = scan_fd >= 0 ? fdopendir(scan_fd) : nullptr;
  if (!scan) {
    if (scan_fd >= 0) close(scan_fd);
    return;
  }
  while (dirent* e = readdir(scan)) {
    pid_t pid = entry_pid(e->d_name);
    // A pid that answers may be a reused one; the entry then waits for a
    // later start rather than risk a live jail's socket.
    if (pid <= 0 || pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH) continue;
    struct stat st{};
    if (fstatat(dir.get(), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode) ||
        st.st_uid != geteuid())
      continue;
    UniqueFd sub = lock_dir(dir.get(), e->d_name);
    struct stat opened{};
    if (!sub || fstat(sub.get(), &opened) != 0 || opened.st_ino != st.st_ino || opened.st_dev != st.st_dev)
      continue;
    // Only the socket zjail made; anything else keeps the directory (rmdir fails).
    if (fstatat(sub.get(), "notify", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode))
      unlinkat(sub.get(), "notify", 0);
    unlinkat(dir.get(), e->d_name, AT_REMOVEDIR);
  }
  closedir(scan);
}

Result<NotifyRelay> NotifyRelay::create(const std::string& run_dir, const std::string& upstream, bool any_user) {
  NotifyRelay r;
  r.upstream_ = upstream;
  if (any_user) {
    // Listable by no one, or the secret name is none.
    struct stat st{};
    mkdir(run_dir.substr(0, run_dir.rfind('/')).c_str(), 0755);
    if (mkdir(run_dir.c_str(), 0711) != 0 && errno != EEXIST) return make_error(Step::Plan, errno, run_dir);
    if (lstat(run_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 0777) != 0711)
      return make_error(Step::Plan, EPERM, "notify directory " + run_dir + ": not zjail's own, mode 0711");
  } else {
    mkdir(run_dir.c_str(), 0755);
  }
  remove_stale(run_dir);
  std::random_device rd;
  for (int attempt = 0; attempt < 16 && r.dir_.empty(); ++attempt) {
    std::string name = "notify-" + std::to_string(getpid()) + "-" + std::to_string(rd());
    if (any_user) name += std::to_string(rd());
    std::string dir = run_dir + "/" + name;
    if (mkdir(dir.c_str(), any_user ? 0711 : 0700) != 0) {
      if (errno != EEXIST) return make_error(Step::Plan, errno, "notify directory " + dir);
      continue;
    }
    // Locked before anything goes in. A cleaner that saw our pid as dead (a
    // zjail in another pid namespace) and won the lock removed the
    // directory: it is then no longer the one at that name, and we try anew.
    UniqueFd lock = lock_dir(AT_FDCWD, dir.c_str());
    struct stat held{}, named{};
    if (any_user && chmod(dir.c_str(), 0711) != 0) return make_error(Step::Plan, errno, "chmod " + dir);
    if (!lock || fstat(lock.get(), &held) != 0 || stat(dir.c_str(), &named) != 0 ||
        held.st_ino != named.st_ino || held.st_dev != named.st_dev)
      continue;
    r.dir_ = dir;
    r.lock_ = std::move(lock);
  }
  if (r.dir_.empty()) return make_error(Step::Plan, EEXIST, "notify directory in " + run_dir);
  r.path_ = r.dir_ + "/notify";
  r.fd_.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!r.fd_) return make_error(Step::Plan, errno, "notify socket");
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
    : fd_(std::move(o.fd_)), out_(std::move(o.out_)), lock_(std::move(o.lock_)), received_(o.received_),
      queue_(std::move(o.queue_)), path_(std::move(o.path_)), dir_(std::move(o.dir_)),
      upstream_(std::move(o.upstream_)) {
  o.path_.clear();
  o.dir_.clear();
}

NotifyRelay& NotifyRelay::operator=(NotifyRelay&& o) noexcept {
  if (this != &o) {
    cleanup();
    fd_ = std::move(o.fd_);
    out_ = std::move(o.out_);
    lock_ = std::move(o.lock_);
    received_ = o.received_;
    queue_ = std::move(o.queue_);
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
  lock_.reset();
}

std::string NotifyRelay::filter(std::string_view msg) {
  if (msg.size() > kMaxMessage) return {};
  // systemd takes one trailing NUL and refuses any other; it splits lines on
  // '\r' as well as '\n', so a '\r' could smuggle a line past any check
  // made here on '\n' alone: such a message is not relayed at all.
  if (!msg.empty() && msg.back() == '\0') msg.remove_suffix(1);
  if (msg.find_first_of(std::string_view("\0\r", 2)) != std::string_view::npos) return {};
  std::string out;
  while (!msg.empty()) {
    size_t nl = msg.find('\n');
    std::string_view line = msg.substr(0, nl);
    msg = nl == std::string_view::npos ? std::string_view() : msg.substr(nl + 1);
    if (!allowed(line)) continue;
    if (!out.empty()) out += '\n';  // never longer than what came in
    out += line;
  }
  return out;
}

bool NotifyRelay::connect_upstream() {
  out_.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  sockaddr_un sa;
  socklen_t len;
  // Connected, so that poll() says when a full receiver has room again.
  if (!out_ || !make_address(upstream_, sa, len) ||
      connect(out_.get(), reinterpret_cast<sockaddr*>(&sa), len) < 0) {
    out_.reset();
    return false;
  }
  return true;
}

void NotifyRelay::flush() {
  bool reconnected = false;
  while (!queue_.empty()) {
    if (!out_ && !connect_upstream()) {
      queue_.clear();  // nobody listens: nothing to wait for
      return;
    }
    const std::string& msg = queue_.front();
    if (send(out_.get(), msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT) >= 0) {
      queue_.erase(queue_.begin());
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return;  // full: poll for POLLOUT
    // The receiver went away (ECONNREFUSED) or was replaced: one new
    // connection per round, then the message is dropped.
    out_.reset();
    if (!std::exchange(reconnected, true)) continue;
    queue_.erase(queue_.begin());
  }
}

void NotifyRelay::relay() {
  flush();
  char buf[kMaxMessage + 1];
  // A bounded batch: a payload that never stops sending must not keep the
  // supervisor from its signals.
  for (int batch = 0; batch < 64 && wants_input(); ++batch) {
    // Without a control buffer the kernel discards any fds sent along, so
    // nothing from the jail can reach the file-descriptor store. MSG_TRUNC
    // gives a datagram's real length, so an oversized one is seen whole.
    ssize_t n = recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (static_cast<size_t>(n) > kMaxMessage) continue;
    ++received_;
    std::string msg = filter(std::string_view(buf, static_cast<size_t>(n)));
    if (msg.empty()) continue;
    queue_.push_back(std::move(msg));
    flush();
  }
}

}  // namespace zjail
