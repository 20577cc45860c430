#!/usr/bin/env bash
# Creates (once) and prints the path of the harness's Python environment.
# The environment lives outside the clone, keyed by the requirements and the interpreter version,
# so a second setup of the same requirements takes seconds. TRITONIZE_PYTHON skips all of this:
# that interpreter must already have torch and triton (as on a GPU host).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
req="$here/python/requirements.txt"

if [[ -n "${TRITONIZE_PYTHON:-}" ]]; then
  echo "$TRITONIZE_PYTHON"
  exit 0
fi

base_python="${TRITONIZE_BASE_PYTHON:-python3}"
if ! command -v "$base_python" >/dev/null; then
  echo "tritonize setup: no '$base_python' on PATH; install Python >= 3.10 or set TRITONIZE_BASE_PYTHON" >&2
  exit 1
fi
pyver="$("$base_python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
key="$( (cat "$req"; echo "$pyver") | sha256sum | cut -c1-12)"
cache="${TRITONIZE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tritonize}"
venv="$cache/venv-$key"

if [[ -x "$venv/bin/python" && -f "$venv/.complete" ]]; then
  echo "$venv/bin/python"
  exit 0
fi
if [[ "${1:-}" == "--no-create" ]]; then
  echo "the harness's Python environment is not set up ($venv is missing): run 'npm run setup', or set TRITONIZE_PYTHON to a python that has torch and triton" >&2
  exit 3
fi

echo "tritonize setup: creating the Python environment in $venv (torch and triton are large: minutes on first run)" >&2
# A half-made environment (an interrupted setup) has no .complete marker: start it over.
rm -rf "$venv"
mkdir -p "$cache"
"$base_python" -m venv "$venv"
"$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req" >&2
touch "$venv/.complete"
echo "$venv/bin/python"
