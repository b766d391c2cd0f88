/**
 * Each resource's properties converted from protobuf once per request, straight from the request's bytes.
 *
 * @pulumi/policy 1.21 (server.js) calls `deserializeProperties(req.getProperties(), false)` once per resource policy
 * for each Analyze request (~18 for a container) and once per stack policy and resource for AnalyzeStack (8 × every
 * resource); each call converts the same protobuf Struct to JavaScript again (`Struct.toJavaScript`), after
 * google-protobuf has decoded the request into a tree of Struct/Value/ListValue messages that is only ever read by
 * that conversion. On 1,008 containers the decoding, the conversions and their garbage were most of the pack's CPU.
 *
 * Three changes inside the served pack, the gRPC path left as the CLI uses it (same RPCs, same request bytes, the
 * requests decoded by the same generated code):
 * 1. A Struct decoded from a request keeps its bytes and is converted from them on `toJavaScript()` by the decoder
 *    below, without the message tree. The decoder takes only the canonical form (each map entry a key then a value,
 *    each Value one kind, valid UTF-8); on anything else (unknown fields, a Value of no kind, an invalid string) the
 *    Struct is decoded by google-protobuf after all and converted by it. Every other reader through the Struct's
 *    methods (getFieldsMap, serializeBinary, toObject, toArray, clone; the parent message's serializeBinary and
 *    toObject go through them) first gets google-protobuf's decoding, so it behaves as the generated code's message.
 *    Not covered: jspb.Message.clone/equals of a parent message, which read the internal arrays (the SDK calls
 *    neither). policy/tests/conversion.test.ts compares both conversions on every request of the real program.
 * 2. deserializeProperties converts a Struct once and reuses the result for the following policies. Safe because
 *    (read in @pulumi/policy 1.21.0 deserialize.js and server.js) deserializeProperties only reads the converted
 *    object: deserializeProperty copies every array and object into new ones (assets, archives and secrets into new
 *    runtime objects) and returns scalars as they are, so no policy holds, or can change, the shared object; each
 *    policy still gets its own deserialized props. The server only reads the request messages.
 */
import * as path from "node:path";
import { BinaryReader } from "google-protobuf";
import { Struct, type JavaScriptValue } from "google-protobuf/google/protobuf/struct_pb";

type Converted = Record<string, JavaScriptValue>;
/** What deserializeProperties reads of its Struct argument: only `toJavaScript()`. */
type Convertible = Pick<Struct, "toJavaScript">;

interface DeserializeModule {
  deserializeProperties: (struct: Convertible, proxySecrets: boolean) => Record<string, unknown>;
}

// ---- the decoder: google.protobuf.Struct bytes → what Struct.toJavaScript returns ----

/** Thrown on anything but the canonical form: the Struct is then decoded and converted by google-protobuf. */
const NOT_CANONICAL = new Error("not the canonical form: google-protobuf decodes this Struct");

let bytes: Buffer = Buffer.alloc(0);
let pos = 0;

/** A varint of at most 5 bytes (lengths, tags, bools, the null enum); a longer one is not canonical here. */
function varint(): number {
  let result = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    const byte = bytes[pos++];
    if (byte === undefined) throw NOT_CANONICAL;
    result += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return result;
  }
  throw NOT_CANONICAL;
}

/** The end of a length-delimited field's body (its length read). */
function bodyEnd(end: number): number {
  const length = varint();
  if (pos + length > end) throw NOT_CANONICAL;
  return pos + length;
}

function text(end: number): string {
  const stop = bodyEnd(end);
  const value = bytes.toString("utf8", pos, stop);
  // Node replaces invalid UTF-8 by U+FFFD; google-protobuf has its own decoder, so such a string is left to it.
  if (value.includes("\uFFFD")) throw NOT_CANONICAL;
  pos = stop;
  return value;
}

const NO_KIND = Symbol("no kind");

