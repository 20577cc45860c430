#!/usr/bin/env bash
# The whole test suite: TypeScript (node's test runner) then the Python harness (pytest).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npm run --silent typecheck
npm run --silent test:ts
npm run --silent test:py
