"""The deterministic fuser, extractor and composer, without Triton: each subgraph's own reference
problem stands in for its kernel, so the composed module must reproduce the model exactly. This
checks the cut, the observed live values, the argument order and the control flow the composer
writes; the real kernels are verified end to end by src/pipeline/pipeline-e2e.test.ts."""
from __future__ import annotations

import json
import os

import pytest
import torch

from tritonize_harness import regions
from tritonize_harness.problem import load_problem
from conftest import compose_with_references, import_file

MODELS = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "models")


@pytest.mark.parametrize("name", ["residual_mlp", "tensor_branch", "block_loop", "early_exit", "two_outputs", "widening_stack"])
def test_composed_with_reference_kernels_reproduces_the_model(name, tmp_path):
    problem_path = os.path.join(MODELS, f"{name}.py")
    plan = regions.analyze(problem_path, {}, str(tmp_path), trials=2)
    assert plan["fusedMaxAbsErr"] == 0
    composed = import_file(compose_with_references(json.loads(json.dumps(plan)), str(tmp_path)))
    problem = load_problem(problem_path, {}, module_name=f"p_{name}")
    for seed in (1042, 2042, 3042):
        torch.manual_seed(42)
        ref = problem.Model(*problem.get_init_inputs())
        torch.manual_seed(42)
        new = composed.ModelNew(*problem.get_init_inputs())
        torch.manual_seed(seed)
        inputs = problem.get_inputs()
        with torch.no_grad():
            a, b = ref(*inputs), new(*inputs)
        for x, y in zip(a if isinstance(a, tuple) else [a], b if isinstance(b, tuple) else [b]):
            torch.testing.assert_close(x, y, rtol=1e-6, atol=1e-6)


def test_identical_blocks_are_one_subgraph_counted_three_times(tmp_path):
    plan = regions.analyze(os.path.join(MODELS, "block_loop.py"), {}, str(tmp_path), trials=1)
    counts = {tuple(sg["ops"]): sg["count"] for sg in plan["subgraphs"]}
    assert counts[("layer_norm", "linear", "relu", "add")] == 3
    block = next(sg for sg in plan["subgraphs"] if sg["count"] == 3)
    assert [w["expr"] for w in block["weights"]] == ["blk.norm.weight", "blk.norm.bias", "blk.fc.weight", "blk.fc.bias"]
    assert [w["name"] for w in block["weights"]][:1] == ["blocks.0.norm.weight"]
    # x reaches the blocks through the stem: computed, not the model's input
    assert block["where"][0]["args"] == ["x"] and block["where"][0]["inputs"] == []
    stem = next(sg for sg in plan["subgraphs"] if sg["where"][0]["region"] == "r1")
    assert stem["where"][0]["inputs"] == ["x"]


def test_blocks_of_different_sizes_are_told_apart_by_shape(tmp_path):
    plan = regions.analyze(os.path.join(MODELS, "widening_stack.py"), {}, str(tmp_path), trials=1)
    text = open(compose_with_references(plan, str(tmp_path))).read()
    assert "if tuple(x.shape) == (4, 8):" in text and "if tuple(x.shape) == (4, 16):" in text


def test_both_sides_of_a_tensor_branch_are_observed(tmp_path):
    plan = regions.analyze(os.path.join(MODELS, "tensor_branch.py"), {}, str(tmp_path), trials=5)
    sides = {b["side"]: b["trialSeeds"] for b in plan["branches"]}
    assert sides["true"] and sides["false"]
    assert plan["conditionReads"] == 1


def _problem(tmp_path, body: str) -> str:
    p = tmp_path / "p.py"
    p.write_text("import torch\nimport torch.nn as nn\n\n\nclass Model(nn.Module):\n    def __init__(self):\n"
                 "        super().__init__()\n        self.s = torch.zeros(2)\n\n    def forward(self, x):\n" + body +
                 "\n\ndef get_inputs():\n    return [torch.randn(2)]\n\n\ndef get_init_inputs():\n    return []\n")
    return str(p)


@pytest.mark.parametrize("body,construct,line", [
    ("        with torch.no_grad():\n            y = x * 2\n        return y\n", "with", 11),
    ("        self.s = x * 2\n        return x + 1\n", "assignment to self.s", 11),
])
def test_what_the_fuser_does_not_cut_is_named_with_its_line(tmp_path, body, construct, line):
    class Args:
        problem = _problem(tmp_path, body)
        sets: list = []
        out = str(tmp_path / "out")
        trials = 1

    doc = regions.run(Args)
    assert doc["ok"] is False
    assert doc["construct"] == construct and doc["line"] == line
