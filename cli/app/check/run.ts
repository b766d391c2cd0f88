/**
 * `myoci check` orchestration: asks the registries about every pinned component of a stack (tag list + one HEAD
 * per component, concurrently), classifies each, and renders the human report and the JSON document.
 */
import { CATALOG, COMPONENT_IDS, toVersionSet, type ImagePin, type KnownVulnerability, type PinSet, type VersionSet } from "../../../catalog";
import type { DigestResolver, TagLister } from "../../adapters/registry/client";
import { classifyComponent, errorCheck, type Candidate, type CheckStatus, type ComponentCheck } from "./classify";

export type RegistryReader = DigestResolver & TagLister & { baseUrl?(registry: string): string };

export interface StackCheck {
  readonly stack: string;
  readonly file: string;
  /** A stack that could not be read at all (bad file): no components checked. */
  readonly error?: string;
  readonly components: readonly ComponentCheck[];
  readonly summary: { readonly upToDate: number; readonly updates: number; readonly errors: number };
}

export interface CheckReport {
  readonly schemaVersion: 1;
  readonly checkedAt: string;
  readonly stacks: readonly StackCheck[];
  /** 0 everything up to date, 1 updates available (digest-only changes included), 2 any error. */
  readonly exitCode: 0 | 1 | 2;
}

/**
 * Shares registry answers between stacks: the same image asked twice (staging and prod) costs one request.
 * Keyed by the endpoint actually asked, so stacks with different mirrors never share answers.
 */
export class RegistryAnswerCache {
  private readonly answers = new Map<string, Promise<unknown>>();

  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    let answer = this.answers.get(key) as Promise<T> | undefined;
    if (!answer) {
      answer = load();
      this.answers.set(key, answer);
    }
    return answer;
  }
}

export interface CheckStackInput {
  readonly stack: string;
  readonly file: string;
  readonly images: PinSet;
  /** The pins' parsed tags, as the stack config holds them (`StackConfig.versions`); parsed here when absent. */
  readonly versions?: VersionSet;
  readonly registry: RegistryReader;
  readonly cache?: RegistryAnswerCache;
  readonly includePrerelease?: boolean;
  readonly now?: Date;
  /** OSV snapshot vulnerabilities (vulns-state.json): candidates that fix one are security updates. */
  readonly known?: readonly KnownVulnerability[];
}

function summarize(components: readonly ComponentCheck[]): StackCheck["summary"] {
  return {
    upToDate: components.filter((c) => c.status === "up-to-date").length,
    updates: components.filter((c) => c.status !== "up-to-date" && c.status !== "error").length,
    errors: components.filter((c) => c.status === "error").length,
  };
}

export async function checkStack(input: CheckStackInput): Promise<StackCheck> {
  const cache = input.cache ?? new RegistryAnswerCache();
  const pinned = COMPONENT_IDS.filter((id) => input.images[id] !== undefined);
  const versions = input.versions ?? toVersionSet(Object.fromEntries(pinned.map((id) => [id, input.images[id]?.tag]))).versions;
  const components = await Promise.all(
    pinned.map(async (component): Promise<ComponentCheck> => {
      const declared = input.images[component] as ImagePin;
      const { registry, repository } = CATALOG[component];
      const endpoint = `${input.registry.baseUrl?.(registry) ?? registry}/${repository}`;
      try {
        const [tagList, currentDigest] = await Promise.all([
          cache.get(`tags ${endpoint}`, () => input.registry.listTags(registry, repository)),
          cache.get(`digest ${endpoint}:${declared.tag}`, () => input.registry.resolveDigest(registry, repository, declared.tag)),
        ]);
        if (!tagList.includes(declared.tag)) {
          // The tag resolves, yet the list lacks it: the list is incomplete, and "no newer tag" cannot be trusted.
          return errorCheck(
            component,
            declared,
            `${registry}/${repository}: the tag list (${tagList.length} tag${tagList.length === 1 ? "" : "s"}) lacks the pinned tag ${declared.tag}, which resolves: the list is incomplete, newer tags cannot be judged`,
          );
        }
        return classifyComponent({
          component,
          declared,
          tags: tagList,
          currentDigest,
          versions,
          includePrerelease: input.includePrerelease,
          now: input.now,
          known: input.known,
        });
      } catch (error) {
        return errorCheck(component, declared, error instanceof Error ? error.message : String(error));
      }
    }),
  );
  return { stack: input.stack, file: input.file, components, summary: summarize(components) };
}

/** `--timeout <seconds>` → the whole run's limit for the registry client; throws naming the bad value. */
export function runLimitFrom(value: string | undefined): { readonly signal: AbortSignal; readonly seconds: number } | undefined {
  if (value === undefined) {
    return undefined;
  }
  const seconds = Number(value.trim());
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(seconds > 0) || seconds > 86_400) {
    throw new Error(`--timeout "${value}": expected seconds, a number above 0 (at most 86400)`);
  }
  return { signal: AbortSignal.timeout(Math.round(seconds * 1000)), seconds };
}

