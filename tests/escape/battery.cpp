// battery: zjail's escape battery. A static binary meant to run inside a jail
// (any profile, or an SSH session confined by pam_zjail); see README.md.
//
//   battery [--profile-expect PROFILE] [--expect-file FILE] [--only NAME,...] [--strict] [TARGETS]
//   battery run NAME [--profile-expect PROFILE] [TARGETS]
//   battery list [--profile-expect PROFILE]
//   battery id                 (what the privilege-gain probes exec)
//   battery host-setup [--uid UID] [--dir DIR] [--zjail PATH]
//                              (as root on the host: set up the targets, print
//                               the TARGETS to pass inside, wait for Enter,
//                               then check the host; see host.cpp)
//   battery cat PATH...        (CONTENT <path> <line> for every line, or
//                               CONTENT-ERROR <path> <errno>; the mount-race
//                               test reads markers and mountinfo with it)
//
// TARGETS are what some probes need from the host: --outside-pid PID,
// --key SERIAL, --key-desc DESCRIPTION, --abstract NAME, --tcp-port PORT, --suid PATH, --fcap PATH,
// --blockdev PATH, --shm-key KEY, --marker NAME. A probe whose target is
// missing is SKIPPED. --kernel-closed NAME,... names the probes whose way out
// the host's kernel closes by itself (host-setup finds them, unconfined):
// those expect the catalog's "closed by the kernel" outcome. --landlock-abi N
// is the host's Landlock ABI: an outcome that stands on a newer Landlock
// feature expects what is left without it (catalog.cpp, kLandlockOutcomes).
//
// One line per probe, then a summary:
//   probe=NAME class=CLASS result=BLOCKED errno=EPERM expect=EPERM verdict=ok detail="..."
// result is BLOCKED, ESCAPED, ERROR (set-up failed) or SKIPPED; the outcome
// key is errno=, signal= (the probe's process was killed, e.g. SIGSYS) or
// check= (a named condition, e.g. check=lo-only); verdict is ok (blocked with
// exactly the expected outcome), open (escaped where the profile expects it
// to: the host's network in network-service, or a Landlock layer this kernel
// lacks), FAIL, skip, or - without --profile-expect.
//   summary profile=PROFILE probes=N ok=N failed=N skipped=N open=N
// --expect-file FILE replaces the catalog's expectations for the probes it
// names: lines `PROBE OUTCOME`, or `battery list` output edited.
// Exit status: 0 when nothing failed (with --strict: and nothing skipped),
// 1 otherwise, 2 for bad usage.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "catalog.hpp"
#include "host.hpp"
#include "probes.hpp"
#include "test_io.hpp"

using namespace zjail_escape;

namespace {

constexpr int kProbeTimeoutSeconds = 10;

struct Args {
  std::string mode = "all";  // all, run, list, id
  std::string profile;
  std::vector<std::string> only;
  std::vector<std::string> paths;  // cat
  std::string expect_file;
  bool strict = false;
  Options opt;
};

int usage(const char* msg) {
  std::fprintf(stderr, "battery: %s\nusage: battery [run NAME | list | id | cat PATH... | host-setup ...] "
                       "[--profile-expect PROFILE] [--expect-file FILE] "
                       "[--only A,B] [--strict] [--outside-pid PID] [--key SERIAL] [--key-desc DESC] [--abstract NAME] "
                       "[--tcp-port PORT] [--suid PATH] [--fcap PATH] [--blockdev PATH] [--shm-key KEY] [--marker NAME] "
                       "[--kernel-closed NAME,...] [--landlock-abi N]\n", msg);
  return 2;
}

// fds open at start: the ones the jail handed us (recorded before we open any).
std::set<int> inherited_fds() {
  std::set<int> out;
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  int max = r.rlim_cur == RLIM_INFINITY || r.rlim_cur > 65536 ? 65536 : static_cast<int>(r.rlim_cur);
  for (int fd = 0; fd < max; ++fd)
    if (fcntl(fd, F_GETFD) >= 0) out.insert(fd);
  return out;
}

std::string missing(Need n, const Options& o) {
  switch (n) {
    case Need::None: return "";
    case Need::OutsidePid: return o.outside_pid > 0 ? "" : "needs --outside-pid";
    case Need::Key: return o.key > 0 ? "" : "needs --key";
    case Need::Abstract: return !o.abstract.empty() ? "" : "needs --abstract";
    case Need::TcpPort: return o.tcp_port > 0 ? "" : "needs --tcp-port";
    case Need::Tty: return isatty(0) ? "" : "stdin is not a terminal";
    case Need::Suid: return !o.suid.empty() ? "" : "needs --suid";
    case Need::Fcap: return !o.fcap.empty() ? "" : "needs --fcap";
    case Need::BlockDev: return !o.blockdev.empty() ? "" : "needs --blockdev";
    case Need::ShmKey: return o.shm_key != 0 ? "" : "needs --shm-key";
    case Need::Marker: return !o.marker.empty() ? "" : "needs --marker";
    case Need::DirFd: return !o.dirfd_socket.empty() ? "" : "needs --dirfd-socket";
    case Need::Alone: return "";
  }
  return "";
}

// Other processes of ours in the jail (besides its init and us) would be
// hit by kill(-1): the probe only runs when there are none.
std::string pids_besides_us() {
  std::string out;
  DIR* d = opendir("/proc");
  if (!d) return "cannot read /proc";
  while (dirent* e = readdir(d)) {
    char* end;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end || pid <= 1 || pid == getpid()) continue;
    out += " " + std::string(e->d_name);
  }
  closedir(d);
  return out;
}

