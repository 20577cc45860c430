"""Every honest example solution is accepted; every dishonest candidate is rejected at the stage
and with the code its header names. On CPU this runs through Triton's interpreter at small sizes."""
import os

import pytest
import torch

from corpus import PROBLEMS, dishonest, honest_examples, honest_pairs, small_sets
from tritonize_harness.verify import VerifyOptions, verify

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def run(problem: str, candidate: str, trials: int = 3, timeout: float = 60.0, **kw) -> dict:
    return verify(VerifyOptions(problem=os.path.join(PROBLEMS, problem), candidate=candidate, device=DEVICE,
                                trials=trials, sets=small_sets(problem), timeout_s=timeout, **kw))


@pytest.mark.parametrize("problem,solution", honest_pairs(), ids=[p for p, _ in honest_pairs()])
def test_honest_solution_is_accepted(problem, solution):
    doc = run(problem, solution)
    assert doc["ok"], doc["message"] + "\n" + (doc["traceback"] or "")
    assert doc["stage"] == "passed" and doc["launches"] >= 3 + 2
    assert all(t["ok"] for t in doc["trials"])


@pytest.mark.parametrize("problem,candidate", honest_examples(), ids=[os.path.basename(c) for _, c in honest_examples()])
def test_honest_example_is_accepted(problem, candidate):
    doc = run(problem, candidate, trials=2)
    assert doc["ok"], doc["message"] + "\n" + (doc["traceback"] or "")


CASES = [c for c in dishonest() if DEVICE == "cuda" or not c.gpu_only]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_dishonest_candidate_is_rejected_for_its_cheat(case):
    doc = run(case.problem, case.path, timeout=20.0 if "spin" in case.name else 60.0)
    assert not doc["ok"], f"{case.name} was accepted: {case.exploit}"
    assert doc["stage"] in case.stages and doc["code"] in case.codes, (
        f"{case.name}: rejected at {doc['stage']}/{doc['code']} ({doc['message']}), "
        f"expected {case.stages}/{case.codes}")
    assert doc["message"]


# The static reading is only a fast path: with it switched off, the runtime checks alone must still
# reject every candidate that the static reading would have stopped.
STATIC = [c for c in CASES if c.stages == ["static"] or c.stages[0] == "static"]


@pytest.mark.parametrize("case", STATIC, ids=[c.name for c in STATIC])
def test_runtime_checks_alone_reject_static_cases(case):
    doc = run(case.problem, case.path, static_check=False, timeout=60.0)
    assert not doc["ok"], f"{case.name} passed the runtime checks: {case.exploit}"
    assert doc["stage"] != "static"


def test_kernel_function_form_is_accepted():
    from conftest import fixture

    doc = verify(VerifyOptions(problem=fixture("add_functional.py"), candidate=fixture("add_kernel_function.py"),
                               device=DEVICE, trials=2))
    assert doc["ok"], doc["message"]


def test_autotuned_kernel_is_accepted():
    from conftest import fixture

    doc = verify(VerifyOptions(problem=fixture("scale.py"), candidate=fixture("scale_autotuned.py"),
                               device=DEVICE, trials=2, sets={"n": "300"}))
    assert doc["ok"], doc["message"]
