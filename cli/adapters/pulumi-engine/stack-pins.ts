/**
 * Pins and the Postgres migration key of `Pulumi.<stack>.yaml`, read and written on disk — the only place
 * the rollout keeps state. Pin writes go through cli/app/stack-edit (comment-preserving, verified, atomic);
 * the `myoci:postgresMigration` map (which stack-edit does not add or remove) through the yaml Document API.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { isMap, isScalar, parseDocument } from "yaml";
import type { ComponentId, ImagePin, PinSet } from "../../../catalog";
import { writeFileAtomic } from "../../../config/atomic-write";
import { ConfigError, PROJECT } from "../../../config/schema";
import { loadStackFile, stackFilePath } from "../../../config/stack-file";
import { editStackFile } from "../../app/stack-edit";

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

  /**
   * Sets (or with `null` removes) `myoci:postgresMigration` byte-preservingly: only the key's own lines are written
   * (inserted after `config:` in the file's indentation, replaced, or cut); everything else stays as it was.
   */
  setPostgresMigration(stack: string, migration: PostgresMigration | null): void {
    const file = this.file(stack);
    const name = path.basename(file);
    const text = readFileSync(file, "utf8");
    const document = parseDocument(text);
    const config = document.get("config", true);
    if (document.errors.length > 0 || !isMap(config)) {
      throw new ConfigError([{ file: name, key: "config", value: "(missing or invalid)", expected: "a valid stack file with a config: map" }]);
    }
    const key = `${PROJECT}:postgresMigration`;
    const pair = config.items.find((item) => isScalar(item.key) && item.key.value === key);
    const lineStart = (offset: number): number => text.lastIndexOf("\n", offset - 1) + 1;
    const lineEnd = (offset: number): number => {
      const newline = text.indexOf("\n", offset);
      return newline < 0 ? text.length : newline + 1;
    };
    let start: number;
    let end: number;
    let indent: string;
    if (pair && isScalar(pair.key) && pair.key.range) {
      const valueEnd = (pair.value as { range?: [number, number, number] } | null)?.range?.[1] ?? pair.key.range[1];
      start = lineStart(pair.key.range[0]);
      end = lineEnd(Math.max(valueEnd - 1, pair.key.range[1]));
      indent = text.slice(start, pair.key.range[0]);
    } else if (migration === null) {
      return;
    } else {
      const first = config.items[0]?.key as { range?: [number, number, number] } | undefined;
      const configLine = first?.range ? lineStart(first.range[0]) : lineEnd((document.contents as { range?: [number, number, number] }).range?.[0] ?? 0);
      start = end = configLine;
      indent = first?.range ? text.slice(configLine, first.range[0]) : "  ";
    }
    const block = migration === null ? "" : `${indent}${key}:\n${indent}  from: ${migration.from}\n${indent}  to: ${migration.to}\n`;
    const next = text.slice(0, start) + block + text.slice(end);
    const check = parseDocument(next);
    const written = check.get("config", true);
    const value = isMap(written) ? (written.toJSON() as Record<string, unknown>)[key] : undefined;
    if (check.errors.length > 0 || JSON.stringify(value ?? null) !== JSON.stringify(migration === null ? null : { from: migration.from, to: migration.to })) {
      throw new ConfigError([{ file: name, key, value: "(edit not verified)", expected: "a stack file whose config map can take the key" }]);
    }
    writeFileAtomic(file, next);
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
