// observe: the parity probe (see observe.hpp and README.md). Prints one
// sorted key=value line per observation on stdout and exits 0; 2 on bad
// usage.
//
//   observe [PATH...]     PATH: more paths to report on, beside the fixed list
//
// This file: the entry point and the file system observations.
// observe_process.cpp: the process itself; attempt.cpp: the forked children.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "observe.hpp"

extern char** environ;

namespace observe {

namespace {

// Paths every report covers: the ones systemd's file system directives act
// on, the kernel's interfaces, and the fixture the VM runner makes
// (fixture.sh: /srv/zjail-parity, /home/zjail-parity, the markers in /tmp
// and /var/tmp). A path that does not exist says "absent", which compares
// as the tightest answer.
const char* const kPaths[] = {
    "/", "/bin", "/boot", "/dev", "/dev/full", "/dev/fuse", "/dev/hugepages", "/dev/kmsg", "/dev/mem",
    "/dev/mqueue", "/dev/net/tun", "/dev/null", "/dev/port", "/dev/ptmx", "/dev/pts", "/dev/random",
    "/dev/rtc0", "/dev/shm", "/dev/tty", "/dev/urandom", "/dev/vda", "/dev/zero", "/etc", "/etc/passwd",
    "/etc/shadow", "/home", "/home/zjail-parity", "/lib/modules", "/mnt", "/opt", "/proc", "/proc/acpi",
    "/proc/bus", "/proc/cmdline", "/proc/fs", "/proc/irq", "/proc/kallsyms", "/proc/kcore", "/proc/keys",
    "/proc/kmsg", "/proc/latency_stats", "/proc/meminfo", "/proc/sched_debug", "/proc/sys",
    "/proc/sys/kernel/domainname", "/proc/sys/kernel/hostname", "/proc/sys/kernel/modprobe",
    "/proc/sys/vm/overcommit_memory", "/proc/sysrq-trigger", "/proc/timer_list", "/root", "/run",
    "/run/dbus/system_bus_socket", "/run/systemd", "/run/user", "/srv", "/srv/zjail-parity",
    "/srv/zjail-parity/exec", "/srv/zjail-parity/exec/run", "/srv/zjail-parity/hidden",
    "/srv/zjail-parity/hidden/file", "/srv/zjail-parity/ro", "/srv/zjail-parity/rw", "/sys",
    "/sys/firmware", "/sys/fs/bpf", "/sys/fs/cgroup", "/sys/fs/pstore", "/sys/kernel/debug",
    "/sys/kernel/security", "/sys/kernel/tracing", "/sys/module", "/tmp", "/tmp/zjail-parity-marker",
    "/usr", "/usr/bin", "/usr/lib/modules", "/usr/local", "/var", "/var/cache", "/var/lib",
    "/var/lib/private", "/var/log", "/var/tmp", "/var/tmp/zjail-parity-marker",
};

// Directories whose entries are listed (names only): what a tmpfs or an
// inaccessible mount hides shows as fewer names. /tmp and /var/tmp are not
// listed (other services' files come and go there); their markers are.
const char* const kListed[] = {
    "/", "/dev", "/home", "/mnt", "/run/user", "/srv/zjail-parity", "/sys/fs/cgroup", "/var/lib/private",
};

// Device nodes opened for reading (and the harmless ones for writing: an
// open without a write changes nothing), which is what DeviceAllow= and
// DevicePolicy= decide, beside the file modes.
const char* const kDevicesRead[] = {
    "/dev/full", "/dev/fuse", "/dev/kmsg", "/dev/mem", "/dev/net/tun", "/dev/null", "/dev/port",
    "/dev/ptmx", "/dev/random", "/dev/rtc0", "/dev/tty", "/dev/urandom", "/dev/vda", "/dev/zero",
};
const char* const kDevicesWrite[] = {"/dev/full", "/dev/kmsg", "/dev/net/tun", "/dev/null", "/dev/zero"};

// Variables whose value is compared as it is; the systemd bookkeeping ones
// (random or naming a pid) only as set/unset.
const char* const kEnvValue[] = {
    "CACHE_DIRECTORY", "CONFIGURATION_DIRECTORY", "CREDENTIALS_DIRECTORY", "HOME", "LANG",
    "LOGNAME", "LOGS_DIRECTORY", "PATH", "RUNTIME_DIRECTORY", "SHELL", "STATE_DIRECTORY", "TERM",
    "TMPDIR", "USER", "WATCHDOG_USEC",
};
const char* const kEnvPresence[] = {
    "INVOCATION_ID", "JOURNAL_STREAM", "LISTEN_FDS", "MAINPID", "MANAGERPID", "NOTIFY_SOCKET",
    "SYSTEMD_EXEC_PID",
};
const char* const kDirectoryVars[] = {
    "CACHE_DIRECTORY", "CONFIGURATION_DIRECTORY", "LOGS_DIRECTORY", "RUNTIME_DIRECTORY", "STATE_DIRECTORY",
};

std::string type_name(mode_t m) {
  if (S_ISDIR(m)) return "dir";
  if (S_ISREG(m)) return "file";
  if (S_ISCHR(m)) return "chr";
  if (S_ISBLK(m)) return "blk";
  if (S_ISSOCK(m)) return "sock";
  if (S_ISFIFO(m)) return "fifo";
  if (S_ISLNK(m)) return "link";
  return "other";
}

std::string owner(uid_t id, uid_t self) {
  if (id == self) return "self";
  if (id == 0) return "root";
  return std::to_string(id);
}

std::string octal(unsigned v) {
  char b[16];
  std::snprintf(b, sizeof b, "%04o", v);
  return b;
}

// "dir:r-x": the type and what access(2) grants this process, which
// includes read-only and noexec mounts.
std::string access_of(const std::string& p) {
  struct stat st{};
  if (stat(p.c_str(), &st) < 0) return errno == ENOENT || errno == ENOTDIR ? "absent" : "denied";
  std::string v = type_name(st.st_mode) + ":";
  v += faccessat(AT_FDCWD, p.c_str(), R_OK, AT_EACCESS) == 0 ? 'r' : '-';
  v += faccessat(AT_FDCWD, p.c_str(), W_OK, AT_EACCESS) == 0 ? 'w' : '-';
  v += faccessat(AT_FDCWD, p.c_str(), X_OK, AT_EACCESS) == 0 ? 'x' : '-';
  return v;
}

// The restricting flags of the mount that holds `p`: statvfs(3) reads them
// from the mount itself, the same options mountinfo shows, without the mount
// ids and sources that differ from one namespace to another.
std::string mount_flags(const std::string& p) {
  struct statvfs sv{};
  if (statvfs(p.c_str(), &sv) < 0) return errno == ENOENT || errno == ENOTDIR ? "absent" : "denied";
  std::string v;
  auto add = [&](unsigned long bit, const char* name) {
    if (sv.f_flag & bit) v += std::string(v.empty() ? "" : ",") + name;
  };
  add(ST_RDONLY, "ro");
  add(ST_NOSUID, "nosuid");
  add(ST_NODEV, "nodev");
  add(ST_NOEXEC, "noexec");
  return v.empty() ? "-" : v;
}

std::string listing(const std::string& p) {
  DIR* d = opendir(p.c_str());
  if (!d) return errno == ENOENT || errno == ENOTDIR ? "absent" : "denied";
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    // A name with a comma would read as two; such names are not expected here.
    std::replace(n.begin(), n.end(), ',', '_');
    names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  std::string v;
  for (const auto& n : names) v += (v.empty() ? "" : ",") + n;
  return v.empty() ? "-" : v;
}

Call open_device(const std::string& key, const char* p, int mode) {
  return {key, [p, mode] {
            int fd = open(p, mode | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
            if (fd < 0) return errno;
            close(fd);
            return 0;
          }};
}

// 64-bit FNV-1a: enough to tell two credentials' contents apart in a report
// without printing secrets.
std::string fnv_of_file(const std::string& p, long long& size) {
  size = 0;
  int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ename(errno);
  unsigned long long h = 1469598103934665603ULL;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    size += n;
    for (ssize_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(buf[i])) * 1099511628211ULL;
  }
  close(fd);
  char b[20];
  std::snprintf(b, sizeof b, "%016llx", h);
  return b;
}

// "dir:self:root:0750:rwx": type, owner, group, mode and access of what
// `p` names; "link:" in front when `p` is a symlink to it (StateDirectory=
// with DynamicUser=yes is one, to /var/lib/private).
std::string describe_entry(const std::string& p) {
  struct stat st{};
  if (lstat(p.c_str(), &st) < 0) return errno == ENOENT ? "absent" : "denied";
  std::string link = S_ISLNK(st.st_mode) ? "link:" : "";
  if (!link.empty() && stat(p.c_str(), &st) < 0) return link + (errno == ENOENT ? "absent" : "denied");
  return link + type_name(st.st_mode) + ":" + owner(st.st_uid, getuid()) + ":" + owner(st.st_gid, getgid()) + ":" +
         octal(st.st_mode & 07777) + ":" + access_of(p).substr(type_name(st.st_mode).size() + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(sep, i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

void observe_environment(Report& r) {
  for (const char* v : kEnvValue) {
    const char* val = getenv(v);
    r[std::string("env.") + v] = val ? (*val ? val : "(empty)") : "unset";
  }
  for (const char* v : kEnvPresence) r[std::string("env.") + v] = getenv(v) ? "set" : "unset";
  // A case's own Environment= lines use PARITY_* names.
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    if (kv.rfind("PARITY_", 0) != 0) continue;
    size_t eq = kv.find('=');
    r["env." + kv.substr(0, eq)] = eq == std::string::npos || eq + 1 == kv.size() ? "(empty)" : kv.substr(eq + 1);
  }
}

// StateDirectory= and friends: each directory systemd made, its owner,
// mode and access; LoadCredential=/SetCredential=: each credential's
// owner, mode, size and a hash of its contents.
void observe_service_dirs(Report& r) {
  for (const char* var : kDirectoryVars) {
    const char* val = getenv(var);
    if (!val) continue;
    for (const auto& p : split(val, ':')) r[std::string("dir.") + var + "." + p] = describe_entry(p);
  }
  const char* creds = getenv("CREDENTIALS_DIRECTORY");
  if (!creds) return;
  r["dir.CREDENTIALS_DIRECTORY"] = describe_entry(creds);
  DIR* d = opendir(creds);
  if (!d) {
    r["cred.list"] = ename(errno);
    return;
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d))
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.push_back(e->d_name);
  closedir(d);
  for (const auto& n : names) {
    std::string p = std::string(creds) + "/" + n;
    long long size = 0;
    std::string hash = fnv_of_file(p, size);
    r["cred." + n] = describe_entry(p) + ":" + std::to_string(size) + ":" + hash;
  }
}

}  // namespace

std::string scratch_dir() {
  std::vector<std::string> dirs;
  if (const char* t = getenv("TMPDIR")) dirs.push_back(t);
  for (const char* d : {"/tmp", "/var/tmp", "/dev/shm"}) dirs.push_back(d);
  for (const char* var : kDirectoryVars)
    if (const char* v = getenv(var))
      for (const auto& p : split(v, ':')) dirs.push_back(p);
  for (const auto& d : dirs) {
    std::string f = d + "/.observe-scratch-" + std::to_string(getpid());
    int fd = open(f.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) continue;
    close(fd);
    unlink(f.c_str());
    return d;
  }
  return "";
}

std::vector<Group> file_groups(const std::vector<std::string>& extra) {
  std::set<std::string> paths(std::begin(kPaths), std::end(kPaths));
  paths.insert(extra.begin(), extra.end());
  return {
      {"paths",
       [paths](Report& g) {
         for (const auto& p : paths) {
           g["path." + p] = access_of(p);
           g["mnt." + p] = mount_flags(p);
         }
         for (const char* p : kListed) g[std::string("ls.") + p] = listing(p);
         char cwd[4096];
         g["cwd"] = getcwd(cwd, sizeof cwd) ? cwd : ename(errno);
       }},
      {"devices",
       [](Report& g) {
         std::vector<Call> calls;
         for (const char* d : kDevicesRead) calls.push_back(open_device(std::string("dev.r.") + d, d, O_RDONLY));
         for (const char* d : kDevicesWrite) calls.push_back(open_device(std::string("dev.w.") + d, d, O_WRONLY));
         attempt_all(g, calls);
       }},
      {"environment",
       [](Report& g) {
         observe_environment(g);
         observe_service_dirs(g);
       }},
  };
}

}  // namespace observe

int main(int argc, char** argv) {
  std::vector<std::string> extra;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.empty() || a[0] != '/') {
      std::fprintf(stderr, "usage: observe [ABSOLUTE-PATH...]\n");
      return 2;
    }
    while (a.size() > 1 && a.back() == '/') a.pop_back();
    extra.push_back(a);
  }
  signal(SIGPIPE, SIG_IGN);
  observe::Report r;
  r["probe"] = "observe/1";
  auto groups = observe::file_groups(extra);
  for (auto& g : observe::process_groups()) groups.push_back(std::move(g));
  observe::run_groups(r, groups);
  std::string out;
  for (const auto& [k, v] : r) {
    std::string value = v;
    std::replace(value.begin(), value.end(), '\n', ' ');
    out += k + "=" + value + "\n";
  }
  std::fputs(out.c_str(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}
