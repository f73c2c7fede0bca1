#include "zjail/pamconf.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace zjail {
namespace {

using ::testing::HasSubstr;

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

// A stand-in for NSS: what each subject resolves to, and which subjects
// were asked about.
struct Directory {
  std::map<std::string, PamSubject> users, groups;
  std::vector<std::string> asked;
  PamResolver resolver() {
    return [this](const PamRule& r) {
      auto& table = r.kind == PamRule::Kind::User ? users : groups;
      asked.push_back((r.kind == PamRule::Kind::Group ? "@" : "") + r.name);
      auto it = table.find(r.name);
      return it == table.end() ? PamSubject{} : it->second;
    };
  }
};

PamSubject found(unsigned id, std::vector<std::string> members = {}) {
  return PamSubject{PamSubject::State::Found, id, std::move(members), 0};
}

// The rule matched, or "" for none, or "error: CONTEXT".
std::string match(const PamConfig& c, const PamLogin& who, Directory& d) {
  auto m = match_pam_rule(c, who, d.resolver());
  if (!m) return "error: " + m.error().context;
  if (!*m) return "";
  switch ((*m)->kind) {
    case PamRule::Kind::Group: return "@" + (*m)->name;
    case PamRule::Kind::Everyone: return "*";
    case PamRule::Kind::User: break;
  }
  return (*m)->name;
}

Directory sample() {
  Directory d;
  d.users = {{"alice", found(1001)}, {"bob", found(1002)}, {"carol", found(1003)}, {"dave", found(1004)}};
  d.groups = {{"jailed", found(500)}, {"users", found(100)}};
  return d;
}

TEST(PamConf, FirstMatchWins) {
  auto c = parse_ok("alice sftp-only\nbob -\n@jailed ssh-restricted\n* untrusted\n");
  Directory d = sample();
  auto m = match_pam_rule(c, {"alice", 1001, {500}}, d.resolver());
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->profile, "sftp-only");
  m = match_pam_rule(c, {"carol", 1003, {100, 500}}, d.resolver());
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->profile, "ssh-restricted");
  m = match_pam_rule(c, {"bob", 1002, {500}}, d.resolver());
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->profile, "") << "'-' before the group line leaves bob alone";
  m = match_pam_rule(c, {"dave", 1004, {100}}, d.resolver());
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->profile, "untrusted");
}

TEST(PamConf, NoMatchMeansNoRule) {
  auto c = parse_ok("@jailed ssh-restricted\n");
  Directory d = sample();
  EXPECT_EQ(match(c, {"alice", 1001, {100}}, d), "");
  EXPECT_EQ(match(parse_ok(""), {"alice", 1001, {}}, d), "");
  // Groups match by gid, not by a name that looks alike.
  d.groups["jailed2"] = found(501);
  EXPECT_EQ(match(c, {"alice", 1001, {501, 100}}, d), "");
}

// pam-user-canonical: a user line names a uid. Another name for the same uid
// (a second passwd entry, or the spelling a case-insensitive backend such as
// sssd accepts, "ALICE") is the same user and meets the same line.
TEST(PamConf, UserLinesMatchTheUidNotTheTypedName) {
  auto c = parse_ok("alice ssh-restricted\n* -\n");
  Directory d = sample();
  EXPECT_EQ(match(c, {"alice", 1001, {}}, d), "alice");
  EXPECT_EQ(match(c, {"alias", 1001, {}}, d), "alice") << "same uid, other name";
  EXPECT_EQ(match(c, {"alice2", 1005, {}}, d), "*");
  // The line's own name, if NSS gives it as the login's canonical name,
  // matches even when the line's lookup says otherwise.
  d.users["alice"] = found(4242);
  EXPECT_EQ(match(c, {"alice", 1001, {}}, d), "alice");
}

// pam-group-lookup: a group line matches by gid, whatever the size of the
// group, or when its member list names the login.
TEST(PamConf, GroupLinesCompareGidsOrMembers) {
  auto c = parse_ok("@jailed ssh-restricted\n* -\n");
  Directory d = sample();
  EXPECT_EQ(match(c, {"carol", 1003, {100, 500}}, d), "@jailed");
  EXPECT_EQ(match(c, {"carol", 1003, {500}}, d), "@jailed") << "primary group";
  EXPECT_EQ(match(c, {"carol", 1003, {100}}, d), "*");
  std::vector<std::string> many;
  for (int i = 0; i < 3000; ++i) many.push_back("member" + std::to_string(i));
  many.push_back("carol");
  d.groups["jailed"] = found(500, many);
  EXPECT_EQ(match(c, {"carol", 1003, {100}}, d), "@jailed") << "named in the member list";
}

