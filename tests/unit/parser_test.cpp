// Profile files: syntax, Include=, drop-ins, the search path, list_profiles
// and the show_profile round trip. Search paths are temporary directories.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "directive_lines.hpp"
#include "zjail/parser.hpp"

namespace zjail {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace fs = std::filesystem;
using Names = std::vector<std::string>;

class ProfileFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zjail-parser-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    etc_ = root_ + "/etc";
    usr_ = root_ + "/usr";
    fs::create_directories(etc_);
    fs::create_directories(usr_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // Writes `text` to root/rel and returns the full path.
  std::string write(const std::string& rel, const std::string& text) {
    fs::path p = fs::path(root_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::vector<std::string> path() const { return {etc_, usr_}; }

  Status load(Profile& p, const std::string& name) { return load_profile(p, name, path(), ProfileTrust::any()); }
  Status text(Profile& p, const std::string& body, const std::string& file = "t.profile") {
    return load_profile_text(p, body, file, path(), ProfileTrust::any());
  }
  std::string error_of(const std::string& body) {
    Profile p;
    auto st = text(p, body);
    if (st) return "";
    EXPECT_EQ(st.error().step, Step::Profile);
    return st.error().message();
  }

  std::string root_, etc_, usr_;
};

std::vector<std::string> values(const std::vector<Item<std::string>>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.value);
  return out;
}

// --- Syntax ------------------------------------------------------------------

TEST_F(ProfileFiles, CommentsBlankLinesAndWhitespace) {
  Profile p;
  ASSERT_TRUE(text(p, "# a comment\n; another\n\n  [Jail]  \n\t User = nobody \r\n   # indented comment\n"
                      "Hostname=box\n"));
  EXPECT_EQ(*p.user.value, "nobody");
  EXPECT_EQ(p.user.origin.str(), "t.profile:5");
  EXPECT_EQ(*p.hostname.value, "box");
  EXPECT_EQ(p.hostname.origin.line, 7);
  EXPECT_EQ(p.sources, (Names{"t.profile"}));
}

TEST_F(ProfileFiles, LineContinuation) {
  Profile p;
  ASSERT_TRUE(text(p, "[Jail]\nDescription=one\\\n   two \\\n# skipped inside a continuation\n three\n"
                      "Environment=A=1 \\\n  B=2\nUser=nobody\n"));
  EXPECT_EQ(*p.description.value, "one two  three");
  EXPECT_EQ(p.description.origin.line, 2);
  EXPECT_EQ(values(p.environment), (Names{"A=1", "B=2"}));
  EXPECT_EQ(p.environment[1].origin.line, 6);
  EXPECT_EQ(p.user.origin.line, 8);
}

TEST_F(ProfileFiles, EscapedTrailingBackslashIsNotAContinuation) {
  Profile p;
  ASSERT_TRUE(text(p, "[Jail]\nEnvironment=A=x\\\\\nUser=nobody\n"));
  EXPECT_EQ(values(p.environment), (Names{"A=x\\"}));
  EXPECT_EQ(*p.user.value, "nobody");
}

TEST_F(ProfileFiles, ContinuationAtEndOfFile) {
  Profile p;
  ASSERT_TRUE(text(p, "[Jail]\nSupplementaryGroups=audio \\\n"));
  EXPECT_EQ(values(p.supplementary_groups), (Names{"audio"}));
}

TEST_F(ProfileFiles, SectionErrors) {
  EXPECT_EQ(error_of("User=nobody\n[Jail]\n"), "t.profile:1: 'User=' outside the [Jail] section");
  EXPECT_EQ(error_of("[Jail]\nUser=nobody\n[Service]\nUser=root\n"),
            "t.profile:3: unknown section '[Service]': profiles have a single [Jail] section");
  EXPECT_EQ(error_of("\n[jail]\n"),
            "t.profile:2: unknown section '[jail]': profiles have a single [Jail] section (did you mean 'Jail'?)");
  EXPECT_EQ(error_of("[Jail\n"), "t.profile:1: expected a section header such as [Jail]");
}

TEST_F(ProfileFiles, LineErrorsNameFileAndLine) {
  EXPECT_EQ(error_of("[Jail]\n\nUser\n"),
            "t.profile:3: expected Key=value, a [section] or a comment, not 'User'");
  EXPECT_EQ(error_of("[Jail]\n=x\n"), "t.profile:2: missing directive name before '='");
  EXPECT_EQ(error_of("[Jail]\n# fine\nUser=nobody\nUsr=nobody\n"),
            "t.profile:4: unknown directive 'Usr' (did you mean 'User'?)");
  EXPECT_EQ(error_of("[Jail]\nPrivateNetwork=\\\n  maybe\n"),
            "t.profile:2: invalid value 'maybe' for PrivateNetwork=: expected a boolean");
}

TEST_F(ProfileFiles, RepeatedKeysAccumulateAndEmptyResets) {
  Profile p;
  ASSERT_TRUE(text(p, "[Jail]\nBindReadOnlyPaths=/usr\nBindReadOnlyPaths=/etc\nUser=a\nUser=b\n"
                      "Environment=A=1\nEnvironment=\nEnvironment=B=2\n"));
  ASSERT_EQ(p.binds.size(), 2u);
  EXPECT_EQ(p.binds[1].value.source, "/etc");
  EXPECT_EQ(p.binds[1].origin.line, 3);
  EXPECT_EQ(*p.user.value, "b");
  EXPECT_EQ(values(p.environment), (Names{"B=2"}));
}

TEST_F(ProfileFiles, LayeringOntoAnExistingProfile) {
  Profile p;
  ASSERT_TRUE(text(p, "[Jail]\nUser=a\nHostname=one\n", "first.profile"));
  ASSERT_TRUE(text(p, "[Jail]\nUser=b\n", "second.profile"));
  EXPECT_EQ(*p.user.value, "b");
  EXPECT_EQ(p.user.origin.str(), "second.profile:2");
  EXPECT_EQ(p.hostname.origin.str(), "first.profile:3");
  EXPECT_EQ(p.sources, (Names{"first.profile", "second.profile"}));
}

// --- Search path, find_profile, list_profiles ------------------------------------

// The system directories follow the install prefix: /etc/zjail/profiles and
// /usr/share/zjail/profiles under /usr (tests/CMakeLists.txt passes the
// paths the core was built with).
TEST(SearchPath, SystemDirectoriesThenTheEnvironment) {
  const Names system = {ZJAIL_SYSCONF_PROFILES, ZJAIL_DATA_PROFILES};
  EXPECT_EQ(profile_search_path(nullptr), system);
  EXPECT_EQ(profile_search_path(""), system);
  EXPECT_EQ(profile_search_path("/a::profiles:"), (Names{system[0], system[1], "/a", "profiles"}));
}

TEST_F(ProfileFiles, EtcOverridesUsrShare) {
  write("usr/echo.profile", "[Jail]\nUser=from-usr\n");
  write("usr/only.profile", "[Jail]\n");
  write("etc/echo.profile", "[Jail]\nUser=from-etc\n");
  EXPECT_EQ(*find_profile("echo", path()), etc_ + "/echo.profile");
  EXPECT_EQ(*find_profile("only", path()), usr_ + "/only.profile");
  Profile p;
  ASSERT_TRUE(load(p, "echo"));
  EXPECT_EQ(*p.user.value, "from-etc");
  EXPECT_EQ(p.sources, (Names{etc_ + "/echo.profile"}));
}

TEST_F(ProfileFiles, AnArgumentWithASlashIsAPath) {
  std::string file = write("elsewhere/mine.profile", "[Jail]\nUser=mine\n");
  write("etc/mine.profile", "[Jail]\nUser=etc\n");
  EXPECT_EQ(*find_profile(file, path()), file);
  auto missing = find_profile(root_ + "/nope.profile", path());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().err, ENOENT);
  EXPECT_EQ(missing.error().message(), root_ + "/nope.profile: No such file or directory");
  EXPECT_FALSE(find_profile(etc_ + "/", path()));
}

TEST_F(ProfileFiles, NotFoundListsTheDirectoriesAndSuggests) {
  write("usr/echo.profile", "[Jail]\n");
  auto r = find_profile("ehco", path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().step, Step::Profile);
  EXPECT_EQ(r.error().err, 0);
  EXPECT_EQ(r.error().message(),
            "profile 'ehco' not found in: " + etc_ + ", " + usr_ + " (did you mean 'echo'?)");
  EXPECT_EQ(find_profile("zzz", path()).error().message(),
            "profile 'zzz' not found in: " + etc_ + ", " + usr_);
}

TEST_F(ProfileFiles, ListProfilesShadowsAndSorts) {
  write("usr/b.profile", "");
  write("usr/a.profile", "");
  write("etc/b.profile", "");
  write("usr/notes.txt", "");
  write("usr/c.profile.d/x.conf", "");
  fs::create_directories(usr_ + "/dir.profile");
  auto list = list_profiles({etc_, usr_, root_ + "/missing"});
  std::vector<std::pair<std::string, std::string>> want = {
      {"a", usr_ + "/a.profile"}, {"b", etc_ + "/b.profile"}};
  EXPECT_EQ(list, want);
}

// --- Include= ------------------------------------------------------------------

TEST_F(ProfileFiles, IncludeAppliesAtThatPoint) {
  write("usr/base.profile", "[Jail]\nUser=base\nHostname=base\nBindReadOnlyPaths=/usr\n");
  write("etc/app.profile", "[Jail]\nInclude=base\nUser=app\nBindReadOnlyPaths=/opt\n");
  Profile p;
  ASSERT_TRUE(load(p, "app"));
  EXPECT_EQ(*p.user.value, "app");          // after the Include= line: app wins
  EXPECT_EQ(*p.hostname.value, "base");
  EXPECT_EQ(p.hostname.origin.str(), usr_ + "/base.profile:3");
  ASSERT_EQ(p.binds.size(), 2u);
  EXPECT_EQ(p.binds[0].value.source, "/usr");
  EXPECT_EQ(p.binds[1].value.source, "/opt");
  EXPECT_EQ(p.sources, (Names{etc_ + "/app.profile", usr_ + "/base.profile"}));
}

// A line above an Include= that the include would override is an error
// naming both lines: PrivateNetwork=yes above Include=network-service was
// silently the host's network.
TEST_F(ProfileFiles, IncludeMayNotOverrideLinesAboveIt) {
  write("usr/net.profile", "[Jail]\nPrivateNetwork=no\nBindReadOnlyPaths=/etc\nSystemCallFilter=@system-service\n");
  write("usr/resets.profile", "[Jail]\nBindReadOnlyPaths=\n");
  write("usr/outer.profile", "[Jail]\nInclude=net\n");
  write("usr/plain.profile", "[Jail]\nHostname=plain\n");
  write("usr/plain.profile.d/10-net.conf", "[Jail]\nPrivateNetwork=no\n");
  auto err = [&](const std::string& body) { return error_of(body); };
  EXPECT_EQ(err("[Jail]\nPrivateNetwork=yes\nInclude=net\n"),
            "t.profile:2: PrivateNetwork= here is overridden by the Include= on line 3 (" + usr_ +
                "/net.profile:2 sets it again); move it below that Include= line");
  // Through a nested include, and through an included profile's drop-in.
  EXPECT_THAT(err("[Jail]\nPrivateNetwork=yes\nInclude=outer\n"),
              HasSubstr("(" + usr_ + "/net.profile:2 sets it again)"));
  EXPECT_THAT(err("[Jail]\nPrivateNetwork=yes\nInclude=plain\n"), HasSubstr("10-net.conf:2 sets it again"));
  // A list whose result depends on the order, and a growing list reset.
  EXPECT_THAT(err("[Jail]\nSystemCallFilter=~@mount\nInclude=net\n"), HasSubstr("t.profile:2: SystemCallFilter= here"));
  EXPECT_THAT(err("[Jail]\nBindReadOnlyPaths=/usr\nInclude=resets\n"), HasSubstr("resets.profile:2 resets it"));
  // What is fine: a growing list above, anything below, a repeat in one file.
  Profile p;
  ASSERT_TRUE(text(p, "[Jail]\nBindReadOnlyPaths=/usr\nInclude=net\nPrivateNetwork=yes\nHostname=a\nHostname=b\n"));
  EXPECT_TRUE(*p.private_network.value);
  EXPECT_EQ(p.binds.size(), 2u);
}

TEST_F(ProfileFiles, IncludeRelativeToTheIncludingFile) {
  write("proj/profiles/common/net.conf", "[Jail]\nPrivateNetwork=no\n");
  std::string top = write("proj/profiles/top.profile", "[Jail]\nInclude=common/net.conf\n");
  write("abs.conf", "[Jail]\nKeepTerminal=yes\n");
  write("proj/profiles/common/more.profile", "[Jail]\nInclude=../../../abs.conf\n");
  Profile p;
  ASSERT_TRUE(load(p, top));
  EXPECT_FALSE(*p.private_network.value);
  EXPECT_EQ(p.private_network.origin.str(), root_ + "/proj/profiles/common/net.conf:2");

  Profile q;
  ASSERT_TRUE(text(q, "[Jail]\nInclude=" + root_ + "/proj/profiles/common/more.profile\n"));
  EXPECT_TRUE(*q.keep_terminal.value);
  EXPECT_EQ(q.keep_terminal.origin.str(), root_ + "/abs.conf:2");
}

TEST_F(ProfileFiles, IncludeErrors) {
  write("etc/echo.profile", "[Jail]\n");
  EXPECT_EQ(error_of("[Jail]\n\nInclude=ecoh\n"),
            "t.profile:3: profile 'ecoh' not found in: " + etc_ + ", " + usr_ + " (did you mean 'echo'?)");
  EXPECT_EQ(error_of("[Jail]\nInclude=\n"), "t.profile:2: Include= needs a profile name or a path");
  EXPECT_EQ(error_of("[Jail]\nInclude=" + root_ + "/missing.conf\n"),
            "t.profile:2: Include=" + root_ + "/missing.conf: No such file or directory");
  write("bad.conf", "[Jail]\n\nLimitNOFILE=lots\n");
  EXPECT_EQ(error_of("[Jail]\nInclude=" + root_ + "/bad.conf\n"),
            root_ + "/bad.conf:3: invalid value 'lots' for LimitNOFILE=: expected a number, SOFT:HARD or 'infinity'"
            " (included from t.profile:2)");
  // Nested: every Include= line on the way, innermost first.
  write("etc/mid.profile", "[Jail]\nUser=x\nInclude=" + root_ + "/bad.conf\n");
  EXPECT_EQ(error_of("[Jail]\n\nInclude=mid\n"),
            root_ + "/bad.conf:3: invalid value 'lots' for LimitNOFILE=: expected a number, SOFT:HARD or 'infinity'"
            " (included from " + etc_ + "/mid.profile:3, t.profile:3)");
  // A file that is no profile at all: its first line is blamed, not quoted
  // (it could be a line of /etc/shadow), and the line that included it is
  // named too.
  write("notes.txt", "root:$y$secret:20228::::::\n");
  EXPECT_EQ(error_of("[Jail]\nInclude=" + root_ + "/notes.txt\n"),
            root_ + "/notes.txt:1: expected [Jail] or a comment first: this does not read as a profile"
            " (included from t.profile:2)");
  // A missing file deeper down: its errno stays with its path, the chain
  // comes after.
  write("etc/far.profile", "[Jail]\nInclude=" + root_ + "/missing.conf\n");
  EXPECT_EQ(error_of("[Jail]\nInclude=far\n"), etc_ + "/far.profile:2: Include=" + root_ +
                                                   "/missing.conf: No such file or directory (included from t.profile:2)");
}

// The chain is built from the Include= lines followed, not read back from the
// message: text in a profile that looks like a chain is not extended.
TEST_F(ProfileFiles, IncludeChainIsNotTakenFromTheMessage) {
  // Its message ends in a parenthesis of zjail's own ("... (TCP only)"), with
  // the look-alike chain inside it.
  write("lies.conf", "[Jail]\nSocketConnectAllow=80 (included from /etc/zjail/trusted.profile:9)\n");
  write("etc/mid.profile", "[Jail]\nInclude=" + root_ + "/lies.conf\n");
  std::string e = error_of("[Jail]\n\nInclude=mid\n");
  EXPECT_THAT(e, StartsWith(root_ + "/lies.conf:2: "));
  EXPECT_THAT(e, HasSubstr("(included from /etc/zjail/trusted.profile:9)"));
  EXPECT_THAT(e, EndsWith(") (included from " + etc_ + "/mid.profile:2, t.profile:3)")) << e;
}

TEST_F(ProfileFiles, IncludeCyclesAreDetected) {
  write("etc/a.profile", "[Jail]\nInclude=b\n");
  write("etc/b.profile", "[Jail]\nUser=nobody\nInclude=a\n");
  Profile p;
  auto st = load(p, "a");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(), etc_ + "/b.profile:3: include cycle: " + etc_ + "/a.profile -> " + etc_ +
                                      "/b.profile -> " + etc_ + "/a.profile (included from " + etc_ + "/a.profile:2)");
  std::string self = write("self.profile", "[Jail]\nInclude=./self.profile\n");
  Profile q;
  EXPECT_EQ(load(q, self).error().message(),
            self + ":2: include cycle: " + self + " -> " + self);
}

