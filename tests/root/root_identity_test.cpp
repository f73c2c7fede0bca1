// The identity family at work: the service directories (made on the host
// as systemd makes them, and the only place the payload may write), UMask=,
// the credentials (readable by the payload's user alone), DynamicUser= and
// PrivateUsers=. Each test tries what the directive forbids next to what it
// allows.
#include <fcntl.h>
#include <sched.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "harness.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// A host path the test owns, removed (with what is below it) at the end.
struct Scratch {
  std::string path;
  explicit Scratch(std::string p) : path(std::move(p)) {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

class IdentityFamily : public RootTest {
 protected:
  // zjail --profile NAME.profile (holding `lines`) -- probe ARGS. The jail's
  // name, and so its credentials' directory, is NAME.
  RunResult with(const std::string& name, const std::string& lines, const std::vector<std::string>& probe) {
    return run(args(name, lines, probe));
  }
  std::vector<std::string> args(const std::string& name, const std::string& lines,
                                const std::vector<std::string>& probe) {
    profiles_.write(name + ".profile", "[Jail]\nInclude=base-service\n" + lines);
    std::vector<std::string> a{"--profile", profiles_ / (name + ".profile"), "--", kProbe};
    a.insert(a.end(), probe.begin(), probe.end());
    return a;
  }
  // A name no other test (nor another run) uses under /var/lib and friends.
  std::string unique(const std::string& stem) { return "zjail-" + stem + "-" + std::to_string(getpid()); }

  TempDir profiles_;
};

std::string env_value(const RunResult& r, const std::string& key) {
  for (const auto& line : r.lines())
    if (line.rfind("ENV " + key + "=", 0) == 0) return line.substr(4 + key.size() + 1);
  return "";
}

struct stat stat_of(const std::string& path) {
  struct stat st{};
  if (lstat(path.c_str(), &st) < 0) st.st_mode = 0;
  return st;
}

// --- The service directories ----------------------------------------------------

// Made where systemd makes them, the parents root's and the directory the
// payload's with its mode; the payload writes there and nowhere else.
TEST_F(IdentityFamily, StateDirectoryIsThePayloadsAndTheOnlyPlaceItWrites) {
  std::string name = unique("state");
  Scratch host("/var/lib/" + name);
  std::string lines = "StateDirectory=" + name + "/data\nStateDirectoryMode=0750\n";
  auto env = with("state", lines, {"env"});
  ASSERT_EQ(env.code, 0) << env.dump();
  std::string dir = "/var/lib/" + name + "/data";
  EXPECT_EQ(env_value(env, "STATE_DIRECTORY"), dir) << env.dump();
  auto st = stat_of(dir);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_uid, nobody_uid());
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  auto parent = stat_of("/var/lib/" + name);
  EXPECT_EQ(parent.st_uid, 0u) << "the parents stay root's";
  EXPECT_EQ(parent.st_mode & 07777, 0755u);

  auto ok = with("state", lines, {"touch", dir + "/made"});
  EXPECT_EQ(outcome(ok, "touch"), "PASS") << ok.dump();
  EXPECT_EQ(stat_of(dir + "/made").st_uid, nobody_uid());
  // Beside it, in its root-owned parent, and elsewhere under /var/lib: no.
  auto beside = with("state", lines, {"touch", "/var/lib/" + name + "/other"});
  EXPECT_EQ(outcome(beside, "touch"), "EROFS") << beside.dump();
  auto elsewhere = with("state", lines, {"touch", "/var/lib/" + name + "-x"});
  EXPECT_EQ(outcome(elsewhere, "touch"), "EROFS") << elsewhere.dump();
  EXPECT_FALSE(exists("/var/lib/" + name + "/other"));
}

TEST_F(IdentityFamily, RuntimeDirectoryGoesAwayUnlessPreserved) {
  std::string name = unique("run");
  Scratch host("/run/" + name);
  auto r = with("runtime", "RuntimeDirectory=" + name + "\nRuntimeDirectoryMode=0700\n", {"touch", "/run/" + name + "/pid"});
  EXPECT_EQ(outcome(r, "touch"), "PASS") << r.dump();
  EXPECT_FALSE(exists("/run/" + name)) << "removed when the jail ended";
  r = with("runtime", "RuntimeDirectory=" + name + "\nRuntimeDirectoryPreserve=yes\n", {"touch", "/run/" + name + "/pid"});
  EXPECT_EQ(outcome(r, "touch"), "PASS") << r.dump();
  EXPECT_TRUE(exists("/run/" + name + "/pid")) << "kept with RuntimeDirectoryPreserve=yes";
}

// Two jails of one profile share its runtime directory (a daemon and a
// client of it, say): the first to end leaves it to the other, and the
// last removes it.
TEST_F(IdentityFamily, ASharedRuntimeDirectoryOutlivesAllButTheLastJail) {
  std::string name = unique("shared");
  Scratch host("/run/" + name);
  std::string lines = "RuntimeDirectory=" + name + "\n";
  Spawned daemon(args("shared", lines, {"sigterm-wait", "0"}));
  ASSERT_NE(daemon.wait_line("READY"), "") << "the first jail did not start";
  { std::ofstream("/run/" + name + "/daemon.pid") << "1\n"; }
  auto client = with("shared", lines, {"touch", "/run/" + name + "/client"});
  EXPECT_EQ(outcome(client, "touch"), "PASS") << client.dump();
  EXPECT_TRUE(exists("/run/" + name + "/daemon.pid")) << "the client's end removed the daemon's runtime directory";
  kill(daemon.pid(), SIGTERM);
  daemon.wait();
  EXPECT_FALSE(exists("/run/" + name)) << "the last jail to end removes it";
}

// Anyone may open a 0755 runtime directory and flock it: that must neither
// stall the next jail nor keep the directory from being removed.
TEST_F(IdentityFamily, AnotherUsersLockOnTheRuntimeDirectoryChangesNothing) {
  std::string name = unique("locked");
  Scratch host("/run/" + name);
  std::string lines = "RuntimeDirectory=" + name + "\nRuntimeDirectoryMode=0755\n";
  Spawned daemon(args("locked", lines, {"sigterm-wait", "0"}));
  ASSERT_NE(daemon.wait_line("READY"), "") << "the first jail did not start";
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  pid_t squatter = fork();
  if (squatter == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(1);
    int fd = open(("/run/" + name).c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) (void)!flock(fd, LOCK_SH);
    (void)!write(pipefd[1], "x", 1);
    pause();
    _exit(0);
  }
  close(pipefd[1]);
  char c;
  ASSERT_EQ(read(pipefd[0], &c, 1), 1);
  close(pipefd[0]);
  auto second = with("locked", lines, {"touch", "/run/" + name + "/second"});
  EXPECT_EQ(outcome(second, "touch"), "PASS") << second.dump();
  kill(daemon.pid(), SIGTERM);
  daemon.wait();
  EXPECT_FALSE(exists("/run/" + name)) << "another user's lock kept it";
  kill(squatter, SIGKILL);
  waitpid(squatter, nullptr, 0);
}

TEST_F(IdentityFamily, EachDirectoryKindWhereSystemdPutsIt) {
  std::string name = unique("kinds");
  Scratch c("/var/cache/" + name), l("/var/log/" + name), e("/etc/" + name);
  auto r = with("kinds", "CacheDirectory=" + name + "\nLogsDirectory=" + name + "\nConfigurationDirectory=" + name + "\n",
                {"env"});
  ASSERT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(env_value(r, "CACHE_DIRECTORY"), "/var/cache/" + name);
  EXPECT_EQ(env_value(r, "LOGS_DIRECTORY"), "/var/log/" + name);
  EXPECT_EQ(env_value(r, "CONFIGURATION_DIRECTORY"), "/etc/" + name);
  EXPECT_EQ(stat_of("/var/cache/" + name).st_uid, nobody_uid());
  EXPECT_EQ(stat_of("/var/log/" + name).st_uid, nobody_uid());
  EXPECT_EQ(stat_of("/etc/" + name).st_uid, 0u) << "ConfigurationDirectory= stays root's, as in systemd";
  auto w = with("kinds", "ConfigurationDirectory=" + name + "\n", {"touch", "/etc/" + name + "/x"});
  EXPECT_EQ(outcome(w, "touch"), "EACCES") << w.dump();
}

// The attack the directory code is built against: the service user owns
// an earlier directory and plants a symlink where root would mkdir/chown.
TEST_F(IdentityFamily, ASymlinkThePayloadPlantedNeverSteersRoot) {
  std::string name = unique("plant");
  Scratch host("/var/lib/" + name);
  Scratch victim("/var/lib/" + name + "-victim");
  ASSERT_EQ(mkdir(victim.path.c_str(), 0700), 0);
  // The service's own directory (as after StateDirectory=NAME), with a
  // symlink it planted where StateDirectory=NAME/sub would be made.
  ASSERT_EQ(mkdir(host.path.c_str(), 0755), 0);
  ASSERT_EQ(chown(host.path.c_str(), nobody_uid(), nobody_uid()), 0);
  ASSERT_EQ(symlink(victim.path.c_str(), (host.path + "/sub").c_str()), 0);
  auto r = with("plant", "StateDirectory=" + name + "/sub\n", {"exit", "0"});
  EXPECT_EQ(r.code, kExitFailure) << r.dump();
  EXPECT_THAT(r.err, HasSubstr("not root: zjail makes nothing as root below it")) << r.dump();
  EXPECT_EQ(stat_of(victim.path).st_uid, 0u) << "the victim was not handed to the service user";
  // The directory itself a symlink: refused too, never followed.
  ASSERT_EQ(unlink((host.path + "/sub").c_str()), 0);
  ASSERT_EQ(rmdir(host.path.c_str()), 0);
  ASSERT_EQ(symlink(victim.path.c_str(), host.path.c_str()), 0);
  r = with("plant", "StateDirectory=" + name + "\n", {"exit", "0"});
  EXPECT_EQ(r.code, kExitFailure) << r.dump();
  EXPECT_THAT(r.err, HasSubstr("is a symlink")) << r.dump();
  EXPECT_EQ(stat_of(victim.path).st_uid, 0u);
  EXPECT_EQ(stat_of(victim.path).st_mode & 07777, 0700u);
  unlink(host.path.c_str());
}

TEST_F(IdentityFamily, UMaskShapesWhatThePayloadCreates) {
  std::string name = unique("umask");
  Scratch host("/var/lib/" + name);
  auto r = with("umask", "StateDirectory=" + name + "\nUMask=0077\n", {"touch", host.path + "/private"});
  ASSERT_EQ(outcome(r, "touch"), "PASS") << r.dump();
  EXPECT_EQ(stat_of(host.path + "/private").st_mode & 0777, 0600u);
  r = with("umask", "StateDirectory=" + name + "\nUMask=0022\n", {"touch", host.path + "/shared"});
  ASSERT_EQ(outcome(r, "touch"), "PASS") << r.dump();
  EXPECT_EQ(stat_of(host.path + "/shared").st_mode & 0777, 0644u);
}

// --- Credentials ------------------------------------------------------------------

// In the child: enter `pid`'s mount namespace, become uid:gid, open `path`.
// 0 or the errno.
int open_in_jail_as(pid_t pid, uid_t uid, gid_t gid, const std::string& path) {
  pid_t child = fork();
  if (child == 0) {
    int ns = open(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNS) < 0) _exit(200);
    if (setgroups(0, nullptr) < 0 || setgid(gid) < 0 || setuid(uid) < 0) _exit(201);
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    _exit(fd < 0 ? errno : 0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

// stat() of `path` in `pid`'s mount namespace, as root.
struct stat stat_in_jail(pid_t pid, const std::string& path) {
  int fds[2];
  struct stat st{};
  if (pipe(fds) < 0) return st;
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    int ns = open(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), O_RDONLY | O_CLOEXEC);
    struct stat s{};
    if (ns >= 0 && setns(ns, CLONE_NEWNS) == 0) lstat(path.c_str(), &s);
    (void)!write(fds[1], &s, sizeof s);
    _exit(0);
  }
  close(fds[1]);
  (void)!read(fds[0], &st, sizeof st);
  close(fds[0]);
  waitpid(child, nullptr, 0);
  return st;
}

// A directory root alone may write, as credential sources must be in.
struct CredStore {
  std::string path;
  CredStore() {
    char tmpl[] = "/run/zjail-cred-test-XXXXXX";
    if (mkdtemp(tmpl)) path = tmpl;
    chmod(path.c_str(), 0755);
  }
  ~CredStore() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& data, mode_t mode) const {
    std::string p = path + "/" + name;
    std::ofstream(p) << data;
    chmod(p.c_str(), mode);
    return p;
  }
};

