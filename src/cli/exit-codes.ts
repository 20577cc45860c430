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
  interrupted: 130,
} as const;

const MEANING: Record<keyof typeof EXIT, string> = {
  ok: "success",
  rejected: "rejected (or not verified)",
  usage: "usage error",
  problemNotFound: "an input file not found",
  problemSyntax: "problem syntax error",
  problemIncomplete: "problem incomplete",
  problemRaised: "problem raised",
  problemBadOutput: "problem output not tensors",
  needsGpu: "needs a CUDA GPU",
  environment: "harness not set up",
  interrupted: "interrupted (Ctrl-C or SIGTERM)",
};

/** The "Exit status" and "Example" paragraphs of a command's --help. */
export function helpFooter(statuses: (keyof typeof EXIT)[], example: string, ok: string = MEANING.ok): string {
  const list = statuses.map((k) => `${EXIT[k]} ${k === "ok" ? ok : MEANING[k]}`).join(", ");
  return `\nExit status: ${wrap(list, 78)}\n\nExample:\n  ${example}\n`;
}

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + word.length + 1 > width - (lines.length ? 2 : 13)) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join("\n  ");
}

/** The statuses every command that loads a problem can end with. */
export const PROBLEM_STATUSES: (keyof typeof EXIT)[] = [
  "usage", "problemNotFound", "problemSyntax", "problemIncomplete", "problemRaised", "problemBadOutput",
];

const BY_CODE: Record<string, number> = {
  problem_missing_file: EXIT.problemNotFound,
  candidate_missing_file: EXIT.problemNotFound,
  problem_syntax: EXIT.problemSyntax,
  problem_missing_symbol: EXIT.problemIncomplete,
  problem_import_error: EXIT.problemRaised,
  problem_init_error: EXIT.problemRaised,
  problem_inputs_error: EXIT.problemRaised,
  problem_forward_error: EXIT.problemRaised,
  nondeterministic_reference: EXIT.problemRaised,
  problem_bad_inputs: EXIT.problemBadOutput,
  problem_bad_output: EXIT.problemBadOutput,
  problem_empty_input: EXIT.problemBadOutput,
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
