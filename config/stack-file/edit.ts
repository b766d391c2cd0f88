/**
 * Surgical edits of `Pulumi.<stack>.yaml` — the one write path of every command, the rollout and CI: the yaml
 * Document API locates the nodes (with their source ranges) and only the changed scalars — or the lines of an
 * added/removed pin or migration key — are spliced into the original text. Comments, key order, quoting, blank lines,
 * line endings and `secure:` values stay byte-identical. Every edit is re-parsed and verified before it is written.
 */
import * as path from "node:path";
import { isMap, isPair, isScalar, parse, parseDocument, Scalar, type Document, type Pair, type YAMLMap } from "yaml";
import type { ComponentId, ImagePin } from "../../catalog";
import { writeFileAtomic } from "../atomic-write";
import { ConfigError, PROJECT, type PostgresMigration } from "../schema";
import { readTextFile } from "../yaml-file";
import type { PinChanges } from "./pins";

/**
 * What to change: pins to set (`null` removes the pin), plain top-level `myoci:` scalars (e.g. logShipper) and
 * `myoci:postgresMigration` (`null` removes it).
 */
export interface StackEdit {
  readonly images?: PinChanges;
  readonly scalars?: Readonly<Record<string, string>>;
  readonly postgresMigration?: PostgresMigration | null;
}

