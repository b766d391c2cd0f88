/**
 * The real PulumiEngine: Pulumi's Automation API (LocalWorkspace over the project folder) driving the `pulumi`
 * CLI through DetachedPulumiCli (own process group, Pulumi's cancel, one error text). Read against
 * @pulumi/pulumi/automation/{localWorkspace,stack,cmd}.js@3.270.0:
 * - `pulumi version` runs once per engine (PulumiCommand.get), not once per LocalWorkspace;
 * - stacks are selected, never created: `stack ls --json` first, then `stack select --stack <s>`;
 * - `up` runs the argv Stack.up builds, and only that: Stack.up itself follows every update with
 *   `stack output --json`, `stack output --json --show-secrets` and `stack history --json --show-secrets
 *   --page-size 1`, whose failure it reports as a failed update. The bookkeeping is lastDeployment(), its own step.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import {
  imagesFromConfig,
  lockHolder,
  pinsFromImagesOutput,
  StackNotFoundError,
  type DeploymentRecord,
  type DeploymentSummary,
  type PulumiEngine,
  type UpOptions,
  type UpOutcome,
} from "./engine";
import { DetachedPulumiCli, PulumiCliError, type PulumiCli } from "./cli-runner";
import type { PinSet } from "../../../catalog";
import type { PostgresMigration } from "../../../config/schema";
import type { PinChanges } from "../../../config/stack-file/pins";
import { StackFilePins } from "./stack-pins";

interface RawUpdate {
  version: number;
  kind: string;
  result: string;
  startTime: string;
  endTime?: string;
  config?: Record<string, { value: string; secret?: boolean }>;
}

/** The SDK's own parse and minimum-version check of a `pulumi version` answer (what PulumiCommand.get runs; not in its typings). */
async function validatedVersion(printed: string): Promise<PulumiCommand["version"]> {
  const cmd = (await import("@pulumi/pulumi/automation/cmd")) as unknown as {
    parseAndValidatePulumiVersion(min: unknown, current: string, optOut: boolean): PulumiCommand["version"];
  };
  const { minimumVersion } = (await import("@pulumi/pulumi/automation/minimumVersion")) as unknown as { minimumVersion: unknown };
  return cmd.parseAndValidatePulumiVersion(minimumVersion, printed, false);
}

export class AutomationEngine implements PulumiEngine {
  private workspace?: Promise<LocalWorkspace>;
  private stackNames?: Promise<{ backend: string; names: string[] }>;
  private stack?: Stack;
  private stackName?: string;
  private readonly pins: StackFilePins;

  /**
   * @param projectDir the repository root (Pulumi.yaml, Pulumi.<stack>.yaml, policy/).
   * @param knownVersion what `pulumi version` printed in the command's pre-flight, so the run asks it once.
   */
  constructor(
    private readonly projectDir: string,
    private readonly cli: PulumiCli = new DetachedPulumiCli(),
    private readonly now: () => number = Date.now,
    private readonly knownVersion?: string,
  ) {
    this.pins = new StackFilePins(projectDir);
  }

  /** One LocalWorkspace per engine, over one PulumiCommand whose runs go through the detached CLI. */
  private ws(): Promise<LocalWorkspace> {
    this.workspace ??= (async () => {
      // The run's one `pulumi version` (the pre-flight's answer when there was one), with the SDK's own minimum-version check.
      const version = this.knownVersion !== undefined ? await validatedVersion(this.knownVersion) : (await PulumiCommand.get()).version;
      // LocalWorkspace only calls `run(args, cwd, env, onOutput)` and reads `command`/`version` (cmd.js).
      const pulumiCommand = { command: this.cli.command, version, run: this.cli.run.bind(this.cli) } as unknown as PulumiCommand;
      return LocalWorkspace.create({ workDir: this.projectDir, pulumiCommand });
    })();
    return this.workspace;
  }

