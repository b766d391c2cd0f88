/** Stack-wide views over the resources a stack policy receives. */
import type { PolicyResource } from "@pulumi/policy";
import { CATALOG, COMPONENT_IDS, DIGEST_PATTERN, LABEL, parseImageReference, type ComponentId } from "../../catalog";
import { componentOf, imageUsesOf, labelsOf, plainProps, TYPES, type ImageUse, type Props } from "./resources";

export type StackResource = Pick<PolicyResource, "type" | "props" | "urn" | "name"> & {
  opts?: { parent?: string; protect?: boolean };
  parent?: { urn: string };
  propertyDependencies?: Record<string, readonly { urn: string }[]>;
};

/** A stack resource's props without the SDK's unknown-checking proxy (see plainProps). */
export const propsOf = (resource: StackResource): Props => plainProps(resource.props);

export function parentUrnOf(resource: StackResource): string | undefined {
  return parentUrn(resource);
}

function parentUrn(resource: StackResource): string | undefined {
  return resource.opts?.parent ?? resource.parent?.urn;
}

/** The catalog component whose canonical repository this is, if any. */
export function componentByRepository(registry: string, repository: string): ComponentId | undefined {
  return COMPONENT_IDS.find((id) => CATALOG[id].registry === registry && CATALOG[id].repository === repository);
}

export interface StackImageUse extends ImageUse {
  readonly resource: StackResource;
  /** The component the image runs as: the sibling container's label, else the repository's catalog entry. */
  readonly component?: ComponentId;
  /** Whether the component came from a container label (rather than a repository lookup). */
  readonly labelled: boolean;
}

/** Every image reference in the stack, paired with the component its container says it runs. */
export function stackImageUses(resources: readonly StackResource[]): StackImageUse[] {
  const componentByParent = new Map<string, ComponentId>();
  for (const r of resources) {
    const parent = parentUrn(r);
    const component = r.type === TYPES.container ? componentOf(propsOf(r)) : undefined;
    if (parent !== undefined && component !== undefined) {
      componentByParent.set(parent, component);
    }
  }
  const uses: StackImageUse[] = [];
  for (const resource of resources) {
    for (const use of imageUsesOf(resource.type, propsOf(resource))) {
      const parent = parentUrn(resource);
      const labelled = resource.type === TYPES.container ? componentOf(propsOf(resource)) : parent !== undefined ? componentByParent.get(parent) : undefined;
      const ref = parseImageReference(use.reference);
      const component = labelled ?? componentByRepository(ref.registry, ref.repository);
      uses.push({ ...use, resource, component, labelled: labelled !== undefined });
    }
  }
  return uses;
}

export interface ContainerPin {
  readonly resource: StackResource;
  readonly component: ComponentId;
  readonly tag?: string;
  readonly digest?: string;
}

/** Component, tag and digest of every labelled myoci container. */
export function containerPins(resources: readonly StackResource[]): ContainerPin[] {
  return resources
    .filter((r) => r.type === TYPES.container)
    .flatMap((resource) => {
      const component = componentOf(propsOf(resource));
      if (component === undefined) {
        return [];
      }
      const labels = labelsOf(propsOf(resource));
      return [{ resource, component, tag: labels[LABEL.version], digest: labels[LABEL.digest] }];
    });
}

export interface PinnedImage {
  readonly resource: StackResource;
  readonly component: ComponentId;
  readonly tag: string;
  readonly digest: string;
  readonly reference: string;
}

/**
 * Component, tag and digest of every pinned image reference (RemoteImage names, build base images): the pins as
 * the engine will pull them. References without a tag or a well-formed digest are other policies' findings and skipped here.
 */
export function pinnedImages(resources: readonly StackResource[]): PinnedImage[] {
  return stackImageUses(resources).flatMap((use) => {
    const ref = parseImageReference(use.reference);
    return use.component !== undefined && ref.tag !== undefined && ref.tag !== "" && ref.digest !== undefined && DIGEST_PATTERN.test(ref.digest)
      ? [{ resource: use.resource, component: use.component, tag: ref.tag, digest: ref.digest, reference: use.reference }]
      : [];
  });
}

/** The stack the resources belong to, from the containers' `myoci.stack` label (a pack never asks the engine). */
export function stackNameOf(resources: readonly StackResource[]): string | undefined {
  for (const r of resources) {
    if (r.type === TYPES.container) {
      const stack = labelsOf(propsOf(r))[LABEL.stack];
      if (stack !== undefined && stack !== "") return stack;
    }
  }
  return undefined;
}
