// observe: the process itself (see observe.hpp): identity, capabilities,
// seccomp, personality, W^X, sockets, namespaces, scheduling, setuid bits,
// the kernel's knobs and logs, the clock, the keyring, and which system
// calls reach the kernel. Every attempt that could change this process runs
// in a forked child (attempt/reach); every "set" sets the current value.
#include <dirent.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "host_kernel.hpp"
#include "observe.hpp"

namespace observe {
namespace {

// DynamicUser= picks ids in this range, from a hash of the unit's name.
bool dynamic_id(unsigned long id) { return id >= 61184 && id <= 65519 && id != 65534; }

std::string id_word(const std::string& w) {
  char* end = nullptr;
  unsigned long id = std::strtoul(w.c_str(), &end, 10);
  return end && *end == '\0' && dynamic_id(id) ? "dynamic" : w;
}

std::string words(const std::string& s, bool ids) {
  std::istringstream in(s);
  std::string w, out;
  while (in >> w) out += (out.empty() ? "" : ",") + (ids ? id_word(w) : w);
  return out.empty() ? "-" : out;
}

std::string read_file(const char* p) {
  std::ifstream f(p);
  if (!f) return "";
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string hex(unsigned long v) {
  char b[32];
  std::snprintf(b, sizeof b, "%#lx", v);
  return b;
}

void observe_status(Report& r) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string k = line.substr(0, colon), v = line.substr(colon + 1);
    if (k == "Uid") r["id.uid"] = words(v, true);
    else if (k == "Gid") r["id.gid"] = words(v, true);
    else if (k == "Groups") r["id.groups"] = words(v, true);
    else if (k == "CapInh") r["cap.inh"] = words(v, false);
    else if (k == "CapPrm") r["cap.prm"] = words(v, false);
    else if (k == "CapEff") r["cap.eff"] = words(v, false);
    else if (k == "CapBnd") r["cap.bnd"] = words(v, false);
    else if (k == "CapAmb") r["cap.amb"] = words(v, false);
    else if (k == "NoNewPrivs") r["nnp"] = words(v, false);
    else if (k == "Seccomp") r["seccomp"] = words(v, false);
    else if (k == "Umask") r["umask"] = words(v, false);
  }
  int sb = prctl(PR_GET_SECUREBITS);
  r["securebits"] = sb < 0 ? ename(errno) : hex(static_cast<unsigned long>(sb));
  // The user namespace's id maps, blanks squeezed: the initial namespace
  // maps "0 0 4294967295".
  for (const char* m : {"uid_map", "gid_map"}) {
    std::string text = read_file((std::string("/proc/self/") + m).c_str());
    std::string v;
    std::istringstream lines(text);
    while (std::getline(lines, line)) v += (v.empty() ? "" : ";") + words(line, false);
    r[std::string("userns.") + m] = v.empty() ? "-" : v;
  }
}

void observe_personality_wx(Report& r) {
  int cur = personality(0xffffffff);
  r["personality"] = cur < 0 ? ename(errno) : hex(static_cast<unsigned long>(cur));
  // MemoryDenyWriteExecute=: writable and executable at once, or made
  // executable later. LockPersonality= still allows the current persona.
  attempt_all(r, {
      {"op.personality.linux32", [] { return personality(PER_LINUX32) < 0 ? errno : 0; }, "ok", true},
      {"op.personality.same", [cur] { return personality(static_cast<unsigned long>(cur)) < 0 ? errno : 0; }},
      {"op.mmap.wx", [] {
         void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
         return p == MAP_FAILED ? errno : 0;
       }},
      {"op.mprotect.x", [] {
         void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
         if (p == MAP_FAILED) return 250;
         return mprotect(p, 4096, PROT_READ | PROT_EXEC) < 0 ? errno : 0;
       }},
  });
}

void observe_sockets(Report& r) {
  struct Family {
    const char* name;
    int domain, type, proto;
  };
  // Module autoloading may happen for the rarer families, as for any
  // program that asks; nothing is bound or connected.
  static const Family kFamilies[] = {
      {"unix", AF_UNIX, SOCK_DGRAM, 0},        {"inet", AF_INET, SOCK_DGRAM, 0},
      {"inet6", AF_INET6, SOCK_DGRAM, 0},      {"netlink", AF_NETLINK, SOCK_RAW, 0},
      {"packet", AF_PACKET, SOCK_DGRAM, 0},    {"bluetooth", AF_BLUETOOTH, SOCK_SEQPACKET, 0},
      {"vsock", AF_VSOCK, SOCK_STREAM, 0},     {"alg", AF_ALG, SOCK_SEQPACKET, 0},
  };
  std::vector<Call> calls;
  for (const auto& f : kFamilies)
    calls.push_back({std::string("af.") + f.name, [&f] {
                       int s = socket(f.domain, f.type | SOCK_CLOEXEC, f.proto);
                       if (s < 0) return errno;
                       close(s);
                       return 0;
                     }});
  attempt_all(r, calls);
  std::string ifs;
  if (struct if_nameindex* list = if_nameindex()) {
    std::vector<std::string> names;
    for (struct if_nameindex* i = list; i->if_index != 0; ++i) names.push_back(i->if_name);
    if_freenameindex(list);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) ifs += (ifs.empty() ? "" : ",") + n;
  } else {
    ifs = ename(errno);
  }
  r["net.ifaces"] = ifs.empty() ? "-" : ifs;
}

