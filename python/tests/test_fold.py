"""BatchNorm rewritten by mode in captured regions (fold.py): folded into the layer before it in eval
mode, reduced to the batch's statistics in training mode. The composed module runs each subgraph's
own reference problem as its kernel and the folding helpers in Triton's interpreter, so it must
reproduce the model, including after its running statistics change."""
from __future__ import annotations

import json
import os

import pytest
import torch

from tritonize_harness import regions
from tritonize_harness.problem import load_problem
from conftest import compose_with_references, import_file

CASES = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "mapping")


@pytest.mark.parametrize("name,layer", [("linear_bn_stats", "fc"), ("conv_bn_eval", "conv")])
def test_eval_batch_norm_is_folded_and_follows_the_buffers(name, layer, tmp_path, monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    path = os.path.join(CASES, f"{name}.py")
    plan = regions.analyze(path, {}, str(tmp_path), trials=1)
    [sg] = plan["subgraphs"]
    assert [w["kind"] for w in sg["weights"]] == ["computed", "computed"]
    assert sg["weights"][0]["expr"].startswith(f"_tz_fold_bn_weight(self.{layer}.weight, self.bn.weight, self.bn.running_var, ")
    assert "batch_norm" not in open(sg["problem"]).read()
    composed = import_file(compose_with_references(json.loads(json.dumps(plan)), str(tmp_path)))
    problem = load_problem(path, {}, module_name=f"p_{name}")
    torch.manual_seed(42)
    ref = problem.Model(*problem.get_init_inputs())
    torch.manual_seed(42)
    new = composed.ModelNew(*problem.get_init_inputs())
    assert not new.bn.training
    for step in range(2):
        torch.manual_seed(1042 + step)
        x = problem.get_inputs()
        with torch.no_grad():
            torch.testing.assert_close(new(*x), ref(*x), rtol=1e-5, atol=1e-5)
            # the folded values are derived on every call: new statistics are followed
            for m in (ref.bn, new.bn):
                m.running_mean.add_(0.25)
                m.running_var.mul_(1.5)


def test_training_batch_norm_passes_no_running_statistics_or_counter(tmp_path):
    plan = regions.analyze(os.path.join(CASES, "linear_bn_train.py"), {}, str(tmp_path), trials=1)
    [sg] = plan["subgraphs"]
    assert [w["expr"] for w in sg["weights"]] == ["self.fc.weight", "self.fc.bias", "self.bn.weight", "self.bn.bias"]
    src = open(sg["problem"]).read()
    assert "add_" not in src and "batch_norm.default(v0, w2, w3, None, None, True" in src
