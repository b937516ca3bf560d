#!/usr/bin/env bash
# Runs every test: installs what is missing, builds the solution, runs all test projects (unit, integration
# against real servers, end-to-end through the gateway, architecture) and prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash eng/install-prerequisites.sh || exit 1
configuration=${CONFIGURATION:-Release}
dotnet build Library.Aspire.sln -c "$configuration" -nologo -v quiet -clp:ErrorsOnly || exit 1

log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet test --solution Library.Aspire.sln -c "$configuration" --no-build "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The runner's own summary ("succeeded: N", "failed: N") is turned into the one line CI reads.
passed=$(grep -E '^\s+succeeded: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
failed=$(grep -E '^\s+failed: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
skipped=$(grep -E '^\s+skipped: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1   # the run failed without reporting a failed test (a crash, a build problem): never report green
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
