#!/usr/bin/env bash
# Runs the whole system under .NET Aspire: installs what is missing, builds, and starts the AppHost, which starts
# PostgreSQL, Redis, RabbitMQ and etcd (from Debian's packages), the mail capture, the services and the Gateway
# (http://localhost:8080 unless --Gateway:Port says otherwise), with the Aspire dashboard on http://127.0.0.1:18888.
# It prints the dashboard's login URL, the API's URL and the admin's sign-in. Ctrl+C (or SIGTERM) stops everything.
# Arguments go to the AppHost (see README, "AppHost settings").
set -euo pipefail
cd "$(dirname "$0")/.."
bash eng/install-prerequisites.sh
configuration=${CONFIGURATION:-Release}
dotnet build AppHost/AppHost.csproj -c "$configuration" -nologo -v quiet -clp:ErrorsOnly

# The dashboard without a trusted development certificate: plain http on loopback (it is for this machine only).
export DOTNET_ENVIRONMENT=${DOTNET_ENVIRONMENT:-Development}
export ASPNETCORE_URLS=${ASPNETCORE_URLS:-http://127.0.0.1:18888}
export ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=${ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL:-http://127.0.0.1:18889}
export ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=${ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL:-http://127.0.0.1:18890}
export ASPIRE_ALLOW_UNSECURED_TRANSPORT=true

# The AppHost reads appsettings.json from its project folder. exec: the signal a user sends reaches it directly.
cd AppHost
exec dotnet "bin/$configuration/net10.0/Library.AppHost.dll" "$@"