TEST_F(ProfileFiles, IncludingTheSameFileTwiceIsNotACycle) {
  write("etc/env.profile", "[Jail]\nEnvironment=X=1\n");
  Profile p;
  ASSERT_TRUE(text(p, "[Jail]\nInclude=env\nInclude=env\n"));
  EXPECT_EQ(values(p.environment), (Names{"X=1", "X=1"}));
}

TEST_F(ProfileFiles, IncludeDepthIsCapped) {
  for (int i = 0; i < 20; ++i)
    write("etc/n" + std::to_string(i) + ".profile", "[Jail]\nInclude=n" + std::to_string(i + 1) + "\n");
  write("etc/n20.profile", "[Jail]\n");
  Profile p;
  auto st = load(p, "n0");
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message(), StartsWith(etc_ + "/n15.profile:2: profiles nested more than 16 deep "
                                                      "(Include= or drop-ins) (included from " + etc_ + "/n14.profile:2, "));
  EXPECT_THAT(st.error().message(), EndsWith(etc_ + "/n0.profile:2)"));
  Profile q;
  EXPECT_TRUE(load(q, "n5"));  // fifteen levels are fine
}

// --- Drop-ins ------------------------------------------------------------------

TEST_F(ProfileFiles, DropInsApplyInLexicalOrderAcrossDirectories) {
  write("usr/svc.profile", "[Jail]\nUser=base\nHostname=base\n");
  write("usr/svc.profile.d/20-usr.conf", "[Jail]\nHostname=usr20\nEnvironment=ORDER=20\n");
  write("etc/svc.profile.d/10-etc.conf", "[Jail]\nUser=etc10\nHostname=etc10\nEnvironment=ORDER=10\n");
  write("etc/svc.profile.d/30-etc.conf", "[Jail]\nEnvironment=ORDER=30\n");
  write("etc/svc.profile.d/README", "not a drop-in\n");
  write("etc/svc.profile.d/40.conf.disabled", "[Jail]\nUser=never\n");
  Profile p;
  ASSERT_TRUE(load(p, "svc"));
  EXPECT_EQ(*p.user.value, "etc10");
  EXPECT_EQ(*p.hostname.value, "usr20");
  EXPECT_EQ(values(p.environment), (Names{"ORDER=10", "ORDER=20", "ORDER=30"}));
  EXPECT_EQ(p.sources, (Names{usr_ + "/svc.profile", etc_ + "/svc.profile.d/10-etc.conf",
                              usr_ + "/svc.profile.d/20-usr.conf", etc_ + "/svc.profile.d/30-etc.conf"}));
}

