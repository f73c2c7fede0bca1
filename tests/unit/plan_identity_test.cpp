// The identity family's plan: PrivateUsers= maps, DynamicUser= and what it
// implies, the service directories (where they live, their binds, symlinks
// and variables), UMask=, the credentials' mount, and the refusals. Nothing
// here touches the host: check_plan() takes nothing, and the directories are
// only planned. No privileges needed.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "zjail/lease.hpp"
#include "zjail/parser.hpp"
#include "zjail/plan.hpp"
#include "zjail/users.hpp"

namespace zjail {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

PlanContext root_ctx() {
  PlanContext c;
  c.cwd = "/";
  c.unit_name = "webapp";
  return c;
}

// An unprivileged caller with its own environment (`env` outlives the ctx).
PlanContext user_ctx(std::vector<std::string>& env, std::vector<char*>& ptrs) {
  PlanContext c = root_ctx();
  c.invoker_uid = 4242;
  c.invoker_gid = 4242;
  for (auto& e : env) ptrs.push_back(e.data());
  ptrs.push_back(nullptr);
  c.environ = ptrs.data();
  return c;
}

Profile profile(const std::string& text) {
  Profile p;
  auto st = load_profile_text(p, "[Jail]\n" + text, "t.profile", {}, ProfileTrust::any());
  EXPECT_TRUE(st) << st.error().message();
  return p;
}

const MountOp* mount_at(const Plan& plan, const std::string& target) {
  for (const auto& m : plan.mounts)
    if (m.target == target) return &m;
  return nullptr;
}

bool has_env(const Plan& plan, const std::string& kv) {
  return std::find(plan.envp_storage.begin(), plan.envp_storage.end(), kv) != plan.envp_storage.end();
}

bool have_nobody() { return getpwnam("nobody") != nullptr; }

TEST(PlanPrivateUsers, EachModeMapsWhatSystemdMaps) {
  if (!have_nobody()) GTEST_SKIP() << "\n*** this host has no user 'nobody' ***";
  uid_t u = getpwnam("nobody")->pw_uid;
  auto self = check_plan(profile("User=nobody\nPrivateUsers=self\n"), root_ctx());
  ASSERT_TRUE(self) << self.error().message();
  EXPECT_EQ(self->idmap.uid_map, "0 0 1\n" + std::to_string(u) + " " + std::to_string(u) + " 1\n");
  auto none = check_plan(profile("User=nobody\n"), root_ctx());
  ASSERT_TRUE(none);
  EXPECT_EQ(none->idmap.uid_map, self->idmap.uid_map);  // zjail maps no more than "self" anyway

  auto identity = check_plan(profile("User=nobody\nPrivateUsers=identity\n"), root_ctx());
  ASSERT_TRUE(identity) << identity.error().message();
  EXPECT_EQ(identity->idmap.uid_map, "0 0 65536\n");
  EXPECT_EQ(identity->idmap.gid_map, "0 0 65536\n");
  auto full = check_plan(profile("User=nobody\nPrivateUsers=full\n"), root_ctx());
  ASSERT_TRUE(full);
  EXPECT_EQ(full->idmap.uid_map, "0 0 1\n1 1 4294967294\n");

  auto high = check_plan(profile("User=100000\nGroup=100000\nPrivateUsers=identity\n"), root_ctx());
  ASSERT_FALSE(high);
  EXPECT_THAT(high.error().message(), HasSubstr("t.profile:4: PrivateUsers=identity maps ids 0-65535 only"));
  auto managed = check_plan(profile("User=nobody\nPrivateUsers=managed\n"), root_ctx());
  ASSERT_FALSE(managed);
  EXPECT_THAT(managed.error().message(), HasSubstr("t.profile:3: PrivateUsers=managed"));
  EXPECT_THAT(managed.error().message(), HasSubstr("systemd-nsresourced"));
}

TEST(PlanPrivateUsers, UnprivilegedMapsOnlyItsCaller) {
  std::vector<std::string> env;
  std::vector<char*> ptrs;
  auto ctx = user_ctx(env, ptrs);
  auto self = check_plan(profile("PrivateUsers=yes\n"), ctx);
  ASSERT_TRUE(self) << self.error().message();
  EXPECT_EQ(self->idmap.uid_map, "4242 4242 1\n");
  auto identity = check_plan(profile("PrivateUsers=identity\n"), ctx);
  ASSERT_FALSE(identity);
  EXPECT_THAT(identity.error().message(), HasSubstr("t.profile:2: PrivateUsers= other than self needs root"));
}

TEST(PlanDynamicUser, TakesAUidOfTheRangeNamedAfterTheUnit) {
  auto plan = check_plan(profile("DynamicUser=yes\n"), root_ctx());
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(plan->identity.dynamic);
  EXPECT_GE(plan->uid, kDynamicUidMin);
  EXPECT_LE(plan->uid, kDynamicUidMax);
  EXPECT_EQ(plan->gid, plan->uid);
  EXPECT_FALSE(uid_has_entry(plan->uid).value());
  EXPECT_TRUE(has_env(*plan, "USER=webapp"));
  // Its home is "/" and its shell nologin: systemd passes neither.
  for (const auto& e : plan->envp_storage) {
    EXPECT_FALSE(e.starts_with("HOME=")) << e;
    EXPECT_FALSE(e.starts_with("SHELL=")) << e;
  }
  std::string u = std::to_string(plan->uid);
  EXPECT_EQ(plan->idmap.uid_map, "0 0 1\n" + u + " " + u + " 1\n");
  // What it implies: PrivateTmp= (the others where this zjail has them).
  EXPECT_NE(mount_at(*plan, "tmp"), nullptr);
  // A unit name that is no user name gives one made of its hash.
  PlanContext odd = root_ctx();
  odd.unit_name = "0-starts-with-a-digit.service";
  auto hashed = check_plan(profile("DynamicUser=yes\n"), odd);
  ASSERT_TRUE(hashed);
  EXPECT_TRUE(std::any_of(hashed->envp_storage.begin(), hashed->envp_storage.end(),
                          [](const std::string& e) { return e.starts_with("USER=_du"); }));
}

TEST(PlanDynamicUser, AStaticUserOfThatNameIsUsedAsIs) {
  if (!have_nobody()) GTEST_SKIP() << "\n*** this host has no user 'nobody' ***";
  auto plan = check_plan(profile("DynamicUser=yes\nUser=nobody\n"), root_ctx());
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_FALSE(plan->identity.dynamic);
  EXPECT_EQ(plan->uid, getpwnam("nobody")->pw_uid);
}

TEST(PlanDynamicUser, RefusedUnprivilegedWithoutALeaseOrWhenContradicted) {
  std::vector<std::string> env;
  std::vector<char*> ptrs;
  auto user = check_plan(profile("DynamicUser=yes\n"), user_ctx(env, ptrs));
  ASSERT_FALSE(user);
  EXPECT_THAT(user.error().message(), HasSubstr("t.profile:2: DynamicUser= needs root"));

  auto no_lease = build_plan(profile("DynamicUser=yes\n"), {"/bin/true"}, root_ctx());
  ASSERT_FALSE(no_lease);
  EXPECT_THAT(no_lease.error().message(), HasSubstr("HostLease"));

  auto tmp = check_plan(profile("PrivateTmp=no\nDynamicUser=yes\n"), root_ctx());
  ASSERT_FALSE(tmp);
  EXPECT_THAT(tmp.error().message(), HasSubstr("t.profile:3: DynamicUser=yes implies PrivateTmp=yes"));
}

TEST(PlanServiceDirs, RootDirectoriesWhereSystemdPutsThem) {
  if (!have_nobody()) GTEST_SKIP() << "\n*** this host has no user 'nobody' ***";
  auto plan = check_plan(profile("User=nobody\nStateDirectory=app/data other\nRuntimeDirectory=app:alias\n"
                                 "ConfigurationDirectory=app\nStateDirectoryMode=0750\nUMask=0077\n"),
                         root_ctx());
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(has_env(*plan, "STATE_DIRECTORY=/var/lib/app/data:/var/lib/other"));
  EXPECT_TRUE(has_env(*plan, "RUNTIME_DIRECTORY=/run/app"));
  EXPECT_TRUE(has_env(*plan, "CONFIGURATION_DIRECTORY=/etc/app"));
  EXPECT_EQ(plan->identity.umask, 077);
  const auto& dirs = plan->identity.directories;
  ASSERT_EQ(dirs.size(), 4u);
  EXPECT_EQ(dirs[0].host_path(), "/run/app");
  EXPECT_TRUE(dirs[0].remove);  // RuntimeDirectoryPreserve=no
  EXPECT_EQ(dirs[1].host_path(), "/var/lib/app/data");
  EXPECT_EQ(dirs[1].mode, 0750u);
  EXPECT_EQ(dirs[1].uid, plan->uid);
  EXPECT_TRUE(dirs[1].chown);
  EXPECT_FALSE(dirs[1].remove);
  EXPECT_FALSE(dirs[3].chown);  // ConfigurationDirectory= stays root's
  const MountOp* bind = mount_at(*plan, "var/lib/app/data");
  ASSERT_NE(bind, nullptr);
  EXPECT_EQ(bind->kind, MountOp::Kind::Bind);
  EXPECT_EQ(bind->source, "/var/lib/app/data");
  EXPECT_FALSE(bind->attr & MOUNT_ATTR_RDONLY);
  EXPECT_EQ(bind->origin, "t.profile:3");
  const MountOp* link = mount_at(*plan, "run/alias");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->kind, MountOp::Kind::Symlink);
  EXPECT_EQ(link->source, "/run/app");

