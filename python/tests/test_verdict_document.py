"""The verdict document is valid JSON even when the evidence holds Inf or NaN."""
import json

from conftest import fixture
from tritonize_harness.output import emit
from tritonize_harness.verify import VerifyOptions, verify


def test_infinite_reference_values_survive_the_document(tmp_path):
    doc = verify(VerifyOptions(problem=fixture("log_with_zero.py"), candidate=fixture("log_clamped.py"),
                               device="cpu", trials=1))
    assert (doc["stage"], doc["code"]) == ("correctness", "mismatch")
    assert doc["details"]["expected"] == "-inf" and doc["details"]["index"] == [3]
    assert doc["trials"][0]["maxAbsErr"] is None
    out = tmp_path / "out.json"
    with open(tmp_path / "stdout", "w") as stream:
        emit(doc, stream, str(out))  # strict JSON: raises on NaN/Inf
    assert json.loads(out.read_text())["code"] == "mismatch"
