"""Capture reads shapes, never values: the problem's inputs are laid out but not filled."""
import subprocess
import sys

from conftest import HERE

BIG = '''
import torch
import torch.nn as nn
class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x) * 2
def get_inputs():
    return [torch.randn(2**16, 2**15).abs()]
def get_init_inputs():
    return []
'''


def test_capture_makes_no_input_values(tmp_path):
    """An 8 GiB input is captured without its memory ever being filled: capture traces with fake
    tensors, so get_inputs runs on the meta device and the inputs stay untouched."""
    p = tmp_path / "big.py"
    p.write_text(BIG)
    script = f'''
import resource, sys
sys.path.insert(0, {repr(HERE + "/..")})
from tritonize_harness.capture import capture
doc = capture({str(p)!r})
assert doc["ok"], doc
print(doc["inputs"][0]["shape"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
'''
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("[65536, 32768]"), out.stdout
    peak_mib = int(out.stdout.split()[-1])
    assert peak_mib < 3 * 1024, f"capture's process peaked at {peak_mib} MiB for an 8 GiB input"