std::string quote(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    if (c == '\n') q += "\\n";
    else q += c;
  }
  return q + "\"";
}

std::string serialize(const Outcome& o) {
  return std::to_string(static_cast<int>(o.result)) + "\t" + o.kind + "\t" + o.token + "\t" + o.detail;
}

Outcome deserialize(const std::string& s) {
  Outcome o;
  std::vector<std::string> f;
  size_t i = 0;
  for (int k = 0; k < 3; ++k) {
    size_t t = s.find('\t', i);
    if (t == std::string::npos) return {Outcome::Error, "", "", "garbled report: " + s};
    f.push_back(s.substr(i, t - i));
    i = t + 1;
  }
  o.result = static_cast<Outcome::Result>(std::atoi(f[0].c_str()));
  o.kind = f[1];
  o.token = f[2];
  o.detail = s.substr(i);
  return o;
}

// Runs a probe in a forked child with a time limit; a child killed by
// SIGSYS was stopped by seccomp, which is the block the ABI probes expect.
// Any other signal is a crash, unless the host showed its kernel killing the
// same call the same way unconfined (--kernel-closed): closed by the kernel.
Outcome run_forked(const std::string& name, const Options& opt) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return {Outcome::Error, "errno", errno_name(errno), "pipe"};
  std::fflush(stdout);
  pid_t c = fork();
  if (c < 0) return {Outcome::Error, "errno", errno_name(errno), "fork"};
  if (c == 0) {
    close(p[0]);
    alarm(kProbeTimeoutSeconds);
    std::string s = serialize(run_probe(name, opt));
    (void)!write(p[1], s.data(), s.size());
    _exit(0);
  }
  close(p[1]);
  std::string got = zjail_test_io::read_to_eof(p[0]);
  int st = 0;
  while (waitpid(c, &st, 0) < 0 && errno == EINTR) {}
  if (!got.empty()) return deserialize(got);
  if (WIFSIGNALED(st)) {
    int sig = WTERMSIG(st);
    if (sig == SIGSYS) return {Outcome::Blocked, "signal", signal_name(sig), "killed by seccomp"};
    const ProbeInfo* probe = find_probe(name);
    bool kernels_answer = probe && probe->kernel_closed && signal_name(sig) == probe->kernel_closed;
    if (kernels_answer && opt.kernel_closed.count(name))
      return {Outcome::Blocked, "signal", signal_name(sig),
              "closed by the kernel: the host's own unconfined call dies the same way"};
    return {Outcome::Error, "signal", signal_name(sig),
            sig == SIGALRM ? "timed out"
            : kernels_answer ? "probe crashed, and the host did not say its kernel closes this (--kernel-closed " + name + ")"
                             : "probe crashed"};
  }
  return {Outcome::Error, "", "", "no report, exit " + std::to_string(WEXITSTATUS(st))};
}

// Without a seccomp filter we are not in a jail (or in a broken one): only
// the probes known to be harmless on the host (those with a baseline) run,
// so that nobody renames, unmounts or kill(-1)s the host by accident.
bool confined() {
  std::ifstream f("/proc/self/status");
  std::string l;
  while (std::getline(f, l))
    if (l.rfind("Seccomp:", 0) == 0) return l.find_first_of("12") != std::string::npos;
  return false;
}

