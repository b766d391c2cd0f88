/** Resources of a stack for the offline run: the program evaluated under the SDK's mocks, or a JSON file. */
import { readFileSync } from "node:fs";
import { evaluateProgram, PROJECT_DIR } from "../../program/evaluate";
import { readRawStackFile, stackFilePath } from "../../config/stack-file";
import type { RecordedResource } from "./types";
import { UsageError } from "./usage-error";

export { UsageError } from "./usage-error";

/** Applies `key.path=value` overrides to the stack file's values; returns the changed top-level keys. */
export function configOverrides(stack: string, assignments: readonly string[], projectDir = PROJECT_DIR): Record<string, unknown> {
  if (assignments.length === 0) {
    return {};
  }
  const values = structuredClone(readRawStackFile(stackFilePath(projectDir, stack)).values) as Record<string, unknown>;
  const changed: Record<string, unknown> = {};
  for (const assignment of assignments) {
    const eq = assignment.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(`--config ${JSON.stringify(assignment)}: expected key.path=value, e.g. images.loki.tag=3.1.0`);
    }
    const keys = assignment
      .slice(0, eq)
      .replace(/^myoci:/, "")
      .split(".");
    const raw = assignment.slice(eq + 1);
    let value: unknown = raw;
    if (/^[[{]/.test(raw)) {
      try {
        value = JSON.parse(raw) as unknown;
      } catch {
        throw new UsageError(`--config ${keys.join(".")}: ${JSON.stringify(raw)} is not valid JSON`);
      }
    }
    let node = values;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      node[key] = next !== null && typeof next === "object" && !Array.isArray(next) ? next : {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]!] = value;
    changed[keys[0]!] = values[keys[0]!];
  }
  return changed;
}

export async function evaluateStack(
  stack: string,
  assignments: readonly string[] = [],
  options: { preview?: boolean; projectDir?: string } = {},
): Promise<{ resources: RecordedResource[]; outputs: Record<string, unknown> }> {
  const projectDir = options.projectDir ?? PROJECT_DIR;
  const result = await evaluateProgram({ stack, projectDir, configOverrides: configOverrides(stack, assignments, projectDir), preview: options.preview });
  return { resources: result.resources, outputs: result.outputs };
}

/** A resource list saved as JSON: `[RecordedResource…]` or `{ "resources": [...] }`. */
export function readResourceFile(file: string): RecordedResource[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`--resources ${file}: ${(error as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { resources?: unknown } | null)?.resources;
  if (!Array.isArray(list)) {
    throw new UsageError(`--resources ${file}: expected an array of resources or { "resources": [...] }`);
  }
  list.forEach((r: unknown, i) => {
    const ok = r !== null && typeof r === "object" && ["type", "name", "urn"].every((k) => typeof (r as Record<string, unknown>)[k] === "string");
    if (!ok) {
      throw new UsageError(`--resources ${file}: resources[${i}] needs string type, name and urn`);
    }
  });
  return list.map((r: Record<string, unknown>) => ({
    type: r["type"] as string,
    name: r["name"] as string,
    urn: r["urn"] as string,
    inputs: (r["inputs"] ?? {}) as Record<string, unknown>,
    state: (r["state"] ?? r["inputs"] ?? {}) as Record<string, unknown>,
    opts: r["opts"] ?? {},
    custom: r["custom"] !== false,
    propertyDependencies: (r["propertyDependencies"] ?? undefined) as Record<string, string[]> | undefined,
    // Kept so that the plan can show secret contents as `[secret]` (absent: every upload counts as secret).
    ...(Array.isArray(r["secretPaths"]) ? { secretPaths: (r["secretPaths"] as unknown[]).map(String) } : {}),
  }));
}
