#include "zjail/trust.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

namespace zjail {
namespace {

constexpr int kMaxLinks = 40;  // as the kernel's MAXSYMLINKS

Error untrusted(const std::string& what, const std::string& why) {
  return make_error(Step::CheckPaths, EPERM, what + " " + why);
}

bool sticky_dir(const struct stat& st) { return S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX); }

// Owner and mode rules for one resolved object: root's (or the rule's
// owner's) and writable by its owner alone, or, for the final component only,
// the rule's leaf owner's (whose own mode bits are that user's business: they
// only affect the user's files). A sticky directory may be writable by others
// where the rule lets the walk cross it (checked by the caller).
Status vet(const struct stat& st, const std::string& shown, const TrustRule& rule, bool is_leaf) {
  if (is_leaf && rule.leaf_owner != 0 && st.st_uid == rule.leaf_owner) return {};
  if (st.st_uid != 0 && (rule.owner == 0 || st.st_uid != rule.owner))
    return untrusted(shown, "is owned by uid " + std::to_string(st.st_uid) + ", not root" +
                                (rule.owner ? " or uid " + std::to_string(rule.owner) : ""));
  if (rule.cross_sticky && !is_leaf && sticky_dir(st)) return {};
  if ((S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) && (st.st_mode & (S_IWGRP | S_IWOTH))) {
    char mode[8];
    snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    return untrusted(shown, std::string("is writable by group or others (mode ") + mode + ")");
  }
  return {};
}

}  // namespace

std::deque<std::string> path_components(const std::string& path) {
  std::deque<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

bool PathWalk::next(std::string& path) {
  while (!todo_.empty()) {
    std::string comp = std::move(todo_.front());
    todo_.pop_front();
    if (comp == ".") continue;
    if (comp == "..") {
      done_.erase(done_.empty() ? 0 : done_.rfind('/'));
      continue;
    }
    path = done_ + "/" + comp;
    return true;
  }
  return false;
}

bool PathWalk::follow(const std::string& target) {
  if (++links_ > 40) return false;
  auto more = path_components(target);
  todo_.insert(todo_.begin(), more.begin(), more.end());
  if (!target.empty() && target[0] == '/') done_.clear();
  return true;
}

Result<UniqueFd> open_trusted(const std::string& path, const TrustRule& rule) {
  if (path.empty() || path[0] != '/') return make_error(Step::CheckPaths, EINVAL, path + " is not an absolute path");
  // Pending components, the next one at the back; a symlink's target is
  // pushed on top of what is left.
  std::vector<std::string> todo;
  auto push_path = [&](const std::string& p) {
    auto parts = path_components(p);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.push_back(*it);
  };
  push_path(path);

  UniqueFd cur(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!cur) return make_error(Step::CheckPaths, errno, "/");
  std::string shown = "/";
  struct stat st{};
  if (fstat(cur.get(), &st) != 0) return make_error(Step::CheckPaths, errno, "/");
  ZJAIL_TRY(vet(st, "/", TrustRule{}, false));
  // Whether `cur` is a sticky directory others may write to (then only a
  // directory may be taken in it).
  bool in_sticky = false;
  auto others_write = [](const struct stat& s) { return (s.st_mode & (S_IWGRP | S_IWOTH)) != 0; };
  std::vector<std::pair<UniqueFd, std::string>> stack;  // parents, for ".."
  int links = 0;
  while (!todo.empty()) {
    std::string comp = std::move(todo.back());
    todo.pop_back();
    bool leaf = todo.empty();
    if (comp == ".") continue;
    if (comp == "..") {
      if (!stack.empty()) {
        cur = std::move(stack.back().first);
        shown = std::move(stack.back().second);
        stack.pop_back();
        if (fstat(cur.get(), &st) != 0) return make_error(Step::CheckPaths, errno, shown);
        in_sticky = others_write(st) && sticky_dir(st);
      }
      continue;
    }
    UniqueFd next(openat(cur.get(), comp.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    std::string next_shown = (shown == "/" ? "/" : shown + "/") + comp;
    if (!next) return make_error(Step::CheckPaths, errno, next_shown);
    if (fstat(next.get(), &st) != 0) return make_error(Step::CheckPaths, errno, next_shown);
    if (in_sticky && !S_ISDIR(st.st_mode))
      return untrusted(next_shown, "lies directly in a directory others may write to (a sticky one is trusted only on the way to a directory of its own)");
    if (S_ISLNK(st.st_mode)) {
      // Its directory is trusted already; the link must be root's too.
      if (st.st_uid != 0 && (rule.owner == 0 || st.st_uid != rule.owner))
        return untrusted(next_shown, "is a symlink not owned by root");
      if (++links > kMaxLinks) return make_error(Step::CheckPaths, ELOOP, path);
      char target[PATH_MAX];
      ssize_t n = readlinkat(next.get(), "", target, sizeof target - 1);
      if (n < 0) return make_error(Step::CheckPaths, errno, next_shown);
      target[n] = '\0';
      push_path(target);
      if (target[0] == '/') {
        stack.clear();
        cur.reset(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!cur) return make_error(Step::CheckPaths, errno, "/");
        shown = "/";
        in_sticky = false;
      }
      continue;
    }
    bool final_leaf = leaf;
    ZJAIL_TRY(vet(st, next_shown, rule, final_leaf));
    if (!final_leaf && !S_ISDIR(st.st_mode)) return make_error(Step::CheckPaths, ENOTDIR, next_shown);
    if (final_leaf && rule.leaf_must_be_dir && !S_ISDIR(st.st_mode))
      return make_error(Step::CheckPaths, ENOTDIR, next_shown);
    in_sticky = !final_leaf && others_write(st) && sticky_dir(st);
    stack.emplace_back(std::move(cur), shown);
    cur = std::move(next);
    shown = next_shown;
  }
  return cur;
}

Result<UniqueFd> reopen_for_reading(int path_fd, const std::string& shown) {
  std::string proc = "/proc/self/fd/" + std::to_string(path_fd);
  UniqueFd rd(open(proc.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!rd) return make_error(Step::CheckPaths, errno, shown);
  return rd;
}

Result<UniqueFd> open_trusted_file(const std::string& path) {
  ZJAIL_TRY_ASSIGN(auto fd, open_trusted(path));
  struct stat st{};
  if (fstat(fd.get(), &st) != 0) return make_error(Step::CheckPaths, errno, path);
  if (!S_ISREG(st.st_mode)) return make_error(Step::CheckPaths, EINVAL, path + " is not a regular file");
  // Reopen the vetted object itself for reading, not the path again.
  return reopen_for_reading(fd.get(), path);
}

}  // namespace zjail