TEST_F(IdentityFamily, CredentialsAreThePayloadsAloneEvenFromAWorldReadableFile) {
  CredStore store;
  // The source is world-readable on the host: in the jail it is not.
  std::string src = store.write("secret", "s3cret\n", 0644);
  std::string lines = "LoadCredential=secret:" + src + "\nSetCredential=token:t0ken\n";
  auto env = with("creds", lines, {"env"});
  ASSERT_EQ(env.code, 0) << env.dump();
  EXPECT_EQ(env_value(env, "CREDENTIALS_DIRECTORY"), "/run/credentials/creds") << env.dump();
  auto read = with("creds", lines, {"read", "/run/credentials/creds/secret"});
  EXPECT_EQ(read.line("PASS read").value_or(""), "PASS read /run/credentials/creds/secret bytes=7") << read.dump();
  // The payload itself cannot change them: a read-only mount.
  auto write = with("creds", lines, {"touch", "/run/credentials/creds/secret"});
  EXPECT_THAT(outcome(write, "touch"), ::testing::AnyOf("EROFS", "EACCES")) << write.dump();
  auto add = with("creds", lines, {"touch", "/run/credentials/creds/new"});
  EXPECT_THAT(outcome(add, "touch"), ::testing::AnyOf("EROFS", "EACCES")) << add.dump();

  // Another user, even one inside the jail's mount namespace, reads nothing.
  Spawned z(args("creds", lines, {"sigterm-wait", "0"}));
  ASSERT_NE(z.wait_line("READY"), "") << "the jail did not start";
  auto init = children_of(z.pid());
  ASSERT_EQ(init.size(), 1u);
  auto payload = children_of(init[0]);
  ASSERT_EQ(payload.size(), 1u);
  pid_t pid = payload[0];
  const std::string file = "/run/credentials/creds/secret";
  auto st = stat_in_jail(pid, file);
  EXPECT_EQ(st.st_mode & 07777, 0400u);
  EXPECT_EQ(st.st_uid, nobody_uid());
  auto dir = stat_in_jail(pid, "/run/credentials/creds");
  EXPECT_EQ(dir.st_mode & 07777, 0500u);
  EXPECT_EQ(open_in_jail_as(pid, nobody_uid(), nobody_uid(), file), 0) << "the payload's user reads it";
  EXPECT_EQ(open_in_jail_as(pid, 1, 1, file), EACCES) << "uid 1 must not";
  EXPECT_EQ(open_in_jail_as(pid, 1, nobody_uid(), file), EACCES) << "nor its group";
  kill(z.pid(), SIGTERM);
  z.wait();
  // And no host path holds them.
  EXPECT_FALSE(exists("/run/credentials/creds/secret"));
}

