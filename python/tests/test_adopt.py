"""Adopting a fused module written elsewhere: its regions read off its own forward, and what breaks
the convention named with its line."""
import os

import pytest

from tritonize_harness.adopt import compute_outside, read_regions
from tritonize_harness.problem import load_problem
from tritonize_harness.regions import Unhandled

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
FUSED = os.path.join(ROOT, "src", "pipeline", "fixtures", "no_grad_gate.fused.py")
PROBLEM = os.path.join(ROOT, "examples", "models", "no_grad_gate.py")


def source() -> str:
    with open(FUSED, encoding="utf-8") as fh:
        return fh.read()


def test_regions_are_the_methods_forward_calls_with_their_kinds_and_branches():
    _, regions = read_regions(source())
    assert [(r.id, r.kind, r.branch, r.live_in, r.live_out) for r in regions] == [
        ("r1", "block", "", ["x"], ["h"]),
        ("r2", "block", "with@16", ["h"], ["gate"]),
        ("c3", "cond", "", ["gate"], []),
        ("r4", "block", "if@19:then", ["h"], ["h"]),
        ("r5", "block", "if@19:else", ["h"], ["h"]),
        ("r6", "return", "", ["h"], []),
    ]
    assert regions[1].line == 18  # the call site in forward, where forward's names are read


@pytest.mark.parametrize("old, new, construct, detail", [
    ("h, = self._tz_r1(x)", "h = self._tz_r1(x)[0]", "call of _tz_r1", "unpacks the tuple"),
    ("h, = self._tz_r1(x)", "h, = self._tz_r1(x=x)", "call of _tz_r1", "pass forward's own names"),
    ("return self._tz_r6(h)", "return h", "method _tz_r6", "calls it 0 times"),
    ("def _tz_r4(self, h):", "def _tz_r4(self, h=None):", "method _tz_r4", "without defaults"),
    ("if self._tz_c3(gate):", "if self._tz_c9(gate):", "call of _tz_c9", "does not define"),
])
def test_a_module_off_the_convention_is_named_with_its_line(old, new, construct, detail):
    with pytest.raises(Unhandled) as e:
        read_regions(source().replace(old, new))
    assert e.value.construct == construct and detail in e.value.detail and e.value.line


def test_compute_left_in_forward_is_found_by_running_it(tmp_path):
    problem = load_problem(PROBLEM, {}, module_name="tritonize_adopt_test")
    bad = tmp_path / "fused.py"
    bad.write_text(source().replace("        return self._tz_r6(h)", "        h = h + 1.0\n        return self._tz_r6(h)"))
    ids = [r.id for r in read_regions(bad.read_text())[1]]
    assert compute_outside(FUSED, problem, ids, 42, "cpu") == []
    assert compute_outside(str(bad), problem, ids, 42, "cpu") == ["add"]


def test_a_rewrite_must_keep_forwards_control_flow():
    import ast

    from tritonize_harness.adopt import same_structure
    from tritonize_harness.regions import _forward, _model_class

    with open(PROBLEM, encoding="utf-8") as fh:
        problem = _forward(_model_class(ast.parse(fh.read())))
    same_structure(problem, read_regions(source())[0])
    dropped = source().replace("        with torch.no_grad():\n            # the gate is a statistic of the batch, not part of the graph\n            gate, = self._tz_r2(h)\n",
                               "        gate, = self._tz_r2(h)\n")
    with pytest.raises(Unhandled) as e:
        same_structure(problem, read_regions(dropped)[0])
    assert "expected With (problem line 16, depth 0), found If (depth 0)" in e.value.detail
