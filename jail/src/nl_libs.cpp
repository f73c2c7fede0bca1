#include "nl_libs.hpp"

namespace zjail {

Result<NetLibs> load_net_libs() {
  NetLibs l;
  auto open = [](DlHandle& h, const char* name) -> Status {
    h.reset(dlopen(name, RTLD_NOW | RTLD_LOCAL));
    if (!h) return make_error(Step::Network, ENOENT, std::string("loading ") + name + ": " + dlerror());
    return {};
  };
  ZJAIL_TRY(open(l.mnl, "libmnl.so.0"));
  ZJAIL_TRY(open(l.nftnl, "libnftnl.so.11"));
  const char* missing = nullptr;
#define ZJAIL_NL_LOAD(lib, f) \
  if (!missing && !sym(l.lib.get(), #f, l.f)) missing = #f;
#define ZJAIL_MNL_LOAD(f) ZJAIL_NL_LOAD(mnl, f)
#define ZJAIL_NFTNL_LOAD(f) ZJAIL_NL_LOAD(nftnl, f)
  ZJAIL_MNL_FUNCTIONS(ZJAIL_MNL_LOAD)
  ZJAIL_NFTNL_FUNCTIONS(ZJAIL_NFTNL_LOAD)
#undef ZJAIL_NL_LOAD
#undef ZJAIL_MNL_LOAD
#undef ZJAIL_NFTNL_LOAD
  if (missing) return make_error(Step::Network, ENOSYS, std::string("libmnl/libnftnl lacks ") + missing);
  return l;
}

}  // namespace zjail