// On the host's root the jail makes the credentials' mount point in the
// host's /run; it goes with the jail, and the host never sees the files.
TEST_F(IdentityFamily, CredentialsOnTheHostRootLeaveNothingBehind) {
  const std::string dir = "/run/credentials/hostcred";
  if (exists(dir)) GTEST_SKIP() << "\n*** " << dir << " exists already on this host ***";
  profiles_.write("hostcred.profile", "[Jail]\nRootDirectory=/\nUser=nobody\nGroup=nogroup\nSetCredential=k:v4lue\n");
  auto r = run({"--profile", profiles_ / "hostcred.profile", "--", kProbe, "read", dir + "/k"});
  EXPECT_EQ(r.line("PASS read").value_or(""), "PASS read " + dir + "/k bytes=5") << r.dump();
  EXPECT_FALSE(exists(dir)) << "the mount point was left in the host's /run";
}

// Two jails of one name on the host's root share the mount point: the
// first to end must not remove it, which would detach the other's
// credentials; the last removes it.
TEST_F(IdentityFamily, ConcurrentJailsKeepEachOthersCredentials) {
  const std::string dir = "/run/credentials/sharedcred";
  if (exists(dir)) GTEST_SKIP() << "\n*** " << dir << " exists already on this host ***";
  profiles_.write("sharedcred.profile", "[Jail]\nRootDirectory=/\nUser=nobody\nGroup=nogroup\nSetCredential=k:v4lue\n");
  std::vector<std::string> a{"--profile", profiles_ / "sharedcred.profile", "--", kProbe};
  auto first = a, second = a;
  first.insert(first.end(), {"sigterm-wait", "0"});
  Spawned older(first);
  ASSERT_NE(older.wait_line("READY"), "") << "the first jail did not start";
  second.insert(second.end(), {"read", dir + "/k"});
  auto newer = run(second);
  EXPECT_EQ(newer.line("PASS read").value_or(""), "PASS read " + dir + "/k bytes=5") << newer.dump();
  // The older jail still has its credentials after the newer one ended.
  auto init = children_of(older.pid());
  ASSERT_EQ(init.size(), 1u);
  auto payload = children_of(init[0]);
  ASSERT_EQ(payload.size(), 1u);
  EXPECT_EQ(stat_in_jail(payload[0], dir + "/k").st_size, 5) << "the other jail's end detached the credentials";
  kill(older.pid(), SIGTERM);
  older.wait();
  EXPECT_FALSE(exists(dir)) << "the last jail leaves no mount point behind";
}

