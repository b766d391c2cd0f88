/** The files, commands and environment the evaluated program gives each container (test side, from recorded inputs). */
import type { RecordedResource } from "../../program/evaluate";

export const CONTAINER_TYPE = "docker:index/container:Container";

export interface DeclaredContainer {
  readonly name: string;
  readonly resource: RecordedResource;
  readonly files: ReadonlyMap<string, string>;
  readonly env: Readonly<Record<string, string>>;
  readonly command: readonly string[];
}

export function declaredContainers(resources: readonly RecordedResource[]): DeclaredContainer[] {
  return resources
    .filter((r) => r.type === CONTAINER_TYPE)
    .map((r) => {
      const uploads = (r.inputs["uploads"] as { file: string; content: string }[] | undefined) ?? [];
      const envs = (r.inputs["envs"] as string[] | undefined) ?? [];
      return {
        name: String(r.inputs["name"]),
        resource: r,
        files: new Map(uploads.map((u) => [u.file, u.content])),
        env: Object.fromEntries(envs.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)])),
        command: (r.inputs["command"] as string[] | undefined) ?? [],
      };
    });
}

/** The one container of a service, e.g. `caddy` → `myoci-<stack>-caddy`. */
export function containerOf(containers: readonly DeclaredContainer[], service: string): DeclaredContainer {
  const found = containers.find((c) => c.name.endsWith(`-${service}`));
  if (!found) throw new Error(`no container for ${service} in ${containers.map((c) => c.name).join(", ")}`);
  return found;
}

/** A file the program uploads into a service's container. */
export function fileOf(containers: readonly DeclaredContainer[], service: string, path: string): string {
  const content = containerOf(containers, service).files.get(path);
  if (content === undefined) throw new Error(`${service} receives no ${path}`);
  return content;
}

/**
 * Parses the subset of Alloy syntax the program writes: blocks `name "label" {` / `name {`, attributes
 * `key = value`, `}`. Returns components (`name` → attributes and nested blocks as lists).
 */
export function parseAlloy(text: string): { component: string; label: string; body: Record<string, unknown> }[] {
  const components: { component: string; label: string; body: Record<string, unknown> }[] = [];
  const stack: Record<string, unknown>[] = [];
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("//")) continue;
    const top = /^([a-z_.]+) "([^"]+)" \{$/.exec(line);
    const nested = /^([a-z_]+) \{$/.exec(line);
    const attribute = /^([a-z_]+)\s*=\s*(.+)$/.exec(line);
    if (top && stack.length === 0) {
      const body: Record<string, unknown> = {};
      components.push({ component: top[1]!, label: top[2]!, body });
      stack.push(body);
    } else if (nested && stack.length > 0) {
      const body: Record<string, unknown> = {};
      const parent = stack[stack.length - 1]!;
      parent[nested[1]!] = [...((parent[nested[1]!] as unknown[] | undefined) ?? []), body];
      stack.push(body);
    } else if (attribute && stack.length > 0) {
      const value = attribute[2]!;
      stack[stack.length - 1]![attribute[1]!] = literalOrExpression(value);
    } else if (line === "}" && stack.length > 0) {
      stack.pop();
    } else {
      throw new Error(`alloy config line ${index + 1}: cannot read ${JSON.stringify(raw)}`);
    }
  }
  if (stack.length > 0) throw new Error("alloy config: unclosed block");
  return components;
}

/** A string or list literal as its value; anything else (a reference such as `discovery.docker.x.targets`) as an expression. */
function literalOrExpression(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return { expression: value };
  }
}
