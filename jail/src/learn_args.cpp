// Learn mode: reading a watched call's arguments (learn_args.hpp).
#include "learn_args.hpp"

#include <arpa/inet.h>
#include <elf.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string_view>

#include "task_view.hpp"
#include "zjail/fd.hpp"
#include "zjail/learn.hpp"

namespace zjail::learn {

std::string normalize(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream in(path);
  for (std::string part; std::getline(in, part, '/');) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

std::string TaskFiles::link(const std::string& name) const {
  char buf[4096];
  std::string proc = "/proc/" + std::to_string(tid_) + "/" + name;
  ssize_t n = readlink(proc.c_str(), buf, sizeof buf);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof buf) return "";
  return std::string(buf, static_cast<size_t>(n));
}

std::string TaskFiles::fd_path(int fd) const {
  std::string p = link("fd/" + std::to_string(fd));
  // "socket:[123]", "pipe:[4]", "anon_inode:[eventfd]": not files.
  if (p.empty() || p[0] != '/') return "";
  if (p.ends_with(" (deleted)")) p.resize(p.size() - 10);
  return p;
}

std::string TaskFiles::absolute(int dirfd, const std::string& path) const {
  if (path.empty()) return "";
  if (path[0] == '/') return normalize(path);
  std::string base = dirfd == AT_FDCWD ? link("cwd") : fd_path(dirfd);
  if (base.empty() || base[0] != '/') return "";
  return normalize(base + "/" + path);
}

int TaskFiles::open_in_root(const std::string& abs, bool follow, UniqueFd& out, int flags) const {
  std::string root = "/proc/" + std::to_string(tid_) + "/root";
  UniqueFd rootfd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd) return errno;
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  std::string rel = abs.size() > 1 ? abs.substr(1) : ".";
  out.reset(static_cast<int>(syscall(SYS_openat2, rootfd.get(), rel.c_str(), &how, sizeof how)));
  return out ? 0 : errno;
}

int TaskFiles::lookup(const std::string& abs, bool* directory) const {
  UniqueFd fd;
  if (int err = open_in_root(abs, true, fd)) return err;
  struct stat st{};
  if (directory && fstat(fd.get(), &st) == 0) *directory = S_ISDIR(st.st_mode);
  return 0;
}

int TaskFiles::stat(const std::string& abs, bool follow, struct stat& st, bool* read_only) const {
  UniqueFd fd;
  if (int err = open_in_root(abs, follow, fd)) return err;
  struct statfs fs{};
  if (read_only) *read_only = fstatfs(fd.get(), &fs) == 0 && (fs.f_flags & ST_RDONLY);
  return fstat(fd.get(), &st) == 0 ? 0 : errno;
}

std::string TaskFiles::resolve(const std::string& abs) const {
  std::vector<std::string> todo;  // the components still to walk, last first
  std::stringstream in(abs);
  for (std::string part; std::getline(in, part, '/');)
    if (!part.empty()) todo.insert(todo.begin(), part);
  std::string done;
  for (int links = 0; !todo.empty();) {
    std::string part = todo.back();
    todo.pop_back();
    if (part == ".") continue;
    if (part == "..") {
      done = done.substr(0, done.rfind('/'));
      continue;
    }
    std::string next = done + "/" + part;
    UniqueFd fd;
    if (open_in_root(next, false, fd) != 0) {  // missing from here on
      done = next;
      for (auto it = todo.rbegin(); it != todo.rend(); ++it) done += "/" + *it;
      return normalize(done);
    }
    char buf[4096];
    ssize_t n = readlinkat(fd.get(), "", buf, sizeof buf);
    if (n <= 0 || ++links > 40) {
      done = next;
      continue;
    }
    std::string target(buf, static_cast<size_t>(n));
    if (target[0] == '/') done.clear();
    std::stringstream t(target);
    std::vector<std::string> parts;
    for (std::string x; std::getline(t, x, '/');)
      if (!x.empty()) parts.push_back(x);
    todo.insert(todo.end(), parts.rbegin(), parts.rend());
  }
  return done.empty() ? "/" : done;
}