// A credential read from where someone other than root could have put a
// symlink or another file: root would hand the payload whatever is there.
TEST_F(IdentityFamily, ACredentialFromAPathOthersCanWriteIsRefused) {
  TempDir open_dir;  // under /tmp, which everyone may write
  open_dir.write("secret", "x\n", 0600);
  auto r = with("badcred", "LoadCredential=secret:" + open_dir / "secret" + "\n", {"exit", "0"});
  EXPECT_EQ(r.code, kExitFailure) << r.dump();
  EXPECT_THAT(r.err, HasSubstr("step: credentials")) << r.dump();
}

// LoadCredentialEncrypted= and SetCredentialEncrypted= open as systemd
// opens them (systemd-creds, with a host key of the test's own through
// SYSTEMD_CREDENTIAL_SECRET). A credential sealed under another name, with
// another key, or altered by one byte fails the launch before the payload
// runs; the payload never sees the ciphertext.
TEST_F(IdentityFamily, EncryptedCredentialsOpenOnlyUnderTheirNameAndKey) {
  if (access("/usr/bin/systemd-creds", X_OK) != 0)
    GTEST_SKIP() << "\n*** no /usr/bin/systemd-creds on this host (systemd 250 or newer) ***";
  CredStore store;
  std::string key = store.path + "/host.key", other_key = store.path + "/other.key";
  auto seal = [&](const std::string& k, const std::string& name, const std::string& text, const std::string& out) {
    std::string cmd = "printf %s '" + text + "' | SYSTEMD_CREDENTIAL_SECRET=" + k +
                      " /usr/bin/systemd-creds encrypt -H --name=" + name + " - " + out + " 2>/dev/null";
    return std::system(cmd.c_str()) == 0;
  };
  ASSERT_TRUE(seal(key, "db", "top secret", store.path + "/db.cred"));
  ASSERT_TRUE(seal(key, "pw", "inline pw", store.path + "/pw.cred"));
  ASSERT_TRUE(seal(key, "db", "renamed", store.path + "/renamed.cred"));  // sealed as db, loaded as other
  ASSERT_TRUE(seal(other_key, "db", "other key", store.path + "/otherkey.cred"));
  std::string inline_pw = read_file(store.path + "/pw.cred");
  inline_pw.erase(std::remove(inline_pw.begin(), inline_pw.end(), '\n'), inline_pw.end());
  std::string tampered = read_file(store.path + "/db.cred");
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  store.write("tampered.cred", tampered, 0600);

  RunOptions opt;
  opt.extra_env = {"SYSTEMD_CREDENTIAL_SECRET=" + key};
  auto launch = [&](const std::string& lines, const std::string& file) {
    profiles_.write("enc.profile", "[Jail]\nRootDirectory=/\nUser=nobody\nGroup=nogroup\n" + lines);
    return run({"--profile", profiles_ / "enc.profile", "--", "/bin/cat", "/run/credentials/enc/" + file}, opt);
  };
  auto ok = launch("LoadCredentialEncrypted=db:" + store.path + "/db.cred\n", "db");
  EXPECT_EQ(ok.code, 0) << ok.dump();
  EXPECT_EQ(ok.out, "top secret") << ok.dump();
  auto set = launch("SetCredentialEncrypted=pw:" + inline_pw + "\n", "pw");
  EXPECT_EQ(set.code, 0) << set.dump();
  EXPECT_EQ(set.out, "inline pw") << set.dump();

  struct Bad {
    std::string lines, why;
  } bad[] = {
      {"LoadCredentialEncrypted=other:" + store.path + "/renamed.cred\n", "does not match"},
      {"LoadCredentialEncrypted=db:" + store.path + "/otherkey.cred\n", "systemd-creds decrypt"},
      {"LoadCredentialEncrypted=db:" + store.path + "/tampered.cred\n", "systemd-creds decrypt"},
      {"SetCredentialEncrypted=db:" + inline_pw + "\n", "does not match"},
  };
  for (const auto& b : bad) {
    auto r = launch(b.lines, "db");
    EXPECT_EQ(r.code, kExitFailure) << b.lines << r.dump();
    EXPECT_EQ(r.out, "") << "the payload ran: " << b.lines;
    EXPECT_THAT(r.err, HasSubstr("step: credentials")) << r.dump();
    EXPECT_THAT(r.err, HasSubstr(b.why)) << r.dump();
  }
  // A directory's files are sealed under systemd's names for them:
  // ID_FILE, ID_SUB_FILE.
  ASSERT_EQ(mkdir((store.path + "/bundle").c_str(), 0700), 0);
  ASSERT_EQ(mkdir((store.path + "/bundle/sub").c_str(), 0700), 0);
  ASSERT_TRUE(seal(key, "bundle_sub_c", "nested", store.path + "/bundle/sub/c"));
  auto nested = launch("LoadCredentialEncrypted=bundle:" + store.path + "/bundle\n", "bundle_sub_c");
  EXPECT_EQ(nested.out, "nested") << nested.dump();
  // A caller that ignores SIGCHLD: zjail still waits for systemd-creds (and
  // the jail) itself.
  std::string cmd = "SYSTEMD_CREDENTIAL_SECRET=" + key + " bash -c \"trap '' CHLD; exec " + kZjail +
                    " --profile " + (profiles_ / "enc.profile") + " -- /bin/true\"";
  launch("LoadCredentialEncrypted=db:" + store.path + "/db.cred\n", "db");
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  // Without the key in zjail's environment, the default host key is used;
  // this host's (if any) is not the test's.
  opt.extra_env.clear();
  auto nokey = launch("LoadCredentialEncrypted=db:" + store.path + "/db.cred\n", "db");
  EXPECT_EQ(nokey.code, kExitFailure) << nokey.dump();
  EXPECT_EQ(nokey.out, "") << nokey.dump();
}

