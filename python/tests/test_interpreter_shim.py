"""The interpreter worker's fills for what Triton's CPU interpreter lacks: checked by running a kernel
in a fresh interpreter process (TRITON_INTERPRET is read when kernels are defined)."""
import os
import subprocess
import sys

BF16_DOT = '''
import torch
import triton
import triton.language as tl
from tritonize_harness.worker.interpreter_shim import install

install()


@triton.jit
def k(a_ptr, b_ptr, c_ptr, M: tl.constexpr, N: tl.constexpr, K: tl.constexpr):
    rm, rn, rk = tl.arange(0, M), tl.arange(0, N), tl.arange(0, K)
    a = tl.load(a_ptr + rm[:, None] * K + rk[None, :])
    b = tl.load(b_ptr + rk[:, None] * N + rn[None, :])
    tl.store(c_ptr + rm[:, None] * N + rn[None, :], tl.dot(a, b))


torch.manual_seed(0)
for dtype in (torch.bfloat16, torch.float16):
    a, b = torch.randn(16, 32).to(dtype), torch.randn(32, 16).to(dtype)
    c = torch.empty(16, 16)
    k[(1,)](a, b, c, M=16, N=16, K=32)
    print(dtype, float((c - a.float() @ b.float()).abs().max()))
'''


def test_bfloat16_dot_multiplies_values_not_bit_patterns():
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    out = subprocess.run([sys.executable, "-c", BF16_DOT], capture_output=True, text=True, env=env,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), timeout=120)
    assert out.returncode == 0, out.stderr
    errs = dict(line.rsplit(" ", 1) for line in out.stdout.strip().splitlines())
    # products of 16-bit values are exact in fp32; only the order of the fp32 sums differs
    assert float(errs["torch.bfloat16"]) < 1e-4 and float(errs["torch.float16"]) < 1e-4, errs
