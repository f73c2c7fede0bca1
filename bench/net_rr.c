// TCP request/response round trips for bench/network.sh: iperf3 measures
// throughput only, and a Python client would time its own interpreter.
//
//   net_rr server PORT            echoes one byte back, one client at a time
//   net_rr client ADDR PORT N     N 1-byte ping-pongs on one connection;
//                                 prints "p50_us p99_us mean_us"
//
// TCP_NODELAY on both ends, so each round trip is one segment each way.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char* what) {
  perror(what);
  exit(1);
}

static void nodelay(int fd) {
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) die("net_rr: TCP_NODELAY");
}

static _Noreturn void serve(const char* port) {
  int s = socket(AF_INET6, SOCK_STREAM, 0);
  if (s < 0) die("net_rr: socket");
  int on = 1, off = 0;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);  // v4 too
  struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short)atoi(port))};
  if (bind(s, (struct sockaddr*)&a, sizeof a) < 0) die("net_rr: bind");
  if (listen(s, 16) < 0) die("net_rr: listen");
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    nodelay(c);
    char b;
    while (read(c, &b, 1) == 1)
      if (write(c, &b, 1) != 1) break;
    close(c);
  }
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static int client(const char* host, const char* port, long n) {
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
  int e = getaddrinfo(host, port, &hints, &ai);
  if (e) {
    fprintf(stderr, "net_rr: %s: %s\n", host, gai_strerror(e));
    return 1;
  }
  int fd = socket(ai->ai_family, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) die("net_rr: connect");
  nodelay(fd);
  double* t = malloc(sizeof *t * (size_t)n);
  if (!t) die("net_rr: malloc");
  double sum = 0;
  for (long i = 0; i < n; i++) {
    struct timespec a, b;
    char c = 'x';
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1) die("net_rr: round trip");
    clock_gettime(CLOCK_MONOTONIC, &b);
    t[i] = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
    sum += t[i];
  }
  qsort(t, (size_t)n, sizeof *t, cmp);
  printf("%.1f %.1f %.1f\n", t[n / 2], t[n * 99 / 100], sum / (double)n);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && !strcmp(argv[1], "server")) serve(argv[2]);
  if (argc == 5 && !strcmp(argv[1], "client") && atol(argv[4]) > 0) return client(argv[2], argv[3], atol(argv[4]));
  fprintf(stderr, "usage: net_rr server PORT | net_rr client ADDR PORT N\n");
  return 2;
}