  auto kept = check_plan(profile("User=nobody\nRuntimeDirectory=app\nRuntimeDirectoryPreserve=yes\n"), root_ctx());
  ASSERT_TRUE(kept);
  EXPECT_FALSE(kept->identity.directories[0].remove);
}

TEST(PlanServiceDirs, DynamicUserKeepsThemUnderPrivate) {
  auto plan = check_plan(profile("DynamicUser=yes\nStateDirectory=app/data\nCacheDirectory=c\nRuntimeDirectory=r\n"),
                         root_ctx());
  ASSERT_TRUE(plan) << plan.error().message();
  const auto& dirs = plan->identity.directories;
  ASSERT_EQ(dirs.size(), 3u);
  EXPECT_EQ(dirs[0].host_path(), "/run/r");  // runtime directories stay where they are
  EXPECT_EQ(dirs[1].host_path(), "/var/lib/private/app/data");
  EXPECT_TRUE(dirs[1].private_base);
  EXPECT_EQ(dirs[1].host_link, "/var/lib/app/data");
  EXPECT_TRUE(has_env(*plan, "STATE_DIRECTORY=/var/lib/app/data"));
  EXPECT_TRUE(has_env(*plan, "CACHE_DIRECTORY=/var/cache/c"));
  const MountOp* link = mount_at(*plan, "var/lib/app/data");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->kind, MountOp::Kind::Symlink);
  EXPECT_EQ(link->source, "../private/app/data");
  const MountOp* priv = mount_at(*plan, "var/lib/private");
  ASSERT_NE(priv, nullptr);
  EXPECT_EQ(priv->kind, MountOp::Kind::Tmpfs);
  ASSERT_NE(mount_at(*plan, "var/lib/private/app/data"), nullptr);
}

