// TEMPORARY: replaced by the format's module.
#include "export_internal.hpp"
namespace zjail::exporting {
Result<std::string> export_systemd(const Source&) { return make_error(Step::Plan, ENOSYS, "export: systemd is not built yet"); }
}  // namespace zjail::exporting