std::string TaskFiles::read(const std::string& abs) const {
  UniqueFd fd;
  if (open_in_root(abs, true, fd, O_RDONLY | O_NOCTTY | O_NONBLOCK) != 0) return "";
  char buf[4096];
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

std::string exec_interpreter(const std::string& file) {
  UniqueFd fd(open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return "";
  Elf64_Ehdr eh{};
  ssize_t n = pread(fd.get(), &eh, sizeof eh, 0);
  if (n >= 2 && reinterpret_cast<const char*>(&eh)[0] == '#' && reinterpret_cast<const char*>(&eh)[1] == '!') {
    char line[256] = {};
    ssize_t got = pread(fd.get(), line, sizeof line - 1, 2);
    if (got <= 0) return "";
    std::string l(line, static_cast<size_t>(got));
    l = l.substr(0, l.find('\n'));
    size_t b = l.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    size_t e = l.find_first_of(" \t", b);
    return l.substr(b, e == std::string::npos ? std::string::npos : e - b);
  }
  if (n != sizeof eh || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_phentsize != sizeof(Elf64_Phdr))
    return "";
  for (unsigned i = 0; i < eh.e_phnum && i < 64; ++i) {
    Elf64_Phdr ph{};
    if (pread(fd.get(), &ph, sizeof ph, static_cast<off_t>(eh.e_phoff + i * sizeof ph)) != sizeof ph) return "";
    if (ph.p_type != PT_INTERP || ph.p_filesz == 0 || ph.p_filesz > 4096) continue;
    std::string interp(ph.p_filesz, '\0');
    if (pread(fd.get(), interp.data(), interp.size(), static_cast<off_t>(ph.p_offset)) != static_cast<ssize_t>(interp.size()))
      return "";
    return std::string(interp.c_str());
  }
  return "";
}

namespace {

constexpr PathArg kNone{-1, -1, 0};
constexpr PathCall kPathCalls[] = {
    {"open", {{0, -1, 0}, kNone}, PathFlags::Open},
    {"openat", {{1, 0, 0}, kNone}, PathFlags::Open},
    {"openat2", {{1, 0, 0}, kNone}, PathFlags::OpenHow},
    {"creat", {{0, -1, kWrite | kCreate}, kNone}, PathFlags::Creat},
    {"execve", {{0, -1, kExec}, kNone}, PathFlags::None},
    {"execveat", {{1, 0, kExec}, kNone}, PathFlags::EmptyPathOk},
    {"stat", {{0, -1, kRead}, kNone}, PathFlags::None},
    {"lstat", {{0, -1, kRead}, kNone}, PathFlags::None},
    {"newfstatat", {{1, 0, kRead}, kNone}, PathFlags::EmptyPathOk},
    {"statx", {{1, 0, kRead}, kNone}, PathFlags::EmptyPathOk},
    {"access", {{0, -1, kRead}, kNone}, PathFlags::AccessMode},
    {"faccessat", {{1, 0, kRead}, kNone}, PathFlags::AccessMode},
    {"faccessat2", {{1, 0, kRead}, kNone}, PathFlags::AccessMode},
    {"readlink", {{0, -1, kRead}, kNone}, PathFlags::None},
    {"readlinkat", {{1, 0, kRead}, kNone}, PathFlags::None},
    {"mkdir", {{0, -1, kCreate}, kNone}, PathFlags::Directory},
    {"mkdirat", {{1, 0, kCreate}, kNone}, PathFlags::Directory},
    {"rmdir", {{0, -1, kRemove}, kNone}, PathFlags::Directory},
    {"unlink", {{0, -1, kRemove}, kNone}, PathFlags::None},
    {"unlinkat", {{1, 0, kRemove}, kNone}, PathFlags::Unlinkat},
    {"rename", {{0, -1, kRemove}, {1, -1, kCreate}}, PathFlags::None},
    {"renameat", {{1, 0, kRemove}, {3, 2, kCreate}}, PathFlags::None},
    {"renameat2", {{1, 0, kRemove}, {3, 2, kCreate}}, PathFlags::None},
    {"link", {{0, -1, kRead}, {1, -1, kCreate}}, PathFlags::None},
    {"linkat", {{1, 0, kRead}, {3, 2, kCreate}}, PathFlags::None},
    {"symlink", {{1, -1, kCreate}, kNone}, PathFlags::None},
    {"symlinkat", {{2, 1, kCreate}, kNone}, PathFlags::None},
    {"chmod", {{0, -1, kWrite}, kNone}, PathFlags::None},
    {"fchmodat", {{1, 0, kWrite}, kNone}, PathFlags::None},
    {"fchmodat2", {{1, 0, kWrite}, kNone}, PathFlags::EmptyPathOk},
    {"chown", {{0, -1, kWrite}, kNone}, PathFlags::None},
    {"lchown", {{0, -1, kWrite}, kNone}, PathFlags::None},
    {"fchownat", {{1, 0, kWrite}, kNone}, PathFlags::EmptyPathOk},
    {"truncate", {{0, -1, kWrite}, kNone}, PathFlags::None},
    {"mknod", {{0, -1, kCreate}, kNone}, PathFlags::None},
    {"mknodat", {{1, 0, kCreate}, kNone}, PathFlags::None},
    {"chdir", {{0, -1, kRead}, kNone}, PathFlags::Directory},
    {"chroot", {{0, -1, kRead}, kNone}, PathFlags::Directory},
    {"utimensat", {{1, 0, kWrite}, kNone}, PathFlags::EmptyPathOk},
    {"inotify_add_watch", {{1, -1, kRead}, kNone}, PathFlags::None},
    {"statfs", {{0, -1, kRead}, kNone}, PathFlags::None},
    {"swapon", {{0, -1, kRead | kWrite}, kNone}, PathFlags::None},
    {"acct", {{0, -1, kWrite}, kNone}, PathFlags::None},
};

}  // namespace

const PathCall* path_call(const std::string& name) {
  for (const auto& c : kPathCalls)
    if (name == c.name) return &c;
  return nullptr;
}

unsigned open_access(uint64_t flags) {
  unsigned a = 0;
  switch (flags & O_ACCMODE) {
    case O_RDONLY: a = kRead; break;
    case O_WRONLY: a = kWrite; break;
    default: a = kRead | kWrite; break;
  }
  if (flags & O_PATH) a = kRead;
  if (flags & (O_TRUNC | O_APPEND)) a |= kWrite;
  if (flags & O_CREAT) a |= kCreate;
  if ((flags & O_DIRECTORY) && (a & kRead) && !(flags & O_PATH)) a |= kList;
  return a;
}


bool TaskCreds::in_group(gid_t g) const {
  return g == egid || g == fsgid || std::find(groups.begin(), groups.end(), g) != groups.end();
}

TaskCreds task_creds(pid_t tid) {
  TaskCreds c;
  std::string s = read_small("/proc/" + std::to_string(tid) + "/status");
  auto line = [&](const char* key) -> std::string {
    size_t p = s.find(std::string("\n") + key);
    if (p == std::string::npos) return "";
    size_t b = p + 1 + std::strlen(key), e = s.find('\n', b);
    return s.substr(b, e == std::string::npos ? std::string::npos : e - b);
  };
  std::istringstream u(line("Uid:")), g(line("Gid:")), gs(line("Groups:"));
  u >> c.ruid >> c.euid >> c.suid >> c.fsuid;
  g >> c.rgid >> c.egid >> c.sgid >> c.fsgid;
  for (gid_t x; gs >> x;) c.groups.push_back(x);
  c.cap_effective = std::strtoull(line("CapEff:").c_str(), nullptr, 16);
  return c;
}

SocketAddress read_sockaddr(pid_t tid, uint64_t addr, uint64_t len) {
  SocketAddress out;
  sockaddr_storage ss{};
  if (len < sizeof(sa_family_t) || len > sizeof ss) return out;
  if (!read_memory(tid, addr, &ss, static_cast<size_t>(len))) return out;
  out.family = ss.ss_family;
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    out.port = ntohs(in->sin_port);
    out.text = std::string(buf) + ":" + std::to_string(out.port);
  } else if (ss.ss_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    out.port = ntohs(in6->sin6_port);
    out.text = "[" + std::string(buf) + "]:" + std::to_string(out.port);
  } else if (ss.ss_family == AF_UNIX) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(&ss);
    size_t n = static_cast<size_t>(len) - offsetof(sockaddr_un, sun_path);
    if (n == 0) return out;  // autobind
    if (un->sun_path[0] == '\0') {
      out.text = "@" + std::string(un->sun_path + 1, strnlen(un->sun_path + 1, n - 1));
    } else {
      out.unix_path = std::string(un->sun_path, strnlen(un->sun_path, n));
      out.text = out.unix_path;
    }
  }
  return out;
}

