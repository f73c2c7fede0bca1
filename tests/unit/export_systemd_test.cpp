// zjail export --format systemd: the drop-in is the same bytes every time,
// names system calls rather than groups, uses nothing newer than the target
// systemd (what is newer becomes a listed loss), quotes the command as
// systemd splits it, and, read back as a zjail profile on RootDirectory=/
// (the parity rules, tests/parity/README.md; TemporaryFileSystem=/ is
// zjail's own empty root), scores no worse than the profile it came from.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "zjail/analyze.hpp"
#include "zjail/export.hpp"
#include "zjail/parser.hpp"

namespace zjail {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> kSearch = {std::string(ZJAIL_SOURCE_DIR) + "/profiles"};

const char* const kDaemons[] = {"memcached", "mosquitto",   "nginx",      "lighttpd", "unbound",
                                "chrony",    "redis-server", "postgresql", "haproxy",  "sftp-server"};

Profile shipped(const std::string& name, const std::string& extra = "") {
  Profile p;
  auto st = load_profile(p, name, kSearch, ProfileTrust::any());
  EXPECT_TRUE(st) << st.error().message();
  if (!extra.empty()) {
    auto e = load_profile_text(p, "[Jail]\n" + extra, "<test>", kSearch, ProfileTrust::any());
    EXPECT_TRUE(e) << e.error().message();
  }
  return p;
}

std::string exported(const Profile& p, const std::string& name, int version = kDefaultSystemdVersion,
                     std::vector<std::string> command = {}) {
  ExportRequest req;
  req.format = ExportFormat::Systemd;
  req.systemd_version = version;
  req.profile_names = {name};
  req.command = std::move(command);
  PlanContext ctx;  // a root launch, as a unit's
  auto text = export_profile(p, ctx, req);
  EXPECT_TRUE(text) << text.error().message();
  return text ? *text : std::string();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

// The [Service] section's assignments.
std::vector<std::string> service_lines(const std::string& text) {
  std::vector<std::string> out;
  bool in = false;
  for (const auto& l : lines(text)) {
    if (!l.empty() && l[0] == '[') in = l == "[Service]";
    else if (in && !l.empty() && l[0] != '#') out.push_back(l);
  }
  return out;
}

// The comment block's losses.
std::string losses(const std::string& text) {
  std::string out;
  for (const auto& l : lines(text))
    if (l.rfind("#   - ", 0) == 0) out += l.substr(6) + "\n";
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : service_lines(text))
    if (l == line) return true;
  return false;
}

TEST(ExportSystemd, SameBytesEveryTime) {
  for (const char* name : kDaemons) {
    auto p = shipped(name);
    std::string a = exported(p, name), b = exported(shipped(name), name);
    EXPECT_FALSE(a.empty()) << name;
    EXPECT_EQ(a, b) << name;
  }
}

TEST(ExportSystemd, HeaderStatesTheTargetVersion) {
  EXPECT_THAT(exported(shipped("redis-server"), "redis-server", 249), HasSubstr("written for systemd 249"));
}

TEST(ExportSystemd, DirectivesNewerThanTheTargetBecomeLosses) {
  auto p = shipped("base-service");
  std::string v252 = exported(p, "base-service", 252);
  // PrivatePIDs= is systemd 257's.
  EXPECT_FALSE(has_line(v252, "PrivatePIDs=yes"));
  EXPECT_THAT(losses(v252), HasSubstr("PrivatePIDs=yes: systemd 257 (this drop-in targets 252)"));
  std::string v257 = exported(p, "base-service", 257);
  EXPECT_TRUE(has_line(v257, "PrivatePIDs=yes"));
  EXPECT_THAT(losses(v257), Not(HasSubstr("PrivatePIDs")));
  // ProtectProc= and ProcSubset= are 247's: a 246 target loses them.
  std::string v246 = exported(p, "base-service", 246);
  EXPECT_FALSE(has_line(v246, "ProcSubset=pid"));
  EXPECT_THAT(losses(v246), HasSubstr("ProcSubset=pid: systemd 247"));
  EXPECT_THAT(losses(v246), HasSubstr("ProtectProc=invisible: systemd 247"));
  // The host name: ProtectHostname=private:NAME from 258 on.
  EXPECT_TRUE(has_line(exported(shipped("redis-server"), "r", 258), "ProtectHostname=private:redis"));
  EXPECT_THAT(losses(exported(shipped("redis-server"), "r", 252)), HasSubstr("Hostname=redis"));
  // No line of any target names a directive newer than it.
  for (const auto& l : service_lines(v246)) EXPECT_THAT(l, Not(HasSubstr("PrivateIPC"))) << l;
}

TEST(ExportSystemd, SyscallGroupsBecomeNames) {
  std::string text = exported(shipped("base-service"), "base-service");
  bool allow = false, deny_io_uring = false;
  for (const auto& l : service_lines(text)) {
    if (l.rfind("SystemCallFilter=", 0) != 0) continue;
    EXPECT_THAT(l, Not(HasSubstr("@"))) << l;
    if (l.find("SystemCallFilter=~") == 0) {
      deny_io_uring |= l.find("io_uring_setup") != std::string::npos;
      continue;
    }
    if (l == "SystemCallFilter=") continue;
    allow = true;
    // @system-service minus @privileged and @resources (base-service).
    EXPECT_THAT(l, Not(HasSubstr(" mount "))) << l;
    EXPECT_THAT(l, Not(HasSubstr("setuid"))) << l;
    EXPECT_THAT(l, Not(HasSubstr("setrlimit"))) << l;
  }
  EXPECT_TRUE(allow);
  EXPECT_TRUE(deny_io_uring) << "io_uring stays closed, as under zjail";
  // Every allowed call together: read and execve are there, mount is not.
  std::string all;
  for (const auto& l : service_lines(text))
    if (l.rfind("SystemCallFilter=", 0) == 0 && l.find('~') == std::string::npos) all += " " + l.substr(17) + " ";
  EXPECT_THAT(all, HasSubstr(" read "));
  EXPECT_THAT(all, HasSubstr(" execve "));
  EXPECT_THAT(all, Not(HasSubstr(" mount ")));
  // The first filter line resets the unit's own: allow lists would add up.
  auto sl = service_lines(text);
  auto first = std::find_if(sl.begin(), sl.end(), [](const std::string& l) { return l.rfind("SystemCallFilter", 0) == 0; });
  ASSERT_NE(first, sl.end());
  EXPECT_EQ(*first, "SystemCallFilter=");
}

TEST(ExportSystemd, WritesZjailsDefaultsOut) {
  std::string text = exported(shipped("memcached"), "memcached");
  for (const char* line : {"TemporaryFileSystem=/:ro", "NoNewPrivileges=yes", "RestrictNamespaces=yes",
                           "PrivateUsers=yes", "PrivateDevices=yes", "PrivateTmp=yes", "PrivateIPC=yes",
                           "ProtectHostname=yes", "ProtectProc=invisible", "CapabilityBoundingSet=",
                           "AmbientCapabilities=", "SystemCallArchitectures=native", "User=memcache",
                           "Group=memcache", "MemoryMax=268435456", "TasksMax=32", "LimitNOFILE=4096",
                           "PrivateNetwork=no", "BindReadOnlyPaths=/usr"})
    EXPECT_TRUE(has_line(text, line)) << line << "\n" << text;
  // On the tmpfs root ProtectSystem= stays no: systemd 252 puts its
  // read-only / in place of the tmpfs, showing the host's whole tree.
  std::string strict = exported(shipped("memcached", "ProtectSystem=strict\n"), "m");
  EXPECT_TRUE(has_line(strict, "ProtectSystem=no"));
  EXPECT_FALSE(has_line(strict, "ProtectSystem=strict"));
  // A profile without PrivateNetwork= gets zjail's default.
  EXPECT_TRUE(has_line(exported(shipped("base-service"), "b"), "PrivateNetwork=yes"));
  // haproxy's one capability is the bounding set and the ambient set.
  std::string ha = exported(shipped("haproxy"), "haproxy");
  EXPECT_TRUE(has_line(ha, "CapabilityBoundingSet=CAP_SYS_CHROOT"));
  EXPECT_TRUE(has_line(ha, "AmbientCapabilities=CAP_SYS_CHROOT"));
}

TEST(ExportSystemd, LossesAreListedAtTheTop) {
  std::string text = exported(shipped("redis-server"), "redis-server");
  std::string l = losses(text);
  EXPECT_THAT(l, HasSubstr("TIOCSTI"));
  EXPECT_THAT(l, HasSubstr("x32"));
  EXPECT_THAT(l, HasSubstr("Hostname=redis"));
  EXPECT_THAT(l, HasSubstr("user namespace"));
  // The block comes before any section.
  EXPECT_LT(text.find("What systemd cannot express"), text.find("[Service]"));
  // zjail's own directives are never dropped silently.
  std::string own = exported(shipped("base-service", "ListenViaBind=yes\nListenStream=8080\nRestrictSignals=no\n"), "b");
  EXPECT_THAT(losses(own), HasSubstr("ListenViaBind=yes"));
  EXPECT_THAT(losses(own), HasSubstr("RestrictSignals=no"));
}

TEST(ExportSystemd, SocketsGoToASocketUnit) {
  std::string text = exported(shipped("nginx"), "nginx");
  EXPECT_THAT(text, HasSubstr("install nginx.socket"));
  EXPECT_THAT(text, HasSubstr("#   ListenStream=0.0.0.0:80\n#   ListenStream=[::]:80\n"));
  EXPECT_THAT(text, HasSubstr("#   BindIPv6Only=ipv6-only\n"));
  EXPECT_THAT(text, HasSubstr("[Unit]\nRequires=nginx.socket\nAfter=nginx.socket\n"));
  EXPECT_TRUE(has_line(text, "Environment=NGINX=3;4;"));
  EXPECT_THAT(exported(shipped("redis-server"), "redis-server"), Not(HasSubstr("[Unit]")));
}

// systemd resolves a share of the host itself, and its resource limits
// take no specifiers: "50%" as written, not "50%%" nor this host's bytes.
TEST(ExportSystemd, SharesOfTheHostStayShares) {
  std::string text = exported(shipped("base-service", "MemoryMax=50%\nTasksMax=10%\nCPUQuota=20%"), "base-service");
  EXPECT_TRUE(has_line(text, "MemoryMax=50%")) << text;
  EXPECT_TRUE(has_line(text, "TasksMax=10%")) << text;
  EXPECT_TRUE(has_line(text, "CPUQuota=20%")) << text;
}

TEST(ExportSystemd, CommandQuotedAsSystemdSplitsIt) {
  std::string text = exported(shipped("nginx"), "nginx", 252,
                              {"/usr/sbin/nginx", "-g", "daemon off; master_process on;", "100%", "a\"b", ";"});
  auto sl = service_lines(text);
  ASSERT_GE(sl.size(), 2u);
  EXPECT_EQ(sl[0], "ExecStart=");
  EXPECT_EQ(sl[1], R"(ExecStart=/usr/sbin/nginx -g "daemon off; master_process on;" 100%% "a\"b" ";")");
  // Without a command the unit's own ExecStart= stands.
  for (const auto& l : service_lines(exported(shipped("nginx"), "nginx")))
    EXPECT_NE(l.rfind("ExecStart=", 0), 0u) << l;
}

// The drop-in's [Service] lines as a zjail profile on RootDirectory=/, the
// way the parity runner puts a unit's lines back: the lines zjail has no
// directive for (ExecStart=) are left out.
Result<Profile> round_trip(const std::string& text, std::vector<std::string>& skipped) {
  Profile p;
  ZJAIL_TRY(apply_directive(p, "RootDirectory", "/", Origin{"<round trip>", 0}));
  int n = 0;
  for (const auto& l : service_lines(text)) {
    auto eq = l.find('=');
    std::string key = l.substr(0, eq), value = l.substr(eq + 1);
    // systemd's tmpfs over / is zjail's empty root, which zjail builds
    // itself (it refuses a TemporaryFileSystem= on /): the lines go on it
    // instead of on the host's root.
    if (key == "TemporaryFileSystem" && (value == "/" || value.rfind("/:", 0) == 0)) {
      ZJAIL_TRY(apply_directive(p, "RootDirectory", "", Origin{"<drop-in>", n}));
      continue;
    }
    // "~clone3:ENOSYS": zjail's deny lists take one errno for all
    // (SystemCallErrorNumber=); the call stays denied.
    if (key == "SystemCallFilter" && value.rfind('~', 0) == 0) {
      std::string names;
      std::istringstream words(value.substr(1));
      for (std::string w; words >> w;) names += " " + w.substr(0, w.find(':'));
      value = "~" + names.substr(1);
    }
    auto st = apply_directive(p, key, value, Origin{"<drop-in>", ++n});
    if (!st) {
      if (st.error().message().find("unknown") == std::string::npos) return st.error();
      skipped.push_back(key);
    }
  }
  return p;
}

TEST(ExportSystemd, RoundTripScoresNoWorse) {
  for (const char* name : kDaemons) {
    auto original = shipped(name);
    std::string text = exported(original, name);
    std::vector<std::string> skipped;
    auto back = round_trip(text, skipped);
    ASSERT_TRUE(back) << name << ": " << back.error().message();
    for (const auto& k : skipped) EXPECT_EQ(k, "ExecStart") << name;
    auto before = analyze(&original, nullptr);
    auto after = analyze(&*back, nullptr);
    ASSERT_TRUE(before && after) << name;
    std::string worse;
    for (const auto& a : after->items)
      for (const auto& b : before->items)
        if (a.item == b.item && a.score > b.score + 1e-9)
          worse += "  " + a.item + " " + a.setting + " (profile: " + b.setting + "): " + a.reason + "\n";
    EXPECT_LE(after->score, before->score) << name << ": the drop-in's lines score " << after->score
                                           << ", the profile " << before->score << "; worse:\n" << worse;
    std::printf("round trip %-13s profile %.1f  its drop-in's lines %.1f\n", name, before->score,
                after->score);
  }
}


// --- Red team: what systemd reads is what the profile says ---

// The lines systemd reads: its read_line() ends a line at LF, CR and NUL
// (fileio.c, EOL_TEN/EOL_THIRTEEN/EOL_ZERO), not at LF alone.
std::vector<std::string> systemd_lines(const std::string& text) {
  std::vector<std::string> out(1);
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\0') out.emplace_back();
    else out.back() += c;
  }
  return out;
}

