/**
 * The real PulumiEngine: Pulumi's Automation API (LocalWorkspace over the project folder). It needs the
 * `pulumi` CLI and a logged-in backend; it is not run on the development machine (no CLI there).
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { imagesFromConfig, type DeploymentSummary, type PulumiEngine, type UpOptions, type UpOutcome } from "./engine";
import { StackFilePins, type PinChanges, type PinSet, type PostgresMigration } from "./stack-pins";

export class AutomationEngine implements PulumiEngine {
  private stack?: Stack;
  private stackName?: string;
  private readonly pins: StackFilePins;

  /** @param projectDir the repository root (Pulumi.yaml, Pulumi.<stack>.yaml, policy/). */
  constructor(
    private readonly projectDir: string,
    private readonly now: () => number = Date.now,
  ) {
    this.pins = new StackFilePins(projectDir);
  }

  private selected(): { stack: Stack; name: string } {
    if (!this.stack || this.stackName === undefined) {
      throw new Error("no stack selected (call selectStack first)");
    }
    return { stack: this.stack, name: this.stackName };
  }

  async selectStack(stack: string): Promise<void> {
    this.stack = await LocalWorkspace.createOrSelectStack({ stackName: stack, workDir: this.projectDir });
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
    const { stack, name } = this.selected();
    const started = this.now();
    const policyConfig = path.join(this.projectDir, "policy", "config", `${name}.json`);
    try {
      await stack.up({
        policyPacks: options.policyPack !== undefined ? [path.join(this.projectDir, options.policyPack)] : undefined,
        policyPackConfigs: options.policyPack !== undefined && existsSync(policyConfig) ? [policyConfig] : undefined,
        onOutput: options.onOutput,
        color: "never",
      });
      return { ok: true, durationMs: this.now() - started };
    } catch (error) {
      // The Automation API throws CommandError with the CLI's stderr; Pulumi masks secrets in it.
      const message = error instanceof Error ? error.message : String(error);
      return {
        ok: false,
        error: message
          .split("\n")
          .filter((l) => l.trim() !== "")
          .slice(-20)
          .join("\n"),
        durationMs: this.now() - started,
      };
    }
  }

  async outputs(): Promise<Record<string, unknown>> {
    const outputs = await this.selected().stack.outputs();
    return Object.fromEntries(Object.entries(outputs).map(([key, output]) => [key, output.secret ? "[secret]" : output.value]));
  }

  async history(): Promise<DeploymentSummary[]> {
    const updates = await this.selected().stack.history(undefined, undefined, false);
    return updates.map((u) => ({
      version: u.version,
      kind: u.kind,
      result: u.result,
      startTime: new Date(u.startTime).toISOString(),
      endTime: u.endTime ? new Date(u.endTime).toISOString() : undefined,
      images: imagesFromConfig(u.config as Record<string, { value: string; secret?: boolean }>),
    }));
  }
}
