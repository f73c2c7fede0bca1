// What other directives add to the always-present filter (SeccompExtras):
// the denials hold whatever SystemCallFilter= allows, and they reach the
// filter cache's key.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "seccomp_harness.hpp"
#include "zjail/seccomp_cache.hpp"

namespace zjail {
namespace {

using zjail_seccomp::code;
using zjail_seccomp::errno_of;
using zjail_seccomp::under;
using zjail_seccomp::with_filter;

SeccompExtras denying(std::string name, int err = EPERM) {
  SeccompExtras e;
  e.deny.push_back({std::move(name), err, "Test="});
  return e;
}

TEST(SeccompExtras, DenialsHoldEvenWhereTheProfileAllows) {
  auto settime = [] {
    timespec ts{};
    return errno_of(syscall(SYS_clock_settime, CLOCK_REALTIME, &ts));
  };
  // An allow list that names @clock, a deny list that does not, no list:
  // the extra's EPERM comes back each time, before any capability check.
  for (const Profile& p : {with_filter({"@system-service", "@clock"}), with_filter({"@mount"}, true), Profile{}}) {
    auto prog = compile_seccomp(p, denying("@clock"));
    ASSERT_TRUE(prog) << prog.error().message();
    EXPECT_EQ(code(under(*prog, settime)), EPERM);
    EXPECT_EQ(code(under(*prog, [] { return errno_of(getpid()); })), 0);
  }
  // The errno is the extra's own.
  auto prog = compile_seccomp(Profile{}, denying("getppid", ENOSYS));
  ASSERT_TRUE(prog);
  EXPECT_EQ(code(under(*prog, [] { return errno_of(syscall(SYS_getppid)); })), ENOSYS);
}

TEST(SeccompExtras, ADenialOverlappingTheBaseRulesCompiles) {
  // setns, clone and io_uring_setup already have rules of their own in the
  // base filter; an extra that denies them outright takes their place.
  SeccompExtras e = denying("@namespaces");
  e.deny.push_back({"clone", EPERM, "Test="});
  e.deny.push_back({"@io-uring", EACCES, "Test="});
  auto prog = compile_seccomp(Profile{}, e);
  ASSERT_TRUE(prog) << prog.error().message();
  EXPECT_EQ(code(under(*prog, [] { return errno_of(syscall(SYS_io_uring_setup, 1, nullptr)); })), EACCES);
}

TEST(SeccompExtras, UnknownNamesAreErrors) {
  auto prog = compile_seccomp(Profile{}, denying("@nosuchgroup"));
  ASSERT_FALSE(prog);
}

TEST(SeccompExtras, CacheKeyCoversTheExtras) {
  Profile p;
  EXPECT_EQ(seccomp_cache_key(p), seccomp_cache_key(p, {}));
  EXPECT_NE(seccomp_cache_key(p), seccomp_cache_key(p, denying("@clock")));
  EXPECT_NE(seccomp_cache_key(p, denying("@clock")), seccomp_cache_key(p, denying("@clock", EACCES)));
}

// --- RestrictAddressFamilies= ------------------------------------------------

int socket_errno(long family) {
  long s = syscall(SYS_socket, family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s >= 0) close(static_cast<int>(s));
  return errno_of(s);
}

SeccompExtras families(bool allow, std::vector<int> list) {
  SeccompExtras e;
  e.families = {true, allow, std::move(list)};
  return e;
}

Profile host_network() {
  Profile p;
  p.private_network.value = false;
  return p;
}

TEST(SeccompExtras, AnAllowListOfFamiliesRefusesEveryOtherFamily) {
  const std::vector<int> allowed = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
  auto prog = compile_seccomp(host_network(), families(true, allowed));
  ASSERT_TRUE(prog) << prog.error().message();
  // Every family number: the allowed ones reach the kernel (whatever it says
  // unfiltered), the rest fail with EAFNOSUPPORT.
  for (int af = 0; af < 70; ++af) {
    bool ok = std::find(allowed.begin(), allowed.end(), af) != allowed.end();
    int expected = ok ? socket_errno(af) : EAFNOSUPPORT;
    EXPECT_EQ(code(under(*prog, [&] { return socket_errno(af); })), expected) << "family " << af;
  }
  // High bits never smuggle a family past: the kernel would read AF_PACKET.
  EXPECT_EQ(code(under(*prog, [] { return socket_errno(AF_PACKET | (1L << 32)); })), EAFNOSUPPORT);
  EXPECT_EQ(code(under(*prog, [] { return socket_errno(-1); })), EAFNOSUPPORT);
  // socketpair() is not socket(), as in systemd.
  EXPECT_EQ(code(under(*prog, [] {
              int sv[2];
              return errno_of(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
            })),
            0);
}

TEST(SeccompExtras, ADenyListOfFamiliesComparesTheLow32Bits) {
  auto prog = compile_seccomp(host_network(), families(false, {AF_PACKET, AF_NETLINK}));
  ASSERT_TRUE(prog);
  EXPECT_EQ(code(under(*prog, [] { return socket_errno(AF_PACKET); })), EAFNOSUPPORT);
  // systemd compares all 64 bits here, and AF_PACKET | 1<<32 would pass.
  EXPECT_EQ(code(under(*prog, [] { return socket_errno(AF_PACKET | (1L << 32)); })), EAFNOSUPPORT);
  EXPECT_EQ(code(under(*prog, [] { return socket_errno(AF_NETLINK); })), EAFNOSUPPORT);
  EXPECT_EQ(code(under(*prog, [] { return socket_errno(AF_UNIX); })), 0);
}

TEST(SeccompExtras, NoFamilyAtAllAndThePrivateNetworksVsock) {
  auto none = compile_seccomp(host_network(), families(true, {}));
  ASSERT_TRUE(none);
  EXPECT_EQ(code(under(*none, [] { return socket_errno(AF_UNIX); })), EAFNOSUPPORT);
  // In a private network AF_VSOCK stays closed even where the list allows it.
  auto vsock = compile_seccomp(Profile{}, families(true, {AF_UNIX, AF_VSOCK}));
  ASSERT_TRUE(vsock);
  EXPECT_EQ(code(under(*vsock, [] { return socket_errno(AF_VSOCK); })), EAFNOSUPPORT);
  EXPECT_EQ(code(under(*vsock, [] { return socket_errno(AF_UNIX); })), 0);
}

// --- MemoryDenyWriteExecute= (the rules older kernels get) ----------------------

TEST(SeccompExtras, WriteExecuteMappingsAreRefused) {
  SeccompExtras e;
  e.deny_write_execute = true;
  auto prog = compile_seccomp(Profile{}, e);
  ASSERT_TRUE(prog);
  auto map = [](int prot) {
    void* m = mmap(nullptr, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return m == MAP_FAILED ? errno : 0;
  };
  EXPECT_EQ(code(under(*prog, [&] { return map(PROT_READ | PROT_WRITE | PROT_EXEC); })), EPERM);
  EXPECT_EQ(code(under(*prog, [&] { return map(PROT_READ | PROT_WRITE); })), 0);
  EXPECT_EQ(code(under(*prog, [&] { return map(PROT_READ | PROT_EXEC); })), 0);
  auto protect = [](int prot) {
    void* m = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return errno_of(mprotect(m, 4096, prot));
  };
  EXPECT_EQ(code(under(*prog, [&] { return protect(PROT_READ | PROT_EXEC); })), EPERM);
  EXPECT_EQ(code(under(*prog, [&] { return protect(PROT_READ); })), 0);
  EXPECT_EQ(code(under(*prog, [] {
              void* m = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
              return errno_of(syscall(SYS_pkey_mprotect, m, 4096, PROT_READ | PROT_EXEC, -1));
            })),
            EPERM);
  EXPECT_EQ(code(under(*prog, [] {
              int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
              void* m = shmat(id, nullptr, SHM_EXEC);
              int err = m == reinterpret_cast<void*>(-1) ? errno : 0;
              shmctl(id, IPC_RMID, nullptr);
              return err;
            })),
            EPERM);
}

// --- RestrictRealtime= ------------------------------------------------------------

TEST(SeccompExtras, RealtimePoliciesAreRefused) {
  SeccompExtras e;
  e.restrict_realtime = true;
  auto prog = compile_seccomp(Profile{}, e);
  ASSERT_TRUE(prog);
  auto set = [](long policy, int prio) {
    sched_param param{};
    param.sched_priority = prio;
    return errno_of(syscall(SYS_sched_setscheduler, 0, policy, &param));
  };
  EXPECT_EQ(code(under(*prog, [&] { return set(SCHED_FIFO, 1); })), EPERM);
  EXPECT_EQ(code(under(*prog, [&] { return set(SCHED_RR, 1); })), EPERM);
  EXPECT_EQ(code(under(*prog, [&] { return set(6 /* SCHED_DEADLINE */, 0); })), EPERM);
  EXPECT_EQ(code(under(*prog, [&] { return set(SCHED_FIFO | (1L << 32), 1); })), EPERM);
  EXPECT_EQ(code(under(*prog, [&] { return set(SCHED_BATCH, 0); })), 0);
  EXPECT_EQ(code(under(*prog, [&] { return set(SCHED_IDLE, 0); })), 0);
}

// --- RestrictSUIDSGID= --------------------------------------------------------------

struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    path = std::filesystem::temp_directory_path() / ("zjail-suid-" + std::to_string(getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
  std::string operator/(const char* name) const { return (path / name).string(); }
};

TEST(SeccompExtras, SetIdBitsCannotBeSet) {
  SeccompExtras e;
  e.restrict_suid_sgid = true;
  auto prog = compile_seccomp(Profile{}, e);
  ASSERT_TRUE(prog) << prog.error().message();
  ScratchDir dir;
  std::string file = dir / "f";
  close(open(file.c_str(), O_CREAT | O_WRONLY, 0644));
  const char* f = file.c_str();
  EXPECT_EQ(code(under(*prog, [&] { return errno_of(chmod(f, 04755)); })), EPERM);
  EXPECT_EQ(code(under(*prog, [&] { return errno_of(chmod(f, 02755)); })), EPERM);
  EXPECT_EQ(code(under(*prog, [&] { return errno_of(chmod(f, 01755)); })), 0);  // sticky is not set-id
  EXPECT_EQ(code(under(*prog, [&] {
              int fd = open(f, O_RDONLY);
              return errno_of(fchmod(fd, 04700));
            })),
            EPERM);
  EXPECT_EQ(code(under(*prog, [&] { return errno_of(fchmodat(AT_FDCWD, f, 06700, 0)); })), EPERM);
  constexpr long kFchmodat2 = 452;  // Linux 6.6, newer than this libc's headers
  EXPECT_EQ(code(under(*prog, [&] { return errno_of(syscall(kFchmodat2, AT_FDCWD, f, 04700, 0)); })), EPERM);
  std::string made = dir / "new";
  const char* n = made.c_str();
  EXPECT_EQ(code(under(*prog, [&] { return errno_of(open(n, O_CREAT | O_WRONLY, 04755)); })), EPERM);
  EXPECT_EQ(code(under(*prog, [&] { return errno_of(openat(AT_FDCWD, n, O_CREAT | O_WRONLY, 02755)); })), EPERM);
  EXPECT_EQ(code(under(*prog, [&] { return errno_of(creat(n, 04755)); })), EPERM);
  EXPECT_EQ(code(under(*prog, [&] { return errno_of(mkdir(n, 02755)); })), EPERM);
  EXPECT_EQ(code(under(*prog, [&] { return errno_of(mknod(n, S_IFREG | 04755, 0)); })), EPERM);
  EXPECT_EQ(code(under(*prog, [&] {
              return errno_of(openat(AT_FDCWD, dir.path.c_str(), O_TMPFILE | O_WRONLY, 04755));
            })),
            EPERM);
  // openat2 hides its mode in a struct: ENOSYS, and libc falls back to openat.
  EXPECT_EQ(code(under(*prog, [&] {
              open_how how{};
              how.flags = O_RDONLY;
              return errno_of(syscall(SYS_openat2, AT_FDCWD, f, &how, sizeof how));
            })),
            ENOSYS);
  // Plain modes, and opens that create nothing, are untouched.
  EXPECT_EQ(code(under(*prog, [&] { return errno_of(open(n, O_CREAT | O_WRONLY, 0755)); })), 0);
  EXPECT_EQ(code(under(*prog, [&] { return errno_of(open(f, O_RDONLY, 04755)); })), 0);
  EXPECT_EQ(code(under(*prog, [&] { return errno_of(chmod(f, 0700)); })), 0);
}

// --- LockPersonality= ----------------------------------------------------------------

TEST(SeccompExtras, PersonalityIsLocked) {
  SeccompExtras e;
  e.lock_personality = PER_LINUX;
  auto prog = compile_seccomp(Profile{}, e);
  ASSERT_TRUE(prog);
  EXPECT_EQ(code(under(*prog, [] { return errno_of(personality(PER_LINUX)); })), 0);
  EXPECT_EQ(code(under(*prog, [] { return errno_of(personality(PER_LINUX32)); })), EPERM);
  EXPECT_EQ(code(under(*prog, [] { return errno_of(personality(static_cast<unsigned long>(PER_LINUX) | ADDR_NO_RANDOMIZE)); })), EPERM);
}

TEST(SeccompExtras, CacheKeyCoversTheArgumentRules) {
  Profile p;
  std::set<std::string> keys;
  SeccompExtras e;
  keys.insert(seccomp_cache_key(p, e));
  e.deny_write_execute = true;
  keys.insert(seccomp_cache_key(p, e));
  e.restrict_realtime = true;
  keys.insert(seccomp_cache_key(p, e));
  e.restrict_suid_sgid = true;
  keys.insert(seccomp_cache_key(p, e));
  e.lock_personality = PER_LINUX;
  keys.insert(seccomp_cache_key(p, e));
  e.families = {true, false, {AF_PACKET}};
  keys.insert(seccomp_cache_key(p, e));
  e.families.allow = true;
  keys.insert(seccomp_cache_key(p, e));
  EXPECT_EQ(keys.size(), 7u);
}

}  // namespace
}  // namespace zjail
