// User and group lookup by name or number, done in the parent before clone.
#pragma once

#include <sys/types.h>

#include <string>

#include "zjail/result.hpp"

namespace zjail {

struct UserInfo {
  uid_t uid = 0;
  gid_t gid = 0;       // primary group
  std::string name;
  std::string home;
  std::string shell;
};

// "nobody" or "65534". A number with no passwd entry is accepted, as in
// systemd, with home "/" and shell "/bin/sh".
Result<UserInfo> lookup_user(const std::string& name_or_id);
Result<UserInfo> lookup_uid(uid_t uid);
Result<gid_t> lookup_group(const std::string& name_or_id);

}  // namespace zjail