export function failedStack(stack: string, file: string, message: string): StackCheck {
  return { stack, file, error: message, components: [], summary: { upToDate: 0, updates: 0, errors: 1 } };
}

export function exitCodeOf(stacks: readonly StackCheck[]): 0 | 1 | 2 {
  if (stacks.some((s) => s.error !== undefined || s.summary.errors > 0)) {
    return 2;
  }
  return stacks.some((s) => s.summary.updates > 0) ? 1 : 0;
}

export function buildReport(stacks: readonly StackCheck[], now: Date = new Date()): CheckReport {
  return { schemaVersion: 1, checkedAt: now.toISOString(), stacks, exitCode: exitCodeOf(stacks) };
}

const STATUS_TEXT: Record<CheckStatus, string> = {
  "up-to-date": "up to date",
  digest: "digest",
  patch: "patch",
  minor: "minor",
  major: "major",
  error: "ERROR",
};

function flagsOf(check: ComponentCheck): string[] {
  const flags: string[] = [];
  if (check.endOfLife) {
    flags.push(check.endOfLife.reached ? `EOL since ${check.endOfLife.date}` : `EOL on ${check.endOfLife.date}`);
  }
  for (const advisory of check.advisories) {
    flags.push(`${advisory.id} (${advisory.severity}${advisory.fixedIn !== undefined ? `, fixed ${advisory.fixedIn}` : ""})`);
  }
  if (check.digestChanged && check.status !== "digest") {
    flags.push("tag re-pointed");
  }
  for (const kind of ["patch", "minor", "major"] as const) {
    const candidate = check.newest[kind];
    if (candidate && candidate.breaks.length > 0) {
      flags.push(`${candidate.tag} breaks ${[...new Set(candidate.breaks.map((b) => b.rule))].join(", ")}`);
    }
  }
  return flags;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

const cell = (candidate: Candidate | undefined): string => (candidate === undefined ? "-" : `${candidate.tag}${candidate.security ? " (security)" : ""}`);

/** "security update: fixes …" or "feature update", as the release plan's report names them. */
const kindOf = (candidate: Candidate): string => (candidate.security ? `security update: fixes ${candidate.fixes?.join(", ")}` : "feature update");

const short = (digest: string | undefined) => (digest === undefined ? "" : digest.slice(0, 19));

/** The human report: one table per stack, then details (errors, changelogs, broken rules). */
export function formatReport(report: CheckReport): string {
  const lines: string[] = [];
  for (const stack of report.stacks) {
    lines.push(`Stack ${stack.stack} (${stack.file})`);
    if (stack.error !== undefined) {
      lines.push(`  ERROR: ${stack.error}`, "");
      continue;
    }
    const rows = [["component", "declared", "status", "patch", "minor", "major", "flags"]];
    for (const c of stack.components) {
      rows.push([c.component, c.declared.tag, STATUS_TEXT[c.status], cell(c.newest.patch), cell(c.newest.minor), cell(c.newest.major), flagsOf(c).join("; ")]);
    }
    lines.push(...table(rows).map((line) => `  ${line}`));
    const details: string[] = [];
    for (const c of stack.components) {
      if (c.status === "error") {
        details.push(`  ${c.component}: not checked: ${c.error ?? "unknown error"}`);
      } else if (c.status === "digest") {
        details.push(`  ${c.component}: ${c.declared.tag} now points to ${short(c.currentDigest)}… (pinned ${short(c.declared.digest)}…): rebuilt image`);
      } else if (c.status !== "up-to-date") {
        const target = c.newest.patch ?? c.newest.minor ?? c.newest.major;
        details.push(
          `  ${c.component}: ${c.declared.tag} → ${[c.newest.patch, c.newest.minor, c.newest.major]
            .filter((x) => x !== undefined)
            .map((x) => `${x.tag} (${kindOf(x)})`)
            .join(" / ")}; changelog ${target?.changelog ?? c.changelog}`,
        );
      }
      for (const candidate of [c.newest.patch, c.newest.minor, c.newest.major]) {
        for (const violation of candidate?.breaks ?? []) {
          details.push(`  ${c.component}: ${candidate?.tag} would break ${violation.rule}: ${violation.message}`);
        }
      }
      if (c.endOfLife?.reached) {
        details.push(`  ${c.component}: end of life since ${c.endOfLife.date}: ${c.endOfLife.note}`);
      }
    }
    if (details.length > 0) {
      lines.push("", ...details);
    }
    const s = stack.summary;
    lines.push("", `  ${s.upToDate} up to date, ${s.updates} with updates, ${s.errors} not checked`, "");
  }
  const verdict =
    report.exitCode === 0
      ? "Everything is up to date."
      : report.exitCode === 1
        ? "Updates are available."
        : "Some components could not be checked (see ERROR above).";
  lines.push(verdict);
  return `${lines.join("\n")}\n`;
}
