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
# shellcheck source=tests/ccache.sh
source "$repo/tests/ccache.sh"

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

# The unit and root tiers again, with zjail and the tests built under ASan
# and UBSan (ZJAIL_SANITIZE): any report aborts the process, so fails its test.
# Skipped there: valgrind (cannot run an ASan binary), the churn test (timing,
# not memory errors), shed_memory (resident sizes of an instrumented binary),
# the package build, the VM, and pam_zjail.so's tests (an ASan module cannot
# be dlopened by an uninstrumented sshd or pamtester).
if [[ ${ZJAIL_SKIP_SANITIZE:-} != 1 ]]; then
  asan=${ZJAIL_ASAN_BUILD_DIR:-$build-asan}
  echo "run-all: sanitizers: building $asan"
  if cmake -S "$repo" -B "$asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
       -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" -DZJAIL_SANITIZE=address,undefined \
       -DZJAIL_FAULT_INJECTION=OFF -DZJAIL_WERROR=OFF >"$asan.log" 2>&1 &&
     cmake --build "$asan" -j "$(nproc 2>/dev/null || echo 2)" >>"$asan.log" 2>&1; then
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    # Two seccomp tests fork a child into an allow list so narrow (or so
    # noisy, SECCOMP_RET_LOG on every call) that the sanitizer runtime spins
    # in it; they run in the plain unit tier. A hang fails fast, not after
    # ctest's 25 minutes.
    ctest --test-dir "$asan" -L '^unit$' -E '^Seccomp\.(AllowListsKeepExecveAndExit|LogActionAndSystemCallLog)$' \
      -j "$(nproc 2>/dev/null || echo 2)" --timeout 120 --output-on-failure ||
      failed+=(asan-unit)
    # The root tier: every launch, escape probe and error path with zjail
    # itself under ASan and UBSan, LeakSanitizer over a whole launch
    # (leaks_lsan) among them.
    # The firewall, forward and pasta module tests drive the kernel's
    # nftables and pasta with real traffic for two minutes; their code runs
    # under the sanitizers through JailNetwork.*, which launches this zjail.
    # The escape battery runs here as Battery/FullBattery: every probe, in
    # one sanitized jail per profile, answered by the same supervisor code;
    # one jail per probe and profile (Battery/Escape.IsBlocked, 425 launches,
    # about 25 minutes under ASan) is the release tier's. So is Scale.*:
    # 1,000 jails at once would be 2,000 sanitized zjail processes (each
    # with ASan's shadow memory) on 2 cores, testing scale, not memory errors.
    # HostLimits.* holds zjail in a pids cgroup of one or two processes:
    # LeakSanitizer's exit check needs a thread of its own there, and fails.
    ctest --test-dir "$asan" -L '^root$' \
      -E '^(package_deb|leaks_valgrind|churn_scale|shed_memory|pam_.*|(Filter|Forward|PastaTest|Scale|HostLimits)\..*|Battery/Escape\.IsBlocked/.*)$' -j 1 \
      --timeout 300 --output-on-failure || failed+=(asan-root)
  else
    tail -n 50 "$asan.log" >&2
    failed+=(asan-build)
  fi
fi

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