TEST(PlanServiceDirs, UnprivilegedUsesTheCallersXdgDirectories) {
  std::vector<std::string> env = {"HOME=/home/someone", "XDG_STATE_HOME=/srv/state", "XDG_RUNTIME_DIR=/run/user/4242"};
  std::vector<char*> ptrs;
  auto plan = check_plan(profile("StateDirectory=app\nCacheDirectory=app\nLogsDirectory=app\nRuntimeDirectory=app\n"),
                         user_ctx(env, ptrs));
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(has_env(*plan, "STATE_DIRECTORY=/srv/state/app"));
  EXPECT_TRUE(has_env(*plan, "CACHE_DIRECTORY=/home/someone/.cache/app"));
  EXPECT_TRUE(has_env(*plan, "LOGS_DIRECTORY=/srv/state/log/app"));
  EXPECT_TRUE(has_env(*plan, "RUNTIME_DIRECTORY=/run/user/4242/app"));
  for (const auto& d : plan->identity.directories) {
    EXPECT_FALSE(d.privileged);
    EXPECT_FALSE(d.chown);
  }
  std::vector<std::string> bare = {"HOME=/home/someone"};
  std::vector<char*> bare_ptrs;
  auto no_run = check_plan(profile("RuntimeDirectory=app\n"), user_ctx(bare, bare_ptrs));
  ASSERT_FALSE(no_run);
  EXPECT_THAT(no_run.error().message(), HasSubstr("t.profile:2: RuntimeDirectory= needs $XDG_RUNTIME_DIR"));
}