void observe_namespaces(Report& r) {
  struct Ns {
    const char* name;
    int flag;
  };
  static const Ns kNs[] = {{"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"mnt", CLONE_NEWNS},
                           {"pid", CLONE_NEWPID},       {"time", CLONE_NEWTIME},
                           {"uts", CLONE_NEWUTS}};
  // Alone (needs CAP_SYS_ADMIN) and inside a new user namespace (what an
  // unprivileged process may do, and what RestrictNamespaces= decides).
  // Network namespaces are not made: their setup and teardown cost a
  // tenth of a second under TCG. CLONE_PARENT, which unshare() refuses with
  // EINVAL before anything else, shows whether a filter stands in the way.
  std::vector<Call> calls = {{"ns.user", [] { return unshare(CLONE_NEWUSER) < 0 ? errno : 0; }, "ok", true}};
  for (const auto& n : kNs) {
    int flag = n.flag;
    calls.push_back({std::string("ns.") + n.name, [flag] { return unshare(flag) < 0 ? errno : 0; }, "ok", true});
    calls.push_back({std::string("ns.user+") + n.name,
                     [flag] { return unshare(CLONE_NEWUSER | flag) < 0 ? errno : 0; }, "ok", true});
  }
  calls.push_back(reach("sys.unshare_net", [] { return unshare(CLONE_NEWNET | CLONE_PARENT); }, {EINVAL}));
  calls.push_back(reach("sys.unshare_user_net", [] { return unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_PARENT); },
                        {EINVAL}));
  calls.push_back({"op.ipc.marker", [] { return shmget(0x7a6a7061, 0, 0) < 0 ? errno : 0; }});
  attempt_all(r, calls);
  r["cgroup.path"] = [] {
    std::istringstream in(read_file("/proc/self/cgroup"));
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("0::", 0) == 0) return line.substr(3);
    return std::string("-");
  }();
  // PID 1 as this process sees it: the manager, a jail's init, or itself.
  std::string comm = read_file("/proc/1/comm");
  if (!comm.empty() && comm.back() == '\n') comm.pop_back();
  r["proc.pid1"] = comm.empty() ? "unreadable" : comm;
  bool others = false;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      struct stat st{};
      if (stat((std::string("/proc/") + e->d_name).c_str(), &st) == 0 && st.st_uid != getuid()) others = true;
    }
    closedir(d);
  }
  r["proc.others"] = others ? "visible" : "hidden";
}

std::string policy_name(int p) {
  std::string reset = (p & SCHED_RESET_ON_FORK) ? "+reset" : "";
  switch (p & ~SCHED_RESET_ON_FORK) {
    case SCHED_OTHER: return "other" + reset;
    case SCHED_FIFO: return "fifo" + reset;
    case SCHED_RR: return "rr" + reset;
    case SCHED_BATCH: return "batch" + reset;
    case SCHED_IDLE: return "idle" + reset;
    default: return std::to_string(p);
  }
}