// A reached line NSS cannot answer for refuses the login; a line after the
// one that decides is never looked up.
TEST(PamConf, LookupFailuresRefuseOnlyWhenReached) {
  auto c = parse_ok("bob -\nalice sftp-only\n@jailed ssh-restricted\n* -\n");
  Directory d = sample();
  d.groups["jailed"] = PamSubject{PamSubject::State::Failed, 0, {}, EIO};
  d.asked.clear();
  EXPECT_EQ(match(c, {"bob", 1002, {500}}, d), "bob");
  EXPECT_EQ(d.asked, std::vector<std::string>{"bob"}) << "decided before any group line";
  EXPECT_EQ(match(c, {"alias", 1001, {500}}, d), "alice");
  auto m = match_pam_rule(c, {"carol", 1003, {500}}, d.resolver());
  ASSERT_FALSE(m) << "an NSS outage must not leave a possible member unconfined";
  EXPECT_EQ(m.error().step, Step::PamConfig);
  EXPECT_EQ(m.error().err, EIO);
  EXPECT_EQ(m.error().context, "pam.conf:3: looking up group 'jailed'");
  // The same for a user line, even one that exempts: the login may be it.
  d.groups["jailed"] = found(500);
  d.users["bob"] = PamSubject{PamSubject::State::Failed, 0, {}, EAGAIN};
  EXPECT_EQ(match(c, {"carol", 1003, {500}}, d), "error: pam.conf:1: looking up user 'bob'");
}

TEST(PamConf, UnknownSubjects) {
  Directory d = sample();
  // A confining line whose group or user NSS does not know refuses whoever
  // reaches it: it may mean them, with its backend answering "no such".
  EXPECT_EQ(match(parse_ok("root -\n@gone ssh-restricted\n* -\n"), {"carol", 1003, {100}}, d),
            "error: pam.conf:2: no group 'gone' is known, so whether it means carol cannot be told; "
            "the line confines, so the login is refused");
  EXPECT_EQ(match(parse_ok("ghost sftp-only\n"), {"carol", 1003, {}}, d),
            "error: pam.conf:1: no user 'ghost' is known, so whether it means carol cannot be told; "
            "the line confines, so the login is refused");
  d.users["root"] = found(0);
  EXPECT_EQ(match(parse_ok("root -\n@gone ssh-restricted\n"), {"root", 0, {0}}, d), "root")
      << "a line before it still decides";
  // An unknown subject on a '-' line matches no one.
  EXPECT_EQ(match(parse_ok("@gone -\nghost -\n* ssh-restricted\n"), {"carol", 1003, {}}, d), "*");
  // The canonical name still matches its own line.
  Directory empty;
  EXPECT_EQ(match(parse_ok("carol sftp-only\n"), {"carol", 1003, {}}, empty), "carol");
}

// The real NSS of this machine: root and its group are in every passwd and
// group database; a name of digits is a name, never a uid.
TEST(PamConf, ResolvesThroughNss) {
  auto root = resolve_pam_login("root");
  ASSERT_TRUE(root) << root.error().message();
  EXPECT_EQ(root->name, "root");
  EXPECT_EQ(root->uid, 0u);
  EXPECT_NE(std::find(root->groups.begin(), root->groups.end(), 0u), root->groups.end());
  auto digits = resolve_pam_login("0");
  ASSERT_FALSE(digits) << "'0' was taken for uid 0";
  EXPECT_EQ(digits.error().err, 0);

  PamRule user{PamRule::Kind::User, "root", "x", 1}, group{PamRule::Kind::Group, "root", "x", 2};
  EXPECT_EQ(resolve_pam_subject(user).state, PamSubject::State::Found);
  EXPECT_EQ(resolve_pam_subject(user).id, 0u);
  EXPECT_EQ(resolve_pam_subject(group).state, PamSubject::State::Found);
  EXPECT_EQ(resolve_pam_subject(group).id, 0u);
  PamRule none{PamRule::Kind::Group, "zjail-no-such-group", "x", 3};
  EXPECT_EQ(resolve_pam_subject(none).state, PamSubject::State::Missing);
  none.kind = PamRule::Kind::User;
  EXPECT_EQ(resolve_pam_subject(none).state, PamSubject::State::Missing);

  auto c = parse_ok("@root sftp-only\n");
  auto m = match_pam_rule(c, *root);
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->line, 1);
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
  EXPECT_THAT(c.error().context, HasSubstr("/tmp")) << c.error().context;
  unlink(path.c_str());
  rmdir(dir);
  EXPECT_FALSE(load_pam_config("/nonexistent/pam.conf"));
}

}  // namespace
}  // namespace zjail