TEST(PlanServiceDirs, EnvironmentMayOverrideTheVariables) {
  std::vector<std::string> env = {"HOME=/h", "XDG_STATE_HOME=/s"};
  std::vector<char*> ptrs;
  auto plan = check_plan(profile("StateDirectory=a\nEnvironment=STATE_DIRECTORY=/elsewhere\n"), user_ctx(env, ptrs));
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(has_env(*plan, "STATE_DIRECTORY=/elsewhere"));
}

class PlanCredentials : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zjail-cred-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ctx_ = user_ctx(env_, ptrs_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& data) {
    fs::create_directories(fs::path(dir_ + "/" + rel).parent_path());
    std::ofstream(dir_ + "/" + rel) << data;
  }
  const MountOp* creds(const Plan& plan) { return mount_at(plan, "run/credentials/webapp"); }
  std::string file(const MountOp& m, const std::string& name) {
    for (const auto& f : m.files)
      if (f.name == name) return f.data;
    return "<missing>";
  }

  std::string dir_;
  std::vector<std::string> env_ = {"HOME=/h"};
  std::vector<char*> ptrs_;
  PlanContext ctx_;
};

TEST_F(PlanCredentials, LoadedSetAndImportedIntoAReadOnlyMountOfThePayloads) {
  write("key.pem", "KEY");
  write("bundle/a", "A");
  write("bundle/sub/b", "B");
  write("mine/web.token", "imported");
  write("mine/other", "not imported");
  write("mine/tls", "loser");  // LoadCredential= of the same id wins
  ctx_.credentials_directory = dir_ + "/mine";
  auto plan = check_plan(profile("LoadCredential=tls:" + dir_ + "/key.pem\nLoadCredential=bundle:" + dir_ +
                                 "/bundle\nSetCredential=greeting:hello\\nworld\nLoadCredential=missing\n"
                                 "SetCredential=missing:default\nImportCredential=web.*\nImportCredential=tls\n"),
                         ctx_);
  ASSERT_TRUE(plan) << plan.error().message();
  const MountOp* m = creds(*plan);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->kind, MountOp::Kind::Files);
  EXPECT_EQ(file(*m, "tls"), "KEY");
  EXPECT_EQ(file(*m, "bundle_a"), "A");
  EXPECT_EQ(file(*m, "bundle_sub_b"), "B");  // systemd's name: the path below, '/' as '_'
  EXPECT_EQ(file(*m, "bundle_b"), "<missing>");
  EXPECT_EQ(file(*m, "greeting"), "hello\nworld");
  EXPECT_EQ(file(*m, "missing"), "default");  // SetCredential= stands in
  EXPECT_EQ(file(*m, "web.token"), "imported");
  EXPECT_EQ(file(*m, "other"), "<missing>");
  EXPECT_EQ(m->owner, plan->uid);
  EXPECT_EQ(m->dir_mode, 0500u);
  EXPECT_EQ(m->file_mode, 0400u);
  EXPECT_TRUE(m->attr & MOUNT_ATTR_RDONLY);
  EXPECT_TRUE(m->attr & MOUNT_ATTR_NOEXEC);
  EXPECT_TRUE(has_env(*plan, "CREDENTIALS_DIRECTORY=/run/credentials/webapp"));
}

