// User and group lookup by name or number, done in the parent before clone.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

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

// Whether NSS has an entry for the id (DynamicUser= takes only ids no
// database names); an error when NSS cannot answer.
Result<bool> uid_has_entry(uid_t uid);
Result<bool> gid_has_entry(gid_t gid);

// By name only, as a login service looks up the name typed at its prompt:
// "1000" is a name here, not a uid. The error's err is 0 when NSS answers
// that there is no such entry, and the NSS errno when the lookup failed.
Result<UserInfo> lookup_user_name(const std::string& name);

struct GroupInfo {
  gid_t gid = 0;
  std::string name;
  std::vector<std::string> members;  // the group entry's member list
};
Result<GroupInfo> lookup_group_name(const std::string& name);

// Who is logging in, as NSS knows them (pam_zjail).
struct Login {
  std::string name;           // the canonical pw_name, not the typed name
  uid_t uid = 0;
  std::vector<gid_t> groups;  // primary and supplementary
};

// `user`'s primary group and every group NSS lists the user in.
std::vector<gid_t> group_list(const std::string& user, gid_t primary);

// Whether every module of the "group:" line of `nsswitch` can answer for
// group `name`. NSS hides a module that is down behind one that answers: with
// "group: files [SUCCESS=merge] sss" and sss down, getgrnam_r() returns the
// files half without members and getgrouplist() leaves sss's groups out,
// with no error anywhere. So each module is asked itself (files and compat
// excepted; a module that is not installed is skipped, as glibc skips it);
// one that answers UNAVAIL or TRYAGAIN is an error (Step::ResolveUser).
Status group_backends_answer(const std::string& name, const std::string& nsswitch = "/etc/nsswitch.conf");

}  // namespace zjail