// A line the payload's author smuggled in: an assignment no export writes.
bool injected(const std::string& text) {
  int sections = 0;
  for (const auto& l : systemd_lines(text)) {
    if (l.rfind("ExecStartPre=", 0) == 0) return true;
    if (l == "[Service]") ++sections;
  }
  return sections != 1;
}

// The export of `p` holds no line of the author's choosing, or is refused
// (exit 125, one line): either holds.
void expect_not_injected(const Profile& p, const std::vector<std::string>& names,
                         std::vector<std::string> command = {}) {
  ExportRequest req;
  req.format = ExportFormat::Systemd;
  req.profile_names = names;
  req.command = std::move(command);
  PlanContext ctx;
  auto text = export_profile(p, ctx, req);
  if (!text) {
    EXPECT_EQ(text.error().message().find('\n'), std::string::npos);
    EXPECT_EQ(text.error().message().find('\r'), std::string::npos);
    return;
  }
  EXPECT_FALSE(injected(*text)) << *text;
}

// A profile given by a path with a line break: its name goes into the
// header comment and the unit's name.
TEST(ExportSystemdRedTeam, ProfileNameWithALineBreakStaysAComment) {
  expect_not_injected(shipped("memcached"), {"/root/rt/x\n[Service]\nExecStartPre=+id\n#.profile"});
  expect_not_injected(shipped("memcached"), {"/root/rt/x\rExecStartPre=+id"});
}

