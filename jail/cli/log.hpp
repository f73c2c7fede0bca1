// zjail's logging: plain "zjail: ..." lines on stderr, or, when stderr is the
// journal's stream (JOURNAL_STREAM matches it), native journal entries with
// PRIORITY and zjail's own fields, so `journalctl ZJAIL_STEP=mounts` works.
#pragma once

#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <string>

namespace zjail::cli {

class Log {
 public:
  // Decides between journal and stderr once, from the environment.
  static Log setup(int verbosity, const char* journal_stream);

  // Structured fields attached to every following entry (journal only).
  void set_field(const std::string& key, const std::string& value);
  void clear_field(const std::string& key);
  bool to_journal() const { return journal_; }

 private:
  std::shared_ptr<std::map<std::string, std::string>> fields_;
  bool journal_ = false;
};

// The systemd unit this process runs in (from /proc/self/cgroup), or "".
std::string current_unit();

// True when `journal_stream` ("DEV:INODE") names the file behind fd 2.
bool stderr_is_journal(const char* journal_stream);

}  // namespace zjail::cli
