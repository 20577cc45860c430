"""Graph capture: exact ops, shapes, dtypes and parameters, and a clear reason when tracing fails."""
import json
import os
import subprocess
import sys

from tritonize_harness.capture import capture

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(HERE)), "examples", "offline")

LINEAR = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
BATCH = 4
class Model(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.fc = nn.Linear(i, o)
        self.bn = nn.BatchNorm1d(o)
    def forward(self, x):
        return torch.softmax(F.gelu(self.bn(self.fc(x))), dim=-1)
def get_inputs():
    return [torch.randn(BATCH, 8).t().contiguous().t()]
def get_init_inputs():
    return [8, 6]
'''

BRANCHY = '''
import torch
import torch.nn as nn
class Model(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x * 2
        return x
def get_inputs():
    return [torch.randn(4, 4)]
def get_init_inputs():
    return []
'''


def test_linear_chain_ops_params_and_modes(write):
    doc = capture(write("p.py", LINEAR), {"BATCH": "5"})
    assert doc["ok"], doc
    assert doc["schema"] == "tritonize.graph/1"
    ops = [n["op"] for n in doc["nodes"]]
    assert ops[:1] == ["linear"] and "batch_norm" in ops and "gelu" in ops and ops[-1] == "softmax"
    x = doc["inputs"][0]
    # the override reached the input's shape; the strides are the real (non-contiguous) ones
    assert x["shape"] == [5, 8] and x["strides"] == [1, 5] and x["contiguous"] is False
    params = {p["name"]: p for p in doc["params"]}
    assert params["fc.weight"]["shape"] == [6, 8] and params["fc.weight"]["kind"] == "parameter"
    assert params["bn.running_mean"]["kind"] == "buffer" and params["bn.running_mean"]["module"] == "bn"
    lin = doc["nodes"][0]
    assert lin["args"][0] == {"input": x["id"]}
    assert lin["args"][1] == {"param": params["fc.weight"]["id"]}
    assert lin["shape"] == [5, 6] and lin["dtype"] == "float32" and lin["module"] == "fc"
    bn = next(n for n in doc["nodes"] if n["op"] == "batch_norm")
    assert bn["training"] is True and bn["args"][5] is True  # the module's mode is recorded
    assert "nn.Linear(i, o)" in doc["init"]["source"]
    assert doc["outputs"] == [{"node": doc["nodes"][-1]["id"]}]
    json.dumps(doc)  # the whole document is JSON


def test_data_dependent_branch_is_named_with_its_line(write):
    doc = capture(write("b.py", BRANCHY))
    assert doc["ok"] is False and doc["code"] == "trace_failed"
    assert doc["line"] == 6
    assert "data-dependent control flow" in doc["message"] and "x.sum() > 0" in doc["message"]


def test_missing_problem_is_a_load_failure(tmp_path):
    doc = capture(str(tmp_path / "nope.py"))
    assert doc["ok"] is False and doc["code"] == "load_failed"


def test_command_line_prints_only_the_document():
    env = {**os.environ, "PYTHONPATH": os.path.dirname(HERE)}
    r = subprocess.run([sys.executable, "-m", "tritonize_harness", "capture", "--json",
                        "--problem", os.path.join(EXAMPLES, "reductions.py")],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    ops = [n["op"] for n in doc["nodes"]]
    assert {"sum", "mean", "amax", "min", "prod", "argmax", "argmin"} <= set(ops)
    mn = next(n for n in doc["nodes"] if n["op"] == "min")
    assert mn["shape"] is None and [o["dtype"] for o in mn["outputs"]] == ["float32", "int64"]


COMPOSITES = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(6)
    def forward(self, a, b, c, v):
        return (torch.einsum("bijl,lk->bijk", c, b),
                torch.mean(1 - F.cosine_similarity(a, self.bn(a), dim=1)),
                F.smooth_l1_loss(a, a * 2),
                torch.diag(v) @ b,
                torch.triu(b, diagonal=1))
def get_inputs():
    return [torch.randn(5, 6), torch.randn(6, 6), torch.randn(2, 3, 4, 6), torch.randn(6)]
def get_init_inputs():
    return []
'''


STATS_AND_TURNS = '''
import torch
import torch.nn as nn
class Model(nn.Module):
    def forward(self, x):
        v, m = torch.var_mean(x, dim=1, correction=0)
        s, m2 = torch.std_mean(x, dim=(0, 1), keepdim=True)
        return (v, m, s, m2, torch.logsumexp(x, dim=1), torch.fliplr(x), torch.flipud(x), torch.rot90(x, 1, (0, 1)),
                torch.stack([x, x], 0), x @ x[0], x[:, 0] @ x, x @ x.T)
def get_inputs():
    return [torch.randn(5, 7)]
def get_init_inputs():
    return []
'''


def test_stats_turns_stacks_and_1d_products_become_covered_ops(write):
    doc = capture(write("s.py", STATS_AND_TURNS))
    assert doc["ok"] and doc["decomposeError"] is None, doc
    nodes = {n["id"]: n for n in doc["nodes"]}
    ops = [n["op"] for n in doc["nodes"]]
    assert not {"var_mean", "std_mean", "logsumexp", "fliplr", "flipud", "rot90", "stack"} & set(ops), ops
    # a matmul with a 1-D operand takes its composite form; one of two matrices stays whole
    assert [nodes[o["node"]]["op"] for o in doc["outputs"][-3:]] == ["sum", "squeeze", "matmul"]
    # var_mean's two results are the overloads the author reads, correction a keyword
    v, m, s, m2 = (nodes[o["node"]] for o in doc["outputs"][:4])
    assert (v["target"], v["kwargs"]) == ("aten.var.correction", {"correction": 0})
    assert m["target"] == "aten.mean.dim" and m["shape"] == [5]
    assert s["target"] == "aten.std.correction" and s["kwargs"]["keepdim"] is True and m2["shape"] == [1, 1]
    # logsumexp's decomposition zeroes infinite maxima with masked_fill, a pointwise step
    assert "masked_fill" in ops and "flip" in ops
    json.dumps(doc)


CASTS = '''
import torch
import torch.nn as nn
class Model(nn.Module):
    def forward(self, x):
        return x.half().float() * 2, x.to(torch.int32)
def get_inputs():
    return [torch.randn(3, 4)]
def get_init_inputs():
    return []
'''


def test_casts_keep_no_metadata_asserts(write):
    doc = capture(write("casts.py", CASTS))
    assert doc["ok"], doc
    ops = [n["op"] for n in doc["nodes"]]
    # export checks the input's dtype before each cast; the check computes nothing and is dropped
    assert ops == ["to", "to", "mul", "to"], ops


def test_composites_are_decomposed_and_covered_ops_stay_whole(write):
    doc = capture(write("c.py", COMPOSITES))
    assert doc["ok"], doc
    assert doc["decomposeError"] is None
    ops = [n["op"] for n in doc["nodes"]]
    # einsum, cosine_similarity and smooth_l1_loss are gone, replaced by ops the author writes
    assert not {"einsum", "cosine_similarity", "smooth_l1_loss", "broadcast_tensors", "diag"} & set(ops), ops
    assert {"aten.einsum.default", "aten.cosine_similarity.default", "aten.smooth_l1_loss.default"} <= set(doc["decomposed"])
    assert "bmm" in ops and "linalg_vector_norm" in ops and "where" in ops
    # batch_norm (a covered op) stays whole, in training mode; triu stays whole (it has a kernel)
    bn = next(n for n in doc["nodes"] if n["op"] == "batch_norm")
    assert bn["training"] is True and "triu" in ops
    # the decomposition's in-place steps are out-of-place, its 0-d constants are plain numbers
    assert not [o for o in ops if o.endswith("_") and o != "add_"], ops
    assert "scalar_tensor" not in ops
    # diag(v) @ b became an elementwise product
    out3 = doc["outputs"][3]["node"]
    assert next(n for n in doc["nodes"] if n["id"] == out3)["op"] == "mul"
    # new nodes keep the problem's line
    cos = [n for n in doc["nodes"] if n["op"] == "linalg_vector_norm"]
    assert cos and all(n["line"] == 11 for n in cos)
    json.dumps(doc)


NORM_ORDERS = '''
import torch
import torch.nn as nn
class Model(nn.Module):
    def forward(self, x):
        return (torch.norm(x, p=3, dim=1), torch.linalg.vector_norm(x, 0), torch.linalg.vector_norm(x, float("-inf"), dim=-1),
                torch.linalg.vector_norm(x, 2, dim=1))
def get_inputs():
    return [torch.randn(4, 5)]
def get_init_inputs():
    return []
'''


def test_vector_norms_of_orders_without_a_template_become_powers_sums_and_minima(write):
    doc = capture(write("n.py", NORM_ORDERS))
    assert doc["ok"] and doc["decomposeError"] is None, doc
    nodes = {n["id"]: n for n in doc["nodes"]}
    p3, p0, pinf, p2 = (nodes[o["node"]] for o in doc["outputs"])
    # order 3: sum(|x|^3)^(1/3); order 0: a count of the non-zeros; -inf: the smallest magnitude
    assert p3["target"] == "aten.pow.Tensor_Scalar" and abs(p3["args"][1] - 1 / 3) < 1e-12
    assert nodes[p3["args"][0]["node"]]["target"] == "aten.sum.dim_IntList"
    assert p0["target"] == "aten.sum.dim_IntList" and p0["shape"] == []
    assert pinf["target"] == "aten.amin.default" and pinf["shape"] == [4]
    # order 2 has a template of its own and stays whole
    assert p2["target"] == "aten.linalg_vector_norm.default"


def test_aminmax_and_a_linear_of_a_vector_are_written_as_what_they_compute(tmp_path):
    p = tmp_path / "p.py"
    p.write_text(
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
        "class Model(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.w = nn.Parameter(torch.randn(5, 7))\n"
        "    def forward(self, x, v):\n"
        "        lo, hi = torch.aminmax(x, dim=1)\n        return lo, hi, F.linear(v, self.w)\n"
        "def get_inputs():\n    return [torch.randn(3, 4), torch.randn(7)]\n"
        "def get_init_inputs():\n    return []\n")
    doc = capture(str(p))
    assert doc["ok"], doc.get("message")
    ops = [n["op"] for n in doc["nodes"]]
    assert "aminmax" not in ops and {"amin", "amax"} <= set(ops)
    assert "linear" not in ops and "mm" in ops


def test_a_cumulative_batch_norm_in_training_mode_is_refused_by_name(tmp_path):
    p = tmp_path / "p.py"
    p.write_text(
        "import torch\nimport torch.nn as nn\n"
        "class Model(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.bn = nn.BatchNorm1d(4, momentum=None)\n"
        "    def forward(self, x):\n        return self.bn(x)\n"
        "def get_inputs():\n    return [torch.randn(3, 4)]\n"
        "def get_init_inputs():\n    return []\n")
    doc = capture(str(p))
    assert not doc["ok"] and doc["code"] == "trace_failed"
    assert "BatchNorm1d 'bn'" in doc["message"] and "momentum=None" in doc["message"]


def test_chunk_and_split_are_slices_and_rrelu_outside_training_is_a_leaky_relu(tmp_path):
    p = tmp_path / "p.py"
    p.write_text(
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
        "class Model(nn.Module):\n"
        "    def forward(self, x):\n"
        "        a, b = x.chunk(2, dim=-1)\n        c, d = torch.split(x, [1, 3], dim=1)\n"
        "        return a * b, c + d.sum(1, keepdim=True), F.rrelu(x, 0.1, 0.3, training=False)\n"
        "def get_inputs():\n    return [torch.randn(3, 4, 6)]\n"
        "def get_init_inputs():\n    return []\n")
    doc = capture(str(p))
    assert doc["ok"], doc.get("message")
    ops = [n["op"] for n in doc["nodes"]]
    assert not {"chunk", "split", "split_with_sizes", "rrelu", "rrelu_with_noise"} & set(ops), ops
    assert ops.count("slice") >= 4 and "leaky_relu" in ops
    slope = next(n for n in doc["nodes"] if n["op"] == "leaky_relu")["args"][1]
    assert abs(float(slope) - 0.2) < 1e-12
