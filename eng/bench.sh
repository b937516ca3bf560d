#!/usr/bin/env bash
# One benchmark run on a fresh system, as docs/benchmarks.md records them:
#   eng/bench.sh [AppHost settings ...] -- [load tool arguments ...]
# starts ./eng/run.sh on port 18080 with the general rate limit off (plus the AppHost settings given), waits until
# the API answers and 20 s more (start-up work settles), runs the load tool against it (its own 10 s warm-up),
# stops the system and prints the load tool's report. Nothing else may run meanwhile (2 cores, all shared).
# Example: eng/bench.sh --Telemetry:Enabled=false -- --scenario borrow-saga --rate 50 --warmup 10s --duration 60s
set -uo pipefail
cd "$(dirname "$0")/.."
apphost_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do apphost_args+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
export LIBRARY_ADMIN_EMAIL=${LIBRARY_ADMIN_EMAIL:-bench@library.local}
export LIBRARY_ADMIN_PASSWORD=${LIBRARY_ADMIN_PASSWORD:-bench-password-1}
port=${BENCH_PORT:-18080}
log=$(mktemp /tmp/bench-run.XXXXXX.log)
dotnet build tests/LoadTool -c Release -nologo -v quiet -clp:ErrorsOnly > /dev/null || exit 1
setsid bash eng/run.sh --Gateway:Port="$port" --ServiceEnvironment:gateway:RateLimits__General__PermitLimit=0 "${apphost_args[@]}" > "$log" 2>&1 < /dev/null &
run_pid=$!
stop() {
  local apphost
  apphost=$(pgrep -P "$run_pid" -f Library.AppHost || true)
  [ -z "$apphost" ] && apphost=$run_pid
  kill -TERM "$apphost" 2>/dev/null
  for _ in $(seq 60); do kill -0 "$run_pid" 2>/dev/null || break; sleep 1; done
  kill -KILL -- -"$run_pid" 2>/dev/null
}
trap stop EXIT
for _ in $(seq 240); do
  grep -q "The Library API is at" "$log" && break
  kill -0 "$run_pid" 2>/dev/null || { echo "the system exited before it was ready:"; tail -20 "$log"; exit 1; }
  sleep 1
done
grep -q "The Library API is at" "$log" || { echo "the system was not ready within 240 s"; tail -20 "$log"; exit 1; }
sleep 20
echo "system: ./eng/run.sh --Gateway:Port=$port --ServiceEnvironment:gateway:RateLimits__General__PermitLimit=0 ${apphost_args[*]} (commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ', with uncommitted changes'))"
dotnet tests/LoadTool/bin/Release/net10.0/Library.LoadTool.dll --base-url "http://localhost:$port" "$@"
