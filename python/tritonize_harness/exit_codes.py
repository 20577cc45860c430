"""Exit statuses; the same table as src/cli/exit-codes.ts."""

OK = 0
REJECTED = 1
USAGE = 2
ENVIRONMENT = 9
INTERRUPTED = 130

BY_CODE = {
    "problem_missing_file": 3,
    "candidate_missing_file": 3,
    "problem_syntax": 4,
    "problem_missing_symbol": 5,
    "problem_import_error": 6,
    "problem_init_error": 6,
    "problem_inputs_error": 6,
    "problem_forward_error": 6,
    "nondeterministic_reference": 6,
    "problem_bad_inputs": 7,
    "problem_bad_output": 7,
    "problem_bad_constant": 2,
    "bad_device": 2,
    "no_gpu": 8,
    "no_cuda": 8,
}


def exit_for(doc: dict) -> int:
    if doc.get("ok"):
        return OK
    return BY_CODE.get(doc.get("code") or "", REJECTED)
