import type { ConvSpec } from "./conv-spec.js";

/**
 * The precision an eager fp32 convolution has on a GPU, which a kernel must match to pass the
 * reference's tolerance: "tf32" (operands rounded to TF32, products on the tensor cores) or "exact"
 * (fp32 products). PyTorch allows TF32 in cuDNN by default, but cuDNN chooses the algorithm and
 * some it chooses are exact. Measured on an H200 with torch 2.11's cuDNN over KernelBench level 1's
 * 35 convolution problems at their sizes (`bench/conv_reference_precision.py`: TF32 allowed and forbidden
 * gave the same results, up to sum-order noise, for these): standard 3-D convolutions (54, 59, 60, 66), and transposed
 * grouped ones with an output padding or a dilation (72, 75; 73, grouped without either, is TF32).
 * Depthwise convolutions never reach cuDNN's tensor cores (conv.ts handles them apart). A guess
 * for other geometries: a run whose numbers miss the reference tries the other precision once.
 */
export type ConvPrecision = "tf32" | "exact";

export function predictedConvPrecision(s: ConvSpec): ConvPrecision {
  if (!s.transposed && s.S === 3) return "exact";
  const widened = s.outputPadding.some((p) => p > 0) || s.dilation.some((d) => d > 1);
  if (s.transposed && s.groups > 1 && widened) return "exact";
  return "tf32";
}

/**
 * How cuDNN rounds fp32 operands to TF32 where it does. Measured on the H200
 * (`bench/tf32_rounding.py`: operands rounded beforehand, then an exact convolution, against the
 * TF32 one): 1x1 convolutions round to nearest even (KernelBench 86's pointwise layer and 87: no
 * element outside the tolerance, against 29 and 522 with ties away), larger kernels to nearest with
 * ties away from zero (50: worst difference 3e-6 against 6e-5 with ties to even).
 */
export type Tf32Rounding = "away" | "even";

export function tf32Rounding(s: ConvSpec): Tf32Rounding {
  return s.kernel.every((k) => k === 1) ? "even" : "away";
}

export function otherPrecision(p: ConvPrecision): ConvPrecision {
  return p === "tf32" ? "exact" : "tf32";
}
