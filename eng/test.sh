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
rm -f "tests/Chaos.Tests/bin/$configuration/net10.0/chaos-under-load.md"   # this run's chaos under load only
rm -rf TestResults   # hang dumps and their lists of running tests, this run's only
# A module that runs past its deadline is dumped, the tests still running are named, and it is ended: a hang costs
# one module's deadline, never the CI's whole limit. The run as a whole has a deadline too, for a hang outside any
# test host. Output goes to a file, not a pipe, so a process that outlives its test cannot hold the run open.
module_timeout=${LIBRARY_TEST_MODULE_TIMEOUT:-20m}
run_deadline=$(( $(date +%s) + ${LIBRARY_TEST_TIMEOUT_MINUTES:-40} * 60 ))
# Every process this run starts inherits this mark, so whatever outlives the run can be found and ended by PID.
export LIBRARY_TEST_RUN="$$-$started"
dotnet test --solution Library.Aspire.sln -c "$configuration" --no-build --max-parallel-test-modules 2 \
  --hangdump --hangdump-timeout "$module_timeout" --hangdump-type Mini "$@" > "$log" 2>&1 < /dev/null &
tests_pid=$!
tail -n +1 -F --pid="$tests_pid" "$log" 2>/dev/null &
tail_pid=$!
while kill -0 "$tests_pid" 2>/dev/null; do
  if [ "$(date +%s)" -ge "$run_deadline" ]; then
    echo "TEST RUN PAST ITS DEADLINE (${LIBRARY_TEST_TIMEOUT_MINUTES:-40} min): ending dotnet test (PID $tests_pid)"
    kill -TERM "$tests_pid" 2>/dev/null; sleep 30; kill -KILL "$tests_pid" 2>/dev/null
    break
  fi
  sleep 2
done
wait "$tests_pid"
status=$?
wait "$tail_pid" 2>/dev/null

# Processes of this run still alive: named, then ended (SIGTERM, then SIGKILL). Builtins only, so that no helper
# process of this script carries the mark.
run_leftovers() {
  local environ pid entry
  leftovers=()
  for environ in /proc/[0-9]*/environ; do
    pid=${environ#/proc/}; pid=${pid%/environ}
    [ "$pid" = "$$" ] && continue
    while IFS= read -r -d '' entry; do
      if [ "$entry" = "LIBRARY_TEST_RUN=$LIBRARY_TEST_RUN" ]; then leftovers+=("$pid"); break; fi
    done 2>/dev/null < "$environ"
  done
}
# The orchestrator tears a test system down on its own once the test host is gone: give it a moment first.
run_leftovers
for _ in $(seq 20); do
  [ "${#leftovers[@]}" -eq 0 ] && break
  sleep 1
  run_leftovers
done
if [ "${#leftovers[@]}" -gt 0 ]; then
  echo "LEFT BEHIND by the tests (ended now):"
  for pid in "${leftovers[@]}"; do echo "  $pid $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-200)"; done
  kill -TERM "${leftovers[@]}" 2>/dev/null; sleep 5
  run_leftovers
  [ "${#leftovers[@]}" -gt 0 ] && kill -KILL "${leftovers[@]}" 2>/dev/null
fi
phase tests

echo
echo "Phases:"
printf '  %s\n' "${phases[@]}"
echo "Test projects (each one's own wall time; two run at once):"
grep -a -E '^\s+/.*\.Tests\.dll \(net10\.0\|x64\) (passed|failed)' "$log" | sed -E 's#^\s+/.*/([A-Za-z.]+)\.dll \(net10\.0\|x64\) (passed|failed( with [0-9]+ error\(s\))?) \(([^)]*)\)$#  \1 \2 \4#' | sort -u
echo "Total: $(( $(date +%s) - started )) s"
for hang in TestResults/*_hang.log; do
  [ -f "$hang" ] || continue
  echo "HUNG past ${module_timeout}: $(basename "$hang" _hang.log); tests still running (elapsed, name):"
  sed 's/^/  /' "$hang"
done
chaos_report="tests/Chaos.Tests/bin/$configuration/net10.0/chaos-under-load.md"
if [ -f "$chaos_report" ]; then
  cat "$chaos_report"
fi
fuzz_summary="tests/EndToEnd.Tests/bin/$configuration/net10.0/fuzz-summary.txt"
if [ -f "$fuzz_summary" ]; then
  cat "$fuzz_summary"
fi

# Failed tests last, just above the closing line, so that a reader who sees only the end of the output sees them:
# each test's name and the first lines of what it said, without the stack.
if grep -a -q -E '^failed ' "$log"; then
  echo "Failed tests (name, then what it said):"
  awk '
    /^failed / { print "  " substr($0, 1, 300); shown = 0; inside = 1; next }
    inside && /^    at / { inside = 0; next }
    inside && /^  from / { next }
    inside && /^  / && shown < 10 { print "    " substr($0, 3, 300); shown++; next }
    inside && !/^  / { inside = 0 }
  ' "$log"
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