namespace {

// sockfs names each socket's inode after its protocol (the kernel's
// struct proto .name), which tells the family and, but for UNIX, the type.
struct Protocol {
  const char* name;
  int family;
  int type;
  int number;  // SO_PROTOCOL's
};
constexpr Protocol kProtocols[] = {
    {"TCP", AF_INET, SOCK_STREAM, IPPROTO_TCP},        {"TCPv6", AF_INET6, SOCK_STREAM, IPPROTO_TCP},
    {"MPTCP", AF_INET, SOCK_STREAM, IPPROTO_MPTCP},    {"MPTCPv6", AF_INET6, SOCK_STREAM, IPPROTO_MPTCP},
    {"UDP", AF_INET, SOCK_DGRAM, IPPROTO_UDP},         {"UDPv6", AF_INET6, SOCK_DGRAM, IPPROTO_UDP},
    {"UDP-Lite", AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE}, {"UDPLITEv6", AF_INET6, SOCK_DGRAM, IPPROTO_UDPLITE},
    {"PING", AF_INET, SOCK_DGRAM, -1},                 {"PINGv6", AF_INET6, SOCK_DGRAM, -1},
    {"RAW", AF_INET, SOCK_RAW, -1},                    {"RAWv6", AF_INET6, SOCK_RAW, -1},
    {"UNIX-STREAM", AF_UNIX, SOCK_STREAM, -1},         {"UNIX", AF_UNIX, -1, -1},
};

// The protocol of the task's fd `fd`, read as the "system.sockprotoname"
// attribute of the socket's inode, which an O_PATH open of its /proc link
// reaches without opening the socket. No copy of the socket (pidfd_getfd):
// if the payload dropped its own meanwhile, zjail's close of the copy would
// be the last, and the last close of a lingering TCP socket (SO_LINGER,
// data its peer does not read) waits without end: the supervisor would
// hang. The type comes from the inode's cached attributes, so a file that
// is not a socket (on FUSE, say) is not asked.
const Protocol* socket_protocol(pid_t tgid, int fd) {
  std::string link = "/proc/" + std::to_string(tgid) + "/fd/" + std::to_string(fd);
  UniqueFd path(open(link.c_str(), O_PATH | O_CLOEXEC));
  struct statx sx{};
  if (!path || statx(path.get(), "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE, &sx) != 0 ||
      !S_ISSOCK(sx.stx_mode))
    return nullptr;
  char name[32];
  std::string self = "/proc/self/fd/" + std::to_string(path.get());
  ssize_t n = getxattr(self.c_str(), "system.sockprotoname", name, sizeof name - 1);
  if (n <= 0) return nullptr;
  std::string_view got(name, strnlen(name, static_cast<size_t>(n)));
  for (const Protocol& p : kProtocols)
    if (got == p.name) return &p;
  return nullptr;
}

}  // namespace

int socket_type(pid_t tgid, int fd) {
  const Protocol* p = socket_protocol(tgid, fd);
  return p ? p->type : -1;
}

int socket_domain(pid_t tgid, int fd) {
  const Protocol* p = socket_protocol(tgid, fd);
  return p ? p->family : -1;
}

// IPV6_V6ONLY needs the socket itself: a copy, read at bind(), when the
// socket is still unbound and so holds no data a close could linger on
// (a thread connecting it in between could; learning observes a payload,
// it does not defend against it, and the native jail gives it root).
int socket_v6only(pid_t tgid, int fd) {
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, tgid, 0)));
  if (!pidfd) return -1;
  UniqueFd copy(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
  int value = -1;
  socklen_t len = sizeof value;
  if (!copy || getsockopt(copy.get(), IPPROTO_IPV6, IPV6_V6ONLY, &value, &len) < 0) return -1;
  return value;
}

