#include "zjail/pamconf.hpp"

#include <gtest/gtest.h>

namespace zjail {
namespace {

PamConfig parse_ok(const std::string& text) {
  auto c = parse_pam_config(text, "pam.conf");
  EXPECT_TRUE(c) << (c ? "" : c.error().message());
  return c ? *c : PamConfig{};
}

std::string parse_err(const std::string& text) {
  auto c = parse_pam_config(text, "pam.conf");
  EXPECT_FALSE(c) << "accepted: " << text;
  if (c) return "";
  EXPECT_EQ(c.error().step, Step::PamConfig);
  return c.error().context;
}

TEST(PamConf, ParsesSubjectsProfilesAndComments) {
  auto c = parse_ok(
      "# who gets confined\n"
      "\n"
      "@jailed   ssh-restricted   # the group\n"
      "alice\tsftp-only\r\n"
      "bob /etc/zjail/profiles/custom.profile\n"
      "*  -\n");
  ASSERT_EQ(c.rules.size(), 4u);
  EXPECT_EQ(c.rules[0].kind, PamRule::Kind::Group);
  EXPECT_EQ(c.rules[0].name, "jailed");
  EXPECT_EQ(c.rules[0].profile, "ssh-restricted");
  EXPECT_EQ(c.rules[0].line, 3);
  EXPECT_EQ(c.rules[1].kind, PamRule::Kind::User);
  EXPECT_EQ(c.rules[1].profile, "sftp-only");
  EXPECT_EQ(c.rules[2].profile, "/etc/zjail/profiles/custom.profile");
  EXPECT_EQ(c.rules[3].kind, PamRule::Kind::Everyone);
  EXPECT_EQ(c.rules[3].profile, "");
}

TEST(PamConf, FirstMatchWins) {
  auto c = parse_ok("alice sftp-only\nbob -\n@jailed ssh-restricted\n* untrusted\n");
  auto m = match_pam_rule(c, "alice", {"jailed"});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->profile, "sftp-only");
  m = match_pam_rule(c, "carol", {"users", "jailed"});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->profile, "ssh-restricted");
  m = match_pam_rule(c, "bob", {"jailed"});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->profile, "") << "'-' before the group line leaves bob alone";
  m = match_pam_rule(c, "dave", {"users"});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->profile, "untrusted");
}

TEST(PamConf, NoMatchMeansNoRule) {
  auto c = parse_ok("@jailed ssh-restricted\n");
  EXPECT_FALSE(match_pam_rule(c, "alice", {"users"}));
  EXPECT_FALSE(match_pam_rule(parse_ok(""), "alice", {}));
  // Group names match exactly, not as prefixes.
  EXPECT_FALSE(match_pam_rule(c, "alice", {"jailed2", "jaile"}));
}

TEST(PamConf, ErrorsNameFileAndLine) {
  EXPECT_EQ(parse_err("alice\n"), "pam.conf:1: expected 'SUBJECT PROFILE' (two fields), got 1");
  EXPECT_EQ(parse_err("\nalice sftp-only extra\n"),
            "pam.conf:2: expected 'SUBJECT PROFILE' (two fields), got 3");
  EXPECT_EQ(parse_err("al:ice x\n"), "pam.conf:1: invalid user name 'al:ice'");
  EXPECT_EQ(parse_err("@ x\n"), "pam.conf:1: invalid group name '@'");
  EXPECT_EQ(parse_err("alice ../evil\n"),
            "pam.conf:1: invalid profile '../evil' (a NAME, an absolute path, or '-')");
  EXPECT_EQ(parse_err("alice /etc/../tmp/x.profile\n"),
            "pam.conf:1: invalid profile '/etc/../tmp/x.profile' (a NAME, an absolute path, or '-')");
  EXPECT_EQ(parse_err("alice a\nalice b\n"), "pam.conf:2: 'alice' is already mapped on line 1");
  EXPECT_EQ(parse_err("@g a\n@g b\n"), "pam.conf:2: '@g' is already mapped on line 1");
  EXPECT_EQ(parse_err("* -\nalice sftp-only\n"),
            "pam.conf:2: 'alice' is never reached: '*' on line 1 matches every user first");
  EXPECT_EQ(parse_err(std::string("alice sftp\0only\n", 17)), "pam.conf:1: NUL byte in line");
}

TEST(PamConf, LoadRefusesUntrustedFiles) {
  // /tmp is world-writable: nothing under it may decide confinement.
  char dir[] = "/tmp/zjail-pamconf-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/pam.conf";
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("alice sftp-only\n", f);
  fclose(f);
  auto c = load_pam_config(path);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().step, Step::PamConfig);
  EXPECT_EQ(c.error().err, EPERM);
  EXPECT_NE(c.error().context.find("/tmp"), std::string::npos) << c.error().context;
  unlink(path.c_str());
  rmdir(dir);
  EXPECT_FALSE(load_pam_config("/nonexistent/pam.conf"));
}

}  // namespace
}  // namespace zjail
