#!/usr/bin/env bash
# The release zjail carries no fault-injection hook: neither the variable's
# name nor its parser is in the binary (and the test build has both).
#
#   release_no_hook.sh ZJAIL ZJAIL_FAULTINJECT
set -euo pipefail
zjail=$1 faulty=$2
grep -q ZJAIL_FAULT_STEP "$faulty" || { echo "FAIL: $faulty lacks the hook (test is blind)"; exit 1; }
if grep -q ZJAIL_FAULT_STEP "$zjail"; then echo "FAIL: $zjail contains ZJAIL_FAULT_STEP"; exit 1; fi
if nm -C "$zjail" 2>/dev/null | grep -q parse_fault; then echo "FAIL: $zjail contains parse_fault"; exit 1; fi
echo "ok: $zjail has no fault-injection hook"
