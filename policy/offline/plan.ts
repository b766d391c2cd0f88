/**
 * `npm run plan`: what a stack declares, per container — component, image, tag, digest, ports, volumes, the
 * networks it joins, the containers it starts after, and every file a deploy uploads into it (secret contents
 * shown as `[secret]`).
 */
import { arrayOf, componentOf, imageUsesOf, LABEL, labelsOf, scalarText, TYPES } from "../lib/resources";
import type { RecordedResource } from "./types";

/** What the plan prints instead of a file's content when the content is (or may be) a Pulumi secret. */
export const SECRET_CONTENT = "[secret]";

const NETWORK_TYPE = "docker:index/network:Network";

export interface PlannedNetwork {
  readonly name: string;
  /** `internal: true`: no route off the host (and Docker publishes no port of a container only on such networks). */
  readonly internal: boolean;
}

export interface PlannedFile {
  /** Absolute path in the container. */
  readonly path: string;
  /** The file's text, or `[secret]`. */
  readonly content: string;
}

export interface PlannedContainer {
  readonly container: string;
  readonly component: string;
  readonly image: string;
  readonly tag: string;
  readonly digest: string;
  readonly ports: string[];
  readonly volumes: string[];
  readonly networks: PlannedNetwork[];
  /** Names of the containers this one is created after (`dependsOn`, components expanded to their containers). */
  readonly dependsOn: string[];
  readonly files: PlannedFile[];
}

/**
 * Whether an input path holds a secret: it or an enclosing path was recorded as a Pulumi secret. A hand-made
 * resource list without `secretPaths` says nothing, so every file content in it counts as secret.
 */
function isSecretPath(resource: RecordedResource, at: string): boolean {
  if (resource.secretPaths === undefined) {
    return true;
  }
  return resource.secretPaths.some((p) => p === at || at.startsWith(`${p}.`));
}

const containerNameOf = (r: RecordedResource): string => (typeof r.inputs["name"] === "string" ? r.inputs["name"] : r.name);

export function planOf(resources: readonly RecordedResource[]): PlannedContainer[] {
  const imageByParent = new Map<string, string>();
  for (const r of resources) {
    const use = imageUsesOf(r.type, r.inputs)[0];
    if (use !== undefined && r.opts.parent !== undefined) {
      imageByParent.set(r.opts.parent, use.reference);
    }
  }
  const internalByNetwork = new Map<string, boolean>();
  for (const r of resources.filter((x) => x.type === NETWORK_TYPE)) {
    internalByNetwork.set(scalarText(r.inputs["name"] ?? r.name), r.inputs["internal"] === true);
  }
  const containers = resources.filter((r) => r.type === TYPES.container);
  const parentOf = new Map(resources.map((r) => [r.urn, r.opts.parent]));
  const isUnder = (urn: string, ancestor: string): boolean => {
    for (let at: string | undefined = urn; at !== undefined; at = parentOf.get(at)) {
      if (at === ancestor) return true;
    }
    return false;
  };
  /** A dependency's containers: the container itself, or every container inside a component. */
  const containersOf = (urn: string): string[] => containers.filter((c) => isUnder(c.urn, urn)).map(containerNameOf);

  return containers.map((r) => {
    const labels = labelsOf(r.inputs);
    return {
      container: containerNameOf(r),
      component: componentOf(r.inputs) ?? "(unlabelled)",
      image: (r.opts.parent !== undefined ? imageByParent.get(r.opts.parent) : undefined) ?? scalarText(r.inputs["image"]),
      tag: labels[LABEL.version] ?? "",
      digest: labels[LABEL.digest] ?? "",
      ports: arrayOf(r.inputs["ports"]).map(
        (p) =>
          `${scalarText(p["ip"] ?? "0.0.0.0")}:${scalarText(p["external"] ?? p["internal"])}->${scalarText(p["internal"])}/${scalarText(p["protocol"] ?? "tcp")}`,
      ),
      volumes: arrayOf(r.inputs["volumes"]).map(
        (v) => `${scalarText(v["volumeName"] ?? v["hostPath"])}:${scalarText(v["containerPath"])}${v["readOnly"] === true ? ":ro" : ""}`,
      ),
      networks: arrayOf(r.inputs["networksAdvanced"]).map((n) => {
        const name = scalarText(n["name"]);
        return { name, internal: internalByNetwork.get(name) ?? false };
      }),
      dependsOn: [...new Set((r.opts.dependsOn ?? []).flatMap(containersOf))],
      files: arrayOf(r.inputs["uploads"]).map((u, i) => ({
        path: scalarText(u["file"]),
        content:
          isSecretPath(r, `uploads.${i}.content`) || isSecretPath(r, `uploads.${i}.contentBase64`)
            ? SECRET_CONTENT
            : scalarText(u["content"] ?? u["contentBase64"]),
      })),
    };
  });
}

export function formatPlan(stack: string, plan: readonly PlannedContainer[]): string {
  const lines = [`Stack ${stack}: ${plan.length} containers`];
  const list = (items: readonly string[]) => (items.length > 0 ? items.join(", ") : "(none)");
  for (const c of plan) {
    lines.push("", `${c.container}  [${c.component}]`, `  image      ${c.image}`, `  tag        ${c.tag}`, `  digest     ${c.digest}`);
    lines.push(`  ports      ${list(c.ports)}`);
    lines.push(`  volumes    ${list(c.volumes)}`);
    lines.push(`  networks   ${list(c.networks.map((n) => (n.internal ? `${n.name} (internal)` : n.name)))}`);
    lines.push(`  after      ${list(c.dependsOn)}`);
    lines.push(
      `  files      ${list(c.files.map((f) => (f.content === SECRET_CONTENT ? `${f.path} ${SECRET_CONTENT}` : `${f.path} (${Buffer.byteLength(f.content)} bytes)`)))}`,
    );
  }
  return lines.join("\n");
}
