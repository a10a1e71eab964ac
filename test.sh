#!/usr/bin/env bash
# Builds everything (Release) and runs every test. Needs root for the network-namespace lab tests of later layers;
# installs what the tests need on a fresh Debian machine.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
bash "$here/scripts/setup.sh"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Woven.slnx -c Release --nologo -v quiet -clp:ErrorsOnly
export WOVEN_BIN="$here/src/Woven.Cli/bin/Release/net10.0/woven"
status=0
for project in tests/Woven.Core.Tests tests/Woven.Sim.Tests tests/Woven.Integration.Tests tests/Woven.Lab.Tests; do
  echo "== $project"
  dotnet test "$project" -c Release --no-build --nologo -v quiet --logger "console;verbosity=minimal" || status=1
done
exit $status
