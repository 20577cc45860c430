import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";

/**
 * The pipeline's run directory and its events. Every stage appends to one `events.jsonl` as it
 * goes (synchronously, so a killed run loses nothing it reported) and writes its artefact when it
 * is complete; `--resume` reads the artefacts back and skips what is done.
 */

export const PipelineStageSchema = z.enum(["run", "route", "capture", "direct", "fuse", "extract", "dispatch", "compose", "format", "verify"]);
export type PipelineStage = z.infer<typeof PipelineStageSchema>;

export const PipelineEventSchema = z.object({
  time: z.string(),
  stage: PipelineStageSchema,
  /** the subgraph the event belongs to, else null */
  subgraph: z.string().nullable(),
  /** started | completed | failed | reused | skipped | progress */
  kind: z.enum(["started", "completed", "failed", "reused", "skipped", "progress", "interrupted"]),
  data: z.record(z.string(), z.unknown()),
});
export type PipelineEvent = z.infer<typeof PipelineEventSchema>;

export type PipelineListener = (e: PipelineEvent) => void;

export class PipelineRunDir {
  readonly eventsPath: string;
  private listeners: PipelineListener[] = [];

  constructor(
    readonly dir: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    mkdirSync(dir, { recursive: true });
    this.eventsPath = join(dir, "events.jsonl");
  }

  subscribe(l: PipelineListener): void {
    this.listeners.push(l);
  }

  emit(stage: PipelineStage, kind: PipelineEvent["kind"], data: Record<string, unknown> = {}, subgraph: string | null = null): void {
    const e = PipelineEventSchema.parse({ time: this.now().toISOString(), stage, subgraph, kind, data });
    appendFileSync(this.eventsPath, JSON.stringify(e) + "\n");
    for (const l of this.listeners) l(e);
  }

  path(relative: string): string {
    return join(this.dir, relative);
  }

  has(relative: string): boolean {
    return existsSync(this.path(relative));
  }

  /** Writes through a temporary file, so a file that exists is complete. */
  write(relative: string, text: string): string {
    const p = this.path(relative);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p + ".tmp", text);
    renameSync(p + ".tmp", p);
    return p;
  }

  writeJson(relative: string, doc: unknown): string {
    return this.write(relative, JSON.stringify(doc, null, 2) + "\n");
  }

  /** A JSON artefact parsed with its schema, or null when it is absent (not yet written). */
  readJson<T>(relative: string, schema: z.ZodType<T>): T | null {
    if (!this.has(relative)) return null;
    return schema.parse(JSON.parse(readFileSync(this.path(relative), "utf8")));
  }

  events(): PipelineEvent[] {
    if (!existsSync(this.eventsPath)) return [];
    return readFileSync(this.eventsPath, "utf8")
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => PipelineEventSchema.parse(JSON.parse(l)));
  }
}
