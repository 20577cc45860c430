"""Problem loading: each kind of bad input gets its own code and a precise message."""
import pytest

from conftest import fixture
from tritonize_harness.failure import Failure
from tritonize_harness.messages import render
from tritonize_harness.problem import load_problem, parse_sets
from tritonize_harness.verify import build_reference, run_reference


def failure_of(fn):
    with pytest.raises(Failure) as info:
        fn()
    return info.value


def test_loads_and_overrides_constants_with_derived_values():
    p = load_problem(fixture("scale.py"), {"n": "7"})
    assert p.constants["n"] == 7
    assert p.constants["width"] == 14  # derived constant follows the override
    assert p.get_inputs()[0].shape == (14,)


def test_unknown_constant_names_the_known_ones():
    f = failure_of(lambda: load_problem(fixture("scale.py"), {"batch": "3"}))
    assert f.code == "problem_bad_constant"
    assert "n, width" in render(f.code, f.details)


def test_non_literal_constant_value():
    f = failure_of(lambda: load_problem(fixture("scale.py"), {"n": "os.system('x')"}))
    assert f.code == "problem_bad_constant"


def test_malformed_set():
    assert failure_of(lambda: parse_sets(["n"])).code == "problem_bad_constant"
    assert parse_sets(["n=8", "dim = 4"]) == {"n": "8", "dim": "4"}


def test_missing_file():
    f = failure_of(lambda: load_problem("/nonexistent/problem.py"))
    assert (f.stage, f.code) == ("load", "problem_missing_file")


def test_syntax_error_has_line(write):
    f = failure_of(lambda: load_problem(write("p.py", "import torch\n\ndef get_inputs(:\n")))
    assert f.code == "problem_syntax" and f.line == 3
    assert "line 3" in render(f.code, f.details)


def test_missing_symbols_are_named(write):
    f = failure_of(lambda: load_problem(write("p.py", "import torch\nclass Model: pass\n")))
    assert f.code == "problem_missing_symbol"
    assert f.details["missing"] == ["get_inputs", "get_init_inputs"]


def test_constructor_raising_keeps_the_traceback(write):
    path = write("p.py", (
        "import torch\n"
        "class Model(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        raise ValueError('bad size')\n"
        "def get_inputs(): return [torch.ones(2)]\n"
        "def get_init_inputs(): return []\n"))
    f = failure_of(lambda: build_reference(path, {}, "cpu", 0))
    assert f.code == "problem_init_error"
    assert "bad size" in render(f.code, f.details)
    assert "line 5" in f.traceback


def test_forward_raising_and_non_tensor_output(write):
    base = ("import torch\n"
            "class Model(torch.nn.Module):\n"
            "    def forward(self, x):\n"
            "        {body}\n"
            "def get_inputs(): return [torch.ones(2)]\n"
            "def get_init_inputs(): return []\n")
    ref = build_reference(write("a.py", base.format(body="return x.foo()")), {}, "cpu", 0)
    f = failure_of(lambda: run_reference(ref, [ref.problem.get_inputs()[0]]))
    assert f.code == "problem_forward_error" and "foo" in f.details["error"]
    ref = build_reference(write("b.py", base.format(body="return 3")), {}, "cpu", 0)
    f = failure_of(lambda: run_reference(ref, [ref.problem.get_inputs()[0]]))
    assert f.code == "problem_bad_output"


def test_get_inputs_must_return_a_list(write):
    path = write("p.py", (
        "import torch\n"
        "class Model(torch.nn.Module):\n"
        "    def forward(self, x): return x\n"
        "def get_inputs(): return torch.ones(2)\n"
        "def get_init_inputs(): return []\n"))
    p = load_problem(path)
    assert failure_of(p.get_inputs).code == "problem_bad_inputs"
