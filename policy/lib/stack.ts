/** Stack-wide views over the resources a stack policy receives. */
import type { PolicyResource } from "@pulumi/policy";
import { CATALOG, COMPONENT_IDS, parseImageReference, type ComponentId } from "../../catalog";
import { componentOf, imageUsesOf, LABEL, labelsOf, TYPES, type ImageUse } from "./resources";

type StackResource = Pick<PolicyResource, "type" | "props" | "urn" | "name"> & { opts?: { parent?: string }; parent?: { urn: string } };

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
    const component = r.type === TYPES.container ? componentOf(r.props) : undefined;
    if (parent !== undefined && component !== undefined) {
      componentByParent.set(parent, component);
    }
  }
  const uses: StackImageUse[] = [];
  for (const resource of resources) {
    for (const use of imageUsesOf(resource.type, resource.props)) {
      const parent = parentUrn(resource);
      const labelled = resource.type === TYPES.container ? componentOf(resource.props) : parent !== undefined ? componentByParent.get(parent) : undefined;
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
      const component = componentOf(resource.props);
      if (component === undefined) {
        return [];
      }
      const labels = labelsOf(resource.props);
      return [{ resource, component, tag: labels[LABEL.version], digest: labels[LABEL.digest] }];
    });
}