// A directory source is root's all the way down, not only at its top: a
// subdirectory of another user's would let them choose what root reads and
// hands the payload.
TEST_F(IdentityFamily, ADirectoryCredentialHoldsOnlyRootsEntries) {
  Scratch src("/run/" + unique("credsrc"));
  ASSERT_EQ(mkdir(src.path.c_str(), 0755), 0);
  std::string sub = src.path + "/sub";
  ASSERT_EQ(mkdir(sub.c_str(), 0755), 0);
  { std::ofstream(sub + "/x") << "planted\n"; }
  ASSERT_EQ(chown(sub.c_str(), 65534, 65534), 0);
  ASSERT_EQ(chown((sub + "/x").c_str(), 65534, 65534), 0);
  const std::string lines = "LoadCredential=c:" + src.path + "\n";
  auto r = with("dircred", lines, {"exit", "0"});
  EXPECT_EQ(r.code, kExitFailure) << r.dump();
  EXPECT_THAT(r.err, HasSubstr(sub + " is owned by uid 65534, not root")) << r.dump();
  // Root's entries, the same tree: loaded.
  ASSERT_EQ(chown(sub.c_str(), 0, 0), 0);
  ASSERT_EQ(chown((sub + "/x").c_str(), 0, 0), 0);
  r = with("dircred", lines, {"exit", "0"});
  EXPECT_EQ(r.code, 0) << r.dump();
}

