#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# ZJAIL_FUZZ_SECONDS (default 60) on a corpus seeded with every shipped
# profile, after replaying every input in tests/fuzz/regressions/<target>/.
# Any crash or sanitizer report fails the run.
#
#   bash tests/fuzz/run.sh            # ZJAIL_FUZZ_BUILD_DIR, ZJAIL_FUZZ_SECONDS
set -euo pipefail
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
build=${ZJAIL_FUZZ_BUILD_DIR:-$repo/build-fuzz}
seconds=${ZJAIL_FUZZ_SECONDS:-60}

command -v clang++ >/dev/null || { echo "fuzz: clang++ missing (apt-get install clang libclang-rt-dev)" >&2; exit 1; }
cmake -S "$repo" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
  -DZJAIL_FUZZ=ON -DBUILD_TESTING=OFF -DZJAIL_WERROR=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.log" 2>&1 ||
  { tail -n 50 "$build.log"; exit 1; }
cmake --build "$build" -j "$(nproc)" --target profile_fuzz directive_fuzz pamconf_fuzz cli_fuzz >>"$build.log" 2>&1 ||
  { tail -n 50 "$build.log"; exit 1; }

corpus=$build/corpus
mkdir -p "$corpus/profile" "$corpus/directive" "$corpus/pamconf" "$corpus/cli"
cp "$repo"/profiles/*.profile "$corpus/profile/"
for d in User=nobody "BindPaths=-/a:/b:norbind" "SystemCallFilter=~@mount @debug" \
         "Environment=\"A=b c\"" LimitNOFILE=1K:4K MemoryMax=64M "CPUQuota=20%"; do
  printf '%s' "$d" >"$corpus/directive/$(printf '%s' "$d" | md5sum | cut -c1-12)"
done

printf '@jailed ssh-restricted\nalice sftp-only # x\nbob /etc/zjail/profiles/b.profile\n* -\n' >"$corpus/pamconf/seed"

# Command lines: argv split at NUL, each shipped profile among them.
i=0
for p in "$repo"/profiles/*.profile; do
  printf -- '--profile\0%s\0--check' "$p" >"$corpus/cli/profile-$((i++))"
done
for c in "--user\0nobody\0--bind\0/a:/b\0--\0/bin/true" "-p\0base-service\0--rlimit\0nofile=1:2\0sh" \
         "--analyze\0--json\0--threshold\0005.5" "--tmpfs\0/x:size=1M\0--setenv\0A=b c\0--keep-tty\0-vv\0true" \
         "--network\0host\0--capability\0CAP_NET_BIND_SERVICE\0--syscall-filter\0~@mount\0x"; do
  printf -- "$c" >"$corpus/cli/seed-$((i++))"
done

failed=0
for target in profile directive pamconf cli; do
  # Inputs that once crashed a target (tests/fuzz/regressions/<target>/)
  # are replayed first, each once.
  regressions=("$repo/tests/fuzz/regressions/$target"/*)
  if [[ -e ${regressions[0]} ]]; then
    if ! "$build/tests/fuzz/${target}_fuzz" "${regressions[@]}" >"$build/${target}-regressions.log" 2>&1; then
      echo "fuzz: ${target}_fuzz FAILED on a regression input" >&2
      tail -n 40 "$build/${target}-regressions.log" >&2
      failed=1
    else
      echo "fuzz: ${target}_fuzz: ${#regressions[@]} regression input(s) pass"
    fi
  fi
  echo "fuzz: ${target}_fuzz for ${seconds}s"
  if ! "$build/tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$build/${target}-" "$corpus/$target" >"$build/${target}.log" 2>&1; then
    echo "fuzz: ${target}_fuzz FAILED" >&2
    tail -n 40 "$build/${target}.log" >&2
    failed=1
  fi
  grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$build/${target}.log" | tail -n 2
done
exit "$failed"
