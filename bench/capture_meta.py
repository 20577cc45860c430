"""Graph capture at a problem's full sizes without its memory: the model and get_inputs() are made
on torch's meta device (shapes, dtypes and strides only), then `capture` runs as usual. Used by
bench/prepare-verify-full.ts to author full-size candidates on a machine without 8 GB per input.

    python bench/capture_meta.py --problem P [--set NAME=VALUE]... --json
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))

import torch  # noqa: E402

torch.set_default_device("meta")

from tritonize_harness.cli import main  # noqa: E402

sys.exit(main(["capture", *sys.argv[1:]]))