TEST_F(ProfileFiles, EtcDropInMasksUsrShareDropInOfTheSameName) {
  write("usr/svc.profile", "[Jail]\n");
  write("usr/svc.profile.d/50-net.conf", "[Jail]\nPrivateNetwork=no\nHostname=usr\n");
  write("etc/svc.profile.d/50-net.conf", "[Jail]\nHostname=etc\n");
  write("usr/svc.profile.d/60-tty.conf", "[Jail]\nKeepTerminal=yes\n");
  fs::create_symlink("/dev/null", etc_ + "/svc.profile.d/60-tty.conf");
  Profile p;
  ASSERT_TRUE(load(p, "svc"));
  EXPECT_EQ(*p.hostname.value, "etc");
  EXPECT_FALSE(p.private_network.is_set());  // the /usr/share file was masked, not merged
  EXPECT_FALSE(p.keep_terminal.is_set());    // masked by a symlink to /dev/null
}

TEST_F(ProfileFiles, DropInsNextToAProfileLoadedByPath) {
  std::string file = write("proj/app.profile", "[Jail]\nUser=app\n");
  write("proj/app.profile.d/override.conf", "[Jail]\nUser=override\n");
  Profile p;
  ASSERT_TRUE(load(p, file));
  EXPECT_EQ(*p.user.value, "override");
  EXPECT_EQ(p.user.origin.str(), root_ + "/proj/app.profile.d/override.conf:2");
}

