// The identity, service directory and credential directives: systemd's value
// syntax, resets, what a later line does to an earlier one, and bad values
// refused with file:line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "directive_lines.hpp"
#include "zjail/parser.hpp"

namespace zjail {
namespace {

using ::testing::HasSubstr;

constexpr DirectiveLines kLines{"i.profile"};

Status apply(Profile& p, std::string_view key, std::string_view value, int line = 1) {
  return kLines.apply(p, key, value, line);
}

Profile profile_of(std::initializer_list<std::pair<const char*, const char*>> lines) { return kLines.profile(lines); }

const std::vector<Item<ServiceDir>>& dirs(const Profile& p, ServiceDirKind k) {
  return p.identity.directories[static_cast<size_t>(k)];
}

TEST(IdentityDirectives, DirectoriesAreNormalisedAndAccumulate) {
  Profile p = profile_of({{"StateDirectory", "foo//bar/ ./baz"},
                          {"StateDirectory", "qux:alias"},
                          {"RuntimeDirectory", "run1 run2:link/deep"},
                          {"ConfigurationDirectory", "conf"},
                          {"StateDirectoryMode", "0750"},
                          {"RuntimeDirectoryMode", "700"},
                          {"RuntimeDirectoryPreserve", "restart"}});
  if (HasFailure()) return;
  const auto& state = dirs(p, ServiceDirKind::State);
  ASSERT_EQ(state.size(), 3u);
  EXPECT_EQ(state[0].value.name, "foo/bar");
  EXPECT_EQ(state[1].value.name, "baz");
  EXPECT_EQ(state[2].value.name, "qux");
  EXPECT_EQ(state[2].value.link, "alias");
  EXPECT_EQ(dirs(p, ServiceDirKind::Runtime)[1].value.link, "link/deep");
  EXPECT_EQ(*p.identity.directory_mode[static_cast<size_t>(ServiceDirKind::State)].value, 0750u);
  EXPECT_EQ(*p.identity.directory_mode[static_cast<size_t>(ServiceDirKind::Runtime)].value, 0700u);
  EXPECT_EQ(*p.identity.runtime_preserve.value, RuntimePreserve::Restart);
  EXPECT_TRUE(p.identity.any_directory());

  // The same name twice is one directory; the empty assignment resets.
  ASSERT_TRUE(apply(p, "StateDirectory", "baz"));
  EXPECT_EQ(dirs(p, ServiceDirKind::State).size(), 3u);
  ASSERT_TRUE(apply(p, "StateDirectory", ""));
  EXPECT_TRUE(dirs(p, ServiceDirKind::State).empty());
  ASSERT_TRUE(apply(p, "StateDirectoryMode", ""));
  EXPECT_FALSE(p.identity.directory_mode[static_cast<size_t>(ServiceDirKind::State)].is_set());
}

TEST(IdentityDirectives, ScalarsFollowSystemd) {
  Profile p = profile_of({{"DynamicUser", "yes"}, {"UMask", "0027"}, {"PrivateUsers", "identity"}});
  if (HasFailure()) return;
  EXPECT_TRUE(*p.identity.dynamic_user.value);
  EXPECT_EQ(*p.identity.umask.value, 027u);
  EXPECT_EQ(*p.identity.private_users.value, PrivateUsersMode::Identity);
  EXPECT_EQ(p.identity.umask.origin.str(), "i.profile:2") << "the line that set it, the second";
  const std::pair<const char*, PrivateUsersMode> modes[] = {
      {"yes", PrivateUsersMode::Self},  {"self", PrivateUsersMode::Self},       {"true", PrivateUsersMode::Self},
      {"no", PrivateUsersMode::No},     {"full", PrivateUsersMode::Full},       {"managed", PrivateUsersMode::Managed},
      {"0", PrivateUsersMode::No},      {"identity", PrivateUsersMode::Identity}};
  for (const auto& [value, mode] : modes) {
    ASSERT_TRUE(apply(p, "PrivateUsers", value)) << value;
    EXPECT_EQ(*p.identity.private_users.value, mode) << value;
  }
  ASSERT_TRUE(apply(p, "RuntimeDirectoryPreserve", "yes"));
  EXPECT_EQ(*p.identity.runtime_preserve.value, RuntimePreserve::Yes);
  ASSERT_TRUE(apply(p, "UMask", ""));
  EXPECT_FALSE(p.identity.umask.is_set());
}

TEST(IdentityDirectives, CredentialsReplaceByIdAndResetByFamily) {
  Profile p = profile_of({{"LoadCredential", "tls:/etc/ssl/private/key.pem"},
                          {"LoadCredential", "token"},
                          {"SetCredential", "token:fallback value\\n"},
                          {"ImportCredential", "web.*"},
                          {"LoadCredential", "tls:/etc/ssl/other.pem"}});
  if (HasFailure()) return;
  const auto& c = p.identity.credentials;
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].value.id, "token");
  EXPECT_EQ(c[0].value.value, "");  // searched in the credential stores
  EXPECT_EQ(c[1].value.kind, Credential::Kind::Set);
  EXPECT_EQ(c[1].value.value, "fallback value\n");  // C escapes decoded
  EXPECT_EQ(c[2].value.kind, Credential::Kind::Import);
  EXPECT_EQ(c[3].value.value, "/etc/ssl/other.pem");  // the later tls replaced the first
  // An empty LoadCredential= drops the loaded ones only.
  ASSERT_TRUE(apply(p, "LoadCredential", ""));
  ASSERT_EQ(p.identity.credentials.size(), 2u);
  ASSERT_TRUE(apply(p, "SetCredential", ""));
  ASSERT_TRUE(apply(p, "ImportCredential", ""));
  EXPECT_TRUE(p.identity.credentials.empty());
  // The encrypted forms parse (a profile systemd takes is taken); the plan refuses them.
  ASSERT_TRUE(apply(p, "LoadCredentialEncrypted", "db:/etc/credstore.encrypted/db"));
  ASSERT_TRUE(apply(p, "SetCredentialEncrypted", "k: SGVsbG8K"));
}