Outcome run_one(const ProbeInfo& p, const Options& opt) {
  std::string why = missing(p.need, opt);
  if (!why.empty()) return {Outcome::Skipped, "", "", why};
  static const bool jailed = confined();
  if (!jailed && !p.baseline) return {Outcome::Skipped, "", "", "no seccomp filter: not jailed, unsafe to run here"};
  if (p.need == Need::Alone) {
    // kill(-1) from a forked child would hit the battery itself: run in-process.
    std::string others = pids_besides_us();
    if (!others.empty()) return {Outcome::Skipped, "", "", "other processes in the jail would be killed:" + others};
    return run_probe(p.name, opt);
  }
  return run_forked(p.name, opt);
}

// --expect-file: outcomes that replace the catalog's, for a profile the
// catalog does not know or whose real design differs from its column.
std::map<std::string, std::string> g_expect_override;

// Reads `NAME TOKEN` lines, or `battery list` output (probe=NAME ... expect=TOKEN),
// so that a listing can be edited into an expectation file.
bool read_expect_file(const std::string& path, std::string& err) {
  std::ifstream f(path);
  if (!f) return err = "cannot read " + path, false;
  std::string l;
  for (int n = 1; std::getline(f, l); ++n) {
    if (l.empty() || l[0] == '#') continue;
    std::string name, token;
    if (l.rfind("probe=", 0) == 0) {
      std::istringstream in(l);
      for (std::string w; in >> w;) {
        if (w.rfind("probe=", 0) == 0) name = w.substr(6);
        if (w.rfind("expect=", 0) == 0) token = w.substr(7);
      }
    } else {
      std::istringstream(l) >> name >> token;
    }
    if (name.empty() || token.empty() || token == "-" || !find_probe(name))
      return err = path + ":" + std::to_string(n) + ": expected 'PROBE OUTCOME' with a known probe", false;
    g_expect_override[name] = token;
  }
  return true;
}

const char* expectation(const ProbeInfo& p, const Args& a) {
  auto it = g_expect_override.find(p.name);
  if (it != g_expect_override.end()) return it->second.c_str();
  return a.profile.empty() ? nullptr : expected_here(p, a.profile, a.opt.kernel_closed, a.opt.landlock_abi);
}

struct Tally {
  int probes = 0, ok = 0, failed = 0, skipped = 0, open = 0;
};

void report(const ProbeInfo& p, const Outcome& o, const Args& a, Tally& t) {
  static const char* results[] = {"BLOCKED", "ESCAPED", "ERROR", "SKIPPED"};
  const char* want = expectation(p, a);
  std::string line = std::string("probe=") + p.name + " class=" + p.cls + " result=" + results[o.result];
  if (!o.kind.empty()) line += " " + o.kind + "=" + o.token;
  line += std::string(" expect=") + (want ? want : "-");
  std::string verdict = "-";
  if (o.result == Outcome::Skipped) verdict = "skip";
  // An expected ESCAPED is no block: it is reported as open, never as ok.
  else if (want && std::string(want) == "ESCAPED") verdict = o.result == Outcome::Escaped ? "open" : "FAIL";
  else if (want) verdict = o.result == Outcome::Blocked && o.token == want ? "ok" : "FAIL";
  line += " verdict=" + verdict + " detail=" + quote(o.detail);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  ++t.probes;
  if (verdict == "ok") ++t.ok;
  else if (verdict == "skip") ++t.skipped;
  else if (verdict == "open") ++t.open;
  else if (verdict == "FAIL" || o.result == Outcome::Escaped) ++t.failed;
}