TEST_F(ProfileFiles, IncludedProfilesGetTheirDropInsToo) {
  write("usr/base.profile", "[Jail]\nUser=base\n");
  write("etc/base.profile.d/local.conf", "[Jail]\nUser=local\n");
  write("etc/app.profile", "[Jail]\nInclude=base\nHostname=app\n");
  Profile p;
  ASSERT_TRUE(load(p, "app"));
  EXPECT_EQ(*p.user.value, "local");
}

TEST_F(ProfileFiles, DropInErrorsNameTheDropIn) {
  write("usr/svc.profile", "[Jail]\n");
  write("etc/svc.profile.d/10.conf", "User=nobody\n");
  Profile p;
  EXPECT_EQ(load(p, "svc").error().message(), etc_ + "/svc.profile.d/10.conf:1: 'User=' outside the [Jail] section");
  write("etc/svc.profile.d/10.conf", "[Jail]\nSystemCallFilter=@sytem-service\n");
  Profile q;
  EXPECT_EQ(load(q, "svc").error().message(),
            etc_ + "/svc.profile.d/10.conf:2: unknown syscall group '@sytem-service' (did you mean '@system-service'?)");
}

// --- show_profile ----------------------------------------------------------------

// Every field except origins, written independently of show_profile.
std::string dump(const Profile& p) {
  std::ostringstream o;
  auto str = [&](const char* k, const Setting<std::string>& v) {
    o << k << (v.is_set() ? "=[" + *v.value + "]" : " unset") << "\n";
  };
  auto flag = [&](const char* k, const Setting<bool>& v) {
    o << k << (v.is_set() ? (*v.value ? " yes" : " no") : " unset") << "\n";
  };
  auto list = [&](const char* k, const std::vector<Item<std::string>>& v) {
    o << k << ":";
    for (const auto& i : v) o << " [" << i.value << "]";
    o << "\n";
  };
  auto names = [&](const char* k, const NameList& l) {
    o << k << (l.is_set ? (l.invert ? " deny:" : " allow:") : " unset:");
    for (const auto& i : l.names) o << " " << i.value;
    o << "\n";
  };
  str("description", p.description);
  str("user", p.user);
  str("group", p.group);
  list("groups", p.supplementary_groups);
  str("root", p.root_directory);
  for (const auto& b : p.binds)
    o << "bind [" << b.value.source << "] [" << b.value.target << "] " << b.value.read_only
      << b.value.optional << b.value.recursive << "\n";
  for (const auto& t : p.tmpfs) o << "tmpfs [" << t.value.target << "] [" << t.value.options << "]\n";
  const Sandbox& s = p.sandbox;
  auto rules = [&](const char* k, const std::vector<Item<PathRule>>& v) {
    o << k << ":";
    for (const auto& i : v) o << " [" << i.value.path << "]" << i.value.optional << i.value.plus;
    o << "\n";
  };
  auto num = [&](const char* k, const auto& v) {
    o << k << " " << (v.is_set() ? static_cast<int>(*v.value) : -1) << "\n";
  };
  num("protect_system", s.protect_system);
  num("protect_home", s.protect_home);
  rules("rw", s.read_write_paths);
  rules("ro", s.read_only_paths);
  rules("inaccessible", s.inaccessible_paths);
  rules("exec", s.exec_paths);
  rules("noexec", s.no_exec_paths);
  num("private_tmp", s.private_tmp);
  flag("private_devices", s.private_devices);
  num("device_policy", s.device_policy);
  for (const auto& d : s.device_allow)
    o << "device [" << d.value.specifier << "] " << d.value.read << d.value.write << d.value.mknod << "\n";
  flag("api_vfs", s.mount_api_vfs);
  flag("kernel_tunables", s.protect_kernel_tunables);
  flag("kernel_modules", s.protect_kernel_modules);
  flag("kernel_logs", s.protect_kernel_logs);
  num("control_groups", s.protect_control_groups);
  o << "proc_subset " << (p.proc_subset.is_set() ? static_cast<int>(*p.proc_subset.value) : -1) << "\n";
  o << "protect_proc " << (p.protect_proc.is_set() ? static_cast<int>(*p.protect_proc.value) : -1) << "\n";
  str("cwd", p.working_directory);
  flag("private_network", p.private_network);
  str("hostname", p.hostname);
  list("listen_stream", p.listen_stream);
  list("listen_datagram", p.listen_datagram);
  names("bounding", p.capability_bounding_set);
  names("ambient", p.ambient_capabilities);
  names("filter", p.system_call_filter);
  if (p.system_call_error_number.is_set())
    o << "action " << p.system_call_error_number.value->kind << " " << p.system_call_error_number.value->err << "\n";
  list("archs", p.system_call_architectures);
  names("log", p.system_call_log);
  for (const auto& [r, l] : p.limits) o << "limit " << r << " " << l.value.soft << " " << l.value.hard << "\n";
  list("env", p.environment);
  list("pass", p.pass_environment);
  list("unset", p.unset_environment);
  flag("keep_terminal", p.keep_terminal);
  const Identity& id = p.identity;
  for (const auto& kind : id.directories)
    for (const auto& d : kind) o << "dir [" << d.value.name << "] [" << d.value.link << "]\n";
  for (const auto& m : id.directory_mode) o << "mode " << (m.is_set() ? static_cast<int>(*m.value) : -1) << "\n";
  o << "preserve " << (id.runtime_preserve.is_set() ? static_cast<int>(*id.runtime_preserve.value) : -1) << "\n";
  o << "umask " << (id.umask.is_set() ? static_cast<int>(*id.umask.value) : -1) << "\n";
  flag("dynamic_user", id.dynamic_user);
  o << "private_users " << (id.private_users.is_set() ? static_cast<int>(*id.private_users.value) : -1) << "\n";
  for (const auto& c : id.credentials)
    o << "cred " << static_cast<int>(c.value.kind) << " [" << c.value.id << "] [" << c.value.value << "]\n";
  return o.str();
}

