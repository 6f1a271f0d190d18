#!/usr/bin/env bash
# The web console's browser libraries: installed from the npm registry at the versions
# package-lock.json pins (`npm ci`) and copied into the console app's static files, so
# that no page loads anything from another host at run time. Run by `make install`.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v npm >/dev/null || { echo "needs npm (Debian: apt-get install -y npm)" >&2; exit 1; }
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
VENDOR=console/static/console/vendor
rm -rf "$VENDOR"
mkdir -p "$VENDOR/leaflet"
cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css \
      node_modules/leaflet/dist/images node_modules/leaflet/LICENSE "$VENDOR/leaflet/"
echo "console static files: $(find "$VENDOR" -type f | wc -l) files in $VENDOR"