int socket_protocol_number(pid_t tgid, int fd) {
  const Protocol* p = socket_protocol(tgid, fd);
  return p ? p->number : -1;
}

namespace {

struct Named {
  uint64_t value;
  const char* name;
};

constexpr Named kFamilies[] = {
    {AF_UNIX, "AF_UNIX"},     {AF_INET, "AF_INET"},   {AF_INET6, "AF_INET6"},       {AF_NETLINK, "AF_NETLINK"},
    {AF_PACKET, "AF_PACKET"}, {AF_VSOCK, "AF_VSOCK"}, {AF_BLUETOOTH, "AF_BLUETOOTH"}, {AF_ALG, "AF_ALG"},
    {AF_KEY, "AF_KEY"},       {AF_CAN, "AF_CAN"},     {AF_XDP, "AF_XDP"},           {AF_TIPC, "AF_TIPC"},
    {AF_RDS, "AF_RDS"},       {AF_PPPOX, "AF_PPPOX"}, {AF_X25, "AF_X25"},           {AF_AX25, "AF_AX25"},
    {AF_APPLETALK, "AF_APPLETALK"}, {AF_IPX, "AF_IPX"}, {AF_NFC, "AF_NFC"},         {AF_MCTP, "AF_MCTP"},
    {43, "AF_SMC"},
};

constexpr Named kNamespaces[] = {
    {CLONE_NEWNS, "CLONE_NEWNS"},         {CLONE_NEWUTS, "CLONE_NEWUTS"}, {CLONE_NEWIPC, "CLONE_NEWIPC"},
    {CLONE_NEWUSER, "CLONE_NEWUSER"},     {CLONE_NEWPID, "CLONE_NEWPID"}, {CLONE_NEWNET, "CLONE_NEWNET"},
    {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"}, {CLONE_NEWTIME, "CLONE_NEWTIME"},
};

constexpr Named kRlimits[] = {
    {RLIMIT_CPU, "CPU"},       {RLIMIT_FSIZE, "FSIZE"},     {RLIMIT_DATA, "DATA"},
    {RLIMIT_STACK, "STACK"},   {RLIMIT_CORE, "CORE"},       {RLIMIT_RSS, "RSS"},
    {RLIMIT_NPROC, "NPROC"},   {RLIMIT_NOFILE, "NOFILE"},   {RLIMIT_MEMLOCK, "MEMLOCK"},
    {RLIMIT_AS, "AS"},         {RLIMIT_LOCKS, "LOCKS"},     {RLIMIT_SIGPENDING, "SIGPENDING"},
    {RLIMIT_MSGQUEUE, "MSGQUEUE"}, {RLIMIT_NICE, "NICE"},   {RLIMIT_RTPRIO, "RTPRIO"},
    {RLIMIT_RTTIME, "RTTIME"},
};

}  // namespace

std::string family_name(int family) {
  for (const auto& f : kFamilies)
    if (f.value == static_cast<uint64_t>(family)) return f.name;
  return "family " + std::to_string(family);
}

std::vector<std::string> namespace_names(uint64_t flags) {
  std::vector<std::string> out;
  for (const auto& n : kNamespaces)
    if (flags & n.value) out.push_back(n.name);
  return out;
}

std::string rlimit_name(int resource) {
  for (const auto& r : kRlimits)
    if (r.value == static_cast<uint64_t>(resource)) return r.name;
  return "";
}

}  // namespace zjail::learn
