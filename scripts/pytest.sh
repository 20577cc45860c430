#!/usr/bin/env bash
# Runs the harness's own tests with the harness's Python, on CPU through Triton's interpreter
# unless a GPU is present.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python="$(bash scripts/python-env.sh)"
cd python
exec "$python" -m pytest -q "$@"
