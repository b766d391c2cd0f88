/**
 * `myoci drift`: the stack's declared pins against the containers running on its Docker host.
 * Containers are matched by the labels the Pulumi components set (myoci.stack, myoci.component, myoci.version);
 * the running digest is read from the image's RepoDigests, health from State.Health.Status.
 */
import { COMPONENT_IDS, digestOfRepoDigest, isComponentId, LABEL, type ComponentId, type ImagePin, type PinSet } from "../../../catalog";
import { inspectContainer, inspectImage, listContainers, type DockerClient } from "../../adapters/docker-api/client";
import { inCatalogOrder } from "../../../config/stack-file/pins";

export type DriftStatus = "in-sync" | "missing" | "digest" | "tag" | "unhealthy";

/** What one container of a component runs, as read from the engine. */
export interface RunningContainer {
  readonly name: string;
  readonly id: string;
  /** Label myoci.version (absent: the label is missing). */
  readonly tag?: string;
  /** sha256 digests of the container's image (from RepoDigests). */
  readonly digests: readonly string[];
  /** Container state (running, exited, …). */
  readonly state: string;
  /** State.Health.Status (healthy, unhealthy, starting) or undefined without a healthcheck. */
  readonly health?: string;
}

export interface ComponentDrift {
  readonly component: ComponentId;
  readonly status: DriftStatus;
  readonly declared: ImagePin;
  readonly containers: readonly RunningContainer[];
  /** Human explanations, one per problem (empty when in sync). */
  readonly problems: readonly string[];
}

export interface DriftReport {
  readonly stack: string;
  readonly dockerHost: string;
  readonly inSync: boolean;
  readonly components: readonly ComponentDrift[];
  /** Containers labelled for this stack whose component the stack does not declare (e.g. an old log shipper). */
  readonly undeclared: readonly (RunningContainer & { readonly component: string })[];
}

const short = (digest: string): string => digest.slice(0, 19);

/** The drift of one component: the worst problem of its containers decides (digest > tag > unhealthy). */
export function classifyDrift(component: ComponentId, declared: ImagePin, containers: readonly RunningContainer[]): ComponentDrift {
  if (containers.length === 0) {
    return { component, status: "missing", declared, containers, problems: [`no container labelled ${LABEL.component}=${component}`] };
  }
  const problems: string[] = [];
  let status: DriftStatus = "in-sync";
  const rank: Record<DriftStatus, number> = { "in-sync": 0, unhealthy: 1, tag: 2, digest: 3, missing: 4 };
  const raise = (next: DriftStatus) => {
    status = rank[next] > rank[status] ? next : status;
  };
  for (const c of containers) {
    if (!c.digests.includes(declared.digest)) {
      raise("digest");
      problems.push(
        `${c.name} runs ${c.digests.length > 0 ? c.digests.map(short).join(", ") : "an image without a registry digest"}, declared ${short(declared.digest)}`,
      );
    }
    if (c.tag !== declared.tag) {
      raise("tag");
      problems.push(`${c.name} is labelled ${LABEL.version}=${c.tag ?? "(none)"}, declared ${declared.tag}`);
    }
    if (c.state !== "running") {
      raise("unhealthy");
      problems.push(`${c.name} is ${c.state}, not running`);
    } else if (c.health === "unhealthy") {
      raise("unhealthy");
      problems.push(`${c.name} healthcheck reports unhealthy`);
    }
  }
  return { component, status, declared, containers, problems };
}

export function buildReport(stack: string, dockerHost: string, declared: PinSet, running: readonly (RunningContainer & { component: string })[]): DriftReport {
  const components = inCatalogOrder(Object.keys(declared) as ComponentId[]).map((component) =>
    classifyDrift(
      component,
      declared[component]!,
      running.filter((c) => c.component === component),
    ),
  );
  const undeclared = running.filter((c) => !isComponentId(c.component) || declared[c.component] === undefined);
  return { stack, dockerHost, inSync: undeclared.length === 0 && components.every((c) => c.status === "in-sync"), components, undeclared };
}

/** Reads the stack's labelled containers, their health and their images' digests from the engine. */
export async function readRunning(client: DockerClient, stack: string): Promise<(RunningContainer & { component: string })[]> {
  const summaries = await listContainers(client, [`${LABEL.stack}=${stack}`]);
  const imageDigests = new Map<string, string[]>();
  const result: (RunningContainer & { component: string })[] = [];
  for (const summary of summaries) {
    const labels = summary.Labels ?? {};
    const component = labels[LABEL.component];
    if (component === undefined) {
      continue;
    }
    const inspect = await inspectContainer(client, summary.Id);
    const imageId = inspect.Image;
    let digests = imageDigests.get(imageId);
    if (!digests) {
      const image = await inspectImage(client, imageId);
      digests = [...new Set((image.RepoDigests ?? []).map(digestOfRepoDigest).filter((d): d is string => d !== undefined))].sort();
      imageDigests.set(imageId, digests);
    }
    result.push({
      component,
      name: inspect.Name.replace(/^\//, ""),
      id: inspect.Id,
      tag: labels[LABEL.version],
      digests,
      state: inspect.State.Status,
      health: inspect.State.Health?.Status ?? undefined,
    });
  }
  return result.sort(
    (a, b) => COMPONENT_IDS.indexOf(a.component as ComponentId) - COMPONENT_IDS.indexOf(b.component as ComponentId) || a.name.localeCompare(b.name),
  );
}

export async function detectDrift(client: DockerClient, stack: string, declared: PinSet): Promise<DriftReport> {
  return buildReport(stack, client.url, declared, await readRunning(client, stack));
}

const STATUS_TEXT: Record<DriftStatus, string> = { "in-sync": "in sync", missing: "MISSING", digest: "OTHER DIGEST", tag: "OTHER TAG", unhealthy: "UNHEALTHY" };

export function formatReport(report: DriftReport): string {
  const width = Math.max(...report.components.map((c) => c.component.length), 9);
  const lines = [`Drift of stack ${report.stack} on ${report.dockerHost}`, ""];
  for (const c of report.components) {
    lines.push(`  ${c.component.padEnd(width)}  ${STATUS_TEXT[c.status].padEnd(12)}  ${c.declared.tag}@${short(c.declared.digest)}`);
    for (const problem of c.problems) {
      lines.push(`  ${"".padEnd(width)}    - ${problem}`);
    }
  }
  for (const u of report.undeclared) {
    lines.push(`  ${u.component.padEnd(width)}  ${"UNDECLARED".padEnd(12)}  ${u.name} runs but the stack does not declare ${u.component}`);
  }
  const drifted = report.components.filter((c) => c.status !== "in-sync").length + report.undeclared.length;
  lines.push(
    "",
    report.inSync ? `in sync: ${report.components.length} components` : `drift: ${drifted} of ${report.components.length + report.undeclared.length}`,
  );
  return `${lines.join("\n")}\n`;
}
