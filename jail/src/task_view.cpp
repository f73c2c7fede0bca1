#include "task_view.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "zjail/fd.hpp"

namespace zjail {

std::string read_string(pid_t pid, uint64_t addr, size_t max) {
  std::string out;
  constexpr uint64_t kPage = 4096;
  while (out.size() < max && addr != 0) {
    char buf[kPage];
    size_t n = std::min<uint64_t>(kPage - addr % kPage, max - out.size());
    iovec local{buf, n}, remote{reinterpret_cast<void*>(addr), n};
    ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (got <= 0) break;
    size_t len = strnlen(buf, static_cast<size_t>(got));
    out.append(buf, len);
    if (len < static_cast<size_t>(got)) return out;
    addr += static_cast<uint64_t>(got);
  }
  return out.size() >= max ? out + "..." : out;
}

bool read_memory(pid_t pid, uint64_t addr, void* out, size_t len) {
  iovec local{out, len}, remote{reinterpret_cast<void*>(addr), len};
  return addr != 0 && process_vm_readv(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(len);
}

std::string read_small(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  char buf[2048];
  ssize_t n = fd ? read(fd.get(), buf, sizeof buf - 1) : -1;
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

TaskIds task_ids(pid_t tid) {
  TaskIds ids;
  std::string s = read_small("/proc/" + std::to_string(tid) + "/status");
  if (size_t p = s.find("\nTgid:"); p != std::string::npos) ids.tgid = std::atoi(s.c_str() + p + 6);
  if (size_t p = s.find("\nNSpid:"); p != std::string::npos) {
    size_t end = s.find('\n', p + 1);
    std::string line = s.substr(p + 7, end - p - 7);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
    size_t last = line.find_last_of(" \t");
    ids.jail_pid = std::atoi(line.c_str() + (last == std::string::npos ? 0 : last + 1));
  }
  return ids;
}

std::string task_comm(pid_t tid) {
  std::string comm = read_small("/proc/" + std::to_string(tid) + "/comm");
  if (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm;
}

}  // namespace zjail
