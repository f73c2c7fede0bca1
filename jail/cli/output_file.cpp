#include "output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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
  struct stat st{};
  std::string dir = directory_of(path);
  if (stat(dir.c_str(), &st) != 0) return make_error(Step::Profile, errno, std::string(option) + " " + path);
  if (!S_ISDIR(st.st_mode)) return make_error(Step::Profile, ENOTDIR, std::string(option) + " " + path);
  if (access(dir.c_str(), W_OK) != 0) return make_error(Step::Profile, errno, std::string(option) + " " + path);
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return make_error(Step::Profile, EISDIR, std::string(option) + " " + path);
  return {};
}

Status write_atomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".XXXXXX";
  UniqueFd fd(mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd) return make_error(Step::Profile, errno, "writing " + path);
  auto fail = [&](int err) {
    unlink(tmp.c_str());
    return make_error(Step::Profile, err, "writing " + path);
  };
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(errno);
    done += static_cast<size_t>(n);
  }
  // A file replaced keeps its mode: what it held may have been private
  // (an export carries Environment= values). A new one is 0644.
  struct stat st{};
  mode_t mode = stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? st.st_mode & 07777 : 0644;
  if (fchmod(fd.get(), mode) < 0 || fsync(fd.get()) < 0) return fail(errno);
  if (rename(tmp.c_str(), path.c_str()) < 0) return fail(errno);
  return {};
}

}  // namespace zjail::cli
