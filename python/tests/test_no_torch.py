"""The standalone harness in a Python without torch: one line saying what to install, no traceback."""
import os
import subprocess
import sys

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_help_without_torch_is_one_line_and_exit_9():
    # -S: no site-packages, so this Python has neither torch nor triton
    r = subprocess.run([sys.executable, "-S", "-m", "tritonize_harness", "--help"], cwd=PYTHON_DIR,
                       capture_output=True, text=True, timeout=60,
                       env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert r.returncode == 9, r.stderr
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "torch and triton are not installed" in lines[0]
    assert "TRITONIZE_PYTHON" in lines[0]
