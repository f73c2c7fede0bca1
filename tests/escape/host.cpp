// battery host-setup: the host side of the battery, for running it by hand
// (in the VM, inside an SSH session confined by pam_zjail). Run as root on
// the host, outside any jail, it sets up what the probes aim at, prints the
// arguments to give the battery inside, waits, and then checks on the host
// that nothing was touched. See README.md.
#include "host.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "catalog.hpp"
#include "fd_handout.hpp"

namespace zjail_escape {
namespace {

int listener(const std::string& name, bool abstract) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  size_t off = abstract ? 1 : 0;
  if (s < 0 || name.size() + off >= sizeof a.sun_path) return -1;
  std::memcpy(a.sun_path + off, name.data(), name.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + off + name.size() + (abstract ? 0 : 1));
  if (bind(s, reinterpret_cast<sockaddr*>(&a), len) < 0 || listen(s, 8) < 0) {
    close(s);
    return -1;
  }
  if (!abstract) chmod(name.c_str(), 0666);
  return s;
}

bool reached(int s) {
  if (s < 0) return false;
  int c = accept4(s, nullptr, nullptr, SOCK_CLOEXEC);
  if (c >= 0) close(c);
  return c >= 0;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

bool copy_self(const std::string& to, mode_t mode) {
  std::string self = slurp("/proc/self/exe");
  unlink(to.c_str());
  int fd = open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
  if (fd < 0) return false;
  bool ok = write(fd, self.data(), self.size()) == static_cast<ssize_t>(self.size());
  close(fd);
  return ok && chown(to.c_str(), 0, 0) == 0 && chmod(to.c_str(), mode) == 0;
}

void mkdir_p(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); ++i)
    if (i == dir.size() || dir[i] == '/') mkdir(dir.substr(0, i).c_str(), 0755);
}

// Every jail has a /run of its own.
constexpr const char* kSecretDir = "/run/zjail-escape-secret";

struct Setup {
  uid_t uid = 65534;
  std::string dir = "/usr/lib/zjail-escape";  // ssh-restricted binds /usr/lib, not /usr/local
  std::string zjail = "/usr/bin/zjail";
  pid_t victim = -1;
  long key = -1;
  std::string abstract = "zjail-escape-host";
  int abstract_fd = -1, tcp_fd = -1, tcp_port = 0, shm_id = -1;
  long shm_key = 0x7a65e5c0;
  std::string marker = "zjail-escape-host-marker";
  std::vector<std::pair<std::string, int>> standins;  // path, fd
  // kSecretDir, which no jail shows, handed out as an fd at DIR/dirfd.sock.
  std::unique_ptr<zjail_test_io::DirFdHandout> handout;
  std::string zjail_bytes, hostname;
};

void cleanup(Setup& s) {
  if (s.victim > 0) {
    kill(s.victim, SIGKILL);
    waitpid(s.victim, nullptr, 0);
  }
  if (s.key > 0) syscall(SYS_keyctl, KEYCTL_INVALIDATE, s.key);
  if (s.shm_id >= 0) shmctl(s.shm_id, IPC_RMID, nullptr);
  for (auto& [path, fd] : s.standins) {
    close(fd);
    unlink(path.c_str());
  }
  s.handout.reset();
  unlink((std::string(kSecretDir) + "/zjail-escape-secret").c_str());
  rmdir(kSecretDir);
  for (const char* f : {"/suid", "/fcap", "/args"}) unlink((s.dir + f).c_str());
  for (const char* d : {"/tmp/", "/dev/shm/"}) unlink((d + s.marker).c_str());
  rmdir(s.dir.c_str());
}

int check(const char* name, bool ok, const std::string& detail) {
  std::printf("host-check=%s result=%s detail=\"%s\"\n", name, ok ? "ok" : "FAIL", detail.c_str());
  return ok ? 0 : 1;
}

std::string host_name() {
  char b[256] = {};
  gethostname(b, sizeof b - 1);
  return b;
}

}  // namespace

