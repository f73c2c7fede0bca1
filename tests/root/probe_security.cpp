// The probe's kernel-interface checks (RestrictAddressFamilies=,
// MemoryDenyWriteExecute=, RestrictRealtime=, ...) and the process
// properties a jail was given, in the line format of probe.cpp. Each attack
// is harmless when run unjailed as root: mappings are the probe's own, the
// clock is only read, the personality and scheduling are the probe's.
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "probe.hpp"

namespace zjail_probe {
namespace {

int wx_map() {
  void* m = mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return result("wx-map", m == MAP_FAILED ? -1 : 0, "mmap PROT_WRITE|PROT_EXEC");
}

int wx_protect() {
  void* m = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return error("wx-protect", errno, "mmap PROT_WRITE");
  return result("wx-protect", mprotect(m, 4096, PROT_READ | PROT_EXEC), "mprotect a written page PROT_EXEC");
}

int open_socket(int family) {
  int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s >= 0) close(s);
  return result("socket", s, "family " + std::to_string(family));
}

int sched_fifo() {
  sched_param p{};
  p.sched_priority = 1;
  return result("sched-fifo", sched_setscheduler(0, SCHED_FIFO, &p), "sched_setscheduler SCHED_FIFO 1");
}

// sched_setattr's policy sits in a struct that no filter can read.
int sched_setattr_fifo() {
  struct {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
  } attr{};
  attr.size = sizeof attr;
  attr.policy = SCHED_FIFO;
  attr.priority = 1;
  return result("sched-setattr-fifo", syscall(SYS_sched_setattr, 0, &attr, 0), "sched_setattr SCHED_FIFO 1");
}

int chmod_suid(const std::string& path) {
  int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
  if (fd < 0) return error("chmod-suid", errno, "create " + path);
  close(fd);
  return result("chmod-suid", chmod(path.c_str(), 04755), "chmod u+s " + path);
}

int personality32() {
  long r = personality(PER_LINUX32);
  if (r >= 0) personality(static_cast<unsigned long>(r));  // back as it was
  return result("personality", r, "personality(PER_LINUX32)");
}

// Only reads the clock's state; ProtectClock= denies the call all the same.
int adjtimex_read() {
  timex tx{};
  return result("adjtimex", adjtimex(&tx), "adjtimex(modes=0), a read");
}

std::string first_line(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The jail's process properties, one "key value" line each.
int props() {
  errno = 0;
  out("nice " + std::to_string(getpriority(PRIO_PROCESS, 0)));
  out("oom_score_adj " + first_line("/proc/self/oom_score_adj"));
  sched_param p{};
  sched_getparam(0, &p);
  out("sched " + std::to_string(sched_getscheduler(0)) + " " + std::to_string(p.sched_priority));
  out("ioprio " + std::to_string(syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0)));
  cpu_set_t set;
  CPU_ZERO(&set);
  sched_getaffinity(0, sizeof set, &set);
  std::string cpus;
  for (int c = 0; c < 64; ++c)
    if (CPU_ISSET(c, &set)) cpus += (cpus.empty() ? "" : ",") + std::to_string(c);
  out("affinity " + cpus);
  utsname u{};
  uname(&u);
  out(std::string("machine ") + u.machine);
  out("securebits " + std::to_string(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0)));
  out("mdwe " + std::to_string(prctl(66 /* PR_GET_MDWE */, 0, 0, 0, 0)));
  out("keyring " + std::to_string(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0)));
  rlimit rt{};
  getrlimit(RLIMIT_RTPRIO, &rt);
  out("rtprio " + std::to_string(rt.rlim_cur) + " " + std::to_string(rt.rlim_max));
  return 0;
}

// Not an attack: the root tier's way onto a host that refuses user
// namespaces. As root, runs CMD as UID (and gid UID) inside a user
// namespace of its own whose user.max_user_namespaces is MAX, so that CMD
// (zjail) is an unprivileged caller that cannot make one when MAX is 0.
int userns_as(int argc, char** argv) {
  if (argc < 5) return error("userns-as", EINVAL, "usage: userns-as MAX UID CMD...");
  std::string max = argv[2];
  std::string id = argv[3];
  int ready[2], go[2];
  if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) return error("userns-as", errno, "pipe");
  pid_t pid = fork();
  if (pid < 0) return error("userns-as", errno, "fork");
  char c = 0;
  if (pid == 0) {
    if (unshare(CLONE_NEWUSER) < 0) _exit(error("userns-as", errno, "unshare(CLONE_NEWUSER)"));
    if (write(ready[1], "u", 1) != 1 || read(go[0], &c, 1) != 1) _exit(error("userns-as", errno, "sync"));
    std::ofstream("/proc/sys/user/max_user_namespaces") << max;
    auto u = static_cast<uid_t>(std::atoi(id.c_str()));
    if (setgroups(0, nullptr) < 0 || setresgid(u, u, u) < 0 || setresuid(u, u, u) < 0)
      _exit(error("userns-as", errno, "becoming uid " + id));
    execv(argv[4], argv + 4);
    _exit(error("userns-as", errno, std::string("exec ") + argv[4]));
  }
  std::string map = "0 0 1\n" + id + " " + id + " 1\n";
  bool mapped = read(ready[0], &c, 1) == 1;
  for (const char* f : {"uid_map", "gid_map"}) {
    std::ofstream m("/proc/" + std::to_string(pid) + "/" + f);
    mapped = mapped && (m << map).flush().good();
  }
  if (!mapped || write(go[1], "g", 1) != 1) error("userns-as", errno, "writing the id maps");
  close(go[1]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int run_security_probe(const std::string& n, int argc, char** argv) {
  std::string a1 = argc > 2 ? argv[2] : "";
  bool has1 = argc > 2;
  if (n == "wx-map") return wx_map();
  if (n == "wx-protect") return wx_protect();
  if (n == "socket" && has1) return open_socket(std::atoi(a1.c_str()));
  if (n == "sched-fifo") return sched_fifo();
  if (n == "sched-setattr-fifo") return sched_setattr_fifo();
  if (n == "chmod-suid" && has1) return chmod_suid(a1);
  if (n == "personality") return personality32();
  if (n == "adjtimex") return adjtimex_read();
  if (n == "props") return props();
  if (n == "userns-as") return userns_as(argc, argv);
  return -1;
}

}  // namespace zjail_probe
