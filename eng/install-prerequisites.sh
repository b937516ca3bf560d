#!/usr/bin/env bash
# Installs what the AppHost and the tests need on Debian 12 and leaves no system-wide copy of these servers
# running: the AppHost starts its own, under Aspire's orchestrator, on ports of its own.
#   --tests   also what the tests need (Chromium for the browser tests)
set -euo pipefail
for_tests=0
[ "${1:-}" = "--tests" ] && for_tests=1

# Debian package -> a binary it provides, used to decide whether the package is already there.
declare -A packages=(
  [postgresql]=/usr/lib/postgresql/15/bin/postgres
  [redis-server]=/usr/bin/redis-server
  [rabbitmq-server]=/usr/lib/rabbitmq/bin/rabbitmq-server
  [etcd-server]=/usr/bin/etcd
)
if [ "$for_tests" -eq 1 ]; then
  packages[chromium]=/usr/bin/chromium
fi
# The init scripts / units those packages start on installation.
declare -A services=(
  [postgresql]=postgresql
  [redis-server]=redis-server
  [rabbitmq-server]=rabbitmq-server
  [etcd-server]=etcd
  [chromium]=
)

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET 10 SDK is required (dotnet was not found on PATH)." >&2
  exit 1
fi

missing=()
for package in "${!packages[@]}"; do
  [ -x "${packages[$package]}" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "Installing ${missing[*]} needs root (or sudo)." >&2; exit 1; }
  SUDO="sudo"
fi

echo "Installing Debian packages: ${missing[*]}"
# policy-rc.d answering 101 tells invoke-rc.d and deb-systemd-invoke not to start services while we install.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  created_policy=1
fi
cleanup() { [ "$created_policy" -eq 1 ] && $SUDO rm -f "$policy"; return 0; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# Belt and braces: if a package's service started anyway, stop it and keep it from starting at boot.
for package in "${missing[@]}"; do
  service=${services[$package]}
  [ -n "$service" ] || continue
  if [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now "$service" >/dev/null 2>&1 || true
  elif [ -x "/etc/init.d/$service" ]; then
    $SUDO "/etc/init.d/$service" stop >/dev/null 2>&1 || true
  fi
done
# Erlang's post-install starts a system-wide port mapper (epmd -daemon, on every interface); the broker the
# AppHost runs has one of its own on loopback, so the one this installation started is stopped.
for package in "${missing[@]}"; do
  if [ "$package" = rabbitmq-server ]; then
    for pid in $(pgrep -x epmd || true); do
      if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- '-daemon'; then
        $SUDO kill "$pid" 2>/dev/null || true
      fi
    done
  fi
done
echo "Installed: ${missing[*]}"
