#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test tier that is present
# (ctest labels unit, root, system), then the echo demo as an end-to-end check.
# Tiers that fail do not stop the others; the exit status is non-zero if any
# failed.
#
# ZJAIL_BUILD_DIR chooses the build directory (default: <repo>/build).
# ZJAIL_TIERS chooses the tiers (default: "unit root system"); the system tier
# boots a VM and skips itself (ctest exit 77) where that is impossible.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
build=${ZJAIL_BUILD_DIR:-$repo/build}

bash "$repo/tests/setup.sh"

read -r -a tiers <<<"${ZJAIL_TIERS:-unit root system}"
failed=()
ran=0
for tier in "${tiers[@]}"; do
  count=$(ctest --test-dir "$build" -N -L "^${tier}\$" | sed -n 's/^Total Tests: //p')
  if ((${count:-0} == 0)); then
    echo "run-all: tier $tier: no tests"
    continue
  fi
  echo "run-all: tier $tier: $count tests"
  # Unit tests are independent and unprivileged; the others share the host
  # (ports, mounts, processes) and run one at a time.
  jobs=1
  [[ $tier == unit ]] && jobs=$(nproc 2>/dev/null || echo 2)
  ran=$((ran + count))
  if ! ctest --test-dir "$build" -L "^${tier}\$" -j "$jobs" --output-on-failure; then
    failed+=("$tier")
  fi
done
((ran > 0)) || failed+=("(no tests found)")

# The parsers under libFuzzer with ASan and UBSan, a short run of each target
# (ZJAIL_FUZZ_SECONDS, default 60).
if [[ ${ZJAIL_SKIP_FUZZ:-} != 1 ]]; then
  echo "run-all: fuzz: tests/fuzz/run.sh"
  if ! ZJAIL_FUZZ_BUILD_DIR=${ZJAIL_FUZZ_BUILD_DIR:-$build-fuzz} bash "$repo/tests/fuzz/run.sh"; then
    failed+=(fuzz)
  fi
fi

echo "run-all: end to end: examples/demo.sh"
if ! bash "$repo/examples/demo.sh"; then
  failed+=(demo)
fi

if ((${#failed[@]})); then
  echo "run-all: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "run-all: all passed"
