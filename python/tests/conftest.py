import importlib.util
import os
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
FIXTURES = os.path.join(HERE, "fixtures")


def fixture(name: str) -> str:
    return os.path.join(FIXTURES, name)


@pytest.fixture
def write(tmp_path):
    """Writes a file into the test's temp dir and returns its path."""
    def _write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)
    return _write


def capture_body(tmp_path, template: str, body: str) -> list[dict]:
    """The captured nodes of a problem written from `template`, its forward's `{body}` the given
    lines (indented into the method); the capture must succeed."""
    from tritonize_harness.capture import capture

    p = tmp_path / "problem.py"
    p.write_text(template.format(body="\n".join("        " + l for l in body.strip().splitlines())))
    doc = capture(str(p))
    assert doc["ok"], doc
    return doc["nodes"]


def process_gone(pid: int, within: float = 5.0) -> bool:
    """Whether process pid ended (or is a zombie) within `within` seconds."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False


def compose_with_references(plan: dict, out: str) -> str:
    """composed.py with each subgraph's own reference problem standing in for its kernel."""
    from tritonize_harness import compose

    kernels = {}
    for sg in plan["subgraphs"]:
        path = os.path.join(out, f"{sg['id']}_reference_kernel.py")
        with open(sg["problem"]) as fh:
            src = fh.read()
        with open(path, "w") as fh:
            fh.write(src.replace("class Model(", "class ModelNew("))
        kernels[sg["id"]] = path
    text = compose.compose(plan, kernels, {})
    path = os.path.join(out, "composed.py")
    with open(path, "w") as fh:
        fh.write(text)
    return path


def import_file(path: str):
    """The module at path, imported under a name of its own."""
    spec = importlib.util.spec_from_file_location(f"composed_{abs(hash(path))}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod
