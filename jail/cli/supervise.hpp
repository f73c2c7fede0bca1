// zjail exec'd by the small supervisor (handover.hpp): takes the jail back
// and supervises it on, as the launch that started it would have.
#pragma once

namespace zjail::cli {

// `spec` is ZJAIL_SUPERVISE's value; returns zjail's exit status.
int resume_supervision(const char* spec, char** argv);

}  // namespace zjail::cli