// show -> parse -> the same profile; and showing that again gives the same text.
void expect_round_trip(const Profile& p) {
  expect_show_round_trip(p, [](const Profile& q) { return dump(q); });
}

TEST_F(ProfileFiles, ShowPrintsEachValueWithItsOrigin) {
  Profile p;
  ASSERT_TRUE(text(p, "[Jail]\nUser=nobody\nBindReadOnlyPaths=/usr -/lib64\nPrivateNetwork=yes\n"
                      "SystemCallFilter=~@mount @reboot\nLimitNOFILE=64:128\nBindReadOnlyPaths=/etc\n"
                      "Environment=\"A=b c\"\n"));
  // Words set by one line share a line again; each line names where it came from.
  EXPECT_EQ(show_profile(p),
            "[Jail]\n"
            "# set at t.profile:2\nUser=nobody\n"
            "# set at t.profile:3\nBindReadOnlyPaths=/usr -/lib64\n"
            "# set at t.profile:7\nBindReadOnlyPaths=/etc\n"
            "# set at t.profile:4\nPrivateNetwork=yes\n"
            "# set at t.profile:5\nSystemCallFilter=~@mount @reboot\n"
            "# set at t.profile:6\nLimitNOFILE=64:128\n"
            "# set at t.profile:8\nEnvironment=\"A=b c\"\n");
  EXPECT_EQ(show_profile(Profile{}), "[Jail]\n");
}

