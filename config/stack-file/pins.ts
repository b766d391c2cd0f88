/** Pin sets of a stack file: what a change to them is, and how two compare. */
import { COMPONENT_IDS, type ComponentId, type ImagePin, type PinSet } from "../../catalog";

/** Pins to set; `null` removes a pin (a component the previous deployment did not run). */
export type PinChanges = Readonly<Partial<Record<ComponentId, ImagePin | null>>>;

/** Equal pin sets (same components, tags and digests). */
export function samePins(a: PinSet, b: PinSet): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<ComponentId>;
  return [...keys].every((k) => a[k]?.tag === b[k]?.tag && a[k]?.digest === b[k]?.digest);
}

/** The changes that turn `current` into `target` for the given components (absent in target → removal). */
export function changesTo(target: PinSet, components: Iterable<ComponentId>): PinChanges {
  const changes: Partial<Record<ComponentId, ImagePin | null>> = {};
  for (const component of components) {
    changes[component] = target[component] ?? null;
  }
  return changes;
}

/** Components in catalog order (stable output). */
export function inCatalogOrder<T extends string>(components: Iterable<T>): T[] {
  const order = COMPONENT_IDS as readonly string[];
  return [...components].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}
