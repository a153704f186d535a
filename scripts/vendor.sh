#!/usr/bin/env bash
# Refresh the console's vendored libraries from the npm registry (`make vendor`).
#
# Each package is fetched with `npm pack` into a temporary folder, unpacked, and only the files the
# console loads are copied into web/vendor/ (axe-core, used by the browser tests only, into
# tests/e2e/vendor/). Bump a version here, run `make vendor`, and update web/vendor/README.md.
# Nothing is fetched at run time: the service runs offline.
set -euo pipefail

PREACT=11.2.0
HTM=3.1.1
UPLOT=1.6.32
AXE=4.14.1
JSYAML=4.1.0
SWAGGER=5.35.0

root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

unpack() {  # unpack NAME VERSION -> $tmp/NAME/package
  (cd "$tmp" && npm pack --silent "$1@$2" >/dev/null)
  mkdir -p "$tmp/$1"
  tar -xzf "$tmp/$1-$2.tgz" -C "$tmp/$1"
}

unpack preact "$PREACT"
unpack htm "$HTM"
unpack uplot "$UPLOT"
unpack axe-core "$AXE"
unpack js-yaml "$JSYAML"
unpack swagger-ui-dist "$SWAGGER"

web="$root/web/vendor"
mkdir -p "$web/preact" "$web/htm" "$web/uplot" "$web/js-yaml" "$web/swagger-ui" "$root/tests/e2e/vendor"
cp "$tmp/preact/package/dist/preact.mjs" "$web/preact/preact.mjs"
# hooks import the bare specifier "preact"; point it at the file beside it (no import map needed,
# so the console's Content-Security-Policy can forbid inline scripts)
sed -e 's#from"preact"#from"./preact.mjs"#g' -e "s#from 'preact'#from './preact.mjs'#g" \
    -e 's#from "preact"#from "./preact.mjs"#g' \
    "$tmp/preact/package/hooks/dist/hooks.mjs" > "$web/preact/hooks.mjs"
if grep -q '"preact"' "$web/preact/hooks.mjs"; then
  echo "vendor: preact/hooks still imports the bare specifier 'preact'" >&2
  exit 1
fi
cp "$tmp/preact/package/LICENSE" "$web/preact/LICENSE"
cp "$tmp/htm/package/dist/htm.mjs" "$web/htm/htm.mjs"
cp "$tmp/htm/package/LICENSE" "$web/htm/LICENSE"
cp "$tmp/uplot/package/dist/uPlot.esm.js" "$web/uplot/uPlot.esm.js"
cp "$tmp/uplot/package/dist/uPlot.min.css" "$web/uplot/uPlot.min.css"
cp "$tmp/uplot/package/LICENSE" "$web/uplot/LICENSE"
cp "$tmp/js-yaml/package/dist/js-yaml.mjs" "$web/js-yaml/js-yaml.mjs"
cp "$tmp/js-yaml/package/LICENSE" "$web/js-yaml/LICENSE"
for f in swagger-ui-bundle.js swagger-ui.css favicon-32x32.png LICENSE NOTICE swagger-ui-bundle.js.LICENSE.txt; do
  cp "$tmp/swagger-ui-dist/package/$f" "$web/swagger-ui/$f"
done
sed -i -e '/sourceMappingURL=/d' "$web/swagger-ui/swagger-ui.css"
cp "$tmp/axe-core/package/axe.min.js" "$root/tests/e2e/vendor/axe.min.js"
cp "$tmp/axe-core/package/LICENSE" "$root/tests/e2e/vendor/axe-core.LICENSE"
# the source maps are not vendored: drop the comments that point at them
sed -i -e '/^\/\/# sourceMappingURL=/d' "$web/preact/preact.mjs" "$web/preact/hooks.mjs" "$web/htm/htm.mjs" \
    "$web/uplot/uPlot.esm.js"
echo "vendored preact $PREACT, htm $HTM, uplot $UPLOT, js-yaml $JSYAML, swagger-ui-dist $SWAGGER (web/vendor) and axe-core $AXE (tests/e2e/vendor)"
