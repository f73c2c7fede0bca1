// pasta started against a jail's init (pasta.hpp). What passt 0.0~git20230309
// does, read in its source and checked on this host:
//  - with a PID or --userns/--netns it configures the interface (--config-net)
//    in tap_sock_init(), before it writes its --pid file; in the foreground
//    (-f) it never forks, so the --pid write is the readiness signal and
//    PR_SET_PDEATHSIG stays meant for pasta itself;
//  - it only quits on its own when a *filesystem-bound* netns is deleted
//    (inotify on the directory), never when a PID's namespace goes away, so
//    zjail owns its lifetime;
//  - as root without --runas it drops to nobody, who may not join a user
//    namespace root owns; it must run as that namespace's owner instead.
#include "pasta.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace zjail {

namespace {

Error pasta_error(int err, std::string what) { return make_error(Step::Network, err, "pasta: " + std::move(what)); }

std::string port_pair(uint16_t from, uint16_t to) { return std::to_string(from) + ":" + std::to_string(to); }

// "-t none", or one "-t FROM:TO" per forward of `protocol`: pasta refuses
// "none" together with a list, and a list alone forwards only itself.
void add_ports(std::vector<std::string>& args, const char* opt, const std::vector<PortForward>& fwds, int protocol,
               bool host_to_jail) {
  bool any = false;
  for (const auto& f : fwds) {
    if (f.protocol != protocol) continue;
    args.push_back(opt);
    args.push_back(host_to_jail ? port_pair(f.host_port, f.jail_port) : port_pair(f.jail_port, f.host_port));
    any = true;
  }
  if (!any) {
    args.push_back(opt);
    args.push_back("none");
  }
}

// Everything the child needs, built before the fork: it only makes syscalls.
struct ChildArgs {
  const char* path;
  char* const* argv;
  pid_t parent;
  int userns, netns, ready, err, devnull;  // parent's numbers
  PastaFds fds;                            // pasta's numbers
};

[[noreturn]] void child_exec(const ChildArgs& a) noexcept {
  // pasta dies with zjail; a parent gone before the prctl would be missed.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != a.parent) _exit(127);
  // zjail's signal mask and ignored signals are not pasta's.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
  // Out of the way first (all of 0..5 may be taken), then into place: dup2
  // leaves the copies without close-on-exec, everything else is closed.
  int src[6] = {a.devnull, a.devnull, a.err, a.userns, a.netns, a.ready};
  int dst[6] = {0, 1, 2, a.fds.userns, a.fds.netns, a.fds.ready};
  int tmp[6];
  int low = 3;
  for (int i = 0; i < 6; ++i) {
    tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 16);
    if (tmp[i] < 0) _exit(127);
  }
  for (int i = 0; i < 6; ++i) {
    if (dup2(tmp[i], dst[i]) < 0) _exit(127);
    if (dst[i] >= low) low = dst[i] + 1;
  }
  if (syscall(SYS_close_range, low, ~0U, 0) != 0) _exit(127);
  static char* const empty_env[] = {nullptr};
  execve(a.path, a.argv, empty_env);
  _exit(127);
}

Result<gid_t> gid_of(uid_t uid) {
  if (uid == geteuid()) return getegid();
  passwd pw{}, *found = nullptr;
  std::string buf(16384, '\0');
  int rc = getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
  if (!found) return pasta_error(rc, "no user for uid " + std::to_string(uid) + ", the jail's user namespace owner");
  return found->pw_gid;
}

}  // namespace

Result<std::string> find_pasta_in(const std::vector<std::string>& dirs) {
  for (const auto& dir : dirs) {
    std::string path = dir + "/pasta";
    struct stat st {};
    // Follows the symlink: Debian's pasta is one, to passt.
    if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0) return path;
  }
  std::string where;
  for (const auto& dir : dirs) where += (where.empty() ? "" : ", ") + dir;
  return make_error(Step::Network, ENOENT,
                    "UserModeNetworking= needs pasta, not found in " + where + " (install Debian's passt)");
}

Result<std::string> find_pasta() { return find_pasta_in({"/usr/bin", "/usr/sbin", "/bin", "/sbin"}); }

std::vector<std::string> pasta_args(const PastaSpec& spec, uid_t uid, gid_t gid, PastaFds fds) {
  auto self_fd = [](int fd) { return "/proc/self/fd/" + std::to_string(fd); };
  std::vector<std::string> a = {
      spec.binary,
      "--config-net",        // address, route and link up in the jail, from pasta
      "--foreground",        // no fork: the PID we hold and PDEATHSIG stay pasta's
      "--quiet",             // errors only; they go to syslog or to zjail's pipe
      "--runas", std::to_string(uid) + ":" + std::to_string(gid),
      "--ns-ifname", spec.ifname,
      "--no-map-gw",         // the gateway address is the gateway, not the host's loopback
      "--dns", "none",       // no resolver handed out, and no --dns-forward
      "--search", "none",
      "--no-dhcp", "--no-dhcpv6",  // --config-net did it: nothing for the payload to talk to
      "--no-netns-quit",     // zjail decides when pasta ends
  };
  add_ports(a, "--tcp-ports", spec.ports, IPPROTO_TCP, true);
  add_ports(a, "--udp-ports", spec.ports, IPPROTO_UDP, true);
  add_ports(a, "--tcp-ns", spec.loopback_ports, IPPROTO_TCP, false);
  add_ports(a, "--udp-ns", spec.loopback_ports, IPPROTO_UDP, false);
  a.push_back("--pid");  // written once the interface is configured: the readiness signal
  a.push_back(self_fd(fds.ready));
  a.push_back("--userns");
  a.push_back(self_fd(fds.userns));
  a.push_back("--netns");
  a.push_back(self_fd(fds.netns));
  return a;
}