TEST_F(PlanCredentials, MissingTooLargeAndUntrustedAreRefused) {
  auto missing = check_plan(profile("LoadCredential=k:" + dir_ + "/nope\n"), ctx_);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().step, Step::Credentials);
  EXPECT_THAT(missing.error().message(), HasSubstr("LoadCredential=k (t.profile:2)"));
  auto nowhere = check_plan(profile("LoadCredential=zjail-test-no-such-credential\n"), ctx_);
  ASSERT_FALSE(nowhere);
  EXPECT_THAT(nowhere.error().message(), HasSubstr("no such credential in"));
  // The encrypted form reads its file as LoadCredential= does, then opens it
  // (root tier: EncryptedCredentialsOpenOnlyUnderTheirNameAndKey).
  auto enc = check_plan(profile("LoadCredentialEncrypted=k:" + dir_ + "/nope\n"), ctx_);
  ASSERT_FALSE(enc);
  EXPECT_THAT(enc.error().message(), HasSubstr("LoadCredentialEncrypted=k (t.profile:2)"));
  // A file whose name cannot be a credential's fails the directory.
  write("odd/bad\tname", "x");
  auto odd = check_plan(profile("LoadCredential=odd:" + dir_ + "/odd\n"), ctx_);
  ASSERT_FALSE(odd);
  EXPECT_THAT(odd.error().message(), HasSubstr("not a valid name"));
  // A directory's total is counted as it is read.
  std::string half(600 * 1024, 'x');
  write("many/a", half);
  write("many/b", half);
  auto many = check_plan(profile("LoadCredential=many:" + dir_ + "/many\n"), ctx_);
  ASSERT_FALSE(many);
  EXPECT_THAT(many.error().message(), HasSubstr("add up to more than 1 MiB"));
  std::string big(1024 * 1024 + 1, 'x');
  write("big", big);
  auto too_big = check_plan(profile("LoadCredential=b:" + dir_ + "/big\n"), ctx_);
  ASSERT_FALSE(too_big);
  EXPECT_THAT(too_big.error().message(), HasSubstr("larger than 1 MiB"));
  // As root, a credential must be root's all the way: one in a directory
  // others may write (/tmp) could have been planted there.
  write("secret", "s");
  if (!have_nobody()) GTEST_SKIP() << "\n*** this host has no user 'nobody' ***";
  auto planted = check_plan(profile("LoadCredential=s:" + dir_ + "/secret\n"), root_ctx());
  ASSERT_FALSE(planted);
  EXPECT_EQ(planted.error().step, Step::Credentials);
}

TEST(PlanSessionIdentity, LoginSessionsRefuseTheFamily) {
  Login login{"root", 0, {}};
  for (const char* line : {"DynamicUser=yes", "StateDirectory=x", "UMask=0077", "SetCredential=a:b", "PrivateUsers=yes"}) {
    auto plan = build_session_plan(profile(std::string(line) + "\n"), login, root_ctx());
    ASSERT_FALSE(plan) << line;
    EXPECT_THAT(plan.error().message(), HasSubstr("t.profile:2: ")) << line;
    EXPECT_THAT(plan.error().message(), HasSubstr("is for services")) << line;
  }
}

TEST(PlanUserDatabase, DynamicUserIsNamedWhereTheJailShowsTheHostsEtc) {
  auto plan = check_plan(profile("DynamicUser=yes\nBindReadOnlyPaths=/etc\n"), root_ctx());
  ASSERT_TRUE(plan) << plan.error().message();
  const MountOp* db = mount_at(*plan, "run/host/userdb");
  ASSERT_NE(db, nullptr);
  std::string uid = std::to_string(plan->uid);
  ASSERT_EQ(db->files.size(), 2u);
  EXPECT_THAT(db->files[0].data, HasSubstr("\nwebapp:x:" + uid + ":" + uid + ":Dynamic User:/:/usr/sbin/nologin\n"));
  EXPECT_THAT(db->files[0].data, HasSubstr("root:x:0:0:"));  // the host's entries stay
  EXPECT_EQ(db->file_mode, 0644u);
  // The binds over /etc/passwd and /etc/group come after everything else.
  ASSERT_GE(plan->mounts.size(), 2u);
  EXPECT_EQ(plan->mounts.back().kind, MountOp::Kind::JailBind);
  EXPECT_EQ(plan->mounts[plan->mounts.size() - 2].kind, MountOp::Kind::JailBind);
  // Without the host's /etc in the jail there is nothing to add to.
  auto bare = check_plan(profile("DynamicUser=yes\n"), root_ctx());
  ASSERT_TRUE(bare);
  EXPECT_EQ(mount_at(*bare, "run/host/userdb"), nullptr);
}

}  // namespace
}  // namespace zjail
