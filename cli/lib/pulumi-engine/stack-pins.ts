/**
 * Pins and the Postgres migration key of `Pulumi.<stack>.yaml`, read and written on disk — the only place
 * the rollout keeps state. Pin writes go through cli/lib/stack-edit (comment-preserving, verified, atomic);
 * the `myoci:postgresMigration` map (which stack-edit does not add or remove) through the yaml Document API.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { isMap, parseDocument } from "yaml";
import type { ComponentId, ImagePin, PinSet } from "../../../catalog";
import { writeFileAtomic } from "../../../config/atomic-write";
import { ConfigError, PROJECT } from "../../../config/schema";
import { loadStackFile, stackFilePath } from "../../../config/stack-file";
import { editStackFile } from "../stack-edit";

export type { PinSet } from "../../../catalog";
/** Pins to set; `null` removes a pin (a component the previous deployment did not run). */
export type PinChanges = Readonly<Partial<Record<ComponentId, ImagePin | null>>>;

export interface PostgresMigration {
  readonly from: number;
  readonly to: number;
}

export class StackFilePins {
  constructor(private readonly projectDir: string) {}

  file(stack: string): string {
    return stackFilePath(this.projectDir, stack);
  }

  /** The pins on disk (validated with the stack schema; secrets are never read). */
  read(stack: string): PinSet {
    return loadStackFile(this.projectDir, stack, { placeholderSecrets: true }).images;
  }

  /** Atomic, comment-preserving pin edit; a no-op when nothing differs. */
  write(stack: string, changes: PinChanges): void {
    editStackFile(this.file(stack), { images: changes });
  }

  /** Sets (or with `null` removes) `myoci:postgresMigration`, keeping the file's comments. */
  setPostgresMigration(stack: string, migration: PostgresMigration | null): void {
    const file = this.file(stack);
    const name = path.basename(file);
    const document = parseDocument(readFileSync(file, "utf8"));
    const config = document.get("config", true);
    if (document.errors.length > 0 || !isMap(config)) {
      throw new ConfigError([{ file: name, key: "config", value: "(missing or invalid)", expected: "a valid stack file with a config: map" }]);
    }
    const key = `${PROJECT}:postgresMigration`;
    if (migration === null) {
      if (!config.has(key)) {
        return;
      }
      config.delete(key);
    } else {
      config.set(key, document.createNode({ from: migration.from, to: migration.to }));
    }
    writeFileAtomic(file, document.toString({ lineWidth: 0 }));
  }
}

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
