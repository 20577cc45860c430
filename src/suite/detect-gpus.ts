import { execFile } from "node:child_process";
import type { GpuDevice } from "./placement.js";

export type ExecText = (cmd: string, args: string[]) => Promise<string>;

const execText: ExecText = (cmd, args) =>
  new Promise((resolve, reject) =>
    execFile(cmd, args, { timeout: 30_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );

/**
 * The GPUs of this host from nvidia-smi (none when it is missing). CUDA_VISIBLE_DEVICES, when set
 * to indices, narrows the list, since the suite's jobs may use only those.
 */
export async function detectGpus(env: NodeJS.ProcessEnv = process.env, exec: ExecText = execText): Promise<GpuDevice[]> {
  let text: string;
  try {
    text = await exec("nvidia-smi", ["--query-gpu=index,name,memory.total", "--format=csv,noheader,nounits"]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new Error(`nvidia-smi failed: ${(err as Error).message.split("\n")[0]}`);
  }
  const devices = parseNvidiaSmi(text);
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible === undefined || !/^[\d,\s]*$/.test(visible)) return devices;
  const allowed = visible.split(",").filter((s) => s.trim()).map(Number);
  return devices.filter((d) => allowed.includes(d.index));
}

export function parseNvidiaSmi(text: string): GpuDevice[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [index, name, memory] = line.split(",").map((s) => s.trim());
      const d = { index: Number(index), name: name ?? "", memoryMiB: Number(memory) };
      if (!Number.isInteger(d.index) || !Number.isFinite(d.memoryMiB)) throw new Error(`nvidia-smi printed a line the suite cannot read: ${line}`);
      return d;
    });
}
