"""One JSON document on stdout, nothing else: the problem's and candidate's prints go to stderr."""
from __future__ import annotations

import contextlib
import json
import os
import sys


@contextlib.contextmanager
def clean_stdout():
    """Points fd 1 at stderr for the duration; yields a writer for the real stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    real = os.fdopen(saved, "w", encoding="utf-8")
    try:
        yield real
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        real.close()


def emit(doc: dict, stream, result_file: str | None) -> None:
    text = json.dumps(doc, indent=None, allow_nan=False, default=str)
    if result_file:
        tmp = result_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, result_file)
    stream.write(text + "\n")
    stream.flush()
