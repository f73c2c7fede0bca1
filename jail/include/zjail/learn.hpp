// Learn mode (docs/learn.md): what a workload did, observed from the
// payload's first instruction, and the tight profile written from it.
//
//   observe: learn_observe.cpp (seccomp user notification with
//            SECCOMP_USER_NOTIF_FLAG_CONTINUE, answered by zjail, which reads
//            path arguments through the payload's memory) -> Observations;
//   write:   learn_write.cpp, Observations -> profile text, drop-in, evidence.
//
// Observations are plain data with a text form (the evidence block that ends
// every learned profile), so `--merge` widens a learned profile with another
// run, and so the writer is tested without running anything.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace zjail::learn {

// How often something was seen, and the first example, for the comment that
// every generated line carries ("seen 14 times, e.g. openat(...) in pid 3 (nginx)").
struct Evidence {
  uint64_t count = 0;
  std::string example;
  void add(const std::string& ex) {
    if (count++ == 0) example = ex;
  }
  void merge(const Evidence& o) {
    if (count == 0) example = o.example;
    count += o.count;
  }
};

// What was done with one path. Bits, as seen by the observer: a failed
// lookup still counts (the daemon looked for it) but is marked `missing`.
enum Access : unsigned {
  kRead = 1u << 0,     // opened for reading, stat'ed, readlink'ed
  kWrite = 1u << 1,    // opened for writing, truncated, chmod/chown'ed
  kExec = 1u << 2,     // execve'd or mmap'ed PROT_EXEC from a file
  kCreate = 1u << 3,   // created (O_CREAT of a new file, mkdir, mknod, link, rename target)
  kRemove = 1u << 4,   // unlinked, rmdir'ed, rename source
  kList = 1u << 5,     // a directory opened and read (getdents)
};

struct PathUse {
  unsigned access = 0;   // Access bits
  bool directory = false;
  bool missing = false;  // every lookup of it failed (ENOENT)
  Evidence seen;
};

// Everything one or more learning runs saw. Paths are absolute and
// normalized as the payload saw them (relative ones resolved against its
// cwd or dirfd). Keys are sorted, so the text form is deterministic.
struct Observations {
  std::vector<std::string> command;            // argv of the (first) run
  std::string user;                            // the user the payload started as
  std::map<std::string, Evidence> syscalls;    // by name, native ABI
  std::map<std::string, PathUse> paths;
  std::map<std::string, Evidence> families;    // "AF_INET", "AF_UNIX", ...
  std::map<uint16_t, Evidence> tcp_binds;      // ports bound (0: ephemeral)
  std::map<uint16_t, Evidence> udp_binds;
  // Binds of ports below 1024, by address, for ListenStream=/ListenDatagram=:
  // "tcp:0.0.0.0:80", "udp:127.0.0.1:323", "tcp:[::]:80 v6only".
  std::map<std::string, Evidence> listens;
  std::map<std::string, Evidence> connects;    // "tcp:127.0.0.1:5432", "udp:[::1]:53", "unix:/run/x.sock"
  std::map<std::string, Evidence> capabilities;  // "CAP_NET_BIND_SERVICE": inferred from calls and arguments
  std::map<std::string, Evidence> users;       // uids/gids switched to: "uid:33", "gid:33"
  std::map<std::string, Evidence> namespaces;  // "CLONE_NEWUSER", ...
  std::map<std::string, Evidence> rlimits;     // "NOFILE" raised or set by the payload
  std::map<std::string, uint64_t> rlimit_values;  // "NOFILE": the highest limit it set or asked for
                                               // (absent: the writer only comments on the rlimit)
  Evidence write_execute;                      // a W+X mapping or mprotect to X of written memory
  Evidence socket_activation;                  // LISTEN_FDS passed and used
  Evidence notify;                             // NOTIFY_SOCKET written to
  uint64_t processes = 0;                      // processes observed (forks + the first)
};

// The calls learning lets through without watching (in @system-service and
// hot: read, write, epoll_wait, futex, ...; learn_watch.cpp): never in
// Observations::syscalls, used or not. The writer allows them as a group.
std::set<std::string> unwatched_calls();
// The calls of @system-service that learning watches whatever their
// arguments (open, socket, execve, clone, set*id, ...), @default's aside:
// one never seen is denied by the learned profile.
std::set<std::string> watched_service_calls();

// Widens `into` with `from` (another run). The command and user of `into` stay.
void merge(Observations& into, const Observations& from);

// The evidence block: "# zjail-learn: " lines, one fact each, that
// parse_evidence() reads back exactly. Written at the end of every learned
// profile; --merge reads it from the old profile.
std::string evidence_block(const Observations& o);
Result<Observations> parse_evidence(const std::string& text, const std::string& file);

struct WriteOptions {
  std::string output;                       // the profile's path, named in the drop-in
  std::vector<std::string> base_profiles;   // --profile BASE: write only what is beyond them
  // Those profiles, loaded by the caller (load_profile, with its search path
  // and trust): the writer compares with it and never reads profiles itself.
  const Profile* base = nullptr;
  // The Landlock ABI the profile must launch under; -1: this kernel's. Below
  // 4 the socket rules (SocketBindAllow= & co) stay comments, since zjail
  // refuses a rule it cannot enforce.
  int landlock_abi = -1;
  // Whether a host directory holds a file that looks like a secret (a key,
  // a shadow file, ...), which forbids folding binds into it. Unset: the
  // host's directory is scanned by name (learn_paths.cpp); tests set it.
  std::function<bool(const std::string& dir)> holds_secrets;
  // The drop-in's zjail.
  std::string zjail_binary = "/usr/bin/zjail";
};

// The learned profile: systemd directive names, every line with its evidence
// comment, the evidence block last. Always passes `zjail --check`.
std::string write_profile(const Observations& o, const WriteOptions& w);

// The drop-in (ExecStart= through zjail with the learned profile, and what
// the unit itself must keep, such as its socket units).
std::string write_dropin(const Observations& o, const WriteOptions& w);

}  // namespace zjail::learn
