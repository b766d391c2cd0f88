/**
 * Protobuf encoding of the two requests the runner sends per run — AnalyzeRequest (one per resource) and
 * AnalyzeStackRequest — straight from the recorded resources: the same bytes @pulumi/pulumi's generated
 * analyzer_pb and google-protobuf's Struct.fromJavaScript write (checked byte for byte in policy/tests/wire.test.ts),
 * without first building a jspb message tree per resource. On a 1,000-container stack that tree, its serialisation
 * and its garbage were most of the runner's CPU. Field numbers: pulumi/proto/pulumi/analyzer.proto and
 * google/protobuf/struct.proto (as compiled into @pulumi/pulumi/proto/analyzer_pb.js and google-protobuf).
 *
 * Values follow JSON's rules, as the former JSON round trip did: object members that are undefined, functions or
 * symbols are left out, array elements of those kinds and non-finite numbers become null, -0 becomes 0, a value
 * with toJSON (a Date) is what toJSON returns.
 */
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { BinaryReader } from "google-protobuf";
import type { RecordedResource } from "./types";
import { varintSize } from "../lib/protobuf-wire";

// Wire types.
const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;

const tag = (field: number, wire: number): number => (field << 3) | wire;

/** A length-delimited field's size: tag, length varint, body. Tags here are all below 128 (one byte). */
const fieldSize = (body: number): number => 1 + varintSize(body) + body;

type Kind = "skip" | "null" | "number" | "string" | "bool" | "list" | "struct";

/** What JSON.stringify writes for a value with a toJSON method (a Date: its ISO text). */
function jsonValue(value: unknown): unknown {
  const toJSON = value !== null && typeof value === "object" ? (value as { toJSON?: unknown }).toJSON : undefined;
  return typeof toJSON === "function" ? (toJSON as () => unknown).call(value) : value;
}

function kindOf(value: unknown): Kind {
  switch (typeof value) {
    case "string":
      return "string";
    case "number":
      return Number.isFinite(value) ? "number" : "null";
    case "boolean":
      return "bool";
    case "object":
      return value === null ? "null" : Array.isArray(value) ? "list" : "struct";
    default:
      return "skip"; // undefined, function, symbol, bigint
  }
}

/**
 * Sizes of every string and nested message, and the members of every object, computed once (first pass) and read
 * back in order (second pass).
 */
class Sizes {
  readonly list: number[] = [];
  private at = 0;
  private readonly objects: [string, unknown][][] = [];
  private objectAt = 0;
  /** An object's members (first pass), kept for the second. */
  members(value: Record<string, unknown>): [string, unknown][] {
    const list = members(value);
    this.objects.push(list);
    return list;
  }
  /** The next object's members, as the first pass found them. */
  nextMembers(): [string, unknown][] {
    return this.objects[this.objectAt++]!;
  }
  push(size: number): number {
    this.list.push(size);
    return size;
  }
  reserve(): number {
    this.list.push(0);
    return this.list.length - 1;
  }
  set(index: number, size: number): number {
    this.list[index] = size;
    return size;
  }
  next(): number {
    return this.list[this.at++]!;
  }
  /** The next size without consuming it. */
  peek(): number {
    return this.list[this.at]!;
  }
}

/** Object members in the order Struct's map writes them (jspb sorts the keys), JSON-skipped ones left out. */
function members(value: Record<string, unknown>): [string, unknown][] {
  const list: [string, unknown][] = [];
  for (const key of Object.keys(value).sort()) {
    const item = jsonValue(value[key]);
    if (kindOf(item) !== "skip") list.push([key, item]);
  }
  return list;
}

// ---- first pass: sizes ----

function valueSize(raw: unknown, sizes: Sizes): number {
  const value = jsonValue(raw);
  switch (kindOf(value)) {
    case "string":
      return 1 + varintSize(sizes.push(Buffer.byteLength(value as string))) + sizes.list[sizes.list.length - 1]!;
    case "number":
      return 1 + 8;
    case "bool":
    case "null":
    case "skip":
      return 1 + 1;
    case "list": {
      const index = sizes.reserve();
      let body = 0;
      for (const item of value as unknown[]) body += fieldSize(valueSize(item, sizes));
      return fieldSize(sizes.set(index, body));
    }
    case "struct":
      return fieldSize(structSize(value as Record<string, unknown>, sizes));
  }
}