bool parse(int argc, char** argv, Args& a, std::string& err) {
  int i = 1;
  if (i < argc && (!std::strcmp(argv[i], "run") || !std::strcmp(argv[i], "list") || !std::strcmp(argv[i], "id") ||
                   !std::strcmp(argv[i], "cat"))) {
    a.mode = argv[i++];
    if (a.mode == "cat") {
      if (i >= argc) return err = "cat needs a path", false;
      while (i < argc) a.paths.push_back(argv[i++]);
    }
    if (a.mode == "run") {
      if (i >= argc) return err = "run needs a probe name", false;
      a.only = {argv[i++]};
    }
  }
  for (; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--strict") {
      a.strict = true;
      continue;
    }
    if (i + 1 >= argc) return err = k + " needs a value", false;
    std::string v = argv[++i];
    if (k == "--profile-expect") a.profile = v;
    else if (k == "--expect-file") a.expect_file = v;
    else if (k == "--only") {
      std::stringstream s(v);
      std::string n;
      while (std::getline(s, n, ',')) a.only.push_back(n);
    } else if (k == "--outside-pid") a.opt.outside_pid = std::atol(v.c_str());
    else if (k == "--key") a.opt.key = std::atol(v.c_str());
    else if (k == "--key-desc") a.opt.key_desc = v;
    else if (k == "--abstract") a.opt.abstract = v;
    else if (k == "--tcp-port") a.opt.tcp_port = std::atoi(v.c_str());
    else if (k == "--suid") a.opt.suid = v;
    else if (k == "--fcap") a.opt.fcap = v;
    else if (k == "--blockdev") a.opt.blockdev = v;
    else if (k == "--shm-key") a.opt.shm_key = std::strtol(v.c_str(), nullptr, 0);
    else if (k == "--marker") a.opt.marker = v;
    else if (k == "--dirfd-socket") a.opt.dirfd_socket = v;
    else if (k == "--landlock-abi") a.opt.landlock_abi = std::atoi(v.c_str());
    else if (k == "--kernel-closed") {
      std::stringstream s(v);
      for (std::string n; std::getline(s, n, ',');) {
        const ProbeInfo* p = find_probe(n);
        if (!p) return err = "unknown probe '" + n + "' in --kernel-closed", false;
        if (!p->kernel_closed)
          return err = "--kernel-closed " + n + ": no kernel closes that by itself (the filter answers first on every host)",
                 false;
        a.opt.kernel_closed.insert(n);
      }
    } else return err = "unknown option " + k, false;
  }
  if (!a.expect_file.empty() && !read_expect_file(a.expect_file, err)) return false;
  if (!a.profile.empty()) {
    bool known = false;
    std::string names;
    for (const auto& n : known_profiles()) {
      known = known || n == a.profile;
      names += (names.empty() ? "" : ", ") + n;
    }
    if (!known && a.expect_file.empty())
      return err = "no expectations for profile '" + a.profile + "' (known: " + names + "; or give --expect-file)",
             false;
  }
  for (const auto& n : a.only)
    if (!find_probe(n)) return err = "unknown probe '" + n + "'", false;
  return true;
}

// What a privilege-gain probe compares: effective uid and capabilities.
int print_id() {
  std::ifstream f("/proc/self/status");
  std::string l, cap = "?";
  while (std::getline(f, l))
    if (l.rfind("CapEff:", 0) == 0) cap = l.substr(l.find_first_not_of(" \t", 7));
  std::printf("euid=%u capeff=%s\n", geteuid(), cap.c_str());
  return 0;
}

int cat(const std::vector<std::string>& paths) {
  for (const auto& path : paths) {
    std::ifstream f(path);
    if (!f) {
      std::printf("CONTENT-ERROR %s %s\n", path.c_str(), errno_name(errno).c_str());
      continue;
    }
    std::string l;
    while (std::getline(f, l)) std::printf("CONTENT %s %s\n", path.c_str(), l.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  a.opt.inherited_fds = inherited_fds();  // first, before anything is opened
  if (argc > 1 && !std::strcmp(argv[1], "host-setup")) return host_setup(argc, argv);
  std::string err;
  if (!parse(argc, argv, a, err)) return usage(err.c_str());
  if (a.mode == "id") return print_id();
  if (a.mode == "cat") return cat(a.paths);
  if (a.mode == "list") {
    for (const auto& p : catalog()) {
      const char* want = expectation(p, a);
      const Difference* d = daemon_difference(a.profile, p.name);
      std::printf("probe=%s class=%s expect=%s what=%s%s\n", p.name, p.cls, want ? want : "-", quote(p.what).c_str(),
                  d ? (" differs=" + quote(d->why)).c_str() : "");
    }
    return 0;
  }
  Tally t;
  std::vector<const ProbeInfo*> todo, last;
  for (const auto& p : catalog()) {
    bool wanted = a.only.empty();
    for (const auto& n : a.only) wanted = wanted || n == p.name;
    if (!wanted) continue;
    (p.need == Need::Alone ? last : todo).push_back(&p);
  }
  // kill(-1) goes last, when the probes' children are long reaped.
  for (const auto* p : todo) report(*p, run_one(*p, a.opt), a, t);
  for (const auto* p : last) report(*p, run_one(*p, a.opt), a, t);
  if (a.mode == "run") return t.failed ? 1 : 0;
  std::printf("summary profile=%s probes=%d ok=%d failed=%d skipped=%d open=%d\n",
              a.profile.empty() ? "-" : a.profile.c_str(), t.probes, t.ok, t.failed, t.skipped, t.open);
  return t.failed || (a.strict && t.skipped) ? 1 : 0;
}
