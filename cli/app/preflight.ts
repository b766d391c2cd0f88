/**
 * Pre-flight checks of the outside tools a command needs, before it does anything: today the Pulumi CLI for
 * `rollout` / `rollback` (the Automation API drives the `pulumi` executable found on PATH).
 */
import { execFile } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import * as path from "node:path";

/**
 * The oldest CLI the Automation API accepts (pulumi/pulumi sdk/nodejs/automation/minimumVersion.ts: v3.2.0-alpha);
 * the project is written for the 3.x CLI.
 */
export const PULUMI_MINIMUM_VERSION = "3.2.0";
export const PULUMI_INSTALL_HINT =
  "Install the Pulumi CLI 3.x (https://www.pulumi.com/docs/iac/download-install/: `curl -fsSL https://get.pulumi.com | sh`), put it on PATH, then run `pulumi login --local` once.";

export interface InstalledPulumi {
  readonly path: string;
  readonly version: string;
}

export type Preflight = { readonly ok: true; readonly cli: InstalledPulumi } | { readonly ok: false; readonly problem: string; readonly hint: string };

/** The first executable `name` on PATH, as a shell would find it. */
export function findOnPath(name: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  for (const dir of (env["PATH"] ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const file = path.join(dir, name);
    try {
      if (statSync(file).isFile()) {
        accessSync(file, constants.X_OK);
        return file;
      }
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Finds `pulumi`, runs `pulumi version` and checks it is a 3.x at or above the minimum. */
export async function checkPulumiCli(env: Readonly<Record<string, string | undefined>>, timeoutMs = 20_000): Promise<Preflight> {
  const hint = PULUMI_INSTALL_HINT;
  const file = findOnPath("pulumi", env);
  if (file === undefined) {
    return { ok: false, problem: `the Pulumi CLI is not installed: no \`pulumi\` on PATH (${env["PATH"] ?? "(PATH unset)"})`, hint };
  }
  const answer = await new Promise<{ stdout: string; error?: string }>((resolve) => {
    execFile(file, ["version"], { env: env, timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve(error ? { stdout, error: `${error.message.split("\n")[0] ?? ""}${stderr.trim() !== "" ? `: ${stderr.trim().slice(0, 300)}` : ""}` } : { stdout });
    });
  });
  if (answer.error !== undefined) {
    return { ok: false, problem: `\`${file} version\` failed: ${answer.error}`, hint };
  }
  const printed = answer.stdout.trim();
  const version = /^v?(\d+)\.(\d+)\.(\d+)/.exec(printed)?.slice(1).map(Number);
  if (version === undefined) {
    return { ok: false, problem: `\`${file} version\` printed ${JSON.stringify(printed.slice(0, 80))}, not a version`, hint };
  }
  const minimum = PULUMI_MINIMUM_VERSION.split(".").map(Number);
  const below = version.findIndex((n, i) => n !== minimum[i]);
  if (version[0] !== 3 || (below >= 0 && version[below]! < minimum[below]!)) {
    return { ok: false, problem: `the Pulumi CLI at ${file} is ${printed}; myoci needs 3.x, at least v${PULUMI_MINIMUM_VERSION}`, hint };
  }
  return { ok: true, cli: { path: file, version: printed } };
}
