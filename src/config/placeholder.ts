/**
 * Values copied from examples without being filled in ("sk-...", "your-key-here", "<key>",
 * "changeme") count as unset, so that the error names the variable instead of a 401 later.
 */
const patterns: RegExp[] = [
  /^\s*$/,
  /\.\.\./, // sk-..., sk-ant-...
  /…/,
  /^<.*>$/, // <your key>
  /^\$\{.*\}$/, // ${OPENAI_API_KEY}, never expanded
  /^\{\{.*\}\}$/,
  /your[-_ ]?(api[-_ ]?)?(key|token|url)/i,
  /[-_ ]here$/i, // key-here, your_key_here
  /^(changeme|change[-_ ]me|replace[-_ ]?me|placeholder|todo|tbd|xxx+|sk-x+|sk-ant-x+)$/i,
];

export function isPlaceholder(value: string | undefined): boolean {
  if (value === undefined) return true;
  return patterns.some((re) => re.test(value.trim()));
}
