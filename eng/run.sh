#!/usr/bin/env bash
# Runs the whole system: installs what is missing, builds, and starts the AppHost, which starts PostgreSQL,
# Redis, RabbitMQ, etcd, the services and the gateway (http://localhost:8080 unless --Gateway:Port says otherwise).
# Ctrl+C stops everything. Arguments are passed to the AppHost.
set -euo pipefail
cd "$(dirname "$0")/.."
bash eng/install-prerequisites.sh
configuration=${CONFIGURATION:-Release}
dotnet build AppHost/AppHost.csproj -c "$configuration" -nologo -v quiet -clp:ErrorsOnly
exec dotnet "AppHost/bin/$configuration/net10.0/Library.AppHost.dll" "$@"
