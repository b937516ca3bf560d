#!/usr/bin/env bash
# Runs every test: installs what is missing, builds the solution, runs all test projects (unit, integration
# against real servers, end-to-end through the Gateway, chaos, architecture) under Microsoft.Testing.Platform,
# prints how long each phase and each test project took, and ends with "N passed, N failed, N skipped".
# Arguments go to `dotnet test` (e.g. -- --filter-class "*BorrowSagaTests").
set -uo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
phase_start=$started
phases=()
phase() { local now; now=$(date +%s); phases+=("$(printf '%-10s %5d s' "$1" $((now - phase_start)))"); phase_start=$now; }

bash eng/install-prerequisites.sh --tests || exit 1
phase install
configuration=${CONFIGURATION:-Release}
dotnet build Library.Aspire.sln -c "$configuration" -nologo -v quiet -clp:ErrorsOnly || exit 1
phase build

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Two test projects at a time: each starts real servers (most, a whole system) on 2 cores.
rm -f "tests/EndToEnd.Tests/bin/$configuration/net10.0/fuzz-summary.txt"   # written by this run's fuzzer only
dotnet test --solution Library.Aspire.sln -c "$configuration" --no-build --max-parallel-test-modules 2 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
phase tests

echo
echo "Phases:"
printf '  %s\n' "${phases[@]}"
echo "Test projects (each one's own wall time; two run at once):"
grep -a -E '^\s+/.*\.Tests\.dll \(net10\.0\|x64\) (passed|failed)' "$log" | sed -E 's#^\s+/.*/([A-Za-z.]+)\.dll \(net10\.0\|x64\) (passed|failed( with [0-9]+ error\(s\))?) \(([^)]*)\)$#  \1 \2 \4#' | sort -u
echo "Total: $(( $(date +%s) - started )) s"
fuzz_summary="tests/EndToEnd.Tests/bin/$configuration/net10.0/fuzz-summary.txt"
if [ -f "$fuzz_summary" ]; then
  cat "$fuzz_summary"
fi

# The runner's own summary ("succeeded: N", "failed: N") is turned into the one line CI reads.
passed=$(grep -a -E '^\s+succeeded: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
failed=$(grep -a -E '^\s+failed: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
skipped=$(grep -a -E '^\s+skipped: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1   # the run failed without reporting a failed test (a crash, a build problem): never report green
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
