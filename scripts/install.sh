#!/usr/bin/env bash
# Installs tmqtool from this repository as a .NET global tool (or into --tool-path DIR).
#
#   ./scripts/install.sh                 # then: tmqtool --help
#   ./scripts/install.sh --tool-path DIR # then: DIR/tmqtool --help
#
# The tool is not on a public feed: this packs it (with the Tmq.* runtime packages it carries and
# copies into every generated service) into a folder and installs it from there. Every run packs a
# version no earlier run used (<version>-local.<time>), because NuGet's global packages folder keeps
# a package by id and version: a rebuilt tool at an old version would restore the old runtime
# packages into generated services. Running it again updates the installed tool.
set -euo pipefail

TARGET=(--global)
if [ $# -eq 2 ] && [ "$1" = "--tool-path" ] && [ -n "$2" ]; then
  # Relative to where the script was started, not to the repository it moves to below.
  mkdir -p "$2"
  TARGET=(--tool-path "$(cd "$2" && pwd)")
elif [ $# -gt 0 ]; then
  printf 'usage: %s [--tool-path DIR]\n' "$0" >&2
  exit 2
fi

cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

command -v dotnet >/dev/null 2>&1 || { echo "error: dotnet is not on PATH: install the .NET 10 SDK (https://dot.net)" >&2; exit 1; }
BASE=$(dotnet msbuild tool/Tmqtool/Tmqtool.csproj -getProperty:Version 2>/dev/null | tr -d '[:space:]') || true
[ -n "$BASE" ] || BASE=0.1.0
VERSION="$BASE-local.$(date +%Y%m%d%H%M%S)"
PACKAGES=$(mktemp -d "${TMPDIR:-/tmp}/tmqtool-install.XXXXXX")
trap 'rm -rf "$PACKAGES"' EXIT

echo "Packing tmqtool $VERSION (a minute or two)..."
dotnet pack tool/Tmqtool/Tmqtool.csproj -c Release -o "$PACKAGES" "-p:Version=$VERSION" >"$PACKAGES/pack.log" 2>&1 \
  || { tail -n 30 "$PACKAGES/pack.log" >&2; echo "error: dotnet pack failed (the lines above are the end of its log)" >&2; exit 1; }
cat >"$PACKAGES/nuget.config" <<CONFIG
<configuration><packageSources><clear /><add key="local" value="$PACKAGES" /></packageSources></configuration>
CONFIG
# `update` installs the tool when it is absent and replaces any other version.
dotnet tool update tmqtool "${TARGET[@]}" --version "$VERSION" --configfile "$PACKAGES/nuget.config"
echo "Installed tmqtool $VERSION. Try: tmqtool new --help"
