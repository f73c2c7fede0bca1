#include "dir_entries.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace zjail {

int entry_names(int dir, std::vector<std::string>& out) {
  int copy = fcntl(dir, F_DUPFD_CLOEXEC, 0);
  DIR* d = copy < 0 ? nullptr : fdopendir(copy);
  if (!d) {
    int e = errno;
    if (copy >= 0) close(copy);
    return e;
  }
  rewinddir(d);
  errno = 0;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(std::move(name));
  }
  int e = errno;
  closedir(d);
  return e;
}

}  // namespace zjail
