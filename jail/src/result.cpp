#include "zjail/result.hpp"

#include <cstring>

namespace zjail {

std::string Error::detail() const {
  std::string m = context;
  if (err != 0) {
    if (!m.empty()) m += ": ";
    m += std::strerror(err);
  }
  return m;
}

std::string Error::message() const {
  std::string m = detail();
  // Profile errors already read "file:line: message"; the step adds nothing.
  if (step != Step::Profile) {
    m += " (step: ";
    m += step_name(step);
    m += ")";
  }
  return m;
}

}  // namespace zjail
