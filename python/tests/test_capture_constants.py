"""A number made into a tensor in forward (`torch.tensor(0.5)`) is captured as that number where
the operator reading it has a scalar form."""
from conftest import capture_body

PROBLEM = '''
import torch
import torch.nn as nn
class Model(nn.Module):
    def forward(self, x):
{body}
def get_inputs():
    return [torch.randn(4, 8)]
def get_init_inputs():
    return []
'''


def _nodes(tmp_path, body: str) -> list[dict]:
    return capture_body(tmp_path, PROBLEM, body)


def test_min_and_max_with_a_made_constant_become_clamps(tmp_path):
    nodes = _nodes(tmp_path, "y = torch.min(x, torch.tensor(0.5))\nreturn torch.maximum(torch.tensor(-0.25), y)")
    ops = [n["op"] for n in nodes]
    assert ops == ["clamp_max", "clamp_min"], ops
    assert [n["args"][1] for n in nodes] == [0.5, -0.25]


def test_arithmetic_with_a_made_constant_takes_the_number(tmp_path):
    ops = [n["op"] for n in _nodes(tmp_path, "return x * torch.tensor(2.0) - torch.tensor(1.0)")]
    assert "lift_fresh_copy" not in ops and ops == ["mul", "sub"], ops


def test_a_made_tensor_of_several_values_stays_a_constant(tmp_path):
    ops = [n["op"] for n in _nodes(tmp_path, "return x + torch.tensor([1.0] * 8)")]
    assert "lift_fresh_copy" in ops, ops