// Description= is free text: a CR in it reaches the header comment.
TEST(ExportSystemdRedTeam, DescriptionWithACarriageReturnStaysAComment) {
  expect_not_injected(shipped("memcached", "Description=x\r[Service]\rExecStartPre=+id"), {"memcached"});
  std::string text = exported(shipped("memcached", "Description=x\ry"), "memcached");
  EXPECT_NE(text.find("# x\\x0dy\n"), std::string::npos) << text;
}

// WorkingDirectory= (like RootDirectory= and every other value) is written
// as it is: a value with a control character is refused.
TEST(ExportSystemdRedTeam, WorkingDirectoryWithACarriageReturnIsOneLine) {
  expect_not_injected(shipped("memcached", "WorkingDirectory=/a\rExecStartPre=+id"), {"memcached"});
}

// A command word with a CR: C-escaped inside its quotes.
TEST(ExportSystemdRedTeam, CommandWordWithACarriageReturnIsOneLine) {
  expect_not_injected(shipped("memcached"), {"memcached"}, {"/usr/bin/memcached", "x\rExecStartPre=+id\r#"});
  std::string text = exported(shipped("memcached"), "memcached", 252, {"/usr/bin/memcached", "x\ry"});
  EXPECT_NE(text.find("ExecStart=/usr/bin/memcached \"x\\x0dy\"\n"), std::string::npos) << text;
}

