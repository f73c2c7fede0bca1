// LoadCredential=, SetCredential=, ImportCredential= and the encrypted
// forms (opened by systemd-creds, credential_decrypt.cpp): read by the
// parent now (Step::Credentials), then written
// by the jail's init into a fresh ramfs at /run/credentials/NAME, which is
// read-only, never swapped out, owned by the payload's user with nothing
// for anyone else (0500, files 0400), and exists in the jail's mount
// namespace alone: no other jail and no host user sees it.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "credential_decrypt.hpp"
#include "dir_entries.hpp"
#include "syntax.hpp"
#include "plan_internal.hpp"
#include "zjail/trust.hpp"

namespace zjail {
namespace {

using std::string;
using Kind = Credential::Kind;

// systemd's limit for them all (CREDENTIALS_TOTAL_SIZE_MAX).
constexpr size_t kMaxAll = 1024 * 1024;
constexpr int kMaxDepth = 16;

// The credential stores systemd searches for a relative LoadCredential= path
// and for ImportCredential=, after the service manager's own credentials.
constexpr const char* kStores[] = {"/etc/credstore", "/run/credstore", "/usr/local/lib/credstore",
                                   "/usr/lib/credstore"};

Error cred_error(int err, const string& what) { return make_error(Step::Credentials, err, what); }

std::vector<string> stores(const PlanContext& ctx) {
  std::vector<string> out;
  if (!ctx.credentials_directory.empty()) out.push_back(ctx.credentials_directory);
  for (const char* s : kStores) out.emplace_back(s);
  return out;
}

// An fd to read `path` from. As root, the path must be root's all the way
// (trust.hpp): a credential is a secret root hands to the payload, and a
// symlink someone else planted must not make root read another. An
// unprivileged zjail reads with its caller's own rights.
Result<UniqueFd> open_source(const string& path, bool root) {
  if (!root) {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) return cred_error(errno, path);
    return fd;
  }
  auto fd = open_trusted(path);
  if (!fd) return std::move(fd).error().wrap(Step::Credentials, "");
  struct stat st{};
  if (fstat(fd->get(), &st) < 0) return cred_error(errno, path);
  if (S_ISDIR(st.st_mode)) return std::move(fd).value();
  if (!S_ISREG(st.st_mode))
    return cred_error(EINVAL, path + " is not a regular file (zjail reads no credential from a socket or a device)");
  return reopen_for_reading(fd->get(), path);
}

Status read_all(int fd, const string& shown, string& out) {
  struct stat st{};
  if (fstat(fd, &st) < 0) return cred_error(errno, shown);
  if (!S_ISREG(st.st_mode)) return cred_error(EINVAL, shown + " is not a regular file");
  out.clear();
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return cred_error(errno, shown);
    if (n == 0) return {};
    out.append(buf, static_cast<size_t>(n));
    explicit_bzero(buf, static_cast<size_t>(n));
    if (out.size() > kCredentialMax) return cred_error(EFBIG, shown + " is larger than 1 MiB");
  }
}

// As root, what a directory source holds must be root's as its top is
// (open_trusted): an entry of another user's, or a directory others may
// write to, would let them choose what root hands the payload.
Status check_entry(int fd, const string& shown, bool root) {
  struct stat st{};
  if (fstat(fd, &st) < 0) return cred_error(errno, shown);
  if (!root) return {};
  if (st.st_uid != 0) return cred_error(EPERM, shown + " is owned by uid " + std::to_string(st.st_uid) + ", not root");
  if (S_ISDIR(st.st_mode) && (st.st_mode & (S_IWGRP | S_IWOTH)))
    return cred_error(EPERM, shown + " is a directory others may write to");
  return {};
}

