"""In-place steps in captured graphs: on intermediates they become out-of-place; on inputs and
shared storage they stay as written (their effect reaches beyond one value)."""
import torch

from conftest import capture_body
from tritonize_harness.capture import capture

PROBLEM = '''
import torch
import torch.nn as nn
class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 6)
        self.act = nn.ReLU(inplace=True)
    def forward(self, x):
{body}
def get_inputs():
    return [torch.randn(4, 8)]
def get_init_inputs():
    return []
'''


def _ops(tmp_path, body: str) -> list[str]:
    return [n["op"] for n in capture_body(tmp_path, PROBLEM, body)]


def test_inplace_activation_on_an_intermediate_is_captured_out_of_place(tmp_path):
    ops = _ops(tmp_path, "return self.act(self.fc(x))")
    assert "relu" in ops and "relu_" not in ops, ops


def test_later_readers_of_the_mutated_tensor_read_the_new_value(tmp_path):
    p = tmp_path / "problem.py"
    ops = _ops(tmp_path, "y = self.fc(x)\nz = y.relu_()\nreturn y + z")
    assert "relu_" not in ops, ops
    # the sum reads the relu result twice, as eager does after the mutation
    doc = capture(str(p))
    add = next(n for n in doc["nodes"] if n["op"] == "add")
    relu = next(n for n in doc["nodes"] if n["op"] == "relu")
    assert [a.get("node") for a in add["args"][:2]] == [relu["id"], relu["id"]], add


def test_a_mutated_input_stays_in_place(tmp_path):
    ops = _ops(tmp_path, "x.relu_()\nreturn self.fc(x)")
    assert "relu_" in ops, ops


def test_a_mutation_through_a_view_stays_in_place(tmp_path):
    ops = _ops(tmp_path, "y = self.fc(x)\ny.view(-1).relu_()\nreturn y * 2")
    assert "relu_" in ops, ops
