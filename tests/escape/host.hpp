// battery host-setup (host.cpp): the host side of a battery run by hand.
#pragma once

namespace zjail_escape {

int host_setup(int argc, char** argv);

}  // namespace zjail_escape