TEST_F(ProfileFiles, ShowRoundTripsEveryDirective) {
  Profile p;
  ASSERT_TRUE(text(p, R"([Jail]
Description=Everything at once: "quoted" words & symbols
User=nobody
Group=65534
SupplementaryGroups=audio video
RootDirectory=/srv/root dir
BindPaths=/var/lib/app -/opt/maybe:/opt/x:norbind "/with space:/dst space"
BindReadOnlyPaths=/usr /etc/ssl:/etc/ssl:rbind
TemporaryFileSystem=/run:mode=0755,size=16m /var/tmp
PrivateTmp=disconnected
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths=/var/lib/app -/var/cache/app
ReadOnlyPaths=-+/etc "/with space"
ReadOnlyDirectories=/srv
InaccessiblePaths=-/lost+found
ExecPaths=/usr/bin
NoExecPaths=/
PrivateDevices=yes
DevicePolicy=closed
DeviceAllow=/dev/fuse rw
DeviceAllow=char-rtc r
DeviceAllow=block-loop
MountAPIVFS=yes
ProtectKernelTunables=yes
ProtectKernelModules=true
ProtectKernelLogs=1
ProtectControlGroups=private
ProcSubset=pid
ProtectProc=ptraceable
WorkingDirectory=/var/lib/app
PrivateNetwork=no
Hostname=all.in-one
ListenStream=127.0.0.1:8080
ListenDatagram=[::1]:53
CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_CHOWN
CapabilityBoundingSet=~CAP_CHOWN
AmbientCapabilities=~CAP_SYS_ADMIN
SystemCallFilter=@system-service
SystemCallFilter=~@privileged
SystemCallErrorNumber=EACCES
SystemCallArchitectures=native
SystemCallLog=~@mount
LimitNOFILE=64:infinity
LimitCPU=10
LimitAS=1G
LimitNICE=+5
LimitRTTIME=50ms
Environment="A=b c" "TAB=x\ty" 'Q="q"' "BS=back\\slash" "NL=one\ntwo" EMPTY=
PassEnvironment=TERM LANG
UnsetEnvironment=LD_PRELOAD "MODE=a b"
KeepTerminal=yes
DynamicUser=yes
PrivateUsers=identity
UMask=0027
RuntimeDirectory=run "with space:link here"
StateDirectory=lib/nested other:alias
CacheDirectory=cache
LogsDirectory=logs
ConfigurationDirectory=conf
RuntimeDirectoryMode=0700
StateDirectoryMode=0750
CacheDirectoryMode=0755
LogsDirectoryMode=2750
ConfigurationDirectoryMode=0755
RuntimeDirectoryPreserve=restart
LoadCredential=tls:/etc/ssl/key.pem
SetCredential=token: spaced\ttab\\ and \x01 
LoadCredential=store
ImportCredential=web*
SetCredential=token2:plain
LoadCredentialEncrypted=enc:/etc/credstore.encrypted/enc
SetCredentialEncrypted=senc:SGVsbG8=
)"));
  expect_round_trip(p);
}

TEST_F(ProfileFiles, ShowRoundTripsListStatesWithoutNames) {
  Profile p;
  ASSERT_TRUE(text(p, "[Jail]\nCapabilityBoundingSet=~\nAmbientCapabilities=CAP_CHOWN\n"
                      "AmbientCapabilities=~CAP_CHOWN\nSystemCallFilter=read\nSystemCallFilter=~read @default\n"
                      "SystemCallLog=~\nSystemCallErrorNumber=4000\n"));
  ASSERT_TRUE(p.system_call_filter.is_set);
  ASSERT_TRUE(p.system_call_filter.names.empty());
  expect_round_trip(p);
  Profile q;
  ASSERT_TRUE(text(q, "[Jail]\nSystemCallErrorNumber=kill\n"));
  expect_round_trip(q);
  ASSERT_TRUE(text(q, "[Jail]\nSystemCallErrorNumber=log\n"));
  expect_round_trip(q);
}

// The profiles shipped in the source tree load, and survive the round trip.
TEST(ShippedProfiles, LoadAndRoundTrip) {
  const std::string dir = std::string(ZJAIL_SOURCE_DIR) + "/profiles";
  auto list = list_profiles({dir});
  ASSERT_FALSE(list.empty());
  for (const auto& [name, file] : list) {
    Profile p;
    auto st = load_profile(p, name, {dir}, ProfileTrust::any());
    ASSERT_TRUE(st) << st.error().message();
    EXPECT_EQ(p.sources.front(), file);
    expect_round_trip(p);
  }
}

}  // namespace
}  // namespace zjail

