// The evidence block (learn_evidence.cpp): every fact a learned profile was
// written from reads back exactly, hostile text included, and a block that
// was cut or edited is a `file:line: message` error, never half the facts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "zjail/learn.hpp"

namespace zjail::learn {
namespace {

using ::testing::HasSubstr;

Observations hostile() {
  Observations o;
  o.command = {"/usr/sbin/d\xc3\xa6mon", "--x=\"a b\"", "", "back\\slash", "new\nline", "\x01\x7f", "# zjail-learn: end 0"};
  o.user = "www-data";
  o.processes = 7;
  o.syscalls["openat"] = {12, "openat(AT_FDCWD, \"/etc/x\\\"\n\", O_RDONLY) in pid 3 (nginx)"};
  o.syscalls["read"] = {1, ""};
  o.paths["/srv/new\nline"] = {kRead | kWrite, false, false, {2, "open \"quoted\""}};
  o.paths["/srv/a b/\"c\"/d\\e"] = {kCreate | kRemove | kList, true, false, {1, "mkdir"}};
  o.paths["/srv/\xc3\xa9t\xc3\xa9"] = {kExec, false, true, {3, "\t\r"}};
  o.paths["/nothing"] = {0, false, true, {1, "stat"}};
  o.paths[std::string("/srv/nul\0byte", 13)] = {kRead, false, false, {1, std::string("ex\0ample", 8)}};
  o.families["AF_INET6"] = {3, "socket(AF_INET6)"};
  o.tcp_binds[0] = {1, "bind 0"};
  o.tcp_binds[65535] = {2, "bind 65535"};
  o.udp_binds[53] = {1, "bind 53"};
  o.connects["tcp:[::1]:5432"] = {4, "connect"};
  o.connects["unix:@abstract name"] = {1, "connect"};
  o.capabilities["CAP_NET_BIND_SERVICE"] = {1, "bind 80"};
  o.users["uid:33"] = {2, "setuid(33)"};
  o.namespaces["CLONE_NEWUSER"] = {1, "unshare"};
  o.rlimits["NOFILE"] = {1, "setrlimit"};
  o.rlimit_values["NOFILE"] = 18446744073709551615ull;
  o.write_execute = {5, "mmap(RWX)"};
  o.socket_activation = {1, "LISTEN_FDS=2"};
  o.notify = {3, "READY=1"};
  return o;
}

TEST(LearnEvidence, RoundTripsHostileText) {
  Observations o = hostile();
  std::string block = evidence_block(o);
  // One fact per line: no newline of a path or an example leaks into the file.
  for (size_t at = 0; (at = block.find('\n', at)) != std::string::npos; ++at)
    if (at + 1 < block.size()) {
      EXPECT_EQ(block[at + 1], '#') << block;
    }
  auto back = parse_evidence("[Jail]\nUser=x\n\n" + block, "p.profile");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(evidence_block(*back), block);
  EXPECT_EQ(back->command, o.command);
  EXPECT_EQ(back->paths.size(), o.paths.size());
  EXPECT_EQ(back->paths.at("/srv/new\nline").access, kRead | kWrite);
  EXPECT_TRUE(back->paths.at("/srv/a b/\"c\"/d\\e").directory);
  EXPECT_TRUE(back->paths.at("/srv/\xc3\xa9t\xc3\xa9").missing);
  EXPECT_EQ(back->paths.at(std::string("/srv/nul\0byte", 13)).seen.example, std::string("ex\0ample", 8));
  EXPECT_EQ(back->rlimit_values.at("NOFILE"), 18446744073709551615ull);
  EXPECT_EQ(back->write_execute.count, 5u);
  EXPECT_EQ(back->tcp_binds.at(65535).example, "bind 65535");
  // An empty observation is a block too.
  auto empty = parse_evidence(evidence_block(Observations{}), "e");
  ASSERT_TRUE(empty) << empty.error().message();
  EXPECT_EQ(evidence_block(*empty), evidence_block(Observations{}));
}

// The line of the fact that is wrong, with what is wrong.
std::string error_of(const std::string& text) {
  auto r = parse_evidence(text, "p.profile");
  EXPECT_FALSE(r);
  return r ? "" : r.error().message();
}

TEST(LearnEvidence, ACutOrEditedBlockIsAnError) {
  std::string block = evidence_block(hostile());
  std::vector<std::string> lines;
  for (size_t at = 0; at < block.size();) {
    size_t nl = block.find('\n', at);
    lines.push_back(block.substr(at, nl - at));
    at = nl + 1;
  }
  auto join = [](const std::vector<std::string>& ls) {
    std::string out;
    for (const auto& l : ls) out += l + "\n";
    return out;
  };
  // Cut short: the end line is gone, or a fact with it.
  auto cut = lines;
  cut.pop_back();
  EXPECT_THAT(error_of(join(cut)), HasSubstr("is cut short: no end line"));
  cut.pop_back();
  EXPECT_THAT(error_of(join(cut)), HasSubstr("is cut short"));
  // A fact dropped in the middle: the count no longer matches.
  auto dropped = lines;
  dropped.erase(dropped.begin() + 4);
  EXPECT_THAT(error_of(join(dropped)), HasSubstr("facts, and it holds"));
  // Garbled facts, each named by its line.
  auto garble = [&](size_t i, const std::string& line) {
    auto g = lines;
    g[i] = line;
    return error_of("[Jail]\n" + join(g));
  };
  EXPECT_THAT(garble(5, "# zjail-learn: syscall \"read\" x \"e\""), HasSubstr("p.profile:7: syscall: expected COUNT"));
  EXPECT_THAT(garble(5, "# zjail-learn: syscall \"read\" 1 \"unterminated"), HasSubstr("p.profile:7: garbled evidence line: an unterminated string"));
  EXPECT_THAT(garble(5, "# zjail-learn: syscall \"read\" 1 \"bad \\q\""), HasSubstr("p.profile:7: garbled evidence line: an unknown escape"));
  EXPECT_THAT(garble(5, "# zjail-learn: teleport \"x\" 1 \"e\""), HasSubstr("p.profile:7: unknown evidence fact 'teleport'"));
  EXPECT_THAT(garble(5, "# zjail-learn: tcp-bind 65536 1 \"e\""), HasSubstr("p.profile:7: tcp-bind: expected a port"));
  EXPECT_THAT(garble(5, "# zjail-learn: syscall \"read\" 1 \"again\""), HasSubstr("p.profile:8: syscall 'read' given twice"));
  EXPECT_THAT(garble(5, "# zjail-learn: path rq \"/x\" 1 \"e\""), HasSubstr("p.profile:7: path: bad access letters 'rq'"));
  EXPECT_THAT(garble(5, "# zjail-learn: path r \"relative\" 1 \"e\""), HasSubstr("p.profile:7: path: expected ACCESS"));
  EXPECT_THAT(garble(5, "# zjail-learn: syscall \"read\" 0 \"e\""), HasSubstr("above 0"));
  EXPECT_THAT(garble(5, "# zjail-learn: syscall \"read\" 99999999999999999999 \"e\""), HasSubstr("expected COUNT"));
  EXPECT_THAT(garble(5, "#zjail-learn: x"), HasSubstr("p.profile:7: the evidence block (from line 3) is cut short"));
  EXPECT_THAT(garble(0, "# zjail-learn: v2"), HasSubstr("p.profile:2: the evidence block starts with 'v2'"));
  EXPECT_THAT(error_of("[Jail]\nUser=x\n"), HasSubstr("p.profile: no evidence block"));
  EXPECT_THAT(error_of(block + block), HasSubstr("evidence after the block's end line"));
}

TEST(LearnEvidence, MergeWidens) {
  Observations a, b;
  a.command = {"/bin/a"};
  a.user = "a";
  a.syscalls["read"] = {2, "first"};
  a.paths["/x"] = {kRead, false, true, {1, "stat /x"}};
  a.paths["/y"] = {kRead, false, false, {1, "read /y"}};
  a.rlimit_values["NOFILE"] = 100;
  a.processes = 2;
  b.command = {"/bin/b"};
  b.user = "b";
  b.syscalls["read"] = {3, "second"};
  b.syscalls["write"] = {1, "w"};
  b.paths["/x"] = {kWrite, true, false, {4, "open /x"}};
  b.paths["/y"] = {kExec, false, false, {1, "exec /y"}};
  b.rlimit_values["NOFILE"] = 50;
  b.write_execute = {1, "mmap"};
  b.processes = 3;
  merge(a, b);
  EXPECT_EQ(a.command, std::vector<std::string>{"/bin/a"});
  EXPECT_EQ(a.user, "a");
  EXPECT_EQ(a.syscalls.at("read").count, 5u);
  EXPECT_EQ(a.syscalls.at("read").example, "first");
  EXPECT_EQ(a.syscalls.at("write").count, 1u);
  EXPECT_EQ(a.paths.at("/x").access, kRead | kWrite);
  EXPECT_TRUE(a.paths.at("/x").directory);
  EXPECT_FALSE(a.paths.at("/x").missing);  // one run found it
  EXPECT_EQ(a.paths.at("/x").seen.count, 5u);
  EXPECT_EQ(a.paths.at("/y").access, kRead | kExec);
  EXPECT_EQ(a.rlimit_values.at("NOFILE"), 100u);
  EXPECT_EQ(a.write_execute.count, 1u);
  EXPECT_EQ(a.processes, 5u);
  // Into an empty one: the other's command and user.
  Observations fresh;
  merge(fresh, b);
  EXPECT_EQ(fresh.command, std::vector<std::string>{"/bin/b"});
  EXPECT_EQ(evidence_block(fresh), evidence_block(b));
}

}  // namespace
}  // namespace zjail::learn
