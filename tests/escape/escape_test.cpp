// The escape battery against the real zjail on this host (label `root`).
//
// Escape.IsBlocked/<profile>_<probe> runs one probe in a fresh jail of the
// shipped profile, with everything the battery needs set up on the host
// first: a victim process of the payload's uid, a canary key in root's user
// keyring, an abstract unix and a TCP listener in the host's network
// namespace, a SysV segment, setuid and file-capability copies of the battery
// and a raw block device bound in, stand-ins for the D-Bus sockets, stray fds,
// a host cwd and a pty as the caller's terminal. It asserts the probe's
// verdict (blocked with exactly the catalog's errno or signal) and, on the
// host, that nothing was touched: the victim lives, the listeners saw no
// connection, the terminal got no input, the host name and the zjail binary
// are unchanged.
//
// Baseline.Escapes/<probe> runs the harmless probes unjailed as root, to
// prove each one is a real attack that works without zjail; where this
// host's kernel refuses the attack to root too, it skips and says why.
//
// What this kernel closes by itself (closed_by_this_kernel(), probed here,
// unconfined) goes to every battery as --kernel-closed: the jail cannot
// learn it, and a probe may only count as "closed by the kernel" where the
// host showed exactly that.
#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "catalog.hpp"
#include "fd_handout.hpp"
#include "harness.hpp"
#include "host.hpp"
#include "host_kernel.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using zjail_escape::Need;
using zjail_escape::ProbeInfo;

// The probes whose way out this kernel closes by itself: found once, here.
const std::set<std::string>& kernel_closed() {
  static const std::set<std::string> closed = zjail_escape::closed_by_this_kernel();
  return closed;
}

std::string sha256(const std::string& path) {
  std::string cmd = "sha256sum '" + path + "'";
  std::string out;
  if (FILE* f = popen(cmd.c_str(), "r")) {
    char buf[256];
    while (fgets(buf, sizeof buf, f)) out += buf;
    pclose(f);
  }
  return out.substr(0, out.find(' '));
}

std::string host_hostname() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

int listen_unix(const std::string& path, bool abstract) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  size_t off = abstract ? 1 : 0;
  std::memcpy(a.sun_path + off, path.data(), path.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + off + path.size() + (abstract ? 0 : 1));
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&a), len) < 0 || listen(s, 8) < 0) {
    if (s >= 0) close(s);
    return -1;
  }
  return s;
}

// True when a connection is waiting on a non-blocking listener.
bool was_reached(int s) {
  int c = accept4(s, nullptr, nullptr, SOCK_CLOEXEC);
  if (c >= 0) close(c);
  return c >= 0;
}

// A file capability set on a copy of the battery: CAP_SYS_ADMIN and
// CAP_DAC_OVERRIDE, permitted and effective.
bool set_file_caps(const std::string& path) {
  vfs_cap_data d{};
  d.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
  d.data[0].permitted = (1U << CAP_SYS_ADMIN) | (1U << CAP_DAC_OVERRIDE);
  return setxattr(path.c_str(), "security.capability", &d, XATTR_CAPS_SZ_2, 0) == 0;
}

bool copy_file(const std::string& from, const std::string& to) {
  std::error_code ec;
  return std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
}

// A block device node of this host: a usual disk, else whatever the kernel
// lists in /sys/class/block (xvda, mmcblk0, ...); "" where it has none.
std::string any_block_device() {
  auto is_block = [](const std::string& dev) {
    struct stat st{};
    return stat(dev.c_str(), &st) == 0 && S_ISBLK(st.st_mode);
  };
  for (const char* d : {"/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/loop0"})
    if (is_block(d)) return d;
  std::string found;
  if (DIR* d = opendir("/sys/class/block")) {
    while (dirent* e = readdir(d)) {
      std::string dev = std::string("/dev/") + e->d_name;
      if (e->d_name[0] != '.' && is_block(dev) && (found.empty() || dev < found)) found = dev;
    }
    closedir(d);
  }
  return found;
}

