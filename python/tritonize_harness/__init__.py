"""Tritonize's harness: everything that must run inside the PyTorch process.

Loads KernelBench-format problems, verifies candidates by execution (in an isolated worker
process), times them, and reports one JSON document per command. Runs standalone:
``python -m tritonize_harness verify --problem P --candidate C --json``.
"""

VERDICT_SCHEMA = "tritonize.verdict/1"
