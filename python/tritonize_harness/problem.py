"""Loading KernelBench-format problems: Model, get_inputs(), get_init_inputs(), module constants.

Module constants can be overridden (``--set batch_size=8``): the module's source is re-executed with
the top-level assignments replaced, so constants derived from them follow.
"""
from __future__ import annotations

import ast
import os
import sys
import traceback
import types
from dataclasses import dataclass
from typing import Any

from .failure import Failure

REQUIRED = ("Model", "get_inputs", "get_init_inputs")


@dataclass
class LoadedProblem:
    path: str
    source: str
    module: types.ModuleType
    constants: dict[str, Any]

    @property
    def Model(self):  # noqa: N802 - the problem's own name
        return self.module.Model

    def get_inputs(self) -> list[Any]:
        return _call_list(self.module.get_inputs, "get_inputs")

    def get_init_inputs(self) -> list[Any]:
        return _call_list(self.module.get_init_inputs, "get_init_inputs")


def short_traceback(exc: BaseException, keep: int = 4) -> str:
    """The last frames of a traceback: where it happened, without the harness's own frames."""
    frames = traceback.extract_tb(exc.__traceback__)
    here = os.path.dirname(__file__)
    frames = [f for f in frames if not f.filename.startswith(here)] or frames
    lines = traceback.format_list(frames[-keep:])
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip()


def describe_error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) < 2000 else text[:2000] + " …"


def _call_list(fn, name: str) -> list[Any]:
    try:
        value = fn()
    except Exception as exc:  # the problem's own code raised: report it, with where
        raise Failure("load", "problem_inputs_error", {"function": name, "error": describe_error(exc)},
                      traceback=short_traceback(exc)) from exc
    if not isinstance(value, (list, tuple)):
        raise Failure("load", "problem_bad_inputs", {"function": name, "got": type(value).__name__})
    return list(value)


def parse_sets(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip().isidentifier():
            raise Failure("load", "problem_bad_constant",
                          {"name": pair, "reason": "expected NAME=VALUE, e.g. --set batch_size=8"})
        out[name.strip()] = value.strip()
    return out


def _literal(name: str, text: str) -> ast.expr:
    try:
        node = ast.parse(text, mode="eval").body
        ast.literal_eval(node)  # numbers, strings, tuples, lists, booleans, None only
        return node
    except (SyntaxError, ValueError) as exc:
        raise Failure("load", "problem_bad_constant",
                      {"name": name, "reason": f"value {text!r} is not a Python literal ({exc})"}) from exc


def _apply_sets(tree: ast.Module, sets: dict[str, str], path: str) -> None:
    found: set[str] = set()
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Name) and target.id in sets:
                node.value = _literal(target.id, sets[target.id])  # type: ignore[union-attr]
                found.add(target.id)
    missing = [n for n in sets if n not in found]
    if missing:
        constants = sorted(_module_constants(tree))
        raise Failure("load", "problem_bad_constant", {
            "name": missing[0],
            "reason": f"{path} has no module constant '{missing[0]}' (its constants: {', '.join(constants) or 'none'})",
        })


def _module_constants(tree: ast.Module) -> list[str]:
    names = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    names.append(t.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return names


def load_problem(path: str, sets: dict[str, str] | None = None, module_name: str = "tritonize_problem") -> LoadedProblem:
    """Executes a problem file and checks it has what a KernelBench problem needs."""
    sets = sets or {}
    if not os.path.isfile(path):
        raise Failure("load", "problem_missing_file", {"path": path})
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise Failure("load", "problem_syntax", {"path": path, "lineno": exc.lineno, "msg": exc.msg},
                      line=exc.lineno) from exc
    _apply_sets(tree, sets, path)
    module = types.ModuleType(module_name)
    module.__file__ = os.path.abspath(path)
    # Problems sometimes import helpers beside them.
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    sys.modules[module_name] = module
    try:
        exec(compile(tree, os.path.abspath(path), "exec"), module.__dict__)
    except Exception as exc:
        raise Failure("load", "problem_import_error", {"path": path, "error": describe_error(exc)},
                      traceback=short_traceback(exc)) from exc
    missing = [n for n in REQUIRED if not hasattr(module, n)]
    if missing:
        raise Failure("load", "problem_missing_symbol", {"path": path, "missing": missing})
    constants = {
        n: getattr(module, n) for n in _module_constants(tree)
        if isinstance(getattr(module, n, None), (int, float, bool, str, tuple, list))
    }
    return LoadedProblem(path=path, source=source, module=module, constants=constants)
