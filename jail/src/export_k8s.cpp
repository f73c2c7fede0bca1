// TEMPORARY: replaced by the format's module.
#include "export_internal.hpp"
namespace zjail::exporting {
Result<std::string> export_k8s(const Source&) { return make_error(Step::Plan, ENOSYS, "export: k8s is not built yet"); }
}  // namespace zjail::exporting
