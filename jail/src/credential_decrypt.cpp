// LoadCredentialEncrypted= and SetCredentialEncrypted=: the ciphertext is
// handed to systemd-creds, the one program that holds systemd's format and
// keys (the host key in /var/lib/systemd/credential.secret, the TPM2), so a
// credential sealed for a unit opens under zjail exactly when it would open
// under systemd. It runs in the parent while the plan is built, never in
// the jail; --name= makes it check the name sealed into the credential
// against the one the payload will see.
//
// systemd-creds runs with nothing of zjail's but what it must have: its
// input and output are memfds (no pipe to fill up while the other end
// waits), every other descriptor is closed, signals are at their defaults,
// and the environment is fixed, except SYSTEMD_CREDENTIAL_SECRET, the host
// key's path as systemd-creds itself honours it. Whoever sets that can only
// point it at a key of their own, and a credential sealed with another key
// does not open.
#include "credential_decrypt.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "zjail/fd.hpp"

namespace zjail {
namespace {

using std::string;

constexpr const char* kEnvSecret = "SYSTEMD_CREDENTIAL_SECRET=";
// A TPM2 unseal takes a second or two; a helper stuck longer than this
// fails the launch rather than hangs it.
constexpr int kTimeoutMs = 30000;
// waitid()'s P_PIDFD (linux/wait.h, which clashes with sys/wait.h).
constexpr idtype_t kPidfdIdType = static_cast<idtype_t>(3);

Error fail(int err, const string& what) { return make_error(Step::Credentials, err, what); }

Result<UniqueFd> memfd_with(const char* name, const string& data) {
  UniqueFd fd(memfd_create(name, MFD_CLOEXEC));
  if (!fd) return fail(errno, string("memfd_create ") + name);
  for (size_t done = 0; done < data.size();) {
    ssize_t n = write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(errno, string("write ") + name);
    done += static_cast<size_t>(n);
  }
  if (lseek(fd.get(), 0, SEEK_SET) < 0) return fail(errno, string("lseek ") + name);
  return fd;
}

// At most `limit` bytes of a memfd the helper wrote; false when it holds more.
bool slurp(int fd, size_t limit, string& out) {
  struct stat st{};
  if (fstat(fd, &st) < 0 || st.st_size < 0 || static_cast<size_t>(st.st_size) > limit) return false;
  out.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return true;
}

// The last line systemd-creds printed on stderr, printable and short, for
// a one-line error.
string last_line(const string& text) {
  string line;
  size_t end = text.find_last_not_of("\n");
  if (end != string::npos) {
    size_t start = text.rfind('\n', end);
    line = text.substr(start == string::npos ? 0 : start + 1, end - (start == string::npos ? 0 : start + 1) + 1);
  }
  for (char& c : line)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  if (line.size() > 200) line.resize(200);
  return line.empty() ? "no message" : line;
}

// Waits for the helper through a pidfd, which names it even after it is
// reaped, and kills it after kTimeoutMs. Its wait status, or -1 with errno.
// Without a pidfd nothing can bound the wait: the helper is killed and the
// credential fails.
int wait_helper(pid_t pid) {
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) {
    int e = errno;
    if (e != ESRCH) kill(pid, SIGKILL);  // ESRCH: reaped already, and the pid may be another's
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    errno = e;
    return -1;
  }
  pollfd p{pidfd.get(), POLLIN, 0};
  int r;
  do r = poll(&p, 1, kTimeoutMs);
  while (r < 0 && errno == EINTR);
  if (r <= 0) syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
  siginfo_t info{};
  int w;
  do w = waitid(kPidfdIdType, static_cast<id_t>(pidfd.get()), &info, WEXITED);
  while (w < 0 && errno == EINTR);
  if (w < 0) return -1;
  if (r == 0) {
    errno = ETIMEDOUT;
    return -1;
  }
  return info.si_code == CLD_EXITED ? W_EXITCODE(info.si_status, 0) : W_EXITCODE(0, info.si_status);
}

}  // namespace

Result<string> decrypt_credential(const string& name, const string& ciphertext, const string& shown,
                                  char** environ) {
  if (access(kSystemdCreds, X_OK) != 0)
    return fail(errno, shown + ": decrypting needs " + kSystemdCreds + " (systemd 250 or newer)");
  ZJAIL_TRY_ASSIGN(auto in, memfd_with("zjail-credential-in", ciphertext));
  ZJAIL_TRY_ASSIGN(auto out, memfd_with("zjail-credential-out", ""));
  ZJAIL_TRY_ASSIGN(auto err, memfd_with("zjail-credential-err", ""));

  string name_arg = "--name=" + name;
  std::vector<char*> argv = {const_cast<char*>(kSystemdCreds), const_cast<char*>("decrypt"),
                             name_arg.data(), const_cast<char*>("--newline=no"), const_cast<char*>("-"),
                             const_cast<char*>("-"), nullptr};
  std::vector<string> env_text = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SYSTEMD_LOG_LEVEL=err",
                                  "SYSTEMD_LOG_TARGET=console"};
  for (char** e = environ; e && *e; ++e)
    if (std::strncmp(*e, kEnvSecret, std::strlen(kEnvSecret)) == 0) env_text.emplace_back(*e);
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&fa, in.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, out.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, err.get(), 2);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int e = posix_spawn(&pid, kSystemdCreds, &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (e != 0) return fail(e, shown + ": " + kSystemdCreds);

  int status = wait_helper(pid);
  if (status < 0) return fail(errno, shown + ": " + kSystemdCreds + " decrypt");
  string message;
  slurp(err.get(), 64 * 1024, message);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail(EBADMSG, shown + ": systemd-creds decrypt: " + last_line(message));
  string plain;
  if (!slurp(out.get(), kCredentialMax, plain)) return fail(EFBIG, shown + " is larger than 1 MiB decrypted");
  return plain;
}

}  // namespace zjail
