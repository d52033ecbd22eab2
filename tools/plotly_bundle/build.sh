#!/usr/bin/env bash
# Rebuild talentstats/report/assets/plotly-report-4.1.1.min.js: plotly.js 4.1.1 with only the trace types the
# weekly report draws (scatter from the core, bar, heatmap, funnel), minified, wrapped and headed like plotly's own
# dist bundles, so that the exported report page carries ~1.2 MB of plotly.js instead of 4.8 MB.
#
# Why not a published partial bundle: plotly.js-cartesian-dist-min@4.1.1 alone is 1,500,041 bytes (the page would
# be ~1.9 MB) and plotly.js-basic-dist-min@4.1.1 has no heatmap.
#
# Reproducible: the npm packages are pinned by package-lock.json (npm ci), esbuild's output is deterministic, and
# the result must match SHA256 below (the script fails otherwise). Needs node >= 18 and npm (npm registry only).
# Usage: tools/plotly_bundle/build.sh            (writes the asset, checks its hash)
#        tools/plotly_bundle/build.sh --check    (builds into a temp folder and only compares)
set -euo pipefail

VERSION=4.1.1
SHA256=ae3db8664baf2edd360379af31c66a17468c511033ecf619520299e36b954d92
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
ASSETS="$REPO/talentstats/report/assets"
OUT="$ASSETS/plotly-report-$VERSION.min.js"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp "$HERE/package.json" "$HERE/package-lock.json" "$HERE/entry.js" "$WORK/"
cd "$WORK"
npm ci --no-audit --no-fund --loglevel=error
test "$(node -p "require('plotly.js/package.json').version")" = "$VERSION"

# plotly's own esbuild settings (esbuild-config.js of plotly.js 4.1.1); the maplibre stylesheet plotly's registry
# requires for map traces is not needed here (no map trace), so CSS files load as empty modules.
npx --no-install esbuild entry.js --bundle --format=iife --global-name=Plotly --minify --target=es2016 \
  --define:global=window --define:define.amd=false --loader:.css=empty \
  --alias:regl=@plotly/regl --alias:stream=stream-browserify --legal-comments=eof \
  --log-level=warning --outfile=bundle.js

# the licence header and UMD wrapper of plotly's dist bundles (tasks/util/bundle_wrapper.mjs of plotly.js)
{
  printf '/**\n* plotly.js v%s (partial bundle of the talentstats report: scatter, bar, heatmap, funnel - minified)\n' "$VERSION"
  printf '* Copyright 2012-2026, Plotly, Inc.\n* All rights reserved.\n* Licensed under the MIT license\n*/\n'
  printf '(\n function(root, factory) {\n  if (typeof module === "object" && module.exports) {\n'
  printf '   module.exports = factory();\n  } else {\n   root.moduleName = factory();\n  }\n'
  printf '} (typeof self !== "undefined" ? self : this, () => {\n'
  cat bundle.js
  printf '\nwindow.Plotly = Plotly;\nreturn Plotly;\n}));'
} > wrapped.js

got="$(sha256sum wrapped.js | cut -d' ' -f1)"
echo "built $(wc -c < wrapped.js) bytes, sha256 $got"
if [ "${1:-}" = "--check" ]; then
  [ "$got" = "$SHA256" ] && echo "matches the recorded hash" || { echo "differs from $SHA256" >&2; exit 1; }
  exit 0
fi
[ "$got" = "$SHA256" ] || { echo "sha256 differs from the recorded $SHA256: not written" >&2; exit 1; }
mkdir -p "$ASSETS"
cp wrapped.js "$OUT"
cp node_modules/plotly.js/LICENSE "$ASSETS/plotly.js-LICENSE.txt"
echo "wrote $OUT"
