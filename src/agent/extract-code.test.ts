import { test } from "node:test";
import assert from "node:assert/strict";
import { extractCode } from "./extract-code.js";
import { candidateHash, normalizeCandidate } from "./normalize.js";

test("takes the last python block", () => {
  const r = extractCode("First try:\n```python\na = 1\n```\nBetter:\n```python\nb = 2\n```\nDone.");
  assert.deepEqual(r, { ok: true, code: "b = 2\n", blocks: 2 });
});

test("takes the only untagged block, but not one of several untagged blocks", () => {
  assert.equal(extractCode("```\nx = 1\n```").ok, true);
  const r = extractCode("```\nx = 1\n```\n```\ny = 2\n```");
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.message : "", /2 fenced blocks but none tagged python/);
});

test("prefers python blocks over other languages and handles CRLF and longer fences", () => {
  const r = extractCode("```bash\nrun it\n```\r\n````python\r\nx = '```'\r\n````\r\n");
  assert.equal(r.ok && r.code, "x = '```'\n");
});

test("names a reply without code, an empty block and an unclosed block", () => {
  const none = extractCode("I think a kernel would work.");
  assert.equal(!none.ok && none.reason, "no-code");
  const empty = extractCode("```python\n\n```");
  assert.equal(!empty.ok && empty.reason, "no-code");
  const cut = extractCode("```python\nimport torch\nclass ModelNew(");
  assert.equal(!cut.ok && cut.reason, "truncated");
});

test("normalisation ignores blank lines, whole-line comments and trailing spaces, not code", () => {
  const a = "import torch\n\n# a note\nx = 1   \n";
  const b = "import torch\r\nx = 1\n\n\n";
  assert.equal(normalizeCandidate(a), normalizeCandidate(b));
  assert.equal(candidateHash(a), candidateHash(b));
  assert.notEqual(candidateHash(a), candidateHash("import torch\nx = 2\n"));
  assert.notEqual(candidateHash("x = 1  # a\n"), candidateHash("x = 1  # b\n"));
});