/** google.protobuf.Value: the last kind set wins (a oneof), as google-protobuf decodes it. */
function value(end: number): JavaScriptValue {
  let result: JavaScriptValue | typeof NO_KIND = NO_KIND;
  while (pos < end) {
    switch (varint()) {
      case 0x08: // null_value (enum): toJavaScript gives null whatever the number
        varint();
        result = null;
        break;
      case 0x11: // number_value (double)
        if (pos + 8 > end) throw NOT_CANONICAL;
        result = bytes.readDoubleLE(pos);
        pos += 8;
        break;
      case 0x1a: // string_value
        result = text(end);
        break;
      case 0x20: // bool_value
        result = varint() !== 0;
        break;
      case 0x2a: // struct_value
        result = struct(bodyEnd(end));
        break;
      case 0x32: // list_value
        result = list(bodyEnd(end));
        break;
      default:
        throw NOT_CANONICAL;
    }
  }
  if (result === NO_KIND) throw NOT_CANONICAL; // google-protobuf's toJavaScript throws here
  return result;
}

/** google.protobuf.ListValue: repeated Value (field 1). */
function list(end: number): JavaScriptValue[] {
  const items: JavaScriptValue[] = [];
  while (pos < end) {
    if (varint() !== 0x0a) throw NOT_CANONICAL;
    const stop = bodyEnd(end);
    items.push(value(stop));
    pos = stop;
  }
  return items;
}

/**
 * google.protobuf.Struct: map<string, Value> fields = 1, each entry a message of key (1) and value (2). Its
 * toJavaScript sets the keys in sorted order (jspb.Map.forEach sorts them), so the result is built in that order.
 */
function struct(end: number): Converted {
  const keys: string[] = [];
  const values: JavaScriptValue[] = [];
  let sorted = true;
  while (pos < end) {
    if (varint() !== 0x0a) throw NOT_CANONICAL;
    const stop = bodyEnd(end);
    if (varint() !== 0x0a) throw NOT_CANONICAL;
    const key = text(stop);
    if (varint() !== 0x12) throw NOT_CANONICAL;
    const valueEnd = bodyEnd(stop);
    const item = value(valueEnd);
    if (pos !== stop) throw NOT_CANONICAL;
    // google-protobuf's Struct conversion never yields an own "__proto__" key; an assignment would set the prototype.
    if (key === "__proto__") throw NOT_CANONICAL;
    const previous = keys[keys.length - 1];
    if (previous !== undefined && !(previous < key)) sorted = false;
    keys.push(key);
    values.push(item);
  }
  const result: Converted = {};
  if (sorted) {
    for (let i = 0; i < keys.length; i++) result[keys[i]!] = values[i]!;
    return result;
  }
  const byKey = new Map<string, JavaScriptValue>();
  keys.forEach((key, i) => byKey.set(key, values[i]!)); // a repeated key: the last entry wins, as in jspb.Map
  for (const key of [...byKey.keys()].sort()) result[key] = byKey.get(key)!;
  return result;
}

/** What google-protobuf's Struct.toJavaScript returns for the Struct encoded in `body`; undefined if not canonical. */
export function structToJavaScript(body: Uint8Array): Converted | undefined {
  bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  pos = 0;
  try {
    return struct(body.byteLength);
  } catch (error) {
    if (error === NOT_CANONICAL) return undefined;
    throw error;
  } finally {
    bytes = Buffer.alloc(0);
  }
}

// ---- the patches ----

/** Structs decoded from a request whose message tree was not built: their bytes (a copy). */
const pending = new WeakMap<Struct, Uint8Array>();

let installed = false;

/**
 * `MYOCI_POLICY_PROTOBUF=sdk` in the pack's environment leaves the SDK's and google-protobuf's own decoding,
 * conversion and encoding in place (policy/index.ts): to compare (policy/tests/conversion.test.ts), or to rule these
 * fast paths out when chasing a finding.
 */
export const PROTOBUF_ENV = "MYOCI_POLICY_PROTOBUF";

/** A method of google-protobuf's generated code, as it is before the pack replaces it. */
function method(owner: object, name: string): (...args: never[]) => unknown {
  const value: unknown = Reflect.get(owner, name);
  if (typeof value !== "function") {
    throw new Error(`google-protobuf's Struct has no ${name}: google-protobuf changed (see policy/lib/one-conversion.ts)`);
  }
  return value as (...args: never[]) => unknown;
}

function replace<T extends object>(owner: T, name: string, value: (this: T, ...args: unknown[]) => unknown): void {
  Object.defineProperty(owner, name, { configurable: true, writable: true, value });
}

