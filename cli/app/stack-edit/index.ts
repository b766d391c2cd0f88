/**
 * Surgical edits of `Pulumi.<stack>.yaml`: the yaml Document API locates the nodes (with their source ranges) and
 * only the changed scalars — or the lines of an added/removed pin — are spliced into the original text. Comments,
 * key order, quoting, blank lines and `secure:` values stay byte-identical. Every edit is re-parsed and verified.
 */
import * as path from "node:path";
import { isMap, isPair, isScalar, parse, parseDocument, Scalar, type Document, type Pair, type YAMLMap } from "yaml";
import { COMPONENT_IDS, type ComponentId, type ImagePin } from "../../../catalog";
import { writeFileAtomic } from "../../../config/atomic-write";
import { ConfigError, PROJECT } from "../../../config/schema";
import { readTextFile } from "../../../config/yaml-file";

export { unifiedDiff } from "./diff";

/** What to change: pins to set (`null` removes the pin) and plain top-level `myoci:` scalars (e.g. logShipper). */
export interface StackEdit {
  readonly images?: Readonly<Partial<Record<ComponentId, ImagePin | null>>>;
  readonly scalars?: Readonly<Record<string, string>>;
}

interface Splice {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

const IMAGES_KEY = `${PROJECT}:images`;

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

function pinLines(component: string, pin: ImagePin, indent: number, childIndent: number): string {
  const pad = " ".repeat(indent);
  const childPad = " ".repeat(childIndent);
  const tag = formatScalar(undefined, pin.tag, "", "");
  return `${pad}${component}:\n${childPad}tag: ${tag}\n${childPad}digest: ${pin.digest}\n`;
}

function locate(document: Document, file: string): { config: YAMLMap; images: YAMLMap } {
  const config = document.get("config", true);
  if (!isMap(config)) {
    fail(file, "config", "(missing or not a map)", "expected a config: map");
  }
  const images = config.get(IMAGES_KEY, true);
  if (!isMap(images)) {
    fail(file, IMAGES_KEY, "(missing or not a map)", "expected a map of component → { tag, digest }");
  }
  return { config, images };
}

/** The edited text of a stack file; throws ConfigError naming file, key and value when the edit cannot be made. */
export function editStackText(text: string, edit: StackEdit, file = "Pulumi.<stack>.yaml"): string {
  const document = parseDocument(text, { keepSourceTokens: false, merge: true });
  if (document.errors.length > 0) {
    fail(file, `(line ${document.errors[0]?.linePos?.[0].line ?? "?"})`, "(invalid YAML)", document.errors[0]?.message.split("\n")[0] ?? "valid YAML");
  }
  const { config, images } = locate(document, file);
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

  // Indentation of the pins, taken from the file itself (falls back to 4/6, the layout of the shipped files).
  const firstPair = images.items[0];
  const keyIndent = firstPair && isScalar(firstPair.key) && firstPair.key.range ? columnOf(text, firstPair.key.range[0]) : 4;
  const firstChild = firstPair && isMap(firstPair.value) ? firstPair.value.items[0] : undefined;
  const childIndent = firstChild && isScalar(firstChild.key) && firstChild.key.range ? columnOf(text, firstChild.key.range[0]) : keyIndent + 2;

  const removals = new Map<string, Splice>();
  const additions: [ComponentId, ImagePin][] = [];
  for (const [component, pin] of Object.entries(edit.images ?? {}) as [ComponentId, ImagePin | null][]) {
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
      const lines = pinLines(component, pin, keyIndent, childIndent);
      if (slot) {
        removals.set(slot[0], { ...slot[1], text: lines });
      } else {
        const last = images.items[images.items.length - 1];
        const at = last ? pinBlockEnd(text, last) : lineEnd(text, (images.range?.[0] ?? 1) - 1);
        const prefix = at > 0 && text[at - 1] !== "\n" ? "\n" : "";
        splices.push({ start: at, end: at, text: prefix + lines });
      }
    }
  }
  splices.push(...removals.values());

  splices.sort((a, b) => b.start - a.start || b.end - a.end);
  let result = text;
  for (const splice of splices) {
    result = result.slice(0, splice.start) + splice.text + result.slice(splice.end);
  }
  verifyEdit(text, result, edit, file);
  return result;
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
  config[IMAGES_KEY] = images;
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
    fail(file, IMAGES_KEY, "(edit)", "an edit that reads back as exactly the requested change (refusing to write; the file layout is unusual)");
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

/** Components in catalog order (stable output). */
export function inCatalogOrder<T extends string>(components: Iterable<T>): T[] {
  const order = COMPONENT_IDS as readonly string[];
  return [...components].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}
