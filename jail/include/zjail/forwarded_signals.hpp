// Signals zjail passes on to the payload: zjail's supervisor forwards them
// to the jail's init (launch.cpp), and the init to the payload
// (child/init_serve.cpp). A header of its own: the small init includes it.
#pragma once
#include <signal.h>

namespace zjail {

inline constexpr int kForwardedSignals[] = {SIGHUP,  SIGINT,  SIGQUIT,  SIGTERM, SIGUSR1,
                                            SIGUSR2, SIGALRM, SIGWINCH, SIGCONT};

}  // namespace zjail
