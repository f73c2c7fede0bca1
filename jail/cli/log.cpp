#include "log.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "zjail/fd.hpp"
#include "zjail/text.hpp"

namespace zjail::cli {
namespace {

int syslog_priority(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
    case spdlog::level::debug: return LOG_DEBUG;
    case spdlog::level::info: return LOG_INFO;
    case spdlog::level::warn: return LOG_WARNING;
    case spdlog::level::err: return LOG_ERR;
    case spdlog::level::critical: return LOG_CRIT;
    case spdlog::level::off:
    case spdlog::level::n_levels: break;  // never a message's level
  }
  return LOG_INFO;
}

// One field in the journal's native protocol; values with a newline use the
// length-prefixed form.
void append_field(std::string& out, const std::string& key, std::string_view value) {
  if (value.find('\n') == std::string_view::npos) {
    out += key;
    out += '=';
    out += value;
    out += '\n';
    return;
  }
  out += key;
  out += '\n';
  uint64_t len = value.size();  // little-endian on every arch zjail supports
  out.append(reinterpret_cast<const char*>(&len), sizeof len);
  out += value;
  out += '\n';
}

// Every line zjail logs stays one line: the paths and names it quotes come
// from outside, and whichever message carries one, its control characters
// are escaped here (escape_unprintable; what is already escaped is kept).
std::string one_line(const spdlog::details::log_msg& msg) {
  return escape_unprintable(std::string_view(msg.payload.data(), msg.payload.size()));
}

class StderrSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string line = "zjail: " + one_line(msg) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  JournalSink(UniqueFd fd, std::shared_ptr<std::map<std::string, std::string>> fields)
      : fd_(std::move(fd)), fields_(std::move(fields)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string d;
    const std::string message = one_line(msg);
    append_field(d, "MESSAGE", message);
    append_field(d, "PRIORITY", std::to_string(syslog_priority(msg.level)));
    append_field(d, "SYSLOG_IDENTIFIER", "zjail");
    for (const auto& [k, v] : *fields_) append_field(d, k, v);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, "/run/systemd/journal/socket", sizeof sa.sun_path - 1);
    if (sendto(fd_.get(), d.data(), d.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
      // The journal is gone: the message still belongs on stderr.
      std::fprintf(stderr, "zjail: %s\n", message.c_str());
    }
  }
  void flush_() override {}

 private:
  UniqueFd fd_;
  std::shared_ptr<std::map<std::string, std::string>> fields_;
};

}  // namespace

std::string current_unit() {
  FILE* f = std::fopen("/proc/self/cgroup", "re");
  if (!f) return "";
  char line[4096];
  std::string unit;
  while (std::fgets(line, sizeof line, f)) {
    std::string_view l(line);
    // cgroup v2 ("0::/path") or the name=systemd v1 hierarchy.
    if (!l.starts_with("0::") && l.find(":name=systemd:") == std::string_view::npos) continue;
    while (!l.empty() && l.back() == '\n') l.remove_suffix(1);
    size_t slash = l.rfind('/');
    std::string_view last = slash == std::string_view::npos ? l : l.substr(slash + 1);
    if (last.ends_with(".service") || last.ends_with(".scope")) unit = last;
  }
  std::fclose(f);
  return unit;
}

bool stderr_is_journal(const char* journal_stream) {
  if (!journal_stream) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(journal_stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st{};
  return fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

Log Log::setup(int verbosity, const char* journal_stream) {
  Log log;
  log.fields_ = std::make_shared<std::map<std::string, std::string>>();
  std::shared_ptr<spdlog::logger> logger;
  if (stderr_is_journal(journal_stream)) {
    UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (fd) {
      logger = std::make_shared<spdlog::logger>("zjail", std::make_shared<JournalSink>(std::move(fd), log.fields_));
      log.journal_ = true;
    }
  }
  if (!logger) {
    logger = std::make_shared<spdlog::logger>("zjail", std::make_shared<StderrSink>());
  }
  logger->set_level(verbosity >= 2 ? spdlog::level::trace
                    : verbosity == 1 ? spdlog::level::debug
                                     : spdlog::level::info);
  spdlog::set_default_logger(logger);
  return log;
}

void Log::set_field(const std::string& key, const std::string& value) { (*fields_)[key] = value; }

void Log::clear_field(const std::string& key) { fields_->erase(key); }

}  // namespace zjail::cli
