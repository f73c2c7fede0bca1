#!/bin/bash
# The bash completion (completion/zjail) completes options, profile names
# from the search path as zjail itself lists them, option values, and hands
# over to the command's own completion after COMMAND.
#
#   completion_test.sh ZJAIL_BINARY COMPLETION_FILE
set -euo pipefail
zjail=$1 completion=$2
bc=/usr/share/bash-completion/bash_completion
[[ -r $bc ]] || { echo "SKIP: bash-completion is not installed"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
mkdir -p "$tmp/profiles"
printf '[Jail]\n' >"$tmp/profiles/alpha-test.profile"
printf '[Jail]\n' >"$tmp/profiles/alpine-test.profile"
export ZJAIL_PROFILE_PATH=$tmp/profiles

set +eu  # bash_completion is not written for -eu
# shellcheck source=/dev/null
source "$bc"
# shellcheck source=/dev/null
source "$completion"

failed=0
# complete LINE: COMPREPLY for the cursor at the end of LINE, as bash sets it.
complete_line() {
  # The binary under test stands for "zjail": --list-profiles runs it.
  COMP_LINE=$zjail${1#zjail}
  COMP_POINT=${#COMP_LINE}
  read -r -a COMP_WORDS <<<"$COMP_LINE"
  [[ $COMP_LINE == *' ' ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _zjail 2>/dev/null
}
expect() {
  local what=$1 line=$2
  shift 2
  complete_line "$line"
  local got=" ${COMPREPLY[*]} " want
  for want in "$@"; do
    if [[ $got != *" $want "* ]]; then
      echo "FAIL: $what: '$line' completes to [${COMPREPLY[*]}], not containing '$want'"
      failed=1
      return
    fi
  done
  echo "ok: $what"
}
expect_none() {
  local what=$1 line=$2 unwanted=$3
  complete_line "$line"
  if [[ " ${COMPREPLY[*]} " == *" $unwanted "* ]]; then
    echo "FAIL: $what: '$line' offers '$unwanted'"
    failed=1
  else
    echo "ok: $what"
  fi
}

expect "options" "zjail --pro" --profile
expect "analyze options" "zjail --ana" --analyze
expect "every option" "zjail --" --profile --bind --check --show --list-profiles --analyze --unit --json --threshold
expect "profile names from the search path" "zjail --profile alp" alpha-test alpine-test
expect "short -p too" "zjail -p alpha" alpha-test
expect_none "only matching profiles" "zjail --profile alpi" alpha-test
expect "--network values" "zjail --network " private host
expect "after COMMAND, the command's own words" "zjail --profile alpha-test -- bas" bash
expect_none "after COMMAND, no zjail options" "zjail -p alpha-test /bin/ls --pro" --profile
expect "verbs as the first word" "zjail chec" check
expect "syscall groups after the verb" "zjail syscall-groups @mou" @mount
expect "options after a verb" "zjail check --pro" --profile
expect "profiles after a verb" "zjail check -p alp" alpha-test
exit "$failed"
