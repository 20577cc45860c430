import type { Command } from "commander";
import { register as bench } from "./bench.js";
import { register as capture } from "./capture.js";
import { register as doctor } from "./doctor.js";
import { register as format } from "./format.js";
import { register as models } from "./models.js";
import { register as kernel } from "./kernel.js";
import { register as run } from "./run.js";
import { register as suite } from "./suite.js";
import { register as verify } from "./verify.js";

/** Sets the process exit status a command ends with. */
export type SetExit = (code: number) => void;
export type RegisterCommand = (program: Command, setExit: SetExit) => void;

/** Every command of the CLI, one module each. */
const commands: RegisterCommand[] = [run, suite, capture, verify, bench, doctor, models, kernel, format];

export function registerCommands(program: Command, setExit: SetExit): void {
  for (const register of commands) register(program, setExit);
}
