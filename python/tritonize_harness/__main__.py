import importlib.util
import sys

from .exit_codes import ENVIRONMENT


def _missing_modules() -> list[str]:
    """The harness needs torch and triton; `env` runs without them, to report what is missing."""
    return [m for m in ("torch", "triton") if importlib.util.find_spec(m) is None]


missing = _missing_modules()
if missing and sys.argv[1:2] != ["env"]:
    sys.stderr.write(
        f"tritonize_harness: {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed in "
        f"{sys.executable}: install them (pip install -r requirements.txt, from the python/ folder), "
        f"or run with a Python that has them (TRITONIZE_PYTHON=/path/to/python for the tritonize command)\n"
    )
    sys.exit(ENVIRONMENT)

from .cli import main  # noqa: E402  (imports torch-dependent modules lazily, after the check above)

code = main()
if sys.argv[1:2] == ["verify"]:
    # The verdict is written and its processes are gone: the interpreter's own teardown (torch's
    # modules, the CUDA context) would only add most of a second to every one-shot verification.
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
sys.exit(code)