// systemd reads the first word's prefixes after unquoting it: "+" runs the
// command with full privileges (no sandboxing at all), "-" ignores its
// failure, "!"/"!!"/"@"/":"/"|" change it too. zjail runs the word as a file.
TEST(ExportSystemdRedTeam, CommandPrefixCharactersAreNotSystemds) {
  for (const char* first : {"+/usr/bin/memcached", "-/usr/bin/memcached", "!/usr/bin/memcached",
                            "@/usr/bin/memcached", ":/usr/bin/memcached", "|/usr/bin/memcached"}) {
    ExportRequest req;
    req.format = ExportFormat::Systemd;
    req.profile_names = {"memcached"};
    req.command = {first, "-p", "11211"};
    PlanContext ctx;
    auto text = export_profile(shipped("memcached"), ctx, req);
    if (!text) continue;  // refusing the word holds
    for (const auto& l : service_lines(*text)) {
      if (l.rfind("ExecStart=", 0) != 0 || l == "ExecStart=") continue;
      std::string cmd = l.substr(std::string("ExecStart=").size());
      char c = cmd[0] == '"' ? cmd[1] : cmd[0];
      EXPECT_TRUE(c != '+' && c != '-' && c != '!' && c != '@' && c != ':' && c != '|') << first << ": " << l;
    }
  }
}

