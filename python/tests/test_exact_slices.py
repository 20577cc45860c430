"""The float64 second look runs a slice of the batch at a time where the problem allows it."""
import torch

from tritonize_harness.compare import compare_outputs
from tritonize_harness.references import ExactReference, References

ROW_SUMS = """
import torch
import torch.nn as nn

rows, depth = 12, 4096

class Model(nn.Module):
    def forward(self, x):
        return x.sum(dim=1)

def get_inputs():
    return [torch.randn(rows, depth)]

def get_init_inputs():
    return []
"""

MATMUL = ROW_SUMS.replace("return x.sum(dim=1)", "return x @ y").replace("def forward(self, x)", "def forward(self, x, y)") \
    .replace("return [torch.randn(rows, depth)]", "return [torch.randn(rows, rows), torch.randn(rows, rows)]")


def _material(write, name, text):
    refs = References()
    ref = refs.reference(write(name, text), {}, "cpu", 0)
    m = refs.material(ref, 1)
    return ref, m


def test_row_independent_problems_are_looked_at_in_slices(write):
    ref, m = _material(write, "row_sums.py", ROW_SUMS)
    exact = ExactReference(ref, m.inputs, m.expected, budget=4 * 2 * (4096 + 1) * 4)  # 4 rows a slice (fp64: twice fp32 per row)
    pieces = list(exact.slices(0))
    assert len(pieces) == 3
    whole = torch.cat([p for _, p in pieces])
    assert torch.allclose(whole, m.inputs[0].double().sum(dim=1))
    # An honest output slightly off eager but within its rounding of the exact sums passes so.
    honest = (m.inputs[0].double().sum(dim=1)).float()
    compare_outputs(m.expected, [honest], 0, exact=lambda: exact)


def test_problems_whose_rows_depend_on_each_other_are_looked_at_whole(write):
    ref, m = _material(write, "matmul.py", MATMUL)
    exact = ExactReference(ref, m.inputs, m.expected, budget=64)
    pieces = list(exact.slices(0))
    assert [rows for rows, _ in pieces] == [None]
    assert torch.allclose(pieces[0][1], m.inputs[0].double() @ m.inputs[1].double())