// A listening stand-in at a well-known socket path, unless the real one is there.
struct StandIn {
  std::string path;
  int fd = -1;
  bool created_dir = false;
  explicit StandIn(const std::string& p) {
    if (!zjail_escape::clear_stale_socket(p)) return;  // the real one
    std::string dir = p.substr(0, p.rfind('/'));
    created_dir = mkdir(dir.c_str(), 0755) == 0;
    fd = listen_unix(p, false);
    if (fd >= 0) path = p;
  }
  ~StandIn() {
    if (fd < 0) return;
    close(fd);
    unlink(path.c_str());
    if (created_dir) rmdir(path.substr(0, path.rfind('/')).c_str());
  }
};

// A world-readable file in `d`, for passed-dirfd.
bool fill_secret(const TempDir& d) {
  chmod(d.path().c_str(), 0755);
  std::ofstream(d / "zjail-escape-secret") << "host-secret-file\n";
  return chmod((d / "zjail-escape-secret").c_str(), 0644) == 0;
}

// Everything on the host side that the battery's probes aim at.
struct HostTargets {
  const ProbeInfo* only_;  // the probe this jail runs; nullptr: all of them
  TempDir dir;      // setuid/fcap copies (bound at /escape), leak file, cwd
  TempDir cwd;      // the caller's cwd, outside the jail
  pid_t victim = -1;
  long key = -1;
  std::string key_desc = "zjail-escape-canary-" + std::to_string(getpid());
  std::string abstract;
  int abstract_fd = -1;
  int tcp_fd = -1, tcp_port = 0;
  int shm_id = -1;
  long shm_key = 0;
  std::string marker = "zjail-escape-marker-" + std::to_string(getpid());
  std::string blockdev;
  int pty_master = -1;
  std::string pty_slave;
  // A directory no jail shows, with a world-readable file, handed out as an
  // fd at DIR/dirfd.sock (the jail's /escape/dirfd.sock).
  TempDir secret;
  bool secret_made = fill_secret(secret);
  zjail_test_io::DirFdHandout handout{dir / "dirfd.sock", secret.path()};
  StandIn dbus{"/run/dbus/system_bus_socket"};
  StandIn systemd{"/run/systemd/private"};
  // The launcher probes (and the full battery) compare SHA-256 sums; every
  // other test compares the bytes, which costs no extra process.
  bool hash;
  std::string zjail_hash, zjail_bytes;
  std::string hostname = host_hostname();

