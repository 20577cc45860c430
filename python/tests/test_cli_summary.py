"""The standalone harness's own summary of a verdict, as a person on a GPU host reads it."""
from tritonize_harness.cli import _summary_verify


def _doc(**over):
    doc = {"ok": False, "stage": "timeout", "code": "timeout", "message": "verification did not finish within 120 s",
           "line": None, "traceback": None, "trials": [], "device": "cpu", "interpreter": True, "launches": 12,
           "durationMs": 120000.0}
    doc.update(over)
    return doc


def test_timeout_on_the_interpreter_says_why_and_suggests_smaller_sizes():
    text = _summary_verify(_doc())
    assert text.startswith("REJECTED at timeout")
    assert "12 Triton launches over all trials" in text
    assert "check at small sizes with --set" in text


def test_a_timeout_on_a_gpu_gets_no_interpreter_hint():
    assert "interpreter runs kernels" not in _summary_verify(_doc(device="cuda", interpreter=False))
