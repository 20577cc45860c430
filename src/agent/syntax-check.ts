import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";

/**
 * A cheap check before a full verification: does the candidate parse as Python, and does it define
 * the entry point at module level? A syntax slip then costs no harness run (which imports torch)
 * and the worker hears the exact line. One bare interpreter (no torch) serves every check of a
 * run over stdin/stdout, one JSON document per line, so a check takes about a millisecond.
 */

export type SyntaxResult =
  | { ok: true }
  | { ok: false; reason: "syntax" | "missing-entry"; message: string; line: number | null };

/** `entry` names the required definition; "A|B" accepts either. */
export type SyntaxChecker = (code: string, entry: string) => Promise<SyntaxResult>;

const SCRIPT = `
import ast, json, sys
for raw in sys.stdin:
    req = json.loads(raw)
    entries = req["entry"].split("|")
    try:
        tree = ast.parse(req["code"])
    except SyntaxError as e:
        out = {"ok": False, "reason": "syntax", "message": f"{type(e).__name__}: {e.msg}", "line": e.lineno}
    else:
        names = set()
        for node in tree.body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if any(e in names for e in entries):
            out = {"ok": True}
        else:
            out = {"ok": False, "reason": "missing-entry", "line": None,
                   "message": f"the file defines no module-level {' or '.join(entries)}"}
    sys.stdout.write(json.dumps(out) + "\\n")
    sys.stdout.flush()
`;

/** The interpreter used for the syntax check: TRITONIZE_PYTHON when set, else python3. */
export function defaultPython(): string {
  return process.env.TRITONIZE_PYTHON || "python3";
}

type Handle = { ref?: () => void; unref?: () => void };

/** While checks are pending the interpreter keeps the event loop alive; idle, it must not. */
function hold(c: ChildProcessWithoutNullStreams, on: boolean): void {
  for (const h of [c, c.stdout, c.stderr, c.stdin] as unknown as Handle[]) (on ? h.ref : h.unref)?.call(h);
}

export interface PythonSyntaxServer {
  check: SyntaxChecker;
  /** Ends the interpreter; later checks start a new one. */
  close(): void;
}

export function pythonSyntaxServer(python: string = defaultPython()): PythonSyntaxServer {
  let child: ChildProcessWithoutNullStreams | null = null;
  let failure: Error | null = null;
  const pending: { resolve: (r: SyntaxResult) => void; reject: (e: Error) => void }[] = [];

  const failAll = (err: Error) => {
    failure = err;
    for (const p of pending.splice(0)) p.reject(err);
    child = null;
  };
  const start = (): ChildProcessWithoutNullStreams => {
    // Its own process group: a terminal's Ctrl-C reaches the run, which closes this checker in
    // order; were the run to die, the closed stdin ends the loop.
    const c = spawn(python, ["-I", "-u", "-c", SCRIPT], { stdio: ["pipe", "pipe", "pipe"], detached: true });
    let stderr = "";
    c.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    c.on("error", (e) => failAll(new Error(`could not run ${python} for the syntax check: ${e.message}; set TRITONIZE_PYTHON`)));
    c.on("exit", (code, sig) => {
      if (child === c) failAll(new Error(`the syntax-check interpreter (${python}) exited (${sig ?? code}): ${stderr.trim()}`));
    });
    c.stdin.on("error", () => {
      /* an exit is reported by the exit handler */
    });
    createInterface({ input: c.stdout }).on("line", (line) => {
      const p = pending.shift();
      if (!p) return;
      if (pending.length === 0) hold(c, false);
      try {
        p.resolve(JSON.parse(line) as SyntaxResult);
      } catch {
        p.reject(new Error(`the syntax check printed something unexpected: ${line.slice(0, 200)}`));
      }
    });
    hold(c, false);
    return c;
  };

  return {
    check(code, entry) {
      if (failure) return Promise.reject(failure);
      child ??= start();
      const c = child;
      return new Promise<SyntaxResult>((resolve, reject) => {
        pending.push({ resolve, reject });
        hold(c, true);
        c.stdin.write(JSON.stringify({ code, entry }) + "\n");
      });
    },
    close() {
      const c = child;
      child = null;
      failure = null;
      if (c) {
        for (const p of pending.splice(0)) p.reject(new Error("the syntax checker was closed"));
        c.kill();
      }
    },
  };
}
