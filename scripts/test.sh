#!/usr/bin/env bash
# The whole test suite: the typecheck, the TypeScript tests (node's test runner), then the Python
# harness's (pytest), ending with one line of totals. Everything the tests write to a temp folder
# goes under one TMPDIR of their own, removed at the end, so nothing is left in /tmp.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tmp="$(mktemp -d "${TMPDIR:-/tmp}/tritonize-test-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
export TMPDIR="$tmp"
reports="$(mktemp -d "$tmp/reports-XXXXXX")"

npm run --silent typecheck || { echo "tests not run: the typecheck failed"; exit 1; }

# shellcheck disable=SC2046
npx tsx --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$reports/ts.tap" $(find src -name '*.test.ts' | sort)
ts_status=$?
bash scripts/pytest.sh 2>&1 | tee "$reports/py.log"
py_status=${PIPESTATUS[0]}

count() { # count FILE PATTERN: the number after the pattern's last match, or 0
  local n
  n="$(grep -oE "$2" "$1" 2>/dev/null | tail -1 | grep -oE '[0-9]+')"
  echo "${n:-0}"
}
ts_pass=$(count "$reports/ts.tap" '^# pass [0-9]+')
ts_fail=$(count "$reports/ts.tap" '^# fail [0-9]+')
ts_skip=$(count "$reports/ts.tap" '^# skipped [0-9]+')
py_summary="$(grep -E '[0-9]+ (passed|failed|skipped|errors?)' "$reports/py.log" | tail -1)"
py_pass=$(echo "$py_summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || true)
py_fail=$(echo "$py_summary" | grep -oE '[0-9]+ (failed|errors?)' | awk '{ s += $1 } END { print s + 0 }')
py_skip=$(echo "$py_summary" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+' || true)
passed=$((ts_pass + ${py_pass:-0}))
failed=$((ts_fail + ${py_fail:-0}))
skipped=$((ts_skip + ${py_skip:-0}))
echo
echo "${passed} passed, ${failed} failed, ${skipped} skipped (TypeScript ${ts_pass}/${ts_fail}/${ts_skip}, Python ${py_pass:-0}/${py_fail:-0}/${py_skip:-0})"
if [ "$ts_status" -ne 0 ] || [ "$py_status" -ne 0 ]; then exit 1; fi
