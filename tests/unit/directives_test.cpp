// apply_directive(): every directive with good and bad values, resets,
// accumulation, '~' lists, and the exact "file:line: ..." errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "zjail/parser.hpp"
#include "zjail/syscalls.hpp"

namespace zjail {
namespace {

Origin at(int line) { return Origin{"t.profile", line}; }

Status apply(Profile& p, std::string_view key, std::string_view value, int line = 1) {
  return apply_directive(p, key, value, at(line));
}

// The message of the error that applying key=value gives, or "" on success.
std::string error_of(std::string_view key, std::string_view value) {
  Profile p;
  auto st = apply(p, key, value);
  if (st) return "";
  EXPECT_EQ(st.error().step, Step::Profile);
  EXPECT_EQ(st.error().err, 0);
  return st.error().message();
}

std::vector<std::string> values(const std::vector<Item<std::string>>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.value);
  return out;
}

using Names = std::vector<std::string>;

// Each {key, value, message}: applying key=value fails with exactly that.
struct Refusal {
  const char* key;
  const char* value;
  std::string message;
};
void expect_errors(std::initializer_list<Refusal> rows) {
  for (const auto& r : rows) EXPECT_EQ(error_of(r.key, r.value), r.message) << r.key << "=" << r.value;
}

// Every one of `bad` is refused with a "file:line: ..." error.
void expect_refused(std::string_view key, std::initializer_list<std::string_view> bad) {
  for (auto v : bad) EXPECT_NE(error_of(key, v), "") << key << "=" << v << " was accepted";
}

TEST(Directive, UnknownDirectiveSuggestsTheClosestName) {
  expect_errors({
      {"Usr", "nobody", "t.profile:1: unknown directive 'Usr' (did you mean 'User'?)"},
      {"privatenetwork", "yes", "t.profile:1: unknown directive 'privatenetwork' (did you mean 'PrivateNetwork'?)"},
      {"Frobnicate", "1", "t.profile:1: unknown directive 'Frobnicate'"},
  });
  // systemd directives zjail does not have are errors too, never ignored
  // (foreign_directives_test.cpp: with what to do instead).
  EXPECT_EQ(error_of("RootImage", "/srv/os.raw"),
            "t.profile:1: RootImage= is systemd's, not supported by zjail: zjail mounts no disk images: mount the "
            "image on the host and use RootDirectory= or BindReadOnlyPaths=");
}

TEST(Directive, IncludeOnlyWorksInFiles) {
  EXPECT_EQ(error_of("Include", "base-service"),
            "t.profile:1: Include= can only be used in a profile file");
}

TEST(Directive, EveryDirectiveAcceptsTheResetAndWhitespaceIsTrimmed) {
  for (const char* key : {"Description", "User", "Group", "SupplementaryGroups", "RootDirectory",
                          "BindPaths", "BindReadOnlyPaths", "TemporaryFileSystem", "PrivateTmp",
                          "ProcSubset", "ProtectProc", "WorkingDirectory", "PrivateNetwork",
                          "Hostname", "ListenStream", "ListenDatagram", "CapabilityBoundingSet",
                          "AmbientCapabilities", "NoNewPrivileges", "SystemCallFilter",
                          "SystemCallErrorNumber", "SystemCallArchitectures", "SystemCallLog",
                          "LimitCPU", "LimitFSIZE", "LimitDATA", "LimitSTACK", "LimitCORE", "LimitRSS",
                          "LimitNOFILE", "LimitAS", "LimitNPROC", "LimitMEMLOCK", "LimitLOCKS",
                          "LimitSIGPENDING", "LimitMSGQUEUE", "LimitNICE", "LimitRTPRIO",
                          "LimitRTTIME", "Environment", "PassEnvironment", "UnsetEnvironment",
                          "KeepTerminal"}) {
    Profile p;
    EXPECT_TRUE(apply(p, key, "")) << key;
    EXPECT_TRUE(apply(p, std::string(" ") + key + " ", "  ")) << key;
  }
  Profile p;
  ASSERT_TRUE(apply(p, " User\t", "  nobody \t"));
  EXPECT_EQ(*p.user.value, "nobody");
}

TEST(Directive, ScalarsLastOneWinsWithItsOriginAndEmptyResets) {
  Profile p;
  ASSERT_TRUE(apply(p, "User", "nobody", 3));
  ASSERT_TRUE(apply(p, "User", "daemon", 7));
  EXPECT_EQ(*p.user.value, "daemon");
  EXPECT_EQ(p.user.origin.str(), "t.profile:7");
  ASSERT_TRUE(apply(p, "User", "", 9));
  EXPECT_FALSE(p.user.is_set());
}

TEST(Directive, DescriptionIsTakenVerbatim) {
  Profile p;
  ASSERT_TRUE(apply(p, "Description", "An echo server: \"quotes\" stay, ~ too"));
  EXPECT_EQ(*p.description.value, "An echo server: \"quotes\" stay, ~ too");
}

TEST(Directive, UserAndGroupNames) {
  Profile p;
  for (const char* ok : {"nobody", "www-data", "_apt", "65534", "svc.user", "machine$"}) {
    EXPECT_TRUE(apply(p, "User", ok)) << ok;
    EXPECT_TRUE(apply(p, "Group", ok)) << ok;
  }
  EXPECT_EQ(*p.group.value, "machine$");
  EXPECT_EQ(error_of("User", "no body"),
            "t.profile:1: invalid value 'no body' for User=: expected a user or group name, or a numeric id");
  EXPECT_NE(error_of("Group", "-wheel"), "");
  EXPECT_NE(error_of("User", "a:b"), "");
  EXPECT_NE(error_of("User", std::string(300, 'a')), "");
}

TEST(Directive, SupplementaryGroupsAccumulateAndReset) {
  Profile p;
  ASSERT_TRUE(apply(p, "SupplementaryGroups", "audio video", 1));
  ASSERT_TRUE(apply(p, "SupplementaryGroups", "100", 2));
  EXPECT_EQ(values(p.supplementary_groups), (Names{"audio", "video", "100"}));
  EXPECT_EQ(p.supplementary_groups[2].origin.line, 2);
  ASSERT_TRUE(apply(p, "SupplementaryGroups", ""));
  EXPECT_TRUE(p.supplementary_groups.empty());
  EXPECT_EQ(error_of("SupplementaryGroups", "audio b@d"),
            "t.profile:1: invalid value 'b@d' for SupplementaryGroups=: expected user or group names, or numeric ids");
}

TEST(Directive, AbsolutePaths) {
  Profile p;
  ASSERT_TRUE(apply(p, "RootDirectory", "/srv/jail root"));
  EXPECT_EQ(*p.root_directory.value, "/srv/jail root");
  ASSERT_TRUE(apply(p, "WorkingDirectory", "/tmp"));
  EXPECT_EQ(*p.working_directory.value, "/tmp");
  expect_errors({
      {"RootDirectory", "srv",
       "t.profile:1: invalid value 'srv' for RootDirectory=: expected an absolute path without '..'"},
      {"WorkingDirectory", "/srv/../etc",
       "t.profile:1: invalid value '/srv/../etc' for WorkingDirectory=: expected an absolute path without '..'"},
  });
  expect_refused("WorkingDirectory", {"~", "/a..b/.."});
  EXPECT_TRUE(apply(p, "WorkingDirectory", "/a..b/c.."));
}

TEST(Directive, BindPathsSyntax) {
  Profile p;
  ASSERT_TRUE(apply(p, "BindPaths", "/a -/b /c:/d /e:/f:norbind /g:/h:rbind", 4));
  ASSERT_EQ(p.binds.size(), 5u);
  const Bind& a = p.binds[0].value;
  EXPECT_EQ(a.source, "/a");
  EXPECT_EQ(a.target, "/a");
  EXPECT_FALSE(a.optional);
  EXPECT_FALSE(a.read_only);
  EXPECT_TRUE(a.recursive);
  EXPECT_TRUE(p.binds[1].value.optional);
  EXPECT_EQ(p.binds[1].value.source, "/b");
  EXPECT_EQ(p.binds[2].value.target, "/d");
  EXPECT_FALSE(p.binds[3].value.recursive);
  EXPECT_EQ(p.binds[3].value.target, "/f");
  EXPECT_TRUE(p.binds[4].value.recursive);
  EXPECT_EQ(p.binds[4].origin.str(), "t.profile:4");

  ASSERT_TRUE(apply(p, "BindReadOnlyPaths", "\"/with space\":/x"));
  EXPECT_TRUE(p.binds.back().value.read_only);
  EXPECT_EQ(p.binds.back().value.source, "/with space");
}

TEST(Directive, BindPathsErrors) {
  EXPECT_EQ(error_of("BindPaths", "/ok relative"),
            "t.profile:1: invalid value 'relative' for BindPaths=: expected "
            "[-]SOURCE[:TARGET[:rbind|norbind]] with absolute paths without '..'");
  expect_refused("BindReadOnlyPaths", {"/a:b", "/a:", "/a:/../etc"});
  EXPECT_EQ(error_of("BindPaths", "/a:/b:ro"),
            "t.profile:1: invalid value '/a:/b:ro' for BindPaths=: the bind option is 'rbind' or 'norbind'");
  expect_refused("BindPaths", {"/a:/b:norbind:x", "\"/a"});
  // A bad word anywhere leaves the profile untouched.
  Profile p;
  EXPECT_FALSE(apply(p, "BindPaths", "/a b"));
  EXPECT_TRUE(p.binds.empty());
}

TEST(Directive, BindResetClearsOnlyItsOwnKind) {
  Profile p;
  ASSERT_TRUE(apply(p, "BindPaths", "/rw1"));
  ASSERT_TRUE(apply(p, "BindReadOnlyPaths", "/ro1"));
  ASSERT_TRUE(apply(p, "BindPaths", "/rw2"));
  ASSERT_TRUE(apply(p, "BindPaths", ""));
  ASSERT_EQ(p.binds.size(), 1u);
  EXPECT_EQ(p.binds[0].value.source, "/ro1");
  ASSERT_TRUE(apply(p, "BindReadOnlyPaths", ""));
  EXPECT_TRUE(p.binds.empty());
}

TEST(Directive, TemporaryFileSystem) {
  Profile p;
  ASSERT_TRUE(apply(p, "TemporaryFileSystem", "/tmp /run:mode=0755,size=16m,nr_inodes=1k,ro"));
  ASSERT_EQ(p.tmpfs.size(), 2u);
  EXPECT_EQ(p.tmpfs[0].value.target, "/tmp");
  EXPECT_EQ(p.tmpfs[0].value.options, "");
  EXPECT_EQ(p.tmpfs[1].value.target, "/run");
  EXPECT_EQ(p.tmpfs[1].value.options, "mode=0755,size=16m,nr_inodes=1k,ro");
  ASSERT_TRUE(apply(p, "TemporaryFileSystem", "/var"));
  EXPECT_EQ(p.tmpfs.size(), 3u);
  ASSERT_TRUE(apply(p, "TemporaryFileSystem", ""));
  EXPECT_TRUE(p.tmpfs.empty());

  EXPECT_EQ(error_of("TemporaryFileSystem", "tmp"),
            "t.profile:1: invalid value 'tmp' for TemporaryFileSystem=: expected an absolute path without '..'");
  expect_refused("TemporaryFileSystem", {"/tmp:mode=999", "/tmp:bogus", "/tmp:size=", "/tmp:", "/tmp:mode=0755,,ro"});
}

TEST(Directive, Booleans) {
  for (const char* key : {"PrivateNetwork", "KeepTerminal"}) {
    for (const char* yes : {"yes", "YES", "y", "true", "t", "on", "1"}) {
      Profile p;
      ASSERT_TRUE(apply(p, key, yes)) << key << "=" << yes;
      const Setting<bool>& s = std::string(key) == "PrivateNetwork" ? p.private_network : p.keep_terminal;
      EXPECT_TRUE(*s.value) << key << "=" << yes;
      ASSERT_TRUE(apply(p, key, "off"));
      EXPECT_FALSE(*s.value);
      for (const char* no : {"no", "n", "false", "f", "0", "Off"}) {
        ASSERT_TRUE(apply(p, key, no));
        EXPECT_FALSE(*s.value);
      }
    }
  }
  expect_errors({
      {"PrivateNetwork", "maybe", "t.profile:1: invalid value 'maybe' for PrivateNetwork=: expected a boolean"},
      {"KeepTerminal", "2", "t.profile:1: invalid value '2' for KeepTerminal=: expected a boolean"},
  });
}

TEST(Directive, NoNewPrivilegesCannotBeTurnedOff) {
  Profile p;
  EXPECT_TRUE(apply(p, "NoNewPrivileges", "yes"));
  EXPECT_TRUE(apply(p, "NoNewPrivileges", "true"));
  std::string e = error_of("NoNewPrivileges", "no");
  EXPECT_EQ(e.rfind("t.profile:1: invalid value 'no' for NoNewPrivileges=: zjail always sets no_new_privs", 0), 0u) << e;
  EXPECT_NE(error_of("NoNewPrivileges", "0"), "");
  EXPECT_EQ(error_of("NoNewPrivileges", "sure"),
            "t.profile:1: invalid value 'sure' for NoNewPrivileges=: expected a boolean");
}

TEST(Directive, ProcSubsetAndProtectProc) {
  Profile p;
  ASSERT_TRUE(apply(p, "ProcSubset", "pid"));
  EXPECT_EQ(*p.proc_subset.value, ProcSubset::Pid);
  ASSERT_TRUE(apply(p, "ProcSubset", "all"));
  EXPECT_EQ(*p.proc_subset.value, ProcSubset::All);
  EXPECT_EQ(error_of("ProcSubset", "none"),
            "t.profile:1: invalid value 'none' for ProcSubset=: expected 'all' or 'pid'");

  const std::pair<const char*, ProtectProc> cases[] = {{"default", ProtectProc::Default},
                                                      {"invisible", ProtectProc::Invisible},
                                                      {"noaccess", ProtectProc::Noaccess},
                                                      {"ptraceable", ProtectProc::Ptraceable}};
  for (const auto& [text, value] : cases) {
    ASSERT_TRUE(apply(p, "ProtectProc", text));
    EXPECT_EQ(*p.protect_proc.value, value);
  }
  EXPECT_EQ(error_of("ProtectProc", "hidden"),
            "t.profile:1: invalid value 'hidden' for ProtectProc=: expected 'default', 'invisible', "
            "'noaccess' or 'ptraceable'");
}

TEST(Directive, Hostname) {
  Profile p;
  ASSERT_TRUE(apply(p, "Hostname", "echo-1.jail"));
  EXPECT_EQ(*p.hostname.value, "echo-1.jail");
  EXPECT_TRUE(apply(p, "Hostname", std::string(64, 'h')));
  const std::string too_long(65, 'h');
  EXPECT_EQ(error_of("Hostname", too_long),
            "t.profile:1: invalid value '" + too_long + "' for Hostname=: expected 1 to 64 characters of "
            "A-Z, a-z, 0-9, '.' and '-'");
  EXPECT_EQ(error_of("Hostname", "under_score"),
            "t.profile:1: invalid value 'under_score' for Hostname=: expected 1 to 64 characters of "
            "A-Z, a-z, 0-9, '.' and '-'");
  EXPECT_NE(error_of("Hostname", "a b"), "");
}

TEST(Directive, ListenAddresses) {
  Profile p;
  for (const char* ok : {"7", "65535", "127.0.0.1:8080", "[::1]:53", "[::]:80", "/run/echo.sock"})
    ASSERT_TRUE(apply(p, "ListenStream", ok)) << ok;
  EXPECT_EQ(values(p.listen_stream),
            (Names{"7", "65535", "127.0.0.1:8080", "[::1]:53", "[::]:80", "/run/echo.sock"}));
  ASSERT_TRUE(apply(p, "ListenDatagram", "5353"));
  EXPECT_EQ(values(p.listen_datagram), (Names{"5353"}));
  ASSERT_TRUE(apply(p, "ListenStream", ""));
  EXPECT_TRUE(p.listen_stream.empty());
  EXPECT_EQ(p.listen_datagram.size(), 1u);
  for (const char* bad : {"0", "65536", "http", "localhost:80", "[::1]", "1.2.3:4", "run/x.sock", "7 8"})
    EXPECT_NE(error_of("ListenStream", bad), "") << bad;
  EXPECT_EQ(error_of("ListenDatagram", "99999"),
            "t.profile:1: invalid value '99999' for ListenDatagram=: expected PORT, IPV4:PORT, "
            "[IPV6]:PORT or an absolute socket path");
}

// ListenViaBind= is zjail's own boolean: last one wins, empty resets,
// anything else is refused; --show writes it back with its origin.
TEST(Directive, ListenViaBind) {
  Profile p;
  EXPECT_FALSE(p.listen_via_bind.is_set());
  ASSERT_TRUE(apply(p, "ListenViaBind", "yes", 4));
  EXPECT_TRUE(*p.listen_via_bind.value);
  EXPECT_EQ(p.listen_via_bind.origin.line, 4);
  ASSERT_TRUE(apply(p, "ListenViaBind", "off"));
  EXPECT_FALSE(*p.listen_via_bind.value);
  ASSERT_TRUE(apply(p, "ListenViaBind", ""));
  EXPECT_FALSE(p.listen_via_bind.is_set());
  EXPECT_EQ(error_of("ListenViaBind", "80"),
            "t.profile:1: invalid value '80' for ListenViaBind=: expected a boolean");

  ASSERT_TRUE(apply(p, "ListenStream", "127.0.0.1:80", 2));
  ASSERT_TRUE(apply(p, "ListenViaBind", "yes", 3));
  std::string shown = show_profile(p);
  EXPECT_NE(shown.find("ListenViaBind=yes"), std::string::npos) << shown;
  Profile back;
  auto st = load_profile_text(back, shown, "shown.profile", {}, ProfileTrust::any());
  ASSERT_TRUE(st) << st.error().message() << "\n" << shown;
  ASSERT_TRUE(back.listen_via_bind.is_set());
  EXPECT_TRUE(*back.listen_via_bind.value);
  EXPECT_EQ(values(back.listen_stream), (Names{"127.0.0.1:80"}));
  EXPECT_EQ(show_profile(Profile{}).find("ListenViaBind"), std::string::npos);
}

TEST(Directive, EnvironmentUsesSystemdQuoting) {
  Profile p;
  ASSERT_TRUE(apply(p, "Environment", "\"A=b c\" D=e", 1));
  ASSERT_TRUE(apply(p, "Environment", "F=\"g h\" 'I=j \"k\"'", 2));
  ASSERT_TRUE(apply(p, "Environment", "\"TAB=a\\tb\" NL=x\\ny HEX=\\x41 OCT=\\101 Q=\\\" SP=a\\sb", 3));
  ASSERT_TRUE(apply(p, "Environment", "EMPTY= PCT=%h", 4));
  EXPECT_EQ(values(p.environment), (Names{"A=b c", "D=e", "F=g h", "I=j \"k\"", "TAB=a\tb", "NL=x\ny",
                                          "HEX=A", "OCT=A", "Q=\"", "SP=a b", "EMPTY=", "PCT=%h"}));
  EXPECT_EQ(p.environment[2].origin.line, 2);
  ASSERT_TRUE(apply(p, "Environment", ""));
  EXPECT_TRUE(p.environment.empty());
}

TEST(Directive, EnvironmentErrors) {
  EXPECT_EQ(error_of("Environment", "A=1 NOEQUALS"),
            "t.profile:1: invalid value 'NOEQUALS' for Environment=: expected KEY=VALUE words "
            "(quote a value with spaces: \"KEY=a b\")");
  expect_refused("Environment", {"1A=x", "=x", "A-B=x"});
  expect_errors({
      {"Environment", "\"A=b c", "t.profile:1: invalid value '\"A=b c' for Environment=: unterminated double quote"},
      {"Environment", "A=\\q", "t.profile:1: invalid value 'A=\\q' for Environment=: unknown escape '\\q'"},
  });
  expect_refused("Environment", {"A=b\\", "A=\\x4", "A=\\000", "A='b"});
}

TEST(Directive, PassAndUnsetEnvironment) {
  Profile p;
  ASSERT_TRUE(apply(p, "PassEnvironment", "TERM LANG"));
  ASSERT_TRUE(apply(p, "PassEnvironment", "_X1"));
  EXPECT_EQ(values(p.pass_environment), (Names{"TERM", "LANG", "_X1"}));
  EXPECT_EQ(error_of("PassEnvironment", "TERM=xterm"),
            "t.profile:1: invalid value 'TERM=xterm' for PassEnvironment=: expected environment variable names");
  ASSERT_TRUE(apply(p, "UnsetEnvironment", "LD_PRELOAD \"MODE=a b\""));
  EXPECT_EQ(values(p.unset_environment), (Names{"LD_PRELOAD", "MODE=a b"}));
  expect_refused("UnsetEnvironment", {"=x", "9"});
  ASSERT_TRUE(apply(p, "PassEnvironment", ""));
  ASSERT_TRUE(apply(p, "UnsetEnvironment", ""));
  EXPECT_TRUE(p.pass_environment.empty());
  EXPECT_TRUE(p.unset_environment.empty());
}

TEST(Directive, SystemCallErrorNumber) {
  Profile p;
  const std::pair<const char*, int> errnos[] = {
      {"EPERM", EPERM}, {"EACCES", EACCES}, {"ENOSYS", ENOSYS}, {"EWOULDBLOCK", EAGAIN},
      {"ENOTSUP", EOPNOTSUPP}, {"38", 38}, {"4095", 4095}};
  for (const auto& [text, err] : errnos) {
    ASSERT_TRUE(apply(p, "SystemCallErrorNumber", text)) << text;
    EXPECT_EQ(p.system_call_error_number.value->kind, SyscallAction::Errno);
    EXPECT_EQ(p.system_call_error_number.value->err, err) << text;
  }
  ASSERT_TRUE(apply(p, "SystemCallErrorNumber", "kill"));
  EXPECT_EQ(p.system_call_error_number.value->kind, SyscallAction::Kill);
  ASSERT_TRUE(apply(p, "SystemCallErrorNumber", "log"));
  EXPECT_EQ(p.system_call_error_number.value->kind, SyscallAction::Log);
  ASSERT_TRUE(apply(p, "SystemCallErrorNumber", ""));
  EXPECT_FALSE(p.system_call_error_number.is_set());

  expect_errors({
      {"SystemCallErrorNumber", "EPREM",
       "t.profile:1: invalid value 'EPREM' for SystemCallErrorNumber=: expected an errno name "
       "such as EPERM, a number, 'kill' or 'log' (did you mean 'EPERM'?)"},
      {"SystemCallErrorNumber", "0",
       "t.profile:1: invalid value '0' for SystemCallErrorNumber=: an error number is between 1 and 4095"},
  });
  expect_refused("SystemCallErrorNumber", {"4096", "-1", "eperm"});
}

TEST(Directive, SystemCallArchitectures) {
  Profile p;
  ASSERT_TRUE(apply(p, "SystemCallArchitectures", "native"));
  ASSERT_TRUE(apply(p, "SystemCallArchitectures", "native"));
  EXPECT_EQ(values(p.system_call_architectures), (Names{"native"}));
#if defined(__x86_64__)
  ASSERT_TRUE(apply(p, "SystemCallArchitectures", "x86-64"));
  EXPECT_EQ(values(p.system_call_architectures), (Names{"native", "x86-64"}));
  EXPECT_EQ(error_of("SystemCallArchitectures", "native x32"),
            "t.profile:1: invalid value 'x32' for SystemCallArchitectures=: only 'native' (x86-64) is "
            "supported: other ABIs would be a way around the filter");
#endif
  expect_refused("SystemCallArchitectures", {"x86", "~native"});
  ASSERT_TRUE(apply(p, "SystemCallArchitectures", ""));
  EXPECT_TRUE(p.system_call_architectures.empty());
}

TEST(Directive, LimitsEveryName) {
  const std::pair<const char*, int> limits[] = {
      {"LimitCPU", RLIMIT_CPU},         {"LimitFSIZE", RLIMIT_FSIZE},
      {"LimitDATA", RLIMIT_DATA},       {"LimitSTACK", RLIMIT_STACK},
      {"LimitCORE", RLIMIT_CORE},       {"LimitRSS", RLIMIT_RSS},
      {"LimitNOFILE", RLIMIT_NOFILE},   {"LimitAS", RLIMIT_AS},
      {"LimitNPROC", RLIMIT_NPROC},     {"LimitMEMLOCK", RLIMIT_MEMLOCK},
      {"LimitLOCKS", RLIMIT_LOCKS},     {"LimitSIGPENDING", RLIMIT_SIGPENDING},
      {"LimitMSGQUEUE", RLIMIT_MSGQUEUE}, {"LimitNICE", RLIMIT_NICE},
      {"LimitRTPRIO", RLIMIT_RTPRIO},   {"LimitRTTIME", RLIMIT_RTTIME}};
  for (const auto& [key, res] : limits) {
    Profile p;
    ASSERT_TRUE(apply(p, key, "infinity", 2)) << key;
    ASSERT_EQ(p.limits.count(res), 1u) << key;
    EXPECT_EQ(p.limits[res].value.soft, RLIM_INFINITY);
    EXPECT_EQ(p.limits[res].value.hard, RLIM_INFINITY);
    EXPECT_EQ(p.limits[res].origin.line, 2);
    ASSERT_TRUE(apply(p, key, "10:20")) << key;
    EXPECT_EQ(p.limits[res].value.soft, 10u);
    EXPECT_EQ(p.limits[res].value.hard, 20u);
    ASSERT_TRUE(apply(p, key, "7"));
    EXPECT_EQ(p.limits[res].value.soft, 7u);
    EXPECT_EQ(p.limits[res].value.hard, 7u);
    ASSERT_TRUE(apply(p, key, "5:infinity"));
    EXPECT_EQ(p.limits[res].value.hard, RLIM_INFINITY);
    expect_refused(key, {"20:10", "infinity:5", "lots", "-", "1:2:3"});
    ASSERT_TRUE(apply(p, key, ""));
    EXPECT_EQ(p.limits.count(res), 0u) << key;
  }
  EXPECT_EQ(error_of("LimitNOFILE", "20:10"),
            "t.profile:1: invalid value '20:10' for LimitNOFILE=: the soft limit is above the hard limit");
}

rlim_t soft_of(std::string_view key, std::string_view value, int res) {
  Profile p;
  auto st = apply(p, key, value);
  EXPECT_TRUE(st) << key << "=" << value << ": " << (st ? "" : st.error().message());
  return st ? p.limits[res].value.soft : 0;
}

TEST(Directive, LimitUnits) {
  // Byte limits take powers of 1024, as systemd's LimitXXX= do.
  EXPECT_EQ(soft_of("LimitFSIZE", "16M", RLIMIT_FSIZE), 16u << 20);
  EXPECT_EQ(soft_of("LimitAS", "1G", RLIMIT_AS), 1ull << 30);
  EXPECT_EQ(soft_of("LimitMEMLOCK", "64K", RLIMIT_MEMLOCK), 64u << 10);
  EXPECT_EQ(soft_of("LimitCORE", "0", RLIMIT_CORE), 0u);
  EXPECT_EQ(error_of("LimitNOFILE", "16K"),
            "t.profile:1: invalid value '16K' for LimitNOFILE=: expected a number, SOFT:HARD or 'infinity'");
  EXPECT_NE(error_of("LimitAS", "1Q"), "");
  EXPECT_NE(error_of("LimitAS", "20E"), "");  // overflows 64 bits
  // CPU time is in seconds, rounded up; RTTIME in microseconds.
  EXPECT_EQ(soft_of("LimitCPU", "10", RLIMIT_CPU), 10u);
  EXPECT_EQ(soft_of("LimitCPU", "10s", RLIMIT_CPU), 10u);
  EXPECT_EQ(soft_of("LimitCPU", "2min", RLIMIT_CPU), 120u);
  EXPECT_EQ(soft_of("LimitCPU", "1500ms", RLIMIT_CPU), 2u);
  EXPECT_EQ(soft_of("LimitRTTIME", "50ms", RLIMIT_RTTIME), 50000u);
  EXPECT_EQ(soft_of("LimitRTTIME", "200", RLIMIT_RTTIME), 200u);
  EXPECT_NE(error_of("LimitCPU", "10M"), "");
  // LimitNICE: a signed value is a nice level, a bare one the raw rlimit.
  EXPECT_EQ(soft_of("LimitNICE", "+5", RLIMIT_NICE), 15u);
  EXPECT_EQ(soft_of("LimitNICE", "-20", RLIMIT_NICE), 40u);
  EXPECT_EQ(soft_of("LimitNICE", "+19", RLIMIT_NICE), 1u);
  EXPECT_EQ(soft_of("LimitNICE", "10", RLIMIT_NICE), 10u);
  expect_refused("LimitNICE", {"+20", "-21", "41"});
}

// --- '~' lists: capabilities and system calls --------------------------------

TEST(DirectiveCapabilities, NamesAreValidatedAndCanonical) {
  Profile p;
  ASSERT_TRUE(apply(p, "AmbientCapabilities", "CAP_NET_BIND_SERVICE cap_chown SYS_PTRACE"));
  EXPECT_TRUE(p.ambient_capabilities.is_set);
  EXPECT_FALSE(p.ambient_capabilities.invert);
  EXPECT_EQ(values(p.ambient_capabilities.names), (Names{"CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_SYS_PTRACE"}));
  expect_errors({
      {"CapabilityBoundingSet", "CAP_NET_BIND_SERVIC",
       "t.profile:1: unknown capability 'CAP_NET_BIND_SERVIC' (did you mean 'CAP_NET_BIND_SERVICE'?)"},
      {"AmbientCapabilities", "net_admn",
       "t.profile:1: unknown capability 'net_admn' (did you mean 'CAP_NET_ADMIN'?)"},
      {"AmbientCapabilities", "CAP_CHOWN CAP_FROBNICATE", "t.profile:1: unknown capability 'CAP_FROBNICATE'"},
  });
}

TEST(DirectiveCapabilities, SamePolarityAddsOppositeRemovesEmptyResets) {
  Profile p;
  NameList& l = p.capability_bounding_set;
  ASSERT_TRUE(apply(p, "CapabilityBoundingSet", "CAP_CHOWN CAP_KILL", 1));
  ASSERT_TRUE(apply(p, "CapabilityBoundingSet", "CAP_KILL CAP_SETUID", 2));
  EXPECT_EQ(values(l.names), (Names{"CAP_CHOWN", "CAP_KILL", "CAP_SETUID"}));
  EXPECT_EQ(l.names[1].origin.line, 1);  // a repeated name keeps its first origin
  EXPECT_EQ(l.names[2].origin.line, 2);
  ASSERT_TRUE(apply(p, "CapabilityBoundingSet", "~CAP_KILL CAP_SYS_ADMIN"));
  EXPECT_FALSE(l.invert);
  EXPECT_EQ(values(l.names), (Names{"CAP_CHOWN", "CAP_SETUID"}));

  ASSERT_TRUE(apply(p, "CapabilityBoundingSet", ""));
  EXPECT_FALSE(l.is_set);
  EXPECT_TRUE(l.names.empty());

  // After a reset the first assignment fixes the polarity again.
  ASSERT_TRUE(apply(p, "CapabilityBoundingSet", "~CAP_SYS_ADMIN"));
  ASSERT_TRUE(apply(p, "CapabilityBoundingSet", "~ CAP_SYS_MODULE"));
  EXPECT_TRUE(l.invert);
  EXPECT_EQ(values(l.names), (Names{"CAP_SYS_ADMIN", "CAP_SYS_MODULE"}));
  ASSERT_TRUE(apply(p, "CapabilityBoundingSet", "CAP_SYS_ADMIN"));
  EXPECT_TRUE(l.invert);
  EXPECT_EQ(values(l.names), (Names{"CAP_SYS_MODULE"}));

  // "~" alone: everything. An allow list emptied by removal: nothing.
  ASSERT_TRUE(apply(p, "CapabilityBoundingSet", ""));
  ASSERT_TRUE(apply(p, "CapabilityBoundingSet", "~"));
  EXPECT_TRUE(l.is_set && l.invert && l.names.empty());
  ASSERT_TRUE(apply(p, "AmbientCapabilities", "CAP_CHOWN"));
  ASSERT_TRUE(apply(p, "AmbientCapabilities", "~CAP_CHOWN"));
  EXPECT_TRUE(p.ambient_capabilities.is_set);
  EXPECT_FALSE(p.ambient_capabilities.invert);
  EXPECT_TRUE(p.ambient_capabilities.names.empty());
}

TEST(DirectiveSyscalls, NamesAndGroupsAreValidated) {
  Profile p;
  ASSERT_TRUE(apply(p, "SystemCallFilter", "@system-service read write"));
  // An allow list starts with @default, as systemd's does.
  EXPECT_EQ(values(p.system_call_filter.names), (Names{"@default", "@system-service", "read", "write"}));
  ASSERT_TRUE(apply(p, "SystemCallLog", "~@mount"));
  EXPECT_TRUE(p.system_call_log.invert);
  expect_errors({
      {"SystemCallFilter", "read opne", "t.profile:1: unknown system call 'opne' (did you mean 'open'?)"},
      {"SystemCallFilter", "~@sytem-service",
       "t.profile:1: unknown syscall group '@sytem-service' (did you mean '@system-service'?)"},
      {"SystemCallLog", "@no-such-group-at-all", "t.profile:1: unknown syscall group '@no-such-group-at-all'"},
      {"SystemCallFilter", "open:EPERM",
       "t.profile:1: 'open:EPERM' in SystemCallFilter=: per-call error numbers are not supported; "
       "use SystemCallErrorNumber="},
  });
}

std::set<std::string> expanded(const std::vector<std::string>& names) {
  auto r = expand_syscalls(names);
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  return r ? *r : std::set<std::string>{};
}

std::set<std::string> minus(std::set<std::string> a, const std::set<std::string>& b) {
  for (const auto& x : b) a.erase(x);
  return a;
}

TEST(DirectiveSyscalls, OppositePolarityRemovesSyscallsFromGroups) {
  const std::set<std::string> service = expanded({"@system-service"});
  ASSERT_GE(service.size(), 2u);
  const std::string victim = *service.begin();

  // Allow list minus one call of a group: the group is split, the rest stays.
  Profile p;
  ASSERT_TRUE(apply(p, "SystemCallFilter", "@system-service", 1));
  ASSERT_TRUE(apply(p, "SystemCallFilter", "~" + victim, 2));
  EXPECT_FALSE(p.system_call_filter.invert);
  EXPECT_EQ(expanded(values(p.system_call_filter.names)), minus(service, {victim}));
  for (const auto& i : p.system_call_filter.names) EXPECT_EQ(i.origin.line, 1) << i.value;

  // Adding it back with the allow polarity restores the whole group's calls.
  ASSERT_TRUE(apply(p, "SystemCallFilter", victim));
  EXPECT_EQ(expanded(values(p.system_call_filter.names)), service);

  // Removing what is not there changes nothing; removing the group empties it.
  Profile q;
  ASSERT_TRUE(apply(q, "SystemCallFilter", "@system-service"));
  ASSERT_TRUE(apply(q, "SystemCallFilter", "~@system-service"));
  EXPECT_TRUE(q.system_call_filter.is_set);
  EXPECT_TRUE(q.system_call_filter.names.empty());
}

TEST(DirectiveSyscalls, BaseServiceSubtractionKeepsUntouchedGroupsWhole) {
  // base-service: @system-service minus @privileged @resources @keyring.
  Profile p;
  ASSERT_TRUE(apply(p, "SystemCallFilter", "@system-service"));
  ASSERT_TRUE(apply(p, "SystemCallFilter", "~@privileged @resources @keyring"));
  auto want = minus(expanded({"@system-service"}), expanded({"@privileged", "@resources", "@keyring"}));
  EXPECT_EQ(expanded(values(p.system_call_filter.names)), want);
  for (const auto& i : p.system_call_filter.names) {
    if (i.value[0] != '@') continue;
    EXPECT_TRUE(minus(expanded({i.value}), want).empty()) << i.value << " should have been split";
  }
}

TEST(DirectiveSyscalls, DenyListSamePolarityAddsOppositeRemoves) {
  const std::set<std::string> mount = expanded({"@mount"});
  ASSERT_FALSE(mount.empty());
  const std::string keep = *mount.rbegin();
  Profile p;
  ASSERT_TRUE(apply(p, "SystemCallFilter", "~@mount"));
  ASSERT_TRUE(apply(p, "SystemCallFilter", "~@reboot"));
  EXPECT_TRUE(p.system_call_filter.invert);
  EXPECT_EQ(values(p.system_call_filter.names), (Names{"@mount", "@reboot"}));
  ASSERT_TRUE(apply(p, "SystemCallFilter", keep));
  EXPECT_EQ(expanded(values(p.system_call_filter.names)),
            minus(expanded({"@mount", "@reboot"}), {keep}));
  ASSERT_TRUE(apply(p, "SystemCallFilter", ""));
  EXPECT_FALSE(p.system_call_filter.is_set);
  EXPECT_TRUE(p.system_call_filter.names.empty());
}

}  // namespace
}  // namespace zjail
