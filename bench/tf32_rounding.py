"""How cuDNN rounds fp32 operands to TF32: which rounding reproduces an eager TF32 convolution.

TF32 products are exact in fp32, so a convolution of operands rounded to TF32 beforehand and run
in exact fp32 differs from cuDNN's TF32 result only by the order of the sums, if the rounding is
cuDNN's. For each problem given, this compares the eager result (TF32 allowed) with the exact
convolution of operands rounded three ways: to nearest with ties away from zero (cvt.rna), to
nearest even (cvt.rn) and toward zero (the tensor cores reading fp32 bits as they are), and prints
the worst difference and the elements outside the fp32 tolerance (1e-4 absolute and relative).

    python bench/tf32_rounding.py KernelBench/level1/87_conv_pointwise_2D.py [...]
"""
from __future__ import annotations

import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from tritonize_harness.problem import load_problem  # noqa: E402

DROPPED = 13  # fp32 keeps 23 mantissa bits, TF32 10
LOW = (1 << DROPPED) - 1


def round_tf32(x: torch.Tensor, mode: str) -> torch.Tensor:
    bits = x.contiguous().view(torch.int32)
    if mode == "rna":
        bits = bits + (1 << (DROPPED - 1))
    elif mode == "rne":
        bits = bits + ((1 << (DROPPED - 1)) - 1) + ((bits >> DROPPED) & 1)
    return (bits & ~LOW).view(torch.float32)


def compare(path: str) -> dict:
    problem = load_problem(path)
    torch.manual_seed(0)
    model = problem.Model(*problem.get_init_inputs()).cuda().eval()
    torch.manual_seed(1)
    x = problem.get_inputs()[0].cuda()
    torch.backends.cudnn.allow_tf32 = True
    with torch.no_grad():
        expected = model(x)
    row = {"problem": os.path.basename(path)}
    # depthwise layers are PyTorch's own exact fp32 kernels, not cuDNN's TF32 ones
    convs = [m for m in model.modules() if isinstance(m, torch.nn.modules.conv._ConvNd)
             and not (m.groups == m.in_channels and m.groups > 1)]
    originals = [m.weight.data.clone() for m in convs]
    torch.backends.cudnn.allow_tf32 = False
    for mode in ("rna", "rne", "rz"):
        for m, w in zip(convs, originals):
            m.weight.data = round_tf32(w, mode)
        with torch.no_grad():
            got = _run_rounded(model, convs, x, mode)
        err = (got - expected).abs()
        outside = (err > 1e-4 + 1e-4 * expected.abs()).sum().item()
        row[mode] = {"maxAbsErr": err.max().item(), "outside": outside}
        del got, err
    torch.backends.cudnn.allow_tf32 = True
    return row


def _run_rounded(model, convs, x, mode):
    """The model with each TF32 layer's input rounded as it arrives (its weight is already)."""
    hooks = [m.register_forward_pre_hook(lambda _m, args: (round_tf32(args[0], mode),)) for m in convs]
    try:
        return model(x)
    finally:
        for h in hooks:
            h.remove()


def main() -> None:
    for path in sys.argv[1:]:
        print(json.dumps(compare(path)), flush=True)
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
