/**
 * Finds the candidate in a model's reply: the last fenced ```python block, or the only fenced
 * block when none is tagged. Anything else is a clear rejection the worker is told about.
 */

export type Extraction =
  | { ok: true; code: string; blocks: number }
  | { ok: false; reason: "no-code" | "truncated"; message: string };

export interface Block {
  lang: string;
  body: string;
  closed: boolean;
}

export function fencedBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let open: { lang: string; body: string[]; fence: string } | null = null;
  for (const line of lines) {
    if (!open) {
      const m = /^\s*(`{3,}|~{3,})\s*([\w+-]*)\s*$/.exec(line);
      if (m) open = { fence: m[1]!, lang: (m[2] ?? "").toLowerCase(), body: [] };
      continue;
    }
    const close = /^\s*(`{3,}|~{3,})\s*$/.exec(line);
    if (close && close[1]!.startsWith(open.fence[0]!) && close[1]!.length >= open.fence.length) {
      blocks.push({ lang: open.lang, body: open.body.join("\n"), closed: true });
      open = null;
    } else {
      open.body.push(line);
    }
  }
  if (open) blocks.push({ lang: open.lang, body: open.body.join("\n"), closed: false });
  return blocks;
}

export function extractCode(reply: string): Extraction {
  const blocks = fencedBlocks(reply);
  const python = blocks.filter((b) => b.lang === "python" || b.lang === "py" || b.lang === "python3");
  let chosen: Block | undefined;
  if (python.length > 0) chosen = python[python.length - 1];
  else if (blocks.length === 1 && blocks[0]!.lang === "") chosen = blocks[0];
  if (!chosen) {
    return {
      ok: false,
      reason: "no-code",
      message:
        blocks.length === 0
          ? "Your reply had no fenced code block. Give the whole file in one ```python block."
          : `Your reply had ${blocks.length} fenced blocks but none tagged python. Give the whole file in one \`\`\`python block.`,
    };
  }
  if (!chosen.closed) {
    return {
      ok: false,
      reason: "truncated",
      message:
        "Your reply ended inside the ```python block (the closing fence is missing), so the file is incomplete. Keep the explanation short and give the whole file.",
    };
  }
  if (chosen.body.trim() === "") {
    return { ok: false, reason: "no-code", message: "Your ```python block was empty. Give the whole file in it." };
  }
  return { ok: true, code: chosen.body.replace(/\s+$/, "") + "\n", blocks: blocks.length };
}
