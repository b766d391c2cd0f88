/** Committed records the policies read (relative to the repository root), each re-read only when it changes. */
import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { DEFAULT_RECORD_FILE, readPromotionRecord, type PromotionRecord } from "../../config/promotion-record";
import { PROVENANCE_FILE, readProvenance, type ProvenanceRecord } from "../../config/provenance";
import { DEFAULT_ACCEPTANCE_FILE, readAcceptances } from "../../config/risk-acceptances";
import { readRawStackFile } from "../../config/stack-file";
import { DEFAULT_STATE_FILE, readVulnState, type VulnState } from "../../config/vulns-state";
import { isComponentId, type ComponentId, type ImagePin, type RiskAcceptance } from "../../catalog";
import { packParent } from "./settings";

const cache = new Map<string, { mtimeMs: number; value: unknown }>();

/** `read(file)`, again only once the file's modification time changes (the pack analyzes every container). */
export function readOnce<T>(file: string, read: (file: string) => T): T {
  const mtimeMs = statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;
  const hit = cache.get(file);
  if (hit?.mtimeMs === mtimeMs) {
    return hit.value as T;
  }
  const value = read(file);
  cache.set(file, { mtimeMs, value });
  return value;
}

export const resolveRecordFile = (file: string): string => path.resolve(packParent(), file);

export const promotionRecordAt = (file: string): PromotionRecord => readOnce(resolveRecordFile(file), readPromotionRecord);

export const provenanceAt = (file: string): ProvenanceRecord[] => readOnce(resolveRecordFile(file), readProvenance);

export const vulnStateAt = (file: string): VulnState => readOnce(resolveRecordFile(file), readVulnState);

export const acceptancesAt = (file: string): RiskAcceptance[] => readOnce(resolveRecordFile(file), readAcceptances);

/** The pins of every committed stack file `Pulumi.<stack>.yaml` in a folder, by stack. */
export function committedStackPins(dir: string): Map<string, Partial<Record<ComponentId, ImagePin>>> {
  const folder = resolveRecordFile(dir);
  const pins = new Map<string, Partial<Record<ComponentId, ImagePin>>>();
  for (const name of existsSync(folder) ? readdirSync(folder) : []) {
    const match = /^Pulumi\.([^.]+)\.yaml$/.exec(name);
    if (match === null) continue;
    const images = readOnce(path.join(folder, name), (file) => readRawStackFile(file).values["images"]);
    const stackPins: Partial<Record<ComponentId, ImagePin>> = {};
    for (const [component, pin] of Object.entries(images !== null && typeof images === "object" ? images : {})) {
      const { tag, digest } = (pin ?? {}) as { tag?: unknown; digest?: unknown };
      if (isComponentId(component) && typeof tag === "string" && typeof digest === "string") stackPins[component] = { tag, digest };
    }
    pins.set(match[1]!, stackPins);
  }
  return pins;
}

/**
 * Reads every record at its default path into the cache. The pack calls it once it is up, while the engine (or the
 * offline runner) is still evaluating the program, so the first analysis does not wait for the files. A record that
 * fails to read is left out: the policy reading it reads it again and reports the error.
 */
export function prefetchRecords(): void {
  const reads = [
    () => promotionRecordAt(DEFAULT_RECORD_FILE),
    () => provenanceAt(PROVENANCE_FILE),
    () => committedStackPins("."),
    () => vulnStateAt(DEFAULT_STATE_FILE),
    () => acceptancesAt(DEFAULT_ACCEPTANCE_FILE),
  ];
  for (const read of reads) {
    try {
      read();
    } catch {
      // reported by the policy that reads it
    }
  }
}
