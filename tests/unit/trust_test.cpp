#include "zjail/trust.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <string>
#include <vector>

namespace zjail {
namespace {

using ::testing::HasSubstr;

TEST(Trust, RootOwnedPathsPass) {
  EXPECT_TRUE(open_trusted("/usr/bin"));
  EXPECT_TRUE(open_trusted("/usr/bin/env"));
  auto fd = open_trusted_file("/etc/passwd");
  ASSERT_TRUE(fd) << fd.error().message();
  char c;
  EXPECT_EQ(read(fd->get(), &c, 1), 1) << "opened for reading";
}

TEST(Trust, RootOwnedSymlinksAreFollowed) {
  // /bin is root's link into /usr on merged-/usr systems, a directory
  // elsewhere; either way it resolves.
  auto fd = open_trusted("/bin/sh");
  EXPECT_TRUE(fd) << fd.error().message();
  EXPECT_TRUE(open_trusted("/usr/bin/../bin/env"));
}

TEST(Trust, WorldWritableComponentsFail) {
  auto fd = open_trusted("/tmp");
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().step, Step::CheckPaths);
  EXPECT_EQ(fd.error().err, EPERM);
  EXPECT_THAT(fd.error().context, HasSubstr("writable by group or others"))
      << fd.error().context;
}

TEST(Trust, MissingPathsAndBadInputFail) {
  auto fd = open_trusted("/nonexistent/x");
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().err, ENOENT);
  EXPECT_FALSE(open_trusted("relative/path"));
  EXPECT_FALSE(open_trusted_file("/usr/bin")) << "a directory is not a file";
  TrustRule dir;
  dir.leaf_must_be_dir = true;
  EXPECT_FALSE(open_trusted("/etc/passwd", dir));
}

TEST(Trust, UserOwnedLeafOnlyWhenAllowed) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create a root-owned parent";
  char dir[] = "/run/zjail-trust-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  chmod(dir, 0755);
  std::string home = std::string(dir) + "/home";
  ASSERT_EQ(mkdir(home.c_str(), 0700), 0);
  ASSERT_EQ(chown(home.c_str(), 4242, 4242), 0);
  auto no = open_trusted(home);
  EXPECT_FALSE(no);
  if (!no) {
    EXPECT_THAT(no.error().context, HasSubstr("owned by uid 4242"));
  }
  TrustRule r;
  r.leaf_owner = 4242;
  EXPECT_TRUE(open_trusted(home, r));
  std::string below = home + "/x";
  ASSERT_EQ(mkdir(below.c_str(), 0755), 0);
  ASSERT_EQ(chown(below.c_str(), 4242, 4242), 0);
  EXPECT_FALSE(open_trusted(below, r)) << "only the leaf may be the user's";
  rmdir(below.c_str());
  rmdir(home.c_str());
  rmdir(dir);
}

// A sticky /tmp may be crossed (TrustRule::cross_sticky) only on the way to
// a directory: a file in it could be anyone's plant, also when reached
// back through "..".
TEST(Trust, StickyDirectoriesAreCrossedOnlyToDirectories) {
  char dir[] = "/tmp/zjail-trust-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  chmod(dir, 0755);
  char file[] = "/tmp/zjail-trust-file-XXXXXX";
  int fd = mkstemp(file);
  ASSERT_GE(fd, 0);
  close(fd);
  TrustRule r;
  r.owner = geteuid();
  EXPECT_FALSE(open_trusted(dir, r)) << "/tmp without cross_sticky";
  r.cross_sticky = true;
  EXPECT_TRUE(open_trusted(dir, r));
  auto direct = open_trusted(file, r);
  ASSERT_FALSE(direct);
  EXPECT_EQ(direct.error().context,
            std::string(file) + " lies directly in a directory others may write to (a sticky one is trusted only on the way to a directory of its own)");
  std::string base = std::string(file).substr(5);
  auto back = open_trusted(std::string(dir) + "/../" + base, r);
  ASSERT_FALSE(back) << "reached through ..";
  EXPECT_EQ(back.error().err, EPERM);
  EXPECT_FALSE(open_trusted("/tmp", r)) << "the sticky directory itself is never the leaf";
  unlink(file);
  rmdir(dir);
}

// The walk the kernel does: "." stays, ".." stops at /, a relative link
// resolves where it stands and an absolute one from /.
TEST(PathWalk, ResolvesComponentsDotsAndLinksAsTheKernelDoes) {
  PathWalk walk("/a/./b/../../../c/link/d");
  std::vector<std::string> seen;
  for (std::string next; walk.next(next);) {
    seen.push_back(next);
    if (next == "/c/link") {
      EXPECT_EQ(walk.rest(), std::deque<std::string>{"d"});
      ASSERT_TRUE(walk.follow("x/../y"));
    } else if (next == "/c/y") {
      ASSERT_TRUE(walk.follow("/abs"));
    } else {
      walk.enter(next);
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"/a", "/a/b", "/c", "/c/link", "/c/x", "/c/y", "/abs", "/abs/d"}));
  EXPECT_EQ(walk.resolved(), "/abs/d");
  EXPECT_EQ(PathWalk("/").resolved(), "/");
}

TEST(PathWalk, GivesUpAfterFortyLinks) {
  PathWalk walk("/loop");
  int links = 0;
  for (std::string next; walk.next(next);) {
    if (!walk.follow("/loop")) break;
    ++links;
  }
  EXPECT_EQ(links, 40);
}

}  // namespace
}  // namespace zjail
