// Small tools for the SSH end-to-end test, so that it needs no netcat, curl
// or python on the machine under test:
//
//   ssh_helper reap CMD ARG...        run CMD as a child subreaper and reap
//                                     every orphan until CMD exits; SIGTERM,
//                                     SIGINT and SIGHUP are passed on to CMD
//   ssh_helper serve PORT TEXT        on 127.0.0.1:PORT, send TEXT to every
//                                     client (a service only the host has)
//   ssh_helper connect PORT           print what 127.0.0.1:PORT sends;
//                                     exit 0 only if it sent something
//   ssh_helper socks PORT DPORT       the same for 127.0.0.1:DPORT, through
//                                     the SOCKS5 proxy on 127.0.0.1:PORT
//   ssh_helper syslog PATH OUT        a syslog socket at PATH: every message
//                                     is appended to OUT, one per line
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

int tcp_connect(int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    std::perror("connect");
    return -1;
  }
  // Generous: under an emulated CPU a forwarded connection takes seconds.
  timeval tv{30, 0};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return s;
}

int print_reply(int s) {
  char buf[256];
  ssize_t n = read(s, buf, sizeof buf);
  if (n <= 0) {
    std::fprintf(stderr, "no data (%s)\n", n < 0 ? std::strerror(errno) : "EOF");
    return 1;
  }
  fwrite(buf, 1, static_cast<size_t>(n), stdout);
  return 0;
}

pid_t g_child = -1;  // the reaper's command, for forwarding signals

void forward(int sig) {
  if (g_child > 0) kill(g_child, sig);
}

int reap(char** argv) {
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  // Stopping the reaper stops its command (the test's sshd listener).
  struct sigaction sa {};
  sa.sa_handler = forward;
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &sa, nullptr);
  pid_t child = fork();
  g_child = child;
  if (child == 0) {
    execv(argv[0], argv);
    std::perror("execv");
    _exit(127);
  }
  int status = 0, rc = 1;
  pid_t pid;
  while ((pid = wait(&status)) > 0 || errno == EINTR)
    if (pid == child) rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return rc;
}

int serve(int port, const char* text) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || listen(s, 16) < 0) {
    std::perror("bind/listen");
    return 1;
  }
  std::string line = std::string(text) + "\n";
  for (;;) {
    int c = accept4(s, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    (void)!write(c, line.data(), line.size());
    close(c);
  }
}

int socks(int port, int dport) {
  int s = tcp_connect(port);
  if (s < 0) return 1;
  unsigned char hello[] = {5, 1, 0};
  unsigned char r[16];
  if (write(s, hello, 3) != 3 || read(s, r, 2) != 2 || r[0] != 5 || r[1] != 0) {
    std::fprintf(stderr, "socks: no greeting\n");
    return 1;
  }
  unsigned char req[] = {5, 1, 0, 1, 127, 0, 0, 1, static_cast<unsigned char>(dport >> 8),
                         static_cast<unsigned char>(dport & 0xff)};
  if (write(s, req, sizeof req) != sizeof req || read(s, r, 10) < 2) {
    std::fprintf(stderr, "socks: no reply to CONNECT\n");
    return 1;
  }
  if (r[1] != 0) {
    std::fprintf(stderr, "socks: CONNECT refused (reply %d)\n", r[1]);
    return 1;
  }
  return print_reply(s);
}

int syslog_sink(const char* path, const char* out) {
  int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
  unlink(path);
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    std::perror("bind");
    return 1;
  }
  chmod(path, 0666);
  FILE* f = std::fopen(out, "a");
  if (!f) return 1;
  char buf[4096];
  for (;;) {
    ssize_t n = recv(s, buf, sizeof buf - 1, 0);
    if (n <= 0) continue;
    buf[n] = '\0';
    std::fprintf(f, "%s\n", buf);
    std::fflush(f);
  }
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "reap" && argc > 2) return reap(argv + 2);
  if (cmd == "serve" && argc == 4) return serve(std::atoi(argv[2]), argv[3]);
  if (cmd == "connect" && argc == 3) {
    int s = tcp_connect(std::atoi(argv[2]));
    return s < 0 ? 1 : print_reply(s);
  }
  if (cmd == "socks" && argc == 4) return socks(std::atoi(argv[2]), std::atoi(argv[3]));
  if (cmd == "syslog" && argc == 4) return syslog_sink(argv[2], argv[3]);
  std::fprintf(stderr, "usage: ssh_helper reap CMD...|serve PORT TEXT|connect PORT|socks PORT DPORT\n");
  return 2;
}