interface Splice {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

const IMAGES_KEY = `${PROJECT}:images`;
const MIGRATION_KEY = `${PROJECT}:postgresMigration`;

function fail(file: string, key: string, value: string, expected: string): never {
  throw new ConfigError([{ file, key, value, expected }]);
}

function keyOf(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((item): item is Pair => isPair(item) && keyOf(item) === key);
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

/** Offset just past the newline ending the line that contains `offset` (or the end of the text). */
function lineEnd(text: string, offset: number): number {
  const newline = text.indexOf("\n", offset);
  return newline === -1 ? text.length : newline + 1;
}

/** A scalar's new source text in the old scalar's quoting style; plain only where it still reads back as the string. */
function formatScalar(old: Scalar | undefined, value: string, file: string, key: string): string {
  const type = old?.type ?? Scalar.PLAIN;
  if (type === Scalar.QUOTE_SINGLE) {
    return `'${value.replace(/'/g, "''")}'`;
  }
  if (type === Scalar.PLAIN && /^[^\s#'"{}[\],&*!|>%@`]/.test(value) && !/[:#]\s|\s$|[\n\r]/.test(value) && parse(value) === value) {
    return value;
  }
  if (type === Scalar.BLOCK_FOLDED || type === Scalar.BLOCK_LITERAL) {
    fail(file, key, "(block scalar)", "expected a plain or quoted scalar (block scalars are not edited)");
  }
  return JSON.stringify(value);
}

/** Splice for replacing one scalar value in place (range[0]..range[1] is the value's own source text). */
function scalarSplice(node: unknown, value: string, file: string, key: string): Splice | undefined {
  if (!isScalar(node) || !node.range) {
    fail(file, key, "(not a scalar)", "expected a plain scalar value");
  }
  if (node.value === value) {
    return undefined;
  }
  return { start: node.range[0], end: node.range[1], text: formatScalar(node, value, file, key) };
}

/** Splice for replacing one numeric scalar in place (written plain: the schema reads it as a number). */
function numberSplice(node: unknown, value: number, file: string, key: string): Splice | undefined {
  if (!isScalar(node) || !node.range) {
    fail(file, key, "(not a scalar)", "expected a plain number");
  }
  return node.value === value ? undefined : { start: node.range[0], end: node.range[1], text: String(value) };
}

/** Column of a node's first character (its indentation when it starts a line). */
function columnOf(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

/** End offset (past the newline) of the last line a pin's block map occupies. */
function pinBlockEnd(text: string, pair: Pair): number {
  const value = pair.value;
  if (isMap(value) && !value.flow && value.items.length > 0) {
    const last = value.items[value.items.length - 1] as Pair;
    const lastNode = (last.value ?? last.key) as { range?: [number, number, number] };
    return lineEnd(text, Math.max((lastNode.range?.[1] ?? 1) - 1, 0));
  }
  const node = (value ?? pair.key) as { range?: [number, number, number] };
  return lineEnd(text, Math.max((node.range?.[1] ?? 1) - 1, 0));
}

function pinLines(component: string, pin: ImagePin, indent: number, childIndent: number, eol: string): string {
  const pad = " ".repeat(indent);
  const childPad = " ".repeat(childIndent);
  const tag = formatScalar(undefined, pin.tag, "", "");
  return `${pad}${component}:${eol}${childPad}tag: ${tag}${eol}${childPad}digest: ${pin.digest}${eol}`;
}

function locateConfig(document: Document, file: string): YAMLMap {
  const config = document.get("config", true);
  if (!isMap(config)) {
    fail(file, "config", "(missing or not a map)", "expected a config: map");
  }
  return config;
}

function locateImages(config: YAMLMap, file: string): YAMLMap {
  const images = config.get(IMAGES_KEY, true);
  if (!isMap(images)) {
    fail(file, IMAGES_KEY, "(missing or not a map)", "expected a map of component → { tag, digest }");
  }
  return images;
}

/**
 * `myoci:postgresMigration`: an existing map gets its `from`/`to` scalars replaced in place (its comments and key
 * quoting stay); otherwise the key's own lines are inserted before the first config key, replaced, or cut.
 */
function migrationSplices(text: string, config: YAMLMap, migration: PostgresMigration | null, eol: string, file: string): Splice[] {
  const pair = findPair(config, MIGRATION_KEY);
  const keyNode = pair && isScalar(pair.key) && pair.key.range ? pair.key : undefined;
  if (migration !== null && pair && isMap(pair.value)) {
    const value = pair.value;
    const nodes = (["from", "to"] as const).map((field) => [field, value.get(field, true)] as const);
    if (nodes.every(([, node]) => isScalar(node) && node.range)) {
      return nodes.flatMap(([field, node]) => numberSplice(node, migration[field], file, `${MIGRATION_KEY}.${field}`) ?? []);
    }
  }
  if (migration === null && !keyNode) {
    return [];
  }
  let start: number;
  let end: number;
  let indent: string;
  if (keyNode?.range) {
    const valueEnd = (pair?.value as { range?: [number, number, number] } | null)?.range?.[1] ?? keyNode.range[1];
    start = lineStart(text, keyNode.range[0]);
    end = lineEnd(text, Math.max(valueEnd - 1, keyNode.range[1]));
    indent = text.slice(start, keyNode.range[0]);
  } else {
    const first = config.items[0]?.key as { range?: [number, number, number] } | undefined;
    if (!first?.range) {
      fail(file, "config", "(empty)", "expected a config: map holding the myoci: keys");
    }
    start = end = lineStart(text, first.range[0]);
    indent = text.slice(start, first.range[0]);
  }
  const block = migration === null ? "" : `${indent}${MIGRATION_KEY}:${eol}${indent}  from: ${migration.from}${eol}${indent}  to: ${migration.to}${eol}`;
  return [{ start, end, text: block }];
}

/** The edited text of a stack file; throws ConfigError naming file, key and value when the edit cannot be made. */
export function editStackText(text: string, edit: StackEdit, file = "Pulumi.<stack>.yaml"): string {
  const document = parseDocument(text, { keepSourceTokens: false, merge: true });
  if (document.errors.length > 0) {
    fail(file, `(line ${document.errors[0]?.linePos?.[0].line ?? "?"})`, "(invalid YAML)", document.errors[0]?.message.split("\n")[0] ?? "valid YAML");
  }
  const config = locateConfig(document, file);
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const splices: Splice[] = [];

  for (const [name, value] of Object.entries(edit.scalars ?? {})) {
    const key = `${PROJECT}:${name}`;
    const pair = findPair(config, key);
    if (!pair) {
      fail(file, key, "(missing)", "expected the key to exist before it is changed");
    }
    const splice = scalarSplice(pair.value, value, file, key);
    if (splice) {
      splices.push(splice);
    }
  }

  if (edit.postgresMigration !== undefined) {
    splices.push(...migrationSplices(text, config, edit.postgresMigration, eol, file));
  }
  if (edit.images !== undefined) {
    splices.push(...pinSplices(text, locateImages(config, file), edit.images, eol, file));
  }

  splices.sort((a, b) => b.start - a.start || b.end - a.end);
  let result = text;
  for (const splice of splices) {
    result = result.slice(0, splice.start) + splice.text + result.slice(splice.end);
  }
  verifyEdit(text, result, edit, file);
  return result;
}

/** Splices that set, add (in a removed pin's place, else last) and remove pins. */
function pinSplices(text: string, images: YAMLMap, changes: PinChanges, eol: string, file: string): Splice[] {
  const splices: Splice[] = [];
  // Indentation of the pins, taken from the file itself (falls back to 4/6, the layout of the shipped files).
  const firstPair = images.items[0];
  const keyIndent = firstPair && isScalar(firstPair.key) && firstPair.key.range ? columnOf(text, firstPair.key.range[0]) : 4;
  const firstChild = firstPair && isMap(firstPair.value) ? firstPair.value.items[0] : undefined;
  const childIndent = firstChild && isScalar(firstChild.key) && firstChild.key.range ? columnOf(text, firstChild.key.range[0]) : keyIndent + 2;

  const removals = new Map<string, Splice>();
  const additions: [ComponentId, ImagePin][] = [];
  for (const [component, pin] of Object.entries(changes) as [ComponentId, ImagePin | null][]) {
    const key = `${IMAGES_KEY}.${component}`;
    const pair = findPair(images, component);
    if (pin === null) {
      if (pair && isScalar(pair.key) && pair.key.range) {
        const start = lineStart(text, pair.key.range[0]);
        removals.set(component, { start, end: pinBlockEnd(text, pair), text: "" });
      }
      continue;
    }
    if (!pair) {
      additions.push([component, pin]);
      continue;
    }
    if (!isMap(pair.value)) {
      fail(file, key, "(not a map)", "expected { tag, digest }");
    }
    for (const field of ["tag", "digest"] as const) {
      const node = pair.value.get(field, true);
      if (node === undefined) {
        fail(file, `${key}.${field}`, "(missing)", `expected a ${field}`);
      }
      const splice = scalarSplice(node, pin[field], file, `${key}.${field}`);
      if (splice) {
        splices.push(splice);
      }
    }
  }

  if (additions.length > 0) {
    if (images.flow) {
      fail(file, IMAGES_KEY, "(flow-style map)", "expected a block-style map to add a pin to");
    }
    // A new pin takes the place of a removed one (a log-shipper switch keeps its position), else goes last.
    const replaced = [...removals.entries()];
    for (const [component, pin] of additions) {
      const slot = replaced.shift();
      const lines = pinLines(component, pin, keyIndent, childIndent, eol);
      if (slot) {
        removals.set(slot[0], { ...slot[1], text: lines });
      } else {
        const last = images.items[images.items.length - 1];
        const at = last ? pinBlockEnd(text, last) : lineEnd(text, (images.range?.[0] ?? 1) - 1);
        const prefix = at > 0 && text[at - 1] !== "\n" ? eol : "";
        splices.push({ start: at, end: at, text: prefix + lines });
      }
    }
  }
  splices.push(...removals.values());
  return splices;
}

type Plain = Record<string, unknown>;

/** Re-parses the edited text: it must equal the old content with exactly the requested changes. */
function verifyEdit(before: string, after: string, edit: StackEdit, file: string): void {
  const expected = (parse(before, { merge: true }) ?? {}) as { config?: Plain };
  const config: Plain = { ...(expected.config ?? {}) };
  const images: Plain = { ...((config[IMAGES_KEY] as Plain | undefined) ?? {}) };
  for (const [component, pin] of Object.entries(edit.images ?? {})) {
    if (pin === null) {
      delete images[component];
    } else if (pin) {
      images[component] = { ...(images[component] ?? {}), tag: pin.tag, digest: pin.digest };
    }
  }
  if (edit.images !== undefined) {
    config[IMAGES_KEY] = images;
  }
  if (edit.postgresMigration === null) {
    delete config[MIGRATION_KEY];
  } else if (edit.postgresMigration !== undefined) {
    config[MIGRATION_KEY] = { from: edit.postgresMigration.from, to: edit.postgresMigration.to };
  }
  for (const [name, value] of Object.entries(edit.scalars ?? {})) {
    config[`${PROJECT}:${name}`] = value;
  }
  const actualDocument = parseDocument(after, { merge: true });
  const actual = actualDocument.toJS() as { config?: Plain };
  const normalise = (value: unknown): string =>
    JSON.stringify(value, (_key, v: unknown) =>
      v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Plain).sort(([a], [b]) => a.localeCompare(b))) : v,
    );
  if (
    actualDocument.errors.length > 0 ||
    normalise(actual.config) !== normalise(config) ||
    normalise({ ...actual, config: undefined }) !== normalise({ ...expected, config: undefined })
  ) {
    const key =
      edit.images !== undefined
        ? IMAGES_KEY
        : edit.postgresMigration !== undefined
          ? MIGRATION_KEY
          : `${PROJECT}:${Object.keys(edit.scalars ?? {})[0] ?? "(edit)"}`;
    fail(file, key, "(edit)", "an edit that reads back as exactly the requested change (refusing to write; the file layout is unusual)");
  }
}

/**
 * Reads, edits and (unless dryRun) writes a stack file through the one write path (all bytes or nothing; mode and
 * owner kept). Bytes that are not UTF-8 are refused with their line, never rewritten. Returns both texts for the diff.
 */
export function editStackFile(file: string, edit: StackEdit, options: { dryRun?: boolean } = {}): { before: string; after: string; changed: boolean } {
  const before = readTextFile(file, "stack file", path.basename(file));
  const after = editStackText(before, edit, path.basename(file));
  const changed = after !== before;
  if (changed && !options.dryRun) {
    writeFileAtomic(file, after);
  }
  return { before, after, changed };
}
