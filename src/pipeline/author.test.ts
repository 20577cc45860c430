import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ScriptedModel, pyReply } from "../agent/testing/scripted-model.js";
import { captureGraph } from "../author/capture.js";
import { checkProblem } from "../harness/check-problem.js";
import { verifyCandidate } from "../harness/verify.js";
import { agentSubgraphAuthor, offlineSubgraphAuthor, solveWithAuthors, type SubgraphAuthor } from "./author.js";

/**
 * One suite for both implementations of the author interface: each gets the same functional
 * subgraph problems (weights as inputs, as the extractor writes them) and must return a kernel the
 * harness verified, or fail saying why. The kernel agent runs with a scripted model that answers
 * with a hand-written kernel (or with no code at all); verification is real, on CPU.
 */

const dir = mkdtempSync(join(tmpdir(), "tritonize-authors-"));

function subgraphProblem(name: string, body: string): string {
  const p = join(dir, `${name}.py`);
  writeFileSync(
    p,
    `import torch\nimport torch.nn as nn\n\n\nclass Model(nn.Module):\n    def __init__(self):\n        super().__init__()\n\n` +
      `    def forward(self, x0, w0):\n        ${body}\n\n\ndef get_inputs():\n    return [torch.randn((6, 10)), torch.randn((10,))]\n\n\n` +
      `def get_init_inputs():\n    return []\n`,
  );
  return p;
}

const scaledRelu = subgraphProblem("scaled_relu", "return (torch.ops.aten.relu.default(torch.ops.aten.mul.Tensor(x0, w0)),)");
const median = subgraphProblem("median", "return (torch.ops.aten.median.default(torch.ops.aten.mul.Tensor(x0, w0)),)");

const handWritten = `import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def scaled_relu(x_ptr, w_ptr, out_ptr, n, cols, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    w = tl.load(w_ptr + offs % cols, mask=mask)
    tl.store(out_ptr + offs, tl.maximum(x * w, 0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x0, w0):
        x0 = x0.contiguous()
        out = torch.empty_like(x0)
        n = x0.numel()
        scaled_relu[(triton.cdiv(n, 256),)](x0, w0, out, n, x0.shape[-1], BLOCK=256)
        return (out,)
`;

function authors(reply: string | null): SubgraphAuthor[] {
  const model = new ScriptedModel(() => ({ text: reply === null ? "I cannot write this kernel." : pyReply(reply) }));
  return [
    offlineSubgraphAuthor({ capture: captureGraph, verify: verifyCandidate }),
    agentSubgraphAuthor({ model, verify: verifyCandidate, checkProblem, workers: 1, rounds: 1 }),
  ];
}

for (const author of authors(handWritten)) {
  test(`the ${author.name} author returns a verified kernel for a subgraph problem`, { timeout: 180_000 }, async () => {
    const r = await author.solve({ problem: scaledRelu, dir: join(dir, `ok-${author.name}`), device: "cpu", trials: 1 });
    assert.ok(r.ok, r.ok ? "" : r.message);
    assert.equal(r.verdict.ok, true);
    assert.ok(existsSync(r.kernel));
  });
}

test("authors are tried in order; when none verifies, each one's reason is kept", { timeout: 180_000 }, async () => {
  const r = await solveWithAuthors(authors(null), { problem: median, dir: join(dir, "none"), device: "cpu", trials: 1 });
  assert.equal(r.winner, null);
  assert.deepEqual(r.failures.map((f) => f.author), ["offline", "agent"]);
  assert.match(r.failures[0]!.message, /does not cover median/);
  assert.match(r.failures[1]!.message, /did not verify a kernel/);
});