// systemd substitutes $NAME and ${NAME} in ExecStart= (systemd.service(5),
// "Command lines"); zjail passes the word as it is. "$$" is a literal '$'.
TEST(ExportSystemdRedTeam, DollarInACommandWordIsLiteral) {
  std::string text = exported(shipped("memcached"), "memcached", 252,
                              {"/bin/sh", "-c", "exec memcached -u $USER ${OPTS}"});
  auto sl = service_lines(text);
  ASSERT_GE(sl.size(), 2u);
  EXPECT_EQ(sl[1], R"(ExecStart=/bin/sh -c "exec memcached -u $$USER $${OPTS}")");
  // A unit's own ExecStart= words (--unit) keep the unit's variables.
  ExportRequest req;
  req.format = ExportFormat::Systemd;
  req.profile_names = {"haproxy"};
  req.command = {"/usr/sbin/haproxy", "-f", "$CONFIG"};
  req.command_from_unit = true;
  PlanContext ctx;
  auto unit = export_profile(shipped("memcached"), ctx, req);
  ASSERT_TRUE(unit) << unit.error().message();
  EXPECT_NE(unit->find("\nExecStart=/usr/sbin/haproxy -f $CONFIG\n"), std::string::npos) << *unit;
}
}  // namespace
}  // namespace zjail
