// learn_args.hpp: what the supervisor reads of a task's sockets. Here the
// task is this test itself.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../jail/src/learn_args.hpp"

namespace zjail::learn {
namespace {

struct Case {
  int family, type, protocol;
  int want_type;  // -1: the protocol's name does not tell
};

// Each socket's family and type, from the protocol its inode is named
// after: no copy of the socket is taken (a copy's last close could linger).
TEST(LearnArgs, ASocketsFamilyAndTypeAreReadWithoutACopy) {
  for (const Case& c : {Case{AF_INET, SOCK_STREAM, 0, SOCK_STREAM}, Case{AF_INET6, SOCK_STREAM, 0, SOCK_STREAM},
                        Case{AF_INET, SOCK_DGRAM, 0, SOCK_DGRAM}, Case{AF_INET6, SOCK_DGRAM, 0, SOCK_DGRAM},
                        Case{AF_UNIX, SOCK_STREAM, 0, SOCK_STREAM}, Case{AF_UNIX, SOCK_DGRAM, 0, -1}}) {
    int s = socket(c.family, c.type | SOCK_CLOEXEC, c.protocol);
    if (s < 0) continue;  // no IPv6 here: nothing to read
    EXPECT_EQ(socket_domain(getpid(), s), c.family) << c.family << "/" << c.type;
    EXPECT_EQ(socket_type(getpid(), s), c.want_type) << c.family << "/" << c.type;
    close(s);
  }
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_EQ(socket_domain(getpid(), p[0]), -1) << "a pipe is no socket";
  EXPECT_EQ(socket_domain(getpid(), 12345), -1) << "no such fd";
  close(p[0]);
  close(p[1]);
}

}  // namespace
}  // namespace zjail::learn
