/** Policy arguments as the policy SDK builds them, and fixtures from evaluating the real program. */
import * as path from "node:path";
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { loadStackFile } from "../../config/stack-file";
import { evaluateProgram } from "../../program/evaluate";
import { TYPES } from "../lib/resources";
import type { RecordedResource } from "../offline/types";
import type { ComponentId, ImagePin } from "../../catalog";
import { sha256Digest } from "../../tests/helpers/digest";
import { FIXTURE_PROJECT } from "../../tests/helpers/fixture-project";
import { LABEL } from "../../catalog";

export const ROOT = path.resolve(__dirname, "..", "..");

export class NotApplicable extends Error {}

const options = (r: RecordedResource) => ({
  protect: r.opts.protect === true,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
  parent: r.opts.parent,
});

export function resourceArgs(r: RecordedResource, config: Record<string, unknown> = {}): ResourceValidationArgs {
  return {
    type: r.type,
    props: r.inputs,
    urn: r.urn,
    name: r.name,
    opts: options(r),
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

/** Messages a resource policy reports for one resource (NotApplicable propagates). */
export async function validate(policy: ResourceValidationPolicy, r: RecordedResource, config: Record<string, unknown> = {}): Promise<string[]> {
  const messages: string[] = [];
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
  for (const v of validations) {
    await v(resourceArgs(r, config), (message) => messages.push(message));
  }
  return messages;
}

export function stackArgs(resources: readonly RecordedResource[], config: Record<string, unknown> = {}): StackValidationArgs {
  const policyResources: PolicyResource[] = resources.map((r) => ({
    type: r.type,
    props: { ...r.inputs, ...r.state },
    urn: r.urn,
    name: r.name,
    opts: options(r),
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  }));
  const byUrn = new Map(policyResources.map((p) => [p.urn, p]));
  policyResources.forEach((p, i) => {
    const parent = resources[i]!.opts.parent;
    if (parent !== undefined && byUrn.has(parent)) p.parent = byUrn.get(parent);
    for (const [key, urns] of Object.entries(resources[i]!.propertyDependencies ?? {})) {
      p.propertyDependencies[key] = urns.flatMap((u) => byUrn.get(u) ?? []);
    }
  });
  return {
    resources: policyResources,
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

/** Messages (with the URN they name) a stack policy reports. */
export async function validateStack(
  policy: StackValidationPolicy,
  resources: readonly RecordedResource[],
  config: Record<string, unknown> = {},
): Promise<string[]> {
  const messages: string[] = [];
  await policy.validateStack(stackArgs(resources, config), (message) => messages.push(message));
  return messages;
}

/** Frozen copies of the shipped stack files and records: tests never read the live pins (a `myoci pin` breaks none). */
export const FIXTURES = FIXTURE_PROJECT; // tests/fixtures/project: the frozen stacks and records both suites read

/** Policy config that points the record-reading policies at the fixture records (paths relative to the repo root). */
export const FIXTURE_RECORDS = {
  recordFile: path.relative(ROOT, path.join(FIXTURES, "promotions.yaml")),
  provenanceFile: path.relative(ROOT, path.join(FIXTURES, "provenance.yaml")),
  stackFiles: path.relative(ROOT, FIXTURES),
} as const;

export function stackImages(stack: string): Partial<Record<ComponentId, ImagePin>> {
  return { ...loadStackFile(FIXTURES, stack, { placeholderSecrets: true }).images };
}

export interface Variant {
  /** Pins replacing the fixture's (the others stay). */
  readonly images?: Partial<Record<ComponentId, ImagePin>>;
  /** Other config values (keys without `myoci:`). */
  readonly config?: Record<string, unknown>;
  readonly preview?: boolean;
  readonly stackReferences?: Record<string, Record<string, unknown>>;
}

const evaluations = new Map<string, Promise<RecordedResource[]>>();
let queue: Promise<unknown> = Promise.resolve();

/**
 * The real program evaluated for a fixture stack, with at most the variant's config changed (cached per variant;
 * evaluations run one after another, the SDK's mocks being process-wide). Callers change one field of a copy.
 */
export function programStack(stack: string, variant: Variant = {}): Promise<RecordedResource[]> {
  const key = JSON.stringify([stack, variant]);
  let evaluation = evaluations.get(key);
  if (evaluation === undefined) {
    const overrides: Record<string, unknown> = { ...variant.config };
    if (variant.images !== undefined) overrides["images"] = { ...stackImages(stack), ...variant.images };
    evaluation = queue.then(
      async () =>
        (await evaluateProgram({ stack, projectDir: FIXTURES, configOverrides: overrides, preview: variant.preview, stackReferences: variant.stackReferences }))
          .resources,
    );
    queue = evaluation.catch(() => undefined);
    evaluations.set(key, evaluation);
  }
  return evaluation;
}

const componentLabel = (r: RecordedResource): string | undefined =>
  (r.inputs["labels"] as { label: string; value: string }[] | undefined)?.find((l) => l.label === LABEL.component)?.value;

/** A component's resource of a type: containers and volumes by their component label, images beside its container. */
export function find(resources: readonly RecordedResource[], type: string, component: string): RecordedResource {
  const short = type.split(":").pop()!;
  const labelled = (t: string) => resources.find((r) => r.type === t && componentLabel(r) === component);
  let found = labelled(type);
  if (found === undefined && (type === TYPES.remoteImage || type === TYPES.image)) {
    const parent = labelled(TYPES.container)?.opts.parent;
    found = resources.find((r) => r.type === type && parent !== undefined && (r.opts.parent === parent || parent.startsWith(`${r.opts.parent}$`)));
    found ??= type === TYPES.image ? resources.find((r) => r.type === type) : undefined;
  }
  if (found === undefined) throw new Error(`no ${short} for ${component}`);
  return found;
}

export const container = (resources: readonly RecordedResource[], component: string) => find(resources, TYPES.container, component);
export const remoteImage = (resources: readonly RecordedResource[], component: string) => find(resources, TYPES.remoteImage, component);
export const volume = (resources: readonly RecordedResource[], component: string) => find(resources, TYPES.volume, component);

/** A copy of `r` whose inputs (and state) went through `mutate`. */
export function changed(r: RecordedResource, mutate: (inputs: Record<string, any>, r: { opts: Record<string, unknown> }) => void): RecordedResource {
  const copy = structuredClone(r) as RecordedResource & { opts: Record<string, unknown> };
  mutate(copy.inputs, copy);
  // The changed inputs over the provider's state (ids and other computed values stay as they were).
  return { ...copy, state: { ...copy.state, ...structuredClone(copy.inputs) } };
}

/** Replaces one resource of a list by URN. */
export function replace(resources: readonly RecordedResource[], next: RecordedResource): RecordedResource[] {
  return resources.map((r) => (r.urn === next.urn ? next : r));
}

export function setLabel(inputs: Record<string, any>, label: string, value: string): void {
  const labels = inputs["labels"] as { label: string; value: string }[];
  const existing = labels.find((l) => l.label === label);
  if (existing) existing.value = value;
  else labels.push({ label, value });
}

/** A digest of our own bytes: valid in form, and not claimed to be any image's. */
export function testDigest(seed: string): string {
  return sha256Digest(`myoci policy test: ${seed}`);
}