  // `only`: the probe this jail runs (nullptr: all of them), so that costly
  // targets are made only for the probes that aim at them.
  // `uid`: the payload's, for the victim (default: the shipped profiles' nobody).
  explicit HostTargets(const ProbeInfo* only = nullptr, uid_t uid = nobody_uid())
      : only_(only),
        hash(!only || std::string(only->cls) == "launcher"),
        zjail_hash(hash ? sha256(kZjail) : ""),
        zjail_bytes(read_file(kZjail)) {
    // A process of the payload's uid outside the jail: kill -1 and ptrace must miss it.
    victim = fork();
    if (victim == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0) _exit(1);
      for (;;) pause();
    }
    // Unique: a second key of the same description would replace this one.
    key = syscall(SYS_add_key, "user", key_desc.c_str(), "host-secret-key", 15, KEY_SPEC_USER_KEYRING);
    if (key > 0) syscall(SYS_keyctl, KEYCTL_SETPERM, key, 0x3f3f0b0b);  // group/other: view|read|search
    abstract = "zjail-escape-" + std::to_string(getpid());
    abstract_fd = listen_unix(abstract, true);
    tcp_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (tcp_fd >= 0 && bind(tcp_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && listen(tcp_fd, 8) == 0 &&
        getsockname(tcp_fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      tcp_port = ntohs(a.sin_port);
    shm_key = 0x7a650000L | (getpid() & 0xffff);
    shm_id = shmget(static_cast<key_t>(shm_key), 4096, IPC_CREAT | IPC_EXCL | 0666);
    if (shm_id >= 0) {
      void* p = shmat(shm_id, nullptr, 0);
      if (p != reinterpret_cast<void*>(-1)) {
        std::strcpy(static_cast<char*>(p), "host-shm-secret");
        shmdt(p);
      }
    }
    std::string suid = dir / "suid", fcap = dir / "fcap";
    if ((!only || only->need == Need::Suid) && copy_file(kProbe, suid) && chown(suid.c_str(), 0, 0) == 0)
      chmod(suid.c_str(), 04755);
    if ((!only || only->need == Need::Fcap) && copy_file(kProbe, fcap)) {
      chmod(fcap.c_str(), 0755);
      set_file_caps(fcap);
    }
    for (const char* d : {"/tmp/", "/dev/shm/"}) {
      std::string f = d + marker;
      std::ofstream(f) << "host-secret-file\n";
      chmod(f.c_str(), 0644);
    }
    blockdev = any_block_device();
    pty_master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (pty_master >= 0 && grantpt(pty_master) == 0 && unlockpt(pty_master) == 0) pty_slave = ptsname(pty_master);
  }

  ~HostTargets() {
    if (victim > 0) {
      kill(victim, SIGKILL);
      waitpid(victim, nullptr, 0);
    }
    if (key > 0) syscall(SYS_keyctl, KEYCTL_INVALIDATE, key);
    if (abstract_fd >= 0) close(abstract_fd);
    if (tcp_fd >= 0) close(tcp_fd);
    if (shm_id >= 0) shmctl(shm_id, IPC_RMID, nullptr);
    if (pty_master >= 0) close(pty_master);
    for (const char* d : {"/tmp/", "/dev/shm/"}) unlink((d + marker).c_str());
  }

  bool victim_alive() const {
    int st;
    return victim > 0 && waitpid(victim, &st, WNOHANG) == 0 && kill(victim, 0) == 0;
  }

  // Bytes waiting in the caller's terminal: what its shell would run next.
  int pending_input() const {
    int fd = open(pty_slave.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    int n = -1;
    if (fd >= 0) ioctl(fd, FIONREAD, &n);
    if (fd >= 0) close(fd);
    return n;
  }

  std::vector<std::string> zjail_args() const {
    std::vector<std::string> a = {"--ro-bind", dir.path() + ":/escape"};
    if (!blockdev.empty()) a.insert(a.end(), {"--ro-bind", blockdev + ":/escape-dev/blk"});
    return a;
  }

  std::vector<std::string> battery_args(bool jailed) const {
    std::vector<std::string> a = {"--outside-pid", std::to_string(victim), "--key", std::to_string(key),
                                  "--key-desc", key_desc,
                                  "--abstract", abstract, "--tcp-port", std::to_string(tcp_port),
                                  "--shm-key", std::to_string(shm_key), "--marker", marker};
    std::string where = jailed ? "/escape" : dir.path();
    a.insert(a.end(), {"--suid", where + "/suid", "--fcap", where + "/fcap"});
    if (secret_made && handout.ok()) a.insert(a.end(), {"--dirfd-socket", where + "/dirfd.sock"});
    if (!blockdev.empty()) a.insert(a.end(), {"--blockdev", jailed ? "/escape-dev/blk" : blockdev});
    for (const auto& x : zjail_escape::kernel_closed_args(kernel_closed())) a.push_back(x);
    for (const auto& x : zjail_escape::landlock_abi_args()) a.push_back(x);
    return a;
  }

  RunOptions options() const {
    RunOptions o;
    o.cwd = cwd.path();
    o.leak_path = dir / "leak";
    o.tty = pty_slave;
    o.timeout_ms = 60000;
    return o;
  }

  // Whether `profile` lets `probe` (when this jail ran it) reach its target:
  // the host's network in network-service, or a Landlock layer this kernel lacks.
  bool open_in(const std::string& profile, const char* probe) const {
    const ProbeInfo* p = zjail_escape::find_probe(probe);
    if (only_ && only_ != p) return false;
    const char* e = zjail_escape::expected_here(*p, profile, kernel_closed(), zjail_escape::landlock_abi_here());
    return e && std::string(e) == "ESCAPED";
  }

  // The host after the jail is gone: nothing it aimed at may show a trace,
  // and what the profile opens on purpose was reached (exact both ways).
  void expect_untouched(const RunResult& r, const std::string& profile) {
    EXPECT_TRUE(victim_alive()) << "a host process of the payload's uid died\n" << r.dump();
    EXPECT_EQ(was_reached(abstract_fd), open_in(profile, "abstract-host"))
        << "the host's abstract socket reached (1) or not (0), against the catalog\n" << r.dump();
    EXPECT_EQ(was_reached(tcp_fd), open_in(profile, "tcp-host-loopback"))
        << "the host's 127.0.0.1:" << tcp_port << " reached (1) or not (0), against the catalog\n" << r.dump();
    if (dbus.fd >= 0) {
      EXPECT_FALSE(was_reached(dbus.fd)) << "the system bus stand-in was reached\n" << r.dump();
    }
    if (systemd.fd >= 0) {
      EXPECT_FALSE(was_reached(systemd.fd)) << "systemd's private socket stand-in was reached";
    }
    EXPECT_EQ(pending_input(), 0) << "input was injected into the caller's terminal\n" << r.dump();
    EXPECT_EQ(host_hostname(), hostname) << "the host's name changed";
    if (hash) {
      EXPECT_EQ(sha256(kZjail), zjail_hash) << "the zjail binary changed";
    }
    EXPECT_TRUE(read_file(kZjail) == zjail_bytes) << "the zjail binary changed";
    EXPECT_THAT(r.out, Not(HasSubstr("host-secret"))) << "a host secret leaked into the jail\n" << r.dump();
  }

  void expect_ready() const {
    ASSERT_GT(victim, 0);
    ASSERT_GT(key, 0) << "add_key: " << strerror(errno);
    ASSERT_GE(abstract_fd, 0);
    ASSERT_GT(tcp_port, 0);
    ASSERT_GE(shm_id, 0) << "shmget: " << strerror(errno);
    ASSERT_FALSE(pty_slave.empty());
    ASSERT_FALSE(zjail_bytes.empty());
    if (hash) {
      ASSERT_EQ(zjail_hash.size(), 64u);
    }
  }
};

// The battery's line for one probe, as key -> value.
std::map<std::string, std::string> probe_line(const RunResult& r, const std::string& name) {
  std::map<std::string, std::string> f;
  for (const auto& l : r.lines()) {
    if (l.rfind("probe=" + name + " ", 0) != 0) continue;
    size_t det = l.find(" detail=");
    std::istringstream in(l.substr(0, det));
    std::string w;
    while (in >> w) {
      size_t eq = w.find('=');
      if (eq != std::string::npos) f[w.substr(0, eq)] = w.substr(eq + 1);
    }
    if (det != std::string::npos) f["detail"] = l.substr(det + 8);
  }
  return f;
}

std::string outcome_of(const std::map<std::string, std::string>& f) {
  for (const char* k : {"errno", "signal", "check"})
    if (f.count(k)) return f.at(k);
  return "";
}

// The profile zjail runs and the catalog column it is checked against: the
// shipped profiles, base-service with /sys visible, and ssh-restricted as
// pam_zjail sets it up (both in tests/escape/profiles).
struct ProfileRun {
  std::string zjail;
  std::string expect;
  bool best_effort = false;  // layered on limits-best-effort (the daemons: TasksMax= and no pids controller here)
};

const std::vector<ProfileRun> kProfiles = {{"base-service", "base-service"},
                                           {"untrusted", "untrusted"},
                                           {"sys-visible", "sys-visible"},
                                           {"ssh-restricted-here", "ssh-restricted"},
                                           {"network-service", "network-service"}};

void PrintTo(const ProfileRun& p, std::ostream* os) { *os << p.expect; }

std::vector<std::string> jailed_args(const ProfileRun& profile, const HostTargets& t,
                                     std::vector<std::string> battery) {
  std::vector<std::string> a = {"--profile", profile.zjail};
  if (profile.best_effort) a.insert(a.begin(), {"--profile", "limits-best-effort"});
  for (const auto& x : t.zjail_args()) a.push_back(x);
  a.push_back("--");
  a.push_back(kProbe);
  a.insert(a.end(), battery.begin(), battery.end());
  a.push_back("--profile-expect");
  a.push_back(profile.expect);
  for (const auto& x : t.battery_args(true)) a.push_back(x);
  return a;
}


struct Case {
  ProfileRun profile;
  const ProbeInfo* probe;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.profile.expect << "/" << c.probe->name; }

std::string ident(std::string s) {
  for (char& c : s)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

class Escape : public RootTest, public ::testing::WithParamInterface<Case> {};

TEST_P(Escape, IsBlocked) {
  const Case& c = GetParam();
  HostTargets t(c.probe);
  t.expect_ready();
  if (c.probe->need == Need::BlockDev && t.blockdev.empty())
    GTEST_SKIP() << "\n*** " << c.probe->name << " NOT SHOWN: this host has no block device to bind in ***";
  auto r = run(jailed_args(c.profile, t, {"run", c.probe->name}), t.options());
  ASSERT_FALSE(r.timed_out) << r.dump();
  auto f = probe_line(r, c.probe->name);
  ASSERT_FALSE(f.empty()) << "no line for the probe\n" << r.dump();
  std::string want =
      zjail_escape::expected_here(*c.probe, c.profile.expect, kernel_closed(), zjail_escape::landlock_abi_here());
  if (want == "ESCAPED") {
    // The profile opens this on purpose (catalog.cpp says why): it must work.
    EXPECT_EQ(f["result"], "ESCAPED") << r.dump();
    EXPECT_EQ(f["verdict"], "open") << r.dump();
  } else {
    EXPECT_EQ(f["result"], "BLOCKED") << r.dump();
    EXPECT_EQ(outcome_of(f), want) << r.dump();
    EXPECT_EQ(f["verdict"], "ok") << r.dump();
  }
  EXPECT_EQ(r.code, 0) << r.dump();
  t.expect_untouched(r, c.profile.expect);
}

std::vector<Case> all_cases() {
  std::vector<Case> out;
  for (const auto& p : kProfiles)
    for (const auto& probe : zjail_escape::catalog()) out.push_back({p, &probe});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Battery, Escape, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           return ident(i.param.profile.expect + "_" + i.param.probe->name);
                         });

// The whole battery in one jail, as an engineer runs it by hand: every probe
// is blocked as expected and none is skipped, because the host provided
// every target.
class FullBattery : public RootTest, public ::testing::WithParamInterface<ProfileRun> {};

// The summary a full battery under `profile` must end with: every probe
// blocked as expected, or open where the catalog says the profile opens it,
// and only raw-block-open skipped, on a host without a block device.
std::string full_summary(const std::string& profile, const HostTargets& t) {
  size_t n = zjail_escape::catalog().size(), open = 0;
  for (const auto& p : zjail_escape::catalog()) {
    const char* e = zjail_escape::expected_here(p, profile, kernel_closed(), zjail_escape::landlock_abi_here());
    open += e && std::string(e) == "ESCAPED";
  }
  size_t skipped = t.blockdev.empty() ? 1 : 0;
  return "summary profile=" + profile + " probes=" + std::to_string(n) + " ok=" + std::to_string(n - skipped - open) +
         " failed=0 skipped=" + std::to_string(skipped) + " open=" + std::to_string(open);
}

TEST_P(FullBattery, EveryProbeBlocked) {
  HostTargets t;
  t.expect_ready();
  auto r = run(jailed_args(GetParam(), t, {}), t.options());
  ASSERT_FALSE(r.timed_out) << r.dump();
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(r.line("summary").value_or(""), full_summary(GetParam().expect, t))
      << (t.blockdev.empty() ? "(this host has no block device: raw-block-open skips)\n" : "") << r.dump();
  t.expect_untouched(r, GetParam().expect);
}

INSTANTIATE_TEST_SUITE_P(Battery, FullBattery, ::testing::ValuesIn(kProfiles),
                         [](const ::testing::TestParamInfo<ProfileRun>& i) { return ident(i.param.expect); });

// --- the daemon profiles in profiles/ ---------------------------------------------

// What `zjail --check` says stops `profile` on this host: a user or group it
// names, or a bind source, that the host lacks; "" when it can launch. Any
// other complaint is zjail's or the profile's, and fails the test.
std::string cannot_launch_here(const ProfileRun& profile, bool& other) {
  auto r = run({"--check", "--profile", "limits-best-effort", "--profile", profile.zjail, "--", kProbe});
  other = false;
  if (r.code == 0) return "";
  std::string why;
  for (const auto& l : r.err_lines()) {
    if (l.find("EnforceLimits=best-effort") != std::string::npos) continue;  // a warning: the jail runs
    bool host = l.find("unknown user") != std::string::npos || l.find("unknown group") != std::string::npos ||
                (l.find("bind source") != std::string::npos && l.find("No such file") != std::string::npos);
    other = other || !host;
    why += "\n    " + l;
  }
  return why.empty() ? r.dump() : why;
}

// `zjail --show`'s User=, as a uid: the victim process runs under it.
uid_t user_of(const ProfileRun& profile) {
  auto r = run({"--show", "--profile", profile.zjail});
  std::string user = "nobody";
  for (const auto& l : r.lines())
    if (l.rfind("User=", 0) == 0 && l.size() > 5) user = l.substr(5);
  struct passwd* pw = getpwnam(user.c_str());
  return pw ? pw->pw_uid : nobody_uid();
}

struct DaemonRun {
  const zjail_escape::DaemonProfile* daemon;
};

void PrintTo(const DaemonRun& d, std::ostream* os) { *os << d.daemon->name; }

// The whole battery under each daemon profile, in one jail: every probe as
// its base profile's column says, or as the catalog's written-down
// differences say. A profile this host cannot launch skips, saying why.
class DaemonBattery : public RootTest, public ::testing::WithParamInterface<DaemonRun> {};

TEST_P(DaemonBattery, EveryProbeAsWrittenDown) {
  const auto& d = *GetParam().daemon;
  ProfileRun profile{d.name, d.name, true};
  bool other = false;
  std::string why = cannot_launch_here(profile, other);
  ASSERT_FALSE(other) << "zjail --check refuses " << d.name << " for a reason other than the host:" << why;
  if (!why.empty()) GTEST_SKIP() << "\n*** " << d.name << " NOT SHOWN: this host cannot launch it:" << why << " ***";
  HostTargets t(nullptr, user_of(profile));
  t.expect_ready();
  RunOptions o = t.options();
  // A socket-activated daemon gets its socket from systemd: here, from us.
  int activation = -1;
  if (d.socket_activated) {
    activation = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(activation, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << strerror(errno);
    ASSERT_EQ(listen(activation, 8), 0) << strerror(errno);
    o.activation_fd = activation;
  }
  auto r = run(jailed_args(profile, t, {}), o);
  if (activation >= 0) close(activation);
  ASSERT_FALSE(r.timed_out) << r.dump();
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(r.line("summary").value_or(""), full_summary(d.name, t)) << r.dump();
  t.expect_untouched(r, d.name);
}

std::vector<DaemonRun> daemon_runs() {
  std::vector<DaemonRun> out;
  for (const auto& d : zjail_escape::daemon_profiles()) out.push_back({&d});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Battery, DaemonBattery, ::testing::ValuesIn(daemon_runs()),
                         [](const ::testing::TestParamInfo<DaemonRun>& i) { return ident(i.param.daemon->name); });

// With --keep-tty the payload stays in the caller's session, with the
// caller's terminal as its controlling terminal: the tty layer would allow
// TIOCSTI, so only zjail's filter stands between the payload and the shell.
TEST_P(FullBattery, TiocstiWithKeptTerminal) {
  HostTargets t;
  t.expect_ready();
  std::vector<std::string> args = {"--profile", GetParam().zjail, "--keep-tty", "--", kProbe, "run",
                                   "tiocsti-caller-tty", "--profile-expect", GetParam().expect};
  auto r = run(args, t.options());
  auto f = probe_line(r, "tiocsti-caller-tty");
  EXPECT_EQ(f["verdict"], "ok") << r.dump();
  EXPECT_EQ(outcome_of(f), "EPERM") << r.dump();
  EXPECT_THAT(f["detail"], HasSubstr("ctty=yes")) << "--keep-tty should keep the terminal\n" << r.dump();
  EXPECT_EQ(t.pending_input(), 0) << "input was injected into the caller's terminal";
}

// "Closed by the kernel" is exact both ways. Told the opposite of what this
// host's kernel does with int $0x80, the battery must fail the probe: on a
// kernel that leaves the entry open, a claimed closure expects SIGSEGV and
// meets zjail's SIGSYS; on one that closes it, the fault without the claim
// is a crash. And x32 cannot be declared closed: the filter answers first on
// every kernel.
class KernelClosed : public RootTest, public ::testing::WithParamInterface<ProfileRun> {};

TEST_P(KernelClosed, ClaimMustMatchTheHost) {
  bool closed = zjail_host::kernel_closes_i386_entry();
  std::vector<std::string> a = {"--profile", GetParam().zjail, "--", kProbe, "run", "int80", "--profile-expect",
                                GetParam().expect};
  if (!closed) a.insert(a.end(), {"--kernel-closed", "int80"});
  auto r = run(a);
  auto f = probe_line(r, "int80");
  EXPECT_EQ(f["verdict"], "FAIL") << r.dump();
  EXPECT_EQ(r.code, 1) << r.dump();
  if (closed) {
    EXPECT_EQ(f["result"], "ERROR") << r.dump();
    EXPECT_EQ(outcome_of(f), "SIGSEGV") << r.dump();
    EXPECT_EQ(f["expect"], "SIGSYS") << r.dump();
  } else {
    EXPECT_EQ(f["result"], "BLOCKED") << r.dump();
    EXPECT_EQ(outcome_of(f), "SIGSYS") << r.dump();
    EXPECT_EQ(f["expect"], "SIGSEGV") << r.dump();
  }
  auto x32 = run({"--profile", GetParam().zjail, "--", kProbe, "run", "x32", "--kernel-closed", "x32"});
  EXPECT_EQ(x32.code, 2) << "--kernel-closed x32 must be refused\n" << x32.dump();
  EXPECT_THAT(x32.err, HasSubstr("no kernel closes that by itself")) << x32.dump();
}

INSTANTIATE_TEST_SUITE_P(Battery, KernelClosed, ::testing::ValuesIn(kProfiles),
                         [](const ::testing::TestParamInfo<ProfileRun>& i) { return ident(i.param.expect); });

// The battery as the VM's engineer runs it by hand: `battery host-setup` on
// the host, the battery inside a jail with the arguments it printed, Enter,
// and the host checks.
TEST(HostSetup, BatteryByHand) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root, like the rest of the tier";
  if (!zjail_cannot_run_here().empty()) GTEST_SKIP() << "\n*** SKIPPED: " << zjail_cannot_run_here() << ". ***";
  TempDir d;
  std::string dir = d / "targets";
  int in[2], out[2];
  ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  pid_t setup = fork();
  if (setup == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    std::string uid = std::to_string(nobody_uid());  // base-service's User=
    execl(kProbe, kProbe, "host-setup", "--uid", uid.c_str(), "--dir", dir.c_str(), "--zjail", kZjail,
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  FILE* from = fdopen(out[0], "r");
  std::string args;
  char buf[1024];
  while (args.empty() && fgets(buf, sizeof buf, from))
    if (std::strncmp(buf, "ARGS ", 5) == 0) args = std::string(buf + 5, std::strcspn(buf + 5, "\n"));
  ASSERT_FALSE(args.empty()) << "host-setup printed no ARGS line";
  // host-setup found, unconfined, what this test found: the same closures.
  auto closed = zjail_escape::kernel_closed_args(kernel_closed());
  if (closed.empty()) {
    EXPECT_THAT(args, Not(HasSubstr("--kernel-closed"))) << args;
  } else {
    EXPECT_THAT(args, HasSubstr(closed[0] + " " + closed[1])) << args;
  }

  std::vector<std::string> a = {"--profile", "base-service", "--ro-bind", dir, "--", kProbe, "--profile-expect",
                                "base-service"};
  std::istringstream words(args);
  for (std::string w; words >> w;) a.push_back(w);
  auto r = run(a);
  // No terminal and no block device here: those two probes skip.
  size_t n = zjail_escape::catalog().size();
  EXPECT_EQ(r.line("summary").value_or(""), "summary profile=base-service probes=" + std::to_string(n) +
                                                " ok=" + std::to_string(n - 2) + " failed=0 skipped=2 open=0")
      << r.dump();

  (void)!write(in[1], "\n", 1);
  close(in[1]);
  std::string report;
  while (fgets(buf, sizeof buf, from)) report += buf;
  fclose(from);
  int st = 0;
  waitpid(setup, &st, 0);
  EXPECT_THAT(report, HasSubstr("host-check=victim-alive result=ok")) << report;
  EXPECT_THAT(report, HasSubstr("host-check=zjail-unchanged result=ok")) << report;
  EXPECT_THAT(report, HasSubstr("host-summary failed=0")) << report;
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << report;
  EXPECT_FALSE(exists(dir)) << "host-setup left its files behind";
}

// --- baselines: the same probes without zjail --------------------------------------

struct BaselineCase {
  const ProbeInfo* probe;
};

void PrintTo(const BaselineCase& c, std::ostream* os) { *os << c.probe->name; }

class Baseline : public RootTest, public ::testing::WithParamInterface<BaselineCase> {
  bool needs_zjail() const override { return false; }
};

TEST_P(Baseline, Escapes) {
  const ProbeInfo& p = *GetParam().probe;
  if (auto why = zjail_escape::baseline_refused_here(p); !why.empty())
    GTEST_SKIP() << "\n*** baseline " << p.name << " NOT SHOWN: " << why << ". ***";
  HostTargets t;
  t.expect_ready();
  std::vector<std::string> args = {"run", p.name};
  for (const auto& x : t.battery_args(false)) args.push_back(x);
  RunOptions o = t.options();
  bool tty = p.need == Need::Tty;
  if (!tty) o.tty.clear();
  auto r = unjailed(args, o);
  auto f = probe_line(r, p.name);
  if (std::string(p.baseline) == "ESCAPED") {
    EXPECT_EQ(f["result"], "ESCAPED") << r.dump();
  } else {
    EXPECT_EQ(outcome_of(f), p.baseline) << r.dump();
  }
  EXPECT_TRUE(t.victim_alive());
  // The caller's-terminal injection really lands: "id\n" waits for the shell.
  if (tty) {
    EXPECT_EQ(t.pending_input(), 3) << r.dump();
  }
}

std::vector<BaselineCase> with_baseline() {
  std::vector<BaselineCase> out;
  for (const auto& p : zjail_escape::catalog())
    if (p.baseline) out.push_back({&p});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Battery, Baseline, ::testing::ValuesIn(with_baseline()),
                         [](const ::testing::TestParamInfo<BaselineCase>& i) { return ident(i.param.probe->name); });

}  // namespace
}  // namespace zjail_test