int host_setup(int argc, char** argv) {
  Setup s;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--uid") s.uid = static_cast<uid_t>(std::atol(v.c_str()));
    else if (k == "--dir") s.dir = v;
    else if (k == "--zjail") s.zjail = v;
    else {
      std::fprintf(stderr, "battery host-setup: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (geteuid() != 0) {
    std::fprintf(stderr, "battery host-setup: run as root on the host, outside the jail\n");
    return 2;
  }
  s.zjail_bytes = slurp(s.zjail);
  if (s.zjail_bytes.empty()) {
    std::fprintf(stderr, "battery host-setup: cannot read %s (give --zjail PATH)\n", s.zjail.c_str());
    return 2;
  }
  s.hostname = host_name();
  // A process of the confined user's uid, outside the jail: kill -1 and
  // ptrace from inside must miss it.
  s.victim = fork();
  if (s.victim == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (setresgid(s.uid, s.uid, s.uid) < 0 || setresuid(s.uid, s.uid, s.uid) < 0) _exit(1);
    for (;;) pause();
  }
  s.key = syscall(SYS_add_key, "user", "zjail-escape-canary", "host-secret-key", 15, KEY_SPEC_USER_KEYRING);
  if (s.key > 0) syscall(SYS_keyctl, KEYCTL_SETPERM, s.key, 0x3f3f0b0b);  // group/other: view|read|search
  s.abstract_fd = listener(s.abstract, true);
  s.tcp_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (s.tcp_fd >= 0 && bind(s.tcp_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && listen(s.tcp_fd, 8) == 0 &&
      getsockname(s.tcp_fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    s.tcp_port = ntohs(a.sin_port);
  s.shm_id = shmget(static_cast<key_t>(s.shm_key), 4096, IPC_CREAT | 0666);
  if (s.shm_id >= 0) {
    void* p = shmat(s.shm_id, nullptr, 0);
    if (p != reinterpret_cast<void*>(-1)) {
      std::strcpy(static_cast<char*>(p), "host-shm-secret");
      shmdt(p);
    }
  }
  // Files the host leaves in its own /tmp and /dev/shm: the jail has its own.
  for (const char* d : {"/tmp/", "/dev/shm/"}) {
    std::string f = d + s.marker;
    std::ofstream(f) << "host-secret-file\n";
    chmod(f.c_str(), 0644);
  }
  for (const char* path : {"/run/dbus/system_bus_socket", "/run/systemd/private"}) {
    if (!clear_stale_socket(path)) continue;  // the real one
    std::string d(path);
    mkdir(d.substr(0, d.rfind('/')).c_str(), 0755);
    int fd = listener(path, false);
    if (fd >= 0) s.standins.emplace_back(path, fd);
  }
  // Setuid and file-capability copies of the battery, where the jail can
  // see them (profiles bind /usr read-only).
  mkdir_p(s.dir);
  mkdir(kSecretDir, 0755);
  chmod(kSecretDir, 0755);
  std::ofstream(std::string(kSecretDir) + "/zjail-escape-secret") << "host-secret-file\n";
  chmod((std::string(kSecretDir) + "/zjail-escape-secret").c_str(), 0644);
  s.handout = std::make_unique<zjail_test_io::DirFdHandout>(s.dir + "/dirfd.sock", kSecretDir);
  bool suid = copy_self(s.dir + "/suid", 04755);
  bool fcap = copy_self(s.dir + "/fcap", 0755);
  if (fcap) {
    vfs_cap_data d{};
    d.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
    d.data[0].permitted = (1U << CAP_SYS_ADMIN) | (1U << CAP_DAC_OVERRIDE);
    fcap = setxattr((s.dir + "/fcap").c_str(), "security.capability", &d, XATTR_CAPS_SZ_2, 0) == 0;
  }

  std::string args = "--outside-pid " + std::to_string(s.victim) + " --key " + std::to_string(s.key) +
                     " --abstract " + s.abstract + " --tcp-port " + std::to_string(s.tcp_port) + " --shm-key " +
                     std::to_string(s.shm_key) + " --marker " + s.marker;
  if (s.handout->ok()) args += " --dirfd-socket " + s.dir + "/dirfd.sock";
  if (suid) args += " --suid " + s.dir + "/suid";
  if (fcap) args += " --fcap " + s.dir + "/fcap";
  // What this kernel closes by itself, found here, unconfined: the battery
  // inside cannot tell that from zjail's work.
  auto closed = closed_by_this_kernel();
  for (const auto& arg : kernel_closed_args(closed)) args += " " + arg;
  for (const auto& arg : landlock_abi_args()) args += " " + arg;
  std::ofstream(s.dir + "/args") << args << "\n";
  chmod((s.dir + "/args").c_str(), 0644);
  std::printf("ARGS %s\n", args.c_str());
  for (const auto& n : closed)
    std::printf("# NOTE: closed by this kernel, unconfined: %s (expects %s in every profile)\n", n.c_str(),
                find_probe(n)->kernel_closed);
  std::printf("# inside the jail: battery --profile-expect PROFILE $(cat %s/args)\n", s.dir.c_str());
  std::printf("# press Enter (or send SIGTERM) when done; the host is checked then\n");
  std::fflush(stdout);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  // Wait for a line on stdin, or for SIGTERM/SIGINT.
  pid_t reader = fork();
  if (reader == 0) {
    char c;
    while (read(0, &c, 1) == 1 && c != '\n') {}
    _exit(0);
  }
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  for (;;) {
    int sig = 0;
    sigwait(&set, &sig);
    if (sig != SIGCHLD) break;
    if (waitpid(reader, nullptr, WNOHANG) == reader) {
      reader = -1;
      break;
    }
  }
  if (reader > 0) {
    kill(reader, SIGKILL);
    waitpid(reader, nullptr, 0);
  }

  int failed = 0;
  int st = 0;
  bool alive = waitpid(s.victim, &st, WNOHANG) == 0 && kill(s.victim, 0) == 0;
  failed += check("victim-alive", alive, "pid " + std::to_string(s.victim) + " uid " + std::to_string(s.uid));
  failed += check("abstract-untouched", !reached(s.abstract_fd), "@" + s.abstract);
  failed += check("tcp-untouched", !reached(s.tcp_fd), "127.0.0.1:" + std::to_string(s.tcp_port));
  for (auto& [path, fd] : s.standins) failed += check("standin-untouched", !reached(fd), path);
  failed += check("hostname-unchanged", host_name() == s.hostname, s.hostname);
  failed += check("zjail-unchanged", slurp(s.zjail) == s.zjail_bytes,
                  s.zjail + " (" + std::to_string(s.zjail_bytes.size()) + " bytes, compared byte for byte)");
  std::printf("host-summary failed=%d\n", failed);
  cleanup(s);
  return failed ? 1 : 0;
}

}  // namespace zjail_escape