/** Installs the three changes (idempotent). */
export function convertPropertiesOnce(): void {
  if (installed) {
    return;
  }
  // The google-protobuf the SDK's generated messages use must be the one patched here.
  const protoDir = path.dirname(require.resolve("@pulumi/pulumi/proto/analyzer_pb"));
  if (require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [protoDir] }) !== require.resolve("google-protobuf/google/protobuf/struct_pb")) {
    throw new Error("@pulumi/pulumi's generated messages use another google-protobuf than the pack (see policy/lib/one-conversion.ts)");
  }
  // The SDK's internal module (its .d.ts exports nothing); server.js calls `deserialize_1.deserializeProperties(…)`
  // through this exports object on every call, so replacing the export reaches every caller.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const deserialize = require("@pulumi/policy/deserialize") as DeserializeModule;
  const deserializeProperties = deserialize.deserializeProperties;
  if (typeof deserializeProperties !== "function") {
    throw new Error("@pulumi/policy/deserialize has no deserializeProperties: the policy SDK changed (see policy/lib/one-conversion.ts)");
  }

  const decode = method(Struct, "deserializeBinaryFromReader");
  const prototype = Struct.prototype;
  const toJavaScript = method(prototype, "toJavaScript");

  /** Builds the message tree of a pending Struct, as google-protobuf would have when decoding the request. */
  const materialise = (struct: Struct): void => {
    const body = pending.get(struct);
    if (body !== undefined) {
      pending.delete(struct);
      Reflect.apply(decode, Struct, [struct, new BinaryReader(body)]);
    }
  };

  // The generated code calls `Struct.deserializeBinaryFromReader` (looked up on each call) with the reader inside
  // the Struct's field: keep its bytes; the reader is moved past them as decoding would have.
  Struct.deserializeBinaryFromReader = (struct, reader) => {
    const start = reader.getCursor();
    while (reader.nextField() && !reader.isEndGroup()) {
      reader.skipField();
    }
    pending.set(struct, reader.getBuffer().slice(start, reader.getCursor()));
    return struct;
  };
  replace(prototype, "toJavaScript", function (this: Struct): unknown {
    const body = pending.get(this);
    const converted = body === undefined ? undefined : structToJavaScript(body);
    if (converted !== undefined) {
      return converted;
    }
    materialise(this);
    return Reflect.apply(toJavaScript, this, []);
  });
  // Every other reader of the message's fields.
  for (const name of ["getFieldsMap", "serializeBinary", "toObject", "toArray", "cloneMessage", "clone"]) {
    const original = method(prototype, name);
    replace(prototype, name, function (this: Struct, ...args: unknown[]): unknown {
      materialise(this);
      return Reflect.apply(original, this, args);
    });
  }

  const converted = new WeakMap<Convertible, Convertible>();
  /** A Struct whose conversion is made once, the first time it is asked for. */
  const once = (struct: Convertible): Convertible => {
    let view = converted.get(struct);
    if (view === undefined) {
      let result: Converted | undefined;
      view = { toJavaScript: () => (result ??= struct.toJavaScript()) };
      converted.set(struct, view);
    }
    return view;
  };
  deserialize.deserializeProperties = (struct, proxySecrets) => deserializeProperties(once(struct), proxySecrets);
  readStringsDirectly();
  installed = true;
}

/**
 * 3. The request's other strings (types, URNs, names, dependencies): `BinaryReader.prototype.readString` decodes
 *    valid UTF-8 with Node's decoder; jspb's own builds an array of code points per string. Anything Node's decoder
 *    would not take as it is (an invalid sequence, a wrong wire type, a length past the end) is left to jspb's.
 */
function readStringsDirectly(): void {
  const prototype = BinaryReader.prototype;
  const jspbReadString = method(prototype, "readString");
  let source: Uint8Array | undefined;
  let view: Buffer = Buffer.alloc(0);
  replace(prototype, "readString", function (this: BinaryReader): unknown {
    const buffer = this.getBuffer();
    if (buffer !== source) {
      source = buffer;
      view = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    }
    let pos = this.getCursor();
    let length = 0;
    let shift = 0;
    for (;;) {
      const byte = view[pos++];
      if (byte === undefined || shift > 28) return Reflect.apply(jspbReadString, this, []);
      length += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) break;
    }
    const end = pos + length;
    if (Number(this.getWireType()) !== 2 || end > view.length) {
      // 2: length-delimited
      return Reflect.apply(jspbReadString, this, []);
    }
    const text = view.toString("utf8", pos, end);
    if (text.includes("\uFFFD")) {
      return Reflect.apply(jspbReadString, this, []);
    }
    this.advance(end - this.getCursor());
    return text;
  });
}
