/** Hand-built policy arguments (as the policy SDK builds them) and fixtures shaped like the program's resources. */
import * as path from "node:path";
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { loadStackFile } from "../../config/stack-file";
import { generateStack } from "../offline/generate";
import type { RecordedResource } from "../offline/types";
import type { ComponentId, ImagePin } from "../../catalog";
import { sha256Digest } from "../../tests/helpers/digest";

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

export function stackImages(stack: string): Partial<Record<ComponentId, ImagePin>> {
  return { ...loadStackFile(ROOT, stack, { placeholderSecrets: true }).images };
}

/** A compliant generated stack from a shipped stack's pins, optionally with some pins replaced. */
export function fixtureStack(stack: string, pins: Partial<Record<ComponentId, ImagePin>> = {}): RecordedResource[] {
  return generateStack({ stack, images: { ...stackImages(stack), ...pins } });
}

export function find(resources: readonly RecordedResource[], type: string, component: string): RecordedResource {
  const short = type.split(":").pop()!;
  const found = resources.find((r) => r.type === type && (r.name.startsWith(`${component.toLowerCase()}-`) || r.name === component.toLowerCase()));
  if (found === undefined) throw new Error(`no ${short} for ${component}`);
  return found;
}

export const container = (resources: readonly RecordedResource[], component: string) => find(resources, "docker:index/container:Container", component);
export const remoteImage = (resources: readonly RecordedResource[], component: string) => find(resources, "docker:index/remoteImage:RemoteImage", component);

/** A copy of `r` whose inputs (and state) went through `mutate`. */
export function changed(r: RecordedResource, mutate: (inputs: Record<string, any>, r: { opts: Record<string, unknown> }) => void): RecordedResource {
  const copy = structuredClone(r) as RecordedResource & { opts: Record<string, unknown> };
  mutate(copy.inputs, copy);
  return { ...copy, state: structuredClone(copy.inputs) };
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