void observe_scheduling(Report& r) {
  int pol = sched_getscheduler(0);
  r["sched.policy"] = pol < 0 ? ename(errno) : policy_name(pol);
  sched_param sp{};
  r["sched.priority"] = sched_getparam(0, &sp) < 0 ? ename(errno) : std::to_string(sp.sched_priority);
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, 0);
  r["sched.nice"] = errno ? ename(errno) : std::to_string(nice);
  long io = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
  static const char* const kIoClass[] = {"none", "realtime", "best-effort", "idle"};
  r["sched.ioprio"] = io < 0 ? ename(errno)
                             : std::string(kIoClass[(io >> 13) & 3]) + "/" + std::to_string(io & 0x1fff);
  long slack = prctl(PR_GET_TIMERSLACK);
  r["sched.timerslack"] = slack < 0 ? ename(errno) : std::to_string(slack);
  std::string oom = read_file("/proc/self/oom_score_adj");
  if (!oom.empty() && oom.back() == '\n') oom.pop_back();
  r["oom_score_adj"] = oom.empty() ? "unreadable" : oom;
  attempt_all(r, {
      {"op.sched.fifo", [] {
         sched_param p{};
         p.sched_priority = 1;
         return sched_setscheduler(0, SCHED_FIFO, &p) < 0 ? errno : 0;
       }, "ok", true},
      {"op.nice.lower", [nice] { return setpriority(PRIO_PROCESS, 0, nice - 1) < 0 ? errno : 0; }, "ok", true},
      {"op.ioprio.realtime", [] {
         return syscall(SYS_ioprio_set, 1, 0, (1 << 13) | 4) < 0 ? errno : 0;  // realtime, level 4
       }, "ok", true},
      {"op.oom.lower", [oom] {
         int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
         if (fd < 0) return errno;
         std::string v = std::to_string(std::atoi(oom.c_str()) - 1);
         int e = write(fd, v.data(), v.size()) < 0 ? errno : 0;
         close(fd);
         return e;
       }, "ok", true},
  });
  static const struct {
    const char* name;
    int res;
  } kLimits[] = {{"as", RLIMIT_AS},         {"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},
                 {"data", RLIMIT_DATA},     {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},
                 {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
                 {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},
                 {"rtprio", RLIMIT_RTPRIO}, {"rttime", RLIMIT_RTTIME},   {"sigpending", RLIMIT_SIGPENDING},
                 {"stack", RLIMIT_STACK}};
  auto lim = [](rlim_t v) { return v == RLIM_INFINITY ? std::string("inf") : std::to_string(v); };
  for (const auto& l : kLimits) {
    rlimit rl{};
    r[std::string("rlimit.") + l.name] =
        getrlimit(l.res, &rl) < 0 ? ename(errno) : lim(rl.rlim_cur) + ":" + lim(rl.rlim_max);
  }
}

// RestrictSUIDSGID=: setting the bits on a file of one's own in a writable
// directory, by chmod and at creation. The file is removed again.
void observe_setuid(Report& r) {
  std::string dir = scratch_dir();
  r["scratch"] = dir.empty() ? "none" : dir;
  auto in_scratch = [&](const char* key, std::function<int(const std::string&)> fn) -> Call {
    if (dir.empty()) return {key, [] { return ENOENT; }, "ok"};
    return {key, [dir, fn = std::move(fn)] {
              std::string f = dir + "/.observe-suid-" + std::to_string(getpid());
              int e = fn(f);
              unlink(f.c_str());
              return e;
            }};
  };
  auto chmod_to = [](mode_t mode) {
    return [mode](const std::string& f) {
      int fd = open(f.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0) return 250;
      close(fd);
      return chmod(f.c_str(), mode) < 0 ? errno : 0;
    };
  };
  attempt_all(r, {
      in_scratch("op.chmod.suid", chmod_to(04755)),
      in_scratch("op.chmod.sgid", chmod_to(02755)),
      in_scratch("op.create.suid", [](const std::string& f) {
        int fd = open(f.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 04755);
        if (fd < 0) return errno;
        close(fd);
        return 0;
      }),
  });
}

// The kernel's symbols, log and host names.
void observe_kernel(Report& r) {
  int fd = open("/proc/kallsyms", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    r["kernel.kallsyms"] = errno == ENOENT ? "absent" : "denied";
  } else {
    char buf[64] = {};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    r["kernel.kallsyms"] = n <= 0 ? "empty" : std::strspn(buf, "0") >= 16 ? "zeroed" : "addresses";
  }
  utsname u{};
  if (uname(&u) < 0) {
    r["uts.hostname"] = r["uts.domainname"] = ename(errno);
  } else {
    r["uts.hostname"] = u.nodename;
    r["uts.domainname"] = u.domainname;
  }
  std::string host = u.nodename, domain = u.domainname;
  // Permission to set the clock, without setting it: with no time and no
  // zone settimeofday checks CAP_SYS_TIME and changes nothing. The names are
  // set to what they are.
  attempt_all(r, {
      {"op.syslog.read", [] {
         char buf[64];
         return syscall(SYS_syslog, 3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof buf) < 0 ? errno : 0;
       }},
      {"op.sethostname", [host] { return sethostname(host.data(), host.size()) < 0 ? errno : 0; }},
      {"op.setdomainname", [domain] { return setdomainname(domain.data(), domain.size()) < 0 ? errno : 0; }},
      {"op.settimeofday", [] { return syscall(SYS_settimeofday, nullptr, nullptr) < 0 ? errno : 0; }},
  });
}

// KeyringMode=: the session keyring and what is linked into it.
void observe_keyring(Report& r) {
  auto describe = [](long id) {
    char buf[512] = {};
    long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, buf, sizeof buf - 1);
    if (n < 0) return ename(errno);
    // "type;uid;gid;perm;description": ids as the report spells them.
    std::vector<std::string> f;
    std::string s(buf), cur;
    for (char c : s) {
      if (c == ';' && f.size() < 4) {
        f.push_back(cur);
        cur.clear();
      } else if (c != '\0') {
        cur += c;
      }
    }
    f.push_back(cur);
    if (f.size() != 5) return std::string(buf);
    auto rel = [](const std::string& w, unsigned self) {
      unsigned long v = std::strtoul(w.c_str(), nullptr, 10);
      return v == self ? std::string("self") : v == 0 ? std::string("root") : id_word(w);
    };
    return f[0] + ";" + rel(f[1], getuid()) + ";" + rel(f[2], getgid()) + ";" + f[3] + ";" + f[4];
  };
  long ses = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
  r["keyring.session"] = ses < 0 ? ename(errno) : describe(ses);
  if (ses < 0) {
    r["keyring.session.keys"] = r["keyring.session"];
    return;
  }
  int32_t ids[64];
  long n = syscall(SYS_keyctl, KEYCTL_READ, ses, ids, sizeof ids);
  if (n < 0) {
    r["keyring.session.keys"] = ename(errno);
    return;
  }
  std::vector<std::string> keys;
  for (long i = 0; i < std::min<long>(n, sizeof ids) / 4; ++i) {
    std::string d = describe(ids[i]);
    size_t last = d.rfind(';');
    keys.push_back(d.substr(0, d.find(';')) + ":" + (last == std::string::npos ? d : d.substr(last + 1)));
  }
  std::sort(keys.begin(), keys.end());
  std::string v;
  for (const auto& k : keys) v += (v.empty() ? "" : ",") + k;
  r["keyring.session.keys"] = v.empty() ? "-" : v;
}

