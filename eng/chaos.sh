#!/usr/bin/env bash
# Chaos under sustained load, longer than the run of it in ./eng/test.sh: a mix of reads, writes, borrows and
# returns on two Gateways while each server, each service and one Gateway is SIGKILLed in turn, held down and
# started again; prints the table of what was accepted, what is durable, stuck sagas, duplicates, 5xx during and
# after each fault and how long each took to recover (tests/Chaos.Tests/SustainedLoadChaosTests.cs).
# LIBRARY_CHAOS_ROUNDS (default here 3; the test suite runs 1), LIBRARY_CHAOS_HOLD_SECONDS (5; suite 3),
# LIBRARY_CHAOS_WORKERS (8), LIBRARY_CHAOS_TARGETS (comma-separated resource names; default all eight). The clients' token lasts 15 minutes: about six rounds at most.
set -uo pipefail
cd "$(dirname "$0")/.."
bash eng/install-prerequisites.sh --tests || exit 1
dotnet build tests/Chaos.Tests -c Release -nologo -v quiet -clp:ErrorsOnly || exit 1
export LIBRARY_CHAOS_ROUNDS=${LIBRARY_CHAOS_ROUNDS:-3} LIBRARY_CHAOS_HOLD_SECONDS=${LIBRARY_CHAOS_HOLD_SECONDS:-5}
report=tests/Chaos.Tests/bin/Release/net10.0/chaos-under-load.md
rm -f "$report"
tests/Chaos.Tests/bin/Release/net10.0/Chaos.Tests -class Library.Chaos.Tests.SustainedLoadChaosTests < /dev/null
status=$?
[ -f "$report" ] && cat "$report"
exit "$status"
