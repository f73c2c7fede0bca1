// Explain mode (`zjail --explain`, docs/denials.md "Explain mode") on the
// real pipeline: a path the jail lacks but the host has is reported with
// the bind to add, or with the directive that hides it; a bind to port 80
// without the capability is explained with the directive's line; a
// well-formed run reports nothing; and --explain never changes what the
// payload's calls return (the same output and exit status without it).
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ftw.h>
#include <string>

#include "harness.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

int remove_entry(const char* path, const struct stat*, int, FTW*) { return remove(path); }

// A host directory outside /tmp (which PrivateTmp= hides on purpose), so
// that the jail lacks it only for want of a bind.
class HostDir {
 public:
  HostDir() {
    char tmpl[] = "/var/lib/zjail-explain-test-XXXXXX";
    if (mkdtemp(tmpl)) path_ = tmpl;
    chmod(path_.c_str(), 0755);
  }
  ~HostDir() {
    if (!path_.empty()) nftw(path_.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  }
  HostDir(const HostDir&) = delete;
  HostDir& operator=(const HostDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& data) {
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr) << path;
  fputs(data.c_str(), f);
  fclose(f);
  chmod(path.c_str(), 0644);
}

class Explain : public RootTest {
 protected:
  TempDir profiles_;
  HostDir host_;
  int count_ = 0;

  void SetUp() override {
    RootTest::SetUp();
    ASSERT_FALSE(host_.path().empty()) << "mkdtemp under /var/lib";
    write_file(host_ / "config", "workers 2\n");
  }

  // zjail [--explain] --profile root-test [--profile LINES] -- COMMAND...
  RunResult launch(bool explain, const std::string& lines, const std::vector<std::string>& command) {
    std::vector<std::string> args;
    if (explain) args.push_back("--explain");
    args.insert(args.end(), {"--profile", kProfile});
    if (!lines.empty()) {
      std::string name = "e" + std::to_string(++count_) + ".profile";
      profiles_.write(name, "[Jail]\n" + lines);
      args.insert(args.end(), {"--profile", profiles_ / name});
    }
    args.push_back("--");
    args.insert(args.end(), command.begin(), command.end());
    return run(args);
  }

