/** `npm run plan`: what a stack declares, per container (component, image, tag, digest, ports, volumes). */
import { arrayOf, componentOf, imageUsesOf, LABEL, labelsOf, scalarText, TYPES } from "../lib/resources";
import type { RecordedResource } from "./types";

export interface PlannedContainer {
  readonly container: string;
  readonly component: string;
  readonly image: string;
  readonly tag: string;
  readonly digest: string;
  readonly ports: string[];
  readonly volumes: string[];
}

export function planOf(resources: readonly RecordedResource[]): PlannedContainer[] {
  const imageByParent = new Map<string, string>();
  for (const r of resources) {
    const use = imageUsesOf(r.type, r.inputs)[0];
    if (use !== undefined && r.opts.parent !== undefined) {
      imageByParent.set(r.opts.parent, use.reference);
    }
  }
  return resources
    .filter((r) => r.type === TYPES.container)
    .map((r) => {
      const labels = labelsOf(r.inputs);
      return {
        container: typeof r.inputs["name"] === "string" ? r.inputs["name"] : r.name,
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
      };
    });
}

export function formatPlan(stack: string, plan: readonly PlannedContainer[]): string {
  const lines = [`Stack ${stack}: ${plan.length} containers`];
  for (const c of plan) {
    lines.push("", `${c.container}  [${c.component}]`, `  image    ${c.image}`, `  tag      ${c.tag}`, `  digest   ${c.digest}`);
    lines.push(`  ports    ${c.ports.length > 0 ? c.ports.join(", ") : "(none)"}`);
    lines.push(`  volumes  ${c.volumes.length > 0 ? c.volumes.join(", ") : "(none)"}`);
  }
  return lines.join("\n");
}
