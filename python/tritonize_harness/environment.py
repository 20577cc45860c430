"""``env``: what this Python can do: versions, GPU or interpreter mode."""
from __future__ import annotations

import platform
import sys


def run(args) -> dict:
    doc: dict = {"schema": "tritonize.env/1", "ok": True, "python": sys.version.split()[0],
                 "executable": sys.executable, "platform": platform.platform()}
    try:
        import torch

        doc["torch"] = torch.__version__
        cuda = torch.cuda.is_available()
        doc["cuda"] = cuda
        if cuda:
            props = torch.cuda.get_device_properties(0)
            doc["gpu"] = {"name": props.name, "memoryGiB": round(props.total_memory / 2**30, 1),
                          "count": torch.cuda.device_count(), "capability": f"{props.major}.{props.minor}"}
        else:
            doc["gpu"] = None
    except ImportError as exc:
        doc.update(ok=False, torch=None, error=f"torch is not importable: {exc}")
    try:
        import triton

        doc["triton"] = triton.__version__
    except ImportError as exc:
        doc.update(ok=False, triton=None, error=f"triton is not importable: {exc}")
    try:
        import numpy

        doc["numpy"] = numpy.__version__
    except ImportError:
        doc["numpy"] = None
    doc["mode"] = "cuda" if doc.get("gpu") else "interpreter"
    return doc