TEST(IdentityDirectives, BadValuesNameFileLineAndExpectation) {
  struct Case {
    const char* key;
    const char* value;
    const char* expect;
  };
  const Case cases[] = {
      {"StateDirectory", "/var/lib/abs", "relative directory names"},
      {"StateDirectory", "a/../b", "relative directory names"},
      {"CacheDirectory", "private", "DynamicUser="},
      {"LogsDirectory", "private/x", "DynamicUser="},
      {"ConfigurationDirectory", "conf:link", "takes no symlink"},
      {"RuntimeDirectory", "foo:/abs", "relative path other than"},
      {"RuntimeDirectory", "foo:foo", "relative path other than"},
      {"StateDirectory", "\"unterminated", "unterminated double quote"},
      {"StateDirectoryMode", "0999", "octal access mode"},
      {"StateDirectoryMode", "17777", "octal access mode"},
      {"UMask", "rwx", "octal mask"},
      {"RuntimeDirectoryPreserve", "sometimes", "boolean or 'restart'"},
      {"DynamicUser", "perhaps", "expected a boolean"},
      {"PrivateUsers", "some", "'identity', 'full' or 'managed'"},
      {"LoadCredential", "a/b:/x", "ID[:PATH]"},
      {"LoadCredential", ":/x", "ID[:PATH]"},
      {"LoadCredential", "id:../rel", "PATH after ':'"},
      {"LoadCredential", "id:/a/../b", "PATH after ':'"},
      {"SetCredential", "novalue", "ID:VALUE"},
      {"SetCredential", "id:bad\\q", "unknown escape"},
      {"SetCredential", "id:nul\\x00", "NUL"},
      {"SetCredentialEncrypted", "id:not base64!", "BASE64"},
      {"ImportCredential", "a*b", "followed by '*'"},
      {"ImportCredential", "x/y*", "followed by '*'"},
  };
  for (const auto& c : cases) {
    Profile p;
    auto st = apply(p, c.key, c.value, 7);
    ASSERT_FALSE(st) << c.key << "=" << c.value;
    EXPECT_EQ(st.error().step, Step::Profile);
    EXPECT_THAT(st.error().context, HasSubstr("i.profile:7: ")) << c.key;
    EXPECT_THAT(st.error().context, HasSubstr(c.expect)) << c.key << "=" << c.value;
  }
}

}  // namespace
}  // namespace zjail
