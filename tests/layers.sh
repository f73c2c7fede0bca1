#!/usr/bin/env bash
# The core's layers, checked so that no backward include creeps back in:
# the code that runs after clone (jail/src/child) sees the plan and nothing
# of the parent (no profile, no live objects, no launch.hpp), and the value
# syntax sits below the directives and the parser that use it.
#
#   layers.sh SOURCE_DIR
set -euo pipefail
root=$1/jail
failed=0

# FILE ALLOWED: every #include "..." of FILE must match the regex ALLOWED.
allow() {
  local file=$1 allowed=$2 inc
  [[ -f $root/$file ]] || { echo "FAIL: $file is missing (update tests/layers.sh)"; failed=1; return; }
  while read -r inc; do
    [[ $inc =~ ^($allowed)$ ]] && continue
    echo "FAIL: $file includes \"$inc\" (allowed: $allowed)"
    failed=1
  done < <(sed -n 's/^#include "\(.*\)".*/\1/p' "$root/$file")
}

# After clone: the child's own headers, the plan and what the plan is made of.
for f in $(cd "$root" && ls src/child/*.cpp src/child/*.hpp); do
  allow "$f" 'child\.hpp|privileges\.hpp|init_serve\.hpp|zjail/(plan|memory|result|forwarded_signals)\.hpp'
done
# The small init: the init's loop and leaf headers, none of zjail.
allow init/main.cpp 'init_serve\.hpp|supervise\.hpp|zjail/(memory|result|supervise_env)\.hpp'
allow init/supervise.cpp 'supervise\.hpp|sys\.hpp|zjail/(result|supervise_env)\.hpp'
allow init/sys.cpp 'sys\.hpp'
allow include/zjail/supervise_env.hpp ''
allow include/zjail/plan.hpp 'zjail/(fault|fd|forwarded_signals|landlock|network|result)\.hpp'
allow include/zjail/network.hpp 'zjail/(fd|result)\.hpp'
allow include/zjail/fault.hpp 'zjail/result\.hpp'
allow include/zjail/landlock.hpp 'zjail/(fd|result)\.hpp'
allow include/zjail/result.hpp 'zjail/step\.hpp'
allow include/zjail/memory.hpp 'zjail/fd\.hpp'
for f in include/zjail/step.hpp include/zjail/fd.hpp include/zjail/forwarded_signals.hpp; do allow "$f" ''; done

# The value syntax: below the directives, the parser and --show.
allow src/syntax.hpp 'zjail/(profile|result)\.hpp'
allow src/syntax.cpp 'syntax\.hpp'

((failed == 0)) && echo "layers: the child sees only the plan; the value syntax uses no directive"
exit "$failed"
