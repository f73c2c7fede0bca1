// The file-system sandbox directives: systemd's values (and only those),
// resets, the old names, and --show round trips.
#include <gtest/gtest.h>

#include "directive_lines.hpp"
#include "zjail/parser.hpp"

namespace zjail {
namespace {

constexpr DirectiveLines kLines{"s.profile"};

Status apply(Profile& p, std::string_view key, std::string_view value, int line = 1) {
  return kLines.apply(p, key, value, line);
}

Profile profile_of(std::initializer_list<std::pair<const char*, const char*>> lines) { return kLines.profile(lines); }

template <class E>
int num(const Setting<E>& s) {
  return s.is_set() ? static_cast<int>(*s.value) : -1;
}

TEST(SandboxDirectives, WordsAndBooleansAsSystemdReadsThem) {
  struct Case {
    const char* key;
    const char* value;
    int expect;
    int (*get)(const Profile&);
  };
  auto ps = [](const Profile& p) { return num(p.sandbox.protect_system); };
  auto ph = [](const Profile& p) { return num(p.sandbox.protect_home); };
  auto pt = [](const Profile& p) { return num(p.sandbox.private_tmp); };
  auto pc = [](const Profile& p) { return num(p.sandbox.protect_control_groups); };
  auto dp = [](const Profile& p) { return num(p.sandbox.device_policy); };
  const Case cases[] = {
      {"ProtectSystem", "yes", int(ProtectSystem::Yes), ps},     {"ProtectSystem", "off", int(ProtectSystem::No), ps},
      {"ProtectSystem", "full", int(ProtectSystem::Full), ps},   {"ProtectSystem", "strict", int(ProtectSystem::Strict), ps},
      {"ProtectHome", "true", int(ProtectHome::Yes), ph},        {"ProtectHome", "0", int(ProtectHome::No), ph},
      {"ProtectHome", "read-only", int(ProtectHome::ReadOnly), ph}, {"ProtectHome", "tmpfs", int(ProtectHome::Tmpfs), ph},
      {"PrivateTmp", "on", int(PrivateTmp::Yes), pt},            {"PrivateTmp", "no", int(PrivateTmp::No), pt},
      {"PrivateTmp", "disconnected", int(PrivateTmp::Disconnected), pt},
      {"ProtectControlGroups", "yes", int(ProtectControlGroups::Yes), pc},
      {"ProtectControlGroups", "private", int(ProtectControlGroups::Private), pc},
      {"ProtectControlGroups", "strict", int(ProtectControlGroups::Strict), pc},
      {"DevicePolicy", "auto", int(DevicePolicy::Auto), dp},     {"DevicePolicy", "closed", int(DevicePolicy::Closed), dp},
      {"DevicePolicy", "strict", int(DevicePolicy::Strict), dp},
  };
  for (const auto& c : cases) {
    Profile p;
    auto st = apply(p, c.key, c.value);
    ASSERT_TRUE(st) << c.key << "=" << c.value << ": " << st.error().message();
    EXPECT_EQ(c.get(p), c.expect) << c.key << "=" << c.value;
    ASSERT_TRUE(apply(p, c.key, ""));
    EXPECT_EQ(c.get(p), -1) << c.key << "= resets";
  }
  Profile p = profile_of({{"PrivateDevices", "yes"}, {"MountAPIVFS", "no"}, {"ProtectKernelTunables", "1"},
                          {"ProtectKernelModules", "true"}, {"ProtectKernelLogs", "on"}});
  const Sandbox& s = p.sandbox;
  EXPECT_TRUE(*s.private_devices.value);
  EXPECT_FALSE(*s.mount_api_vfs.value);
  EXPECT_TRUE(*s.protect_kernel_tunables.value && *s.protect_kernel_modules.value && *s.protect_kernel_logs.value);
  EXPECT_EQ(s.private_devices.origin.str(), "s.profile:1");
}

TEST(SandboxDirectives, BadValuesNameFileLineAndExpectation) {
  struct Case {
    const char* key;
    const char* value;
    const char* expected;
  } cases[] = {
      {"ProtectSystem", "read-only", "expected a boolean, 'full' or 'strict'"},
      {"ProtectHome", "strict", "expected a boolean, 'read-only' or 'tmpfs'"},
      {"PrivateTmp", "private", "expected a boolean or 'disconnected'"},
      {"ProtectControlGroups", "full", "expected a boolean, 'private' or 'strict'"},
      {"DevicePolicy", "yes", "expected 'auto', 'closed' or 'strict'"},
      {"PrivateDevices", "maybe", "expected a boolean"},
      {"MountAPIVFS", "auto", "expected a boolean"},
      {"ProtectKernelLogs", "strict", "expected a boolean"},
      {"DeviceAllow", "/dev/fuse rx", "the access is a combination of r, w and m"},
      {"DeviceAllow", "fuse rw", "expected a /dev path, char-NAME or block-NAME, then optionally r, w and m"},
      {"DeviceAllow", "char- rw", "expected a /dev path, char-NAME or block-NAME, then optionally r, w and m"},
      {"DeviceAllow", "/dev/../etc/shadow", "expected a /dev path, char-NAME or block-NAME, then optionally r, w and m"},
  };
  for (const auto& c : cases) {
    Profile p;
    auto st = apply(p, c.key, c.value, 9);
    ASSERT_FALSE(st) << c.key << "=" << c.value;
    EXPECT_EQ(st.error().context, std::string("s.profile:9: invalid value '") + c.value + "' for " + c.key +
                                      "=: " + c.expected);
  }
}

TEST(SandboxDirectives, PathListsTakeMinusThenPlusAndReset) {
  Profile p = profile_of({{"ReadWritePaths", "/var/lib/a -/var/cache/a"},
                          {"ReadOnlyPaths", "-+/etc \"/srv/with space\""},
                          {"InaccessiblePaths", "+/boot"},
                          {"ExecPaths", "/usr/bin"},
                          {"NoExecPaths", "/"}});
  const Sandbox& s = p.sandbox;
  ASSERT_EQ(s.read_write_paths.size(), 2u);
  EXPECT_FALSE(s.read_write_paths[0].value.optional);
  EXPECT_TRUE(s.read_write_paths[1].value.optional);
  EXPECT_EQ(s.read_write_paths[1].value.path, "/var/cache/a");
  ASSERT_EQ(s.read_only_paths.size(), 2u);
  EXPECT_TRUE(s.read_only_paths[0].value.optional && s.read_only_paths[0].value.plus);
  EXPECT_EQ(s.read_only_paths[0].value.path, "/etc");
  EXPECT_EQ(s.read_only_paths[1].value.path, "/srv/with space");
  EXPECT_TRUE(s.inaccessible_paths[0].value.plus);
  EXPECT_EQ(s.exec_paths[0].value.path, "/usr/bin");
  EXPECT_EQ(s.no_exec_paths[0].value.path, "/");

  // Each list resets on its own.
  ASSERT_TRUE(apply(p, "ReadOnlyPaths", ""));
  EXPECT_TRUE(p.sandbox.read_only_paths.empty());
  EXPECT_EQ(p.sandbox.read_write_paths.size(), 2u);

  for (const char* bad : {"relative/path", "/a/../b", "+-/etc", "-", "--/etc"}) {
    Profile q;
    auto st = apply(q, "ReadWritePaths", bad, 4);
    ASSERT_FALSE(st) << bad;
    EXPECT_EQ(st.error().context, std::string("s.profile:4: invalid value '") + bad +
                                      "' for ReadWritePaths=: expected [-][+]PATH, an absolute path without '..' "
                                      "('-' before '+')");
  }
}

// systemd still reads the names these lists had before version 231.
TEST(SandboxDirectives, OldNamesFillTheSameLists) {
  Profile p = profile_of({{"ReadWriteDirectories", "/var/lib/x"},
                          {"ReadOnlyDirectories", "/etc"},
                          {"InaccessibleDirectories", "-/home"}});
  EXPECT_EQ(p.sandbox.read_write_paths.at(0).value.path, "/var/lib/x");
  EXPECT_EQ(p.sandbox.read_only_paths.at(0).value.path, "/etc");
  EXPECT_TRUE(p.sandbox.inaccessible_paths.at(0).value.optional);
  // --show writes today's names.
  std::string shown = show_profile(p);
  EXPECT_NE(shown.find("ReadWritePaths=/var/lib/x\n"), std::string::npos) << shown;
  EXPECT_NE(shown.find("InaccessiblePaths=-/home\n"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("Directories="), std::string::npos) << shown;
}

TEST(SandboxDirectives, DeviceAllowAccessDefaultsToRwm) {
  Profile p = profile_of({{"DeviceAllow", "/dev/fuse"}, {"DeviceAllow", "char-rtc r"}, {"DeviceAllow", "block-* rm"}});
  const auto& d = p.sandbox.device_allow;
  ASSERT_EQ(d.size(), 3u);
  EXPECT_TRUE(d[0].value.read && d[0].value.write && d[0].value.mknod);
  EXPECT_TRUE(d[1].value.read && !d[1].value.write && !d[1].value.mknod);
  EXPECT_EQ(d[2].value.specifier, "block-*");
  EXPECT_TRUE(d[2].value.read && !d[2].value.write && d[2].value.mknod);
  ASSERT_TRUE(apply(p, "DeviceAllow", ""));
  EXPECT_TRUE(p.sandbox.device_allow.empty());
}

TEST(SandboxDirectives, EveryOneAcceptsTheResetAndTrimsWhitespace) {
  for (const char* key : {"ProtectSystem", "ProtectHome", "ReadWritePaths", "ReadOnlyPaths", "InaccessiblePaths",
                          "ExecPaths", "NoExecPaths", "ReadWriteDirectories", "ReadOnlyDirectories",
                          "InaccessibleDirectories", "PrivateTmp", "PrivateDevices", "DevicePolicy", "DeviceAllow",
                          "MountAPIVFS", "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
                          "ProtectControlGroups"}) {
    Profile p;
    EXPECT_TRUE(apply(p, key, "")) << key;
    EXPECT_TRUE(apply_directive(p, std::string(" ") + key + "\t", "  ", Origin{"s.profile", 2})) << key;
  }
  Profile p;
  ASSERT_TRUE(apply(p, " ProtectSystem ", " strict\t"));
  EXPECT_EQ(*p.sandbox.protect_system.value, ProtectSystem::Strict);
}

}  // namespace
}  // namespace zjail
