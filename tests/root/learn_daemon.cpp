// A small multi-process daemon for the learn-mode tests (root_learn_test.cpp):
// it does what real daemons do in the ways learning must see, each leaving a
// trace of its own:
//   reads /etc/hostname and DIR/config; binds and listens on 127.0.0.1:PORT
//   (TCP); a thread creates DIR/thread.out; two forked workers create
//   DIR/worker-N.log; a forked helper execs this binary again (--helper),
//   which creates DIR/helper.out.
//   --extra: also reads /etc/services and connects a UDP socket to 127.0.0.1:53
//   --serve: prints READY and waits for SIGTERM
//   --try PORT: tries what it never does otherwise, and prints each outcome:
//     "shadow OK|ERRNO", "exec-sh OK|ERRNO", "connect OK|ERRNO"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

std::string dir;

void touch(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "learn_daemon: %s: %s\n", path.c_str(), std::strerror(errno));
    std::exit(1);
  }
  (void)!write(fd, "x\n", 2);
  close(fd);
}

void read_file(const char* path) {
  char buf[256];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    (void)!read(fd, buf, sizeof buf);
    close(fd);
  }
}

void* thread_main(void*) {
  touch(dir + "/thread.out");
  return nullptr;
}

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

const char* outcome(int r) { return r == 0 ? "OK" : strerrorname_np(errno); }

volatile sig_atomic_t stop = 0;
void on_term(int) { stop = 1; }

}  // namespace

int main(int argc, char** argv) {
  int port = 0, try_port = 0;
  bool extra = false, serve = false, helper = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--port" && i + 1 < argc) port = std::atoi(argv[++i]);
    else if (a == "--dir" && i + 1 < argc) dir = argv[++i];
    else if (a == "--try" && i + 1 < argc) try_port = std::atoi(argv[++i]);
    else if (a == "--extra") extra = true;
    else if (a == "--serve") serve = true;
    else if (a == "--helper") helper = true;
  }
  if (dir.empty()) return 2;
  if (helper) {
    touch(dir + "/helper.out");
    return 0;
  }
  // Blocked until it is waited for, so that none is lost before.
  signal(SIGTERM, on_term);
  sigset_t term, none;
  sigemptyset(&term);
  sigemptyset(&none);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, nullptr);
  read_file("/etc/hostname");
  read_file((dir + "/config").c_str());
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int on = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in a = loopback(port);
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || listen(s, 8) < 0) {
    std::fprintf(stderr, "learn_daemon: 127.0.0.1:%d: %s\n", port, std::strerror(errno));
    return 1;
  }
  pthread_t t;
  pthread_create(&t, nullptr, thread_main, nullptr);
  pthread_join(t, nullptr);
  for (int n = 1; n <= 2; ++n) {
    pid_t w = fork();
    if (w == 0) {
      touch(dir + "/worker-" + std::to_string(n) + ".log");
      _exit(0);
    }
    waitpid(w, nullptr, 0);
  }
  pid_t h = fork();
  if (h == 0) {
    execl("/proc/self/exe", argv[0], "--helper", "--dir", dir.c_str(), nullptr);
    _exit(127);
  }
  int st = 0;
  waitpid(h, &st, 0);
  if (extra) {
    read_file("/etc/services");
    int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in dns = loopback(53);
    connect(u, reinterpret_cast<sockaddr*>(&dns), sizeof dns);
    close(u);
  }
  if (try_port) {
    std::printf("shadow %s\n", outcome(open("/etc/shadow", O_RDONLY | O_CLOEXEC) >= 0 ? 0 : -1));
    pid_t sh = fork();
    if (sh == 0) {
      execl("/bin/sh", "sh", "-c", "exit 0", nullptr);
      std::printf("exec-sh %s\n", strerrorname_np(errno));
      std::fflush(stdout);
      _exit(126);
    }
    int sst = 0;
    waitpid(sh, &sst, 0);
    if (WIFEXITED(sst) && WEXITSTATUS(sst) == 0) std::printf("exec-sh OK\n");
    else if (WIFSIGNALED(sst)) std::printf("exec-sh signal %d\n", WTERMSIG(sst));
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in to = loopback(try_port);
    std::printf("connect %s\n", outcome(c < 0 ? -1 : connect(c, reinterpret_cast<sockaddr*>(&to), sizeof to)));
  }
  std::printf("READY\n");
  std::fflush(stdout);
  while (serve && !stop) sigsuspend(&none);
  if (serve) touch(dir + "/stopped");
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