  private selected(): { stack: Stack; name: string } {
    if (!this.stack || this.stackName === undefined) {
      throw new Error("no stack selected (call selectStack first)");
    }
    return { stack: this.stack, name: this.stackName };
  }

  async assertStacks(stacks: readonly string[]): Promise<void> {
    const ws = await this.ws();
    this.stackNames ??= (async () => {
      const summaries = await ws.listStacks();
      const who = await ws.whoAmI();
      return { backend: who.url ?? "(the backend of `pulumi whoami`)", names: summaries.map((s) => s.name) };
    })();
    const { backend, names } = await this.stackNames;
    for (const stack of stacks) {
      // `stack ls` names stacks as the backend does: `name`, `org/name` or `org/project/name`.
      if (!names.some((n) => n === stack || n.endsWith(`/${stack}`))) {
        throw new StackNotFoundError(stack, backend, names);
      }
    }
  }

  async selectStack(stack: string): Promise<void> {
    await this.assertStacks([stack]);
    this.stack = await Stack.select(stack, await this.ws());
    this.stackName = stack;
  }

  async getPins(): Promise<PinSet> {
    return this.pins.read(this.selected().name);
  }

  async setPins(changes: PinChanges): Promise<void> {
    this.pins.write(this.selected().name, changes);
  }

  async setPostgresMigration(migration: PostgresMigration | null): Promise<void> {
    this.pins.setPostgresMigration(this.selected().name, migration);
  }

  async up(options: UpOptions): Promise<UpOutcome> {
    const { name } = this.selected();
    const started = this.now();
    const policyConfig = path.join(this.projectDir, "policy", "config", `${name}.json`);
    // Stack.up's argv for these options (stack.js: up, applyGlobalOpts, runPulumiCmd).
    const args = ["up", "--yes", "--skip-preview"];
    if (options.policyPack !== undefined) {
      args.push("--policy-pack", path.join(this.projectDir, options.policyPack));
      if (existsSync(policyConfig)) {
        args.push("--policy-pack-config", policyConfig);
      }
    }
    args.push("--color", "never", "--exec-kind", "auto.local", "--stack", name);
    try {
      await this.cli.runWith(
        args,
        this.projectDir,
        { PULUMI_DEBUG_COMMANDS: "true" },
        {
          onOutput: options.onOutput,
          cancel: options.cancel,
          timeoutMs: options.timeoutMs,
        },
      );
      return { result: "succeeded", durationMs: this.now() - started };
    } catch (error) {
      const durationMs = this.now() - started;
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof PulumiCliError && error.ended !== undefined) {
        return { result: "canceled", why: error.ended === "timeout" ? "timeout" : "interrupt", error: message, durationMs };
      }
      const holder = lockHolder(message);
      if (holder !== undefined) {
        return { result: "locked", holder, durationMs };
      }
      return { result: "failed", error: message, durationMs };
    }
  }

  async lastDeployment(): Promise<DeploymentRecord> {
    const { name } = this.selected();
    const history = await this.historyPage(1);
    const outputs = await this.cli.run(["stack", "output", "--json", "--stack", name], this.projectDir, {});
    const parsed = JSON.parse(outputs.stdout) as Record<string, unknown>;
    return { update: history[0], exported: pinsFromImagesOutput(parsed.images) };
  }

  async history(): Promise<DeploymentSummary[]> {
    return this.historyPage(undefined);
  }

  private async historyPage(pageSize: number | undefined): Promise<DeploymentSummary[]> {
    // Stack.history(pageSize, page, showSecrets=false): `stack history --json [--page-size N --page 1]`.
    const updates = (await this.selected().stack.history(pageSize, pageSize !== undefined ? 1 : undefined, false)) as unknown as RawUpdate[];
    return updates.map((u) => ({
      version: u.version,
      kind: u.kind,
      result: u.result,
      startTime: new Date(u.startTime).toISOString(),
      endTime: u.endTime ? new Date(u.endTime).toISOString() : undefined,
      images: imagesFromConfig(u.config),
    }));
  }
}