  static std::vector<std::string> explained(const RunResult& r) {
    std::vector<std::string> out;
    for (const auto& l : r.err_lines())
      if (l.starts_with("zjail: explain: ")) out.push_back(l);
    return out;
  }
};

TEST_F(Explain, AMissingBindIsReportedWithTheBindToAddAndTheCallStillFails) {
  const std::string file = host_ / "config";
  // Twice: the second lookup of the same path is not reported again.
  std::vector<std::string> cmd = {"/bin/sh", "-c", "cat " + file + "; cat " + file};
  auto plain = launch(false, "", cmd);
  auto r = launch(true, "", cmd);
  EXPECT_EQ(plain.code, 1) << plain.dump();
  EXPECT_EQ(r.code, plain.code) << r.dump();
  EXPECT_THAT(r.err, HasSubstr(file + ": No such file or directory")) << r.dump();
  EXPECT_TRUE(explained(plain).empty()) << "only with --explain\n" << plain.dump();
  auto e = explained(r);
  ASSERT_EQ(e.size(), 1u) << r.dump();
  EXPECT_THAT(e[0], StartsWith("zjail: explain: openat(\"" + file + "\") in pid "));
  EXPECT_THAT(e[0], HasSubstr(" (cat): not in the jail, but on the host: add BindReadOnlyPaths=" + host_.path() +
                                  " (or the file)"));

  // With the bind it suggests, the same run succeeds and nothing is said.
  auto fixed = launch(true, "BindReadOnlyPaths=" + host_.path() + "\n", cmd);
  EXPECT_EQ(fixed.code, 0) << fixed.dump();
  EXPECT_EQ(fixed.out, "workers 2\nworkers 2\n");
  EXPECT_TRUE(explained(fixed).empty()) << fixed.dump();
}

TEST_F(Explain, APathHiddenByInaccessiblePathsIsSaidToBeHiddenByIt) {
  ASSERT_EQ(mkdir((host_ / "secret").c_str(), 0755), 0);
  write_file(host_ / "secret/key", "k\n");
  std::string lines = "BindReadOnlyPaths=" + host_.path() + "\nInaccessiblePaths=" + (host_ / "secret") + "\n";
  std::vector<std::string> cmd = {"/bin/cat", host_ / "secret/key"};
  auto plain = launch(false, lines, cmd);
  auto r = launch(true, lines, cmd);
  EXPECT_EQ(plain.code, 1) << plain.dump();
  EXPECT_EQ(r.code, plain.code) << r.dump();
  auto e = explained(r);
  ASSERT_EQ(e.size(), 1u) << r.dump();
  EXPECT_THAT(e[0], HasSubstr("openat(\"" + (host_ / "secret/key") + "\")"));
  EXPECT_THAT(e[0], HasSubstr("hidden by InaccessiblePaths=" + (host_ / "secret") + " (" + (profiles_ / "e2.profile") +
                              ":3)"));
  EXPECT_THAT(e[0], Not(HasSubstr("add Bind"))) << "hidden on purpose, not a missing bind";
}

TEST_F(Explain, ABindToPort80WithoutTheCapabilityIsExplained) {
  auto plain = launch(false, "", {kProbe, "bind-port", "80"});
  auto r = launch(true, "", {kProbe, "bind-port", "80"});
  ASSERT_FALSE(plain.lines().empty()) << plain.dump();
  EXPECT_EQ(plain.lines()[0], "FAIL bind-port errno=EACCES 127.0.0.1:80");
  EXPECT_EQ(r.out, plain.out) << r.dump();
  EXPECT_EQ(r.code, plain.code);
  auto e = explained(r);
  ASSERT_EQ(e.size(), 1u) << r.dump();
  // base-service's empty CapabilityBoundingSet= leaves no line to name.
  EXPECT_EQ(e[0], "zjail: explain: bind(127.0.0.1:80) in pid 2 (zjail_probe) will fail (EACCES): needs "
                  "CAP_NET_BIND_SERVICE, which CapabilityBoundingSet= does not keep (the jail keeps no capabilities); "
                  "or use ListenStream=80 (zjail binds it and passes the socket; with ListenViaBind=yes, to the "
                  "daemon's own bind())");

  // A list that keeps others: its line is named.
  auto listed = launch(true, "CapabilityBoundingSet=CAP_CHOWN\n", {kProbe, "bind-port", "80"});
  EXPECT_EQ(listed.out, plain.out) << listed.dump();
  auto l = explained(listed);
  ASSERT_EQ(l.size(), 1u) << listed.dump();
  EXPECT_THAT(l[0], HasSubstr("needs CAP_NET_BIND_SERVICE, which CapabilityBoundingSet= (" +
                              (profiles_ / "e1.profile") + ":2) does not keep; or use ListenStream=80"));

  // An unprivileged port needs nothing: nothing is said.
  auto ok = launch(true, "", {kProbe, "bind-port", "8080"});
  EXPECT_TRUE(explained(ok).empty()) << ok.dump();
}

TEST_F(Explain, AWellFormedRunReportsNothing) {
  // Ordinary start-up of dynamically linked programs, a shell, locales and
  // the time zone: glibc's probes of files the host lacks too
  // (/etc/ld.so.preload, hwcaps directories) are no misses, and the files
  // it does fine without (locale.alias, /etc/localtime) are shown with -v
  // only.
  std::vector<std::string> cmd = {
      "/bin/sh", "-c",
      "ls / >/dev/null && LANG=C.UTF-8 ls /usr >/dev/null && env LC_ALL=C.UTF-8 sort </dev/null && date >/dev/null "
      "&& cat " + (host_ / "config") + " >/dev/null && echo done"};
  auto r = launch(true, "BindReadOnlyPaths=" + host_.path() + "\n", cmd);
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(r.out, "done\n");
  EXPECT_TRUE(explained(r).empty()) << r.dump();
}

TEST_F(Explain, NeverMakesAPayloadSucceedWhereItWouldFail) {
  const std::vector<std::vector<std::string>> payloads = {
      {"/bin/cat", host_ / "config"},
      {"/bin/sh", "-c", "mkdir " + (host_ / "new") + " && echo made"},
      {"/bin/sh", "-c", "exit 3"},
      {kProbe, "bind-port", "80"},
      {kProbe, "ptrace-me", "1"},
      {kProbe, "read", "/etc/shadow"},
      {kProbe, "touch", "/etc/zjail-explain"},
  };
  for (const auto& p : payloads) {
    auto plain = launch(false, "", p);
    auto r = launch(true, "", p);
    EXPECT_EQ(r.code, plain.code) << p.back() << "\n" << plain.dump() << r.dump();
    EXPECT_EQ(r.out, plain.out) << p.back();
  }
}

}  // namespace
}  // namespace zjail_test
