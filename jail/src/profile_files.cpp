// Reading profile files under a trust policy. A profile decides what a jail
// may see and do, so when root reads one, every file and directory it comes
// from must be out of reach of everyone but root, as sudo demands of
// sudoers: the profile, each Include= target, each drop-in directory (others
// could add a drop-in to it) and each drop-in.
#include "profile_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <memory>

#include "zjail/fd.hpp"
#include "zjail/users.hpp"

namespace zjail {
namespace {

// open_trusted() wants an absolute path; a relative one is taken from the
// current directory, whose ancestors are then checked too.
std::string absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  std::error_code ec;
  auto a = std::filesystem::absolute(path, ec);
  return ec ? path : a.string();
}

// A refusal by open_trusted, reworded for the loader: "WHAT PATH ..." when
// the object itself is at fault, "WHAT PATH: COMPONENT ..." when a directory
// above it is, and the policy's hint for an ownership or mode problem.
Error refused(const char* what, const std::string& path, const Error& e, const ProfileTrust& trust) {
  std::string abs = absolute(path);
  std::string context = std::string(what) + path;
  if (e.context.starts_with(abs + " ")) context += e.context.substr(abs.size());
  else if (e.context != abs && e.context != path) context += ": " + e.context;
  if (e.err == EPERM) context += trust.hint;
  return make_error(Step::Profile, e.err, context);
}

// An O_PATH fd of `path`, checked by the policy when it asks for checks.
Result<UniqueFd> open_path(const std::string& path, const char* what, const ProfileTrust& trust, bool dir) {
  if (trust.check) {
    TrustRule rule = trust.rule;
    rule.leaf_must_be_dir = dir;
    auto fd = open_trusted(absolute(path), rule);
    if (!fd) return refused(what, path, fd.error(), trust);
    return fd;
  }
  UniqueFd fd(::open(path.c_str(), O_PATH | O_CLOEXEC | (dir ? O_DIRECTORY : 0)));
  if (!fd) return make_error(Step::Profile, errno, std::string(what) + path);
  return fd;
}

bool is_dev_null(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3); }

const char* kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  return "not a regular file";
}

struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};

}  // namespace

Result<std::string> read_profile_file(const std::string& path, const char* what, const ProfileTrust& trust) {
  // /dev/null masks a drop-in, as in systemd. Anything else that is not a
  // regular file could block the read (a FIFO) or be anything at all (a
  // device), and is refused before it is opened.
  auto not_regular = [&](const struct stat& st) {
    return make_error(Step::Profile, S_ISDIR(st.st_mode) ? EISDIR : EINVAL,
                      std::string(what) + path + " is " + kind_of(st.st_mode) + ", not a regular file");
  };
  struct stat st{};
  // Said first, in the same words for everyone: the trusted walk would stop
  // at /dev/stdin's magic link with a less helpful error.
  if (trust.check && stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !is_dev_null(st)) return not_regular(st);
  ZJAIL_TRY_ASSIGN(auto pfd, open_path(path, what, trust, false));
  if (fstat(pfd.get(), &st) != 0) return make_error(Step::Profile, errno, path);
  if (is_dev_null(st)) return std::string();
  if (!S_ISREG(st.st_mode)) return not_regular(st);
  auto fd = reopen_for_reading(pfd.get(), path);
  if (!fd) return std::move(fd).error().wrap(Step::Profile, "");
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(Step::Profile, errno, path);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > (1u << 20)) return make_error(Step::Profile, EFBIG, path);
  }
  return text;
}

Status add_dropins(const std::string& dir, const ProfileTrust& trust, std::map<std::string, std::string>& chosen) {
  auto dfd = open_path(dir, "drop-in directory ", trust, true);
  if (!dfd) {
    int err = dfd.error().err;
    if (err == ENOENT || err == ENOTDIR) return {};
    return std::move(dfd).error();
  }
  // The listing comes from the checked directory itself.
  int rd = openat(dfd->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rd < 0) return make_error(Step::Profile, errno, "drop-in directory " + dir);
  std::unique_ptr<DIR, DirCloser> d(fdopendir(rd));
  if (!d) {
    int err = errno;
    close(rd);
    return make_error(Step::Profile, err, "drop-in directory " + dir);
  }
  while (dirent* e = readdir(d.get())) {
    std::string file = e->d_name;
    if (file.size() <= 5 || !file.ends_with(".conf")) continue;
    // Subdirectories are skipped; everything else is the reader's to judge.
    struct stat st{};
    if (fstatat(dfd->get(), file.c_str(), &st, 0) == 0 && S_ISDIR(st.st_mode)) continue;
    chosen.emplace(file, dir + "/" + file);
  }
  return {};
}

Result<ProfileTrust> caller_profile_trust(uid_t euid, const char* owner) {
  ProfileTrust t = ProfileTrust::root_only();
  t.rule.cross_sticky = true;
  if (euid != 0) {
    // An unprivileged caller's jail is still a sandbox for code the caller
    // does not trust: no other local user may add to it, as sshd's
    // StrictModes keeps others out of authorized_keys.
    t.rule.owner = euid;
    t.hint = " (zjail reads only profiles that root or the caller alone can write)";
    return t;
  }
  t.hint = " (as root, zjail reads only profiles that root alone can write: see ZJAIL_PROFILE_OWNER in zjail(1))";
  if (owner && *owner) {
    auto u = lookup_user(owner);
    if (!u) return std::move(u).error().wrap(Step::Profile, "ZJAIL_PROFILE_OWNER");
    t.rule.owner = u->uid;
  }
  return t;
}

}  // namespace zjail
