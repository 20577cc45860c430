#!/usr/bin/env bash
# On a GPU host with only Python (+ the packed Node in .device/, the bundled CLI in dist/):
# verify and bench through the CLI, then a kernel-agent run against the scripted model server
# (first reply: a candidate that leaves part of the output unwritten; second: the example solution).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export TRITONIZE_PYTHON="${TRITONIZE_PYTHON:-python3}"
p=examples/problems/05_linear_relu.py
echo "== tritonize verify (cuda)"; node bin/tritonize.js verify --problem $p --candidate examples/solutions/05_linear_relu.py --device cuda
echo "== tritonize bench"; node bin/tritonize.js bench --problem $p --candidate examples/solutions/05_linear_relu.py
script=$(mktemp)
python3 - "$script" <<'PY'
import json, sys
fence = "`" * 3
wrap = lambda path: {"reply": {"text": "Here is the kernel.\n" + fence + "python\n" + open(path).read() + fence + "\n"}}
json.dump({"steps": [wrap("examples/dishonest/03_stale_partial_write.py"), wrap("examples/solutions/01_swish_bias.py")],
           "repeatLast": True}, open(sys.argv[1], "w"))
PY
url_file=$(mktemp)
node dist/serve.mjs --protocol openai --script "$script" > "$url_file" &
server=$!
for _ in $(seq 50); do [[ -s $url_file ]] && break; sleep 0.1; done
echo "== tritonize kernel (scripted model at $(cat $url_file), cuda)"
OPENAI_BASE_URL="$(cat $url_file)" OPENAI_API_KEY=unused TRITONIZE_MODEL=scripted-model \
  node bin/tritonize.js kernel --problem examples/problems/01_swish_bias.py --device cuda --workers 1 --rounds 3 --out "${OUT:-/tmp}/runs"
status=$?
kill $server
exit $status
