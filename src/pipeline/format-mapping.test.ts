import { strict as assert } from "node:assert";
import { test } from "node:test";
import { forwardArgs, modelNewFrom } from "./format-mapping.js";
import { MappingReplySchema } from "./mapping-reply.js";

const problem = `from __future__ import annotations
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, n: int):
        super(Model, self).__init__()
        self.fc = nn.Linear(n, n)

    def forward(self, x: torch.Tensor,
                scale: float = 2.0) -> torch.Tensor:
        # the reference
        h = self.fc(x)
        return h * scale

    def extra_repr(self):
        return "kept"


def get_inputs():
    return [torch.randn(2, 4)]
`;
const composed = "from __future__ import annotations\nimport triton\n\n\ndef _sg1_run(x0, w0, w1):\n    return (x0,)\n\n\nclass ModelNew(nn.Module):\n    pass\n";

test("forward's names are read from a signature over several lines, with annotations and defaults", () => {
  assert.deepEqual(forwardArgs(problem), ["x", "scale"]);
});

test("model_new.py: Model's __init__ and other methods kept, only forward replaced, __future__ first", () => {
  const reply = MappingReplySchema.parse({
    launches: [{ subgraph: "sg1", kernel: "_sg1_run", result: "sequence", outputs: ["h"], arguments: [
      { argument: "x0", source: "input", expr: "x" }, { argument: "w0", source: "parameter", expr: "self.fc.weight" }, { argument: "w1", source: "parameter", expr: "self.fc.bias" }] }],
    returns: "h",
  });
  const out = modelNewFrom(problem, composed, reply);
  assert.equal(out.match(/^from __future__ import annotations$/gm)?.length, 1);
  assert.ok(out.indexOf("from __future__") < out.indexOf("import triton"));
  assert.match(out, /class _TzComposedModel\(nn\.Module\)/);
  assert.match(out, /class ModelNew\(nn\.Module\):\n    def __init__\(self, n: int\):\n        super\(ModelNew, self\)\.__init__\(\)\n        self\.fc = nn\.Linear\(n, n\)/);
  assert.match(out, /    def forward\(self, x: torch\.Tensor,\n                scale: float = 2\.0\) -> torch\.Tensor:\n        h, = _sg1_run\(x, self\.fc\.weight, self\.fc\.bias\)\n        return h\n\n    def extra_repr/);
  assert.doesNotMatch(out, /the reference/);
});