namespace zjail {
namespace {

// Found by tests/fuzz: a raw NUL inside a value was accepted, though the
// kernel would have seen the path cut short at it.
TEST(ParserFuzzRegressions, NulBytesAreRejectedWithTheirLine) {
  Profile p;
  std::string text = "[Jail]\nBindReadOnlyPaths=/usr\nBindReadOnlyPaths=-/etc/ld.so";
  text += '\0';
  text += "x\n";
  auto st = load_profile_text(p, text, "nul.profile", {}, ProfileTrust::any());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().context, "nul.profile:3: NUL byte in the profile");
}

}  // namespace
}  // namespace zjail

namespace zjail {
namespace {

TEST(ParserIncludeSiblings, ANameFallsBackToTheIncludingFilesDirectory) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("zjail-sib-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "sp");
  std::ofstream(dir / "base.profile") << "[Jail]\nHostname=sibling\n";
  std::ofstream(dir / "top.profile") << "[Jail]\nInclude=base\n";
  Profile p;
  auto st = load_profile(p, (dir / "top.profile").string(), {(dir / "sp").string()}, ProfileTrust::any());
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(*p.hostname.value, "sibling");
  // The search path still wins over the sibling.
  std::ofstream(dir / "sp" / "base.profile") << "[Jail]\nHostname=searched\n";
  Profile q;
  ASSERT_TRUE(load_profile(q, (dir / "top.profile").string(), {(dir / "sp").string()}, ProfileTrust::any()));
  EXPECT_EQ(*q.hostname.value, "searched");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace zjail
