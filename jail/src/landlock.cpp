#include "zjail/landlock.hpp"

#include <netinet/in.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace zjail {
namespace {

constexpr unsigned kCreateRulesetVersion = 1U << 0;  // LANDLOCK_CREATE_RULESET_VERSION

// What a socket of the host's network namespace, handed into a private
// network, can reach beyond the peers that come to it.
enum class Passed {
  Contained,   // a unix socket: paths resolve in the jail's mount namespace
  Tcp,         // TCP: an accepted connection can be reconnected (connect AF_UNSPEC)
  Datagram,    // UDP: sendto() any address; no kernel rule tells replies apart (documented)
  Uncontained  // anything else (MPTCP, SCTP, raw, netlink, vsock, ...): no rule covers it
};

Passed classify(int fd, std::string& what) {
  int domain = 0, type = 0, protocol = 0;
  socklen_t len = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) return Passed::Contained;  // not a socket
  len = sizeof type;
  getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
  len = sizeof protocol;
  getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len);
  what = "a socket of family " + std::to_string(domain) + ", type " + std::to_string(type) + ", protocol " +
         std::to_string(protocol);
  if (domain == AF_UNIX) return Passed::Contained;
  if (domain != AF_INET && domain != AF_INET6) return Passed::Uncontained;
  // Landlock's TCP rights cover IPPROTO_TCP only: not MPTCP, SCTP or SMC.
  if (type == SOCK_STREAM && protocol == IPPROTO_TCP) return Passed::Tcp;
  if (type == SOCK_DGRAM && (protocol == IPPROTO_UDP || protocol == IPPROTO_UDPLITE)) return Passed::Datagram;
  return Passed::Uncontained;
}

}  // namespace

int landlock_abi() noexcept {
  long v = syscall(SYS_landlock_create_ruleset, nullptr, 0, kCreateRulesetVersion);
  return v > 0 ? static_cast<int>(v) : 0;
}

Result<LandlockPlan> plan_landlock(bool private_network, const std::vector<UniqueFd>& passed, int abi,
                                   std::vector<std::string>& warnings) {
  LandlockPlan plan;
  if (!private_network) return plan;  // the host's network is open anyway
  bool host_tcp = false;
  for (size_t i = 0; i < passed.size(); ++i) {
    std::string what;
    switch (classify(passed[i].get(), what)) {
      case Passed::Contained:
      case Passed::Datagram: break;
      case Passed::Tcp: host_tcp = true; break;
      case Passed::Uncontained:
        return make_error(Step::Plan, EPROTONOSUPPORT,
                          "passed fd " + std::to_string(3 + i) + " is " + what +
                              " of the host's network namespace, which PrivateNetwork=yes cannot confine "
                              "(Landlock covers TCP only): pass TCP, UDP or unix sockets, or set PrivateNetwork=no");
    }
  }
  if (!host_tcp) return plan;
  if (abi < 0) abi = landlock_abi();
  if (abi >= kLandlockNetAbi) {
    plan.handle_connect_tcp = true;  // and no port open
    return plan;
  }
  warnings.push_back(tcp_reconnect_warning(abi));
  return plan;
}

std::string tcp_reconnect_warning(int abi) {
  return "this kernel has no Landlock network rules (Landlock ABI " + std::to_string(abi) +
         ", 4 needed: Linux 6.7): the payload can turn a connection accepted on a passed TCP socket into "
         "one to any address the host reaches, despite PrivateNetwork=yes";
}

namespace {

constexpr int kRulePathBeneath = 1;  // LANDLOCK_RULE_PATH_BENEATH
struct PathBeneathAttr {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));
// What a rule on a file (not a directory) may carry: execute, write, read,
// truncate, ioctl on a device.
constexpr uint64_t kFileRights = (1ULL << 0) | (1ULL << 1) | (1ULL << 2) | (1ULL << 14) | (1ULL << 15);
constexpr uint64_t kWriteFile = 1ULL << 1, kReadFile = 1ULL << 2, kIoctlDev = 1ULL << 15;
constexpr uint64_t kExecRead = (1ULL << 0) | kReadFile;

// A rule on `fd`, whose type `st` says.
int add_rule(int ruleset, int fd, const struct stat& st, uint64_t access, uint64_t handled) {
  if (S_ISLNK(st.st_mode)) return 0;  // a symlink where a rule's path should be: no rule
  if (!S_ISDIR(st.st_mode)) access &= kFileRights;
  PathBeneathAttr a{access & handled, fd};
  if (!a.allowed_access) return 0;
  if (syscall(SYS_landlock_add_rule, ruleset, kRulePathBeneath, &a, 0) == 0) return 0;
  // EBADFD: a file of the kernel's own (a pipe), which Landlock never restricts.
  return errno == EBADFD ? 0 : errno;
}

