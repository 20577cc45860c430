/**
 * Exit statuses of every command, in one table (python/tritonize_harness/exit_codes.py mirrors the
 * part the harness uses). Bad input gets its own status so scripts can tell it from a rejection.
 */
export const EXIT = {
  ok: 0,
  rejected: 1,
  usage: 2,
  problemNotFound: 3,
  problemSyntax: 4,
  problemIncomplete: 5,
  problemRaised: 6,
  problemBadOutput: 7,
  needsGpu: 8,
  environment: 9,
} as const;

const BY_CODE: Record<string, number> = {
  problem_missing_file: EXIT.problemNotFound,
  problem_syntax: EXIT.problemSyntax,
  problem_missing_symbol: EXIT.problemIncomplete,
  problem_import_error: EXIT.problemRaised,
  problem_init_error: EXIT.problemRaised,
  problem_inputs_error: EXIT.problemRaised,
  problem_forward_error: EXIT.problemRaised,
  nondeterministic_reference: EXIT.problemRaised,
  problem_bad_inputs: EXIT.problemBadOutput,
  problem_bad_output: EXIT.problemBadOutput,
  problem_bad_constant: EXIT.usage,
  bad_device: EXIT.usage,
  no_gpu: EXIT.needsGpu,
  no_cuda: EXIT.needsGpu,
};

/** The exit status for a harness document: 0 when ok, else by its failure code. */
export function exitFor(doc: { ok: boolean; code: string | null }): number {
  if (doc.ok) return EXIT.ok;
  return (doc.code && BY_CODE[doc.code]) || EXIT.rejected;
}