std::string pasta_failure(std::string_view text) {
  std::string last;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty() || line.starts_with("Failed to send ")) continue;
    last = line;
  }
  return last;
}

Pasta& Pasta::operator=(Pasta&& o) noexcept {
  if (this != &o) {
    stop();
    pid_ = std::exchange(o.pid_, -1);
    pidfd_ = std::move(o.pidfd_);
  }
  return *this;
}

void Pasta::stop() noexcept {
  if (!pidfd_) return;
  syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  siginfo_t si{};
  while (waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &si, WEXITED) < 0 && errno == EINTR) {
  }
  pidfd_.reset();
  pid_ = -1;
}

Result<Pasta> start_pasta(const PastaSpec& spec) {
  // A missing or unusable binary is said as such, not as an exit status.
  if (access(spec.binary.c_str(), X_OK) != 0) return pasta_error(errno, spec.binary);
  std::string proc = "/proc/" + std::to_string(spec.target) + "/ns/";
  // The target is zjail's own unreaped child, so its PID cannot be reused
  // under us; pasta gets these fds, not the PID.
  UniqueFd userns(open((proc + "user").c_str(), O_RDONLY | O_CLOEXEC));
  if (!userns) return pasta_error(errno, proc + "user");
  UniqueFd netns(open((proc + "net").c_str(), O_RDONLY | O_CLOEXEC));
  if (!netns) return pasta_error(errno, proc + "net");
  uid_t owner = 0;
  if (ioctl(userns.get(), NS_GET_OWNER_UID, &owner) != 0) return pasta_error(errno, "NS_GET_OWNER_UID " + proc + "user");
  ZJAIL_TRY_ASSIGN(gid_t gid, gid_of(owner));

  int ready[2], err[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return pasta_error(errno, "pipe2");
  UniqueFd ready_r(ready[0]), ready_w(ready[1]);
  if (pipe2(err, O_CLOEXEC) != 0) return pasta_error(errno, "pipe2");
  UniqueFd err_r(err[0]), err_w(err[1]);
  UniqueFd devnull(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull) return pasta_error(errno, "/dev/null");

  std::vector<std::string> args = pasta_args(spec, owner, gid);
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  ChildArgs ca{spec.binary.c_str(), argv.data(), getpid(), userns.get(), netns.get(), ready_w.get(),
               err_w.get(), devnull.get(), PastaFds{}};

  int pidfd = -1;
  clone_args cl{};
  cl.flags = CLONE_PIDFD;
  cl.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  cl.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &cl, sizeof cl);
  if (pid < 0) return pasta_error(errno, "clone3");
  if (pid == 0) child_exec(ca);

  Pasta p;
  p.pid_ = static_cast<pid_t>(pid);
  p.pidfd_.reset(pidfd);
  ready_w.reset();
  err_w.reset();

  // Until pasta writes its PID (ready) or closes the pipe (it died); its
  // stderr is drained meanwhile so that it never blocks on a full pipe.
  std::string got, errs;
  auto deadline = std::chrono::steady_clock::now() + spec.timeout;
  bool ready_open = true;
  while (ready_open && got.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return pasta_error(ETIMEDOUT, "the jail's interface " + spec.ifname + " was not configured within " +
                                        std::to_string(spec.timeout.count()) + " ms");
    pollfd pfd[2] = {{ready_r.get(), POLLIN, 0}, {err_r ? err_r.get() : -1, POLLIN, 0}};
    int n = poll(pfd, 2, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) return pasta_error(errno, "poll");
    char buf[512];
    if (pfd[1].revents) {
      ssize_t r = read(err_r.get(), buf, sizeof buf);
      if (r > 0) {
        errs.append(buf, static_cast<size_t>(r));
        if (errs.size() > 8192) errs.erase(0, errs.size() - 8192);
      } else if (r == 0) {
        err_r.reset();
      }
    }
    if (pfd[0].revents) {
      ssize_t r = read(ready_r.get(), buf, sizeof buf);
      if (r > 0) got.append(buf, static_cast<size_t>(r));
      else if (r == 0) ready_open = false;
    }
  }
  if (got.find('\n') == std::string::npos) {
    // Dead before ready: what it said on the way out is the error.
    while (err_r) {
      char buf[512];
      ssize_t r = read(err_r.get(), buf, sizeof buf);
      if (r <= 0) break;
      errs.append(buf, static_cast<size_t>(r));
    }
    siginfo_t si{};
    waitid(P_PIDFD, static_cast<id_t>(p.pidfd_.get()), &si, WEXITED);
    p.pidfd_.reset();
    std::string why = pasta_failure(errs);
    if (why.empty())
      why = si.si_code == CLD_EXITED ? "exited with status " + std::to_string(si.si_status) + " before configuring " + spec.ifname
                                     : std::string("killed by signal ") + strsignal(si.si_status);
    return pasta_error(0, why);
  }
  if (strtol(got.c_str(), nullptr, 10) != p.pid_) return pasta_error(0, "wrote PID " + got.substr(0, got.find('\n')) + ", not its own");
  return p;
}

}  // namespace zjail
