#include "zjail/seccomp_cache.hpp"

#include <fcntl.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "seccomp_digest.h"
#include "zjail/fd.hpp"

namespace zjail {
namespace {

constexpr char kMagic[8] = {'Z', 'J', 'B', 'P', 'F', '2', '\n', '\0'};
constexpr uint32_t kMaxInsns = 4096;  // BPF_MAXINSNS

void add_list(std::string& key, const char* name, const NameList& l) {
  key += name;
  key += l.is_set ? (l.invert ? "=~" : "=") : "-";
  for (const auto& item : l.names) key += item.value + " ";
  key += '\n';
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

// The directory must be ours and closed to others: a writable cache would be
// a way to hand the next jail an arbitrary filter.
bool trustworthy(int fd, uid_t euid) {
  struct stat st{};
  return fstat(fd, &st) == 0 && st.st_uid == euid && (st.st_mode & 022) == 0;
}

UniqueFd open_cache_dir(const std::string& dir, bool create) {
  if (dir.empty() || dir[0] != '/') return {};
  uid_t euid = geteuid();
  UniqueFd cur(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  size_t i = 1;
  while (cur && i < dir.size()) {
    size_t j = dir.find('/', i);
    if (j == std::string::npos) j = dir.size();
    std::string comp = dir.substr(i, j - i);
    i = j + 1;
    if (comp.empty()) continue;
    bool last = i > dir.size();
    if (create && last) mkdirat(cur.get(), comp.c_str(), 0700);
    else if (create) mkdirat(cur.get(), comp.c_str(), 0755);
    cur.reset(openat(cur.get(), comp.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    // Every directory on the way must be root's or ours, and closed to
    // others unless sticky (others can add names there, never replace ours).
    struct stat st{};
    if (cur && (fstat(cur.get(), &st) != 0 || (st.st_uid != 0 && st.st_uid != euid) ||
                ((st.st_mode & 022) != 0 && !(st.st_mode & S_ISVTX))))
      return {};
  }
  if (!cur || !trustworthy(cur.get(), euid)) return {};
  return cur;
}

// `io` (read or write) until all `n` bytes are through; false on an error
// or an early end.
template <class Byte, class Io>
bool transfer_all(int fd, Byte* p, size_t n, Io io) {
  while (n > 0) {
    ssize_t r = io(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool read_all(int fd, void* buf, size_t n) {
  return transfer_all(fd, static_cast<char*>(buf), n, [](int f, char* p, size_t k) { return read(f, p, k); });
}

bool write_all(int fd, const void* buf, size_t n) {
  return transfer_all(fd, static_cast<const char*>(buf), n,
                      [](int f, const char* p, size_t k) { return write(f, p, k); });
}

bool load(int dirfd, const std::string& name, const std::string& key, BpfProgram& out) {
  UniqueFd fd(openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd || !trustworthy(fd.get(), geteuid())) return false;
  char magic[sizeof kMagic];
  uint32_t key_len = 0, count = 0;
  if (!read_all(fd.get(), magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof magic) != 0) return false;
  if (!read_all(fd.get(), &key_len, sizeof key_len) || key_len != key.size()) return false;
  std::string stored(key_len, '\0');
  if (!read_all(fd.get(), stored.data(), key_len) || stored != key) return false;
  uint32_t filters = 0;
  if (!read_all(fd.get(), &filters, sizeof filters) || filters == 0 || filters > 4) return false;
  out.filters.resize(filters);
  for (auto& insns : out.filters) {
    if (!read_all(fd.get(), &count, sizeof count) || count == 0 || count > kMaxInsns) return false;
    insns.resize(count);
    if (!read_all(fd.get(), insns.data(), count * sizeof(sock_filter))) return false;
  }
  char extra;
  return read(fd.get(), &extra, 1) == 0;
}

void store(int dirfd, const std::string& name, const std::string& key, const BpfProgram& prog) {
  std::string tmp = name + ".tmp." + std::to_string(getpid());
  UniqueFd fd(openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return;
  uint32_t key_len = static_cast<uint32_t>(key.size());
  uint32_t filters = static_cast<uint32_t>(prog.filters.size());
  bool ok = write_all(fd.get(), kMagic, sizeof kMagic) && write_all(fd.get(), &key_len, sizeof key_len) &&
            write_all(fd.get(), key.data(), key.size()) && write_all(fd.get(), &filters, sizeof filters);
  for (const auto& insns : prog.filters) {
    uint32_t count = static_cast<uint32_t>(insns.size());
    ok = ok && write_all(fd.get(), &count, sizeof count) &&
         write_all(fd.get(), insns.data(), count * sizeof(sock_filter));
  }
  if (!ok || renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) != 0) unlinkat(dirfd, tmp.c_str(), 0);
}

}  // namespace

std::string seccomp_cache_key(const Profile& p, const SeccompExtras& extras) {
  const scmp_version* v = seccomp_version();
  std::string key = "zjail " ZJAIL_VERSION " " ZJAIL_SECCOMP_DIGEST " libseccomp " +
                    std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                    std::to_string(v->micro) + "\n";
  add_list(key, "SystemCallFilter", p.system_call_filter);
  add_list(key, "SystemCallLog", p.system_call_log);
  key += "SystemCallArchitectures=";
  for (const auto& item : p.system_call_architectures) key += item.value + " ";
  key += "\nSystemCallErrorNumber=";
  if (p.system_call_error_number.is_set()) {
    const SyscallAction& a = *p.system_call_error_number.value;
    key += std::to_string(static_cast<int>(a.kind)) + ":" + std::to_string(a.err);
  }
  key += '\n';
  // The base filter closes AF_VSOCK in a private network.
  key += "PrivateNetwork=" + std::to_string(p.private_network.value.value_or(true)) + "\n";
  key += "RestrictIOUring=" + std::to_string(p.restrict_io_uring.value.value_or(true)) + "\n";
  return key + extras.cache_key();
}

std::string default_seccomp_cache_dir(uid_t euid, const char* xdg_runtime_dir) {
  if (euid == 0) return "/run/zjail/seccomp";
  if (xdg_runtime_dir && xdg_runtime_dir[0] == '/') return std::string(xdg_runtime_dir) + "/zjail/seccomp";
  return "";
}

Result<BpfProgram> cached_seccomp(const Profile& p, const SeccompExtras& extras, const std::string& dir) {
  UniqueFd dirfd = open_cache_dir(dir, false);
  std::string key = seccomp_cache_key(p, extras);
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.bpf", static_cast<unsigned long long>(fnv1a(key)));
  BpfProgram prog;
  if (dirfd && load(dirfd.get(), name, key, prog)) return prog;
  auto compiled = compile_seccomp(p, extras);
  if (!compiled) return compiled;
  if (!dirfd) dirfd = open_cache_dir(dir, true);
  if (dirfd) store(dirfd.get(), name, key, *compiled);
  return compiled;
}

}  // namespace zjail
