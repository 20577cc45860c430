import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/**
 * A Chromium to drive headless: $CHROMIUM_PATH, else the first of the usual names on PATH
 * (Debian's package installs `chromium`; scripts/setup.sh installs it where apt-get can).
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.CHROMIUM_PATH) return existsSync(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : null;
  for (const name of ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) {
    try {
      const path = execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
      if (path) return path;
    } catch {
      // not on PATH
    }
  }
  return null;
}
