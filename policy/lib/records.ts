/** Committed records the stack policies read (relative to the repository root), each re-read only when it changes. */
import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { readPromotionRecord, type PromotionRecord } from "../../config/promotion-record";
import { readProvenance, type ProvenanceRecord } from "../../config/provenance";
import { readRawStackFile } from "../../config/stack-file";
import { isComponentId, type ComponentId, type ImagePin } from "../../catalog";
import { packParent } from "./settings";

const cache = new Map<string, { mtimeMs: number; value: unknown }>();

function cached<T>(file: string, read: (file: string) => T): T {
  const mtimeMs = existsSync(file) ? statSync(file).mtimeMs : -1;
  const hit = cache.get(file);
  if (hit?.mtimeMs === mtimeMs) {
    return hit.value as T;
  }
  const value = read(file);
  cache.set(file, { mtimeMs, value });
  return value;
}

export const resolveRecordFile = (file: string): string => path.resolve(packParent(), file);

export const promotionRecordAt = (file: string): PromotionRecord => cached(resolveRecordFile(file), readPromotionRecord);

export const provenanceAt = (file: string): ProvenanceRecord[] => cached(resolveRecordFile(file), readProvenance);

/** The pins of every committed stack file `Pulumi.<stack>.yaml` in a folder, by stack. */
export function committedStackPins(dir: string): Map<string, Partial<Record<ComponentId, ImagePin>>> {
  const folder = resolveRecordFile(dir);
  const pins = new Map<string, Partial<Record<ComponentId, ImagePin>>>();
  for (const name of existsSync(folder) ? readdirSync(folder) : []) {
    const match = /^Pulumi\.([^.]+)\.yaml$/.exec(name);
    if (match === null) continue;
    const images = cached(path.join(folder, name), (file) => readRawStackFile(file).values["images"]);
    const stackPins: Partial<Record<ComponentId, ImagePin>> = {};
    for (const [component, pin] of Object.entries(images !== null && typeof images === "object" ? images : {})) {
      const { tag, digest } = (pin ?? {}) as { tag?: unknown; digest?: unknown };
      if (isComponentId(component) && typeof tag === "string" && typeof digest === "string") stackPins[component] = { tag, digest };
    }
    pins.set(match[1]!, stackPins);
  }
  return pins;
}
