// Learn mode: a watched call's arguments, read from the waiting payload
// (learn_observe.hpp). Paths are made absolute as the payload saw them
// (through its cwd or dirfd), and looked up in its root.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "zjail/fd.hpp"

namespace zjail::learn {

// "/a/./b/../c//" -> "/a/c": lexical, as a learned profile writes paths.
std::string normalize(const std::string& path);

// The task's view of its files. Relative paths resolve against its cwd or a
// dirfd; every lookup happens in its own root (RESOLVE_IN_ROOT), so an
// absolute symlink in the jail stays in the jail.
class TaskFiles {
 public:
  explicit TaskFiles(pid_t tid) : tid_(tid) {}
  // The absolute path `path` names for the task, relative to dirfd `dirfd`
  // (AT_FDCWD: its cwd). "" where it cannot tell.
  std::string absolute(int dirfd, const std::string& path) const;
  // The path of its fd `fd` ("" for a socket, pipe, or anything not a path).
  std::string fd_path(int fd) const;
  // What a lookup of `abs` finds in the task's root: 0, or ENOENT, ...
  int lookup(const std::string& abs, bool* directory = nullptr) const;
  // The file at `abs` in the task's root (its symlink itself unless
  // `follow`): 0, or the errno.
  int stat(const std::string& abs, bool follow, struct stat& st, bool* read_only = nullptr) const;
  // `abs` with the symlinks in the task's root followed as far as they
  // lead ("/usr/share/locale/locale.alias" -> "/etc/locale.alias" where
  // that is the link's target), the rest appended as it is.
  std::string resolve(const std::string& abs) const;
  // A small file at `abs` in the task's root ("" if unreadable).
  std::string read(const std::string& abs) const;

 private:
  int open_in_root(const std::string& abs, bool follow, UniqueFd& out, int flags = O_PATH) const;
  std::string link(const std::string& name) const;
  pid_t tid_;
};

// What the kernel itself opens to run `file` (a host path, e.g. through
// /proc/TID/root): the ELF interpreter (PT_INTERP), or a script's "#!"
// interpreter. No system call of the payload shows it. "" for neither.
std::string exec_interpreter(const std::string& file);

// The path arguments of the path calls (learn mode, explain mode): which
// argument holds the path, which its dirfd (-1: the cwd), and what the call
// does to it (learn.hpp's kRead, kWrite, ...).
struct PathArg {
  int path;
  int dirfd;
  unsigned access;
};
enum class PathFlags { None, Open, OpenHow, Creat, AccessMode, Unlinkat, Directory, EmptyPathOk };
struct PathCall {
  const char* name;
  PathArg args[2];
  PathFlags flags;
};
// The entry of a path call by name (nullptr: not one).
const PathCall* path_call(const std::string& name);
// What open flags do to a file (kRead, kWrite, kCreate, kList).
unsigned open_access(uint64_t flags);

// The task's credentials, from /proc/TID/status.
struct TaskCreds {
  uid_t ruid = 0, euid = 0, suid = 0, fsuid = 0;
  gid_t rgid = 0, egid = 0, sgid = 0, fsgid = 0;
  std::vector<gid_t> groups;
  uint64_t cap_effective = 0;  // CapEff:
  bool in_group(gid_t g) const;
};
TaskCreds task_creds(pid_t tid);

// A socket address as a learned profile names it: "127.0.0.1:80",
// "[::1]:53", "/run/x.sock", "@abstract"; `family` and `port` set. ""
// for a family learning does not name.
struct SocketAddress {
  int family = -1;
  uint16_t port = 0;
  std::string text;
  std::string unix_path;  // AF_UNIX: the file (not abstract)
};
SocketAddress read_sockaddr(pid_t tid, uint64_t addr, uint64_t len);

// The socket's type (SOCK_STREAM, SOCK_DGRAM, ...) of fd `fd` in the
// task, from the protocol its inode is named after (no copy of the socket
// is taken: learn_args.cpp); -1 if it cannot tell (a UNIX datagram or
// seqpacket socket, a protocol not listed).
int socket_type(pid_t tgid, int fd);
// IPV6_V6ONLY of an AF_INET6 socket: 1, 0, or -1 if it cannot tell.
int socket_v6only(pid_t tgid, int fd);
// Its family (AF_INET, ...), likewise.
int socket_domain(pid_t tgid, int fd);
// Its protocol (IPPROTO_TCP, IPPROTO_MPTCP, IPPROTO_UDP, ...), likewise;
// -1 for one with no number here (UNIX, PING, RAW).
int socket_protocol_number(pid_t tgid, int fd);

// "AF_INET", "family 42".
std::string family_name(int family);
// "CLONE_NEWNET", for each namespace bit in `flags`.
std::vector<std::string> namespace_names(uint64_t flags);
// "NOFILE" for RLIMIT_NOFILE; "" for an unknown resource.
std::string rlimit_name(int resource);

}  // namespace zjail::learn
