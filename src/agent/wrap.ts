/**
 * A candidate may define `kernel_function(*inputs)` (for a problem whose Model holds no
 * parameters) instead of `ModelNew`, as `verify` accepts both. The deliverable is always a
 * KernelBench ModelNew, so such a file is wrapped: ModelNew takes Model's constructor arguments,
 * creates nothing, and calls kernel_function. The wrapped file is verified again, being another file.
 */

/** The entry points `verify` accepts, as the syntax check spells them. */
export const CANDIDATE_ENTRIES = ["ModelNew", "kernel_function"] as const;

export function definesTopLevel(code: string, name: string): boolean {
  return new RegExp(`^(?:class|def|async\\s+def)\\s+${name}\\b|^${name}\\s*=`, "m").test(code);
}

/** The file with a ModelNew around its kernel_function; null when it already defines ModelNew. */
export function wrapKernelFunction(code: string): string | null {
  if (definesTopLevel(code, "ModelNew") || !definesTopLevel(code, "kernel_function")) return null;
  return (
    code.trimEnd() +
    `


import torch


class ModelNew(torch.nn.Module):
    """The KernelBench deliverable: Model's constructor arguments, no parameters, kernel_function's result."""

    def __init__(self, *init_inputs):
        super().__init__()

    def forward(self, *inputs):
        return kernel_function(*inputs)
`
  );
}
