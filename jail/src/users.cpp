#include "zjail/users.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <charconv>
#include <vector>

namespace zjail {
namespace {

bool parse_id(const std::string& s, unsigned& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out != static_cast<unsigned>(-1);
}

UserInfo from_passwd(const passwd& pw) {
  return UserInfo{pw.pw_uid, pw.pw_gid, pw.pw_name, pw.pw_dir ? pw.pw_dir : "/",
                  pw.pw_shell ? pw.pw_shell : "/bin/sh"};
}

long bufsize(int name) {
  long n = sysconf(name);
  return n > 0 ? n : 16384;
}

}  // namespace

Result<UserInfo> lookup_uid(uid_t uid) {
  std::vector<char> buf(bufsize(_SC_GETPW_R_SIZE_MAX));
  passwd pw{}, *res = nullptr;
  int r;
  while ((r = getpwuid_r(uid, &pw, buf.data(), buf.size(), &res)) == ERANGE) buf.resize(buf.size() * 2);
  if (r != 0) return make_error(Step::ResolveUser, r, "uid " + std::to_string(uid));
  if (!res) return UserInfo{uid, static_cast<gid_t>(uid), std::to_string(uid), "/", "/bin/sh"};
  return from_passwd(pw);
}

Result<UserInfo> lookup_user(const std::string& name_or_id) {
  unsigned id;
  if (parse_id(name_or_id, id)) return lookup_uid(id);
  std::vector<char> buf(bufsize(_SC_GETPW_R_SIZE_MAX));
  passwd pw{}, *res = nullptr;
  int r;
  while ((r = getpwnam_r(name_or_id.c_str(), &pw, buf.data(), buf.size(), &res)) == ERANGE)
    buf.resize(buf.size() * 2);
  if (r != 0) return make_error(Step::ResolveUser, r, "user '" + name_or_id + "'");
  if (!res) return make_error(Step::ResolveUser, 0, "unknown user '" + name_or_id + "'");
  return from_passwd(pw);
}

Result<gid_t> lookup_group(const std::string& name_or_id) {
  unsigned id;
  if (parse_id(name_or_id, id)) return static_cast<gid_t>(id);
  std::vector<char> buf(bufsize(_SC_GETGR_R_SIZE_MAX));
  group gr{}, *res = nullptr;
  int r;
  while ((r = getgrnam_r(name_or_id.c_str(), &gr, buf.data(), buf.size(), &res)) == ERANGE)
    buf.resize(buf.size() * 2);
  if (r != 0) return make_error(Step::ResolveUser, r, "group '" + name_or_id + "'");
  if (!res) return make_error(Step::ResolveUser, 0, "unknown group '" + name_or_id + "'");
  return gr.gr_gid;
}

}  // namespace zjail
