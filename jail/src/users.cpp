#include "zjail/users.hpp"

#include <dlfcn.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
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

// Calls a getXXX_r function, growing the buffer while it answers ERANGE:
// a group with a few thousand members does not fit a fixed buffer, and
// giving up on it would make its members look like non-members. Returns the
// function's error number; `*res` is null when there is no such entry.
template <class Entry, class Key>
int nss_get(int (*fn)(Key, Entry*, char*, size_t, Entry**), Key key, Entry& entry, Entry*& res,
            std::vector<char>& buf, int size_name) {
  constexpr size_t kMax = size_t{1} << 28;  // an answer bigger than this is an error
  long n = sysconf(size_name);
  buf.resize(n > 0 ? static_cast<size_t>(n) : 16384);
  int r;
  while ((r = fn(key, &entry, buf.data(), buf.size(), &res)) == ERANGE && buf.size() < kMax)
    buf.resize(buf.size() * 2);
  if (r != 0) res = nullptr;
  return r;
}

// The entry named `name` (getpwnam_r, getgrnam_r), its strings in `buf`;
// `kind` ("user", "group") names it in errors.
template <class Entry>
Result<Entry> nss_by_name(int (*fn)(const char*, Entry*, char*, size_t, Entry**), const std::string& name,
                          const char* kind, int size_name, std::vector<char>& buf) {
  Entry entry{}, *res = nullptr;
  int r = nss_get(fn, name.c_str(), entry, res, buf, size_name);
  if (r != 0) return make_error(Step::ResolveUser, r, std::string(kind) + " '" + name + "'");
  if (!res) return make_error(Step::ResolveUser, 0, "unknown " + std::string(kind) + " '" + name + "'");
  return entry;
}

}  // namespace

Result<UserInfo> lookup_uid(uid_t uid) {
  std::vector<char> buf;
  passwd pw{}, *res = nullptr;
  int r = nss_get(getpwuid_r, uid, pw, res, buf, _SC_GETPW_R_SIZE_MAX);
  if (r != 0) return make_error(Step::ResolveUser, r, "uid " + std::to_string(uid));
  if (!res) return UserInfo{uid, static_cast<gid_t>(uid), std::to_string(uid), "/", "/bin/sh"};
  return from_passwd(pw);
}

Result<bool> uid_has_entry(uid_t uid) {
  std::vector<char> buf;
  passwd pw{}, *res = nullptr;
  int r = nss_get(getpwuid_r, uid, pw, res, buf, _SC_GETPW_R_SIZE_MAX);
  if (r != 0) return make_error(Step::ResolveUser, r, "uid " + std::to_string(uid));
  return res != nullptr;
}

Result<bool> gid_has_entry(gid_t gid) {
  std::vector<char> buf;
  group gr{}, *res = nullptr;
  int r = nss_get(getgrgid_r, gid, gr, res, buf, _SC_GETGR_R_SIZE_MAX);
  if (r != 0) return make_error(Step::ResolveUser, r, "gid " + std::to_string(gid));
  return res != nullptr;
}

Result<UserInfo> lookup_user(const std::string& name_or_id) {
  unsigned id;
  if (parse_id(name_or_id, id)) return lookup_uid(id);
  return lookup_user_name(name_or_id);
}

Result<UserInfo> lookup_user_name(const std::string& name) {
  std::vector<char> buf;
  ZJAIL_TRY_ASSIGN(passwd pw, nss_by_name(getpwnam_r, name, "user", _SC_GETPW_R_SIZE_MAX, buf));
  return from_passwd(pw);
}

Result<gid_t> lookup_group(const std::string& name_or_id) {
  unsigned id;
  if (parse_id(name_or_id, id)) return static_cast<gid_t>(id);
  ZJAIL_TRY_ASSIGN(auto g, lookup_group_name(name_or_id));
  return g.gid;
}

Result<GroupInfo> lookup_group_name(const std::string& name) {
  std::vector<char> buf;
  ZJAIL_TRY_ASSIGN(group gr, nss_by_name(getgrnam_r, name, "group", _SC_GETGR_R_SIZE_MAX, buf));
  GroupInfo info{gr.gr_gid, gr.gr_name, {}};
  for (char** m = gr.gr_mem; m && *m; ++m) info.members.emplace_back(*m);
  return info;
}

Status group_backends_answer(const std::string& name, const std::string& nsswitch) {
  std::ifstream in(nsswitch);
  std::string line, services;
  while (std::getline(in, line)) {
    size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line.compare(b, 6, "group:") != 0) continue;
    services = line.substr(b + 6);
    services = services.substr(0, services.find('#'));
  }
  std::istringstream words(services);
  for (std::string s; words >> s;) {
    // Actions ("[SUCCESS=merge]") are not services; files and compat read
    // local files, which cannot be down.
    if (s.front() == '[' || s.back() == ']' || s == "files" || s == "compat") continue;
    void* module = dlopen(("libnss_" + s + ".so.2").c_str(), RTLD_LAZY | RTLD_LOCAL);
    if (!module) continue;  // not installed: glibc never asks it either
    using GetGrNam = nss_status (*)(const char*, group*, char*, size_t, int*);
    auto fn = reinterpret_cast<GetGrNam>(dlsym(module, ("_nss_" + s + "_getgrnam_r").c_str()));
    nss_status st = NSS_STATUS_NOTFOUND;
    int err = 0;
    if (fn) {
      std::vector<char> buf(16384);
      group gr{};
      while ((st = fn(name.c_str(), &gr, buf.data(), buf.size(), &err)) == NSS_STATUS_TRYAGAIN && err == ERANGE &&
             buf.size() < (size_t{1} << 28))
        buf.resize(buf.size() * 2);
    }
    dlclose(module);
    if (st == NSS_STATUS_UNAVAIL || st == NSS_STATUS_TRYAGAIN)
      return make_error(Step::ResolveUser, err ? err : EIO,
                        "the group database '" + s + "' cannot answer for group '" + name + "'");
  }
  return {};
}

std::vector<gid_t> group_list(const std::string& user, gid_t primary) {
  std::vector<gid_t> gids(64);
  int n = static_cast<int>(gids.size());
  while (getgrouplist(user.c_str(), primary, gids.data(), &n) < 0) {
    gids.resize(std::max(static_cast<size_t>(n), gids.size() * 2));
    n = static_cast<int>(gids.size());
  }
  gids.resize(static_cast<size_t>(n));
  return gids;
}

}  // namespace zjail
