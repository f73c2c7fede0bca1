#include "output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "zjail/fd.hpp"

namespace zjail::cli {

namespace {

std::string directory_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Status check_destination(const std::string& path, const char* option) {
  // "-" would be a file of that name: the payload's own output is what goes
  // to stdout while zjail learns.
  if (path == "-")
    return make_error(Step::Profile, 0, std::string(option) + " -: name a file (the payload's output goes to stdout)");
  struct stat st{};
  std::string dir = directory_of(path);
  if (stat(dir.c_str(), &st) != 0) return make_error(Step::Profile, errno, std::string(option) + " " + path);
  if (!S_ISDIR(st.st_mode)) return make_error(Step::Profile, ENOTDIR, std::string(option) + " " + path);
  if (access(dir.c_str(), W_OK) != 0) return make_error(Step::Profile, errno, std::string(option) + " " + path);
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return make_error(Step::Profile, EISDIR, std::string(option) + " " + path);
  return {};
}

namespace {

Status write_all(int fd, const std::string& text, const std::string& path) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(Step::Profile, n < 0 ? errno : EIO, "writing " + path);
    done += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

Status write_atomically(const std::string& path, const std::string& text) {
  // Only a regular file is replaced by a rename. Anything else the admin
  // named is written through as a shell's `>` would: a symlink to where it
  // points (/dev/stdout), a terminal, a FIFO or a character device as it is.
  // A rename would put a plain file in place of the link or the node (as root,
  // /dev/null). A block device is refused, a directory too.
  struct stat lst{};
  if (lstat(path.c_str(), &lst) == 0 && !S_ISREG(lst.st_mode)) {
    struct stat st{};
    if (stat(path.c_str(), &st) != 0) return make_error(Step::Profile, errno, "writing " + path);
    if (S_ISDIR(st.st_mode)) return make_error(Step::Profile, EISDIR, "writing " + path);
    if (S_ISBLK(st.st_mode)) return make_error(Step::Profile, ENOTSUP, "writing " + path + ", a block device");
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_TRUNC | O_NOCTTY | O_CLOEXEC));
    if (!fd) return make_error(Step::Profile, errno, "writing " + path);
    return write_all(fd.get(), text, path);
  }
  std::string tmp = path + ".XXXXXX";
  UniqueFd fd(mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd) return make_error(Step::Profile, errno, "writing " + path);
  auto fail = [&](int err) {
    unlink(tmp.c_str());
    return make_error(Step::Profile, err, "writing " + path);
  };
  if (auto st = write_all(fd.get(), text, path); !st) return fail(st.error().err);
  // A file replaced keeps its mode: what it held may have been private
  // (an export carries Environment= values). A new one is 0644.
  struct stat st{};
  mode_t mode = stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? st.st_mode & 07777 : 0644;
  if (fchmod(fd.get(), mode) < 0 || fsync(fd.get()) < 0) return fail(errno);
  if (rename(tmp.c_str(), path.c_str()) < 0) return fail(errno);
  return {};
}

}  // namespace zjail::cli
