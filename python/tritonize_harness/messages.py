"""Every sentence the harness says about a failure, rendered from its code and details."""
from __future__ import annotations

from typing import Any, Callable

_R = Callable[[dict[str, Any]], str]


def _join(items: Any) -> str:
    return ", ".join(str(i) for i in items) if items else "none"


def _at(d: dict[str, Any], key: str = "where") -> str:
    """' at file:line' where the report knows it."""
    where = d.get(key)
    if not where or where == "?":
        return ""
    if key == "file" and d.get("line"):
        where = f"{where}:{d['line']}"
    return f" at {where}"


_TEMPLATES: dict[str, _R] = {
    # load: the problem
    "problem_missing_file": lambda d: f"problem file not found: {d['path']}",
    "problem_syntax": lambda d: f"problem {d['path']} has a syntax error at line {d.get('lineno')}: {d.get('msg')}",
    "problem_import_error": lambda d: f"problem {d['path']} raised while being loaded: {d['error']}",
    "problem_missing_symbol": lambda d: f"problem {d['path']} does not define {_join(d['missing'])} (a KernelBench problem needs Model, get_inputs and get_init_inputs)",
    "problem_bad_constant": lambda d: f"--set {d['name']}: {d['reason']}",
    "problem_init_error": lambda d: f"Model(*get_init_inputs()) raised: {d['error']}",
    "problem_inputs_error": lambda d: f"{d['function']}() raised: {d['error']}",
    "problem_bad_inputs": lambda d: f"{d['function']}() must return a list or tuple, got {d['got']}",
    "problem_forward_error": lambda d: f"Model.forward raised: {d['error']}",
    "problem_bad_output": lambda d: f"Model.forward must return a tensor or a tuple/list of tensors, got {d['got']}",
    "no_cuda": lambda d: "--device cuda was asked for, but torch sees no CUDA GPU here (use --device cpu for Triton's interpreter)",
    "no_gpu": lambda d: "timing needs a CUDA GPU and none is visible here; `verify` checks correctness on the CPU through Triton's interpreter",
    "bad_device": lambda d: f"unknown device {d['requested']!r}: use auto, cuda or cpu",
    # load: the candidate
    "candidate_missing_file": lambda d: f"candidate file not found: {d['path']}",
    "candidate_syntax": lambda d: f"candidate has a syntax error at line {d.get('lineno')}: {d.get('msg')}",
    "candidate_import_error": lambda d: f"candidate raised while being imported: {d['error']}",
    "candidate_missing_entry": lambda d: "candidate defines neither ModelNew (same constructor arguments as Model) nor kernel_function(*inputs)",
    "candidate_init_error": lambda d: f"ModelNew(*get_init_inputs()) raised: {d['error']}",
    # static
    "forbidden_import": lambda d: f"line {d['line']}: import of '{d['module']}' is not allowed in a candidate ({d['why']})",
    "forbidden_call": lambda d: f"line {d['line']}: call to {d['name']}() is not allowed in a candidate ({d['why']})",
    "forbidden_attribute": lambda d: f"line {d['line']}: use of '{d['name']}' is not allowed in a candidate ({d['why']})",
    "no_triton_kernel": lambda d: "candidate defines no @triton.jit kernel: its arithmetic must run in Triton",
    # compile / runtime
    "compile_error": lambda d: f"Triton kernel failed to compile: {d['error']}",
    "interpreter_limitation": lambda d: f"Triton's CPU interpreter could not run the kernel: {d['lacking']} ({d['error']}); this is a limit of the interpreter, not necessarily of the candidate: verify on a GPU (--device cuda)",
    "runtime_error": lambda d: f"candidate raised during forward: {d['error']}",
    "bad_output_type": lambda d: f"candidate returned {d['got']}, expected {d['expected']}",
    "worker_crashed": lambda d: f"the candidate's process ended without a result (exit status {d.get('status')}){': ' + d['stderr'] if d.get('stderr') else ''}",
    "timeout": lambda d: f"verification did not finish within {d['seconds']} s (stopped while {d.get('during', 'running the candidate')}); the whole process group was killed",
    # correctness
    "output_count_mismatch": lambda d: f"candidate returned {d['got']} output(s), the reference returns {d['expected']}",
    "shape_mismatch": lambda d: f"output {d['output']}: shape {d['got']} differs from the reference's {d['expected']} (trial {d['trial']})",
    "dtype_mismatch": lambda d: f"output {d['output']}: dtype {d['got']} differs from the reference's {d['expected']} (trial {d['trial']})",
    "non_finite": lambda d: f"output {d['output']}: {d['count']} NaN/Inf value(s) where the reference is finite, first at index {d['index']} (trial {d['trial']}); unwritten output memory is filled with NaN during verification",
    "mismatch": lambda d: f"output {d['output']}: {d['count']} of {d['numel']} elements outside tolerance (atol={d['atol']}, rtol={d['rtol']}); worst at index {d['index']}: got {d['got']:.6g}, expected {d['expected']:.6g} (abs err {d['abs_err']:.3g}) in trial {d['trial']}",
    "degenerate_mismatch": lambda d: f"output {d['output']}: the reference is near-constant (max |ref| = {d['scale']:.3g}), so errors are measured relative to its scale; worst at index {d['index']}: got {d['got']:.6g}, expected {d['expected']:.6g} (scaled err {d['scaled_err']:.3g} > {d['tol']}) in trial {d['trial']}",
    # integrity
    "aten_compute_op": lambda d: f"{_join(d['ops'])} {'was' if len(d['ops']) == 1 else 'were'} called from the wrapper{' (' + '; '.join(d['where']) + ')' if d.get('where') else ''} (the forward may only allocate, view and launch Triton kernels; arithmetic belongs in @triton.jit code, in the candidate or in a library it calls)",
    "dtype_cast": lambda d: f"the wrapper converted {d['from']} to {d['to']} ({d['op']}); computing in another precision than the problem's is not allowed",
    "host_read": lambda d: f"forward call {d.get('call')} of trial {d.get('trial')} read {d['count']} tensor values back to Python (at most {d['limit']} scalars may be read, for control flow); most through {d['route']}{_at(d)}; results must be computed by Triton kernels" if "count" in d else f"the wrapper read tensor data back to Python ({d['op']}); results must be computed by Triton kernels",
    "host_data": lambda d: f"forward call {d.get('call')} of trial {d.get('trial')} put {d['count']} values made in Python into tensors (at most {d['limit']} may be, e.g. a small table of constants); most through {d['route']}{_at(d)}; a result computed in Python and copied out by a kernel is not a kernel's result",
    "no_launch": lambda d: f"no Triton kernel was launched in forward call {d['call']} of trial {d['trial']}",
    "input_mutated": lambda d: f"input {d['input']} was modified by the candidate (trial {d['trial']}); inputs must be left unchanged",
    "output_aliases_input": lambda d: f"output {d['output']} shares memory with input {d['input']} (trial {d['trial']}); return a new tensor written by a kernel",
    "output_not_from_kernel": lambda d: f"output {d['output']} was not written by a Triton kernel in this call (its memory was never passed to a launch) (trial {d['trial']})",
    "cached_output": lambda d: f"output {d['output']} of trial {d['trial']} is identical to trial {d['earlier']}'s although the inputs changed: results must be computed from the current inputs",
    "forbidden_operation": lambda d: f"the candidate attempted a blocked operation: {d['event']} ({d['why']}){_at(d, 'file')}",
    "side_stream": lambda d: f"a Triton kernel ({d['kernel']}) was launched on a side CUDA stream; launch on the current stream so the work is synchronised and timed",
    "timing_mismatch": lambda d: f"while timed, the candidate launched {d['timed']:.2f} Triton kernels per call, while verified it launched {d['verified']}: it must do the same work whether or not it is observed",
    "foreign_kernel": lambda d: f"GPU kernel(s) not written in Triton ran during forward: {_join(d['kernels'])}",
    "nondeterministic_reference": lambda d: f"the reference gives different results on the same inputs (max difference {d['diff']:.3g}); it cannot be verified against",
    # resources: the machine, not the candidate
    "insufficient_memory": lambda d: f"this verification needs about {d['need'] / 2**20:.0f} MiB of {'GPU ' if d.get('device') != 'cpu' else ''}memory and the budget is {d['budget'] / 2**20:.0f} MiB; it cannot run here (not the candidate's fault)",
    "admission_timeout": lambda d: f"waited for {d['need'] / 2**20:.0f} MiB of memory until the deadline ({d['held'] / 2**20:.0f} of {d['budget'] / 2**20:.0f} MiB held by other verifications); retry when the machine is less busy (not the candidate's fault)",
    "out_of_memory": lambda d: f"out of memory while {d.get('during', 'verifying')} although admitted ({d.get('error', '')}); other work on the device took the memory (not the candidate's fault)",
}


def render(code: str, details: dict[str, Any]) -> str:
    template = _TEMPLATES.get(code)
    if template is None:
        return f"{code}: {details}"
    try:
        return template(details)
    except (KeyError, TypeError, ValueError) as exc:  # a renderer bug must not hide the failure
        return f"{code}: {details} (message could not be rendered: {exc!r})"
