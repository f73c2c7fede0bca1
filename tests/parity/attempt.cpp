// observe: the forked children every attempt runs in (see observe.hpp).
// A child reports through its exit status (one attempt) or a pipe (many
// attempts, or a group's whole report); a child killed by a filter is an
// answer too ("SIGSYS").
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "observe.hpp"

namespace observe {

std::string ename(int err) {
  const char* n = strerrorname_np(err);
  return n ? n : std::to_string(err);
}

namespace {

// No attempt may hang the probe (an open that blocks, a filter that traps).
constexpr unsigned kChildTimeout = 5;

std::string wait_child(pid_t pid) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) return "wait-" + ename(errno);
  }
  if (WIFSIGNALED(st)) {
    const char* s = sigabbrev_np(WTERMSIG(st));
    return s ? std::string("SIG") + s : "signal-" + std::to_string(WTERMSIG(st));
  }
  int code = WEXITSTATUS(st);
  return code == 0 ? "ok" : ename(code);
}

// An errno as a child's exit status: 1..250; 250 also stands for "other".
int exit_code(int e) { return e > 0 && e < 251 ? e : (e == 0 ? 0 : 250); }

bool write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

std::string read_all(int fd) {
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace

std::string attempt(const std::function<int()>& fn) {
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) return "fork-" + ename(errno);
  if (pid == 0) {
    alarm(kChildTimeout);
    _exit(exit_code(fn()));
  }
  return wait_child(pid);
}

Call reach(std::string key, std::function<long()> call, std::vector<int> reached_errnos) {
  return {std::move(key),
          [call = std::move(call), reached = std::move(reached_errnos)] {
            errno = 0;
            long v = call();
            if (v >= 0) return 0;
            int e = errno;
            return std::find(reached.begin(), reached.end(), e) != reached.end() ? 0 : e;
          },
          "reached"};
}

void attempt_all(Report& r, const std::vector<Call>& calls) {
  size_t next = 0;
  while (next < calls.size()) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
      for (; next < calls.size(); ++next) r[calls[next].key] = "pipe-" + ename(errno);
      return;
    }
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
      int e = errno;
      close(p[0]);
      close(p[1]);
      for (; next < calls.size(); ++next) r[calls[next].key] = "fork-" + ename(e);
      return;
    }
    if (pid == 0) {
      close(p[0]);
      // One record per call, written before the next starts: {index, errno}.
      for (size_t i = next; i < calls.size(); ++i) {
        alarm(kChildTimeout);
        int rec[2] = {static_cast<int>(i), calls[i].fn()};
        if (!write_all(p[1], rec, sizeof rec)) _exit(1);
        if (rec[1] == 0 && calls[i].changes) break;
      }
      _exit(0);
    }
    close(p[1]);
    std::string text = read_all(p[0]);
    close(p[0]);
    std::string status = wait_child(pid);
    size_t done = next;
    for (size_t off = 0; off + 2 * sizeof(int) <= text.size(); off += 2 * sizeof(int)) {
      int rec[2];
      std::memcpy(rec, text.data() + off, sizeof rec);
      size_t i = static_cast<size_t>(rec[0]);
      if (i < calls.size()) r[calls[i].key] = rec[1] == 0 ? calls[i].ok : ename(rec[1]);
      done = i + 1;
    }
    if (status == "ok") {
      next = done;  // all done, or the child stopped after a change
      continue;
    }
    // The call in progress ended the child: that is its answer.
    if (done < calls.size()) r[calls[done].key] = status;
    next = done + 1;
  }
}

void run_groups(Report& r, const std::vector<Group>& groups) {
  size_t next = 0;
  while (next < groups.size()) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
      for (; next < groups.size(); ++next) r[std::string("group.") + groups[next].name] = "pipe-" + ename(errno);
      return;
    }
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
      int e = errno;
      close(p[0]);
      close(p[1]);
      for (; next < groups.size(); ++next) r[std::string("group.") + groups[next].name] = "fork-" + ename(e);
      return;
    }
    if (pid == 0) {
      close(p[0]);
      // Each group's lines, then "=INDEX" once the group is complete.
      for (size_t i = next; i < groups.size(); ++i) {
        Report g;
        groups[i].fn(g);
        std::string text;
        for (const auto& [k, v] : g) {
          std::string value = v;
          std::replace(value.begin(), value.end(), '\n', ' ');
          text += k + "=" + value + "\n";
        }
        text += "=" + std::to_string(i) + "\n";
        if (!write_all(p[1], text.data(), text.size())) _exit(1);
      }
      _exit(0);
    }
    close(p[1]);
    std::string text = read_all(p[0]);
    close(p[0]);
    std::string status = wait_child(pid);
    size_t done = next, start = 0;
    while (start < text.size()) {
      size_t end = text.find("\n=", start == 0 ? 0 : start - 1);
      if (end == std::string::npos) break;  // the group in progress: a partial answer is no answer
      size_t nl = text.find('\n', end + 1);
      if (nl == std::string::npos) break;
      size_t i = std::strtoul(text.c_str() + end + 2, nullptr, 10);
      for (size_t a = start; a <= end;) {
        size_t b = text.find('\n', a);
        std::string line = text.substr(a, b - a);
        size_t eq = line.find('=');
        if (eq != std::string::npos && eq > 0) r[line.substr(0, eq)] = line.substr(eq + 1);
        a = b + 1;
      }
      if (i < groups.size()) r[std::string("group.") + groups[i].name] = "ok";
      done = i + 1;
      start = nl + 1;
    }
    if (status == "ok") {
      next = done;
      continue;
    }
    if (done < groups.size()) r[std::string("group.") + groups[done].name] = status;
    next = done + 1;
  }
}

}  // namespace observe