int add_rule(int ruleset, int fd, uint64_t access, uint64_t handled) {
  struct stat st{};
  if (fstat(fd, &st) < 0) return errno;
  return add_rule(ruleset, fd, st, access, handled);
}

// A rule's path as an O_PATH fd, never through a symlink at its end (nor
// anywhere, with `no_symlinks`); `flags` may add O_DIRECTORY.
int open_rule_path(const char* path, bool no_symlinks, int flags) {
  if (!no_symlinks) return open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC | flags);
  open_how how{};
  how.flags = static_cast<uint64_t>(O_PATH | O_CLOEXEC | flags);
  how.resolve = RESOLVE_NO_SYMLINKS;
  return static_cast<int>(syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how));
}

// The rule of one path. Most are directories: opened with O_DIRECTORY
// first, one that opens needs no fstat to tell its type (a symlink or a
// file fails with ENOTDIR and is opened and judged as before). A device
// the plan names is opened the other way round. A path that does not open
// is skipped where it is missing or out of the payload's reach anyway.
int add_path_rule(int ruleset, const LandlockPathRule& rule, bool no_symlinks, uint64_t handled) {
  int p = rule.file ? -1 : open_rule_path(rule.path.c_str(), no_symlinks, O_DIRECTORY);
  if (p >= 0) {
    struct stat dir{};
    dir.st_mode = S_IFDIR;
    int err = add_rule(ruleset, p, dir, rule.access, handled);
    close(p);
    return err;
  }
  if (!rule.file && errno != ENOTDIR) return errno == ENOENT || errno == EACCES ? 0 : errno;
  p = open_rule_path(rule.path.c_str(), no_symlinks, 0);
  if (p < 0) return errno == ENOENT || errno == EACCES ? 0 : errno;
  int err = add_rule(ruleset, p, rule.access, handled);
  close(p);
  return err;
}

constexpr int kRuleNetPort = 2;  // LANDLOCK_RULE_NET_PORT
struct NetPortAttr {
  uint64_t allowed_access;
  uint64_t port;
} __attribute__((packed));

int add_port_rules(int ruleset, const std::vector<uint16_t>& ports, uint64_t access) {
  for (uint16_t port : ports) {
    NetPortAttr a{access, port};
    if (syscall(SYS_landlock_add_rule, ruleset, kRuleNetPort, &a, 0) != 0) return errno;
  }
  return 0;
}

}  // namespace

int apply_landlock(const LandlockPlan& plan, int exec_fd) noexcept {
  uint64_t net = (plan.handle_bind_tcp ? kLandlockNetBindTcp : 0) | (plan.handle_connect_tcp ? kLandlockNetConnectTcp : 0);
  if (!plan.handled_fs && !net && !plan.scoped) return 0;
  // Fields a kernel does not know must be zero; the plan holds only what it has.
  LandlockRulesetAttr attr{plan.handled_fs, net, plan.scoped};
  long ruleset = syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (ruleset < 0) return errno;
  int fd = static_cast<int>(ruleset);
  int err = 0;
  if (plan.handle_bind_tcp) err = add_port_rules(fd, plan.bind_ports, kLandlockNetBindTcp);
  if (!err && plan.handle_connect_tcp) err = add_port_rules(fd, plan.connect_ports, kLandlockNetConnectTcp);
  for (const auto& rule : plan.paths) {
    if (err) break;
    err = add_path_rule(fd, rule, plan.no_symlinks, plan.handled_fs);
  }
  if (!err && plan.handled_fs) {
    // The command, opened before the mounts where the jail may not show it.
    if (plan.exec_rule && exec_fd >= 0) err = add_rule(fd, exec_fd, kExecRead, plan.handled_fs);
    // Standard streams the payload may reopen (/dev/stdin, /proc/self/fd/1):
    // the same files, wherever they are, with the access the stream has
    // already (a read-only stdin on a device is no way to write to it).
    for (int i = 0; i <= 2 && !err; ++i) {
      struct stat st{};
      int mode = fcntl(i, F_GETFL);
      if (mode < 0 || fstat(i, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)))
        continue;
      mode &= O_ACCMODE;
      uint64_t access = (mode != O_WRONLY ? kReadFile : 0) | (mode != O_RDONLY ? kWriteFile : 0) |
                        (S_ISCHR(st.st_mode) ? kIoctlDev : 0);
      err = add_rule(fd, i, st, access, plan.handled_fs);
    }
  }
  if (!err && syscall(SYS_landlock_restrict_self, fd, 0) < 0) err = errno;
  close(fd);
  return err;
}

}  // namespace zjail
