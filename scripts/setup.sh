#!/usr/bin/env bash
# One command from a fresh clone to a working tritonize: Node dependencies, the bundled CLI,
# and the harness's Python environment (cached outside the clone).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
python="$(bash scripts/python-env.sh)"
echo "tritonize setup: Python environment ready: $python" >&2