// The regular files in a directory, as systemd loads one: each becomes
// a credential named by its path below the directory with '/' as '_'
// (ID_FILE, ID_SUB_FILE), a name that must be valid; the first of two that
// come out alike wins. Symlinks are skipped. The total is checked as the
// files are read, not after.
Status read_directory(int dir, const string& shown, const string& prefix, bool root, std::map<string, string>& out,
                      size_t& total, int depth) {
  if (depth > kMaxDepth) return cred_error(ELOOP, shown + ": nested too deep");
  std::vector<string> names;
  if (int e = entry_names(dir, names)) return cred_error(e, shown);
  Status result;
  for (const string& name : names) {
    struct stat st{};
    if (fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    string id = prefix + "_" + name;
    if (S_ISDIR(st.st_mode)) {
      UniqueFd sub(openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub) result = check_entry(sub.get(), shown + "/" + name, root);
      if (sub && result) result = read_directory(sub.get(), shown + "/" + name, id, root, out, total, depth + 1);
    } else if (S_ISREG(st.st_mode)) {
      if (!valid_credential_name(id)) return cred_error(EINVAL, shown + "/" + name + " would be credential '" + c_escape(id) + "', not a valid name");
      if (out.count(id)) continue;
      UniqueFd fd(openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
      if (!fd) {
        result = cred_error(errno, shown + "/" + name);
      } else if ((result = check_entry(fd.get(), shown + "/" + name, root))) {
        string data;
        result = read_all(fd.get(), shown + "/" + name, data);
        total += data.size();
        if (result && total > kMaxAll) result = cred_error(EFBIG, shown + ": the credentials add up to more than 1 MiB");
        if (result) out.emplace(id, std::move(data));
      }
    }
    if (!result) break;
  }
  return result;
}

// LoadCredential=ID[:PATH]. False when a relative name is in no store
// (SetCredential= may stand in).
Result<bool> load(const Credential& c, const PlanContext& ctx, bool root, std::map<string, string>& out) {
  string path = c.value.empty() ? c.id : c.value;
  if (path[0] != '/') {
    for (const auto& store : stores(ctx)) {
      string candidate = store + "/" + path;
      if (access(candidate.c_str(), F_OK) != 0) continue;
      ZJAIL_TRY_ASSIGN(auto fd, open_source(candidate, root));
      ZJAIL_TRY(read_all(fd.get(), candidate, out[c.id]));
      return true;
    }
    return false;
  }
  ZJAIL_TRY_ASSIGN(auto fd, open_source(path, root));
  struct stat st{};
  if (fstat(fd.get(), &st) < 0) return cred_error(errno, path);
  if (S_ISDIR(st.st_mode)) {
    UniqueFd dir(openat(fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return cred_error(errno, path);
    size_t total = 0;
    ZJAIL_TRY(read_directory(dir.get(), path, c.id, root, out, total, 0));
    return true;
  }
  ZJAIL_TRY(read_all(fd.get(), path, out[c.id]));
  return true;
}

// ImportCredential=GLOB: every matching credential of the stores that is
// not given otherwise, the first store that has a name winning.
Status import(const Credential& c, const PlanContext& ctx, bool root, std::map<string, string>& out) {
  bool prefix = c.id.ends_with('*');
  string stem = prefix ? c.id.substr(0, c.id.size() - 1) : c.id;
  for (const auto& store : stores(ctx)) {
    UniqueFd dir(open(store.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) continue;  // no such store, or not the caller's to read
    std::vector<string> all;
    if (int e = entry_names(dir.get(), all)) return cred_error(e, store);
    std::vector<string> names;
    for (auto& name : all)
      if ((prefix ? name.starts_with(stem) : name == stem) && !out.count(name)) names.push_back(std::move(name));
    for (const auto& name : names) {
      ZJAIL_TRY_ASSIGN(auto fd, open_source(store + "/" + name, root));
      string data;
      auto st = read_all(fd.get(), store + "/" + name, data);
      if (!st) {
        if (st.error().err == EINVAL) continue;  // not a file: not a credential
        return st;
      }
      out.emplace(name, std::move(data));
    }
  }
  return {};
}

}  // namespace

Status plan_credentials(const Profile& p, const PlanContext& ctx, Plan& plan, std::vector<string>& env) {
  const auto& creds = p.identity.credentials;
  if (creds.empty()) return {};
  std::map<string, string> files;
  bool root = plan.invoked_as_root;
  for (const auto& i : creds) {
    bool encrypted = i.value.kind == Kind::LoadEncrypted;
    if (i.value.kind != Kind::Load && !encrypted) continue;
    string directive = encrypted ? "LoadCredentialEncrypted=" : "LoadCredential=";
    std::map<string, string> loaded;
    auto found = load(i.value, ctx, root, loaded);
    if (!found) return std::move(found).error().wrap(Step::Credentials, directive + i.value.id + " (" + i.origin.str() + ")");
    bool fallback = std::any_of(creds.begin(), creds.end(), [&](const auto& s) {
      return (s.value.kind == Kind::Set || s.value.kind == Kind::SetEncrypted) && s.value.id == i.value.id;
    });
    if (!*found && !fallback)
      return at(i.origin, Step::Credentials, directive + i.value.id + ": no such credential in " +
                                                 (ctx.credentials_directory.empty() ? "" : "$CREDENTIALS_DIRECTORY, ") +
                                                 "/etc/credstore, /run/credstore, /usr/local/lib/credstore or /usr/lib/credstore");
    // A directory's files are sealed under the names they get (ID_FILE).
    for (auto& [name, data] : loaded) {
      if (encrypted) {
        auto plain = decrypt_credential(name, data, directive + name + " (" + i.origin.str() + ")", ctx.environ);
        if (!plain) return std::move(plain).error();
        data = std::move(*plain);
      }
      files[name] = std::move(data);
    }
  }
  // SetCredential= is the default when LoadCredential= of the same id gave nothing.
  for (const auto& i : creds) {
    if (i.value.kind == Kind::SetEncrypted && !files.count(i.value.id)) {
      auto plain = decrypt_credential(i.value.id, i.value.value,
                                      "SetCredentialEncrypted=" + i.value.id + " (" + i.origin.str() + ")", ctx.environ);
      if (!plain) return std::move(plain).error();
      files.emplace(i.value.id, std::move(*plain));
    }
    if (i.value.kind == Kind::Set) files.emplace(i.value.id, i.value.value);
  }
  for (const auto& i : creds)
    if (i.value.kind == Kind::Import) {
      auto st = import(i.value, ctx, root, files);
      if (!st) return std::move(st).error().wrap(Step::Credentials, "ImportCredential=" + i.value.id + " (" + i.origin.str() + ")");
    }
  if (files.empty()) return {};  // only imports, and nothing matched
  size_t total = 0;
  for (const auto& [name, data] : files) total += data.size();
  if (total > kMaxAll)
    return at(creds.front().origin, Step::Credentials, "the credentials add up to more than 1 MiB");

  string dir = "/run/credentials/" + ctx.unit_name;
  MountOp m;
  m.kind = MountOp::Kind::Files;
  m.target = dir.substr(1);
  m.attr = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  m.owner = plan.uid;
  // The group is root's, as systemd makes it (the modes give it nothing);
  // an unprivileged jail has no gid 0 mapped, and keeps its own.
  m.group = plan.invoked_as_root ? 0 : plan.gid;
  m.dir_mode = 0500;
  m.origin = creds.front().origin.str();
  for (auto& [name, data] : files) m.files.push_back({name, std::move(data)});
  plan.mounts.push_back(std::move(m));
  env.push_back("CREDENTIALS_DIRECTORY=" + dir);
  return {};
}

}  // namespace zjail