// --- DynamicUser= and PrivateUsers= --------------------------------------------------

uid_t uid_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Uid:", 0) == 0) return static_cast<uid_t>(std::stoul(line.substr(4)));
  return static_cast<uid_t>(-1);
}

bool lock_held(uid_t uid) {
  int fd = open(("/run/zjail/dynamic-uid/" + std::to_string(uid)).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
  close(fd);
  return held;
}

TEST_F(IdentityFamily, DynamicUserTakesAUidNoOneElseHolds) {
  std::string name = unique("dyn");
  Scratch link("/var/lib/" + name), priv("/var/lib/private/" + name);
  // User=/Group= emptied: base-service's nobody would be a static user,
  // which systemd (and zjail) then uses as it is.
  std::string lines = "User=\nGroup=\nDynamicUser=yes\nStateDirectory=" + name + "\n";
  // DynamicUser= implies directives of other families; a zjail without one
  // of them refuses the launch rather than run with less than systemd would.
  auto probe = with("dyn", lines, {"exit", "0"});
  if (probe.code == kExitFailure && probe.err.find("which this zjail does not have") != std::string::npos) {
    EXPECT_EQ(probe.err_lines().size(), 1u) << probe.dump();
    GTEST_SKIP() << "\n*** this zjail lacks a directive DynamicUser= implies, and refuses it: " << probe.err << " ***";
  }
  ASSERT_EQ(probe.code, 0) << probe.dump();
  Spawned a(args("dyn", lines, {"sigterm-wait", "0"}));
  ASSERT_NE(a.wait_line("READY"), "") << "the first jail did not start";
  // A second jail of the same name meanwhile: its own uid, never the first's.
  Spawned b(args("dyn2", "User=\nGroup=\nDynamicUser=yes\n", {"sigterm-wait", "0"}));
  ASSERT_NE(b.wait_line("READY"), "") << "the second jail did not start";
  // A third that wants the first one's directory is refused while the first
  // runs: handing it over would give the first one's data to another uid.
  auto c = with("dyn", lines, {"exit", "0"});
  EXPECT_EQ(c.code, kExitFailure) << c.dump();
  EXPECT_THAT(c.err, HasSubstr("of a running jail")) << c.dump();
  auto payload = [](const Spawned& s) {
    auto init = children_of(s.pid());
    auto p = init.size() == 1 ? children_of(init[0]) : std::vector<pid_t>{};
    return p.size() == 1 ? p[0] : -1;
  };
  uid_t ua = uid_of(payload(a)), ub = uid_of(payload(b));
  EXPECT_GE(ua, 61184u);
  EXPECT_LE(ua, 65519u);
  EXPECT_GE(ub, 61184u);
  EXPECT_LE(ub, 65519u);
  EXPECT_NE(ua, ub) << "two running jails never share a dynamic uid";
  EXPECT_TRUE(lock_held(ua));
  EXPECT_TRUE(lock_held(ub));
  kill(a.pid(), SIGTERM);
  kill(b.pid(), SIGTERM);
  a.wait();
  b.wait();
  EXPECT_FALSE(lock_held(ua)) << "given back at the end";
  EXPECT_FALSE(exists("/run/zjail/dynamic-uid/" + std::to_string(ua)));
  // Its directory is under private/ (root's 0700), reached by a symlink.
  char text[256] = {};
  ASSERT_GT(readlink(link.path.c_str(), text, sizeof text - 1), 0);
  EXPECT_EQ(std::string(text), "private/" + name);
  EXPECT_EQ(stat_of("/var/lib/private").st_mode & 07777, 0700u);
  EXPECT_EQ(stat_of("/var/lib/private").st_uid, 0u);
  // The dynamic user writes its own directory and nothing of nobody's.
  auto w = with("dyn", lines, {"touch", "/var/lib/" + name + "/x"});
  EXPECT_EQ(outcome(w, "touch"), "PASS") << w.dump();
  auto st = stat_of(priv.path + "/x");
  EXPECT_GE(st.st_uid, 61184u);
  EXPECT_LE(st.st_uid, 65519u);
}

TEST_F(IdentityFamily, PrivateUsersMapsWhatSystemdMaps) {
  auto maps = [&](const std::string& mode) {
    profiles_.write("pu.profile", "[Jail]\nInclude=base-service\nPrivateUsers=" + mode + "\n");
    return run({"--profile", profiles_ / "pu.profile", "--", "/bin/cat", "/proc/self/uid_map"});
  };
  auto self = maps("self");
  ASSERT_EQ(self.code, 0) << self.dump();
  std::string nobody = std::to_string(nobody_uid());
  EXPECT_THAT(self.out, HasSubstr(" 0          0          1\n")) << self.dump();
  EXPECT_THAT(self.out, HasSubstr(nobody + "      " + nobody + "          1")) << self.dump();
  auto identity = maps("identity");
  EXPECT_THAT(identity.out, HasSubstr("0          0      65536")) << identity.dump();
  auto full = maps("full");
  EXPECT_THAT(full.out, HasSubstr("1          1 4294967294")) << full.dump();
  auto managed = maps("managed");
  EXPECT_EQ(managed.code, kExitFailure) << managed.dump();
  EXPECT_THAT(managed.err, HasSubstr("PrivateUsers=managed")) << managed.dump();
}

}  // namespace
}  // namespace zjail_test