function structSize(value: Record<string, unknown>, sizes: Sizes): number {
  const index = sizes.reserve();
  let body = 0;
  for (const [key, item] of sizes.members(value)) {
    const entry = sizes.reserve();
    const keyBytes = sizes.push(Buffer.byteLength(key));
    body += fieldSize(sizes.set(entry, fieldSize(keyBytes) + fieldSize(valueSize(item, sizes))));
  }
  return sizes.set(index, body);
}

// ---- second pass: bytes ----

class Writer {
  readonly buffer: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }
  varint(value: number): void {
    while (value >= 0x80) {
      this.buffer[this.pos++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buffer[this.pos++] = value;
  }
  string(field: number, text: string, bytes: number): void {
    this.varint(tag(field, LENGTH));
    this.varint(bytes);
    this.pos += this.buffer.write(text, this.pos, bytes, "utf8");
  }
  header(field: number, size: number): void {
    this.varint(tag(field, LENGTH));
    this.varint(size);
  }
}

function writeValue(w: Writer, raw: unknown, sizes: Sizes): void {
  const value = jsonValue(raw);
  switch (kindOf(value)) {
    case "string":
      w.string(3, value as string, sizes.next());
      return;
    case "number":
      w.varint(tag(2, FIXED64));
      w.pos = w.buffer.writeDoubleLE(value === 0 ? 0 : (value as number), w.pos); // -0 as JSON writes it: 0
      return;
    case "bool":
      w.varint(tag(4, VARINT));
      w.varint(value === true ? 1 : 0);
      return;
    case "null":
    case "skip": // a list element JSON writes as null
      w.varint(tag(1, VARINT));
      w.varint(0);
      return;
    case "list": {
      w.header(6, sizes.next());
      for (const item of value as unknown[]) {
        w.header(1, valueBodySize(item, sizes));
        writeValue(w, item, sizes);
      }
      return;
    }
    case "struct":
      w.header(5, sizes.next());
      writeStructBody(w, sizes);
      return;
  }
}

/** The size of a Value's body, for its header; strings and messages read theirs without consuming them. */
function valueBodySize(value: unknown, sizes: Sizes): number {
  const peek = sizes.peek();
  switch (kindOf(jsonValue(value))) {
    case "string":
      return 1 + varintSize(peek) + peek;
    case "number":
      return 9;
    case "list":
    case "struct":
      return fieldSize(peek);
    default:
      return 2;
  }
}

function writeStructBody(w: Writer, sizes: Sizes): void {
  for (const [key, item] of sizes.nextMembers()) {
    w.header(1, sizes.next());
    w.string(1, key, sizes.next());
    w.header(2, valueBodySize(item, sizes));
    writeValue(w, item, sizes);
  }
}

// ---- messages ----

/** The parts of an AnalyzeRequest / AnalyzerResource the runner fills in. */
export interface ResourceMessage {
  readonly type: string;
  readonly properties: Record<string, unknown>;
  readonly urn: string;
  readonly name: string;
  readonly options: { readonly protect: boolean; readonly parent?: string };
  /** AnalyzerResource only (AnalyzeStackRequest). */
  readonly parent?: string;
  readonly dependencies?: readonly string[];
  readonly propertyDependencies?: Record<string, readonly string[]>;
}

const stringField = (text: string): number => (text.length > 0 ? fieldSize(Buffer.byteLength(text)) : 0);
const repeatedStrings = (list: readonly string[]): number => list.reduce((sum, s) => sum + fieldSize(Buffer.byteLength(s)), 0);

function optionsSize(options: ResourceMessage["options"]): number {
  return (options.protect ? 2 : 0) + stringField(options.parent ?? "");
}

/** Property dependencies in the order the map writes them (sorted keys), empty lists as jspb writes them. */
const dependencyEntries = (message: ResourceMessage): [string, readonly string[]][] =>
  Object.keys(message.propertyDependencies ?? {})
    .sort()
    .map((key) => [key, message.propertyDependencies![key]!]);

function resourceSize(message: ResourceMessage, sizes: Sizes): number {
  let size = stringField(message.type);
  size += fieldSize(structSize(message.properties, sizes));
  size += stringField(message.urn) + stringField(message.name) + fieldSize(optionsSize(message.options));
  size += stringField(message.parent ?? "") + repeatedStrings(message.dependencies ?? []);
  for (const [key, urns] of dependencyEntries(message)) {
    size += fieldSize(fieldSize(Buffer.byteLength(key)) + fieldSize(repeatedStrings(urns)));
  }
  return size;
}

function writeString(w: Writer, field: number, text: string): void {
  if (text.length > 0) w.string(field, text, Buffer.byteLength(text));
}

function writeResource(w: Writer, message: ResourceMessage, sizes: Sizes): void {
  writeString(w, 1, message.type);
  w.header(2, sizes.next());
  writeStructBody(w, sizes);
  writeString(w, 3, message.urn);
  writeString(w, 4, message.name);
  w.header(5, optionsSize(message.options));
  if (message.options.protect) {
    w.varint(tag(1, VARINT));
    w.varint(1);
  }
  writeString(w, 8, message.options.parent ?? "");
  writeString(w, 7, message.parent ?? "");
  for (const urn of message.dependencies ?? []) w.string(8, urn, Buffer.byteLength(urn));
  for (const [key, urns] of dependencyEntries(message)) {
    const list = repeatedStrings(urns);
    w.header(9, fieldSize(Buffer.byteLength(key)) + fieldSize(list));
    w.string(1, key, Buffer.byteLength(key));
    w.header(2, list);
    for (const urn of urns) w.string(1, urn, Buffer.byteLength(urn));
  }
}

/** pulumirpc.AnalyzeRequest (fields 1–5; no provider). */
export function encodeAnalyzeRequest(message: ResourceMessage): Buffer {
  const sizes = new Sizes();
  const w = new Writer(resourceSize(message, sizes));
  writeResource(w, message, sizes);
  return w.buffer;
}

/** pulumirpc.AnalyzeStackRequest: the resources, each an AnalyzerResource (field 1, repeated). */
export function encodeAnalyzeStackRequest(messages: readonly ResourceMessage[]): Buffer {
  const sizes = new Sizes();
  const bodies = messages.map((m) => resourceSize(m, sizes));
  const w = new Writer(bodies.reduce((sum, body) => sum + fieldSize(body), 0));
  messages.forEach((m, i) => {
    w.header(1, bodies[i]!);
    writeResource(w, m, sizes);
  });
  return w.buffer;
}

/** What the runner sends for a recorded resource: inputs to Analyze, state over inputs to AnalyzeStack. */
export function analyzeMessage(r: RecordedResource): ResourceMessage {
  return { type: r.type, properties: r.inputs, urn: r.urn, name: r.name, options: optionsOf(r) };
}

export function stackMessage(r: RecordedResource): ResourceMessage {
  return {
    type: r.type,
    properties: { ...r.inputs, ...r.state },
    urn: r.urn,
    name: r.name,
    options: optionsOf(r),
    parent: r.opts.parent,
    dependencies: r.opts.dependsOn ?? [],
    propertyDependencies: r.propertyDependencies ?? {},
  };
}

const optionsOf = (r: RecordedResource): ResourceMessage["options"] => ({ protect: r.opts.protect === true, parent: r.opts.parent });

// ---- responses ----

/**
 * The diagnostics of an AnalyzeResponse, decoded by the generated AnalyzeDiagnostic code; the `not_applicable`
 * entries (field 3: one per policy that does not apply, ~25 per resource) are skipped rather than built into
 * messages the runner never reads. Otherwise the generated AnalyzeResponse.deserializeBinaryFromReader, line for line.
 */
export function decodeAnalyzeDiagnostics(bytes: Uint8Array): analyzer.AnalyzeDiagnostic[] {
  const reader = new BinaryReader(bytes);
  const diagnostics: analyzer.AnalyzeDiagnostic[] = [];
  while (reader.nextField()) {
    if (reader.isEndGroup()) {
      break;
    }
    if (reader.getFieldNumber() === 2) {
      const diagnostic = new analyzer.AnalyzeDiagnostic();
      reader.readMessage(diagnostic, (message: analyzer.AnalyzeDiagnostic, inner) => analyzer.AnalyzeDiagnostic.deserializeBinaryFromReader(message, inner));
      diagnostics.push(diagnostic);
    } else {
      reader.skipField();
    }
  }
  return diagnostics;
}
