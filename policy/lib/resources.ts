/** Reading the program's resources (labels, image references) the same way in every policy. */
import { isComponentId, LABEL, type ComponentId } from "../../catalog";
import { UNKNOWN } from "../../config/unknown";

export const TYPES = {
  container: "docker:index/container:Container",
  remoteImage: "docker:index/remoteImage:RemoteImage",
  volume: "docker:index/volume:Volume",
  image: "docker:index/image:Image",
  stackReference: "pulumi:pulumi:StackReference",
} as const;

/** The label keys (catalog/names.ts), also here for the offline runner that reads them beside these helpers. */
export { LABEL } from "../../catalog";

export type Props = Record<string, unknown>;

/**
 * Whether a value is the engine's UNKNOWN (config/unknown.ts). The policy SDK wraps props in a proxy that throws on
 * reading such a value, which would skip the whole policy; policies read `plainProps(args.props)` instead and decide
 * from the literal inputs, treating UNKNOWN explicitly.
 */
export const isUnknown = (value: unknown): boolean => value === UNKNOWN;

/** The props behind the policy SDK's unknown-checking proxy (the proxy's own escape hatch), else the value itself. */
export function plainProps(props: Props): Props {
  const proxy = props as Props & { __isSpecialProxy?: boolean; __getSpecialProxyTarget?: Props };
  return proxy.__isSpecialProxy === true && proxy.__getSpecialProxyTarget !== undefined ? proxy.__getSpecialProxyTarget : props;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Label maps already read, by the labels value they were read from (every container policy reads them). */
const labelMaps = new WeakMap<object, Readonly<Record<string, string>>>();

/** Labels as a map: the docker provider takes `[{label, value}]`; a plain map is accepted too. */
export function labelsOf(props: Props): Readonly<Record<string, string>> {
  const labels = props["labels"];
  const known = labels !== null && typeof labels === "object" ? labelMaps.get(labels) : undefined;
  if (known !== undefined) {
    return known;
  }
  const result: Record<string, string> = {};
  if (Array.isArray(labels)) {
    for (const entry of labels) {
      if (isRecord(entry) && typeof entry["label"] === "string") {
        result[entry["label"]] = scalarText(entry["value"]);
      }
    }
  } else if (isRecord(labels)) {
    for (const [key, value] of Object.entries(labels)) {
      result[key] = String(value);
    }
  }
  if (labels !== null && typeof labels === "object") {
    labelMaps.set(labels, Object.freeze(result));
  }
  return result;
}

/** The catalog component a container or volume says it runs (label `myoci.component`). */
export function componentOf(props: Props): ComponentId | undefined {
  const value = labelsOf(props)[LABEL.component];
  return value !== undefined && isComponentId(value) ? value : undefined;
}

/** Container name for messages: the Docker name, else the Pulumi name. */
export function displayName(props: Props, name: string): string {
  return typeof props["name"] === "string" ? props["name"] : name;
}

export function arrayOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

export function recordOf(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** One image reference a resource declares, with the property it came from. */
export interface ImageUse {
  readonly reference: string;
  /** Property path, e.g. `name`, `build.args.BASE_IMAGE`. */
  readonly property: string;
}

/**
 * Image references of a resource: RemoteImage.name and Image build.args.BASE_IMAGE. Container.image is the
 * RemoteImage's imageId (unknown in a real preview), so containers are judged by their labels instead.
 */
export function imageUsesOf(type: string, props: Props): ImageUse[] {
  if (type === TYPES.remoteImage && typeof props["name"] === "string") {
    return [{ reference: props["name"], property: "name" }];
  }
  if (type === TYPES.image) {
    const base = recordOf(recordOf(props["build"])["args"])["BASE_IMAGE"];
    return typeof base === "string" ? [{ reference: base, property: "build.args.BASE_IMAGE" }] : [];
  }
  return [];
}

/** A scalar as text; anything else as JSON (never "[object Object]"). */
export function scalarText(value: unknown): string {
  if (value === undefined || value === null) {
    return "";
  }
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? String(value) : JSON.stringify(value);
}
