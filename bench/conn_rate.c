// Connections per second through per-connection services, for
// bench/accept.sh: one client loop that connects, sends a line, reads the
// echo and closes, again and again. The lines take turns in blocks of a
// fixed time, the order rotated each round, so drift in the machine's load
// falls on every line alike.
//
//   conn_rate [-g MS] SECONDS ROUNDS NAME=PORT...
//
// Connects to 127.0.0.1:PORT. -g waits MS after each connection, outside
// the time counted, so that what an instance does after its client is gone
// (its exit, systemd cleaning up) is over before the next one starts: the
// latency is then the start-up alone. Prints one tab-separated row per line:
//   name conns seconds conn_per_s p50_ms p90_ms cpu_ms_per_conn pid1_ms_per_conn
// cpu_ms is the whole machine's busy time (/proc/stat) over the line's
// blocks, pid1_ms systemd's own (/proc/1/stat), both per connection. Any
// connection that fails or comes back wrong ends the run with exit 1: a
// service that fails must not be timed as a fast one.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct timespec gap;

enum { kMaxLines = 8, kMaxConns = 200000 };

struct line {
  const char* name;
  unsigned short port;
  long conns;
  double seconds;
  double* latency_ms;
  long long busy_ticks, pid1_ticks;
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// Busy ticks of all CPUs: everything but idle and iowait.
static long long busy_ticks(void) {
  FILE* f = fopen("/proc/stat", "r");
  long long v[8] = {0};
  if (!f || fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]) != 8) {
    perror("conn_rate: /proc/stat");
    exit(1);
  }
  fclose(f);
  return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
}

// utime + stime of PID 1 (fields 14 and 15, after the parenthesised name).
static long long pid1_ticks(void) {
  char buf[1024];
  FILE* f = fopen("/proc/1/stat", "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f) fclose(f);
  buf[n] = '\0';
  char* p = strrchr(buf, ')');
  long long ut = 0, st = 0;
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld", &ut, &st) != 2) {
    fprintf(stderr, "conn_rate: cannot read /proc/1/stat\n");
    exit(1);
  }
  return ut + st;
}

// One connection: connect, send a line, read it back, close.
static void one(const struct line* l) {
  static const char msg[] = "ping through a per-connection service\n";
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    perror("conn_rate: socket");
    exit(1);
  }
  struct timeval tv = {.tv_sec = 30};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(l->port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr*)&a, sizeof a) != 0) {
    fprintf(stderr, "conn_rate: connect 127.0.0.1:%u (%s): %s\n", l->port, l->name, strerror(errno));
    exit(1);
  }
  if (write(fd, msg, sizeof msg - 1) != (ssize_t)(sizeof msg - 1)) {
    fprintf(stderr, "conn_rate: write to %s: %s\n", l->name, strerror(errno));
    exit(1);
  }
  char buf[sizeof msg];
  size_t got = 0;
  while (got < sizeof msg - 1) {
    ssize_t n = read(fd, buf + got, sizeof msg - 1 - got);
    if (n <= 0) {
      fprintf(stderr, "conn_rate: %s closed after %zu of %zu bytes: %s\n", l->name, got,
              sizeof msg - 1, n == 0 ? "end of file" : strerror(errno));
      exit(1);
    }
    got += (size_t)n;
  }
  if (memcmp(buf, msg, sizeof msg - 1) != 0) {
    fprintf(stderr, "conn_rate: %s echoed something else\n", l->name);
    exit(1);
  }
  close(fd);
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  if (argc > 2 && strcmp(argv[1], "-g") == 0) {
    const long ms = atol(argv[2]);
    gap.tv_sec = ms / 1000;
    gap.tv_nsec = (ms % 1000) * 1000000L;
    argv += 2;
    argc -= 2;
  }
  if (argc < 4 || argc - 3 > kMaxLines) {
    fprintf(stderr, "usage: conn_rate [-g MS] SECONDS ROUNDS NAME=PORT... (up to %d)\n", kMaxLines);
    return 2;
  }
  const double block = atof(argv[1]);
  const int rounds = atoi(argv[2]);
  const int n = argc - 3;
  struct line lines[kMaxLines] = {0};
  for (int i = 0; i < n; ++i) {
    char* eq = strchr(argv[3 + i], '=');
    if (!eq || block <= 0 || rounds <= 0) {
      fprintf(stderr, "conn_rate: bad argument %s\n", argv[3 + i]);
      return 2;
    }
    *eq = '\0';
    lines[i].name = argv[3 + i];
    lines[i].port = (unsigned short)atoi(eq + 1);
    lines[i].latency_ms = malloc(kMaxConns * sizeof(double));
    if (!lines[i].latency_ms) return 1;
    // Warm-up: the first activation loads the units and pages in the binaries.
    for (int w = 0; w < 3; ++w) one(&lines[i]);
  }
  for (int r = 0; r < rounds; ++r) {
    for (int k = 0; k < n; ++k) {
      struct line* l = &lines[(r + k) % n];
      const long long busy0 = busy_ticks(), pid10 = pid1_ticks();
      const double start = now(), end = start + block;
      double t = start;
      long before = l->conns;
      double counted = 0;
      while (t < end && l->conns < kMaxConns) {
        one(l);
        const double t2 = now();
        l->latency_ms[l->conns++] = (t2 - t) * 1000;
        counted += t2 - t;
        if (gap.tv_sec || gap.tv_nsec) nanosleep(&gap, NULL);
        t = now();
      }
      l->seconds += counted;
      l->busy_ticks += busy_ticks() - busy0;
      l->pid1_ticks += pid1_ticks() - pid10;
      fprintf(stderr, "conn_rate: round %d %s: %.1f/s\n", r + 1, l->name,
              (double)(l->conns - before) / counted);
    }
  }
  const double tick_ms = 1000.0 / (double)sysconf(_SC_CLK_TCK);
  for (int i = 0; i < n; ++i) {
    struct line* l = &lines[i];
    qsort(l->latency_ms, (size_t)l->conns, sizeof(double), cmp);
    printf("%s\t%ld\t%.2f\t%.2f\t%.3f\t%.3f\t%.3f\t%.3f\n", l->name, l->conns, l->seconds,
           (double)l->conns / l->seconds, l->latency_ms[l->conns / 2],
           l->latency_ms[l->conns * 9 / 10], (double)l->busy_ticks * tick_ms / (double)l->conns,
           (double)l->pid1_ticks * tick_ms / (double)l->conns);
  }
  return 0;
}
