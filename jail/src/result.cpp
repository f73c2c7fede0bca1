#include "zjail/result.hpp"

#include <cstdlib>
#include <cstring>

#include "zjail/text.hpp"

namespace zjail {

std::string Error::detail() const {
  std::string m = context;
  if (err != 0) {
    if (!m.empty()) m += ": ";
    m += std::strerror(err);
  }
  if (!trail.empty()) {
    if (!m.empty()) m += ' ';
    m += trail;
  }
  // An error is one line, and its paths and values come from outside: a
  // newline in a file name must not forge the next line of the journal.
  return escape_unprintable(m);
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

Error Error::wrap(std::string_view outer) && {
  if (!outer.empty()) context = context.empty() ? std::string(outer) : std::string(outer) + ": " + context;
  return std::move(*this);
}

Error Error::wrap(Step at, std::string_view outer) && {
  step = at;
  return std::move(*this).wrap(outer);
}

void bad_result_access() noexcept { std::abort(); }

}  // namespace zjail
