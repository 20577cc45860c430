"""The static reading: obvious escapes are rejected with their line before anything runs."""
import pytest

from tritonize_harness.failure import Failure
from tritonize_harness.static_check import check_source

KERNEL = (
    "import torch\nimport triton\nimport triton.language as tl\n"
    "@triton.jit\ndef k(x_ptr):\n    pass\n"
)


def rejected(body: str):
    with pytest.raises(Failure) as info:
        check_source(KERNEL + body, "candidate.py")
    return info.value


@pytest.mark.parametrize("body,code,name", [
    ("import subprocess\n", "forbidden_import", "subprocess"),
    ("from ctypes import CDLL\n", "forbidden_import", "ctypes"),
    ("import threading\n", "forbidden_import", "threading"),
    ("import torch.utils.cpp_extension\n", "forbidden_import", "torch.utils.cpp_extension"),
    ("f = getattr(__import__('torch'), 'bmm')\n", "forbidden_call", "__import__"),
    ("f = getattr(torch, '_C')\n", "forbidden_attribute", "torch._C"),
    ("f = getattr(k, '__globals__')\n", "forbidden_attribute", "__globals__"),
    ("eval('1')\n", "forbidden_call", "eval"),
    ("x = torch.compile\n", "forbidden_attribute", "torch.compile"),
    ("x = torch._C\n", "forbidden_attribute", "torch._C"),
    ("x = (1).__class__.__subclasses__\n", "forbidden_attribute", "__subclasses__"),
    ("def f(t): return t.__array_interface__\n", "forbidden_attribute", "__array_interface__"),
    ("def f(v): return v.handle.data\n", "forbidden_attribute", "handle"),
    ("from torch import compile\n", "forbidden_import", "torch.compile"),
])
def test_escapes_are_named_with_their_line(body, code, name):
    f = rejected(body)
    assert f.code == code
    assert name in str(f.details)
    assert f.line == KERNEL.count("\n") + 1


def test_a_candidate_without_a_triton_kernel():
    with pytest.raises(Failure) as info:
        check_source("import torch\nclass ModelNew(torch.nn.Module):\n    pass\n", "c.py")
    assert info.value.code == "no_triton_kernel"


def test_syntax_error_is_a_load_failure_with_line():
    with pytest.raises(Failure) as info:
        check_source("def f(:\n", "c.py")
    assert (info.value.stage, info.value.code, info.value.line) == ("load", "candidate_syntax", 1)


def test_reflection_with_a_literal_name_is_read_like_an_attribute():
    check_source(KERNEL + "class ModelNew(torch.nn.Module):\n    def forward(self, x):\n"
                 "        if getattr(self, 'bias', None) is not None:\n            pass\n"
                 "        torch.backends.cuda.matmul.allow_tf32 = False\n        return x\n", "c.py")


def test_an_ordinary_wrapper_passes():
    info = check_source(KERNEL + "import math, os\nclass ModelNew(torch.nn.Module):\n    def forward(self, x):\n"
                        "        y = torch.empty_like(x).contiguous()\n        return y\n", "c.py")
    assert info == {"kernels": ["k"], "libraries": [], "form": "ModelNew"}


def test_everyday_python_passes():
    check_source(KERNEL + "import dataclasses, enum, functools, itertools, operator, typing, collections\n"
                 "from triton.language.extra.libdevice import rsqrt\n"
                 "@dataclasses.dataclass(frozen=True)\nclass Cfg:\n    block: int\n"
                 "    def __post_init__(self):\n        object.__setattr__(self, 'block', self.block)\n"
                 "def backend(device):\n    return getattr(torch, device.type, None)\n"
                 "def names(self):\n    return vars(self), self.__dict__, type(self).__name__\n", "c.py")


def test_kernels_from_an_installed_library_count():
    info = check_source("import torch\nfrom liger_kernel.ops.rms_norm import LigerRMSNormFunction\n"
                        "class ModelNew(torch.nn.Module):\n    pass\n", "c.py")
    assert info["kernels"] == [] and info["libraries"] == ["liger_kernel"]