// Whether system calls of systemd's groups reach the kernel. Each is given
// arguments the kernel refuses before any permission check (a bad pointer,
// an unknown flag), so "reached" means no filter stood in the way, and
// nothing is ever done.
void observe_syscalls(Report& r) {
  const char* bad = reinterpret_cast<const char*>(1);
  const std::vector<Call> calls = {
      reach("sys.mount", [bad] { return syscall(SYS_mount, nullptr, bad, nullptr, 0, nullptr); }, {EFAULT}),
      reach("sys.umount2", [] { return syscall(SYS_umount2, "/", 0x80000000); }, {EINVAL}),
      reach("sys.open_tree", [] { return syscall(SYS_open_tree, -1, "", 0x80000000u); }, {EINVAL}),
      reach("sys.chroot", [bad] { return syscall(SYS_chroot, bad); }, {EFAULT}),
      reach("sys.ioperm", [] { return syscall(SYS_ioperm, 0, 0, 1); }, {EINVAL}),
      reach("sys.iopl", [] { return syscall(SYS_iopl, 4); }, {EINVAL}),
      reach("sys.modify_ldt", [] { char b[8]; return syscall(SYS_modify_ldt, 0, b, 0); }, {}),
      reach("sys.ptrace", [] { return syscall(SYS_ptrace, 0x7fffffff, 0, 0, 0); }, {ESRCH}),
      reach("sys.process_vm_readv", [] { return syscall(SYS_process_vm_readv, getpid(), nullptr, 0, nullptr, 0, 0); }, {}),
      reach("sys.perf_event_open", [] { return syscall(SYS_perf_event_open, nullptr, 0, -1, -1, ~0UL); }, {EINVAL}),
      reach("sys.add_key", [] { return syscall(SYS_add_key, nullptr, nullptr, nullptr, 0, 0); }, {EFAULT}),
      reach("sys.keyctl", [] { return syscall(SYS_keyctl, 9999, 0, 0, 0, 0); }, {EOPNOTSUPP}),
      reach("sys.setns", [] { return syscall(SYS_setns, -1, 0); }, {EBADF}),
      reach("sys.unshare0", [] { return syscall(SYS_unshare, 0); }, {}),
      reach("sys.io_uring_setup", [] { return syscall(SYS_io_uring_setup, 1, nullptr); }, {EFAULT}),
      reach("sys.clock_settime", [] {
         timespec ts{0, -1};
         return syscall(SYS_clock_settime, CLOCK_REALTIME, &ts);
       }, {EINVAL}),
      reach("sys.adjtimex", [] {
         timex t{};
         return syscall(SYS_adjtimex, &t);
       }, {}),
      reach("sys.quotactl", [] { return syscall(SYS_quotactl, 0xff, nullptr, 0, nullptr); }, {EINVAL}),
      reach("sys.pkey_alloc", [] { return syscall(SYS_pkey_alloc, 0xff, 0); }, {EINVAL, ENOSPC}),
      reach("sys.mlock", [] { return syscall(SYS_mlock, nullptr, 0); }, {}),
      reach("sys.msgget", [] { return syscall(SYS_msgget, 0x7a6a0001, 0); }, {ENOENT}),
      reach("sys.io_setup", [] { return syscall(SYS_io_setup, 0, nullptr); }, {EFAULT, EINVAL}),
      reach("sys.fsync", [] { return syscall(SYS_fsync, -1); }, {EBADF}),
      reach("sys.timerfd_create", [] { return syscall(SYS_timerfd_create, 99, 0); }, {EINVAL}),
      reach("sys.kill", [] { return syscall(SYS_kill, getpid(), 0); }, {}),
      reach("sys.setuid", [] { return syscall(SYS_setuid, getuid()); }, {}),
      reach("sys.fchown", [] { return syscall(SYS_fchown, -1, 0, 0); }, {EBADF}),
      reach("sys.sched_setattr", [] { return syscall(SYS_sched_setattr, 0, nullptr, 0); }, {EINVAL, EFAULT}),
      reach("sys.set_mempolicy", [] { return syscall(SYS_set_mempolicy, 0, nullptr, 0); }, {}),
      reach("sys.prlimit64", [] {
         rlimit old{};
         return syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, nullptr, &old);
       }, {}),
      reach("sys.landlock_create_ruleset", [] {
         return syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
       }, {EOPNOTSUPP}),
      reach("sys.seccomp", [] {
         unsigned action = SECCOMP_RET_KILL_PROCESS;
         return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action);
       }, {}),
      reach("sys.mknodat", [bad] { return syscall(SYS_mknodat, AT_FDCWD, bad, S_IFIFO | 0600, 0); }, {EFAULT}),
      reach("sys.name_to_handle_at", [bad] { return syscall(SYS_name_to_handle_at, AT_FDCWD, bad, nullptr, nullptr, 0); },
       {EFAULT}),
      // Foreign system call ABIs (SystemCallArchitectures=): getpid through
      // the i386 entry and the x32 one. The kernel itself may close either.
      {"abi.i386", [] {
         long v = zjail_host::i386_getpid();
         return v < 0 ? static_cast<int>(-v) : 0;
       }},
      {"abi.x32", [] { return syscall(0x40000000 | SYS_getpid) < 0 ? errno : 0; }},
  };
  attempt_all(r, calls);
}

}  // namespace

std::vector<Group> process_groups() {
  return {{"status", observe_status},       {"personality", observe_personality_wx},
          {"sockets", observe_sockets},     {"namespaces", observe_namespaces},
          {"scheduling", observe_scheduling}, {"setuid", observe_setuid},
          {"kernel", observe_kernel},       {"keyring", observe_keyring},
          {"syscalls", observe_syscalls}};
}

}  // namespace observe
