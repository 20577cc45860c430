#!/usr/bin/env bash
# One command from a fresh clone to a working tritonize: Node dependencies, the bundled CLI,
# and the harness's Python environment (cached outside the clone).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build

# The suite report's test drives a headless Chromium (playwright-core); Debian's package serves.
if [[ -z "${CHROMIUM_PATH:-}" ]] && ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null && ! command -v google-chrome >/dev/null; then
  if command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
    echo "tritonize setup: installing Debian's chromium for the report's browser test" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    echo "tritonize setup: no Chromium found; the report's browser test needs one: install chromium (e.g. 'sudo apt-get install chromium') or set CHROMIUM_PATH to a Chromium or Chrome binary" >&2
  fi
fi
python="$(bash scripts/python-env.sh)"
echo "tritonize setup: Python environment ready: $python" >&2
