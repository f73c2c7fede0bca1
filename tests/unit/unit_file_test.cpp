// Service unit files for zjail --analyze: [Service] only, resets, line
// continuation, drop-ins in systemd's order with masking, template fallback,
// and the profiles a zjail ExecStart= names.
#include "zjail/unit_file.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace zjail {
namespace {

using ::testing::HasSubstr;

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

class UnitDirs : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zjail-unit-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dirs_ = {root_ + "/etc", root_ + "/run", root_ + "/usr/lib"};
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string root_;
  Strings dirs_;
};

TEST(UnitText, OnlyServiceSectionResetsAndContinuation) {
  UnitFile u;
  ASSERT_TRUE(parse_unit_text(u,
                              "[Unit]\nUser=ignored\n[Service]\n# comment\nUser=a\nUser=b\n"
                              "SystemCallFilter=@system-service\nSystemCallFilter=\nSystemCallFilter=~@mount \\\n"
                              "  @swap\n[Install]\nWantedBy=x\n",
                              "t.service"));
  EXPECT_EQ(u.last("User"), "b");
  EXPECT_EQ(u.all("SystemCallFilter"), (Strings{"", "~@mount  @swap"}));
  EXPECT_FALSE(u.has("WantedBy"));
  EXPECT_EQ(u.last("Nope"), "");
}

TEST(UnitText, MalformedLinesAreErrors) {
  UnitFile u;
  auto st = parse_unit_text(u, "[Service]\nnot an assignment\n", "t.service");
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().context, HasSubstr("t.service:2"));
}

TEST_F(UnitDirs, DropInsSortedByNameEarlierDirectoryMasks) {
  write(dirs_[2] + "/foo.service", "[Service]\nUser=vendor\nPrivateTmp=no\n");
  write(dirs_[2] + "/foo.service.d/10-a.conf", "[Service]\nPrivateTmp=yes\nUser=from-usr\n");
  write(dirs_[0] + "/foo.service.d/10-a.conf", "[Service]\nUser=from-etc\n");
  write(dirs_[1] + "/foo.service.d/20-b.conf", "[Service]\nProtectHome=yes\n");
  write(dirs_[2] + "/service.d/05-all.conf", "[Service]\nLockPersonality=yes\n");
  auto u = load_unit("foo", dirs_);
  ASSERT_TRUE(u) << u.error().message();
  EXPECT_EQ(u->name, "foo.service");
  EXPECT_EQ(u->last("User"), "from-etc");
  EXPECT_EQ(u->last("PrivateTmp"), "no") << "the /usr 10-a.conf is masked by /etc's";
  EXPECT_EQ(u->last("ProtectHome"), "yes");
  EXPECT_EQ(u->last("LockPersonality"), "yes");
  ASSERT_EQ(u->sources.size(), 4u);
  EXPECT_EQ(u->sources[1], dirs_[2] + "/service.d/05-all.conf");
}

TEST_F(UnitDirs, InstanceFallsBackToTemplate) {
  write(dirs_[2] + "/pg@.service", "[Service]\nUser=postgres\n");
  write(dirs_[0] + "/pg@15-main.service.d/zjail.conf", "[Service]\nDelegate=yes\n");
  auto u = load_unit("pg@15-main.service", dirs_);
  ASSERT_TRUE(u) << u.error().message();
  EXPECT_EQ(u->last("User"), "postgres");
  EXPECT_EQ(u->last("Delegate"), "yes");
}

TEST_F(UnitDirs, MissingAndMaskedUnits) {
  EXPECT_FALSE(load_unit("nothing", dirs_));
  fs::create_directories(dirs_[0]);
  fs::create_symlink("/dev/null", dirs_[0] + "/gone.service");
  auto u = load_unit("gone", dirs_);
  ASSERT_FALSE(u);
  EXPECT_THAT(u.error().context, HasSubstr("masked"));
}

TEST(UnitProfiles, FromAZjailExecStart) {
  UnitFile u;
  ASSERT_TRUE(parse_unit_text(u,
                              "[Service]\nExecStart=-/usr/bin/zjail -p base --profile=nginx "
                              "--profile 'my profile' -- /usr/sbin/nginx --profile no\n",
                              "t"));
  EXPECT_EQ(zjail_profiles_of(u), (Strings{"base", "nginx", "my profile"}));
  UnitFile plain;
  ASSERT_TRUE(parse_unit_text(plain, "[Service]\nExecStart=/usr/sbin/nginx -p x\n", "t"));
  EXPECT_TRUE(zjail_profiles_of(plain).empty());
}

}  // namespace
}  // namespace zjail
